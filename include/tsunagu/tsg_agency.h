/* The agency core shared by the four agency daemons: the policy table, the configuration
 * and the daemon's life cycle (open the store, connect, serve the HTTP API, run the loop).
 *
 *     tsg_agency_config_t *config = tsg_agency_config_load (path, "eldercare");
 *     if (config->errors > 0) ... fputs (config->report, stderr) ...
 *     tsg_agency_t *agency = tsg_agency_new (&config, err, sizeof err);  // store; no sockets
 *     tsg_agency_start (agency);    // the DEALER and the HTTP listener
 *     tsg_agency_run (agency);      // until tsg_agency_stop (), e.g. from a signal handler
 *     tsg_agency_destroy (&agency); // closes, wipes the keys
 */
#ifndef TSG_AGENCY_H_INCLUDED
#define TSG_AGENCY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsunagu/tsg_keys.h"
#include "tsunagu/tsg_wire.h"

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
 * (services/agency/policy.c); nothing else in the core depends on the type. */
typedef struct {
    const char *type;                 /* "eldercare", "disability", "child", "poverty" */
    const char *name_ja;              /* the kind of body, in Japanese */
    const char *name_en;              /* the same in English */
    int response_due_days;            /* the type's default response due days (the registry, as
                                         the directory publishes it, decides referrals' dates) */
    const char *const *tags;          /* typical issue tags, NULL-terminated */
    const char *statutory_meeting;    /* the meeting that may share without consent */
    const char *mandatory_report;     /* the report that overrides consent, or NULL */
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

/* An agency daemon's configuration, as read from agency.conf (docs/configuration.md).
 * Tests may fill one by hand: the strings are malloc'd and the keys owned. */
typedef struct {
    char *path;                   /* the file it came from, for messages (may be NULL) */
    char *id;                     /* [agency] id */
    char *type;                   /* [agency] type */
    char *name;                   /* [agency] name */
    char *data_dir;               /* [agency] data_dir, resolved */
    size_t map_size;              /* [agency] map_size_mb, in bytes */
    size_t map_max;               /* [agency] map_max_mb: the store grows to this when full */
    size_t outbox_limit;          /* [agency] outbox_limit: letters waiting to be sent before
                                     new work is refused (503 outbox_full); 0: no limit */
    uint64_t seen_days;           /* [retention] seen_days: message ids of forwarded letters
                                     remembered (dedup) */
    tsg_keys_t *keys;             /* loaded from [agency] keys */
    char *endpoint;               /* [coordinator] endpoint */
    uint8_t coordinator_box[32];  /* [coordinator] box_public */
    uint8_t coordinator_sign[32]; /* [coordinator] sign_public */
    char *http_host;              /* [http] listen, the address part */
    int http_port;                /* [http] listen, the port part */
    uint8_t token_sha256[32];     /* [http] token_sha256 */
    int response_due_days;        /* [policy] response_due_days: the due date shown for a
                                     received referral whose header has none */
    int errors;                   /* problems found while loading */
    char *report;                 /* every problem as "file:line: message\n" lines */
} tsg_agency_config_t;

/* Loads and checks path for a daemon of type.  Never NULL except on allocation failure:
 * every problem (unknown keys, bad values, a key file that is not 0600, another agency
 * type) is counted in errors and described in report. */
tsg_agency_config_t *tsg_agency_config_load (const char *path, const char *type);

/* A configuration with no values, for tests to fill. */
tsg_agency_config_t *tsg_agency_config_new (void);

/* Frees, wiping the keys; safe on NULL and twice. */
void tsg_agency_config_destroy (tsg_agency_config_t **self_p);

typedef struct _tsg_agency_t tsg_agency_t;

/* Opens the store in config->data_dir and restores the state (sequence counter,
 * outbox, directory).  Takes ownership of *config_p and sets it to NULL, even on
 * failure.  Opens no socket.  NULL with a sentence in err on failure. */
tsg_agency_t *tsg_agency_new (tsg_agency_config_t **config_p, char *err, size_t err_size);

/* Connects the DEALER to the coordinator and starts the HTTP listener.
 * TSG_OK, or a TSG_ERR_* with the reason logged. */
int tsg_agency_start (tsg_agency_t *self);

/* Runs the loop until tsg_agency_stop; every batch in hand is finished first.
 * Returns 0 after a clean stop. */
int tsg_agency_run (tsg_agency_t *self);

/* Asks every running loop to stop; async-signal-safe. */
void tsg_agency_stop (void);

/* Closes sockets and the store, wipes the keys; safe on NULL and twice. */
void tsg_agency_destroy (tsg_agency_t **self_p);

/* The common command line of the four daemons (--help, --version, -c, -n, -v).
 * Returns -1 when the daemon should go on, else the exit code (0 for --help or
 * --version, 1 for a usage error).  config_path gets the file to load. */
typedef struct {
    const char *config_path; /* -c FILE, or the built-in default */
    bool check_only;         /* -n */
    bool verbose;            /* -v */
} tsg_agency_options_t;

int tsg_agency_options (int argc, char *argv[], const char *type, tsg_agency_options_t *out);

/* Installs the SIGINT/SIGTERM handlers that call tsg_agency_stop, and ignores SIGPIPE. */
void tsg_agency_signals (void);

/* The whole life of an agency daemon of `type` ("eldercare", ...): options, configuration
 * (refusing one of another type), start, run until SIGINT/SIGTERM, clean shutdown.  Returns the
 * process exit code.  Each daemon's main is this one call. */
int tsg_agency_main (int argc, char *argv[], const char *type);

#endif
