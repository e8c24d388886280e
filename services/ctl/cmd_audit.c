/* cmd_audit.c — `tsunaguctl audit verify|show`: the coordinator's hash-chained audit log checked
 * offline against the head its store committed, and its records printed. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/audit.h"
#include "ctl.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunaguctl [-d DATA_DIR] audit verify [-d DATA_DIR] [--file PATH] [--json]\n"
             "       tsunaguctl [-d DATA_DIR] audit show [-d DATA_DIR] [--file PATH] [--last N]\n"
             "                  [--json]\n"
             "The coordinator's audit log (DATA_DIR/audit.log): one hash-chained record per\n"
             "routing decision (docs/audit.md).\n"
             "verify recomputes the whole chain and compares its end with the head the\n"
             "coordinator's store committed; it prints OK and the count (exit 0), or the first\n"
             "broken link — line, seq and what is wrong: bad hash, bad prev link, unparsable\n"
             "line, sequence gap, missing records — (exit 1).\n"
             "show prints the records (up to the first broken link, which it names; exit 1).\n"
             "  -d, --data-dir  the coordinator data directory (as the global -d)\n"
             "  --file          check or show this file (a copy, say) without the store\n"
             "  --last          only the last N records\n"
             "  --json          verify: the verdict as an object; show: an array of records\n");
}

/* The options of `audit verify` and `audit show`. */
typedef struct {
    ctl_options_t options; /* the global options, with -d given here applied */
    const char *file;      /* --file, or NULL for DATA_DIR's audit.log */
    uint64_t last;         /* --last N (0: every record) */
    bool json;             /* --json */
} s_args_t;

/* Parses the options after verify/show; returns -1 to go on, else an exit code. */
static int
s_parse (const ctl_options_t *options, int argc, char **argv, bool show, s_args_t *args)
{
    memset (args, 0, sizeof *args);
    args->options = *options;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = strcmp (arg, "-d") == 0 || strcmp (arg, "--data-dir") == 0
                           || strcmp (arg, "--file") == 0 || (show && strcmp (arg, "--last") == 0);
        if (takes_value && !value) {
            ctl_error ("audit %s: %s needs a value", argv[0], arg);
            return CTL_EXIT_USAGE;
        }
        if (strcmp (arg, "--json") == 0)
            args->json = true;
        else if (strcmp (arg, "-d") == 0 || strcmp (arg, "--data-dir") == 0) {
            args->options.data_dir = value;
            i++;
        }
        else if (strcmp (arg, "--file") == 0) {
            args->file = value;
            i++;
        }
        else if (show && strcmp (arg, "--last") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull (value, &end, 10);
            if (errno != 0 || end == value || *end != '\0' || n == 0 || n > 1000000
                || value[0] == '-') {
                ctl_error ("audit show: --last wants a number from 1 to 1000000, not \"%s\"",
                           value);
                return CTL_EXIT_FAIL;
            }
            args->last = n;
            i++;
        }
        else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0) {
            s_usage (stdout);
            return CTL_EXIT_OK;
        }
        else {
            ctl_error ("audit %s: unexpected argument \"%s\"", argv[0], arg);
            s_usage (stderr);
            return CTL_EXIT_USAGE;
        }
    }
    return -1;
}

/* Where the log is and what the store committed.  Returns false after printing why not. */
typedef struct {
    char path[PATH_MAX];       /* the audit log */
    bool has_store;            /* the head below was read from the store */
    bool has_head;             /* the store holds a committed head */
    tsg_hub_audit_head_t head; /* that head */
} s_target_t;

static bool
s_target (const s_args_t *args, s_target_t *target)
{
    memset (target, 0, sizeof *target);
    if (args->file) {
        if (snprintf (target->path, sizeof target->path, "%s", args->file)
            >= (int) sizeof target->path) {
            ctl_error ("path too long: %s", args->file);
            return false;
        }
        return true;
    }
    tsg_store_t *store = NULL;
    ctl_site_t *site = ctl_site_open (&args->options, &store);
    if (!site)
        return false;
    bool ok = snprintf (target->path, sizeof target->path, "%s/%s", ctl_site_data_dir (site),
                        TSG_HUB_AUDIT_FILE)
              < (int) sizeof target->path;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    bool bad = false;
    target->has_head = tsg_hub_audit_head_get (&txn, &target->head, &bad);
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    if (!ok)
        ctl_error ("path too long: %s", ctl_site_data_dir (site));
    ctl_site_destroy (&site);
    if (!ok)
        return false;
    if (rc != TSG_OK || bad) {
        ctl_error ("cannot read the committed audit head from the store: %s",
                   bad ? "the value is malformed" : tsg_strerror (rc));
        return false;
    }
    target->has_store = true;
    return true;
}

/* ---- verify ------------------------------------------------------------------------------ */

