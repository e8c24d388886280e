/* tsunaguctl's internal interface: the coordinator site it works on, agency bundles,
 * tokens, and the subcommands main.c dispatches to. */
#ifndef TSG_CTL_H_INCLUDED
#define TSG_CTL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "coordinator/model/store.h"
#include "coordinator/model/limits.h"
#include "coordinator/model/limits.h"
#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_text.h"

#define CTL_TOKEN_BYTES 32 /* random bytes behind one bearer token */
#define CTL_TOKEN_HEX   65 /* their 64 hex characters and the NUL */
/* Longest agency name, in bytes.  The contract allows 200, but agency.conf is read by
 * inih, which takes lines of at most 198 bytes, and "name = " leaves 191 of them. */
#define CTL_NAME_MAX TSG_AGENCY_NAME_MAX

/* Exit codes: success, a failure the user can read about, bad usage. */
#define CTL_EXIT_OK    0
#define CTL_EXIT_FAIL  1
#define CTL_EXIT_USAGE 2

/* What every subcommand gets from main.c. */
typedef struct {
    const char *data_dir; /* coordinator data directory (-d, $TSUNAGU_DATA_DIR, default) */
    const char *config;   /* coordinator.conf given with -c, or NULL for DATA_DIR's */
    bool verbose;         /* -v */
} ctl_options_t;

/* Prints "tsunaguctl: message" and a newline to stderr. */
void ctl_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* ---- output ------------------------------------------------------------------------ */

/* Columns a terminal gives to text: East Asian wide and fullwidth characters take two. */
size_t ctl_display_width (const char *text);

/* The ISO-8601 UTC time iso ("2026-11-23T07:00:00.123Z") as Japan time "YYYY-MM-DD HH:MM"
 * in out; "-" for NULL or empty, and iso itself when it cannot be read. */
void ctl_time_jst (const char *iso, char out[32]);

/* Prints json indented, with a newline, and releases it.  False when json is NULL or it
 * could not be written. */
bool ctl_print_json (json_t *json);

/* A text table whose columns are as wide as their widest cell (by display width). */
typedef struct _ctl_table_t ctl_table_t;

/* A table of columns columns whose first row is the header (NULL on allocation failure). */
ctl_table_t *ctl_table_new (size_t columns, const char *const header[]);
void ctl_table_destroy (ctl_table_t **self_p);

/* Adds a row of the table's column count of cells (copied; NULL prints as "").  False when
 * memory ran out (the row is then left out). */
bool ctl_table_add (ctl_table_t *self, const char *const cells[]);

/* Rows added so far, the header not counted. */
size_t ctl_table_rows (const ctl_table_t *self);

/* Prints the header and the rows to out, each line indented by indent spaces. */
void ctl_table_print (const ctl_table_t *self, FILE *out, int indent);

/* ---- the agency types ------------------------------------------------------------ */

/* Default response due days of a valid agency type (eldercare 7, disability 14,
 * child 3, poverty 7); 0 for anything else. */
int ctl_type_due_days (const char *type);

/* The Japanese name of a valid agency type ("地域包括支援センター" ...); "" otherwise. */
const char *ctl_type_label (const char *type);

/* ---- the coordinator's views in words (Japanese first, the code after it) ---------- */

/* The string member key of object, or dflt when it is absent or not a string. */
const char *ctl_text_get (const json_t *object, const char *key, const char *dflt);

/* "支援中 (support)" from an object's "state_label" and "state" into out. */
void ctl_text_state (const json_t *object, char *out, size_t size);

/* The strings of array joined by sep, in a new string the caller frees ("" for none;
 * NULL when memory ran out). */
char *ctl_text_join (const json_t *array, const char *sep);

/* 支援会議, 重層的支援会議, コア会議 for shien, jusoteki, core; "-" otherwise. */
const char *ctl_text_meeting_kind (const char *kind);

/* 目標達成, 転出, ... for a close reason code; "-" for NULL, the code for others. */
const char *ctl_text_close_reason (const char *reason);

/* "⚠ 受付遅れ" / "⚠ 受理遅れ" for an overdue kind "received" / "accepted"; "" otherwise. */
const char *ctl_text_overdue (const char *kind);

/* A duration in milliseconds (a JSON integer, or null) as "2.5日", "3.0時間" or "12分";
 * "-" for null. */
void ctl_text_duration (const json_t *ms, char out[32]);

/* What a timeline entry of the case view says, in a new string the caller frees:
 * "状態変更 (state): 課題整理 → プラン作成", "会議 (meeting): 支援会議 2026-11-20 ...". */
