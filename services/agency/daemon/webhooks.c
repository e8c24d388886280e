/* webhooks.c — pushing the event feed to each [webhook.NAME] (webhooks.h): per webhook one
 * event in flight at a time, in feed order, on libcurl's multi interface driven by the loop
 * (a non-blocking curl_multi_perform each turn, never a wait); the cursor moves after a 2xx
 * only, so a crash sends the event in flight again (at least once, deduplicated by
 * webhook-id). */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/core/outbound.h"
#include "agency/daemon/webhooks.h"
#include "agency/daemon/webhooks_sign.h"
#include "agency/records/events.h"

#define FEED_READ_MAX 64 /* events looked at per webhook per turn while skipping unwanted ones */
#define ID_MAX        96 /* bytes of an event id with its NUL */

/* One webhook's delivery. */
typedef struct {
    const tsg_agency_webhook_t *config;       /* its section (borrowed from the agency's config) */
    agency_webhook_status_t *status;          /* what /metrics and /healthz show (in the engine's
                                                 array) */
    char meta_key[TSG_WEBHOOK_NAME_MAX + 24]; /* "webhook.<name>.cursor" */
    uint64_t stored;                          /* the cursor as the store holds it */
    bool dirty;                               /* status->cursor is ahead of stored: write it */
    CURL *easy;                   /* its transfer handle, reused (keeps the connection) */
    bool active;                  /* easy is in the multi handle: an attempt runs */
    struct curl_slist *headers;   /* the running attempt's headers */
    char *body;                   /* the loaded event's body (owned), or NULL */
    size_t body_len;              /* its length */
    uint64_t seq;                 /* the loaded event's seq */
    char id[ID_MAX];              /* the loaded event's id (webhook-id) */
    uint32_t failures;            /* failed attempts in a row for the loaded event */
    uint64_t failing_since_ms;    /* wall time of the first of them (0: none) */
    uint64_t due_mono;            /* monotonic time the next attempt may start */
    char errbuf[CURL_ERROR_SIZE]; /* libcurl's words for a failed transfer */
} s_hook_t;

struct _agency_webhooks_t {
    tsg_agency_t *agency;            /* whose feed (borrowed) */
    CURLM *multi;                    /* every webhook's transfers */
    s_hook_t *hooks;                 /* one per [webhook.NAME], in file order */
    agency_webhook_status_t *status; /* their status, one each */
    size_t count;                    /* how many */
    size_t active;                   /* attempts running */
};

/* Response bodies are not kept. */
static size_t
s_discard (char *data, size_t size, size_t count, void *arg)
{
    (void) data;
    (void) arg;
    return size * count;
}

/* The options that stay the same for every attempt of hook. */
static bool
s_easy (s_hook_t *hook)
{
    const tsg_agency_webhook_t *c = hook->config;
    hook->easy = curl_easy_init ();
    if (!hook->easy)
        return false;
    CURL *e = hook->easy;
    curl_easy_setopt (e, CURLOPT_URL, c->url);
    curl_easy_setopt (e, CURLOPT_PRIVATE, hook);
    curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, 0L); /* a 3xx is a failure (Standard Webhooks) */
    curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT_MS, (long) AGENCY_WEBHOOK_CONNECT_TIMEOUT_MS);
    curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long) AGENCY_WEBHOOK_TOTAL_TIMEOUT_MS);
    curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_discard);
    curl_easy_setopt (e, CURLOPT_ERRORBUFFER, hook->errbuf);
    curl_easy_setopt (e, CURLOPT_USERAGENT, "tsunagu/" TSUNAGU_VERSION);
    if (c->ca_file)
        curl_easy_setopt (e, CURLOPT_CAINFO, c->ca_file);
    if (c->client_cert) {
        curl_easy_setopt (e, CURLOPT_SSLCERT, c->client_cert);
        curl_easy_setopt (e, CURLOPT_SSLKEY, c->client_key);
    }
    return true;
}

