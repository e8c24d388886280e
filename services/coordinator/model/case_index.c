/* case_index.c — listing cases at scale: CASE_ORDER read as one range per listing, CASE_DUE
 * for the overdue flag, the cursor, and the derived facts of a case (stuck, candidate, plan
 * review overdue).
 *
 *   CASE_ORDER  u8 order | u8 facet | value | NUL | be64 sort key | case id (36) →
 *               u8 state | u8 flags | u8 agencies | be64 updated_at | be64 created_at
 *       order 'i' (sort key 0), 'u' (updated_at), 'c' (created_at); facet 'a' every case,
 *       's' state, 'g' agency, 't' tag, 'y' agency type, 'w' withheld, 'o' awaiting, 'h'
 *       handed over since the last meeting or plan (no entries in a store older than
 *       hand-overs, which had none to index).  Each
 *       case has its entries in all three orders, so any facet reads in any order as one
 *       range, and the summary answers state, withheld, stuck and candidate without the
 *       record.  The descending orders read the same ranges backwards.
 *   CASE_DUE    case id | be64 due ms | u8 kind | referral id → empty
 *       the twin of each DUE entry (referrals.c), by case: its first entry is the case's
 *       earliest due date, so "overdue" is one read.
 *
 * A cursor is "<sort><as_of 16 hex><sort key 16 hex><case id>": where the previous page
 * stopped, and (for the updated orders) the clock of its first page, so that a case that
 * changed since then is not listed twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/cases.h"

#define DAY_MS      86400000ull
#define CURSOR_LEN  (1 + 16 + 16 + 36)
#define READ_WEIGHT 8 /* what one extra read costs of the budget, in entries */

/* ---- keys and summaries ------------------------------------------------------------- */

size_t
tsg_hub_case_order_key (uint8_t order, uint8_t facet, const char *value, uint64_t sort_key,
                        const char *case_id, uint8_t key[TSG_HUB_ORDER_KEY_MAX])
{
    size_t n = value ? strlen (value) : 0;
    if (n > TSG_TAG_LEN_MAX)
        n = TSG_TAG_LEN_MAX;
    key[0] = order;
    key[1] = facet;
    memcpy (key + 2, value, n);
    key[2 + n] = '\0';
    tsg_be64_put (key + 3 + n, sort_key);
    memcpy (key + 11 + n, case_id, TSG_HUB_CASE_ID_LEN);
    return 11 + n + TSG_HUB_CASE_ID_LEN;
}

void
tsg_hub_case_order_summary (const tsg_hub_case_t *c, uint8_t out[TSG_HUB_ORDER_SUMMARY_LEN])
{
    out[0] = (uint8_t) c->state;
    out[1] = (uint8_t) ((c->withheld ? TSG_HUB_SUMMARY_WITHHELD : 0)
                        | (c->reopened ? TSG_HUB_SUMMARY_REOPENED : 0)
                        | (c->handed_over ? TSG_HUB_SUMMARY_HANDOVER : 0));
    out[2] = (uint8_t) c->n_agencies;
    tsg_be64_put (out + 3, c->updated_at_ms);
    tsg_be64_put (out + 11, c->created_at_ms);
}

/* ---- facts of a case ------------------------------------------------------------------ */

/* Days from updated to now. */
static unsigned
s_days (uint64_t updated, uint64_t now_ms)
{
    return now_ms > updated ? (unsigned) ((now_ms - updated) / DAY_MS) : 0;
}

/* The candidate bits of a case from its summary's parts. */
static unsigned
s_candidate (tsg_case_state_t state, unsigned flags, size_t agencies, uint64_t updated,
             uint64_t now_ms)
{
    unsigned why = 0;
    if (agencies >= TSG_HUB_CANDIDATE_AGENCIES)
        why |= TSG_HUB_CANDIDATE_AGENCIES_BIT;
    if (state != TSG_CASE_CLOSED && s_days (updated, now_ms) >= TSG_HUB_STUCK_DAYS)
        why |= TSG_HUB_CANDIDATE_STUCK_BIT;
    if (flags & TSG_HUB_SUMMARY_REOPENED)
        why |= TSG_HUB_CANDIDATE_REOPENED_BIT;
    return why;
}

unsigned
tsg_hub_case_candidate (const tsg_hub_case_t *c, uint64_t now_ms)
{
    return s_candidate (c->state, c->reopened ? TSG_HUB_SUMMARY_REOPENED : 0, c->n_agencies,
                        c->updated_at_ms, now_ms);
}

