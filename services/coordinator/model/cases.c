/* cases.c — the CASES records and their three indices (CASE_ORDER: case_index.c).
 *
 *   CASES          case id (36 bytes) →
 *       u8 format (1) | u8 state | u8 roster kind | be64 version | be64 created_at |
 *       be64 updated_at | be64 first_received_at | be64 first_accepted_at | be64 plan_at |
 *       be64 closed_at | be32 reopened | be32 referrals | be64 events |
 *       str opened_by | str close_reason | str next_review_on | str last_event_id |
 *       str last_event_type | str last_event_by |
 *       u8 n, n × str agency | u8 n, n × str tag | u8 n, n × str attendee |
 *       u8 n, n × (str agency, str role) |
 *       (format 2) u8 n, n × (u8 meeting kind, u8 m, m × str attendee): the latest roster
 *       of each meeting kind held.  A format 1 record (no rosters section) reads as having
 *       held only its roster_kind.
 *       (format 3) be32 withheld | u8 n, n × str agency type: its referrals withheld and
 *       its agencies' types (0 and none in an older record).
 *       (format 4) be64 handed_over_at | be64 reviewed_at | u8 flags (1: handed over since
 *       the last meeting or plan) | str handover_on | str handover_by: the last hand-over
 *       (担当交代) and the last review (0 and none in an older record, written before
 *       hand-overs existed).
 *   CASE_BY_STATE  state name, NUL, case id → empty
 *   CASE_BY_AGENCY agency id, NUL, case id → empty
 *   CASE_BY_TAG    tag, NUL, case id → empty
 * The per-state gauges in STATS move with CASE_BY_STATE, so counting cases by state reads
 * counters, not the index. */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/stats.h"

/* Reads n strings (a one-byte count first) into rows of width bytes; fails the reader when
 * more than max. */
static size_t
s_read_list (tsg_hub_reader_t *r, char *rows, size_t width, size_t max)
{
    size_t n = tsg_hub_read_u8 (r);
    if (n > max) {
        r->ok = false;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        tsg_hub_read_str (r, rows + i * width, width);
    return r->ok ? n : 0;
}

bool
tsg_hub_case_get (tsg_txn_t *txn, const char *id, tsg_hub_case_t *out)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CASES);
    if (!id || !tsg_uuid_valid (id) || !tsg_txn_get (txn, db, id, TSG_HUB_CASE_ID_LEN, &val))
        return false;
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, val.mv_data, val.mv_size);
    memset (out, 0, sizeof *out);
    memcpy (out->id, id, TSG_HUB_CASE_ID_LEN + 1);
    uint8_t format = tsg_hub_read_u8 (&r);
    if (format < 1 || format > TSG_HUB_CASE_FORMAT) {
        log_warnx ("store: unreadable case record %s", id);
        return false;
    }
    out->state = (tsg_case_state_t) tsg_hub_read_u8 (&r);
    out->roster_kind = tsg_hub_read_u8 (&r);
    out->version = tsg_hub_read_u64 (&r);
    out->created_at_ms = tsg_hub_read_u64 (&r);
    out->updated_at_ms = tsg_hub_read_u64 (&r);
    out->first_received_at_ms = tsg_hub_read_u64 (&r);
    out->first_accepted_at_ms = tsg_hub_read_u64 (&r);
    out->plan_at_ms = tsg_hub_read_u64 (&r);
    out->closed_at_ms = tsg_hub_read_u64 (&r);
    out->reopened = tsg_hub_read_u32 (&r);
    out->referrals = tsg_hub_read_u32 (&r);
    out->events = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->opened_by, sizeof out->opened_by);
    tsg_hub_read_str (&r, out->close_reason, sizeof out->close_reason);
    tsg_hub_read_str (&r, out->next_review_on, sizeof out->next_review_on);
    tsg_hub_read_str (&r, out->last_event_id, sizeof out->last_event_id);
    tsg_hub_read_str (&r, out->last_event_type, sizeof out->last_event_type);
    tsg_hub_read_str (&r, out->last_event_by, sizeof out->last_event_by);
    out->n_agencies =
        s_read_list (&r, out->agencies[0], sizeof out->agencies[0], TSG_HUB_CASE_AGENCIES_MAX);
    out->n_tags = s_read_list (&r, out->tags[0], sizeof out->tags[0], TSG_HUB_CASE_TAGS_MAX);
    out->n_roster =
        s_read_list (&r, out->roster[0], sizeof out->roster[0], TSG_HUB_CASE_ROSTER_MAX);
    size_t roles = tsg_hub_read_u8 (&r);
    if (roles > TSG_HUB_CASE_ROLES_MAX)
        r.ok = false;
    for (size_t i = 0; r.ok && i < roles; i++) {
        tsg_hub_read_str (&r, out->roles[i].agency, sizeof out->roles[i].agency);
        tsg_hub_read_str (&r, out->roles[i].role, sizeof out->roles[i].role);
    }
    out->n_roles = r.ok ? roles : 0;
    if (format == 1) {
        if (out->roster_kind > TSUNAGU__V1__MEETING_KIND__MEETING_CORE
            && out->roster_kind < TSG_HUB_MEETING_KINDS) {
            memcpy (out->rosters[out->roster_kind], out->roster, sizeof out->roster);
            out->n_rosters[out->roster_kind] = out->n_roster;
        }
    }
    else {
        size_t kinds = tsg_hub_read_u8 (&r);
        for (size_t i = 0; r.ok && i < kinds; i++) {
            uint8_t kind = tsg_hub_read_u8 (&r);
            if (kind <= TSUNAGU__V1__MEETING_KIND__MEETING_CORE || kind >= TSG_HUB_MEETING_KINDS) {
                r.ok = false;
                break;
            }
            out->n_rosters[kind] = s_read_list (
                &r, out->rosters[kind][0], sizeof out->rosters[kind][0], TSG_HUB_CASE_ROSTER_MAX);
        }
    }
    if (format >= 3) {
        out->withheld = tsg_hub_read_u32 (&r);
        out->n_types =
            s_read_list (&r, out->types[0], sizeof out->types[0], TSG_HUB_CASE_TYPES_MAX);
    }
    if (format >= 4) {
        out->handed_over_at_ms = tsg_hub_read_u64 (&r);
        out->reviewed_at_ms = tsg_hub_read_u64 (&r);
        out->handed_over = (tsg_hub_read_u8 (&r) & 1) != 0;
        tsg_hub_read_str (&r, out->handover_on, sizeof out->handover_on);
        tsg_hub_read_str (&r, out->handover_by, sizeof out->handover_by);
    }
    if (!r.ok || (unsigned) out->state >= TSG_CASE_STATE_COUNT) {
        log_warnx ("store: unreadable case record %s", id);
        return false;
    }
    return true;
}

