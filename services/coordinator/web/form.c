/* form.c — decoding the dashboard's posted forms (form.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/form.h"
#include "tsunagu/tsg_text.h"

/* The value of one hex digit, or -1. */
static int
s_hex (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes text[0..len) in place ('+' is a space, %XX a byte) and NUL-terminates it.  False
 * on a malformed escape, a NUL byte, or text that is not printable UTF-8. */
static bool
s_decode (char *text, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '+')
            c = ' ';
        else if (c == '%') {
            int hi = i + 1 < len ? s_hex (text[i + 1]) : -1;
            int lo = i + 2 < len ? s_hex (text[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = (char) (hi * 16 + lo);
            i += 2;
        }
        if (c == '\0')
            return false;
        text[out++] = c;
    }
    text[out] = '\0';
    /* Line breaks and tabs are allowed in a form's text (a textarea); tsg_text_ok checks the
     * rest (valid UTF-8, no control characters). */
    for (size_t i = 0; i < out; i++)
        if (text[i] == '\n' || text[i] == '\r' || text[i] == '\t')
            text[i] = ' ';
    return out == 0 || tsg_text_ok (text, out);
}

bool
tsg_web_form_parse (tsg_web_form_t *form, const char *body, size_t len)
{
    memset (form, 0, sizeof *form);
    form->buffer = malloc (len + 1);
    if (!form->buffer)
        return false;
    form->buffer_len = len + 1;
    memcpy (form->buffer, body ? body : "", len);
    form->buffer[len] = '\0';
    char *cursor = form->buffer;
    char *end = form->buffer + len;
    while (cursor < end) {
        char *amp = memchr (cursor, '&', (size_t) (end - cursor));
        char *field_end = amp ? amp : end;
        if (field_end > cursor) {
            char *eq = memchr (cursor, '=', (size_t) (field_end - cursor));
            char *value = eq ? eq + 1 : field_end;
            size_t name_len = (size_t) ((eq ? eq : field_end) - cursor);
            size_t value_len = eq ? (size_t) (field_end - value) : 0;
            if (form->count == TSG_WEB_FORM_FIELDS || name_len == 0) {
                tsg_web_form_free (form);
                return false;
            }
            *field_end = '\0';
            if (!s_decode (cursor, name_len) || !s_decode (eq ? value : field_end, value_len)) {
                tsg_web_form_free (form);
                return false;
            }
            form->names[form->count] = cursor;
            form->values[form->count] = eq ? value : field_end;
            form->count++;
        }
        cursor = field_end + 1;
    }
    return true;
}

const char *
tsg_web_form_nth (const tsg_web_form_t *form, const char *name, size_t n)
{
    for (size_t i = 0; i < form->count; i++)
        if (strcmp (form->names[i], name) == 0 && n-- == 0)
            return form->values[i];
    return NULL;
}

const char *
tsg_web_form_get (const tsg_web_form_t *form, const char *name)
{
    return tsg_web_form_nth (form, name, 0);
}

void
tsg_web_form_free (tsg_web_form_t *form)
{
    if (form->buffer) {
        sodium_memzero (form->buffer, form->buffer_len);
        free (form->buffer);
    }
    memset (form, 0, sizeof *form);
}

bool
tsg_web_url_encode (const char *text, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                     || (*c >= '0' && *c <= '9') || strchr ("-._~", *c);
        if (n + (plain ? 1 : 3) >= size)
            return false;
        if (plain)
            out[n++] = (char) *c;
        else {
            out[n++] = '%';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        }
    }
    if (size == 0)
        return false;
    out[n] = '\0';
    return true;
}
