/* test_hub_users.c — the staff accounts of the coordinator's dashboard (model/users.h) and their
 * control commands (daemon/admin_users.h): a record reads back as written and a damaged one is
 * no account; the rules for names and passwords; an Argon2id hash that verifies only its own
 * password; each command changes what it says, is audited as "staff" with the user, the change,
 * the role, the actor and the way, and wipes the password it was given; every refusal (a wrong
 * JSON type, a bad name, an unknown role, a weak password, an unknown or existing user) says
 * why and changes nothing, not even the audit log. */
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
#include <time.h>

#include "coordinator/daemon/admin_users.h"
#include "coordinator/daemon/control.h"
#include "coordinator/model/store.h"
#include "coordinator/model/users.h"
#include "test_hub_fixture.h"

#define PASSWORD  "correct horse battery"
#define PASSWORD2 "staple 電池 horse"

/* The fixture and the audit log its commands write to. */
typedef struct {
    hub_fixture_t *f;       /* the coordinator's world */
    tsg_hub_audit_t *audit; /* its audit log (the intake's) */
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    w->f = hub_fixture_new ("hub-users");
    w->audit = kit_audit_open (w->f);
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    s_world_t *w = *state;
    tsg_hub_audit_destroy (&w->audit);
    hub_fixture_destroy (&w->f);
    free (w);
    return 0;
}

/* The answer to one control request (parsed; caller decrefs), as the socket gives it. */
static json_t *
s_control (s_world_t *w, const char *via, const char *request)
{
    tsg_hub_control_env_t env = { .store = w->f->store,
                                  .intake = w->f->intake,
                                  .keys = w->f->coordinator,
                                  .directory = w->f->directory,
                                  .via = via };
    char *reply = tsg_hub_control_answer (&env, request, strlen (request));
    assert_non_null (reply);
    json_t *root = json_loads (reply, 0, NULL);
    if (!json_is_object (root))
        fail_msg ("not a JSON object: %s", reply);
    free (reply);
    return root;
}

/* The same, expected to succeed; changed says whether it changed something. */
static json_t *
s_ok (s_world_t *w, const char *request, bool changed)
{
    json_t *reply = s_control (w, NULL, request);
    if (!json_is_true (json_object_get (reply, "ok")))
        fail_msg ("%s refused: %s", request,
                  json_string_value (json_object_get (reply, "message")));
    assert_int_equal (json_is_true (json_object_get (reply, "changed")), changed);
    assert_non_null (json_object_get (reply, "user"));
    return reply;
}

/* The account name as stored; false when there is none. */
static bool
s_get (s_world_t *w, const char *name, tsg_hub_user_t *out)
{
    tsg_txn_t txn;
    tsg_txn_begin (w->f->store, &txn, false);
    bool found = tsg_hub_user_get (&txn, name, out);
    assert_int_equal (txn.rc, TSG_OK);
    tsg_txn_abort (&txn);
    return found;
}

/* The audit log's text (flushed; the chain verified; caller frees). */
static char *
s_audit (s_world_t *w)
{
    return kit_audit_text (w->f, w->audit);
}

/* ---- the record ------------------------------------------------------------------------ */

