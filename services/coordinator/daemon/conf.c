/* conf.c — reads coordinator.conf, resolves its paths and checks every setting at once. */
#include <errno.h>
#include <sodium.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coordinator/model/store.h"
#include "coordinator/model/audit.h"
#include "coordinator/model/data_check.h"
#include "coordinator/daemon/conf.h"
#include "coordinator/daemon/own_keys.h"
#include "coordinator/model/rotation.h"
#include "coordinator/model/directory.h"
#include "coordinator/api/http.h"
#include "tsunagu/tsg_endpoint.h"

/* The PEM text of path (resolved against the config's folder) into *out, or an error on cfg:
 * a private key must be 0600 (or stricter) and owned by the coordinator's user. */
static void
s_read_pem (tsg_config_t *cfg, const char *key, const char *path, bool private_key, char **out)
{
    char *resolved = tsg_config_resolve_path (cfg, path);
    struct stat st;
    FILE *f = resolved ? fopen (resolved, "rb") : NULL;
    if (!f || fstat (fileno (f), &st) != 0) {
        tsg_config_error (cfg, "http", key, "%s: %s", resolved ? resolved : path,
                          resolved ? strerror (errno) : "out of memory");
    }
    else if (private_key && ((st.st_mode & 077) != 0 || st.st_uid != geteuid ()))
        tsg_config_error (cfg, "http", key,
                          "%s must be the coordinator user's and mode 0600 (chmod 600 %s)",
                          resolved, resolved);
    else if (st.st_size <= 0 || st.st_size > 256 * 1024)
        tsg_config_error (cfg, "http", key, "%s is not a PEM file of at most 256 KiB", resolved);
    else {
        *out = calloc (1, (size_t) st.st_size + 1);
        if (!*out || fread (*out, 1, (size_t) st.st_size, f) != (size_t) st.st_size
            || !strstr (*out, "-----BEGIN ")) {
            tsg_config_error (cfg, "http", key, "%s holds no PEM block", resolved);
            free (*out);
            *out = NULL;
        }
    }
    if (f)
        fclose (f);
    free (resolved);
}

static const char *const s_known[] = {
    "coordinator.data_dir",
    "coordinator.keys",
    "coordinator.listen",
    "coordinator.public_endpoint",
    "coordinator.map_size_mb",
    "coordinator.map_max_mb",
    "http.listen",
    "http.token_sha256",
    "http.session_idle_minutes",
    "http.session_max_hours",
    "http.tls_cert",
    "http.tls_key",
    "limits.sender_letters",
    "limits.sender_mb",
    "limits.mailbox_letters",
    "limits.mailbox_mb",
    "retention.dedup_days",
    NULL,
};

