/* The agency HTTP API's routes: referrals and their status, inbox, cases, consents, directory,
 * policy and health. */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agency/api/routes.h"
#include "agency/api/views.h"
#include "agency/core/outbound.h"
#include "agency/core/submit.h"
#include "agency/imports/import.h"
#include "agency/imports/mapping.h"
#include "agency/records/categories.h"
#include "agency/records/json.h"

#define INBOX_LIMIT_DEFAULT 100
#define INBOX_LIMIT_MAX     500
#define EVENTS_WAIT_MAX_S   60

typedef enum {
    ROUTE_NONE,
    ROUTE_HEALTH,
    ROUTE_REFERRALS,
    ROUTE_REFERRAL,
    ROUTE_REFERRAL_STATUS,
    ROUTE_INBOX,
    ROUTE_DIRECTORY,
    ROUTE_CASES,
    ROUTE_CASE,
    ROUTE_CASE_EVENTS,
    ROUTE_CONSENTS,
    ROUTE_CONSENT,
    ROUTE_POLICY,
    ROUTE_METRICS,
    ROUTE_REFERRAL_FHIR,
    ROUTE_EXPORT_REFERRALS,
    ROUTE_EVENTS,
    ROUTE_IMPORT_REFERRALS,
    ROUTE_IMPORT_TEMPLATE,
} route_t;

#define ROUTE_ID_MAX 64 /* longest id a path segment may carry */

/* True when path is prefix + one segment (+ suffix, which may be ""): the segment goes to
 * id.  A segment longer than ROUTE_ID_MAX still matches (and finds nothing). */
static bool
s_resource (const char *path, const char *prefix, const char *suffix, char id[ROUTE_ID_MAX + 1])
{
    size_t n = strlen (prefix);
    if (strncmp (path, prefix, n) != 0)
        return false;
    const char *segment = path + n;
    const char *end = strchr (segment, '/');
    size_t len = end ? (size_t) (end - segment) : strlen (segment);
    if (len == 0 || strcmp (segment + len, suffix) != 0)
        return false;
    if (len > ROUTE_ID_MAX)
        len = ROUTE_ID_MAX;
    memcpy (id, segment, len);
    id[len] = '\0';
    return true;
}

static route_t
s_match (const char *path, char id[ROUTE_ID_MAX + 1])
{
    id[0] = '\0';
    if (strcmp (path, "/healthz") == 0)
        return ROUTE_HEALTH;
    if (strcmp (path, "/v1/referrals") == 0)
        return ROUTE_REFERRALS;
    if (s_resource (path, "/v1/referrals/", "", id))
        return ROUTE_REFERRAL;
    if (s_resource (path, "/v1/referrals/", "/status", id))
        return ROUTE_REFERRAL_STATUS;
    if (strcmp (path, "/v1/inbox") == 0)
        return ROUTE_INBOX;
    if (strcmp (path, "/v1/directory") == 0)
        return ROUTE_DIRECTORY;
    if (strcmp (path, "/v1/cases") == 0)
        return ROUTE_CASES;
    if (s_resource (path, "/v1/cases/", "", id))
        return ROUTE_CASE;
    if (s_resource (path, "/v1/cases/", "/events", id))
        return ROUTE_CASE_EVENTS;
    if (strcmp (path, "/v1/consents") == 0)
        return ROUTE_CONSENTS;
    if (s_resource (path, "/v1/consents/", "", id))
        return ROUTE_CONSENT;
    if (strcmp (path, "/v1/policy") == 0)
        return ROUTE_POLICY;
    if (s_resource (path, "/v1/referrals/", "/fhir", id))
        return ROUTE_REFERRAL_FHIR;
    if (strcmp (path, "/v1/exports/referrals.csv") == 0)
        return ROUTE_EXPORT_REFERRALS;
    if (strcmp (path, "/metrics") == 0)
        return ROUTE_METRICS;
    if (strcmp (path, "/v1/events") == 0)
        return ROUTE_EVENTS;
    if (strcmp (path, "/v1/imports/referrals") == 0)
        return ROUTE_IMPORT_REFERRALS;
    if (strcmp (path, "/v1/imports/referrals/template.csv") == 0)
        return ROUTE_IMPORT_TEMPLATE;
    return ROUTE_NONE;
}

