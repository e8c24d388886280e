/* conf.c — reads coordinator.conf, resolves its paths and checks every setting at once. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "coordinator/conf.h"
#include "coordinator/http.h"

static const char *const s_known[] = {
    "coordinator.data_dir",    "coordinator.keys",
    "coordinator.listen",      "coordinator.public_endpoint",
    "coordinator.map_size_mb", "http.listen",
    "http.token_sha256",       NULL,
};

/* True when endpoint looks like something zmq_bind can take. */
static bool
s_endpoint_ok (const char *endpoint)
{
    static const char *const schemes[] = { "tcp://", "ipc://" };
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen (schemes[i]);
        if (strncmp (endpoint, schemes[i], n) == 0 && endpoint[n] != '\0')
            return true;
    }
    return false;
}

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
    const char *http_listen = tsg_config_string (cfg, "http", "listen", "127.0.0.1:7780");
    const char *token = tsg_config_string (cfg, "http", "token_sha256", "");
    char http_host[64];
    int http_port;
    if (!tsg_hub_http_listen_parse (http_listen, http_host, sizeof http_host, &http_port))
        tsg_config_error (cfg, "http", "listen",
                          "not HOST:PORT with a numeric host, like "
                          "127.0.0.1:7780");
    if (*token) {
        self->has_token = strlen (token) == 64 && tsg_hex_decode (token, self->token_sha256, 32);
        if (!self->has_token)
            tsg_config_error (cfg, "http", "token_sha256",
                              "not 64 hex digits (the SHA-256 of the token in http.token)");
    }

    if (listen && !s_endpoint_ok (listen))
        tsg_config_error (cfg, "coordinator", "listen",
                          "not an endpoint like tcp://127.0.0.1:7700");
    if (public_endpoint && !s_endpoint_ok (public_endpoint))
        tsg_config_error (cfg, "coordinator", "public_endpoint",
                          "not an endpoint like tcp://127.0.0.1:7700");
    self->data_dir = tsg_config_resolve_path (cfg, data_dir);
    self->keys_path = tsg_config_resolve_path (cfg, keys_path);
    self->listen = listen ? strdup (listen) : NULL;
    self->public_endpoint = public_endpoint ? strdup (public_endpoint) : NULL;
    self->http_listen = strdup (http_listen);
    self->map_size = (size_t) map_mb * 1024 * 1024;

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
    free (self);
    *self_p = NULL;
}
