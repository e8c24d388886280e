/* config.c — agency.conf (docs/configuration.md): load, check every value, report every
 * problem. */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "tsunagu/tsg_endpoint.h"

static const char *const s_known_keys[] = { "agency.id",
                                            "agency.type",
                                            "agency.name",
                                            "agency.keys",
                                            "agency.data_dir",
                                            "agency.map_size_mb",
                                            "agency.map_max_mb",
                                            "agency.outbox_limit",
                                            "retention.seen_days",
                                            "retention.events_keep",
                                            "retention.events_days",
                                            "coordinator.endpoint",
                                            "coordinator.box_public",
                                            "coordinator.sign_public",
                                            "http.listen",
                                            "http.token_sha256",
                                            "policy.response_due_days",
                                            NULL };

tsg_agency_config_t *
tsg_agency_config_new (void)
{
    return calloc (1, sizeof (tsg_agency_config_t));
}

void
tsg_agency_config_destroy (tsg_agency_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_agency_config_t *self = *self_p;
    free (self->path);
    free (self->id);
    free (self->type);
    free (self->name);
    free (self->data_dir);
    free (self->endpoint);
    free (self->http_host);
    free (self->report);
    tsg_keys_destroy (&self->keys);
    sodium_memzero (self, sizeof *self);
    free (self);
    *self_p = NULL;
}

static char *
s_dup (const char *text)
{
    return text ? strdup (text) : NULL;
}

/* Splits "host:port" or "[v6]:port" into a numeric loopback address and a port.
 * NULL when fine, else the problem. */
static const char *
s_parse_listen (const char *listen, char **host, int *port)
{
    const char *colon = strrchr (listen, ':');
    if (!colon || colon == listen)
        return "must be ADDRESS:PORT, e.g. 127.0.0.1:7781";
    size_t host_len = (size_t) (colon - listen);
    const char *start = listen;
    if (listen[0] == '[') {
        if (host_len < 3 || listen[host_len - 1] != ']')
            return "must be ADDRESS:PORT, e.g. [::1]:7781";
        start++;
        host_len -= 2;
    }
    char *end = NULL;
    long value = strtol (colon + 1, &end, 10);
    if (!colon[1] || *end || value < 0 || value > 65535)
        return "the port must be a number from 0 to 65535";
    char *name = strndup (start, host_len);
    if (!name)
        return "out of memory";
    if (strcmp (name, "localhost") == 0) {
        free (name);
        name = strdup ("127.0.0.1");
        if (!name)
            return "out of memory";
    }
    struct in_addr v4;
    struct in6_addr v6;
    bool loopback = false;
    if (inet_pton (AF_INET, name, &v4) == 1)
        loopback = (ntohl (v4.s_addr) >> 24) == 127;
    else if (inet_pton (AF_INET6, name, &v6) == 1)
        loopback = IN6_IS_ADDR_LOOPBACK (&v6);
    else {
        free (name);
        return "the address must be numeric (127.0.0.1 or [::1])";
    }
    if (!loopback) {
        free (name);
        return "the agency API listens on loopback only (127.0.0.0/8 or ::1)";
    }
    *host = name;
    *port = (int) value;
    return NULL;
}

/* Collects tsg_config_report's lines into a string. */
static char *
s_report (const tsg_config_t *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    if (!out)
        return NULL;
    tsg_config_report (cfg, out);
    fclose (out);
    return text;
}

