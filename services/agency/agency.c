/* The agency daemon's life cycle and its one loop: zmq_poll over the DEALER and the HTTP
 * epoll fd, one group commit per turn for the letters received and the referrals accepted,
 * HELLO every second, the outbox timers. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "agency.h"
#include "http.h"
#include "link.h"

#define HELLO_INTERVAL_MS   1000
#define CONNECTED_WINDOW_MS 5000
#define RECEIVE_BATCH       1024

static volatile sig_atomic_t s_stop;

void
tsg_agency_stop (void)
{
    s_stop = 1;
}

uint64_t
agency_now_mono (void)
{
    return tsg_monotonic_ms ();
}

bool
agency_coordinator_connected (const tsg_agency_t *self)
{
    return self->coordinator_seen_ms != 0
           && agency_now_mono () < self->coordinator_seen_ms + CONNECTED_WINDOW_MS;
}

/* One pass of the retention sweep (seen.h) in a short write transaction of its own. */
static void
s_retention_pass (tsg_agency_t *self)
{
    uint64_t days = self->config->seen_days ? self->config->seen_days : AGENCY_SEEN_DAYS_DEFAULT;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, true);
    size_t n = agency_retention_prune (&txn, &self->prune, tsg_now_ms (), days * 24 * 3600 * 1000);
    if (n > 0 && tsg_txn_commit (&txn) == TSG_OK)
        self->pruned += n;
    else
        tsg_txn_abort (&txn);
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
    agency_standing_init (&self->standing);

    if (!tsg_mkdir_p (config->data_dir, 0700)) {
        s_set_err (err, err_size, "cannot create the data directory %s", config->data_dir);
        tsg_agency_destroy (&self);
        return NULL;
    }
    int rc = agency_store_open (
        config->data_dir, config->map_size ? config->map_size : 256u * 1024 * 1024, &self->store);
    if (rc != TSG_OK) {
        if (err && err_size)
            snprintf (err, err_size, "cannot open the store in %s: %s", config->data_dir,
                      tsg_strerror (rc));
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
    if (tsg_txn_get (&txn, tsg_store_db (self->store, AGENCY_DB_META), AGENCY_META_DIRECTORY,
                     strlen (AGENCY_META_DIRECTORY), &val))
        self->directory =
            agency_directory_restore (val.mv_data, val.mv_size, config->coordinator_sign);
    rc = txn.rc;
    tsg_txn_abort (&txn);
    if (rc != TSG_OK) {
        s_set_err (err, err_size, "cannot read the store: %s", tsg_strerror (rc));
        tsg_agency_destroy (&self);
        return NULL;
    }
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
    self->link = agency_link_new (config->endpoint, config->coordinator_box, config->keys);
    if (!self->link)
        return TSG_ERR_IO;
    self->send = agency_link_send;
    self->send_arg = self->link;
    self->http = agency_http_new (self, config->http_host, config->http_port);
    if (!self->http)
        return TSG_ERR_IO;
    self->hello_due_ms = agency_now_mono ();
    return TSG_OK;
}

bool
agency_admits (tsg_agency_t *self, int *status, json_t **reply)
{
    size_t waiting = agency_outbox_pending (self->outbox) + self->pending_count;
    return agency_standing_admits (&self->standing, waiting, self->config->outbox_limit,
                                   agency_now_mono (), status, reply);
}

/* HELLO: every second while the coordinator takes our letters, every AGENCY_HELLO_SLOW_MS
 * while it refuses them (a suspended agency learns it was resumed from the answer).  While
 * forwarded letters are held it asks for the mailbox again from the oldest. */
static void
s_hello (tsg_agency_t *self)
{
    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    Tsunagu__V1__Hello hello = TSUNAGU__V1__HELLO__INIT;
    tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_HELLO, self->config->id,
                        TSG_COORDINATOR_ID);
    letter.sequence = 0;
    letter.created_at_ms = agency_standing_now_ms (&self->standing);
    if (self->hold_inbound) {
        hello.resend_from_oldest = true;
        letter.hello = &hello;
    }
    if (tsg_envelope_seal (&letter, self->config->keys, &sealed, &sealed_len) == TSG_OK) {
        self->send (self->send_arg, sealed, sealed_len);
        free (sealed);
    }
}

static int
s_send_outbox (void *arg, uint64_t sequence, const uint8_t *data, size_t len)
{
    tsg_agency_t *self = arg;
    (void) sequence;
    return self->send (self->send_arg, data, len);
}

void
agency_pump (tsg_agency_t *self)
{
    /* A suspended or revoked agency sends nothing but its slow HELLO. */
    if (agency_standing_silent (&self->standing))
        return;
    agency_outbox_pump (self->outbox, agency_now_mono (), s_send_outbox, self);
}

