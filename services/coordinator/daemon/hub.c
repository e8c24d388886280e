/* hub.c — the coordinator's hub (hub.h): its lifecycle (keys, store, registry, ZAP, ROUTER,
 * HTTP, control socket) and its loop, which polls and hands each ready socket to the file that
 * handles it (hub_parts.h): drain a batch of letters, commit once, answer, then forward.  The
 * loop answers the HTTP routes' questions about live connections (api.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/hub_parts.h"
#include "coordinator/model/data_check.h"

#include "coordinator/api/http.h"

/* tsg_hub_api_live_t for the routes (arg: the hub): agencies connected now, whether one is,
 * and the handshakes ZAP refused. */
static size_t
s_live_sessions (void *arg)
{
    const tsg_hub_t *self = arg;
    return tsg_hub_sessions_size (self->sessions);
}

static bool
s_live_connected (void *arg, const char *agency)
{
    const tsg_hub_t *self = arg;
    return tsg_hub_sessions_find (self->sessions, agency) != NULL;
}

static uint64_t
s_live_refused (void *arg)
{
    const tsg_hub_t *self = arg;
    return self->zap ? tsg_hub_zap_refused (self->zap) : 0;
}

tsg_hub_t *
tsg_hub_new (const char *endpoint, tsg_keys_t **keys_p, tsg_store_t **store_p)
{
    tsg_hub_t *self = calloc (1, sizeof *self);
    if (!self) {
        tsg_keys_destroy (keys_p);
        tsg_store_destroy (store_p);
        return NULL;
    }
    self->keys = *keys_p;
    self->store = *store_p;
    self->map_max = TSG_HUB_MAP_MAX_DEFAULT;
    *keys_p = NULL;
    *store_p = NULL;
    self->directory = tsg_hub_directory_new (self->keys);
    self->intake = tsg_hub_intake_new (self->directory, self->keys);
    self->sessions = tsg_hub_sessions_new ();
    if (!self->directory || !self->intake || !self->sessions) {
        log_warnx ("hub: out of memory");
        tsg_hub_destroy (&self);
        return NULL;
    }
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    int rc = tsg_hub_directory_load (self->directory, &txn);
    tsg_txn_abort (&txn);
    if (rc != TSG_OK) {
        log_warnx ("hub: cannot read the registry: %s", tsg_strerror (rc));
        tsg_hub_destroy (&self);
        return NULL;
    }
    self->ctx = zmq_ctx_new ();
    if (self->ctx)
        self->zap = tsg_hub_zap_new (self->ctx, self->directory);
    if (self->zap)
        self->router = hub_router_new (self, endpoint);
    if (!self->router) {
        tsg_hub_destroy (&self);
        return NULL;
    }
    self->api.store = self->store;
    self->api.directory = self->directory;
    self->live = hub_live_new ();
    self->api.live = (tsg_hub_api_live_t){ .sessions = s_live_sessions,
                                           .connected = s_live_connected,
                                           .handshakes_refused = s_live_refused,
                                           .last_seen_ms = hub_live_last_seen_ms,
                                           .letters_per_minute = hub_live_letters_per_minute,
                                           .directory_until_ms = hub_live_directory_until_ms,
                                           .holds_next_keys = hub_rotation_holds,
                                           .arg = self };
    self->api.counters = tsg_hub_intake_counters (self->intake);
    self->api.intake = self->intake;
    self->registry_checked_at = self->sessions_checked_at = tsg_monotonic_ms ();
    log_info ("listening on %s; registry generation %llu with %zu agencies", self->endpoint,
              (unsigned long long) tsg_hub_directory_serial (self->directory),
              tsg_hub_directory_size (self->directory));
    return self;
}