/* The methods a route takes (its Allow header): GET reads; POST and DELETE carry a JSON
 * body. */
static const char *
s_allow (route_t route)
{
    switch (route) {
    case ROUTE_REFERRALS:
    case ROUTE_IMPORT_REFERRALS:
    case ROUTE_REFERRAL_STATUS:
    case ROUTE_CASE_EVENTS: return "POST";
    case ROUTE_CONSENTS: return "GET, POST";
    case ROUTE_CONSENT: return "GET, DELETE";
    default: return "GET";
    }
}

/* True when method is one route takes (HEAD with GET). */
static bool
s_method_allowed (route_t route, const char *method)
{
    const char *allow = s_allow (route);
    if (strcmp (method, "HEAD") == 0)
        method = "GET";
    size_t n = strlen (method);
    for (const char *p = allow; (p = strstr (p, method)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

/* True for the methods that carry a JSON body. */
static bool
s_body_method (const char *method)
{
    return strcmp (method, "POST") == 0 || strcmp (method, "DELETE") == 0;
}

static void
s_reply (agency_http_reply_t *reply, int status, json_t *body)
{
    reply->status = status;
    reply->body = body;
}

static void
s_error (agency_http_reply_t *reply, int status, const char *code, const char *message,
         json_t *fields)
{
    s_reply (reply, status, agency_json_error (code, message, fields));
}

/* True when the Authorization header carries the configured bearer token. */
static bool
s_authorized (const tsg_agency_t *self, const char *header)
{
    return tsg_bearer_matches (header, self->config->token_sha256);
}

/* True when the media type is type (parameters such as charset allowed). */
static bool
s_media (const char *content_type, const char *type)
{
    size_t n = strlen (type);
    if (!content_type)
        return false;
    while (*content_type == ' ')
        content_type++;
    if (strncasecmp (content_type, type, n) != 0)
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ';
}

/* The media type a route's body must have and its largest size: a spreadsheet for the
 * import, JSON for the rest. */
static bool
s_body_fits (route_t route, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    bool csv = route == ROUTE_IMPORT_REFERRALS;
    if (csv ? !s_media (req->content_type, "text/csv")
            : !s_media (req->content_type, "application/json")) {
        s_error (reply, 415, "unsupported_media_type",
                 csv ? "the body must be the spreadsheet sent as Content-Type: text/csv"
                     : "the body must be sent as Content-Type: application/json",
                 NULL);
        return false;
    }
    unsigned long long max = csv ? AGENCY_IMPORT_MAX : AGENCY_REQUEST_MAX;
    if (req->content_length) {
        errno = 0;
        char *end = NULL;
        unsigned long long length = strtoull (req->content_length, &end, 10);
        if (errno == 0 && end && *end == '\0' && length > max) {
            s_error (reply, 413, "too_large",
                     csv ? "the spreadsheet is larger than 4 MiB: import it in parts"
                         : "the request body is larger than 1 MiB",
                     NULL);
            return false;
        }
    }
    return true;
}

bool
agency_route_check (tsg_agency_t *self, const agency_http_request_t *req,
                    agency_http_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    char id[ROUTE_ID_MAX + 1];
    route_t route = s_match (req->path, id);
    bool get = strcmp (req->method, "GET") == 0 || strcmp (req->method, "HEAD") == 0;

    if (route == ROUTE_HEALTH) {
        if (!get) {
            reply->allow = "GET";
            s_error (reply, 405, "method_not_allowed", "use GET on /healthz", NULL);
            return true;
        }
        return false;
    }
    if (!s_authorized (self, req->authorization)) {
        reply->challenge = true;
        s_error (reply, 401, "unauthorized",
                 "a valid bearer token is required (Authorization: Bearer <token>)", NULL);
        return true;
    }
    if (route == ROUTE_NONE) {
        s_error (reply, 404, "not_found", "no such resource", NULL);
        return true;
    }
    if (!s_method_allowed (route, req->method)) {
        char message[96];
        snprintf (message, sizeof message, "use %s on %s", s_allow (route), req->path);
        reply->allow = s_allow (route);
        s_error (reply, 405, "method_not_allowed", message, NULL);
        return true;
    }
    if (s_body_method (req->method) && !s_body_fits (route, req, reply))
        return true;
    return false;
}

/* Parses an unsigned decimal query argument in [min, max]; false when it is not one. */
static bool
s_number (const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!text || !*text)
        return false;
    for (const char *p = text; *p; p++)
        if (!isdigit ((unsigned char) *p))
            return false;
    errno = 0;
    unsigned long long value = strtoull (text, NULL, 10);
    if (errno != 0 || value < min || value > max)
        return false;
    *out = value;
    return true;
}

/* /healthz "webhooks": [{name, cursor, pending, parked, last_error (null when none)}]
 * (daemon/webhooks.h). */
static json_t *
s_webhooks_health (const tsg_agency_t *self)
{
    json_t *list = json_array ();
    for (size_t i = 0; list && i < self->webhook_count; i++) {
        const agency_webhook_status_t *st = &self->webhook_status[i];
        json_t *error = st->last_error[0] ? json_string (st->last_error) : json_null ();
        json_array_append_new (list, json_pack ("{s:s, s:I, s:I, s:b, s:o}", "name", st->name,
                                                "cursor", (json_int_t) st->cursor, "pending",
                                                (json_int_t) st->pending, "parked", st->parked,
                                                "last_error", error));
    }
    return list;
}

static void
s_health (tsg_agency_t *self, agency_http_reply_t *reply)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    size_t outbox = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX));
    size_t inbox = tsg_txn_count (&txn, tsg_store_db (self->store, AGENCY_DB_INBOX));
    tsg_txn_abort (&txn);
    /* "status" says whether new work is taken ("ok") or why not (standing.h); a coordinator
     * that answers only to refuse is "refused", not "connected". */
    const char *coordinator = agency_standing_silent (&self->standing) ? "refused"
                              : agency_coordinator_connected (self)    ? "connected"
                                                                       : "disconnected";
    json_t *out = agency_standing_json (&self->standing, agency_now_mono ());
    json_t *more =
        json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b}", "agency", self->config->id, "type",
                   self->policy->type, "coordinator", coordinator, "directory_agencies",
                   (json_int_t) agency_directory_count (self->directory), "outbox_pending",
                   (json_int_t) outbox, "outbox_limit", (json_int_t) self->config->outbox_limit,
                   "inbox", (json_int_t) inbox, "inbound_held", self->hold_inbound);
    if (out && more)
        json_object_update (out, more);
    json_decref (more);
    if (out && self->webhook_count > 0)
        json_object_set_new (out, "webhooks", s_webhooks_health (self));
    s_reply (reply, 200, out);
}

