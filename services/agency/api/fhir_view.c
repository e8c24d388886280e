/* fhir_view.c — GET /v1/referrals/{id}/fhir: a referral this agency sent or received as a FHIR
 * R4 Bundle (type collection) in the shape of the HL7 Gravity SDOH closed-loop referral: the
 * ServiceRequest (the referral), the Task that tracks its fulfilment (status and
 * businessStatus from our state, delivery and outcome: docs/fhir.md), the Consent it rests on
 * when there is one and this agency knows it, the Patient and the two Organizations.
 *
 * Personal data: the Patient is built from the sheet, and only the recipient holds the sheet
 * in plaintext (the sender sealed it to the recipient and keeps no copy), so at the sender the
 * Patient carries the case id alone.  The coordinator has no such route: it never reads a
 * sheet.  A sheet whose consent was revoked or has expired is left out too.
 *
 * Every resource has a stable id: a UUID derived from the referral id and the resource's
 * role (BLAKE2b), so two exports of one referral name the same resources; references inside
 * the Bundle are "urn:uuid:" full URLs. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "agency/api/views.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referral_state.h"
#include "agency/records/sent.h"

#define SYS_AGENCY    "urn:tsunagu:agency"
#define SYS_TYPE      "urn:tsunagu:agency-type"
#define SYS_REFERRAL  "urn:tsunagu:referral"
#define SYS_CASE      "urn:tsunagu:case"
#define SYS_HOUSEHOLD "urn:tsunagu:household"
#define SYS_CONSENT   "urn:tsunagu:consent"
#define SYS_TAG       "urn:tsunagu:issue-tag"
#define SYS_BUSINESS  "urn:tsunagu:referral-business-status"
#define SYS_OUTCOME   "urn:tsunagu:referral-outcome"
#define SYS_CATEGORY  "urn:tsunagu:data-category"

/* What the resources of one Bundle are built from. */
typedef struct {
    tsg_agency_t *self;      /* this agency */
    const json_t *record;    /* the sent or received record */
    bool received;           /* this agency is the recipient */
    json_t *sheet;           /* the sheet (recipient only), or NULL */
    const char *referral_id; /* the referral */
    char patient[48];        /* urn:uuid of each resource */
    char sender[48];         /* ... */
    char recipient[48];      /* ... */
    char request[48];        /* ... */
    char task[48];           /* ... */
    char consent[48];        /* ... */
} s_build_t;

