/* The signing counters of a daemon's GET /metrics. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "signing.h"

/* The value of the sample PREFIX<name> on line (name with its labels, if any), read into
 * *value; false when line is another sample or a comment. */
static bool
s_sample (const char *line, const char *prefix, const char *name, uint64_t *value)
{
    size_t p = strlen (prefix), n = strlen (name);
    if (strncmp (line, prefix, p) != 0 || strncmp (line + p, name, n) != 0 || line[p + n] != ' ')
        return false;
    char *end = NULL;
    /* Prometheus writes counters as decimal numbers, possibly with a fraction or an exponent. */
    double number = strtod (line + p + n + 1, &end);
    if (end == line + p + n + 1 || number < 0)
        return false;
    *value = (uint64_t) (number + 0.5);
    return true;
}

bool
bench_signing_parse (const char *text, const char *prefix, bench_signing_t *out)
{
    memset (out, 0, sizeof *out);
    const struct {
        const char *name;
        uint64_t *value;
    } samples[] = {
        { "_signatures_total", &out->signatures },
        { "_signature_checks_total", &out->checks },
        { "_letters_signed_total{form=\"plain\"}", &out->plain },
        { "_letters_signed_total{form=\"batch\"}", &out->batch },
        { "_letters_verified_by_cached_root_total", &out->cached_root },
    };
    bool signatures = false, checks = false;
    for (const char *line = text; line && *line;) {
        for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
            if (s_sample (line, prefix, samples[i].name, samples[i].value)) {
                signatures = signatures || i == 0;
                checks = checks || i == 1;
                break;
            }
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    return signatures && checks;
}

int
bench_signing_read (bench_conn_t *conn, const char *name, const char *token, const char *prefix,
                    int timeout_ms, bench_signing_t *out)
{
    memset (out, 0, sizeof *out);
    int status = bench_conn_roundtrip (conn, "GET", "/metrics", token, NULL, 0, timeout_ms);
    if (status != 200) {
        log_warnx ("GET /metrics from %s: %s", name,
                   status < 0 ? bench_conn_error (conn) : "the answer was not 200");
        return -1;
    }
    if (!bench_signing_parse (bench_conn_body (conn, NULL), prefix, out)) {
        log_warnx ("GET /metrics from %s: no %s_signatures_total or %s_signature_checks_total",
                   name, prefix, prefix);
        return -1;
    }
    return 0;
}
