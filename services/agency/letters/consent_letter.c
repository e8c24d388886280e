/* consent_letter.c — what consent grants and revocations share as letters (consent_letter.h). */
#include <stdlib.h>
#include <string.h>

#include "agency/letters/consent_letter.h"
#include "agency/records/cases.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/sealed.h"

/* agency_bodies_keep_fn: the agencies the consent covers. */
static bool
s_covered (tsg_agency_t *self, void *arg, const char *other)
{
    return agency_consent_covers (self->directory, arg, other);
}

int
agency_consent_bodies (tsg_agency_t *self, const char *case_id, const json_t *consent,
                       const json_t *content, agency_bodies_t *out, json_t **reply)
{
    json_t *copy = NULL;
    if (content && tsg_uuid_valid (case_id)) {
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, false);
        copy = agency_case_get (&txn, case_id);
        tsg_txn_abort (&txn);
    }
    char *text = content ? json_dumps (content, JSON_COMPACT) : NULL;
    int status;
    if (content && !text) {
        memset (out, 0, sizeof *out);
        *reply = agency_json_error ("internal", "out of memory", NULL);
        status = 500;
    }
    else
        status = agency_bodies_seal (
            self, json_object_get (copy, "agencies"), text, s_covered, (void *) consent,
            "the sealed body is larger than a letter may carry", out, reply);
    free (text);
    json_decref (copy);
    return status;
}

int
agency_consent_seal (tsg_agency_t *self, tsg_letter_t *letter, agency_pending_t *pending,
                     json_t **reply)
{
    return agency_submit_seal (self, letter, pending,
                               "the consent letter is larger than a letter may carry (the form "
                               "is sealed once for every agency it goes to)",
                               reply);
}

const char *
agency_consent_open (tsg_agency_t *self, const agency_entry_t *sender, const tsg_letter_t *letter,
                     json_t **content, bool *own)
{
    const tsg_header_t *header = letter->header;
    *content = NULL;
    *own = false;
    if (!header || !tsg_uuid_valid (header->case_id))
        return "the consent letter has no valid case id in its header";
    if (strcmp (letter->sender, self->config->id) == 0) {
        *own = true; /* our own, passed back: the register has it already */
        return NULL;
    }
    if (!sender || letter->n_sealed_bodies == 0)
        return NULL;
    const Tsunagu__V1__SealedBody *ours = agency_sealed_ours (letter, self->config->id);
    if (!ours)
        return NULL;
    if (agency_sealed_open (self->boxer, &self->stats.bodies_opened, sender->box_public,
                            ours->box.data, ours->box.len, content))
        return "the sealed body does not open with the sender's key or is not a JSON object";
    return NULL;
}
