/* Reading and checking coordinator.conf (docs/configuration.md). */
#ifndef TSG_HUB_CONF_H_INCLUDED
#define TSG_HUB_CONF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coordinator/model/limits.h"
#include "tsunagu/tsunagu.h"

/* The coordinator's settings, paths resolved against the config file's folder. */
typedef struct {
    char *data_dir;  /* holds store/ */
    char *keys_path; /* the coordinator's secret key file */
    char *listen;    /* the ROUTER bind endpoint */
    char
        *public_endpoint; /* what bundles tell agencies (tsunaguctl uses it; the daemon does not) */
    size_t map_size;      /* the LMDB map's size at start, in bytes */
    size_t map_max;       /* the most it may grow to when it fills, in bytes */
    tsg_hub_limits_t limits;  /* [limits] and [retention] */
    char *http_listen;        /* [http] listen: "HOST:PORT" of the read-only API */
    bool has_token;           /* [http] token_sha256 was given */
    uint8_t token_sha256[32]; /* SHA-256 of the API's bearer token */
    unsigned session_idle_s;  /* [http] session_idle_minutes, in seconds */
    unsigned session_max_s;   /* [http] session_max_hours, in seconds */
    char *tls_cert_pem;       /* [http] tls_cert's PEM text (NULL: plain HTTP) */
    char *tls_key_pem;        /* [http] tls_key's PEM text (wiped when freed) */
} tsg_hub_conf_t;

/* Reads path into a new settings object.  When keys is non-NULL the secret key file is
 * loaded too (refused unless mode 0600) and handed over in *keys.  On any problem prints
 * every one as "file:line: message" to report (when non-NULL) and returns NULL, with
 * *keys left NULL. */
tsg_hub_conf_t *tsg_hub_conf_load (const char *path, tsg_keys_t **keys, FILE *report);

/* The rest of what start-up checks before it binds, for -n: that the data directory is
 * writable, and, when it holds a store, that the store opens, its registry reads (with keys,
 * the coordinator's, when non-NULL), no restore was left half done, and the audit log agrees
 * with the store's audit head (tsg_hub_data_check, coordinator/model/data_check.h: the file
 * there, at least as long as the head says, as start-up needs it, and ending there in the
 * record the store committed).  Reads only (the
 * store's read transactions do not disturb a running coordinator), and creates nothing: a
 * data directory without a store passes, since start-up creates one.  Prints every problem as
 * "path: message" to report (when non-NULL) and returns how many there were. */
int tsg_hub_conf_check_data (const tsg_hub_conf_t *self, const tsg_keys_t *keys, FILE *report);

/* Frees the settings; safe on NULL and twice. */
void tsg_hub_conf_destroy (tsg_hub_conf_t **self_p);

#endif
