/* A small world for tests, without sockets: a stand-in coordinator key, agencies with
 * generated keys in a temporary folder, signed directories, and the letters each agency
 * sends, captured instead of sent. */
#ifndef AGENCY_FIXTURE_H_INCLUDED
#define AGENCY_FIXTURE_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "agency.h"

#define AGENCY_FIXTURE_TOKEN "fixture-token"
#define AGENCY_FIXTURE_AUTH  "Bearer " AGENCY_FIXTURE_TOKEN

typedef struct _agency_fixture_t agency_fixture_t;

/* A new world in a fresh folder under $TSUNAGU_TEST_TMP (or /tmp).  NULL on failure. */
agency_fixture_t *agency_fixture_new (void);

/* Destroys every agency, removes the folder; safe on NULL and twice. */
void agency_fixture_destroy (agency_fixture_t **self_p);

/* Adds agency id of type (keys generated, data in the folder) and returns it, owned by
 * the fixture.  The letters it sends are captured.  NULL on failure. */
tsg_agency_t *agency_fixture_agency (agency_fixture_t *self, const char *id, const char *type);

/* The same with the store's map size (to run it full). */
tsg_agency_t *agency_fixture_agency_sized (agency_fixture_t *self, const char *id, const char *type,
                                           size_t map_size);

/* Closes agency and opens it again on the same store and keys, as a restart would;
 * returns the new one (the old pointer is gone).  NULL on failure. */
tsg_agency_t *agency_fixture_restart (agency_fixture_t *self, tsg_agency_t *agency);

/* Lists id in directories made from now on with status (default active); id need not be
 * an agency of the fixture (its keys are then made up). */
void agency_fixture_status (agency_fixture_t *self, const char *id,
                            Tsunagu__V1__AgencyStatus status);

/* Lists id in directories made from now on with these due days (0: the defaults). */
void agency_fixture_due_days (agency_fixture_t *self, const char *id, unsigned receive_days,
                              unsigned response_days);

/* Signs, as the coordinator, a letter of kind to recipient; the caller fills what the kind
 * needs through the letter passed to fill (may be NULL).  Returns the envelope in *out
 * (caller frees). */
typedef void (agency_fixture_fill_fn) (tsg_letter_t *letter, void *arg);
int agency_fixture_coordinator_letter (agency_fixture_t *self, const char *recipient,
                                       Tsunagu__V1__Kind kind, agency_fixture_fill_fn *fill,
                                       void *arg, uint8_t **out, size_t *out_len);

/* Sends every agency a new directory (serial increasing) listing all agencies. */
void agency_fixture_publish (agency_fixture_t *self);

/* RECEIPT_STORED about a letter (its envelope bytes) for recipient; delivered at once.
 * Returns the receive rc. */
int agency_fixture_store_ack (agency_fixture_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                              size_t len);

/* An ERROR from the coordinator about a letter, delivered at once. */
int agency_fixture_error (agency_fixture_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                          size_t len, Tsunagu__V1__ErrorCode code, bool final);

/* Delivers one envelope to agency as the coordinator's forwarding would; the receive rc. */
int agency_fixture_deliver (tsg_agency_t *agency, const uint8_t *data, size_t len);

/* A copy (caller frees) of the first letter of kind agency sent since the last clear, or
 * NULL; every captured letter is cleared. */
uint8_t *agency_fixture_take (agency_fixture_t *self, const tsg_agency_t *agency,
                              Tsunagu__V1__Kind kind, size_t *len);

/* Letters agency sent since the last clear. */
size_t agency_fixture_sent_count (agency_fixture_t *self, const tsg_agency_t *agency);
const uint8_t *agency_fixture_sent (agency_fixture_t *self, const tsg_agency_t *agency,
                                    size_t index, size_t *len);
void agency_fixture_sent_clear (agency_fixture_t *self, const tsg_agency_t *agency);

/* While blocked, the agency's sends fail as a full socket's would. */
void agency_fixture_block (agency_fixture_t *self, const tsg_agency_t *agency, bool blocked);

/* Decodes a captured envelope (no verification); clear it with tsg_envelope_clear. */
int agency_fixture_decode (const uint8_t *data, size_t len, tsg_envelope_t *out);

/* A request through the API as a client would make it (the token included, JSON body),
 * with the group commit done.  Returns the status and the body in *reply (caller frees). */
int agency_fixture_request (tsg_agency_t *agency, const char *method, const char *path,
                            const char *body, json_t **reply);

/* Number of entries in one of the agency's databases (store.h). */
size_t agency_fixture_count (tsg_agency_t *agency, int db);

/* The folder of the world. */
const char *agency_fixture_dir (const agency_fixture_t *self);

#endif
