/* The coordinator's audit log: every routing decision, hash-chained in DATA_DIR/audit.log so
 * that `tsunaguctl audit verify` can check it offline.  Format and durability: audit.c. */
#ifndef TSG_HUB_AUDIT_H_INCLUDED
#define TSG_HUB_AUDIT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

typedef struct _tsg_hub_audit_t tsg_hub_audit_t;
/* Opens DATA_DIR/audit.log (0600, created when absent), reads the committed head (seq, hash,
 * offset) from META key "audit.head" through txn, and truncates the file back to that offset
 * (records of a batch whose LMDB commit never happened are dropped: those decisions will be made
 * again). */
int tsg_hub_audit_open (const char *data_dir, tsg_txn_t *txn, tsg_hub_audit_t **out);
void tsg_hub_audit_destroy (tsg_hub_audit_t **self_p);
/* Buffers one record for the current batch: event ("allowed", "refused", "withheld", "alert",
 * "consent-granted", "consent-revoked", "consent-expired", "case-event", ...), message id (may be
 * NULL), sender, recipient, kind, and a JSON object of details (basis, flags, code, detail, consent
 * id, case id) — ids and codes only, never personal data.  Takes a reference to details
 * (json_decref's it). */
void tsg_hub_audit_add (tsg_hub_audit_t *self, const char *event, const uint8_t *message_id,
                        const char *sender, const char *recipient, const char *kind,
                        json_t *details);
/* Appends the buffered records, fdatasyncs, and puts the new head into META within txn.  Call it as
 * the last step before tsg_txn_commit.  TSG_OK or an error (then the caller aborts the batch). */
int tsg_hub_audit_flush (tsg_hub_audit_t *self, tsg_txn_t *txn);
/* Flushes the buffered records into txn (when self is not NULL), commits txn, and rolls the
 * file back when the commit fails: the one way a transaction with audit records ends.
 * Returns tsg_txn_commit's answer (or the flush's error, with txn aborted). */
int tsg_hub_audit_commit (tsg_hub_audit_t *self, tsg_txn_t *txn);
/* After a failed commit: truncates the file back to the last committed head and drops the buffer.
 */
void tsg_hub_audit_rollback (tsg_hub_audit_t *self);
/* Verifies a whole audit file: TSG_OK with *count records, or TSG_ERR_BAD_INPUT with *bad_seq /
 * *bad_line and a sentence in why (first broken link). */
int tsg_hub_audit_verify (const char *path, uint64_t *count, uint64_t *bad_line, char *why,
                          size_t why_size);

/* add, flush and rollback do nothing on a NULL self (no audit log); flush then returns TSG_OK.
 * flush builds on the head the store's META holds as txn sees it (what is committed), writes
 * there and cuts the file after its records, so a batch flushed whose commit failed is
 * overwritten even when no rollback followed.  rollback must be called after the failed
 * transaction ended: it reads the committed head in a read transaction of its own. */

/* ---- Beyond the API above: what tsunaguctl, the tests and the fuzz target use. ---- */

#define TSG_HUB_AUDIT_FILE     "audit.log"  /* its name in the data directory */
#define TSG_HUB_AUDIT_HEAD_KEY "audit.head" /* its META key */
#define TSG_HUB_AUDIT_LINE_MAX 65536        /* longest record line, newline included */

/* Where a chain ends: its last record and the file offset just after it. */
typedef struct {
    uint64_t seq;     /* the last record's sequence (0: no record yet) */
    uint8_t hash[32]; /* the last record's hash (32 zero bytes: no record yet) */
    uint64_t offset;  /* bytes of the file the records take */
} tsg_hub_audit_head_t;

/* Decodes the 48 bytes of META "audit.head" (be64 seq, 32-byte hash, be64 offset) into *head;
 * false (and a zero head) when value is not that. */
bool tsg_hub_audit_head_decode (const void *value, size_t len, tsg_hub_audit_head_t *head);

/* Reads the committed head from META through txn into *head.  Returns true when the store
 * holds one; false (and a zero head) when it holds none or an unreadable one (*bad is then
 * set when the value was there but malformed; bad may be NULL). */
bool tsg_hub_audit_head_get (tsg_txn_t *txn, tsg_hub_audit_head_t *head, bool *bad);

/* The head the log has flushed so far (committed, or flushed into a transaction whose commit
 * has not been rolled back).  For tests and diagnostics. */
void tsg_hub_audit_head (const tsg_hub_audit_t *self, tsg_hub_audit_head_t *head);

/* Records buffered for the current batch (not yet flushed). */
size_t tsg_hub_audit_pending (const tsg_hub_audit_t *self);

/* One record that verified, as the checkers hand it to a callback. */
typedef struct {
    uint64_t seq;     /* its sequence, from 1 */
    char at[32];      /* its time, ISO-8601 UTC */
    uint8_t hash[32]; /* its hash */
    uint64_t line;    /* its line number, from 1 */
    const char *json; /* its JSON object text (not NUL-terminated; borrowed for the call) */
    size_t json_len;  /* bytes of json */
} tsg_hub_audit_record_t;

/* Splits one line (without its newline) into its fields: record (seq, at, hash, json) and
 * prev.  False with *problem naming the bad field. */
bool tsg_hub_audit_line_parse (const char *line, size_t len, tsg_hub_audit_record_t *record,
                               uint8_t prev[32], const char **problem);

typedef void (tsg_hub_audit_record_fn) (void *arg, const tsg_hub_audit_record_t *record);

/* What a check found. */
typedef struct {
    uint64_t count;           /* records that verified, in order from the first line */
    tsg_hub_audit_head_t end; /* the last record that verified, and the offset after it */
    uint64_t bad_line;        /* line (from 1) of the first broken link; 0 when the chain holds */
    uint64_t bad_seq;         /* the sequence expected on that line */
    uint64_t bad_offset;      /* where that line starts in the file */
    char why[256];            /* an English sentence on what is wrong there ("" when whole) */
} tsg_hub_audit_check_t;

/* Checks the chain in data[0..len): every line complete and well-formed, sequences from 1
 * without gaps, each prev_hash the hash before it (32 zero bytes first), each hash
 * SHA-256(prev_hash || JSON), and each JSON an object whose "seq" and "at" repeat the line's.
 * each (may be NULL) sees every record that verified, in order, before the first broken
 * link.  Returns TSG_OK, or TSG_ERR_BAD_INPUT with check->bad_* and why set. */
int tsg_hub_audit_check_buffer (const char *data, size_t len, tsg_hub_audit_check_t *check,
                                tsg_hub_audit_record_fn *each, void *arg);

/* The same over a file, read in pieces (the log may be large).  TSG_ERR_NOT_FOUND when the
 * file is absent, TSG_ERR_IO when it cannot be read (check->why says so). */
int tsg_hub_audit_check_file (const char *path, tsg_hub_audit_check_t *check,
                              tsg_hub_audit_record_fn *each, void *arg);

#endif
