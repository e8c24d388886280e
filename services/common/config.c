/* config.c — INI files through inih, with typed getters that collect every error with its line. */
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"

/* One "key = value" seen in the file. */
typedef struct {
    char *section; /* the [section] it was under */
    char *key;     /* its name */
    char *value;   /* its value, trimmed by inih */
    int line;      /* where it was, for messages */
} s_entry_t;

struct _tsg_config_t {
    char *path;           /* the file, as given */
    s_entry_t *entries;   /* every entry, in file order */
    size_t count;         /* entries in use */
    size_t capacity;      /* entries allocated */
    char **errors;        /* "path:line: message" strings */
    size_t error_count;   /* errors in use */
    int line;             /* the line inih is reading (counted by our reader) */
    char **sections;      /* "[name]" headers seen, for messages about missing keys */
    int *section_lines;   /* the line of each header */
    size_t section_count; /* headers seen */
    FILE *file;           /* open while parsing */
};

static void
s_add_error (tsg_config_t *self, int line, const char *fmt, va_list ap)
{
    char message[512];
    vsnprintf (message, sizeof message, fmt, ap);
    char *text = NULL;
    if (line > 0) {
        if (asprintf (&text, "%s:%d: %s", self->path, line, message) < 0)
            text = NULL;
    }
    else if (asprintf (&text, "%s: %s", self->path, message) < 0)
        text = NULL;
    if (!text)
        return; /* out of memory: the message is lost, the list stays as it was */
    char **grown = realloc (self->errors, (self->error_count + 1) * sizeof *grown);
    if (!grown) {
        free (text);
        return;
    }
    self->errors = grown;
    self->errors[self->error_count++] = text;
}

static void
s_error_at (tsg_config_t *self, int line, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_add_error (self, line, fmt, ap);
    va_end (ap);
}

/* Remembers where a "[name]" header stands, so a missing key can point at its section. */
static void
s_note_section (tsg_config_t *self, const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    if (*text != '[')
        return;
    const char *end = strchr (text, ']');
    if (!end)
        return;
    char **names = realloc (self->sections, (self->section_count + 1) * sizeof *names);
    if (!names)
        return;
    self->sections = names;
    int *lines = realloc (self->section_lines, (self->section_count + 1) * sizeof *lines);
    if (!lines)
        return;
    self->section_lines = lines;
    char *name = strndup (text + 1, (size_t) (end - text - 1));
    if (!name)
        return;
    self->sections[self->section_count] = name;
    self->section_lines[self->section_count++] = self->line;
}

/* The line of section's header, or 0 when the file has none. */
static int
s_section_line (const tsg_config_t *self, const char *section)
{
    for (size_t i = 0; i < self->section_count; i++)
        if (strcmp (self->sections[i], section) == 0)
            return self->section_lines[i];
    return 0;
}

/* inih reads through this so we know each entry's line and can refuse overlong lines. */
static char *
s_reader (char *str, int num, void *stream)
{
    tsg_config_t *self = stream;
    char *got = fgets (str, num, self->file);
    if (!got)
        return NULL;
    self->line++;
    s_note_section (self, str);
    size_t len = strlen (str);
    if (len == (size_t) num - 1 && str[len - 1] != '\n' && !feof (self->file)) {
        s_error_at (self, self->line, "line longer than %d bytes", num - 2);
        int c;
        while ((c = fgetc (self->file)) != EOF && c != '\n')
            ;
    }
    return got;
}

static int
s_handler (void *user, const char *section, const char *name, const char *value)
{
    tsg_config_t *self = user;
    for (size_t i = 0; i < self->count; i++)
        if (!strcmp (self->entries[i].section, section) && !strcmp (self->entries[i].key, name)) {
            s_error_at (self, self->line, "%s.%s is set twice (first on line %d)", section, name,
                        self->entries[i].line);
            return 1;
        }
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 16;
        s_entry_t *grown = realloc (self->entries, capacity * sizeof *grown);
        if (!grown)
            return 0;
        self->entries = grown;
        self->capacity = capacity;
    }
    s_entry_t *entry = &self->entries[self->count];
    entry->section = strdup (section);
    entry->key = strdup (name);
    entry->value = strdup (value ? value : "");
    entry->line = self->line;
    if (!entry->section || !entry->key || !entry->value) {
        free (entry->section);
        free (entry->key);
        free (entry->value);
        return 0;
    }
    self->count++;
    return 1;
}

tsg_config_t *
tsg_config_load (const char *path)
{
    tsg_config_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->path = strdup (path ? path : "(none)");
    if (!self->path) {
        free (self);
        return NULL;
    }
    self->file = path ? fopen (path, "r") : NULL;
    if (!self->file) {
        s_error_at (self, 0, "cannot read: %s", strerror (path ? errno : ENOENT));
        return self;
    }
    int rc = ini_parse_stream (s_reader, self, s_handler, self);
    fclose (self->file);
    self->file = NULL;
    if (rc > 0)
        s_error_at (self, rc, "syntax error (expected [section] or key = value)");
    else if (rc < 0)
        s_error_at (self, 0, "cannot parse (out of memory)");
    return self;
}

