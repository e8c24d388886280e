/* The coordinator's signed directory of agencies, as this agency knows it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsunagu.h"
#include "agency/records/directory.h"
#include "agency/records/json.h"

#define CLOCK_SKEW_MS (5 * 60 * 1000ULL)

struct _agency_directory_t {
    uint64_t serial;         /* increases with every change at the coordinator */
    uint64_t valid_from_ms;  /* start of the validity period (UTC ms) */
    uint64_t valid_until_ms; /* end of the validity period (UTC ms) */
    agency_entry_t *entries; /* sorted by id */
    size_t count;            /* number of entries */
};

static int
s_entry_compare (const void *a, const void *b)
{
    return strcmp (((const agency_entry_t *) a)->id, ((const agency_entry_t *) b)->id);
}

agency_directory_t *
agency_directory_from_letter (const tsg_letter_t *letter, uint64_t now_ms, uint64_t min_serial,
                              const char **detail)
{
    const char *why = NULL;
    const Tsunagu__V1__Directory *dir = letter->directory;
    if (letter->kind != TSUNAGU__V1__KIND__KIND_DIRECTORY || !dir)
        why = "the letter holds no directory";
    else if (dir->valid_until_ms <= dir->valid_from_ms)
        why = "the directory's validity period is empty";
    else if (now_ms && dir->valid_from_ms > now_ms + CLOCK_SKEW_MS)
        why = "the directory is not valid yet";
    else if (now_ms && dir->valid_until_ms < now_ms)
        why = "the directory has expired";
    else if (now_ms && dir->serial < min_serial)
        why = "the directory is older than the one in hand";
    if (why) {
        if (detail)
            *detail = why;
        return NULL;
    }
    agency_directory_t *self = calloc (1, sizeof *self);
    if (!self
        || (dir->n_agencies
            && !(self->entries = calloc (dir->n_agencies, sizeof *self->entries)))) {
        free (self);
        if (detail)
            *detail = "out of memory";
        return NULL;
    }
    self->serial = dir->serial;
    self->valid_from_ms = dir->valid_from_ms;
    self->valid_until_ms = dir->valid_until_ms;
    for (size_t i = 0; i < dir->n_agencies; i++) {
        const Tsunagu__V1__AgencyEntry *in = dir->agencies[i];
        if (!in || !in->id || !tsg_agency_id_valid (in->id) || in->box_public.len != 32
            || in->sign_public.len != 32 || !in->type || strlen (in->type) > TSG_ID_MAX) {
            log_warnx ("directory %llu: entry %zu left out (bad id, type or key)",
                       (unsigned long long) dir->serial, i);
            continue;
        }
        agency_entry_t *out = &self->entries[self->count];
        strcpy (out->id, in->id);
        strcpy (out->type, in->type);
        out->name = strdup (in->name ? in->name : "");
        if (!out->name) {
            agency_directory_destroy (&self);
            if (detail)
                *detail = "out of memory";
            return NULL;
        }
        memcpy (out->box_public, in->box_public.data, 32);
        memcpy (out->sign_public, in->sign_public.data, 32);
        out->has_previous = in->previous_box_public.len == 32 && in->previous_sign_public.len == 32;
        if (out->has_previous) {
            memcpy (out->previous_box_public, in->previous_box_public.data, 32);
            memcpy (out->previous_sign_public, in->previous_sign_public.data, 32);
            out->keys_switched_at_ms = in->keys_switched_at_ms;
        }
        out->has_next = in->next_box_public.len == 32 && in->next_sign_public.len == 32;
        if (out->has_next) {
            memcpy (out->next_box_public, in->next_box_public.data, 32);
            memcpy (out->next_sign_public, in->next_sign_public.data, 32);
        }
        out->status = in->status;
        out->response_due_days = in->response_due_days;
        out->receive_due_days = in->receive_due_days;
        out->batch_proofs = in->batch_proofs;
        if (in->succeeded_by && tsg_agency_id_valid (in->succeeded_by))
            snprintf (out->succeeded_by, sizeof out->succeeded_by, "%s", in->succeeded_by);
        self->count++;
    }
    /* Sorted by id for bsearch; a repeated id keeps one entry only. */
    if (self->count > 1)
        qsort (self->entries, self->count, sizeof *self->entries, s_entry_compare);
    size_t kept = 0;
    for (size_t i = 0; i < self->count; i++) {
        if (kept > 0 && strcmp (self->entries[kept - 1].id, self->entries[i].id) == 0) {
            log_warnx ("directory %llu: duplicate entry for %s left out",
                       (unsigned long long) dir->serial, self->entries[i].id);
            free (self->entries[i].name);
            continue;
        }
        self->entries[kept++] = self->entries[i];
    }
    self->count = kept;
    return self;
}

agency_directory_t *
agency_directory_restore (const uint8_t *data, size_t len, const uint8_t pinned[32])
{
    tsg_envelope_t env = { 0 };
    const char *detail = NULL;
    if (tsg_envelope_decode (data, len, &env, &detail) != TSG_OK) {
        log_warnx ("stored directory does not decode: %s", detail ? detail : "?");
        return NULL;
    }
    agency_directory_t *self = NULL;
    if (strcmp (env.letter->sender, TSG_COORDINATOR_ID) != 0 || !tsg_envelope_verify (&env, pinned))
        log_warnx ("stored directory is not signed by the pinned coordinator key");
    else if (!(self = agency_directory_from_letter (env.letter, 0, 0, &detail)))
        log_warnx ("stored directory refused: %s", detail);
    tsg_envelope_clear (&env);
    return self;
}

