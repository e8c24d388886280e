/* test_web_parts.c — the dashboard's parts on their own (services/coordinator/web/): the staff
 * sessions (start, find, idle and absolute lifetimes, logout, a user's sessions ended, the full
 * table making room by ending the session unused longest, cookies that are not tokens), the
 * login guard (a name locked after five failures, the lock doubling up to an hour, a success
 * clearing it, an address locked after twenty, at most five checks a second), the posted forms
 * (decoding, what refuses a whole form, repeated names, the field limit, URL encoding), the HTML
 * builder (escaping, the memory of a failure), the case event form's control requests and
 * refusals, and the words of the pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/case_form.h"
#include "coordinator/web/form.h"
#include "coordinator/web/guard.h"
#include "coordinator/web/html.h"
#include "coordinator/web/labels.h"
#include "coordinator/web/sessions.h"
#include "tsunagu/tsg_log.h"

#define CASE_ID "5c0f9b8d-6a7e-4fbc-934b-2e6f7a8b9ca3"

/* ---- sessions ------------------------------------------------------------------------ */

/* True when text has a token's shape: 43 characters of base64url. */
static bool
s_token_shaped (const char *text)
{
    if (strlen (text) != TSG_WEB_TOKEN_SIZE - 1)
        return false;
    return strspn (text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
           == TSG_WEB_TOKEN_SIZE - 1;
}

static void
test_sessions_start_find (void **state)
{
    (void) state;
    tsg_web_sessions_t *t = tsg_web_sessions_new (1000, 5000);
    assert_non_null (t);
    char cookie[TSG_WEB_TOKEN_SIZE];
    const tsg_web_session_t *s = tsg_web_sessions_start (t, "sato.k", 2, 100, 777, cookie);
    assert_non_null (s);
    assert_true (s_token_shaped (cookie));
    assert_true (s_token_shaped (s->csrf));
    assert_string_not_equal (cookie, s->csrf);
    assert_string_equal (s->user, "sato.k");
    assert_int_equal (s->role, 2);
    assert_int_equal (s->started_wall_ms, 777);
    assert_int_equal (s->started_ms, 100);
    assert_int_equal (s->used_ms, 100);
    char csrf[TSG_WEB_TOKEN_SIZE];
    snprintf (csrf, sizeof csrf, "%s", s->csrf);

    const tsg_web_session_t *found = tsg_web_sessions_find (t, cookie, 600);
    assert_non_null (found);
    assert_string_equal (found->user, "sato.k");
    assert_string_equal (found->csrf, csrf);
    assert_int_equal (found->used_ms, 600);
    assert_int_equal (tsg_web_sessions_count (t, 600), 1);

    /* A second session of the same user is another cookie and another token. */
    char other[TSG_WEB_TOKEN_SIZE];
    const tsg_web_session_t *s2 = tsg_web_sessions_start (t, "sato.k", 2, 700, 778, other);
    assert_non_null (s2);
    assert_string_not_equal (other, cookie);
    assert_string_not_equal (s2->csrf, csrf);
    assert_int_equal (tsg_web_sessions_count (t, 700), 2);
    assert_string_equal (tsg_web_sessions_find (t, cookie, 800)->csrf, csrf);

    /* A long user name is cut to what the table holds. */
    char long_name[80];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    s = tsg_web_sessions_start (t, long_name, 1, 800, 800, other);
    assert_int_equal (strlen (s->user), TSG_WEB_USER_SIZE - 1);

    tsg_web_sessions_destroy (&t);
    assert_null (t);
    tsg_web_sessions_destroy (&t);
    tsg_web_sessions_destroy (NULL);
}

/* Idle: unused for idle_ms, a session ends (and stays ended). */
static void
test_sessions_idle (void **state)
{
    (void) state;
    tsg_web_sessions_t *t = tsg_web_sessions_new (1000, 100000);
    char cookie[TSG_WEB_TOKEN_SIZE];
    assert_non_null (tsg_web_sessions_start (t, "a", 1, 10000, 1, cookie));
    assert_non_null (tsg_web_sessions_find (t, cookie, 10999)); /* just in time: used again */
    assert_non_null (tsg_web_sessions_find (t, cookie, 11998));
    assert_int_equal (tsg_web_sessions_count (t, 12997), 1);
    assert_int_equal (tsg_web_sessions_count (t, 12998), 0); /* idle_ms after its last use */
    assert_null (tsg_web_sessions_find (t, cookie, 12998));
    /* Ended, not only expired: an earlier clock does not bring it back. */
    assert_null (tsg_web_sessions_find (t, cookie, 12000));
    assert_int_equal (tsg_web_sessions_count (t, 12000), 0);
    tsg_web_sessions_destroy (&t);
}

/* Absolute: max_ms after login a session ends however much it is used. */
static void
test_sessions_absolute (void **state)
{
    (void) state;
    tsg_web_sessions_t *t = tsg_web_sessions_new (1000, 5000);
    char cookie[TSG_WEB_TOKEN_SIZE];
    assert_non_null (tsg_web_sessions_start (t, "a", 1, 1000, 1, cookie));
    uint64_t now = 1000;
    for (int i = 0; i < 5; i++) {
        now += 900;
        if (now - 1000 >= 5000)
            break;
        assert_non_null (tsg_web_sessions_find (t, cookie, now));
    }
    assert_non_null (tsg_web_sessions_find (t, cookie, 5999));
    assert_null (tsg_web_sessions_find (t, cookie, 6000));
    assert_int_equal (tsg_web_sessions_count (t, 6000), 0);
    tsg_web_sessions_destroy (&t);
}

/* Logout ends one session; end_user ends all of a user's and nobody else's. */
static void
test_sessions_end (void **state)
{
    (void) state;
    tsg_web_sessions_t *t = tsg_web_sessions_new (60000, 600000);
    char a1[TSG_WEB_TOKEN_SIZE], a2[TSG_WEB_TOKEN_SIZE], b[TSG_WEB_TOKEN_SIZE];
    char ab[TSG_WEB_TOKEN_SIZE];
    assert_non_null (tsg_web_sessions_start (t, "a", 1, 1, 1, a1));
    assert_non_null (tsg_web_sessions_start (t, "a", 1, 2, 2, a2));
    assert_non_null (tsg_web_sessions_start (t, "b", 3, 3, 3, b));
    assert_non_null (tsg_web_sessions_start (t, "ab", 3, 4, 4, ab));
    assert_int_equal (tsg_web_sessions_count (t, 10), 4);

    tsg_web_sessions_end (t, a1);
    assert_null (tsg_web_sessions_find (t, a1, 10));
    assert_non_null (tsg_web_sessions_find (t, a2, 10));
    assert_int_equal (tsg_web_sessions_count (t, 10), 3);
    /* Ending what is not there changes nothing. */
    tsg_web_sessions_end (t, a1);
    tsg_web_sessions_end (t, "not a token");
    tsg_web_sessions_end (t, NULL);
    assert_int_equal (tsg_web_sessions_count (t, 10), 3);

    assert_non_null (tsg_web_sessions_start (t, "a", 1, 11, 11, a1));
    tsg_web_sessions_end_user (t, "a");
    assert_null (tsg_web_sessions_find (t, a1, 12));
    assert_null (tsg_web_sessions_find (t, a2, 12));
    assert_non_null (tsg_web_sessions_find (t, b, 12));
    assert_non_null (tsg_web_sessions_find (t, ab, 12)); /* a name, not a prefix */
    assert_int_equal (tsg_web_sessions_count (t, 12), 2);
    tsg_web_sessions_end_user (t, "nobody");
    assert_int_equal (tsg_web_sessions_count (t, 12), 2);
    tsg_web_sessions_destroy (&t);
}

/* A full table makes room by ending the session unused longest, not the oldest login; an
 * expired one makes room first. */
static void
test_sessions_full (void **state)
{
    (void) state;
    tsg_web_sessions_t *t = tsg_web_sessions_new (1000000, 10000000);
    static char cookies[TSG_WEB_SESSIONS_MAX][TSG_WEB_TOKEN_SIZE];
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++) {
        char user[16];
        snprintf (user, sizeof user, "u%zu", i);
        assert_non_null (tsg_web_sessions_start (t, user, 1, 1000 + i, 1, cookies[i]));
    }
    assert_int_equal (tsg_web_sessions_count (t, 5000), TSG_WEB_SESSIONS_MAX);
    /* The first login is used again: the second is now the one unused longest. */
    assert_non_null (tsg_web_sessions_find (t, cookies[0], 5000));
    char extra[TSG_WEB_TOKEN_SIZE];
    const tsg_web_session_t *s = tsg_web_sessions_start (t, "late", 1, 5001, 1, extra);
    assert_non_null (s);
    assert_string_equal (s->user, "late");
    assert_int_equal (tsg_web_sessions_count (t, 5001), TSG_WEB_SESSIONS_MAX);
    assert_non_null (tsg_web_sessions_find (t, cookies[0], 5002));
    assert_null (tsg_web_sessions_find (t, cookies[1], 5002));
    for (size_t i = 2; i < TSG_WEB_SESSIONS_MAX; i++)
        assert_non_null (tsg_web_sessions_find (t, cookies[i], 5002));
    assert_non_null (tsg_web_sessions_find (t, extra, 5003));
    tsg_web_sessions_destroy (&t);

    /* With a session expired, that one goes, whoever was unused longest. */
    t = tsg_web_sessions_new (1000, 10000000);
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++)
        assert_non_null (tsg_web_sessions_start (t, "u", 1, 100000 + i, 1, cookies[i]));
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++)
        if (i != 7)
            assert_non_null (tsg_web_sessions_find (t, cookies[i], 100900));
    /* At 101007 only session 7 (last used at 100007) is past its idle time. */
    assert_non_null (tsg_web_sessions_start (t, "v", 1, 101007, 1, extra));
    assert_null (tsg_web_sessions_find (t, cookies[7], 101008));
    assert_non_null (tsg_web_sessions_find (t, cookies[0], 101008));
    assert_int_equal (tsg_web_sessions_count (t, 101008), TSG_WEB_SESSIONS_MAX);
    tsg_web_sessions_destroy (&t);
}

