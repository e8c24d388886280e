/* words.c — the coded words of case events (tsg_words.h). */
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
