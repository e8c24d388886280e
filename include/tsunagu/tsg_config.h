/* Configuration files (INI, parsed by inih) with typed getters that collect every
 * problem with its file and line, so `-n` can report them all at once.
 *
 *     tsg_config_t *cfg = tsg_config_load (path);
 *     const char *id = tsg_config_string (cfg, "agency", "id", NULL);   // NULL default: required
 *     int days = tsg_config_int (cfg, "policy", "response_due_days", 7, 1, 365);
 *     tsg_config_check_known (cfg, known_keys);
 *     if (tsg_config_errors (cfg) > 0) tsg_config_report (cfg, stderr);
 */
#ifndef TSG_CONFIG_H_INCLUDED
#define TSG_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct _tsg_config_t tsg_config_t;

/* Parses path.  Never NULL (except on allocation failure): a missing or unreadable
 * file, or a syntax error, is recorded as an error in the returned object. */
tsg_config_t *tsg_config_load (const char *path);
void tsg_config_destroy (tsg_config_t **self_p);

/* The file's path, for messages. */
const char *tsg_config_path (const tsg_config_t *self);

/* String value of section.key (borrowed), or dflt when absent.  A NULL dflt makes
 * the key required: its absence is recorded as an error and NULL returned. */
const char *tsg_config_string (tsg_config_t *self, const char *section, const char *key,
                               const char *dflt);

/* Integer in [min, max]; absent → dflt; out of range or not a number → error, dflt. */
long tsg_config_int (tsg_config_t *self, const char *section, const char *key, long dflt, long min,
                     long max);

/* A 32-byte key in Z85 text; required.  Returns false (error recorded) when absent or bad. */
bool tsg_config_key (tsg_config_t *self, const char *section, const char *key, uint8_t out[32]);

/* A 32-byte value in hex; required. */
bool tsg_config_hex32 (tsg_config_t *self, const char *section, const char *key, uint8_t out[32]);

/* "yes/no/true/false/1/0"; absent → dflt. */
bool tsg_config_bool (tsg_config_t *self, const char *section, const char *key, bool dflt);

/* Records an error for every key not in known, a NULL-terminated list of
 * "section.key" strings (the key after the last dot: "webhook.crm.url"). */
void tsg_config_check_known (tsg_config_t *self, const char *const known[]);

/* Records an error about section.key (at its line, if it was present). */
void tsg_config_error (tsg_config_t *self, const char *section, const char *key, const char *fmt,
                       ...) __attribute__ ((format (printf, 4, 5)));

/* The name of the index-th "[section]" header of the file, in file order (a name may come
 * twice), or NULL past the last. */
const char *tsg_config_section (const tsg_config_t *self, size_t index);

/* Number of errors recorded so far. */
int tsg_config_errors (const tsg_config_t *self);

/* Prints every error as "path:line: message", one per line. */
void tsg_config_report (const tsg_config_t *self, FILE *out);

/* Resolves a path from the config relative to the config file's folder (absolute
 * paths are returned as they are).  Caller frees. */
char *tsg_config_resolve_path (const tsg_config_t *self, const char *path);

#endif