/* A cookie that is not a token, or no session's, finds nothing. */
static void
test_sessions_malformed (void **state)
{
    (void) state;
    tsg_web_sessions_t *t = tsg_web_sessions_new (60000, 600000);
    char cookie[TSG_WEB_TOKEN_SIZE];
    assert_non_null (tsg_web_sessions_start (t, "a", 1, 1, 1, cookie));
    char bad[128];
    assert_null (tsg_web_sessions_find (t, NULL, 2));
    assert_null (tsg_web_sessions_find (t, "", 2));
    /* One character short, one too many. */
    snprintf (bad, sizeof bad, "%.*s", TSG_WEB_TOKEN_SIZE - 2, cookie);
    assert_null (tsg_web_sessions_find (t, bad, 2));
    snprintf (bad, sizeof bad, "%sA", cookie);
    assert_null (tsg_web_sessions_find (t, bad, 2));
    snprintf (bad, sizeof bad, "%s=", cookie);
    assert_null (tsg_web_sessions_find (t, bad, 2));
    /* Characters outside base64url, at the same length. */
    const char outside[] = { '+', '/', '=', ' ', '.', '%', '\x7f', '\xe3' };
    for (size_t i = 0; i < sizeof outside; i++) {
        snprintf (bad, sizeof bad, "%s", cookie);
        bad[10] = outside[i];
        assert_null (tsg_web_sessions_find (t, bad, 2));
    }
    /* Shaped like one but another: the last character changed. */
    snprintf (bad, sizeof bad, "%s", cookie);
    bad[TSG_WEB_TOKEN_SIZE - 2] = bad[TSG_WEB_TOKEN_SIZE - 2] == 'A' ? 'B' : 'A';
    assert_null (tsg_web_sessions_find (t, bad, 2));
    /* The CSRF token is not a cookie. */
    const tsg_web_session_t *s = tsg_web_sessions_find (t, cookie, 2);
    assert_non_null (s);
    snprintf (bad, sizeof bad, "%s", s->csrf);
    assert_null (tsg_web_sessions_find (t, bad, 3));
    assert_non_null (tsg_web_sessions_find (t, cookie, 4));
    tsg_web_sessions_destroy (&t);
}