static void
s_referral (tsg_agency_t *self, const char *id, agency_http_reply_t *reply)
{
    json_t *out = agency_referral_show (self, id);
    if (!out) {
        s_error (reply, 404, "not_found", "no referral with this id was sent or received here",
                 NULL);
        return;
    }
    s_reply (reply, 200, out);
}

/* A request that makes a letter: the submit pipeline (core/submit.h), which gates it. */
static void
s_submit (tsg_agency_t *self, agency_kind_id_t kind, const char *id,
          const agency_http_request_t *req, agency_http_reply_t *reply)
{
    reply->pending = agency_submit (self, kind, id, req->body ? req->body : "", req->body_len,
                                    &reply->status, &reply->body);
}

static void
s_cases (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    tsg_case_state_t state;
    if (req->state && !tsg_case_state_parse (req->state, &state)) {
        s_error (reply, 400, "invalid", "bad query arguments",
                 json_pack ("{s:s}", "state", "must be a case state name"));
        return;
    }
    s_reply (reply, 200, agency_cases_list (self, req->state));
}

static void
s_case (tsg_agency_t *self, const char *id, agency_http_reply_t *reply)
{
    json_t *out = tsg_uuid_valid (id) ? agency_case_show (self, id) : NULL;
    if (!out) {
        s_error (reply, 404, "not_found", "this agency has no copy of a case with this id", NULL);
        return;
    }
    s_reply (reply, 200, out);
}

