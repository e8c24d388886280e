/* fuzz_agency_request.c — the agency HTTP API's request handling on arbitrary JSON bodies,
 * through the routes as the HTTP server calls them (agency/fixture.h: a world without
 * sockets).  The first byte chooses the route, the rest is the body:
 *   0  POST /v1/referrals
 *   1  POST /v1/referrals/{id}/status  (a referral the agency received)
 *   2  POST /v1/cases/{id}/events      (a case the agency is on, with two others)
 *   3  POST /v1/consents
 * Every input is answered with a status code; a 4xx changes nothing: no write to the store,
 * no sequence number, no letter.  One world per process; what a 2xx stores stays (its
 * letters are acknowledged at once, as the coordinator would). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "agency_world.h"
#include "agency/api/routes.h"
#include "tsunagu/tsunagu.h"

/* The case the seeds of the corpus name. */
#define CASE_ID "5b0c3a1e-2f4d-4e6a-8b7c-9d0e1f2a3b4c"

static agency_world_t *s_world;
static tsg_agency_t *s_elder; /* sent the referral */
static tsg_agency_t *s_pov;   /* under test: received it */
static char s_referral_id[TSG_UUID_TEXT_SIZE];

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_cleanup (void)
{
    agency_world_destroy (&s_world);
}

/* The id of the store's last committed write transaction. */
static size_t
s_txnid (tsg_agency_t *agency)
{
    tsg_txn_t txn;
    tsg_txn_begin (agency->store, &txn, false);
    size_t id = txn.txn ? mdb_txn_id (txn.txn) : 0;
    tsg_txn_abort (&txn);
    return id;
}

static void
s_no_sync (tsg_agency_t *agency)
{
    tsg_txn_t txn;
    tsg_txn_begin (agency->store, &txn, false);
    if (txn.txn)
        mdb_env_set_flags (mdb_txn_env (txn.txn), MDB_NOSYNC, 1);
    tsg_txn_abort (&txn);
}

static void
s_keep_answer (void *arg, agency_pending_t *pending)
{
    agency_http_reply_t *reply = arg;
    reply->status = pending->status;
    reply->body = pending->reply;
    pending->reply = NULL;
}

/* Acknowledges every sequenced letter agency sent, as the coordinator would; clears them. */
static void
s_ack_sent (tsg_agency_t *agency)
{
    size_t n = agency_world_sent_count (s_world, agency);
    uint8_t **copies = calloc (n ? n : 1, sizeof *copies);
    size_t *lens = calloc (n ? n : 1, sizeof *lens);
    if (!copies || !lens)
        abort ();
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *data = agency_world_sent (s_world, agency, i, &len);
        tsg_envelope_t env = { 0 };
        if (agency_world_decode (data, len, &env) != TSG_OK)
            abort (); /* the agency sent what does not decode */
        if (env.letter->sequence > 0 && (copies[count] = malloc (len))) {
            memcpy (copies[count], data, len);
            lens[count++] = len;
        }
        tsg_envelope_clear (&env);
    }
    agency_world_sent_clear (s_world, agency);
    for (size_t i = 0; i < count; i++) {
        agency_world_store_ack (s_world, agency, copies[i], lens[i]);
        free (copies[i]);
    }
    agency_world_sent_clear (s_world, agency);
    free (copies);
    free (lens);
}

static void
s_fill_update (tsg_letter_t *letter, void *arg)
{
    letter->case_update = arg;
}

/* The coordinator tells agency the case has eldercare, poverty and disability on it. */
static void
s_case_update (tsg_agency_t *agency)
{
    static const char *const agencies[] = { "elder-a", "pov-a", "dis-a" };
    Tsunagu__V1__CaseUpdate u = TSUNAGU__V1__CASE_UPDATE__INIT;
    u.case_id = (char *) CASE_ID;
    u.state = (char *) "multi-agency";
    u.version = 2;
    u.n_agencies = 3;
    u.agencies = (char **) agencies;
    u.updated_at_ms = tsg_now_ms ();
    uint8_t *data = NULL;
    size_t len = 0;
    if (agency_world_coordinator_letter (s_world, agency->config->id,
                                         TSUNAGU__V1__KIND__KIND_CASE_UPDATE, s_fill_update, &u,
                                         &data, &len)
            != TSG_OK
        || agency_world_deliver (agency, data, len) != TSG_OK)
        abort ();
    agency_world_sent_clear (s_world, agency);
    free (data);
}

