/* offline.c — one control request answered without serving, under the data directory's lock. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/schema.h"
#include "coordinator/model/store.h"
#include "coordinator/daemon/control.h"
#include "coordinator/daemon/control_reply.h"
#include "coordinator/daemon/offline.h"
#include "tsunagu/tsg_lock.h"

#define EXIT_RUNNING 3

/* Reads all of in, at most max bytes (one more tells it is too long); NULL on failure. */
static char *
s_read_all (FILE *in, size_t max, size_t *len)
{
    char *buf = malloc (max + 2);
    if (!buf)
        return NULL;
    *len = fread (buf, 1, max + 1, in);
    if (ferror (in)) {
        free (buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* Writes answer (freed) and a newline to out. */
static int
s_answer (FILE *out, char *answer, int status)
{
    fprintf (out, "%s\n", answer ? answer : "{\"ok\":false,\"error\":\"store\"}");
    fflush (out);
    free (answer);
    return status;
}

int
tsg_hub_offline_apply (const tsg_hub_conf_t *conf, FILE *in, FILE *out)
{
    int lock = tsg_lock_take (conf->data_dir, TSG_COORDINATOR_LOCK_FILE, false);
    if (lock < 0 && errno == EWOULDBLOCK)
        return s_answer (out,
                         tsg_hub_control_refusal ("running", "a coordinator runs on this data "
                                                             "directory: ask its control socket"),
                         EXIT_RUNNING);
    if (lock < 0) {
        log_warnx ("cannot lock %s/%s: %s", conf->data_dir, TSG_COORDINATOR_LOCK_FILE,
                   strerror (errno));
        return 1;
    }
    int status = 1;
    tsg_store_t *store = NULL;
    tsg_hub_audit_t *audit = NULL;
    size_t len = 0;
    char *request = s_read_all (in, TSG_HUB_CONTROL_MAX, &len);
    char why[512] = "store";
    int rc = request ? tsg_hub_store_open_current (conf->data_dir, conf->map_size, &store, why,
                                                   sizeof why)
                     : TSG_ERR_IO;
    bool newer = rc == TSG_ERR_EXISTS;
    if (rc == TSG_OK) {
        tsg_txn_t txn;
        tsg_txn_begin (store, &txn, false);
        rc = tsg_hub_audit_open (conf->data_dir, &txn, &audit);
        tsg_txn_abort (&txn);
    }
    if (newer) { /* newer than this binary: refused, nothing changed */
        log_warnx ("%s/store: %s", conf->data_dir, why);
        status = s_answer (out, tsg_hub_control_refusal ("store", why), 1);
    }
    else if (rc != TSG_OK)
        log_warnx ("cannot open the store and audit log in %s: %s", conf->data_dir,
                   tsg_strerror (rc));
    else {
        tsg_hub_control_env_t env = {
            .store = store, .audit = audit, .via = "offline", .keys_path = conf->keys_path
        };
        status = s_answer (out, tsg_hub_control_answer (&env, request, len), 0);
    }
    if (request)
        sodium_memzero (request, len); /* it may hold a staff password */
    free (request);
    tsg_hub_audit_destroy (&audit);
    tsg_store_destroy (&store);
    tsg_lock_release (lock);
    return status;
}
