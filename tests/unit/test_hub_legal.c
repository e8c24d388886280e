/* test_hub_legal.c — the legal-basis decision on its own (no store, no sockets): each basis
 * allowed when covered and refused, with a sentence naming what is missing, when it is not:
 * consent (missing, unknown, revoked, expired, not yet valid, another case, recipient or
 * category not covered), support-meeting and statutory-meeting (not held, not on the roster),
 * emergency (always routed and flagged from eldercare, disability and child; refused from
 * poverty), none (no categories), and the category names themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "coordinator/intake/legal_basis.h"
#include "tsunagu/tsunagu.h"

#define CASE_A    "0b0e2a52-1c1c-4f7e-9a3c-1d6f0e6a1b2c"
#define CASE_B    "5d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
#define CONSENT_A "c0a1b2c3-d4e5-4f60-8172-8394a5b6c7d8"
#define ELDER     "eldercare-chuo"
#define POVERTY   "poverty-kita"
#define CHILD     "child-higashi"
#define DISAB     "disability-minami"
/* 2026-11-23 12:00 in Japan (03:00 UTC). */
#define NOON_JST 1795402800000ULL
#define DAY_MS   (24ULL * 3600 * 1000)

/* One decision's inputs, kept together so each test changes only what it is about. */
typedef struct {
    tsg_letter_t letter;       /* the letter */
    tsg_header_t header;       /* its header */
    uint8_t body[32];          /* a sealed body stand-in */
    char *categories[8];       /* header.data_categories */
    tsg_hub_case_t *c;         /* the case (heap: it is large) */
    tsg_hub_consent_t consent; /* the consent in the register */
    tsg_hub_legal_in_t in;     /* the inputs */
    tsg_hub_legal_t out;       /* the decision */
} world_t;

/* A referral from eldercare to poverty on CASE_A under consent CONSENT_A (identity, finances),
 * the consent covering poverty by id and child by type, valid 2026-11-01..2026-11-30. */
static int
s_setup (void **state)
{
    world_t *w = calloc (1, sizeof *w);
    assert_non_null (w);
    w->c = calloc (1, sizeof *w->c);
    assert_non_null (w->c);
    uint8_t id[16];
    tsg_letter_prepare (&w->letter, &w->header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, ELDER,
                        POVERTY);
    w->letter.message_id.data = NULL; /* the id array is local: not needed here */
    w->letter.message_id.len = 0;
    memset (w->body, 0x5a, sizeof w->body);
    w->letter.body.data = w->body;
    w->letter.body.len = sizeof w->body;
    w->header.case_id = (char *) CASE_A;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
    w->header.consent_id = (char *) CONSENT_A;
    w->categories[0] = (char *) "identity";
    w->categories[1] = (char *) "finances";
    w->header.data_categories = w->categories;
    w->header.n_data_categories = 2;

    snprintf (w->c->id, sizeof w->c->id, "%s", CASE_A);
    w->c->n_agencies = 2;
    snprintf (w->c->agencies[0], sizeof w->c->agencies[0], "%s", ELDER);
    snprintf (w->c->agencies[1], sizeof w->c->agencies[1], "%s", POVERTY);

    tsg_hub_consent_t *k = &w->consent;
    snprintf (k->id, sizeof k->id, "%s", CONSENT_A);
    snprintf (k->case_id, sizeof k->case_id, "%s", CASE_A);
    k->state = TSG_HUB_CONSENT_ACTIVE;
    snprintf (k->valid_from, sizeof k->valid_from, "2026-11-01");
    snprintf (k->valid_until, sizeof k->valid_until, "2026-11-30");
    uint64_t until_start = 0;
    assert_true (tsg_date_start_ms ("2026-11-01", &k->from_ms));
    assert_true (tsg_date_start_ms ("2026-11-30", &until_start));
    k->until_ms = until_start + DAY_MS;
    k->n_agencies = 1;
    snprintf (k->agencies[0], sizeof k->agencies[0], "%s", POVERTY);
    k->n_types = 1;
    snprintf (k->types[0], sizeof k->types[0], "child");
    k->categories = TSG_HUB_CAT_IDENTITY | TSG_HUB_CAT_FINANCES | TSG_HUB_CAT_FAMILY;

    w->in.letter = &w->letter;
    w->in.sender_type = "eldercare";
    w->in.recipient = POVERTY;
    w->in.recipient_type = "poverty";
    w->in.case_id = CASE_A;
    w->in.c = w->c;
    w->in.consent = &w->consent;
    w->in.now_ms = NOON_JST;
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    world_t *w = *state;
    free (w->c);
    free (w);
    return 0;
}

