/* Small helpers every process needs: the clock, random ids, hex, id rules, big-endian keys. */
#ifndef TSG_UTIL_H_INCLUDED
#define TSG_UTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TSG_MESSAGE_ID_SIZE 16
#define TSG_UUID_TEXT_SIZE  37 /* 36 characters and the NUL */
#define TSG_ID_MAX          32 /* agency id length limit */

/* Wall clock in UTC milliseconds.  Tests may replace it with tsg_clock_set();
 * passing NULL restores the real clock. */
uint64_t tsg_now_ms (void);
void tsg_clock_set (uint64_t (*clock_fn) (void));

/* Monotonic milliseconds, for timers only (never stored). */
uint64_t tsg_monotonic_ms (void);

/* Fills id with a new message id: 6 bytes of the wall clock's milliseconds (big-endian), then
 * 10 random bytes, so that ids sort by time and stores insert them at their end. */
void tsg_random_id (uint8_t id[TSG_MESSAGE_ID_SIZE]);

/* Writes a new lowercase UUID into out: version 7 (RFC 9562), its first 48 bits the wall
 * clock's milliseconds, 74 random bits after. */
void tsg_uuid_new (char out[TSG_UUID_TEXT_SIZE]);

/* True when text is a lowercase UUID (36 characters, hyphens at 8-13-18-23). */
bool tsg_uuid_valid (const char *text);

/* Lowercase hex of len bytes into out, which must hold 2*len+1 bytes. */
void tsg_hex_encode (const uint8_t *data, size_t len, char *out);

/* Decodes exactly 2*len hex characters into out; false on any bad input. */
bool tsg_hex_decode (const char *text, uint8_t *out, size_t len);

/* Z85 text of a 32-byte key (40 characters + NUL), and back; decode is false on bad input. */
void tsg_key_to_z85 (const uint8_t key[32], char out[41]);
bool tsg_key_from_z85 (const char *text, uint8_t key[32]);

/* Agency id rule: 1..32 of [a-z0-9-], first a letter; "coordinator" is reserved. */
bool tsg_agency_id_valid (const char *id);

/* The four agency types: eldercare, disability, child, poverty. */
bool tsg_agency_type_valid (const char *type);

/* Big-endian 64-bit integers, so LMDB keys sort in numeric order. */
void tsg_be64_put (uint8_t out[8], uint64_t value);
uint64_t tsg_be64_get (const uint8_t in[8]);

/* ISO-8601 UTC text of ms ("2026-11-23T07:00:00.123Z") into out (at least 25 bytes). */
void tsg_iso8601 (uint64_t ms, char out[32]);

/* Civil date "YYYY-MM-DD" of ms plus days, in Japan time (UTC+9), into out (11 bytes). */
void tsg_date_jst_plus_days (uint64_t ms, int days, char out[11]);

/* True when an HTTP Authorization header is "Bearer <token>" and the SHA-256 of the token
 * equals token_sha256 (compared in constant time).  Servers keep only the hash. */
bool tsg_bearer_matches (const char *authorization, const uint8_t token_sha256[32]);

/* Creates dir and missing parents with mode; true if it exists afterwards. */
bool tsg_mkdir_p (const char *dir, unsigned mode);

/* Formats a path into out (size bytes); false when it does not fit (out is then cut). */
bool tsg_path (char *out, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Writes data to path atomically (temp file, fsync, rename) with mode.  TSG_OK or TSG_ERR_IO. */
int tsg_write_file (const char *path, const void *data, size_t len, unsigned mode);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer the caller frees.
 * TSG_ERR_NOT_FOUND, TSG_ERR_IO or TSG_ERR_TOO_LARGE on failure. */
int tsg_read_file (const char *path, size_t max, char **out, size_t *out_len);

#endif