void
tsg_hub_destroy (tsg_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_t *self = *self_p;
    tsg_http_server_destroy (&self->http);
    tsg_hub_web_destroy (&self->web);
    tsg_hub_control_destroy (&self->control);
    if (self->router) {
        int linger = 0;
        zmq_setsockopt (self->router, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close (self->router);
    }
    tsg_hub_zap_destroy (&self->zap);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    hub_live_destroy (&self->live);
    tsg_hub_sessions_destroy (&self->sessions);
    tsg_hub_intake_destroy (&self->intake);
    tsg_hub_directory_destroy (&self->directory);
    tsg_hub_audit_destroy (&self->audit);
    tsg_store_destroy (&self->store);
    tsg_keys_destroy (&self->keys);
    tsg_keys_destroy (&self->next_keys);
    free (self->keys_path);
    free (self->pending);
    free (self);
    *self_p = NULL;
}

void
tsg_hub_set_limits (tsg_hub_t *self, const tsg_hub_limits_t *limits, size_t map_max)
{
    tsg_hub_intake_set_limits (self->intake, limits);
    self->map_max = map_max;
}

int
tsg_hub_open_audit (tsg_hub_t *self, const char *data_dir)
{
    tsg_hub_audit_destroy (&self->audit);
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    int rc = tsg_hub_audit_open (data_dir, &txn, &self->audit);
    tsg_txn_abort (&txn);
    /* Every routing decision the intake makes is recorded from now on. */
    tsg_hub_intake_set_audit (self->intake, self->audit);
    /* A store a restore brought back (model/data_check.h). */
    char path[4096], text[32] = "";
    snprintf (path, sizeof path, "%s/%s", data_dir, TSG_HUB_RESTORE_RESYNC);
    FILE *f = fopen (path, "r");
    if (f) {
        if (fgets (text, sizeof text, f))
            tsg_hub_intake_set_resync (self->intake, strtoull (text, NULL, 10));
        fclose (f);
    }
    if (rc != TSG_OK)
        log_warnx ("cannot open the audit log in %s: %s", data_dir, tsg_strerror (rc));
    return rc;
}

tsg_hub_audit_t *
tsg_hub_audit (tsg_hub_t *self)
{
    return self->audit;
}

int
tsg_hub_set_keys_path (tsg_hub_t *self, const char *keys_path)
{
    free (self->keys_path);
    self->keys_path = keys_path ? strdup (keys_path) : NULL;
    if (keys_path && !self->keys_path)
        return TSG_ERR_NOMEM;
    hub_rotation_load (self);
    return TSG_OK;
}

const char *
tsg_hub_endpoint (const tsg_hub_t *self)
{
    return self->endpoint;
}

/* The control environment of the hub's own requests (the socket's and the dashboard's). */
static tsg_hub_control_env_t
s_control_env (tsg_hub_t *self)
{
    return (tsg_hub_control_env_t){ .store = self->store,
                                    .intake = self->intake,
                                    .keys = self->keys,
                                    .directory = self->directory,
                                    .sessions = self->sessions,
                                    .api = &self->api,
                                    .keys_path = self->keys_path };
}

/* tsg_hub_web_act_fn: a staff action of the dashboard, answered as the control socket answers
 * (arg: the hub); the mail it made is forwarded like the socket's. */
static char *
s_web_act (void *arg, const char *request)
{
    tsg_hub_t *self = arg;
    tsg_hub_control_env_t env = s_control_env (self);
    env.via = "dashboard";
    char *reply = tsg_hub_control_answer (&env, request, strlen (request));
    hub_note_effects (self, tsg_monotonic_ms ());
    return reply;
}

int
tsg_hub_serve_http (tsg_hub_t *self, const tsg_hub_http_conf_t *conf)
{
    self->api.has_token = conf->token_sha256 != NULL;
    if (conf->token_sha256)
        memcpy (self->api.token_sha256, conf->token_sha256, 32);
    else
        log_info ("http: no [http] token_sha256 configured: every API route but /healthz "
                  "answers 401 (the dashboard takes staff logins)");
    self->api.http_limits = NULL;
    tsg_http_server_destroy (&self->http);
    self->api.staff = NULL;
    tsg_hub_web_destroy (&self->web);
    tsg_hub_web_config_t web = { .store = self->store,
                                 .api = &self->api,
                                 .audit = self->audit,
                                 .act = s_web_act,
                                 .act_arg = self,
                                 .session_idle_s = conf->session_idle_s,
                                 .session_max_s = conf->session_max_s };
    self->web = tsg_hub_web_new (&web);
    self->api.staff = self->web ? tsg_hub_web_counters (self->web) : NULL;
    if (self->web)
        self->http =
            tsg_hub_web_serve (self->web, conf->listen, conf->tls_cert_pem, conf->tls_key_pem);
    if (self->http)
        self->api.http_limits = tsg_http_server_limits (self->http);
    return self->http ? TSG_OK : TSG_ERR_IO;
}

int
tsg_hub_http_port_bound (const tsg_hub_t *self)
{
    return self->http ? tsg_http_server_port (self->http) : 0;
}

int
tsg_hub_serve_control (tsg_hub_t *self, const char *data_dir)
{
    tsg_hub_control_destroy (&self->control);
    self->control = tsg_hub_control_new (self->ctx, data_dir);
    return self->control ? TSG_OK : TSG_ERR_IO;
}

/* How long the next poll may wait (ms): until the next timer or paused forward. */
static long
s_poll_timeout (tsg_hub_t *self, uint64_t now)
{
    uint64_t wait = TSG_HUB_REGISTRY_CHECK_MS;
    uint64_t since = now - self->registry_checked_at;
    wait = since >= wait ? 0 : wait - since;
    for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++) {
        tsg_hub_session_t *s = tsg_hub_sessions_at (self->sessions, i);
        if (tsg_hub_session_wants (s, UINT64_MAX)) {
            uint64_t until = 0;
            if (!tsg_hub_session_wants (s, now))
                until = 20; /* paused: look again shortly */
            if (until < wait)
                wait = until;
        }
    }
    if (self->http) {
        long http = tsg_http_server_timeout (self->http);
        if (http >= 0 && (uint64_t) http < wait)
            wait = (uint64_t) http;
    }
    return (long) wait;
}

