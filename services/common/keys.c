/* keys.c — a party's key pairs, their files (secret 0600, public 0644), wiped on destroy. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"

#define KEY_FILE_MAX 4096

struct _tsg_keys_t {
    char id[TSG_ID_MAX + 1 + 16];                    /* owner: agency id or "coordinator" */
    uint8_t box_public[crypto_box_PUBLICKEYBYTES];   /* X25519 public; also the CURVE key */
    uint8_t box_secret[crypto_box_SECRETKEYBYTES];   /* X25519 secret */
    uint8_t sign_public[crypto_sign_PUBLICKEYBYTES]; /* Ed25519 public */
    uint8_t sign_secret[crypto_sign_SECRETKEYBYTES]; /* Ed25519 secret (seed || public) */
};

static tsg_keys_t *
s_keys_alloc (const char *id)
{
    if (sodium_init () < 0)
        return NULL;
    /* sodium_malloc: guard pages, mlock'd, so secrets are not swapped out. */
    tsg_keys_t *self = sodium_malloc (sizeof *self);
    if (!self)
        return NULL;
    memset (self, 0, sizeof *self);
    if (id)
        memcpy (self->id, id, strnlen (id, sizeof self->id - 1));
    return self;
}

tsg_keys_t *
tsg_keys_generate (const char *id)
{
    tsg_keys_t *self = s_keys_alloc (id);
    if (!self)
        return NULL;
    crypto_box_keypair (self->box_public, self->box_secret);
    crypto_sign_keypair (self->sign_public, self->sign_secret);
    return self;
}

void
tsg_keys_destroy (tsg_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    /* sodium_free wipes the whole region before it unmaps it. */
    sodium_free (*self_p);
    *self_p = NULL;
}

void
tsg_keys_replace (tsg_keys_t *self, const tsg_keys_t *with)
{
    memcpy (self, with, sizeof *self);
}

const char *
tsg_keys_id (const tsg_keys_t *self)
{
    return self->id;
}
const uint8_t *
tsg_keys_box_public (const tsg_keys_t *self)
{
    return self->box_public;
}
const uint8_t *
tsg_keys_box_secret (const tsg_keys_t *self)
{
    return self->box_secret;
}
const uint8_t *
tsg_keys_sign_public (const tsg_keys_t *self)
{
    return self->sign_public;
}
const uint8_t *
tsg_keys_sign_secret (const tsg_keys_t *self)
{
    return self->sign_secret;
}

/* Formats the key file text into buf; secrets only when with_secrets. */
static int
s_format (const tsg_keys_t *self, bool with_secrets, char *buf, size_t size)
{
    char box_pub[41], sign_pub[41], box_sec[41], sign_seed[41];
    uint8_t seed[crypto_sign_SEEDBYTES];
    tsg_key_to_z85 (self->box_public, box_pub);
    tsg_key_to_z85 (self->sign_public, sign_pub);
    int n;
    if (with_secrets) {
        crypto_sign_ed25519_sk_to_seed (seed, self->sign_secret);
        tsg_key_to_z85 (self->box_secret, box_sec);
        tsg_key_to_z85 (seed, sign_seed);
        n = snprintf (buf, size,
                      "# tsunagu secret keys for %s — keep private (mode 0600)\n"
                      "id = %s\nbox-public = %s\nbox-secret = %s\nsign-public = %s\n"
                      "sign-secret = %s\n",
                      self->id, self->id, box_pub, box_sec, sign_pub, sign_seed);
        sodium_memzero (seed, sizeof seed);
        sodium_memzero (box_sec, sizeof box_sec);
        sodium_memzero (sign_seed, sizeof sign_seed);
    }
    else
        n = snprintf (buf, size,
                      "# tsunagu public keys for %s\nid = %s\nbox-public = %s\nsign-public = %s\n",
                      self->id, self->id, box_pub, sign_pub);
    return n > 0 && (size_t) n < size ? n : -1;
}

int
tsg_keys_save_secret (const tsg_keys_t *self, const char *path)
{
    char buf[KEY_FILE_MAX];
    int n = s_format (self, true, buf, sizeof buf);
    int rc = n < 0 ? TSG_ERR_BAD_INPUT : tsg_write_file (path, buf, (size_t) n, 0600);
    sodium_memzero (buf, sizeof buf);
    return rc;
}

int
tsg_keys_save_public (const tsg_keys_t *self, const char *path)
{
    char buf[KEY_FILE_MAX];
    int n = s_format (self, false, buf, sizeof buf);
    return n < 0 ? TSG_ERR_BAD_INPUT : tsg_write_file (path, buf, (size_t) n, 0644);
}

/* What a key file holds, as text fields; parsing fills what it finds. */
typedef struct {
    char id[64];          /* "id" */
    char box_public[64];  /* "box-public" */
    char box_secret[64];  /* "box-secret" */
    char sign_public[64]; /* "sign-public" */
    char sign_secret[64]; /* "sign-secret" */
} s_fields_t;

static void
s_err (char *err, size_t size, const char *fmt, ...)
{
    if (!err || size == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, size, fmt, ap);
    va_end (ap);
}

