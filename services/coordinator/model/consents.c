/* consents.c — the consent register and its indices.
 *
 *   CONSENTS       consent id (36 bytes) →
 *       u8 format (1) | u8 state | str case_id | str subject | str purpose | str method |
 *       str obtained_by | str granted_by | str valid_from | str valid_until | be64 from_ms |
 *       be64 until_ms | be64 granted_at | be64 ended_at | str ended_by | u8 categories |
 *       u8 n, n × str agency | u8 n, n × str type
 *   CONSENT_INDEX  'c' case id, consent id            → empty: the consents of a case
 *                  'e' be64 until_ms, consent id      → empty: active consents by end of validity
 *                  'm' consent id, mailbox key        → empty: mailbox entries relying on it
 *   STATS          "consents.state." state → gauge
 * A mailbox entry stays noted after it is delivered; the note goes when the consent ends (the
 * entry is then looked up and found gone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/codec.h"
#include "coordinator/model/consents.h"
#include "tsunagu/tsg_text.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/stats.h"

#define FORMAT     1
#define ID_LEN     36
#define BY_CASE    'c'
#define BY_END     'e'
#define BY_MAIL    'm'
#define STAT_STATE "consents.state."

static const char *const s_categories[TSG_HUB_CATEGORIES] = {
    "identity", "health", "disability", "finances", "family", "children", "free-text",
};

unsigned
tsg_hub_category_bit (const char *name)
{
    for (unsigned i = 0; name && i < TSG_HUB_CATEGORIES; i++)
        if (strcmp (name, s_categories[i]) == 0)
            return 1u << i;
    return 0;
}

const char *
tsg_hub_category_name (unsigned bit)
{
    for (unsigned i = 0; i < TSG_HUB_CATEGORIES; i++)
        if (bit == 1u << i)
            return s_categories[i];
    return NULL;
}

json_t *
tsg_hub_categories_json (unsigned set)
{
    json_t *list = json_array ();
    for (unsigned i = 0; list && i < TSG_HUB_CATEGORIES; i++)
        if (set & (1u << i))
            json_array_append_new (list, json_string (s_categories[i]));
    return list;
}

const char *
tsg_hub_consent_state_name (tsg_hub_consent_state_t state)
{
    switch (state) {
    case TSG_HUB_CONSENT_ACTIVE: return "active";
    case TSG_HUB_CONSENT_REVOKED: return "revoked";
    case TSG_HUB_CONSENT_EXPIRED: return "expired";
    default: return "unknown";
    }
}

/* ---- checking a grant -------------------------------------------------------------- */

#define REFUSE(code, ...)                                                                          \
    do {                                                                                           \
        snprintf (detail, size, __VA_ARGS__);                                                      \
        return TSUNAGU__V1__ERROR_CODE__##code;                                                    \
    } while (0)

/* The register keeps the subject the cleartext check allows, whole. */
_Static_assert(TSG_HUB_SUBJECT_MAX == TSG_CLEARTEXT_SUBJECT_MAX,
               "a subject the cleartext check accepts fits the register");

static bool
s_code_in (const char *code, const char *const set[])
{
    for (size_t i = 0; code && set[i]; i++)
        if (strcmp (code, set[i]) == 0)
            return true;
    return false;
}