unsigned
tsg_hub_case_stuck_days (const tsg_hub_case_t *c, uint64_t now_ms)
{
    return s_days (c->updated_at_ms, now_ms);
}

bool
tsg_hub_case_review_overdue (const tsg_hub_case_t *c, uint64_t now_ms)
{
    if (c->state == TSG_CASE_CLOSED || strlen (c->next_review_on) != 10)
        return false;
    char today[11];
    tsg_date_jst_plus_days (now_ms, 0, today);
    return strcmp (c->next_review_on, today) < 0;
}

bool
tsg_hub_case_overdue (tsg_txn_t *txn, const char *case_id, uint64_t now_ms)
{
    tsg_iter_t it;
    bool overdue = false;
    tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CASE_DUE), &it, case_id,
                    TSG_HUB_CASE_ID_LEN);
    if (it.valid && it.key.mv_size == TSG_HUB_CASE_DUE_KEY_LEN
        && memcmp (it.key.mv_data, case_id, TSG_HUB_CASE_ID_LEN) == 0)
        overdue = tsg_be64_get ((const uint8_t *) it.key.mv_data + TSG_HUB_CASE_ID_LEN) < now_ms;
    tsg_iter_end (&it);
    return overdue;
}

/* ---- sorts and cursors ------------------------------------------------------------------ */

static const struct {
    tsg_hub_case_sort_t sort; /* the order */
    const char *name;         /* its parameter */
    char code;                /* its first byte in a cursor */
} s_sorts[] = {
    { TSG_HUB_CASE_SORT_ID, "id", 'i' },
    { TSG_HUB_CASE_SORT_UPDATED_DESC, "-updated", 'd' },
    { TSG_HUB_CASE_SORT_UPDATED_ASC, "updated", 'a' },
    { TSG_HUB_CASE_SORT_CREATED_DESC, "-created", 'c' },
};

#define SORTS (sizeof s_sorts / sizeof s_sorts[0])

const char *
tsg_hub_case_sort_name (tsg_hub_case_sort_t sort)
{
    for (size_t i = 0; i < SORTS; i++)
        if (s_sorts[i].sort == sort)
            return s_sorts[i].name;
    return "id";
}

bool
tsg_hub_case_sort_parse (const char *text, tsg_hub_case_sort_t *out)
{
    for (size_t i = 0; text && i < SORTS; i++)
        if (strcmp (s_sorts[i].name, text) == 0) {
            *out = s_sorts[i].sort;
            return true;
        }
    return false;
}

static char
s_sort_code (tsg_hub_case_sort_t sort)
{
    for (size_t i = 0; i < SORTS; i++)
        if (s_sorts[i].sort == sort)
            return s_sorts[i].code;
    return 'i';
}

/* Reads 16 hex digits. */
static bool
s_hex64 (const char *text, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char ch = text[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t) d;
    }
    *out = v;
    return true;
}

/* A cursor, read. */
typedef struct {
    uint64_t as_of;                   /* the first page's clock */
    uint64_t sort_key;                /* the last entry's sort key */
    char case_id[TSG_UUID_TEXT_SIZE]; /* ... and case id */
} s_cursor_t;

static bool
s_cursor_read (const char *text, tsg_hub_case_sort_t sort, s_cursor_t *out, const char **why)
{
    const char *unused;
    why = why ? why : &unused;
    if (!text || strlen (text) != CURSOR_LEN) {
        *why = "cursor is not one a listing returned";
        return false;
    }
    if (text[0] != s_sort_code (sort)) {
        *why = "cursor belongs to a listing in another order";
        return false;
    }
    memcpy (out->case_id, text + 33, TSG_HUB_CASE_ID_LEN + 1);
    if (!s_hex64 (text + 1, &out->as_of) || !s_hex64 (text + 17, &out->sort_key)
        || !tsg_uuid_valid (out->case_id)) {
        *why = "cursor is not one a listing returned";
        return false;
    }
    return true;
}

bool
tsg_hub_case_cursor_ok (const char *cursor, tsg_hub_case_sort_t sort, const char **why)
{
    s_cursor_t c;
    return s_cursor_read (cursor, sort, &c, why);
}

