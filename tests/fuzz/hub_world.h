/* hub_world.h — one coordinator world per fuzzing process, without sockets: a store in a
 * temporary folder (removed at exit) with four registered agencies, the directory, an intake,
 * a fixed clock, and helpers that run letters through whole batches.  Shared by the hub's
 * fuzz targets (fuzz_control.c, fuzz_intake.c). */
#ifndef FUZZ_HUB_WORLD_H_INCLUDED
#define FUZZ_HUB_WORLD_H_INCLUDED

#include <ftw.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/directory.h"
#include "coordinator/intake/intake.h"
#include "tsunagu/tsunagu.h"

/* The agencies, in this order (the same ids as the unit tests). */
enum { W_ELDER, W_DISABILITY, W_POVERTY, W_CHILD, W_AGENCIES };
static const char *const w_ids[W_AGENCIES] = { "eldercare-chuo", "disability-minami",
                                               "poverty-kita", "child-higashi" };
static const char *const w_types[W_AGENCIES] = { "eldercare", "disability", "poverty", "child" };

/* Two cases the world starts with (the seeds of the corpora name them). */
#define W_CASE_A     "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define W_CASE_B     "3a8d7f6b-4e5c-4d9a-b12f-0c4d5e6f7a81"
#define W_CONSENT_A  "7d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e"
#define W_REFERRAL_A "4b9e8a7c-5f6d-4eab-8c3a-1d5e6f7a8b92" /* eldercare → disability, case A */
#define W_REFERRAL_B "5caf9b8d-6a7e-4fbc-9d4b-2e6f7a8b9ca3" /* poverty → child, case B */
/* 2026-11-23 12:00 in Japan: the world's clock stands still here. */
#define W_T0 1795402800000ULL

typedef struct {
    char dir[256];                  /* the temporary data directory */
    tsg_store_t *store;             /* the coordinator's store */
    tsg_keys_t *coordinator;        /* its keys */
    tsg_keys_t *keys[W_AGENCIES];   /* the agencies' keys */
    tsg_hub_directory_t *directory; /* the registry in memory */
    tsg_hub_intake_t *intake;       /* the intake over it */
} hub_world_t;

static hub_world_t *w_world;

static inline uint64_t
w_clock (void)
{
    return W_T0;
}

static inline int
w_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static inline void
w_cleanup (void)
{
    if (w_world && w_world->dir[0])
        nftw (w_world->dir, w_remove, 16, FTW_DEPTH | FTW_PHYS);
}

/* The last sequence number the coordinator stored from agency. */
static inline uint64_t
w_last_sequence (hub_world_t *w, int agency)
{
    tsg_txn_t txn;
    tsg_txn_begin (w->store, &txn, false);
    MDB_val val;
    uint64_t seq = 0;
    const char *id = w_ids[agency];
    if (tsg_txn_get (&txn, tsg_store_db (w->store, TSG_HUB_DB_SENDERS), id, strlen (id), &val)
        && val.mv_size == 8)
        seq = tsg_be64_get (val.mv_data);
    tsg_txn_abort (&txn);
    return seq;
}

/* The id of the store's last committed write transaction: unchanged when nothing was written. */
static inline size_t
w_txnid (tsg_store_t *store)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    size_t id = txn.txn ? mdb_txn_id (txn.txn) : 0;
    tsg_txn_abort (&txn);
    return id;
}

/* Commits without fsync: the world is thrown away at exit, and speed is what counts. */
static inline void
w_no_sync (tsg_store_t *store)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    if (txn.txn)
        mdb_env_set_flags (mdb_txn_env (txn.txn), MDB_NOSYNC, 1);
    tsg_txn_abort (&txn);
}

/* Runs one envelope from agency through a whole batch; returns the answer. */
static inline tsg_hub_answer_t
w_batch (hub_world_t *w, int agency, const uint8_t *frame, size_t len)
{
    tsg_hub_answer_t answer;
    tsg_txn_t txn;
    tsg_txn_begin (w->store, &txn, true);
    tsg_hub_intake_begin (w->intake, &txn);
    tsg_hub_intake_letter (w->intake, w_ids[agency], frame, len, &answer);
    tsg_hub_intake_end (w->intake);
    if (tsg_txn_commit (&txn) != TSG_OK)
        tsg_hub_answer_store_failed (&answer);
    return answer;
}

/* A sealed REFERRAL from agency to agency `to` on case_id with the agency's next sequence
 * (caller frees *frame).  A new referral id when referral_id is NULL. */
static inline void
w_referral_frame (hub_world_t *w, int from, int to, const char *case_id, const char *referral_id,
                  uint8_t **frame, size_t *len)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    char new_id[TSG_UUID_TEXT_SIZE];
    if (!referral_id) {
        tsg_uuid_new (new_id);
        referral_id = new_id;
    }
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, w_ids[from],
                        w_ids[to]);
    letter.sequence = w_last_sequence (w, from) + 1;
    header.referral_id = (char *) referral_id;
    header.case_id = (char *) case_id;
    header.urgency = TSUNAGU__V1__URGENCY__URGENCY_NORMAL;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    char *tags[1] = { (char *) "8050" };
    header.n_tags = 1;
    header.tags = tags;
    uint8_t body[64];
    memset (body, 0xa5, sizeof body);
    letter.body.data = body;
    letter.body.len = sizeof body;
    *frame = NULL;
    *len = 0;
    if (tsg_envelope_seal (&letter, w->keys[from], frame, len) != TSG_OK)
        abort ();
}

