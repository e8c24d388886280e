/* The local copy of each case this agency is on: metadata from the coordinator's
 * CASE_UPDATE letters, the referrals of the case, and its events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "consents.h"
#include "json.h"
#include "status.h"
#include "store.h"

#define CASE_EVENT_KEY (36 + 8)

static const struct {
    const char *name;
    Tsunagu__V1__CaseEventType type;
} s_event_types[] = {
    { "state", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE },
    { "meeting", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING },
    { "plan", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN },
    { "note", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE },
    { "close", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE },
    { "reopen", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN },
};

static const struct {
    const char *name;
    Tsunagu__V1__MeetingKind kind;
} s_meeting_kinds[] = {
    { "core", TSUNAGU__V1__MEETING_KIND__MEETING_CORE },
    { "shien", TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN },
    { "jusoteki", TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI },
    { "chiiki-care", TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE },
    { "kyogikai", TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI },
    { "yotaikyo", TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO },
    { "konkyu", TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU },
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

const char *
agency_case_event_type_name (Tsunagu__V1__CaseEventType type)
{
    for (size_t i = 0; i < COUNT (s_event_types); i++)
        if (s_event_types[i].type == type)
            return s_event_types[i].name;
    return NULL;
}

bool
agency_case_event_type_parse (const char *text, Tsunagu__V1__CaseEventType *out)
{
    for (size_t i = 0; text && i < COUNT (s_event_types); i++)
        if (strcmp (text, s_event_types[i].name) == 0) {
            *out = s_event_types[i].type;
            return true;
        }
    return false;
}

const char *
agency_meeting_kind_name (Tsunagu__V1__MeetingKind kind)
{
    for (size_t i = 0; i < COUNT (s_meeting_kinds); i++)
        if (s_meeting_kinds[i].kind == kind)
            return s_meeting_kinds[i].name;
    return NULL;
}

bool
agency_meeting_kind_parse (const char *text, Tsunagu__V1__MeetingKind *out)
{
    for (size_t i = 0; text && i < COUNT (s_meeting_kinds); i++)
        if (strcmp (text, s_meeting_kinds[i].name) == 0) {
            *out = s_meeting_kinds[i].kind;
            return true;
        }
    return false;
}

static uint64_t
s_u64 (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    return json_is_integer (value) && json_integer_value (value) > 0
               ? (uint64_t) json_integer_value (value)
               : 0;
}

static const char *
s_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

static json_t *
s_array (json_t *record, const char *key)
{
    json_t *array = json_object_get (record, key);
    if (!json_is_array (array)) {
        array = json_array ();
        json_object_set_new (record, key, array);
    }
    return array;
}

json_t *
agency_case_get (tsg_txn_t *txn, const char *case_id)
{
    if (!tsg_uuid_valid (case_id))
        return NULL;
    return agency_store_get_json (txn, AGENCY_DB_CASES, case_id, 36);
}

json_t *
agency_case_get_or_new (tsg_txn_t *txn, const char *case_id)
{
    json_t *record = agency_case_get (txn, case_id);
    if (record)
        return record;
    return json_pack ("{s:s, s:n, s:I, s:[], s:[], s:[], s:[], s:I, s:I}", "case_id", case_id,
                      "state", "version", (json_int_t) 0, "agencies", "tags", "roster", "roles",
                      "event_next", (json_int_t) 1, "created_at", (json_int_t) tsg_now_ms ());
}

void
agency_case_put (tsg_txn_t *txn, const json_t *record)
{
    const char *case_id = s_str (record, "case_id");
    if (!case_id || strlen (case_id) != 36) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    agency_store_put_json (txn, AGENCY_DB_CASES, case_id, 36, record);
}

void
agency_cases_add_referral (tsg_txn_t *txn, const char *case_id, const char *referral_id,
                           tsg_party_t party, const char *with)
{
    if (!tsg_uuid_valid (case_id))
        return;
    json_t *record = agency_case_get_or_new (txn, case_id);
    if (!record) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    json_t *referrals = s_array (record, "referrals");
    size_t i;
    json_t *entry;
    json_array_foreach (referrals, i, entry)
    {
        const char *id = s_str (entry, "referral_id");
        if (id && strcmp (id, referral_id) == 0) {
            json_decref (record);
            return;
        }
    }
    json_array_append_new (referrals,
                           json_pack ("{s:s, s:s, s:s}", "referral_id", referral_id, "role",
                                      party == TSG_PARTY_SENDER ? "sender" : "recipient", "with",
                                      with ? with : ""));
    agency_case_put (txn, record);
    json_decref (record);
}

/* An array of the valid agency ids among n strings. */
static json_t *
s_ids (char **ids, size_t n)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < n; i++)
        if (tsg_agency_id_valid (ids[i]))
            json_array_append_new (array, json_string (ids[i]));
    return array;
}