static void
s_cursor_write (char out[TSG_HUB_CASE_CURSOR_SIZE], tsg_hub_case_sort_t sort, uint64_t as_of,
                uint64_t sort_key, const char *case_id)
{
    snprintf (out, TSG_HUB_CASE_CURSOR_SIZE, "%c%016llx%016llx%.36s", s_sort_code (sort),
              (unsigned long long) as_of, (unsigned long long) sort_key, case_id);
}

/* ---- listing ---------------------------------------------------------------------------- */

/* One listing pass. */
typedef struct {
    tsg_txn_t *txn;                        /* read transaction */
    const tsg_hub_case_filter_t *f;        /* what to list */
    tsg_hub_case_page_t *page;             /* how it ends */
    tsg_hub_case_fn *fn;                   /* the caller's callback */
    void *arg;                             /* its argument */
    MDB_dbi db;                            /* CASE_ORDER */
    uint8_t order;                         /* 'i', 'u' or 'c' */
    bool desc;                             /* read backwards */
    uint8_t facet;                         /* the facet read as the range */
    uint8_t prefix[TSG_HUB_ORDER_KEY_MAX]; /* order, facet, value, NUL */
    size_t prefix_len;                     /* its length */
    uint64_t as_of;                        /* the first page's clock */
    uint64_t stuck_before;                 /* stuck: updated before this (0: no filter) */
    int state;                             /* the state asked for (-1: any) */
    size_t budget;                         /* what may still be examined */
    tsg_hub_case_t record;                 /* scratch */
} s_list_t;

/* True when the case id is in facet's range (an exact read in id order). */
static bool
s_has (s_list_t *l, uint8_t facet, const char *value, const char *id)
{
    uint8_t key[TSG_HUB_ORDER_KEY_MAX];
    size_t len = tsg_hub_case_order_key (TSG_HUB_ORDER_ID, facet, value, 0, id, key);
    MDB_val val;
    l->budget = l->budget > READ_WEIGHT ? l->budget - READ_WEIGHT : 0;
    return tsg_txn_get (l->txn, l->db, key, len, &val);
}

/* True when an entry with summary sum (TSG_HUB_ORDER_SUMMARY_LEN bytes) of case id passes
 * every filter but the range's own. */
static bool
s_passes (s_list_t *l, const uint8_t *sum, const char *id)
{
    const tsg_hub_case_filter_t *f = l->f;
    tsg_case_state_t state = (tsg_case_state_t) sum[0];
    unsigned flags = sum[1];
    uint64_t updated = tsg_be64_get (sum + 3);
    if (l->order == TSG_HUB_ORDER_UPDATED && updated > l->as_of)
        return false;
    if (l->state >= 0 && (int) state != l->state)
        return false;
    if (f->withheld && !(flags & TSG_HUB_SUMMARY_WITHHELD))
        return false;
    if (f->handed_over && !(flags & TSG_HUB_SUMMARY_HANDOVER))
        return false;
    if (l->stuck_before && (state == TSG_CASE_CLOSED || updated >= l->stuck_before))
        return false;
    if (f->candidate && !s_candidate (state, flags, sum[2], updated, f->now_ms))
        return false;
    if (f->tag && l->facet != TSG_HUB_FACET_TAG && !s_has (l, TSG_HUB_FACET_TAG, f->tag, id))
        return false;
    if (f->agency && l->facet != TSG_HUB_FACET_AGENCY
        && !s_has (l, TSG_HUB_FACET_AGENCY, f->agency, id))
        return false;
    if (f->agency_type && l->facet != TSG_HUB_FACET_TYPE
        && !s_has (l, TSG_HUB_FACET_TYPE, f->agency_type, id))
        return false;
    return true;
}

/* Chooses the range: the most selective facet given. */
static void
s_choose (s_list_t *l)
{
    const tsg_hub_case_filter_t *f = l->f;
    const char *value = "";
    if (f->handed_over)
        l->facet = TSG_HUB_FACET_HANDOVER;
    else if (f->withheld)
        l->facet = TSG_HUB_FACET_WITHHELD;
    else if (f->overdue)
        l->facet = TSG_HUB_FACET_AWAITING;
    else if (f->tag)
        l->facet = TSG_HUB_FACET_TAG, value = f->tag;
    else if (f->agency)
        l->facet = TSG_HUB_FACET_AGENCY, value = f->agency;
    else if (f->agency_type)
        l->facet = TSG_HUB_FACET_TYPE, value = f->agency_type;
    else if (f->state)
        l->facet = TSG_HUB_FACET_STATE, value = f->state;
    else
        l->facet = TSG_HUB_FACET_ALL;
    size_t n = strlen (value);
    l->prefix[0] = l->order;
    l->prefix[1] = l->facet;
    memcpy (l->prefix + 2, value, n);
    l->prefix[2 + n] = '\0';
    l->prefix_len = 3 + n;
}

