/* Per-agency connection state: which connection an agency is on and what was forwarded to it. */
#ifndef TSG_HUB_SESSIONS_H_INCLUDED
#define TSG_HUB_SESSIONS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* Forwarded letters a session may have unacknowledged (proto/README.md §4). */
#define TSG_HUB_WINDOW 1000
/* Longest ZeroMQ routing id. */
#define TSG_HUB_RID_MAX 255

typedef struct _tsg_hub_sessions_t tsg_hub_sessions_t;
typedef struct _tsg_hub_session_t tsg_hub_session_t;

/* A new, empty table.  NULL on allocation failure. */
tsg_hub_sessions_t *tsg_hub_sessions_new (void);

/* Frees every session; safe on NULL and twice. */
void tsg_hub_sessions_destroy (tsg_hub_sessions_t **self_p);

/* The session of agency id, noting that it spoke at now (monotonic ms) over routing id rid.
 * When id has no session, a new session starts and *started is set true.  When it has one on
 * another routing id, the new connection replaces it only when may_replace (the message opens
 * with a HELLO, which an agency sends first on every connection): letters still queued on a
 * dying connection must not flip the session back and forth.  Otherwise the old session is
 * returned unchanged.  NULL on allocation failure. */
tsg_hub_session_t *tsg_hub_sessions_touch (tsg_hub_sessions_t *self, const char *id,
                                           const uint8_t *rid, size_t rid_len, uint64_t now,
                                           bool may_replace, bool *started);

/* The session of agency id, or NULL. */
tsg_hub_session_t *tsg_hub_sessions_find (tsg_hub_sessions_t *self, const char *id);

/* Ends the session of id (if any), logging why. */
void tsg_hub_sessions_drop (tsg_hub_sessions_t *self, const char *id, const char *why);

/* Ends every session that has been silent for idle_ms.  Returns how many ended. */
size_t tsg_hub_sessions_expire (tsg_hub_sessions_t *self, uint64_t now, uint64_t idle_ms);

/* Number of sessions, and the index-th (any order; a drop may reorder them). */
size_t tsg_hub_sessions_size (const tsg_hub_sessions_t *self);
tsg_hub_session_t *tsg_hub_sessions_at (tsg_hub_sessions_t *self, size_t index);

/* Monotonic ms of the session's last message. */
uint64_t tsg_hub_session_last_seen (const tsg_hub_session_t *self);

/* The agency id and routing id of a session (borrowed). */
const char *tsg_hub_session_id (const tsg_hub_session_t *self);
const uint8_t *tsg_hub_session_rid (const tsg_hub_session_t *self, size_t *len);

/* Forwarding: the mailbox sequence to read from next, whether more may be sent now (fewer
 * than TSG_HUB_WINDOW in flight), and how many are unacknowledged. */
uint64_t tsg_hub_session_next_seq (const tsg_hub_session_t *self);
bool tsg_hub_session_window_open (const tsg_hub_session_t *self);
size_t tsg_hub_session_outstanding (const tsg_hub_session_t *self);

/* How many more letters may be forwarded before the window is full. */
size_t tsg_hub_session_room (const tsg_hub_session_t *self);

/* Records that mailbox entry seq (greater than any sent before) was forwarded at now. */
void tsg_hub_session_sent (tsg_hub_session_t *self, uint64_t seq, uint64_t now);

/* Records that mailbox entry seq was acknowledged at now (unknown seqs are ignored). */
void tsg_hub_session_acked (tsg_hub_session_t *self, uint64_t seq, uint64_t now);

/* When letters are outstanding and none was acknowledged for stall_ms, forgets them and
 * starts again from the oldest mail.  Returns true when it did. */
bool tsg_hub_session_check_stall (tsg_hub_session_t *self, uint64_t now, uint64_t stall_ms);

/* Rewinds asked for more often than this are not done (each one resends up to a window of
 * mail: a peer must not turn one small HELLO into a thousand letters, again and again). */
#define TSG_HUB_REWIND_MIN_MS 1000

/* The agency asked for its mailbox again (its store failed to commit what was forwarded):
 * forgets what is outstanding and starts again from the oldest mail, as after a stall.
 * Returns false, changing nothing, when the last rewind was less than TSG_HUB_REWIND_MIN_MS
 * ago (the agency asks again a second later). */
bool tsg_hub_session_rewind (tsg_hub_session_t *self, uint64_t now);

/* Whether forwarding should be tried (new mail, window opened, an earlier try blocked),
 * and not before when (monotonic ms). */
void tsg_hub_session_want (tsg_hub_session_t *self, bool want, uint64_t not_before);
bool tsg_hub_session_wants (const tsg_hub_session_t *self, uint64_t now);

/* Whether the session still needs a DIRECTORY (set at start and when the registry changes). */
void tsg_hub_session_set_directory_due (tsg_hub_session_t *self, bool due);
bool tsg_hub_session_directory_due (const tsg_hub_session_t *self);

/* The coordinator's next signing key the agency's last HELLO said it holds (NULL: it named
 * none), and whether it is sign_public: during a rotation of the coordinator's own keys, the
 * switch waits until every active agency holds them (model/rotation.h). */
void tsg_hub_session_set_holds (tsg_hub_session_t *self, const uint8_t sign_public[32]);
bool tsg_hub_session_holds (const tsg_hub_session_t *self, const uint8_t sign_public[32]);

#endif
