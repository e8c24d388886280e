/* case_form.c — the case event form of ケース詳細 and the control request it becomes
 * (case_form.h).  Every field is a code, a date or an agency id: the form has no free text,
 * since the coordinator may hold none (the minutes and reasons stay with the agencies). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/case_form.h"
#include "coordinator/web/labels.h"

#define EN(ctx) ((ctx)->lang == TSG_WEB_EN)

/* Reasons a case may be reopened for: codes only. */
static const char *const s_reopen_codes[] = { "new-issue", "relapse", "request", "other", NULL };
static const char *const s_reopen_ja[] = { "新たな課題", "状況の悪化", "本人・家族の求め",
                                           "その他" };
static const char *const s_reopen_en[] = { "A new issue", "Things got worse",
                                           "Asked by the person or family", "Other" };

static const char *const s_note_ja[] = { "訪問", "電話", "打合せ", "その他" };
static const char *const s_note_en[] = { "Visit", "Call", "Meeting", "Other" };

const char *
web_case_event_error (const char *code, bool en)
{
    static const struct {
        const char *code, *ja, *en;
    } s_errors[] = {
        { "stale_version",
          "ほかの人が先にこのケースを更新しました。最新の内容を確かめてからもう一度記録してください"
          "。",
          "Someone changed this case first: check the latest state and record it again." },
        { "illegal_transition", "その状態には今の状態から移れません。",
          "The case cannot move to that state from the one it is in." },
        { "missing_legal_basis",
          "重層的支援会議には、出席するすべての機関を対象にした有効な同意が必要です。",
          "A jūsōteki meeting needs an active consent that covers every attending agency." },
        { "not_permitted", "この操作は許されていません。", "This is not permitted." },
        { "unknown_case", "そのケースはありません。", "There is no such case." },
        { "malformed", "入力に足りない項目か誤りがあります。",
          "A field is missing or not what it must be." },
        { "forbidden", "記録するにはコーディネーターの権限が必要です。",
          "Recording needs the coordinator role." },
        { "store", "保存できませんでした。何も変わっていません。もう一度お試しください。",
          "It could not be stored; nothing changed. Try again." },
    };
    for (size_t i = 0; i < sizeof s_errors / sizeof s_errors[0]; i++)
        if (strcmp (s_errors[i].code, code) == 0)
            return en ? s_errors[i].en : s_errors[i].ja;
    return en ? "The event was refused." : "記録できませんでした。";
}

/* A <select> of name over codes with labels (parallel arrays), in a labelled field. */
static void
s_select (tsg_html_t *h, const char *name, const char *label, const char *const *codes,
          const char *const *labels)
{
    tsg_html_raw (h, "<label>");
    tsg_html_text (h, label);
    tsg_html_fmt (h, "<select name=\"%s\">", name);
    for (size_t i = 0; codes[i]; i++) {
        tsg_html_raw (h, "<option value=\"");
        tsg_html_text (h, codes[i]);
        tsg_html_raw (h, "\">");
        tsg_html_text (h, labels[i]);
        tsg_html_raw (h, "</option>");
    }
    tsg_html_raw (h, "</select></label>");
}

/* The same over a kind's words. */
static void
s_select_words (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *name, const char *label,
                web_word_kind_t kind, const char *skip)
{
    const char *codes[16], *labels[16];
    size_t n = 0;
    for (const char *const *code = web_words (kind); *code && n < 15; code++)
        if (!skip || strcmp (*code, skip) != 0) {
            codes[n] = *code;
            labels[n++] = web_word (kind, *code, EN (ctx));
        }
    codes[n] = NULL;
    s_select (h, name, label, codes, labels);
}

/* The states the case may move to from current by a state event (tsg_states.h; closing and
 * reopening are events of their own), in lifecycle order, the one after current selected. */