static void
s_inbox (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    uint64_t after = 0, limit = INBOX_LIMIT_DEFAULT;
    json_t *fields = json_object ();
    if (req->after && !s_number (req->after, 0, UINT64_MAX / 2, &after))
        json_object_set_new (fields, "after", json_string ("must be a cursor (an integer >= 0)"));
    if (req->limit && !s_number (req->limit, 1, INBOX_LIMIT_MAX, &limit))
        json_object_set_new (fields, "limit", json_string ("must be an integer from 1 to 500"));
    if (json_object_size (fields) > 0) {
        s_error (reply, 400, "invalid", "bad query arguments", fields);
        return;
    }
    json_decref (fields);
    s_reply (reply, 200, agency_inbox_list (self, after, (size_t) limit));
}

/* GET /v1/events?after=&limit=&wait=: the feed (api/events_view.c); with wait and nothing
 * new the listener may hold the request until an event is committed (daemon/http.c). */
static void
s_events (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    uint64_t after = 0, limit = INBOX_LIMIT_DEFAULT, wait = 0;
    json_t *fields = json_object ();
    if (req->after && !s_number (req->after, 0, UINT64_MAX / 2, &after))
        json_object_set_new (fields, "after", json_string ("must be a cursor (an integer >= 0)"));
    if (req->limit && !s_number (req->limit, 1, INBOX_LIMIT_MAX, &limit))
        json_object_set_new (fields, "limit", json_string ("must be an integer from 1 to 500"));
    if (req->wait && !s_number (req->wait, 0, EVENTS_WAIT_MAX_S, &wait))
        json_object_set_new (fields, "wait", json_string ("must be seconds from 0 to 60"));
    if (json_object_size (fields) > 0) {
        s_error (reply, 400, "invalid", "bad query arguments", fields);
        return;
    }
    json_decref (fields);
    size_t count = 0;
    reply->body = agency_events_list (self, after, (size_t) limit, &reply->status, &count);
    if (reply->status == 200 && count == 0 && wait > 0) {
        reply->wait_s = (unsigned) wait;
        reply->wait_after = after;
        reply->wait_limit = (size_t) limit;
    }
}

static void
s_directory (tsg_agency_t *self, agency_http_reply_t *reply)
{
    if (!self->directory) {
        s_error (reply, 503, "not_ready", "no directory from the coordinator yet", NULL);
        return;
    }
    s_reply (reply, 200, agency_directory_json (self->directory));
}

static void
s_consents (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    if (req->case_filter && !tsg_uuid_valid (req->case_filter)) {
        s_error (reply, 400, "invalid", "bad query arguments",
                 json_pack ("{s:s}", "case", "must be a case id (a lowercase UUID)"));
        return;
    }
    s_reply (reply, 200, agency_consents_list (self, req->case_filter));
}

static void
s_consent (tsg_agency_t *self, const char *id, agency_http_reply_t *reply)
{
    json_t *out = agency_consent_show (self, id);
    if (!out) {
        s_error (reply, 404, "not_found", "no consent with this id is known here", NULL);
        return;
    }
    s_reply (reply, 200, out);
}

/* GET /v1/referrals/{id}/fhir: the FHIR R4 Bundle (api/fhir_view.c). */
static void
s_fhir (tsg_agency_t *self, const char *id, agency_http_reply_t *reply)
{
    json_t *bundle = agency_referral_fhir (self, id);
    if (!bundle) {
        s_error (reply, 404, "not_found", "no referral with this id was sent or received here",
                 NULL);
        return;
    }
    reply->text = json_dumps (bundle, JSON_COMPACT);
    json_decref (bundle);
    reply->text_type = "application/fhir+json; fhirVersion=4.0; charset=utf-8";
    if (reply->text)
        reply->status = 200;
    else
        s_error (reply, 500, "internal", "out of memory", NULL);
}

/* GET /v1/exports/referrals.csv: the period's referrals as CSV (api/export_view.c), a file
 * to save (Content-Disposition: attachment). */
