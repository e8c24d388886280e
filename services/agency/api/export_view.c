/* export_view.c — GET /v1/exports/referrals.csv: the referrals this agency sent and received
 * in a period (by their created date in Japan time), one row each with their state and times,
 * as the CSV Excel opens (common/csv_write.c: UTF-8 with BOM or CP932, CRLF).
 *
 * The rows are found in two passes, so memory stays small whatever the records hold: the
 * first reads every sent and received record and keeps only the id, side and created time
 * of those in the period (at most AGENCY_EXPORT_ROWS_MAX; more is refused, never cut short);
 * the second sorts them by time and reads and writes one record at a time.
 *
 * Personal data: the household id and name (from the sheet) only when asked (personal=true),
 * only for referrals this agency received (the sender keeps no plaintext sheet: it went sealed
 * to the recipient), and never for one whose consent was revoked or has expired.  Each
 * export with personal data is logged. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsunagu/tsg_csv_write.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsg_words.h"
#include "agency/api/views.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referral_state.h"
#include "agency/records/sent.h"
#include "agency/records/store.h"

#define JST_MS (9ull * 3600 * 1000)
#define DAY_MS (24ull * 3600 * 1000)

/* One referral of the period, before its record is read again. */
typedef struct {
    uint64_t created_ms;         /* its created time (UTC ms) */
    bool received;               /* from the received database (else sent) */
    char id[TSG_UUID_TEXT_SIZE]; /* its referral id */
} s_row_t;

/* The rows found so far. */
typedef struct {
    s_row_t *rows;  /* in the order found */
    size_t count;   /* how many */
    size_t cap;     /* room */
    bool too_many;  /* more than AGENCY_EXPORT_ROWS_MAX */
    bool no_memory; /* an allocation failed */
} s_rows_t;

/* The columns, in order (世帯ID and 氏名 follow with personal=true). */
static const char *const s_headers[] = { "方向",   "紹介ID",   "ケースID", "作成日時",
                                         "紹介元", "紹介先",   "緊急度",   "法的根拠",
                                         "状態",   "受付日時", "受諾日時", "終結日時",
                                         "結果",   "受付期限", "回答期限", NULL };

static const char *
s_ja (const char *code)
{
    if (!code)
        return "";
    tsg_outcome_t outcome;
    if (tsg_outcome_parse (code, &outcome) && tsg_outcome_label_ja (outcome))
        return tsg_outcome_label_ja (outcome);
    const char *word = tsg_urgency_label_ja (code);
    if (!word)
        word = tsg_legal_basis_label_ja (code);
    return word ? word : code;
}

bool
agency_export_parse (const char *from, const char *to, const char *direction, const char *encoding,
                     const char *personal, agency_export_query_t *out, json_t *fields)
{
    memset (out, 0, sizeof *out);
    if (!from || !tsg_date_ok (from))
        json_object_set_new (fields, "from", json_string ("required: a date YYYY-MM-DD"));
    if (!to || !tsg_date_ok (to))
        json_object_set_new (fields, "to", json_string ("required: a date YYYY-MM-DD"));
    else if (from && tsg_date_ok (from) && strcmp (from, to) > 0)
        json_object_set_new (fields, "to", json_string ("must not be before from"));
    if (!direction || strcmp (direction, "all") == 0)
        out->sent = out->received = true;
    else if (strcmp (direction, "sent") == 0)
        out->sent = true;
    else if (strcmp (direction, "received") == 0)
        out->received = true;
    else
        json_object_set_new (fields, "direction", json_string ("must be sent, received or all"));
    if (encoding && strcmp (encoding, "cp932") == 0)
        out->cp932 = true;
    else if (encoding && strcmp (encoding, "utf-8") != 0)
        json_object_set_new (fields, "encoding", json_string ("must be utf-8 or cp932"));
    if (personal && strcmp (personal, "true") == 0)
        out->personal = true;
    else if (personal && strcmp (personal, "false") != 0)
        json_object_set_new (fields, "personal", json_string ("must be true or false"));
    if (json_object_size (fields) > 0)
        return false;
    snprintf (out->from, sizeof out->from, "%s", from);
    snprintf (out->to, sizeof out->to, "%s", to);
    return true;
}

