/* legal_basis.c — may this letter carry personal data to this recipient, and on what basis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/codec.h"
#include "tsunagu/tsg_agency_types.h"
#include "coordinator/intake/legal_basis.h"

/* The rules per agency type come from the one table in common/agency_types.c. */
int
tsg_hub_statutory_meeting (const char *type)
{
    const tsg_agency_policy_t *policy = tsg_agency_policy_find (type);
    return policy ? (int) policy->meeting : 0;
}

const char *
tsg_hub_statutory_meeting_type (int kind)
{
    const tsg_agency_policy_t *policy =
        tsg_agency_policy_of_meeting ((Tsunagu__V1__MeetingKind) kind);
    return policy ? policy->type : NULL;
}

bool
tsg_hub_may_send_emergency (const char *type)
{
    return *tsg_agency_report_law (type) != '\0';
}

json_t *
tsg_hub_legal_flags_json (unsigned flags)
{
    json_t *list = json_array ();
    if (flags & TSG_HUB_LEGAL_PERSONAL)
        json_array_append_new (list, json_string ("personal"));
    if (flags & TSG_HUB_LEGAL_URGENT)
        json_array_append_new (list, json_string ("urgent"));
    if (flags & TSG_HUB_LEGAL_ALERT)
        json_array_append_new (list, json_string ("alert"));
    return list;
}

/* Shorthand for a refusal with a formatted sentence. */
#define REFUSE(code_, ...)                                                                         \
    do {                                                                                           \
        snprintf (out->detail, sizeof out->detail, __VA_ARGS__);                                   \
        out->code = TSUNAGU__V1__ERROR_CODE__##code_;                                              \
        return out->code;                                                                          \
    } while (0)

/* The consent rule. */
static Tsunagu__V1__ErrorCode
s_consent (const tsg_hub_legal_in_t *in, tsg_hub_legal_t *out)
{
    const tsg_header_t *h = in->letter->header;
    const tsg_hub_consent_t *c = in->consent;
    if (!h->consent_id || !*h->consent_id)
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "no active consent named: legal basis consent needs "
                                           "header.consent_id");
    if (!c || strcmp (c->id, h->consent_id) != 0)
        REFUSE (ERROR_MISSING_LEGAL_BASIS,
                "no active consent named: consent %.40s is not in the "
                "register",
                h->consent_id);
    /* A revocation may reach those who hold data under the consent it ends. */
    bool revoking = in->letter->kind == TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE;
    if (!revoking) {
        char when[32];
        if (c->state == TSG_HUB_CONSENT_REVOKED) {
            tsg_iso8601 (c->ended_at_ms, when);
            REFUSE (ERROR_MISSING_LEGAL_BASIS, "consent %s was revoked at %s", c->id, when);
        }
        if (c->state == TSG_HUB_CONSENT_EXPIRED || in->now_ms >= c->until_ms)
            REFUSE (ERROR_MISSING_LEGAL_BASIS, "consent %s expired on %s", c->id, c->valid_until);
        if (in->now_ms < c->from_ms)
            REFUSE (ERROR_MISSING_LEGAL_BASIS, "consent %s is valid only from %s", c->id,
                    c->valid_from);
    }
    if (!in->case_id || strcmp (c->case_id, in->case_id) != 0)
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "consent %s belongs to case %s, not to case %.40s",
                c->id, c->case_id, in->case_id && *in->case_id ? in->case_id : "(none)");
    if (!tsg_hub_consent_covers (c, in->recipient, in->recipient_type))
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "consent %s does not cover %s", c->id, in->recipient);
    for (unsigned bit = 1; bit < 1u << TSG_HUB_CATEGORIES; bit <<= 1)
        if ((out->categories & bit) && !(c->categories & bit))
            REFUSE (ERROR_MISSING_LEGAL_BASIS, "consent %s does not cover category %s", c->id,
                    tsg_hub_category_name (bit));
    return 0;
}

/* The meeting rules: the recipient (and for a 支援会議 the sender) on the latest roster of
 * kind on the case. */
