/* tsunagu-bench's settings: defaults, then the [bench] section of the -c file, then argv. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "options.h"

/* The programs a cluster needs, all looked for in the bin folder. */
static const char *const s_programs[] = { "tsunaguctl",
                                          "tsunagu-coordinator",
                                          "tsunagu-eldercare",
                                          "tsunagu-disability",
                                          "tsunagu-child",
                                          "tsunagu-poverty",
                                          NULL };

static const char *const s_known_keys[] = {
    "bench.bin",         "bench.data",       "bench.base_port", "bench.referrals", "bench.rate",
    "bench.connections", "bench.body_bytes", "bench.timeout",   "bench.json",      NULL
};

/* The limits of each number, shared by the file and the command line. */
typedef struct {
    const char *option; /* command-line name */
    const char *key;    /* key in [bench] */
    long min, max;      /* allowed range */
    size_t offset;      /* where it lives in bench_options_t */
} s_number_t;

static const s_number_t s_numbers[] = {
    { "base-port", "base_port", 1024, 65000, offsetof (bench_options_t, base_port) },
    { "referrals", "referrals", 1, 10000000, offsetof (bench_options_t, referrals) },
    { "rate", "rate", 0, 1000000, offsetof (bench_options_t, rate) },
    { "connections", "connections", 4, 1024, offsetof (bench_options_t, connections) },
    { "body-bytes", "body_bytes", 256, 512 * 1024, offsetof (bench_options_t, body_bytes) },
    { "timeout", "timeout", 1, 3600, offsetof (bench_options_t, timeout_s) },
    { "load-cases", "load_cases", 0, 20000000, offsetof (bench_options_t, load_cases) },
    { "map-mb", "map_mb", 0, 1024L * 1024, offsetof (bench_options_t, map_mb) },
};

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: " BENCH_PROGNAME " [options]\n"
        "Sets up a fresh tsunagu cluster (a coordinator and one agency daemon of each type on\n"
        "127.0.0.1), sends it synthetic referrals over keep-alive HTTP connections, and\n"
        "reports throughput, end-to-end latency, memory, and per referral the Ed25519\n"
        "signatures and verifications made (the daemons' /metrics) and the bytes written\n"
        "(/proc/PID/io, and the disk's own count).\n\n"
        "  --bin DIR           tsunaguctl and the daemons (default: this program's folder)\n"
        "  --data DIR          keep the cluster's data here (a new or empty folder; default:\n"
        "                      a temp folder, removed after a good run)\n"
        "  --base-port N       coordinator N, dashboard N+80, agencies N+81..N+84 (18700)\n"
        "  --referrals N       referrals to send (20000)\n"
        "  --rate R            offer R referrals per second (default 0: as fast as possible)\n"
        "  --connections C     keep-alive connections, spread over the four senders (32)\n"
        "  --body-bytes B      size of each sheet in bytes (1024)\n"
        "  --timeout S         bound on start-up, on sending and on delivery, each (300)\n"
        "  --json              print one JSON object instead of the table\n"
        "  --load-cases N      instead: write N synthetic cases (with referrals, some\n"
        "                      overdue, some withheld, some reopened) straight into the\n"
        "                      coordinator data directory --data (made by tsunaguctl init),\n"
        "                      offline under its lock, for the dashboard benchmark\n"
        "  --map-mb M          with --load-cases: the store's map in MiB (default: enough)\n"
        "  -c, --config FILE   read these settings from the [bench] section of FILE (INI,\n"
        "                      keys bin, data, base_port, referrals, rate, connections,\n"
        "                      body_bytes, timeout, json); the command line wins\n"
        "  -n                  check the settings, print every problem, and exit\n"
        "  -v, --verbose       also log the commands run and the daemons started\n"
        "  -h, --help          show this help\n"
        "      --version       show the version\n");
}