bool
tsg_hub_case_has_agency (const tsg_hub_case_t *c, const char *agency)
{
    return tsg_hub_rows_contain (c->agencies[0], sizeof c->agencies[0], c->n_agencies, agency);
}

bool
tsg_hub_case_held (const tsg_hub_case_t *c, int kind)
{
    return kind > TSUNAGU__V1__MEETING_KIND__MEETING_CORE && kind < TSG_HUB_MEETING_KINDS
           && c->n_rosters[kind] > 0;
}

bool
tsg_hub_case_on_roster (const tsg_hub_case_t *c, int kind, const char *agency)
{
    return tsg_hub_case_held (c, kind) && agency
           && tsg_hub_rows_contain (c->rosters[kind][0], sizeof c->rosters[kind][0],
                                    c->n_rosters[kind], agency);
}

/* The meeting kinds: wire value, JSON name, Japanese name, founding article. */
static const struct {
    int kind;          /* Tsunagu__V1__MeetingKind */
    const char *name;  /* the JSON name */
    const char *label; /* the Japanese name */
    const char *law;   /* the article that founds it */
} s_meetings[] = {
    { TSUNAGU__V1__MEETING_KIND__MEETING_CORE, "core", "コア会議", "" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, "shien", "支援会議", "社会福祉法 第106条の6" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, "jusoteki", "重層的支援会議",
      "社会福祉法 第106条の4" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, "chiiki-care", "地域ケア会議",
      "介護保険法 第115条の48" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI, "kyogikai", "協議会",
      "障害者総合支援法 第89条の3" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO, "yotaikyo", "要保護児童対策地域協議会",
      "児童福祉法 第25条の2" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU, "konkyu", "支援会議（生活困窮者自立支援）",
      "生活困窮者自立支援法 第9条" },
};

#define MEETINGS (sizeof s_meetings / sizeof s_meetings[0])

