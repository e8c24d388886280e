/* A fresh tsunagu cluster on loopback: set up with tsunaguctl, started, watched, stopped. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "cluster.h"
#include "conn.h"
#include "procstat.h"
#include "spawn.h"

#define CTL_TIMEOUT_MS    60000            /* bound on each tsunaguctl command */
#define STOP_TIMEOUT_MS   10000            /* how long the programs get to stop after SIGTERM */
#define HEALTH_POLL_MS    200              /* how often /healthz is asked while waiting */
#define HEALTH_TIMEOUT_MS 2000             /* bound on one /healthz answer */
#define PATH_MAX_USED     (PATH_MAX - 256) /* longest bin or data folder name taken */

/* The four agencies; their names are invented (ベンチ, "bench"). */
static const struct {
    const char *id;
    const char *type;
    const char *name;
} s_agencies[BENCH_AGENCIES] = {
    { "bench-eldercare", "eldercare", "つなぐ市ベンチ地域包括支援センター" },
    { "bench-disability", "disability", "つなぐ市ベンチ相談支援事業所" },
    { "bench-child", "child", "つなぐ市ベンチこども家庭センター" },
    { "bench-poverty", "poverty", "つなぐ市ベンチ自立相談支援機関" },
};

struct _bench_cluster_t {
    char *bin;                                /* folder of the programs */
    char *data;                               /* the data folder */
    bool temp;                                /* data is a temp folder of ours */
    bool keep;                                /* keep it all the same */
    int base_port;                            /* the coordinator's port */
    bench_agency_t agencies[BENCH_AGENCIES];  /* the agencies, in s_agencies order */
    char token[BENCH_TOKEN_MAX];              /* the coordinator's HTTP API token */
    bench_process_t processes[BENCH_SAMPLED]; /* the coordinator, the agencies, this program */
    uint64_t mark_ms;                         /* monotonic ms of bench_cluster_mark */
    uint64_t sample_ms;                       /* monotonic ms of the latest sample */
};

/* snprintf for paths and arguments under the data and bin folders, whose lengths
 * bench_cluster_new bounds so that nothing here is ever cut short. */
