/* agency.c — the agency daemon's life cycle: open the store and restore the state (sequence
 * counter, outbox, directory), hand the agency the letter kinds' tables, connect the DEALER
 * and start the HTTP listener, close and wipe.  The loop is loop.c's. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agency/core/pending.h"
#include "agency/core/outbound.h"
#include "agency/daemon/http.h"
#include "agency/daemon/keys_switch.h"
#include "agency/daemon/link.h"
#include "agency/daemon/webhooks.h"
#include "agency/records/schema.h"
#include "agency/letters/letters.h"

/* The letter kinds this daemon makes and takes (letters/letters.h). */
static void
s_kinds (tsg_agency_t *self)
{
    self->kinds[AGENCY_KIND_REFERRAL] = &agency_kind_referral;
    self->kinds[AGENCY_KIND_STATUS] = &agency_kind_status;
    self->kinds[AGENCY_KIND_CASE_EVENT] = &agency_kind_case_event;
    self->kinds[AGENCY_KIND_CONSENT_GRANT] = &agency_kind_consent_grant;
    self->kinds[AGENCY_KIND_CONSENT_REVOKE] = &agency_kind_consent_revoke;
}

/* The buckets of /metrics' group commit histograms (core/histogram.h): letters per commit
 * (a batch of inbound frames is at most 1024), and seconds per commit. */
static const double s_letters_buckets[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024 };
static const double s_seconds_buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1,    2.5 };
#define S_COUNT(a) (sizeof (a) / sizeof (a)[0])

static void
s_histograms (tsg_agency_t *self)
{
    agency_stats_t *st = &self->stats;
    agency_histogram_init (&st->commit_api_letters, s_letters_buckets, S_COUNT (s_letters_buckets));
    agency_histogram_init (&st->commit_inbound_letters, s_letters_buckets,
                           S_COUNT (s_letters_buckets));
    agency_histogram_init (&st->commit_seconds, s_seconds_buckets, S_COUNT (s_seconds_buckets));
}

/* Letters go nowhere until the link exists. */
static int
s_send_nowhere (void *arg, const uint8_t *data, size_t len)
{
    (void) arg;
    (void) data;
    (void) len;
    return -1;
}

static void
s_set_err (char *err, size_t err_size, const char *fmt, const char *arg)
{
    if (err && err_size)
        snprintf (err, err_size, fmt, arg);
}