static void
s_export (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    agency_export_query_t q;
    json_t *fields = json_object ();
    if (!agency_export_parse (req->from, req->to, req->direction, req->encoding, req->personal, &q,
                              fields)) {
        s_error (reply, 400, "invalid", "bad query arguments", fields);
        return;
    }
    json_decref (fields);
    json_t *error = NULL;
    reply->status = agency_export_referrals (self, &q, &reply->text, &reply->text_len, &error);
    if (reply->status != 200) {
        reply->body = error;
        return;
    }
    reply->text_type = q.cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
    if (asprintf (&reply->headers,
                  "Content-Disposition: attachment; filename=\"referrals-%s-%s.csv\"\n", q.from,
                  q.to)
        < 0)
        reply->headers = NULL;
}

/* true / false (1 / 0) into *out; false when text is neither. */
static bool
s_flag (const char *text, bool *out)
{
    if (!text || strcmp (text, "false") == 0 || strcmp (text, "0") == 0)
        *out = false;
    else if (strcmp (text, "true") == 0 || strcmp (text, "1") == 0 || !*text)
        *out = true;
    else
        return false;
    return true;
}

/* POST /v1/imports/referrals?mapping=&dry_run=: the spreadsheet, all or nothing
 * (imports/import.h); a real import answers after its group commit. */
static void
s_import (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    agency_import_request_t import = { .mappings_dir = self->config->mappings_dir,
                                       .mapping = req->mapping,
                                       .body = req->body ? req->body : "",
                                       .len = req->body_len };
    json_t *fields = json_object ();
    if (!s_flag (req->dry_run, &import.dry_run))
        json_object_set_new (fields, "dry_run", json_string ("must be true or false"));
    if (req->mapping && !agency_import_name_valid (req->mapping))
        json_object_set_new (fields, "mapping",
                             json_string ("must be a mapping's name: 1 to 64 of [a-z0-9_-]"));
    if (json_object_size (fields) > 0) {
        s_error (reply, 400, "invalid", "bad query arguments", fields);
        return;
    }
    json_decref (fields);
    reply->status = agency_import_run (self, &import, &reply->body, &reply->pending);
}

/* GET /v1/imports/referrals/template.csv?mapping=&encoding=: the header row to fill in. */
static void
s_import_template (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    bool cp932 = req->encoding && strcmp (req->encoding, "cp932") == 0;
    if ((req->encoding && !cp932 && strcmp (req->encoding, "utf-8") != 0)
        || (req->mapping && !agency_import_name_valid (req->mapping))) {
        s_error (reply, 400, "invalid", "bad query arguments",
                 json_pack ("{s:s}", req->encoding ? "encoding" : "mapping",
                            req->encoding ? "must be utf-8 or cp932"
                                          : "must be a mapping's name: 1 to 64 of [a-z0-9_-]"));
        return;
    }
    reply->status = agency_import_template (self->config->mappings_dir, req->mapping, cp932,
                                            &reply->text, &reply->text_len, &reply->body);
    if (reply->status != 200)
        return;
    reply->text_type = cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8";
    if (asprintf (&reply->headers,
                  "Content-Disposition: attachment; filename=\"referrals-template.csv\"\n")
        < 0)
        reply->headers = NULL;
}