agency_webhooks_t *
agency_webhooks_new (tsg_agency_t *agency)
{
    const tsg_agency_config_t *config = agency->config;
    if (config->webhook_count == 0)
        return NULL;
    static bool curl_ready;
    if (!curl_ready && curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_warnx ("webhooks: libcurl does not start");
        return NULL;
    }
    curl_ready = true;
    agency_webhooks_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->agency = agency;
    self->count = config->webhook_count;
    self->hooks = calloc (self->count, sizeof *self->hooks);
    self->status = calloc (self->count, sizeof *self->status);
    self->multi = curl_multi_init ();
    bool ok = self->hooks && self->status && self->multi;
    tsg_txn_t txn;
    tsg_txn_begin (agency->store, &txn, false);
    for (size_t i = 0; ok && i < self->count; i++) {
        s_hook_t *hook = &self->hooks[i];
        hook->config = &config->webhooks[i];
        hook->status = &self->status[i];
        hook->status->name = hook->config->name;
        snprintf (hook->meta_key, sizeof hook->meta_key, "webhook.%s.cursor", hook->config->name);
        hook->stored = agency_meta_get_u64 (&txn, hook->meta_key, 0);
        hook->status->cursor = hook->stored;
        ok = s_easy (hook);
    }
    if (txn.rc != TSG_OK)
        ok = false;
    tsg_txn_abort (&txn);
    if (!ok) {
        log_warnx ("webhooks: cannot start (out of memory, libcurl or the store)");
        agency_webhooks_destroy (&self);
        return NULL;
    }
    agency->webhook_status = self->status;
    agency->webhook_count = self->count;
    for (size_t i = 0; i < self->count; i++)
        log_info ("webhook %s: %s, from event %llu", self->hooks[i].config->name,
                  self->hooks[i].config->url, (unsigned long long) self->hooks[i].stored + 1);
    return self;
}

void
agency_webhooks_destroy (agency_webhooks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agency_webhooks_t *self = *self_p;
    if (self->agency && self->agency->webhooks == self) {
        self->agency->webhooks = NULL;
        self->agency->webhook_status = NULL;
        self->agency->webhook_count = 0;
    }
    for (size_t i = 0; self->hooks && i < self->count; i++) {
        s_hook_t *hook = &self->hooks[i];
        if (hook->active)
            curl_multi_remove_handle (self->multi, hook->easy);
        if (hook->easy)
            curl_easy_cleanup (hook->easy);
        curl_slist_free_all (hook->headers);
        free (hook->body);
    }
    if (self->multi)
        curl_multi_cleanup (self->multi);
    free (self->hooks);
    free (self->status);
    free (self);
    *self_p = NULL;
}

/* True when hook wants events of type. */
static bool
s_wants (const s_hook_t *hook, const char *type)
{
    if (!hook->config->events)
        return true;
    char needle[AGENCY_EVENT_TYPE_MAX + 2];
    snprintf (needle, sizeof needle, ",%s,", type);
    return strstr (hook->config->events, needle) != NULL;
}

/* The body pushed for event: {"type", "timestamp", "data", "id", "seq"} (Standard Webhooks'
 * payload with our id and seq), compact; NULL when the stored event does not parse. */
static char *
s_body (const agency_event_t *event, char id[ID_MAX])
{
    json_t *stored = json_loadb (event->json, event->json_len, 0, NULL);
    const char *event_id = json_string_value (json_object_get (stored, "id"));
    const char *at = json_string_value (json_object_get (stored, "at"));
    json_t *data = json_object_get (stored, "data");
    char *body = NULL;
    if (event_id && strlen (event_id) < ID_MAX && !strchr (event_id, '.') && at) {
        snprintf (id, ID_MAX, "%s", event_id);
        json_t *out = json_pack ("{s:s, s:s, s:O, s:s, s:I}", "type", event->type, "timestamp", at,
                                 "data", data ? data : json_object (), "id", event_id, "seq",
                                 (json_int_t) event->seq);
        body = out ? json_dumps (out, JSON_COMPACT) : NULL;
        json_decref (out);
    }
    json_decref (stored);
    return body;
}

/* agency_event_fn: loads the first event the webhook wants; the others move its cursor. */
static bool
s_next_event (void *arg, const agency_event_t *event)
{
    s_hook_t *hook = arg;
    if (!s_wants (hook, event->type)) {
        hook->status->cursor = event->seq;
        hook->dirty = true;
        return true;
    }
    hook->body = s_body (event, hook->id);
    if (!hook->body) {
        log_warnx ("webhook %s: event %llu cannot be read; it is skipped", hook->config->name,
                   (unsigned long long) event->seq);
        hook->status->cursor = event->seq;
        hook->dirty = true;
        return true;
    }
    hook->body_len = strlen (hook->body);
    hook->seq = event->seq;
    return false;
}

/* In a read transaction: adopts a cursor an operator moved, skips what the feed no longer
 * keeps, loads the next event of every idle webhook, and counts what is pending. */