/* Reads path (checking its mode when secret) and splits it into fields. */
static int
s_read_fields (const char *path, bool secret, s_fields_t *fields, char *err, size_t err_size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        s_err (err, err_size, "%s: %s", path, strerror (errno));
        return errno == ENOENT ? TSG_ERR_NOT_FOUND : TSG_ERR_IO;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        s_err (err, err_size, "%s: not a regular file", path);
        close (fd);
        return TSG_ERR_IO;
    }
    if (secret && (st.st_mode & 077)) {
        s_err (err, err_size, "%s: permissions %03o are too open; the secret key file must be 0600",
               path, (unsigned) (st.st_mode & 0777));
        close (fd);
        return TSG_ERR_PERMISSION;
    }
    char buf[KEY_FILE_MAX];
    ssize_t n = read (fd, buf, sizeof buf - 1);
    close (fd);
    if (n < 0 || n == (ssize_t) sizeof buf - 1) {
        s_err (err, err_size, "%s: unreadable or too large", path);
        sodium_memzero (buf, sizeof buf);
        return TSG_ERR_BAD_INPUT;
    }
    buf[n] = '\0';
    memset (fields, 0, sizeof *fields);
    int rc = TSG_OK;
    int line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        line_no++;
        line[strcspn (line, "\r")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *eq = strchr (line, '=');
        if (!eq) {
            s_err (err, err_size, "%s:%d: expected 'name = value'", path, line_no);
            rc = TSG_ERR_BAD_INPUT;
            break;
        }
        *eq = '\0';
        char *name = line, *value = eq + 1;
        while (*name == ' ' || *name == '\t')
            name++;
        for (char *e = name + strlen (name); e > name && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        while (*value == ' ' || *value == '\t')
            value++;
        for (char *e = value + strlen (value); e > value && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        char *slot = !strcmp (name, "id")            ? fields->id
                     : !strcmp (name, "box-public")  ? fields->box_public
                     : !strcmp (name, "box-secret")  ? fields->box_secret
                     : !strcmp (name, "sign-public") ? fields->sign_public
                     : !strcmp (name, "sign-secret") ? fields->sign_secret
                                                     : NULL;
        if (!slot || strlen (value) >= 64) {
            s_err (err, err_size, "%s:%d: unknown or overlong entry '%s'", path, line_no, name);
            rc = TSG_ERR_BAD_INPUT;
            break;
        }
        strcpy (slot, value);
    }
    sodium_memzero (buf, sizeof buf);
    return rc;
}

int
tsg_keys_load (const char *path, tsg_keys_t **out, char *err, size_t err_size)
{
    s_fields_t fields;
    int rc = s_read_fields (path, true, &fields, err, err_size);
    if (rc != TSG_OK) {
        sodium_memzero (&fields, sizeof fields);
        return rc;
    }
    tsg_keys_t *self = s_keys_alloc (fields.id);
    if (!self) {
        sodium_memzero (&fields, sizeof fields);
        return TSG_ERR_NOMEM;
    }
    uint8_t seed[crypto_sign_SEEDBYTES], box_check[32], sign_check[32];
    rc = TSG_ERR_BAD_INPUT;
    if (fields.id[0] == '\0')
        s_err (err, err_size, "%s: no id", path);
    else if (!tsg_key_from_z85 (fields.box_secret, self->box_secret)
             || !tsg_key_from_z85 (fields.sign_secret, seed))
        s_err (err, err_size, "%s: missing or malformed secret key", path);
    else if (!tsg_key_from_z85 (fields.box_public, box_check)
             || !tsg_key_from_z85 (fields.sign_public, sign_check))
        s_err (err, err_size, "%s: missing or malformed public key", path);
    else {
        crypto_scalarmult_base (self->box_public, self->box_secret);
        crypto_sign_seed_keypair (self->sign_public, self->sign_secret, seed);
        if (sodium_memcmp (box_check, self->box_public, 32) != 0
            || sodium_memcmp (sign_check, self->sign_public, 32) != 0)
            s_err (err, err_size, "%s: a public key does not match its secret key", path);
        else
            rc = TSG_OK;
    }
    sodium_memzero (seed, sizeof seed);
    sodium_memzero (&fields, sizeof fields);
    if (rc != TSG_OK) {
        tsg_keys_destroy (&self);
        return rc;
    }
    *out = self;
    return TSG_OK;
}

int
tsg_keys_load_public (const char *path, char id_out[33], uint8_t box_public[32],
                      uint8_t sign_public[32], char *err, size_t err_size)
{
    s_fields_t fields;
    int rc = s_read_fields (path, false, &fields, err, err_size);
    if (rc != TSG_OK)
        return rc;
    if (fields.id[0] == '\0' || strlen (fields.id) > 32
        || !tsg_key_from_z85 (fields.box_public, box_public)
        || !tsg_key_from_z85 (fields.sign_public, sign_public)) {
        s_err (err, err_size, "%s: missing or malformed id or public key", path);
        return TSG_ERR_BAD_INPUT;
    }
    memcpy (id_out, fields.id, strlen (fields.id) + 1);
    return TSG_OK;
}

bool
tsg_keys_public_path (const char *secret_path, char *out, size_t size)
{
    size_t len = strlen (secret_path);
    if (len > 4 && strcmp (secret_path + len - 4, ".key") == 0)
        len -= 4;
    int n = snprintf (out, size, "%.*s.pub", (int) len, secret_path);
    return n > 0 && (size_t) n < size;
}
