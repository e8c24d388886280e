/* outbound.c — the outbox pump and the coordinator's presence (outbound.h). */
#include "agency/core/outbound.h"

#define CONNECTED_WINDOW_MS 5000

uint64_t
agency_now_mono (void)
{
    return tsg_monotonic_ms ();
}

bool
agency_coordinator_connected (const tsg_agency_t *self)
{
    return self->coordinator_seen_ms != 0
           && agency_now_mono () < self->coordinator_seen_ms + CONNECTED_WINDOW_MS;
}

static int
s_send_outbox (void *arg, uint64_t sequence, const uint8_t *data, size_t len)
{
    tsg_agency_t *self = arg;
    (void) sequence;
    return self->send (self->send_arg, data, len);
}

void
agency_pump (tsg_agency_t *self)
{
    /* A suspended or revoked agency sends nothing but its slow HELLO. */
    if (agency_standing_silent (&self->standing))
        return;
    agency_outbox_pump (self->outbox, agency_now_mono (), s_send_outbox, self);
}