Tsunagu__V1__ErrorCode
tsg_hub_consent_from_info (const Tsunagu__V1__ConsentInfo *info, const char *case_id,
                           const tsg_hub_directory_t *directory, uint64_t now_ms,
                           tsg_hub_consent_t *out, char *detail, size_t size)
{
    static const char *const purposes[] = { "referral", "case-conference", "support-plan", "other",
                                            NULL };
    static const char *const methods[] = { "written", "verbal", NULL };
    memset (out, 0, sizeof *out);
    if (!info)
        REFUSE (ERROR_MALFORMED, "a consent grant needs header.consent");
    if (!info->consent_id || !tsg_uuid_valid (info->consent_id))
        REFUSE (ERROR_MALFORMED, "consent.consent_id must be a lowercase UUID");
    if (!case_id || !tsg_uuid_valid (case_id))
        REFUSE (ERROR_MALFORMED, "a consent grant needs header.case_id (a lowercase UUID)");
    char why[TSG_CLEARTEXT_WHY_SIZE];
    switch (tsg_cleartext_check (TSG_CLEARTEXT_SUBJECT, info->subject, why, sizeof why)) {
    case TSG_CLEARTEXT_OK: break;
    case TSG_CLEARTEXT_PERSONAL: REFUSE (ERROR_PERSONAL_DATA, "consent.subject %s", why);
    default: REFUSE (ERROR_MALFORMED, "consent.subject %s (a pseudonymous id, never a name)", why);
    }
    if (info->n_cover_agencies + info->n_cover_types == 0)
        REFUSE (ERROR_MALFORMED, "a consent must cover at least one agency or agency type");
    if (info->n_cover_agencies > TSG_HUB_CONSENT_COVER_MAX)
        REFUSE (ERROR_MALFORMED, "a consent names at most %d agencies", TSG_HUB_CONSENT_COVER_MAX);
    if (info->n_cover_types > TSG_HUB_CONSENT_TYPES_MAX)
        REFUSE (ERROR_MALFORMED, "a consent names at most %d agency types",
                TSG_HUB_CONSENT_TYPES_MAX);
    for (size_t i = 0; i < info->n_cover_agencies; i++) {
        const char *id = info->cover_agencies[i];
        if (!id || !tsg_agency_id_valid (id))
            REFUSE (ERROR_MALFORMED, "consent.cover_agencies[%zu] is not an agency id", i);
        if (!tsg_hub_directory_find (directory, id))
            REFUSE (ERROR_NOT_PERMITTED,
                    "consent.cover_agencies names \"%s\", who is not a "
                    "registered agency",
                    id);
        for (size_t k = 0; k < i; k++)
            if (strcmp (info->cover_agencies[k], id) == 0)
                REFUSE (ERROR_MALFORMED, "consent.cover_agencies names \"%s\" twice", id);
        tsg_hub_copy (out->agencies[out->n_agencies++], sizeof out->agencies[0], id);
    }
    for (size_t i = 0; i < info->n_cover_types; i++) {
        const char *type = info->cover_types[i];
        if (!type || !tsg_agency_type_valid (type))
            REFUSE (ERROR_MALFORMED,
                    "consent.cover_types[%zu] is not eldercare, disability, "
                    "child or poverty",
                    i);
        for (size_t k = 0; k < i; k++)
            if (strcmp (info->cover_types[k], type) == 0)
                REFUSE (ERROR_MALFORMED, "consent.cover_types names \"%s\" twice", type);
        tsg_hub_copy (out->types[out->n_types++], sizeof out->types[0], type);
    }
    if (info->n_categories == 0)
        REFUSE (ERROR_MALFORMED, "a consent must name the data categories it covers");
    for (size_t i = 0; i < info->n_categories; i++) {
        unsigned bit = tsg_hub_category_bit (info->categories[i]);
        if (!bit)
            REFUSE (ERROR_MALFORMED,
                    "consent.categories[%zu] is not one of identity, health, "
                    "disability, finances, family, children, free-text",
                    i);
        if (out->categories & bit)
            REFUSE (ERROR_MALFORMED, "consent.categories names %s twice",
                    tsg_hub_category_name (bit));
        out->categories |= bit;
    }
    if (!s_code_in (info->purpose, purposes))
        REFUSE (ERROR_MALFORMED,
                "consent.purpose must be referral, case-conference, support-plan or other");
    if (!s_code_in (info->method, methods))
        REFUSE (ERROR_MALFORMED, "consent.method must be written or verbal");
    if (!info->obtained_by || !tsg_agency_id_valid (info->obtained_by))
        REFUSE (ERROR_MALFORMED, "consent.obtained_by must be an agency id");
    if (!tsg_hub_directory_find (directory, info->obtained_by))
        REFUSE (ERROR_NOT_PERMITTED,
                "consent.obtained_by names \"%s\", who is not a registered "
                "agency",
                info->obtained_by);
    uint64_t until_start = 0;
    if (!tsg_date_start_ms (info->valid_from, &out->from_ms)
        || !tsg_date_start_ms (info->valid_until, &until_start))
        REFUSE (ERROR_MALFORMED, "consent.valid_from and consent.valid_until must be dates "
                                 "YYYY-MM-DD");
    if (out->from_ms > until_start)
        REFUSE (ERROR_MALFORMED, "consent.valid_from (%s) is after consent.valid_until (%s)",
                info->valid_from, info->valid_until);
    out->until_ms = until_start + 24ULL * 3600 * 1000;
    if (out->until_ms <= now_ms)
        REFUSE (ERROR_MALFORMED, "consent.valid_until (%s) has already passed", info->valid_until);
    memcpy (out->id, info->consent_id, TSG_UUID_TEXT_SIZE);
    memcpy (out->case_id, case_id, TSG_UUID_TEXT_SIZE);
    out->state = TSG_HUB_CONSENT_ACTIVE;
    tsg_hub_copy (out->subject, sizeof out->subject, info->subject);
    tsg_hub_copy (out->purpose, sizeof out->purpose, info->purpose);
    tsg_hub_copy (out->method, sizeof out->method, info->method);
    tsg_hub_copy (out->obtained_by, sizeof out->obtained_by, info->obtained_by);
    tsg_hub_copy (out->valid_from, sizeof out->valid_from, info->valid_from);
    tsg_hub_copy (out->valid_until, sizeof out->valid_until, info->valid_until);
    return 0;
}

