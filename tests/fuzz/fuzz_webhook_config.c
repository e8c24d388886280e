/* fuzz_webhook_config.c — agency.conf with [webhook.NAME] sections, any bytes: the loader never
 * crashes or leaks, and every webhook it keeps is one the engine may use (a valid name, an
 * http(s) URL, a secret of 24 to 64 bytes, an event list in its ",a,b," form, days from 1 to
 * 365).  Beside the file: a good secret (ok.secret, 0600), one others may read (open.secret)
 * and a short one (short.secret). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char s_dir[256];

static void
s_file (const char *name, const char *text, mode_t mode)
{
    char path[512];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen (path, "w");
    if (!f)
        abort ();
    fputs (text, f);
    fclose (f);
    chmod (path, mode);
}

/* The folder goes when the process ends (the replay runs it once per test run). */
static void
s_cleanup (void)
{
    static const char *const names[] = { "ok.secret", "open.secret", "short.secret",
                                         "ca.pem",    "agency.conf", NULL };
    char path[512];
    for (size_t i = 0; names[i]; i++) {
        snprintf (path, sizeof path, "%s/%s", s_dir, names[i]);
        unlink (path);
    }
    rmdir (s_dir);
}

static void
s_setup (void)
{
    if (s_dir[0])
        return;
    snprintf (s_dir, sizeof s_dir, "/tmp/tsunagu-fuzz-webhook-XXXXXX");
    if (!mkdtemp (s_dir))
        abort ();
    s_file ("ok.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 0600);
    s_file ("open.secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", 0644);
    s_file ("short.secret", "whsec_c2hvcnQ=\n", 0600);
    s_file ("ca.pem", "not a certificate\n", 0644);
    atexit (s_cleanup);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_setup ();
    char path[512];
    snprintf (path, sizeof path, "%s/agency.conf", s_dir);
    FILE *f = fopen (path, "w");
    if (!f)
        return 0;
    if (size && fwrite (data, 1, size, f) != size) {
        fclose (f);
        return 0;
    }
    fclose (f);
    tsg_agency_config_t *config = tsg_agency_config_load (path, "eldercare");
    if (!config)
        return 0;
    if (config->errors > 0 && !config->report)
        abort (); /* every problem is reported */
    for (size_t i = 0; i < config->webhook_count; i++) {
        const tsg_agency_webhook_t *hook = &config->webhooks[i];
        if (strlen (hook->name) > TSG_WEBHOOK_NAME_MAX)
            abort ();
        if (config->errors > 0)
            continue; /* -n refuses the file: the engine never sees it */
        if (!hook->url
            || (strncmp (hook->url, "http://", 7) != 0 && strncmp (hook->url, "https://", 8) != 0))
            abort ();
        if (hook->secret_len < TSG_WEBHOOK_SECRET_MIN || hook->secret_len > TSG_WEBHOOK_SECRET_MAX)
            abort ();
        if (hook->events) {
            size_t n = strlen (hook->events);
            if (n < 3 || hook->events[0] != ',' || hook->events[n - 1] != ',')
                abort ();
        }
        if (hook->max_attempts_days < 1 || hook->max_attempts_days > 365)
            abort ();
        if (!hook->client_cert != !hook->client_key)
            abort ();
    }
    tsg_agency_config_destroy (&config);
    if (config)
        abort ();
    return 0;
}
