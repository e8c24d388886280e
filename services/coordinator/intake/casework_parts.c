/* casework_parts.c — the pieces the casework's flows share (casework_parts.h): the audit, the
 * batch's changed cases, timeline entries, the legal basis of a letter, whether a case id is
 * claimed, and letters the coordinator itself posts (news to a sender: tsg_hub_casework_tell).
 * It calls no other casework file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/casework_parts.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/mailbox.h"

void
hub_casework_audit (tsg_hub_casework_t *self, const char *event, const uint8_t *id,
                    const char *sender, const char *recipient, Tsunagu__V1__Kind kind,
                    json_t *details)
{
    if (self->audit)
        tsg_hub_audit_add (self->audit, event, id, sender, recipient, tsg_kind_name (kind),
                           details);
    else
        json_decref (details);
}

void
hub_casework_changed (tsg_hub_casework_t *self, const char *case_id)
{
    if (self->n_changed == self->cap_changed) {
        size_t capacity = self->cap_changed ? self->cap_changed * 2 : 64;
        tsg_hub_case_id_t *grown = realloc (self->changed, capacity * sizeof *grown);
        if (!grown) {
            self->txn->rc = TSG_ERR_NOMEM;
            return;
        }
        self->changed = grown;
        self->cap_changed = capacity;
    }
    memcpy (self->changed[self->n_changed++], case_id, TSG_UUID_TEXT_SIZE);
}

void
hub_casework_event_init (tsg_hub_casework_t *self, tsg_hub_event_t *ev, tsg_hub_event_type_t type,
                         const char *by, const tsg_letter_t *letter)
{
    memset (ev, 0, sizeof *ev);
    ev->type = type;
    ev->at_ms = self->now_ms;
    tsg_hub_copy (ev->by, sizeof ev->by, by);
    if (letter && letter->message_id.len == TSG_MESSAGE_ID_SIZE)
        tsg_hex_encode (letter->message_id.data, TSG_MESSAGE_ID_SIZE, ev->message_id);
}

const char *
hub_casework_type_of (const tsg_hub_casework_t *self, const char *id)
{
    const Tsunagu__V1__AgencyEntry *entry =
        id ? tsg_hub_directory_find (self->directory, id) : NULL;
    return entry && entry->type ? entry->type : "";
}

Tsunagu__V1__ErrorCode
hub_casework_legal (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                    const char *recipient, const char *case_id, const tsg_hub_case_t *c,
                    const tsg_hub_consent_t *grant, tsg_hub_route_t *route, char *detail,
                    size_t size)
{
    const tsg_header_t *h = letter->header;
    const tsg_hub_consent_t *consent = NULL;
    if (h && h->consent_id && *h->consent_id) {
        if (grant && strcmp (grant->id, h->consent_id) == 0)
            consent = grant;
        else if (tsg_hub_consent_get (self->txn, h->consent_id, self->consent))
            consent = self->consent;
    }
    tsg_hub_legal_in_t in = { .letter = letter,
                              .sender_type = hub_casework_type_of (self, sender),
                              .recipient = recipient,
                              .recipient_type = hub_casework_type_of (self, recipient),
                              .case_id = case_id,
                              .c = c,
                              .consent = consent,
                              .now_ms = self->now_ms };
    tsg_hub_legal_t out;
    if (tsg_hub_legal_check (&in, &out) != 0) {
        snprintf (detail, size, "%s", out.detail);
        return out.code;
    }
    route->basis = out.basis;
    route->flags |= out.flags;
    route->categories = out.categories;
    if (out.basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT
        && (out.flags & TSG_HUB_LEGAL_PERSONAL) && consent)
        memcpy (route->consent_id, consent->id, TSG_UUID_TEXT_SIZE);
    if (case_id)
        tsg_hub_copy (route->case_id, sizeof route->case_id, case_id);
    return 0;
}

Tsunagu__V1__ErrorCode
hub_casework_legal_fan_out (tsg_hub_casework_t *self, const char *sender,
                            const tsg_letter_t *letter, const char *case_id,
                            const tsg_hub_case_t *c, const tsg_hub_consent_t *grant,
                            tsg_hub_route_t *route, char *detail, size_t size)
{
    if (letter->n_sealed_bodies == 0)
        return hub_casework_legal (self, sender, letter, "", case_id, c, grant, route, detail,
                                   size);
    for (size_t i = 0; i < letter->n_sealed_bodies; i++) {
        Tsunagu__V1__ErrorCode code =
            hub_casework_legal (self, sender, letter, letter->sealed_bodies[i]->recipient, case_id,
                                c, grant, route, detail, size);
        if (code != 0)
            return code;
    }
    return 0;
}

/* tsg_hub_consent_fn: stops at a consent granted by someone other than *arg's agency. */
typedef struct {
    const char *agency; /* the agency opening the case */
    bool other;         /* a consent of the case id was granted by another agency */
} s_claim_t;

static bool
s_claim_one (void *arg, const tsg_hub_consent_t *c)
{
    s_claim_t *claim = arg;
    if (strcmp (c->granted_by, claim->agency) != 0) {
        claim->other = true;
        return false;
    }
    return true;
}

bool
hub_casework_case_id_claimed (tsg_hub_casework_t *self, const char *case_id, const char *sender)
{
    s_claim_t claim = { .agency = sender };
    tsg_hub_consents_of_case (self->txn, case_id, s_claim_one, &claim);
    return claim.other;
}

int
hub_casework_post (tsg_hub_casework_t *self, const char *to, const tsg_letter_t *letter)
{
    uint8_t *sealed = NULL;
    size_t len = 0;
    int rc = tsg_envelope_seal (letter, self->keys, &sealed, &len);
    if (rc != TSG_OK) {
        self->txn->rc = rc;
        return rc;
    }
    if (tsg_hub_mailbox_put (self->txn, to, TSG_COORDINATOR_ID, letter->kind,
                             letter->message_id.data, sealed, len, self->now_ms)
        != 0)
        self->note_mail (self->arg, to);
    free (sealed);
    return TSG_OK;
}

void
tsg_hub_casework_tell (tsg_hub_casework_t *self, const char *sender,
                       const uint8_t about[TSG_MESSAGE_ID_SIZE], Tsunagu__V1__ErrorCode code,
                       const char *detail, const char *case_id, const char *consent_id)
{
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, sender);
    if (!entry || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
        return;
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    uint8_t about_copy[TSG_MESSAGE_ID_SIZE];
    Tsunagu__V1__ErrorReport error = TSUNAGU__V1__ERROR_REPORT__INIT;
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_ERROR,
                        TSG_COORDINATOR_ID, sender);
    header.case_id = (char *) case_id;
    header.consent_id = (char *) consent_id;
    memcpy (about_copy, about, sizeof about_copy);
    error.code = code;
    error.about_message_id.data = about_copy;
    error.about_message_id.len = sizeof about_copy;
    error.detail = (char *) detail;
    error.final = true;
    letter.error = &error;
    int rc = hub_casework_post (self, sender, &letter);
    if (rc != TSG_OK)
        log_warnx ("cannot seal news for %s of its letter: %s", sender, tsg_strerror (rc));
}