/* A CONSENT_GRANT from eldercare on case A covering eldercare and disability. */
static inline tsg_hub_answer_t
w_consent (hub_world_t *w)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, w_ids[W_ELDER],
                        TSG_COORDINATOR_ID);
    letter.sequence = w_last_sequence (w, W_ELDER) + 1;
    char *agencies[2] = { (char *) w_ids[W_ELDER], (char *) w_ids[W_DISABILITY] };
    char *categories[2] = { (char *) "identity", (char *) "family" };
    Tsunagu__V1__ConsentInfo info = TSUNAGU__V1__CONSENT_INFO__INIT;
    info.consent_id = (char *) W_CONSENT_A;
    info.subject = (char *) "H001-1";
    info.cover_agencies = agencies;
    info.n_cover_agencies = 2;
    info.categories = categories;
    info.n_categories = 2;
    info.purpose = (char *) "referral";
    info.method = (char *) "written";
    info.obtained_by = (char *) w_ids[W_ELDER];
    info.valid_from = (char *) "2026-11-01";
    info.valid_until = (char *) "2027-03-31";
    header.case_id = (char *) W_CASE_A;
    header.consent = &info;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    uint8_t *frame = NULL;
    size_t len = 0;
    if (tsg_envelope_seal (&letter, w->keys[W_ELDER], &frame, &len) != TSG_OK)
        abort ();
    tsg_hub_answer_t answer = w_batch (w, W_ELDER, frame, len);
    free (frame);
    return answer;
}

static inline void
w_expect_stored (const tsg_hub_answer_t *answer, const char *what)
{
    if (answer->type != TSG_HUB_ANSWER_STORED) {
        fprintf (stderr, "hub world: %s not stored: %s: %s\n", what,
                 tsg_error_code_name (answer->code), answer->detail);
        abort ();
    }
}

/* The world, made on first use: case A (eldercare → disability, with a consent covering both)
 * and case B (poverty → child). */
static inline hub_world_t *
w_get (void)
{
    if (w_world)
        return w_world;
    tsg_clock_set (w_clock);
    hub_world_t *w = calloc (1, sizeof *w);
    if (!w)
        abort ();
    w_world = w;
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    tsg_mkdir_p (base, 0700);
    snprintf (w->dir, sizeof w->dir, "%s/fuzz-hub-XXXXXX", base);
    if (!mkdtemp (w->dir)) {
        w->dir[0] = '\0';
        abort ();
    }
    atexit (w_cleanup);
    if (tsg_hub_store_open (w->dir, (size_t) 1 << 30, &w->store) != TSG_OK)
        abort ();
    w_no_sync (w->store);
    w->coordinator = tsg_keys_generate (TSG_COORDINATOR_ID);
    tsg_txn_t txn;
    tsg_txn_begin (w->store, &txn, true);
    for (int i = 0; i < W_AGENCIES; i++) {
        w->keys[i] = tsg_keys_generate (w_ids[i]);
        if (!w->keys[i])
            abort ();
        Tsunagu__V1__AgencyEntry entry = TSUNAGU__V1__AGENCY_ENTRY__INIT;
        entry.id = (char *) w_ids[i];
        entry.type = (char *) w_types[i];
        entry.name = (char *) "つなぐ市テスト機関";
        entry.box_public.data = (uint8_t *) tsg_keys_box_public (w->keys[i]);
        entry.box_public.len = 32;
        entry.sign_public.data = (uint8_t *) tsg_keys_sign_public (w->keys[i]);
        entry.sign_public.len = 32;
        entry.status = TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
        entry.created_at_ms = W_T0;
        tsg_registry_put (&txn, &entry);
    }
    if (tsg_txn_commit (&txn) != TSG_OK)
        abort ();
    w->directory = tsg_hub_directory_new (w->coordinator);
    tsg_txn_begin (w->store, &txn, false);
    if (tsg_hub_directory_load (w->directory, &txn) != TSG_OK)
        abort ();
    tsg_txn_abort (&txn);
    w->intake = tsg_hub_intake_new (w->directory, w->coordinator);
    if (!w->intake)
        abort ();

    static const struct {
        int from, to;            /* the parties */
        const char *case_id;     /* the case */
        const char *referral_id; /* the referral */
    } referrals[] = { { W_ELDER, W_DISABILITY, W_CASE_A, W_REFERRAL_A },
                      { W_POVERTY, W_CHILD, W_CASE_B, W_REFERRAL_B } };
    for (size_t i = 0; i < sizeof referrals / sizeof referrals[0]; i++) {
        uint8_t *frame;
        size_t len;
        w_referral_frame (w, referrals[i].from, referrals[i].to, referrals[i].case_id,
                          referrals[i].referral_id, &frame, &len);
        tsg_hub_answer_t answer = w_batch (w, referrals[i].from, frame, len);
        free (frame);
        w_expect_stored (&answer, "referral");
    }
    tsg_hub_answer_t answer = w_consent (w);
    w_expect_stored (&answer, "consent");
    return w;
}

#endif
