/* text.c — the coordinator's JSON views put into words for people: Japanese labels first,
 * the codes after them, so what is printed can be matched with the JSON and the docs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char *
ctl_text_get (const json_t *object, const char *key, const char *dflt)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : dflt;
}

void
ctl_text_state (const json_t *object, char *out, size_t size)
{
    const char *name = ctl_text_get (object, "state", "-");
    const char *label = ctl_text_get (object, "state_label", NULL);
    if (label)
        snprintf (out, size, "%s (%s)", label, name);
    else
        snprintf (out, size, "%s", name);
}

char *
ctl_text_join (const json_t *array, const char *sep)
{
    size_t len = 1;
    for (size_t i = 0; i < json_array_size (array); i++)
        len += json_string_length (json_array_get (array, i)) + strlen (sep);
    char *out = malloc (len);
    if (!out)
        return NULL;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < json_array_size (array); i++) {
        const char *item = json_string_value (json_array_get (array, i));
        if (!item)
            continue;
        used += (size_t) snprintf (out + used, len - used, "%s%s", used ? sep : "", item);
    }
    return out;
}

/* The label of code in a NULL-terminated list of {code, label} pairs; dflt when absent. */
static const char *
s_label (const char *const pairs[][2], const char *code, const char *dflt)
{
    if (!code)
        return dflt;
    for (size_t i = 0; pairs[i][0]; i++)
        if (strcmp (pairs[i][0], code) == 0)
            return pairs[i][1];
    return dflt;
}

const char *
ctl_text_meeting_kind (const char *kind)
{
    static const char *const kinds[][2] = {
        { "shien", "支援会議" },
        { "jusoteki", "重層的支援会議" },
        { "core", "コア会議" },
        { NULL, NULL },
    };
    return s_label (kinds, kind, "-");
}

const char *
ctl_text_close_reason (const char *reason)
{
    static const char *const reasons[][2] = {
        { "goal-achieved", "目標達成" },
        { "moved-away", "転出" },
        { "died", "死亡" },
        { "declined", "本人の辞退" },
        { "transferred", "移管" },
        { "other", "その他" },
        { NULL, NULL },
    };
    return s_label (reasons, reason, reason ? reason : "-");
}

/* 訪問, 電話, 面談, その他 for a note category. */
static const char *
s_note_category (const char *category)
{
    static const char *const categories[][2] = {
        { "visit", "訪問" },   { "call", "電話" }, { "meeting", "面談" },
        { "other", "その他" }, { NULL, NULL },
    };
    return s_label (categories, category, category ? category : "-");
}

const char *
ctl_text_overdue (const char *kind)
{
    if (kind && strcmp (kind, "received") == 0)
        return "⚠ 受付遅れ";
    if (kind && strcmp (kind, "accepted") == 0)
        return "⚠ 受理遅れ";
    return "";
}

void
ctl_text_duration (const json_t *ms, char out[32])
{
    if (!json_is_number (ms)) {
        snprintf (out, 32, "-");
        return;
    }
    double value = json_number_value (ms);
    if (value >= 86400000.0)
        snprintf (out, 32, "%.1f日", value / 86400000.0);
    else if (value >= 3600000.0)
        snprintf (out, 32, "%.1f時間", value / 3600000.0);
    else if (value >= 60000.0)
        snprintf (out, 32, "%.0f分", value / 60000.0);
    else
        snprintf (out, 32, "1分未満");
}

/* A growing string; ok turns false when memory runs out. */
typedef struct {
    char *data; /* the text (owned) */
    size_t len; /* bytes in use, without the NUL */
    size_t cap; /* bytes allocated */
    bool ok;    /* false after an allocation failure */
} s_buf_t;

