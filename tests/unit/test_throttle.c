/* test_throttle.c — the log throttle: one line per key, then at most a summary per window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_helpers.h"
#include "tsunagu/tsg_throttle.h"

/* What the summaries said. */
typedef struct {
    int calls;            /* summaries written */
    uint64_t counted;     /* their counts, added up */
    char last_key[64];    /* the latest summary's key ("(others)" for NULL) */
    char last_detail[64]; /* and its detail */
    uint64_t last_count;  /* and its count */
} s_seen_t;

static void
s_summary (void *arg, const char *key, const char *detail, uint64_t count, uint64_t elapsed_ms)
{
    s_seen_t *seen = arg;
    (void) elapsed_ms;
    seen->calls++;
    seen->counted += count;
    seen->last_count = count;
    snprintf (seen->last_key, sizeof seen->last_key, "%s", key ? key : "(others)");
    snprintf (seen->last_detail, sizeof seen->last_detail, "%s", detail);
}

static void
test_runs (void **state)
{
    (void) state;
    s_seen_t seen = { 0 };
    tsg_throttle_t *throttle = tsg_throttle_new (4, 60000, 16, s_summary, &seen);
    assert_non_null (throttle);
    uint64_t now = 1000000;
    /* 150 refusals from one address in a second: the first is logged, the rest counted. */
    assert_true (tsg_throttle_hit (throttle, "127.0.0.1", "k0", now));
    for (int i = 1; i < 150; i++)
        assert_false (tsg_throttle_hit (throttle, "127.0.0.1", "k", now + (uint64_t) i));
    tsg_throttle_flush (throttle, now + 59999);
    assert_int_equal (seen.calls, 0);
    /* The window ends: one summary with the 149 repeats. */
    tsg_throttle_flush (throttle, now + 60000);
    assert_int_equal (seen.calls, 1);
    assert_int_equal (seen.last_count, 149);
    assert_string_equal (seen.last_key, "127.0.0.1");
    /* Still going on: counted into the next window, no full line, no second summary yet. */
    assert_false (tsg_throttle_hit (throttle, "127.0.0.1", "k", now + 60001));
    tsg_throttle_flush (throttle, now + 100000);
    assert_int_equal (seen.calls, 1);
    tsg_throttle_flush (throttle, now + 120000);
    assert_int_equal (seen.calls, 2);
    /* A quiet window later, the next one is logged in full again. */
    tsg_throttle_flush (throttle, now + 200000);
    assert_true (tsg_throttle_hit (throttle, "127.0.0.1", "k", now + 200000));
    assert_int_equal (tsg_throttle_total (throttle), 152);
    tsg_throttle_destroy (&throttle);
    assert_null (throttle);
    tsg_throttle_destroy (&throttle);
    assert_int_equal (seen.calls, 2);
}

static void
test_bounds (void **state)
{
    (void) state;
    s_seen_t seen = { 0 };
    /* Two slots, three new keys in full per window. */
    tsg_throttle_t *throttle = tsg_throttle_new (2, 60000, 3, s_summary, &seen);
    uint64_t now = 5000;
    assert_true (tsg_throttle_hit (throttle, "a", "", now));
    assert_false (tsg_throttle_hit (throttle, "a", "", now + 1));
    assert_true (tsg_throttle_hit (throttle, "b", "", now + 2));
    /* A third key evicts the one seen longest ago ("a"), whose count goes out first. */
    assert_true (tsg_throttle_hit (throttle, "c", "", now + 3));
    assert_int_equal (seen.calls, 1);
    assert_string_equal (seen.last_key, "a");
    assert_int_equal (seen.last_count, 1);
    /* Past three new keys a window, new keys are counted together. */
    for (int i = 0; i < 100; i++) {
        char key[16];
        snprintf (key, sizeof key, "x%d", i);
        assert_false (tsg_throttle_hit (throttle, key, key, now + 10));
    }
    tsg_throttle_destroy (&throttle);
    assert_int_equal (seen.calls, 2);
    assert_string_equal (seen.last_key, "(others)");
    assert_int_equal (seen.last_count, 100);
    assert_string_equal (seen.last_detail, "x99");

    /* A key longer than the table keeps is cut, and still found again. */
    char longer[200];
    memset (longer, 'k', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memset (&seen, 0, sizeof seen);
    throttle = tsg_throttle_new (2, 60000, 3, s_summary, &seen);
    assert_true (tsg_throttle_hit (throttle, longer, NULL, now));
    assert_false (tsg_throttle_hit (throttle, longer, NULL, now + 1));
    tsg_throttle_destroy (&throttle);
    assert_int_equal (seen.counted, 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_runs),
        cmocka_unit_test (test_bounds),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
