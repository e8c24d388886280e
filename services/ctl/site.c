/* site.c — a coordinator data directory as tsunaguctl sees it: coordinator.conf, the
 * coordinator's public keys and its store. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coordinator/model/store.h"
#include "coordinator/model/limits.h"
#include "ctl.h"

struct _ctl_site_t {
    tsg_config_t *config;        /* the parsed coordinator.conf; records every problem */
    char *data_dir;              /* [coordinator] data_dir, resolved: store/ lives there */
    char *public_path;           /* the coordinator's public key file */
    const char *public_endpoint; /* [coordinator] public_endpoint (borrowed from config) */
    size_t map_size;             /* [coordinator] map_size_mb in bytes */
    tsg_hub_limits_t limits;     /* [limits] and [retention] */
    uint8_t box_public[32];      /* the coordinator's X25519 public key */
    uint8_t sign_public[32];     /* the coordinator's Ed25519 public key */
    tsg_store_t *store;          /* the hub store, once ctl_site_store opened it */
    char *config_path;           /* the coordinator.conf it was loaded from */
};

/* tsg_keys_public_path in a new string (caller frees); NULL when it cannot be made. */
static char *
s_public_path (const char *secret_path)
{
    size_t size = strlen (secret_path) + 5;
    char *path = malloc (size);
    if (path && !tsg_keys_public_path (secret_path, path, size)) {
        free (path);
        return NULL;
    }
    return path;
}

ctl_site_t *
ctl_site_load (const char *config_path)
{
    ctl_site_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = tsg_config_load (config_path);
    self->config_path = strdup (config_path);
    if (!self->config || !self->config_path) {
        tsg_config_destroy (&self->config);
        free (self->config_path);
        free (self);
        return NULL;
    }
    tsg_config_t *cfg = self->config;
    const char *data_dir = tsg_config_string (cfg, "coordinator", "data_dir", ".");
    const char *keys = tsg_config_string (cfg, "coordinator", "keys", NULL);
    const char *listen = tsg_config_string (cfg, "coordinator", "listen", NULL);
    self->public_endpoint = tsg_config_string (cfg, "coordinator", "public_endpoint", NULL);
    long map_mb = tsg_config_int (cfg, "coordinator", "map_size_mb", 1024, 16, 1024L * 1024);
    const char *http = tsg_config_string (cfg, "http", "listen", "127.0.0.1:7780");
    self->map_size = (size_t) map_mb * 1024 * 1024;
    tsg_hub_limits_read (cfg, &self->limits);

    if (listen && !ctl_zmq_endpoint_valid (listen))
        tsg_config_error (cfg, "coordinator", "listen",
                          "listen must be tcp://HOST:PORT or ipc://PATH, not \"%s\"", listen);
    if (self->public_endpoint && !ctl_zmq_endpoint_valid (self->public_endpoint))
        tsg_config_error (cfg, "coordinator", "public_endpoint",
                          "public_endpoint must be tcp://HOST:PORT or ipc://PATH, not \"%s\"",
                          self->public_endpoint);
    if (http && !ctl_http_listen_valid (http))
        tsg_config_error (cfg, "http", "listen", "listen must be HOST:PORT, not \"%s\"", http);
    const char *token_sha256 = tsg_config_string (cfg, "http", "token_sha256", "");
    uint8_t digest[32];
    if (*token_sha256
        && (strlen (token_sha256) != 64 || !tsg_hex_decode (token_sha256, digest, sizeof digest)))
        tsg_config_error (cfg, "http", "token_sha256",
                          "token_sha256 must be 64 hex digits (the SHA-256 of http.token)");
    if (data_dir)
        self->data_dir = tsg_config_resolve_path (cfg, data_dir);
    /* "DIR/." reads better as "DIR" in messages and socket paths. */
    for (size_t len = self->data_dir ? strlen (self->data_dir) : 0;
         len > 2 && strcmp (self->data_dir + len - 2, "/.") == 0; len -= 2)
        self->data_dir[len - 2] = '\0';
    if (keys) {
        char *secret_path = tsg_config_resolve_path (cfg, keys);
        self->public_path = secret_path ? s_public_path (secret_path) : NULL;
        free (secret_path);
    }
    if (self->public_path) {
        char id[33] = "";
        char err[256] = "";
        int rc = tsg_keys_load_public (self->public_path, id, self->box_public, self->sign_public,
                                       err, sizeof err);
        if (rc != TSG_OK && *err)
            tsg_config_error (cfg, "coordinator", "keys", "cannot load the public keys: %s", err);
        else if (rc != TSG_OK)
            tsg_config_error (cfg, "coordinator", "keys", "cannot load the public keys %s: %s",
                              self->public_path, tsg_strerror (rc));
        else if (strcmp (id, TSG_COORDINATOR_ID) != 0)
            tsg_config_error (cfg, "coordinator", "keys",
                              "%s holds the keys of \"%s\", not of the coordinator",
                              self->public_path, id);
    }
    return self;
}