static void s_format (char *out, size_t size, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_format (char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (out, size, fmt, ap);
    va_end (ap);
    assert (n >= 0 && (size_t) n < size);
    (void) n;
}

bench_cluster_t *
bench_cluster_new (const char *bin, const char *data, int base_port)
{
    const char *tmp = getenv ("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    const char *longest = data ? data : tmp;
    if (strlen (bin) > PATH_MAX_USED || strlen (longest) > PATH_MAX_USED) {
        log_warnx ("the folder %s has too long a name (at most %d bytes)",
                   strlen (bin) > PATH_MAX_USED ? bin : longest, PATH_MAX_USED);
        return NULL;
    }
    bench_cluster_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->bin = strdup (bin);
    self->base_port = base_port;
    if (data) {
        if (!tsg_mkdir_p (data, 0700)) {
            log_warn ("cannot create %s", data);
            bench_cluster_destroy (&self);
            return NULL;
        }
        char probe[PATH_MAX];
        s_format (probe, sizeof probe, "%s/coordinator", data);
        if (access (probe, F_OK) == 0) {
            log_warnx ("%s holds a cluster already: give a new or empty folder with --data", data);
            bench_cluster_destroy (&self);
            return NULL;
        }
        self->data = realpath (data, NULL);
    }
    else {
        char pattern[PATH_MAX];
        s_format (pattern, sizeof pattern, "%s/tsunagu-bench.XXXXXX", tmp);
        if (!mkdtemp (pattern)) {
            log_warn ("cannot create a temp folder like %s", pattern);
            bench_cluster_destroy (&self);
            return NULL;
        }
        self->data = strdup (pattern);
        self->temp = true;
    }
    char logs[PATH_MAX];
    s_format (logs, sizeof logs, "%s/logs", self->data ? self->data : "");
    if (!self->bin || !self->data || !tsg_mkdir_p (logs, 0700)) {
        log_warn ("cannot create %s", logs);
        bench_cluster_destroy (&self);
        return NULL;
    }
    self->processes[0].name = "coordinator";
    self->processes[BENCH_PROCESSES].name = "tsunagu-bench";
    self->processes[BENCH_PROCESSES].pid = getpid ();
    for (size_t i = 0; i < BENCH_AGENCIES; i++) {
        self->agencies[i].id = s_agencies[i].id;
        self->agencies[i].type = s_agencies[i].type;
        self->agencies[i].port = (uint16_t) (base_port + 81 + (int) i);
        self->processes[i + 1].name = s_agencies[i].id;
    }
    return self;
}

static int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    if (remove (path) != 0)
        log_warn ("cannot remove %s", path);
    return 0;
}

void
bench_cluster_destroy (bench_cluster_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bench_cluster_t *self = *self_p;
    bench_cluster_stop (self);
    if (self->temp && self->data) {
        if (self->keep)
            log_info ("the cluster's data and logs are kept in %s", self->data);
        else
            nftw (self->data, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    for (size_t i = 0; i < BENCH_AGENCIES; i++)
        sodium_memzero (self->agencies[i].token, sizeof self->agencies[i].token);
    sodium_memzero (self->token, sizeof self->token);
    free (self->bin);
    free (self->data);
    free (self);
    *self_p = NULL;
}

/* Reads a bundle's http.token without its newline. */
static int
s_read_token (const char *path, char out[BENCH_TOKEN_MAX])
{
    char *text = NULL;
    size_t len = 0;
    int rc = tsg_read_file (path, BENCH_TOKEN_MAX - 1, &text, &len);
    if (rc != TSG_OK) {
        log_warnx ("cannot read %s: %s", path, tsg_strerror (rc));
        return -1;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    snprintf (out, BENCH_TOKEN_MAX, "%s", text);
    sodium_memzero (text, len);
    free (text);
    return len > 0 ? 0 : -1;
}

int
bench_cluster_setup (bench_cluster_t *self)
{
    char ctl[PATH_MAX], coordinator[PATH_MAX], log_path[PATH_MAX], listen[64], http[64];
    s_format (ctl, sizeof ctl, "%s/%s", self->bin, "tsunaguctl");
    s_format (coordinator, sizeof coordinator, "%s/%s", self->data, "coordinator");
    s_format (log_path, sizeof log_path, "%s/%s/%s", self->data, "logs", "ctl.log");
    s_format (listen, sizeof listen, "tcp://127.0.0.1:%d", self->base_port);
    s_format (http, sizeof http, "127.0.0.1:%d", self->base_port + 80);
    char *init[] = { ctl, "-d", coordinator, "init", "--listen", listen, "--http", http, NULL };
    log_debug ("tsunaguctl init (%s)", coordinator);
    if (!bench_spawn_run (init, log_path, CTL_TIMEOUT_MS))
        return -1;
    char token_path[PATH_MAX];
    s_format (token_path, sizeof token_path, "%s/%s", coordinator, "http.token");
    if (s_read_token (token_path, self->token) != 0)
        return -1;
    for (size_t i = 0; i < BENCH_AGENCIES; i++) {
        bench_agency_t *agency = &self->agencies[i];
        char out[PATH_MAX], token[PATH_MAX];
        s_format (out, sizeof out, "%s/bundles/%s", self->data, agency->id);
        s_format (http, sizeof http, "127.0.0.1:%u", agency->port);
        char *add[] = { ctl,
                        "-d",
                        coordinator,
                        "agency",
                        "add",
                        "--id",
                        (char *) agency->id,
                        "--type",
                        (char *) agency->type,
                        "--name",
                        (char *) s_agencies[i].name,
                        "--out",
                        out,
                        "--http",
                        http,
                        NULL };
        log_debug ("tsunaguctl agency add --id %s --type %s", agency->id, agency->type);
        if (!bench_spawn_run (add, log_path, CTL_TIMEOUT_MS))
            return -1;
        s_format (token, sizeof token, "%s/%s", out, "http.token");
        if (s_read_token (token, agency->token) != 0)
            return -1;
    }
    return 0;
}

/* True when something answers on 127.0.0.1:port. */
static bool
s_port_taken (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    bool taken = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    close (fd);
    return taken;
}

int
bench_cluster_start (bench_cluster_t *self)
{
    int ports[] = { self->base_port,        self->base_port + 80,   self->agencies[0].port,
                    self->agencies[1].port, self->agencies[2].port, self->agencies[3].port };
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
        if (s_port_taken (ports[i])) {
            log_warnx ("port %d on 127.0.0.1 is in use: choose another --base-port", ports[i]);
            return -1;
        }
    for (size_t i = 0; i < BENCH_PROCESSES; i++) {
        char exe[PATH_MAX], conf[PATH_MAX], log_path[PATH_MAX], program[64];
        if (i == 0) {
            s_format (exe, sizeof exe, "%s/%s", self->bin, "tsunagu-coordinator");
            s_format (conf, sizeof conf, "%s/%s/%s", self->data, "coordinator", "coordinator.conf");
        }
        else {
            const bench_agency_t *agency = &self->agencies[i - 1];
            s_format (program, sizeof program, "tsunagu-%s", agency->type);
            s_format (exe, sizeof exe, "%s/%s", self->bin, program);
            s_format (conf, sizeof conf, "%s/bundles/%s/agency.conf", self->data, agency->id);
        }
        s_format (log_path, sizeof log_path, "%s/logs/%s.log", self->data, self->processes[i].name);
        char *argv[] = { exe, "-c", conf, NULL };
        pid_t pid = bench_spawn (argv, log_path);
        if (pid < 0)
            return -1;
        self->processes[i].pid = pid;
        log_debug ("started %s (pid %ld, log %s)", self->processes[i].name, (long) pid, log_path);
    }
    return 0;
}

/* Logs the last lines of a program's log. */
static void
s_log_tail (const bench_cluster_t *self, const char *name)
{
    char path[PATH_MAX];
    s_format (path, sizeof path, "%s/logs/%s.log", self->data, name);
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    char lines[10][512];
    size_t count = 0;
    while (fgets (lines[count % 10], sizeof lines[0], file))
        count++;
    fclose (file);
    size_t first = count > 10 ? count - 10 : 0;
    for (size_t i = first; i < count; i++)
        fprintf (stderr, "    %s", lines[i % 10]);
}

int
bench_cluster_check (bench_cluster_t *self)
{
    for (size_t i = 0; i < BENCH_PROCESSES; i++) {
        bench_process_t *process = &self->processes[i];
        int status = 0;
        if (process->pid <= 0 || waitpid (process->pid, &status, WNOHANG) != process->pid)
            continue;
        char why[64];
        log_warnx ("%s (pid %ld) %s; the last lines of %s/logs/%s.log:", process->name,
                   (long) process->pid, bench_spawn_describe (status, why, sizeof why), self->data,
                   process->name);
        process->pid = 0;
        s_log_tail (self, process->name);
        return -1;
    }
    return 0;
}

/* True when agency's /healthz says connected with the whole directory. */
static bool
s_ready (bench_conn_t *conn, char *last, size_t last_size)
{
    int status = bench_conn_roundtrip (conn, "GET", "/healthz", NULL, NULL, 0, HEALTH_TIMEOUT_MS);
    if (status != 200) {
        snprintf (last, last_size, "%s", status < 0 ? bench_conn_error (conn) : "not 200");
        return false;
    }
    const char *body = bench_conn_body (conn, NULL);
    snprintf (last, last_size, "%s", body);
    json_t *health = json_loads (body, 0, NULL);
    const char *coordinator = json_string_value (json_object_get (health, "coordinator"));
    json_int_t listed = json_integer_value (json_object_get (health, "directory_agencies"));
    bool ready = coordinator && strcmp (coordinator, "connected") == 0 && listed >= BENCH_AGENCIES;
    json_decref (health);
    return ready;
}

int
bench_cluster_wait_ready (bench_cluster_t *self, int timeout_ms, volatile sig_atomic_t *stop)
{
    int rc = 0;
    for (size_t i = 0; i < BENCH_AGENCIES && rc == 0; i++) {
        const bench_agency_t *agency = &self->agencies[i];
        bench_conn_t *conn = bench_conn_new (agency->port);
        char last[512] = "";
        bool ready = false;
        for (int waited = 0; conn && !ready; waited += HEALTH_POLL_MS) {
            if (*stop)
                log_warnx ("interrupted");
            if (*stop || bench_cluster_check (self) != 0) {
                rc = -1;
                break;
            }
            ready = s_ready (conn, last, sizeof last);
            if (!ready && waited >= timeout_ms) {
                log_warnx ("%s did not report the coordinator connected within %d s; last "
                           "/healthz: %s",
                           agency->id, timeout_ms / 1000, last);
                rc = -1;
                break;
            }
            if (!ready)
                poll (NULL, 0, HEALTH_POLL_MS);
        }
        if (!conn)
            rc = -1;
        else if (ready)
            log_debug ("%s: coordinator connected", agency->id);
        bench_conn_destroy (&conn);
    }
    return rc;
}

void
bench_cluster_sample (bench_cluster_t *self)
{
    self->sample_ms = tsg_monotonic_ms ();
    for (size_t i = 0; i < BENCH_SAMPLED; i++) {
        bench_process_t *process = &self->processes[i];
        bench_procstat_t stat;
        if (process->pid <= 0 || !bench_procstat_read (process->pid, &stat))
            continue;
        if (stat.rss_kb > process->rss_max_kb)
            process->rss_max_kb = stat.rss_kb;
        if (stat.anon_kb > process->anon_max_kb)
            process->anon_max_kb = stat.anon_kb;
        process->cpu_last_s = stat.cpu_s;
    }
}

void
bench_cluster_mark (bench_cluster_t *self)
{
    bench_cluster_sample (self);
    self->mark_ms = self->sample_ms;
    for (size_t i = 0; i < BENCH_SAMPLED; i++)
        self->processes[i].cpu_mark_s = self->processes[i].cpu_last_s;
}

double
bench_cluster_window_s (const bench_cluster_t *self)
{
    return self->sample_ms > self->mark_ms ? (double) (self->sample_ms - self->mark_ms) / 1000.0
                                           : 0;
}

int
bench_cluster_stop (bench_cluster_t *self)
{
    int unclean = 0;
    for (size_t i = BENCH_PROCESSES; i-- > 0;)
        if (self->processes[i].pid > 0)
            kill (self->processes[i].pid, SIGTERM);
    int waited_ms = 0;
    for (size_t i = BENCH_PROCESSES; i-- > 0;) {
        bench_process_t *process = &self->processes[i];
        if (process->pid <= 0)
            continue;
        int status = 0, left = STOP_TIMEOUT_MS - waited_ms;
        uint64_t start = tsg_monotonic_ms ();
        if (!bench_spawn_wait (process->pid, left > 0 ? left : 0, &status)) {
            log_warnx ("%s (pid %ld) did not stop within %d s; killing it", process->name,
                       (long) process->pid, STOP_TIMEOUT_MS / 1000);
            kill (process->pid, SIGKILL);
            bench_spawn_wait (process->pid, STOP_TIMEOUT_MS, &status);
        }
        waited_ms += (int) (tsg_monotonic_ms () - start);
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
            char why[64];
            log_warnx ("%s %s (log: %s/logs/%s.log)", process->name,
                       bench_spawn_describe (status, why, sizeof why), self->data, process->name);
            unclean++;
        }
        process->pid = 0;
    }
    return unclean;
}

void
bench_cluster_keep (bench_cluster_t *self)
{
    self->keep = true;
}

const char *
bench_cluster_data (const bench_cluster_t *self)
{
    return self->data;
}

const bench_agency_t *
bench_cluster_agency (const bench_cluster_t *self, size_t i)
{
    return i < BENCH_AGENCIES ? &self->agencies[i] : NULL;
}

const bench_process_t *
bench_cluster_process (const bench_cluster_t *self, size_t i)
{
    return i < BENCH_SAMPLED ? &self->processes[i] : NULL;
}

const char *
bench_cluster_api (const bench_cluster_t *self, size_t i, uint16_t *port)
{
    if (i >= BENCH_PROCESSES)
        return NULL;
    if (i == 0) {
        *port = (uint16_t) (self->base_port + 80);
        return self->token;
    }
    *port = self->agencies[i - 1].port;
    return self->agencies[i - 1].token;
}
