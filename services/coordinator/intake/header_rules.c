/* header_rules.c — what the cleartext header of an agency's letter may hold (proto/README.md
 * §2, §5). */
#include <stdio.h>
#include <string.h>

#include "coordinator/model/codec.h"
#include "coordinator/intake/header_rules.h"

/* The cleartext header carries ids, codes, dates and issue tags only (proto/README.md §2): a
 * field of another shape may hide a name or a phone number, which the coordinator would then
 * keep.  Returns 0 or the refusal, with the sentence in detail. */
Tsunagu__V1__ErrorCode
tsg_hub_header_check (const tsg_letter_t *letter, char *detail, size_t size)
{
    const tsg_header_t *h = letter->header;
    if (!h)
        return 0;
    const struct {
        const char *name;  /* the field */
        const char *value; /* its text */
    } ids[] = { { "case_id", h->case_id },
                { "referral_id", h->referral_id },
                { "consent_id", h->consent_id } },
      dates[] = { { "due_date", h->due_date }, { "receive_due_date", h->receive_due_date } };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].value && *ids[i].value && !tsg_uuid_valid (ids[i].value)) {
            snprintf (detail, size, "header.%s must be a lowercase UUID", ids[i].name);
            return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
        }
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        if (dates[i].value && *dates[i].value && !tsg_date_ok (dates[i].value)) {
            snprintf (detail, size, "header.%s must be a date YYYY-MM-DD", dates[i].name);
            return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
        }
    tsg_ref_state_t state;
    if (h->status && *h->status && !tsg_ref_state_parse (h->status, &state)
        && strcmp (h->status, "revoked") != 0 && strcmp (h->status, "expired") != 0) {
        snprintf (detail, size,
                  "header.status must be a referral state (or revoked for a consent revoke)");
        return letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS
                   ? TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION
                   : TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    }
    tsg_outcome_t outcome;
    if (h->outcome && *h->outcome && !tsg_outcome_parse (h->outcome, &outcome)) {
        snprintf (detail, size, "header.outcome must be an outcome code such as got-help");
        return letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS
                   ? TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION
                   : TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    }
    /* The coordinator holds no personal data: a tag that looks like some is refused. */
    for (size_t i = 0; i < h->n_tags; i++) {
        char why[TSG_CLEARTEXT_WHY_SIZE];
        /* (An empty or overlong tag is malformed: the casework says so.) */
        if (h->tags[i] && *h->tags[i] && strlen (h->tags[i]) <= TSG_TAG_LEN_MAX
            && !tsg_cleartext_tag_ok (h->tags[i], why, sizeof why)) {
            snprintf (detail, size, "tags[%zu] %s", i, why);
            return TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA;
        }
    }
    /* A consent's info travels beside a referral under it (its recipient learns the cover):
     * its subject, if any, is held to the same rule as a grant's. */
    if (h->consent && letter->kind != TSUNAGU__V1__KIND__KIND_CONSENT_GRANT && h->consent->subject
        && *h->consent->subject) {
        char why[TSG_CLEARTEXT_WHY_SIZE];
        if (!tsg_cleartext_subject_ok (h->consent->subject, why, sizeof why)) {
            snprintf (detail, size, "consent.subject %s", why);
            return TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA;
        }
    }
    /* The urgent flag marks an abuse report, and recipients act on it at once. */
    if (h->urgent && h->legal_basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY) {
        snprintf (detail, size,
                  "only an emergency report (legal basis emergency) may be flagged urgent");
        return TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS;
    }
    return 0;
}
