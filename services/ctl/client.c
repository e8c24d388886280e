/* client.c — one request to a running coordinator over its control socket (ZeroMQ REQ to
 * ipc://DATA_DIR/control.sock), as services/coordinator/control.h describes it. */
#include <errno.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "ctl.h"

/* Writes a sentence into err. */
static void
s_err (char *err, size_t size, const char *fmt, ...)
{
    if (!err || size == 0)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, size, fmt, args);
    va_end (args);
}

int
ctl_control_call (const char *data_dir, const json_t *request, int timeout_ms, json_t **reply,
                  char *err, size_t err_size)
{
    *reply = NULL;
    char path[4096], endpoint[4200];
    if (snprintf (path, sizeof path, "%s/control.sock", data_dir) >= (int) sizeof path) {
        s_err (err, err_size, "the data directory path is too long");
        return TSG_ERR_BAD_INPUT;
    }
    snprintf (endpoint, sizeof endpoint, "ipc://%s", path);
    /* ZeroMQ connects to a missing socket file without complaint and waits; saying so at
     * once is kinder than a timeout. */
    struct stat st;
    if (stat (path, &st) != 0) {
        s_err (err, err_size, "the coordinator is not running (no answer on %s)", path);
        return TSG_ERR_NOT_FOUND;
    }
    char *text = json_dumps (request, JSON_COMPACT);
    if (!text) {
        s_err (err, err_size, "out of memory");
        return TSG_ERR_NOMEM;
    }
    int rc = TSG_ERR_IO;
    void *ctx = zmq_ctx_new ();
    void *socket = ctx ? zmq_socket (ctx, ZMQ_REQ) : NULL;
    int linger = 0;
    int64_t max_size = 16 * 1024 * 1024; /* answers are small; views are not sent here */
    if (!socket || zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger) != 0
        || zmq_setsockopt (socket, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms) != 0
        || zmq_setsockopt (socket, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms) != 0
        || zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size) != 0) {
        s_err (err, err_size, "cannot make a ZeroMQ socket: %s", zmq_strerror (zmq_errno ()));
        goto done;
    }
    if (zmq_connect (socket, endpoint) != 0) {
        s_err (err, err_size, "cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        goto done;
    }
    if (zmq_send (socket, text, strlen (text), 0) < 0) {
        if (zmq_errno () == EAGAIN) {
            s_err (err, err_size, "the coordinator is not running (no answer on %s)", path);
            rc = TSG_ERR_NOT_FOUND;
        }
        else
            s_err (err, err_size, "cannot send to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        goto done;
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, socket, 0) < 0) {
        if (zmq_errno () == EAGAIN) {
            s_err (err, err_size, "the coordinator is not running (no answer on %s)", path);
            rc = TSG_ERR_NOT_FOUND;
        }
        else
            s_err (err, err_size, "cannot read the answer from %s: %s", endpoint,
                   zmq_strerror (zmq_errno ()));
        zmq_msg_close (&msg);
        goto done;
    }
    json_error_t error;
    json_t *answer = json_loadb (zmq_msg_data (&msg), zmq_msg_size (&msg), 0, &error);
    zmq_msg_close (&msg);
    if (!json_is_object (answer)) {
        json_decref (answer);
        s_err (err, err_size, "the coordinator's answer is not a JSON object");
        rc = TSG_ERR_BAD_INPUT;
        goto done;
    }
    *reply = answer;
    rc = TSG_OK;

done:
    if (socket)
        zmq_close (socket);
    if (ctx)
        zmq_ctx_term (ctx);
    sodium_memzero (text, strlen (text)); /* it may hold a staff password */
    free (text);
    return rc;
}