/* Tokens compare equal only when both are tokens and all 43 characters agree. */
static void
test_token_equal (void **state)
{
    (void) state;
    char a[TSG_WEB_TOKEN_SIZE], b[TSG_WEB_TOKEN_SIZE], c[TSG_WEB_TOKEN_SIZE + 8];
    assert_true (tsg_web_token_new (a));
    assert_true (tsg_web_token_new (b));
    assert_true (s_token_shaped (a));
    assert_string_not_equal (a, b);
    snprintf (c, sizeof c, "%s", a);
    assert_true (tsg_web_token_equal (a, c));
    assert_true (tsg_web_token_equal (a, a));
    assert_false (tsg_web_token_equal (a, b));
    assert_false (tsg_web_token_equal (a, NULL));
    assert_false (tsg_web_token_equal (NULL, a));
    assert_false (tsg_web_token_equal (NULL, NULL));
    assert_false (tsg_web_token_equal ("", ""));
    /* Equal but not tokens: still false (a missing field is not a match). */
    assert_false (tsg_web_token_equal ("abc", "abc"));
    char long_a[64];
    snprintf (long_a, sizeof long_a, "%sXYZ", a);
    assert_false (tsg_web_token_equal (long_a, long_a));
    assert_false (tsg_web_token_equal (a, long_a)); /* a prefix is not equal */
    assert_false (tsg_web_token_equal (long_a, a));
    /* One differing character anywhere, first or last, makes them unequal. */
    for (size_t i = 0; i < TSG_WEB_TOKEN_SIZE - 1; i += 6) {
        snprintf (c, sizeof c, "%s", a);
        c[i] = c[i] == 'x' ? 'y' : 'x';
        assert_false (tsg_web_token_equal (a, c));
    }
    snprintf (c, sizeof c, "%s", a);
    c[TSG_WEB_TOKEN_SIZE - 2] = c[TSG_WEB_TOKEN_SIZE - 2] == '-' ? '_' : '-';
    assert_false (tsg_web_token_equal (a, c));
    /* A token's shape with a character outside the alphabet is refused on both sides. */
    snprintf (c, sizeof c, "%s", a);
    c[0] = '+';
    assert_false (tsg_web_token_equal (c, c));
    /* Tokens are random: many of them, all different. */
    char seen[64][TSG_WEB_TOKEN_SIZE];
    for (size_t i = 0; i < 64; i++) {
        assert_true (tsg_web_token_new (seen[i]));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal (seen[i], seen[j]);
    }
}

/* ---- guard --------------------------------------------------------------------------- */

/* Asks for name from address at now (a second of its own), expecting verdict and wait. */
static void
s_ask (tsg_web_guard_t *g, const char *name, const char *address, uint64_t now,
       tsg_web_guard_verdict_t verdict, unsigned wait)
{
    unsigned wait_s = 12345;
    tsg_web_guard_verdict_t got = tsg_web_guard_ask (g, name, address, now, &wait_s);
    if (got != verdict || wait_s != wait)
        fail_msg ("ask %s from %s at %llu: expected %d wait %u, got %d wait %u", name, address,
                  (unsigned long long) now, verdict, wait, got, wait_s);
}

/* Five failures lock a name for a minute; each further one doubles it, up to an hour. */
static void
test_guard_name_lock (void **state)
{
    (void) state;
    tsg_web_guard_t *g = tsg_web_guard_new ();
    assert_non_null (g);
    uint64_t now = 1000000;
    char address[32];
    for (int i = 1; i <= 4; i++) {
        snprintf (address, sizeof address, "192.0.2.%d", i);
        s_ask (g, "sato", address, now, TSG_WEB_GUARD_TRY, 0);
        assert_false (tsg_web_guard_failed (g, "sato", address, now));
        now += 1000;
    }
    s_ask (g, "sato", "192.0.2.5", now, TSG_WEB_GUARD_TRY, 0);
    assert_true (tsg_web_guard_failed (g, "sato", "192.0.2.5", now));
    /* Locked for 60 s, whichever address asks; another name is not. */
    s_ask (g, "sato", "198.51.100.1", now, TSG_WEB_GUARD_LOCKED, 60);
    s_ask (g, "sato", "192.0.2.5", now + 59000, TSG_WEB_GUARD_LOCKED, 1);
    s_ask (g, "sato", "192.0.2.5", now + 59999, TSG_WEB_GUARD_LOCKED, 1);
    s_ask (g, "kato", "192.0.2.5", now + 59999, TSG_WEB_GUARD_TRY, 0);
    now += 60000;
    /* Each further failure: 120, 240, ... s, never more than an hour. */
    static const unsigned locks[] = { 120, 240, 480, 960, 1920, 3600, 3600, 3600 };
    for (size_t i = 0; i < sizeof locks / sizeof locks[0]; i++) {
        snprintf (address, sizeof address, "203.0.113.%zu", i);
        s_ask (g, "sato", address, now, TSG_WEB_GUARD_TRY, 0);
        assert_true (tsg_web_guard_failed (g, "sato", address, now));
        s_ask (g, "sato", address, now + 1000, TSG_WEB_GUARD_LOCKED, locks[i] - 1);
        s_ask (g, "sato", address, now + locks[i] * 1000ULL - 1, TSG_WEB_GUARD_LOCKED, 1);
        now += locks[i] * 1000ULL;
    }
    s_ask (g, "sato", "203.0.113.99", now, TSG_WEB_GUARD_TRY, 0);
    tsg_web_guard_destroy (&g);
    assert_null (g);
    tsg_web_guard_destroy (&g);
    tsg_web_guard_destroy (NULL);
}

