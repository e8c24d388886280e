/* The coordinator's read-only HTTP API, apart from the server: a request in, a status and a
 * body out.  http.c serves it with the common HTTP adapter (tsg_http_server.h); tests call it
 * directly.  Arrows: http.c -> routes.c -> metrics.c; the API reads the model and the
 * intake's counters, and learns about live connections only through tsg_hub_api_live_t. */
#ifndef TSG_HUB_API_H_INCLUDED
#define TSG_HUB_API_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "coordinator/intake/intake.h"
#include "coordinator/model/directory.h"
#include "tsunagu/tsg_http_limits.h"

/* What the routes ask the running process about its connections, answered by the daemon
 * (daemon/hub.c): the API holds no session table and no ZAP handler, so its arrows point
 * down.  A function left NULL answers "none". */
typedef struct {
    size_t (*sessions) (void *arg);                    /* agencies connected now */
    bool (*connected) (void *arg, const char *agency); /* whether agency has a session */
    uint64_t (*handshakes_refused) (void *arg);        /* CURVE handshakes ZAP refused */
    /* Wall-clock ms (UTC) agency last spoke to the coordinator: now or lately for a connected
     * one, 0 when it has not since the coordinator started (api/overview.c). */
    uint64_t (*last_seen_ms) (void *arg, const char *agency);
    /* Letters stored in each of the last 60 minutes (sliding: out[59] is the 60 seconds up to
     * now, out[58] the 60 before, ...), zeros before the coordinator started. */
    void (*letters_per_minute) (void *arg, uint32_t out[60]);
    /* Wall-clock ms (UTC) until which the DIRECTORY last sent to agency is valid (7 days after
     * it was sealed: the agency's copy expires then unless a newer one reaches it); 0 when none
     * was sent since the coordinator started (tsunaguctl status). */
    uint64_t (*directory_until_ms) (void *arg, const char *agency);
    /* During a rotation of the coordinator's own keys: 1 when agency's session says it holds
     * the next keys, 0 when it does not (or has no session); -1 when no rotation is under way. */
    int (*holds_next_keys) (void *arg, const char *agency);
    void *arg; /* their argument */
} tsg_hub_api_live_t;

/* The dashboard's logins (web/web.h), for /metrics. */
typedef struct {
    uint64_t logins;          /* sessions started */
    uint64_t login_failures;  /* wrong name or password */
    uint64_t login_locked;    /* attempts refused by the lockout or the rate of attempts */
    uint64_t csrf_refused;    /* forms posted without their session's token */
    uint64_t sessions_active; /* sessions alive at the last request */
} tsg_hub_staff_counters_t;

/* What the routes read.  Everything is borrowed. */
typedef struct {
    tsg_store_t *store;                        /* read in short read transactions */
    const tsg_hub_directory_t *directory;      /* the registry in memory */
    tsg_hub_api_live_t live;                   /* connections, sessions, handshakes */
    const tsg_hub_intake_counters_t *counters; /* letters stored and refused (NULL: none) */
    const tsg_hub_intake_t *intake;            /* limits and repeated refusals (NULL: none) */
    const tsg_http_limits_t *http_limits;      /* the HTTP server's limits (NULL: not serving) */
    const tsg_hub_staff_counters_t *staff;     /* the dashboard's logins (NULL: none) */
    bool has_token;                            /* false: every route but /healthz is 401 */
    uint8_t token_sha256[32];                  /* SHA-256 of the bearer token */
} tsg_hub_api_t;

/* Agencies connected now (0 when the daemon says nothing). */
static inline size_t
tsg_hub_api_sessions (const tsg_hub_api_t *api)
{
    return api->live.sessions ? api->live.sessions (api->live.arg) : 0;
}

/* Whether agency has a session now. */
static inline bool
tsg_hub_api_connected (const tsg_hub_api_t *api, const char *agency)
{
    return api->live.connected && agency && api->live.connected (api->live.arg, agency);
}

/* One request, as the server parsed it. */
typedef struct {
    const char *method;        /* "GET", ... */
    const char *path;          /* "/v1/cases", without the query */
    const char *authorization; /* the Authorization header, or NULL */
    /* The query argument name, or NULL when absent. */
    const char *(*arg) (void *cls, const char *name);
    void *arg_cls; /* its first argument */
} tsg_hub_request_t;

/* The answer. */
typedef struct {
    int status;               /* HTTP status */
    char *body;               /* the body (owned by the caller once returned; free()) */
    const char *content_type; /* static */
    const char *allow;        /* 405: the Allow header (static), else NULL */
    bool challenge;           /* 401: add WWW-Authenticate */
} tsg_hub_reply_t;

/* Answers req.  Routes (JSON unless said otherwise; all GET; all but /healthz need
 * "Authorization: Bearer <token>"):
 *   /healthz, /v1/agencies, /v1/cases?state=&agency=&tag=&overdue=1&limit=&after=,
 *   /v1/cases/{id}, /v1/referrals?overdue=received|accepted&limit=, /v1/referrals/{id},
 *   /v1/stats, /v1/alerts?limit= (emergency reports routed, newest first: alerts.h),
 *   /v1/consents?case=<id> (the register's consents of a case: consents.h),
 *   /metrics (Prometheus text).
 * Errors are {"error": "<code>", "message": "<sentence>"} with 400 invalid, 401 unauthorized,
 * 404 not_found, 405 method_not_allowed, 500 internal.  Never fails: reply is always set. */
void tsg_hub_api_handle (const tsg_hub_api_t *api, const tsg_hub_request_t *req,
                         tsg_hub_reply_t *reply);

/* The Prometheus text of /metrics (caller frees), or NULL when memory ran out. */
char *tsg_hub_metrics_text (const tsg_hub_api_t *api, tsg_txn_t *txn, uint64_t now_ms);

#endif
