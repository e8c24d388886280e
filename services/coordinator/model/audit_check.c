/* audit_check.c — the read side of the audit log (format: audit.c): the committed head in META,
 * one line's fields, and the checker behind `tsunaguctl audit verify` and the coordinator's own
 * start-up check. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "coordinator/model/store.h"
#include "coordinator/model/audit.h"
#define S_HEAD_SIZE 48 /* be64 seq, 32-byte hash, be64 offset */
#define S_AT_LEN    24 /* "2026-11-23T07:00:00.123Z" */

bool
tsg_hub_audit_head_get (tsg_txn_t *txn, tsg_hub_audit_head_t *head, bool *bad)
{
    memset (head, 0, sizeof *head);
    if (bad)
        *bad = false;
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, TSG_HUB_DB_META), TSG_HUB_AUDIT_HEAD_KEY,
                      strlen (TSG_HUB_AUDIT_HEAD_KEY), &val))
        return false;
    if (!tsg_hub_audit_head_decode (val.mv_data, val.mv_size, head)) {
        if (bad)
            *bad = true;
        return false;
    }
    return true;
}

bool
tsg_hub_audit_head_decode (const void *value, size_t len, tsg_hub_audit_head_t *head)
{
    memset (head, 0, sizeof *head);
    if (len != S_HEAD_SIZE)
        return false;
    const uint8_t *bytes = value;
    head->seq = tsg_be64_get (bytes);
    memcpy (head->hash, bytes + 8, 32);
    head->offset = tsg_be64_get (bytes + 40);
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * Checking */

/* 64 lowercase hex digits into 32 bytes.  False on anything else (capitals too: a flipped
 * case bit is a change). */
static bool
s_hex32 (const char *text, uint8_t out[32])
{
    for (size_t i = 0; i < 64; i++) {
        char c = text[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t) (v << 4);
        else
            out[i / 2] |= (uint8_t) v;
    }
    return true;
}

/* True when at has the shape tsg_iso8601 writes: "dddd-dd-ddTdd:dd:dd.dddZ". */
static bool
s_at_valid (const char *at, size_t len)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (len != S_AT_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (shape[i] == 'd' ? at[i] < '0' || at[i] > '9' : at[i] != shape[i])
            return false;
    }
    return true;
}

/* Splits one line (without its newline) into its fields: record (seq, at, hash, json) and
 * prev.  False with *problem naming the bad field. */
bool
tsg_hub_audit_line_parse (const char *line, size_t len, tsg_hub_audit_record_t *record,
                          uint8_t prev[32], const char **problem)
{
    memset (record, 0, sizeof *record);
    size_t i = 0;
    uint64_t seq = 0;
    while (i < len && line[i] >= '0' && line[i] <= '9') {
        unsigned digit = (unsigned) (line[i] - '0');
        if ((i == 1 && line[0] == '0') || seq > ((uint64_t) INT64_MAX - digit) / 10) {
            *problem = "the sequence number is malformed";
            return false;
        }
        seq = seq * 10 + digit;
        i++;
    }
    if (i == 0 || seq == 0 || i >= len || line[i] != ' ') {
        *problem = "the sequence number is malformed";
        return false;
    }
    i++;
    const char *at = line + i;
    const char *space = memchr (at, ' ', len - i);
    if (!space || !s_at_valid (at, (size_t) (space - at))) {
        *problem = "the time is malformed";
        return false;
    }
    i += S_AT_LEN + 1;
    if (len - i < 65 || !s_hex32 (line + i, prev) || line[i + 64] != ' ') {
        *problem = "prev_hash is not 64 lowercase hex digits";
        return false;
    }
    i += 65;
    if (len - i < 65 || !s_hex32 (line + i, record->hash) || line[i + 64] != ' ') {
        *problem = "hash is not 64 lowercase hex digits";
        return false;
    }
    i += 65;
    if (i >= len || line[i] != '{') {
        *problem = "the JSON record is missing";
        return false;
    }
    record->seq = seq;
    memcpy (record->at, at, S_AT_LEN);
    record->at[S_AT_LEN] = '\0';
    record->json = line + i;
    record->json_len = len - i;
    return true;
}

