/* bundle.c — what goes into an agency bundle: its configuration, keys and bearer token,
 * and the checks on the values written there. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

/* One agency type as tsunaguctl knows it. */
typedef struct {
    const char *type;  /* the type's id */
    const char *label; /* its Japanese name */
    int due_days;      /* default response due days */
} s_type_t;

static const s_type_t s_types[] = {
    { "eldercare", "地域包括支援センター", 7 },
    { "disability", "相談支援事業所", 14 },
    { "child", "こども家庭センター", 3 },
    { "poverty", "自立相談支援機関", 7 },
};

static const s_type_t *
s_type_find (const char *type)
{
    if (!type)
        return NULL;
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
        if (strcmp (s_types[i].type, type) == 0)
            return &s_types[i];
    return NULL;
}

int
ctl_type_due_days (const char *type)
{
    const s_type_t *t = s_type_find (type);
    return t ? t->due_days : 0;
}

const char *
ctl_type_label (const char *type)
{
    const s_type_t *t = s_type_find (type);
    return t ? t->label : "";
}

void
ctl_token_new (char token[CTL_TOKEN_HEX])
{
    uint8_t raw[CTL_TOKEN_BYTES];
    randombytes_buf (raw, sizeof raw);
    tsg_hex_encode (raw, sizeof raw, token);
    sodium_memzero (raw, sizeof raw);
}

void
ctl_token_hash (const char *token, char out[CTL_TOKEN_HEX])
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const unsigned char *) token, strlen (token));
    tsg_hex_encode (digest, sizeof digest, out);
}

int
ctl_token_file_write (const char *path, char hash_out[CTL_TOKEN_HEX], char token_out[CTL_TOKEN_HEX])
{
    char token[CTL_TOKEN_HEX + 1];
    ctl_token_new (token);
    size_t len = strlen (token);
    token[len] = '\n';
    int rc = tsg_write_file (path, token, len + 1, 0600);
    token[len] = '\0';
    if (rc == TSG_OK) {
        ctl_token_hash (token, hash_out);
        if (token_out)
            memcpy (token_out, token, CTL_TOKEN_HEX);
    }
    sodium_memzero (token, sizeof token);
    return rc;
}

bool
ctl_due_days_parse (const char *text, unsigned *out)
{
    if (!text || !*text || strlen (text) > 3)
        return false;
    unsigned days = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        days = days * 10 + (unsigned) (*p - '0');
    }
    if (days > 365)
        return false;
    *out = days;
    return true;
}

bool
ctl_deadline_days_parse (const char *text, long *out)
{
    char *end = NULL;
    long days = text ? strtol (text, &end, 10) : 0;
    if (!text || !*text || !end || *end || days < 1 || days > CTL_DEADLINE_DAYS_MAX) {
        ctl_error ("--deadline-days must be a number of days from 1 to %d", CTL_DEADLINE_DAYS_MAX);
        return false;
    }
    *out = days;
    return true;
}

/* True when text is a decimal port number in 1..65535 and nothing else. */
static bool
s_port_valid (const char *text)
{
    if (!*text || strlen (text) > 5)
        return false;
    long port = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535;
}

bool
ctl_http_listen_valid (const char *text)
{
    if (!text)
        return false;
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text)
        return false;
    for (const char *p = text; p < colon; p++)
        if (*p == '/' || *p == ' ' || (unsigned char) *p < 0x20)
            return false;
    return s_port_valid (colon + 1);
}

bool
ctl_zmq_endpoint_valid (const char *text)
{
    if (!text)
        return false;
    if (strncmp (text, "ipc://", 6) == 0)
        return text[6] != '\0';
    if (strncmp (text, "tcp://", 6) == 0)
        return ctl_http_listen_valid (text + 6);
    return false;
}

bool
ctl_host_is_loopback (const char *text)
{
    if (!text)
        return false;
    if (strncmp (text, "tcp://", 6) == 0)
        text += 6;
    if (strncmp (text, "127.", 4) == 0 || strncmp (text, "localhost:", 10) == 0
        || strncmp (text, "[::1]:", 6) == 0)
        return true;
    return false;
}

/* Writes a sentence into err. */
static void
s_err (char *err, size_t size, const char *fmt, ...)
{
    if (!err || size == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, size, fmt, args);
    va_end (args);
}

