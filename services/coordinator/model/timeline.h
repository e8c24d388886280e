/* A case's timeline (CASE_EVENTS): every change with who, when, what and its metadata.  Bodies
 * (reasons, minutes, plan text, notes) never come here: the coordinator cannot read them. */
#ifndef TSG_HUB_TIMELINE_H_INCLUDED
#define TSG_HUB_TIMELINE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/cases.h"

/* What happened.  The values from STATE on are Tsunagu__V1__CaseEventType + 4. */
typedef enum {
    TSG_HUB_EV_OPENED = 1,          /* the case began with a referral */
    TSG_HUB_EV_JOINED = 2,          /* an agency joined the case */
    TSG_HUB_EV_REFERRAL = 3,        /* a referral was made on the case */
    TSG_HUB_EV_REFERRAL_STATUS = 4, /* one of its referrals changed state */
    TSG_HUB_EV_STATE = 5,           /* the case changed state */
    TSG_HUB_EV_MEETING = 6,         /* a meeting was held */
    TSG_HUB_EV_PLAN = 7,            /* a plan was adopted */
    TSG_HUB_EV_NOTE = 8,            /* a progress note was written */
    TSG_HUB_EV_CLOSE = 9,           /* the case was closed */
    TSG_HUB_EV_REOPEN = 10,         /* the case was reopened */
    TSG_HUB_EV_HANDOVER = 11,   /* an agency's staff member on the case changed (担当交代) */
    TSG_HUB_EV_SUCCESSION = 12, /* an agency was succeeded by another (組織改編) */
} tsg_hub_event_type_t;

/* The timeline type of a case event type (0 for an unknown one). */
tsg_hub_event_type_t tsg_hub_event_type_of (Tsunagu__V1__CaseEventType type);

/* "opened", "agency-joined", "referral", "referral-status", "state", "meeting", "plan",
 * "note", "close", "reopen", "handover", "succession"; "unknown" otherwise. */
const char *tsg_hub_event_type_name (tsg_hub_event_type_t type);

/* One timeline entry. */
typedef struct {
    uint64_t n;                           /* its place in the timeline, from 1 */
    uint64_t at_ms;                       /* when the coordinator recorded it */
    uint64_t version;                     /* the case version after it */
    tsg_hub_event_type_t type;            /* what happened */
    char by[TSG_ID_MAX + 1];              /* who: an agency id or "coordinator" */
    char agency[TSG_ID_MAX + 1];          /* JOINED: who joined; REFERRAL: the recipient */
    char referral_id[TSG_UUID_TEXT_SIZE]; /* REFERRAL, REFERRAL_STATUS */
    char from[TSG_HUB_CODE_MAX];          /* state before (case or referral state name) */
    char to[TSG_HUB_CODE_MAX];            /* state after */
    char outcome[TSG_HUB_CODE_MAX];       /* REFERRAL_STATUS: completed / failed outcome */
    bool reason_given;                    /* the sender put a reason in the (sealed) body */
    bool automatic;                       /* made by the coordinator's own rules */
    char message_id[33];                  /* hex id of the letter that caused it ("" if none) */
    Tsunagu__V1__CaseEvent *detail;       /* case events: the cleartext metadata (owned) */
} tsg_hub_event_t;

/* Appends ev (its n is set here) to case c's timeline and counts it in c->events; the caller
 * writes c afterwards.  detail, when non-NULL, is stored as sent (it holds no personal data). */
void tsg_hub_timeline_append (tsg_txn_t *txn, tsg_hub_case_t *c, tsg_hub_event_t *ev,
                              const Tsunagu__V1__CaseEvent *detail);

/* Called for each entry, oldest first; ev (and ev->detail) are valid only during the call.
 * Return false to stop. */
typedef bool (tsg_hub_event_fn) (void *arg, const tsg_hub_event_t *ev);

/* Calls fn for the timeline of case_id from entry n = from (1 for all). */
void tsg_hub_timeline_scan (tsg_txn_t *txn, const char *case_id, uint64_t from,
                            tsg_hub_event_fn *fn, void *arg);

#endif