/* GET /v1/policy: this agency type's policy, as the table holds it. */
static json_t *
s_policy (tsg_agency_t *self)
{
    const tsg_agency_policy_t *p = self->policy;
    json_t *tags = json_array ();
    for (size_t i = 0; p->tags[i]; i++)
        json_array_append_new (tags, json_string (p->tags[i]));
    json_t *fields = json_array ();
    for (size_t i = 0; p->intake && p->intake[i].path; i++) {
        const tsg_intake_field_t *f = &p->intake[i];
        char path[96];
        snprintf (path, sizeof path, "sheet.%s", f->path);
        json_t *item = json_pack ("{s:s, s:s}", "path", path, "kind",
                                  f->kind == TSG_INTAKE_INTEGER ? "integer" : "string");
        if (f->kind == TSG_INTAKE_INTEGER) {
            json_object_set_new (item, "min", json_integer (f->min));
            json_object_set_new (item, "max", json_integer (f->max));
        }
        if (f->alternative) {
            snprintf (path, sizeof path, "sheet.%s", f->alternative);
            json_object_set_new (item, "or", json_string (path));
        }
        json_array_append_new (fields, item);
    }
    json_t *categories = json_array ();
    for (size_t i = 0; agency_data_categories[i]; i++)
        json_array_append_new (categories, json_string (agency_data_categories[i]));
    json_t *out = json_pack ("{s:s, s:s, s:s, s:i, s:o, s:o, s:b, s:{s:s, s:s, s:s}, s:o}", "type",
                             p->type, "name_ja", p->name_ja, "name_en", p->name_en,
                             "response_due_days", p->response_due_days, "tags", tags,
                             "required_fields", fields, "may_send_emergency", p->may_send_emergency,
                             "statutory_meeting", "kind", p->meeting_name, "name", p->meeting_ja,
                             "law", p->meeting_law, "data_categories", categories);
    json_object_set_new (out, "mandatory_report",
                         p->mandatory_report ? json_string (p->mandatory_report) : json_null ());
    return out;
}

void
agency_route (tsg_agency_t *self, const agency_http_request_t *req, agency_http_reply_t *reply)
{
    if (agency_route_check (self, req, reply))
        return;
    char id[ROUTE_ID_MAX + 1];
    route_t route = s_match (req->path, id);
    bool write = s_body_method (req->method);
    size_t max = route == ROUTE_IMPORT_REFERRALS ? AGENCY_IMPORT_MAX : AGENCY_REQUEST_MAX;
    if (write && (req->too_large || req->body_len > max)) {
        s_error (reply, 413, "too_large",
                 route == ROUTE_IMPORT_REFERRALS
                     ? "the spreadsheet is larger than 4 MiB: import it in parts"
                     : "the request body is larger than 1 MiB",
                 NULL);
        return;
    }
    switch (route) {
    case ROUTE_HEALTH: s_health (self, reply); return;
    case ROUTE_REFERRALS: s_submit (self, AGENCY_KIND_REFERRAL, NULL, req, reply); return;
    case ROUTE_REFERRAL: s_referral (self, id, reply); return;
    case ROUTE_REFERRAL_STATUS: s_submit (self, AGENCY_KIND_STATUS, id, req, reply); return;
    case ROUTE_INBOX: s_inbox (self, req, reply); return;
    case ROUTE_DIRECTORY: s_directory (self, reply); return;
    case ROUTE_CASES: s_cases (self, req, reply); return;
    case ROUTE_CASE: s_case (self, id, reply); return;
    case ROUTE_CASE_EVENTS: s_submit (self, AGENCY_KIND_CASE_EVENT, id, req, reply); return;
    case ROUTE_CONSENTS:
        if (write)
            s_submit (self, AGENCY_KIND_CONSENT_GRANT, NULL, req, reply);
        else
            s_consents (self, req, reply);
        return;
    case ROUTE_CONSENT:
        if (write)
            s_submit (self, AGENCY_KIND_CONSENT_REVOKE, id, req, reply);
        else
            s_consent (self, id, reply);
        return;
    case ROUTE_POLICY: s_reply (reply, 200, s_policy (self)); return;
    case ROUTE_EVENTS: s_events (self, req, reply); return;
    case ROUTE_REFERRAL_FHIR: s_fhir (self, id, reply); return;
    case ROUTE_EXPORT_REFERRALS: s_export (self, req, reply); return;
    case ROUTE_IMPORT_REFERRALS: s_import (self, req, reply); return;
    case ROUTE_IMPORT_TEMPLATE: s_import_template (self, req, reply); return;
    case ROUTE_METRICS:
        reply->text = agency_metrics_text (self);
        if (reply->text)
            reply->status = 200;
        else
            s_error (reply, 500, "internal", "out of memory", NULL);
        return;
    case ROUTE_NONE: break;
    }
    s_error (reply, 404, "not_found", "no such resource", NULL);
}