/* Keeps the record under key (a referral id) when it was created in [start, end). */
static void
s_collect (tsg_txn_t *txn, int db, bool received, uint64_t start, uint64_t end, s_rows_t *rows)
{
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, db), &it, NULL, 0); it.valid;
         tsg_iter_next (&it)) {
        if (it.key.mv_size != TSG_UUID_TEXT_SIZE - 1)
            continue;
        json_t *record = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        uint64_t created = agency_json_u64 (record, "created_at", 0);
        json_decref (record);
        if (created < start || created >= end)
            continue;
        if (rows->count == AGENCY_EXPORT_ROWS_MAX) {
            rows->too_many = true;
            break;
        }
        if (rows->count == rows->cap) {
            size_t cap = rows->cap ? rows->cap * 2 : 256;
            s_row_t *more = realloc (rows->rows, cap * sizeof *more);
            if (!more) {
                rows->no_memory = true;
                break;
            }
            rows->rows = more;
            rows->cap = cap;
        }
        s_row_t *row = &rows->rows[rows->count++];
        row->created_ms = created;
        row->received = received;
        memcpy (row->id, it.key.mv_data, TSG_UUID_TEXT_SIZE - 1);
        row->id[TSG_UUID_TEXT_SIZE - 1] = '\0';
    }
    tsg_iter_end (&it);
}

static int
s_row_compare (const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    if (x->created_ms != y->created_ms)
        return x->created_ms < y->created_ms ? -1 : 1;
    return strcmp (x->id, y->id);
}

/* ms as "YYYY-MM-DD HH:MM:SS" in Japan time (Excel reads it as a date and time); "" for 0. */
static const char *
s_jst (uint64_t ms, char out[32])
{
    out[0] = '\0';
    if (ms == 0)
        return out;
    time_t t = (time_t) ((ms + JST_MS) / 1000);
    struct tm tm;
    if (gmtime_r (&t, &tm))
        strftime (out, 32, "%Y-%m-%d %H:%M:%S", &tm);
    return out;
}

/* "name (id)", or the id alone when the name is not known. */
static const char *
s_agency (const char *id, const char *name, char *out, size_t size)
{
    if (name && *name)
        snprintf (out, size, "%s (%s)", name, id ? id : "");
    else
        snprintf (out, size, "%s", id ? id : "");
    return out;
}

/* The times of the first received and accepted and of the end (a terminal state) in record's
 * history, and the outcome. */
static void
s_history (const json_t *record, uint64_t *received, uint64_t *accepted, uint64_t *ended,
           const char **outcome)
{
    *received = *accepted = *ended = 0;
    *outcome = NULL;
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "state_history"), i, entry)
    {
        tsg_ref_state_t state;
        if (!tsg_ref_state_parse (agency_json_str (entry, "state"), &state))
            continue;
        uint64_t at = agency_json_u64 (entry, "at", 0);
        if (state == TSG_REF_RECEIVED && !*received)
            *received = at;
        if (state == TSG_REF_ACCEPTED && !*accepted)
            *accepted = at;
        if (tsg_ref_state_terminal (state))
            *ended = at;
        if (agency_json_str (entry, "outcome"))
            *outcome = agency_json_str (entry, "outcome");
    }
}

/* The household id and the person's name of a received referral's sheet (NULL each when
 * absent); *sheet is the caller's to release. */
static void
s_household (tsg_agency_t *self, tsg_txn_t *txn, const json_t *record, json_t **sheet,
             const char **household, const char **name)
{
    *household = *name = NULL;
    *sheet = NULL;
    if (agency_consent_restricted (txn, agency_json_str (record, "consent_id")))
        return;
    json_int_t cursor = json_integer_value (json_object_get (record, "cursor"));
    *sheet = cursor > 0 ? agency_inbox_content (self, txn, (uint64_t) cursor) : NULL;
    *household = agency_json_str (*sheet, "household_id");
    if (!*household)
        *household = agency_json_str (*sheet, "household");
    size_t i;
    json_t *member;
    json_array_foreach (json_object_get (*sheet, "members"), i, member)
    {
        const char *relation = agency_json_str (member, "relation");
        if (!*name || (relation && strcmp (relation, "本人") == 0))
            *name = agency_json_str (member, "name");
        if (relation && strcmp (relation, "本人") == 0)
            break;
    }
    if (!*name)
        *name = agency_json_str (*sheet, "name");
}