static void
s_feed (agency_webhooks_t *self, tsg_txn_t *txn)
{
    uint64_t last = agency_events_last (txn);
    uint64_t first = agency_events_first (txn);
    for (size_t i = 0; i < self->count; i++) {
        s_hook_t *hook = &self->hooks[i];
        agency_webhook_status_t *st = hook->status;
        uint64_t stored = agency_meta_get_u64 (txn, hook->meta_key, 0);
        if (stored != hook->stored && !hook->dirty && !hook->active) {
            log_info ("webhook %s: cursor moved to %llu", hook->config->name,
                      (unsigned long long) stored);
            hook->stored = st->cursor = stored;
            free (hook->body);
            hook->body = NULL;
            hook->failures = 0;
            hook->failing_since_ms = 0;
            st->parked = false;
        }
        if (first > 0 && st->cursor + 1 < first) {
            log_warnx ("webhook %s: events %llu to %llu were pruned before delivery",
                       hook->config->name, (unsigned long long) st->cursor + 1,
                       (unsigned long long) first - 1);
            snprintf (st->last_error, sizeof st->last_error,
                      "events %llu to %llu were pruned before delivery",
                      (unsigned long long) st->cursor + 1, (unsigned long long) first - 1);
            st->cursor = first - 1;
            hook->dirty = true;
        }
        if (!hook->body && !st->parked && st->cursor < last)
            agency_events_read (txn, st->cursor, FEED_READ_MAX, s_next_event, hook);
        st->pending = last > st->cursor ? last - st->cursor : 0;
    }
}

/* Writes every cursor that moved, in one commit.  A failure leaves them to the next turn. */
static void
s_save (agency_webhooks_t *self)
{
    bool any = false;
    for (size_t i = 0; i < self->count && !any; i++)
        any = self->hooks[i].dirty;
    if (!any)
        return;
    tsg_txn_t txn;
    tsg_txn_begin (self->agency->store, &txn, true);
    for (size_t i = 0; i < self->count; i++)
        if (self->hooks[i].dirty)
            agency_meta_put_u64 (&txn, self->hooks[i].meta_key, self->hooks[i].status->cursor);
    if (tsg_txn_commit (&txn) != TSG_OK) {
        log_warnx ("webhooks: cannot save the cursors: %s", tsg_strerror (txn.rc));
        return;
    }
    for (size_t i = 0; i < self->count; i++)
        if (self->hooks[i].dirty) {
            self->hooks[i].stored = self->hooks[i].status->cursor;
            self->hooks[i].dirty = false;
        }
}

