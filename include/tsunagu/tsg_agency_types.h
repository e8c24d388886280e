/* The four agency types and their rules, as one table of data shared by the agency daemons
 * (tags, intake fields, due days) and the coordinator (the statutory meeting of each type, the
 * abuse report it may file): one source of truth for every rule that depends on the type. */
#ifndef TSG_AGENCY_TYPES_H_INCLUDED
#define TSG_AGENCY_TYPES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "tsunagu.pb-c.h"

/* What a required intake field of the つなぐシート must hold. */
typedef enum {
    TSG_INTAKE_TEXT,    /* a non-empty string */
    TSG_INTAKE_INTEGER, /* an integer in [min, max] */
} tsg_intake_kind_t;

/* One required intake field: the member at path under the sheet ("child.age" is
 * sheet.child.age), or, when alternative is given, that member instead. */
typedef struct {
    const char *path;        /* dotted member path under the sheet; NULL ends a list */
    const char *alternative; /* another path that satisfies the rule instead, or NULL */
    tsg_intake_kind_t kind;  /* what it must hold */
    int min;                 /* integer: the smallest value allowed */
    int max;                 /* integer: the largest value allowed */
} tsg_intake_field_t;

/* One agency type's built-in policy.  The four entries are data in one table
 * (services/common/agency_types.c), read by the agency daemons and by the coordinator:
 * nothing else depends on the type. */
typedef struct {
    const char *type;              /* "eldercare", "disability", "child", "poverty" */
    const char *name_ja;           /* the kind of body, in Japanese */
    const char *name_en;           /* the same in English */
    int response_due_days;         /* the type's default response due days (the registry, as
                                      the directory publishes it, decides referrals' dates) */
    const char *const *tags;       /* typical issue tags, NULL-terminated */
    const char *statutory_meeting; /* the meeting that may share without consent */
    const char *mandatory_report;  /* the report that overrides consent, or NULL */
    const char *mandatory_report_law; /* the article behind it (児童虐待防止法 第6条), "" if none */
    const tsg_intake_field_t *intake; /* required intake fields of the type's referrals,
                                         ended by an entry whose path is NULL */
    bool may_send_emergency;          /* may send abuse reports (legal basis emergency) */
    Tsunagu__V1__MeetingKind meeting; /* the statutory meeting's kind on the wire */
    const char *meeting_name;         /* its name in JSON: "chiiki-care", ... */
    const char *meeting_ja;           /* its Japanese name: 地域ケア会議, ... */
    const char *meeting_law;          /* the article behind it (介護保険法 第115条の48) */
} tsg_agency_policy_t;

/* The policy of type, or NULL for an unknown type. */
const tsg_agency_policy_t *tsg_agency_policy_find (const char *type);

/* The whole table (count entries), in a fixed order. */
const tsg_agency_policy_t *tsg_agency_policy_table (size_t *count);

/* Number of tags in a policy. */
size_t tsg_agency_policy_tag_count (const tsg_agency_policy_t *policy);

/* Number of required intake fields in a policy. */
size_t tsg_agency_policy_intake_count (const tsg_agency_policy_t *policy);

/* The policy whose statutory meeting is kind, or NULL (支援会議 of 社会福祉法 第106条の6,
 * 重層的支援会議 and コア会議 belong to no type). */
const tsg_agency_policy_t *tsg_agency_policy_of_meeting (Tsunagu__V1__MeetingKind kind);

/* The article behind the abuse report an agency of type may file ("児童虐待防止法 第6条"), or ""
 * when the type files none or is unknown. */
const char *tsg_agency_report_law (const char *type);

#endif