void
ctl_site_destroy (ctl_site_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ctl_site_t *self = *self_p;
    tsg_store_destroy (&self->store);
    tsg_config_destroy (&self->config);
    free (self->config_path);
    free (self->data_dir);
    free (self->public_path);
    free (self);
    *self_p = NULL;
}

int
ctl_site_errors (const ctl_site_t *self)
{
    return tsg_config_errors (self->config);
}

void
ctl_site_report (const ctl_site_t *self, FILE *out)
{
    tsg_config_report (self->config, out);
}

const char *
ctl_site_public_endpoint (const ctl_site_t *self)
{
    return self->public_endpoint;
}

const char *
ctl_site_public_path (const ctl_site_t *self)
{
    return self->public_path;
}

const uint8_t *
ctl_site_box_public (const ctl_site_t *self)
{
    return self->box_public;
}

const uint8_t *
ctl_site_sign_public (const ctl_site_t *self)
{
    return self->sign_public;
}

int
ctl_site_store (ctl_site_t *self, tsg_store_t **out)
{
    if (tsg_config_errors (self->config) > 0 || !self->data_dir)
        return TSG_ERR_BAD_INPUT;
    if (!self->store) {
        int rc = tsg_hub_store_open (self->data_dir, self->map_size, &self->store);
        if (rc != TSG_OK)
            return rc;
    }
    *out = self->store;
    return TSG_OK;
}

const tsg_hub_limits_t *
ctl_site_limits (const ctl_site_t *self)
{
    return &self->limits;
}

const char *
ctl_site_data_dir (const ctl_site_t *self)
{
    return self->data_dir;
}

ctl_site_t *
ctl_site_open (const ctl_options_t *options, tsg_store_t **store)
{
    char path[PATH_MAX];
    const char *config = options->config;
    if (!config) {
        if (snprintf (path, sizeof path, "%s/coordinator.conf", options->data_dir)
            >= (int) sizeof path) {
            ctl_error ("data directory path too long: %s", options->data_dir);
            return NULL;
        }
        config = path;
    }
    struct stat st;
    if (stat (config, &st) != 0) {
        ctl_error ("no coordinator configuration at %s (%s); run tsunaguctl -d DIR init first",
                   config, strerror (errno));
        return NULL;
    }
    ctl_site_t *site = ctl_site_load (config);
    if (!site) {
        ctl_error ("out of memory");
        return NULL;
    }
    if (ctl_site_errors (site) > 0) {
        ctl_site_report (site, stderr);
        ctl_error ("%s has errors; nothing changed", config);
        ctl_site_destroy (&site);
        return NULL;
    }
    if (!store)
        return site;
    int rc = ctl_site_store (site, store);
    if (rc != TSG_OK) {
        ctl_error ("cannot open the coordinator store of %s: %s", config, tsg_strerror (rc));
        ctl_site_destroy (&site);
        return NULL;
    }
    return site;
}

const char *
ctl_site_config_path (const ctl_site_t *self)
{
    return self->config_path;
}
