/* test_hub_fixture.h — a coordinator store with four registered agencies, an intake over it,
 * an injected clock, and helpers that send referrals, status changes and case events through
 * whole batches (begin, letter, end, commit), for the hub's unit tests without sockets. */
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

#include "coordinator/model/cases.h"
#include "coordinator/model/directory.h"
#include "coordinator/intake/intake.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/referrals.h"
#include "tsunagu/tsunagu.h"

#define ELDER      "eldercare-chuo"
#define DISABILITY "disability-minami"
#define POVERTY    "poverty-kita"
#define CHILD      "child-higashi"
#define HOUR_MS    (3600ULL * 1000)
#define DAY_MS     (24 * HOUR_MS)
/* 2026-11-23 12:00 in Japan (03:00 UTC): the fixture's clock starts here. */
#define T0 1795402800000ULL

/* The fixture's parties, in this order. */
enum { F_ELDER, F_DISABILITY, F_POVERTY, F_CHILD, F_AGENCIES };

typedef struct {
    char dir[256];                  /* temporary data directory */
    tsg_store_t *store;             /* the coordinator's store */
    tsg_keys_t *coordinator;        /* the coordinator's keys */
    tsg_keys_t *keys[F_AGENCIES];   /* the agencies' keys */
    uint64_t seq[F_AGENCIES];       /* the last sequence each agency used */
    tsg_hub_directory_t *directory; /* the registry in memory */
    tsg_hub_intake_t *intake;       /* what is tested */
} hub_fixture_t;

static uint64_t hub_now = T0; /* the injected clock */

static inline uint64_t
hub_clock (void)
{
    return hub_now;
}

/* Registers keys as an agency of type with the given due days (0: defaults). */
static inline void
hub_register (tsg_txn_t *txn, const tsg_keys_t *keys, const char *type, unsigned response_days)
{
    Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
    entry.id = (char *) tsg_keys_id (keys);
    entry.type = (char *) type;
    entry.name = (char *) "つなぐ市テスト機関";
    entry.box_public.data = (uint8_t *) tsg_keys_box_public (keys);
    entry.box_public.len = 32;
    entry.sign_public.data = (uint8_t *) tsg_keys_sign_public (keys);
    entry.sign_public.len = 32;
    entry.status = TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
    entry.created_at_ms = T0;
    entry.response_due_days = response_days;
    tsg_registry_put (txn, &entry);
}

/* A fresh store: eldercare (defaults), disability (10 response days in the registry),
 * poverty, and child; the clock at T0. */
static inline hub_fixture_t *
hub_fixture_new (const char *name)
{
    hub_now = T0;
    tsg_clock_set (hub_clock);
    hub_fixture_t *f = calloc (1, sizeof *f);
    assert_non_null (f);
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    assert_true (tsg_mkdir_p (base, 0700));
    snprintf (f->dir, sizeof f->dir, "%s/%s-XXXXXX", base, name);
    assert_non_null (mkdtemp (f->dir));
    assert_int_equal (tsg_hub_store_open (f->dir, 64 << 20, &f->store), TSG_OK);
    f->coordinator = tsg_keys_generate (TSG_COORDINATOR_ID);
    static const char *const ids[F_AGENCIES] = { ELDER, DISABILITY, POVERTY, CHILD };
    static const char *const types[F_AGENCIES] = { "eldercare", "disability", "poverty", "child" };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    for (int i = 0; i < F_AGENCIES; i++) {
        f->keys[i] = tsg_keys_generate (ids[i]);
        assert_non_null (f->keys[i]);
        hub_register (&txn, f->keys[i], types[i], i == F_DISABILITY ? 10 : 0);
    }
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    f->directory = tsg_hub_directory_new (f->coordinator);
    tsg_txn_begin (f->store, &txn, false);
    assert_int_equal (tsg_hub_directory_load (f->directory, &txn), TSG_OK);
    tsg_txn_abort (&txn);
    f->intake = tsg_hub_intake_new (f->directory, f->coordinator);
    assert_non_null (f->intake);
    return f;
}

static inline void
hub_fixture_destroy (hub_fixture_t **f_p)
{
    hub_fixture_t *f = *f_p;
    tsg_hub_intake_destroy (&f->intake);
    tsg_hub_directory_destroy (&f->directory);
    tsg_store_destroy (&f->store);
    tsg_keys_destroy (&f->coordinator);
    for (int i = 0; i < F_AGENCIES; i++)
        tsg_keys_destroy (&f->keys[i]);
    char cmd[512];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal (system (cmd), 0);
    free (f);
    *f_p = NULL;
    tsg_clock_set (NULL);
}