/* What verify's callback remembers: the chain at the committed head's sequence. */
typedef struct {
    const tsg_hub_audit_check_t *check; /* the running check */
    uint64_t head_seq;                  /* the committed head's sequence */
    bool seen;                          /* the record of head_seq verified */
    tsg_hub_audit_head_t at_head;       /* the chain just after it */
} s_verify_t;

static void
s_verify_record (void *arg, const tsg_hub_audit_record_t *record)
{
    s_verify_t *v = arg;
    if (record->seq == v->head_seq) {
        v->seen = true;
        v->at_head = v->check->end; /* already moved past this record */
    }
}

/* Compares the verified chain with the store's committed head; false with why set (and the
 * line of the first missing or rewritten record in *bad_line) when they disagree. */
static bool
s_verify_head (const s_target_t *target, const tsg_hub_audit_check_t *check, const s_verify_t *v,
               uint64_t *bad_line, char *why, size_t why_size)
{
    if (!target->has_store)
        return true;
    const tsg_hub_audit_head_t *head = &target->head;
    if (!target->has_head || head->seq == 0) {
        return true; /* nothing committed yet: whatever is there awaits its first commit */
    }
    if (check->end.seq < head->seq) {
        *bad_line = check->count + 1;
        snprintf (why, why_size,
                  "line %" PRIu64 " (seq %" PRIu64 "): missing records: the file ends after seq "
                  "%" PRIu64 " but the store committed the chain up to seq %" PRIu64
                  " (records were removed from the end)",
                  check->count + 1, check->end.seq + 1, check->end.seq, head->seq);
        return false;
    }
    if (!v->seen || memcmp (v->at_head.hash, head->hash, 32) != 0
        || v->at_head.offset != head->offset) {
        *bad_line = head->seq;
        snprintf (why, why_size,
                  "line %" PRIu64 " (seq %" PRIu64 "): the chain up to here is not the one the "
                  "store committed (its hash or length differs: records were rewritten)",
                  head->seq, head->seq);
        return false;
    }
    return true;
}

static int
s_verify (const ctl_options_t *options, int argc, char **argv)
{
    s_args_t args;
    int exit_code = s_parse (options, argc, argv, false, &args);
    if (exit_code >= 0)
        return exit_code;
    s_target_t target;
    if (!s_target (&args, &target))
        return CTL_EXIT_FAIL;
    tsg_hub_audit_check_t check;
    s_verify_t v = { .check = &check, .head_seq = target.head.seq };
    int rc = tsg_hub_audit_check_file (target.path, &check, s_verify_record, &v);
    bool ok = rc == TSG_OK;
    uint64_t bad_line = check.bad_line;
    char why[512];
    snprintf (why, sizeof why, "%s", check.why);
    if (rc == TSG_ERR_NOT_FOUND && target.has_store && !(target.has_head && target.head.seq > 0))
        ok = true; /* no decision yet: no file yet */
    else if (rc == TSG_ERR_NOT_FOUND && target.has_store) {
        bad_line = 1;
        snprintf (why, sizeof why,
                  "line 1 (seq 1): missing records: there is no audit log but the store "
                  "committed the chain up to seq %" PRIu64,
                  target.head.seq);
    }
    else if (rc != TSG_OK && rc != TSG_ERR_BAD_INPUT) {
        ctl_error ("%s", check.why);
        return CTL_EXIT_FAIL;
    }
    else if (ok)
        ok = s_verify_head (&target, &check, &v, &bad_line, why, sizeof why);
    uint64_t beyond = target.has_store && ok && check.end.seq > target.head.seq
                          ? check.end.seq - target.head.seq
                          : 0;
    if (args.json) {
        json_t *out = json_pack ("{s:s, s:b, s:I}", "file", target.path, "ok", ok, "count",
                                 (json_int_t) check.count);
        if (out && ok && target.has_store) {
            json_object_set_new (out, "committed_seq", json_integer ((json_int_t) target.head.seq));
            json_object_set_new (out, "uncommitted", json_integer ((json_int_t) beyond));
        }
        if (out && !ok) {
            json_object_set_new (out, "bad_line", json_integer ((json_int_t) bad_line));
            json_object_set_new (out, "why", json_string (why));
        }
        if (!ctl_print_json (out))
            return CTL_EXIT_FAIL;
        return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    }
    if (!ok) {
        printf ("%s: BROKEN at %s\n", target.path, why);
        printf ("records verified before it: %" PRIu64 "; the first broken link is line %" PRIu64
                "\n",
                check.count, bad_line);
        return CTL_EXIT_FAIL;
    }
    if (rc == TSG_ERR_NOT_FOUND)
        printf ("%s: OK, 0 records (no audit log yet)\n", target.path);
    else
        printf ("%s: OK, %" PRIu64 " records%s\n", target.path, check.count,
                target.has_store ? ", the chain matches the committed head" : "");
    if (beyond > 0)
        printf ("%" PRIu64 " records after the committed head belong to a batch not committed "
                "(yet); the coordinator drops them when it starts\n",
                beyond);
    return CTL_EXIT_OK;
}