void
tsg_hub_consent_to_info (const tsg_hub_consent_t *c, tsg_hub_consent_info_t *out)
{
    tsunagu__v1__consent_info__init (&out->info);
    Tsunagu__V1__ConsentInfo *info = &out->info;
    info->consent_id = (char *) c->id;
    info->subject = (char *) c->subject;
    for (size_t i = 0; i < c->n_agencies; i++)
        out->agencies[i] = (char *) c->agencies[i];
    info->n_cover_agencies = c->n_agencies;
    info->cover_agencies = out->agencies;
    for (size_t i = 0; i < c->n_types; i++)
        out->types[i] = (char *) c->types[i];
    info->n_cover_types = c->n_types;
    info->cover_types = out->types;
    size_t n = 0;
    for (unsigned i = 0; i < TSG_HUB_CATEGORIES; i++)
        if (c->categories & (1u << i))
            out->categories[n++] = (char *) s_categories[i];
    info->n_categories = n;
    info->categories = out->categories;
    info->purpose = (char *) c->purpose;
    info->method = (char *) c->method;
    info->obtained_by = (char *) c->obtained_by;
    info->valid_from = (char *) c->valid_from;
    info->valid_until = (char *) c->valid_until;
}

bool
tsg_hub_consent_covers (const tsg_hub_consent_t *c, const char *agency, const char *type)
{
    for (size_t i = 0; agency && i < c->n_agencies; i++)
        if (strcmp (c->agencies[i], agency) == 0)
            return true;
    for (size_t i = 0; type && i < c->n_types; i++)
        if (strcmp (c->types[i], type) == 0)
            return true;
    return false;
}

/* ---- records ----------------------------------------------------------------------- */

