/* refusals.c — letters refused per sending agency and reason (refusals.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/refusals.h"

/* One agency's counts. */
typedef struct {
    char agency[TSG_ID_MAX + 1];           /* the sender ("" : free) */
    uint64_t refused[TSG_HUB_ERROR_CODES]; /* by code */
} s_row_t;

struct _tsg_hub_refusals_t {
    size_t count;                            /* rows in use */
    s_row_t rows[TSG_HUB_REFUSALS_AGENCIES]; /* in order of first refusal */
};

tsg_hub_refusals_t *
tsg_hub_refusals_new (void)
{
    return calloc (1, sizeof (tsg_hub_refusals_t));
}

void
tsg_hub_refusals_destroy (tsg_hub_refusals_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

static const s_row_t *
s_find (const tsg_hub_refusals_t *self, const char *agency)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->rows[i].agency, agency) == 0)
            return &self->rows[i];
    return NULL;
}

void
tsg_hub_refusals_count (tsg_hub_refusals_t *self, const char *agency, unsigned code)
{
    if (!self || !agency || !*agency || code >= TSG_HUB_ERROR_CODES || strlen (agency) > TSG_ID_MAX)
        return;
    s_row_t *row = (s_row_t *) s_find (self, agency);
    if (!row) {
        if (self->count == TSG_HUB_REFUSALS_AGENCIES)
            return;
        row = &self->rows[self->count++];
        snprintf (row->agency, sizeof row->agency, "%s", agency);
    }
    row->refused[code]++;
}

void
tsg_hub_refusals_of (const tsg_hub_refusals_t *self, const char *agency,
                     uint64_t out[TSG_HUB_ERROR_CODES])
{
    memset (out, 0, sizeof (uint64_t) * TSG_HUB_ERROR_CODES);
    const s_row_t *row = self && agency ? s_find (self, agency) : NULL;
    if (row)
        memcpy (out, row->refused, sizeof row->refused);
}