static void
s_setup (void)
{
    s_world = agency_world_new ();
    if (!s_world)
        abort ();
    atexit (s_cleanup);
    s_elder = agency_world_agency (s_world, "elder-a", "eldercare");
    s_pov = agency_world_agency (s_world, "pov-a", "poverty");
    tsg_agency_t *dis = agency_world_agency (s_world, "dis-a", "disability");
    if (!s_elder || !s_pov || !dis || !agency_world_agency (s_world, "child-a", "child"))
        abort ();
    s_no_sync (s_elder);
    s_no_sync (s_pov);
    agency_world_publish (s_world);

    json_t *reply = NULL;
    if (agency_world_request (s_elder, "POST", "/v1/referrals",
                              "{\"to\":\"pov-a\",\"case_id\":\"" CASE_ID "\","
                              "\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","
                              "\"data_categories\":[\"identity\"],\"tags\":[\"8050\"],"
                              "\"sheet\":{\"memo\":\"家賃滞納\","
                              "\"eldercare\":{\"care_insurance\":\"要介護1\"}}}",
                              &reply)
        != 202)
        abort ();
    snprintf (s_referral_id, sizeof s_referral_id, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    size_t len;
    uint8_t *letter = agency_world_take (s_world, s_elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    if (!letter || agency_world_store_ack (s_world, s_elder, letter, len) != TSG_OK
        || agency_world_deliver (s_pov, letter, len) != TSG_OK)
        abort ();
    free (letter);
    agency_world_sent_clear (s_world, s_elder);
    agency_world_sent_clear (s_world, s_pov);
    s_case_update (s_elder);
    s_case_update (s_pov);
    s_case_update (dis);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!s_world)
        s_setup ();
    char path[128];
    switch (data[0] & 3) {
    case 0: snprintf (path, sizeof path, "/v1/referrals"); break;
    case 1: snprintf (path, sizeof path, "/v1/referrals/%s/status", s_referral_id); break;
    case 2: snprintf (path, sizeof path, "/v1/cases/%s/events", CASE_ID); break;
    default: snprintf (path, sizeof path, "/v1/consents"); break;
    }
    agency_world_sent_clear (s_world, s_pov);
    size_t txnid = s_txnid (s_pov);
    uint64_t sequence = s_pov->next_sequence;

    agency_http_request_t req;
    agency_http_reply_t reply;
    memset (&req, 0, sizeof req);
    memset (&reply, 0, sizeof reply);
    req.method = "POST";
    req.path = path;
    req.authorization = AGENCY_WORLD_AUTH;
    req.content_type = "application/json";
    req.body = (const char *) data + 1;
    req.body_len = size - 1;
    agency_route (s_pov, &req, &reply);
    if (reply.pending) {
        agency_http_reply_t answer;
        memset (&answer, 0, sizeof answer);
        agency_pending_commit (s_pov, s_keep_answer, &answer);
        reply.status = answer.status;
        reply.body = answer.body;
    }
    if (reply.status < 200 || reply.status > 599 || !reply.body)
        abort (); /* every request gets a status and a body */
    if (reply.status >= 400 && reply.status < 500) {
        if (s_txnid (s_pov) != txnid || s_pov->next_sequence != sequence
            || agency_world_sent_count (s_world, s_pov) != 0 || s_pov->pending)
            abort (); /* a 4xx changed something */
        if (!json_string_value (json_object_get (reply.body, "error")))
            abort (); /* a 4xx names its error */
    }
    json_decref (reply.body);
    s_ack_sent (s_pov);
    return 0;
}
