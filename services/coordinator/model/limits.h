/* What the coordinator lets any one agency hold, and how long it remembers what it routed
 * (coordinator.conf [limits] and [retention], docs/configuration.md). */
#ifndef TSG_HUB_LIMITS_H_INCLUDED
#define TSG_HUB_LIMITS_H_INCLUDED

#include <stdint.h>

#include "tsunagu/tsg_config.h"

/* Defaults: one agency's letters waiting anywhere, and one agency's mailbox, each a bounded
 * share of the default 1 GiB store, so that no single agency (sending or offline) can fill
 * it for the others. */
#define TSG_HUB_SENDER_LETTERS_DEFAULT  50000
#define TSG_HUB_SENDER_BYTES_DEFAULT    (128ULL * 1024 * 1024)
#define TSG_HUB_MAILBOX_LETTERS_DEFAULT 100000
#define TSG_HUB_MAILBOX_BYTES_DEFAULT   (256ULL * 1024 * 1024)
/* Message ids are remembered this long; letters older than this are refused (clock check), so
 * a forgotten id can never be replayed. */
#define TSG_HUB_DEDUP_DAYS_DEFAULT 30
/* Records pruned per pass (one short write transaction, about once a second). */
#define TSG_HUB_PRUNE_BATCH 512
/* The store grows by doubling up to this ceiling (bytes) when it fills. */
#define TSG_HUB_MAP_MAX_DEFAULT (8ULL * 1024 * 1024 * 1024)
/* New letters are refused (store_full) once the store holds more than this share of its
 * ceiling, so that acknowledgements, refusals and pruning always find room. */
#define TSG_HUB_STORE_RESERVE_PERCENT 10

typedef struct {
    uint64_t sender_letters;  /* letters from one agency waiting in any mailbox */
    uint64_t sender_bytes;    /* ... and their bytes */
    uint64_t mailbox_letters; /* letters waiting in one agency's mailbox */
    uint64_t mailbox_bytes;   /* ... and their bytes */
    uint64_t dedup_ms; /* how long message ids are remembered (and the oldest letter taken) */
} tsg_hub_limits_t;

/* The defaults above. */
static inline tsg_hub_limits_t
tsg_hub_limits_default (void)
{
    tsg_hub_limits_t limits = {
        .sender_letters = TSG_HUB_SENDER_LETTERS_DEFAULT,
        .sender_bytes = TSG_HUB_SENDER_BYTES_DEFAULT,
        .mailbox_letters = TSG_HUB_MAILBOX_LETTERS_DEFAULT,
        .mailbox_bytes = TSG_HUB_MAILBOX_BYTES_DEFAULT,
        .dedup_ms = (uint64_t) TSG_HUB_DEDUP_DAYS_DEFAULT * 24 * 3600 * 1000,
    };
    return limits;
}

/* Reads [limits] and [retention] of cfg into *out (the defaults above for what is not set); a
 * bad value is recorded in cfg as an error with its line. */
void tsg_hub_limits_read (tsg_config_t *cfg, tsg_hub_limits_t *out);

#endif