static void
test_record_round_trip (void **state)
{
    s_world_t *w = *state;
    tsg_hub_user_t u = { .name = "sato.k",
                         .role = TSG_HUB_ROLE_COORDINATOR,
                         .disabled = true,
                         .created_at_ms = T0,
                         .changed_at_ms = T0 + 5,
                         .password_at_ms = T0 + 3,
                         .changed_by = "root" };
    assert_int_equal (tsg_hub_user_password_hash (PASSWORD, u.hash), TSG_OK);
    tsg_hub_user_t v = u;
    snprintf (v.name, sizeof v.name, "aoki");
    v.role = TSG_HUB_ROLE_ADMIN;
    v.disabled = false;
    tsg_txn_t txn;
    tsg_txn_begin (w->f->store, &txn, true);
    tsg_hub_user_put (&txn, &u);
    tsg_hub_user_put (&txn, &v);
    /* A damaged record, one of an unknown format, one of an unknown role: no accounts. */
    MDB_dbi db = tsg_store_db (w->f->store, TSG_HUB_DB_USERS);
    tsg_txn_put (&txn, db, "broken", 6, "\x01\x02", 2);
    tsg_txn_put (&txn, db, "future", 6, "\x02\x01\x00\x01x", 5);
    uint8_t bad_role[64] = { 1, 9, 0, 1, 'x' };
    tsg_txn_put (&txn, db, "badrole", 7, bad_role, 5 + 24 + 1);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);

    tsg_hub_user_t got;
    assert_true (s_get (w, "sato.k", &got));
    assert_string_equal (got.name, "sato.k");
    assert_int_equal (got.role, TSG_HUB_ROLE_COORDINATOR);
    assert_true (got.disabled);
    assert_string_equal (got.hash, u.hash);
    assert_int_equal (got.created_at_ms, T0);
    assert_int_equal (got.changed_at_ms, T0 + 5);
    assert_int_equal (got.password_at_ms, T0 + 3);
    assert_string_equal (got.changed_by, "root");
    assert_false (s_get (w, "broken", &got));
    assert_false (s_get (w, "future", &got));
    assert_false (s_get (w, "badrole", &got));
    assert_false (s_get (w, "nobody", &got));
    assert_false (s_get (w, "Not A Name", &got));

    tsg_txn_begin (w->f->store, &txn, false);
    tsg_hub_user_t *list = NULL;
    size_t count = 0;
    assert_int_equal (tsg_hub_user_list (&txn, &list, &count), TSG_OK);
    tsg_txn_abort (&txn);
    assert_int_equal (count, 2);
    assert_string_equal (list[0].name, "aoki");
    assert_int_equal (list[0].role, TSG_HUB_ROLE_ADMIN);
    assert_string_equal (list[1].name, "sato.k");
    free (list);

    /* The JSON view never shows the hash. */
    json_t *view = tsg_hub_user_json (&u);
    char *text = json_dumps (view, JSON_COMPACT);
    assert_null (strstr (text, "argon2"));
    assert_non_null (strstr (text, "\"role\":\"coordinator\""));
    assert_non_null (strstr (text, "\"disabled\":true"));
    free (text);
    json_decref (view);

    tsg_txn_begin (w->f->store, &txn, true);
    tsg_hub_user_remove (&txn, "sato.k");
    tsg_hub_user_remove (&txn, "nobody");
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    assert_false (s_get (w, "sato.k", &got));
    assert_true (s_get (w, "aoki", &got));
}

static void
test_name_rules (void **state)
{
    (void) state;
    const char *good[] = {
        "a", "aoki", "0day", "sato.k", "a_b-c.d", "yamada-2", "abcdefghijklmnopqrstuvwxyz012345"
    };
    const char *bad[] = { "",
                          "-a",
                          ".a",
                          "_a",
                          "Aoki",
                          "a b",
                          "a/b",
                          "佐藤",
                          "a\tb",
                          "a@b",
                          "a:b",
                          "aoki\n",
                          "abcdefghijklmnopqrstuvwxyz0123456" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!tsg_hub_user_name_ok (good[i]))
            fail_msg ("\"%s\" refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tsg_hub_user_name_ok (bad[i]))
            fail_msg ("\"%s\" accepted", bad[i]);
    assert_false (tsg_hub_user_name_ok (NULL));

    tsg_hub_staff_role_t role;
    assert_true (tsg_hub_staff_role_parse ("viewer", &role));
    assert_int_equal (role, TSG_HUB_ROLE_VIEWER);
    assert_true (tsg_hub_staff_role_parse ("admin", &role));
    assert_int_equal (role, TSG_HUB_ROLE_ADMIN);
    assert_false (tsg_hub_staff_role_parse ("Admin", &role));
    assert_false (tsg_hub_staff_role_parse ("root", &role));
    assert_false (tsg_hub_staff_role_parse (NULL, &role));
    assert_string_equal (tsg_hub_staff_role_name (TSG_HUB_ROLE_COORDINATOR), "coordinator");

    /* Each role allows what the ones before it allow; a disabled account nothing. */
    tsg_hub_user_t u = { .name = "x", .role = TSG_HUB_ROLE_COORDINATOR };
    assert_true (tsg_hub_user_may (&u, TSG_HUB_ROLE_VIEWER));
    assert_true (tsg_hub_user_may (&u, TSG_HUB_ROLE_COORDINATOR));
    assert_false (tsg_hub_user_may (&u, TSG_HUB_ROLE_ADMIN));
    u.disabled = true;
    assert_false (tsg_hub_user_may (&u, TSG_HUB_ROLE_VIEWER));
}

static void
test_password_policy (void **state)
{
    (void) state;
    char long_ok[129], too_long[130];
    memset (long_ok, 'x', 128);
    long_ok[128] = '\0';
    memset (too_long, 'x', 129);
    too_long[129] = '\0';
    const char *why = NULL;
    assert_true (tsg_hub_user_password_ok ("aoki", "0123456789", &why));
    assert_null (why);
    assert_true (tsg_hub_user_password_ok ("aoki", long_ok, NULL));
    assert_true (tsg_hub_user_password_ok ("aoki", "ひみつのあいことば", NULL));
    assert_true (tsg_hub_user_password_ok ("aoki", "has spaces in it", NULL));
    const char *bad[] = { "",           "012345678",      too_long, "\xff\xfe not utf-8",
                          "tab\there1", "new\nline here", NULL };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (tsg_hub_user_password_ok ("aoki", bad[i], &why))
            fail_msg ("password %zu accepted", i);
        assert_non_null (why);
    }
    assert_false (tsg_hub_user_password_ok ("long.name.1", "long.name.1", &why));
    assert_non_null (strstr (why, "name"));
}

