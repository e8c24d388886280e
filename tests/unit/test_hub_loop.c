/* test_hub_loop.c — the coordinator's loop end to end over CURVE on loopback, inside one process.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "coordinator/model/store.h"
#include "coordinator/daemon/hub.h"
#include "hub_fixture.h"

#define TIMEOUT_MS 5000

/* A coordinator running in a thread of its own. */
typedef struct {
    char dir[256];              /* temporary data directory */
    tsg_store_t *store;         /* the hub's store (owned by the hub while it runs) */
    tsg_hub_t *hub;             /* the hub */
    pthread_t thread;           /* runs tsg_hub_run */
    volatile sig_atomic_t stop; /* set to end the run */
    char endpoint[256];         /* where it listens */
} running_t;

/* The parties' keys, shared by every test. */
static tsg_keys_t *s_coordinator, *s_elder, *s_poverty, *s_stranger;
static void *s_ctx;

/* Registers keys as an active agency of type (hub_fixture.h), in a transaction of its own. */
static void
s_register (tsg_store_t *store, const tsg_keys_t *keys, const char *type,
            Tsunagu__V1__AgencyStatus status)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    hub_register_as (&txn, keys, type, status, 0);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

static void *
s_run (void *arg)
{
    running_t *r = arg;
    tsg_hub_run (r->hub, &r->stop);
    return NULL;
}

/* Starts a hub on dir (creating the store and registry when fresh). */
static void
s_start (running_t *r, bool fresh)
{
    if (fresh)
        hub_temp_dir ("hub-loop", r->dir, sizeof r->dir);
    tsg_store_t *store = NULL;
    assert_int_equal (tsg_hub_store_open (r->dir, 0, &store), TSG_OK);
    if (fresh) {
        s_register (store, s_elder, "eldercare", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);
        s_register (store, s_poverty, "poverty", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);
    }
    /* The hub owns its keys; give it a copy loaded the way the daemon does. */
    char path[512];
    snprintf (path, sizeof path, "%s/coordinator.key", r->dir);
    assert_int_equal (tsg_keys_save_secret (s_coordinator, path), TSG_OK);
    tsg_keys_t *keys = NULL;
    char err[256];
    assert_int_equal (tsg_keys_load (path, &keys, err, sizeof err), TSG_OK);
    r->store = store;
    r->hub = tsg_hub_new ("tcp://127.0.0.1:*", &keys, &store);
    assert_non_null (r->hub);
    assert_null (store);
    snprintf (r->endpoint, sizeof r->endpoint, "%s", tsg_hub_endpoint (r->hub));
    r->stop = 0;
    assert_int_equal (pthread_create (&r->thread, NULL, s_run, r), 0);
}

static void
s_stop (running_t *r)
{
    r->stop = 1;
    assert_int_equal (pthread_join (r->thread, NULL), 0);
    tsg_hub_destroy (&r->hub);
    r->store = NULL;
}

static void
s_remove (running_t *r)
{
    hub_remove_dir (r->dir);
}

/* A DEALER connected as keys (CURVE client), optionally with a monitor. */
static void *
s_client (const running_t *r, const tsg_keys_t *keys, const char *monitor)
{
    void *s = zmq_socket (s_ctx, ZMQ_DEALER);
    assert_non_null (s);
    int timeout = TIMEOUT_MS, linger = 0;
    assert_int_equal (
        zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, tsg_keys_box_public (s_coordinator), 32), 0);
    assert_int_equal (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, tsg_keys_box_public (keys), 32), 0);
    assert_int_equal (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, tsg_keys_box_secret (keys), 32), 0);
    assert_int_equal (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger), 0);
    if (monitor)
        assert_int_equal (zmq_socket_monitor (s, monitor, ZMQ_EVENT_ALL), 0);
    assert_int_equal (zmq_connect (s, r->endpoint), 0);
    return s;
}