static Tsunagu__V1__ErrorCode
s_meeting (const tsg_hub_legal_in_t *in, int kind, bool sender_too, tsg_hub_legal_t *out)
{
    const char *label = tsg_hub_meeting_label_ja (kind);
    const char *case_id = in->case_id && *in->case_id ? in->case_id : "(none)";
    if (!in->c || !tsg_hub_case_held (in->c, kind))
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "no %s has been held on case %.40s", label, case_id);
    if (!tsg_hub_case_on_roster (in->c, kind, in->recipient))
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "%s is not on the %s roster of case %s", in->recipient,
                label, in->c->id);
    const char *sender = in->letter->sender;
    if (sender_too && !tsg_hub_case_on_roster (in->c, kind, sender))
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "%s is not on the %s roster of case %s", sender, label,
                in->c->id);
    return 0;
}

/* The emergency rule (abuse reports). */
static Tsunagu__V1__ErrorCode
s_emergency (const tsg_hub_legal_in_t *in, tsg_hub_legal_t *out)
{
    const tsg_letter_t *letter = in->letter;
    const tsg_header_t *h = letter->header;
    if (!tsg_hub_may_send_emergency (in->sender_type))
        REFUSE (ERROR_MISSING_LEGAL_BASIS,
                "emergency reports may be sent only by eldercare, disability or child");
    if (letter->kind != TSUNAGU__V1__KIND__KIND_REFERRAL)
        REFUSE (ERROR_MISSING_LEGAL_BASIS,
                "emergency is the basis of an abuse report, which is a referral; a %s letter "
                "needs another basis",
                tsg_kind_name (letter->kind));
    if (h->urgency != TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY)
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "an emergency report needs urgency emergency");
    if (!h->urgent)
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "an emergency report must be flagged urgent");
    out->flags |= TSG_HUB_LEGAL_URGENT | TSG_HUB_LEGAL_ALERT;
    return 0;
}

Tsunagu__V1__ErrorCode
tsg_hub_legal_check (const tsg_hub_legal_in_t *in, tsg_hub_legal_t *out)
{
    memset (out, 0, sizeof *out);
    const tsg_letter_t *letter = in->letter;
    const tsg_header_t *h = letter->header;
    bool personal = letter->body.len > 0 || letter->n_sealed_bodies > 0;
    out->basis = h ? h->legal_basis : TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED;
    for (size_t i = 0; h && i < h->n_data_categories; i++) {
        unsigned bit = tsg_hub_category_bit (h->data_categories[i]);
        if (!bit)
            REFUSE (ERROR_MALFORMED,
                    "data category \"%.24s\" is not one of identity, health, disability, "
                    "finances, family, children, free-text",
                    h->data_categories[i] ? h->data_categories[i] : "");
        if (out->categories & bit)
            REFUSE (ERROR_MALFORMED, "data category %s is named twice",
                    tsg_hub_category_name (bit));
        out->categories |= bit;
    }
    /* An emergency is checked even without a body: it raises an alert. */
    if (out->basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY && s_emergency (in, out) != 0)
        return out->code;
    if (!personal)
        return 0;
    switch (out->basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE:
        if (out->categories)
            REFUSE (ERROR_MISSING_LEGAL_BASIS,
                    "legal basis none says the body holds no personal data, yet it declares "
                    "data categories: name the basis that allows them");
        return 0;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT:
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING:
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY: break;
    default:
        REFUSE (ERROR_MISSING_LEGAL_BASIS, "a letter with personal data must name its legal "
                                           "basis: consent, support-meeting, statutory-meeting, "
                                           "emergency or none");
    }
    if (!out->categories)
        REFUSE (ERROR_MISSING_LEGAL_BASIS,
                "a letter with personal data under legal basis %s must list its "
                "data_categories",
                tsg_legal_basis_name (out->basis));
    Tsunagu__V1__ErrorCode code = 0;
    switch (out->basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT: code = s_consent (in, out); break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
        code = s_meeting (in, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, true, out);
        break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING: {
        int kind = tsg_hub_statutory_meeting (in->sender_type);
        if (!kind)
            REFUSE (ERROR_MISSING_LEGAL_BASIS,
                    "statutory-meeting needs the sender's own statutory meeting, and a "
                    "sender of type \"%.16s\" has none",
                    in->sender_type ? in->sender_type : "");
        code = s_meeting (in, kind, false, out);
        break;
    }
    default: break; /* emergency: checked above */
    }
    if (code == 0)
        out->flags |= TSG_HUB_LEGAL_PERSONAL;
    return code;
}