/* Answers the control requests that are waiting, one transaction each. */
static void
s_control (tsg_hub_t *self)
{
    tsg_hub_control_env_t env = s_control_env (self);
    while (tsg_hub_control_handle (self->control, &env)) {
        hub_note_effects (self, tsg_monotonic_ms ());
        hub_registry_check (self); /* a registry change holds from the next handshake on */
    }
}

int
tsg_hub_run (tsg_hub_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        uint64_t now = tsg_monotonic_ms ();
        zmq_pollitem_t items[4] = {
            { self->router, 0, ZMQ_POLLIN, 0 },
            { tsg_hub_zap_socket (self->zap), 0, ZMQ_POLLIN, 0 },
            { self->control ? tsg_hub_control_socket (self->control) : NULL, 0, ZMQ_POLLIN, 0 },
            { NULL, self->http ? tsg_http_server_fd (self->http) : -1, ZMQ_POLLIN, 0 },
        };
        int count = 2;
        if (self->control)
            count = 3;
        if (self->http) {
            if (count == 2)
                items[2] = items[3];
            count++;
        }
        int rc = zmq_poll (items, count, s_poll_timeout (self, now));
        if (rc < 0) {
            if (zmq_errno () == EINTR)
                continue;
            log_warnx ("hub: poll failed: %s", zmq_strerror (zmq_errno ()));
            return -1;
        }
        if (items[1].revents & ZMQ_POLLIN)
            tsg_hub_zap_handle (self->zap);
        if (items[0].revents & ZMQ_POLLIN)
            hub_take_batch (self);
        if (self->control && (items[2].revents & ZMQ_POLLIN))
            s_control (self);
        /* libmicrohttpd does what is ready (and its timeouts) without blocking. */
        if (self->http)
            tsg_http_server_run (self->http);
        now = tsg_monotonic_ms ();
        hub_timers (self, now);
        for (size_t i = 0; i < tsg_hub_sessions_size (self->sessions); i++)
            hub_forward (self, tsg_hub_sessions_at (self->sessions, i), now);
    }
    log_info ("stopping: %llu envelopes in %llu batches, %llu batches not committed, "
              "%llu answers dropped",
              (unsigned long long) self->letters_in, (unsigned long long) self->batches,
              (unsigned long long) self->batches_failed,
              (unsigned long long) self->answers_dropped);
    return 0;
}