/* Seals and sends one letter from keys; returns its id in id (when non-NULL). */
static void
s_send (void *s, const tsg_keys_t *keys, const char *sender, const char *recipient,
        Tsunagu__V1__Kind kind, uint64_t seq, uint8_t id[16], uint8_t **sent, size_t *sent_len)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[16];
    tsg_letter_prepare (&letter, &header, message_id, kind, sender, recipient);
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    char referral_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (referral_id);
    header.referral_id = referral_id;
    header.case_id = (char *) "6b0f3c2e-9d4a-4f1b-8c7e-2a5d9e1f3b70";
    uint8_t body[128];
    memset (body, 0x5a, sizeof body);
    if (kind == TSUNAGU__V1__KIND__KIND_REFERRAL) {
        letter.body.data = body;
        letter.body.len = sizeof body;
    }
    letter.sequence = seq;
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, keys, &out, &len), TSG_OK);
    assert_int_equal (zmq_send (s, out, len, 0), (int) len);
    if (id)
        memcpy (id, message_id, 16);
    if (sent) {
        *sent = out;
        *sent_len = len;
    }
    else
        free (out);
}

/* Sends a DELIVERED receipt from keys to recipient about about. */
static void
s_ack (void *s, const tsg_keys_t *keys, const char *recipient, const uint8_t about[16])
{
    tsg_letter_t letter;
    uint8_t message_id[16], about_copy[16];
    memcpy (about_copy, about, 16);
    tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        tsg_keys_id (keys), recipient);
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    receipt.about_message_id.data = about_copy;
    receipt.about_message_id.len = 16;
    letter.receipt = &receipt;
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, keys, &out, &len), TSG_OK);
    assert_int_equal (zmq_send (s, out, len, 0), (int) len);
    free (out);
}

/* One received letter: its raw bytes and its decoded form. */
typedef struct {
    uint8_t *raw;       /* the envelope as received */
    size_t len;         /* its length */
    tsg_envelope_t env; /* decoded */
} got_t;

/* Receives the next envelope (any frame of any message), verified with the coordinator's
 * key or the sending agency's.  Fails the test on timeout. */
static void
s_recv (void *s, got_t *got)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = zmq_msg_recv (&msg, s, 0);
    assert_true (rc >= 0);
    got->len = zmq_msg_size (&msg);
    got->raw = malloc (got->len);
    assert_non_null (got->raw);
    memcpy (got->raw, zmq_msg_data (&msg), got->len);
    zmq_msg_close (&msg);
    assert_int_equal (tsg_envelope_decode (got->raw, got->len, &got->env, NULL), TSG_OK);
    const char *sender = got->env.letter->sender;
    const tsg_keys_t *signer = strcmp (sender, "coordinator") == 0 ? s_coordinator
                               : strcmp (sender, ELDER) == 0       ? s_elder
                                                                   : s_poverty;
    assert_true (tsg_envelope_verify (&got->env, tsg_keys_sign_public (signer)));
}

static void
s_got_clear (got_t *got)
{
    tsg_envelope_clear (&got->env);
    free (got->raw);
    got->raw = NULL;
}

/* Receives until a letter of kind arrives (skipping HELLO, DIRECTORY and CASE_UPDATE
 * letters). */
static void
s_recv_kind (void *s, Tsunagu__V1__Kind kind, got_t *got)
{
    for (;;) {
        s_recv (s, got);
        if (got->env.letter->kind == kind)
            return;
        Tsunagu__V1__Kind k = got->env.letter->kind;
        assert_true (k == TSUNAGU__V1__KIND__KIND_HELLO || k == TSUNAGU__V1__KIND__KIND_DIRECTORY
                     || k == TSUNAGU__V1__KIND__KIND_CASE_UPDATE);
        s_got_clear (got);
    }
}

static int
s_group_setup (void **state)
{
    (void) state;
    log_init ("test_hub_loop", getenv ("TSUNAGU_TEST_VERBOSE") != NULL);
    s_coordinator = tsg_keys_generate ("coordinator");
    s_elder = tsg_keys_generate (ELDER);
    s_poverty = tsg_keys_generate (POVERTY);
    s_stranger = tsg_keys_generate ("stranger");
    s_ctx = zmq_ctx_new ();
    return s_ctx && s_stranger ? 0 : -1;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    zmq_ctx_term (s_ctx);
    tsg_keys_destroy (&s_coordinator);
    tsg_keys_destroy (&s_elder);
    tsg_keys_destroy (&s_poverty);
    tsg_keys_destroy (&s_stranger);
    return 0;
}

