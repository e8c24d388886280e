/* csv_write.c — CSV as Excel opens it (tsg_csv_write.h): RFC 4180 quoting, CRLF rows, UTF-8
 * with a BOM or CP932 through glibc's iconv. */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_csv_write.h"

#define BOM "\xEF\xBB\xBF"

struct _tsg_csv_t {
    FILE *out;      /* where the bytes go (borrowed) */
    iconv_t cd;     /* UTF-8 → CP932, or (iconv_t) -1 for UTF-8 output */
    unsigned flags; /* TSG_CSV_* */
    size_t fields;  /* fields in the current row */
    size_t rows;    /* rows ended */
    bool failed;    /* a write or a conversion failed */
};

/* Writes len bytes of UTF-8 in the writer's encoding. */
static void
s_emit (tsg_csv_t *self, const char *text, size_t len)
{
    if (self->failed || len == 0)
        return;
    if (self->cd == (iconv_t) -1) {
        if (fwrite (text, 1, len, self->out) != len)
            self->failed = true;
        return;
    }
    char buffer[1024];
    char *in = (char *) text;
    size_t in_left = len;
    while (in_left > 0 && !self->failed) {
        char *o = buffer;
        size_t out_left = sizeof buffer;
        size_t rc = iconv (self->cd, &in, &in_left, &o, &out_left);
        if (rc == (size_t) -1 && (errno == EILSEQ || errno == EINVAL)) {
            /* A character CP932 lacks (or a byte that is not UTF-8): skip one sequence and
             * write '?'.  The buffer has room: iconv stopped before filling it. */
            size_t skip = 1;
            while (skip < in_left && ((unsigned char) in[skip] & 0xC0) == 0x80
                   && ((unsigned char) in[0] & 0xC0) == 0xC0 && skip < 4)
                skip++;
            in += skip;
            in_left -= skip;
            if (out_left == 0) {
                if (fwrite (buffer, 1, sizeof buffer, self->out) != sizeof buffer)
                    self->failed = true;
                o = buffer;
            }
            *o++ = '?';
        }
        else if (rc == (size_t) -1 && errno != E2BIG)
            self->failed = true;
        size_t n = (size_t) (o - buffer);
        if (n > 0 && fwrite (buffer, 1, n, self->out) != n)
            self->failed = true;
    }
    iconv (self->cd, NULL, NULL, NULL, NULL);
}

tsg_csv_t *
tsg_csv_new (FILE *out, tsg_csv_encoding_t encoding, unsigned flags)
{
    tsg_csv_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->out = out;
    self->flags = flags;
    self->cd = (iconv_t) -1;
    if (encoding == TSG_CSV_CP932) {
        self->cd = iconv_open ("CP932", "UTF-8");
        if (self->cd == (iconv_t) -1) {
            free (self);
            return NULL;
        }
    }
    else
        s_emit (self, BOM, 3);
    return self;
}

bool
tsg_csv_destroy (tsg_csv_t **self_p)
{
    if (!self_p || !*self_p)
        return false;
    tsg_csv_t *self = *self_p;
    bool ok = !self->failed;
    if (self->cd != (iconv_t) -1)
        iconv_close (self->cd);
    free (self);
    *self_p = NULL;
    return ok;
}

/* The separator before a field that is not the row's first. */
static void
s_separator (tsg_csv_t *self)
{
    if (self->fields++ > 0)
        s_emit (self, ",", 1);
}

void
tsg_csv_field (tsg_csv_t *self, const char *text)
{
    s_separator (self);
    if (!text || !*text)
        return;
    bool guard = (self->flags & TSG_CSV_FORMULA_GUARD) && strchr ("=+-@\t\r", text[0]);
    if (!guard && !strpbrk (text, ",\"\r\n")) {
        s_emit (self, text, strlen (text));
        return;
    }
    s_emit (self, "\"", 1);
    if (guard)
        s_emit (self, "'", 1);
    for (const char *p = text; *p;) {
        const char *quote = strchr (p, '"');
        size_t n = quote ? (size_t) (quote - p) + 1 : strlen (p);
        s_emit (self, p, n);
        if (quote)
            s_emit (self, "\"", 1);
        p += n;
    }
    s_emit (self, "\"", 1);
}

void
tsg_csv_fieldf (tsg_csv_t *self, const char *format, ...)
{
    char text[128];
    va_list ap;
    va_start (ap, format);
    int n = vsnprintf (text, sizeof text, format, ap);
    va_end (ap);
    if (n < 0 || (size_t) n >= sizeof text) {
        self->failed = true;
        return;
    }
    unsigned flags = self->flags;
    self->flags &= ~TSG_CSV_FORMULA_GUARD; /* "-1" is a number, not a formula */
    tsg_csv_field (self, text);
    self->flags = flags;
}

void
tsg_csv_end_row (tsg_csv_t *self)
{
    s_emit (self, "\r\n", 2);
    self->fields = 0;
    self->rows++;
}

void
tsg_csv_row (tsg_csv_t *self, const char *first, ...)
{
    va_list ap;
    va_start (ap, first);
    for (const char *field = first; field; field = va_arg (ap, const char *))
        tsg_csv_field (self, field);
    va_end (ap);
    tsg_csv_end_row (self);
}

size_t
tsg_csv_rows (const tsg_csv_t *self)
{
    return self->rows;
}

bool
tsg_csv_ok (const tsg_csv_t *self)
{
    return !self->failed;
}

char *
tsg_csv_cp932 (const char *utf8, size_t len, size_t *out_len)
{
    char *out = NULL;
    size_t size = 0;
    FILE *h = open_memstream (&out, &size);
    if (!h)
        return NULL;
    tsg_csv_t *self = tsg_csv_new (h, TSG_CSV_CP932, 0);
    bool ok = self != NULL;
    if (self) {
        s_emit (self, utf8, len);
        ok = tsg_csv_destroy (&self);
    }
    ok = !ferror (h) && ok;
    if (fclose (h) != 0 || !ok || !out) {
        free (out);
        return NULL;
    }
    *out_len = size;
    return out;
}
