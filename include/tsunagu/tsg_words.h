/* The coded words letters carry in cleartext beside the states (tsg_states.h): why a case
 * closed, what a meeting decided, what kind of note was written.  Checked the same way by the
 * agency daemons, the coordinator and tsunaguctl; proto/README.md lists them. */
#ifndef TSG_WORDS_H_INCLUDED
#define TSG_WORDS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "tsunagu/tsg_cleartext.h"

/* True when code is in set, a NULL-terminated list. */
bool tsg_word_in (const char *code, const char *const set[]);

/* close_reason: goal-achieved, moved-away, died, declined, transferred, other. */
extern const char *const tsg_close_reasons[];
bool tsg_close_reason_ok (const char *code);

/* A meeting's decision: plan-adopted, continue, escalate, close, other. */
extern const char *const tsg_meeting_decisions[];
bool tsg_meeting_decision_ok (const char *code);

/* A note's category: visit, call, meeting, other. */
extern const char *const tsg_note_categories[];
bool tsg_note_category_ok (const char *code);

/* A staff code (担当者コード) of a hand-over: the pseudonym an agency's own system gives a
 * member of its staff ("S-0123"), never a name.  At most TSG_STAFF_CODE_MAX bytes, checked
 * as a pseudonymous id by the cleartext check (tsg_cleartext.h: consent subject ids), so a
 * name in kana or kanji, a romanized name, a phone number or a date is refused as personal
 * data.  Returns TSG_CLEARTEXT_OK, or the verdict with a short English reason in why
 * (TSG_CLEARTEXT_WHY_SIZE is enough). */
#define TSG_STAFF_CODE_MAX 32
tsg_cleartext_verdict_t tsg_staff_code_check (const char *code, char *why, size_t size);

/* The Japanese words people read for a letter's urgency (通常, 高, 緊急) and for its legal basis
 * (同意, 支援会議, 法定会議, 緊急, 個人情報なし), from their wire names: the dashboard, the CSV
 * exports and the spreadsheet import (which reads them back) use these.  NULL when code is
 * not one of them. */
const char *tsg_urgency_label_ja (const char *code);
const char *tsg_legal_basis_label_ja (const char *code);

/* The wire names of the urgencies and of the legal bases, in order. */
extern const char *const tsg_urgency_names[];
extern const char *const tsg_legal_basis_names[];

#endif
