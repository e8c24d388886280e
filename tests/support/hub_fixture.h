/* hub_fixture.h — one coordinator world for the hub's unit tests and fuzz replays, without
 * sockets: a store in a temporary folder with registered agencies (by default the four below,
 * all active), the directory, an intake over them, an injected clock (hub_now), and helpers
 * that send letters through whole batches (begin, letter, end, commit): referrals, status
 * changes, case events, consents, receipts, letters under a named legal basis (kit_*), and
 * that read back what the store holds, the audit log and the HTTP API's answers.  A failure
 * of the fixture itself prints and aborts (tests/unit/test_hub_fixture.h adds the cmocka
 * expectations on answers).  Part of tsunagu_test_support, never of a production binary. */
#ifndef TSG_TEST_HUB_FIXTURE_H_INCLUDED
#define TSG_TEST_HUB_FIXTURE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/api/api.h"
#include "coordinator/intake/intake.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/audit.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/consents.h"
#include "coordinator/model/directory.h"
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

/* The default parties, in this order (their index is the `from` of the helpers). */
enum { F_ELDER, F_DISABILITY, F_POVERTY, F_CHILD, F_AGENCIES };

/* Agencies a fixture may register. */
#define HUB_FIXTURE_AGENCIES_MAX 8

typedef struct {
    char dir[256];                              /* temporary data directory */
    tsg_store_t *store;                         /* the coordinator's store */
    tsg_keys_t *coordinator;                    /* the coordinator's keys */
    tsg_keys_t *keys[HUB_FIXTURE_AGENCIES_MAX]; /* the agencies' keys, in the options' order */
    uint64_t seq[HUB_FIXTURE_AGENCIES_MAX];     /* the last sequence each agency used */
    size_t n_agencies;                          /* entries of keys in use */
    tsg_hub_directory_t *directory;             /* the registry in memory */
    tsg_hub_intake_t *intake;                   /* what is tested */
    bool clock_injected;                        /* hub_now is the clock */
} hub_fixture_t;

/* One agency to register. */
typedef struct {
    const char *id;                   /* its id (the keys' id) */
    const char *type;                 /* eldercare, disability, poverty, child */
    Tsunagu__V1__AgencyStatus status; /* 0: active */
    unsigned response_days;           /* its response due days (0: the type's) */
} hub_agency_t;

/* How to make a fixture; zero fields take the defaults. */
typedef struct {
    const char *name;             /* its folder's prefix ("hub") */
    size_t map_size;              /* the store's map (0: 64 MiB) */
    bool no_sync;                 /* commit without fsync (fuzzing: speed is what counts) */
    bool real_clock;              /* leave the clock alone (else hub_now, from T0) */
    const hub_agency_t *agencies; /* whom to register (NULL: the four defaults) */
    size_t n_agencies;            /* entries of agencies */
} hub_fixture_options_t;

/* The injected clock (ms, UTC); tests move it. */
extern uint64_t hub_now;

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

/* The basis a letter names; lists end at the first NULL. */
typedef struct {
    Tsunagu__V1__LegalBasis basis; /* the basis (none when unspecified) */
    const char *consent_id;        /* header.consent_id ("" when NULL) */
    const char *categories[8];     /* header.data_categories */
    Tsunagu__V1__Urgency urgency;  /* header.urgency */
    bool urgent;                   /* header.urgent */
} kit_basis_t;

uint64_t hub_clock (void);

/* Registers keys as an agency of type with the given due days (0: defaults). */
void hub_register (tsg_txn_t *txn, const tsg_keys_t *keys, const char *type,
                   unsigned response_days);

/* A fresh store: eldercare (defaults), disability (10 response days in the registry),
 * poverty, and child; the clock at T0. */
hub_fixture_t *hub_fixture_new (const char *name);

/* The same as options say. */
hub_fixture_t *hub_fixture_new_with (const hub_fixture_options_t *options);

/* Frees it, removes its folder and gives the clock back (when it took it); safe on NULL and
 * twice. */
void hub_fixture_destroy (hub_fixture_t **f_p);

/* A fresh folder TSUNAGU_TEST_TMP/name-XXXXXX (else under /tmp) into dir (size bytes). */
void hub_temp_dir (const char *name, char *dir, size_t size);

/* Removes dir and everything under it (nothing when dir is ""). */
void hub_remove_dir (const char *dir);

/* Registers keys as an agency of type with the given status and due days (0: defaults). */
void hub_register_as (tsg_txn_t *txn, const tsg_keys_t *keys, const char *type,
                      Tsunagu__V1__AgencyStatus status, unsigned response_days);

/* The last sequence number the coordinator stored from agency id, and the id of the store's
 * last committed write transaction (unchanged when nothing was written). */
uint64_t hub_last_sequence (hub_fixture_t *f, const char *id);
size_t hub_txnid (hub_fixture_t *f);

/* Prints what failed and aborts: a fixture that cannot be set up is no test. */
void hub_fixture_fail (const char *fmt, ...) __attribute__ ((format (printf, 1, 2), noreturn));

