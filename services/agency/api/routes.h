/* The agency HTTP API's routes, apart from the HTTP library: a request in, an answer out. */
#ifndef AGENCY_API_ROUTES_H_INCLUDED
#define AGENCY_API_ROUTES_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

#define AGENCY_REQUEST_MAX (1024 * 1024) /* largest JSON request body */
#define AGENCY_BODY_MAX                                                                            \
    (4 * 1024 * 1024) /* largest body of all (a spreadsheet imported:                              \
                         imports/import.h's AGENCY_IMPORT_MAX) */

/* One request as the routes see it; every pointer is borrowed. */
typedef struct {
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* without the query string */
    const char *authorization;  /* the Authorization header, or NULL */
    const char *content_type;   /* the Content-Type header, or NULL */
    const char *content_length; /* the Content-Length header, or NULL */
    const char *after;          /* query argument, or NULL */
    const char *limit;          /* query argument, or NULL */
    const char *state;          /* query argument (GET /v1/cases), or NULL */
    const char *case_filter;    /* query argument case (GET /v1/consents), or NULL */
    const char *from;           /* query arguments of GET /v1/exports/referrals.csv: from, */
    const char *to;             /* ... to, */
    const char *direction;      /* ... direction, */
    const char *encoding;       /* ... encoding, */
    const char *personal;       /* ... personal (each NULL when absent) */
    const char *wait;           /* query argument (GET /v1/events), or NULL */
    const char *mapping;        /* query arguments of the import: mapping, */
    const char *dry_run;        /* ... dry_run (each NULL when absent) */
    const char *body;           /* the request body (NULL before it is read) */
    size_t body_len;            /* its length */
    bool too_large;             /* the body went past the limit (the rest was dropped) */
} agency_http_request_t;

/* The answer.  When pending is set the request waits for the group commit and the
 * answer comes from agency_pending_finish (core/pending.h). */
typedef struct {
    int status;                /* HTTP status */
    json_t *body;              /* owned JSON body */
    const char *allow;         /* Allow header for 405, or NULL */
    bool challenge;            /* add WWW-Authenticate (401) */
    agency_pending_t *pending; /* a letter waiting for the commit */
    char *text;                /* owned: a text/plain body (GET /metrics) instead of body */
    size_t text_len;           /* text's length when it is not a C string (0: strlen) */
    const char *text_type;     /* static Content-Type of text (NULL: text/plain) */
    char *headers;             /* owned: more header lines ("Name: value\n" each), or NULL */
    unsigned wait_s;           /* GET /v1/events with wait and nothing new: the listener may
                                  hold the request up to this long (body is the answer to give
                                  when it does not) */
    uint64_t wait_after;       /* ... the cursor it waits past */
    size_t wait_limit;         /* ... and the limit of the answer */
} agency_http_reply_t;

/* What can be answered from the headers alone (token, route, method, media type, size;
 * POST and DELETE carry a JSON body):
 * true with reply filled, false when the body is needed. */
bool agency_route_check (tsg_agency_t *self, const agency_http_request_t *req,
                         agency_http_reply_t *reply);

/* Answers a complete request (the checks above first). */
void agency_route (tsg_agency_t *self, const agency_http_request_t *req,
                   agency_http_reply_t *reply);

#endif