const char *
tsg_hub_meeting_kind_name (int kind)
{
    for (size_t i = 0; i < MEETINGS; i++)
        if (s_meetings[i].kind == kind)
            return s_meetings[i].name;
    return NULL;
}

bool
tsg_hub_meeting_kind_parse (const char *name, int *kind)
{
    for (size_t i = 0; name && i < MEETINGS; i++)
        if (strcmp (s_meetings[i].name, name) == 0) {
            *kind = s_meetings[i].kind;
            return true;
        }
    return false;
}

const char *
tsg_hub_meeting_label_ja (int kind)
{
    for (size_t i = 0; i < MEETINGS; i++)
        if (s_meetings[i].kind == kind)
            return s_meetings[i].label;
    return NULL;
}

const char *
tsg_hub_meeting_law (int kind)
{
    for (size_t i = 0; i < MEETINGS; i++)
        if (s_meetings[i].kind == kind)
            return s_meetings[i].law;
    return NULL;
}

/* ---- overdue set ------------------------------------------------------------------- */

/* Collects case ids for tsg_hub_cases_overdue. */
typedef struct {
    tsg_hub_case_id_t *ids; /* collected (owned until handed out) */
    size_t count;           /* in use */
    size_t capacity;        /* allocated */
    bool failed;            /* memory ran out */
} s_idset_t;

static bool
s_collect (void *arg, tsg_hub_due_kind_t kind, uint64_t due_ms, const char *referral_id,
           const char *case_id, const char *recipient)
{
    (void) recipient;
    (void) kind;
    (void) due_ms;
    (void) referral_id;
    s_idset_t *set = arg;
    if (!tsg_uuid_valid (case_id))
        return true;
    if (set->count == set->capacity) {
        size_t capacity = set->capacity ? set->capacity * 2 : 64;
        tsg_hub_case_id_t *grown = realloc (set->ids, capacity * sizeof *grown);
        if (!grown) {
            set->failed = true;
            return false;
        }
        set->ids = grown;
        set->capacity = capacity;
    }
    memcpy (set->ids[set->count++], case_id, TSG_UUID_TEXT_SIZE);
    return true;
}

static int
s_id_cmp (const void *a, const void *b)
{
    return strcmp (a, b);
}

tsg_hub_case_id_t *
tsg_hub_cases_overdue (tsg_txn_t *txn, uint64_t now_ms, size_t *count)
{
    s_idset_t set = { NULL, 0, 0, false };
    tsg_hub_due_scan (txn, TSG_HUB_DUE_RECEIVED, now_ms, s_collect, &set);
    if (!set.failed)
        tsg_hub_due_scan (txn, TSG_HUB_DUE_ACCEPTED, now_ms, s_collect, &set);
    if (set.failed || set.count == 0) {
        if (set.failed)
            log_warnx ("cases: out of memory listing overdue cases");
        free (set.ids);
        *count = 0;
        return NULL;
    }
    qsort (set.ids, set.count, sizeof *set.ids, s_id_cmp);
    size_t kept = 1;
    for (size_t i = 1; i < set.count; i++)
        if (strcmp (set.ids[i], set.ids[kept - 1]) != 0)
            memcpy (set.ids[kept++], set.ids[i], TSG_UUID_TEXT_SIZE);
    *count = kept;
    return set.ids;
}

bool
tsg_hub_cases_overdue_has (const tsg_hub_case_id_t *set, size_t count, const char *id)
{
    return set && bsearch (id, set, count, sizeof *set, s_id_cmp) != NULL;
}

/* Writes the index key "word NUL case id" into key; returns its length. */
size_t
tsg_hub_case_index_key (const char *word, const char *case_id, uint8_t key[TSG_HUB_CASE_INDEX_MAX])
{
    size_t n = strlen (word);
    if (n > TSG_TAG_LEN_MAX)
        n = TSG_TAG_LEN_MAX;
    memcpy (key, word, n);
    key[n] = '\0';
    memcpy (key + n + 1, case_id, TSG_HUB_CASE_ID_LEN);
    return n + 1 + TSG_HUB_CASE_ID_LEN;
}

/* True when word is one of the n rows of width bytes. */
bool
tsg_hub_rows_contain (const char *rows, size_t width, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (rows + i * width, word) == 0)
            return true;
    return false;
}
