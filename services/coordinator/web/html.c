/* html.c — a text built piece by piece (html.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/html.h"

void
tsg_html_bytes (tsg_html_t *h, const void *bytes, size_t len)
{
    if (h->failed || len == 0)
        return;
    if (len > SIZE_MAX / 4 - h->len) {
        h->failed = true; /* no page is that large */
        return;
    }
    if (h->len + len + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 8192;
        while (cap < h->len + len + 1)
            cap *= 2;
        char *grown = realloc (h->data, cap);
        if (!grown) {
            h->failed = true;
            return;
        }
        h->data = grown;
        h->cap = cap;
    }
    memcpy (h->data + h->len, bytes, len);
    h->len += len;
    h->data[h->len] = '\0';
}

void
tsg_html_raw (tsg_html_t *h, const char *markup)
{
    if (markup)
        tsg_html_bytes (h, markup, strlen (markup));
}

void
tsg_html_text (tsg_html_t *h, const char *text)
{
    if (!text)
        return;
    const char *run = text;
    for (const char *c = text; *c; c++) {
        const char *entity = NULL;
        switch (*c) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        tsg_html_bytes (h, run, (size_t) (c - run));
        tsg_html_raw (h, entity);
        run = c + 1;
    }
    tsg_html_raw (h, run);
}

void
tsg_html_fmt (tsg_html_t *h, const char *format, ...)
{
    if (h->failed)
        return;
    char small[512];
    va_list ap;
    va_start (ap, format);
    int n = vsnprintf (small, sizeof small, format, ap);
    va_end (ap);
    if (n < 0) {
        h->failed = true;
        return;
    }
    if ((size_t) n < sizeof small) {
        tsg_html_bytes (h, small, (size_t) n);
        return;
    }
    char *big = malloc ((size_t) n + 1);
    if (!big) {
        h->failed = true;
        return;
    }
    va_start (ap, format);
    vsnprintf (big, (size_t) n + 1, format, ap);
    va_end (ap);
    tsg_html_bytes (h, big, (size_t) n);
    free (big);
}

void
tsg_html_u64 (tsg_html_t *h, uint64_t n)
{
    tsg_html_fmt (h, "%llu", (unsigned long long) n);
}

char *
tsg_html_take (tsg_html_t *h, size_t *len)
{
    if (h->failed || !h->data) {
        bool empty = !h->failed && !h->data;
        tsg_html_free (h);
        if (empty) {
            if (len)
                *len = 0;
            return calloc (1, 1);
        }
        return NULL;
    }
    char *data = h->data;
    if (len)
        *len = h->len;
    h->data = NULL;
    h->len = h->cap = 0;
    return data;
}

void
tsg_html_free (tsg_html_t *h)
{
    free (h->data);
    h->data = NULL;
    h->len = h->cap = 0;
    h->failed = false;
}