void
tsg_config_destroy (tsg_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_config_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free (self->entries[i].section);
        free (self->entries[i].key);
        free (self->entries[i].value);
    }
    for (size_t i = 0; i < self->error_count; i++)
        free (self->errors[i]);
    for (size_t i = 0; i < self->section_count; i++)
        free (self->sections[i]);
    free (self->sections);
    free (self->section_lines);
    free (self->entries);
    free (self->errors);
    free (self->path);
    free (self);
    *self_p = NULL;
}

const char *
tsg_config_path (const tsg_config_t *self)
{
    return self->path;
}

static s_entry_t *
s_find (tsg_config_t *self, const char *section, const char *key)
{
    for (size_t i = 0; i < self->count; i++)
        if (!strcmp (self->entries[i].section, section) && !strcmp (self->entries[i].key, key))
            return &self->entries[i];
    return NULL;
}

void
tsg_config_error (tsg_config_t *self, const char *section, const char *key, const char *fmt, ...)
{
    s_entry_t *entry = s_find (self, section, key);
    char message[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (message, sizeof message, fmt, ap);
    va_end (ap);
    s_error_at (self, entry ? entry->line : 0, "%s.%s: %s", section, key, message);
}

const char *
tsg_config_string (tsg_config_t *self, const char *section, const char *key, const char *dflt)
{
    s_entry_t *entry = s_find (self, section, key);
    if (entry && entry->value[0] != '\0')
        return entry->value;
    if (!dflt) {
        int line = entry ? entry->line : s_section_line (self, section);
        if (line == 0)
            s_error_at (self, 0, "%s.%s is required (the file has no [%s] section)", section, key,
                        section);
        else
            s_error_at (self, line, "%s.%s is required", section, key);
    }
    return dflt;
}

long
tsg_config_int (tsg_config_t *self, const char *section, const char *key, long dflt, long min,
                long max)
{
    s_entry_t *entry = s_find (self, section, key);
    if (!entry)
        return dflt;
    char *end = NULL;
    errno = 0;
    long value = strtol (entry->value, &end, 10);
    if (errno || end == entry->value || *end != '\0' || value < min || value > max) {
        s_error_at (self, entry->line, "%s.%s must be a whole number from %ld to %ld", section, key,
                    min, max);
        return dflt;
    }
    return value;
}

bool
tsg_config_key (tsg_config_t *self, const char *section, const char *key, uint8_t out[32])
{
    const char *text = tsg_config_string (self, section, key, NULL);
    if (!text)
        return false;
    if (!tsg_key_from_z85 (text, out)) {
        tsg_config_error (self, section, key, "not a 40-character Z85 key");
        return false;
    }
    return true;
}

bool
tsg_config_hex32 (tsg_config_t *self, const char *section, const char *key, uint8_t out[32])
{
    const char *text = tsg_config_string (self, section, key, NULL);
    if (!text)
        return false;
    if (!tsg_hex_decode (text, out, 32)) {
        tsg_config_error (self, section, key, "not 64 hexadecimal characters");
        return false;
    }
    return true;
}

bool
tsg_config_bool (tsg_config_t *self, const char *section, const char *key, bool dflt)
{
    s_entry_t *entry = s_find (self, section, key);
    if (!entry)
        return dflt;
    const char *v = entry->value;
    if (!strcasecmp (v, "yes") || !strcasecmp (v, "true") || !strcmp (v, "1")
        || !strcasecmp (v, "on"))
        return true;
    if (!strcasecmp (v, "no") || !strcasecmp (v, "false") || !strcmp (v, "0")
        || !strcasecmp (v, "off"))
        return false;
    s_error_at (self, entry->line, "%s.%s must be yes or no", section, key);
    return dflt;
}

void
tsg_config_check_known (tsg_config_t *self, const char *const known[])
{
    for (size_t i = 0; i < self->count; i++) {
        const s_entry_t *entry = &self->entries[i];
        bool found = false;
        for (size_t k = 0; known[k] && !found; k++) {
            const char *dot = strrchr (known[k], '.'); /* [webhook.NAME] key: at the last */
            found = dot && strlen (entry->section) == (size_t) (dot - known[k])
                    && !strncmp (known[k], entry->section, (size_t) (dot - known[k]))
                    && !strcmp (dot + 1, entry->key);
        }
        if (!found)
            s_error_at (self, entry->line, "unknown setting %s.%s", entry->section, entry->key);
    }
}

const char *
tsg_config_section (const tsg_config_t *self, size_t index)
{
    return index < self->section_count ? self->sections[index] : NULL;
}

int
tsg_config_errors (const tsg_config_t *self)
{
    return (int) self->error_count;
}

void
tsg_config_report (const tsg_config_t *self, FILE *out)
{
    for (size_t i = 0; i < self->error_count; i++)
        fprintf (out, "%s\n", self->errors[i]);
}

char *
tsg_config_resolve_path (const tsg_config_t *self, const char *path)
{
    if (!path)
        return NULL;
    if (path[0] == '/')
        return strdup (path);
    char *copy = strdup (self->path);
    if (!copy)
        return NULL;
    char *resolved = NULL;
    if (asprintf (&resolved, "%s/%s", dirname (copy), path) < 0)
        resolved = NULL;
    free (copy);
    return resolved;
}