tsg_hub_conf_t *
tsg_hub_conf_load (const char *path, tsg_keys_t **keys, FILE *report)
{
    if (keys)
        *keys = NULL;
    tsg_config_t *cfg = tsg_config_load (path);
    tsg_hub_conf_t *self = calloc (1, sizeof *self);
    if (!cfg || !self) {
        if (report)
            fprintf (report, "%s: out of memory\n", path);
        tsg_config_destroy (&cfg);
        free (self);
        return NULL;
    }
    tsg_config_check_known (cfg, s_known);
    const char *data_dir = tsg_config_string (cfg, "coordinator", "data_dir", NULL);
    const char *keys_path = tsg_config_string (cfg, "coordinator", "keys", NULL);
    const char *listen = tsg_config_string (cfg, "coordinator", "listen", NULL);
    const char *public_endpoint = tsg_config_string (cfg, "coordinator", "public_endpoint", listen);
    long map_mb = tsg_config_int (cfg, "coordinator", "map_size_mb", 1024, 1, 1024L * 1024);
    long map_max_mb = tsg_config_int (cfg, "coordinator", "map_max_mb",
                                      (long) (TSG_HUB_MAP_MAX_DEFAULT >> 20) > map_mb
                                          ? (long) (TSG_HUB_MAP_MAX_DEFAULT >> 20)
                                          : map_mb,
                                      1, 1024L * 1024);
    if (map_max_mb < map_mb)
        tsg_config_error (cfg, "coordinator", "map_max_mb",
                          "%ld is smaller than map_size_mb (%ld): the store could not grow",
                          map_max_mb, map_mb);
    tsg_hub_limits_read (cfg, &self->limits);
    const char *http_listen = tsg_config_string (cfg, "http", "listen", "127.0.0.1:7780");
    const char *token = tsg_config_string (cfg, "http", "token_sha256", "");
    char http_host[64];
    int http_port;
    if (!tsg_hub_http_listen_parse (http_listen, http_host, sizeof http_host, &http_port))
        tsg_config_error (cfg, "http", "listen",
                          "not HOST:PORT with a numeric host, like "
                          "127.0.0.1:7780");
    self->session_idle_s =
        (unsigned) tsg_config_int (cfg, "http", "session_idle_minutes", 30, 5, 24 * 60) * 60;
    self->session_max_s =
        (unsigned) tsg_config_int (cfg, "http", "session_max_hours", 10, 1, 24) * 3600;
    const char *tls_cert = tsg_config_string (cfg, "http", "tls_cert", "");
    const char *tls_key = tsg_config_string (cfg, "http", "tls_key", "");
    if (*tls_cert != '\0' && *tls_key != '\0') {
        s_read_pem (cfg, "tls_cert", tls_cert, false, &self->tls_cert_pem);
        s_read_pem (cfg, "tls_key", tls_key, true, &self->tls_key_pem);
    }
    else if (*tls_cert != '\0' || *tls_key != '\0')
        tsg_config_error (cfg, "http", *tls_cert ? "tls_key" : "tls_cert",
                          "HTTPS needs both tls_cert and tls_key");
    if (*token) {
        self->has_token = strlen (token) == 64 && tsg_hex_decode (token, self->token_sha256, 32);
        if (!self->has_token)
            tsg_config_error (cfg, "http", "token_sha256",
                              "not 64 hex digits (the SHA-256 of the token in http.token)");
    }

    /* What zmq_bind would refuse at start-up; public_endpoint is what agencies connect to
     * (when it is not given it is listen, checked once). */
    const char *problem = listen ? tsg_endpoint_check (listen, true) : NULL;
    if (problem)
        tsg_config_error (cfg, "coordinator", "listen", "%s: %s", listen, problem);
    problem = public_endpoint && public_endpoint != listen
                  ? tsg_endpoint_check (public_endpoint, false)
                  : NULL;
    if (problem)
        tsg_config_error (cfg, "coordinator", "public_endpoint", "%s: %s", public_endpoint,
                          problem);
    self->data_dir = tsg_config_resolve_path (cfg, data_dir);
    self->keys_path = tsg_config_resolve_path (cfg, keys_path);
    self->listen = listen ? strdup (listen) : NULL;
    self->public_endpoint = public_endpoint ? strdup (public_endpoint) : NULL;
    self->http_listen = strdup (http_listen);
    self->map_size = (size_t) map_mb * 1024 * 1024;
    self->map_max = (size_t) map_max_mb * 1024 * 1024;

    if (self->data_dir) {
        struct stat st;
        if (stat (self->data_dir, &st) != 0 || !S_ISDIR (st.st_mode))
            tsg_config_error (cfg, "coordinator", "data_dir", "%s is not a directory",
                              self->data_dir);
    }
    if (self->keys_path && keys) {
        char err[256] = "";
        int rc = tsg_keys_load (self->keys_path, keys, err, sizeof err);
        if (rc != TSG_OK && err[0])
            tsg_config_error (cfg, "coordinator", "keys", "%s", err);
        else if (rc != TSG_OK)
            tsg_config_error (cfg, "coordinator", "keys", "%s: %s", self->keys_path,
                              tsg_strerror (rc));
        else if (strcmp (tsg_keys_id (*keys), TSG_COORDINATOR_ID) != 0)
            tsg_config_error (cfg, "coordinator", "keys",
                              "%s holds the keys of \"%s\", not of the coordinator",
                              self->keys_path, tsg_keys_id (*keys));
    }
    bool missing = (data_dir && !self->data_dir) || (keys_path && !self->keys_path)
                   || (listen && !self->listen) || !self->http_listen
                   || (public_endpoint && !self->public_endpoint);
    if (missing)
        tsg_config_error (cfg, "coordinator", "data_dir", "out of memory");
    if (tsg_config_errors (cfg) > 0) {
        if (report)
            tsg_config_report (cfg, report);
        tsg_config_destroy (&cfg);
        if (keys)
            tsg_keys_destroy (keys);
        tsg_hub_conf_destroy (&self);
        return NULL;
    }
    tsg_config_destroy (&cfg);
    return self;
}

