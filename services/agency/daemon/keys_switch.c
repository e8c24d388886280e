/* keys_switch.c — the agency's own keys across a rotation (keys_switch.h): the keys it ran
 * with last are kept in its data folder, so a restart with a new bundle's keys knows it
 * switched and still opens what was sealed to the old ones. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agency/daemon/keys_switch.h"

#define KEYS_CURRENT  "keys.current"
#define KEYS_PREVIOUS "keys.previous"

/* DATA_DIR/name into out. */
static void
s_path (const tsg_agency_t *self, const char *name, char out[4096])
{
    snprintf (out, 4096, "%s/%s", self->config->data_dir, name);
}

int
agency_keys_adopt (tsg_agency_t *self, char *err, size_t err_size)
{
    char current[4096], previous[4096], why[256] = "";
    s_path (self, KEYS_CURRENT, current);
    s_path (self, KEYS_PREVIOUS, previous);
    const tsg_keys_t *keys = self->config->keys;
    tsg_keys_t *last = NULL;
    struct stat st;
    if (stat (current, &st) == 0 && tsg_keys_load (current, &last, why, sizeof why) != TSG_OK) {
        snprintf (err, err_size, "%s: %s", current, why);
        return TSG_ERR_BAD_INPUT;
    }
    bool switched = last && memcmp (tsg_keys_sign_public (last), tsg_keys_sign_public (keys), 32);
    if (switched) {
        /* A new bundle's keys: the ones it ran with become the previous ones. */
        if (rename (current, previous) != 0) {
            snprintf (err, err_size, "cannot keep %s as %s: %s", current, previous,
                      strerror (errno));
            tsg_keys_destroy (&last);
            return TSG_ERR_IO;
        }
        log_info ("keys: this agency runs with new keys now; the ones before are kept in %s to "
                  "open what was sealed to them",
                  previous);
    }
    tsg_keys_destroy (&last);
    if ((switched || stat (current, &st) != 0) && tsg_keys_save_secret (keys, current) != TSG_OK) {
        snprintf (err, err_size, "cannot write %s", current);
        return TSG_ERR_IO;
    }
    if (stat (previous, &st) == 0) {
        tsg_keys_destroy (&self->previous_keys);
        if (tsg_keys_load (previous, &self->previous_keys, why, sizeof why) != TSG_OK) {
            snprintf (err, err_size, "%s: %s", previous, why);
            return TSG_ERR_BAD_INPUT;
        }
        if (tsg_boxer_set_previous (self->boxer, self->previous_keys) != TSG_OK) {
            snprintf (err, err_size, "out of memory");
            return TSG_ERR_NOMEM;
        }
    }
    return TSG_OK;
}
