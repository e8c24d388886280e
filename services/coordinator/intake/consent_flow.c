/* consent_flow.c — CONSENT_GRANT and CONSENT_REVOKE letters and the consents whose validity
 * ends: a grant is checked (tsg_hub_consent_from_info, a new id, the granter on the case) and
 * registered; a revocation by its granter or an agency on its case, and an expiry by the
 * batch's clock, end the consent at once: the mail relying on it is withheld (withhold.c), the
 * record is marked, the agencies are told (the revocation passed on, or a CONSENT_REVOKE of
 * the coordinator's), and the audit records it.  The register is model/consents.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/case_rules.h"
#include "coordinator/intake/casework_parts.h"
#include "coordinator/intake/legal_basis.h"

/* The audit details of a consent record: ids and codes, never the subject. */
static json_t *
s_consent_details (const tsg_hub_consent_t *c)
{
    json_t *agencies = json_array (), *types = json_array ();
    for (size_t i = 0; agencies && i < c->n_agencies; i++)
        json_array_append_new (agencies, json_string (c->agencies[i]));
    for (size_t i = 0; types && i < c->n_types; i++)
        json_array_append_new (types, json_string (c->types[i]));
    return json_pack ("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s}", "consent_id", c->id,
                      "case_id", c->case_id, "cover_agencies", agencies ? agencies : json_null (),
                      "cover_types", types ? types : json_null (), "categories",
                      tsg_hub_categories_json (c->categories), "purpose", c->purpose, "method",
                      c->method, "obtained_by", c->obtained_by, "valid_from", c->valid_from,
                      "valid_until", c->valid_until);
}

Tsunagu__V1__ErrorCode
hub_casework_consent_grant (tsg_hub_casework_t *self, const char *sender,
                            const tsg_letter_t *letter, const uint8_t *envelope, size_t len,
                            tsg_hub_route_t *route, char *detail, size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h)
        REFUSE (ERROR_MALFORMED, "a consent grant needs header.case_id and header.consent");
    tsg_hub_consent_t *g = self->record;
    Tsunagu__V1__ErrorCode code = tsg_hub_consent_from_info (
        h->consent, h->case_id, self->directory, self->now_ms, g, detail, size);
    if (code != 0)
        return code;
    if (tsg_hub_consent_get (txn, g->id, self->consent))
        REFUSE (ERROR_NOT_PERMITTED, "consent %s already exists", g->id);
    tsg_hub_case_t *c = self->old;
    bool exists = tsg_hub_case_get (txn, g->case_id, c);
    if (exists && !tsg_hub_case_has_agency (c, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER, "agency \"%s\" is not on case %s", sender, c->id);
    if (!exists && hub_casework_case_id_claimed (self, g->case_id, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "case id %s is already in use by another agency's consent: choose a new case id",
                g->case_id);
    if (letter->body.len > 0)
        REFUSE (ERROR_MALFORMED, "a consent letter carries its bodies in sealed_bodies");
    code = tsg_hub_sealed_bodies_check (exists ? c : NULL, sender, letter, detail, size);
    if (code == 0)
        code = hub_casework_legal_fan_out (self, sender, letter, g->case_id, exists ? c : NULL, g,
                                           route, detail, size);
    if (code != 0)
        return code;

    tsg_hub_copy (g->granted_by, sizeof g->granted_by, sender);
    g->granted_at_ms = self->now_ms;
    tsg_hub_consent_put (txn, NULL, g);
    hub_casework_fan_out (self, exists ? c : NULL, sender, letter, envelope, len,
                          route->consent_id);
    log_info ("consent %s granted by %s for case %s: %zu agencies and %zu types, %s to %s", g->id,
              sender, g->case_id, g->n_agencies, g->n_types, g->valid_from, g->valid_until);
    hub_casework_audit (self, "consent-granted", letter->message_id.data, sender,
                        TSG_COORDINATOR_ID, letter->kind, s_consent_details (g));
    return 0;
}

Tsunagu__V1__ErrorCode
hub_casework_consent_revoke (tsg_hub_casework_t *self, const char *sender,
                             const tsg_letter_t *letter, const uint8_t *envelope, size_t len,
                             tsg_hub_route_t *route, char *detail, size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h || !h->consent_id || !tsg_uuid_valid (h->consent_id))
        REFUSE (ERROR_MALFORMED, "a consent revoke needs header.consent_id (a lowercase UUID)");
    tsg_hub_consent_t *r = self->record;
    if (!tsg_hub_consent_get (txn, h->consent_id, r))
        REFUSE (ERROR_NOT_PERMITTED, "consent %s is not in the register", h->consent_id);
    if (h->case_id && *h->case_id && strcmp (h->case_id, r->case_id) != 0)
        REFUSE (ERROR_NOT_PERMITTED, "consent %s belongs to case %s", r->id, r->case_id);
    if (r->state == TSG_HUB_CONSENT_REVOKED) {
        char when[32];
        tsg_iso8601 (r->ended_at_ms, when);
        REFUSE (ERROR_NOT_PERMITTED, "consent %s was already revoked at %s", r->id, when);
    }
    tsg_hub_case_t *c = self->old;
    bool exists = tsg_hub_case_get (txn, r->case_id, c);
    if (strcmp (sender, r->granted_by) != 0 && !(exists && tsg_hub_case_has_agency (c, sender)))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "agency \"%s\" neither granted consent %s nor is on its case", sender, r->id);
    if (letter->body.len > 0)
        REFUSE (ERROR_MALFORMED, "a consent letter carries its bodies in sealed_bodies");
    Tsunagu__V1__ErrorCode code =
        tsg_hub_sealed_bodies_check (exists ? c : NULL, sender, letter, detail, size);
    if (code == 0)
        code = hub_casework_legal_fan_out (self, sender, letter, r->case_id, exists ? c : NULL, r,
                                           route, detail, size);
    if (code != 0)
        return code;

    /* At once, in this transaction: nothing relying on it leaves the mailboxes any more. */
    size_t withheld =
        r->state == TSG_HUB_CONSENT_ACTIVE ? hub_casework_withhold (self, r, "revoked") : 0;
    tsg_hub_consent_t before = *r;
    r->state = TSG_HUB_CONSENT_REVOKED;
    r->ended_at_ms = self->now_ms;
    tsg_hub_copy (r->ended_by, sizeof r->ended_by, sender);
    tsg_hub_consent_put (txn, &before, r);
    /* The revocation itself is never withheld: it is what tells the agencies to stop. */
    hub_casework_fan_out (self, exists ? c : NULL, sender, letter, envelope, len, NULL);
    route->consent_id[0] = '\0';
    log_info ("consent %s revoked by %s: %zu letters withheld", r->id, sender, withheld);
    json_t *details = s_consent_details (r);
    json_object_set_new (details, "withheld", json_integer ((json_int_t) withheld));
    hub_casework_audit (self, "consent-revoked", letter->message_id.data, sender,
                        TSG_COORDINATOR_ID, letter->kind, details);
    return 0;
}

