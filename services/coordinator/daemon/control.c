/* control.c — the control socket (ZeroMQ REP over ipc, owner only) and its commands. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "coordinator/api/overview.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/audit.h"
#include "coordinator/model/cases.h"
#include "coordinator/daemon/admin.h"
#include "coordinator/daemon/admin_keys.h"
#include "coordinator/daemon/control.h"
#include "coordinator/daemon/control_reply.h"
#include "coordinator/daemon/staff.h"
#include "tsunagu/tsg_text.h"

struct _tsg_hub_control_t {
    void *socket;    /* the REP socket */
    char path[4096]; /* the socket file */
};

tsg_hub_control_t *
tsg_hub_control_new (void *ctx, const char *data_dir)
{
    tsg_hub_control_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    char endpoint[4200];
    if (snprintf (self->path, sizeof self->path, "%s/control.sock", data_dir)
        >= (int) sizeof self->path) {
        free (self);
        return NULL;
    }
    snprintf (endpoint, sizeof endpoint, "ipc://%s", self->path);
    self->socket = zmq_socket (ctx, ZMQ_REP);
    int linger = 0;
    int64_t max_size = TSG_HUB_CONTROL_MAX;
    if (!self->socket || zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_setsockopt (self->socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size) != 0
        || zmq_bind (self->socket, endpoint) != 0) {
        log_warnx ("control: cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        tsg_hub_control_destroy (&self);
        return NULL;
    }
    if (chmod (self->path, 0600) != 0) {
        log_warn ("control: cannot make %s owner-only", self->path);
        tsg_hub_control_destroy (&self);
        return NULL;
    }
    log_info ("control: listening on %s", endpoint);
    return self;
}

void
tsg_hub_control_destroy (tsg_hub_control_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_control_t *self = *self_p;
    if (self->socket) {
        zmq_close (self->socket);
        unlink (self->path);
    }
    free (self);
    *self_p = NULL;
}

void *
tsg_hub_control_socket (tsg_hub_control_t *self)
{
    return self->socket;
}

static char *
s_ping (const tsg_hub_control_env_t *env)
{
    return tsg_hub_control_dump (json_pack (
        "{s:b, s:s, s:s, s:I, s:I}", "ok", 1, "coordinator", TSG_COORDINATOR_ID, "version",
        TSUNAGU_VERSION, "registry_serial",
        (json_int_t) (env->directory ? tsg_hub_directory_serial (env->directory) : 0), "sessions",
        (json_int_t) (env->sessions ? tsg_hub_sessions_size (env->sessions) : 0)));
}

/* Applies a staff case event in a write transaction of its own, answering after the commit. */
static char *
s_case_event (const tsg_hub_control_env_t *env, const json_t *request)
{
    char detail[TSG_HUB_DETAIL_MAX];
    char event_id[TSG_UUID_TEXT_SIZE];
    uint8_t *envelope = NULL;
    size_t len = 0;
    const json_t *actor = json_object_get (request, "actor");
    if (actor && (!json_is_string (actor) || !tsg_text_ok (json_string_value (actor), 64)))
        return tsg_hub_control_refusal ("bad_request", "\"actor\" is 1-64 bytes of text");
    if (tsg_hub_staff_letter (request, env->keys, &envelope, &len, event_id, detail, sizeof detail)
        != 0)
        return tsg_hub_control_refusal ("bad_request", detail);
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, true);
    tsg_hub_intake_begin (env->intake, &txn);
    Tsunagu__V1__ErrorCode code =
        tsg_hub_intake_staff (env->intake, envelope, len, detail, sizeof detail);
    /* Who of the staff asked, beside the intake's own record of the event. */
    if (actor)
        tsg_hub_audit_add (tsg_hub_intake_audit (env->intake), "staff", NULL, NULL, NULL, NULL,
                           json_pack ("{s:s, s:s, s:O, s:s, s:s, s:s}", "user",
                                      json_string_value (actor), "change", "case-event", "case_id",
                                      json_object_get (request, "case_id"), "event_id", event_id,
                                      "outcome", code == 0 ? "applied" : tsg_error_code_name (code),
                                      "via", env->via ? env->via : "control"));
    free (envelope);
    tsg_hub_case_t *c = NULL;
    bool found = false;
    if (code == 0) {
        tsg_hub_intake_end (env->intake);
        c = malloc (sizeof *c);
        const char *case_id = json_string_value (json_object_get (request, "case_id"));
        found = c && tsg_hub_case_get (&txn, case_id, c);
    }
    /* A refusal changes nothing but the audit log, which records it all the same. */
    int rc = tsg_hub_audit_commit (tsg_hub_intake_audit (env->intake), &txn);
    if (code != 0) {
        if (rc != TSG_OK)
            log_warnx ("control: the refusal of a case event could not be audited: %s",
                       tsg_strerror (rc));
        return tsg_hub_control_refusal (tsg_error_code_name (code), detail);
    }
    char *reply;
    if (rc != TSG_OK || !found) {
        log_warnx ("control: a case event could not be stored: %s",
                   tsg_strerror (rc != TSG_OK ? rc : TSG_ERR_NOMEM));
        reply = tsg_hub_control_refusal ("store", "the event could not be stored; nothing changed");
    }
    else {
        log_info ("case %s: %s event by the coordinator's staff, now version %llu (%s)", c->id,
                  json_string_value (json_object_get (request, "type")),
                  (unsigned long long) c->version, tsg_case_state_name (c->state));
        reply = tsg_hub_control_dump (json_pack (
            "{s:b, s:s, s:s, s:I, s:s, s:s}", "ok", 1, "case_id", c->id, "event_id", event_id,
            "version", (json_int_t) c->version, "state", tsg_case_state_name (c->state),
            "state_label", tsg_case_state_label_ja (c->state)));
    }
    free (c);
    return reply;
}

