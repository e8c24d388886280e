/* output.c — what tsunaguctl prints: error lines, Japan-time stamps, JSON and text tables
 * that line up with Japanese in them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define JST_OFFSET_S (9 * 3600)

void
ctl_error (const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    fputs ("tsunaguctl: ", stderr);
    vfprintf (stderr, fmt, args);
    fputc ('\n', stderr);
    va_end (args);
}

size_t
ctl_display_width (const char *text)
{
    size_t width = 0;
    const unsigned char *p = (const unsigned char *) (text ? text : "");
    while (*p) {
        unsigned long cp = *p;
        size_t n = 1;
        if (*p >= 0xf0) {
            cp = *p & 0x07;
            n = 4;
        }
        else if (*p >= 0xe0) {
            cp = *p & 0x0f;
            n = 3;
        }
        else if (*p >= 0xc0) {
            cp = *p & 0x1f;
            n = 2;
        }
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) {
                n = i;
                break;
            }
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf)
                    || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff)
                    || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
                    || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
        width += wide ? 2 : 1;
        p += n;
    }
    return width;
}

void
ctl_time_jst (const char *iso, char out[32])
{
    if (!iso || !*iso) {
        snprintf (out, 32, "-");
        return;
    }
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    int consumed = 0;
    if (sscanf (iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                &tm.tm_min, &tm.tm_sec, &consumed)
            != 6
        || consumed != 19) {
        snprintf (out, 32, "%.31s", iso);
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm (&tm) + JST_OFFSET_S;
    struct tm jst;
    if (!gmtime_r (&t, &jst) || strftime (out, 32, "%Y-%m-%d %H:%M", &jst) == 0)
        snprintf (out, 32, "%.31s", iso);
}

bool
ctl_print_json (json_t *json)
{
    if (!json)
        return false;
    int rc = json_dumpf (json, stdout, JSON_INDENT (2));
    fputc ('\n', stdout);
    json_decref (json);
    return rc == 0 && fflush (stdout) == 0;
}

struct _ctl_table_t {
    size_t columns; /* cells per row */
    size_t rows;    /* rows in use, the header included */
    size_t cap;     /* rows allocated */
    char **cells;   /* rows × columns copied cells, row after row */
    size_t *widths; /* the widest cell of each column, in terminal columns */
};

ctl_table_t *
ctl_table_new (size_t columns, const char *const header[])
{
    ctl_table_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->columns = columns;
    self->widths = calloc (columns, sizeof *self->widths);
    if (!self->widths || !ctl_table_add (self, header)) {
        ctl_table_destroy (&self);
        return NULL;
    }
    return self;
}

void
ctl_table_destroy (ctl_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ctl_table_t *self = *self_p;
    for (size_t i = 0; self->cells && i < self->rows * self->columns; i++)
        free (self->cells[i]);
    free (self->cells);
    free (self->widths);
    free (self);
    *self_p = NULL;
}

bool
ctl_table_add (ctl_table_t *self, const char *const cells[])
{
    if (self->rows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **grown = realloc (self->cells, cap * self->columns * sizeof *grown);
        if (!grown)
            return false;
        self->cells = grown;
        self->cap = cap;
    }
    char **row = self->cells + self->rows * self->columns;
    for (size_t i = 0; i < self->columns; i++) {
        row[i] = strdup (cells[i] ? cells[i] : "");
        if (!row[i]) {
            while (i-- > 0)
                free (row[i]);
            return false;
        }
    }
    for (size_t i = 0; i < self->columns; i++) {
        size_t w = ctl_display_width (row[i]);
        if (w > self->widths[i])
            self->widths[i] = w;
    }
    self->rows++;
    return true;
}

size_t
ctl_table_rows (const ctl_table_t *self)
{
    return self->rows > 0 ? self->rows - 1 : 0;
}

void
ctl_table_print (const ctl_table_t *self, FILE *out, int indent)
{
    for (size_t r = 0; r < self->rows; r++) {
        char *const *row = self->cells + r * self->columns;
        /* The last non-empty cell ends the line: no trailing spaces. */
        size_t last = self->columns;
        while (last > 0 && row[last - 1][0] == '\0')
            last--;
        fprintf (out, "%*s", indent, "");
        for (size_t c = 0; c < last; c++) {
            fputs (row[c], out);
            if (c + 1 < last)
                fprintf (out, "%*s", (int) (self->widths[c] - ctl_display_width (row[c]) + 2), "");
        }
        fputc ('\n', out);
    }
}