bool
tsg_hub_consent_get (tsg_txn_t *txn, const char *id, tsg_hub_consent_t *out)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CONSENTS);
    if (!id || !tsg_uuid_valid (id) || !tsg_txn_get (txn, db, id, ID_LEN, &val))
        return false;
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, val.mv_data, val.mv_size);
    memset (out, 0, sizeof *out);
    memcpy (out->id, id, ID_LEN + 1);
    if (tsg_hub_read_u8 (&r) != FORMAT) {
        log_warnx ("store: unreadable consent record %s", id);
        return false;
    }
    out->state = (tsg_hub_consent_state_t) tsg_hub_read_u8 (&r);
    tsg_hub_read_str (&r, out->case_id, sizeof out->case_id);
    tsg_hub_read_str (&r, out->subject, sizeof out->subject);
    tsg_hub_read_str (&r, out->purpose, sizeof out->purpose);
    tsg_hub_read_str (&r, out->method, sizeof out->method);
    tsg_hub_read_str (&r, out->obtained_by, sizeof out->obtained_by);
    tsg_hub_read_str (&r, out->granted_by, sizeof out->granted_by);
    tsg_hub_read_str (&r, out->valid_from, sizeof out->valid_from);
    tsg_hub_read_str (&r, out->valid_until, sizeof out->valid_until);
    out->from_ms = tsg_hub_read_u64 (&r);
    out->until_ms = tsg_hub_read_u64 (&r);
    out->granted_at_ms = tsg_hub_read_u64 (&r);
    out->ended_at_ms = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->ended_by, sizeof out->ended_by);
    out->categories = tsg_hub_read_u8 (&r);
    size_t n = tsg_hub_read_u8 (&r);
    if (n > TSG_HUB_CONSENT_COVER_MAX)
        r.ok = false;
    for (size_t i = 0; r.ok && i < n; i++)
        tsg_hub_read_str (&r, out->agencies[i], sizeof out->agencies[i]);
    out->n_agencies = r.ok ? n : 0;
    n = tsg_hub_read_u8 (&r);
    if (n > TSG_HUB_CONSENT_TYPES_MAX)
        r.ok = false;
    for (size_t i = 0; r.ok && i < n; i++)
        tsg_hub_read_str (&r, out->types[i], sizeof out->types[i]);
    out->n_types = r.ok ? n : 0;
    if (!r.ok || out->state < TSG_HUB_CONSENT_ACTIVE || out->state > TSG_HUB_CONSENT_EXPIRED) {
        log_warnx ("store: unreadable consent record %s", id);
        return false;
    }
    return true;
}

/* Writes or deletes one index key: tag, then parts of the given lengths. */
static void
s_index (tsg_txn_t *txn, bool present, char tag, const void *a, size_t a_len, const void *b,
         size_t b_len)
{
    uint8_t key[1 + ID_LEN + TSG_HUB_MAILBOX_KEY_MAX];
    if (a_len + b_len > sizeof key - 1) {
        txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    key[0] = (uint8_t) tag;
    memcpy (key + 1, a, a_len);
    memcpy (key + 1 + a_len, b, b_len);
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX);
    if (present)
        tsg_txn_put (txn, db, key, 1 + a_len + b_len, "", 0);
    else
        tsg_txn_del (txn, db, key, 1 + a_len + b_len);
}

/* The expiry index entry of c, present or not. */
static void
s_index_end (tsg_txn_t *txn, const tsg_hub_consent_t *c, bool present)
{
    uint8_t end[8];
    tsg_be64_put (end, c->until_ms);
    s_index (txn, present, BY_END, end, sizeof end, c->id, ID_LEN);
}

void
tsg_hub_consent_put (tsg_txn_t *txn, const tsg_hub_consent_t *old, const tsg_hub_consent_t *c)
{
    if (txn->rc != TSG_OK)
        return;
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, FORMAT);
    tsg_hub_write_u8 (&w, (uint8_t) c->state);
    tsg_hub_write_str (&w, c->case_id);
    tsg_hub_write_str (&w, c->subject);
    tsg_hub_write_str (&w, c->purpose);
    tsg_hub_write_str (&w, c->method);
    tsg_hub_write_str (&w, c->obtained_by);
    tsg_hub_write_str (&w, c->granted_by);
    tsg_hub_write_str (&w, c->valid_from);
    tsg_hub_write_str (&w, c->valid_until);
    tsg_hub_write_u64 (&w, c->from_ms);
    tsg_hub_write_u64 (&w, c->until_ms);
    tsg_hub_write_u64 (&w, c->granted_at_ms);
    tsg_hub_write_u64 (&w, c->ended_at_ms);
    tsg_hub_write_str (&w, c->ended_by);
    tsg_hub_write_u8 (&w, (uint8_t) c->categories);
    tsg_hub_write_u8 (&w, (uint8_t) c->n_agencies);
    for (size_t i = 0; i < c->n_agencies; i++)
        tsg_hub_write_str (&w, c->agencies[i]);
    tsg_hub_write_u8 (&w, (uint8_t) c->n_types);
    for (size_t i = 0; i < c->n_types; i++)
        tsg_hub_write_str (&w, c->types[i]);
    if (!w.ok) {
        txn->rc = TSG_ERR_NOMEM;
        tsg_hub_writer_free (&w);
        return;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENTS), c->id, ID_LEN, w.data, w.len);
    tsg_hub_writer_free (&w);

    if (!old)
        s_index (txn, true, BY_CASE, c->case_id, ID_LEN, c->id, ID_LEN);
    bool was_active = old && old->state == TSG_HUB_CONSENT_ACTIVE;
    bool is_active = c->state == TSG_HUB_CONSENT_ACTIVE;
    if (was_active && (!is_active || old->until_ms != c->until_ms))
        s_index_end (txn, old, false);
    if (is_active)
        s_index_end (txn, c, true);
    if (!old || old->state != c->state) {
        if (old)
            tsg_hub_stat_add2 (txn, STAT_STATE, tsg_hub_consent_state_name (old->state), -1);
        tsg_hub_stat_add2 (txn, STAT_STATE, tsg_hub_consent_state_name (c->state), 1);
    }
}

