/* audit.c — the coordinator's hash-chained audit log of routing decisions, and its checker.
 *
 * File: DATA_DIR/audit.log, mode 0600, one record per line, fields separated by one space:
 *
 *     <seq> <at> <prev_hash> <hash> <json>\n
 *
 *   seq        decimal, no leading zeros, 1 for the first record, each next one +1
 *   at         the decision's time, ISO-8601 UTC with milliseconds ("2026-11-23T07:00:00.123Z")
 *   prev_hash  64 lowercase hex digits: the hash of the record before (32 zero bytes for seq 1)
 *   hash       64 lowercase hex digits: SHA-256 (prev_hash bytes || json bytes)
 *   json       a compact JSON object (UTF-8, no newline):
 *              {"seq":n,"at":"...","event":"allowed","message_id":"<32 hex>","sender":"...",
 *               "recipient":"...","kind":"...","details":{...}}
 *              seq and at repeat the line's fields, so the hash covers every byte of the line
 *              but the hashes themselves (which the chain covers).  message_id, sender,
 *              recipient, kind and details appear only when given.  Ids, codes and the legal
 *              basis only: never personal data.
 *
 * Durability, with the hub's group commit: the records of a batch are buffered (tsg_hub_audit_add);
 * tsg_hub_audit_flush, just before the batch's write transaction commits, reads the committed head
 * from META "audit.head" (be64 seq, 32-byte hash, be64 offset: 48 bytes) through that
 * transaction, numbers and chains the records from it, writes them at its offset, cuts the file
 * after them and fdatasyncs, then puts the new head into META in the same transaction.  So a
 * committed decision is always in the file, and the store's head is the one truth about where the
 * chain ends: a flushed batch whose commit failed is cut off again (tsg_hub_audit_rollback, or
 * overwritten by the next flush if no rollback came), and after a crash between the fdatasync and
 * the commit tsg_hub_audit_open truncates the file back to the committed head (keeping what it cuts
 * in DATA_DIR/audit.dropped-<ms>.log): those decisions are made again when the letters are resent.
 * A file shorter than the committed head means records were lost: the log is not opened.
 *
 * Every write transaction that adds records must flush them before its commit; records added
 * and not flushed stay buffered for the next flush (or are dropped by a rollback). */
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
#include "coordinator/model/data_check.h"

#define S_HEAD_SIZE 48 /* be64 seq, 32-byte hash, be64 offset */
#define S_AT_LEN    24 /* "2026-11-23T07:00:00.123Z" */

struct _tsg_hub_audit_t {
    char *path;                   /* DATA_DIR/audit.log */
    int fd;                       /* the file, open for reading and writing; -1 once closed */
    tsg_store_t *store;           /* the store whose META holds the head (borrowed) */
    tsg_hub_audit_head_t base;    /* the committed head the last flush built on */
    tsg_hub_audit_head_t written; /* the head after the last flush (or open, or rollback) */
    json_t **records;             /* the batch's records, numbered and hashed at the flush */
    size_t count;                 /* records in use */
    size_t capacity;              /* records allocated */
    bool lost;                    /* a record could not be kept: the next flush fails */
    char *lines;                  /* the lines a flush writes (kept for the next one) */
    size_t lines_capacity;        /* bytes of lines allocated */
};

/* ---------------------------------------------------------------------------------------------
 * Writing */

/* Forgets the records of the batch. */
static void
s_drop (tsg_hub_audit_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        json_decref (self->records[i]);
    self->count = 0;
    self->lost = false;
}

/* Cuts the file back to head, which becomes the log's head.  False when it cannot (logged): the
 * next flush writes at the committed head and cuts after itself all the same. */
static bool
s_cut (tsg_hub_audit_t *self, const tsg_hub_audit_head_t *head)
{
    self->written = *head;
    if (ftruncate (self->fd, (off_t) head->offset) != 0 || fdatasync (self->fd) != 0) {
        log_warn ("audit: cannot cut %s back to %" PRIu64 " bytes", self->path, head->offset);
        return false;
    }
    return true;
}

