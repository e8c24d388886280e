/* The dashboard's words for the codes the coordinator keeps: case and referral states, agency
 * types, close reasons, meeting kinds and decisions, in Japanese (as the field says them) and
 * English.  A code the table does not know is shown as the code itself. */
#ifndef TSG_HUB_WEB_LABELS_H_INCLUDED
#define TSG_HUB_WEB_LABELS_H_INCLUDED

#include <stdbool.h>

/* The label of code among the kind's words, in English when en; code itself when unknown
 * (NULL for NULL). */
typedef enum {
    WEB_WORD_CASE_STATE,     /* open, multi-agency, ... closed */
    WEB_WORD_REF_STATE,      /* requested, received, ... */
    WEB_WORD_AGENCY_TYPE,    /* eldercare, disability, child, poverty */
    WEB_WORD_CLOSE_REASON,   /* goal-achieved, moved-away, ... */
    WEB_WORD_MEETING,        /* shien, jusoteki, core, ... */
    WEB_WORD_DECISION,       /* plan-adopted, continue, ... */
    WEB_WORD_EVENT,          /* state, meeting, plan, note, close, reopen, referral, ... */
    WEB_WORD_AGENCY_STATUS,  /* active, suspended, revoked */
    WEB_WORD_TIME_FIGURE,    /* to_received, to_accepted, to_plan, to_closure */
    WEB_WORD_URGENCY,        /* normal, high, emergency */
    WEB_WORD_CONSENT_STATUS, /* active, expired, pending, revoked, ... */
    WEB_WORD_KINDS           /* how many kinds there are */
} web_word_kind_t;

const char *web_word (web_word_kind_t kind, const char *code, bool en);

/* The codes of a kind, in display order, NULL-terminated. */
const char *const *web_words (web_word_kind_t kind);

#endif