/* Checks cond, which the fixture needs, failing with its text. */
#define HUB_CHECK(cond)                                                                            \
    ((cond) ? (void) 0 : hub_fixture_fail ("%s:%d: %s", __FILE__, __LINE__, #cond))

/* Runs one envelope from agency `from` through a whole batch; returns the answer. */
tsg_hub_answer_t hub_batch (hub_fixture_t *f, int from, const uint8_t *frame, size_t len);

/* Seals letter as agency `from` with its next sequence and runs it through a batch. */
tsg_hub_answer_t hub_send (hub_fixture_t *f, int from, tsg_letter_t *letter);

/* A referral from `from` to agency id `to` on case_id; its id goes to referral_id (a new one
 * when it is empty). */
tsg_hub_answer_t hub_referral (hub_fixture_t *f, int from, const char *to, const char *case_id,
                               Tsunagu__V1__Urgency urgency, const char *tag,
                               char referral_id[TSG_UUID_TEXT_SIZE]);

/* A REFERRAL_STATUS from `from` to `to` about referral_id. */
tsg_hub_answer_t hub_status (hub_fixture_t *f, int from, const char *to, const char *referral_id,
                             const char *status, const char *outcome, bool reason_given,
                             uint64_t base_version);

/* A CASE_EVENT from `from` about case_id at base_version with event ev (its event_id set
 * here when empty), carrying n_bodies sealed bodies. */
tsg_hub_answer_t hub_case_event (hub_fixture_t *f, int from, const char *case_id,
                                 uint64_t base_version, Tsunagu__V1__CaseEvent *ev,
                                 bool reason_given, Tsunagu__V1__SealedBody **bodies,
                                 size_t n_bodies, uint8_t message_id[16]);

/* A state-change event (type STATE) to state. */
tsg_hub_answer_t hub_case_state (hub_fixture_t *f, int from, const char *case_id,
                                 uint64_t base_version, const char *state, bool reason_given);

/* Counts a NULL-terminated list of at most max strings. */
size_t hub_count_list (const char *const *list, size_t max);

/* A CONSENT_GRANT from `from` as g says; its message id goes to message_id when non-NULL. */
tsg_hub_answer_t hub_consent_grant (hub_fixture_t *f, int from, const hub_grant_t *g,
                                    uint8_t message_id[16]);

/* A CONSENT_REVOKE from `from` of consent_id (header.case_id case_id when non-NULL), with
 * sealed bodies under legal basis consent (itself) when n_bodies > 0. */
tsg_hub_answer_t hub_consent_revoke (hub_fixture_t *f, int from, const char *consent_id,
                                     const char *case_id, Tsunagu__V1__SealedBody **bodies,
                                     size_t n_bodies, uint8_t message_id[16]);

tsg_hub_referral_t hub_get_referral (hub_fixture_t *f, const char *id);

/* The case id as stored (caller frees). */
tsg_hub_case_t *hub_get_case (hub_fixture_t *f, const char *id);

size_t hub_mailbox_kind (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind);

uint64_t hub_stat (hub_fixture_t *f, const char *name);

/* Seals letter as agency `from` with its next sequence; the caller frees *frame. */
void kit_seal (hub_fixture_t *f, int from, tsg_letter_t *letter, uint8_t **frame, size_t *len);

/* Applies b to header. */
void kit_basis (tsg_header_t *header, const kit_basis_t *b);

/* A referral with a body from `from` to `to` on case_id under b; its referral id and message
 * id go to the given buffers (when non-NULL), and its frame to *frame (when non-NULL: the
 * caller frees it; a resend runs it through hub_batch again). */
tsg_hub_answer_t kit_referral (hub_fixture_t *f, int from, const char *to, const char *case_id,
                               const kit_basis_t *b, char referral_id[TSG_UUID_TEXT_SIZE],
                               uint8_t message_id[16], uint8_t **frame_out, size_t *len_out);

/* A meeting event from `from` on case_id at base_version: kind, attendees (NULL-terminated
 * list of at most 8), header.consent_id consent_id (NULL: none), with n_bodies sealed bodies
 * (the minutes) under basis b (NULL: none). */
tsg_hub_answer_t kit_meeting_with (hub_fixture_t *f, int from, const char *case_id,
                                   uint64_t base_version, int kind, const char *const attendees[],
                                   const char *consent_id, const kit_basis_t *b,
                                   Tsunagu__V1__SealedBody **bodies, size_t n_bodies);

/* The same without bodies. */
tsg_hub_answer_t kit_meeting (hub_fixture_t *f, int from, const char *case_id,
                              uint64_t base_version, int kind, const char *const attendees[],
                              const char *consent_id);

/* A DELIVERED receipt from agency `from` to recipient about about, through a batch. */
tsg_hub_answer_t kit_ack (hub_fixture_t *f, int from, const char *recipient,
                          const uint8_t about[16]);

/* How many letters of kind (about `about`, when given) wait in agency's mailbox. */
size_t kit_count (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind,
                  const uint8_t *about);

/* The newest such letter, decoded and verified with signer (caller clears). */
tsg_envelope_t kit_newest (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind,
                           const uint8_t *about, const uint8_t *signer);

/* The MESSAGES record of id (or of its copy for recipient). */
tsg_hub_message_t kit_message (hub_fixture_t *f, const uint8_t id[16], const char *recipient);

/* The consent id as the register holds it. */
tsg_hub_consent_t kit_consent (hub_fixture_t *f, const char *id);

/* A consent grant from `from` for case_id covering the agencies and types given (NULL-ended,
 * up to 4 each) and categories identity and finances, valid 2026-11-01 .. until. */
tsg_hub_answer_t kit_grant (hub_fixture_t *f, int from, const char *case_id, const char *consent_id,
                            const char *a1, const char *a2, const char *type, const char *until);

/* Opens an audit log in the fixture's directory and gives it to the intake. */
tsg_hub_audit_t *kit_audit_open (hub_fixture_t *f);

/* Flushes what the audit holds (the fixture's batches do not) and returns the whole log
 * (caller frees). */
char *kit_audit_text (hub_fixture_t *f, tsg_hub_audit_t *audit);

/* How many times needle occurs in text. */
size_t kit_occurs (const char *text, const char *needle);

/* The JSON body of GET path (with ?case=query_case when given) from the coordinator's API over
 * the fixture's store (caller decrefs); /metrics comes as a JSON string. */
json_t *kit_get (hub_fixture_t *f, const char *path, const char *query_case);

#endif