tsg_agency_config_t *
tsg_agency_config_load (const char *path, const char *type)
{
    tsg_agency_config_t *self = tsg_agency_config_new ();
    if (!self)
        return NULL;
    tsg_config_t *cfg = tsg_config_load (path);
    if (!cfg) {
        tsg_agency_config_destroy (&self);
        return NULL;
    }
    self->path = strdup (path);

    const char *id = tsg_config_string (cfg, "agency", "id", NULL);
    if (id && !tsg_agency_id_valid (id))
        tsg_config_error (cfg, "agency", "id",
                          "bad agency id '%s' (1..32 of [a-z0-9-], first a letter)", id);
    self->id = s_dup (id);

    const char *file_type = tsg_config_string (cfg, "agency", "type", NULL);
    const tsg_agency_policy_t *policy = tsg_agency_policy_find (file_type);
    if (file_type && !policy)
        tsg_config_error (cfg, "agency", "type",
                          "unknown agency type '%s' (eldercare, disability, child or poverty)",
                          file_type);
    else if (policy && type && strcmp (file_type, type) != 0)
        tsg_config_error (cfg, "agency", "type",
                          "this file is for agency type %s; this daemon serves type %s "
                          "(run tsunagu-%s)",
                          file_type, type, file_type);
    self->type = s_dup (file_type);
    if (!policy)
        policy = tsg_agency_policy_find (type);

    self->name = s_dup (tsg_config_string (cfg, "agency", "name", NULL));

    const char *keys = tsg_config_string (cfg, "agency", "keys", NULL);
    if (keys) {
        char *keys_path = tsg_config_resolve_path (cfg, keys);
        char err[256] = "";
        int rc =
            keys_path ? tsg_keys_load (keys_path, &self->keys, err, sizeof err) : TSG_ERR_NOMEM;
        if (rc != TSG_OK)
            tsg_config_error (cfg, "agency", "keys", "%s: %s", keys_path ? keys_path : keys,
                              *err ? err : tsg_strerror (rc));
        else if (id && strcmp (tsg_keys_id (self->keys), id) != 0)
            tsg_config_error (cfg, "agency", "keys", "%s holds the keys of %s, not of %s",
                              keys_path, tsg_keys_id (self->keys), id);
        free (keys_path);
    }

    const char *data_dir = tsg_config_string (cfg, "agency", "data_dir", "data");
    self->data_dir = tsg_config_resolve_path (cfg, data_dir);
    long map_mb = tsg_config_int (cfg, "agency", "map_size_mb", 256, 1, 1024 * 1024);
    long map_max_mb =
        tsg_config_int (cfg, "agency", "map_max_mb", map_mb > 4096 ? map_mb : 4096, 1, 1024 * 1024);
    if (map_max_mb < map_mb)
        tsg_config_error (cfg, "agency", "map_max_mb",
                          "%ld is smaller than map_size_mb (%ld): the store could not grow",
                          map_max_mb, map_mb);
    self->map_size = (size_t) map_mb * 1024 * 1024;
    self->map_max = (size_t) map_max_mb * 1024 * 1024;
    self->outbox_limit =
        (size_t) tsg_config_int (cfg, "agency", "outbox_limit", 10000, 0, 10L * 1000 * 1000);
    self->seen_days = (uint64_t) tsg_config_int (cfg, "retention", "seen_days", 30, 1, 3650);
    self->events_keep = (uint64_t) tsg_config_int (cfg, "retention", "events_keep", 100000, 1,
                                                   100L * 1000 * 1000);
    self->events_days = (uint64_t) tsg_config_int (cfg, "retention", "events_days", 14, 0, 3650);

    const char *endpoint = tsg_config_string (cfg, "coordinator", "endpoint", NULL);
    const char *endpoint_problem = endpoint ? tsg_endpoint_check (endpoint, false) : NULL;
    if (endpoint_problem)
        tsg_config_error (cfg, "coordinator", "endpoint", "%s: %s", endpoint, endpoint_problem);
    self->endpoint = s_dup (endpoint);
    tsg_config_key (cfg, "coordinator", "box_public", self->coordinator_box);
    tsg_config_key (cfg, "coordinator", "sign_public", self->coordinator_sign);

    const char *listen = tsg_config_string (cfg, "http", "listen", NULL);
    if (listen) {
        const char *problem = s_parse_listen (listen, &self->http_host, &self->http_port);
        if (problem)
            tsg_config_error (cfg, "http", "listen", "%s", problem);
    }
    tsg_config_hex32 (cfg, "http", "token_sha256", self->token_sha256);

    self->response_due_days = (int) tsg_config_int (cfg, "policy", "response_due_days",
                                                    policy ? policy->response_due_days : 7, 1, 365);
    tsg_config_check_known (cfg, s_known_keys);
    self->errors = tsg_config_errors (cfg);
    if (self->errors > 0)
        self->report = s_report (cfg);
    tsg_config_destroy (&cfg);
    return self;
}
