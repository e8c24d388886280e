/* The body of POST /v1/cases/{id}/events, parsed and checked before anything else is looked
 * at: the event's type and its part (meeting, plan, note or handover), the basis it names. */
#ifndef AGENCY_LETTERS_CASE_EVENT_REQUEST_H_INCLUDED
#define AGENCY_LETTERS_CASE_EVENT_REQUEST_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_words.h"
#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_states.h"

#define AGENCY_CASE_TEXT_MAX (64 * 1024) /* bytes of minutes, plan content or note text */
#define EVENT_REASON_MAX     2000        /* bytes of a reason */
#define EVENT_LIST_MAX       64          /* attendees or plan roles */
#define EVENT_LABEL_MAX      64          /* bytes of a plan role's label */

/* A validated request; the strings are borrowed from root. */
typedef struct {
    json_t *root;                            /* the parsed body */
    Tsunagu__V1__CaseEventType type;         /* what happened */
    uint64_t base_version;                   /* 0 when absent */
    tsg_case_state_t state;                  /* state: the state asked for */
    const char *reason;                      /* NULL when absent */
    const char *close_reason;                /* close: the code */
    Tsunagu__V1__MeetingKind meeting_kind;   /* meeting */
    const char *held_on;                     /* meeting: YYYY-MM-DD */
    const char *attendees[EVENT_LIST_MAX];   /* meeting: agency ids */
    size_t n_attendees;                      /* how many */
    const char *decision;                    /* meeting: a code, or NULL */
    const char *minutes;                     /* meeting: personal text, or NULL */
    const char *role_agency[EVENT_LIST_MAX]; /* plan: agency ids */
    const char *role_label[EVENT_LIST_MAX];  /* plan: their roles */
    size_t n_roles;                          /* how many */
    const char *next_review_on;              /* plan: YYYY-MM-DD, or NULL */
    json_t *plan_content;                    /* plan: personal content, or NULL (borrowed) */
    const char *category;                    /* note */
    const char *written_on;                  /* note: YYYY-MM-DD */
    const char *text;                        /* note, handover: personal text, or NULL */
    const char *staff_code;                  /* handover: the new person's staff code */
    const char *previous_staff_code;         /* handover: the one before, or NULL */
    const char *effective_on;                /* handover: YYYY-MM-DD */
    Tsunagu__V1__LegalBasis legal_basis;     /* unspecified when absent (then decided) */
    const char *consent_id;                  /* NULL when absent */
    json_t *data_categories;                 /* NULL when absent (then free-text) */
} agency_event_request_t;

/* Parses body: 0 with *req filled (release req->root), or with *reply set 400 (invalid), or
 * 422 (personal_data) when the only problems are cleartext labels that look like personal
 * data. */
int agency_event_parse (const char *body, size_t len, agency_event_request_t *req, json_t **reply);

#endif
