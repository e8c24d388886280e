/* cases_load.c — `tsunagu-bench --load-cases N --data DIR`: N synthetic cases written straight
 * into a coordinator's data directory, offline under its lock, through the coordinator's own
 * record writers (so every index is as the coordinator keeps it), thousands per commit.  Only
 * ids, codes, dates and tags, as the coordinator holds: there is no personal data to make. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/schema.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/timeline.h"
#include "tsunagu/tsg_lock.h"
#include "cases_load.h"

#define BATCH      5000 /* cases per commit */
#define AGENCIES   40   /* synthetic agencies, ten of each type */
#define DAY_MS     86400000ull
#define YEARS_SPAN (5ull * 365 * DAY_MS)
#define REFS_MAX   6

static const char *const s_types[] = { "eldercare", "disability", "child", "poverty" };
static const char *const s_tags[] = { "介護", "認知症",   "8050",       "虐待",
                                      "孤立", "障害",     "精神保健",   "ひきこもり",
                                      "就労", "子育て",   "不登校",     "ヤングケアラー",
                                      "DV",   "生活困窮", "住まい",     "債務",
                                      "家計", "複合",     "ダブルケア", "狭間" };

/* A small deterministic generator (xorshift64*), so two loads make the same store. */
static uint64_t
s_next (uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ull;
}

static uint64_t
s_below (uint64_t *state, uint64_t n)
{
    return n ? s_next (state) % n : 0;
}

/* A version-4 UUID text from the generator. */
static void
s_uuid (uint64_t *state, char out[TSG_UUID_TEXT_SIZE])
{
    uint64_t a = s_next (state), b = s_next (state);
    snprintf (out, TSG_UUID_TEXT_SIZE, "%08x-%04x-4%03x-%04x-%012llx", (unsigned) (a >> 32),
              (unsigned) (a >> 16) & 0xffff, (unsigned) a & 0xfff,
              (unsigned) (0x8000 | ((b >> 48) & 0x3fff)),
              (unsigned long long) (b & 0xffffffffffffull));
}

static void
s_agency_id (int i, char out[TSG_ID_MAX + 1])
{
    snprintf (out, TSG_ID_MAX + 1, "%s-%02d", s_types[i % 4], i / 4);
}

/* Registers the synthetic agencies (random keys: the benchmark sends them nothing). */
static void
s_agencies (tsg_txn_t *txn, uint64_t now_ms)
{
    for (int i = 0; i < AGENCIES; i++) {
        char id[TSG_ID_MAX + 1], name[64];
        uint8_t box[32], sign[32];
        s_agency_id (i, id);
        snprintf (name, sizeof name, "ベンチ機関 %d", i);
        randombytes_buf (box, sizeof box);
        randombytes_buf (sign, sizeof sign);
        Tsunagu__V1__AgencyEntry e = TSUNAGU__V1__AGENCY_ENTRY__INIT;
        e.id = id;
        e.type = (char *) s_types[i % 4];
        e.name = name;
        e.box_public = (ProtobufCBinaryData){ sizeof box, box };
        e.sign_public = (ProtobufCBinaryData){ sizeof sign, sign };
        e.status = TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
        e.created_at_ms = now_ms - YEARS_SPAN;
        tsg_registry_put (txn, &e);
    }
}

/* A state with a realistic weight: many closed, most of the rest in support or follow-up. */
static tsg_case_state_t
s_state (uint64_t *rng)
{
    static const struct {
        tsg_case_state_t state;
        unsigned weight;
    } w[] = {
        { TSG_CASE_OPEN, 7 },        { TSG_CASE_MULTI_AGENCY, 6 }, { TSG_CASE_ASSESSMENT, 5 },
        { TSG_CASE_PLANNING, 4 },    { TSG_CASE_CONFERENCE, 5 },   { TSG_CASE_SUPPORT, 15 },
        { TSG_CASE_MONITORING, 10 }, { TSG_CASE_WATCH, 8 },        { TSG_CASE_CLOSED, 40 },
    };
    unsigned pick = (unsigned) s_below (rng, 100);
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        if (pick < w[i].weight)
            return w[i].state;
        pick -= w[i].weight;
    }
    return TSG_CASE_CLOSED;
}

