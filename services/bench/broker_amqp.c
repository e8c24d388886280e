/* tsunagu-broker-bench: connecting to the broker, checking its answers, preparing the queue. */
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "broker.h"

#define CONNECT_TIMEOUT_S 10 /* bound on opening the socket */
#define FRAME_MAX         131072

int64_t
broker_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool
broker_ok (amqp_rpc_reply_t reply, const char *what)
{
    switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: return true;
    case AMQP_RESPONSE_NONE:
        fprintf (stderr, BROKER_PROGNAME ": %s: no answer\n", what);
        return false;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        fprintf (stderr, BROKER_PROGNAME ": %s: %s\n", what,
                 amqp_error_string2 (reply.library_error));
        return false;
    case AMQP_RESPONSE_SERVER_EXCEPTION: break;
    }
    const amqp_connection_close_t *cc = reply.reply.decoded;
    const amqp_channel_close_t *ch = reply.reply.decoded;
    if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD)
        fprintf (stderr, BROKER_PROGNAME ": %s: the broker closed the connection: %u %.*s\n", what,
                 cc->reply_code, (int) cc->reply_text.len, (char *) cc->reply_text.bytes);
    else if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD)
        fprintf (stderr, BROKER_PROGNAME ": %s: the broker closed the channel: %u %.*s\n", what,
                 ch->reply_code, (int) ch->reply_text.len, (char *) ch->reply_text.bytes);
    else
        fprintf (stderr, BROKER_PROGNAME ": %s: the broker answered method 0x%08x\n", what,
                 reply.reply.id);
    return false;
}

amqp_connection_state_t
broker_connect (const broker_options_t *options)
{
    amqp_connection_state_t conn = amqp_new_connection ();
    amqp_socket_t *socket = conn ? amqp_tcp_socket_new (conn) : NULL;
    if (!socket) {
        fprintf (stderr, BROKER_PROGNAME ": out of memory\n");
        if (conn)
            amqp_destroy_connection (conn);
        return NULL;
    }
    struct timeval bound = { .tv_sec = CONNECT_TIMEOUT_S };
    int status = amqp_socket_open_noblock (socket, "127.0.0.1", (int) options->port, &bound);
    if (status != AMQP_STATUS_OK) {
        fprintf (stderr, BROKER_PROGNAME ": cannot connect to 127.0.0.1:%ld: %s\n", options->port,
                 amqp_error_string2 (status));
        amqp_destroy_connection (conn);
        return NULL;
    }
    struct timeval rpc = { .tv_sec = options->timeout_s };
    amqp_set_rpc_timeout (conn, &rpc);
    bool ok = broker_ok (amqp_login (conn, "/", 0, FRAME_MAX, 0, AMQP_SASL_METHOD_PLAIN,
                                     options->user, options->password),
                         "login");
    if (ok) {
        amqp_channel_open (conn, 1);
        ok = broker_ok (amqp_get_rpc_reply (conn), "channel.open");
    }
    if (!ok) {
        amqp_destroy_connection (conn);
        return NULL;
    }
    return conn;
}

/* The string value of key in table, or an empty one. */
static amqp_bytes_t
s_property (const amqp_table_t *table, const char *key)
{
    for (int i = 0; table && i < table->num_entries; i++) {
        const amqp_table_entry_t *entry = &table->entries[i];
        if (entry->key.len == strlen (key) && memcmp (entry->key.bytes, key, entry->key.len) == 0
            && entry->value.kind == AMQP_FIELD_KIND_UTF8)
            return entry->value.value.bytes;
    }
    return amqp_empty_bytes;
}

void
broker_server_name (amqp_connection_state_t conn, char *out, size_t size)
{
    const amqp_table_t *props = amqp_get_server_properties (conn);
    amqp_bytes_t product = s_property (props, "product");
    amqp_bytes_t version = s_property (props, "version");
    snprintf (out, size, "%.*s %.*s", (int) product.len, (char *) product.bytes, (int) version.len,
              (char *) version.bytes);
}

void
broker_close (amqp_connection_state_t conn)
{
    if (!conn)
        return;
    amqp_channel_close (conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close (conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection (conn);
}

int
broker_queue_prepare (amqp_connection_state_t conn, const broker_options_t *options)
{
    amqp_bytes_t queue = amqp_cstring_bytes (options->queue);
    /* durable, not exclusive, not deleted when unused: survives a restart of the broker. */
    amqp_queue_declare (conn, 1, queue, 0, 1, 0, 0, amqp_empty_table);
    if (!broker_ok (amqp_get_rpc_reply (conn), "queue.declare"))
        return -1;
    amqp_queue_purge (conn, 1, queue);
    return broker_ok (amqp_get_rpc_reply (conn), "queue.purge") ? 0 : -1;
}
