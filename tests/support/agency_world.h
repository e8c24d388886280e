/* The agencies' world for tests (tests/support, never in a production binary), without
 * sockets: a stand-in coordinator key, agencies with
 * generated keys in a temporary folder, signed directories, and the letters each agency
 * sends, captured instead of sent. */
#ifndef AGENCY_WORLD_H_INCLUDED
#define AGENCY_WORLD_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"
#include "agency/core/inbox.h"
#include "agency/core/outbound.h"
#include "agency/core/pending.h"
#include "agency/core/submit.h"

#define AGENCY_WORLD_TOKEN "fixture-token"
#define AGENCY_WORLD_AUTH  "Bearer " AGENCY_WORLD_TOKEN

typedef struct _agency_world_t agency_world_t;

/* A new world in a fresh folder under $TSUNAGU_TEST_TMP (or /tmp).  NULL on failure. */
agency_world_t *agency_world_new (void);

/* The agencies most tests need, in this order: elder-a (eldercare), pov-a (poverty), dis-a
 * (disability), child-a (child).  A new world with the first n of them (1..4), a directory
 * published to them, their pointers in agencies[0..n-1].  NULL on failure. */
agency_world_t *agency_world_with (size_t n, tsg_agency_t *agencies[]);

/* Sends agency the CASE_UPDATE update, signed as the coordinator, and clears what it sent in
 * answer.  The receive rc. */
int agency_world_case_update (agency_world_t *self, tsg_agency_t *agency,
                              Tsunagu__V1__CaseUpdate *update);

/* Destroys every agency, removes the folder; safe on NULL and twice. */
void agency_world_destroy (agency_world_t **self_p);

/* Adds agency id of type (keys generated, data in the folder) and returns it, owned by
 * the fixture.  The letters it sends are captured.  NULL on failure. */
tsg_agency_t *agency_world_agency (agency_world_t *self, const char *id, const char *type);

/* The same with the store's map size (to run it full). */
tsg_agency_t *agency_world_agency_sized (agency_world_t *self, const char *id, const char *type,
                                         size_t map_size);

/* Closes agency and opens it again on the same store and keys, as a restart would;
 * returns the new one (the old pointer is gone).  NULL on failure. */
tsg_agency_t *agency_world_restart (agency_world_t *self, tsg_agency_t *agency);

/* Lists id in directories made from now on with status (default active); id need not be
 * an agency of the fixture (its keys are then made up). */
void agency_world_status (agency_world_t *self, const char *id, Tsunagu__V1__AgencyStatus status);

/* Lists id in directories made from now on with these due days (0: the defaults). */
void agency_world_due_days (agency_world_t *self, const char *id, unsigned receive_days,
                            unsigned response_days);

/* Signs, as the coordinator, a letter of kind to recipient; the caller fills what the kind
 * needs through the letter passed to fill (may be NULL).  Returns the envelope in *out
 * (caller frees). */
typedef void (agency_world_fill_fn) (tsg_letter_t *letter, void *arg);
int agency_world_coordinator_letter (agency_world_t *self, const char *recipient,
                                     Tsunagu__V1__Kind kind, agency_world_fill_fn *fill, void *arg,
                                     uint8_t **out, size_t *out_len);

/* The stand-in coordinator's keys (borrowed; tsg_keys_replace changes what signs from then
 * on), and the hand-over to new keys directories carry from now on (borrowed; NULL: none). */
tsg_keys_t *agency_world_coordinator_keys (agency_world_t *self);
void agency_world_handover (agency_world_t *self, const Tsunagu__V1__CoordinatorKeys *next);

/* Sends every agency a new directory (serial increasing) listing all agencies. */
void agency_world_publish (agency_world_t *self);

/* RECEIPT_STORED about a letter (its envelope bytes) for recipient; delivered at once.
 * Returns the receive rc. */
int agency_world_store_ack (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                            size_t len);

/* An ERROR from the coordinator about a letter, delivered at once. */
int agency_world_error (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                        size_t len, Tsunagu__V1__ErrorCode code, bool final);

/* The coordinator's news, through the mailbox, that a letter it had stored is withheld now
 * (ERROR_MISSING_LEGAL_BASIS, final, detail "withheld: consent ... revoked"). */
int agency_world_withhold (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                           size_t len);

/* Delivers one envelope to agency as the coordinator's forwarding would; the receive rc. */
int agency_world_deliver (tsg_agency_t *agency, const uint8_t *data, size_t len);

/* A copy (caller frees) of the first letter of kind agency sent since the last clear, or
 * NULL; every captured letter is cleared. */
uint8_t *agency_world_take (agency_world_t *self, const tsg_agency_t *agency,
                            Tsunagu__V1__Kind kind, size_t *len);

/* Letters agency sent since the last clear. */
size_t agency_world_sent_count (agency_world_t *self, const tsg_agency_t *agency);
const uint8_t *agency_world_sent (agency_world_t *self, const tsg_agency_t *agency, size_t index,
                                  size_t *len);
void agency_world_sent_clear (agency_world_t *self, const tsg_agency_t *agency);

/* While blocked, the agency's sends fail as a full socket's would. */
void agency_world_block (agency_world_t *self, const tsg_agency_t *agency, bool blocked);

/* Decodes a captured envelope (no verification); clear it with tsg_envelope_clear. */
int agency_world_decode (const uint8_t *data, size_t len, tsg_envelope_t *out);

/* A request through the API as a client would make it (the token included, JSON body),
 * with the group commit done.  Returns the status and the body in *reply (caller frees). */
int agency_world_request (tsg_agency_t *agency, const char *method, const char *path,
                          const char *body, json_t **reply);

/* Number of entries in one of the agency's databases (store.h). */
size_t agency_world_count (tsg_agency_t *agency, int db);

/* The folder of the world. */
const char *agency_world_dir (const agency_world_t *self);

#endif