/* {"command": "overview"}: the overview with its live part, as GET /v1/overview answers it. */
static char *
s_overview (const tsg_hub_control_env_t *env)
{
    tsg_hub_api_t offline = { .store = env->store, .directory = env->directory };
    tsg_txn_t txn;
    tsg_txn_begin (env->store, &txn, false);
    json_t *view = txn.rc == TSG_OK
                       ? tsg_hub_api_overview (env->api ? env->api : &offline, &txn, tsg_now_ms ())
                       : NULL;
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    if (!view) {
        log_warnx ("control: the overview could not be read: %s",
                   tsg_strerror (rc != TSG_OK ? rc : TSG_ERR_NOMEM));
        return tsg_hub_control_refusal ("store", "the overview could not be read");
    }
    json_object_set_new (view, "ok", json_true ());
    return tsg_hub_control_dump (view);
}

/* {"command": "alert-ack", "n": N, "actor": "<who>"}: staff acknowledge alert N, audited as
 * "alert-ack"; acknowledging it again changes nothing ("changed": false). */
static char *
s_alert_ack (const tsg_hub_control_env_t *env, const json_t *request)
{
    const json_t *n = json_object_get (request, "n");
    const char *actor = json_string_value (json_object_get (request, "actor"));
    if (!json_is_integer (n) || json_integer_value (n) < 1)
        return tsg_hub_control_refusal ("bad_request",
                                        "\"n\" must be an alert's number (1 or more)");
    if (!actor || !tsg_text_ok (actor, TSG_HUB_ALERT_ACTOR_MAX))
        return tsg_hub_control_refusal (
            "bad_request", "\"actor\" must name who asks: 1-64 bytes of printable UTF-8");
    tsg_hub_audit_t *audit = env->audit    ? env->audit
                             : env->intake ? tsg_hub_intake_audit (env->intake)
                                           : NULL;
    tsg_hub_alert_t alert;
    char why[96];
    tsg_hub_alert_ack_t result =
        tsg_hub_alert_acknowledge (env->store, audit, (uint64_t) json_integer_value (n), actor,
                                   env->via ? env->via : "control", tsg_now_ms (), &alert);
    switch (result) {
    case TSG_HUB_ALERT_ACKED:
    case TSG_HUB_ALERT_ALREADY:
        return tsg_hub_control_dump (json_pack ("{s:b, s:b, s:o}", "ok", 1, "changed",
                                                result == TSG_HUB_ALERT_ACKED, "alert",
                                                tsg_hub_alert_json (&alert)));
    case TSG_HUB_ALERT_UNKNOWN:
        snprintf (why, sizeof why, "there is no alert %lld", (long long) json_integer_value (n));
        return tsg_hub_control_refusal ("unknown_alert", why);
    case TSG_HUB_ALERT_BAD_ACTOR:
        return tsg_hub_control_refusal (
            "bad_request", "\"actor\" must name who asks: 1-64 bytes of printable UTF-8");
    default:
        return tsg_hub_control_refusal ("store", "the acknowledgement could not be stored; "
                                                 "nothing changed");
    }
}