static void
s_select_states (tsg_web_ctx_t *ctx, tsg_html_t *h, const char *current)
{
    tsg_case_state_t from = TSG_CASE_OPEN;
    bool known = current && tsg_case_state_parse (current, &from);
    tsg_html_raw (h, "<label>");
    tsg_html_text (h, L (ctx, "状態", "State"));
    tsg_html_raw (h, "<select name=\"state\">");
    bool selected = false;
    for (int to = 0; to < TSG_CASE_STATE_COUNT; to++) {
        if (to == TSG_CASE_CLOSED || (known && (tsg_case_state_t) to == from)
            || (known && tsg_case_transition_check (from, (tsg_case_state_t) to, NULL)))
            continue;
        const char *code = tsg_case_state_name ((tsg_case_state_t) to);
        bool pick = !selected && (!known || to > (int) from);
        selected |= pick;
        tsg_html_raw (h, "<option value=\"");
        tsg_html_text (h, code);
        tsg_html_fmt (h, "\"%s>", pick ? " selected" : "");
        tsg_html_text (h, web_word (WEB_WORD_CASE_STATE, code, EN (ctx)));
        tsg_html_raw (h, "</option>");
    }
    tsg_html_raw (h, "</select></label>");
}

static void
s_date (tsg_html_t *h, const char *name, const char *label)
{
    tsg_html_raw (h, "<label>");
    tsg_html_text (h, label);
    tsg_html_fmt (h, "<input type=\"date\" name=\"%s\" min=\"2000-01-01\" max=\"2199-12-31\">",
                  name);
    tsg_html_raw (h, "</label>");
}

/* The meeting's fields: kind, date, attendees among the case's agencies, decision, consent. */
static void
s_meeting_fields (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    tsg_html_raw (h, "<fieldset data-for=\"meeting\"><legend>");
    tsg_html_text (h, L (ctx, "会議", "Meeting"));
    tsg_html_raw (h, "</legend>");
    s_select_words (ctx, h, "meeting_kind", L (ctx, "会議の種類", "Kind"), WEB_WORD_MEETING, NULL);
    s_date (h, "held_on", L (ctx, "開催日", "Held on"));
    tsg_html_raw (h, "<div>");
    tsg_html_text (h, L (ctx, "出席した機関", "Attending agencies"));
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (c, "agencies"), i, a)
    {
        tsg_html_raw (h, "<label class=\"check\"><input type=\"checkbox\" name=\"attendees\" "
                         "value=\"");
        tsg_html_text (h, json_string_value (a));
        tsg_html_raw (h, "\" checked>");
        tsg_html_text (h, json_string_value (a));
        tsg_html_raw (h, "</label>");
    }
    tsg_html_raw (h, "</div>");
    s_select_words (ctx, h, "decision", L (ctx, "決定", "Decision"), WEB_WORD_DECISION, NULL);
    tsg_html_raw (h, "<label>");
    tsg_html_text (h,
                   L (ctx, "根拠とする同意（重層的支援会議）", "Consent it rests on (jūsōteki)"));
    tsg_html_raw (h, "<select name=\"consent_id\"><option value=\"\">—</option>");
    json_array_foreach (json_object_get (c, "consents"), i, a)
    {
        const char *id = json_string_value (json_object_get (a, "consent_id"));
        const char *status = json_string_value (json_object_get (a, "status"));
        if (!id || !status || strcmp (status, "active") != 0)
            continue;
        tsg_html_raw (h, "<option value=\"");
        tsg_html_text (h, id);
        tsg_html_raw (h, "\">");
        tsg_html_text (h, json_string_value (json_object_get (a, "subject")));
        tsg_html_raw (h, " (");
        tsg_html_text (h, json_string_value (json_object_get (a, "valid_until")));
        tsg_html_raw (h, ")</option>");
    }
    tsg_html_raw (h, "</select></label></fieldset>");
}