/* A success clears the failures of the name: five more are needed for a lock. */
static void
test_guard_success_clears (void **state)
{
    (void) state;
    tsg_web_guard_t *g = tsg_web_guard_new ();
    uint64_t now = 5000000;
    for (int i = 0; i < 4; i++, now += 1000) {
        s_ask (g, "sato", "192.0.2.1", now, TSG_WEB_GUARD_TRY, 0);
        assert_false (tsg_web_guard_failed (g, "sato", "192.0.2.1", now));
    }
    tsg_web_guard_succeeded (g, "sato");
    tsg_web_guard_succeeded (g, "never-failed"); /* nothing to clear */
    for (int i = 0; i < 4; i++, now += 1000) {
        s_ask (g, "sato", "192.0.2.1", now, TSG_WEB_GUARD_TRY, 0);
        assert_false (tsg_web_guard_failed (g, "sato", "192.0.2.1", now));
    }
    s_ask (g, "sato", "192.0.2.1", now, TSG_WEB_GUARD_TRY, 0);
    assert_true (tsg_web_guard_failed (g, "sato", "192.0.2.1", now));
    s_ask (g, "sato", "192.0.2.1", now, TSG_WEB_GUARD_LOCKED, 60);
    /* A success (an administrator's reset) clears a lock too, and the count restarts. */
    tsg_web_guard_succeeded (g, "sato");
    s_ask (g, "sato", "192.0.2.2", now + 1000, TSG_WEB_GUARD_TRY, 0);
    assert_false (tsg_web_guard_failed (g, "sato", "192.0.2.2", now + 1000));
    tsg_web_guard_destroy (&g);
}

/* Twenty failures from one address, whatever the names, lock the address. */
static void
test_guard_address (void **state)
{
    (void) state;
    tsg_web_guard_t *g = tsg_web_guard_new ();
    uint64_t now = 9000000;
    char name[32];
    for (int i = 0; i < 4 * TSG_WEB_GUARD_FREE - 1; i++, now += 1000) {
        snprintf (name, sizeof name, "user%d", i);
        s_ask (g, name, "2001:db8::1", now, TSG_WEB_GUARD_TRY, 0);
        assert_false (tsg_web_guard_failed (g, name, "2001:db8::1", now));
    }
    s_ask (g, "fresh", "2001:db8::1", now, TSG_WEB_GUARD_TRY, 0);
    assert_true (tsg_web_guard_failed (g, "user-last", "2001:db8::1", now));
    s_ask (g, "fresh", "2001:db8::1", now, TSG_WEB_GUARD_LOCKED, 60);
    s_ask (g, "fresh", "2001:db8::2", now, TSG_WEB_GUARD_TRY, 0);
    s_ask (g, "fresh", "2001:db8::1", now + 60000, TSG_WEB_GUARD_TRY, 0);
    /* A name's success does not clear its address. */
    tsg_web_guard_succeeded (g, "user-last");
    assert_true (tsg_web_guard_failed (g, "user-x", "2001:db8::1", now + 61000));
    s_ask (g, "fresh", "2001:db8::1", now + 61000, TSG_WEB_GUARD_LOCKED, 120);
    tsg_web_guard_destroy (&g);
}

/* At most five checks a second, in all; a refusal by the lock takes none. */
static void
test_guard_rate (void **state)
{
    (void) state;
    tsg_web_guard_t *g = tsg_web_guard_new ();
    uint64_t second = 7000000;
    for (int i = 0; i < TSG_WEB_GUARD_RATE; i++) {
        char name[16];
        snprintf (name, sizeof name, "n%d", i);
        s_ask (g, name, "192.0.2.9", second + (uint64_t) i * 100, TSG_WEB_GUARD_TRY, 0);
    }
    s_ask (g, "n9", "192.0.2.10", second + 600, TSG_WEB_GUARD_BUSY, 1);
    s_ask (g, "n9", "192.0.2.10", second + 999, TSG_WEB_GUARD_BUSY, 1);
    s_ask (g, "n9", "192.0.2.10", second + 1000, TSG_WEB_GUARD_TRY, 0);

    /* Lock a name, then ask for it many times within one second: LOCKED each time, and the
     * second's allowance is still whole for others. */
    uint64_t t = 8000000;
    for (int i = 0; i < TSG_WEB_GUARD_FREE; i++, t += 1000) {
        s_ask (g, "locked", "192.0.2.11", t, TSG_WEB_GUARD_TRY, 0);
        tsg_web_guard_failed (g, "locked", "192.0.2.11", t);
    }
    /* Locked from 8004000 until 8064000. */
    t = 8010000;
    for (int i = 0; i < 20; i++)
        s_ask (g, "locked", "192.0.2.12", t + (uint64_t) i, TSG_WEB_GUARD_LOCKED, 54);
    for (int i = 0; i < TSG_WEB_GUARD_RATE; i++)
        s_ask (g, "other", "192.0.2.12", t + 500, TSG_WEB_GUARD_TRY, 0);
    s_ask (g, "other", "192.0.2.12", t + 501, TSG_WEB_GUARD_BUSY, 1);
    /* A busy refusal is no failure: nothing is locked by it. */
    s_ask (g, "other", "192.0.2.12", t + 1000, TSG_WEB_GUARD_TRY, 0);
    tsg_web_guard_destroy (&g);
}

/* ---- forms --------------------------------------------------------------------------- */

static bool
s_parse (tsg_web_form_t *form, const char *body)
{
    return tsg_web_form_parse (form, body, strlen (body));
}