char *
tsg_hub_control_answer (const tsg_hub_control_env_t *env, const char *request, size_t len)
{
    if (len > TSG_HUB_CONTROL_MAX)
        return tsg_hub_control_refusal ("too_large", "a control request is at most 64 KiB");
    json_error_t error;
    json_t *root = json_loadb (request, len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object (root)) {
        json_decref (root);
        return tsg_hub_control_refusal ("bad_request", "a control request is one JSON object");
    }
    const char *command = json_string_value (json_object_get (root, "command"));
    char *reply;
    if (!command)
        reply = tsg_hub_control_refusal ("bad_request", "\"command\" is required");
    else if (strcmp (command, "ping") == 0)
        reply = s_ping (env);
    else if (strcmp (command, "case-event") == 0 && !env->intake)
        reply = tsg_hub_control_refusal ("not_running", "case events need the running "
                                                        "coordinator: start it and try again");
    else if (strcmp (command, "case-event") == 0)
        reply = s_case_event (env, root);
    else if (strcmp (command, "overview") == 0)
        reply = s_overview (env);
    else if (strcmp (command, "alert-ack") == 0)
        reply = s_alert_ack (env, root);
    else if (!(reply = tsg_hub_admin_answer (env, command, root))
             && !(reply = tsg_hub_admin_keys_answer (env, command, root)))
        reply = tsg_hub_control_refusal ("unknown_command",
                                         "the commands are ping, case-event, overview, "
                                         "alert-ack, agency-add, agency-status, "
                                         "agency-due-days, agency-rotate and user-*");
    json_decref (root);
    return reply;
}

bool
tsg_hub_control_handle (tsg_hub_control_t *self, const tsg_hub_control_env_t *env)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, self->socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        return false;
    }
    /* A REP socket takes one frame; extra frames of a request are read and ignored. */
    bool extra = zmq_msg_more (&msg);
    char *reply = extra ? tsg_hub_control_refusal ("bad_request", "a control request is one frame")
                        : tsg_hub_control_answer (env, zmq_msg_data (&msg), zmq_msg_size (&msg));
    while (zmq_msg_more (&msg)) {
        zmq_msg_close (&msg);
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, self->socket, 0) < 0)
            break;
    }
    /* A request may hold a staff password (user-add, user-passwd): it is not left in memory. */
    sodium_memzero (zmq_msg_data (&msg), zmq_msg_size (&msg));
    zmq_msg_close (&msg);
    if (reply && zmq_send (self->socket, reply, strlen (reply), ZMQ_DONTWAIT) < 0)
        log_warnx ("control: cannot answer: %s", zmq_strerror (zmq_errno ()));
    free (reply);
    return true;
}