char *ctl_text_event (const json_t *event);

/* ---- names, tokens, endpoints ----------------------------------------------------- */

/* Writes a new bearer token: CTL_TOKEN_BYTES random bytes as lowercase hex. */
void ctl_token_new (char token[CTL_TOKEN_HEX]);

/* Lowercase hex SHA-256 of the token text (without any newline), as agency.conf and
 * coordinator.conf store it in token_sha256. */
void ctl_token_hash (const char *token, char out[CTL_TOKEN_HEX]);

/* Writes a new token file at path (mode 0600: the token's 64 hex characters and a newline)
 * and its hash into hash_out; the token itself into token_out when that is non-NULL.
 * Returns TSG_OK or the TSG_ERR_* of tsg_write_file. */
int ctl_token_file_write (const char *path, char hash_out[CTL_TOKEN_HEX],
                          char token_out[CTL_TOKEN_HEX]);

/* Parses a number of due days for a registry entry: 0 (the default) to 365.  False on
 * anything else. */
bool ctl_due_days_parse (const char *text, unsigned *out);

/* --deadline-days of a key rotation (agency rotate-keys, rotate-keys): 1 to 90 into *out;
 * false (said on stderr) on anything else. */
#define CTL_DEADLINE_DAYS_MAX 90
bool ctl_deadline_days_parse (const char *text, long *out);

/* True when text is "HOST:PORT" with a non-empty host and a port in 1..65535. */
bool ctl_http_listen_valid (const char *text);

/* True when text is a ZeroMQ endpoint tsunagu uses: "tcp://HOST:PORT" or "ipc://PATH". */
bool ctl_zmq_endpoint_valid (const char *text);

/* True when the host of a "HOST:PORT" (or "tcp://HOST:PORT") is a loopback address. */
bool ctl_host_is_loopback (const char *text);

/* ---- the coordinator site ---------------------------------------------------------- */

/* A coordinator data directory as tsunaguctl needs it: its configuration, the
 * coordinator's public keys and (once opened) its store. */
typedef struct _ctl_site_t ctl_site_t;

/* Loads config_path (a coordinator.conf) and the public keys next to its key file.
 * Never NULL except on allocation failure: problems are recorded in the config
 * object; ctl_site_report prints them, ctl_site_errors counts them. */
ctl_site_t *ctl_site_load (const char *config_path);
void ctl_site_destroy (ctl_site_t **self_p);
int ctl_site_errors (const ctl_site_t *self);
void ctl_site_report (const ctl_site_t *self, FILE *out);

/* Borrowed values, valid while the site lives; NULL or zeros when loading failed. */
const char *ctl_site_public_endpoint (const ctl_site_t *self);
const char *ctl_site_public_path (const ctl_site_t *self); /* coordinator.pub */
const uint8_t *ctl_site_box_public (const ctl_site_t *self);
const uint8_t *ctl_site_sign_public (const ctl_site_t *self);

/* Opens the site's store (tsg_hub_store_open on its data_dir with its map size).
 * Returns TSG_OK and the store, which stays the site's to close. */
int ctl_site_store (ctl_site_t *self, tsg_store_t **out);

/* The quotas and retention of the site's [limits] and [retention] (borrowed). */
const tsg_hub_limits_t *ctl_site_limits (const ctl_site_t *self);

/* The coordinator.conf the site was loaded from (borrowed). */
const char *ctl_site_config_path (const ctl_site_t *self);

/* [coordinator] data_dir, resolved: where store/ and control.sock live (NULL when the
 * configuration did not say). */
const char *ctl_site_data_dir (const ctl_site_t *self);

/* Loads the site the options name (-c, else DATA_DIR/coordinator.conf) and, when store is
 * non-NULL, opens its store into *store.  Prints why not and returns NULL when the file is
 * missing, has errors or the store cannot be opened; else the site, which the caller
 * destroys (and with it the store). */
ctl_site_t *ctl_site_open (const ctl_options_t *options, tsg_store_t **store);

/* ---- the control socket of a running coordinator ------------------------------------ */

#define CTL_CONTROL_TIMEOUT_MS 5000 /* how long to wait for an answer */

/* Sends request (one JSON object) to ipc://data_dir/control.sock and waits up to timeout_ms
 * for the answer, which it returns in *reply (caller decrefs).  TSG_OK when an answer came
 * (whether "ok" is true or not is the caller's to look at); TSG_ERR_NOT_FOUND when nothing
 * answered (no socket file, or no answer in time: the coordinator is not running);
 * TSG_ERR_BAD_INPUT when the answer is not a JSON object; TSG_ERR_IO or TSG_ERR_NOMEM
 * otherwise.  On failure err holds an English sentence. */