/* Writes len bytes at offset, whole.  0, or -1 with errno. */
static int
s_pwrite_all (int fd, const char *data, size_t len, uint64_t offset)
{
    while (len > 0) {
        ssize_t n = pwrite (fd, data, len, (off_t) offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        data += n;
        len -= (size_t) n;
        offset += (uint64_t) n;
    }
    return 0;
}

/* Reads up to len bytes at offset.  Bytes read, or -1 with errno. */
static ssize_t
s_pread_all (int fd, char *data, size_t len, uint64_t offset)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread (fd, data + done, len - done, (off_t) (offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += (size_t) n;
    }
    return (ssize_t) done;
}

/* Sets key to a string when value is one jansson takes (valid UTF-8); leaves it out otherwise. */
static void
s_set_text (json_t *object, const char *key, const char *value)
{
    if (value)
        json_object_set_new (object, key, json_string (value));
}

void
tsg_hub_audit_add (tsg_hub_audit_t *self, const char *event, const uint8_t *message_id,
                   const char *sender, const char *recipient, const char *kind, json_t *details)
{
    if (!self) {
        json_decref (details);
        return;
    }
    json_t *record = json_object ();
    if (record) {
        char at[32];
        tsg_iso8601 (tsg_now_ms (), at);
        json_object_set_new (record, "seq", json_integer (0)); /* numbered at the flush */
        json_object_set_new (record, "at", json_string (at));
        s_set_text (record, "event", event ? event : "unknown");
        if (message_id) {
            char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
            tsg_hex_encode (message_id, TSG_MESSAGE_ID_SIZE, hex);
            json_object_set_new (record, "message_id", json_string (hex));
        }
        s_set_text (record, "sender", sender);
        s_set_text (record, "recipient", recipient);
        s_set_text (record, "kind", kind);
        if (details)
            json_object_set (record, "details", details);
    }
    json_decref (details);
    if (record && self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : 64;
        json_t **grown = realloc (self->records, capacity * sizeof *grown);
        if (grown) {
            self->records = grown;
            self->capacity = capacity;
        }
    }
    if (!record || self->count == self->capacity) {
        log_warnx ("audit: out of memory for a %s record; the batch will not commit",
                   event ? event : "?");
        json_decref (record);
        self->lost = true;
        return;
    }
    self->records[self->count++] = record;
}

/* Appends record's line, numbered seq and chained to *tail (then moved to it), to the flush's
 * lines.  False when memory ran out. */
static bool
s_render (tsg_hub_audit_t *self, json_t *record, uint64_t seq, uint8_t tail[32], size_t *used)
{
    json_object_set_new (record, "seq", json_integer ((json_int_t) seq));
    char *json = json_dumps (record, JSON_COMPACT);
    /* The fields before the JSON take at most 20 + 1 + 24 + 1 + 64 + 1 + 64 + 1 bytes. */
    if (json && strlen (json) > TSG_HUB_AUDIT_LINE_MAX - 200) {
        log_warnx ("audit: the details of record %" PRIu64 " are too long; recorded without them",
                   seq);
        free (json);
        json_object_del (record, "details");
        json_object_set_new (record, "details_dropped", json_true ());
        json = json_dumps (record, JSON_COMPACT);
    }
    if (!json)
        return false;
    size_t json_len = strlen (json);
    size_t need = *used + json_len + 200;
    if (need > self->lines_capacity) {
        size_t capacity = self->lines_capacity ? self->lines_capacity : 4096;
        while (capacity < need)
            capacity *= 2;
        char *grown = realloc (self->lines, capacity);
        if (!grown) {
            free (json);
            return false;
        }
        self->lines = grown;
        self->lines_capacity = capacity;
    }
    uint8_t hash[32];
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    crypto_hash_sha256_update (&state, tail, 32);
    crypto_hash_sha256_update (&state, (const unsigned char *) json, json_len);
    crypto_hash_sha256_final (&state, hash);
    char prev_hex[65], hash_hex[65];
    tsg_hex_encode (tail, 32, prev_hex);
    tsg_hex_encode (hash, 32, hash_hex);
    int n = snprintf (self->lines + *used, self->lines_capacity - *used,
                      "%" PRIu64 " %s %s %s %s\n", seq,
                      json_string_value (json_object_get (record, "at")), prev_hex, hash_hex, json);
    free (json);
    if (n < 0 || (size_t) n >= self->lines_capacity - *used)
        return false;
    *used += (size_t) n;
    memcpy (tail, hash, 32);
    return true;
}

int
tsg_hub_audit_flush (tsg_hub_audit_t *self, tsg_txn_t *txn)
{
    if (!self)
        return TSG_OK;
    if (txn->rc != TSG_OK || self->lost) {
        int rc = txn->rc != TSG_OK ? txn->rc : TSG_ERR_NOMEM;
        s_drop (self); /* the batch will not commit: its decisions will be made again */
        return rc;
    }
    if (self->count == 0)
        return TSG_OK;
    /* The store's head, as this transaction sees it, is what is committed: build on it. */
    tsg_hub_audit_head_t base;
    bool bad = false;
    tsg_hub_audit_head_get (txn, &base, &bad);
    if (txn->rc != TSG_OK || bad) {
        int rc = txn->rc != TSG_OK ? txn->rc : TSG_ERR_STORE;
        log_warnx ("audit: cannot read the committed head: %s", tsg_strerror (rc));
        s_drop (self);
        return rc;
    }
    tsg_hub_audit_head_t head = base;
    size_t used = 0;
    for (size_t i = 0; i < self->count; i++) {
        if (!s_render (self, self->records[i], base.seq + i + 1, head.hash, &used)) {
            log_warnx ("audit: out of memory for %zu records; the batch will not commit",
                       self->count);
            s_drop (self);
            return TSG_ERR_NOMEM;
        }
    }
    head.seq = base.seq + self->count;
    head.offset = base.offset + used;
    /* Whatever lies past the committed head (a batch that did not commit) goes. */
    if (s_pwrite_all (self->fd, self->lines, used, base.offset) != 0
        || ftruncate (self->fd, (off_t) head.offset) != 0 || fdatasync (self->fd) != 0) {
        log_warn ("audit: cannot write %zu records to %s", self->count, self->path);
        s_drop (self);
        s_cut (self, &base);
        return TSG_ERR_IO;
    }
    uint8_t value[S_HEAD_SIZE];
    tsg_be64_put (value, head.seq);
    memcpy (value + 8, head.hash, 32);
    tsg_be64_put (value + 40, head.offset);
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_META), TSG_HUB_AUDIT_HEAD_KEY,
                 strlen (TSG_HUB_AUDIT_HEAD_KEY), value, sizeof value);
    s_drop (self);
    self->base = base;
    if (txn->rc != TSG_OK) {
        s_cut (self, &base);
        return txn->rc;
    }
    self->written = head;
    return TSG_OK;
}

