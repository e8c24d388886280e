/* The coordinator's store: its databases, how it is opened, and the registry of agencies in it.
 * Private to the coordinator (and read by tsunaguctl through the read side, tsunagu_hub_read);
 * the coordinator is its one writer (registry_write.c, through the control socket or --apply).
 *
 * Layout of a coordinator data directory:
 *     DIR/coordinator.conf          configuration (docs/configuration.md)
 *     DIR/keys/coordinator.key      secret keys, mode 0600
 *     DIR/keys/coordinator.pub      public keys
 *     DIR/store/                    the LMDB environment (databases below) */
#ifndef TSG_HUB_STORE_H_INCLUDED
#define TSG_HUB_STORE_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "tsunagu.pb-c.h"
#include "tsunagu/tsg_store.h"
#include "tsunagu/tsunagu.h"

/* The coordinator's databases, in the order tsg_hub_store_open names them. */
enum {
    TSG_HUB_DB_META, /* string key → value: "registry.generation" (be64), "mailbox.next" (be64) */
    TSG_HUB_DB_AGENCIES,    /* agency id → AgencyEntry */
    TSG_HUB_DB_MAILBOX,     /* recipient id, NUL, be64 seq → MailboxEntry (coordinator-private) */
    TSG_HUB_DB_MESSAGES,    /* message id (16 bytes) → what became of it (dedup, 30 days);
                               message id + agency id → one fan-out copy's delivery */
    TSG_HUB_DB_SENDERS,     /* agency id → be64 last stored sequence */
    TSG_HUB_DB_REFERRALS,   /* referral id → state, version, parties, due dates (no bodies) */
    TSG_HUB_DB_DUE,         /* u8 kind, be64 due ms, referral id → case id, recipient id (36 +
                               1..32 bytes; older entries the case id alone): overdue lists */
    TSG_HUB_DB_CASES,       /* case id → state, version, agencies, tags, roster, figures */
    TSG_HUB_DB_CASE_EVENTS, /* case id, NUL, be64 n → one timeline event (metadata only) */
    TSG_HUB_DB_CASE_BY_STATE,  /* state name, NUL, case id → empty */
    TSG_HUB_DB_CASE_BY_AGENCY, /* agency id, NUL, case id → empty */
    TSG_HUB_DB_CASE_BY_TAG,    /* tag, NUL, case id → empty */
    TSG_HUB_DB_STATS,          /* counter name → be64: indicators read without scanning */
    TSG_HUB_DB_CONSENTS,       /* consent id → the consent register's record (no personal data) */
    TSG_HUB_DB_CONSENT_INDEX,  /* 'c' case id, consent id | 'e' be64 end ms, consent id |
                                  'm' consent id, mailbox key → empty: consents by case, by
                                  expiry, and the mailbox entries that rely on each */
    TSG_HUB_DB_ALERTS,         /* be64 n → one emergency alert (ids and codes only) */
    TSG_HUB_DB_CASE_ORDER,     /* u8 order, u8 facet, value, NUL, be64 key, case id → summary:
                                  cases by facet in id, updated and created order (case_index.c) */
    TSG_HUB_DB_CASE_DUE,       /* case id, be64 due ms, u8 kind, referral id → empty: a case's
                                  awaiting referrals, earliest due first (case_index.c) */
    TSG_HUB_DB_USERS,          /* staff login name → role, flags, password hash (users.c) */
    TSG_HUB_DB_REPORTS,        /* "YYYY-MM" (Japan time), NUL, figure → be64 or histogram */
    TSG_HUB_DB_COUNT
};

/* The META key of the registry's generation (be64). */
#define TSG_REGISTRY_GENERATION_KEY "registry.generation"

/* Opens DIR/store with the databases above.  map_size 0 means 1 GiB. */
int tsg_hub_store_open (const char *data_dir, size_t map_size, tsg_store_t **out);

/* Writes entry (replacing one with the same id) and bumps the registry generation,
 * so a running coordinator reloads its registry and pushes a new directory. */
void tsg_registry_put (tsg_txn_t *txn, const Tsunagu__V1__AgencyEntry *entry);

/* The entry for id (caller frees with tsunagu__v1__agency_entry__free_unpacked
 * (entry, NULL)), or NULL when absent or unreadable. */
Tsunagu__V1__AgencyEntry *tsg_registry_get (tsg_txn_t *txn, const char *id);

/* Every entry, sorted by id, in a new array the caller frees with tsg_registry_free_list. */
int tsg_registry_list (tsg_txn_t *txn, Tsunagu__V1__AgencyEntry ***entries, size_t *count);
void tsg_registry_free_list (Tsunagu__V1__AgencyEntry **entries, size_t count);

/* Moves the registry generation on in txn, so the running coordinator reloads and sends
 * every agency a new directory (the registry itself unchanged: the coordinator's own keys). */
void tsg_registry_touch (tsg_txn_t *txn);

/* Ends agency id's key rotation: its next keys become its keys (and the old ones are refused
 * from then on), in txn.  True when there was a rotation to end. */
bool tsg_registry_switch_keys (tsg_txn_t *txn, const char *id);

/* Records whether agency id verifies batch proofs (what its HELLO says), so that the directory
 * tells the others whether they may sign letters to it in batches.  True when that changed
 * (the registry was written); false when it did not or id is not registered. */
bool tsg_registry_set_batch_proofs (tsg_txn_t *txn, const char *id, bool verifies);

/* Changes each time the registry is written; 0 for a new store. */
uint64_t tsg_registry_generation (tsg_txn_t *txn);

#endif
