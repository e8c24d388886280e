/* An HTTP server in the caller's own loop: libmicrohttpd in external-epoll mode (no thread of
 * its own) on one fd the loop polls, with the limits and request deadlines of
 * tsg_http_limits.h, and requests and answers as plain structs, so that the routes behind it
 * see "a request in, an answer out" and never include microhttpd.h.  The one place where the
 * daemons (the coordinator's read-only API, each agency's API) meet libmicrohttpd:
 *
 *     tsg_http_server_config_t config = { .name = "http", .host = "127.0.0.1", .port = 0,
 *                                         .connections_max = 256, .per_address_max = 64,
 *                                         .headers = on_headers, .arg = routes };
 *     tsg_http_server_t *server = tsg_http_server_new (&config);
 *     // the loop: poll tsg_http_server_fd (server) for reading, at most
 *     //           tsg_http_server_timeout (server) ms; then, every turn:
 *     tsg_http_server_run (server);
 *     tsg_http_server_destroy (&server);
 *
 * A request goes through two steps.  With its request line and headers in, `headers` (when
 * given) may answer at once (TSG_HTTP_ANSWER: an unknown route, a missing token, a GET) or let
 * the body be read (TSG_HTTP_NEXT).  With the whole body in (at most body_max bytes of it kept),
 * `request` answers (TSG_HTTP_ANSWER) or holds the request (TSG_HTTP_HOLD): its connection is
 * suspended, its deadline stopped, until the caller hands the answer to
 * tsg_http_server_answer (say, once a group commit made the request durable).  A body sent
 * with a request answered at its headers is read and dropped. */
#ifndef TSG_HTTP_SERVER_H_INCLUDED
#define TSG_HTTP_SERVER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_http_limits.h"

typedef struct _tsg_http_server_t tsg_http_server_t;

/* One request in progress on a connection (the server's; valid until it is answered). */
typedef struct _tsg_http_exchange_t tsg_http_exchange_t;

/* A request as the server read it.  Everything is borrowed for the handler's call. */
typedef struct {
    const char *method;            /* "GET", "POST", ... */
    const char *path;              /* "/v1/cases", without the query */
    const char *body;              /* the body read, NUL-terminated (NULL at the headers step or
                                      when there was none) */
    size_t body_len;               /* its length */
    bool too_large;                /* the body was longer than body_max: the rest was dropped */
    bool tls;                      /* it came over TLS (the server has a certificate) */
    tsg_http_exchange_t *exchange; /* this request: for the lookups below, and to hold it */
} tsg_http_request_t;

/* The value of request header name ("Authorization"; any case), or NULL when absent. */
const char *tsg_http_header (const tsg_http_request_t *req, const char *name);

/* The value of query argument name ("limit"), or NULL when absent. */
const char *tsg_http_arg (const tsg_http_request_t *req, const char *name);

/* The value of cookie name, or NULL when the request carries none of that name. */
const char *tsg_http_cookie (const tsg_http_request_t *req, const char *name);

/* The client's address as text ("127.0.0.1", "::1") in out (at least 46 bytes); "" when the
 * connection cannot say. */
void tsg_http_client_address (const tsg_http_request_t *req, char *out, size_t size);

/* Calls fn for each query argument of req, in order, with its name and value (the value may
 * be NULL for "?flag"); fn returns false to stop. */
typedef bool (tsg_http_arg_fn) (void *arg, const char *name, const char *value);
void tsg_http_args_each (const tsg_http_request_t *req, tsg_http_arg_fn *fn, void *arg);

