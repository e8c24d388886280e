/* test_config_oom.c — a configuration's error list survives running out of memory: when the
 * text of an error cannot be made, that one message is lost and the list stays whole (before,
 * the list was freed by realloc and then used: a use-after-free the sanitizer build shows).
 * Linked with -Wl,--wrap=asprintf (tests/unit/CMakeLists.txt), so this test decides which
 * asprintf calls fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "test_helpers.h"

int __wrap_asprintf (char **out, const char *fmt, ...);

static int s_fail_every; /* 0: never; n: every n-th call fails */
static int s_calls;

int
__wrap_asprintf (char **out, const char *fmt, ...)
{
    if (s_fail_every && ++s_calls % s_fail_every == 0) {
        *out = NULL;
        return -1;
    }
    va_list ap;
    va_start (ap, fmt);
    int n = vasprintf (out, fmt, ap);
    va_end (ap);
    return n;
}

static void
test_errors_survive_lost_messages (void **state)
{
    (void) state;
    char dir[512], path[700];
    test_tmpdir (dir, sizeof dir, "config-oom");
    snprintf (path, sizeof path, "%s/bad.conf", dir);
    /* A key set seven times: six errors, of which every second one cannot be written. */
    const char *text = "[a]\nk = 1\nk = 2\nk = 3\nk = 4\nk = 5\nk = 6\nk = 7\n";
    assert_int_equal (tsg_write_file (path, text, strlen (text), 0644), TSG_OK);
    s_fail_every = 2;
    s_calls = 0;
    tsg_config_t *cfg = tsg_config_load (path);
    s_fail_every = 0;
    assert_non_null (cfg);
    int errors = tsg_config_errors (cfg);
    assert_int_equal (errors, 3);
    /* Every kept message is readable: the list was not freed under us. */
    FILE *out = fopen ("/dev/null", "w");
    assert_non_null (out);
    tsg_config_report (cfg, out);
    fclose (out);
    tsg_config_destroy (&cfg);
    test_rmtree (dir);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_errors_survive_lost_messages),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
