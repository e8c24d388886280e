/* Case events of the coordinator's own staff: the JSON of a control request turned into a
 * CASE_EVENT letter signed by the coordinator (sender and recipient "coordinator", no bodies),
 * which the hub then applies exactly like an agency's. */
#ifndef TSG_HUB_STAFF_H_INCLUDED
#define TSG_HUB_STAFF_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* Builds the letter for request (the "case-event" fields of control.h) and seals it with keys
 * into *out (a serialized Envelope the caller frees); event_id receives the event's id (the
 * request's, or a new one).  Returns 0, or -1 with an English sentence in detail when the
 * request is not shaped right (a missing field, a wrong JSON type, an unknown type name).
 * Whether the event is allowed is for the casework to say. */
int tsg_hub_staff_letter (const json_t *request, const tsg_keys_t *keys, uint8_t **out,
                          size_t *out_len, char event_id[TSG_UUID_TEXT_SIZE], char *detail,
                          size_t size);

#endif