int
tsg_hub_audit_commit (tsg_hub_audit_t *self, tsg_txn_t *txn)
{
    if (self && txn->rc == TSG_OK && tsg_hub_audit_flush (self, txn) != TSG_OK && txn->rc == TSG_OK)
        txn->rc = TSG_ERR_IO;
    int rc = tsg_txn_commit (txn);
    if (rc != TSG_OK && self)
        tsg_hub_audit_rollback (self);
    return rc;
}

void
tsg_hub_audit_rollback (tsg_hub_audit_t *self)
{
    if (!self)
        return;
    s_drop (self);
    /* What the store holds now is the truth; the head the last flush built on if it cannot
     * be read. */
    tsg_hub_audit_head_t committed = self->base;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    bool bad = false;
    tsg_hub_audit_head_t stored;
    tsg_hub_audit_head_get (&txn, &stored, &bad);
    if (txn.rc == TSG_OK && !bad)
        committed = stored;
    tsg_txn_abort (&txn);
    self->base = committed;
    s_cut (self, &committed);
}

void
tsg_hub_audit_head (const tsg_hub_audit_t *self, tsg_hub_audit_head_t *head)
{
    *head = self->written;
}

size_t
tsg_hub_audit_pending (const tsg_hub_audit_t *self)
{
    return self->count;
}

/* Makes the file's name durable in its directory (once, when the file was created). */
static void
s_sync_dir (const char *data_dir)
{
    int dfd = open (data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync (dfd) != 0)
        log_warn ("audit: cannot sync %s", data_dir);
    if (dfd >= 0)
        close (dfd);
}

/* Warns when the committed head's record in the file is not the one the store remembers:
 * the file was edited (`tsunaguctl audit verify` says where).  The chain goes on from the
 * store's head all the same. */
static void
s_check_tail (tsg_hub_audit_t *self)
{
    const tsg_hub_audit_head_t *head = &self->base;
    if (head->seq == 0 || head->offset == 0)
        return;
    bool ok = tsg_hub_audit_tail_matches (self->fd, head);
    if (!ok)
        log_warnx ("audit: the last committed record of %s (seq %" PRIu64 ") is not the one the "
                   "store remembers: the file was changed; run tsunaguctl audit verify",
                   self->path, head->seq);
}

