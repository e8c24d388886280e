/* directory.c — keeps the registry in memory for lookups and signs the DIRECTORY letters. */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/directory.h"
#include "tsunagu/tsg_handover.h"

struct _tsg_hub_directory_t {
    const tsg_keys_t *keys;             /* the coordinator's keys, to sign with (borrowed) */
    Tsunagu__V1__AgencyEntry **entries; /* usable registry entries, sorted by id (owned) */
    size_t count;                       /* entries in use */
    uint64_t serial;                    /* registry generation at the last load */
    bool has_next;                      /* the coordinator's own keys are being handed over: */
    uint8_t next_box[32];               /* ... the keys that follow, */
    uint8_t next_sign[32];
    uint8_t endorsement[TSG_HANDOVER_ENDORSEMENT_SIZE]; /* ... endorsed by the next key, */
    uint64_t switch_by_ms;                              /* ... and the deadline */
};

tsg_hub_directory_t *
tsg_hub_directory_new (const tsg_keys_t *keys)
{
    tsg_hub_directory_t *self = calloc (1, sizeof *self);
    if (self)
        self->keys = keys;
    return self;
}

void
tsg_hub_directory_set_next (tsg_hub_directory_t *self, const tsg_keys_t *next,
                            uint64_t switch_by_ms)
{
    self->has_next = next != NULL;
    if (!next)
        return;
    memcpy (self->next_box, tsg_keys_box_public (next), 32);
    memcpy (self->next_sign, tsg_keys_sign_public (next), 32);
    tsg_handover_endorse (next, tsg_keys_sign_public (self->keys), self->endorsement);
    self->switch_by_ms = switch_by_ms;
}

void
tsg_hub_directory_destroy (tsg_hub_directory_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_directory_t *self = *self_p;
    tsg_registry_free_list (self->entries, self->count);
    free (self);
    *self_p = NULL;
}

/* True when the entry can be used for lookups, ZAP and the directory. */
static bool
s_entry_usable (const Tsunagu__V1__AgencyEntry *entry)
{
    return tsg_agency_id_valid (entry->id) && entry->box_public.len == 32
           && entry->sign_public.len == 32 && entry->type && entry->name;
}

int
tsg_hub_directory_load (tsg_hub_directory_t *self, tsg_txn_t *txn)
{
    Tsunagu__V1__AgencyEntry **list = NULL;
    size_t count = 0;
    uint64_t serial = tsg_registry_generation (txn);
    int rc = tsg_registry_list (txn, &list, &count);
    if (rc == TSG_OK && txn->rc != TSG_OK)
        rc = txn->rc;
    if (rc != TSG_OK) {
        if (list)
            tsg_registry_free_list (list, count);
        return rc;
    }
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (s_entry_usable (list[i]))
            list[kept++] = list[i];
        else {
            log_warnx ("registry: skipping unusable entry \"%.32s\"",
                       list[i]->id ? list[i]->id : "");
            tsunagu__v1__agency_entry__free_unpacked (list[i], NULL);
        }
    }
    tsg_registry_free_list (self->entries, self->count);
    self->entries = list;
    self->count = kept;
    self->serial = serial;
    return TSG_OK;
}

uint64_t
tsg_hub_directory_serial (const tsg_hub_directory_t *self)
{
    return self->serial;
}

size_t
tsg_hub_directory_size (const tsg_hub_directory_t *self)
{
    return self->count;
}

const Tsunagu__V1__AgencyEntry *
tsg_hub_directory_find (const tsg_hub_directory_t *self, const char *id)
{
    if (!id)
        return NULL;
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp (id, self->entries[mid]->id);
        if (cmp == 0)
            return self->entries[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const Tsunagu__V1__AgencyEntry *
tsg_hub_directory_find_key (const tsg_hub_directory_t *self, const uint8_t key[32])
{
    for (size_t i = 0; i < self->count; i++) {
        const Tsunagu__V1__AgencyEntry *e = self->entries[i];
        if (memcmp (e->box_public.data, key, 32) == 0
            || (e->next_box_public.len == 32 && memcmp (e->next_box_public.data, key, 32) == 0))
            return e;
    }
    return NULL;
}

bool
tsg_hub_directory_stale (uint64_t until_ms, uint64_t now_ms)
{
    return until_ms != 0 && now_ms + TSG_HUB_DIRECTORY_VALID_MS / 2 >= until_ms;
}

const Tsunagu__V1__AgencyEntry *
tsg_hub_directory_at (const tsg_hub_directory_t *self, size_t i)
{
    return i < self->count ? self->entries[i] : NULL;
}

bool
tsg_hub_directory_active (const tsg_hub_directory_t *self, const char *id)
{
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self, id);
    return entry && entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
}

int
tsg_hub_directory_seal (const tsg_hub_directory_t *self, const char *recipient, uint8_t **out,
                        size_t *out_len)
{
    Tsunagu__V1__Directory directory = TSUNAGU__V1__DIRECTORY__INIT;
    directory.serial = self->serial;
    /* Valid from a little before now, so an agency whose clock runs behind accepts it. */
    directory.valid_from_ms = tsg_now_ms () - TSG_HUB_DIRECTORY_SLACK_MS;
    directory.valid_until_ms = directory.valid_from_ms + TSG_HUB_DIRECTORY_VALID_MS;
    /* What agencies see: every entry but the pending ones (not admitted anywhere yet), without
     * the registry's own record of who changed its status and why.  A rotation's next keys are
     * listed (public keys, admitted only by this coordinator), so that a letter the agency
     * signs and seals with them verifies and opens at once, before the switch's directory
     * arrives; senders keep sealing to the current keys until then. */
    Tsunagu__V1__AgencyEntry *shown = calloc (self->count ? self->count : 1, sizeof *shown);
    Tsunagu__V1__AgencyEntry **list = calloc (self->count ? self->count : 1, sizeof *list);
    if (!shown || !list) {
        free (shown);
        free (list);
        return TSG_ERR_NOMEM;
    }
    for (size_t i = 0; i < self->count; i++) {
        if (self->entries[i]->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING)
            continue;
        Tsunagu__V1__AgencyEntry *e = &shown[directory.n_agencies];
        *e = *self->entries[i];
        e->status_changed_at_ms = 0;
        e->status_changed_by = (char *) "";
        e->status_reason = (char *) "";
        e->rotate_deadline_ms = 0;
        list[directory.n_agencies++] = e;
    }
    directory.agencies = list;
    Tsunagu__V1__CoordinatorKeys next = TSUNAGU__V1__COORDINATOR_KEYS__INIT;
    if (self->has_next) {
        next.next_box_public = (ProtobufCBinaryData){ 32, (uint8_t *) self->next_box };
        next.next_sign_public = (ProtobufCBinaryData){ 32, (uint8_t *) self->next_sign };
        next.endorsement =
            (ProtobufCBinaryData){ sizeof self->endorsement, (uint8_t *) self->endorsement };
        next.switch_by_ms = self->switch_by_ms;
        directory.coordinator_next = &next;
    }

    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_DIRECTORY,
                        TSG_COORDINATOR_ID, recipient);
    letter.directory = &directory;
    int rc = tsg_envelope_seal (&letter, self->keys, out, out_len);
    free (shown);
    free (list);
    return rc;
}