tsg_agency_t *
tsg_agency_new (tsg_agency_config_t **config_p, char *err, size_t err_size)
{
    tsg_agency_config_t *config = *config_p;
    *config_p = NULL;
    const tsg_agency_policy_t *policy = config ? tsg_agency_policy_find (config->type) : NULL;
    if (!config || !policy || !config->keys || !config->id || !config->data_dir) {
        s_set_err (err, err_size, "%s", "incomplete configuration");
        tsg_agency_config_destroy (&config);
        return NULL;
    }
    tsg_agency_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_set_err (err, err_size, "%s", "out of memory");
        tsg_agency_config_destroy (&config);
        return NULL;
    }
    self->config = config;
    self->policy = policy;
    self->send = s_send_nowhere;
    self->pending_tail = &self->pending;
    s_kinds (self);
    s_histograms (self);
    agency_standing_init (&self->standing);

    if (!tsg_mkdir_p (config->data_dir, 0700)) {
        s_set_err (err, err_size, "cannot create the data directory %s", config->data_dir);
        tsg_agency_destroy (&self);
        return NULL;
    }
    /* A store of an older schema is copied, then migrated; a newer one is refused. */
    char why[512] = "";
    int rc = agency_store_open_current (config->data_dir,
                                        config->map_size ? config->map_size : 256u * 1024 * 1024,
                                        &self->store, why, sizeof why);
    if (rc != TSG_OK) {
        if (err && err_size)
            snprintf (err, err_size, "%s", why);
        tsg_agency_destroy (&self);
        return NULL;
    }
    self->boxer = tsg_boxer_new (config->keys);
    self->outbox = agency_outbox_new (self->store, tsg_store_db (self->store, AGENCY_DB_OUTBOX));
    if (!self->boxer || !self->outbox) {
        s_set_err (err, err_size, "%s", "out of memory");
        tsg_agency_destroy (&self);
        return NULL;
    }

    tsg_txn_t txn;
    MDB_val val;
    tsg_txn_begin (self->store, &txn, false);
    self->next_sequence = agency_meta_get_u64 (&txn, AGENCY_META_SEQUENCE, 1);
    self->next_cursor = agency_meta_get_u64 (&txn, AGENCY_META_INBOX, 1);
    agency_pin_load (&txn, config->coordinator_box, config->coordinator_sign, &self->coordinator);
    if (tsg_txn_get (&txn, tsg_store_db (self->store, AGENCY_DB_META), AGENCY_META_DIRECTORY,
                     strlen (AGENCY_META_DIRECTORY), &val))
        self->directory =
            agency_directory_restore_pinned (val.mv_data, val.mv_size, &self->coordinator);
    rc = txn.rc;
    tsg_txn_abort (&txn);
    if (rc != TSG_OK) {
        s_set_err (err, err_size, "cannot read the store: %s", tsg_strerror (rc));
        tsg_agency_destroy (&self);
        return NULL;
    }
    agency_directory_aliases (self->directory, self->boxer);
    rc = agency_keys_adopt (self, err, err_size);
    if (rc != TSG_OK) {
        tsg_agency_destroy (&self);
        return NULL;
    }
    char flag[4096];
    self->standing.sequence_unknown =
        tsg_path (flag, sizeof flag, "%s/%s", config->data_dir, AGENCY_SEQUENCE_UNKNOWN_FILE)
        && access (flag, F_OK) == 0;
    if (self->standing.sequence_unknown)
        log_info ("the store was restored from a backup: new work waits for the coordinator's "
                  "word on the next sequence number");
    agency_outbox_refresh (self->outbox, agency_now_mono ());
    log_info ("agency %s (%s): %zu letters in the outbox, next sequence %llu, directory %llu",
              config->id, policy->type, agency_outbox_pending (self->outbox),
              (unsigned long long) self->next_sequence,
              (unsigned long long) agency_directory_serial (self->directory));
    return self;
}

int
tsg_agency_start (tsg_agency_t *self)
{
    tsg_agency_config_t *config = self->config;
    if (!config->endpoint || !config->http_host) {
        log_warnx ("no coordinator endpoint or HTTP address configured");
        return TSG_ERR_BAD_INPUT;
    }
    self->link = agency_link_new (config->endpoint, self->coordinator.box, config->keys);
    if (!self->link)
        return TSG_ERR_IO;
    agency_link_set_server_keys (self->link, self->coordinator.box,
                                 self->coordinator.has_next ? self->coordinator.next_box : NULL);
    self->send = agency_link_send;
    self->send_arg = self->link;
    self->http = agency_http_new (self, config->http_host, config->http_port);
    if (!self->http)
        return TSG_ERR_IO;
    self->http_limits = agency_http_limits (self->http);
    self->webhooks = agency_webhooks_new (self);
    if (config->webhook_count > 0 && !self->webhooks)
        return TSG_ERR_IO;
    self->hello_due_ms = agency_now_mono ();
    return TSG_OK;
}

void
tsg_agency_destroy (tsg_agency_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_agency_t *self = *self_p;
    if (self->pending) {
        /* The last group commit, for /metrics as loop.c counts it: new letters, no repeats. */
        size_t letters = 0;
        for (const agency_pending_t *p = self->pending; p; p = p->next)
            letters += !p->same_as;
        double started = agency_histogram_clock ();
        agency_pending_commit (self, self->http ? agency_http_answer : NULL, self->http);
        if (letters > 0)
            agency_histogram_observe (&self->stats.commit_api_letters, (double) letters);
        agency_histogram_observe (&self->stats.commit_seconds, agency_histogram_clock () - started);
    }
    self->http_limits = NULL;
    agency_webhooks_destroy (&self->webhooks);
    agency_http_destroy (&self->http);
    agency_link_destroy (&self->link);
    agency_outbox_destroy (&self->outbox);
    agency_directory_destroy (&self->directory);
    tsg_boxer_destroy (&self->boxer);
    tsg_keys_destroy (&self->previous_keys);
    tsg_store_destroy (&self->store);
    tsg_agency_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}