static bool
s_plain (const char *text, size_t max)
{
    if (!text)
        return false;
    size_t len = strlen (text);
    if (len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text[i] < 0x20 || text[i] == 0x7f)
            return false;
    return true;
}

/* Marks our event n of case_id as reflected in the coordinator's copy at version. */
static void
s_mark_applied (tsg_txn_t *txn, const char *case_id, uint64_t n, uint64_t version)
{
    json_t *event = agency_case_event_get (txn, case_id, n);
    if (!event)
        return;
    json_object_set_new (event, "status", json_string ("applied"));
    json_object_set_new (event, "applied_version", json_integer ((json_int_t) version));
    agency_case_event_put (txn, case_id, n, event);
    json_decref (event);
}

const char *
agency_case_update (tsg_txn_t *txn, const Tsunagu__V1__CaseUpdate *u)
{
    tsg_case_state_t state;
    if (!u || !tsg_uuid_valid (u->case_id))
        return "the case update has no valid case id";
    if (!tsg_case_state_parse (u->state, &state))
        return "the case update names no known case state";
    if (u->version == 0)
        return "the case update has no version";
    if (u->n_tags > TSG_CASE_TAGS_MAX || u->n_agencies > 4096 || u->n_roster > 4096
        || u->n_roles > 4096)
        return "the case update lists too much";
    for (size_t i = 0; i < u->n_tags; i++)
        if (!s_plain (u->tags[i], TSG_TAG_LEN_MAX))
            return "the case update has a bad tag";
    for (size_t i = 0; i < u->n_roles; i++)
        if (!u->roles[i] || !s_plain (u->roles[i]->role, 256))
            return "the case update has a bad role";

    json_t *record = agency_case_get_or_new (txn, u->case_id);
    if (!record) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return NULL;
    }
    uint64_t version = s_u64 (record, "version");
    if (u->version < version) {
        log_debug ("case %s: update to version %llu ignored (the copy is at %llu)", u->case_id,
                   (unsigned long long) u->version, (unsigned long long) version);
        json_decref (record);
        return NULL;
    }
    json_object_set_new (record, "state", json_string (tsg_case_state_name (state)));
    json_object_set_new (record, "version", json_integer ((json_int_t) u->version));
    json_object_set_new (record, "agencies", s_ids (u->agencies, u->n_agencies));
    json_t *tags = json_array ();
    for (size_t i = 0; i < u->n_tags; i++)
        json_array_append_new (tags, json_string (u->tags[i]));
    json_object_set_new (record, "tags", tags);
    const char *kind = agency_meeting_kind_name (u->roster_kind);
    json_object_set_new (record, "roster_kind", kind ? json_string (kind) : json_null ());
    json_object_set_new (record, "roster", s_ids (u->roster, u->n_roster));
    json_t *roles = json_array ();
    for (size_t i = 0; i < u->n_roles; i++)
        if (tsg_agency_id_valid (u->roles[i]->agency_id))
            json_array_append_new (roles, json_pack ("{s:s, s:s}", "agency", u->roles[i]->agency_id,
                                                     "role", u->roles[i]->role));
    json_object_set_new (record, "roles", roles);
    json_object_set_new (record, "next_review_on",
                         s_plain (u->next_review_on, 10) && *u->next_review_on
                             ? json_string (u->next_review_on)
                             : json_null ());
    json_object_set_new (record, "updated_at", json_integer ((json_int_t) u->updated_at_ms));
    if (s_plain (u->last_event_id, 64) && *u->last_event_id)
        json_object_set_new (record, "last_event",
                             json_pack ("{s:s, s:s, s:s}", "id", u->last_event_id, "type",
                                        s_plain (u->last_event_type, 32) ? u->last_event_type : "",
                                        "by",
                                        s_plain (u->last_event_by, 64) ? u->last_event_by : ""));

    /* Our events based on an older version are now reflected (or will be refused).  One the
     * update names is applied; so is one the coordinator already stored (it stores a case
     * event only by applying it, at base_version + 1), even when the update names a later
     * change of the same batch.  One not stored yet is decided by its STORED or ERROR. */
    json_t *inflight = json_object_get (record, "inflight");
    for (size_t i = json_array_size (inflight); i-- > 0;) {
        json_t *entry = json_array_get (inflight, i);
        uint64_t base = s_u64 (entry, "base_version");
        if (base >= u->version)
            continue;
        const char *event_id = s_str (entry, "event_id");
        uint64_t n = s_u64 (entry, "n");
        bool named = event_id && u->last_event_id && strcmp (event_id, u->last_event_id) == 0;
        json_t *event = agency_case_event_get (txn, u->case_id, n);
        const char *status = event ? s_str (event, "status") : NULL;
        bool stored = status && strcmp (status, "stored") == 0;
        json_decref (event);
        if (named || stored)
            s_mark_applied (txn, u->case_id, n, named ? u->version : base + 1);
        json_array_remove (inflight, i);
    }
    agency_case_put (txn, record);
    json_decref (record);
    return NULL;
}