/* Milliseconds of the monotonic clock. */
static double
s_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static void
test_hash_verifies (void **state)
{
    (void) state;
    tsg_hub_user_t u = { .name = "aoki", .role = TSG_HUB_ROLE_VIEWER };
    assert_int_equal (tsg_hub_user_password_hash (PASSWORD, u.hash), TSG_OK);
    /* Argon2id with OWASP's parameters, a salt of its own each time. */
    assert_memory_equal (u.hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31);
    assert_null (strstr (u.hash, PASSWORD));
    char again[TSG_HUB_USER_HASH_SIZE];
    assert_int_equal (tsg_hub_user_password_hash (PASSWORD, again), TSG_OK);
    assert_string_not_equal (u.hash, again);
    double start = s_ms ();
    assert_true (tsg_hub_user_password_matches (&u, PASSWORD));
    double verify_ms = s_ms () - start;
    assert_false (tsg_hub_user_password_matches (&u, PASSWORD "x"));
    assert_false (tsg_hub_user_password_matches (&u, "correct horse batter"));
    assert_false (tsg_hub_user_password_matches (&u, ""));
    assert_false (tsg_hub_user_password_matches (&u, NULL));
    tsg_hub_user_t empty = { .name = "x" };
    assert_false (tsg_hub_user_password_matches (&empty, ""));
    /* The dummy costs what a real verification costs (the same parameters). */
    start = s_ms ();
    tsg_hub_user_password_burn (PASSWORD);
    double burn_ms = s_ms () - start;
    tsg_hub_user_password_burn (NULL);
    if (burn_ms < verify_ms / 4)
        fail_msg ("the dummy verification took %.1f ms, a real one %.1f ms", burn_ms, verify_ms);
}

/* ---- the control commands ---------------------------------------------------------------- */

