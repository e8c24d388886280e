/* The legal basis of a case event's personal parts (a written reason, the minutes, the plan's
 * content, a note's text), decided against this agency's type, the case's copy and the
 * consents known here, and whom they may be sealed to. */
#ifndef AGENCY_LETTERS_CASE_EVENT_LEGAL_H_INCLUDED
#define AGENCY_LETTERS_CASE_EVENT_LEGAL_H_INCLUDED

#include <jansson.h>

#include "agency/core/agency.h"
#include "agency/letters/case_event_request.h"

/* What lets an event's personal parts go, and to whom. */
typedef struct {
    Tsunagu__V1__LegalBasis basis; /* none when nothing personal travels */
    const char *consent_id;        /* consent: the consent (borrowed) */
    json_t *categories;            /* the data categories (owned) */
    json_t *roster;                /* a meeting's attendees to seal to only (owned), or NULL */
    json_t *consent;               /* consent: its record when known here (owned), or NULL */
} agency_event_legal_t;

/* The basis asked for, else: a 支援会議 → support-meeting, the type's own statutory meeting →
 * statutory-meeting, a 重層的支援会議 → consent, any event on a case whose latest roster is a
 * 支援会議 with this agency on it → support-meeting.  0 with *legal filled (clear it), or the
 * HTTP status (400 a missing piece, 422 the law does not let it go) with *reply. */
int agency_event_legal (tsg_agency_t *self, const agency_event_request_t *req, const json_t *record,
                        agency_event_legal_t *legal, json_t **reply);

/* Releases what legal holds; safe twice. */
void agency_event_legal_clear (agency_event_legal_t *legal);

#endif
