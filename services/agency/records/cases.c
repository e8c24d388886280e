/* cases.c — the local copy of each case this agency is on (cases.h): metadata from the
 * coordinator's CASE_UPDATE letters, the referrals of the case, and its events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/records/cases.h"
#include "agency/records/json.h"
#include "agency/records/store.h"

#define CASE_EVENT_KEY (36 + 8)

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
    const char *case_id = agency_json_str (record, "case_id");
    if (!case_id || strlen (case_id) != 36) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    agency_store_put_json (txn, AGENCY_DB_CASES, case_id, 36, record);
}

bool
agency_case_note_referral (json_t *record, const char *referral_id, tsg_party_t party,
                           const char *with)
{
    json_t *referrals = agency_json_array (record, "referrals");
    size_t i;
    json_t *entry;
    json_array_foreach (referrals, i, entry)
    {
        const char *id = agency_json_str (entry, "referral_id");
        if (id && strcmp (id, referral_id) == 0)
            return false;
    }
    json_array_append_new (referrals,
                           json_pack ("{s:s, s:s, s:s}", "referral_id", referral_id, "role",
                                      party == TSG_PARTY_SENDER ? "sender" : "recipient", "with",
                                      with ? with : ""));
    return true;
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
    if (agency_case_note_referral (record, referral_id, party, with))
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

/* True for at most max bytes without control characters (empty allowed). */
static bool
s_plain (const char *text, size_t max)
{
    return text && (!*text || agency_json_plain (text, max));
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

/* NULL when u can be applied, else why it cannot be read. */
static const char *
s_update_problem (const Tsunagu__V1__CaseUpdate *u)
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
    return NULL;
}

const char *
agency_case_update (tsg_txn_t *txn, const Tsunagu__V1__CaseUpdate *u)
{
    const char *why = s_update_problem (u);
    if (why)
        return why;
    json_t *record = agency_case_get_or_new (txn, u->case_id);
    if (!record) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return NULL;
    }
    why = agency_case_apply_update (txn, record, u);
    json_decref (record);
    return why;
}

const char *
agency_case_apply_update (tsg_txn_t *txn, json_t *record, const Tsunagu__V1__CaseUpdate *u)
{
    const char *why = s_update_problem (u);
    if (why)
        return why;
    tsg_case_state_t state = TSG_CASE_OPEN;
    tsg_case_state_parse (u->state, &state);
    uint64_t version = agency_json_u64 (record, "version", 0);
    if (u->version < version) {
        log_debug ("case %s: update to version %llu ignored (the copy is at %llu)", u->case_id,
                   (unsigned long long) u->version, (unsigned long long) version);
        return NULL;
    }
    json_object_set_new (record, "state", json_string (tsg_case_state_name (state)));
    json_object_set_new (record, "version", json_integer ((json_int_t) u->version));
    json_object_set_new (record, "agencies", s_ids (u->agencies, u->n_agencies));
    json_t *tags = json_array ();
    for (size_t i = 0; i < u->n_tags; i++)
        json_array_append_new (tags, json_string (u->tags[i]));
    json_object_set_new (record, "tags", tags);
    const char *kind = tsg_meeting_kind_name (u->roster_kind);
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
        uint64_t base = agency_json_u64 (entry, "base_version", 0);
        if (base >= u->version)
            continue;
        const char *event_id = agency_json_str (entry, "event_id");
        uint64_t n = agency_json_u64 (entry, "n", 0);
        bool named = event_id && u->last_event_id && strcmp (event_id, u->last_event_id) == 0;
        json_t *event = agency_case_event_get (txn, u->case_id, n);
        const char *status = event ? agency_json_str (event, "status") : NULL;
        bool stored = status && strcmp (status, "stored") == 0;
        json_decref (event);
        if (named || stored)
            s_mark_applied (txn, u->case_id, n, named ? u->version : base + 1);
        json_array_remove (inflight, i);
    }
    agency_case_put (txn, record);
    return NULL;
}

bool
agency_case_effective (const json_t *record, tsg_case_state_t *state, uint64_t *version)
{
    bool known = tsg_case_state_parse (agency_json_str (record, "state"), state);
    *version = agency_json_u64 (record, "version", 0);
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "inflight"), i, entry)
    {
        if (agency_json_u64 (entry, "base_version", 0) != *version)
            continue;
        (*version)++;
        tsg_case_state_t to;
        if (tsg_case_state_parse (agency_json_str (entry, "state"), &to)) {
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
    const char *case_id = agency_json_str (record, "case_id");
    uint64_t n = agency_json_u64 (record, "event_next", 0);
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

json_t *
agency_case_events (tsg_txn_t *txn, const char *case_id)
{
    json_t *events = json_array ();
    uint8_t key[CASE_EVENT_KEY];
    if (!case_id || strlen (case_id) != 36)
        return events;
    s_event_key (key, case_id, 0);
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, AGENCY_DB_CASE_EVENTS), &it, key,
                         sizeof key);
         it.valid && it.key.mv_size == CASE_EVENT_KEY && memcmp (it.key.mv_data, case_id, 36) == 0;
         tsg_iter_next (&it)) {
        json_t *event = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        if (json_is_object (event))
            json_array_append_new (events, event);
        else
            json_decref (event);
    }
    tsg_iter_end (&it);
    return events;
}