/* The folder of the running executable, or "." (caller frees). */
static char *
s_own_folder (void)
{
    char path[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return strdup (".");
    path[n] = '\0';
    return strdup (dirname (path));
}

static void
s_set_string (char **field, const char *value)
{
    char *copy = value ? strdup (value) : NULL;
    free (*field);
    *field = copy;
}

static long *
s_number_field (bench_options_t *self, const s_number_t *number)
{
    return (long *) ((char *) self + number->offset);
}

/* Reads the [bench] section of path over the defaults; every problem goes to stderr as
 * file:line: message.  Returns the number of problems. */
static int
s_load_file (bench_options_t *self, const char *path)
{
    tsg_config_t *config = tsg_config_load (path);
    if (!config) {
        fprintf (stderr, BENCH_PROGNAME ": out of memory\n");
        return 1;
    }
    const char *bin = tsg_config_string (config, "bench", "bin", "");
    if (*bin) {
        char *resolved = tsg_config_resolve_path (config, bin);
        free (self->bin);
        self->bin = resolved;
    }
    const char *data = tsg_config_string (config, "bench", "data", "");
    if (*data) {
        char *resolved = tsg_config_resolve_path (config, data);
        free (self->data);
        self->data = resolved;
    }
    for (size_t i = 0; i < COUNT (s_numbers); i++) {
        long *field = s_number_field (self, &s_numbers[i]);
        *field = tsg_config_int (config, "bench", s_numbers[i].key, *field, s_numbers[i].min,
                                 s_numbers[i].max);
    }
    self->json = tsg_config_bool (config, "bench", "json", self->json);
    tsg_config_check_known (config, s_known_keys);
    int errors = tsg_config_errors (config);
    if (errors > 0)
        tsg_config_report (config, stderr);
    tsg_config_destroy (&config);
    return errors;
}

/* A whole number within the option's range, or a message on stderr. */
static int
s_parse_number (bench_options_t *self, const s_number_t *number, const char *text)
{
    errno = 0;
    char *end = NULL;
    long value = strtol (text, &end, 10);
    if (errno || end == text || *end || value < number->min || value > number->max) {
        fprintf (stderr, BENCH_PROGNAME ": --%s: \"%s\" is not a whole number from %ld to %ld\n",
                 number->option, text, number->min, number->max);
        return 1;
    }
    *s_number_field (self, number) = value;
    return 0;
}

enum {
    OPT_BIN = 256,
    OPT_DATA,
    OPT_JSON,
    OPT_VERSION,
    OPT_NUMBER, /* OPT_NUMBER + i: s_numbers[i] */
};

int
bench_options_parse (bench_options_t *self, int argc, char *argv[])
{
    memset (self, 0, sizeof *self);
    self->base_port = 18700;
    self->referrals = 20000;
    self->rate = 0;
    self->connections = 32;
    self->body_bytes = 1024;
    self->timeout_s = 300;
    self->bin = s_own_folder ();

    struct option options[COUNT (s_numbers) + 10] = {
        { "bin", required_argument, NULL, OPT_BIN },
        { "data", required_argument, NULL, OPT_DATA },
        { "json", no_argument, NULL, OPT_JSON },
        { "config", required_argument, NULL, 'c' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
    };
    size_t n = 7;
    for (size_t i = 0; i < COUNT (s_numbers); i++)
        options[n++] =
            (struct option){ s_numbers[i].option, required_argument, NULL, OPT_NUMBER + (int) i };
    options[n] = (struct option){ NULL, 0, NULL, 0 };

    /* First pass: help, version and the file, which the other options override. */
    int opt, problems = 0;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "c:nvh", options, NULL)) != -1) {
        if (opt == 'h') {
            s_usage (stdout);
            return 2;
        }
        if (opt == OPT_VERSION) {
            printf (BENCH_PROGNAME " " TSUNAGU_VERSION "\n");
            return 2;
        }
        if (opt == 'c')
            s_set_string (&self->config, optarg);
    }
    if (self->config)
        problems += s_load_file (self, self->config);

    opterr = 1;
    optind = 1;
    while ((opt = getopt_long (argc, argv, "c:nvh", options, NULL)) != -1) {
        switch (opt) {
        case 'c': break;
        case 'n': self->check_only = true; break;
        case 'v': self->verbose = true; break;
        case OPT_BIN: s_set_string (&self->bin, optarg); break;
        case OPT_DATA: s_set_string (&self->data, optarg); break;
        case OPT_JSON: self->json = true; break;
        default:
            if (opt >= OPT_NUMBER && opt < OPT_NUMBER + (int) COUNT (s_numbers))
                problems += s_parse_number (self, &s_numbers[opt - OPT_NUMBER], optarg);
            else {
                s_usage (stderr);
                return 1;
            }
        }
    }
    if (optind < argc) {
        fprintf (stderr, BENCH_PROGNAME ": unexpected argument \"%s\"\n", argv[optind]);
        problems++;
    }
    return problems > 0 ? 1 : 0;
}

int
bench_options_check (const bench_options_t *self, FILE *out)
{
    int problems = 0;
    if (self->load_cases > 0) {
        if (!self->data) {
            fprintf (out, BENCH_PROGNAME ": --load-cases needs --data DIR (a coordinator's)\n");
            problems++;
        }
        return problems;
    }
    for (int i = 0; s_programs[i]; i++) {
        char path[PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", self->bin, s_programs[i]);
        if (access (path, X_OK) != 0) {
            fprintf (out, BENCH_PROGNAME ": %s: %s (give the build's bin folder with --bin)\n",
                     path, strerror (errno));
            problems++;
        }
    }
    return problems;
}

void
bench_options_clear (bench_options_t *self)
{
    free (self->config);
    free (self->bin);
    free (self->data);
    self->config = self->bin = self->data = NULL;
}
