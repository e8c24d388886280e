/* consents.c — the consent register and its indices.
 *
 *   CONSENTS       consent id (36 bytes) →
 *       u8 format (1) | u8 state | str case_id | str subject | str purpose | str method |
 *       str obtained_by | str granted_by | str valid_from | str valid_until | be64 from_ms |
 *       be64 until_ms | be64 granted_at | be64 ended_at | str ended_by | u8 categories |
 *       u8 n, n × str agency | u8 n, n × str type
 *       [| be64 renewal_at | str renewal_previous | str renewal_agency]   only once a
 *       succession flagged it for renewal (older readers stop before it: same format)
 *   CONSENT_INDEX  'c' case id, consent id            → empty: the consents of a case
 *                  'e' be64 until_ms, consent id      → empty: active consents by end of validity
 *                  'm' consent id, mailbox key        → empty: mailbox entries relying on it
 *   STATS          "consents.state." state → gauge
 * A mailbox entry stays noted after it is delivered; the note goes when the consent ends (the
 * entry is then looked up and found gone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/consents.h"
#include "tsunagu/tsg_text.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/stats.h"

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

/* The register keeps the subject the cleartext check allows, whole. */
_Static_assert(TSG_HUB_SUBJECT_MAX == TSG_CLEARTEXT_SUBJECT_MAX,
               "a subject the cleartext check accepts fits the register");

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

bool
tsg_hub_consent_needs_renewal (const tsg_hub_consent_t *c, const char *previous, const char *agency,
                               const char *type)
{
    if (c->state != TSG_HUB_CONSENT_ACTIVE || !tsg_hub_consent_covers (c, previous, NULL))
        return false;
    return !tsg_hub_consent_covers (c, agency, type);
}

/* ---- records ----------------------------------------------------------------------- */

bool
tsg_hub_consent_get (tsg_txn_t *txn, const char *id, tsg_hub_consent_t *out)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CONSENTS);
    if (!id || !tsg_uuid_valid (id) || !tsg_txn_get (txn, db, id, TSG_HUB_CONSENT_ID_LEN, &val))
        return false;
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, val.mv_data, val.mv_size);
    memset (out, 0, sizeof *out);
    memcpy (out->id, id, TSG_HUB_CONSENT_ID_LEN + 1);
    if (tsg_hub_read_u8 (&r) != TSG_HUB_CONSENT_FORMAT) {
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
    if (r.ok && r.pos < r.len) { /* flagged for renewal (written only when it was) */
        out->renewal_at_ms = tsg_hub_read_u64 (&r);
        tsg_hub_read_str (&r, out->renewal_previous, sizeof out->renewal_previous);
        tsg_hub_read_str (&r, out->renewal_agency, sizeof out->renewal_agency);
    }
    if (!r.ok || out->state < TSG_HUB_CONSENT_ACTIVE || out->state > TSG_HUB_CONSENT_EXPIRED) {
        log_warnx ("store: unreadable consent record %s", id);
        return false;
    }
    return true;
}

/* ---- indices ----------------------------------------------------------------------- */

void
tsg_hub_consents_of_case (tsg_txn_t *txn, const char *case_id, tsg_hub_consent_fn *fn, void *arg)
{
    if (!case_id || !tsg_uuid_valid (case_id))
        return;
    uint8_t prefix[1 + TSG_HUB_CONSENT_ID_LEN];
    prefix[0] = TSG_HUB_CONSENT_BY_CASE;
    memcpy (prefix + 1, case_id, TSG_HUB_CONSENT_ID_LEN);
    tsg_hub_consent_t *c = malloc (sizeof *c);
    if (!c) {
        txn->rc = TSG_ERR_NOMEM;
        return;
    }
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, prefix,
                         sizeof prefix);
         it.valid; tsg_iter_next (&it)) {
        if (it.key.mv_size != sizeof prefix + TSG_HUB_CONSENT_ID_LEN
            || memcmp (it.key.mv_data, prefix, sizeof prefix) != 0)
            break;
        char id[TSG_UUID_TEXT_SIZE];
        memcpy (id, (const uint8_t *) it.key.mv_data + sizeof prefix, TSG_HUB_CONSENT_ID_LEN);
        id[TSG_HUB_CONSENT_ID_LEN] = '\0';
        if (tsg_hub_consent_get (txn, id, c) && !fn (arg, c))
            break;
    }
    tsg_iter_end (&it);
    free (c);
}

uint64_t
tsg_hub_consents_next_end (tsg_txn_t *txn)
{
    uint8_t start = TSG_HUB_CONSENT_BY_END;
    uint64_t end = UINT64_MAX;
    tsg_iter_t it;
    tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, &start, 1);
    if (it.valid && it.key.mv_size == 1 + 8 + TSG_HUB_CONSENT_ID_LEN
        && ((const uint8_t *) it.key.mv_data)[0] == TSG_HUB_CONSENT_BY_END)
        end = tsg_be64_get ((const uint8_t *) it.key.mv_data + 1);
    tsg_iter_end (&it);
    return end;
}

size_t
tsg_hub_consents_ended (tsg_txn_t *txn, uint64_t now_ms, tsg_hub_case_id_t *ids, size_t max)
{
    uint8_t start = TSG_HUB_CONSENT_BY_END;
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENT_INDEX), &it, &start, 1);
         it.valid && n < max; tsg_iter_next (&it)) {
        const uint8_t *key = it.key.mv_data;
        if (it.key.mv_size != 1 + 8 + TSG_HUB_CONSENT_ID_LEN || key[0] != TSG_HUB_CONSENT_BY_END
            || tsg_be64_get (key + 1) > now_ms)
            break;
        memcpy (ids[n], key + 1 + 8, TSG_HUB_CONSENT_ID_LEN);
        ids[n++][TSG_HUB_CONSENT_ID_LEN] = '\0';
    }
    tsg_iter_end (&it);
    return n;
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
    json_t *renewal =
        c->renewal_at_ms == 0
            ? json_null ()
            : json_pack ("{s:b, s:s, s:s, s:s, s:o}", "needed", 1, "reason", "succession",
                         "previous_agency", c->renewal_previous, "agency", c->renewal_agency,
                         "since", s_time (c->renewal_at_ms));
    return json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:o, s:o, s:o, s:o}",
        "consent_id", c->id, "case_id", c->case_id, "state", tsg_hub_consent_state_name (c->state),
        "status", status, "subject", c->subject, "cover_agencies",
        s_rows (c->agencies[0], sizeof c->agencies[0], c->n_agencies), "cover_types",
        s_rows (c->types[0], sizeof c->types[0], c->n_types), "categories",
        tsg_hub_categories_json (c->categories), "purpose", c->purpose, "method", c->method,
        "obtained_by", c->obtained_by, "granted_by", c->granted_by, "valid_from", c->valid_from,
        "valid_until", c->valid_until, "granted_at", s_time (c->granted_at_ms), "ended_at",
        s_time (c->ended_at_ms), "ended_by",
        c->ended_by[0] ? json_string (c->ended_by) : json_null (), "renewal", renewal);
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
