/* cases_write.c — writing the CASES records and keeping their three indices in step (cases.h). */
#include <stdlib.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/stats.h"
#define MEETINGS (sizeof s_meetings / sizeof s_meetings[0])

static void
s_index (tsg_txn_t *txn, int db_index, const char *word, const char *case_id, bool present)
{
    uint8_t key[TSG_HUB_CASE_INDEX_MAX];
    size_t len = tsg_hub_case_index_key (word, case_id, key);
    MDB_dbi db = tsg_store_db (txn->store, db_index);
    if (present)
        tsg_txn_put (txn, db, key, len, "", 0);
    else
        tsg_txn_del (txn, db, key, len);
}

/* Brings one index in line for a list that went from old_rows to new_rows. */
static void
s_index_list (tsg_txn_t *txn, int db_index, const char *case_id, const char *old_rows, size_t old_n,
              const char *new_rows, size_t new_n, size_t width)
{
    for (size_t i = 0; i < old_n; i++)
        if (!tsg_hub_rows_contain (new_rows, width, new_n, old_rows + i * width))
            s_index (txn, db_index, old_rows + i * width, case_id, false);
    for (size_t i = 0; i < new_n; i++)
        if (!tsg_hub_rows_contain (old_rows, width, old_n, new_rows + i * width))
            s_index (txn, db_index, new_rows + i * width, case_id, true);
}

/* The distinct types of c's agencies, from the registry, into types; how many. */
static size_t
s_types (tsg_txn_t *txn, const tsg_hub_case_t *c, char types[][TSG_HUB_CASE_TYPE_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_agencies && n < TSG_HUB_CASE_TYPES_MAX; i++) {
        Tsunagu__V1__AgencyEntry *e = tsg_registry_get (txn, c->agencies[i]);
        const char *type = e && e->type ? e->type : "";
        if (*type && strlen (type) < TSG_HUB_CASE_TYPE_MAX
            && !tsg_hub_rows_contain (types[0], TSG_HUB_CASE_TYPE_MAX, n, type))
            memcpy (types[n++], type, strlen (type) + 1);
        if (e)
            tsunagu__v1__agency_entry__free_unpacked (e, NULL);
    }
    return n;
}

/* Writes the CASES record of c with types. */
static void
s_record (tsg_txn_t *txn, const tsg_hub_case_t *c, const char types[][TSG_HUB_CASE_TYPE_MAX],
          size_t n_types)
{
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, TSG_HUB_CASE_FORMAT);
    tsg_hub_write_u8 (&w, (uint8_t) c->state);
    tsg_hub_write_u8 (&w, (uint8_t) c->roster_kind);
    tsg_hub_write_u64 (&w, c->version);
    tsg_hub_write_u64 (&w, c->created_at_ms);
    tsg_hub_write_u64 (&w, c->updated_at_ms);
    tsg_hub_write_u64 (&w, c->first_received_at_ms);
    tsg_hub_write_u64 (&w, c->first_accepted_at_ms);
    tsg_hub_write_u64 (&w, c->plan_at_ms);
    tsg_hub_write_u64 (&w, c->closed_at_ms);
    tsg_hub_write_u32 (&w, c->reopened);
    tsg_hub_write_u32 (&w, c->referrals);
    tsg_hub_write_u64 (&w, c->events);
    tsg_hub_write_str (&w, c->opened_by);
    tsg_hub_write_str (&w, c->close_reason);
    tsg_hub_write_str (&w, c->next_review_on);
    tsg_hub_write_str (&w, c->last_event_id);
    tsg_hub_write_str (&w, c->last_event_type);
    tsg_hub_write_str (&w, c->last_event_by);
    tsg_hub_write_u8 (&w, (uint8_t) c->n_agencies);
    for (size_t i = 0; i < c->n_agencies; i++)
        tsg_hub_write_str (&w, c->agencies[i]);
    tsg_hub_write_u8 (&w, (uint8_t) c->n_tags);
    for (size_t i = 0; i < c->n_tags; i++)
        tsg_hub_write_str (&w, c->tags[i]);
    tsg_hub_write_u8 (&w, (uint8_t) c->n_roster);
    for (size_t i = 0; i < c->n_roster; i++)
        tsg_hub_write_str (&w, c->roster[i]);
    tsg_hub_write_u8 (&w, (uint8_t) c->n_roles);
    for (size_t i = 0; i < c->n_roles; i++) {
        tsg_hub_write_str (&w, c->roles[i].agency);
        tsg_hub_write_str (&w, c->roles[i].role);
    }
    uint8_t kinds = 0;
    for (int k = TSUNAGU__V1__MEETING_KIND__MEETING_CORE + 1; k < TSG_HUB_MEETING_KINDS; k++)
        kinds += c->n_rosters[k] > 0;
    tsg_hub_write_u8 (&w, kinds);
    for (int k = TSUNAGU__V1__MEETING_KIND__MEETING_CORE + 1; k < TSG_HUB_MEETING_KINDS; k++) {
        if (c->n_rosters[k] == 0)
            continue;
        tsg_hub_write_u8 (&w, (uint8_t) k);
        tsg_hub_write_u8 (&w, (uint8_t) c->n_rosters[k]);
        for (size_t i = 0; i < c->n_rosters[k]; i++)
            tsg_hub_write_str (&w, c->rosters[k][i]);
    }
    tsg_hub_write_u32 (&w, c->withheld);
    tsg_hub_write_u8 (&w, (uint8_t) n_types);
    for (size_t i = 0; i < n_types; i++)
        tsg_hub_write_str (&w, types[i]);
    tsg_hub_write_u64 (&w, c->handed_over_at_ms);
    tsg_hub_write_u64 (&w, c->reviewed_at_ms);
    tsg_hub_write_u8 (&w, c->handed_over ? 1 : 0);
    tsg_hub_write_str (&w, c->handover_on);
    tsg_hub_write_str (&w, c->handover_by);
    if (!w.ok) {
        txn->rc = TSG_ERR_NOMEM;
        tsg_hub_writer_free (&w);
        return;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_CASES), c->id, TSG_HUB_CASE_ID_LEN,
                 w.data, w.len);
    tsg_hub_writer_free (&w);
}