bool
agency_case_effective (const json_t *record, tsg_case_state_t *state, uint64_t *version)
{
    bool known = tsg_case_state_parse (s_str (record, "state"), state);
    *version = s_u64 (record, "version");
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "inflight"), i, entry)
    {
        if (s_u64 (entry, "base_version") != *version)
            continue;
        (*version)++;
        tsg_case_state_t to;
        if (tsg_case_state_parse (s_str (entry, "state"), &to)) {
            *state = to;
            known = true;
        }
    }
    return known;
}

bool
agency_case_lists (const json_t *record, const char *agency_id)
{
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "agencies"), i, entry)
    {
        if (json_is_string (entry) && strcmp (json_string_value (entry), agency_id) == 0)
            return true;
    }
    return false;
}

static void
s_event_key (uint8_t key[CASE_EVENT_KEY], const char *case_id, uint64_t n)
{
    memcpy (key, case_id, 36);
    tsg_be64_put (key + 36, n);
}

uint64_t
agency_case_event_add (tsg_txn_t *txn, json_t *record, const json_t *event)
{
    const char *case_id = s_str (record, "case_id");
    uint64_t n = s_u64 (record, "event_next");
    if (n == 0)
        n = 1;
    agency_case_event_put (txn, case_id, n, event);
    json_object_set_new (record, "event_next", json_integer ((json_int_t) (n + 1)));
    return n;
}

json_t *
agency_case_event_get (tsg_txn_t *txn, const char *case_id, uint64_t n)
{
    uint8_t key[CASE_EVENT_KEY];
    if (!case_id || strlen (case_id) != 36)
        return NULL;
    s_event_key (key, case_id, n);
    return agency_store_get_json (txn, AGENCY_DB_CASE_EVENTS, key, sizeof key);
}

void
agency_case_event_put (tsg_txn_t *txn, const char *case_id, uint64_t n, const json_t *event)
{
    uint8_t key[CASE_EVENT_KEY];
    if (!case_id || strlen (case_id) != 36) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    s_event_key (key, case_id, n);
    agency_store_put_json (txn, AGENCY_DB_CASE_EVENTS, key, sizeof key, event);
}

/* The referrals of a case with their current state. */
static json_t *
s_referrals (tsg_txn_t *txn, const json_t *record, bool detailed)
{
    json_t *out = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "referrals"), i, entry)
    {
        const char *id = s_str (entry, "referral_id");
        json_t *item = json_deep_copy (entry);
        tsg_party_t party;
        json_t *referral = id ? agency_status_find (txn, id, &party) : NULL;
        if (referral) {
            tsg_ref_state_t state;
            uint64_t version;
            agency_status_current (referral, &state, &version);
            json_object_set_new (item, "state", json_string (tsg_ref_state_name (state)));
            json_object_set_new (item, "version", json_integer ((json_int_t) version));
            if (detailed) {
                static const char *const copied[] = { "due_date", "receive_due_date", "urgency",
                                                      "tags", NULL };
                for (int k = 0; copied[k]; k++)
                    if (json_object_get (referral, copied[k]))
                        json_object_set (item, copied[k], json_object_get (referral, copied[k]));
                if (json_array_size (json_object_get (referral, "pending")) > 0) {
                    json_t *pending = json_object_get (referral, "pending");
                    json_object_set (
                        item, "pending_status",
                        json_object_get (json_array_get (pending, json_array_size (pending) - 1),
                                         "status"));
                }
            }
            json_decref (referral);
        }
        json_array_append_new (out, item);
    }
    return out;
}

