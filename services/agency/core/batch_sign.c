/* batch_sign.c — which letters share a signature, and the group commit's signing (batch_sign.h). */
#include <stdlib.h>
#include <string.h>

#include "agency/core/batch_sign.h"
#include "agency/records/directory.h"

bool
agency_batch_ok (const tsg_agency_t *self, const char *recipient, Tsunagu__V1__Kind kind)
{
    if (!self->coordinator_batch_proofs || !recipient)
        return false;
    if (strcmp (recipient, TSG_COORDINATOR_ID) == 0)
        return kind == TSUNAGU__V1__KIND__KIND_RECEIPT;
    const agency_entry_t *entry =
        self->directory ? agency_directory_find (self->directory, recipient) : NULL;
    return entry && entry->batch_proofs;
}

int
agency_sign_pending (tsg_agency_t *self)
{
    size_t count = 0;
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (p->packed)
            count++;
    if (count == 0)
        return TSG_OK;
    const uint8_t **packed = calloc (count, sizeof *packed);
    size_t *lens = calloc (count, sizeof *lens);
    bool *together = calloc (count, sizeof *together);
    uint8_t **out = calloc (count, sizeof *out);
    size_t *out_len = calloc (count, sizeof *out_len);
    int rc = TSG_ERR_NOMEM;
    if (packed && lens && together && out && out_len) {
        size_t i = 0;
        for (agency_pending_t *p = self->pending; p; p = p->next)
            if (p->packed) {
                packed[i] = p->packed;
                lens[i] = p->packed_len;
                together[i++] = p->batchable;
            }
        rc = tsg_envelopes_sign (packed, lens, together, count, self->config->keys, out, out_len);
    }
    if (rc == TSG_OK) {
        size_t i = 0;
        for (agency_pending_t *p = self->pending; p; p = p->next)
            if (p->packed) {
                free (p->envelope);
                p->envelope = out[i];
                p->envelope_len = out_len[i++];
                free (p->packed);
                p->packed = NULL;
            }
    }
    free (packed);
    free (lens);
    free (together);
    free (out);
    free (out_len);
    return rc;
}