/* A name-based UUID for (referral id, role) as "urn:uuid:..." in out. */
static void
s_uuid (const char *referral_id, const char *role, char out[48])
{
    uint8_t h[16];
    crypto_generichash_state st;
    crypto_generichash_init (&st, NULL, 0, sizeof h);
    crypto_generichash_update (&st, (const uint8_t *) referral_id, strlen (referral_id));
    crypto_generichash_update (&st, (const uint8_t *) "/", 1);
    crypto_generichash_update (&st, (const uint8_t *) role, strlen (role));
    crypto_generichash_final (&st, h, sizeof h);
    h[6] = (uint8_t) ((h[6] & 0x0F) | 0x80); /* version 8: custom */
    h[8] = (uint8_t) ((h[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    snprintf (out, 48,
              "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0],
              h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
              h[14], h[15]);
}

static json_t *
s_ref (const char *urn, const char *display)
{
    json_t *ref = json_pack ("{s:s}", "reference", urn);
    if (display && *display)
        json_object_set_new (ref, "display", json_string (display));
    return ref;
}

static json_t *
s_coding (const char *system, const char *code, const char *display)
{
    json_t *coding = json_pack ("{s:s, s:s}", "system", system, "code", code);
    if (display && *display)
        json_object_set_new (coding, "display", json_string (display));
    return coding;
}

static json_t *
s_concept (const char *system, const char *code, const char *display)
{
    json_t *concept = json_pack ("{s:[o]}", "coding", s_coding (system, code, display));
    if (display && *display)
        json_object_set_new (concept, "text", json_string (display));
    return concept;
}

static json_t *
s_identifier (const char *system, const char *value)
{
    return json_pack ("{s:s, s:s}", "system", system, "value", value);
}

static void
s_time (json_t *resource, const char *key, uint64_t ms)
{
    if (ms) {
        char at[32];
        tsg_iso8601 (ms, at);
        json_object_set_new (resource, key, json_string (at));
    }
}

/* Adds {fullUrl, resource} to bundle, the resource's id from its urn. */
static void
s_entry (json_t *bundle, const char *urn, json_t *resource)
{
    json_object_set_new (resource, "id", json_string (urn + strlen ("urn:uuid:")));
    json_array_append_new (json_object_get (bundle, "entry"),
                           json_pack ("{s:s, s:o}", "fullUrl", urn, "resource", resource));
}

/* ---- state mapping (docs/fhir.md) ------------------------------------------------------ */

/* The Task.status of our state; a letter the coordinator refused or withheld, or that the
 * recipient could not take, never arrives: failed. */
static const char *
s_task_status (tsg_ref_state_t state, const char *delivery)
{
    if (state == TSG_REF_REQUESTED && delivery
        && (strcmp (delivery, "refused") == 0 || strcmp (delivery, "withheld") == 0
            || strcmp (delivery, "rejected") == 0))
        return "failed";
    return tsg_ref_state_name (state); /* our states are Task's, word for word */
}

/* The ServiceRequest.status of our state. */
static const char *
s_request_status (const char *task_status)
{
    static const char *const map[][2] = {
        { "requested", "active" },
        { "received", "active" },
        { "accepted", "active" },
        { "in-progress", "active" },
        { "on-hold", "on-hold" },
        { "completed", "completed" },
        { "rejected", "revoked" },
        { "cancelled", "revoked" },
        { "failed", "revoked" },
        { "entered-in-error", "entered-in-error" },
        { NULL, NULL },
    };
    for (size_t i = 0; map[i][0]; i++)
        if (strcmp (map[i][0], task_status) == 0)
            return map[i][1];
    return "unknown";
}

static const char *const s_words[][2] = {
    { "queued", "送信待ち" },
    { "stored", "コーディネーターに保管" },
    { "delivered", "届きました" },
    { "refused", "コーディネーターが拒否" },
    { "withheld", "送付保留" },
    { "rejected", "受信機関が受け取れず" },
    { NULL, NULL },
};

/* The Japanese label of a delivery or an outcome code (common/states.c), or NULL. */
static const char *
s_word (const char *code)
{
    tsg_outcome_t outcome;
    if (tsg_outcome_parse (code, &outcome))
        return tsg_outcome_label_ja (outcome);
    for (size_t i = 0; s_words[i][0]; i++)
        if (strcmp (s_words[i][0], code) == 0)
            return s_words[i][1];
    return NULL;
}

/* The business status: the delivery of a requested referral, the outcome of a completed or
 * failed one, else the state; with its Japanese label. */
static json_t *
s_business_status (tsg_ref_state_t state, const char *delivery, const char *outcome)
{
    const char *code = tsg_ref_state_name (state);
    const char *system = SYS_BUSINESS;
    const char *label = tsg_ref_state_label_ja (state);
    if (state == TSG_REF_REQUESTED && delivery && s_word (delivery)) {
        code = delivery;
        label = s_word (delivery);
    }
    if ((state == TSG_REF_COMPLETED || state == TSG_REF_FAILED) && outcome && s_word (outcome)) {
        code = outcome;
        label = s_word (outcome);
        system = SYS_OUTCOME;
    }
    return s_concept (system, code, label);
}

/* True for "YYYY-MM-DD" with a month and day in range (a FHIR date: a birth date may be any
 * year, where tsg_date_ok takes only the years the service runs in). */
static bool
s_fhir_date (const char *text)
{
    if (!text || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return false;
    int month = (text[5] - '0') * 10 + (text[6] - '0');
    int day = (text[8] - '0') * 10 + (text[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* ---- resources -------------------------------------------------------------------------- */

static json_t *
s_organization (const char *id, const char *type, const char *name)
{
    json_t *org = json_pack ("{s:s, s:[o], s:b}", "resourceType", "Organization", "identifier",
                             s_identifier (SYS_AGENCY, id ? id : "unknown"), "active", true);
    const tsg_agency_policy_t *policy = type ? tsg_agency_policy_find (type) : NULL;
    if (type && *type)
        json_object_set_new (
            org, "type",
            json_pack ("[o]", s_concept (SYS_TYPE, type, policy ? policy->name_ja : NULL)));
    json_object_set_new (org, "name", json_string (name && *name ? name : id ? id : "unknown"));
    return org;
}

/* The person of the sheet: the member whose relation is 本人, else the first. */
static const json_t *
s_person (const json_t *sheet)
{
    const json_t *first = NULL;
    size_t i;
    json_t *member;
    json_array_foreach (json_object_get (sheet, "members"), i, member)
    {
        const char *relation = agency_json_str (member, "relation");
        if (relation && strcmp (relation, "本人") == 0)
            return member;
        if (!first)
            first = member;
    }
    return first;
}

/* A HumanName from "姓 名" (split at the first space, ASCII or ideographic). */
static json_t *
s_name (const char *text, const char *use)
{
    json_t *name = json_pack ("{s:s, s:s}", "use", use, "text", text);
    const char *space = strchr (text, ' ');
    size_t skip = 1;
    const char *wide = strstr (text, "\u3000");
    if (wide && (!space || wide < space)) {
        space = wide;
        skip = 3;
    }
    if (space && space > text && space[skip]) {
        json_object_set_new (name, "family", json_stringn (text, (size_t) (space - text)));
        json_object_set_new (name, "given", json_pack ("[s]", space + skip));
    }
    return name;
}

static json_t *
s_patient (const s_build_t *b)
{
    json_t *ids =
        json_pack ("[o]", s_identifier (SYS_CASE, agency_json_str (b->record, "case_id")));
    json_t *patient = json_pack ("{s:s, s:o}", "resourceType", "Patient", "identifier", ids);
    if (!b->sheet)
        return patient;
    const char *household = agency_json_str (b->sheet, "household_id");
    if (!household)
        household = agency_json_str (b->sheet, "household");
    if (household && *household)
        json_array_append_new (ids, s_identifier (SYS_HOUSEHOLD, household));
    const json_t *person = s_person (b->sheet);
    const char *name = agency_json_str (person, "name");
    const char *kana = agency_json_str (person, "kana");
    const char *birth = agency_json_str (person, "birthdate");
    json_t *names = json_array ();
    if (name && *name)
        json_array_append_new (names, s_name (name, "official"));
    if (kana && *kana) {
        json_t *reading = s_name (kana, "usual");
        json_object_set_new (reading, "extension",
                             json_pack ("[{s:s, s:s}]", "url",
                                        "http://hl7.org/fhir/StructureDefinition/"
                                        "iso21090-EN-representation",
                                        "valueCode", "SYL"));
        json_array_append_new (names, reading);
    }
    if (json_array_size (names) > 0)
        json_object_set_new (patient, "name", names);
    else
        json_decref (names);
    if (s_fhir_date (birth))
        json_object_set_new (patient, "birthDate", json_string (birth));
    const char *phone = agency_json_str (b->sheet, "phone");
    if (phone && *phone)
        json_object_set_new (patient, "telecom",
                             json_pack ("[{s:s, s:s}]", "system", "phone", "value", phone));
    const char *address = agency_json_str (b->sheet, "address");
    if (address && *address)
        json_object_set_new (patient, "address",
                             json_pack ("[{s:s, s:s}]", "text", address, "country", "JP"));
    return patient;
}

static json_t *
s_service_request (const s_build_t *b, const char *task_status, bool with_consent)
{
    const json_t *r = b->record;
    const char *urgency = agency_json_str (r, "urgency");
    const char *priority = !urgency                             ? "routine"
                           : strcmp (urgency, "emergency") == 0 ? "stat"
                           : strcmp (urgency, "high") == 0      ? "urgent"
                                                                : "routine";
    json_t *codings = json_array ();
    char text[1024] = "";
    size_t i;
    json_t *tag;
    json_array_foreach (json_object_get (r, "tags"), i, tag)
    {
        const char *t = json_string_value (tag);
        if (!t)
            continue;
        json_array_append_new (codings, s_coding (SYS_TAG, t, t));
        size_t used = strlen (text);
        snprintf (text + used, sizeof text - used, "%s%s", used ? "・" : "", t);
    }
    json_t *sr = json_pack (
        "{s:s, s:[o], s:s, s:s, s:[{s:[{s:s, s:s, s:s}]}], s:s, s:o, s:o, s:[o]}", "resourceType",
        "ServiceRequest", "identifier", s_identifier (SYS_REFERRAL, b->referral_id), "status",
        s_request_status (task_status), "intent", "order", "category", "coding", "system",
        "http://snomed.info/sct", "code", "410606002", "display", "Social service procedure",
        "priority", priority, "subject", s_ref (b->patient, NULL), "requester",
        s_ref (b->sender, NULL), "performer", s_ref (b->recipient, NULL));
    if (json_array_size (codings) > 0) {
        json_t *code = json_pack ("{s:o}", "coding", codings);
        json_object_set_new (code, "text", json_string (text));
        json_object_set_new (sr, "code", code);
    }
    else {
        json_decref (codings);
        json_object_set_new (sr, "code", json_pack ("{s:s}", "text", "紹介"));
    }
    s_time (sr, "authoredOn", agency_json_u64 (r, "created_at", 0));
    const char *due = agency_json_str (r, "due_date");
    if (due && tsg_date_ok (due))
        json_object_set_new (sr, "occurrencePeriod", json_pack ("{s:s}", "end", due));
    const char *summary = agency_json_str (b->sheet, "summary");
    if (summary && *summary)
        json_object_set_new (sr, "reasonCode", json_pack ("[{s:s}]", "text", summary));
    if (with_consent)
        json_object_set_new (sr, "supportingInfo", json_pack ("[o]", s_ref (b->consent, NULL)));
    return sr;
}

/* The last state entry of the history (borrowed), or NULL. */
static const json_t *
s_last_state (const json_t *record)
{
    json_t *history = json_object_get (record, "state_history");
    size_t n = json_array_size (history);
    return n ? json_array_get (history, n - 1) : NULL;
}

static json_t *
s_task (const s_build_t *b, tsg_ref_state_t state, const char *task_status)
{
    const json_t *r = b->record;
    const char *delivery = b->received ? "delivered" : agency_json_str (r, "delivery");
    const json_t *last = s_last_state (r);
    const char *outcome = NULL;
    uint64_t started = 0, ended = 0;
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (r, "state_history"), i, entry)
    {
        tsg_ref_state_t s;
        if (!tsg_ref_state_parse (agency_json_str (entry, "state"), &s))
            continue;
        if (s == TSG_REF_RECEIVED && !started)
            started = agency_json_u64 (entry, "at", 0);
        if (tsg_ref_state_terminal (s))
            ended = agency_json_u64 (entry, "at", 0);
        if (agency_json_str (entry, "outcome"))
            outcome = agency_json_str (entry, "outcome");
    }
    json_t *task =
        json_pack ("{s:s, s:[o], s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "resourceType", "Task",
                   "identifier", s_identifier (SYS_REFERRAL, b->referral_id), "status", task_status,
                   "businessStatus", s_business_status (state, delivery, outcome), "intent",
                   "order", "focus", s_ref (b->request, NULL), "for", s_ref (b->patient, NULL),
                   "requester", s_ref (b->sender, NULL), "owner", s_ref (b->recipient, NULL));
    s_time (task, "authoredOn", agency_json_u64 (r, "created_at", 0));
    uint64_t modified = agency_json_u64 (last, "at", agency_json_u64 (r, "created_at", 0));
    uint64_t delivered = agency_json_u64 (r, "delivered_at", 0);
    s_time (task, "lastModified", delivered > modified ? delivered : modified);
    if (started) {
        json_t *period = json_object ();
        s_time (period, "start", started);
        if (ended)
            s_time (period, "end", ended);
        json_object_set_new (task, "executionPeriod", period);
    }
    const char *reason = agency_json_str (last, "reason");
    const json_t *error = json_object_get (r, "error");
    if (reason && *reason)
        json_object_set_new (task, "statusReason", json_pack ("{s:s}", "text", reason));
    else if (strcmp (task_status, "failed") == 0 && agency_json_str (error, "message"))
        json_object_set_new (task, "statusReason",
                             json_pack ("{s:s}", "text", agency_json_str (error, "message")));
    if (outcome)
        json_object_set_new (
            task, "output",
            json_pack ("[{s:o, s:o}]", "type", s_concept (SYS_BUSINESS, "outcome", "結果"),
                       "valueCodeableConcept", s_concept (SYS_OUTCOME, outcome, s_word (outcome))));
    return task;
}

/* The FHIR Consent.status of the status our register shows. */
static const char *
s_consent_status (const char *status)
{
    if (strcmp (status, "active") == 0)
        return "active";
    if (strcmp (status, "refused") == 0)
        return "rejected";
    if (strcmp (status, "pending") == 0 || strcmp (status, "not-yet-valid") == 0)
        return "proposed";
    return "inactive"; /* revoked, expired */
}

static json_t *
s_consent_resource (const s_build_t *b, const json_t *consent)
{
    char today[11];
    agency_consent_today (today);
    const char *purpose = agency_json_str (consent, "purpose");
    json_t *res = json_pack (
        "{s:s, s:[o], s:s, s:o, s:[o], s:o, s:{s:[o], s:s}}", "resourceType", "Consent",
        "identifier", s_identifier (SYS_CONSENT, agency_json_str (consent, "consent_id")), "status",
        s_consent_status (agency_consent_status (consent, today)), "scope",
        s_concept ("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy",
                   "Privacy Consent"),
        "category", s_concept ("http://loinc.org", "59284-0", "Patient Consent"), "patient",
        s_ref (b->patient, NULL), "policyRule", "coding",
        s_coding ("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in"), "text",
        purpose ? purpose : "referral");
    s_time (res, "dateTime", agency_json_u64 (consent, "granted_at", 0));
    json_t *provision = json_pack ("{s:s}", "type", "permit");
    json_t *period = json_object ();
    const char *from = agency_json_str (consent, "valid_from");
    const char *until = agency_json_str (consent, "valid_until");
    if (from && tsg_date_ok (from))
        json_object_set_new (period, "start", json_string (from));
    if (until && tsg_date_ok (until))
        json_object_set_new (period, "end", json_string (until));
    if (json_object_size (period) > 0)
        json_object_set_new (provision, "period", period);
    else
        json_decref (period);
    json_t *actors = json_array ();
    size_t i;
    json_t *item;
    json_t *role = s_concept ("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP",
                              "information recipient");
    json_array_foreach (json_object_get (consent, "cover_agencies"), i, item)
    {
        if (json_is_string (item))
            json_array_append_new (actors,
                                   json_pack ("{s:O, s:{s:s, s:o}}", "role", role, "reference",
                                              "type", "Organization", "identifier",
                                              s_identifier (SYS_AGENCY, json_string_value (item))));
    }
    json_array_foreach (json_object_get (consent, "cover_types"), i, item)
    {
        const tsg_agency_policy_t *p =
            json_is_string (item) ? tsg_agency_policy_find (json_string_value (item)) : NULL;
        if (p)
            json_array_append_new (actors, json_pack ("{s:O, s:{s:s}}", "role", role, "reference",
                                                      "display", p->name_ja));
    }
    json_decref (role);
    if (json_array_size (actors) > 0)
        json_object_set_new (provision, "actor", actors);
    else
        json_decref (actors);
    json_t *codes = json_array ();
    json_array_foreach (json_object_get (consent, "categories"), i, item)
    {
        if (json_is_string (item))
            json_array_append_new (codes, s_concept (SYS_CATEGORY, json_string_value (item), NULL));
    }
    if (json_array_size (codes) > 0)
        json_object_set_new (provision, "code", codes);
    else
        json_decref (codes);
    json_object_set_new (res, "provision", provision);
    return res;
}

/* ---- the bundle ------------------------------------------------------------------------- */

static json_t *
s_bundle (s_build_t *b, tsg_txn_t *txn)
{
    const json_t *r = b->record;
    tsg_agency_t *self = b->self;
    s_uuid (b->referral_id, "patient", b->patient);
    s_uuid (b->referral_id, "sender", b->sender);
    s_uuid (b->referral_id, "recipient", b->recipient);
    s_uuid (b->referral_id, "service-request", b->request);
    s_uuid (b->referral_id, "task", b->task);
    s_uuid (b->referral_id, "consent", b->consent);

    tsg_ref_state_t state;
    uint64_t version;
    agency_status_current (r, &state, &version);
    const char *task_status =
        s_task_status (state, b->received ? NULL : agency_json_str (r, "delivery"));
    const char *consent_id = agency_json_str (r, "consent_id");
    json_t *consent = consent_id && *consent_id ? agency_consent_get (txn, consent_id) : NULL;

    char now[32];
    tsg_iso8601 (tsg_now_ms (), now);
    json_t *bundle = json_pack ("{s:s, s:{s:s, s:s}, s:s, s:s, s:[]}", "resourceType", "Bundle",
                                "identifier", "system", SYS_REFERRAL, "value", b->referral_id,
                                "type", "collection", "timestamp", now, "entry");
    s_entry (bundle, b->request, s_service_request (b, task_status, consent != NULL));
    s_entry (bundle, b->task, s_task (b, state, task_status));
    if (consent)
        s_entry (bundle, b->consent, s_consent_resource (b, consent));
    s_entry (bundle, b->patient, s_patient (b));
    if (b->received) {
        s_entry (bundle, b->sender,
                 s_organization (agency_json_str (r, "from"), agency_json_str (r, "from_type"),
                                 agency_json_str (r, "from_name")));
        s_entry (bundle, b->recipient,
                 s_organization (self->config->id, self->policy->type, self->config->name));
    }
    else {
        const char *to = agency_json_str (r, "to");
        const agency_entry_t *entry =
            self->directory && to ? agency_directory_find (self->directory, to) : NULL;
        s_entry (bundle, b->sender,
                 s_organization (self->config->id, self->policy->type, self->config->name));
        s_entry (bundle, b->recipient,
                 s_organization (to, agency_json_str (r, "to_type"), entry ? entry->name : NULL));
    }
    json_decref (consent);
    return bundle;
}

json_t *
agency_referral_fhir (tsg_agency_t *self, const char *referral_id)
{
    if (!tsg_uuid_valid (referral_id))
        return NULL;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    s_build_t b = { .self = self, .referral_id = referral_id };
    json_t *record = agency_sent_get (&txn, referral_id);
    if (!record && (record = agency_received_get (&txn, referral_id)))
        b.received = true;
    json_t *bundle = NULL;
    if (record) {
        b.record = record;
        json_int_t cursor = json_integer_value (json_object_get (record, "cursor"));
        if (b.received && cursor > 0
            && !agency_consent_restricted (&txn, agency_json_str (record, "consent_id")))
            b.sheet = agency_inbox_content (self, &txn, (uint64_t) cursor);
        bundle = s_bundle (&b, &txn);
    }
    json_decref (b.sheet);
    json_decref (record);
    tsg_txn_abort (&txn);
    return bundle;
}