/* Sends agency to a coordinator-signed CONSENT_REVOKE of consent c with reason "expired". */
static void
s_announce_expiry (tsg_hub_casework_t *self, const tsg_hub_consent_t *c, const char *to)
{
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
    if (!entry || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
        return;
    tsg_hub_consent_info_t info;
    tsg_hub_consent_to_info (c, &info);
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE,
                        TSG_COORDINATOR_ID, to);
    header.case_id = (char *) c->case_id;
    header.consent_id = (char *) c->id;
    header.status = (char *) "expired";
    header.consent = &info.info;
    int rc = hub_casework_post (self, to, &letter);
    if (rc != TSG_OK)
        log_warnx ("consents: cannot seal the expiry of %s for %s: %s", c->id, to,
                   tsg_strerror (rc));
}

size_t
hub_casework_consents_expire (tsg_hub_casework_t *self)
{
    tsg_hub_case_id_t ids[64];
    size_t n = tsg_hub_consents_ended (self->txn, self->now_ms, ids, 64);
    size_t ended = 0;
    for (size_t i = 0; i < n && self->txn->rc == TSG_OK; i++) {
        tsg_hub_consent_t *r = self->record;
        if (!tsg_hub_consent_get (self->txn, ids[i], r) || r->state != TSG_HUB_CONSENT_ACTIVE)
            continue;
        size_t withheld = hub_casework_withhold (self, r, "expired");
        tsg_hub_consent_t before = *r;
        r->state = TSG_HUB_CONSENT_EXPIRED;
        r->ended_at_ms = self->now_ms;
        tsg_hub_copy (r->ended_by, sizeof r->ended_by, TSG_COORDINATOR_ID);
        tsg_hub_consent_put (self->txn, &before, r);
        tsg_hub_case_t *c = self->old;
        bool granter_told = false;
        if (tsg_hub_case_get (self->txn, r->case_id, c))
            for (size_t k = 0; k < c->n_agencies; k++) {
                s_announce_expiry (self, r, c->agencies[k]);
                granter_told |= strcmp (c->agencies[k], r->granted_by) == 0;
            }
        if (!granter_told)
            s_announce_expiry (self, r, r->granted_by);
        log_info ("consent %s of case %s expired (valid until %s): %zu letters withheld", r->id,
                  r->case_id, r->valid_until, withheld);
        json_t *details = s_consent_details (r);
        json_object_set_new (details, "withheld", json_integer ((json_int_t) withheld));
        hub_casework_audit (self, "consent-expired", NULL, TSG_COORDINATOR_ID, TSG_COORDINATOR_ID,
                            TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, details);
        ended++;
    }
    return ended;
}
