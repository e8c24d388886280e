/* hub_fixture.c — the hub's test world (hub_fixture.h): made, sent letters through whole
 * batches, read back.  Owns the fixture's folder, store, keys, directory and intake. */
#include <ftw.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/model/store.h"
#include "coordinator/api/api.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/stats.h"
#include "hub_fixture.h"

uint64_t hub_now = T0; /* the injected clock */

uint64_t
hub_clock (void)
{
    return hub_now;
}

void
hub_fixture_fail (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "hub fixture: ");
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    abort ();
}

void
hub_register_as (tsg_txn_t *txn, const tsg_keys_t *keys, const char *type,
                 Tsunagu__V1__AgencyStatus status, unsigned response_days)
{
    Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
    entry.id = (char *) tsg_keys_id (keys);
    entry.type = (char *) type;
    entry.name = (char *) "つなぐ市テスト機関";
    entry.box_public.data = (uint8_t *) tsg_keys_box_public (keys);
    entry.box_public.len = 32;
    entry.sign_public.data = (uint8_t *) tsg_keys_sign_public (keys);
    entry.sign_public.len = 32;
    entry.status = status ? status : TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
    entry.created_at_ms = tsg_now_ms ();
    entry.response_due_days = response_days;
    tsg_registry_put (txn, &entry);
}

void
hub_register (tsg_txn_t *txn, const tsg_keys_t *keys, const char *type, unsigned response_days)
{
    hub_register_as (txn, keys, type, TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE, response_days);
}

void
hub_temp_dir (const char *name, char *dir, size_t size)
{
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    HUB_CHECK (tsg_mkdir_p (base, 0700));
    snprintf (dir, size, "%s/%s-XXXXXX", base, name);
    HUB_CHECK (mkdtemp (dir) != NULL);
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

void
hub_remove_dir (const char *dir)
{
    if (dir && *dir)
        nftw (dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
}

/* The four parties of the default fixture: disability with 10 response days of its own. */
static const hub_agency_t s_defaults[F_AGENCIES] = {
    { ELDER, "eldercare", 0, 0 },
    { DISABILITY, "disability", 0, 10 },
    { POVERTY, "poverty", 0, 0 },
    { CHILD, "child", 0, 0 },
};

hub_fixture_t *
hub_fixture_new_with (const hub_fixture_options_t *options)
{
    const hub_agency_t *agencies = options->agencies ? options->agencies : s_defaults;
    size_t n = options->agencies ? options->n_agencies : F_AGENCIES;
    HUB_CHECK (n <= HUB_FIXTURE_AGENCIES_MAX);
    hub_fixture_t *f = calloc (1, sizeof *f);
    HUB_CHECK (f != NULL);
    if (!options->real_clock) {
        hub_now = T0;
        tsg_clock_set (hub_clock);
        f->clock_injected = true;
    }
    hub_temp_dir (options->name ? options->name : "hub", f->dir, sizeof f->dir);
    HUB_CHECK (
        tsg_hub_store_open (f->dir, options->map_size ? options->map_size : 64 << 20, &f->store)
        == TSG_OK);
    if (options->no_sync) {
        tsg_txn_t txn;
        tsg_txn_begin (f->store, &txn, false);
        if (txn.txn)
            mdb_env_set_flags (mdb_txn_env (txn.txn), MDB_NOSYNC, 1);
        tsg_txn_abort (&txn);
    }
    f->coordinator = tsg_keys_generate (TSG_COORDINATOR_ID);
    HUB_CHECK (f->coordinator != NULL);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    for (size_t i = 0; i < n; i++) {
        f->keys[i] = tsg_keys_generate (agencies[i].id);
        HUB_CHECK (f->keys[i] != NULL);
        hub_register_as (&txn, f->keys[i], agencies[i].type, agencies[i].status,
                         agencies[i].response_days);
    }
    f->n_agencies = n;
    HUB_CHECK (tsg_txn_commit (&txn) == TSG_OK);
    f->directory = tsg_hub_directory_new (f->coordinator);
    HUB_CHECK (f->directory != NULL);
    tsg_txn_begin (f->store, &txn, false);
    HUB_CHECK (tsg_hub_directory_load (f->directory, &txn) == TSG_OK);
    tsg_txn_abort (&txn);
    f->intake = tsg_hub_intake_new (f->directory, f->coordinator);
    HUB_CHECK (f->intake != NULL);
    return f;
}

hub_fixture_t *
hub_fixture_new (const char *name)
{
    hub_fixture_options_t options = { .name = name };
    return hub_fixture_new_with (&options);
}

void
hub_fixture_destroy (hub_fixture_t **f_p)
{
    if (!f_p || !*f_p)
        return;
    hub_fixture_t *f = *f_p;
    tsg_hub_intake_destroy (&f->intake);
    tsg_hub_directory_destroy (&f->directory);
    tsg_store_destroy (&f->store);
    tsg_keys_destroy (&f->coordinator);
    for (size_t i = 0; i < f->n_agencies; i++)
        tsg_keys_destroy (&f->keys[i]);
    hub_remove_dir (f->dir);
    if (f->clock_injected)
        tsg_clock_set (NULL);
    free (f);
    *f_p = NULL;
}

uint64_t
hub_last_sequence (hub_fixture_t *f, const char *id)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    uint64_t seq = tsg_hub_sender_last (&txn, id);
    tsg_txn_abort (&txn);
    return seq;
}

size_t
hub_txnid (hub_fixture_t *f)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    size_t id = txn.txn ? mdb_txn_id (txn.txn) : 0;
    tsg_txn_abort (&txn);
    return id;
}

