/* submit.c — the one submit pipeline (submit.h) and the sealing the kinds share. */
#include <stdlib.h>
#include <string.h>

#include "agency/core/batch_sign.h"
#include "agency/core/outbound.h"
#include "agency/core/pending.h"
#include "agency/core/submit.h"
#include "agency/records/events.h"
#include "agency/records/json.h"

/* The feed tells the agency's system once when its own outbox is full (backpressure.reached,
 * code outbox_full), in a transaction of its own, and again only after new work was taken
 * since.  The coordinator's back-pressure is told where its refusal arrives. */
static void
s_outbox_full_told (tsg_agency_t *self, bool admitted, const json_t *reply)
{
    if (admitted) {
        self->outbox_full_told = false;
        return;
    }
    const char *code = json_string_value (json_object_get (reply, "error"));
    if (self->outbox_full_told || !code || strcmp (code, "outbox_full") != 0)
        return;
    json_t *data =
        json_pack ("{s:s, s:O, s:O}", "code", code, "detail", json_object_get (reply, "message"),
                   "retry_after_s", json_object_get (reply, "retry_after_s"));
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, true);
    agency_events_append (&txn, self->config->id, "backpressure.reached", data, tsg_now_ms ());
    self->outbox_full_told = tsg_txn_commit (&txn) == TSG_OK;
}

bool
agency_admits (tsg_agency_t *self, int *status, json_t **reply)
{
    size_t waiting = agency_outbox_pending (self->outbox) + self->pending_count;
    bool admitted = agency_standing_admits (&self->standing, waiting, self->config->outbox_limit,
                                            agency_now_mono (), status, reply);
    s_outbox_full_told (self, admitted, admitted ? NULL : *reply);
    return admitted;
}

/* 0 while the directory from the coordinator is current, else 503 not_ready. */
static int
s_ready (tsg_agency_t *self, json_t **reply)
{
    if (self->directory && agency_directory_current (self->directory, tsg_now_ms ()))
        return 0;
    *reply = agency_json_error ("not_ready",
                                self->directory ? "the directory from the coordinator has expired"
                                                : "no directory from the coordinator yet",
                                NULL);
    return 503;
}

/* A repeat of a request waiting in this batch: answered as that one, nothing new is sent. */
static agency_pending_t *
s_repeat (tsg_agency_t *self, agency_submit_t *submit)
{
    agency_pending_t *pending = calloc (1, sizeof *pending);
    if (!pending)
        return NULL;
    pending->kind = submit->kind->id;
    pending->same_as = submit->same_as;
    agency_pending_enqueue (self, pending);
    return pending;
}

/* The new letter: its sequence, sealed by the kind, queued.  0, or the HTTP status. */
static int
s_queue (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t **out, json_t **reply)
{
    agency_pending_t *pending = calloc (1, sizeof *pending);
    if (!pending) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        return 500;
    }
    pending->kind = submit->kind->id;
    pending->sequence = agency_sequence_next (self);
    int status = submit->kind->seal (self, submit, pending, reply);
    if (status != 0) {
        agency_pending_free (pending);
        return status;
    }
    agency_pending_enqueue (self, pending);
    *out = pending;
    return 0;
}

agency_pending_t *
agency_submit (tsg_agency_t *self, agency_kind_id_t id, const char *path_id, const char *body,
               size_t len, int *status, json_t **reply)
{
    *reply = NULL;
    *status = 0;
    if (!agency_admits (self, status, reply))
        return NULL;
    const agency_kind_t *kind = self->kinds[id];
    agency_submit_t submit = { .kind = kind, .id = path_id, .body = body, .len = len };
    submit.request = calloc (1, kind->request_size);
    if (!submit.request) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        *status = 500;
        return NULL;
    }
    agency_pending_t *pending = NULL;
    *status = kind->parse (self, &submit, reply);
    if (*status == 0 && submit.same_as)
        pending = s_repeat (self, &submit);
    if (*status == 0 && !pending)
        *status = s_ready (self, reply);
    if (*status == 0 && !pending)
        *status = kind->check (self, &submit, reply);
    if (*status == 0 && !pending)
        *status = s_queue (self, &submit, &pending, reply);
    kind->clear (&submit);
    free (submit.request);
    return pending;
}

int
agency_submit_seal (tsg_agency_t *self, tsg_letter_t *letter, agency_pending_t *pending,
                    const char *too_large, json_t **reply)
{
    letter->sequence = pending->sequence;
    int rc = tsg_letter_pack (letter, &pending->packed, &pending->packed_len);
    pending->batchable = agency_batch_ok (self, letter->recipient, letter->kind);
    if (rc == TSG_OK)
        return 0;
    bool large = rc == TSG_ERR_TOO_LARGE;
    *reply = agency_json_error (large ? "too_large" : "internal",
                                large && too_large ? too_large : tsg_strerror (rc), NULL);
    return large ? 413 : 500;
}

void
agency_bodies_clear (agency_bodies_t *b)
{
    for (size_t i = 0; i < b->count; i++)
        free (b->bodies[i].box.data);
    free (b->bodies);
    free (b->list);
    json_decref (b->sealed_for);
    memset (b, 0, sizeof *b);
}

int
agency_bodies_seal (tsg_agency_t *self, const json_t *agencies, const char *text,
                    agency_bodies_keep_fn *keep, void *arg, const char *too_large,
                    agency_bodies_t *out, json_t **reply)
{
    memset (out, 0, sizeof *out);
    size_t cap = json_array_size (agencies);
    out->sealed_for = json_array ();
    out->bodies = calloc (cap ? cap : 1, sizeof *out->bodies);
    out->list = calloc (cap ? cap : 1, sizeof *out->list);
    if (!out->sealed_for || !out->bodies || !out->list) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        return 500;
    }
    size_t i;
    json_t *id;
    json_array_foreach (agencies, i, id)
    {
        const char *other = json_string_value (id);
        if (!text || !other || strcmp (other, self->config->id) == 0 || !keep (self, arg, other))
            continue; /* the basis does not cover it: it gets the letter without the content */
        const agency_entry_t *entry = agency_directory_find (self->directory, other);
        if (!entry || entry->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
            log_debug ("%s is not active in the directory; no sealed body for it", other);
            continue;
        }
        Tsunagu__V1__SealedBody *body = &out->bodies[out->count];
        tsunagu__v1__sealed_body__init (body);
        body->recipient = (char *) entry->id;
        int rc =
            tsg_body_seal (self->boxer, entry->box_public, "application/json",
                           (const uint8_t *) text, strlen (text), &body->box.data, &body->box.len);
        if (rc != TSG_OK) {
            bool large = rc == TSG_ERR_TOO_LARGE;
            *reply = agency_json_error (large ? "too_large" : "internal",
                                        large && too_large ? too_large : tsg_strerror (rc), NULL);
            return large ? 413 : 500;
        }
        out->list[out->count++] = body;
        json_array_append_new (out->sealed_for, json_string (entry->id));
    }
    return 0;
}