void
tsg_hub_case_rewrite (tsg_txn_t *txn, const tsg_hub_case_t *c)
{
    if (txn->rc != TSG_OK)
        return;
    char types[TSG_HUB_CASE_TYPES_MAX][TSG_HUB_CASE_TYPE_MAX];
    size_t n_types = s_types (txn, c, types);
    s_record (txn, c, types, n_types);
    tsg_hub_case_order_sync (txn, NULL, c, types, n_types);
}

void
tsg_hub_case_put (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c)
{
    tsg_hub_report_note_case (txn, old, c);
    if (txn->rc != TSG_OK)
        return;
    char types[TSG_HUB_CASE_TYPES_MAX][TSG_HUB_CASE_TYPE_MAX];
    size_t n_types = s_types (txn, c, types);
    s_record (txn, c, types, n_types);
    tsg_hub_case_order_sync (txn, old, c, types, n_types);

    if (!old || old->state != c->state) {
        if (old) {
            s_index (txn, TSG_HUB_DB_CASE_BY_STATE, tsg_case_state_name (old->state), c->id, false);
            tsg_hub_stat_add2 (txn, TSG_HUB_STAT_CASE_STATE, tsg_case_state_name (old->state), -1);
        }
        s_index (txn, TSG_HUB_DB_CASE_BY_STATE, tsg_case_state_name (c->state), c->id, true);
        tsg_hub_stat_add2 (txn, TSG_HUB_STAT_CASE_STATE, tsg_case_state_name (c->state), 1);
    }
    s_index_list (txn, TSG_HUB_DB_CASE_BY_AGENCY, c->id, old ? old->agencies[0] : NULL,
                  old ? old->n_agencies : 0, c->agencies[0], c->n_agencies, sizeof c->agencies[0]);
    s_index_list (txn, TSG_HUB_DB_CASE_BY_TAG, c->id, old ? old->tags[0] : NULL,
                  old ? old->n_tags : 0, c->tags[0], c->n_tags, sizeof c->tags[0]);
}

bool
tsg_hub_case_add_agency (tsg_hub_case_t *c, const char *agency)
{
    if (tsg_hub_case_has_agency (c, agency))
        return true;
    if (c->n_agencies == TSG_HUB_CASE_AGENCIES_MAX)
        return false;
    return tsg_hub_copy (c->agencies[c->n_agencies++], sizeof c->agencies[0], agency);
}

bool
tsg_hub_case_succeed (tsg_hub_case_t *c, const char *previous, const char *agency)
{
    size_t at = c->n_agencies;
    for (size_t i = 0; i < c->n_agencies; i++)
        if (strcmp (c->agencies[i], previous) == 0)
            at = i;
    if (at == c->n_agencies || strcmp (previous, agency) == 0
        || strlen (agency) >= sizeof c->agencies[0])
        return false;
    if (tsg_hub_case_has_agency (c, agency)) {
        /* On the case already: previous's place goes, the order of the others stays. */
        memmove (c->agencies[at], c->agencies[at + 1],
                 (c->n_agencies - at - 1) * sizeof c->agencies[0]);
        c->n_agencies--;
    }
    else
        tsg_hub_copy (c->agencies[at], sizeof c->agencies[0], agency);
    for (size_t i = 0; i < c->n_roles; i++)
        if (strcmp (c->roles[i].agency, previous) == 0)
            tsg_hub_copy (c->roles[i].agency, sizeof c->roles[i].agency, agency);
    return true;
}

bool
tsg_hub_case_add_tag (tsg_hub_case_t *c, const char *tag)
{
    if (!tag || !*tag || tsg_hub_rows_contain (c->tags[0], sizeof c->tags[0], c->n_tags, tag)
        || c->n_tags == TSG_HUB_CASE_TAGS_MAX || strlen (tag) > TSG_TAG_LEN_MAX)
        return false;
    return tsg_hub_copy (c->tags[c->n_tags++], sizeof c->tags[0], tag);
}
