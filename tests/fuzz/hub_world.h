/* hub_world.h — one coordinator world per fuzzing process: the hub fixture
 * (tests/support/hub_fixture.h) with a store in a temporary folder (removed at exit) that
 * commits without fsync, the four agencies (the registry's default due days), the clock
 * standing still at T0, and two cases, two referrals and a consent to start from (the seeds of
 * the corpora name them).  Shared by the hub's fuzz targets (fuzz_control.c, fuzz_intake.c). */
#ifndef FUZZ_HUB_WORLD_H_INCLUDED
#define FUZZ_HUB_WORLD_H_INCLUDED

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_fixture.h"

/* The agencies, in this order (the fixture's). */
enum {
    W_ELDER = F_ELDER,
    W_DISABILITY = F_DISABILITY,
    W_POVERTY = F_POVERTY,
    W_CHILD = F_CHILD,
    W_AGENCIES = F_AGENCIES
};
static const char *const w_ids[W_AGENCIES] = { ELDER, DISABILITY, POVERTY, CHILD };

/* Two cases the world starts with (the seeds of the corpora name them). */
#define W_CASE_A     "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define W_CASE_B     "3a8d7f6b-4e5c-4d9a-b12f-0c4d5e6f7a81"
#define W_CONSENT_A  "7d1e2f30-4a5b-4c6d-8e7f-901a2b3c4d5e"
#define W_REFERRAL_A "4b9e8a7c-5f6d-4eab-8c3a-1d5e6f7a8b92" /* eldercare → disability, case A */
#define W_REFERRAL_B "5caf9b8d-6a7e-4fbc-9d4b-2e6f7a8b9ca3" /* poverty → child, case B */
/* The world's clock stands still here. */
#define W_T0 T0

typedef hub_fixture_t hub_world_t;

static hub_world_t *w_world;

static inline void
w_cleanup (void)
{
    if (w_world)
        hub_remove_dir (w_world->dir);
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
    letter.sequence = hub_last_sequence (w, w_ids[from]) + 1;
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

static inline void
w_expect_stored (const tsg_hub_answer_t *answer, const char *what)
{
    if (answer->type != TSG_HUB_ANSWER_STORED)
        hub_fixture_fail ("hub world: %s not stored: %s: %s", what,
                          tsg_error_code_name (answer->code), answer->detail);
}

/* The world, made on first use: case A (eldercare → disability, with a consent covering both)
 * and case B (poverty → child). */
static inline hub_world_t *
w_get (void)
{
    if (w_world)
        return w_world;
    static const hub_agency_t agencies[W_AGENCIES] = {
        { ELDER, "eldercare", 0, 0 },
        { DISABILITY, "disability", 0, 0 },
        { POVERTY, "poverty", 0, 0 },
        { CHILD, "child", 0, 0 },
    };
    hub_fixture_options_t options = { .name = "fuzz-hub",
                                      .map_size = (size_t) 1 << 30,
                                      .no_sync = true,
                                      .agencies = agencies,
                                      .n_agencies = W_AGENCIES };
    hub_world_t *w = hub_fixture_new_with (&options);
    w_world = w;
    atexit (w_cleanup);
    static const struct {
        int from, to;            /* the parties */
        const char *case_id;     /* the case */
        const char *referral_id; /* the referral */
    } referrals[] = { { W_ELDER, W_DISABILITY, W_CASE_A, W_REFERRAL_A },
                      { W_POVERTY, W_CHILD, W_CASE_B, W_REFERRAL_B } };
    for (size_t i = 0; i < sizeof referrals / sizeof referrals[0]; i++) {
        char referral_id[TSG_UUID_TEXT_SIZE];
        snprintf (referral_id, sizeof referral_id, "%s", referrals[i].referral_id);
        tsg_hub_answer_t answer =
            hub_referral (w, referrals[i].from, w_ids[referrals[i].to], referrals[i].case_id,
                          TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050", referral_id);
        w_expect_stored (&answer, "referral");
    }
    hub_grant_t grant = { .case_id = W_CASE_A,
                          .consent_id = W_CONSENT_A,
                          .agencies = { ELDER, DISABILITY },
                          .categories = { "identity", "family" } };
    tsg_hub_answer_t answer = hub_consent_grant (w, W_ELDER, &grant, NULL);
    w_expect_stored (&answer, "consent");
    return w;
}

#endif