/* Runs one envelope from agency `from` through a whole batch; returns the answer. */
static inline tsg_hub_answer_t
hub_batch (hub_fixture_t *f, int from, const uint8_t *frame, size_t len)
{
    tsg_hub_answer_t answer;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_intake_begin (f->intake, &txn);
    tsg_hub_intake_letter (f->intake, tsg_keys_id (f->keys[from]), frame, len, &answer);
    tsg_hub_intake_end (f->intake);
    if (tsg_txn_commit (&txn) != TSG_OK)
        tsg_hub_answer_store_failed (&answer);
    return answer;
}

/* Seals letter as agency `from` with its next sequence and runs it through a batch. */
static inline tsg_hub_answer_t
hub_send (hub_fixture_t *f, int from, tsg_letter_t *letter)
{
    letter->sequence = ++f->seq[from];
    uint8_t *frame = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (letter, f->keys[from], &frame, &len), TSG_OK);
    tsg_hub_answer_t answer = hub_batch (f, from, frame, len);
    free (frame);
    return answer;
}

/* A referral from `from` to agency id `to` on case_id; its id goes to referral_id (a new one
 * when it is empty). */
static inline tsg_hub_answer_t
hub_referral (hub_fixture_t *f, int from, const char *to, const char *case_id,
              Tsunagu__V1__Urgency urgency, const char *tag, char referral_id[TSG_UUID_TEXT_SIZE])
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL,
                        tsg_keys_id (f->keys[from]), to);
    if (!referral_id[0])
        tsg_uuid_new (referral_id);
    header.referral_id = referral_id;
    header.case_id = (char *) case_id;
    header.urgency = urgency;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    char *tags[1] = { (char *) tag };
    header.n_tags = tag ? 1 : 0;
    header.tags = tags;
    uint8_t body[64];
    memset (body, 0xa5, sizeof body);
    letter.body.data = body;
    letter.body.len = sizeof body;
    return hub_send (f, from, &letter);
}

/* A REFERRAL_STATUS from `from` to `to` about referral_id. */
static inline tsg_hub_answer_t
hub_status (hub_fixture_t *f, int from, const char *to, const char *referral_id, const char *status,
            const char *outcome, bool reason_given, uint64_t base_version)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS,
                        tsg_keys_id (f->keys[from]), to);
    header.referral_id = (char *) referral_id;
    header.status = (char *) status;
    header.outcome = (char *) (outcome ? outcome : "");
    header.reason_given = reason_given;
    header.base_version = base_version;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    uint8_t body[48];
    memset (body, 0x3c, sizeof body);
    letter.body.data = body;
    letter.body.len = sizeof body;
    return hub_send (f, from, &letter);
}

/* A CASE_EVENT from `from` about case_id at base_version with event ev (its event_id set
 * here when empty), carrying n_bodies sealed bodies. */
static inline tsg_hub_answer_t
hub_case_event (hub_fixture_t *f, int from, const char *case_id, uint64_t base_version,
                Tsunagu__V1__CaseEvent *ev, bool reason_given, Tsunagu__V1__SealedBody **bodies,
                size_t n_bodies, uint8_t message_id[16])
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        tsg_keys_id (f->keys[from]), TSG_COORDINATOR_ID);
    if (!ev->event_id || !*ev->event_id) {
        tsg_uuid_new (event_id);
        ev->event_id = event_id;
    }
    header.case_id = (char *) case_id;
    header.base_version = base_version;
    header.reason_given = reason_given;
    header.case_event = ev;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    letter.n_sealed_bodies = n_bodies;
    letter.sealed_bodies = bodies;
    tsg_hub_answer_t answer = hub_send (f, from, &letter);
    if (ev->event_id == event_id)
        ev->event_id = NULL;
    if (message_id)
        memcpy (message_id, id, 16);
    return answer;
}

/* A state-change event (type STATE) to state. */
static inline tsg_hub_answer_t
hub_case_state (hub_fixture_t *f, int from, const char *case_id, uint64_t base_version,
                const char *state, bool reason_given)
{
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE;
    ev.state = (char *) state;
    return hub_case_event (f, from, case_id, base_version, &ev, reason_given, NULL, 0, NULL);
}

/* Counts a NULL-terminated list of at most max strings. */
static inline size_t
hub_count_list (const char *const *list, size_t max)
{
    size_t n = 0;
    while (n < max && list[n])
        n++;
    return n;
}

/* What a CONSENT_GRANT says; lists end at the first NULL. */
typedef struct {
    const char *case_id;              /* the case */
    const char *consent_id;           /* the consent's id */
    const char *subject;              /* the pseudonym ("H001-1" when NULL) */
    const char *agencies[8];          /* cover_agencies */
    const char *types[4];             /* cover_types */
    const char *categories[8];        /* categories */
    const char *valid_from;           /* ("2026-11-01" when NULL) */
    const char *valid_until;          /* ("2027-03-31" when NULL) */
    Tsunagu__V1__LegalBasis basis;    /* of the sealed bodies (none when unspecified) */
    const char *basis_consent;        /* header.consent_id ("" when NULL) */
    const char *data_categories[8];   /* header.data_categories */
    Tsunagu__V1__SealedBody **bodies; /* sealed bodies */
    size_t n_bodies;                  /* how many */
} hub_grant_t;

