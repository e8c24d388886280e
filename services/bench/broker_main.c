/* broker_main.c — tsunagu-broker-bench: the settings, the run, and what it measured. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "broker.h"
#include "broker_report.h"
#include "procstat.h"

static volatile sig_atomic_t s_stop = 0; /* set by SIGINT/SIGTERM */

static void
s_on_signal (int signo)
{
    (void) signo;
    s_stop = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: " BROKER_PROGNAME " [options]\n"
             "Publishes N persistent messages to one durable queue of a RabbitMQ broker on\n"
             "127.0.0.1 with publisher confirms (at most --window unconfirmed) while a second\n"
             "connection consumes them with manual acks, and reports messages/s end to end\n"
             "(first publish to last message consumed) and the latency of each message.\n\n"
             "  -n N               messages (20000)\n"
             "  --port P           the broker's AMQP port on 127.0.0.1 (5672)\n"
             "  --bytes B          size of each message body (1024)\n"
             "  --window W         most messages published and not yet confirmed (100)\n"
             "  --prefetch P       the consumer's basic.qos prefetch count (100)\n"
             "  --queue NAME       the durable queue, declared and purged first (" BROKER_PROGNAME
             ")\n"
             "  --user U, --password P   the broker's login (guest, guest)\n"
             "  --broker-pid PID   also measure the broker's process: CPU time, bytes written\n"
             "                     (/proc/PID/io), resident memory\n"
             "  --disk DIR         also count the bytes written to the block device holding\n"
             "                     DIR (the broker's data), by the whole machine\n"
             "  --timeout S        bound on the whole run (300)\n"
             "  --json             print one JSON object instead of the table\n"
             "  -h, --help         show this help\n");
}

/* A number option in [min, max]; false (printed) otherwise. */
static bool
s_number (const char *name, const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long value = strtol (text, &end, 10);
    if (!*text || *end || value < min || value > max) {
        fprintf (stderr, BROKER_PROGNAME ": %s must be a whole number from %ld to %ld\n", name, min,
                 max);
        return false;
    }
    *out = value;
    return true;
}

/* Fills options from argv.  Returns 0 to run, 1 on a bad option (printed), 2 after --help. */
static int
s_parse (broker_options_t *o, int argc, char *argv[])
{
    *o = (broker_options_t){ .messages = 20000,
                             .port = 5672,
                             .bytes = 1024,
                             .window = 100,
                             .prefetch = 100,
                             .timeout_s = 300,
                             .queue = BROKER_PROGNAME,
                             .user = "guest",
                             .password = "guest" };
    static const struct option longs[] = { { "port", required_argument, NULL, 'p' },
                                           { "bytes", required_argument, NULL, 'b' },
                                           { "window", required_argument, NULL, 'w' },
                                           { "prefetch", required_argument, NULL, 'f' },
                                           { "queue", required_argument, NULL, 'q' },
                                           { "user", required_argument, NULL, 'u' },
                                           { "password", required_argument, NULL, 'P' },
                                           { "broker-pid", required_argument, NULL, 'B' },
                                           { "disk", required_argument, NULL, 'd' },
                                           { "timeout", required_argument, NULL, 't' },
                                           { "json", no_argument, NULL, 'j' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
    int c;
    bool ok = true;
    while (ok && (c = getopt_long (argc, argv, "n:h", longs, NULL)) != -1) {
        switch (c) {
        case 'n': ok = s_number ("-n", optarg, 1, 100000000, &o->messages); break;
        case 'p': ok = s_number ("--port", optarg, 1, 65535, &o->port); break;
        case 'b': ok = s_number ("--bytes", optarg, BROKER_STAMP, 16 << 20, &o->bytes); break;
        case 'w': ok = s_number ("--window", optarg, 1, 1000000, &o->window); break;
        case 'f': ok = s_number ("--prefetch", optarg, 1, 65535, &o->prefetch); break;
        case 'B': ok = s_number ("--broker-pid", optarg, 1, 1 << 30, &o->broker_pid); break;
        case 't': ok = s_number ("--timeout", optarg, 1, 86400, &o->timeout_s); break;
        case 'q': o->queue = optarg; break;
        case 'd': o->disk = optarg; break;
        case 'u': o->user = optarg; break;
        case 'P': o->password = optarg; break;
        case 'j': o->json = true; break;
        case 'h': s_usage (stdout); return 2;
        default: ok = false;
        }
    }
    if (ok && optind < argc) {
        fprintf (stderr, BROKER_PROGNAME ": unexpected argument %s\n", argv[optind]);
        ok = false;
    }
    if (!ok)
        fprintf (stderr, "Try '" BROKER_PROGNAME " --help'.\n");
    return ok ? 0 : 1;
}

/* Reads the broker's CPU, memory and io into out (nothing when there is no --broker-pid). */
static void
s_sample_broker (const broker_options_t *o, broker_sample_t *out)
{
    memset (out, 0, sizeof *out);
    bench_procstat_loadavgs (out->loadavg);
    out->at_us = broker_now_us ();
    if (o->disk)
        out->device_read = bench_disk_written (o->disk, &out->device);
    if (o->broker_pid > 0)
        out->read = bench_procstat_read ((pid_t) o->broker_pid, &out->stat)
                    && bench_procio_read ((pid_t) o->broker_pid, &out->io);
}

int
main (int argc, char *argv[])
{
    broker_options_t options;
    int rc = s_parse (&options, argc, argv);
    if (rc != 0)
        return rc == 2 ? 0 : 1;
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    amqp_connection_state_t conn = broker_connect (&options);
    if (!conn || broker_queue_prepare (conn, &options) != 0) {
        broker_close (conn);
        return 1;
    }
    broker_sample_t before, after;
    broker_result_t result;
    s_sample_broker (&options, &before);
    rc = broker_run (&options, &s_stop, &result);
    s_sample_broker (&options, &after);
    if (options.broker_pid > 0 && !(before.read && after.read))
        fprintf (stderr, BROKER_PROGNAME ": cannot read /proc/%ld of the broker\n",
                 options.broker_pid);
    broker_report_print (stdout, &options, &result, &before, &after);
    amqp_queue_delete (conn, 1, amqp_cstring_bytes (options.queue), 0, 0);
    broker_close (conn);
    bench_samples_clear (&result.latency_ms);
    bench_samples_clear (&result.confirm_ms);
    return rc == 0 ? 0 : 1;
}
