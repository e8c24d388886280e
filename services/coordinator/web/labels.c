/* labels.c — the dashboard's words for the coordinator's codes (labels.h). */
#include <stddef.h>
#include <string.h>

#include "coordinator/web/labels.h"

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

static const s_word_t s_agency_types[] = {
    { "eldercare", "地域包括支援センター", "Eldercare" },
    { "disability", "相談支援事業所", "Disability" },
    { "child", "こども家庭センター", "Child and family" },
    { "poverty", "自立相談支援機関", "Self-reliance" },
    { NULL, NULL, NULL },
};

static const s_word_t s_close_reasons[] = {
    { "goal-achieved", "目標達成", "Goal achieved" },
    { "moved-away", "転出", "Moved away" },
    { "died", "死亡", "Died" },
    { "declined", "本人の辞退", "Declined" },
    { "transferred", "他機関へ移管", "Transferred" },
    { "other", "その他", "Other" },
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
    { "state", "状態の変更", "State change" },
    { "meeting", "会議", "Meeting" },
    { "plan", "プラン", "Plan" },
    { "note", "記録", "Note" },
    { "close", "終結", "Closure" },
    { "reopen", "再開", "Reopened" },
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

static const s_word_t *
s_table (web_word_kind_t kind)
{
    switch (kind) {
    case WEB_WORD_CASE_STATE: return s_case_states;
    case WEB_WORD_REF_STATE: return s_ref_states;
    case WEB_WORD_AGENCY_TYPE: return s_agency_types;
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
    for (const s_word_t *w = s_table (kind); w->code; w++)
        if (strcmp (w->code, code) == 0)
            return en ? w->en : w->ja;
    return code;
}

const char *const *
web_words (web_word_kind_t kind)
{
    /* The codes of each table, gathered once (the tables are constant). */
    static const char *lists[8][16];
    static bool made[8];
    size_t k = (size_t) kind;
    if (k >= 8)
        return lists[0];
    if (!made[k]) {
        size_t n = 0;
        for (const s_word_t *w = s_table (kind); w->code && n < 15; w++)
            lists[k][n++] = w->code;
        lists[k][n] = NULL;
        made[k] = true;
    }
    return lists[k];
}