/* ---- indices ----------------------------------------------------------------------- */

void
tsg_hub_consents_of_case (tsg_txn_t *txn, const char *case_id, tsg_hub_consent_fn *fn, void *arg)
{
    if (!case_id || !tsg_uuid_valid (case_id))
        return;
    uint8_t prefix[1 + ID_LEN];
    prefix[0] = BY_CASE;
    memcpy (prefix + 1, case_id, ID_LEN);
    tsg_hub_consent_t *c = malloc (sizeof *c);
    if (!c) {
        txn->rc = TSG_ERR_NOMEM;
        return;
    }
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, prefix,
                         sizeof prefix);
         it.valid; tsg_iter_next (&it)) {
        if (it.key.mv_size != sizeof prefix + ID_LEN
            || memcmp (it.key.mv_data, prefix, sizeof prefix) != 0)
            break;
        char id[TSG_UUID_TEXT_SIZE];
        memcpy (id, (const uint8_t *) it.key.mv_data + sizeof prefix, ID_LEN);
        id[ID_LEN] = '\0';
        if (tsg_hub_consent_get (txn, id, c) && !fn (arg, c))
            break;
    }
    tsg_iter_end (&it);
    free (c);
}

uint64_t
tsg_hub_consents_next_end (tsg_txn_t *txn)
{
    uint8_t start = BY_END;
    uint64_t end = UINT64_MAX;
    tsg_iter_t it;
    tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, &start, 1);
    if (it.valid && it.key.mv_size == 1 + 8 + ID_LEN
        && ((const uint8_t *) it.key.mv_data)[0] == BY_END)
        end = tsg_be64_get ((const uint8_t *) it.key.mv_data + 1);
    tsg_iter_end (&it);
    return end;
}

size_t
tsg_hub_consents_ended (tsg_txn_t *txn, uint64_t now_ms, tsg_hub_case_id_t *ids, size_t max)
{
    uint8_t start = BY_END;
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, &start, 1);
         it.valid && n < max; tsg_iter_next (&it)) {
        const uint8_t *key = it.key.mv_data;
        if (it.key.mv_size != 1 + 8 + ID_LEN || key[0] != BY_END || tsg_be64_get (key + 1) > now_ms)
            break;
        memcpy (ids[n], key + 1 + 8, ID_LEN);
        ids[n++][ID_LEN] = '\0';
    }
    tsg_iter_end (&it);
    return n;
}

void
tsg_hub_consent_note_mail (tsg_txn_t *txn, const char *consent_id, const char *recipient,
                           uint64_t seq)
{
    if (!consent_id || strlen (consent_id) != ID_LEN || seq == 0)
        return;
    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t len = tsg_hub_mailbox_key (recipient, seq, key);
    s_index (txn, true, BY_MAIL, consent_id, ID_LEN, key, len);
}

