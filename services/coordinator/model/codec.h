/* Byte-level helpers for the coordinator's record formats (big-endian integers, strings with a
 * one-byte length) and the text checks that keep cleartext metadata printable. */
#ifndef TSG_HUB_CODEC_H_INCLUDED
#define TSG_HUB_CODEC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_text.h"

/* A cursor over a stored value; ok turns false on the first read that does not fit, and
 * every later read returns zeros. */
typedef struct {
    const uint8_t *data; /* the value (borrowed) */
    size_t len;          /* its length */
    size_t pos;          /* next byte to read */
    bool ok;             /* false once anything did not fit */
} tsg_hub_reader_t;

void tsg_hub_reader_init (tsg_hub_reader_t *r, const void *data, size_t len);
uint8_t tsg_hub_read_u8 (tsg_hub_reader_t *r);
uint32_t tsg_hub_read_u32 (tsg_hub_reader_t *r);
uint64_t tsg_hub_read_u64 (tsg_hub_reader_t *r);
/* A length-prefixed string into out (size bytes, always NUL-terminated); one that does not
 * fit in out fails the reader. */
void tsg_hub_read_str (tsg_hub_reader_t *r, char *out, size_t size);
/* The next n bytes, borrowed from the value; NULL (and the reader failed) when short. */
const uint8_t *tsg_hub_read_bytes (tsg_hub_reader_t *r, size_t n);

/* A growing buffer for a value being written; ok turns false when memory runs out, and
 * every later write does nothing. */
typedef struct {
    uint8_t *data; /* the bytes (owned; free with tsg_hub_writer_free) */
    size_t len;    /* bytes written */
    size_t cap;    /* bytes allocated */
    bool ok;       /* false after an allocation failure */
} tsg_hub_writer_t;

void tsg_hub_writer_init (tsg_hub_writer_t *w);
void tsg_hub_writer_free (tsg_hub_writer_t *w);
void tsg_hub_write_u8 (tsg_hub_writer_t *w, uint8_t v);
void tsg_hub_write_u32 (tsg_hub_writer_t *w, uint32_t v);
void tsg_hub_write_u64 (tsg_hub_writer_t *w, uint64_t v);
/* Writes text with a one-byte length; text is cut to 255 bytes (callers check lengths
 * before they store anything). */
void tsg_hub_write_str (tsg_hub_writer_t *w, const char *text);
void tsg_hub_write_bytes (tsg_hub_writer_t *w, const void *data, size_t n);

/* Copies text into out (size bytes) when it fits; false (out emptied) otherwise. */
bool tsg_hub_copy (char *out, size_t size, const char *text);

#endif