/* An answer. */
typedef struct {
    int status;               /* HTTP status */
    char *body;               /* the body (malloc'd; the server takes it; NULL: 500, out of
                                 memory, as {"error":"internal",...}) */
    size_t body_len;          /* its length in bytes; 0: strlen (body) (a text body) */
    char *headers;            /* more header lines, "Name: value\n" each (malloc'd; the server
                                 takes it; NULL: none).  Lines that are not "Name: value" with a
                                 token name and no CR are dropped (logged). */
    const char *content_type; /* static; NULL: "application/json; charset=utf-8" */
    const char *cache;        /* static Cache-Control; NULL: "no-store" */
    const char *allow;        /* 405: the Allow header (static), else NULL */
    bool challenge;           /* 401: WWW-Authenticate: Bearer realm="tsunagu" */
    unsigned retry_after_s;   /* > 0: a Retry-After header (a refusal of new work: 503) */
} tsg_http_response_t;

/* What a handler did with a request. */
typedef enum {
    TSG_HTTP_NEXT = 0, /* headers step only: read the body, then call `request` */
    TSG_HTTP_ANSWER,   /* *response is the answer (the server takes its body) */
    TSG_HTTP_HOLD,     /* request step only: the caller answers later (tsg_http_server_answer
                          with req->exchange); *response is ignored */
} tsg_http_step_t;

/* A handler: req in, *response (zeroed) out. */
typedef tsg_http_step_t (tsg_http_handler_fn) (void *arg, const tsg_http_request_t *req,
                                               tsg_http_response_t *response);

typedef struct {
    const char *name;             /* prefixes its log lines and names its limits ("http") */
    const char *host;             /* numeric IPv4 or IPv6 address to listen on */
    int port;                     /* 0 picks one (tsg_http_server_port says which) */
    unsigned connections_max;     /* open connections in all (tsg_http_limits_new) */
    unsigned per_address_max;     /* ... from one client address */
    size_t body_max;              /* bytes of a body kept (0: bodies are dropped) */
    bool may_hold;                /* `request` may answer TSG_HTTP_HOLD (suspends connections) */
    tsg_http_handler_fn *headers; /* the headers step (NULL: always read the body) */
    tsg_http_handler_fn *request; /* the request step (NULL: `headers` answers everything) */
    void *arg;                    /* both handlers' argument (borrowed) */
    const char *tls_cert_pem;     /* PEM certificate chain: serve HTTPS only (NULL: HTTP) */
    const char *tls_key_pem;      /* its PEM private key (read at tsg_http_server_new only) */
} tsg_http_server_config_t;

/* Starts listening as config says (copied; host and the TLS PEM texts are read here only, name
 * and arg are borrowed and must outlive the server).  NULL, logged, when host is not a numeric
 * address, memory runs out or the address cannot be bound. */
tsg_http_server_t *tsg_http_server_new (const tsg_http_server_config_t *config);

/* Stops listening and closes every connection; safe on NULL and twice.  No request may be
 * held (every one handed TSG_HTTP_HOLD must have been answered). */
void tsg_http_server_destroy (tsg_http_server_t **self_p);

/* The fd the loop polls for reading. */
int tsg_http_server_fd (const tsg_http_server_t *self);

/* Milliseconds until the server must run again (libmicrohttpd's timeouts, at most a minute)
 * or a request reaches its deadline (tsg_http_limits.h), or -1 for no deadline. */
long tsg_http_server_timeout (tsg_http_server_t *self);

/* Shuts down the connections past their deadline and does every piece of HTTP work that is
 * ready, without blocking (calling the handlers).  Call it every turn of the loop. */
void tsg_http_server_run (tsg_http_server_t *self);

/* Answers a held request (the exchange a request step answered TSG_HTTP_HOLD for) with
 * *response (the server takes its body; response->body becomes NULL) and resumes its
 * connection: the answer goes out at the next tsg_http_server_run, with a whole
 * TSG_HTTP_REQUEST_MS for it.  Its exchange is not to be used again. */
void tsg_http_server_answer (tsg_http_exchange_t *exchange, tsg_http_response_t *response);

/* The port actually bound. */
int tsg_http_server_port (const tsg_http_server_t *self);

/* Its connection limits and deadlines, for their counters (tsg_http_limits_open, _expired,
 * _refused in /metrics). */
const tsg_http_limits_t *tsg_http_server_limits (const tsg_http_server_t *self);

#endif
