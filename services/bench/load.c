/* The offered load: referrals POSTed over keep-alive connections, as fast as answered or at a
 * fixed rate, spread evenly over the 12 ordered pairs of agency types. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsunagu/tsunagu.h"
#include "conn.h"
#include "load.h"
#include "procstat.h"
#include "sheet.h"

#define SAMPLE_US          100000   /* how often the cluster is sampled and checked */
#define REQUEST_TIMEOUT_US 60000000 /* bound on one request */
#define REQUEST_SLACK      2048     /* room in the request buffer beyond the sheet */

/* One connection and the request it carries. */
typedef struct {
    bench_conn_t *conn; /* the connection */
    size_t sender;      /* index of the agency it sends as */
    size_t recipient;   /* index of the recipient of the request in flight */
    long referral;      /* number of the referral in flight, -1 when idle */
    int64_t sent_us;    /* when it went out (monotonic µs) */
} s_slot_t;

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Starts referral k on slot; -1 (logged) when the request cannot be made. */
static int
s_send (s_slot_t *slot, bench_cluster_t *cluster, const bench_options_t *options, long k, char *buf,
        size_t size)
{
    const bench_agency_t *from = bench_cluster_agency (cluster, slot->sender);
    size_t recipient =
        (slot->sender + 1 + (size_t) (k / BENCH_AGENCIES) % (BENCH_AGENCIES - 1)) % BENCH_AGENCIES;
    const bench_agency_t *to = bench_cluster_agency (cluster, recipient);
    size_t len = bench_sheet_request (buf, size, from->type, to->id, (unsigned long) k,
                                      (size_t) options->body_bytes);
    if (len == 0) {
        log_warnx ("referral %ld does not fit in %zu bytes", k, size);
        return -1;
    }
    if (bench_conn_start (slot->conn, "POST", "/v1/referrals", from->token, buf, len) != 0) {
        log_warnx ("%s: %s", from->id, bench_conn_error (slot->conn));
        return -1;
    }
    slot->recipient = recipient;
    slot->referral = k;
    slot->sent_us = s_now_us ();
    /* Write at once rather than after another poll (a connect under way waits for poll). */
    bench_conn_step (slot->conn, 0);
    return 0;
}

/* Handles the end of slot's request: 0 when it was accepted, -1 (printed) otherwise. */
static int
s_finish (s_slot_t *slot, bench_cluster_t *cluster, bench_load_t *out, int64_t now)
{
    const bench_agency_t *from = bench_cluster_agency (cluster, slot->sender);
    long k = slot->referral;
    slot->referral = -1;
    if (bench_conn_state (slot->conn) == BENCH_CONN_FAILED) {
        log_warnx ("referral %ld to %s: %s", k, from->id, bench_conn_error (slot->conn));
        return -1;
    }
    int status = bench_conn_status (slot->conn);
    if (status != 202) {
        fprintf (stderr,
                 BENCH_PROGNAME ": %s refused referral %ld (to %s) with HTTP %d; the rules for "
                                "requests may have changed:\n%s\n",
                 from->id, k, bench_cluster_agency (cluster, slot->recipient)->id, status,
                 bench_conn_body (slot->conn, NULL));
        return -1;
    }
    out->accepted++;
    out->expected[slot->recipient]++;
    bench_samples_add (&out->api_ms, (double) (now - slot->sent_us) / 1000.0);
    return 0;
}

/* The wait until the next sample or the next send is due, from now. */
static int64_t
wait_us_of (int64_t now, int64_t last_sample, int64_t next_due)
{
    int64_t wait_us = last_sample + SAMPLE_US - now;
    if (next_due != INT64_MAX && next_due - now < wait_us)
        wait_us = next_due - now;
    return wait_us < 0 ? 0 : wait_us;
}

/* Polls the slots with a request in flight for at most wait_us and takes the answers that
 * came: 0, or -1 (printed) when polling failed or an answer was not 202. */
static int
s_take_answers (s_slot_t *slots, size_t count, struct pollfd *pfds, size_t *polled, int64_t wait_us,
                bench_cluster_t *cluster, bench_load_t *out, size_t *in_flight,
                int64_t *last_accepted)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (slots[i].referral >= 0) {
            pfds[n] = (struct pollfd){ .fd = bench_conn_fd (slots[i].conn),
                                       .events = bench_conn_events (slots[i].conn) };
            polled[n++] = i;
        }
    struct timespec ts = { .tv_sec = wait_us / 1000000, .tv_nsec = (wait_us % 1000000) * 1000 };
    int ready = ppoll (pfds, n, &ts, NULL);
    if (ready < 0 && errno != EINTR) {
        log_warn ("poll");
        return -1;
    }
    int64_t now = s_now_us ();
    int rc = 0;
    for (size_t j = 0; ready > 0 && j < n && rc == 0; j++) {
        if (!pfds[j].revents)
            continue;
        s_slot_t *slot = &slots[polled[j]];
        if (bench_conn_step (slot->conn, pfds[j].revents) == BENCH_CONN_BUSY)
            continue;
        (*in_flight)--;
        rc = s_finish (slot, cluster, out, now);
        *last_accepted = now;
    }
    return rc;
}

