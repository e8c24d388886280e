/* The agency's webhooks: each [webhook.NAME] gets the event feed (records/events.h) pushed
 * to its URL, one event at a time and in order, signed the way Standard Webhooks says, at
 * least once: the webhook's cursor (META "webhook.<name>.cursor", the seq of the last event
 * acknowledged with a 2xx) moves only after the 2xx, in its own commit.  Failed attempts are
 * retried after 1 s doubling to 1 h (jittered) until max_attempts_days pass; then the webhook
 * is parked until the daemon restarts or its cursor is moved.  HTTP is libcurl's multi
 * interface, driven from the daemon's one loop: nothing here ever blocks the loop. */
#ifndef AGENCY_DAEMON_WEBHOOKS_H_INCLUDED
#define AGENCY_DAEMON_WEBHOOKS_H_INCLUDED

#include <stdint.h>

#include "agency/core/agency.h"

/* Standard Webhooks asks for 15 to 30 s for a whole attempt. */
#define AGENCY_WEBHOOK_CONNECT_TIMEOUT_MS 10000 /* to connect (and the TLS handshake) */
#define AGENCY_WEBHOOK_TOTAL_TIMEOUT_MS   30000 /* for a whole attempt */
#define AGENCY_WEBHOOK_ACTIVE_POLL_MS     10    /* the loop's longest sleep during a transfer */

/* The webhooks of agency->config (none: NULL, and nothing to do), their cursors read from the
 * store; sets agency->webhook_status and webhook_count.  NULL with agency untouched when out
 * of memory or libcurl cannot start (logged). */
agency_webhooks_t *agency_webhooks_new (tsg_agency_t *agency);

/* Stops every transfer (an event in flight is sent again after a restart) and frees; clears
 * the agency's status pointer.  Safe on NULL and twice. */
void agency_webhooks_destroy (agency_webhooks_t **self_p);

/* One turn: finishes the transfers that ended (a 2xx moves the cursor, committed once for all
 * webhooks), starts the next attempt of every webhook that is due, and lets libcurl do every
 * ready piece of I/O without waiting.  Call it every turn of the loop, outside any
 * transaction.  Safe on NULL. */
void agency_webhooks_run (agency_webhooks_t *self);

/* Milliseconds the loop may sleep before the next turn is needed here (at most
 * AGENCY_WEBHOOK_ACTIVE_POLL_MS while a transfer runs, until the next attempt is due while one
 * waits), or -1 for no limit.  Safe on NULL. */
long agency_webhooks_timeout (agency_webhooks_t *self);

#endif