static void s_add (s_buf_t *buf, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_add (s_buf_t *buf, const char *fmt, ...)
{
    if (!buf->ok)
        return;
    va_list args;
    va_start (args, fmt);
    int n = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    if (n < 0) {
        buf->ok = false;
        return;
    }
    if (buf->len + (size_t) n + 1 > buf->cap) {
        size_t cap = (buf->len + (size_t) n + 1) * 2;
        char *grown = realloc (buf->data, cap);
        if (!grown) {
            buf->ok = false;
            return;
        }
        buf->data = grown;
        buf->cap = cap;
    }
    va_start (args, fmt);
    vsnprintf (buf->data + buf->len, buf->cap - buf->len, fmt, args);
    va_end (args);
    buf->len += (size_t) n;
}

/* The first 8 characters of a referral id: enough to tell referrals of one case apart. */
static void
s_short_id (const json_t *event, char out[9])
{
    snprintf (out, 9, "%s", ctl_text_get (event, "referral_id", "-"));
}

/* lead and "from → to" with the Japanese labels of a timeline entry, when it has them. */
static void
s_change (s_buf_t *buf, const char *lead, const json_t *event)
{
    const char *to = ctl_text_get (event, "to_label", ctl_text_get (event, "to", NULL));
    if (!to)
        return;
    const char *from = ctl_text_get (event, "from_label", ctl_text_get (event, "from", NULL));
    if (from)
        s_add (buf, "%s%s → %s", lead, from, to);
    else
        s_add (buf, "%s→ %s", lead, to);
}

char *
ctl_text_event (const json_t *event)
{
    static const char *const labels[][2] = {
        { "opened", "ケース開始" },
        { "agency-joined", "機関参加" },
        { "referral", "紹介" },
        { "referral-status", "紹介の状態" },
        { "state", "状態変更" },
        { "meeting", "会議" },
        { "plan", "プラン" },
        { "note", "記録" },
        { "close", "終結" },
        { "reopen", "再開" },
        { "handover", "担当交代" },
        { "succession", "機関の承継" },
        { NULL, NULL },
    };
    s_buf_t buf = { NULL, 0, 0, true };
    const char *type = ctl_text_get (event, "type", "unknown");
    s_add (&buf, "%s (%s)", s_label (labels, type, "?"), type);
    char ref[9];
    if (strcmp (type, "agency-joined") == 0)
        s_add (&buf, ": %s", ctl_text_get (event, "agency", "-"));
    else if (strcmp (type, "referral") == 0) {
        s_short_id (event, ref);
        s_add (&buf, ": %s → %s", ref, ctl_text_get (event, "agency", "-"));
    }
    else if (strcmp (type, "referral-status") == 0) {
        s_short_id (event, ref);
        s_add (&buf, ": %s", ref);
        s_change (&buf, " ", event);
        const char *outcome = ctl_text_get (event, "outcome", NULL);
        if (outcome)
            s_add (&buf, " [%s]", outcome);
    }
    else if (strcmp (type, "meeting") == 0) {
        json_t *m = json_object_get (event, "meeting");
        const char *kind = ctl_text_get (m, "kind", NULL);
        char *attendees = ctl_text_join (json_object_get (m, "attendees"), ", ");
        s_add (&buf, ": %s %s 出席 %s", ctl_text_meeting_kind (kind),
               ctl_text_get (m, "held_on", "-"), attendees && *attendees ? attendees : "-");
        free (attendees);
        const char *decision = ctl_text_get (m, "decision", NULL);
        if (decision)
            s_add (&buf, " 決定 %s", decision);
    }
    else if (strcmp (type, "plan") == 0) {
        json_t *p = json_object_get (event, "plan");
        json_t *roles = json_object_get (p, "roles");
        s_add (&buf, ":");
        for (size_t i = 0; i < json_array_size (roles); i++) {
            json_t *r = json_array_get (roles, i);
            s_add (&buf, "%s %s=%s", i ? "," : "", ctl_text_get (r, "agency", "-"),
                   ctl_text_get (r, "role", "-"));
        }
        const char *review = ctl_text_get (p, "next_review_on", NULL);
        if (review)
            s_add (&buf, " 次回見直し %s", review);
    }
    else if (strcmp (type, "note") == 0) {
        json_t *n = json_object_get (event, "note");
        s_add (&buf, ": %s %s", s_note_category (ctl_text_get (n, "category", NULL)),
               ctl_text_get (n, "written_on", "-"));
    }
    else if (strcmp (type, "handover") == 0) {
        json_t *ho = json_object_get (event, "handover");
        const char *before = ctl_text_get (ho, "previous_staff_code", NULL);
        s_add (&buf, ": %s 発効 %s%s%s", ctl_text_get (ho, "effective_on", "-"),
               before ? before : "", before ? " → " : "", ctl_text_get (ho, "staff_code", "-"));
    }
    else if (strcmp (type, "succession") == 0) {
        json_t *su = json_object_get (event, "succession");
        s_add (&buf, ": %s → %s 発効 %s", ctl_text_get (su, "previous_agency", "-"),
               ctl_text_get (su, "agency", "-"), ctl_text_get (su, "effective_on", "-"));
        size_t renew = json_array_size (json_object_get (su, "consents_to_renew"));
        if (renew)
            s_add (&buf, " 同意の再取得 %zu 件", renew);
    }
    else if (strcmp (type, "close") == 0) {
        const char *reason = ctl_text_get (event, "close_reason", NULL);
        s_add (&buf, ": %s (%s)", ctl_text_close_reason (reason), reason ? reason : "-");
        s_change (&buf, " ", event);
    }
    else if (strcmp (type, "state") == 0 || strcmp (type, "reopen") == 0)
        s_change (&buf, ": ", event);
    if (json_is_true (json_object_get (event, "reason_given")))
        s_add (&buf, " 理由あり");
    if (json_is_true (json_object_get (event, "automatic")))
        s_add (&buf, " [自動]");
    if (!buf.ok) {
        free (buf.data);
        return NULL;
    }
    return buf.data;
}
