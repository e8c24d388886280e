/* The agency core shared by the four agency daemons: the configuration
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

#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_keys.h"
#include "tsunagu/tsg_wire.h"

#define TSG_WEBHOOK_NAME_MAX   32 /* bytes of a [webhook.NAME] name, without its NUL */
#define TSG_WEBHOOK_SECRET_MIN 24 /* bytes of a decoded secret (Standard Webhooks) */
#define TSG_WEBHOOK_SECRET_MAX 64

/* One [webhook.NAME] section: where the agency's events are pushed (daemon/webhooks.h). */
typedef struct {
    char name[TSG_WEBHOOK_NAME_MAX + 1];    /* NAME: [a-z0-9_-], 1..32 */
    char *url;                              /* url: http:// or https:// */
    uint8_t secret[TSG_WEBHOOK_SECRET_MAX]; /* secret_file's "whsec_" + base64, decoded */
    size_t secret_len;                      /* its length */
    char *events;                           /* events: NULL for "*", else ",type,type," */
    char *ca_file;                          /* ca_file (HTTPS), resolved, or NULL */
    char *client_cert;                      /* client_cert (HTTPS), resolved, or NULL */
    char *client_key;                       /* client_key (HTTPS), resolved, or NULL */
    int max_attempts_days;                  /* max_attempts_days: parked after this long failing */
} tsg_agency_webhook_t;

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
    uint64_t events_keep;         /* [retention] events_keep: events of the feed kept at least,
                                     whatever their age (0: AGENCY_EVENTS_KEEP) */
    uint64_t events_days;         /* [retention] events_days: ... and days of them kept */
    tsg_keys_t *keys;             /* loaded from [agency] keys */
    char *endpoint;               /* [coordinator] endpoint */
    uint8_t coordinator_box[32];  /* [coordinator] box_public */
    uint8_t coordinator_sign[32]; /* [coordinator] sign_public */
    char *http_host;              /* [http] listen, the address part */
    int http_port;                /* [http] listen, the port part */
    uint8_t token_sha256[32];     /* [http] token_sha256 */
    char *mappings_dir;           /* [import] mappings: the folder of the spreadsheet import's
                                     mapping files (NAME.conf), resolved; default
                                     import-mappings beside the configuration */
    int response_due_days;        /* [policy] response_due_days: the due date shown for a
                                     received referral whose header has none */
    int errors;                   /* problems found while loading */
    char *report;                 /* every problem as "file:line: message\n" lines */

    tsg_agency_webhook_t *webhooks; /* the [webhook.NAME] sections, in file order */
    size_t webhook_count;           /* how many */
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
    const char *backup_dir;  /* --backup DIR: copy the store there and exit (NULL: not asked) */
    const char *restore_dir; /* --restore DIR: put that backup's store in place and exit */
} tsg_agency_options_t;

int tsg_agency_options (int argc, char *argv[], const char *type, tsg_agency_options_t *out);

/* Installs the SIGINT/SIGTERM handlers that call tsg_agency_stop, and ignores SIGPIPE. */
void tsg_agency_signals (void);

/* The whole life of an agency daemon of `type` ("eldercare", ...): options, configuration
 * (refusing one of another type), start, run until SIGINT/SIGTERM, clean shutdown.  Returns the
 * process exit code.  Each daemon's main is this one call. */
int tsg_agency_main (int argc, char *argv[], const char *type);

#endif