/* Writes the row of one referral. */
static void
s_write_row (tsg_agency_t *self, tsg_txn_t *txn, const agency_export_query_t *q, const s_row_t *row,
             tsg_csv_t *csv)
{
    json_t *record =
        row->received ? agency_received_get (txn, row->id) : agency_sent_get (txn, row->id);
    if (!record)
        return;
    char from[256], to[256], created[32], t1[32], t2[32], t3[32];
    const char *own = self->config->id;
    const char *own_name = self->config->name;
    if (row->received) {
        s_agency (agency_json_str (record, "from"), agency_json_str (record, "from_name"), from,
                  sizeof from);
        s_agency (own, own_name, to, sizeof to);
    }
    else {
        const char *peer = agency_json_str (record, "to");
        const agency_entry_t *entry =
            self->directory && peer ? agency_directory_find (self->directory, peer) : NULL;
        s_agency (own, own_name, from, sizeof from);
        s_agency (peer, entry ? entry->name : NULL, to, sizeof to);
    }
    tsg_ref_state_t state;
    uint64_t version, received, accepted, ended;
    const char *outcome;
    agency_status_current (record, &state, &version);
    s_history (record, &received, &accepted, &ended, &outcome);

    tsg_csv_field (csv, row->received ? "受信" : "送信");
    tsg_csv_field (csv, row->id);
    tsg_csv_field (csv, agency_json_str (record, "case_id"));
    tsg_csv_field (csv, s_jst (row->created_ms, created));
    tsg_csv_field (csv, from);
    tsg_csv_field (csv, to);
    tsg_csv_field (csv, s_ja (agency_json_str (record, "urgency")));
    tsg_csv_field (csv, s_ja (agency_json_str (record, "legal_basis")));
    tsg_csv_field (csv, tsg_ref_state_label_ja (state));
    tsg_csv_field (csv, s_jst (received, t1));
    tsg_csv_field (csv, s_jst (accepted, t2));
    tsg_csv_field (csv, s_jst (ended, t3));
    tsg_csv_field (csv, outcome ? s_ja (outcome) : NULL);
    tsg_csv_field (csv, agency_json_str (record, "receive_due_date"));
    tsg_csv_field (csv, agency_json_str (record, "due_date"));
    if (q->personal) {
        json_t *sheet = NULL;
        const char *household = NULL, *name = NULL;
        if (row->received)
            s_household (self, txn, record, &sheet, &household, &name);
        tsg_csv_field (csv, household);
        tsg_csv_field (csv, name);
        json_decref (sheet);
    }
    tsg_csv_end_row (csv);
    json_decref (record);
}

int
agency_export_referrals (tsg_agency_t *self, const agency_export_query_t *q, char **out,
                         size_t *len, json_t **error)
{
    *out = NULL;
    *error = NULL;
    uint64_t start = 0, end = 0;
    if (!tsg_date_start_ms (q->from, &start) || !tsg_date_start_ms (q->to, &end)) {
        *error = agency_json_error ("invalid", "bad query arguments", NULL);
        return 400;
    }
    end += DAY_MS;
    s_rows_t rows = { 0 };
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    if (q->sent)
        s_collect (&txn, AGENCY_DB_SENT, false, start, end, &rows);
    if (q->received && !rows.too_many && !rows.no_memory)
        s_collect (&txn, AGENCY_DB_RECEIVED, true, start, end, &rows);
    int status = 200;
    if (rows.too_many) {
        char message[160];
        snprintf (message, sizeof message,
                  "more than %d referrals in this period: export a shorter period",
                  AGENCY_EXPORT_ROWS_MAX);
        *error = agency_json_error ("too_many_rows", message, NULL);
        status = 422;
    }
    else if (rows.no_memory || txn.rc != TSG_OK) {
        *error = agency_json_error ("internal", "the referrals could not be read", NULL);
        status = 500;
    }
    else {
        if (rows.count > 1) /* none at all is rows.rows NULL */
            qsort (rows.rows, rows.count, sizeof *rows.rows, s_row_compare);
        size_t size = 0;
        FILE *h = open_memstream (out, &size);
        tsg_csv_t *csv =
            h ? tsg_csv_new (h, q->cp932 ? TSG_CSV_CP932 : TSG_CSV_UTF8_BOM, TSG_CSV_FORMULA_GUARD)
              : NULL;
        if (csv) {
            for (size_t i = 0; s_headers[i]; i++)
                tsg_csv_field (csv, s_headers[i]);
            if (q->personal) {
                tsg_csv_field (csv, "世帯ID");
                tsg_csv_field (csv, "氏名");
            }
            tsg_csv_end_row (csv);
            for (size_t i = 0; i < rows.count; i++)
                s_write_row (self, &txn, q, &rows.rows[i], csv);
        }
        bool ok = csv && tsg_csv_destroy (&csv);
        if (h) {
            ok = ferror (h) == 0 && ok;
            ok = fclose (h) == 0 && ok;
        }
        if (!ok) {
            free (*out);
            *out = NULL;
            *error = agency_json_error ("internal", "out of memory", NULL);
            status = 500;
        }
        else {
            *len = size;
            if (q->personal)
                log_info ("export: %zu referrals of %s..%s with household ids and names",
                          rows.count, q->from, q->to);
        }
    }
    tsg_txn_abort (&txn);
    free (rows.rows);
    return status;
}
