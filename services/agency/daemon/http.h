/* The agency HTTP listener: the common adapter (tsg_http_server.h) on an fd that the daemon's
 * one loop polls, with POSTed letters held until their group commit. */
#ifndef AGENCY_DAEMON_HTTP_H_INCLUDED
#define AGENCY_DAEMON_HTTP_H_INCLUDED

#include <stdint.h>

#include "agency/core/agency.h"
#include "tsunagu/tsg_http_limits.h"

/* Starts listening on host:port (numeric, loopback).  NULL (logged) on failure. */
agency_http_t *agency_http_new (tsg_agency_t *agency, const char *host, int port);

/* Stops listening and closes every connection; safe on NULL and twice.  No connection
 * may be waiting for a commit. */
void agency_http_destroy (agency_http_t **self_p);

/* The fd to poll for reading. */
int agency_http_fd (const agency_http_t *self);

/* Milliseconds until the server needs to run again, a request reaches its deadline
 * (tsg_http_limits.h) or a held long-poll's wait ends, or -1 for no deadline. */
long agency_http_timeout (agency_http_t *self);

/* Answers the long-polls whose wait ended, shuts down the connections past their deadline and
 * does every ready piece of HTTP work;
 * accepted referrals wait in the agency's batch.  Call it every turn of the loop. */
void agency_http_run (agency_http_t *self);

/* agency_answer_fn for agency_pending_finish: hands the answer to the suspended
 * connection and resumes it (arg is the agency_http_t). */
void agency_http_answer (void *arg, agency_pending_t *pending);

/* After a commit: the held GET /v1/events long-polls whose cursor the feed passed get their
 * answer now.  Cheap when none is held (one read of the feed's last seq otherwise). */
void agency_http_events (agency_http_t *self);

/* The port actually bound (useful with port 0). */
int agency_http_port (const agency_http_t *self);

/* Its connection limits and deadlines, for their counters (tsg_http_limits_open, _expired,
 * _refused). */
const tsg_http_limits_t *agency_http_limits (const agency_http_t *self);

#endif
