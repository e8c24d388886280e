/* Building an HTML (or CSV, or SVG) text piece by piece: a growing buffer that remembers its
 * first failure (out of memory, like knot's transactions remember theirs), so a page is built
 * in straight lines and checked once at the end.  Text from anywhere but the program itself
 * goes through tsg_html_text (escaped); tsg_html_raw is for the program's own markup. */
#ifndef TSG_HUB_WEB_HTML_H_INCLUDED
#define TSG_HUB_WEB_HTML_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;  /* the text so far, NUL-terminated (NULL until the first byte) */
    size_t len;  /* its length */
    size_t cap;  /* allocated */
    bool failed; /* memory ran out: every later call does nothing */
} tsg_html_t;

/* Appends markup as it is. */
void tsg_html_raw (tsg_html_t *h, const char *markup);

/* Appends len bytes as they are. */
void tsg_html_bytes (tsg_html_t *h, const void *bytes, size_t len);

/* Appends text escaped for an element's content or a quoted attribute (& < > " '). */
void tsg_html_text (tsg_html_t *h, const char *text);

/* Appends printf output: the format is the program's, and every %s in it must be the program's
 * own markup or numbers (never outside text: that goes through tsg_html_text). */
void tsg_html_fmt (tsg_html_t *h, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

/* Appends an unsigned number. */
void tsg_html_u64 (tsg_html_t *h, uint64_t n);

/* The text built (the caller frees it), or NULL when anything failed (then freed here). */
char *tsg_html_take (tsg_html_t *h, size_t *len);

/* Frees what was built; safe twice. */
void tsg_html_free (tsg_html_t *h);

#endif
