/* tsunagu-broker-bench: the run — a publisher thread with publisher confirms in a bounded
 * window, a consumer thread with manual acks, each on its own connection. */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

#define WAIT_US 100000 /* longest wait for a frame before the stop flags are looked at again */

/* What the two threads share.  Each writes only its own fields of out; they are read after
 * both have been joined. */
typedef struct {
    const broker_options_t *options;
    volatile sig_atomic_t *stop; /* set by a signal */
    atomic_int failed;           /* set by either thread on an error: the other gives up */
    atomic_int consumer_ready;   /* the consumer is subscribed: publishing may begin */
    int64_t deadline_us;         /* the run's bound */
    broker_result_t *out;
    int64_t *sent_us;     /* the publisher's: publish time of each delivery tag (1..N) */
    unsigned char *acked; /* the publisher's: each delivery tag confirmed */
    long low;             /* the publisher's: lowest tag not yet confirmed */
    int publish_rc;       /* each thread's result: 0 or -1 */
    int consume_rc;
} s_run_t;

/* True when the run is to end early (a signal, the other thread's error, the bound). */
static bool
s_give_up (s_run_t *run, const char *who)
{
    if (*run->stop || atomic_load (&run->failed))
        return true;
    if (broker_now_us () > run->deadline_us) {
        fprintf (stderr, BROKER_PROGNAME ": %s: not done within %ld s\n", who,
                 run->options->timeout_s);
        atomic_store (&run->failed, 1);
        return true;
    }
    return false;
}

/* Marks tag (and, when multiple, every tag below it) confirmed. */
static void
s_confirm (s_run_t *run, uint64_t tag, bool multiple, int64_t now)
{
    uint64_t first = multiple ? (uint64_t) run->low : tag;
    for (uint64_t t = first; t <= tag && t <= (uint64_t) run->out->published; t++)
        if (!run->acked[t]) {
            run->acked[t] = 1;
            run->out->confirmed++;
            bench_samples_add (&run->out->confirm_ms, (double) (now - run->sent_us[t]) / 1000.0);
        }
    while (run->low <= run->out->published && run->acked[run->low])
        run->low++;
    run->out->last_confirm_us = now;
}

/* Reads one frame (waiting up to WAIT_US when block, else only what has come) and takes a
 * confirm from it.  Returns 1 when a frame was read, 0 when none came, -1 (printed) on an
 * error, a nack, or when the run is to end. */
static int
s_take_frame (s_run_t *run, amqp_connection_state_t conn, bool block)
{
    amqp_frame_t frame;
    struct timeval wait = { .tv_usec = block ? WAIT_US : 0 };
    int status = amqp_simple_wait_frame_noblock (conn, &frame, &wait);
    if (status == AMQP_STATUS_TIMEOUT)
        return block && s_give_up (run, "publisher") ? -1 : 0;
    if (status != AMQP_STATUS_OK) {
        fprintf (stderr, BROKER_PROGNAME ": waiting for confirms: %s\n",
                 amqp_error_string2 (status));
        return -1;
    }
    if (frame.frame_type != AMQP_FRAME_METHOD)
        return 1;
    amqp_method_number_t id = frame.payload.method.id;
    if (id == AMQP_BASIC_ACK_METHOD) {
        const amqp_basic_ack_t *ack = frame.payload.method.decoded;
        s_confirm (run, ack->delivery_tag, ack->multiple, broker_now_us ());
        return 1;
    }
    if (id == AMQP_BASIC_NACK_METHOD)
        fprintf (stderr, BROKER_PROGNAME ": the broker refused (nacked) a message\n");
    else if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD)
        fprintf (stderr, BROKER_PROGNAME ": the broker closed the publisher's channel\n");
    else
        return 1;
    return -1;
}

/* Takes the confirms that have come, without waiting (so that each is timed when it came, not
 * when the window filled).  0, or -1 (printed). */
static int
s_take_arrived (s_run_t *run, amqp_connection_state_t conn)
{
    int got;
    do
        got = s_take_frame (run, conn, false);
    while (got == 1 && (amqp_frames_enqueued (conn) || amqp_data_in_buffer (conn)));
    return got < 0 ? -1 : 0;
}

/* Publishes the messages, never more than the window unconfirmed, then waits for the last
 * confirms.  True when all were confirmed. */
static bool
s_publish_all (s_run_t *run, amqp_connection_state_t conn, char *body)
{
    const broker_options_t *o = run->options;
    broker_result_t *out = run->out;
    amqp_basic_properties_t props;
    memset (&props, 0, sizeof props);
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.content_type = amqp_cstring_bytes ("application/octet-stream");
    amqp_bytes_t message = { .len = (size_t) o->bytes, .bytes = body };
    bool ok = true;
    for (long seq = 1; ok && seq <= o->messages; seq++) {
        while (ok && out->published - out->confirmed >= o->window)
            ok = s_take_frame (run, conn, true) >= 0;
        ok = ok && s_take_arrived (run, conn) == 0;
        if (!ok)
            break;
        int64_t now = broker_now_us ();
        memcpy (body, &now, sizeof now);
        memcpy (body + sizeof now, &seq, sizeof seq);
        run->sent_us[seq] = now;
        if (seq == 1)
            out->first_publish_us = now;
        int status = amqp_basic_publish (conn, 1, amqp_empty_bytes, amqp_cstring_bytes (o->queue),
                                         0, 0, &props, message);
        if (status != AMQP_STATUS_OK) {
            fprintf (stderr, BROKER_PROGNAME ": publish: %s\n", amqp_error_string2 (status));
            ok = false;
        }
        else
            out->published++;
    }
    while (ok && out->confirmed < out->published)
        ok = s_take_frame (run, conn, true) >= 0;
    return ok && out->confirmed == o->messages;
}

