/* The coordinator's own key rotation (tsunaguctl rotate-keys; proto/README.md §6), as its
 * store records it: META "coordinator.keys".  The secret keys live in files beside the key
 * file the configuration names (KEYS.next while the rotation is under way, KEYS.previous
 * after it); the store holds only public keys and times.
 *
 *   announced  the next keys exist; every DIRECTORY carries them, endorsed; the coordinator
 *              still signs and listens with its current keys
 *   switched   the next keys became the keys (KEYS), the old ones are KEYS.previous; the
 *              coordinator signs and listens with the new ones only
 *
 * The switch comes when every active agency has said (in its HELLO) that it holds the next
 * keys, when switch_by_ms passes, or when the administrator says so (rotate-keys --finish). */
#ifndef TSG_HUB_ROTATION_H_INCLUDED
#define TSG_HUB_ROTATION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "tsunagu/tsunagu.h"

#define TSG_HUB_ROTATION_KEY "coordinator.keys"

typedef enum {
    TSG_HUB_ROTATION_NONE = 0,      /* never rotated */
    TSG_HUB_ROTATION_ANNOUNCED = 1, /* next keys handed over, not yet switched to */
    TSG_HUB_ROTATION_SWITCHED = 2,  /* the last rotation is done */
} tsg_hub_rotation_state_t;

typedef struct {
    tsg_hub_rotation_state_t state;
    uint64_t announced_at_ms; /* when the next keys were made */
    uint64_t switch_by_ms;    /* the deadline of the switch */
    uint64_t switched_at_ms;  /* when it switched (SWITCHED) */
    uint8_t next_box[32];     /* ANNOUNCED: the keys it switches to; SWITCHED: the keys now */
    uint8_t next_sign[32];
    uint8_t previous_box[32]; /* SWITCHED: the keys before (zero before the first switch) */
    uint8_t previous_sign[32];
} tsg_hub_rotation_t;

/* The record in txn (state NONE when there is none).  False when it is there but unreadable. */
bool tsg_hub_rotation_get (tsg_txn_t *txn, tsg_hub_rotation_t *out);

/* The record's bytes, and back (false for anything that is not one). */
#define TSG_HUB_ROTATION_SIZE 186
void tsg_hub_rotation_encode (const tsg_hub_rotation_t *self, uint8_t out[TSG_HUB_ROTATION_SIZE]);
bool tsg_hub_rotation_decode (const uint8_t *data, size_t len, tsg_hub_rotation_t *out);

/* True when an announced rotation should switch at now_ms: every active agency holds the
 * next keys (all_hold), or the deadline passed. */
bool tsg_hub_rotation_due (const tsg_hub_rotation_t *self, bool all_hold, uint64_t now_ms);

/* For tsunaguctl status: {"state": "none" | "announced" | "switched", and, announced,
 * "next_sign_public" (Z85), "announced_at", "switch_by"; switched, "sign_public",
 * "switched_at" (ISO)}.  NULL when memory ran out. */
json_t *tsg_hub_rotation_json (const tsg_hub_rotation_t *self);

/* The write side (rotation_write.c): puts the record in txn. */
void tsg_hub_rotation_put (tsg_txn_t *txn, const tsg_hub_rotation_t *self);

#endif
