/* referral_request.c — the body of POST /v1/referrals, parsed and checked before anything is
 * stored (referral_request.h). */
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "agency/core/legal.h"
#include "agency/letters/referral_request.h"
#include "agency/records/categories.h"
#include "agency/records/json.h"

static const char *const s_known_fields[] = {
    "to",         "to_type",    "case_id", "urgency",         "tags", "legal_basis",
    "consent_id", "client_ref", "sheet",   "data_categories", NULL
};

/* An optional string member: NULL when absent, else its text or a field error. */
static const char *
s_string (json_t *root, const char *key, json_t *fields, bool *present)
{
    json_t *value = json_object_get (root, key);
    if (present)
        *present = value != NULL;
    if (!value)
        return NULL;
    if (!json_is_string (value)) {
        agency_json_field (fields, key, "must be a string");
        return NULL;
    }
    return json_string_value (value);
}

/* Checks the tags: their shape (problems in fields) and that none looks like personal data,
 * which the coordinator could read (problems in personal). */
static void
s_check_tags (json_t *tags, json_t *fields, json_t *personal)
{
    if (!json_is_array (tags)) {
        agency_json_field (fields, "tags", "must be an array of strings");
        return;
    }
    if (json_array_size (tags) > TSG_TAGS_MAX) {
        char problem[64];
        snprintf (problem, sizeof problem, "at most %d tags", TSG_TAGS_MAX);
        agency_json_field (fields, "tags", problem);
    }
    size_t i;
    json_t *tag;
    json_array_foreach (tags, i, tag)
    {
        char path[32];
        snprintf (path, sizeof path, "tags[%zu]", i);
        if (!json_is_string (tag))
            agency_json_field (fields, path, "must be a string");
        else if (json_string_length (tag) == 0)
            agency_json_field (fields, path, "must not be empty");
        else if (json_string_length (tag) > TSG_TAG_LEN_MAX)
            agency_json_field (fields, path, "longer than 64 bytes");
        else if (!agency_json_plain (json_string_value (tag), TSG_TAG_LEN_MAX))
            agency_json_field (fields, path, "must not hold control characters");
        else {
            char why[TSG_CLEARTEXT_WHY_SIZE];
            tsg_cleartext_verdict_t verdict =
                tsg_cleartext_check (TSG_CLEARTEXT_TAG, json_string_value (tag), why, sizeof why);
            if (verdict != TSG_CLEARTEXT_OK)
                agency_json_field (verdict == TSG_CLEARTEXT_PERSONAL ? personal : fields, path,
                                   why);
        }
    }
}

/* The member at a dotted path under object, or NULL when a step is missing; when a step on
 * the way is not an object, *bad points at the dot after it. */
static json_t *
s_member (json_t *object, const char *path, const char **bad, char *step, size_t step_size)
{
    *bad = NULL;
    const char *p = path;
    while (true) {
        const char *dot = strchr (p, '.');
        size_t n = dot ? (size_t) (dot - p) : strlen (p);
        if (n >= step_size)
            return NULL;
        memcpy (step, p, n);
        step[n] = '\0';
        json_t *value = json_object_get (object, step);
        if (!dot || !value)
            return value;
        if (!json_is_object (value)) {
            *bad = dot;
            return NULL;
        }
        object = value;
        p = dot + 1;
    }
}

/* Checks one member for rule: NULL when it satisfies it, else the problem. */
static const char *
s_intake_value (json_t *sheet, const char *path, const tsg_intake_field_t *rule, char *problem,
                size_t size, bool *present)
{
    const char *bad;
    char step[64];
    json_t *value = s_member (sheet, path, &bad, step, sizeof step);
    *present = value != NULL && !json_is_null (value);
    if (bad) {
        snprintf (problem, size, "required; %.*s is not an object", (int) (bad - path), path);
        return problem;
    }
    if (!*present)
        return "required";
    if (rule->kind == TSG_INTAKE_INTEGER) {
        if (!json_is_integer (value) || json_integer_value (value) < rule->min
            || json_integer_value (value) > rule->max) {
            snprintf (problem, size, "must be an integer from %d to %d", rule->min, rule->max);
            return problem;
        }
        return NULL;
    }
    if (!json_is_string (value) || json_string_length (value) == 0)
        return "must be a non-empty string";
    return NULL;
}