/* One group commit: the inbound letters waiting on the DEALER (up to one batch) and the
 * letters the API accepted (referrals, status changes, case events), in one write transaction;
 * then, and only then, receipts and answers. */
static void
s_commit_batch (tsg_agency_t *self, zmq_msg_t *messages, bool inbound)
{
    const uint8_t *frames[RECEIVE_BATCH];
    size_t lens[RECEIVE_BATCH];
    size_t count = 0, received = 0;
    while (inbound && received < RECEIVE_BATCH) {
        zmq_msg_t *msg = &messages[received];
        zmq_msg_init (msg);
        if (agency_link_recv (self->link, msg) < 0) {
            zmq_msg_close (msg);
            break;
        }
        received++;
        if (zmq_msg_size (msg) == 0)
            continue; /* an empty delimiter frame carries no envelope */
        frames[count] = zmq_msg_data (msg);
        lens[count] = zmq_msg_size (msg);
        count++;
    }
    bool answers = self->pending != NULL;
    if (count > 0 || answers) {
        agency_batch_t batch = { 0 };
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, true);
        if (count > 0)
            agency_receive_into (self, &txn, frames, lens, count, &batch);
        agency_pending_write (self, &txn);
        int rc = tsg_txn_commit (&txn);
        if (rc != TSG_OK)
            self->stats.commit_failures++;
        agency_receive_finish (self, &batch, rc);
        agency_pending_finish (self, rc, agency_http_answer, self->http);
        if (rc == TSG_ERR_STORE_FULL)
            tsg_store_grow (self->store, self->config->map_max > self->config->map_size
                                             ? self->config->map_max
                                             : self->config->map_size);
        if (self->hold_inbound)
            self->hello_due_ms = agency_now_mono (); /* ask for the mailbox again now */
    }
    for (size_t i = 0; i < received; i++)
        zmq_msg_close (&messages[i]);
    if (answers)
        agency_http_run (self->http); /* the resumed connections get their answers */
}

static long
s_min_timeout (long a, long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

int
tsg_agency_run (tsg_agency_t *self)
{
    zmq_msg_t *messages = calloc (RECEIVE_BATCH, sizeof *messages);
    if (!messages || !self->link || !self->http) {
        free (messages);
        log_warnx ("the agency is not started");
        return 1;
    }
    log_info ("agency %s running", self->config->id);
    while (!s_stop) {
        uint64_t now = agency_now_mono ();
        if (now >= self->hello_due_ms) {
            s_hello (self);
            self->hello_due_ms = now
                                 + (agency_standing_silent (&self->standing) ? AGENCY_HELLO_SLOW_MS
                                                                             : HELLO_INTERVAL_MS);
        }
        if (now >= self->prune_at_ms) {
            s_retention_pass (self);
            self->prune_at_ms = now + 1000;
        }
        agency_pump (self);

        long timeout = (long) (self->hello_due_ms - now);
        timeout = s_min_timeout (timeout, agency_outbox_timeout (self->outbox, now));
        timeout = s_min_timeout (timeout, agency_http_timeout (self->http));
        if (timeout < 0)
            timeout = 0;
        zmq_pollitem_t items[2] = {
            { agency_link_socket (self->link), 0,
              (short) (ZMQ_POLLIN | (agency_outbox_blocked (self->outbox) ? ZMQ_POLLOUT : 0)), 0 },
            { NULL, agency_http_fd (self->http), ZMQ_POLLIN, 0 },
        };
        int rc = zmq_poll (items, 2, timeout);
        if (rc < 0) {
            if (zmq_errno () == EINTR)
                continue;
            log_warnx ("poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        /* HTTP first (its reads happen outside any write transaction): accepted referrals
         * wait suspended for the commit that follows. */
        agency_http_run (self->http);
        bool inbound = (items[0].revents & ZMQ_POLLIN) != 0;
        if (inbound || self->pending)
            s_commit_batch (self, messages, inbound);
    }
    /* Nothing is pending here: every batch was committed in the iteration that took it. */
    free (messages);
    log_info ("agency %s stopping", self->config->id);
    return 0;
}

void
tsg_agency_destroy (tsg_agency_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_agency_t *self = *self_p;
    if (self->pending)
        agency_pending_commit (self, self->http ? agency_http_answer : NULL, self->http);
    agency_http_destroy (&self->http);
    agency_link_destroy (&self->link);
    agency_outbox_destroy (&self->outbox);
    agency_directory_destroy (&self->directory);
    tsg_boxer_destroy (&self->boxer);
    tsg_store_destroy (&self->store);
    tsg_agency_config_destroy (&self->config);
    free (self);
    *self_p = NULL;
}