/* One referral of case c to agencies[to] from agencies[from], in a state fitting the case. */
static void
s_referral (tsg_txn_t *txn, uint64_t *rng, tsg_hub_case_t *c, size_t from, size_t to,
            uint64_t now_ms, bench_cases_counts_t *counts)
{
    tsg_hub_referral_t ref;
    memset (&ref, 0, sizeof ref);
    s_uuid (rng, ref.id);
    memcpy (ref.case_id, c->id, TSG_UUID_TEXT_SIZE);
    snprintf (ref.sender, sizeof ref.sender, "%s", c->agencies[from]);
    snprintf (ref.recipient, sizeof ref.recipient, "%s", c->agencies[to]);
    snprintf (ref.recipient_type, sizeof ref.recipient_type, "%.15s", c->agencies[to]);
    char *dash = strchr (ref.recipient_type, '-');
    if (dash)
        *dash = '\0';
    ref.urgency = TSUNAGU__V1__URGENCY__URGENCY_NORMAL;
    ref.version = 1;
    ref.created_at_ms = c->created_at_ms + s_below (rng, DAY_MS * 7);
    ref.updated_at_ms = ref.created_at_ms;
    ref.receive_due_ms = ref.created_at_ms + DAY_MS;
    ref.response_due_ms = ref.created_at_ms + 14 * DAY_MS;
    snprintf (ref.updated_by, sizeof ref.updated_by, "%s", ref.sender);
    unsigned pick = (unsigned) s_below (rng, 100);
    bool active = c->state != TSG_CASE_CLOSED;
    if (active && pick < 3) {
        ref.state = TSG_REF_REQUESTED; /* waiting, and past its dates: overdue */
        counts->overdue++;
    }
    else if (active && pick < 5) {
        ref.state = TSG_REF_RECEIVED;
        ref.received_at_ms = ref.created_at_ms + DAY_MS / 2;
        counts->overdue += ref.response_due_ms < now_ms;
    }
    else {
        ref.state = active ? TSG_REF_IN_PROGRESS : TSG_REF_COMPLETED;
        ref.received_at_ms = ref.created_at_ms + DAY_MS / 4;
        ref.accepted_at_ms = ref.created_at_ms + 3 * DAY_MS;
        ref.version = 3;
        if (!active) {
            ref.outcome = TSG_OUTCOME_GOT_HELP;
            ref.closed_at_ms = c->closed_at_ms;
            ref.version = 4;
        }
    }
    tsg_hub_referral_put (txn, NULL, &ref);
    tsg_hub_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.type = TSG_HUB_EV_REFERRAL;
    ev.at_ms = ref.created_at_ms;
    ev.version = c->version;
    snprintf (ev.by, sizeof ev.by, "%s", ref.sender);
    snprintf (ev.agency, sizeof ev.agency, "%s", ref.recipient);
    memcpy (ev.referral_id, ref.id, TSG_UUID_TEXT_SIZE);
    snprintf (ev.to, sizeof ev.to, "requested");
    tsg_hub_timeline_append (txn, c, &ev, NULL);
    /* One in a hundred active ones was withheld: its consent ended before delivery. */
    if (ref.state == TSG_REF_REQUESTED && s_below (rng, 3) == 0) {
        char consent[TSG_UUID_TEXT_SIZE];
        s_uuid (rng, consent);
        tsg_hub_referral_withhold (txn, ref.id, s_below (rng, 2) ? "revoked" : "expired", consent,
                                   ref.created_at_ms + DAY_MS / 2);
        counts->withheld++;
        counts->overdue--;
    }
}