void
agency_intake_check (const tsg_agency_policy_t *policy, json_t *sheet, json_t *fields)
{
    for (size_t i = 0; policy && policy->intake && policy->intake[i].path; i++) {
        const tsg_intake_field_t *rule = &policy->intake[i];
        char problem[128], path[96];
        bool present, other_present = false;
        const char *why =
            s_intake_value (sheet, rule->path, rule, problem, sizeof problem, &present);
        if (!why)
            continue;
        if (rule->alternative) {
            char other_problem[128];
            const char *other = s_intake_value (sheet, rule->alternative, rule, other_problem,
                                                sizeof other_problem, &other_present);
            if (!other)
                continue;
            if (other_present && !present) {
                snprintf (path, sizeof path, "sheet.%s", rule->alternative);
                agency_json_field (fields, path, other);
                continue;
            }
            if (!present) {
                snprintf (problem, sizeof problem, "required (or sheet.%s)", rule->alternative);
                why = problem;
            }
        }
        snprintf (path, sizeof path, "sheet.%s", rule->path);
        agency_json_field (fields, path, why);
    }
}

int
agency_request_parse (const char *body, size_t len, const tsg_agency_policy_t *policy,
                      agency_request_t *out, json_t **error)
{
    memset (out, 0, sizeof *out);
    *error = NULL;

    json_t *root = agency_json_load_object (body, len, error);
    if (!root)
        return 400;

    json_t *fields = json_object ();
    json_t *personal = json_object (); /* cleartext that looks like personal data */
    const char *key;
    json_t *value;
    json_object_foreach (root, key, value)
    {
        bool known = false;
        for (int i = 0; s_known_fields[i] && !known; i++)
            known = strcmp (key, s_known_fields[i]) == 0;
        if (!known)
            agency_json_field (fields, key, "unknown field");
    }

    agency_request_t req = { .root = root, .urgency = TSUNAGU__V1__URGENCY__URGENCY_NORMAL };
    bool has_to, has_to_type, present;

    req.to = s_string (root, "to", fields, &has_to);
    if (req.to && !tsg_agency_id_valid (req.to)) {
        agency_json_field (fields, "to",
                           "must be an agency id: [a-z][a-z0-9-]{0,31}, not coordinator");
        req.to = NULL;
    }
    req.to_type = s_string (root, "to_type", fields, &has_to_type);
    if (req.to_type && !tsg_agency_policy_find (req.to_type)) {
        agency_json_field (fields, "to_type", "must be eldercare, disability, child or poverty");
        req.to_type = NULL;
    }
    if (!has_to && !has_to_type)
        agency_json_field (fields, "to", "required (or give to_type)");

    req.case_id = s_string (root, "case_id", fields, NULL);
    if (req.case_id && !tsg_uuid_valid (req.case_id)) {
        agency_json_field (fields, "case_id", "must be a lowercase UUID");
        req.case_id = NULL;
    }

    const char *urgency = s_string (root, "urgency", fields, NULL);
    if (urgency && !tsg_urgency_parse (urgency, &req.urgency))
        agency_json_field (fields, "urgency", "must be normal, high or emergency");

    req.tags = json_object_get (root, "tags");
    if (req.tags)
        s_check_tags (req.tags, fields, personal);

    const char *basis = s_string (root, "legal_basis", fields, &present);
    if (!present)
        agency_json_field (fields, "legal_basis", "required");
    if (basis && !tsg_legal_basis_parse (basis, &req.legal_basis))
        agency_json_field (
            fields, "legal_basis",
            "must be consent, support-meeting, statutory-meeting, emergency or none");

    req.consent_id = s_string (root, "consent_id", fields, NULL);
    if (req.consent_id && !agency_json_plain (req.consent_id, AGENCY_REF_MAX))
        agency_json_field (fields, "consent_id",
                           "must be 1 to 64 bytes without control characters");
    req.client_ref = s_string (root, "client_ref", fields, NULL);
    if (req.client_ref && !agency_json_plain (req.client_ref, AGENCY_REF_MAX))
        agency_json_field (fields, "client_ref",
                           "must be 1 to 64 bytes without control characters");

    req.sheet = json_object_get (root, "sheet");
    if (!req.sheet)
        agency_json_field (fields, "sheet", "required");
    else if (!json_is_object (req.sheet))
        agency_json_field (fields, "sheet", "must be a JSON object");
    else
        agency_intake_check (policy, req.sheet, fields);

    json_t *categories = json_object_get (root, "data_categories");
    req.data_categories = agency_categories_parse (categories, "data_categories", fields);
    if (basis && req.legal_basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED
        && (!categories || req.data_categories))
        agency_basis_rules (req.legal_basis, req.consent_id,
                            req.case_id || json_object_get (root, "case_id"), req.data_categories,
                            "data_categories", fields);

    /* Personal data in cleartext is its own answer (422 personal_data) when nothing else is
     * wrong; with other problems it is one of the fields of the 400. */
    int status = agency_json_problems (fields, personal, "referral", "the sheet", error);
    if (status != 0) {
        json_decref (root);
        return status;
    }
    *out = req;
    return 0;
}

void
agency_request_clear (agency_request_t *self)
{
    if (!self)
        return;
    json_decref (self->root);
    memset (self, 0, sizeof *self);
}
