/* config.c — agency.conf (docs/configuration.md): load, check every value, report every
 * problem. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
                                            "import.mappings",
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
    free (self->mappings_dir);
    free (self->endpoint);
    free (self->http_host);
    free (self->report);
    for (size_t i = 0; i < self->webhook_count; i++) {
        tsg_agency_webhook_t *hook = &self->webhooks[i];
        free (hook->url);
        free (hook->events);
        free (hook->ca_file);
        free (hook->client_cert);
        free (hook->client_key);
        sodium_memzero (hook->secret, sizeof hook->secret);
    }
    free (self->webhooks);
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

/* The event types a webhook may ask for (records/events.h). */
static const char *const s_event_types[] = { "referral.received",    "referral.status_changed",
                                             "delivery.stored",      "delivery.delivered",
                                             "delivery.rejected",    "delivery.withheld",
                                             "delivery.refused",     "consent.granted",
                                             "consent.revoked",      "consent.restricted",
                                             "case.updated",         "alert.emergency",
                                             "directory.changed",    "agency.suspended",
                                             "agency.revoked",       "agency.resumed",
                                             "backpressure.reached", NULL };

static const char *const s_webhook_keys[] = {
    "url",        "secret_file",       "events", "ca_file", "client_cert",
    "client_key", "max_attempts_days", NULL
};

/* True for a [webhook.NAME] name: 1..32 of [a-z0-9_-]. */
static bool
s_webhook_name_valid (const char *name)
{
    size_t n = strlen (name);
    if (n == 0 || n > TSG_WEBHOOK_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!islower ((unsigned char) name[i]) && !isdigit ((unsigned char) name[i])
            && name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

/* NULL when url is one a webhook may post to (http:// or https://, a host, no spaces or
 * control characters), else the problem. */
static const char *
s_webhook_url_problem (const char *url)
{
    const char *rest = NULL;
    if (strncmp (url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncmp (url, "https://", 8) == 0)
        rest = url + 8;
    else
        return "must start with http:// or https://";
    if (*rest == '\0' || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
        return "names no host";
    for (const char *p = url; *p; p++)
        if ((unsigned char) *p <= ' ' || *p == 0x7f)
            return "holds a space or a control character";
    if (strlen (url) > 2048)
        return "is longer than 2048 bytes";
    return NULL;
}

/* Reads the secret in path ("whsec_" + base64 of 24..64 bytes, Standard Webhooks) into hook;
 * the file must be 0600 or stricter.  NULL when fine, else the problem (in err). */
static const char *
s_webhook_secret (const char *path, tsg_agency_webhook_t *hook, char *err, size_t err_size)
{
    struct stat st;
    if (stat (path, &st) != 0) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return err;
    }
    if (!S_ISREG (st.st_mode) || (st.st_mode & 077) != 0) {
        snprintf (err, err_size, "%s must be a file of mode 0600 (others may read it now)", path);
        return err;
    }
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, err_size, "%s: %s", path, strerror (errno));
        return err;
    }
    char text[256];
    size_t len = fread (text, 1, sizeof text - 1, f);
    bool more = fgetc (f) != EOF;
    fclose (f);
    text[len] = '\0';
    while (len > 0 && isspace ((unsigned char) text[len - 1]))
        text[--len] = '\0';
    const char *problem = NULL;
    size_t bin_len = 0;
    if (more)
        problem = "is longer than a secret";
    else if (strncmp (text, "whsec_", 6) != 0)
        problem = "must hold whsec_ and the secret in base64 (Standard Webhooks)";
    else if (sodium_base642bin (hook->secret, sizeof hook->secret, text + 6, len - 6, NULL,
                                &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL)
                 != 0
             || bin_len < TSG_WEBHOOK_SECRET_MIN)
        problem = "must hold whsec_ and base64 of 24 to 64 random bytes";
    sodium_memzero (text, sizeof text);
    if (problem) {
        sodium_memzero (hook->secret, sizeof hook->secret);
        snprintf (err, err_size, "%s %s", path, problem);
        return err;
    }
    hook->secret_len = bin_len;
    return NULL;
}

/* events = "*" or a comma list of the types above: NULL (all) or ",a,b," in *out. */
static void
s_webhook_events (tsg_config_t *cfg, const char *section, const char *text, char **out)
{
    *out = NULL;
    if (strcmp (text, "*") == 0)
        return;
    char *list = malloc (strlen (text) + 3);
    if (!list)
        return;
    char *copy = strdup (text);
    if (!copy) {
        free (list);
        return;
    }
    strcpy (list, ",");
    size_t count = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        while (isspace ((unsigned char) *item))
            item++;
        char *end = item + strlen (item);
        while (end > item && isspace ((unsigned char) end[-1]))
            *--end = '\0';
        bool known = false;
        for (size_t i = 0; s_event_types[i] && !known; i++)
            known = strcmp (s_event_types[i], item) == 0;
        if (!known) {
            tsg_config_error (cfg, section, "events",
                              "unknown event type '%s' (referral.received, "
                              "referral.status_changed, delivery.*, consent.*, case.updated, "
                              "alert.emergency, directory.changed, agency.*, "
                              "backpressure.reached: docs/configuration.md), or * for all",
                              item);
            continue;
        }
        char needle[64];
        snprintf (needle, sizeof needle, ",%s,", item);
        if (strstr (list, needle))
            continue;
        strcat (list, item);
        strcat (list, ",");
        count++;
    }
    free (copy);
    if (count == 0) {
        tsg_config_error (cfg, section, "events", "names no event type (use * for all)");
        free (list);
        return;
    }
    *out = list;
}