/* Runs one envelope from agency `from` through a whole batch; returns the answer. */
tsg_hub_answer_t
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
tsg_hub_answer_t
hub_send (hub_fixture_t *f, int from, tsg_letter_t *letter)
{
    letter->sequence = ++f->seq[from];
    uint8_t *frame = NULL;
    size_t len = 0;
    HUB_CHECK ((tsg_envelope_seal (letter, f->keys[from], &frame, &len)) == (TSG_OK));
    tsg_hub_answer_t answer = hub_batch (f, from, frame, len);
    free (frame);
    return answer;
}

/* A referral from `from` to agency id `to` on case_id; its id goes to referral_id (a new one
 * when it is empty). */
tsg_hub_answer_t
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
tsg_hub_answer_t
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
tsg_hub_answer_t
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
tsg_hub_answer_t
hub_case_state (hub_fixture_t *f, int from, const char *case_id, uint64_t base_version,
                const char *state, bool reason_given)
{
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE;
    ev.state = (char *) state;
    return hub_case_event (f, from, case_id, base_version, &ev, reason_given, NULL, 0, NULL);
}

/* Counts a NULL-terminated list of at most max strings. */
size_t
hub_count_list (const char *const *list, size_t max)
{
    size_t n = 0;
    while (n < max && list[n])
        n++;
    return n;
}

/* A CONSENT_GRANT from `from` as g says; its message id goes to message_id when non-NULL. */
tsg_hub_answer_t
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
tsg_hub_answer_t
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

tsg_hub_referral_t
hub_get_referral (hub_fixture_t *f, const char *id)
{
    tsg_hub_referral_t ref;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    HUB_CHECK (tsg_hub_referral_get (&txn, id, &ref));
    tsg_txn_abort (&txn);
    return ref;
}

/* The case id as stored (caller frees). */
tsg_hub_case_t *
hub_get_case (hub_fixture_t *f, const char *id)
{
    tsg_hub_case_t *c = malloc (sizeof *c);
    HUB_CHECK (c);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    HUB_CHECK (tsg_hub_case_get (&txn, id, c));
    tsg_txn_abort (&txn);
    return c;
}

/* Counts the entries of kind in agency's mailbox (any kind when kind is 0). */
typedef struct {
    Tsunagu__V1__Kind kind; /* what to count */
    size_t count;           /* counted */
} hub_count_t;

static bool
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

size_t
hub_mailbox_kind (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind)
{
    hub_count_t c = { kind, 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, agency, 0, hub_count_one, &c);
    tsg_txn_abort (&txn);
    return c.count;
}

uint64_t
hub_stat (hub_fixture_t *f, const char *name)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    uint64_t value = tsg_hub_stat_get (&txn, name);
    tsg_txn_abort (&txn);
    return value;
}