/* ---- show -------------------------------------------------------------------------------- */

/* What show's callback does: prints at once, or keeps the last N. */
typedef struct {
    bool json;       /* --json */
    uint64_t last;   /* --last N (0: print each record at once) */
    json_t **ring;   /* the last N records, oldest at ring[next % last] once full */
    uint64_t seen;   /* records seen */
    uint64_t shown;  /* records printed */
    bool out_of_mem; /* a record could not be kept */
} s_show_t;

/* The record's JSON with its hash, or NULL. */
static json_t *
s_record_object (const tsg_hub_audit_record_t *record)
{
    json_t *object = json_loadb (record->json, record->json_len, 0, NULL);
    if (!json_is_object (object)) {
        json_decref (object);
        return NULL;
    }
    char hex[65];
    tsg_hex_encode (record->hash, 32, hex);
    json_object_set_new (object, "hash", json_string (hex));
    return object;
}

/* Prints one record: as a compact JSON element, or as a line of text. */
static void
s_print_record (s_show_t *s, json_t *object)
{
    if (s->json) {
        char *text = json_dumps (object, JSON_COMPACT);
        printf ("%s  %s", s->shown ? ",\n" : "", text ? text : "null");
        free (text);
    }
    else {
        json_t *details = json_object_get (object, "details");
        char *details_text = details ? json_dumps (details, JSON_COMPACT) : NULL;
        printf ("%6" JSON_INTEGER_FORMAT "  %s  %-16s %-14s %s → %s%s%s\n",
                json_integer_value (json_object_get (object, "seq")),
                ctl_text_get (object, "at", "-"), ctl_text_get (object, "event", "-"),
                ctl_text_get (object, "kind", "-"), ctl_text_get (object, "sender", "-"),
                ctl_text_get (object, "recipient", "-"), details_text ? "  " : "",
                details_text ? details_text : "");
        free (details_text);
    }
    s->shown++;
}

static void
s_show_record (void *arg, const tsg_hub_audit_record_t *record)
{
    s_show_t *s = arg;
    json_t *object = s_record_object (record);
    if (!object) {
        s->out_of_mem = true;
        return;
    }
    if (s->last == 0) {
        s_print_record (s, object);
        json_decref (object);
    }
    else {
        json_t **slot = &s->ring[s->seen % s->last];
        json_decref (*slot);
        *slot = object;
    }
    s->seen++;
}

static int
s_show (const ctl_options_t *options, int argc, char **argv)
{
    s_args_t args;
    int exit_code = s_parse (options, argc, argv, true, &args);
    if (exit_code >= 0)
        return exit_code;
    s_target_t target;
    if (!s_target (&args, &target))
        return CTL_EXIT_FAIL;
    s_show_t s = { .json = args.json, .last = args.last };
    if (s.last > 0) {
        s.ring = calloc ((size_t) s.last, sizeof *s.ring);
        if (!s.ring) {
            ctl_error ("out of memory");
            return CTL_EXIT_FAIL;
        }
    }
    if (s.json)
        printf ("[\n");
    tsg_hub_audit_check_t check;
    int rc = tsg_hub_audit_check_file (target.path, &check, s_show_record, &s);
    if (s.last > 0) {
        uint64_t kept = s.seen < s.last ? s.seen : s.last;
        for (uint64_t i = s.seen - kept; i < s.seen; i++) {
            json_t **slot = &s.ring[i % s.last];
            if (*slot)
                s_print_record (&s, *slot);
            json_decref (*slot);
            *slot = NULL;
        }
        free (s.ring);
    }
    if (s.json)
        printf ("%s]\n", s.shown ? "\n" : "");
    if (s.out_of_mem) {
        ctl_error ("out of memory: some records were not shown");
        return CTL_EXIT_FAIL;
    }
    if (rc == TSG_ERR_NOT_FOUND) {
        if (!s.json)
            printf ("no audit log yet at %s\n", target.path);
        return CTL_EXIT_OK;
    }
    if (rc == TSG_ERR_BAD_INPUT) {
        ctl_error ("%s: the chain is broken at %s; records after it are not shown", target.path,
                   check.why);
        return CTL_EXIT_FAIL;
    }
    if (rc != TSG_OK) {
        ctl_error ("%s", check.why);
        return CTL_EXIT_FAIL;
    }
    return CTL_EXIT_OK;
}

int
cmd_audit (const ctl_options_t *options, int argc, char **argv)
{
    if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        s_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
    }
    if (strcmp (argv[1], "verify") == 0)
        return s_verify (options, argc - 1, argv + 1);
    if (strcmp (argv[1], "show") == 0)
        return s_show (options, argc - 1, argv + 1);
    ctl_error ("audit: unknown subcommand \"%s\"", argv[1]);
    s_usage (stderr);
    return CTL_EXIT_USAGE;
}
