/* test_endpoint.c — the ZeroMQ endpoints -n and start-up accept, and those they refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_helpers.h"
#include "tsunagu/tsg_endpoint.h"

static void
test_endpoints (void **state)
{
    (void) state;
    assert_null (tsg_endpoint_check ("tcp://127.0.0.1:7700", true));
    assert_null (tsg_endpoint_check ("tcp://*:7700", true));
    assert_null (tsg_endpoint_check ("tcp://lo:7700", true));
    assert_null (tsg_endpoint_check ("tcp://127.0.0.1:65535", false));
    assert_null (tsg_endpoint_check ("tcp://coordinator.tsunagu-city.example:7700", false));
    assert_null (tsg_endpoint_check ("ipc:///run/tsunagu/hub.sock", true));
    assert_non_null (tsg_endpoint_check ("tcp://localhost:7700", true));
    assert_non_null (tsg_endpoint_check ("tcp://192.0.2.1:7700", true));
    assert_non_null (tsg_endpoint_check ("tcp://*:7700", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1:", false));
    assert_non_null (tsg_endpoint_check ("tcp://:7700", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1:0", true));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1:65536", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1:123456", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1:-1", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1: 80", false));
    assert_non_null (tsg_endpoint_check ("tcp://[::1]:7700", false));
    assert_non_null (tsg_endpoint_check ("tcp://::1:7700", true));
    assert_non_null (tsg_endpoint_check ("tcp://-bad.example:7700", false));
    assert_non_null (tsg_endpoint_check ("tcp://bad..example:7700", false));
    assert_non_null (tsg_endpoint_check ("tcp://a_b:7700", false));
    assert_non_null (tsg_endpoint_check ("tcp://127.0.0.1:1;127.0.0.1:2", false));
    assert_non_null (tsg_endpoint_check ("ipc://", true));
    assert_non_null (tsg_endpoint_check ("inproc://hub", true));
    assert_non_null (tsg_endpoint_check ("", true));
    assert_non_null (tsg_endpoint_check (NULL, false));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_endpoints),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