/* A session starts with the DIRECTORY; HELLO is answered with HELLO. */
static void
test_hello_and_directory (void **state)
{
    (void) state;
    running_t r = { 0 };
    s_start (&r, true);
    void *elder = s_client (&r, s_elder, NULL);
    s_send (elder, s_elder, ELDER, "coordinator", TSUNAGU__V1__KIND__KIND_HELLO, 0, NULL, NULL,
            NULL);
    got_t got;
    s_recv (elder, &got);
    assert_int_equal (got.env.letter->kind, TSUNAGU__V1__KIND__KIND_DIRECTORY);
    assert_string_equal (got.env.letter->recipient, ELDER);
    const Tsunagu__V1__Directory *d = got.env.letter->directory;
    assert_non_null (d);
    assert_int_equal (d->n_agencies, 2);
    assert_int_equal (d->serial, 2);
    assert_true (d->valid_until_ms - d->valid_from_ms == 7ULL * 24 * 3600 * 1000);
    assert_string_equal (d->agencies[0]->id, ELDER);
    assert_memory_equal (d->agencies[1]->box_public.data, tsg_keys_box_public (s_poverty), 32);
    s_got_clear (&got);
    s_recv (elder, &got);
    assert_int_equal (got.env.letter->kind, TSUNAGU__V1__KIND__KIND_HELLO);
    s_got_clear (&got);

    /* A new agency in the registry: every session gets the new directory. */
    tsg_keys_t *child = tsg_keys_generate ("child-minami");
    s_register (r.store, child, "child", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);
    s_recv (elder, &got);
    assert_int_equal (got.env.letter->kind, TSUNAGU__V1__KIND__KIND_DIRECTORY);
    assert_int_equal (got.env.letter->directory->serial, 3);
    assert_int_equal (got.env.letter->directory->n_agencies, 3);
    s_got_clear (&got);
    tsg_keys_destroy (&child);
    zmq_close (elder);
    s_stop (&r);
    s_remove (&r);
}

/* store → STORED → forward → DELIVERED → relayed receipt → its ack; then a restart keeps
 * undelivered mail. */
static void
test_referral_round_trip (void **state)
{
    (void) state;
    running_t r = { 0 };
    s_start (&r, true);
    void *elder = s_client (&r, s_elder, NULL);
    uint8_t id[16];
    uint8_t *sent = NULL;
    size_t sent_len = 0;
    s_send (elder, s_elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, id, &sent,
            &sent_len);
    got_t got;
    s_recv_kind (elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &got);
    assert_int_equal (got.env.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED);
    assert_memory_equal (got.env.letter->receipt->about_message_id.data, id, 16);
    s_got_clear (&got);

    void *poverty = s_client (&r, s_poverty, NULL);
    s_send (poverty, s_poverty, POVERTY, "coordinator", TSUNAGU__V1__KIND__KIND_HELLO, 0, NULL,
            NULL, NULL);
    s_recv_kind (poverty, TSUNAGU__V1__KIND__KIND_REFERRAL, &got);
    assert_int_equal (got.len, sent_len);
    assert_memory_equal (got.raw, sent, sent_len);
    s_got_clear (&got);

    s_ack (poverty, s_poverty, ELDER, id);
    s_recv_kind (elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &got);
    assert_string_equal (got.env.letter->sender, POVERTY);
    assert_int_equal (got.env.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED);
    assert_memory_equal (got.env.letter->receipt->about_message_id.data, id, 16);
    s_ack (elder, s_elder, POVERTY, got.env.letter->message_id.data);
    s_got_clear (&got);
    free (sent);

    /* A second referral while poverty is away; then the coordinator restarts. */
    zmq_close (poverty);
    s_send (elder, s_elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, id, &sent,
            &sent_len);
    s_recv_kind (elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &got);
    assert_memory_equal (got.env.letter->receipt->about_message_id.data, id, 16);
    s_got_clear (&got);
    zmq_close (elder);
    s_stop (&r);

    s_start (&r, false);
    poverty = s_client (&r, s_poverty, NULL);
    s_send (poverty, s_poverty, POVERTY, "coordinator", TSUNAGU__V1__KIND__KIND_HELLO, 0, NULL,
            NULL, NULL);
    s_recv_kind (poverty, TSUNAGU__V1__KIND__KIND_REFERRAL, &got);
    assert_memory_equal (got.raw, sent, sent_len);
    s_got_clear (&got);
    free (sent);

    /* The resend of sequence 2 after the restart is answered STORED again, not stored twice. */
    elder = s_client (&r, s_elder, NULL);
    tsg_txn_t txn;
    tsg_txn_begin (r.store, &txn, false);
    /* The second referral and the update of the case the first one opened. */
    assert_int_equal (tsg_hub_mailbox_count (&txn, POVERTY), 2);
    assert_int_equal (tsg_hub_sender_last (&txn, ELDER), 2);
    tsg_txn_abort (&txn);
    zmq_close (poverty);
    zmq_close (elder);
    s_stop (&r);
    s_remove (&r);
}

