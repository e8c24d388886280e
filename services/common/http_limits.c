/* http_limits.c — connection limits and a whole-request deadline for libmicrohttpd servers. */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_http_limits.h"
#include "tsunagu/tsg_throttle.h"

#define S_NO_DEADLINE   UINT64_MAX
#define S_LOG_SLOTS     32    /* distinct libmicrohttpd messages throttled apart */
#define S_LOG_WINDOW_MS 60000 /* at most one line per message per minute */
#define S_LOG_FRESH_MAX 16    /* distinct messages logged in full per minute */
/* libmicrohttpd stops accepting at its own limit, so that new clients wait in the kernel's
 * queue: its limit is set this far above ours, and we refuse (shut down) what is past ours. */
#define S_REFUSE_SLACK 64

/* One open connection. */
typedef struct s_conn {
    struct s_conn *prev;               /* the list of open connections */
    struct s_conn *next;               /* ... */
    struct MHD_Connection *connection; /* libmicrohttpd's (borrowed) */
    int fd;                            /* its socket, to shut down */
    uint64_t since;                    /* when the current request's clock started */
    uint64_t deadline;                 /* when it is shut down (S_NO_DEADLINE: held, or shut) */
    bool shut;                         /* shut down: libmicrohttpd closes it at its next turn */
} s_conn_t;

struct _tsg_http_limits_t {
    char name[16];            /* log prefix */
    unsigned connections_max; /* open connections in all */
    unsigned per_address_max; /* open connections from one client address */
    s_conn_t *conns;          /* the open connections */
    size_t open;              /* how many (refused ones too, until libmicrohttpd closes them) */
    uint64_t expired;         /* connections shut down for their deadline */
    uint64_t refused;         /* connections refused past connections_max */
    uint64_t next_due;        /* no deadline comes before this (it may be early, never late) */
    tsg_throttle_t *log;      /* libmicrohttpd's messages and our own closings */
};

/* A throttle summary: the message that repeated, and how often. */
static void
s_summary (void *arg, const char *key, const char *detail, uint64_t count, uint64_t elapsed_ms)
{
    tsg_http_limits_t *self = arg;
    (void) key;
    log_warnx ("%s: %s (%llu more in the last %llu s)", self->name, detail,
               (unsigned long long) count, (unsigned long long) ((elapsed_ms + 999) / 1000));
}

/* Logs a line through the throttle: key groups the repeats, text is the line. */
static void
s_log (tsg_http_limits_t *self, const char *key, const char *text)
{
    if (tsg_throttle_hit (self->log, key, text, tsg_monotonic_ms ()))
        log_warnx ("%s: %s", self->name, text);
}

void
tsg_http_limits_log (void *cls, const char *fmt, va_list ap)
{
    tsg_http_limits_t *self = cls;
    char line[TSG_THROTTLE_DETAIL_MAX + 1];
    vsnprintf (line, sizeof line, fmt, ap);
    size_t len = strlen (line);
    while (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    s_log (self, line, line);
}

tsg_http_limits_t *
tsg_http_limits_new (const char *name, unsigned connections_max, unsigned per_address_max)
{
    assert (name && connections_max > 0 && per_address_max > 0);
    tsg_http_limits_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->name, sizeof self->name, "%s", name);
    self->connections_max = connections_max;
    self->per_address_max = per_address_max;
    self->next_due = S_NO_DEADLINE;
    self->log = tsg_throttle_new (S_LOG_SLOTS, S_LOG_WINDOW_MS, S_LOG_FRESH_MAX, s_summary, self);
    if (!self->log) {
        free (self);
        return NULL;
    }
    return self;
}

void
tsg_http_limits_destroy (tsg_http_limits_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_http_limits_t *self = *self_p;
    /* MHD_stop_daemon reported every connection closed; any left were never ours to close. */
    while (self->conns) {
        s_conn_t *conn = self->conns;
        self->conns = conn->next;
        free (conn);
    }
    tsg_throttle_destroy (&self->log);
    free (self);
    *self_p = NULL;
}

/* Sets conn's deadline, keeping next_due no later than it. */
static void
s_deadline (tsg_http_limits_t *self, s_conn_t *conn, uint64_t deadline)
{
    conn->deadline = conn->shut ? S_NO_DEADLINE : deadline;
    if (conn->deadline < self->next_due)
        self->next_due = conn->deadline;
}

/* The client's address as text, for the log. */
static void
s_address (struct MHD_Connection *connection, char *out, size_t size)
{
    snprintf (out, size, "?");
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, out, (socklen_t) size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, out, (socklen_t) size);
}

/* MHD_OPTION_NOTIFY_CONNECTION: keeps the list of open connections, and refuses a new one
 * past connections_max. */