/* The metadata every view of a case shows. */
static json_t *
s_summary (tsg_txn_t *txn, const json_t *record, bool detailed)
{
    tsg_case_state_t state;
    bool known = tsg_case_state_parse (s_str (record, "state"), &state);
    json_t *out = json_pack (
        "{s:O, s:o, s:o, s:I, s:O, s:O, s:O, s:o, s:b}", "case_id",
        json_object_get (record, "case_id"), "state",
        known ? json_string (tsg_case_state_name (state)) : json_null (), "state_label",
        known ? json_string (tsg_case_state_label_ja (state)) : json_null (), "version",
        (json_int_t) s_u64 (record, "version"), "agencies", s_array ((json_t *) record, "agencies"),
        "tags", s_array ((json_t *) record, "tags"), "next_review_on",
        json_object_get (record, "next_review_on") ? json_object_get (record, "next_review_on")
                                                   : json_null (),
        "updated_at", agency_json_time (s_u64 (record, "updated_at")), "synced",
        s_u64 (record, "version") > 0);
    json_object_set_new (out, "referrals", s_referrals (txn, record, detailed));
    return out;
}

json_t *
agency_cases_list (tsg_agency_t *self, const char *state_filter)
{
    json_t *items = json_array ();
    tsg_txn_t txn;
    tsg_iter_t it;
    tsg_txn_begin (self->store, &txn, false);
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_CASES), &it, NULL, 0); it.valid;
         tsg_iter_next (&it)) {
        json_t *record = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        if (!json_is_object (record)) {
            json_decref (record);
            continue;
        }
        const char *state = s_str (record, "state");
        if (!state_filter || (state && strcmp (state, state_filter) == 0))
            json_array_append_new (items, s_summary (&txn, record, false));
        json_decref (record);
    }
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    return json_pack ("{s:o}", "items", items);
}

/* An event as the API shows it: times in ISO-8601; a received one whose consent has been
 * revoked or has expired is restricted. */
static json_t *
s_event_api (tsg_txn_t *txn, const json_t *event)
{
    json_t *out = json_deep_copy (event);
    const char *origin = s_str (event, "origin");
    json_object_set_new (
        out, "restricted",
        json_boolean (origin && strcmp (origin, "received") == 0
                      && agency_consent_restricted (txn, s_str (event, "consent_id"))));
    json_object_set_new (out, "at", agency_json_time (s_u64 (event, "at")));
    if (json_object_get (event, "received_at"))
        json_object_set_new (out, "received_at", agency_json_time (s_u64 (event, "received_at")));
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (out, "withheld"), i, entry)
    {
        json_object_set_new (entry, "at", agency_json_time (s_u64 (entry, "at")));
    }
    return out;
}

json_t *
agency_case_show (tsg_agency_t *self, const char *case_id)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    json_t *record = agency_case_get (&txn, case_id);
    if (!record) {
        tsg_txn_abort (&txn);
        return NULL;
    }
    json_t *out = s_summary (&txn, record, true);
    json_object_set_new (out, "roster_kind",
                         json_object_get (record, "roster_kind")
                             ? json_incref (json_object_get (record, "roster_kind"))
                             : json_null ());
    json_object_set (out, "roster", s_array (record, "roster"));
    json_object_set (out, "roles", s_array (record, "roles"));
    if (json_object_get (record, "last_event"))
        json_object_set (out, "last_event", json_object_get (record, "last_event"));

    json_t *events = json_array ();
    uint8_t key[CASE_EVENT_KEY];
    s_event_key (key, case_id, 0);
    tsg_iter_t it;
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_CASE_EVENTS), &it, key,
                         sizeof key);
         it.valid && it.key.mv_size == CASE_EVENT_KEY && memcmp (it.key.mv_data, case_id, 36) == 0;
         tsg_iter_next (&it)) {
        json_t *event = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        if (json_is_object (event))
            json_array_append_new (events, s_event_api (&txn, event));
        json_decref (event);
    }
    tsg_iter_end (&it);
    json_object_set_new (out, "events", events);

    json_t *pending = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "inflight"), i, entry)
    {
        json_array_append (pending, json_object_get (entry, "event_id"));
    }
    json_object_set_new (out, "pending_events", pending);
    json_t *rejected = json_array ();
    json_array_foreach (json_object_get (record, "rejected_events"), i, entry)
    {
        json_t *item = json_deep_copy (entry);
        json_object_set_new (item, "at", agency_json_time (s_u64 (entry, "at")));
        json_array_append_new (rejected, item);
    }
    json_object_set_new (out, "rejected_events", rejected);
    json_decref (record);
    tsg_txn_abort (&txn);
    return out;
}
