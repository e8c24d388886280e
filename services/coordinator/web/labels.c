/* labels.c — the dashboard's words for the coordinator's codes (labels.h). */
#include <stddef.h>
#include <string.h>

#include "coordinator/web/labels.h"
#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_words.h"

/* One code and its two labels. */
typedef struct {
    const char *code; /* as the store and the wire say it */
    const char *ja;   /* 日本語 */
    const char *en;   /* English */
} s_word_t;

static const s_word_t s_case_states[] = {
    { "open", "相談受付", "Consultation" },
    { "multi-agency", "多機関協働", "Multi-agency" },
    { "assessment", "課題整理・コア会議", "Assessment" },
    { "planning", "プラン作成", "Planning" },
    { "conference", "支援会議", "Conference" },
    { "support", "支援中", "In support" },
    { "monitoring", "進捗確認", "Monitoring" },
    { "watch", "見守り", "Watch" },
    { "closed", "終結", "Closed" },
    { NULL, NULL, NULL },
};

static const s_word_t s_ref_states[] = {
    { "requested", "依頼中", "Requested" },
    { "received", "受付済", "Received" },
    { "accepted", "受諾", "Accepted" },
    { "rejected", "辞退", "Rejected" },
    { "in-progress", "対応中", "In progress" },
    { "on-hold", "保留", "On hold" },
    { "completed", "完了", "Completed" },
    { "failed", "不成立", "Failed" },
    { "cancelled", "取消", "Cancelled" },
    { "entered-in-error", "誤登録", "Entered in error" },
    { NULL, NULL, NULL },
};

static const s_word_t s_close_reasons[] = {
    { "goal-achieved", "目標達成", "Goal achieved" },
    { "moved-away", "転出", "Moved away" },
    { "died", "死亡", "Died" },
    { "declined", "本人の辞退", "Declined" },
    { "transferred", "他機関へ移管", "Transferred" },
    { "other", "その他", "Other" },
    { "unknown", "不明", "Unknown" },
    { NULL, NULL, NULL },
};

static const s_word_t s_time_figures[] = {
    { "to_received", "受付まで", "To received" },
    { "to_accepted", "受諾まで", "To accepted" },
    { "to_plan", "プラン決定まで", "To plan" },
    { "to_closure", "終結まで", "To closure" },
    { NULL, NULL, NULL },
};

/* The urgencies' Japanese words are the common table's (tsg_words.h). */
static const s_word_t s_urgencies[] = {
    { "normal", NULL, "Normal" },
    { "high", NULL, "High" },
    { "emergency", NULL, "Emergency" },
    { NULL, NULL, NULL },
};

static const s_word_t s_consent_statuses[] = {
    { "active", "有効", "Active" },
    { "pending", "開始前", "Not yet valid" },
    { "expired", "期限切れ", "Expired" },
    { "revoked", "撤回", "Revoked" },
    { "restricted", "一部撤回", "Restricted" },
    { NULL, NULL, NULL },
};

static const s_word_t s_meetings[] = {
    { "jusoteki", "重層的支援会議", "Jūsōteki support meeting" },
    { "shien", "支援会議", "Support meeting (shien)" },
    { "core", "コア会議", "Core meeting" },
    { "chiiki-care", "地域ケア会議", "Community care meeting" },
    { "kyogikai", "協議会", "Disability council" },
    { "yotaikyo", "要保護児童対策地域協議会", "Child protection council" },
    { "konkyu", "支援調整会議", "Self-reliance coordination meeting" },
    { NULL, NULL, NULL },
};

static const s_word_t s_decisions[] = {
    { "plan-adopted", "プラン決定", "Plan adopted" },
    { "continue", "継続", "Continue" },
    { "escalate", "対応強化", "Escalate" },
    { "close", "終結", "Close" },
    { "other", "その他", "Other" },
    { NULL, NULL, NULL },
};

static const s_word_t s_events[] = {
    { "opened", "相談受付", "Opened" },
    { "state", "状態の変更", "State change" },
    { "meeting", "会議", "Meeting" },
    { "plan", "プラン", "Plan" },
    { "note", "記録", "Note" },
    { "close", "終結", "Closure" },
    { "reopen", "再開", "Reopened" },
    { "handover", "担当交代", "Handed over" },
    { "succession", "機関の承継", "Agency succession" },
    { "referral", "つなぎ", "Referral" },
    { "referral-status", "つなぎの状況", "Referral status" },
    { "agency-joined", "機関の参加", "Agency joined" },
    { "consent", "同意", "Consent" },
    { NULL, NULL, NULL },
};

static const s_word_t s_agency_statuses[] = {
    { "active", "稼働中", "Active" },
    { "suspended", "停止中", "Suspended" },
    { "revoked", "登録取消", "Revoked" },
    { "pending", "承認待ち", "Pending" },
    { NULL, NULL, NULL },
};

/* The agency types have their names in the common table (tsg_agency_types.h), not here. */
static const s_word_t s_none[] = { { NULL, NULL, NULL } };

static const s_word_t *
s_table (web_word_kind_t kind)
{
    switch (kind) {
    case WEB_WORD_KINDS: return s_none;
    case WEB_WORD_CASE_STATE: return s_case_states;
    case WEB_WORD_REF_STATE: return s_ref_states;
    case WEB_WORD_AGENCY_TYPE: return s_none;
    case WEB_WORD_TIME_FIGURE: return s_time_figures;
    case WEB_WORD_URGENCY: return s_urgencies;
    case WEB_WORD_CONSENT_STATUS: return s_consent_statuses;
    case WEB_WORD_CLOSE_REASON: return s_close_reasons;
    case WEB_WORD_MEETING: return s_meetings;
    case WEB_WORD_DECISION: return s_decisions;
    case WEB_WORD_EVENT: return s_events;
    case WEB_WORD_AGENCY_STATUS: return s_agency_statuses;
    }
    return s_events;
}

const char *
web_word (web_word_kind_t kind, const char *code, bool en)
{
    if (!code)
        return NULL;
    if (kind == WEB_WORD_AGENCY_TYPE) {
        /* The agency types' names are the common table's (tsg_agency_types.h). */
        if (strcmp (code, "all") == 0)
            return en ? "All" : "全体";
        const tsg_agency_policy_t *policy = tsg_agency_policy_find (code);
        return policy ? (en ? policy->name_en : policy->name_ja) : code;
    }
    if (kind == WEB_WORD_URGENCY && !en) {
        const char *word = tsg_urgency_label_ja (code);
        return word ? word : code;
    }
    for (const s_word_t *w = s_table (kind); w->code; w++)
        if (strcmp (w->code, code) == 0)
            return en ? w->en : w->ja;
    return code;
}

const char *const *
web_words (web_word_kind_t kind)
{
    /* The codes of each table, gathered once (the tables are constant). */
    static const char *lists[WEB_WORD_KINDS][16];
    static bool made[WEB_WORD_KINDS];
    size_t k = (size_t) kind;
    static const char *const none[1] = { NULL };
    if (k >= WEB_WORD_KINDS)
        return none;
    if (!made[k]) {
        size_t n = 0, count = 0;
        const tsg_agency_policy_t *types = tsg_agency_policy_table (&count);
        if (kind == WEB_WORD_AGENCY_TYPE)
            for (; n < count && n < 15; n++)
                lists[k][n] = types[n].type;
        else
            for (const s_word_t *w = s_table (kind); w->code && n < 15; w++)
                lists[k][n++] = w->code;
        lists[k][n] = NULL;
        made[k] = true;
    }
    return lists[k];
}
