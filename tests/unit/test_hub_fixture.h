/* test_hub_fixture.h — the hub fixture (tests/support/hub_fixture.h) for cmocka tests: the
 * fixture itself, and the expectations on an intake's answer, which fail the test that made
 * them with what the coordinator said. */
#ifndef TEST_HUB_FIXTURE_H_INCLUDED
#define TEST_HUB_FIXTURE_H_INCLUDED

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hub_fixture.h"

static inline void
hub_expect_stored (const tsg_hub_answer_t *answer)
{
    if (answer->type != TSG_HUB_ANSWER_STORED)
        fail_msg ("expected STORED, got %d: %s: %s", answer->type,
                  tsg_error_code_name (answer->code), answer->detail);
}

static inline void
hub_expect_error (const tsg_hub_answer_t *answer, Tsunagu__V1__ErrorCode code)
{
    if (answer->type != TSG_HUB_ANSWER_ERROR || answer->code != code)
        fail_msg ("expected %s, got answer %d: %s: %s", tsg_error_code_name (code), answer->type,
                  tsg_error_code_name (answer->code), answer->detail);
    assert_true (answer->final);
    assert_true (strlen (answer->detail) > 0);
}

#endif
