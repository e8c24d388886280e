/* states.c — the referral and case state machines as tables, shared by every process. */
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_states.h"

/* One referral state: its names and who may move it where. */
typedef struct {
    const char *name;      /* wire and JSON name */
    const char *label_ja;  /* label on screens */
    bool terminal;         /* no further change but entered-in-error */
    bool needs_reason;     /* entering it needs a reason */
    bool needs_outcome;    /* entering it needs an outcome code */
    unsigned sender_to;    /* bit set of states the sender may move it to */
    unsigned recipient_to; /* bit set of states the recipient may move it to */
} s_ref_rule_t;

#define BIT(state)        (1u << (state))
#define SENDER_ALWAYS     (BIT (TSG_REF_ENTERED_IN_ERROR))
#define RECIPIENT_WORKING (BIT (TSG_REF_COMPLETED) | BIT (TSG_REF_FAILED))

static const s_ref_rule_t s_ref_rules[TSG_REF_STATE_COUNT] = {
    [TSG_REF_REQUESTED] = { "requested", "依頼中", false, false, false,
                            SENDER_ALWAYS | BIT (TSG_REF_CANCELLED), BIT (TSG_REF_RECEIVED) },
    [TSG_REF_RECEIVED] = { "received", "受付済", false, false, false,
                           SENDER_ALWAYS | BIT (TSG_REF_CANCELLED),
                           BIT (TSG_REF_ACCEPTED) | BIT (TSG_REF_REJECTED) },
    [TSG_REF_ACCEPTED] = { "accepted", "受理", false, false, false,
                           SENDER_ALWAYS | BIT (TSG_REF_CANCELLED),
                           BIT (TSG_REF_IN_PROGRESS) | BIT (TSG_REF_ON_HOLD) | RECIPIENT_WORKING },
    [TSG_REF_REJECTED] = { "rejected", "受理不可", true, true, false, SENDER_ALWAYS, 0 },
    [TSG_REF_CANCELLED] = { "cancelled", "取消", true, true, false, SENDER_ALWAYS, 0 },
    [TSG_REF_IN_PROGRESS] = { "in-progress", "支援中", false, false, false,
                              SENDER_ALWAYS | BIT (TSG_REF_CANCELLED),
                              BIT (TSG_REF_ON_HOLD) | RECIPIENT_WORKING },
    [TSG_REF_ON_HOLD] = { "on-hold", "保留", false, true, false,
                          SENDER_ALWAYS | BIT (TSG_REF_CANCELLED),
                          BIT (TSG_REF_IN_PROGRESS) | RECIPIENT_WORKING },
    [TSG_REF_COMPLETED] = { "completed", "完了", true, false, true, SENDER_ALWAYS, 0 },
    [TSG_REF_FAILED] = { "failed", "不調", true, true, true, SENDER_ALWAYS, 0 },
    [TSG_REF_ENTERED_IN_ERROR] = { "entered-in-error", "誤登録", true, false, false, 0, 0 },
};

static const char *const s_outcomes[TSG_OUTCOME_COUNT] = {
    [TSG_OUTCOME_NONE] = NULL,
    [TSG_OUTCOME_GOT_HELP] = "got-help",
    [TSG_OUTCOME_COULD_NOT_CONTACT] = "could-not-contact",
    [TSG_OUTCOME_NOT_ELIGIBLE] = "not-eligible",
    [TSG_OUTCOME_NO_CAPACITY] = "no-capacity",
    [TSG_OUTCOME_DECLINED] = "declined",
    [TSG_OUTCOME_REFERRED_ELSEWHERE] = "referred-elsewhere",
};

/* The outcomes in Japanese, for people reading a sheet or a screen. */
static const char *const s_outcome_labels[TSG_OUTCOME_COUNT] = {
    [TSG_OUTCOME_NONE] = NULL,
    [TSG_OUTCOME_GOT_HELP] = "支援につながった",
    [TSG_OUTCOME_COULD_NOT_CONTACT] = "連絡がとれない",
    [TSG_OUTCOME_NOT_ELIGIBLE] = "対象外",
    [TSG_OUTCOME_NO_CAPACITY] = "受入れ困難",
    [TSG_OUTCOME_DECLINED] = "本人が辞退",
    [TSG_OUTCOME_REFERRED_ELSEWHERE] = "他機関へ紹介",
};

