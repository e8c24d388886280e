/* tsunaguctl's internal interface: the coordinator site it works on, agency bundles,
 * tokens, and the subcommands main.c dispatches to. */
#ifndef TSG_CTL_H_INCLUDED
#define TSG_CTL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsunagu/tsunagu.h"

#define CTL_TOKEN_BYTES 32 /* random bytes behind one bearer token */
#define CTL_TOKEN_HEX   65 /* their 64 hex characters and the NUL */
/* Longest agency name, in bytes.  The contract allows 200, but agency.conf is read by
 * inih, which takes lines of at most 198 bytes, and "name = " leaves 191 of them. */
#define CTL_NAME_MAX 191

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

/* ---- the agency types ------------------------------------------------------------ */

/* Default response due days of a valid agency type (eldercare 7, disability 14,
 * child 3, poverty 7); 0 for anything else. */
int ctl_type_due_days (const char *type);

/* The Japanese name of a valid agency type ("地域包括支援センター" ...); "" otherwise. */
const char *ctl_type_label (const char *type);

/* ---- names, tokens, endpoints ----------------------------------------------------- */

/* True when name may be an agency name: 1..CTL_NAME_MAX bytes of valid UTF-8, no
 * control characters, no ';' or '#' (INI comment marks), no space at either end.
 * On false, *why (when why is non-NULL) is a static English phrase. */
bool ctl_name_valid (const char *name, const char **why);

/* Writes a new bearer token: CTL_TOKEN_BYTES random bytes as lowercase hex. */
void ctl_token_new (char token[CTL_TOKEN_HEX]);

/* Lowercase hex SHA-256 of the token text (without any newline), as agency.conf
 * stores it in token_sha256. */
void ctl_token_hash (const char *token, char out[CTL_TOKEN_HEX]);

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

/* ---- agency bundles ------------------------------------------------------------------ */

/* What goes into an agency bundle besides the agency's keys. */
typedef struct {
    const char *id;                      /* agency id */
    const char *type;                    /* agency type */
    const char *name;                    /* agency name (UTF-8) */
    const char *http_listen;             /* HOST:PORT of its HTTP API */
    int due_days;                        /* [policy] response_due_days */
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

/* ---- subcommands (argv[0] is the subcommand's name) ------------------------------ */

int cmd_init (const ctl_options_t *options, int argc, char **argv);
int cmd_agency (const ctl_options_t *options, int argc, char **argv);

#endif
