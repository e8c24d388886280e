/* The letter kinds this agency makes and takes, one table of operations each (core/kind.h).
 * The daemon hands them to the agency; nothing else names them. */
#ifndef AGENCY_LETTERS_LETTERS_H_INCLUDED
#define AGENCY_LETTERS_LETTERS_H_INCLUDED

#include "agency/core/kind.h"

extern const agency_kind_t agency_kind_referral;       /* referral.c */
extern const agency_kind_t agency_kind_status;         /* referral_status.c */
extern const agency_kind_t agency_kind_case_event;     /* case_event.c */
extern const agency_kind_t agency_kind_consent_grant;  /* consent_grant.c */
extern const agency_kind_t agency_kind_consent_revoke; /* consent_revoke.c */

#endif