size_t
tsg_hub_consent_take_mail (tsg_txn_t *txn, const char *consent_id, tsg_hub_consent_mail_fn *fn,
                           void *arg)
{
    if (!consent_id || strlen (consent_id) != ID_LEN)
        return 0;
    uint8_t prefix[1 + ID_LEN];
    prefix[0] = BY_MAIL;
    memcpy (prefix + 1, consent_id, ID_LEN);
    /* The keys are collected first: deleting under a cursor is not done. */
    typedef struct {
        char recipient[TSG_ID_MAX + 1]; /* whose mailbox */
        uint64_t seq;                   /* which entry */
    } s_entry_t;
    s_entry_t *entries = NULL;
    size_t count = 0, capacity = 0;
    tsg_iter_t it;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX);
    for (tsg_iter_begin (txn, db, &it, prefix, sizeof prefix); it.valid; tsg_iter_next (&it)) {
        const uint8_t *key = it.key.mv_data;
        size_t len = it.key.mv_size;
        if (len < sizeof prefix + 2 + 8 || memcmp (key, prefix, sizeof prefix) != 0)
            break;
        size_t id_len = len - sizeof prefix - 1 - 8;
        if (id_len > TSG_ID_MAX || key[sizeof prefix + id_len] != '\0')
            continue;
        if (count == capacity) {
            size_t grown_to = capacity ? capacity * 2 : 32;
            s_entry_t *grown = realloc (entries, grown_to * sizeof *grown);
            if (!grown) {
                txn->rc = TSG_ERR_NOMEM;
                break;
            }
            entries = grown;
            capacity = grown_to;
        }
        memcpy (entries[count].recipient, key + sizeof prefix, id_len);
        entries[count].recipient[id_len] = '\0';
        entries[count++].seq = tsg_be64_get (key + len - 8);
    }
    tsg_iter_end (&it);
    for (size_t i = 0; i < count && txn->rc == TSG_OK; i++) {
        uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
        size_t len = tsg_hub_mailbox_key (entries[i].recipient, entries[i].seq, key);
        s_index (txn, false, BY_MAIL, consent_id, ID_LEN, key, len);
        fn (arg, entries[i].recipient, entries[i].seq);
    }
    free (entries);
    return count;
}

/* ---- the read side ----------------------------------------------------------------- */

/* A JSON array of n rows of width bytes. */
static json_t *
s_rows (const char *rows, size_t width, size_t n)
{
    json_t *list = json_array ();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new (list, json_string (rows + i * width));
    return list;
}

static json_t *
s_time (uint64_t ms)
{
    if (ms == 0)
        return json_null ();
    char text[32];
    tsg_iso8601 (ms, text);
    return json_string (text);
}

json_t *
tsg_hub_consent_json (const tsg_hub_consent_t *c, uint64_t now_ms)
{
    const char *status = tsg_hub_consent_state_name (c->state);
    if (c->state == TSG_HUB_CONSENT_ACTIVE && now_ms >= c->until_ms)
        status = "expired";
    else if (c->state == TSG_HUB_CONSENT_ACTIVE && now_ms < c->from_ms)
        status = "pending";
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, "
                      "s:o, s:o, s:o}",
                      "consent_id", c->id, "case_id", c->case_id, "state",
                      tsg_hub_consent_state_name (c->state), "status", status, "subject",
                      c->subject, "cover_agencies",
                      s_rows (c->agencies[0], sizeof c->agencies[0], c->n_agencies), "cover_types",
                      s_rows (c->types[0], sizeof c->types[0], c->n_types), "categories",
                      tsg_hub_categories_json (c->categories), "purpose", c->purpose, "method",
                      c->method, "obtained_by", c->obtained_by, "granted_by", c->granted_by,
                      "valid_from", c->valid_from, "valid_until", c->valid_until, "granted_at",
                      s_time (c->granted_at_ms), "ended_at", s_time (c->ended_at_ms), "ended_by",
                      c->ended_by[0] ? json_string (c->ended_by) : json_null ());
}

/* Collects consents for tsg_hub_view_consents. */
typedef struct {
    json_t *list;    /* the consents */
    uint64_t now_ms; /* the clock */
} s_view_t;

static bool
s_view_one (void *arg, const tsg_hub_consent_t *c)
{
    s_view_t *v = arg;
    json_array_append_new (v->list, tsg_hub_consent_json (c, v->now_ms));
    return true;
}

json_t *
tsg_hub_view_consents (tsg_txn_t *txn, const char *case_id, uint64_t now_ms)
{
    s_view_t v = { json_array (), now_ms };
    if (!v.list)
        return NULL;
    tsg_hub_consents_of_case (txn, case_id, s_view_one, &v);
    return json_pack ("{s:o}", "consents", v.list);
}