int
bench_load_run (bench_cluster_t *cluster, const bench_options_t *options,
                volatile sig_atomic_t *stop, bench_load_t *out)
{
    memset (out, 0, sizeof *out);
    size_t count = (size_t) options->connections;
    long total = options->referrals;
    size_t size = (size_t) options->body_bytes + REQUEST_SLACK;
    s_slot_t *slots = calloc (count, sizeof *slots);
    struct pollfd *pfds = calloc (count, sizeof *pfds);
    size_t *polled = calloc (count, sizeof *polled);
    char *buf = malloc (size);
    int rc = slots && pfds && polled && buf ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        slots[i].sender = i % BENCH_AGENCIES;
        slots[i].referral = -1;
        slots[i].conn = bench_conn_new (bench_cluster_agency (cluster, slots[i].sender)->port);
        if (!slots[i].conn)
            rc = -1;
    }
    if (rc != 0)
        log_warnx ("out of memory");

    long next[BENCH_AGENCIES]; /* the next referral each sender sends */
    for (size_t s = 0; s < BENCH_AGENCIES; s++)
        next[s] = (long) s;
    double interval_us = options->rate > 0 ? 1e6 / (double) options->rate : 0;
    int64_t start = s_now_us (), first_sent = 0, last_sent = 0, last_accepted = 0;
    int64_t bound =
        (int64_t) (options->timeout_s + (options->rate > 0 ? total / options->rate : 0)) * 1000000;
    int64_t last_sample = start;
    size_t in_flight = 0;
    bench_cluster_mark (cluster);

    while (rc == 0) {
        if (*stop) {
            log_warnx ("interrupted");
            rc = -1;
            break;
        }
        int64_t now = s_now_us (), next_due = INT64_MAX;
        for (size_t i = 0; i < count && rc == 0; i++) {
            s_slot_t *slot = &slots[i];
            long k = next[slot->sender];
            if (slot->referral >= 0 || k >= total)
                continue;
            int64_t due = start + (int64_t) ((double) k * interval_us);
            if (due > now) {
                next_due = due < next_due ? due : next_due;
                continue;
            }
            rc = s_send (slot, cluster, options, k, buf, size);
            if (rc != 0)
                break;
            next[slot->sender] += BENCH_AGENCIES;
            if (out->sent++ == 0) {
                first_sent = slot->sent_us;
                out->start_wall_ms = tsg_now_ms ();
                bench_procstat_loadavgs (out->loadavgs_start);
                out->loadavg_start = out->loadavgs_start[0];
            }
            last_sent = slot->sent_us;
            in_flight++;
            if (bench_conn_state (slot->conn) != BENCH_CONN_BUSY) {
                in_flight--;
                rc = s_finish (slot, cluster, out, s_now_us ());
            }
        }
        if (rc != 0)
            break;
        if (in_flight == 0 && out->sent == total)
            break;
        if (now - start > bound) {
            log_warnx ("sending took longer than %ld s (%ld of %ld sent)", (long) (bound / 1000000),
                       out->sent, total);
            rc = -1;
            break;
        }

        rc = s_take_answers (slots, count, pfds, polled, wait_us_of (now, last_sample, next_due),
                             cluster, out, &in_flight, &last_accepted);
        now = s_now_us ();
        if (rc == 0 && now - last_sample >= SAMPLE_US) {
            last_sample = now;
            bench_cluster_sample (cluster);
            rc = bench_cluster_check (cluster);
            for (size_t i = 0; i < count && rc == 0; i++)
                if (slots[i].referral >= 0 && now - slots[i].sent_us > REQUEST_TIMEOUT_US) {
                    log_warnx ("referral %ld to %s had no answer within %d s", slots[i].referral,
                               bench_cluster_agency (cluster, slots[i].sender)->id,
                               REQUEST_TIMEOUT_US / 1000000);
                    rc = -1;
                }
        }
    }
    out->send_s = (double) (last_sent - first_sent) / 1e6;
    out->accept_s = (double) (last_accepted - first_sent) / 1e6;
    for (size_t i = 0; slots && i < count; i++)
        bench_conn_destroy (&slots[i].conn);
    free (slots);
    free (pfds);
    free (polled);
    free (buf);
    return rc;
}

void
bench_load_clear (bench_load_t *self)
{
    bench_samples_clear (&self->api_ms);
}