/* Positions the cursor at the first entry to look at: for an ascending read the first key
 * after start (or at it when inclusive); for a descending one the last key before start.
 * Returns the MDB code. */
static int
s_seek (s_list_t *l, MDB_cursor *cur, MDB_val *key, MDB_val *val, const uint8_t *start, size_t len,
        bool inclusive)
{
    key->mv_data = (void *) start;
    key->mv_size = len;
    int rc = mdb_cursor_get (cur, key, val, MDB_SET_RANGE);
    if (!l->desc) {
        if (rc == 0 && !inclusive && key->mv_size == len && memcmp (key->mv_data, start, len) == 0)
            rc = mdb_cursor_get (cur, key, val, MDB_NEXT);
        return rc;
    }
    if (rc == MDB_NOTFOUND)
        return mdb_cursor_get (cur, key, val, MDB_LAST);
    return rc == 0 ? mdb_cursor_get (cur, key, val, MDB_PREV) : rc;
}

/* The key the read starts from (see s_seek); its length, and whether it is inclusive. */
static size_t
s_start (s_list_t *l, uint8_t start[TSG_HUB_ORDER_KEY_MAX], bool *inclusive)
{
    const tsg_hub_case_filter_t *f = l->f;
    s_cursor_t c;
    size_t p = l->prefix_len;
    memcpy (start, l->prefix, p);
    *inclusive = false;
    if (f->cursor && s_cursor_read (f->cursor, f->sort, &c, NULL)) {
        l->as_of = c.as_of;
        tsg_be64_put (start + p, c.sort_key);
        memcpy (start + p + 8, c.case_id, TSG_HUB_CASE_ID_LEN);
        size_t len = p + 8 + TSG_HUB_CASE_ID_LEN;
        /* Stuck, newest first: nothing changed since the bound can be listed. */
        if (l->desc && l->stuck_before && l->order == TSG_HUB_ORDER_UPDATED
            && c.sort_key >= l->stuck_before) {
            tsg_be64_put (start + p, l->stuck_before);
            return p + 8;
        }
        return len;
    }
    if (f->after && f->sort == TSG_HUB_CASE_SORT_ID && tsg_uuid_valid (f->after)) {
        tsg_be64_put (start + p, 0);
        memcpy (start + p + 8, f->after, TSG_HUB_CASE_ID_LEN);
        return p + 8 + TSG_HUB_CASE_ID_LEN;
    }
    if (l->desc && l->stuck_before && l->order == TSG_HUB_ORDER_UPDATED) {
        tsg_be64_put (start + p, l->stuck_before);
        return p + 8;
    }
    if (l->desc) {
        start[p - 1] = 1; /* past every key of the prefix */
        return p;
    }
    *inclusive = true;
    return p;
}

/* Hands one passing case to the caller: true when it was listed; *stop when the listing is
 * complete (the page was full and this one begins the next: page->more). */
static bool
s_list_one (s_list_t *l, const char *id, uint64_t sort_key, bool *stop)
{
    const tsg_hub_case_filter_t *f = l->f;
    tsg_hub_case_page_t *page = l->page;
    bool overdue = false;
    if (f->overdue) {
        l->budget = l->budget > READ_WEIGHT ? l->budget - READ_WEIGHT : 0;
        if (!(overdue = tsg_hub_case_overdue (l->txn, id, f->now_ms)))
            return false;
    }
    if (page->listed == f->limit) {
        page->more = true;
        *stop = true;
        return false;
    }
    if (!f->overdue)
        overdue = tsg_hub_case_overdue (l->txn, id, f->now_ms);
    if (!tsg_hub_case_get (l->txn, id, &l->record))
        return false;
    page->listed++;
    memcpy (page->last_id, id, TSG_UUID_TEXT_SIZE);
    (void) sort_key;
    if (!l->fn (l->arg, &l->record, overdue))
        *stop = true;
    return true;
}

/* Reads the range from the start, entry by entry, until the page is full, the range ends or
 * the budget is spent; the cursor goes on after the last entry looked at. */
