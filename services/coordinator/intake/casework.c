/* casework.c — referrals, cases and consents as letters arrive (casework.h): the casework's
 * lifecycle and batch, and which flow takes which kind of letter (casework_parts.h names the
 * flows and the pieces they share).  It owns the batch's list of changed cases, which the
 * flows add to and fan_out.c announces at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/casework_parts.h"

tsg_hub_casework_t *
tsg_hub_casework_new (const tsg_hub_directory_t *directory, const tsg_keys_t *keys,
                      tsg_hub_mail_fn *note_mail, tsg_hub_gone_fn *note_gone, void *arg)
{
    tsg_hub_casework_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->directory = directory;
    self->keys = keys;
    self->note_mail = note_mail;
    self->note_gone = note_gone;
    self->arg = arg;
    self->old = malloc (sizeof *self->old);
    self->now = malloc (sizeof *self->now);
    self->consent = malloc (sizeof *self->consent);
    self->record = malloc (sizeof *self->record);
    if (!self->old || !self->now || !self->consent || !self->record)
        tsg_hub_casework_destroy (&self);
    return self;
}

void
tsg_hub_casework_destroy (tsg_hub_casework_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_casework_t *self = *self_p;
    free (self->changed);
    free (self->old);
    free (self->now);
    free (self->consent);
    free (self->record);
    free (self);
    *self_p = NULL;
}

void
tsg_hub_casework_set_audit (tsg_hub_casework_t *self, tsg_hub_audit_t *audit)
{
    self->audit = audit;
}

void
tsg_hub_casework_begin (tsg_hub_casework_t *self, tsg_txn_t *txn, uint64_t now_ms)
{
    self->txn = txn;
    self->now_ms = now_ms;
    self->n_changed = 0;
}

size_t
tsg_hub_casework_changed (const tsg_hub_casework_t *self)
{
    return self->n_changed;
}

bool
tsg_hub_casework_takes (Tsunagu__V1__Kind kind)
{
    return kind == TSUNAGU__V1__KIND__KIND_REFERRAL
           || kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS || tsg_hub_casework_fans_out (kind);
}

bool
tsg_hub_casework_fans_out (Tsunagu__V1__Kind kind)
{
    return kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT
           || kind == TSUNAGU__V1__KIND__KIND_CONSENT_GRANT
           || kind == TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE;
}

Tsunagu__V1__ErrorCode
tsg_hub_casework_take (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                       const uint8_t *envelope, size_t len, tsg_hub_route_t *route, char *detail,
                       size_t size)
{
    memset (route, 0, sizeof *route);
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_REFERRAL:
        return hub_casework_referral (self, sender, letter, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS:
        return hub_casework_status (self, sender, letter, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT:
        return hub_casework_case_event (self, sender, letter, envelope, len, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
        return hub_casework_consent_grant (self, sender, letter, envelope, len, route, detail,
                                           size);
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE:
        return hub_casework_consent_revoke (self, sender, letter, envelope, len, route, detail,
                                            size);
    default: return 0;
    }
}

size_t
tsg_hub_casework_withhold_mailbox (tsg_hub_casework_t *self, const char *previous,
                                   const char *agency)
{
    return hub_casework_withhold_mailbox (self, previous, agency);
}

size_t
tsg_hub_casework_expire (tsg_hub_casework_t *self)
{
    return hub_casework_consents_expire (self);
}

void
tsg_hub_casework_end (tsg_hub_casework_t *self)
{
    hub_casework_announce_changed (self);
}