/* A registered key claiming another sender gets ERROR_SENDER_MISMATCH back. */
static void
test_sender_mismatch (void **state)
{
    (void) state;
    running_t r = { 0 };
    s_start (&r, true);
    void *elder = s_client (&r, s_elder, NULL);
    uint8_t id[16];
    s_send (elder, s_elder, POVERTY, ELDER, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, id, NULL, NULL);
    got_t got;
    s_recv_kind (elder, TSUNAGU__V1__KIND__KIND_ERROR, &got);
    assert_int_equal (got.env.letter->error->code, TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH);
    assert_true (got.env.letter->error->final);
    assert_memory_equal (got.env.letter->error->about_message_id.data, id, 16);
    s_got_clear (&got);

    /* Garbage gets ERROR_MALFORMED and the hub keeps serving. */
    assert_int_equal (zmq_send (elder, "\x0a\xff\xff", 3, 0), 3);
    s_recv_kind (elder, TSUNAGU__V1__KIND__KIND_ERROR, &got);
    assert_int_equal (got.env.letter->error->code, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED);
    s_got_clear (&got);
    s_send (elder, s_elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, id, NULL, NULL);
    s_recv_kind (elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &got);
    assert_memory_equal (got.env.letter->receipt->about_message_id.data, id, 16);
    s_got_clear (&got);
    zmq_close (elder);
    s_stop (&r);
    s_remove (&r);
}

/* An unregistered key is refused by ZAP during the handshake. */
static void
test_unknown_key_refused (void **state)
{
    (void) state;
    running_t r = { 0 };
    s_start (&r, true);
    void *stranger = s_client (&r, s_stranger, "inproc://monitor-stranger");
    void *monitor = zmq_socket (s_ctx, ZMQ_PAIR);
    int timeout = TIMEOUT_MS;
    zmq_setsockopt (monitor, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal (zmq_connect (monitor, "inproc://monitor-stranger"), 0);
    bool refused = false;
    for (int i = 0; i < 20 && !refused; i++) {
        zmq_msg_t event, address;
        zmq_msg_init (&event);
        zmq_msg_init (&address);
        if (zmq_msg_recv (&event, monitor, 0) < 0)
            break;
        uint16_t code;
        memcpy (&code, zmq_msg_data (&event), sizeof code);
        zmq_msg_recv (&address, monitor, 0);
        refused = code == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
        zmq_msg_close (&event);
        zmq_msg_close (&address);
    }
    assert_true (refused);
    zmq_close (monitor);
    zmq_close (stranger);
    s_stop (&r);
    s_remove (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_hello_and_directory),
        cmocka_unit_test (test_referral_round_trip),
        cmocka_unit_test (test_sender_mismatch),
        cmocka_unit_test (test_unknown_key_refused),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