int ctl_control_call (const char *data_dir, const json_t *request, int timeout_ms, json_t **reply,
                      char *err, size_t err_size);

/* Asks the coordinator of site to make a change (request: one control request, control.h;
 * "actor" is added: the administrator's login name, SUDO_USER when run through sudo).  While
 * a coordinator runs (it holds DATA_DIR/coordinator.lock) the request goes to its control
 * socket; otherwise `tsunagu-coordinator -c CONFIG --apply` answers it under the same lock
 * (found next to tsunaguctl, else on PATH; $TSUNAGU_COORDINATOR names it).  Either way the
 * coordinator is the one writer of its store and audits the change.  Returns as
 * ctl_control_call does. */
int ctl_coordinator_ask (const ctl_site_t *site, json_t *request, json_t **reply, char *err,
                         size_t err_size);

/* ctl_coordinator_ask for a change (request stolen): the answer (caller decrefs) when it is
 * {"ok": true, ...}; otherwise NULL after printing "cannot WHAT: why". */
json_t *ctl_coordinator_change (const ctl_site_t *site, json_t *request, const char *what);

/* ---- agency bundles ------------------------------------------------------------------ */

/* What goes into an agency bundle besides the agency's keys. */
typedef struct {
    const char *id;                      /* agency id */
    const char *type;                    /* agency type */
    const char *name;                    /* agency name (UTF-8) */
    const char *http_listen;             /* HOST:PORT of its HTTP API */
    int due_days;                        /* [policy] response_due_days (1..365) */
    const char *coordinator_endpoint;    /* where the daemon connects */
    const uint8_t *coordinator_box;      /* 32 bytes: CURVE server key, box key */
    const uint8_t *coordinator_sign;     /* 32 bytes: pins the directory signature */
    const char *coordinator_public_path; /* coordinator.pub, copied into keys/ */
} ctl_bundle_t;

/* Writes a complete bundle into dir, which must exist and be empty:
 * agency.conf, keys/agency.key (0600), keys/coordinator.pub, http.token (0600).
 * When token_out is non-NULL the token is copied there too.  Returns TSG_OK, or
 * a TSG_ERR_* with a sentence in err; files already written stay for the caller
 * to remove (ctl_remove_tree). */
int ctl_bundle_write (const char *dir, const ctl_bundle_t *bundle, const tsg_keys_t *keys,
                      char token_out[CTL_TOKEN_HEX], char *err, size_t err_size);

/* Removes path and everything under it, without following symbolic links.
 * Returns 0, or -1 with errno set. */
int ctl_remove_tree (const char *path);

/* ---- case events --------------------------------------------------------------------- */

/* Parses the arguments of `case event` (argv[0] is "event"):
 *     CASE_ID --type T --base-version N [--state S] [--reason-code C] [--close-reason R]
 *     [--meeting-kind K] [--held-on DATE] [--attendee AGENCY]... [--decision D]
 *     [--role AGENCY=LABEL]... [--next-review DATE] [--note-category C] [--written-on DATE]
 *     [--event-id UUID] [--json]
 * into the "case-event" request of the coordinator's control socket
 * (services/coordinator/control.h).  Returns -1 with *request set (the caller decrefs) and
 * *json set to whether --json was given; else, having printed why, an exit code
 * (CTL_EXIT_USAGE for a missing or misplaced option, CTL_EXIT_FAIL for a bad value,
 * CTL_EXIT_OK after --help).  Dates default to today in Japan time where the event needs
 * one. */
int ctl_case_event_parse (int argc, char **argv, json_t **request, bool *json);

/* ---- subcommands (argv[0] is the subcommand's name) ------------------------------ */

int cmd_init (const ctl_options_t *options, int argc, char **argv);
int cmd_agency (const ctl_options_t *options, int argc, char **argv);
int cmd_case (const ctl_options_t *options, int argc, char **argv);     /* list, show, event */
int cmd_stats (const ctl_options_t *options, int argc, char **argv);    /* the indicators */
int cmd_referral (const ctl_options_t *options, int argc, char **argv); /* overdue */
int cmd_ping (const ctl_options_t *options, int argc, char **argv);
int cmd_status (const ctl_options_t *options, int argc, char **argv); /* cmd_status.c */
int cmd_audit (const ctl_options_t *options, int argc, char **argv);  /* verify, show */

#endif
