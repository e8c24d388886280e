/* import.c — a spreadsheet of referrals through the submit pipeline, all of it or nothing
 * (import.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_csv_read.h"
#include "agency/core/pending.h"
#include "agency/core/submit.h"
#include "agency/imports/import.h"
#include "agency/imports/rows.h"
#include "agency/records/json.h"
#include "agency/records/sent.h"
#include "agency/records/store.h"

/* One import as it goes. */
typedef struct {
    tsg_agency_t *self;
    agency_import_mapping_t mapping;
    agency_import_header_t header;
    agency_import_self_t who;
    bool have_header;
    bool header_failed;
    agency_import_plan_t *plans;
    size_t count;
    json_t *problems;
    json_t *warnings;
    json_t *results;
    size_t sent, already, skipped, invalid;
} s_import_t;

/* tsg_csv_row_fn: the header, then each row read into its plan. */
static bool
s_on_row (void *arg, const tsg_csv_row_t *row)
{
    s_import_t *im = arg;
    if (!im->have_header) {
        im->have_header = true;
        im->header_failed =
            agency_import_header_read (&im->mapping, row, &im->header, im->problems, im->warnings)
            != 0;
        return !im->header_failed;
    }
    if (im->count >= AGENCY_IMPORT_ROWS_MAX) {
        char why[120];
        snprintf (why, sizeof why, "more than %d rows: import the file in parts",
                  AGENCY_IMPORT_ROWS_MAX);
        agency_import_problem (im->problems, row->number, NULL, NULL, why);
        im->header_failed = true;
        return false;
    }
    agency_import_row_plan (&im->header, row, &im->who, &im->plans[im->count++], im->problems);
    return true;
}

/* The answer's body: the error (when code is set), the counts and the lists. */
static json_t *
s_report (s_import_t *im, const agency_import_request_t *req, const char *encoding,
          const char *code, const char *message)
{
    json_t *out = json_object ();
    if (code) {
        json_object_set_new (out, "error", json_string (code));
        json_object_set_new (out, "message", json_string (message));
    }
    size_t valid = 0;
    for (size_t i = 0; i < im->count; i++)
        valid += im->plans[i].ok && !im->plans[i].skip[0];
    json_object_set_new (out, "dry_run", json_boolean (req->dry_run));
    json_object_set_new (out, "mapping", req->mapping ? json_string (req->mapping) : json_null ());
    json_object_set_new (out, "encoding", encoding ? json_string (encoding) : json_null ());
    json_object_set_new (out, "rows", json_integer ((json_int_t) im->count));
    size_t sent = code || req->dry_run ? 0 : im->sent;
    json_object_set_new (out, "counts",
                         json_pack ("{s:I, s:I, s:I, s:I, s:I}", "sent", (json_int_t) sent,
                                    "already_sent", (json_int_t) im->already, "skipped",
                                    (json_int_t) im->skipped, "invalid", (json_int_t) im->invalid,
                                    "valid", (json_int_t) valid));
    if (code || req->dry_run) { /* nothing was sent: what was queued has been taken back */
        size_t i;
        json_t *item;
        json_array_foreach (im->results, i, item)
        {
            if (strcmp (json_string_value (json_object_get (item, "status")), "sent") != 0)
                continue;
            json_object_set_new (item, "status", json_string ("valid"));
            json_object_set_new (item, "referral_id", json_null ());
            json_object_set_new (item, "case_id", json_null ());
            json_object_set_new (item, "consent_id", json_null ());
        }
    }
    json_object_set (out, "results", im->results);
    json_object_set (out, "problems", im->problems);
    json_object_set (out, "warnings", im->warnings);
    return out;
}

/* The referral already sent under the plan's client_ref (a row imported before): its sent
 * record (caller decrefs) with its id in id, or NULL with id "". */
static json_t *
s_known (tsg_agency_t *self, const agency_import_plan_t *plan, char id[TSG_UUID_TEXT_SIZE])
{
    id[0] = '\0';
    tsg_txn_t txn;
    MDB_val val;
    json_t *record = NULL;
    tsg_txn_begin (self->store, &txn, false);
    if (tsg_txn_get (&txn, tsg_store_db (self->store, AGENCY_DB_CLIENTREF), plan->client_ref,
                     strlen (plan->client_ref), &val)
        && val.mv_size == 36) {
        memcpy (id, val.mv_data, 36);
        id[36] = '\0';
        record = agency_sent_get (&txn, id);
    }
    tsg_txn_abort (&txn);
    return record;
}

