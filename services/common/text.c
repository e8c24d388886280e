/* text.c — UTF-8 characters, printable cleartext, and civil dates in Japan time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsunagu/tsg_text.h"

#define JST_SECONDS (9 * 3600)

size_t
tsg_utf8_decode (const unsigned char *p, uint32_t *out)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *out = c;
        return 1;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
        min = 0x80;
    }
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
        min = 0x800;
    }
    else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    }
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *out = cp;
    return n;
}

bool
tsg_text_ok (const char *text, size_t max)
{
    if (!text)
        return false;
    size_t len = strlen (text);
    if (len == 0 || len > max)
        return false;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        uint32_t cp;
        size_t n = tsg_utf8_decode (p, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            return false;
        p += n;
    }
    return true;
}

/* The date's fields when text has the shape "dddd-dd-dd"; false otherwise. */
static bool
s_date_fields (const char *text, struct tm *tm)
{
    if (!text || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return false;
    memset (tm, 0, sizeof *tm);
    tm->tm_year = atoi (text) - 1900;
    tm->tm_mon = atoi (text + 5) - 1;
    tm->tm_mday = atoi (text + 8);
    return true;
}

bool
tsg_date_ok (const char *text)
{
    struct tm tm, back;
    if (!s_date_fields (text, &tm) || tm.tm_year < 100 || tm.tm_year > 299)
        return false;
    /* timegm normalises 02-30 to 03-02: a date exists when it comes back unchanged. */
    struct tm copy = tm;
    time_t t = timegm (&copy);
    if (t == (time_t) -1 || !gmtime_r (&t, &back))
        return false;
    return back.tm_year == tm.tm_year && back.tm_mon == tm.tm_mon && back.tm_mday == tm.tm_mday;
}

bool
tsg_date_start_ms (const char *date, uint64_t *out)
{
    struct tm tm;
    if (!tsg_date_ok (date) || !s_date_fields (date, &tm))
        return false;
    time_t t = timegm (&tm);
    *out = ((uint64_t) t - JST_SECONDS) * 1000;
    return true;
}

bool
tsg_agency_name_ok (const char *name, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    size_t len = name ? strlen (name) : 0;
    if (len == 0) {
        *why = "is empty";
        return false;
    }
    if (len > TSG_AGENCY_NAME_MAX) {
        *why = "is longer than 191 bytes (the longest a configuration line can hold)";
        return false;
    }
    if (name[0] == ' ' || name[len - 1] == ' ') {
        *why = "starts or ends with a space";
        return false;
    }
    for (const unsigned char *p = (const unsigned char *) name; *p;) {
        uint32_t c;
        size_t n = tsg_utf8_decode (p, &c);
        if (n == 0) {
            *why = "is not valid UTF-8";
            return false;
        }
        if (c < 0x20 || c == 0x7f) {
            *why = "holds a control character";
            return false;
        }
        if (c == ';' || c == '#') {
            *why = "holds ';' or '#', which a configuration file reads as a comment";
            return false;
        }
        p += n;
    }
    return true;
}
