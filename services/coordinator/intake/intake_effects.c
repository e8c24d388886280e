/* intake_effects.c — what a batch did that the loop must know once it commits: the agencies
 * given new mail (to forward to) and the mailbox entries acknowledged or withheld (to take out
 * of their sessions' windows).  Owns the two lists; intake.c empties them at each begin.  It
 * calls no other intake file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/intake_parts.h"

size_t
tsg_hub_intake_new_mail_count (const tsg_hub_intake_t *self)
{
    return self->new_mail_count;
}

const char *
tsg_hub_intake_new_mail (const tsg_hub_intake_t *self, size_t index)
{
    return index < self->new_mail_count ? self->new_mail[index] : NULL;
}

size_t
tsg_hub_intake_acked_count (const tsg_hub_intake_t *self)
{
    return self->acked_count;
}

const char *
tsg_hub_intake_acked (const tsg_hub_intake_t *self, size_t index, uint64_t *seq)
{
    if (index >= self->acked_count)
        return NULL;
    *seq = self->acked[index].seq;
    return self->acked[index].recipient;
}

void
hub_intake_note_new_mail (tsg_hub_intake_t *self, const char *recipient)
{
    for (size_t i = 0; i < self->new_mail_count; i++)
        if (strcmp (self->new_mail[i], recipient) == 0)
            return;
    if (self->new_mail_count == self->new_mail_capacity) {
        size_t capacity = self->new_mail_capacity ? self->new_mail_capacity * 2 : 16;
        void *grown = realloc (self->new_mail, capacity * sizeof *self->new_mail);
        if (!grown) {
            log_warnx ("intake: out of memory noting new mail");
            return;
        }
        self->new_mail = grown;
        self->new_mail_capacity = capacity;
    }
    snprintf (self->new_mail[self->new_mail_count++], TSG_ID_MAX + 1, "%s", recipient);
}

void
hub_intake_note_acked (tsg_hub_intake_t *self, const char *recipient, uint64_t seq)
{
    if (self->acked_count == self->acked_capacity) {
        size_t capacity = self->acked_capacity ? self->acked_capacity * 2 : 64;
        void *grown = realloc (self->acked, capacity * sizeof *self->acked);
        if (!grown) {
            log_warnx ("intake: out of memory noting an acknowledgement");
            return;
        }
        self->acked = grown;
        self->acked_capacity = capacity;
    }
    hub_intake_acked_t *entry = &self->acked[self->acked_count++];
    snprintf (entry->recipient, sizeof entry->recipient, "%s", recipient);
    entry->seq = seq;
}