static void
test_commands_change_and_audit (void **state)
{
    s_world_t *w = *state;
    json_t *reply = s_ok (w,
                          "{\"command\": \"user-add\", \"name\": \"aoki\", \"role\": "
                          "\"coordinator\", \"password\": \"" PASSWORD "\", \"actor\": \"root\"}",
                          true);
    json_t *user = json_object_get (reply, "user");
    assert_string_equal (json_string_value (json_object_get (user, "name")), "aoki");
    assert_string_equal (json_string_value (json_object_get (user, "role")), "coordinator");
    assert_true (json_is_false (json_object_get (user, "disabled")));
    assert_string_equal (json_string_value (json_object_get (user, "changed_by")), "root");
    assert_non_null (json_string_value (json_object_get (user, "created_at")));
    assert_null (json_object_get (user, "hash"));
    json_decref (reply);
    tsg_hub_user_t u;
    assert_true (s_get (w, "aoki", &u));
    assert_true (tsg_hub_user_password_matches (&u, PASSWORD));
    assert_int_equal (u.created_at_ms, T0);
    assert_int_equal (u.password_at_ms, T0);

    /* A new password: the old one no longer matches, password_at moves (sessions end). */
    hub_now = T0 + 60000;
    json_decref (s_ok (w,
                       "{\"command\": \"user-passwd\", \"name\": \"aoki\", \"password\": "
                       "\"" PASSWORD2 "\", \"actor\": \"admin-a\"}",
                       true));
    assert_true (s_get (w, "aoki", &u));
    assert_false (tsg_hub_user_password_matches (&u, PASSWORD));
    assert_true (tsg_hub_user_password_matches (&u, PASSWORD2));
    assert_int_equal (u.password_at_ms, T0 + 60000);
    assert_int_equal (u.created_at_ms, T0);
    assert_string_equal (u.changed_by, "admin-a");

    hub_now = T0 + 120000;
    json_decref (s_ok (w,
                       "{\"command\": \"user-role\", \"name\": \"aoki\", \"role\": \"admin\", "
                       "\"actor\": \"root\"}",
                       true));
    json_decref (s_ok (w,
                       "{\"command\": \"user-role\", \"name\": \"aoki\", \"role\": \"admin\", "
                       "\"actor\": \"root\"}",
                       false));
    json_decref (
        s_ok (w, "{\"command\": \"user-disable\", \"name\": \"aoki\", \"actor\": \"root\"}", true));
    assert_true (s_get (w, "aoki", &u));
    assert_true (u.disabled);
    assert_int_equal (u.role, TSG_HUB_ROLE_ADMIN);
    assert_int_equal (u.changed_at_ms, T0 + 120000);
    assert_int_equal (u.password_at_ms, T0 + 60000);
    assert_false (tsg_hub_user_may (&u, TSG_HUB_ROLE_VIEWER));
    json_decref (s_ok (
        w, "{\"command\": \"user-disable\", \"name\": \"aoki\", \"actor\": \"root\"}", false));
    json_decref (
        s_ok (w, "{\"command\": \"user-enable\", \"name\": \"aoki\", \"actor\": \"root\"}", true));
    json_decref (
        s_ok (w, "{\"command\": \"user-enable\", \"name\": \"aoki\", \"actor\": \"root\"}", false));
    assert_true (s_get (w, "aoki", &u));
    assert_false (u.disabled);
    reply =
        s_ok (w, "{\"command\": \"user-remove\", \"name\": \"aoki\", \"actor\": \"root\"}", true);
    assert_true (json_is_true (json_object_get (reply, "removed")));
    json_decref (reply);
    assert_false (s_get (w, "aoki", &u));

    /* One "staff" record per change (none for what changed nothing), with who and how. */
    char *text = s_audit (w);
    assert_int_equal (kit_occurs (text, "\"event\":\"staff\""), 6);
    const char *expect[] = {
        "\"kind\":\"user-add\",\"details\":{\"user\":\"aoki\",\"change\":\"add\",\"role\":"
        "\"coordinator\",\"actor\":\"root\",\"via\":\"control\"}",
        "\"details\":{\"user\":\"aoki\",\"change\":\"passwd\",\"role\":\"coordinator\","
        "\"actor\":\"admin-a\",\"via\":\"control\"}",
        "\"details\":{\"user\":\"aoki\",\"change\":\"role\",\"role\":\"admin\",\"actor\":"
        "\"root\",\"via\":\"control\",\"from_role\":\"coordinator\"}",
        "\"change\":\"disable\"",
        "\"change\":\"enable\"",
        "\"kind\":\"user-remove\",\"details\":{\"user\":\"aoki\",\"change\":\"remove\"",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (kit_occurs (text, expect[i]) != 1)
            fail_msg ("the audit log lacks %s:\n%s", expect[i], text);
    /* Neither the password nor its hash is in the log or the store. */
    assert_null (strstr (text, PASSWORD));
    assert_null (strstr (text, "argon2"));
    free (text);

    json_decref (s_control (w, "offline",
                            "{\"command\": \"user-add\", \"name\": \"b\", \"role\": \"viewer\", "
                            "\"password\": \"" PASSWORD "\", \"actor\": \"ops\"}"));
    text = s_audit (w);
    assert_int_equal (kit_occurs (text, "\"actor\":\"ops\",\"via\":\"offline\""), 1);
    free (text);
}

/* Expects request to be refused with code, changing neither the store nor the audit log. */
static void
s_refused (s_world_t *w, const char *request, const char *code)
{
    size_t before = hub_txnid (w->f);
    size_t pending = tsg_hub_audit_pending (w->audit);
    json_t *reply = s_control (w, NULL, request);
    const char *error = json_string_value (json_object_get (reply, "error"));
    if (!json_is_false (json_object_get (reply, "ok")) || !error || strcmp (error, code) != 0)
        fail_msg ("%s: expected %s, got %s (%s)", request, code, error ? error : "ok",
                  json_string_value (json_object_get (reply, "message")));
    const char *message = json_string_value (json_object_get (reply, "message"));
    assert_non_null (message);
    assert_true (strlen (message) > 10);
    json_decref (reply);
    assert_int_equal (hub_txnid (w->f), before);
    assert_int_equal (tsg_hub_audit_pending (w->audit), pending);
}

static void
test_refusals_change_nothing (void **state)
{
    s_world_t *w = *state;
    json_decref (s_ok (w,
                       "{\"command\": \"user-add\", \"name\": \"aoki\", \"role\": \"viewer\", "
                       "\"password\": \"" PASSWORD "\", \"actor\": \"root\"}",
                       true));
    tsg_hub_user_t before, after;
    assert_true (s_get (w, "aoki", &before));
    char *log_before = s_audit (w);

#define ADD(fields)   "{\"command\": \"user-add\", " fields "}"
#define OK_ADD_FIELDS "\"role\": \"viewer\", \"password\": \"" PASSWORD "\", \"actor\": \"root\""
    /* The name, as a stranger might send it. */
    s_refused (w, ADD ("\"name\": 7, " OK_ADD_FIELDS), "bad_request");
    s_refused (w, ADD (OK_ADD_FIELDS), "bad_request");
    s_refused (w, ADD ("\"name\": \"Aoki\", " OK_ADD_FIELDS), "bad_request");
    s_refused (w, ADD ("\"name\": \"-x\", " OK_ADD_FIELDS), "bad_request");
    s_refused (w, ADD ("\"name\": \"new\\u0000x\", " OK_ADD_FIELDS), "bad_request");
    s_refused (w, ADD ("\"name\": [\"new\"], " OK_ADD_FIELDS), "bad_request");
    s_refused (w, ADD ("\"name\": \"abcdefghijklmnopqrstuvwxyz0123456\", " OK_ADD_FIELDS),
               "bad_request");
    /* The actor. */
    s_refused (w, ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"" PASSWORD "\""),
               "bad_request");
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"" PASSWORD
                    "\", \"actor\": \"\""),
               "bad_request");
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"" PASSWORD
                    "\", \"actor\": true"),
               "bad_request");
    /* The role. */
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"root\", \"password\": \"" PASSWORD
                    "\", \"actor\": \"root\""),
               "bad_request");
    s_refused (
        w,
        ADD ("\"name\": \"new\", \"role\": 3, \"password\": \"" PASSWORD "\", \"actor\": \"root\""),
        "bad_request");
    s_refused (w, ADD ("\"name\": \"new\", \"password\": \"" PASSWORD "\", \"actor\": \"root\""),
               "bad_request");
    /* The password. */
    s_refused (w, ADD ("\"name\": \"new\", \"role\": \"viewer\", \"actor\": \"root\""),
               "bad_request");
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": 1234567890, "
                    "\"actor\": \"root\""),
               "bad_request");
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"short\", "
                    "\"actor\": \"root\""),
               "weak_password");
    s_refused (w,
               ADD ("\"name\": \"new.user.1\", \"role\": \"viewer\", \"password\": "
                    "\"new.user.1\", \"actor\": \"root\""),
               "weak_password");
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"ten bytes\\n!\", "
                    "\"actor\": \"root\""),
               "weak_password");
    s_refused (w,
               ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"0123456789\\u0000"
                    "abc\", \"actor\": \"root\""),
               "bad_request");
    char request[512];
    snprintf (request, sizeof request,
              ADD ("\"name\": \"new\", \"role\": \"viewer\", \"password\": \"%0129d\", "
                   "\"actor\": \"root\""),
              0);
    s_refused (w, request, "weak_password");
    s_refused (w, ADD ("\"name\": \"aoki\", " OK_ADD_FIELDS), "user_exists");

    /* The other commands. */
    s_refused (w,
               "{\"command\": \"user-passwd\", \"name\": \"aoki\", \"password\": \"short\", "
               "\"actor\": \"root\"}",
               "weak_password");
    s_refused (w,
               "{\"command\": \"user-passwd\", \"name\": \"nobody\", \"password\": \"" PASSWORD2
               "\", \"actor\": \"root\"}",
               "unknown_user");
    s_refused (w, "{\"command\": \"user-passwd\", \"name\": \"aoki\", \"actor\": \"root\"}",
               "bad_request");
    s_refused (w,
               "{\"command\": \"user-role\", \"name\": \"aoki\", \"role\": \"superuser\", "
               "\"actor\": \"root\"}",
               "bad_request");
    s_refused (w,
               "{\"command\": \"user-role\", \"name\": \"nobody\", \"role\": \"admin\", "
               "\"actor\": \"root\"}",
               "unknown_user");
    s_refused (w, "{\"command\": \"user-role\", \"name\": \"aoki\", \"actor\": \"root\"}",
               "bad_request");
    const char *verbs[] = { "disable", "enable", "remove" };
    for (size_t i = 0; i < 3; i++) {
        snprintf (request, sizeof request,
                  "{\"command\": \"user-%s\", \"name\": \"nobody\", \"actor\": \"root\"}",
                  verbs[i]);
        s_refused (w, request, "unknown_user");
        snprintf (request, sizeof request,
                  "{\"command\": \"user-%s\", \"name\": null, \"actor\": \"root\"}", verbs[i]);
        s_refused (w, request, "bad_request");
        snprintf (request, sizeof request, "{\"command\": \"user-%s\", \"name\": \"aoki\"}",
                  verbs[i]);
        s_refused (w, request, "bad_request");
    }
    s_refused (w, "{\"command\": \"user-rename\", \"name\": \"aoki\", \"actor\": \"root\"}",
               "unknown_command");

    assert_true (s_get (w, "aoki", &after));
    assert_memory_equal (&before, &after, sizeof before);
    assert_false (s_get (w, "new", &after));
    char *log_after = s_audit (w);
    assert_string_equal (log_before, log_after);
    free (log_before);
    free (log_after);
}

