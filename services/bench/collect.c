/* Delivery: paging through each recipient's inbox until every accepted referral arrived. */
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsunagu/tsunagu.h"
#include "collect.h"
#include "conn.h"

#define PAGE_LIMIT      500   /* the largest page GET /v1/inbox gives */
#define PAGE_TIMEOUT_MS 30000 /* bound on one page */
#define IDLE_MS         100   /* pause when no inbox had anything new */

/* Milliseconds since the epoch of "2026-11-23T07:33:07.548Z"; false when it is not one. */
static bool
s_parse_time (const char *text, uint64_t *ms)
{
    struct tm tm;
    memset (&tm, 0, sizeof tm);
    int millis = 0, used = 0;
    if (!text
        || sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used)
               != 6)
        return false;
    const char *rest = text + used;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                millis = millis * 10 + (*rest - '0');
        for (; digits < 3; digits++)
            millis *= 10;
    }
    if (*rest != 'Z')
        return false;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t seconds = timegm (&tm);
    if (seconds < 0)
        return false;
    *ms = (uint64_t) seconds * 1000 + (uint64_t) millis;
    return true;
}

/* Reads one page of agency's inbox after *cursor; adds its referrals to out and moves *cursor.
 * Returns the number of referrals on the page, or -1 (printed). */
static long
s_read_page (bench_conn_t *conn, const bench_agency_t *agency, json_int_t *cursor,
             bench_collect_t *out)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/inbox?after=%lld&limit=%d", (long long) *cursor, PAGE_LIMIT);
    int status = bench_conn_roundtrip (conn, "GET", path, agency->token, NULL, 0, PAGE_TIMEOUT_MS);
    if (status != 200) {
        if (status < 0)
            log_warnx ("GET %s from %s: %s", path, agency->id, bench_conn_error (conn));
        else
            fprintf (stderr, BENCH_PROGNAME ": GET %s from %s answered HTTP %d:\n%s\n", path,
                     agency->id, status, bench_conn_body (conn, NULL));
        return -1;
    }
    size_t len = 0;
    const char *body = bench_conn_body (conn, &len);
    json_error_t error;
    json_t *page = json_loadb (body, len, 0, &error);
    json_t *items = json_object_get (page, "items");
    json_t *next = json_object_get (page, "next_cursor");
    if (!json_is_array (items) || !json_is_integer (next)) {
        log_warnx ("GET %s from %s: not an inbox page (%s)", path, agency->id,
                   page ? "no items or next_cursor" : error.text);
        json_decref (page);
        return -1;
    }
    long found = 0;
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
    {
        const char *kind = json_string_value (json_object_get (item, "kind"));
        if (!kind || strcmp (kind, "referral") != 0)
            continue;
        uint64_t created = 0, received = 0;
        if (!s_parse_time (json_string_value (json_object_get (item, "created_at")), &created)
            || !s_parse_time (json_string_value (json_object_get (item, "received_at")),
                              &received)) {
            log_warnx ("%s's inbox item at cursor %lld has no created_at or received_at time",
                       agency->id,
                       (long long) json_integer_value (json_object_get (item, "cursor")));
            json_decref (page);
            return -1;
        }
        bench_samples_add (&out->latency_ms, (double) received - (double) created);
        if (received > out->last_received_ms)
            out->last_received_ms = received;
        found++;
    }
    *cursor = json_integer_value (next);
    json_decref (page);
    return found;
}

int
bench_collect_run (bench_cluster_t *cluster, const bench_load_t *load, long timeout_s,
                   volatile sig_atomic_t *stop, bench_collect_t *out)
{
    memset (out, 0, sizeof *out);
    bench_conn_t *conns[BENCH_AGENCIES] = { NULL };
    json_int_t cursors[BENCH_AGENCIES] = { 0 };
    int rc = 0;
    for (size_t a = 0; a < BENCH_AGENCIES; a++)
        if (!(conns[a] = bench_conn_new (bench_cluster_agency (cluster, a)->port)))
            rc = -1;
    uint64_t deadline = tsg_monotonic_ms () + (uint64_t) timeout_s * 1000;
    while (rc == 0) {
        bool waiting = false, progress = false;
        for (size_t a = 0; a < BENCH_AGENCIES && rc == 0; a++) {
            if (out->found[a] >= load->expected[a])
                continue;
            long found =
                s_read_page (conns[a], bench_cluster_agency (cluster, a), &cursors[a], out);
            if (found < 0) {
                rc = -1;
                break;
            }
            out->found[a] += found;
            out->delivered += found;
            progress = progress || found > 0;
            waiting = waiting || out->found[a] < load->expected[a];
        }
        if (rc != 0)
            break;
        bench_cluster_sample (cluster);
        if (!waiting) {
            out->complete = true;
            break;
        }
        if (*stop) {
            log_warnx ("interrupted");
            rc = -1;
        }
        else if (bench_cluster_check (cluster) != 0)
            rc = -1;
        else if (tsg_monotonic_ms () > deadline) {
            log_warnx ("%ld of %ld referrals had arrived after %ld s", out->delivered,
                       load->accepted, timeout_s);
            rc = -1;
        }
        else if (!progress)
            poll (NULL, 0, IDLE_MS);
    }
    if (out->last_received_ms > load->start_wall_ms)
        out->deliver_s = (double) (out->last_received_ms - load->start_wall_ms) / 1000.0;
    for (size_t a = 0; a < BENCH_AGENCIES; a++)
        bench_conn_destroy (&conns[a]);
    return rc;
}

void
bench_collect_clear (bench_collect_t *self)
{
    bench_samples_clear (&self->latency_ms);
}