/* The agency.conf text for bundle, with token_hash; caller frees. */
static char *
s_config_text (const ctl_bundle_t *bundle, const char *token_hash)
{
    char box[41], sign[41];
    tsg_key_to_z85 (bundle->coordinator_box, box);
    tsg_key_to_z85 (bundle->coordinator_sign, sign);
    char *text = NULL;
    int rc = asprintf (&text,
                       "# tsunagu agency bundle for %s (docs/configuration.md).\n"
                       "# Written by tsunaguctl agency add; start the daemon with\n"
                       "#     tsunagu-%s -c agency.conf\n"
                       "\n"
                       "[agency]\n"
                       "id = %s\n"
                       "type = %s\n"
                       "name = %s\n"
                       "keys = keys/agency.key\n"
                       "data_dir = data\n"
                       "map_size_mb = 256\n"
                       "\n"
                       "[coordinator]\n"
                       "endpoint = %s\n"
                       "box_public = %s\n"
                       "sign_public = %s\n"
                       "\n"
                       "[http]\n"
                       "listen = %s\n"
                       "token_sha256 = %s\n"
                       "\n"
                       "[policy]\n"
                       "response_due_days = %d\n",
                       bundle->id, bundle->type, bundle->id, bundle->type, bundle->name,
                       bundle->coordinator_endpoint, box, sign, bundle->http_listen, token_hash,
                       bundle->due_days);
    return rc < 0 ? NULL : text;
}

int
ctl_bundle_write (const char *dir, const ctl_bundle_t *bundle, const tsg_keys_t *keys,
                  char token_out[CTL_TOKEN_HEX], char *err, size_t err_size)
{
    if (!dir || !bundle || !keys || !bundle->id || !bundle->type || !bundle->name
        || !bundle->http_listen || !bundle->coordinator_endpoint || !bundle->coordinator_box
        || !bundle->coordinator_sign || !bundle->coordinator_public_path) {
        s_err (err, err_size, "incomplete bundle description");
        return TSG_ERR_BAD_INPUT;
    }
    char path[PATH_MAX];
    int rc = TSG_OK;
    char *text = NULL;
    char *coordinator_pub = NULL;
    size_t coordinator_pub_len = 0;
    char token[CTL_TOKEN_HEX] = "";

    /* keys/ first: the secret key file is the part that must never be wider than 0600. */
    snprintf (path, sizeof path, "%s/keys", dir);
    if (mkdir (path, 0700) != 0) {
        s_err (err, err_size, "cannot create %s: %s", path, strerror (errno));
        rc = TSG_ERR_IO;
        goto done;
    }
    snprintf (path, sizeof path, "%s/keys/agency.key", dir);
    rc = tsg_keys_save_secret (keys, path);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot write %s: %s", path, tsg_strerror (rc));
        goto done;
    }
    rc = tsg_read_file (bundle->coordinator_public_path, 64 * 1024, &coordinator_pub,
                        &coordinator_pub_len);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot read %s: %s", bundle->coordinator_public_path,
               tsg_strerror (rc));
        goto done;
    }
    snprintf (path, sizeof path, "%s/keys/coordinator.pub", dir);
    rc = tsg_write_file (path, coordinator_pub, coordinator_pub_len, 0644);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot write %s: %s", path, tsg_strerror (rc));
        goto done;
    }

    /* The token file holds the token and a newline; the configuration only its hash. */
    snprintf (path, sizeof path, "%s/http.token", dir);
    char token_hash[CTL_TOKEN_HEX];
    rc = ctl_token_file_write (path, token_hash, token);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot write %s: %s", path, tsg_strerror (rc));
        goto done;
    }
    text = s_config_text (bundle, token_hash);
    if (!text) {
        rc = TSG_ERR_NOMEM;
        s_err (err, err_size, "%s", tsg_strerror (rc));
        goto done;
    }
    snprintf (path, sizeof path, "%s/agency.conf", dir);
    rc = tsg_write_file (path, text, strlen (text), 0640);
    if (rc != TSG_OK) {
        s_err (err, err_size, "cannot write %s: %s", path, tsg_strerror (rc));
        goto done;
    }
    if (token_out)
        memcpy (token_out, token, CTL_TOKEN_HEX);

done:
    sodium_memzero (token, sizeof token);
    free (text);
    free (coordinator_pub);
    return rc;
}

/* nftw callback of ctl_remove_tree: removes one entry, children before parents. */
static int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) ftw;
    return (flag == FTW_DP ? rmdir (path) : unlink (path)) == 0 ? 0 : -1;
}

int
ctl_remove_tree (const char *path)
{
    return nftw (path, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
