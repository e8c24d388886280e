/* The rules of a case event, apart from storage: what a CASE_EVENT must look like, who may send
 * it, whether its state change is legal, and what it does to the case record. */
#ifndef TSG_HUB_CASE_RULES_H_INCLUDED
#define TSG_HUB_CASE_RULES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "coordinator/model/cases.h"
#include "coordinator/model/directory.h"

/* Checks a CASE_EVENT letter from sender (an agency, or "coordinator" for the coordinator's
 * staff) against case c as stored: sender on the case (ERROR_NOT_PERMITTED), base_version
 * equal to the case's version (ERROR_STALE_VERSION), the event's shape (ERROR_MALFORMED), the
 * state change (ERROR_ILLEGAL_TRANSITION, with the shared table's sentence), attendees and
 * plan agencies registered in directory and sealed bodies only for other agencies on the
 * case (ERROR_NOT_PERMITTED), plan role labels that do not look like personal data
 * (ERROR_PERSONAL_DATA, the detail naming plan.roles[i].role: tsg_cleartext.h), a hand-over
 * from an agency (not the coordinator: ERROR_NOT_PERMITTED) with staff codes that are
 * pseudonyms (ERROR_PERSONAL_DATA naming handover.staff_code: tsg_staff_code_check) and a
 * date, a succession from the coordinator only (ERROR_NOT_PERMITTED) naming an agency on the
 * case and another registered one.  Returns 0
 * when it may be applied, else the code with an English sentence in detail.  Changes
 * nothing. */
Tsunagu__V1__ErrorCode tsg_hub_case_event_check (const tsg_hub_case_t *c,
                                                 const tsg_hub_directory_t *directory,
                                                 const char *sender, const tsg_letter_t *letter,
                                                 char *detail, size_t size);

/* Checks the sealed bodies of a fan-out letter (CASE_EVENT, CONSENT_*) from sender about case
 * c (NULL: a case not opened yet, so no agency to seal to): each with a recipient id and a box,
 * addressed to another agency on the case, none twice, at most one per agency on a case.
 * Returns 0, or ERROR_MALFORMED / ERROR_NOT_PERMITTED with an English sentence in detail. */
Tsunagu__V1__ErrorCode tsg_hub_sealed_bodies_check (const tsg_hub_case_t *c, const char *sender,
                                                    const tsg_letter_t *letter, char *detail,
                                                    size_t size);

/* True when letter carries a sealed body for agency. */
bool tsg_hub_sealed_body_for (const tsg_letter_t *letter, const char *agency);

/* What applying an event did, for the counters. */
typedef struct {
    tsg_case_state_t from; /* the state before */
    bool first_plan;       /* the case's first plan was adopted */
    bool closed;           /* the case was closed */
    bool reopened;         /* the case was reopened */
    bool handed_over;      /* an agency's staff on the case changed (担当交代) */
} tsg_hub_case_effect_t;

/* Applies a checked event from `by` to c at now_ms: state, close reason, roster, roles, next
 * review, plan and closure times, reopen count; a hand-over marks the case handed over (with
 * its day and agency) until a meeting or a plan event reviews it; a succession puts the
 * successor in the previous agency's place (tsg_hub_case_succeed).  Leaves version, timeline
 * and store to the caller. */
void tsg_hub_case_event_apply (tsg_hub_case_t *c, const Tsunagu__V1__CaseEvent *ev, const char *by,
                               uint64_t now_ms, tsg_hub_case_effect_t *effect);

/* A copy of a checked event's known fields only (strings borrowed from the original), so
 * that nothing unknown an agency put in it reaches the timeline. */
typedef struct {
    Tsunagu__V1__CaseEvent event;                             /* the copy */
    Tsunagu__V1__Meeting meeting;                             /* its meeting */
    Tsunagu__V1__Plan plan;                                   /* its plan */
    Tsunagu__V1__Note note;                                   /* its note */
    Tsunagu__V1__Handover handover;                           /* its hand-over */
    Tsunagu__V1__Succession succession;                       /* its succession */
    Tsunagu__V1__PlanRole roles[TSG_HUB_CASE_ROLES_MAX];      /* the plan's roles */
    Tsunagu__V1__PlanRole *role_ptrs[TSG_HUB_CASE_ROLES_MAX]; /* pointers to them */
} tsg_hub_case_event_copy_t;

void tsg_hub_case_event_copy (tsg_hub_case_event_copy_t *out, const Tsunagu__V1__CaseEvent *ev);

#endif