void
agency_directory_destroy (agency_directory_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agency_directory_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->entries[i].name);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

const agency_entry_t *
agency_directory_find (const agency_directory_t *self, const char *id)
{
    if (!self || !id || strlen (id) > TSG_ID_MAX || self->count == 0)
        return NULL;
    agency_entry_t key;
    strcpy (key.id, id);
    return bsearch (&key, self->entries, self->count, sizeof key, s_entry_compare);
}

size_t
agency_directory_active_of_type (const agency_directory_t *self, const char *type,
                                 const agency_entry_t **first)
{
    size_t n = 0;
    if (first)
        *first = NULL;
    for (size_t i = 0; self && i < self->count; i++) {
        const agency_entry_t *entry = &self->entries[i];
        if (entry->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE
            || strcmp (entry->type, type) != 0)
            continue;
        if (n++ == 0 && first)
            *first = entry;
    }
    return n;
}

size_t
agency_directory_count (const agency_directory_t *self)
{
    return self ? self->count : 0;
}

uint64_t
agency_directory_serial (const agency_directory_t *self)
{
    return self ? self->serial : 0;
}

uint64_t
agency_directory_valid_until (const agency_directory_t *self)
{
    return self ? self->valid_until_ms : 0;
}

bool
agency_directory_current (const agency_directory_t *self, uint64_t now_ms)
{
    return self && now_ms + CLOCK_SKEW_MS >= self->valid_from_ms && now_ms <= self->valid_until_ms;
}

void
agency_entry_due_days (const agency_entry_t *entry, unsigned *receive_days, unsigned *response_days)
{
    *receive_days = entry->receive_due_days ? entry->receive_due_days : 1;
    *response_days = entry->response_due_days ? entry->response_due_days
                                              : tsg_type_response_due_days (entry->type);
}

/* True when a and b say the same of one agency, whether it verifies batch proofs aside. */
static bool
s_same_entry (const agency_entry_t *a, const agency_entry_t *b)
{
    return strcmp (a->id, b->id) == 0 && strcmp (a->type, b->type) == 0
           && strcmp (a->name ? a->name : "", b->name ? b->name : "") == 0
           && memcmp (a->box_public, b->box_public, 32) == 0
           && memcmp (a->sign_public, b->sign_public, 32) == 0 && a->status == b->status
           && a->response_due_days == b->response_due_days
           && a->receive_due_days == b->receive_due_days && a->has_previous == b->has_previous
           && memcmp (a->previous_box_public, b->previous_box_public, 32) == 0
           && memcmp (a->previous_sign_public, b->previous_sign_public, 32) == 0
           && a->keys_switched_at_ms == b->keys_switched_at_ms
           && strcmp (a->succeeded_by, b->succeeded_by) == 0 && a->has_next == b->has_next
           && memcmp (a->next_box_public, b->next_box_public, 32) == 0
           && memcmp (a->next_sign_public, b->next_sign_public, 32) == 0;
}

bool
agency_directory_same_listing (const agency_directory_t *a, const agency_directory_t *b)
{
    if (!a || !b || a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!s_same_entry (&a->entries[i], &b->entries[i]))
            return false;
    return true;
}

json_t *
agency_directory_json (const agency_directory_t *self)
{
    json_t *agencies = json_array ();
    for (size_t i = 0; self && i < self->count; i++) {
        const agency_entry_t *entry = &self->entries[i];
        unsigned receive_days, response_days;
        agency_entry_due_days (entry, &receive_days, &response_days);
        json_t *a = json_pack (
            "{s:s, s:s, s:s, s:s, s:I, s:I}", "id", entry->id, "type", entry->type, "name",
            entry->name, "status", tsg_agency_status_name (entry->status), "receive_due_days",
            (json_int_t) receive_days, "response_due_days", (json_int_t) response_days);
        if (a && entry->succeeded_by[0])
            json_object_set_new (a, "succeeded_by", json_string (entry->succeeded_by));
        json_array_append_new (agencies, a);
    }
    return json_pack ("{s:I, s:o, s:o}", "serial", (json_int_t) agency_directory_serial (self),
                      "valid_until", agency_json_time (agency_directory_valid_until (self)),
                      "agencies", agencies);
}

void
agency_directory_aliases (const agency_directory_t *self, tsg_boxer_t *boxer)
{
    for (size_t i = 0; self && boxer && i < self->count; i++) {
        const agency_entry_t *e = &self->entries[i];
        tsg_boxer_alias (boxer, e->box_public, e->has_previous ? e->previous_box_public : NULL,
                         e->has_next ? e->next_box_public : NULL);
    }
}

bool
agency_entry_verifies (const agency_entry_t *sender, const tsg_envelope_t *env)
{
    if (tsg_envelope_verify (env, sender->sign_public))
        return true;
    if (sender->has_next && tsg_envelope_verify (env, sender->next_sign_public))
        return true;
    return sender->has_previous && env->letter->created_at_ms < sender->keys_switched_at_ms
           && tsg_envelope_verify (env, sender->previous_sign_public);
}

agency_directory_t *
agency_directory_restore_pinned (const uint8_t *data, size_t len,
                                 const agency_coordinator_pin_t *pin)
{
    agency_directory_t *dir = agency_directory_restore (data, len, pin->sign);
    if (!dir && pin->has_previous)
        dir = agency_directory_restore (data, len, pin->previous_sign);
    return dir;
}
