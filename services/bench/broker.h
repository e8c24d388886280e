/* tsunagu-broker-bench: the same load offered to a durable broker for comparison — one durable
 * RabbitMQ queue, persistent messages published with publisher confirms (a bounded window of
 * unconfirmed ones) while a second connection consumes them with manual acks. */
#ifndef BENCH_BROKER_H_INCLUDED
#define BENCH_BROKER_H_INCLUDED

#include <amqp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "stats.h"

#define BROKER_PROGNAME "tsunagu-broker-bench"
#define BROKER_STAMP    16 /* bytes of each body that carry its send time and number */

/* The settings (see s_usage in broker_main.c). */
typedef struct {
    long messages;    /* -n: messages to publish and consume */
    long port;        /* the broker's AMQP port on 127.0.0.1 */
    long bytes;       /* size of each body */
    long window;      /* most messages published and not yet confirmed */
    long prefetch;    /* basic.qos prefetch count of the consumer */
    long timeout_s;   /* bound on the whole run */
    long broker_pid;  /* the broker's process, measured when > 0 */
    const char *disk; /* --disk: count the writes to the block device holding it, or NULL */
    const char *queue;
    const char *user;
    const char *password;
    bool json;
} broker_options_t;

/* What a run measured (times in monotonic µs). */
typedef struct {
    long published;             /* messages published */
    long confirmed;             /* of those, confirmed by basic.ack */
    long consumed;              /* messages consumed and acked */
    int64_t first_publish_us;   /* the first publish */
    int64_t last_confirm_us;    /* the last confirm */
    int64_t last_consume_us;    /* the last message consumed */
    bench_samples_t latency_ms; /* publish → consumed, each message */
    bench_samples_t confirm_ms; /* publish → confirmed, each message */
    char server[64];            /* the broker's product and version, as it said */
} broker_result_t;

/* An open connection with channel 1 open.  NULL (printed) when it cannot be had. */
amqp_connection_state_t broker_connect (const broker_options_t *options);

/* The broker's product and version as it announced them ("RabbitMQ 3.10.8") into out. */
void broker_server_name (amqp_connection_state_t conn, char *out, size_t size);

/* Closes channel 1 and the connection, frees; safe on NULL. */
void broker_close (amqp_connection_state_t conn);

/* True when reply is a normal answer; otherwise prints what (what failed) and false. */
bool broker_ok (amqp_rpc_reply_t reply, const char *what);

/* The monotonic clock in µs. */
int64_t broker_now_us (void);

/* Declares the durable queue and empties it.  0, or -1 (printed). */
int broker_queue_prepare (amqp_connection_state_t conn, const broker_options_t *options);

/* Publishes and consumes options->messages messages over two connections, each in its own
 * thread, at most options->timeout_s s or until *stop is set.  Returns 0 when every message
 * was confirmed and consumed; -1 (printed) otherwise.  out holds what was measured either way;
 * the caller clears its samples. */
int broker_run (const broker_options_t *options, volatile sig_atomic_t *stop, broker_result_t *out);

#endif
