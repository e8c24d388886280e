/* A small non-blocking HTTP/1.1 client: one request at a time on a kept-alive loopback socket. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

#define CONN_HEAD_MAX     (64 * 1024)         /* longest status line and headers */
#define CONN_RESPONSE_MAX (64l * 1024 * 1024) /* longest answer read */
#define CONN_READ_CHUNK   (64 * 1024)         /* bytes asked of each recv */

struct _bench_conn_t {
    uint16_t port;            /* the server's port on 127.0.0.1 */
    int fd;                   /* the socket, -1 when closed */
    bool connecting;          /* a non-blocking connect is under way */
    bool reused;              /* the request went out on a socket an earlier answer used */
    bool stale;               /* it failed because the server had closed that kept-alive socket */
    bench_conn_state_t state; /* where the current request is */
    char *out;                /* the request: head, then body */
    size_t out_len;           /* bytes in out */
    size_t out_cap;           /* bytes allocated for out */
    size_t out_sent;          /* bytes of out written so far */
    char *in;                 /* the answer as read so far, NUL-terminated */
    size_t in_len;            /* bytes in in */
    size_t in_cap;            /* bytes allocated for in */
    size_t head_len;          /* bytes of status line and headers, 0 until they all arrived */
    long long content_length; /* from Content-Length, -1 when absent */
    bool chunked;             /* Transfer-Encoding: chunked */
    bool close_after;         /* the socket cannot carry another request after this answer */
    int status;               /* the answer's status code */
    const char *body;         /* the body of a DONE answer, NUL-terminated (in in or dechunked) */
    size_t body_len;          /* its length */
    char *dechunked;          /* a chunked body, decoded (owned), or NULL */
    char error[200];          /* why the last request failed */
};

bench_conn_t *
bench_conn_new (uint16_t port)
{
    bench_conn_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->port = port;
    self->fd = -1;
    self->state = BENCH_CONN_IDLE;
    self->content_length = -1;
    return self;
}

static void
s_close (bench_conn_t *self)
{
    if (self->fd >= 0)
        close (self->fd);
    self->fd = -1;
    self->connecting = false;
}

void
bench_conn_destroy (bench_conn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_conn_t *self = *self_p;
    s_close (self);
    free (self->out);
    free (self->in);
    free (self->dechunked);
    free (self);
    *self_p = NULL;
}

static bench_conn_state_t s_fail (bench_conn_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static bench_conn_state_t
s_fail (bench_conn_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, ap);
    va_end (ap);
    s_close (self);
    self->state = BENCH_CONN_FAILED;
    return self->state;
}

/* Makes room for need bytes in *buf; false when out of memory or over the limit. */
static bool
s_reserve (char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    if (need > (size_t) CONN_RESPONSE_MAX + CONN_READ_CHUNK + 1)
        return false;
    size_t size = *cap ? *cap : 4096;
    while (size < need)
        size *= 2;
    char *grown = realloc (*buf, size);
    if (!grown)
        return false;
    *buf = grown;
    *cap = size;
    return true;
}

