/* legal.c — the rules of the legal basis every letter with personal content meets before it is
 * sealed, and the check of a consent it names against the register (legal.h). */
#include <stdio.h>
#include <string.h>

#include "agency/core/legal.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"

void
agency_basis_rules (Tsunagu__V1__LegalBasis basis, const char *consent_id, bool has_case,
                    const json_t *categories, const char *categories_path, json_t *fields)
{
    size_t n = json_array_size (categories);
    switch (basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE:
        if (n > 0)
            agency_json_field (fields, categories_path,
                               "must be empty for legal_basis none (no personal data)");
        return;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT:
        if (!consent_id || !*consent_id)
            agency_json_field (fields, "consent_id",
                               "required for legal_basis consent: the consent that covers it");
        break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING:
        if (!has_case)
            agency_json_field (fields, "case_id",
                               "required for a meeting's legal basis: the case whose roster "
                               "covers it");
        break;
    default: break;
    }
    if (n == 0)
        agency_json_field (fields, categories_path,
                           "required unless legal_basis is none: the personal-data categories "
                           "it holds (identity, health, disability, finances, family, children, "
                           "free-text)");
}

json_t *
agency_legal_refusal (const char *field, const char *problem, const char *message)
{
    json_t *fields = field ? json_pack ("{s:s}", field, problem) : NULL;
    return agency_json_error ("missing_legal_basis", message, fields);
}

json_t *
agency_consent_find (tsg_agency_t *self, tsg_txn_t *txn, const char *consent_id)
{
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX))
        return NULL;
    json_t *record = NULL;
    if (txn)
        record = agency_consent_get (txn, consent_id);
    else {
        tsg_txn_t own;
        tsg_txn_begin (self->store, &own, false);
        record = agency_consent_get (&own, consent_id);
        tsg_txn_abort (&own);
    }
    for (agency_pending_t *p = self->pending; p && !record; p = p->next)
        if (p->kind == AGENCY_KIND_CONSENT_GRANT && strcmp (p->referral_id, consent_id) == 0)
            record = json_deep_copy (p->record);
    return record;
}

int
agency_consent_check (tsg_agency_t *self, const char *consent_id, const char *case_id,
                      const char *to, const json_t *categories, const char *field,
                      const char *categories_path, json_t **reply)
{
    json_t *record = agency_consent_find (self, NULL, consent_id);
    if (!record)
        return 0;
    char today[11], why[256], path[64];
    agency_consent_today (today);
    const char *problem = agency_consent_unusable (record, today, why, sizeof why);
    const char *at = field;
    const char *record_case = agency_json_str (record, "case_id");
    if (!problem && case_id && record_case && strcmp (case_id, record_case) != 0) {
        snprintf (why, sizeof why, "consent %s belongs to case %s, not to case %s", consent_id,
                  record_case, case_id);
        problem = why;
    }
    if (!problem && to && !agency_consent_covers (self->directory, record, to)) {
        snprintf (why, sizeof why, "consent %s does not cover %s", consent_id, to);
        problem = why;
    }
    size_t i;
    json_t *item;
    json_array_foreach (categories, i, item)
    {
        if (problem)
            break;
        const char *name = json_string_value (item);
        if (name && !agency_categories_has (json_object_get (record, "categories"), name)) {
            snprintf (why, sizeof why, "consent %s does not cover category %s", consent_id, name);
            snprintf (path, sizeof path, "%s[%zu]", categories_path, i);
            problem = why;
            at = path;
        }
    }
    json_decref (record);
    if (!problem)
        return 0;
    *reply = agency_legal_refusal (at, problem, problem);
    return 422;
}
