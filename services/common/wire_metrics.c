/* wire_metrics.c — the signing counters of tsg_wire_counters as Prometheus text. */
#include <stdio.h>

#include "tsunagu/tsunagu.h"

void
tsg_wire_counters_print (FILE *out, const char *prefix)
{
    tsg_wire_counters_t c;
    tsg_wire_counters (&c);
    fprintf (out,
             "# HELP %s_letters_signed_total Letters this process signed, on their own (plain) "
             "or under one signature per batch (batch).\n# TYPE %s_letters_signed_total "
             "counter\n%s_letters_signed_total{form=\"plain\"} %llu\n"
             "%s_letters_signed_total{form=\"batch\"} %llu\n",
             prefix, prefix, prefix, (unsigned long long) c.letters_signed_plain, prefix,
             (unsigned long long) c.letters_signed_batched);
    fprintf (out,
             "# HELP %s_signatures_total Ed25519 signatures made.\n# TYPE %s_signatures_total "
             "counter\n%s_signatures_total %llu\n",
             prefix, prefix, prefix, (unsigned long long) c.signatures);
    fprintf (out,
             "# HELP %s_signature_checks_total Ed25519 signature verifications made.\n# TYPE "
             "%s_signature_checks_total counter\n%s_signature_checks_total %llu\n",
             prefix, prefix, prefix, (unsigned long long) c.signature_checks);
    fprintf (out,
             "# HELP %s_letters_verified_by_cached_root_total Letters of a batch verified by a "
             "root whose signature was checked before.\n# TYPE "
             "%s_letters_verified_by_cached_root_total counter\n"
             "%s_letters_verified_by_cached_root_total %llu\n",
             prefix, prefix, prefix, (unsigned long long) c.verified_by_cached_root);
}