static void *
s_publisher (void *arg)
{
    s_run_t *run = arg;
    run->publish_rc = -1;
    char *body = calloc (1, (size_t) run->options->bytes);
    amqp_connection_state_t conn = body ? broker_connect (run->options) : NULL;
    bool ok = conn != NULL;
    if (ok) {
        memset (body + BROKER_STAMP, 'x', (size_t) run->options->bytes - BROKER_STAMP);
        amqp_confirm_select (conn, 1);
        ok = broker_ok (amqp_get_rpc_reply (conn), "confirm.select");
        broker_server_name (conn, run->out->server, sizeof run->out->server);
    }
    while (ok && !atomic_load (&run->consumer_ready))
        if (s_give_up (run, "publisher"))
            ok = false;
        else
            poll (NULL, 0, 1);
    if (ok && s_publish_all (run, conn, body))
        run->publish_rc = 0;
    else
        atomic_store (&run->failed, 1);
    broker_close (conn);
    free (body);
    return NULL;
}

/* Takes one delivery (waiting up to WAIT_US) and acks it.  Returns 1 when one was taken, 0 when
 * none came, -1 (printed) on an error. */
static int
s_take_delivery (s_run_t *run, amqp_connection_state_t conn)
{
    amqp_envelope_t envelope;
    struct timeval wait = { .tv_usec = WAIT_US };
    amqp_maybe_release_buffers (conn);
    amqp_rpc_reply_t reply = amqp_consume_message (conn, &envelope, &wait, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
        && reply.library_error == AMQP_STATUS_TIMEOUT)
        return 0;
    if (!broker_ok (reply, "consume"))
        return -1;
    int64_t now = broker_now_us (), sent = 0;
    if (envelope.message.body.len >= BROKER_STAMP) {
        memcpy (&sent, envelope.message.body.bytes, sizeof sent);
        bench_samples_add (&run->out->latency_ms, (double) (now - sent) / 1000.0);
    }
    int status = amqp_basic_ack (conn, 1, envelope.delivery_tag, 0);
    amqp_destroy_envelope (&envelope);
    if (status != AMQP_STATUS_OK) {
        fprintf (stderr, BROKER_PROGNAME ": ack: %s\n", amqp_error_string2 (status));
        return -1;
    }
    run->out->consumed++;
    run->out->last_consume_us = now;
    return 1;
}

static void *
s_consumer (void *arg)
{
    s_run_t *run = arg;
    const broker_options_t *o = run->options;
    run->consume_rc = -1;
    amqp_connection_state_t conn = broker_connect (o);
    bool ok = conn != NULL;
    if (ok) {
        amqp_basic_qos (conn, 1, 0, (uint16_t) o->prefetch, 0);
        ok = broker_ok (amqp_get_rpc_reply (conn), "basic.qos");
    }
    if (ok) {
        /* manual acks: no_ack false */
        amqp_basic_consume (conn, 1, amqp_cstring_bytes (o->queue), amqp_empty_bytes, 0, 0, 0,
                            amqp_empty_table);
        ok = broker_ok (amqp_get_rpc_reply (conn), "basic.consume");
    }
    atomic_store (&run->consumer_ready, 1);
    while (ok && run->out->consumed < o->messages)
        ok = !s_give_up (run, "consumer") && s_take_delivery (run, conn) >= 0;
    if (ok)
        run->consume_rc = 0;
    else
        atomic_store (&run->failed, 1);
    broker_close (conn);
    return NULL;
}

int
broker_run (const broker_options_t *options, volatile sig_atomic_t *stop, broker_result_t *out)
{
    memset (out, 0, sizeof *out);
    s_run_t run = { .options = options, .stop = stop, .out = out, .low = 1 };
    atomic_init (&run.failed, 0);
    atomic_init (&run.consumer_ready, 0);
    run.deadline_us = broker_now_us () + (int64_t) options->timeout_s * 1000000;
    run.sent_us = calloc ((size_t) options->messages + 1, sizeof *run.sent_us);
    run.acked = calloc ((size_t) options->messages + 1, 1);
    pthread_t consumer, publisher;
    int rc = -1;
    if (!run.sent_us || !run.acked)
        fprintf (stderr, BROKER_PROGNAME ": out of memory\n");
    else if (pthread_create (&consumer, NULL, s_consumer, &run) != 0)
        fprintf (stderr, BROKER_PROGNAME ": cannot start a thread\n");
    else {
        if (pthread_create (&publisher, NULL, s_publisher, &run) != 0) {
            fprintf (stderr, BROKER_PROGNAME ": cannot start a thread\n");
            atomic_store (&run.failed, 1);
        }
        else
            pthread_join (publisher, NULL);
        pthread_join (consumer, NULL);
        rc = run.publish_rc == 0 && run.consume_rc == 0 ? 0 : -1;
    }
    free (run.sent_us);
    free (run.acked);
    return rc;
}
