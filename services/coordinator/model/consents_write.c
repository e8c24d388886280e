/* consents_write.c — writing the consent register and its indices, and the mail that relies on each
 * consent (consents.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "tsunagu/tsg_words.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/consents.h"
#include "tsunagu/tsg_text.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/stats.h"

/* Writes or deletes one index key: tag, then parts of the given lengths. */
static void
s_index (tsg_txn_t *txn, bool present, char tag, const void *a, size_t a_len, const void *b,
         size_t b_len)
{
    uint8_t key[1 + TSG_HUB_CONSENT_ID_LEN + TSG_HUB_MAILBOX_KEY_MAX];
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
    s_index (txn, present, TSG_HUB_CONSENT_BY_END, end, sizeof end, c->id, TSG_HUB_CONSENT_ID_LEN);
}

void
tsg_hub_consent_put (tsg_txn_t *txn, const tsg_hub_consent_t *old, const tsg_hub_consent_t *c)
{
    if (txn->rc != TSG_OK)
        return;
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, TSG_HUB_CONSENT_FORMAT);
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
    if (c->renewal_at_ms) { /* a record never flagged keeps its format-1 shape */
        tsg_hub_write_u64 (&w, c->renewal_at_ms);
        tsg_hub_write_str (&w, c->renewal_previous);
        tsg_hub_write_str (&w, c->renewal_agency);
    }
    if (!w.ok) {
        txn->rc = TSG_ERR_NOMEM;
        tsg_hub_writer_free (&w);
        return;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_CONSENTS), c->id, TSG_HUB_CONSENT_ID_LEN,
                 w.data, w.len);
    tsg_hub_writer_free (&w);

    if (!old)
        s_index (txn, true, TSG_HUB_CONSENT_BY_CASE, c->case_id, TSG_HUB_CONSENT_ID_LEN, c->id,
                 TSG_HUB_CONSENT_ID_LEN);
    bool was_active = old && old->state == TSG_HUB_CONSENT_ACTIVE;
    bool is_active = c->state == TSG_HUB_CONSENT_ACTIVE;
    if (was_active && (!is_active || old->until_ms != c->until_ms))
        s_index_end (txn, old, false);
    if (is_active)
        s_index_end (txn, c, true);
    if (!old || old->state != c->state) {
        if (old)
            tsg_hub_stat_add2 (txn, TSG_HUB_STAT_CONSENT_STATE,
                               tsg_hub_consent_state_name (old->state), -1);
        tsg_hub_stat_add2 (txn, TSG_HUB_STAT_CONSENT_STATE, tsg_hub_consent_state_name (c->state),
                           1);
    }
}

void
tsg_hub_consent_note_mail (tsg_txn_t *txn, const char *consent_id, const char *recipient,
                           uint64_t seq)
{
    if (!consent_id || strlen (consent_id) != TSG_HUB_CONSENT_ID_LEN || seq == 0)
        return;
    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t len = tsg_hub_mailbox_key (recipient, seq, key);
    s_index (txn, true, TSG_HUB_CONSENT_BY_MAIL, consent_id, TSG_HUB_CONSENT_ID_LEN, key, len);
}

size_t
tsg_hub_consent_take_mail (tsg_txn_t *txn, const char *consent_id, tsg_hub_consent_mail_fn *fn,
                           void *arg)
{
    if (!consent_id || strlen (consent_id) != TSG_HUB_CONSENT_ID_LEN)
        return 0;
    uint8_t prefix[1 + TSG_HUB_CONSENT_ID_LEN];
    prefix[0] = TSG_HUB_CONSENT_BY_MAIL;
    memcpy (prefix + 1, consent_id, TSG_HUB_CONSENT_ID_LEN);
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
        s_index (txn, false, TSG_HUB_CONSENT_BY_MAIL, consent_id, TSG_HUB_CONSENT_ID_LEN, key, len);
        fn (arg, entries[i].recipient, entries[i].seq);
    }
    free (entries);
    return count;
}

#define REFUSE(code, ...)                                                                          \
    do {                                                                                           \
        snprintf (detail, size, __VA_ARGS__);                                                      \
        return TSUNAGU__V1__ERROR_CODE__##code;                                                    \
    } while (0)

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
    if (!tsg_word_in (info->purpose, purposes))
        REFUSE (ERROR_MALFORMED,
                "consent.purpose must be referral, case-conference, support-plan or other");
    if (!tsg_word_in (info->method, methods))
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