/* The plan's fields: a role label for each agency of the case, and the next review. */
static void
s_plan_fields (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    tsg_html_raw (h, "<fieldset data-for=\"plan\"><legend>");
    tsg_html_text (h, L (ctx, "プランの役割分担（短い言葉で。個人の情報は書かない）",
                         "The plan's roles (a few words; never a person's details)"));
    tsg_html_raw (h, "</legend>");
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (c, "agencies"), i, a)
    {
        tsg_html_raw (h, "<label>");
        tsg_html_text (h, json_string_value (a));
        tsg_html_raw (h, "<input type=\"hidden\" name=\"role_agency\" value=\"");
        tsg_html_text (h, json_string_value (a));
        tsg_html_raw (h, "\"><input name=\"role_label\" maxlength=\"64\"></label>");
    }
    s_date (h, "next_review_on", L (ctx, "次回の見直し", "Next review"));
    tsg_html_raw (h, "</fieldset>");
}

void
web_case_form (tsg_web_ctx_t *ctx, tsg_html_t *h, const json_t *c)
{
    const char *id = json_string_value (json_object_get (c, "case_id"));
    static const char *const types[] = {
        "state", "meeting", "plan", "note", "close", "reopen", NULL
    };
    const char *type_labels[6];
    for (size_t i = 0; i < 6; i++)
        type_labels[i] = web_word (WEB_WORD_EVENT, types[i], EN (ctx));
    tsg_html_raw (h, "<section class=\"panel wide\"><h2>");
    tsg_html_text (h, L (ctx, "ケースの経過を記録する", "Record what happened"));
    tsg_html_raw (h, "</h2><form id=\"case-event\" class=\"stack\" method=\"post\" "
                     "action=\"/cases/");
    tsg_html_text (h, id);
    tsg_html_raw (h, "/events\">");
    web_csrf_field (ctx, h);
    tsg_html_fmt (h, "<input type=\"hidden\" name=\"base_version\" value=\"%lld\">",
                  (long long) json_integer_value (json_object_get (c, "version")));
    s_select (h, "type", L (ctx, "記録すること", "What"), types, type_labels);
    tsg_html_raw (h, "<fieldset data-for=\"state\"><legend>");
    tsg_html_text (h, L (ctx, "新しい状態", "New state"));
    tsg_html_raw (h, "</legend>");
    s_select_states (ctx, h, json_string_value (json_object_get (c, "state")));
    tsg_html_raw (h, "</fieldset>");
    s_meeting_fields (ctx, h, c);
    s_plan_fields (ctx, h, c);
    tsg_html_raw (h, "<fieldset data-for=\"note\"><legend>");
    tsg_html_text (h, L (ctx, "記録の種類", "Note"));
    tsg_html_raw (h, "</legend>");
    s_select (h, "category", L (ctx, "種類", "Kind"),
              (const char *const[]){ "visit", "call", "meeting", "other", NULL },
              EN (ctx) ? s_note_en : s_note_ja);
    s_date (h, "written_on", L (ctx, "日付", "Date"));
    tsg_html_raw (h, "</fieldset><fieldset data-for=\"close\"><legend>");
    tsg_html_text (h, L (ctx, "終結", "Closure"));
    tsg_html_raw (h, "</legend>");
    s_select_words (ctx, h, "close_reason", L (ctx, "終結の理由", "Why"), WEB_WORD_CLOSE_REASON,
                    NULL);
    tsg_html_raw (h, "</fieldset><fieldset data-for=\"reopen\"><legend>");
    tsg_html_text (h, L (ctx, "再開", "Reopen"));
    tsg_html_raw (h, "</legend>");
    s_select (h, "reason_code", L (ctx, "再開の理由", "Why"), s_reopen_codes,
              EN (ctx) ? s_reopen_en : s_reopen_ja);
    tsg_html_raw (h, "</fieldset><div><button type=\"submit\">");
    tsg_html_text (h, L (ctx, "記録する", "Record"));
    tsg_html_raw (h, "</button></div></form></section>");
}

/* A form field that must be present; NULL (and *code set) when not. */
static const char *
s_need (const tsg_web_form_t *form, const char *name, const char **code)
{
    const char *value = tsg_web_form_get (form, name);
    if (!value || !*value)
        *code = "malformed";
    return value && *value ? value : NULL;
}

