/* Text and dates as the wire and the APIs carry them: UTF-8 read one character at a time, the
 * check that keeps cleartext metadata printable, and civil dates "YYYY-MM-DD" in Japan time.
 * Used by the agency daemons, the coordinator and tsunaguctl alike. */
#ifndef TSG_TEXT_H_INCLUDED
#define TSG_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 character at p (no overlong forms, no surrogates, at most U+10FFFF) into
 * *out; returns its length in bytes, or 0 when p does not start a valid character (a NUL
 * inside a multi-byte sequence stops it too). */
size_t tsg_utf8_decode (const unsigned char *p, uint32_t *out);

/* True when text is 1..max bytes of valid UTF-8 holding no control character (C0, DEL, C1). */
bool tsg_text_ok (const char *text, size_t max);

/* True when text is a civil date "YYYY-MM-DD" that exists, in the years 2000..2199. */
bool tsg_date_ok (const char *text);

/* The first ms (UTC) of the Japan-time day date.  False when date is not one (tsg_date_ok). */
bool tsg_date_start_ms (const char *date, uint64_t *out);

/* Longest agency name: what one line of a configuration file can hold. */
#define TSG_AGENCY_NAME_MAX 191

/* True when name may be an agency's name: 1..TSG_AGENCY_NAME_MAX bytes of valid UTF-8, no
 * control character, no space at either end, no ';' or '#' (which a configuration file reads
 * as a comment).  Otherwise *why (when why is not NULL) says what is wrong, in English words
 * that follow "it": "is empty", "is not valid UTF-8", ... */
bool tsg_agency_name_ok (const char *name, const char **why);

#endif