/* A CONSENT_GRANT from `from` as g says; its message id goes to message_id when non-NULL. */
static inline tsg_hub_answer_t
hub_consent_grant (hub_fixture_t *f, int from, const hub_grant_t *g, uint8_t message_id[16])
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT,
                        tsg_keys_id (f->keys[from]), TSG_COORDINATOR_ID);
    Tsunagu__V1__ConsentInfo info = TSUNAGU__V1__CONSENT_INFO__INIT;
    info.consent_id = (char *) g->consent_id;
    info.subject = (char *) (g->subject ? g->subject : "H001-1");
    info.cover_agencies = (char **) g->agencies;
    info.n_cover_agencies = hub_count_list (g->agencies, 8);
    info.cover_types = (char **) g->types;
    info.n_cover_types = hub_count_list (g->types, 4);
    info.categories = (char **) g->categories;
    info.n_categories = hub_count_list (g->categories, 8);
    info.purpose = (char *) "referral";
    info.method = (char *) "written";
    info.obtained_by = (char *) tsg_keys_id (f->keys[from]);
    info.valid_from = (char *) (g->valid_from ? g->valid_from : "2026-11-01");
    info.valid_until = (char *) (g->valid_until ? g->valid_until : "2027-03-31");
    header.case_id = (char *) g->case_id;
    header.consent = &info;
    header.legal_basis = g->basis ? g->basis : TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    header.consent_id = (char *) (g->basis_consent ? g->basis_consent : "");
    header.data_categories = (char **) g->data_categories;
    header.n_data_categories = hub_count_list (g->data_categories, 8);
    letter.sealed_bodies = g->bodies;
    letter.n_sealed_bodies = g->n_bodies;
    if (message_id)
        memcpy (message_id, id, 16);
    return hub_send (f, from, &letter);
}

/* A CONSENT_REVOKE from `from` of consent_id (header.case_id case_id when non-NULL), with
 * sealed bodies under legal basis consent (itself) when n_bodies > 0. */
static inline tsg_hub_answer_t
hub_consent_revoke (hub_fixture_t *f, int from, const char *consent_id, const char *case_id,
                    Tsunagu__V1__SealedBody **bodies, size_t n_bodies, uint8_t message_id[16])
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE,
                        tsg_keys_id (f->keys[from]), TSG_COORDINATOR_ID);
    header.consent_id = (char *) consent_id;
    header.case_id = (char *) (case_id ? case_id : "");
    char *categories[1] = { (char *) "identity" };
    header.legal_basis = n_bodies ? TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT
                                  : TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    header.data_categories = categories;
    header.n_data_categories = n_bodies ? 1 : 0;
    letter.sealed_bodies = bodies;
    letter.n_sealed_bodies = n_bodies;
    if (message_id)
        memcpy (message_id, id, 16);
    return hub_send (f, from, &letter);
}

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

static inline tsg_hub_referral_t
hub_get_referral (hub_fixture_t *f, const char *id)
{
    tsg_hub_referral_t ref;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_true (tsg_hub_referral_get (&txn, id, &ref));
    tsg_txn_abort (&txn);
    return ref;
}

/* The case id as stored (caller frees). */
static inline tsg_hub_case_t *
hub_get_case (hub_fixture_t *f, const char *id)
{
    tsg_hub_case_t *c = malloc (sizeof *c);
    assert_non_null (c);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_true (tsg_hub_case_get (&txn, id, c));
    tsg_txn_abort (&txn);
    return c;
}

/* Counts the entries of kind in agency's mailbox (any kind when kind is 0). */
typedef struct {
    Tsunagu__V1__Kind kind; /* what to count */
    size_t count;           /* counted */
} hub_count_t;

static inline bool
hub_count_one (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    (void) seq;
    hub_count_t *c = arg;
    tsg_envelope_t env;
    if (tsg_envelope_decode (envelope, len, &env, NULL) == TSG_OK) {
        if (c->kind == 0 || env.letter->kind == c->kind)
            c->count++;
        tsg_envelope_clear (&env);
    }
    return true;
}

static inline size_t
hub_mailbox_kind (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind)
{
    hub_count_t c = { kind, 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, agency, 0, hub_count_one, &c);
    tsg_txn_abort (&txn);
    return c.count;
}

static inline uint64_t
hub_stat (hub_fixture_t *f, const char *name)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    MDB_val val;
    uint64_t value = 0;
    if (tsg_txn_get (&txn, tsg_store_db (f->store, TSG_HUB_DB_STATS), name, strlen (name), &val)
        && val.mv_size == 8)
        value = tsg_be64_get (val.mv_data);
    tsg_txn_abort (&txn);
    return value;
}

#endif