static void
test_form_decode (void **state)
{
    (void) state;
    tsg_web_form_t form;
    assert_true (s_parse (&form, "a=1&b=hello+world&c=%E3%81%A4%e3%81%aa%E3%81%90&na%6De=x%2By"
                                 "&empty=&flag&d=%25%26%3D"));
    assert_int_equal (form.count, 7);
    assert_string_equal (tsg_web_form_get (&form, "a"), "1");
    assert_string_equal (tsg_web_form_get (&form, "b"), "hello world");
    assert_string_equal (tsg_web_form_get (&form, "c"), "つなぐ");
    assert_string_equal (tsg_web_form_get (&form, "name"), "x+y");
    assert_string_equal (tsg_web_form_get (&form, "empty"), "");
    assert_string_equal (tsg_web_form_get (&form, "flag"), "");
    assert_string_equal (tsg_web_form_get (&form, "d"), "%&=");
    assert_null (tsg_web_form_get (&form, "missing"));
    assert_null (tsg_web_form_get (&form, "na%6De"));
    tsg_web_form_free (&form);
    assert_int_equal (form.count, 0);
    assert_null (form.buffer);
    tsg_web_form_free (&form); /* twice is safe */

    /* Empty pieces are skipped; an empty body is an empty form. */
    assert_true (s_parse (&form, "&&a=1&&"));
    assert_int_equal (form.count, 1);
    tsg_web_form_free (&form);
    assert_true (s_parse (&form, ""));
    assert_int_equal (form.count, 0);
    tsg_web_form_free (&form);
    assert_true (tsg_web_form_parse (&form, NULL, 0));
    assert_int_equal (form.count, 0);
    tsg_web_form_free (&form);

    /* Only len bytes are read. */
    assert_true (tsg_web_form_parse (&form, "a=12345", 4));
    assert_string_equal (tsg_web_form_get (&form, "a"), "12");
    tsg_web_form_free (&form);

    /* Line breaks and tabs of a textarea become spaces. */
    assert_true (s_parse (&form, "t=one%0D%0Atwo%09three"));
    assert_string_equal (tsg_web_form_get (&form, "t"), "one  two three");
    tsg_web_form_free (&form);
}

/* One bad escape, NUL, control character or invalid UTF-8 anywhere refuses the whole form. */
static void
test_form_refused (void **state)
{
    (void) state;
    static const char *const bad[] = {
        "a=%",          "a=%4",         "a=%zz",        "a=%G1",    "a=%%41",      "a=1&b=%",
        "a=%00",        "%00=1",        "a=x%00y",      "a=%01",    "a=%1B",       "a=%7F",
        "a=%FF",        "a=%C3%28",     "a=%E3%81",     "a=%C0%AF", "a=%ED%A0%80", "a=%C2%80",
        "=1",           "a=1&=2",       "ok=1&bad=%FE", "n%FF=1",   "a=\x01",      "a=\xff",
        "ok=1&b=%E3%8", "a=1&b=2&c=%2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsg_web_form_t form;
        memset (&form, 0x5a, sizeof form);
        if (s_parse (&form, bad[i]))
            fail_msg ("\"%s\" was accepted", bad[i]);
        assert_int_equal (form.count, 0);
        assert_null (form.buffer);
        assert_null (tsg_web_form_get (&form, "a"));
        assert_null (tsg_web_form_get (&form, "ok"));
        tsg_web_form_free (&form);
    }
    /* A raw NUL byte inside the body. */
    tsg_web_form_t form;
    assert_false (tsg_web_form_parse (&form, "a=b\0c", 5));
    assert_int_equal (form.count, 0);
    tsg_web_form_free (&form);
}

/* A name may repeat (a list: attendees); tsg_web_form_nth reads each in order. */
static void
test_form_repeated (void **state)
{
    (void) state;
    tsg_web_form_t form;
    assert_true (s_parse (&form, "attendees=eldercare-chuo&type=meeting&attendees=poverty-kita"
                                 "&attendees=child-higashi"));
    assert_string_equal (tsg_web_form_nth (&form, "attendees", 0), "eldercare-chuo");
    assert_string_equal (tsg_web_form_nth (&form, "attendees", 1), "poverty-kita");
    assert_string_equal (tsg_web_form_nth (&form, "attendees", 2), "child-higashi");
    assert_null (tsg_web_form_nth (&form, "attendees", 3));
    assert_string_equal (tsg_web_form_get (&form, "attendees"), "eldercare-chuo");
    assert_string_equal (tsg_web_form_nth (&form, "type", 0), "meeting");
    assert_null (tsg_web_form_nth (&form, "type", 1));
    assert_null (tsg_web_form_nth (&form, "nothing", 0));
    tsg_web_form_free (&form);
}

/* At most 64 fields. */
static void
test_form_limit (void **state)
{
    (void) state;
    char body[2048] = "";
    size_t n = 0;
    for (int i = 0; i < TSG_WEB_FORM_FIELDS; i++)
        n += (size_t) snprintf (body + n, sizeof body - n, "%sf%d=%d", i ? "&" : "", i, i);
    tsg_web_form_t form;
    assert_true (s_parse (&form, body));
    assert_int_equal (form.count, TSG_WEB_FORM_FIELDS);
    assert_string_equal (tsg_web_form_get (&form, "f63"), "63");
    tsg_web_form_free (&form);
    /* Empty pieces do not count. */
    char with_gaps[2200];
    snprintf (with_gaps, sizeof with_gaps, "&&%s&&", body);
    assert_true (s_parse (&form, with_gaps));
    assert_int_equal (form.count, TSG_WEB_FORM_FIELDS);
    tsg_web_form_free (&form);
    /* One more is refused. */
    snprintf (body + n, sizeof body - n, "&f64=64");
    assert_false (s_parse (&form, body));
    assert_int_equal (form.count, 0);
    tsg_web_form_free (&form);
    /* Many repeats of one name count as many fields. */
    n = 0;
    for (int i = 0; i <= TSG_WEB_FORM_FIELDS; i++)
        n += (size_t) snprintf (body + n, sizeof body - n, "%sx=1", i ? "&" : "");
    assert_false (s_parse (&form, body));
    tsg_web_form_free (&form);
}