static void
s_result (s_import_t *im, const agency_import_plan_t *plan, const char *status,
          const char *referral_id, const char *case_id, const char *consent_id, const char *reason)
{
    json_t *item = json_pack ("{s:I, s:s, s:s, s:s}", "row", (json_int_t) plan->row, "key",
                              plan->key, "status", status, "to", plan->to);
    json_object_set_new (item, "referral_id",
                         referral_id ? json_string (referral_id) : json_null ());
    json_object_set_new (item, "case_id", case_id ? json_string (case_id) : json_null ());
    json_object_set_new (item, "consent_id", consent_id ? json_string (consent_id) : json_null ());
    if (reason)
        json_object_set_new (item, "reason", json_string (reason));
    json_array_append_new (im->results, item);
}

/* A refusal that is not the row's (the agency's standing, the directory, the store): the whole
 * import stops with it. */
static bool
s_whole_import (int status)
{
    return status == 409 || status == 500 || status == 503 || status == 429;
}

/* One request of a row through the pipeline: the pending letter, or NULL with the refusal
 * turned into the row's problems (and *stop set when it is the whole import's). */
static agency_pending_t *
s_submit (s_import_t *im, agency_kind_id_t kind, const agency_import_plan_t *plan, json_t *body,
          const char *prefix, int *stop, json_t **stop_reply)
{
    char *text = json_dumps (body, JSON_COMPACT);
    int status = 0;
    json_t *reply = NULL;
    agency_pending_t *pending =
        text ? agency_submit (im->self, kind, NULL, text, strlen (text), &status, &reply) : NULL;
    if (text)
        sodium_memzero (text, strlen (text)); /* the sheet's personal data */
    free (text);
    if (pending && !pending->same_as) {
        json_decref (reply);
        return pending;
    }
    if (!text || s_whole_import (status)) {
        *stop = text ? status : 500;
        *stop_reply = reply;
        return NULL;
    }
    if (status == 200 || (pending && pending->same_as))
        agency_import_problem (im->problems, plan->row, NULL, NULL,
                               "the same row key as another row of this import");
    else
        agency_import_refusal (&im->header, plan->row, prefix, reply, im->problems);
    json_decref (reply);
    return NULL;
}

/* A row of ours that was not imported before: its consent, then its referral. */
static void
s_send_row (s_import_t *im, agency_import_plan_t *plan, int *stop, json_t **stop_reply)
{
    const char *consent_id = NULL;
    char consent[TSG_UUID_TEXT_SIZE] = "";
    if (plan->consent) {
        agency_pending_t *p = s_submit (im, AGENCY_KIND_CONSENT_GRANT, plan, plan->consent,
                                        "consent.", stop, stop_reply);
        if (!p) {
            plan->ok = false;
            return;
        }
        memcpy (consent, p->referral_id, sizeof consent);
        consent_id = consent;
        json_object_set_new (plan->referral, "consent_id", json_string (consent));
    }
    agency_pending_t *p =
        s_submit (im, AGENCY_KIND_REFERRAL, plan, plan->referral, "", stop, stop_reply);
    if (!p) {
        plan->ok = false;
        return;
    }
    s_result (im, plan, "sent", p->referral_id, p->case_id, consent_id, NULL);
}

/* Runs every row's requests; 0, or the status that stopped the whole import. */
static int
s_send (s_import_t *im, json_t **stop_reply)
{
    int stop = 0;
    for (size_t i = 0; i < im->count && !stop; i++) {
        agency_import_plan_t *plan = &im->plans[i];
        for (size_t j = 0; j < i && plan->ok && !plan->skip[0]; j++)
            if (!im->plans[j].skip[0] && strcmp (im->plans[j].key, plan->key) == 0) {
                char why[AGENCY_IMPORT_KEY_MAX + 128];
                snprintf (why, sizeof why,
                          "the same household and recipient (%s) as row %zu: one referral per row "
                          "key",
                          plan->key, im->plans[j].row);
                agency_import_problem (im->problems, plan->row, NULL, NULL, why);
                plan->ok = false;
            }
        if (plan->skip[0]) {
            im->skipped++;
            s_result (im, plan, "skipped", NULL, NULL, NULL, plan->skip);
            continue;
        }
        char known[TSG_UUID_TEXT_SIZE];
        json_t *sent = s_known (im->self, plan, known);
        if (plan->ok && known[0]) {
            im->already++;
            s_result (im, plan, "already_sent", known, agency_json_str (sent, "case_id"),
                      agency_json_str (sent, "consent_id"), NULL);
            json_decref (sent);
            continue;
        }
        json_decref (sent);
        if (plan->ok)
            s_send_row (im, plan, &stop, stop_reply);
        if (!plan->ok && !stop) {
            im->invalid++;
            s_result (im, plan, "invalid", NULL, NULL, NULL, "see problems");
        }
        else if (plan->ok)
            im->sent++;
    }
    return stop;
}

