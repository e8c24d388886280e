/* case_event_apply.c — what the coordinator and the other agencies answer about our case
 * events (case_event_apply.h). */
#include <string.h>

#include "agency/letters/case_event_apply.h"
#include "tsunagu/tsg_text.h"
#include "agency/records/cases.h"
#include "agency/records/consents.h"
#include "agency/records/events.h"
#include "agency/records/json.h"

void
agency_case_event_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                          const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    (void) self;
    (void) about;
    (void) at_ms;
    json_t *event = agency_case_event_get (txn, ref->id, ref->n);
    if (!event)
        return;
    const char *status = json_string_value (json_object_get (event, "status"));
    if (status && strcmp (status, "pending") == 0) {
        /* Stored means applied at the coordinator; when the case update reflecting it came
         * first (the event is no longer in flight), it is applied here and now. */
        json_t *record = agency_case_get (txn, ref->id);
        bool in_flight = false;
        size_t i;
        json_t *entry;
        json_array_foreach (record ? json_object_get (record, "inflight") : NULL, i, entry)
        {
            in_flight |= (uint64_t) json_integer_value (json_object_get (entry, "n")) == ref->n;
        }
        json_decref (record);
        uint64_t base = (uint64_t) json_integer_value (json_object_get (event, "base_version"));
        json_object_set_new (event, "status", json_string (in_flight ? "stored" : "applied"));
        if (!in_flight)
            json_object_set_new (event, "applied_version", json_integer ((json_int_t) (base + 1)));
        agency_case_event_put (txn, ref->id, ref->n, event);
    }
    json_decref (event);
}

void
agency_case_event_refused (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code,
                           const char *detail, uint64_t at_ms)
{
    (void) self;
    (void) about;
    json_t *event = agency_case_event_get (txn, ref->id, ref->n);
    json_t *record = agency_case_get (txn, ref->id);
    if (!event || !record) {
        json_decref (event);
        json_decref (record);
        return;
    }
    const char *status = json_string_value (json_object_get (event, "status"));
    if (status && strcmp (status, "pending") != 0) {
        /* Stored and applied already, then withheld from the agencies it was sealed for: the
         * event stands, its content did not reach them. */
        json_t *withheld = json_object_get (event, "withheld");
        if (!json_is_array (withheld)) {
            withheld = json_array ();
            json_object_set_new (event, "withheld", withheld);
        }
        json_array_append_new (withheld, agency_json_refusal (code, detail, at_ms));
        agency_case_event_put (txn, ref->id, ref->n, event);
        log_warnx ("case %s: the content of our event was withheld: %s", ref->id, detail);
        json_decref (event);
        json_decref (record);
        return;
    }
    json_object_set_new (event, "status", json_string ("rejected"));
    json_object_set_new (event, "error", json_pack ("{s:s, s:s}", "code", code, "message", detail));
    agency_case_event_put (txn, ref->id, ref->n, event);

    const char *event_id = json_string_value (json_object_get (event, "event_id"));
    json_t *rejected = json_object_get (record, "rejected_events");
    if (!json_is_array (rejected)) {
        rejected = json_array ();
        json_object_set_new (record, "rejected_events", rejected);
    }
    json_array_append_new (rejected, json_pack ("{s:s, s:O, s:s, s:s, s:I}", "event_id",
                                                event_id ? event_id : "", "type",
                                                json_object_get (event, "type"), "error", code,
                                                "message", detail, "at", (json_int_t) at_ms));
    json_t *inflight = json_object_get (record, "inflight");
    for (size_t i = json_array_size (inflight); i-- > 0;) {
        const char *id =
            json_string_value (json_object_get (json_array_get (inflight, i), "event_id"));
        if (id && event_id && strcmp (id, event_id) == 0)
            json_array_remove (inflight, i);
    }
    agency_case_put (txn, record);
    log_warnx ("case %s: event %s refused by the coordinator: %s: %s", ref->id,
               event_id ? event_id : "?", code, detail);
    json_decref (event);
    json_decref (record);
}