static int
s_open (bench_conn_t *self)
{
    self->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (self->fd < 0)
        return s_fail (self, "socket: %s", strerror (errno)), -1;
    int one = 1;
    setsockopt (self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (self->port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (self->fd, (struct sockaddr *) &addr, sizeof addr) == 0)
        self->connecting = false;
    else if (errno == EINPROGRESS)
        self->connecting = true;
    else
        return s_fail (self, "connect to 127.0.0.1:%u: %s", self->port, strerror (errno)), -1;
    return 0;
}

int
bench_conn_start (bench_conn_t *self, const char *method, const char *path, const char *token,
                  const char *body, size_t body_len)
{
    assert (self);
    assert (self->state != BENCH_CONN_BUSY);
    if (self->fd >= 0 && self->close_after)
        s_close (self);
    self->reused = self->fd >= 0;
    self->stale = false;
    self->in_len = 0;
    self->head_len = 0;
    self->content_length = -1;
    self->chunked = false;
    self->close_after = false;
    self->status = 0;
    self->body = NULL;
    self->body_len = 0;
    free (self->dechunked);
    self->dechunked = NULL;
    self->error[0] = '\0';

    char head[1024];
    int n = snprintf (head, sizeof head, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s%s%s", method,
                      path, self->port, token ? "Authorization: Bearer " : "", token ? token : "",
                      token ? "\r\n" : "");
    if (n < 0 || (size_t) n >= sizeof head)
        return s_fail (self, "request head too long"), -1;
    if (body) {
        int more = snprintf (head + n, sizeof head - (size_t) n,
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n", body_len);
        if (more < 0 || (size_t) more >= sizeof head - (size_t) n)
            return s_fail (self, "request head too long"), -1;
        n += more;
    }
    if ((size_t) n + 2 >= sizeof head)
        return s_fail (self, "request head too long"), -1;
    memcpy (head + n, "\r\n", 3);
    n += 2;
    if (!s_reserve (&self->out, &self->out_cap, (size_t) n + body_len))
        return s_fail (self, "out of memory"), -1;
    memcpy (self->out, head, (size_t) n);
    if (body && body_len)
        memcpy (self->out + n, body, body_len);
    self->out_len = (size_t) n + body_len;
    self->out_sent = 0;
    if (self->fd < 0 && s_open (self) != 0)
        return -1;
    self->state = BENCH_CONN_BUSY;
    return 0;
}

int
bench_conn_fd (const bench_conn_t *self)
{
    return self->fd;
}

short
bench_conn_events (const bench_conn_t *self)
{
    if (self->state != BENCH_CONN_BUSY)
        return 0;
    if (self->connecting || self->out_sent < self->out_len)
        return POLLOUT;
    return POLLIN;
}

bench_conn_state_t
bench_conn_state (const bench_conn_t *self)
{
    return self->state;
}

int
bench_conn_status (const bench_conn_t *self)
{
    return self->status;
}

const char *
bench_conn_body (const bench_conn_t *self, size_t *len)
{
    if (len)
        *len = self->body ? self->body_len : 0;
    return self->body ? self->body : "";
}

const char *
bench_conn_error (const bench_conn_t *self)
{
    return self->error;
}

/* Parses the status line and headers once they have all arrived: 1 parsed, 0 not yet, -1 bad. */
static int
s_parse_head (bench_conn_t *self)
{
    char *end = memmem (self->in, self->in_len, "\r\n\r\n", 4);
    if (!end)
        return self->in_len > CONN_HEAD_MAX ? -1 : 0;
    self->head_len = (size_t) (end - self->in) + 4;
    int minor = 0, status = 0;
    if (sscanf (self->in, "HTTP/1.%d %3d", &minor, &status) != 2 || status < 100 || status > 599)
        return -1;
    self->status = status;
    self->close_after = minor == 0;
    /* Every line ends at or before end, which starts the final empty line. */
    char *line = (char *) memmem (self->in, self->head_len, "\r\n", 2) + 2;
    while (line < end) {
        char *eol = memmem (line, (size_t) (end - line) + 2, "\r\n", 2);
        char *colon = memchr (line, ':', (size_t) (eol - line));
        if (colon) {
            size_t name_len = (size_t) (colon - line);
            char *value = colon + 1;
            while (value < eol && (*value == ' ' || *value == '\t'))
                value++;
            size_t value_len = (size_t) (eol - value);
            if (name_len == 14 && strncasecmp (line, "Content-Length", 14) == 0) {
                char *stop = NULL;
                long long length = strtoll (value, &stop, 10);
                if (stop == value || length < 0 || length > CONN_RESPONSE_MAX)
                    return -1;
                self->content_length = length;
            }
            else if (name_len == 17 && strncasecmp (line, "Transfer-Encoding", 17) == 0)
                self->chunked = value_len >= 7 && strncasecmp (value, "chunked", 7) == 0;
            else if (name_len == 10 && strncasecmp (line, "Connection", 10) == 0)
                self->close_after = value_len >= 5 && strncasecmp (value, "close", 5) == 0;
        }
        line = eol + 2;
    }
    return 1;
}

/* Walks the chunks of a chunked body: 1 and the decoded body when they are all in, 0 when
 * more must be read, -1 when they are malformed. */
static int
s_dechunk (bench_conn_t *self)
{
    const char *in = self->in;
    size_t pos = self->head_len, total = 0;
    for (;;) {
        const char *eol = memmem (in + pos, self->in_len - pos, "\r\n", 2);
        if (!eol)
            return 0;
        char *stop = NULL;
        unsigned long long size = strtoull (in + pos, &stop, 16);
        if (stop == in + pos || size > (unsigned long long) CONN_RESPONSE_MAX)
            return -1;
        size_t data = (size_t) (eol - in) + 2;
        if (size == 0) {
            /* No trailers is "\r\n"; trailers end with an empty line. */
            if (self->in_len - data >= 2 && memcmp (in + data, "\r\n", 2) == 0)
                break;
            if (!memmem (in + data, self->in_len - data, "\r\n\r\n", 4))
                return 0;
            break;
        }
        if (self->in_len - data < size + 2)
            return 0;
        total += size;
        pos = data + size + 2;
    }
    self->dechunked = malloc (total + 1);
    if (!self->dechunked)
        return -1;
    pos = self->head_len;
    size_t out = 0;
    for (;;) {
        const char *eol = memmem (in + pos, self->in_len - pos, "\r\n", 2);
        size_t size = (size_t) strtoull (in + pos, NULL, 16);
        size_t data = (size_t) (eol - in) + 2;
        if (size == 0)
            break;
        memcpy (self->dechunked + out, in + data, size);
        out += size;
        pos = data + size + 2;
    }
    self->dechunked[out] = '\0';
    self->body = self->dechunked;
    self->body_len = out;
    return 1;
}

/* 1 when the whole answer is in hand (body set), 0 when not yet, -1 when it is malformed.
 * at_eof: the server closed its side, which ends an answer without a length. */
static int
s_parse (bench_conn_t *self, bool at_eof)
{
    if (self->head_len == 0) {
        int rc = s_parse_head (self);
        if (rc <= 0)
            return rc;
    }
    size_t have = self->in_len - self->head_len;
    if (self->status == 204 || self->status == 304 || self->status < 200) {
        self->body = self->in + self->in_len;
        self->body_len = 0;
        return 1;
    }
    if (self->chunked)
        return s_dechunk (self);
    if (self->content_length >= 0) {
        if (have < (size_t) self->content_length)
            return 0;
        self->in[self->head_len + (size_t) self->content_length] = '\0';
        self->body = self->in + self->head_len;
        self->body_len = (size_t) self->content_length;
        return 1;
    }
    self->close_after = true;
    if (!at_eof)
        return 0;
    self->body = self->in + self->head_len;
    self->body_len = have;
    return 1;
}

static bench_conn_state_t
s_done (bench_conn_t *self)
{
    if (self->close_after)
        s_close (self);
    self->state = BENCH_CONN_DONE;
    return self->state;
}

bench_conn_state_t
bench_conn_step (bench_conn_t *self, short revents)
{
    if (self->state != BENCH_CONN_BUSY)
        return self->state;
    if (self->connecting) {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
            return self->state;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt (self->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
        if (err)
            return s_fail (self, "connect to 127.0.0.1:%u: %s", self->port, strerror (err));
        self->connecting = false;
    }
    while (self->out_sent < self->out_len) {
        ssize_t n = send (self->fd, self->out + self->out_sent, self->out_len - self->out_sent,
                          MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return self->state;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            self->stale = self->reused && (errno == EPIPE || errno == ECONNRESET);
            return s_fail (self, "send to 127.0.0.1:%u: %s", self->port, strerror (errno));
        }
        self->out_sent += (size_t) n;
    }
    for (;;) {
        if (!s_reserve (&self->in, &self->in_cap, self->in_len + CONN_READ_CHUNK + 1))
            return s_fail (self, "the answer is larger than %ld bytes", CONN_RESPONSE_MAX);
        ssize_t n = recv (self->fd, self->in + self->in_len, CONN_READ_CHUNK, 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            self->stale = self->reused && self->in_len == 0 && errno == ECONNRESET;
            return s_fail (self, "recv from 127.0.0.1:%u: %s", self->port, strerror (errno));
        }
        if (n == 0) {
            self->in[self->in_len] = '\0';
            int rc = s_parse (self, true);
            if (rc == 1) {
                self->close_after = true;
                return s_done (self);
            }
            self->stale = self->reused && self->in_len == 0;
            return s_fail (self, "127.0.0.1:%u closed the connection %s", self->port,
                           self->in_len ? "in the middle of an answer" : "without an answer");
        }
        self->in_len += (size_t) n;
        self->in[self->in_len] = '\0';
    }
    int rc = s_parse (self, false);
    if (rc < 0)
        return s_fail (self, "a malformed HTTP answer from 127.0.0.1:%u", self->port);
    if (rc == 1)
        return s_done (self);
    return self->state;
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
bench_conn_roundtrip (bench_conn_t *self, const char *method, const char *path, const char *token,
                      const char *body, size_t body_len, int timeout_ms)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (bench_conn_start (self, method, path, token, body, body_len) != 0)
            return -1;
        int64_t deadline = s_now_ms () + timeout_ms;
        while (self->state == BENCH_CONN_BUSY) {
            int64_t left = deadline - s_now_ms ();
            if (left <= 0) {
                s_fail (self, "no answer from 127.0.0.1:%u within %d ms", self->port, timeout_ms);
                break;
            }
            struct pollfd pfd = { .fd = self->fd, .events = bench_conn_events (self) };
            int n = poll (&pfd, 1, (int) left);
            if (n < 0 && errno == EINTR) {
                s_fail (self, "interrupted");
                return -1;
            }
            if (n < 0) {
                s_fail (self, "poll: %s", strerror (errno));
                break;
            }
            bench_conn_step (self, n > 0 ? pfd.revents : 0);
        }
        if (self->state == BENCH_CONN_DONE)
            return self->status;
        if (!self->stale)
            break;
    }
    return -1;
}