/* Runs the decision and checks it allowed the letter with basis and flags. */
static void
s_allowed (world_t *w, Tsunagu__V1__LegalBasis basis, unsigned flags)
{
    if (tsg_hub_legal_check (&w->in, &w->out) != 0)
        fail_msg ("refused: %s: %s", tsg_error_code_name (w->out.code), w->out.detail);
    assert_int_equal (w->out.basis, basis);
    assert_int_equal (w->out.flags, flags);
}

/* Runs the decision and checks it refused with code and a detail containing words. */
static void
s_refused (world_t *w, Tsunagu__V1__ErrorCode code, const char *words)
{
    Tsunagu__V1__ErrorCode got = tsg_hub_legal_check (&w->in, &w->out);
    if (got != code)
        fail_msg ("expected %s, got %s: %s", tsg_error_code_name (code),
                  got ? tsg_error_code_name (got) : "allowed", w->out.detail);
    assert_int_equal (w->out.code, code);
    if (!strstr (w->out.detail, words))
        fail_msg ("detail \"%s\" does not say \"%s\"", w->out.detail, words);
}

/* Puts agencies (NULL-terminated) on the case's roster of meeting kind. */
static void
s_roster (tsg_hub_case_t *c, int kind, ...)
{
    va_list ap;
    va_start (ap, kind);
    const char *who;
    c->n_rosters[kind] = 0;
    while ((who = va_arg (ap, const char *)) != NULL)
        snprintf (c->rosters[kind][c->n_rosters[kind]++], TSG_ID_MAX + 1, "%s", who);
    va_end (ap);
}

/* ---- consent ------------------------------------------------------------------------ */

static void
test_consent_allowed_when_covered (void **state)
{
    world_t *w = *state;
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, TSG_HUB_LEGAL_PERSONAL);
    assert_int_equal (w->out.categories, TSG_HUB_CAT_IDENTITY | TSG_HUB_CAT_FINANCES);
    /* Covered by type: any child agency. */
    w->in.recipient = CHILD;
    w->in.recipient_type = "child";
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, TSG_HUB_LEGAL_PERSONAL);
    /* The case need not exist yet (the referral opens it); the consent names it. */
    w->in.c = NULL;
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, TSG_HUB_LEGAL_PERSONAL);
    /* Its first and last days, in Japan time, are inside. */
    assert_true (tsg_date_start_ms ("2026-11-01", &w->in.now_ms));
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, TSG_HUB_LEGAL_PERSONAL);
    w->in.now_ms = w->consent.until_ms - 1; /* 2026-11-30 23:59:59.999 JST */
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, TSG_HUB_LEGAL_PERSONAL);
}

static void
test_consent_missing_or_unknown (void **state)
{
    world_t *w = *state;
    w->header.consent_id = (char *) "";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "no active consent named");
    w->header.consent_id = (char *) "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";
    w->in.consent = NULL;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "consent 9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a is not in the register");
}

static void
test_consent_revoked (void **state)
{
    world_t *w = *state;
    w->consent.state = TSG_HUB_CONSENT_REVOKED;
    w->consent.ended_at_ms = NOON_JST - 3600 * 1000;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "consent " CONSENT_A " was revoked at 2026-11-23T02:00:00.000Z");
    /* The revocation itself may still reach those who hold data under it. */
    w->letter.kind = TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE;
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, TSG_HUB_LEGAL_PERSONAL);
}

static void
test_consent_expired (void **state)
{
    world_t *w = *state;
    /* By the clock, before the coordinator's expiry pass marked it. */
    w->in.now_ms = w->consent.until_ms; /* 2026-12-01 00:00 JST */
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "consent " CONSENT_A " expired on 2026-11-30");
    /* Marked expired. */
    w->in.now_ms = NOON_JST;
    w->consent.state = TSG_HUB_CONSENT_EXPIRED;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "expired on 2026-11-30");
    /* Not valid yet. */
    w->consent.state = TSG_HUB_CONSENT_ACTIVE;
    w->in.now_ms = w->consent.from_ms - 1;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "valid only from 2026-11-01");
}