static void
s_walk (s_list_t *l)
{
    MDB_cursor *cur = NULL;
    int rc = mdb_cursor_open (l->txn->txn, l->db, &cur);
    if (rc != 0) {
        l->txn->rc = tsg_store_error (rc);
        return;
    }
    tsg_hub_case_page_t *page = l->page;
    uint8_t start[TSG_HUB_ORDER_KEY_MAX];
    bool inclusive;
    size_t len = s_start (l, start, &inclusive);
    MDB_val key, val;
    bool stop = false;
    char last[TSG_HUB_CASE_CURSOR_SIZE] = "";
    for (rc = s_seek (l, cur, &key, &val, start, len, inclusive); rc == 0 && !stop;
         rc = mdb_cursor_get (cur, &key, &val, l->desc ? MDB_PREV : MDB_NEXT)) {
        const uint8_t *k = key.mv_data;
        if (key.mv_size != l->prefix_len + 8 + TSG_HUB_CASE_ID_LEN
            || memcmp (k, l->prefix, l->prefix_len) != 0)
            break;
        uint64_t sort_key = tsg_be64_get (k + l->prefix_len);
        if (!l->desc && l->stuck_before && l->order == TSG_HUB_ORDER_UPDATED
            && sort_key >= l->stuck_before)
            break;
        if (l->budget == 0) {
            page->partial = true;
            break;
        }
        l->budget--;
        page->examined++;
        char id[TSG_UUID_TEXT_SIZE];
        memcpy (id, k + l->prefix_len + 8, TSG_HUB_CASE_ID_LEN);
        id[TSG_HUB_CASE_ID_LEN] = '\0';
        if (val.mv_size == TSG_HUB_ORDER_SUMMARY_LEN && s_passes (l, val.mv_data, id))
            s_list_one (l, id, sort_key, &stop);
        if (!page->more)
            s_cursor_write (last, l->f->sort, l->as_of, sort_key, id);
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        l->txn->rc = tsg_store_error (rc);
    mdb_cursor_close (cur);
    if (page->partial)
        page->more = true;
    if (page->more && last[0])
        memcpy (page->cursor, last, sizeof last);
    else
        page->cursor[0] = '\0';
}

void
tsg_hub_cases_page (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter, tsg_hub_case_fn *fn,
                    void *arg, tsg_hub_case_page_t *page)
{
    memset (page, 0, sizeof *page);
    s_list_t *l = calloc (1, sizeof *l);
    if (!l) {
        txn->rc = TSG_ERR_NOMEM;
        return;
    }
    if (txn->rc != TSG_OK) {
        free (l);
        return;
    }
    l->txn = txn;
    l->f = filter;
    l->page = page;
    l->fn = fn;
    l->arg = arg;
    l->db = tsg_store_db (txn->store, TSG_HUB_DB_CASE_ORDER);
    l->order = filter->sort == TSG_HUB_CASE_SORT_ID             ? TSG_HUB_ORDER_ID
               : filter->sort == TSG_HUB_CASE_SORT_CREATED_DESC ? TSG_HUB_ORDER_CREATED
                                                                : TSG_HUB_ORDER_UPDATED;
    l->desc = filter->sort == TSG_HUB_CASE_SORT_UPDATED_DESC
              || filter->sort == TSG_HUB_CASE_SORT_CREATED_DESC;
    l->as_of = filter->now_ms ? filter->now_ms : UINT64_MAX;
    tsg_case_state_t state;
    l->state = filter->state && tsg_case_state_parse (filter->state, &state) ? (int) state : -1;
    if (filter->state && l->state < 0) {
        free (l);
        return; /* no case is in a state that does not exist */
    }
    if (filter->stuck_days) {
        uint64_t span = (uint64_t) filter->stuck_days * DAY_MS;
        l->stuck_before = filter->now_ms > span ? filter->now_ms - span + 1 : 1;
    }
    l->budget = TSG_HUB_CASES_EXAMINE_MAX;
    s_choose (l);
    s_walk (l);
    free (l);
}

size_t
tsg_hub_cases_list (tsg_txn_t *txn, const tsg_hub_case_filter_t *filter, tsg_hub_case_fn *fn,
                    void *arg, bool *more)
{
    tsg_hub_case_page_t page;
    tsg_hub_cases_page (txn, filter, fn, arg, &page);
    *more = page.more;
    return page.listed;
}
