/* codec.c — reading and writing the coordinator's record values, and checking cleartext words. */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/codec.h"
#include "tsunagu/tsunagu.h"

void
tsg_hub_reader_init (tsg_hub_reader_t *r, const void *data, size_t len)
{
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->ok = true;
}

const uint8_t *
tsg_hub_read_bytes (tsg_hub_reader_t *r, size_t n)
{
    if (!r->ok || n > r->len - r->pos) {
        r->ok = false;
        return NULL;
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

uint8_t
tsg_hub_read_u8 (tsg_hub_reader_t *r)
{
    const uint8_t *p = tsg_hub_read_bytes (r, 1);
    return p ? p[0] : 0;
}

uint32_t
tsg_hub_read_u32 (tsg_hub_reader_t *r)
{
    const uint8_t *p = tsg_hub_read_bytes (r, 4);
    return p ? (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3] : 0;
}

uint64_t
tsg_hub_read_u64 (tsg_hub_reader_t *r)
{
    const uint8_t *p = tsg_hub_read_bytes (r, 8);
    return p ? tsg_be64_get (p) : 0;
}

void
tsg_hub_read_str (tsg_hub_reader_t *r, char *out, size_t size)
{
    size_t n = tsg_hub_read_u8 (r);
    const uint8_t *p = r->ok && n < size ? tsg_hub_read_bytes (r, n) : NULL;
    if (!p) {
        r->ok = false;
        out[0] = '\0';
        return;
    }
    memcpy (out, p, n);
    out[n] = '\0';
}

void
tsg_hub_writer_init (tsg_hub_writer_t *w)
{
    memset (w, 0, sizeof *w);
    w->ok = true;
}

void
tsg_hub_writer_free (tsg_hub_writer_t *w)
{
    free (w->data);
    memset (w, 0, sizeof *w);
}

void
tsg_hub_write_bytes (tsg_hub_writer_t *w, const void *data, size_t n)
{
    if (!w->ok || n == 0)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *grown = realloc (w->data, cap);
        if (!grown) {
            w->ok = false;
            return;
        }
        w->data = grown;
        w->cap = cap;
    }
    memcpy (w->data + w->len, data, n);
    w->len += n;
}

void
tsg_hub_write_u8 (tsg_hub_writer_t *w, uint8_t v)
{
    tsg_hub_write_bytes (w, &v, 1);
}

void
tsg_hub_write_u32 (tsg_hub_writer_t *w, uint32_t v)
{
    uint8_t b[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v };
    tsg_hub_write_bytes (w, b, sizeof b);
}

void
tsg_hub_write_u64 (tsg_hub_writer_t *w, uint64_t v)
{
    uint8_t b[8];
    tsg_be64_put (b, v);
    tsg_hub_write_bytes (w, b, sizeof b);
}

void
tsg_hub_write_str (tsg_hub_writer_t *w, const char *text)
{
    size_t n = text ? strlen (text) : 0;
    if (n > 255)
        n = 255;
    tsg_hub_write_u8 (w, (uint8_t) n);
    tsg_hub_write_bytes (w, text, n);
}

bool
tsg_hub_copy (char *out, size_t size, const char *text)
{
    size_t n = text ? strlen (text) : 0;
    if (n >= size) {
        out[0] = '\0';
        return false;
    }
    memcpy (out, text ? text : "", n + 1);
    return true;
}