/* Adds the fields of a meeting event to request; false when one is missing. */
static bool
s_meeting_request (json_t *request, const tsg_web_form_t *form, const char **code)
{
    const char *kind = s_need (form, "meeting_kind", code);
    const char *held_on = s_need (form, "held_on", code);
    const char *decision = s_need (form, "decision", code);
    json_t *attendees = json_array ();
    for (size_t i = 0; attendees; i++) {
        const char *agency = tsg_web_form_nth (form, "attendees", i);
        if (!agency)
            break;
        json_array_append_new (attendees, json_string (agency));
    }
    if (!kind || !held_on || !decision || !attendees) {
        json_decref (attendees);
        return false;
    }
    json_object_set_new (request, "meeting",
                         json_pack ("{s:s, s:s, s:o, s:s}", "kind", kind, "held_on", held_on,
                                    "attendees", attendees, "decision", decision));
    const char *consent = tsg_web_form_get (form, "consent_id");
    if (consent && *consent)
        json_object_set_new (request, "consent_id", json_string (consent));
    return true;
}

/* Adds the fields of a plan event: each role with a label. */
static bool
s_plan_request (json_t *request, const tsg_web_form_t *form, const char **code)
{
    const char *review = s_need (form, "next_review_on", code);
    json_t *roles = json_array ();
    for (size_t i = 0; roles; i++) {
        const char *agency = tsg_web_form_nth (form, "role_agency", i);
        const char *label = tsg_web_form_nth (form, "role_label", i);
        if (!agency || !label)
            break;
        if (*label)
            json_array_append_new (roles,
                                   json_pack ("{s:s, s:s}", "agency", agency, "role", label));
    }
    if (!review || !roles) {
        json_decref (roles);
        return false;
    }
    json_object_set_new (request, "plan",
                         json_pack ("{s:o, s:s}", "roles", roles, "next_review_on", review));
    return true;
}

json_t *
web_case_event_request (const tsg_web_form_t *form, const char *case_id, const char *user,
                        const char **code)
{
    *code = "malformed";
    const char *type = tsg_web_form_get (form, "type");
    const char *version = tsg_web_form_get (form, "base_version");
    char *end = NULL;
    long long base = version ? strtoll (version, &end, 10) : -1;
    if (!type || !version || !end || *end || base < 1)
        return NULL;
    json_t *request =
        json_pack ("{s:s, s:s, s:I, s:s, s:s}", "command", "case-event", "case_id", case_id,
                   "base_version", (json_int_t) base, "type", type, "actor", user);
    if (!request)
        return NULL;
    bool ok = true;
    if (strcmp (type, "state") == 0) {
        const char *state = s_need (form, "state", code);
        ok = state && json_object_set_new (request, "state", json_string (state)) == 0;
    }
    else if (strcmp (type, "close") == 0) {
        const char *reason = s_need (form, "close_reason", code);
        ok = reason && json_object_set_new (request, "close_reason", json_string (reason)) == 0;
    }
    else if (strcmp (type, "reopen") == 0) {
        const char *reason = s_need (form, "reason_code", code);
        ok = reason && json_object_set_new (request, "reason_code", json_string (reason)) == 0;
    }
    else if (strcmp (type, "meeting") == 0)
        ok = s_meeting_request (request, form, code);
    else if (strcmp (type, "plan") == 0)
        ok = s_plan_request (request, form, code);
    else if (strcmp (type, "note") == 0) {
        const char *category = s_need (form, "category", code);
        const char *written_on = s_need (form, "written_on", code);
        ok = category && written_on
             && json_object_set_new (
                    request, "note",
                    json_pack ("{s:s, s:s}", "category", category, "written_on", written_on))
                    == 0;
    }
    else
        ok = false;
    if (!ok) {
        json_decref (request);
        return NULL;
    }
    *code = NULL;
    return request;
}
