/* A log throttle: a bounded table that lets the first of a run of like events be logged in
 * full and turns the rest into at most one summary per key per window, so that a client
 * repeating a refused request cannot fill the log.
 *
 *     tsg_throttle_t *throttle = tsg_throttle_new (256, 60000, 16, s_summary, self);
 *     if (tsg_throttle_hit (throttle, address, key_text, now))
 *         log_info ("refused %s from %s", key_text, address);    // the first: in full
 *     ...
 *     tsg_throttle_flush (throttle, now);      // from time to time: the summaries that are due
 *     tsg_throttle_destroy (&throttle);        // writes the summaries still pending
 *
 * A key's window starts when it is first seen (and again at each summary).  Events of the key
 * inside the window are counted; the first event after a window with none is logged in full
 * again.  When the table is full the key seen longest ago is dropped (its pending count goes
 * out as a summary first).  At most fresh_max keys per window are logged in full: events of
 * further new keys are counted together (key NULL in the summary), so many addresses cannot
 * flood the log either. */
#ifndef TSG_THROTTLE_H_INCLUDED
#define TSG_THROTTLE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _tsg_throttle_t tsg_throttle_t;

/* A summary: count events of key (NULL: of keys past fresh_max, together) in the last
 * elapsed_ms, the latest with detail (may be "").  key and detail are borrowed for the call. */
typedef void (tsg_throttle_fn) (void *arg, const char *key, const char *detail, uint64_t count,
                                uint64_t elapsed_ms);

/* Longest key and detail kept; longer ones are cut. */
#define TSG_THROTTLE_KEY_MAX    63
#define TSG_THROTTLE_DETAIL_MAX 255

/* A table of slots keys (at least 1) with windows of window_ms; at most fresh_max new keys
 * are logged in full per window.  summary (with arg) writes the summaries.  NULL when out of
 * memory. */
tsg_throttle_t *tsg_throttle_new (size_t slots, uint64_t window_ms, size_t fresh_max,
                                  tsg_throttle_fn *summary, void *arg);

/* Writes every pending summary, then frees the table; safe on NULL and twice. */
void tsg_throttle_destroy (tsg_throttle_t **self_p);

/* Counts one event of key (with detail, may be NULL) at now_ms.  True when the caller should
 * log this one in full; false when it was counted for a summary.  A summary that fell due on
 * the way (this key's, or an evicted key's) is written first. */
bool tsg_throttle_hit (tsg_throttle_t *self, const char *key, const char *detail, uint64_t now_ms);

/* Writes the summaries whose window ended by now_ms.  Cheap when none is due. */
void tsg_throttle_flush (tsg_throttle_t *self, uint64_t now_ms);

/* Events counted since the table was made (logged in full or not). */
uint64_t tsg_throttle_total (const tsg_throttle_t *self);

#endif