/* Before the bytes past the committed head are cut off, copies them to
 * DATA_DIR/audit.dropped-<ms>.log (0600): normally one batch that did not commit before a stop,
 * but should the store have been restored from an older backup, they are decisions that were
 * made, and an auditor will want them. */
static void
s_keep_dropped (tsg_hub_audit_t *self, const char *data_dir, uint64_t size)
{
    char path[PATH_MAX];
    uint64_t from = self->base.offset;
    snprintf (path, sizeof path, "%s/audit.dropped-%" PRIu64 ".log", data_dir, tsg_now_ms ());
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0;
    char chunk[8192];
    for (uint64_t at = from; ok && at < size;) {
        size_t want = size - at < sizeof chunk ? (size_t) (size - at) : sizeof chunk;
        ssize_t got = s_pread_all (self->fd, chunk, want, at);
        ok = got > 0 && s_pwrite_all (fd, chunk, (size_t) got, at - from) == 0;
        at += got > 0 ? (uint64_t) got : 0;
    }
    if (ok)
        ok = fdatasync (fd) == 0;
    if (fd >= 0)
        close (fd);
    if (ok)
        log_info ("audit: %" PRIu64 " bytes of %s past the committed head (seq %" PRIu64
                  ") were not committed: cut off, kept in %s",
                  size - from, self->path, self->base.seq, path);
    else
        log_warn ("audit: %" PRIu64 " bytes of %s past the committed head are cut off; "
                  "cannot keep them in %s",
                  size - from, self->path, path);
}

int
tsg_hub_audit_open (const char *data_dir, tsg_txn_t *txn, tsg_hub_audit_t **out)
{
    if (sodium_init () < 0)
        return TSG_ERR_CRYPTO;
    tsg_hub_audit_head_t head;
    bool bad = false;
    tsg_hub_audit_head_get (txn, &head, &bad);
    if (txn->rc != TSG_OK) {
        log_warnx ("audit: cannot read the audit head: %s", tsg_strerror (txn->rc));
        return txn->rc;
    }
    if (bad) {
        log_warnx ("audit: the store's %s is malformed", TSG_HUB_AUDIT_HEAD_KEY);
        return TSG_ERR_STORE;
    }
    tsg_hub_audit_t *self = calloc (1, sizeof *self);
    size_t path_len = strlen (data_dir) + sizeof "/" TSG_HUB_AUDIT_FILE;
    if (self)
        self->path = malloc (path_len);
    if (!self || !self->path) {
        free (self);
        return TSG_ERR_NOMEM;
    }
    snprintf (self->path, path_len, "%s/%s", data_dir, TSG_HUB_AUDIT_FILE);
    self->store = txn->store;
    self->base = self->written = head;
    bool created = false;
    self->fd = open (self->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (self->fd >= 0)
        created = true;
    else if (errno == EEXIST)
        self->fd = open (self->path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (self->fd < 0 || fstat (self->fd, &st) != 0) {
        log_warn ("audit: cannot open %s", self->path);
        tsg_hub_audit_destroy (&self);
        return TSG_ERR_IO;
    }
    if (created)
        s_sync_dir (data_dir);
    uint64_t size = (uint64_t) st.st_size;
    if (size < head.offset) {
        log_warnx ("audit: %s holds %" PRIu64
                   " bytes but the store's audit head is at byte %" PRIu64 " (seq %" PRIu64
                   "): records were lost (the file was truncated or replaced); "
                   "restore it before starting",
                   self->path, size, head.offset, head.seq);
        tsg_hub_audit_destroy (&self);
        return TSG_ERR_IO;
    }
    if (size > head.offset) {
        s_keep_dropped (self, data_dir, size);
        if (!s_cut (self, &head)) {
            tsg_hub_audit_destroy (&self);
            return TSG_ERR_IO;
        }
    }
    s_check_tail (self);
    *out = self;
    return TSG_OK;
}

void
tsg_hub_audit_destroy (tsg_hub_audit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_audit_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);
    s_drop (self);
    free (self->records);
    free (self->lines);
    free (self->path);
    free (self);
    *self_p = NULL;
}
