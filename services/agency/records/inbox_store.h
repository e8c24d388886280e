/* The inbox as stored: every forwarded letter this agency accepted, in arrival order.
 *
 *   inbox       be64 cursor → be64 received_at_ms || sender box_public (32) || u8 n ||
 *               sender type (n) || be16 m || sender name (m) || Envelope as received (the
 *               body stays encrypted at rest, and the envelope stays verifiable)
 *
 * The body is opened when the letter comes in (its kind checks it) and again when the API
 * reads it (records/sealed.h counts both): keeping the opened body beside the envelope would
 * double what the inbox holds on disk. */
#ifndef AGENCY_RECORDS_INBOX_STORE_H_INCLUDED
#define AGENCY_RECORDS_INBOX_STORE_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/directory.h"

/* One inbox entry as read back; the pointers point into the value read (valid until its
 * transaction ends), name is the caller's to free. */
typedef struct {
    uint64_t received_at;      /* when it arrived (UTC ms) */
    const uint8_t *box;        /* the sender's box key then (32 bytes) */
    char type[TSG_ID_MAX + 1]; /* the sender's type then, as the signed directory said */
    char *name;                /* the sender's name then (owned) */
    const uint8_t *frame;      /* the envelope as received */
    size_t frame_len;          /* its size */
} agency_inbox_entry_t;

/* Writes the frame from sender (as the directory lists it now) at cursor, received at
 * received_ms. */
void agency_inbox_store_put (tsg_txn_t *txn, uint64_t cursor, const agency_entry_t *sender,
                             const uint8_t *data, size_t len, uint64_t received_ms);

/* Reads an inbox value into *out (release out->name); false when it is not one. */
bool agency_inbox_store_parse (const MDB_val *val, agency_inbox_entry_t *out);

#endif