static void
test_consent_other_case (void **state)
{
    world_t *w = *state;
    w->in.case_id = CASE_B;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "belongs to case " CASE_A ", not to case " CASE_B);
}

static void
test_consent_does_not_cover_recipient (void **state)
{
    world_t *w = *state;
    w->in.recipient = DISAB;
    w->in.recipient_type = "disability";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "consent " CONSENT_A " does not cover " DISAB);
}

static void
test_consent_does_not_cover_category (void **state)
{
    world_t *w = *state;
    w->categories[2] = (char *) "health";
    w->header.n_data_categories = 3;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "consent " CONSENT_A " does not cover category health");
    /* A letter under consent must say what it holds. */
    w->header.n_data_categories = 0;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "data_categories");
}

/* ---- meetings ----------------------------------------------------------------------- */

static void
test_support_meeting (void **state)
{
    world_t *w = *state;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING;
    w->header.consent_id = (char *) "";
    w->in.consent = NULL;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "no 支援会議 has been held on case " CASE_A);
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, ELDER, POVERTY, NULL);
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING, TSG_HUB_LEGAL_PERSONAL);
    /* The recipient off the roster. */
    w->in.recipient = CHILD;
    w->in.recipient_type = "child";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               CHILD " is not on the 支援会議 roster of case " CASE_A);
    /* The sender off the roster. */
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, POVERTY, CHILD, NULL);
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               ELDER " is not on the 支援会議 roster");
    /* Another meeting's roster is not a 支援会議's. */
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, NULL);
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, ELDER, CHILD, NULL);
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "no 支援会議 has been held");
    /* No case at all. */
    w->in.c = NULL;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "no 支援会議 has been held");
}

static void
test_statutory_meeting (void **state)
{
    world_t *w = *state;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING;
    w->header.consent_id = (char *) "";
    w->in.consent = NULL;
    /* eldercare's meeting is the 地域ケア会議; other meetings do not count. */
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, ELDER, POVERTY, NULL);
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU, ELDER, POVERTY, NULL);
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "no 地域ケア会議 has been held on case " CASE_A);
    s_roster (w->c, TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, POVERTY, DISAB, NULL);
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING, TSG_HUB_LEGAL_PERSONAL);
    w->in.recipient = CHILD;
    w->in.recipient_type = "child";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               CHILD " is not on the 地域ケア会議 roster of case " CASE_A);
    /* poverty's own meeting is the 生活困窮者自立支援法 支援会議 (KONKYU). */
    w->letter.sender = (char *) POVERTY;
    w->in.sender_type = "poverty";
    w->in.recipient = ELDER;
    w->in.recipient_type = "eldercare";
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING, TSG_HUB_LEGAL_PERSONAL);
    /* child: 要保護児童対策地域協議会; disability: 協議会. */
    w->in.sender_type = "child";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "no 要保護児童対策地域協議会 has been held");
    w->in.sender_type = "disability";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "no 協議会 has been held");
    assert_int_equal (tsg_hub_statutory_meeting ("eldercare"),
                      TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE);
    assert_int_equal (tsg_hub_statutory_meeting ("disability"),
                      TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI);
    assert_int_equal (tsg_hub_statutory_meeting ("child"),
                      TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO);
    assert_int_equal (tsg_hub_statutory_meeting ("poverty"),
                      TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU);
    assert_int_equal (tsg_hub_statutory_meeting ("housing"), 0);
    assert_string_equal (tsg_hub_meeting_law (TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO),
                         "児童福祉法 第25条の2");
}

/* ---- emergency ---------------------------------------------------------------------- */

static void
test_emergency_always_routed_and_flagged (void **state)
{
    world_t *w = *state;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY;
    w->header.urgency = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY;
    w->header.urgent = true;
    w->header.consent_id = (char *) "";
    /* No consent, no case, no roster: routed all the same, flagged. */
    w->in.consent = NULL;
    w->in.c = NULL;
    static const char *const senders[] = { "eldercare", "disability", "child" };
    for (size_t i = 0; i < 3; i++) {
        w->in.sender_type = senders[i];
        s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY,
                   TSG_HUB_LEGAL_PERSONAL | TSG_HUB_LEGAL_URGENT | TSG_HUB_LEGAL_ALERT);
    }
    assert_string_equal (tsg_agency_report_law ("child"), "児童虐待防止法 第6条");
    /* Even without a body it raises the alert. */
    w->letter.body.len = 0;
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY,
               TSG_HUB_LEGAL_URGENT | TSG_HUB_LEGAL_ALERT);
}

