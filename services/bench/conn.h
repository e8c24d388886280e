/* A small non-blocking HTTP/1.1 client connection to a loopback port, driven by poll. */
#ifndef BENCH_CONN_H_INCLUDED
#define BENCH_CONN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _bench_conn_t bench_conn_t;

typedef enum {
    BENCH_CONN_IDLE,   /* no request under way */
    BENCH_CONN_BUSY,   /* a request is being sent or its answer read */
    BENCH_CONN_DONE,   /* a complete answer is in hand (status, body) */
    BENCH_CONN_FAILED, /* the request failed; bench_conn_error says why */
} bench_conn_state_t;

/* A connection to 127.0.0.1:port; nothing is opened until the first request.  NULL when out
 * of memory. */
bench_conn_t *bench_conn_new (uint16_t port);

/* Closes and frees; safe on NULL and twice. */
void bench_conn_destroy (bench_conn_t **self_p);

/* Starts a request (body may be NULL for none; token NULL for no Authorization header),
 * opening the socket first when it is closed.  The connection must not be BUSY.  Returns 0, or
 * -1 with the state FAILED. */
int bench_conn_start (bench_conn_t *self, const char *method, const char *path, const char *token,
                      const char *body, size_t body_len);

/* The socket to poll (-1 when closed) and the events it waits for (0 unless BUSY). */
int bench_conn_fd (const bench_conn_t *self);
short bench_conn_events (const bench_conn_t *self);

/* Moves the request on after poll reported revents for the socket; returns the new state. */
bench_conn_state_t bench_conn_step (bench_conn_t *self, short revents);

/* The current state; after DONE or FAILED, bench_conn_start may be called again. */
bench_conn_state_t bench_conn_state (const bench_conn_t *self);

/* The answer of a DONE request: its status and its body, NUL-terminated (borrowed; valid until
 * the next request). */
int bench_conn_status (const bench_conn_t *self);
const char *bench_conn_body (const bench_conn_t *self, size_t *len);

/* Why the last request FAILED (borrowed). */
const char *bench_conn_error (const bench_conn_t *self);

/* Sends one request and waits at most timeout_ms for its answer.  Returns the HTTP status, or
 * -1 when there was none (bench_conn_error says why).  A request on a kept-alive socket that
 * the server had closed is tried once more on a new socket. */
int bench_conn_roundtrip (bench_conn_t *self, const char *method, const char *path,
                          const char *token, const char *body, size_t body_len, int timeout_ms);

#endif