const char *
tsg_outcome_label_ja (tsg_outcome_t outcome)
{
    return (unsigned) outcome < TSG_OUTCOME_COUNT ? s_outcome_labels[outcome] : NULL;
}

const char *
tsg_ref_state_name (tsg_ref_state_t state)
{
    return (unsigned) state < TSG_REF_STATE_COUNT ? s_ref_rules[state].name : NULL;
}

const char *
tsg_ref_state_label_ja (tsg_ref_state_t state)
{
    return (unsigned) state < TSG_REF_STATE_COUNT ? s_ref_rules[state].label_ja : NULL;
}

bool
tsg_ref_state_parse (const char *text, tsg_ref_state_t *out)
{
    for (int i = 0; text && i < TSG_REF_STATE_COUNT; i++)
        if (strcmp (text, s_ref_rules[i].name) == 0) {
            *out = (tsg_ref_state_t) i;
            return true;
        }
    return false;
}

bool
tsg_ref_state_terminal (tsg_ref_state_t state)
{
    return (unsigned) state < TSG_REF_STATE_COUNT && s_ref_rules[state].terminal;
}

const char *
tsg_outcome_name (tsg_outcome_t outcome)
{
    return (unsigned) outcome < TSG_OUTCOME_COUNT ? s_outcomes[outcome] : NULL;
}

bool
tsg_outcome_parse (const char *text, tsg_outcome_t *out)
{
    for (int i = 1; text && i < TSG_OUTCOME_COUNT; i++)
        if (strcmp (text, s_outcomes[i]) == 0) {
            *out = (tsg_outcome_t) i;
            return true;
        }
    return false;
}

const char *
tsg_ref_transition_check (tsg_ref_state_t from, tsg_ref_state_t to, tsg_party_t by,
                          const char *reason, tsg_outcome_t outcome)
{
    if ((unsigned) from >= TSG_REF_STATE_COUNT || (unsigned) to >= TSG_REF_STATE_COUNT
        || (unsigned) outcome >= TSG_OUTCOME_COUNT)
        return "unknown state or outcome";
    const s_ref_rule_t *rule = &s_ref_rules[from];
    unsigned mine = by == TSG_PARTY_SENDER ? rule->sender_to : rule->recipient_to;
    unsigned theirs = by == TSG_PARTY_SENDER ? rule->recipient_to : rule->sender_to;
    if (!(mine & BIT (to))) {
        if (theirs & BIT (to))
            return by == TSG_PARTY_SENDER ? "only the recipient may make this change"
                                          : "only the sender may make this change";
        return "this change of state is not allowed";
    }
    const s_ref_rule_t *target = &s_ref_rules[to];
    if (target->needs_reason && (!reason || !*reason))
        return "a reason is required for this state";
    if (target->needs_outcome && outcome == TSG_OUTCOME_NONE)
        return "an outcome code is required for this state";
    if (!target->needs_outcome && outcome != TSG_OUTCOME_NONE)
        return "an outcome code is only for completed or failed";
    return NULL;
}

/* One case state: its names and where it may go next. */
typedef struct {
    const char *name;     /* wire and JSON name */
    const char *label_ja; /* label on screens */
    unsigned next;        /* bit set of states it may move to */
} s_case_rule_t;

#define CASE_ANYTIME (BIT (TSG_CASE_WATCH) | BIT (TSG_CASE_CLOSED))