static void
s_notify (void *cls, struct MHD_Connection *connection, void **socket_context,
          enum MHD_ConnectionNotificationCode toe)
{
    tsg_http_limits_t *self = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        s_conn_t *conn = calloc (1, sizeof *conn);
        if (!conn) {
            /* Without a deadline it could be held for ever: refuse it instead. */
            if (info)
                shutdown (info->connect_fd, SHUT_RDWR);
            *socket_context = NULL;
            return;
        }
        conn->connection = connection;
        conn->fd = info ? info->connect_fd : -1;
        conn->shut = conn->fd < 0;
        if (self->open >= self->connections_max && !conn->shut) {
            char address[INET6_ADDRSTRLEN], line[TSG_THROTTLE_DETAIL_MAX + 1];
            s_address (connection, address, sizeof address);
            snprintf (line, sizeof line, "refused a connection from %s: %zu open, the limit is %u",
                      address, self->open, self->connections_max);
            s_log (self, "limit", line);
            shutdown (conn->fd, SHUT_RDWR);
            conn->shut = true;
            self->refused++;
        }
        conn->since = tsg_monotonic_ms ();
        s_deadline (self, conn, conn->since + TSG_HTTP_HEADERS_MS);
        conn->next = self->conns;
        if (self->conns)
            self->conns->prev = conn;
        self->conns = conn;
        self->open++;
        *socket_context = conn;
        return;
    }
    s_conn_t *conn = *socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !conn)
        return;
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        self->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    self->open--;
    free (conn);
    *socket_context = NULL;
}

void
tsg_http_limits_options (tsg_http_limits_t *self, struct MHD_OptionItem *items)
{
    const struct MHD_OptionItem options[TSG_HTTP_LIMITS_OPTIONS] = {
        { MHD_OPTION_CONNECTION_LIMIT, (intptr_t) (self->connections_max + S_REFUSE_SLACK), NULL },
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t) self->per_address_max, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t) TSG_HTTP_MEMORY_LIMIT, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t) TSG_HTTP_IDLE_S, NULL },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) s_notify, self },
        { MHD_OPTION_END, 0, NULL },
    };
    memcpy (items, options, sizeof options);
}

/* Our record of connection, or NULL when it has none (out of memory at its start). */
static s_conn_t *
s_find (struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void
tsg_http_limits_headers (tsg_http_limits_t *self, struct MHD_Connection *connection)
{
    s_conn_t *conn = s_find (connection);
    if (conn)
        s_deadline (self, conn, conn->since + TSG_HTTP_REQUEST_MS);
}

void
tsg_http_limits_hold (tsg_http_limits_t *self, struct MHD_Connection *connection)
{
    s_conn_t *conn = s_find (connection);
    if (conn)
        s_deadline (self, conn, S_NO_DEADLINE);
}

void
tsg_http_limits_release (tsg_http_limits_t *self, struct MHD_Connection *connection)
{
    s_conn_t *conn = s_find (connection);
    if (!conn)
        return;
    conn->since = tsg_monotonic_ms ();
    s_deadline (self, conn, conn->since + TSG_HTTP_REQUEST_MS);
}

void
tsg_http_limits_completed (tsg_http_limits_t *self, struct MHD_Connection *connection)
{
    s_conn_t *conn = s_find (connection);
    if (!conn)
        return;
    conn->since = tsg_monotonic_ms ();
    s_deadline (self, conn, conn->since + TSG_HTTP_HEADERS_MS);
}

void
tsg_http_limits_sweep (tsg_http_limits_t *self)
{
    uint64_t now = tsg_monotonic_ms ();
    tsg_throttle_flush (self->log, now);
    if (now < self->next_due)
        return;
    uint64_t next = S_NO_DEADLINE;
    for (s_conn_t *conn = self->conns; conn; conn = conn->next) {
        if (conn->deadline > now) {
            if (conn->deadline < next)
                next = conn->deadline;
            continue;
        }
        char address[INET6_ADDRSTRLEN], line[TSG_THROTTLE_DETAIL_MAX + 1];
        s_address (conn->connection, address, sizeof address);
        snprintf (line, sizeof line,
                  "closed a connection from %s past its deadline (headers in %d s, the "
                  "whole request in %d s)",
                  address, TSG_HTTP_HEADERS_MS / 1000, TSG_HTTP_REQUEST_MS / 1000);
        s_log (self, "deadline", line);
        shutdown (conn->fd, SHUT_RDWR);
        conn->shut = true;
        conn->deadline = S_NO_DEADLINE;
        self->expired++;
    }
    self->next_due = next;
}

long
tsg_http_limits_timeout (const tsg_http_limits_t *self)
{
    if (self->next_due == S_NO_DEADLINE)
        return -1;
    uint64_t now = tsg_monotonic_ms ();
    if (self->next_due <= now)
        return 0;
    uint64_t wait = self->next_due - now;
    return wait > 60000 ? 60000 : (long) wait;
}

size_t
tsg_http_limits_open (const tsg_http_limits_t *self)
{
    return self->open;
}

uint64_t
tsg_http_limits_expired (const tsg_http_limits_t *self)
{
    return self->expired;
}

uint64_t
tsg_http_limits_refused (const tsg_http_limits_t *self)
{
    return self->refused;
}
