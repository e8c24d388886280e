/* A form posted by the dashboard's pages (application/x-www-form-urlencoded), decoded into
 * name/value pairs.  Bounded: at most TSG_WEB_FORM_FIELDS fields; a name or value that does not
 * decode to UTF-8 text makes the whole form invalid (the pages answer 400 and change nothing).
 * A name may repeat (checkboxes: tsg_web_form_nth). */
#ifndef TSG_HUB_WEB_FORM_H_INCLUDED
#define TSG_HUB_WEB_FORM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define TSG_WEB_FORM_FIELDS 64

typedef struct {
    size_t count;                      /* fields in use */
    char *names[TSG_WEB_FORM_FIELDS];  /* decoded names (owned) */
    char *values[TSG_WEB_FORM_FIELDS]; /* decoded values (owned; "" for "name=") */
    char *buffer;                      /* where they live (owned) */
    size_t buffer_len;                 /* its size */
} tsg_web_form_t;

/* Decodes body (len bytes) into *form.  False, with *form empty, when it is not a form as
 * above or memory ran out. */
bool tsg_web_form_parse (tsg_web_form_t *form, const char *body, size_t len);

/* The value of field name, or NULL when absent (every field after the first is "repeated":
 * for lists, see tsg_web_form_nth). */
const char *tsg_web_form_get (const tsg_web_form_t *form, const char *name);

/* The n-th (from 0) value of name in a form where the name may repeat ("attendees"); NULL past
 * the last. */
const char *tsg_web_form_nth (const tsg_web_form_t *form, const char *name, size_t n);

/* Frees what parse kept, wiping it (a login form holds a password); safe twice. */
void tsg_web_form_free (tsg_web_form_t *form);

/* Percent-encodes text for a URL's query into out (size bytes).  False when it did not fit. */
bool tsg_web_url_encode (const char *text, char *out, size_t size);

#endif