/* The coordinator wipes the password it was given, whatever becomes of the request. */
static void
test_password_wiped (void **state)
{
    s_world_t *w = *state;
    tsg_hub_control_env_t env = { .store = w->f->store, .intake = w->f->intake };
    const char *requests[] = {
        "{\"name\": \"aoki\", \"role\": \"viewer\", \"password\": \"" PASSWORD
        "\", \"actor\": \"root\"}",
        "{\"name\": \"aoki\", \"role\": \"viewer\", \"password\": \"" PASSWORD
        "\", \"actor\": \"root\"}",
        "{\"name\": \"BAD\", \"role\": \"viewer\", \"password\": \"" PASSWORD
        "\", \"actor\": \"root\"}",
        "{\"name\": \"aoki\", \"password\": \"" PASSWORD2 "\", \"actor\": \"root\"}",
    };
    const char *commands[] = { "user-add", "user-add", "user-add", "user-passwd" };
    const char *codes[] = { NULL, "user_exists", "bad_request", NULL };
    for (size_t i = 0; i < 4; i++) {
        json_t *request = json_loads (requests[i], 0, NULL);
        assert_non_null (request);
        json_t *password = json_object_get (request, "password");
        size_t len = json_string_length (password);
        char *answer = tsg_hub_admin_users_answer (&env, commands[i], request);
        assert_non_null (answer);
        if (codes[i])
            assert_non_null (strstr (answer, codes[i]));
        else
            assert_non_null (strstr (answer, "\"ok\":true"));
        assert_null (strstr (answer, "horse"));
        free (answer);
        const char *text = json_string_value (password);
        for (size_t j = 0; j < len; j++)
            if (text[j] != '\0')
                fail_msg ("request %zu: the password is still in memory", i);
        json_decref (request);
    }
    assert_null (tsg_hub_admin_users_answer (&env, "agency-add", NULL));
}

int
main (void)
{
    log_init ("test_hub_users", false);
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_record_round_trip, s_setup, s_teardown),
        cmocka_unit_test (test_name_rules),
        cmocka_unit_test (test_password_policy),
        cmocka_unit_test (test_hash_verifies),
        cmocka_unit_test_setup_teardown (test_commands_change_and_audit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refusals_change_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_password_wiped, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
