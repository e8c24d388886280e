/* The login guard: how often a password may be tried.  Three limits, each in memory:
 *   - per user name: after TSG_WEB_GUARD_FREE consecutive failures the name is locked for
 *     60 s, doubling with each further failure up to an hour; a success clears it;
 *   - per client address: the same after 4 × TSG_WEB_GUARD_FREE failures (many names tried
 *     from one place);
 *   - in all: at most TSG_WEB_GUARD_RATE password checks a second, since each costs an
 *     Argon2id hash in the coordinator's one loop (≈ 20–40 ms): the loop never spends more
 *     than a fraction of its time on logins, however many arrive.
 * The tables are bounded: the entry unused longest makes room, never a locked one while any is
 * not (so failing many other names does not unlock one).  A restart clears them: an
 * attacker cannot restart the coordinator, and an administrator may want exactly that. */
#ifndef TSG_HUB_WEB_GUARD_H_INCLUDED
#define TSG_HUB_WEB_GUARD_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define TSG_WEB_GUARD_FREE     5       /* failures before a lock */
#define TSG_WEB_GUARD_LOCK_MS  60000   /* the first lock */
#define TSG_WEB_GUARD_LOCK_MAX 3600000 /* the longest */
#define TSG_WEB_GUARD_RATE     5       /* password checks a second, in all */
#define TSG_WEB_GUARD_ENTRIES  512     /* names and addresses remembered, each */

typedef struct _tsg_web_guard_t tsg_web_guard_t;

/* What the guard says of an attempt. */
typedef enum {
    TSG_WEB_GUARD_TRY = 0, /* check the password */
    TSG_WEB_GUARD_LOCKED,  /* the name or the address is locked: do not check */
    TSG_WEB_GUARD_BUSY,    /* too many checks this second: ask again shortly */
} tsg_web_guard_verdict_t;

tsg_web_guard_t *tsg_web_guard_new (void);
void tsg_web_guard_destroy (tsg_web_guard_t **self_p);

/* Whether name may be tried from address at now_ms (monotonic); *wait_s receives how long
 * until it may (0 for TRY).  TRY takes one check from this second's allowance. */
tsg_web_guard_verdict_t tsg_web_guard_ask (tsg_web_guard_t *self, const char *name,
                                           const char *address, uint64_t now_ms, unsigned *wait_s);

/* The outcome of a check: a failure counts against name and address, and returns true when it
 * locked one of them just now (for the audit log); a success clears name's failures. */
bool tsg_web_guard_failed (tsg_web_guard_t *self, const char *name, const char *address,
                           uint64_t now_ms);
void tsg_web_guard_succeeded (tsg_web_guard_t *self, const char *name);

#endif