static void
test_url_encode (void **state)
{
    (void) state;
    char out[64];
    assert_true (tsg_web_url_encode ("/cases?state=open&x=a b", out, sizeof out));
    assert_string_equal (out, "%2Fcases%3Fstate%3Dopen%26x%3Da%20b");
    assert_true (tsg_web_url_encode ("AZaz09-._~", out, sizeof out));
    assert_string_equal (out, "AZaz09-._~");
    assert_true (tsg_web_url_encode ("つ+%", out, sizeof out));
    assert_string_equal (out, "%E3%81%A4%2B%25");
    assert_true (tsg_web_url_encode ("", out, sizeof out));
    assert_string_equal (out, "");
    /* Exactly fitting, and one byte short. */
    assert_true (tsg_web_url_encode ("abc", out, 4));
    assert_string_equal (out, "abc");
    assert_false (tsg_web_url_encode ("abcd", out, 4));
    assert_true (tsg_web_url_encode ("a/", out, 5));
    assert_string_equal (out, "a%2F");
    assert_false (tsg_web_url_encode ("a/", out, 4));
    assert_true (tsg_web_url_encode ("", out, 1));
    assert_false (tsg_web_url_encode ("", out, 0));
    assert_false (tsg_web_url_encode ("a", out, 0));
    /* What it encodes decodes back as a form value. */
    const char *text = "a&b=c d+e/%つなぐ";
    char body[128];
    snprintf (body, sizeof body, "v=");
    assert_true (tsg_web_url_encode (text, body + 2, sizeof body - 2));
    tsg_web_form_t form;
    assert_true (s_parse (&form, body));
    assert_string_equal (tsg_web_form_get (&form, "v"), text);
    tsg_web_form_free (&form);
}

/* ---- html ---------------------------------------------------------------------------- */

static void
test_html_escape (void **state)
{
    (void) state;
    tsg_html_t h = { 0 };
    tsg_html_raw (&h, "<p title=\"");
    tsg_html_text (&h, "\"><script>alert('x')</script>");
    tsg_html_raw (&h, "\">");
    tsg_html_text (&h, "Tom & Jerry's <b>");
    tsg_html_text (&h, NULL);
    tsg_html_raw (&h, NULL);
    tsg_html_text (&h, "つなぐ&");
    tsg_html_raw (&h, "</p>");
    size_t len = 0;
    char *text = tsg_html_take (&h, &len);
    assert_non_null (text);
    assert_string_equal (text, "<p title=\"&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
                               "&gt;\">Tom &amp; Jerry&#39;s &lt;b&gt;つなぐ&amp;</p>");
    assert_int_equal (len, strlen (text));
    assert_null (h.data);
    free (text);

    /* Numbers, formats long and short, bytes with a NUL. */
    tsg_html_u64 (&h, UINT64_MAX);
    tsg_html_raw (&h, " ");
    tsg_html_u64 (&h, 0);
    char big[2000];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tsg_html_fmt (&h, "[%s|%d]", big, 42);
    tsg_html_bytes (&h, "a\0b", 3);
    text = tsg_html_take (&h, &len);
    assert_non_null (text);
    assert_int_equal (len, strlen ("18446744073709551615 0") + 1 + strlen (big) + 4 + 3);
    assert_memory_equal (text, "18446744073709551615 0[", 23);
    assert_memory_equal (text + len - 7, "|42]a\0b", 7);
    free (text);

    /* Nothing built: an empty text, not a failure. */
    text = tsg_html_take (&h, &len);
    assert_non_null (text);
    assert_string_equal (text, "");
    assert_int_equal (len, 0);
    free (text);
    tsg_html_free (&h);
    tsg_html_free (&h);
}

/* After a failure every call does nothing, and take answers NULL (freeing what was built). */
static void
test_html_failure (void **state)
{
    (void) state;
    tsg_html_t h = { 0 };
    tsg_html_raw (&h, "<p>before</p>");
    h.failed = true; /* as when memory ran out */
    size_t len_before = h.len;
    tsg_html_raw (&h, "after");
    tsg_html_text (&h, "<after>");
    tsg_html_fmt (&h, "%d", 1);
    tsg_html_u64 (&h, 2);
    tsg_html_bytes (&h, "x", 1);
    assert_int_equal (h.len, len_before);
    size_t len = 99;
    assert_null (tsg_html_take (&h, &len));
    assert_null (h.data);
    assert_int_equal (h.len, 0);
    /* take (or free) forgets the failure: the builder may be used again. */
    assert_false (h.failed);
    tsg_html_raw (&h, "again");
    char *text = tsg_html_take (&h, NULL);
    assert_string_equal (text, "again");
    free (text);

#if !defined(__SANITIZE_ADDRESS__)
#if defined(__has_feature)
#if !__has_feature(address_sanitizer)
#define TEST_HUGE_ALLOCATION 1
#endif
#else
#define TEST_HUGE_ALLOCATION 1
#endif
#endif
#ifdef TEST_HUGE_ALLOCATION
    /* A real failure: more than any machine gives (the bytes are never read). */
    tsg_html_raw (&h, "start");
    tsg_html_bytes (&h, "", (size_t) 1 << 46);
    assert_true (h.failed);
    tsg_html_raw (&h, "more");
    assert_null (tsg_html_take (&h, NULL));
#endif
    tsg_html_free (&h);
}

/* ---- the case event form ------------------------------------------------------------- */

/* The control request of body, or NULL with *code. */
static json_t *
s_request (const char *body, const char **code)
{
    tsg_web_form_t form;
    if (!s_parse (&form, body))
        fail_msg ("not a form: %s", body);
    *code = "unset";
    json_t *request = web_case_event_request (&form, CASE_ID, "sato.k", code);
    tsg_web_form_free (&form);
    return request;
}

