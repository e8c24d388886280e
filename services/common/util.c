/* util.c — the clock, random ids, hex and Z85 text, id rules, and small file helpers. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "tsunagu/tsunagu.h"

static uint64_t (*s_clock) (void) = NULL; /* test override of the wall clock */

uint64_t
tsg_now_ms (void)
{
    if (s_clock)
        return s_clock ();
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void
tsg_clock_set (uint64_t (*clock_fn) (void))
{
    s_clock = clock_fn;
}

uint64_t
tsg_monotonic_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* 16 bytes that sort by when they were made: the wall clock's milliseconds (48 bits,
 * big-endian), then random bytes.  Stores keyed by them insert at their end, on pages already
 * being written, instead of on a random page of the tree each. */
static void
s_time_ordered (uint8_t *out, size_t len)
{
    uint64_t ms = tsg_now_ms ();
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t) (ms >> (8 * (5 - i)));
    randombytes_buf (out + 6, len - 6);
}

void
tsg_random_id (uint8_t id[TSG_MESSAGE_ID_SIZE])
{
    s_time_ordered (id, TSG_MESSAGE_ID_SIZE);
}

void
tsg_uuid_new (char out[TSG_UUID_TEXT_SIZE])
{
    uint8_t b[16];
    s_time_ordered (b, sizeof b);
    b[6] = (uint8_t) ((b[6] & 0x0f) | 0x70); /* version 7 (RFC 9562) */
    b[8] = (uint8_t) ((b[8] & 0x3f) | 0x80);
    char hex[33];
    tsg_hex_encode (b, sizeof b, hex);
    snprintf (out, TSG_UUID_TEXT_SIZE, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
              hex + 16, hex + 20);
}

bool
tsg_uuid_valid (const char *text)
{
    if (!text || strlen (text) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        }
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

void
tsg_hex_encode (const uint8_t *data, size_t len, char *out)
{
    sodium_bin2hex (out, 2 * len + 1, data, len);
}

bool
tsg_hex_decode (const char *text, uint8_t *out, size_t len)
{
    size_t got = 0;
    const char *end = NULL;
    return text && strlen (text) == 2 * len
           && sodium_hex2bin (out, len, text, 2 * len, NULL, &got, &end) == 0 && got == len
           && end == text + 2 * len;
}

void
tsg_key_to_z85 (const uint8_t key[32], char out[41])
{
    zmq_z85_encode (out, key, 32);
}

bool
tsg_key_from_z85 (const char *text, uint8_t key[32])
{
    if (!text || strlen (text) != 40)
        return false;
    /* zmq_z85_decode does not reject every character outside the alphabet. */
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   ".-:+=^!/*?&<>()[]{}@%$#";
    for (const char *p = text; *p; p++)
        if (!strchr (alphabet, *p))
            return false;
    return zmq_z85_decode (key, text) != NULL;
}

bool
tsg_agency_id_valid (const char *id)
{
    if (!id)
        return false;
    size_t len = strlen (id);
    if (len < 1 || len > TSG_ID_MAX || !(id[0] >= 'a' && id[0] <= 'z'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return strcmp (id, "coordinator") != 0;
}

bool
tsg_agency_type_valid (const char *type)
{
    static const char *const types[] = { "eldercare", "disability", "child", "poverty" };
    if (!type)
        return false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp (type, types[i]) == 0)
            return true;
    return false;
}

void
tsg_be64_put (uint8_t out[8], uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t) (value & 0xff);
        value >>= 8;
    }
}

uint64_t
tsg_be64_get (const uint8_t in[8])
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | in[i];
    return value;
}

void
tsg_iso8601 (uint64_t ms, char out[32])
{
    time_t secs = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    snprintf (out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
              (unsigned) (tm.tm_year + 1900) % 10000u, (unsigned) (tm.tm_mon + 1) % 100u,
              (unsigned) tm.tm_mday % 100u, (unsigned) tm.tm_hour % 100u,
              (unsigned) tm.tm_min % 100u, (unsigned) tm.tm_sec % 100u, (unsigned) (ms % 1000));
}

void
tsg_date_jst_plus_days (uint64_t ms, int days, char out[11])
{
    time_t secs = (time_t) (ms / 1000) + 9 * 3600 + (time_t) days * 86400;
    struct tm tm;
    gmtime_r (&secs, &tm);
    snprintf (out, 11, "%04u-%02u-%02u", (unsigned) (tm.tm_year + 1900) % 10000u,
              (unsigned) (tm.tm_mon + 1) % 100u, (unsigned) tm.tm_mday % 100u);
}

bool
tsg_bearer_matches (const char *authorization, const uint8_t token_sha256[32])
{
    if (!authorization || strncasecmp (authorization, "Bearer ", 7) != 0)
        return false;
    const char *token = authorization + 7;
    while (*token == ' ')
        token++;
    size_t len = strlen (token);
    while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
        len--;
    if (len == 0)
        return false;
    uint8_t digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const uint8_t *) token, len);
    return sodium_memcmp (digest, token_sha256, sizeof digest) == 0;
}

bool
tsg_mkdir_p (const char *dir, unsigned mode)
{
    char path[PATH_MAX];
    if (!dir || snprintf (path, sizeof path, "%s", dir) >= (int) sizeof path)
        return false;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir (path, mode) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    if (mkdir (path, mode) != 0 && errno != EEXIST)
        return false;
    struct stat st;
    return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

int
tsg_write_file (const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[PATH_MAX];
    if (snprintf (tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid ()) >= (int) sizeof tmp)
        return TSG_ERR_IO;
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return TSG_ERR_IO;
    /* The umask must not widen or narrow what the caller asked for. */
    if (fchmod (fd, mode) != 0)
        goto fail;
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write (fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        p += n;
        left -= (size_t) n;
    }
    if (fsync (fd) != 0)
        goto fail;
    if (close (fd) != 0) {
        unlink (tmp);
        return TSG_ERR_IO;
    }
    if (rename (tmp, path) != 0) {
        unlink (tmp);
        return TSG_ERR_IO;
    }
    return TSG_OK;
fail:
    close (fd);
    unlink (tmp);
    return TSG_ERR_IO;
}

int
tsg_read_file (const char *path, size_t max, char **out, size_t *out_len)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TSG_ERR_NOT_FOUND : TSG_ERR_IO;
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return TSG_ERR_IO;
    }
    if ((size_t) st.st_size > max) {
        close (fd);
        return TSG_ERR_TOO_LARGE;
    }
    char *buf = malloc ((size_t) st.st_size + 1);
    if (!buf) {
        close (fd);
        return TSG_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < (size_t) st.st_size) {
        ssize_t n = read (fd, buf + got, (size_t) st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    buf[got] = '\0';
    *out = buf;
    if (out_len)
        *out_len = got;
    return TSG_OK;
}

bool
tsg_path (char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (out, size, fmt, ap);
    va_end (ap);
    return n >= 0 && (size_t) n < size;
}