/* One synthetic case, with its referrals and timeline. */
static void
s_case (tsg_txn_t *txn, uint64_t *rng, uint64_t now_ms, tsg_hub_case_t *c,
        bench_cases_counts_t *counts)
{
    memset (c, 0, sizeof *c);
    s_uuid (rng, c->id);
    c->state = s_state (rng);
    c->created_at_ms = now_ms - DAY_MS - s_below (rng, YEARS_SPAN);
    uint64_t age = now_ms - c->created_at_ms;
    /* Closed cases and follow-up change rarely; many open ones changed lately. */
    c->updated_at_ms = c->created_at_ms + s_below (rng, age);
    c->version = 1 + s_below (rng, 12);
    unsigned n = 1 + (unsigned) s_below (rng, 100) / 35; /* 1: 35%, 2: 35%, 3: 30% */
    n += s_below (rng, 10) == 0 ? 1 + (unsigned) s_below (rng, 3) : 0;
    for (unsigned i = 0; i < n; i++) {
        char id[TSG_ID_MAX + 1];
        s_agency_id ((int) s_below (rng, AGENCIES), id);
        tsg_hub_case_add_agency (c, id);
    }
    snprintf (c->opened_by, sizeof c->opened_by, "%s", c->agencies[0]);
    unsigned tags = 1 + (unsigned) s_below (rng, 3);
    for (unsigned i = 0; i < tags; i++)
        tsg_hub_case_add_tag (c, s_tags[s_below (rng, sizeof s_tags / sizeof s_tags[0])]);
    if (c->state == TSG_CASE_CLOSED) {
        c->closed_at_ms = c->updated_at_ms;
        snprintf (c->close_reason, sizeof c->close_reason, "goal-achieved");
    }
    if (s_below (rng, 100) < 6) {
        c->reopened = 1 + (unsigned) s_below (rng, 2);
        counts->reopened++;
    }
    if (c->state >= TSG_CASE_SUPPORT && c->state != TSG_CASE_CLOSED) {
        /* A review date from two months back to four ahead: some passed. */
        uint64_t on = now_ms - 60 * DAY_MS + s_below (rng, 180 * DAY_MS);
        tsg_date_jst_plus_days (on, 0, c->next_review_on);
        snprintf (c->roles[0].agency, sizeof c->roles[0].agency, "%s", c->agencies[0]);
        snprintf (c->roles[0].role, sizeof c->roles[0].role, "主担当");
        c->n_roles = 1;
        c->plan_at_ms = c->created_at_ms + s_below (rng, age);
    }
    snprintf (c->last_event_type, sizeof c->last_event_type, "state");
    snprintf (c->last_event_by, sizeof c->last_event_by, "%s", c->agencies[0]);
    tsg_hub_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.type = TSG_HUB_EV_OPENED;
    ev.at_ms = c->created_at_ms;
    ev.version = 1;
    snprintf (ev.by, sizeof ev.by, "%s", c->agencies[0]);
    snprintf (ev.to, sizeof ev.to, "open");
    tsg_hub_timeline_append (txn, c, &ev, NULL);
    /* The case first, then its referrals (a referral's withholding counts on its case). */
    tsg_hub_case_put (txn, NULL, c);
    tsg_hub_case_t *stored = malloc (sizeof *stored);
    if (!stored) {
        txn->rc = TSG_ERR_NOMEM;
        return;
    }
    size_t refs = c->n_agencies > 1 ? c->n_agencies - 1 : 1;
    for (size_t i = 0; i < refs && i < REFS_MAX && txn->rc == TSG_OK; i++) {
        if (!tsg_hub_case_get (txn, c->id, stored))
            break;
        tsg_hub_case_t before = *stored;
        s_referral (txn, rng, stored, 0, c->n_agencies > 1 ? i + 1 : 0, now_ms, counts);
        stored->referrals++;
        tsg_hub_case_t now = *stored;
        if (tsg_hub_case_get (txn, c->id, &before))
            now.withheld = before.withheld;
        tsg_hub_case_put (txn, &before, &now);
        counts->referrals++;
    }
    free (stored);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_OPENED, 1);
    counts->cases++;
}

int
bench_cases_load (const char *data_dir, long n, long map_mb, bench_cases_counts_t *counts)
{
    memset (counts, 0, sizeof *counts);
    int lock = tsg_lock_take (data_dir, TSG_COORDINATOR_LOCK_FILE, false);
    if (lock < 0) {
        log_warnx ("%s/%s: %s", data_dir, TSG_COORDINATOR_LOCK_FILE,
                   errno == EWOULDBLOCK ? "a coordinator runs on this data directory"
                                        : strerror (errno));
        return 1;
    }
    size_t map = map_mb > 0 ? (size_t) map_mb << 20 : ((size_t) n * 8192 + ((size_t) 1 << 30));
    tsg_store_t *store = NULL;
    char why[512] = "";
    int rc = tsg_hub_store_open_current (data_dir, map, &store, why, sizeof why);
    if (rc != TSG_OK)
        log_warnx ("%s/store: %s", data_dir, why);
    uint64_t now_ms = tsg_now_ms (), rng = 0x7473756e61677521ull ^ (uint64_t) n;
    tsg_hub_case_t *c = malloc (sizeof *c);
    if (!c)
        rc = TSG_ERR_NOMEM;
    for (long done = 0; rc == TSG_OK && done < n;) {
        tsg_txn_t txn;
        tsg_txn_begin (store, &txn, true);
        if (done == 0)
            s_agencies (&txn, now_ms);
        for (long i = 0; i < BATCH && done + i < n && txn.rc == TSG_OK; i++)
            s_case (&txn, &rng, now_ms, c, counts);
        rc = tsg_txn_commit (&txn);
        done += BATCH;
        if (rc == TSG_OK && (done / BATCH) % 20 == 0)
            log_info ("%ld cases loaded", done < n ? done : n);
    }
    if (rc != TSG_OK)
        log_warnx ("loading cases into %s/store: %s%s", data_dir, tsg_strerror (rc),
                   rc == TSG_ERR_STORE_FULL ? " (give a larger --map-mb)" : "");
    free (c);
    tsg_store_destroy (&store);
    tsg_lock_release (lock);
    return rc == TSG_OK ? 0 : 1;
}