/* Starts the attempt of hook's loaded event: fresh timestamp and signature. */
static void
s_start (agency_webhooks_t *self, s_hook_t *hook)
{
    uint64_t now_s = tsg_now_ms () / 1000;
    char signature[AGENCY_WEBHOOK_SIGNATURE_SIZE];
    agency_webhook_sign (hook->config->secret, hook->config->secret_len, hook->id, now_s,
                         hook->body, hook->body_len, signature);
    char line[160];
    struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
    snprintf (line, sizeof line, "webhook-id: %s", hook->id);
    h = h ? curl_slist_append (h, line) : NULL;
    snprintf (line, sizeof line, "webhook-timestamp: %llu", (unsigned long long) now_s);
    h = h ? curl_slist_append (h, line) : NULL;
    snprintf (line, sizeof line, "webhook-signature: %s", signature);
    h = h ? curl_slist_append (h, line) : NULL;
    h = h ? curl_slist_append (h, "Expect:") : NULL; /* no 100-continue round trip */
    if (!h) {
        hook->due_mono = agency_now_mono () + AGENCY_WEBHOOK_BACKOFF_FIRST_MS;
        return;
    }
    curl_slist_free_all (hook->headers);
    hook->headers = h;
    hook->errbuf[0] = '\0';
    curl_easy_setopt (hook->easy, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt (hook->easy, CURLOPT_POSTFIELDSIZE, (long) hook->body_len);
    curl_easy_setopt (hook->easy, CURLOPT_POSTFIELDS, hook->body);
    if (curl_multi_add_handle (self->multi, hook->easy) != CURLM_OK) {
        hook->due_mono = agency_now_mono () + AGENCY_WEBHOOK_BACKOFF_FIRST_MS;
        return;
    }
    hook->active = true;
    self->active++;
}

/* After a failed attempt: back off, or park after max_attempts_days (or a 410). */
static void
s_failed (s_hook_t *hook, long code)
{
    agency_webhook_status_t *st = hook->status;
    uint64_t now = tsg_now_ms ();
    st->failures++;
    hook->failures++;
    if (hook->failing_since_ms == 0)
        hook->failing_since_ms = now;
    uint64_t limit_ms = (uint64_t) hook->config->max_attempts_days * 24 * 3600 * 1000;
    if (code == 410 || now - hook->failing_since_ms >= limit_ms) {
        st->parked = true;
        log_warnx ("webhook %s: parked at event %llu after %u failed attempts (%s); no more "
                   "attempts until a restart",
                   hook->config->name, (unsigned long long) hook->seq, hook->failures,
                   st->last_error);
        return;
    }
    uint64_t delay = agency_webhook_backoff_ms (hook->failures, randombytes_random ());
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo (hook->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK
        && retry_after > 0) {
        uint64_t asked = (uint64_t) retry_after * 1000;
        if (asked > AGENCY_WEBHOOK_BACKOFF_MAX_MS)
            asked = AGENCY_WEBHOOK_BACKOFF_MAX_MS;
        if (asked > delay)
            delay = asked;
    }
    hook->due_mono = agency_now_mono () + delay;
    if (hook->failures == 1)
        log_warnx ("webhook %s: event %llu not taken (%s); retrying with back-off",
                   hook->config->name, (unsigned long long) hook->seq, st->last_error);
    else
        log_debug ("webhook %s: attempt %u of event %llu failed (%s); next in %llu ms",
                   hook->config->name, hook->failures, (unsigned long long) hook->seq,
                   st->last_error, (unsigned long long) delay);
}

/* A transfer ended with result. */
static void
s_finish (agency_webhooks_t *self, s_hook_t *hook, CURLcode result)
{
    long code = 0;
    curl_easy_getinfo (hook->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle (self->multi, hook->easy);
    hook->active = false;
    self->active--;
    if (result == CURLE_OK && code >= 200 && code <= 299) {
        if (hook->failures > 0)
            log_info ("webhook %s: event %llu taken after %u failed attempts", hook->config->name,
                      (unsigned long long) hook->seq, hook->failures);
        hook->status->cursor = hook->seq;
        hook->status->delivered++;
        hook->status->last_error[0] = '\0';
        hook->dirty = true;
        hook->failures = 0;
        hook->failing_since_ms = 0;
        free (hook->body);
        hook->body = NULL;
        return;
    }
    char *error = hook->status->last_error;
    if (result != CURLE_OK)
        snprintf (error, sizeof hook->status->last_error, "%.150s",
                  hook->errbuf[0] ? hook->errbuf : curl_easy_strerror (result));
    else
        snprintf (error, sizeof hook->status->last_error, "HTTP %ld", code);
    s_failed (hook, result == CURLE_OK ? code : 0);
}

/* Lets libcurl do what is ready, and finishes the transfers that ended. */
static void
s_perform (agency_webhooks_t *self)
{
    int running = 0;
    curl_multi_perform (self->multi, &running);
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read (self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_hook_t *hook = NULL;
        curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &hook);
        if (hook)
            s_finish (self, hook, msg->data.result);
    }
}

void
agency_webhooks_run (agency_webhooks_t *self)
{
    if (!self)
        return;
    if (self->active > 0)
        s_perform (self);
    tsg_txn_t txn;
    tsg_txn_begin (self->agency->store, &txn, false);
    s_feed (self, &txn);
    if (txn.rc != TSG_OK)
        log_warnx ("webhooks: cannot read the event feed: %s", tsg_strerror (txn.rc));
    tsg_txn_abort (&txn);
    s_save (self);
    uint64_t now = agency_now_mono ();
    bool started = false;
    for (size_t i = 0; i < self->count; i++) {
        s_hook_t *hook = &self->hooks[i];
        if (hook->body && !hook->active && !hook->status->parked && now >= hook->due_mono) {
            s_start (self, hook);
            started = started || hook->active;
        }
    }
    if (started)
        s_perform (self);
}

long
agency_webhooks_timeout (agency_webhooks_t *self)
{
    if (!self)
        return -1;
    if (self->active > 0) {
        long curl_ms = -1;
        curl_multi_timeout (self->multi, &curl_ms);
        return curl_ms >= 0 && curl_ms < AGENCY_WEBHOOK_ACTIVE_POLL_MS
                   ? curl_ms
                   : AGENCY_WEBHOOK_ACTIVE_POLL_MS;
    }
    uint64_t now = agency_now_mono ();
    long best = -1;
    for (size_t i = 0; i < self->count; i++) {
        const s_hook_t *hook = &self->hooks[i];
        if (!hook->body || hook->status->parked)
            continue;
        long wait = hook->due_mono > now ? (long) (hook->due_mono - now) : 0;
        if (best < 0 || wait < best)
            best = wait;
    }
    return best;
}
