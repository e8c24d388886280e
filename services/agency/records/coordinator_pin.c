/* coordinator_pin.c — the coordinator's keys as this agency trusts them (coordinator_pin.h).
 *
 * Stored layout (186 bytes): u8 version (1), u8 flags (1 next, 2 previous), bundle_sign, box,
 * sign, next_box, next_sign, previous_sign (32 bytes each), be64 switch_by_ms, be64
 * switched_at_ms. */
#include <string.h>

#include "agency/records/coordinator_pin.h"
#include "agency/records/store.h"
#include "tsunagu/tsg_handover.h"

#define PIN_VERSION 1
#define PIN_SIZE    (2 + 6 * 32 + 16)

void
agency_pin_from_bundle (agency_coordinator_pin_t *self, const uint8_t box[32],
                        const uint8_t sign[32])
{
    memset (self, 0, sizeof *self);
    memcpy (self->bundle_sign, sign, 32);
    memcpy (self->box, box, 32);
    memcpy (self->sign, sign, 32);
}

static void
s_encode (const agency_coordinator_pin_t *self, uint8_t out[PIN_SIZE])
{
    out[0] = PIN_VERSION;
    out[1] = (uint8_t) ((self->has_next ? 1 : 0) | (self->has_previous ? 2 : 0));
    memcpy (out + 2, self->bundle_sign, 32);
    memcpy (out + 34, self->box, 32);
    memcpy (out + 66, self->sign, 32);
    memcpy (out + 98, self->next_box, 32);
    memcpy (out + 130, self->next_sign, 32);
    memcpy (out + 162, self->previous_sign, 32);
    tsg_be64_put (out + 194, self->switch_by_ms);
    tsg_be64_put (out + 202, self->switched_at_ms);
}

static bool
s_decode (const uint8_t *data, size_t len, agency_coordinator_pin_t *out)
{
    if (len != PIN_SIZE || data[0] != PIN_VERSION || (data[1] & ~3u) != 0)
        return false;
    memset (out, 0, sizeof *out);
    out->has_next = data[1] & 1;
    out->has_previous = data[1] & 2;
    memcpy (out->bundle_sign, data + 2, 32);
    memcpy (out->box, data + 34, 32);
    memcpy (out->sign, data + 66, 32);
    memcpy (out->next_box, data + 98, 32);
    memcpy (out->next_sign, data + 130, 32);
    memcpy (out->previous_sign, data + 162, 32);
    out->switch_by_ms = tsg_be64_get (data + 194);
    out->switched_at_ms = tsg_be64_get (data + 202);
    return true;
}

void
agency_pin_load (tsg_txn_t *txn, const uint8_t bundle_box[32], const uint8_t bundle_sign[32],
                 agency_coordinator_pin_t *out)
{
    agency_pin_from_bundle (out, bundle_box, bundle_sign);
    MDB_val val;
    agency_coordinator_pin_t stored;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, AGENCY_DB_META), AGENCY_META_COORDINATOR_PIN,
                      strlen (AGENCY_META_COORDINATOR_PIN), &val))
        return;
    if (!s_decode (val.mv_data, val.mv_size, &stored)) {
        log_warnx ("the stored pin of the coordinator's keys is unreadable: the bundle's keys "
                   "are used");
        return;
    }
    if (memcmp (stored.bundle_sign, bundle_sign, 32) == 0
        || memcmp (stored.sign, bundle_sign, 32) == 0)
        *out = stored;
    else
        log_info ("the bundle names other coordinator keys than those this agency was handed "
                  "over to: the bundle's are used");
}

void
agency_pin_save (tsg_txn_t *txn, const agency_coordinator_pin_t *self)
{
    uint8_t bytes[PIN_SIZE];
    s_encode (self, bytes);
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_META), AGENCY_META_COORDINATOR_PIN,
                 strlen (AGENCY_META_COORDINATOR_PIN), bytes, sizeof bytes);
}

agency_pin_match_t
agency_pin_verifies (const agency_coordinator_pin_t *self, const tsg_envelope_t *env)
{
    if (tsg_envelope_verify (env, self->sign))
        return AGENCY_PIN_CURRENT;
    if (self->has_next && tsg_envelope_verify (env, self->next_sign))
        return AGENCY_PIN_NEXT;
    if (self->has_previous
        && env->letter->created_at_ms <= self->switched_at_ms + AGENCY_PIN_PREVIOUS_SLACK_MS
        && tsg_envelope_verify (env, self->previous_sign))
        return AGENCY_PIN_PREVIOUS;
    return AGENCY_PIN_NONE;
}

bool
agency_pin_offer (agency_coordinator_pin_t *self, const Tsunagu__V1__CoordinatorKeys *next,
                  const char **detail)
{
    *detail = NULL;
    if (!next)
        return false;
    if (next->next_box_public.len != 32 || next->next_sign_public.len != 32) {
        *detail = "the hand-over's keys are not 32 bytes each";
        return false;
    }
    if (memcmp (next->next_sign_public.data, self->sign, 32) == 0)
        return false; /* the keys we switched to already */
    if (self->has_next && memcmp (next->next_sign_public.data, self->next_sign, 32) == 0
        && memcmp (next->next_box_public.data, self->next_box, 32) == 0) {
        self->switch_by_ms = next->switch_by_ms;
        return false; /* held already */
    }
    if (!tsg_handover_endorsed (self->sign, next->next_box_public.data, next->next_sign_public.data,
                                next->endorsement.data, next->endorsement.len)) {
        *detail = "the hand-over's keys are not endorsed by the new signing key";
        return false;
    }
    self->has_next = true;
    memcpy (self->next_box, next->next_box_public.data, 32);
    memcpy (self->next_sign, next->next_sign_public.data, 32);
    self->switch_by_ms = next->switch_by_ms;
    return true;
}

void
agency_pin_switch (agency_coordinator_pin_t *self, uint64_t now_ms)
{
    if (!self->has_next)
        return;
    self->has_previous = true;
    memcpy (self->previous_sign, self->sign, 32);
    memcpy (self->box, self->next_box, 32);
    memcpy (self->sign, self->next_sign, 32);
    self->has_next = false;
    memset (self->next_box, 0, 32);
    memset (self->next_sign, 0, 32);
    self->switched_at_ms = now_ms;
}