int
tsg_hub_conf_check_data (const tsg_hub_conf_t *self, const tsg_keys_t *keys, FILE *report)
{
    int problems = 0;
    if (!self->data_dir)
        return 0;
    char path[4096];
    struct stat st;
    /* Start-up creates audit.log (and an empty store) when absent. */
    if (access (self->data_dir, W_OK | X_OK) != 0)
        tsg_hub_report_problem (report, &problems, self->data_dir, "cannot write here: %s",
                                strerror (errno));
    /* The store and the audit log agree as start-up needs (model/data_check.c). */
    problems += tsg_hub_data_check (self->data_dir, self->map_size, report);
    snprintf (path, sizeof path, "%s/store/data.mdb", self->data_dir);
    if (problems > 0 || stat (path, &st) != 0 || !keys)
        return problems;
    snprintf (path, sizeof path, "%s/store", self->data_dir);
    tsg_store_t *store = NULL;
    int rc = tsg_hub_store_open (self->data_dir, self->map_size, &store);
    if (rc != TSG_OK) {
        tsg_hub_report_problem (report, &problems, path, "cannot open the store: %s",
                                tsg_strerror (rc));
        return problems;
    }
    /* Only reads, as start-up does before it binds: the registry (tsg_hub_new). */
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    tsg_hub_directory_t *directory = tsg_hub_directory_new (keys);
    if (directory && (rc = tsg_hub_directory_load (directory, &txn)) != TSG_OK)
        tsg_hub_report_problem (report, &problems, path, "cannot read the registry: %s",
                                tsg_strerror (rc));
    tsg_hub_directory_destroy (&directory);
    /* A rotation of the coordinator's keys under way goes on with KEYS.next (hub_rotation.c);
     * start-up runs without it, so this is a warning. */
    tsg_hub_rotation_t r;
    char why[512] = "";
    tsg_keys_t *next = NULL;
    if (tsg_hub_rotation_get (&txn, &r) && r.state == TSG_HUB_ROTATION_ANNOUNCED
        && memcmp (tsg_keys_sign_public (keys), r.next_sign, 32) != 0
        && tsg_hub_own_keys_load_next (self->keys_path, &r, &next, why, sizeof why) != TSG_OK)
        fprintf (report,
                 "%s: warning: %s; the rotation of the coordinator's keys cannot go on until "
                 "tsunaguctl rotate-keys starts a new one\n",
                 self->keys_path, why);
    tsg_keys_destroy (&next);
    tsg_txn_abort (&txn);
    tsg_store_destroy (&store);
    return problems;
}

void
tsg_hub_conf_destroy (tsg_hub_conf_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_conf_t *self = *self_p;
    free (self->data_dir);
    free (self->keys_path);
    free (self->listen);
    free (self->public_endpoint);
    free (self->http_listen);
    free (self->tls_cert_pem);
    if (self->tls_key_pem) {
        sodium_memzero (self->tls_key_pem, strlen (self->tls_key_pem));
        free (self->tls_key_pem);
    }
    free (self);
    *self_p = NULL;
}
