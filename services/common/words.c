/* words.c — the coded words of case events, and the Japanese words of urgency and legal basis
 * (tsg_words.h). */
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsg_words.h"

const char *const tsg_close_reasons[] = { "goal-achieved", "moved-away", "died", "declined",
                                          "transferred",   "other",      NULL };
const char *const tsg_meeting_decisions[] = { "plan-adopted", "continue", "escalate",
                                              "close",        "other",    NULL };
const char *const tsg_note_categories[] = { "visit", "call", "meeting", "other", NULL };

bool
tsg_word_in (const char *code, const char *const set[])
{
    for (size_t i = 0; code && set[i]; i++)
        if (strcmp (code, set[i]) == 0)
            return true;
    return false;
}

bool
tsg_close_reason_ok (const char *code)
{
    return tsg_word_in (code, tsg_close_reasons);
}

bool
tsg_meeting_decision_ok (const char *code)
{
    return tsg_word_in (code, tsg_meeting_decisions);
}

bool
tsg_note_category_ok (const char *code)
{
    return tsg_word_in (code, tsg_note_categories);
}

tsg_cleartext_verdict_t
tsg_staff_code_check (const char *code, char *why, size_t size)
{
    if (code && strlen (code) > TSG_STAFF_CODE_MAX) {
        if (why && size > 0)
            snprintf (why, size, "is longer than %d bytes", TSG_STAFF_CODE_MAX);
        return TSG_CLEARTEXT_MALFORMED;
    }
    return tsg_cleartext_check (TSG_CLEARTEXT_SUBJECT, code, why, size);
}

const char *const tsg_urgency_names[] = { "normal", "high", "emergency", NULL };
static const char *const s_urgency_ja[] = { "通常", "高", "緊急", NULL };

const char *const tsg_legal_basis_names[] = {
    "consent", "support-meeting", "statutory-meeting", "emergency", "none", NULL
};
static const char *const s_legal_basis_ja[] = { "同意", "支援会議",     "法定会議",
                                                "緊急", "個人情報なし", NULL };

/* The word of list_ja at code's place in names, or NULL. */
static const char *
s_label (const char *code, const char *const names[], const char *const list_ja[])
{
    for (size_t i = 0; code && names[i]; i++)
        if (strcmp (code, names[i]) == 0)
            return list_ja[i];
    return NULL;
}

const char *
tsg_urgency_label_ja (const char *code)
{
    return s_label (code, tsg_urgency_names, s_urgency_ja);
}

const char *
tsg_legal_basis_label_ja (const char *code)
{
    return s_label (code, tsg_legal_basis_names, s_legal_basis_ja);
}
