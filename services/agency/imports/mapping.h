/* The mapping of a spreadsheet's columns onto a referral (the つなぐシート and its letter), for
 * POST /v1/imports/referrals (docs/import.md).  The built-in part maps the standard Japanese
 * headers every export has (世帯ID, 紹介元, 紹介先, 緊急度, 氏名, フリガナ, 生年月日, 住所, 電話,
 * 課題タグ, 概要, 続柄); a mapping file, written by the administrator and kept on the daemon's
 * host, adds what an office's own export carries or lacks:
 *
 *     # a line: KEY = VALUE; '#' starts a comment; UTF-8
 *     [columns]            header = target (a header named here again replaces the built-in)
 *     要介護度 = sheet.eldercare.care_insurance
 *     [defaults]           target = value, for a row whose cell is empty or whose file has no
 *     legal_basis = consent  such column
 *     [row H003]           target = value for the row whose household (世帯ID) is H003 only,
 *     sheet.child.age = 3    after its cells and before the defaults
 *
 * A target is one of the names of agency_import_target_t or sheet.PATH (dotted, a number is
 * an index into a list: sheet.members.0.name).  Parsing changes nothing and names the line of
 * every problem. */
#ifndef AGENCY_IMPORTS_MAPPING_H_INCLUDED
#define AGENCY_IMPORTS_MAPPING_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define AGENCY_IMPORT_MAPPING_MAX (64 * 1024) /* bytes of a mapping file */
#define AGENCY_IMPORT_ITEMS_MAX   4096        /* lines of values in one */
#define AGENCY_IMPORT_NAME_MAX    64          /* a mapping's name: [a-z0-9_-], no dots */

/* What a column or a value fills. */
typedef enum {
    IMPORT_IGNORE,          /* nothing: the column is read and dropped on purpose */
    IMPORT_HOUSEHOLD,       /* the household's id: sheet.household_id, the row key, the
                               consent's subject */
    IMPORT_FROM,            /* the sender (a type or an agency id): other senders' rows are
                               skipped */
    IMPORT_TO,              /* the recipient: an agency id, or an agency type */
    IMPORT_URGENCY,         /* normal / high / emergency (通常, 至急, 緊急) */
    IMPORT_TAGS,            /* a list: 介護・8050 */
    IMPORT_LEGAL_BASIS,     /* consent / support-meeting / statutory-meeting / emergency / none */
    IMPORT_CONSENT_ID,      /* a consent registered before */
    IMPORT_CASE_ID,         /* the case it belongs to */
    IMPORT_DATA_CATEGORIES, /* a list; by default what the filled fields hold */
    IMPORT_CONSENT_METHOD,  /* written / verbal: with legal basis consent and no consent id,
                               a consent is registered for the row */
    IMPORT_CONSENT_PURPOSE, /* referral (default), case-conference, support-plan, other */
    IMPORT_CONSENT_FROM,    /* a date: valid from (default today) */
    IMPORT_CONSENT_UNTIL,   /* a date: valid until */
    IMPORT_CONSENT_DAYS,    /* days it is valid from today, when no valid_until */
    IMPORT_CONSENT_SUBJECT, /* its pseudonymous subject (default: the household's id + "-1") */
    IMPORT_CONSENT_FORM,    /* the signed form's SHA-256 (a written consent needs it) */
    IMPORT_SHEET,           /* a member of the sheet at a path */
    IMPORT_TARGET_COUNT
} agency_import_target_t;

/* How a cell is read. */
typedef enum {
    IMPORT_AS_TEXT, /* as it is, spaces at both ends trimmed */
    IMPORT_AS_DATE, /* a date: 1943-04-12, 1943/4/12, 1943年4月12日, 昭和18年4月12日, S18.4.12 */
    IMPORT_AS_INTEGER, /* digits (full-width ones too) */
} agency_import_as_t;

/* Where one value goes. */
typedef struct {
    agency_import_target_t target;
    char *path;            /* IMPORT_SHEET: the path under the sheet ("members.0.name") */
    agency_import_as_t as; /* how its text is read */
} agency_import_place_t;

/* A column: its header and where its cells go. */
typedef struct {
    char *header;
    agency_import_place_t place;
    bool builtin; /* one of the standard headers */
} agency_import_column_t;

/* A value given in the mapping ([defaults] or [row KEY]). */
typedef struct {
    agency_import_place_t place;
    char *text;
} agency_import_value_t;

/* The values of one [row KEY] section. */
typedef struct {
    char *household;
    agency_import_value_t *values;
    size_t count;
} agency_import_row_t;

typedef struct {
    char *name; /* the file's name without .conf, or NULL: the built-in mapping alone */
    agency_import_column_t *columns;
    size_t column_count;
    agency_import_value_t *defaults;
    size_t default_count;
    agency_import_row_t *rows;
    size_t row_count;
} agency_import_mapping_t;

/* The built-in mapping, then the file text[0..len) (NULL: none) over it.  0, or -1 with the
 * line and what is wrong in why; *out is then empty. */
int agency_import_mapping_parse (const char *name, const char *text, size_t len,
                                 agency_import_mapping_t *out, char *why, size_t why_size);

/* Reads DIR/NAME.conf (name: 1..64 of [a-z0-9_-]) and parses it.  0; 1 when there is no such
 * mapping; -1 with why when it cannot be read or parsed. */
int agency_import_mapping_load (const char *dir, const char *name, agency_import_mapping_t *out,
                                char *why, size_t why_size);

void agency_import_mapping_clear (agency_import_mapping_t *self);

/* The column whose place is the target (with path for IMPORT_SHEET), or NULL. */
const agency_import_column_t *agency_import_column_for (const agency_import_mapping_t *self,
                                                        agency_import_target_t target,
                                                        const char *path);

/* The target's name as a mapping writes it ("legal_basis", "consent.method", "sheet"). */
const char *agency_import_target_name (agency_import_target_t target);

/* True when name is a mapping's name: 1..64 of [a-z0-9_-]. */
bool agency_import_name_valid (const char *name);

#endif