static void
test_emergency_refused (void **state)
{
    world_t *w = *state;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY;
    w->header.urgency = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY;
    w->header.urgent = true;
    w->in.sender_type = "poverty";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "emergency reports may be sent only by eldercare, disability or child");
    w->in.sender_type = "eldercare";
    w->header.urgent = false;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "flagged urgent");
    w->header.urgent = true;
    w->header.urgency = TSUNAGU__V1__URGENCY__URGENCY_HIGH;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "urgency emergency");
    w->header.urgency = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY;
    w->letter.kind = TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "which is a referral");
}

/* ---- none, unspecified, categories -------------------------------------------------- */

static void
test_none (void **state)
{
    world_t *w = *state;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
               "legal basis none says the body holds no personal data");
    w->header.n_data_categories = 0;
    s_allowed (w, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE, 0);
}

static void
test_unspecified_and_bodiless (void **state)
{
    world_t *w = *state;
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "must name its legal basis");
    w->header.legal_basis = (Tsunagu__V1__LegalBasis) 42; /* from a newer sender */
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "must name its legal basis");
    /* Without a body nothing personal travels: it passes whatever it names. */
    w->letter.body.len = 0;
    s_allowed (w, (Tsunagu__V1__LegalBasis) 42, 0);
    /* Sealed bodies are personal data like a body. */
    w->header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED;
    Tsunagu__V1__SealedBody body = TSUNAGU__V1__SEALED_BODY__INIT;
    Tsunagu__V1__SealedBody *bodies[1] = { &body };
    w->letter.sealed_bodies = bodies;
    w->letter.n_sealed_bodies = 1;
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "must name its legal basis");
}

static void
test_category_names (void **state)
{
    world_t *w = *state;
    w->categories[1] = (char *) "address";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "data category \"address\"");
    w->categories[1] = (char *) "identity";
    s_refused (w, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "identity is named twice");
    static const char *const names[] = { "identity", "health",   "disability", "finances",
                                         "family",   "children", "free-text" };
    unsigned all = 0;
    for (size_t i = 0; i < 7; i++) {
        unsigned bit = tsg_hub_category_bit (names[i]);
        assert_true (bit != 0);
        assert_false (all & bit);
        all |= bit;
        assert_string_equal (tsg_hub_category_name (bit), names[i]);
    }
    assert_int_equal (tsg_hub_category_bit ("Identity"), 0);
    assert_null (tsg_hub_category_name (3));
}

static void
test_japan_dates (void **state)
{
    (void) state;
    uint64_t ms = 0;
    /* 2026-11-23 00:00 JST is 2026-11-22 15:00 UTC. */
    assert_true (tsg_date_start_ms ("2026-11-23", &ms));
    assert_int_equal (ms, NOON_JST - 12 * 3600 * 1000ULL);
    char day[11];
    tsg_date_jst_plus_days (ms, 0, day);
    assert_string_equal (day, "2026-11-23");
    tsg_date_jst_plus_days (ms - 1, 0, day);
    assert_string_equal (day, "2026-11-22");
    assert_true (tsg_date_start_ms ("2028-02-29", &ms));
    tsg_date_jst_plus_days (ms, 1, day);
    assert_string_equal (day, "2028-03-01");
    assert_false (tsg_date_start_ms ("2027-02-29", &ms));
    assert_false (tsg_date_start_ms ("2026-11-23T00", &ms));
    assert_false (tsg_date_start_ms (NULL, &ms));
}

int
main (void)
{
    log_init ("test_hub_legal", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_consent_allowed_when_covered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_missing_or_unknown, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_revoked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_expired, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_other_case, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_does_not_cover_recipient, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_consent_does_not_cover_category, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_support_meeting, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_statutory_meeting, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_always_routed_and_flagged, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_none, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unspecified_and_bodiless, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_category_names, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_japan_dates, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