/* The request of body, which must be given, as compact JSON with sorted keys (caller frees). */
static char *
s_request_text (const char *body)
{
    const char *code = "unset";
    json_t *request = s_request (body, &code);
    if (!request)
        fail_msg ("%s refused: %s", body, code ? code : "(null)");
    assert_null (code);
    char *text = json_dumps (request, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (request);
    return text;
}

#define REQ_HEAD "{\"actor\":\"sato.k\",\"base_version\":%d,\"case_id\":\"" CASE_ID "\","

static void
s_expect_request (const char *body, const char *expected)
{
    char *text = s_request_text (body);
    assert_string_equal (text, expected);
    free (text);
}

static void
test_case_event_types (void **state)
{
    (void) state;
    char expected[1024];
    snprintf (expected, sizeof expected,
              REQ_HEAD "\"command\":\"case-event\",\"state\":\"support\",\"type\":\"state\"}", 3);
    s_expect_request ("csrf=x&type=state&base_version=3&state=support&close_reason=died", expected);

    snprintf (expected, sizeof expected,
              REQ_HEAD "\"close_reason\":\"goal-achieved\",\"command\":\"case-event\","
                       "\"type\":\"close\"}",
              12);
    s_expect_request ("type=close&base_version=12&close_reason=goal-achieved", expected);

    snprintf (expected, sizeof expected,
              REQ_HEAD "\"command\":\"case-event\",\"reason_code\":\"relapse\","
                       "\"type\":\"reopen\"}",
              7);
    s_expect_request ("type=reopen&base_version=7&reason_code=relapse", expected);

    /* A meeting with its attendees (in the order given) and the consent it rests on. */
    snprintf (expected, sizeof expected,
              REQ_HEAD "\"command\":\"case-event\",\"consent_id\":\"c-1\",\"meeting\":{"
                       "\"attendees\":[\"eldercare-chuo\",\"poverty-kita\"],\"decision\":"
                       "\"plan-adopted\",\"held_on\":\"2026-12-01\",\"kind\":\"jusoteki\"},"
                       "\"type\":\"meeting\"}",
              4);
    s_expect_request ("type=meeting&base_version=4&meeting_kind=jusoteki&held_on=2026-12-01"
                      "&attendees=eldercare-chuo&attendees=poverty-kita&decision=plan-adopted"
                      "&consent_id=c-1",
                      expected);
    /* Without a consent (a shien meeting): no consent_id at all, not an empty one; no
     * attendees is an empty list (the coordinator judges it). */
    snprintf (expected, sizeof expected,
              REQ_HEAD "\"command\":\"case-event\",\"meeting\":{\"attendees\":[],"
                       "\"decision\":\"continue\",\"held_on\":\"2026-12-02\",\"kind\":\"shien\"},"
                       "\"type\":\"meeting\"}",
              5);
    s_expect_request ("type=meeting&base_version=5&meeting_kind=shien&held_on=2026-12-02"
                      "&decision=continue&consent_id=",
                      expected);

    /* A plan: roles paired with their agencies in order; an empty label leaves that agency
     * out. */
    snprintf (expected, sizeof expected,
              REQ_HEAD "\"command\":\"case-event\",\"plan\":{\"next_review_on\":\"2027-01-15\","
                       "\"roles\":[{\"agency\":\"eldercare-chuo\",\"role\":\"見守り\"},"
                       "{\"agency\":\"child-higashi\",\"role\":\"school liaison\"}]},"
                       "\"type\":\"plan\"}",
              6);
    s_expect_request ("type=plan&base_version=6&role_agency=eldercare-chuo&role_label=%E8%A6%8B"
                      "%E5%AE%88%E3%82%8A&role_agency=poverty-kita&role_label=&role_agency="
                      "child-higashi&role_label=school+liaison&next_review_on=2027-01-15",
                      expected);

    snprintf (expected, sizeof expected,
              REQ_HEAD "\"command\":\"case-event\",\"note\":{\"category\":\"visit\","
                       "\"written_on\":\"2026-11-30\"},\"type\":\"note\"}",
              8);
    s_expect_request ("type=note&base_version=8&category=visit&written_on=2026-11-30", expected);
}

static void
test_case_event_refused (void **state)
{
    (void) state;
    static const char *const bad[] = {
        "type=state&state=support",                     /* no base_version */
        "type=state&base_version=&state=support",       /* an empty one */
        "type=state&base_version=0&state=support",      /* not a version */
        "type=state&base_version=-1&state=support",     /* ... */
        "type=state&base_version=3x&state=support",     /* ... */
        "type=state&base_version=abc&state=support",    /* ... */
        "type=state&base_version=+3+&state=support",    /* ... */
        "base_version=3&state=support",                 /* no type */
        "type=&base_version=3",                         /* an empty type */
        "type=referral&base_version=3",                 /* not one the form records */
        "type=STATE&base_version=3&state=support",      /* ... */
        "type=state&base_version=3",                    /* no state */
        "type=state&base_version=3&state=",             /* an empty state */
        "type=close&base_version=3",                    /* no reason */
        "type=reopen&base_version=3&close_reason=died", /* the wrong reason field */
        "type=meeting&base_version=3&held_on=2026-12-01&decision=continue",
        "type=meeting&base_version=3&meeting_kind=shien&decision=continue",
        "type=meeting&base_version=3&meeting_kind=shien&held_on=2026-12-01",
        "type=plan&base_version=3&role_agency=a&role_label=b",
        "type=note&base_version=3&category=visit",
        "type=note&base_version=3&written_on=2026-11-30",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *code = "unset";
        json_t *request = s_request (bad[i], &code);
        if (request) {
            char *text = json_dumps (request, JSON_COMPACT);
            fail_msg ("\"%s\" made %s", bad[i], text);
        }
        assert_non_null (code);
        assert_string_equal (code, "malformed");
    }
    /* Each refusal code has its sentence in both languages; an unknown one a general one. */
    static const char *const codes[] = { "stale_version",       "illegal_transition",
                                         "missing_legal_basis", "not_permitted",
                                         "unknown_case",        "malformed",
                                         "forbidden",           "store" };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *ja = web_case_event_error (codes[i], false);
        const char *en = web_case_event_error (codes[i], true);
        assert_string_not_equal (ja, en);
        assert_string_not_equal (ja, web_case_event_error ("no-such-code", false));
        assert_string_not_equal (en, web_case_event_error ("no-such-code", true));
    }
    assert_string_equal (web_case_event_error ("no-such-code", true), "The event was refused.");
    assert_non_null (strstr (web_case_event_error ("stale_version", false), "ほかの人"));
}

