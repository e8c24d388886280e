/* The coordinator's web dashboard for its staff, and the one HTTP listener that serves it
 * beside the JSON API (api.h): /v1/..., /metrics and /healthz go to the API with its bearer
 * token, everything else to the pages, behind a staff login (accounts: model/users.h).
 *
 * The pages show only what the coordinator holds: ids, codes, dates, counts and agency names,
 * never a person's data.  Staff with the coordinator role record case events and acknowledge
 * alerts here; each goes to the daemon as a control request (control.h) with the user's name
 * as actor, so it meets the same checks as `tsunaguctl case event` and lands in the audit log.
 *
 *     tsg_hub_web_config_t config = { .store = store, .api = &api, .audit = audit,
 *                                     .act = hub_act, .act_arg = hub };
 *     tsg_hub_web_t *web = tsg_hub_web_new (&config);
 *     tsg_http_server_t *http = tsg_hub_web_serve (web, "127.0.0.1:7780", NULL, NULL);
 *     // the loop polls tsg_http_server_fd (http) and calls tsg_http_server_run (http)
 *     tsg_http_server_destroy (&http);
 *     tsg_hub_web_destroy (&web); */
#ifndef TSG_HUB_WEB_H_INCLUDED
#define TSG_HUB_WEB_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "coordinator/api/api.h"
#include "coordinator/model/audit.h"
#include "tsunagu/tsg_http_server.h"

/* Sessions: idle and absolute lifetimes by default, in seconds. */
#define TSG_HUB_WEB_IDLE_S_DEFAULT (30 * 60)
#define TSG_HUB_WEB_MAX_S_DEFAULT  (10 * 60 * 60)

typedef struct _tsg_hub_web_t tsg_hub_web_t;

/* A control request (one JSON object, control.h) answered as the control socket would: the
 * reply text, which the caller frees (NULL when memory ran out).  The daemon answers it. */
typedef char *(tsg_hub_web_act_fn) (void *arg, const char *request);

typedef struct {
    tsg_store_t *store;       /* read for the pages, written for login events (borrowed) */
    const tsg_hub_api_t *api; /* the JSON routes and what they read (borrowed) */
    tsg_hub_audit_t *audit;   /* where logins, failures and logouts go (NULL: nowhere) */
    tsg_hub_web_act_fn *act;  /* staff actions (NULL: the pages only read) */
    void *act_arg;            /* its argument */
    unsigned session_idle_s;  /* a session ends after this long unused (0: the default) */
    unsigned session_max_s;   /* ... and this long after login whatever (0: the default) */
} tsg_hub_web_config_t;

/* A new dashboard with config (copied; what it points to is borrowed).  NULL when memory ran
 * out. */
tsg_hub_web_t *tsg_hub_web_new (const tsg_hub_web_config_t *config);

/* Ends every session and frees the dashboard; safe on NULL and twice. */
void tsg_hub_web_destroy (tsg_hub_web_t **self_p);

/* Listens on listen ("HOST:PORT", api/http.h) for the API and the pages, over HTTPS when both
 * PEM texts are given (cookies are then Secure).  At most 256 connections, 64 from one address;
 * bodies of at most 64 KiB.  NULL (logged) on failure; the caller destroys the server with
 * tsg_http_server_destroy before the dashboard. */
tsg_http_server_t *tsg_hub_web_serve (tsg_hub_web_t *self, const char *listen,
                                      const char *tls_cert_pem, const char *tls_key_pem);

/* The dashboard's counters (api.h), which /metrics reads; valid while the dashboard lives. */
const tsg_hub_staff_counters_t *tsg_hub_web_counters (const tsg_hub_web_t *self);

#endif