/* A file a webhook's TLS needs: resolved and readable, or an error on key. */
static char *
s_webhook_file (tsg_config_t *cfg, const char *section, const char *key, bool https)
{
    const char *text = tsg_config_string (cfg, section, key, "");
    if (!*text)
        return NULL;
    if (!https) {
        tsg_config_error (cfg, section, key, "is only for an https:// url");
        return NULL;
    }
    char *path = tsg_config_resolve_path (cfg, text);
    if (path && access (path, R_OK) != 0)
        tsg_config_error (cfg, section, key, "%s: %s", path, strerror (errno));
    return path;
}

/* One [webhook.NAME] section into hook. */
static void
s_webhook (tsg_config_t *cfg, const char *section, tsg_agency_webhook_t *hook)
{
    const char *name = section + strlen ("webhook.");
    if (!s_webhook_name_valid (name))
        tsg_config_error (cfg, section, "url",
                          "[%s]: a webhook's name is 1 to 32 of [a-z0-9_-], e.g. [webhook.crm]",
                          section);
    snprintf (hook->name, sizeof hook->name, "%s", name);
    const char *url = tsg_config_string (cfg, section, "url", NULL);
    const char *problem = url ? s_webhook_url_problem (url) : NULL;
    if (problem)
        tsg_config_error (cfg, section, "url", "%s %s", url, problem);
    hook->url = s_dup (url);
    bool https = url && strncmp (url, "https://", 8) == 0;
    const char *secret = tsg_config_string (cfg, section, "secret_file", NULL);
    if (secret) {
        char *path = tsg_config_resolve_path (cfg, secret);
        char err[512];
        if (path && s_webhook_secret (path, hook, err, sizeof err))
            tsg_config_error (cfg, section, "secret_file", "%s", err);
        free (path);
    }
    s_webhook_events (cfg, section, tsg_config_string (cfg, section, "events", "*"), &hook->events);
    hook->ca_file = s_webhook_file (cfg, section, "ca_file", https);
    hook->client_cert = s_webhook_file (cfg, section, "client_cert", https);
    hook->client_key = s_webhook_file (cfg, section, "client_key", https);
    if (!hook->client_cert != !hook->client_key)
        tsg_config_error (cfg, section, hook->client_cert ? "client_cert" : "client_key",
                          "client_cert and client_key go together");
    struct stat st;
    if (hook->client_key && stat (hook->client_key, &st) == 0 && (st.st_mode & 077) != 0)
        tsg_config_error (cfg, section, "client_key", "%s must be mode 0600", hook->client_key);
    hook->max_attempts_days = (int) tsg_config_int (cfg, section, "max_attempts_days", 3, 1, 365);
}

/* Every [webhook.NAME] section into self->webhooks, and their keys into *known (a list that
 * grows: the static keys first).  Returns false when out of memory. */
static bool
s_webhooks (tsg_config_t *cfg, tsg_agency_config_t *self, char ***known, size_t *known_count)
{
    for (size_t i = 0; tsg_config_section (cfg, i); i++) {
        const char *section = tsg_config_section (cfg, i);
        if (strncmp (section, "webhook.", 8) != 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < self->webhook_count && !seen; j++)
            seen = strcmp (self->webhooks[j].name, section + 8) == 0;
        if (seen)
            continue; /* inih merges a repeated header; its keys were checked once */
        if (self->webhook_count >= 64) {
            tsg_config_error (cfg, section, "url", "more than 64 webhooks");
            break;
        }
        tsg_agency_webhook_t *grown =
            realloc (self->webhooks, (self->webhook_count + 1) * sizeof *grown);
        char **names = realloc (*known, (*known_count + 8) * sizeof *names);
        if (grown)
            self->webhooks = grown;
        if (names)
            *known = names;
        if (!grown || !names)
            return false;
        memset (&self->webhooks[self->webhook_count], 0, sizeof *grown);
        s_webhook (cfg, section, &self->webhooks[self->webhook_count++]);
        for (size_t k = 0; s_webhook_keys[k]; k++)
            if (asprintf (&names[*known_count], "%s.%s", section, s_webhook_keys[k]) >= 0)
                ++*known_count;
        names[*known_count] = NULL;
    }
    return true;
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
    self->events_keep =
        (uint64_t) tsg_config_int (cfg, "retention", "events_keep", 100000, 1, 100L * 1000 * 1000);
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
    self->mappings_dir = tsg_config_resolve_path (
        cfg, tsg_config_string (cfg, "import", "mappings", "import-mappings"));

    self->response_due_days = (int) tsg_config_int (cfg, "policy", "response_due_days",
                                                    policy ? policy->response_due_days : 7, 1, 365);
    /* The known keys: the fixed ones and each webhook's. */
    size_t known_count = 0;
    while (s_known_keys[known_count])
        known_count++;
    char **known = calloc (known_count + 1, sizeof *known);
    for (size_t i = 0; known && i < known_count; i++)
        known[i] = (char *) s_known_keys[i];
    size_t fixed = known_count;
    if (!known || !s_webhooks (cfg, self, &known, &known_count))
        tsg_config_error (cfg, "agency", "id", "out of memory");
    else
        tsg_config_check_known (cfg, (const char *const *) known);
    for (size_t i = fixed; known && i < known_count; i++)
        free (known[i]);
    free (known);
    self->errors = tsg_config_errors (cfg);
    if (self->errors > 0)
        self->report = s_report (cfg);
    tsg_config_destroy (&cfg);
    return self;
}