/* ---- labels -------------------------------------------------------------------------- */

static void
test_labels (void **state)
{
    (void) state;
    assert_string_equal (web_word (WEB_WORD_CASE_STATE, "open", false), "相談受付");
    assert_string_equal (web_word (WEB_WORD_CASE_STATE, "open", true), "Consultation");
    assert_string_equal (web_word (WEB_WORD_CASE_STATE, "multi-agency", false), "多機関協働");
    assert_string_equal (web_word (WEB_WORD_REF_STATE, "received", false), "受付済");
    assert_string_equal (web_word (WEB_WORD_AGENCY_TYPE, "eldercare", false),
                         "地域包括支援センター");
    assert_string_equal (web_word (WEB_WORD_CLOSE_REASON, "goal-achieved", true), "Goal achieved");
    assert_string_equal (web_word (WEB_WORD_MEETING, "jusoteki", false), "重層的支援会議");
    assert_string_equal (web_word (WEB_WORD_DECISION, "plan-adopted", false), "プラン決定");
    assert_string_equal (web_word (WEB_WORD_EVENT, "reopen", true), "Reopened");
    assert_string_equal (web_word (WEB_WORD_AGENCY_STATUS, "suspended", false), "停止中");
    /* Unknown: the code itself; a code of another kind is unknown here. */
    const char *code = "something-new";
    assert_ptr_equal (web_word (WEB_WORD_CASE_STATE, code, false), code);
    assert_string_equal (web_word (WEB_WORD_CASE_STATE, "received", true), "received");
    assert_null (web_word (WEB_WORD_EVENT, NULL, false));

    /* Every kind lists its codes, each with a Japanese and an English label; the ones the
     * pages rely on are there. */
    static const struct {
        web_word_kind_t kind;
        const char *codes[8];
    } kinds[] = {
        { WEB_WORD_CASE_STATE, { "open", "multi-agency", "support", "watch", "closed" } },
        { WEB_WORD_REF_STATE, { "requested", "received", "accepted", "completed" } },
        { WEB_WORD_AGENCY_TYPE, { "eldercare", "disability", "child", "poverty" } },
        { WEB_WORD_CLOSE_REASON, { "goal-achieved", "moved-away", "other" } },
        { WEB_WORD_MEETING, { "jusoteki", "shien", "core", "chiiki-care" } },
        { WEB_WORD_DECISION, { "plan-adopted", "continue", "other" } },
        { WEB_WORD_EVENT, { "state", "meeting", "plan", "note", "close", "reopen" } },
        { WEB_WORD_AGENCY_STATUS, { "active", "suspended", "revoked" } },
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        const char *const *codes = web_words (kinds[k].kind);
        assert_ptr_equal (codes, web_words (kinds[k].kind)); /* made once */
        size_t n = 0;
        while (codes[n])
            n++;
        assert_true (n > 0 && n < 16);
        for (size_t i = 0; i < n; i++) {
            const char *ja = web_word (kinds[k].kind, codes[i], false);
            const char *en = web_word (kinds[k].kind, codes[i], true);
            if (ja == codes[i] || en == codes[i])
                fail_msg ("kind %d: %s has no label", (int) kinds[k].kind, codes[i]);
            assert_true (strlen (ja) > 0 && strlen (en) > 0);
            /* The Japanese label is Japanese (holds a byte past ASCII). */
            bool wide = false;
            for (const unsigned char *c = (const unsigned char *) ja; *c; c++)
                wide = wide || *c >= 0x80;
            assert_true (wide);
        }
        for (size_t j = 0; kinds[k].codes[j]; j++) {
            bool listed = false;
            for (size_t i = 0; i < n; i++)
                listed = listed || strcmp (codes[i], kinds[k].codes[j]) == 0;
            if (!listed)
                fail_msg ("kind %d does not list %s", (int) kinds[k].kind, kinds[k].codes[j]);
        }
    }
    assert_string_equal (web_words (WEB_WORD_CASE_STATE)[0], "open");
    assert_string_equal (web_word (WEB_WORD_AGENCY_TYPE, "disability", false), "相談支援事業所");
    /* The event form's kinds all have labels (the form shows them). */
    static const char *const types[] = { "state", "meeting", "plan", "note", "close", "reopen" };
    for (size_t i = 0; i < 6; i++)
        assert_string_not_equal (web_word (WEB_WORD_EVENT, types[i], false), types[i]);
}

int
main (void)
{
    log_init ("test_web_parts", false);
    assert_int_equal (sodium_init () < 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sessions_start_find),
        cmocka_unit_test (test_sessions_idle),
        cmocka_unit_test (test_sessions_absolute),
        cmocka_unit_test (test_sessions_end),
        cmocka_unit_test (test_sessions_full),
        cmocka_unit_test (test_sessions_malformed),
        cmocka_unit_test (test_token_equal),
        cmocka_unit_test (test_guard_name_lock),
        cmocka_unit_test (test_guard_success_clears),
        cmocka_unit_test (test_guard_address),
        cmocka_unit_test (test_guard_rate),
        cmocka_unit_test (test_form_decode),
        cmocka_unit_test (test_form_refused),
        cmocka_unit_test (test_form_repeated),
        cmocka_unit_test (test_form_limit),
        cmocka_unit_test (test_url_encode),
        cmocka_unit_test (test_html_escape),
        cmocka_unit_test (test_html_failure),
        cmocka_unit_test (test_case_event_types),
        cmocka_unit_test (test_case_event_refused),
        cmocka_unit_test (test_labels),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