static const s_case_rule_t s_case_rules[TSG_CASE_STATE_COUNT] = {
    [TSG_CASE_OPEN] = { "open", "相談受付",
                        BIT (TSG_CASE_MULTI_AGENCY) | BIT (TSG_CASE_ASSESSMENT) | CASE_ANYTIME },
    [TSG_CASE_MULTI_AGENCY] = { "multi-agency", "多機関協働",
                                BIT (TSG_CASE_ASSESSMENT) | BIT (TSG_CASE_CONFERENCE)
                                    | CASE_ANYTIME },
    [TSG_CASE_ASSESSMENT] = { "assessment", "課題整理・コア会議",
                              BIT (TSG_CASE_PLANNING) | BIT (TSG_CASE_CONFERENCE) | CASE_ANYTIME },
    [TSG_CASE_PLANNING] = { "planning", "プラン作成",
                            BIT (TSG_CASE_CONFERENCE) | BIT (TSG_CASE_SUPPORT)
                                | BIT (TSG_CASE_ASSESSMENT) | CASE_ANYTIME },
    [TSG_CASE_CONFERENCE] = { "conference", "重層的支援会議・支援会議",
                              BIT (TSG_CASE_PLANNING) | BIT (TSG_CASE_SUPPORT) | CASE_ANYTIME },
    [TSG_CASE_SUPPORT] = { "support", "支援中",
                           BIT (TSG_CASE_MONITORING) | BIT (TSG_CASE_CONFERENCE) | CASE_ANYTIME },
    [TSG_CASE_MONITORING] = { "monitoring", "進捗確認",
                              BIT (TSG_CASE_SUPPORT) | BIT (TSG_CASE_CONFERENCE)
                                  | BIT (TSG_CASE_PLANNING) | CASE_ANYTIME },
    [TSG_CASE_WATCH] = { "watch", "見守り",
                         BIT (TSG_CASE_ASSESSMENT) | BIT (TSG_CASE_CONFERENCE)
                             | BIT (TSG_CASE_SUPPORT) | BIT (TSG_CASE_MONITORING)
                             | BIT (TSG_CASE_CLOSED) },
    [TSG_CASE_CLOSED] = { "closed", "終結", BIT (TSG_CASE_OPEN) },
};

const char *
tsg_case_state_name (tsg_case_state_t state)
{
    return (unsigned) state < TSG_CASE_STATE_COUNT ? s_case_rules[state].name : NULL;
}

const char *
tsg_case_state_label_ja (tsg_case_state_t state)
{
    return (unsigned) state < TSG_CASE_STATE_COUNT ? s_case_rules[state].label_ja : NULL;
}

bool
tsg_case_state_parse (const char *text, tsg_case_state_t *out)
{
    for (int i = 0; text && i < TSG_CASE_STATE_COUNT; i++)
        if (strcmp (text, s_case_rules[i].name) == 0) {
            *out = (tsg_case_state_t) i;
            return true;
        }
    return false;
}

const char *
tsg_case_transition_check (tsg_case_state_t from, tsg_case_state_t to, const char *reason)
{
    if ((unsigned) from >= TSG_CASE_STATE_COUNT || (unsigned) to >= TSG_CASE_STATE_COUNT)
        return "unknown case state";
    if (from == to)
        return "the case is already in this state";
    if (!(s_case_rules[from].next & BIT (to)))
        return "this change of case state is not allowed";
    if ((to == TSG_CASE_CLOSED || from == TSG_CASE_CLOSED) && (!reason || !*reason))
        return to == TSG_CASE_CLOSED ? "closing a case needs a reason"
                                     : "reopening a case needs a reason";
    return NULL;
}

/* End of the JST day that is `days` after the JST day of ms, in UTC ms. */
static uint64_t
s_end_of_jst_day (uint64_t ms, unsigned days)
{
    const uint64_t day = 86400000ULL, jst = 9 * 3600000ULL;
    uint64_t local_day = (ms + jst) / day + days;
    return (local_day + 1) * day - 1 - jst;
}

void
tsg_due_dates (uint64_t created_ms, unsigned receive_days, unsigned response_days, int urgency,
               uint64_t *receive_due_ms, uint64_t *response_due_ms)
{
    if (receive_days == 0)
        receive_days = 1;
    if (response_days == 0)
        response_days = 7;
    if (urgency == 1) { /* high */
        response_days = (response_days + 1) / 2;
        if (response_days < 1)
            response_days = 1;
    }
    else if (urgency == 2) { /* emergency */
        receive_days = 0;
        response_days = 1;
    }
    if (response_days < receive_days)
        response_days = receive_days;
    *receive_due_ms = s_end_of_jst_day (created_ms, receive_days);
    *response_due_ms = s_end_of_jst_day (created_ms, response_days);
}

unsigned
tsg_type_response_due_days (const char *type)
{
    const tsg_agency_policy_t *policy = tsg_agency_policy_find (type);
    return policy ? (unsigned) policy->response_due_days : 7;
}

const char *
tsg_agency_status_name (Tsunagu__V1__AgencyStatus status)
{
    switch (status) {
    case TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE: return "active";
    case TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED: return "suspended";
    case TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED: return "revoked";
    case TSUNAGU__V1__AGENCY_STATUS__AGENCY_PENDING: return "pending";
    default: return "unknown";
    }
}