/* The file read into plans: 0, or 400 with *report. */
static int
s_read (s_import_t *im, const agency_import_request_t *req, tsg_csv_text_t *text, json_t **report)
{
    char why[200];
    if (tsg_csv_decode ((const uint8_t *) req->body, req->len, text, why, sizeof why) != TSG_OK) {
        agency_import_problem (im->problems, 0, NULL, NULL, why);
        *report = s_report (im, req, NULL, "invalid_file", why);
        return 400;
    }
    const char *encoding = tsg_csv_encoding_name (text->encoding);
    tsg_csv_problem_t problem = { 0 };
    int rc = tsg_csv_parse (text->data, text->len, s_on_row, im, &problem);
    if (rc != TSG_OK) {
        agency_import_problem (im->problems, problem.row, NULL, NULL,
                               problem.why[0] ? problem.why : "cannot be read");
        *report = s_report (im, req, encoding, "invalid_file", "the file cannot be read as CSV");
        return 400;
    }
    if (im->header_failed || !im->have_header || im->count == 0) {
        if (!im->have_header || (im->count == 0 && !im->header_failed))
            agency_import_problem (im->problems, 0, NULL, NULL,
                                   "the file has no rows under its header");
        *report = s_report (im, req, encoding, "invalid_file",
                            "the file cannot be imported (see problems)");
        return 400;
    }
    return 0;
}

static void
s_free (s_import_t *im)
{
    for (size_t i = 0; i < im->count; i++)
        agency_import_plan_clear (&im->plans[i]);
    free (im->plans);
    agency_import_header_clear (&im->header);
    agency_import_mapping_clear (&im->mapping);
    json_decref (im->problems);
    json_decref (im->warnings);
    json_decref (im->results);
}

/* The mapping of the request: 0, or 404 / 400 with *report. */
static int
s_mapping (s_import_t *im, const agency_import_request_t *req, json_t **report)
{
    char why[300] = "";
    int rc = req->mapping
                 ? agency_import_mapping_load (req->mappings_dir, req->mapping, &im->mapping, why,
                                               sizeof why)
                 : agency_import_mapping_parse (NULL, NULL, 0, &im->mapping, why, sizeof why);
    if (rc == 0)
        return 0;
    if (rc == 1) {
        snprintf (why, sizeof why,
                  "no mapping named %.64s in the agency's mappings directory ([import] mappings)",
                  req->mapping);
        *report = s_report (im, req, NULL, "no_such_mapping", why);
        return 404;
    }
    agency_import_problem (im->problems, 0, NULL, NULL, why);
    *report = s_report (im, req, NULL, "invalid_mapping", why);
    return 400;
}

int
agency_import_run (tsg_agency_t *self, const agency_import_request_t *req, json_t **report,
                   agency_pending_t **pending)
{
    *pending = NULL;
    *report = NULL;
    s_import_t im = { .self = self,
                      .problems = json_array (),
                      .warnings = json_array (),
                      .results = json_array (),
                      .who = { .type = self->policy->type, .id = self->config->id } };
    im.plans = calloc (AGENCY_IMPORT_ROWS_MAX, sizeof *im.plans);
    tsg_date_jst_plus_days (tsg_now_ms (), 0, im.who.today);
    tsg_csv_text_t text = { 0 };
    int status = 0;
    if (!im.plans || !im.problems || !im.warnings || !im.results) {
        *report = agency_json_error ("internal", "out of memory", NULL);
        status = 500;
    }
    if (!status)
        status = s_mapping (&im, req, report);
    /* Revoked, suspended, back-pressure, a full outbox: the whole import waits. */
    if (!status)
        (void) agency_admits (self, &status, report);
    if (!status)
        status = s_read (&im, req, &text, report);
    tsg_csv_encoding_t read_as = text.encoding;
    tsg_csv_text_free (&text);
    if (status) {
        s_free (&im);
        return status;
    }
    const char *encoding = tsg_csv_encoding_name (read_as);
    agency_pending_mark_t mark = agency_pending_mark (self);
    json_t *stop_reply = NULL;
    int stop = s_send (&im, &stop_reply);
    bool problems = json_array_size (im.problems) > 0;
    if (stop || problems || req->dry_run) {
        agency_pending_rollback (self, &mark);
        if (stop) {
            *report = stop_reply ? stop_reply : agency_json_error ("internal", "failed", NULL);
            status = stop;
        }
        else if (problems) {
            *report = s_report (&im, req, encoding, "import_invalid",
                                "rows have problems: nothing was sent (see problems)");
            status = 422;
        }
        else {
            *report = s_report (&im, req, encoding, NULL, NULL);
            status = 200;
        }
        s_free (&im);
        return status;
    }
    *report = s_report (&im, req, encoding, NULL, NULL);
    agency_pending_t *last = *mark.tail ? agency_pending_last (self) : NULL;
    if (last) {
        last->batch_answer = *report;
        *report = NULL;
        *pending = last;
    }
    else
        status = 200; /* nothing new: every row sent before, or another agency's */
    s_free (&im);
    return status;
}