int
agency_case_event_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
                           const char *detail, uint64_t at_ms)
{
    (void) self;
    (void) about;
    json_t *event = agency_case_event_get (txn, ref->id, ref->n);
    if (!event)
        return TSG_OK;
    const char *key = delivered ? "delivered_to" : "rejected_by";
    json_t *list = json_object_get (event, key);
    if (!json_is_array (list)) {
        list = json_array ();
        json_object_set_new (event, key, list);
    }
    size_t i;
    json_t *entry;
    json_array_foreach (list, i, entry)
    {
        const char *id = json_string_value (json_object_get (entry, "agency"));
        if (id && strcmp (id, by) == 0) {
            json_decref (event);
            return TSG_OK;
        }
    }
    json_t *item = json_pack ("{s:s, s:I}", "agency", by, "at", (json_int_t) at_ms);
    if (!delivered)
        json_object_set_new (item, "detail",
                             json_string (detail && *detail ? detail : "no detail"));
    json_array_append_new (list, item);
    agency_case_event_put (txn, ref->id, ref->n, event);
    json_decref (event);
    return TSG_OK;
}

json_t *
agency_case_succession_json (const Tsunagu__V1__CaseEvent *ce)
{
    const Tsunagu__V1__Succession *su = ce->succession;
    if (!su || !tsg_agency_id_valid (su->previous_agency) || !tsg_agency_id_valid (su->agency)
        || !tsg_date_ok (su->effective_on) || su->n_consents_to_renew > 4096)
        return NULL;
    json_t *renew = json_array ();
    for (size_t i = 0; i < su->n_consents_to_renew; i++)
        if (tsg_uuid_valid (su->consents_to_renew[i]))
            json_array_append_new (renew, json_string (su->consents_to_renew[i]));
    return json_pack ("{s:s, s:s, s:{s:s, s:s, s:s, s:o}}", "event_id", ce->event_id, "type",
                      "succession", "succession", "previous_agency", su->previous_agency, "agency",
                      su->agency, "effective_on", su->effective_on, "consents_to_renew", renew);
}

/* Puts agency in previous's place in the list member of record (agency ids, or {agency}
 * objects when key is given), or drops previous when agency is listed already. */
static void
s_replace (json_t *record, const char *member, const char *key, const char *previous,
           const char *agency)
{
    json_t *list = json_object_get (record, member);
    bool listed = false;
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item)
    {
        const char *id = json_string_value (key ? json_object_get (item, key) : item);
        listed |= id && strcmp (id, agency) == 0;
    }
    for (i = json_array_size (list); i-- > 0;) {
        item = json_array_get (list, i);
        const char *id = json_string_value (key ? json_object_get (item, key) : item);
        if (!id || strcmp (id, previous) != 0)
            continue;
        if (key)
            json_object_set_new (item, key, json_string (agency));
        else if (listed)
            json_array_remove (list, i);
        else
            json_array_set_new (list, i, json_string (agency));
    }
}

void
agency_case_succession_apply (tsg_agency_t *self, tsg_txn_t *txn, json_t *record,
                              const Tsunagu__V1__Succession *su)
{
    const char *case_id = json_string_value (json_object_get (record, "case_id"));
    s_replace (record, "agencies", NULL, su->previous_agency, su->agency);
    s_replace (record, "roles", "agency", su->previous_agency, su->agency);
    uint64_t now = tsg_now_ms ();
    char since[40];
    tsg_iso8601 (now, since);
    json_t *renew = json_array ();
    for (size_t i = 0; i < su->n_consents_to_renew && i < 4096; i++) {
        const char *id = su->consents_to_renew[i];
        json_t *consent = tsg_uuid_valid (id) ? agency_consent_get (txn, id) : NULL;
        if (!consent)
            continue;
        json_object_set_new (consent, "renewal",
                             json_pack ("{s:b, s:s, s:s, s:s, s:s?, s:s}", "needed", 1, "reason",
                                        "succession", "previous_agency", su->previous_agency,
                                        "agency", su->agency, "case_id", case_id, "since", since));
        agency_consent_put (txn, consent);
        json_decref (consent);
        json_array_append_new (renew, json_string (id));
        log_info ("consent %s: needs renewal: %s, which it names, was succeeded by %s", id,
                  su->previous_agency, su->agency);
    }
    log_info ("case %s: %s was succeeded by %s (effective %s)", case_id ? case_id : "?",
              su->previous_agency, su->agency, su->effective_on);
    agency_events_append (txn, self->config->id, "case.succession",
                          json_pack ("{s:s?, s:s, s:s, s:s, s:o}", "case_id", case_id,
                                     "previous_agency", su->previous_agency, "agency", su->agency,
                                     "effective_on", su->effective_on, "consents_to_renew", renew),
                          now);
}