/* True when json is an object whose "seq" and "at" are the line's. */
static bool
s_json_matches (const tsg_hub_audit_record_t *record)
{
    json_error_t error;
    json_t *root = json_loadb (record->json, record->json_len, JSON_REJECT_DUPLICATES, &error);
    json_t *seq = json_object_get (root, "seq");
    json_t *at = json_object_get (root, "at");
    bool ok = json_is_object (root) && json_is_integer (seq) && json_is_string (at)
              && json_integer_value (seq) == (json_int_t) record->seq
              && strcmp (json_string_value (at), record->at) == 0;
    json_decref (root);
    return ok;
}

/* Running state of one check. */
typedef struct {
    tsg_hub_audit_check_t *check;  /* what is reported */
    tsg_hub_audit_record_fn *each; /* sees each record that verifies (may be NULL) */
    void *arg;                     /* its argument */
    uint64_t line;                 /* lines taken so far */
} s_checker_t;

/* Notes the first broken link: the line being checked, and why. */
static int s_broken (s_checker_t *ck, uint64_t offset, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_broken (s_checker_t *ck, uint64_t offset, const char *fmt, ...)
{
    tsg_hub_audit_check_t *check = ck->check;
    check->bad_line = ck->line;
    check->bad_seq = check->end.seq + 1;
    check->bad_offset = offset;
    int n = snprintf (check->why, sizeof check->why,
                      "line %" PRIu64 " (seq %" PRIu64 "): ", ck->line, check->bad_seq);
    if (n < 0 || (size_t) n >= sizeof check->why)
        n = 0;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (check->why + n, sizeof check->why - (size_t) n, fmt, ap);
    va_end (ap);
    return TSG_ERR_BAD_INPUT;
}

/* Checks the next line, starting at offset, len bytes without the newline; complete is false
 * when the file ended before its newline. */
static int
s_check_line (s_checker_t *ck, const char *line, size_t len, bool complete, uint64_t offset)
{
    tsg_hub_audit_check_t *check = ck->check;
    ck->line++;
    if (!complete)
        return s_broken (ck, offset,
                         "the last line is incomplete (%zu bytes without a newline): a partial "
                         "write, or the file was cut",
                         len);
    if (len + 1 > TSG_HUB_AUDIT_LINE_MAX)
        return s_broken (ck, offset, "unparsable line: longer than %d bytes",
                         TSG_HUB_AUDIT_LINE_MAX);
    tsg_hub_audit_record_t record;
    uint8_t prev[32];
    const char *problem = NULL;
    if (!tsg_hub_audit_line_parse (line, len, &record, prev, &problem))
        return s_broken (ck, offset, "unparsable line: %s", problem);
    record.line = ck->line;
    if (record.seq != check->end.seq + 1)
        return s_broken (ck, offset, "sequence gap: expected seq %" PRIu64 ", found %" PRIu64,
                         check->end.seq + 1, record.seq);
    if (sodium_memcmp (prev, check->end.hash, 32) != 0) {
        if (check->end.seq == 0)
            return s_broken (ck, offset,
                             "bad prev link: the first record's prev_hash is not 32 "
                             "zero bytes");
        return s_broken (ck, offset, "bad prev link: prev_hash is not the hash of seq %" PRIu64,
                         check->end.seq);
    }
    uint8_t hash[32];
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    crypto_hash_sha256_update (&state, prev, 32);
    crypto_hash_sha256_update (&state, (const unsigned char *) record.json, record.json_len);
    crypto_hash_sha256_final (&state, hash);
    if (sodium_memcmp (hash, record.hash, 32) != 0)
        return s_broken (ck, offset,
                         "bad hash: SHA-256 (prev_hash || JSON) is not the hash on the line "
                         "(the record was changed)");
    if (!s_json_matches (&record))
        return s_broken (ck, offset,
                         "unparsable line: the JSON record is not an object repeating the line's "
                         "seq and time");
    check->count++;
    check->end.seq = record.seq;
    memcpy (check->end.hash, record.hash, 32);
    check->end.offset = offset + len + 1;
    if (ck->each)
        ck->each (ck->arg, &record);
    return TSG_OK;
}

/* Starts a check.  TSG_OK, or TSG_ERR_CRYPTO when libsodium cannot start. */
static int
s_checker_start (s_checker_t *ck, tsg_hub_audit_check_t *check, tsg_hub_audit_record_fn *each,
                 void *arg)
{
    memset (check, 0, sizeof *check);
    ck->check = check;
    ck->each = each;
    ck->arg = arg;
    ck->line = 0;
    if (sodium_init () < 0) {
        snprintf (check->why, sizeof check->why, "libsodium cannot start");
        return TSG_ERR_CRYPTO;
    }
    return TSG_OK;
}

int
tsg_hub_audit_check_buffer (const char *data, size_t len, tsg_hub_audit_check_t *check,
                            tsg_hub_audit_record_fn *each, void *arg)
{
    s_checker_t ck;
    int rc = s_checker_start (&ck, check, each, arg);
    if (rc != TSG_OK)
        return rc;
    size_t at = 0;
    while (at < len) {
        const char *newline = memchr (data + at, '\n', len - at);
        size_t line_len = newline ? (size_t) (newline - (data + at)) : len - at;
        rc = s_check_line (&ck, data + at, line_len, newline != NULL, at);
        if (rc != TSG_OK)
            return rc;
        at += line_len + 1;
    }
    return TSG_OK;
}

int
tsg_hub_audit_check_file (const char *path, tsg_hub_audit_check_t *check,
                          tsg_hub_audit_record_fn *each, void *arg)
{
    s_checker_t ck;
    int rc = s_checker_start (&ck, check, each, arg);
    if (rc != TSG_OK)
        return rc;
    FILE *file = fopen (path, "rbe");
    if (!file) {
        rc = errno == ENOENT ? TSG_ERR_NOT_FOUND : TSG_ERR_IO;
        snprintf (check->why, sizeof check->why, "cannot open %s: %s", path, strerror (errno));
        return rc;
    }
    /* One line at a time: a window of twice the longest line, refilled as lines are taken. */
    size_t capacity = 2 * TSG_HUB_AUDIT_LINE_MAX;
    char *window = malloc (capacity);
    if (!window) {
        fclose (file);
        snprintf (check->why, sizeof check->why, "out of memory");
        return TSG_ERR_NOMEM;
    }
    size_t start = 0, end = 0;
    uint64_t offset = 0;
    bool eof = false;
    while (rc == TSG_OK) {
        const char *newline = memchr (window + start, '\n', end - start);
        if (!newline && !eof && end - start < TSG_HUB_AUDIT_LINE_MAX) {
            memmove (window, window + start, end - start);
            end -= start;
            start = 0;
            size_t n = fread (window + end, 1, capacity - end, file);
            end += n;
            if (n == 0) {
                if (ferror (file)) {
                    snprintf (check->why, sizeof check->why, "cannot read %s: %s", path,
                              strerror (errno));
                    rc = TSG_ERR_IO;
                    break;
                }
                eof = true;
            }
            continue;
        }
        if (!newline && start == end)
            break; /* the end of the file, after a whole line */
        size_t line_len = newline ? (size_t) (newline - (window + start)) : end - start;
        /* No newline within the limit: too long (complete), or the file ended (incomplete). */
        bool complete = newline != NULL || !eof;
        rc = s_check_line (&ck, window + start, line_len, complete, offset);
        start += line_len + 1;
        offset += line_len + 1;
    }
    free (window);
    fclose (file);
    return rc;
}

int
tsg_hub_audit_verify (const char *path, uint64_t *count, uint64_t *bad_line, char *why,
                      size_t why_size)
{
    tsg_hub_audit_check_t check;
    int rc = tsg_hub_audit_check_file (path, &check, NULL, NULL);
    if (count)
        *count = check.count;
    if (bad_line)
        *bad_line = check.bad_line;
    if (why && why_size > 0)
        snprintf (why, why_size, "%s", check.why);
    return rc;
}
