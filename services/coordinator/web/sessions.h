/* Staff sessions of the dashboard, in memory: who logged in, when, and the token every form of
 * theirs must carry.  A session is named by a random cookie value that only the browser holds;
 * the table keeps its BLAKE2b hash, so a memory dump shows no usable cookie.  Sessions end on
 * logout, after an idle and an absolute lifetime, and when the coordinator stops (staff log in
 * again).  The table is bounded: when full, the session unused longest ends. */
#ifndef TSG_HUB_WEB_SESSIONS_H_INCLUDED
#define TSG_HUB_WEB_SESSIONS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sessions alive at once. */
#define TSG_WEB_SESSIONS_MAX 256
/* A cookie value or a CSRF token: 32 random bytes in unpadded base64url, and its NUL. */
#define TSG_WEB_TOKEN_SIZE 44
/* Longest user name, with its NUL. */
#define TSG_WEB_USER_SIZE 33

typedef struct _tsg_web_sessions_t tsg_web_sessions_t;

/* One session, as the pages see it. */
typedef struct {
    char user[TSG_WEB_USER_SIZE];  /* the staff member's user name */
    int role;                      /* their role when they logged in (users.h) */
    char csrf[TSG_WEB_TOKEN_SIZE]; /* the token each of their forms carries */
    uint64_t started_wall_ms;      /* when they logged in (wall clock, for password changes) */
    uint64_t started_ms;           /* ... (monotonic) */
    uint64_t used_ms;              /* the last request (monotonic) */
} tsg_web_session_t;

/* A new, empty table whose sessions last idle_ms unused and max_ms in all.  NULL on
 * allocation failure. */
tsg_web_sessions_t *tsg_web_sessions_new (uint64_t idle_ms, uint64_t max_ms);

/* Frees the table, wiping it; safe on NULL and twice. */
void tsg_web_sessions_destroy (tsg_web_sessions_t **self_p);

/* Starts a session for user with role at now_ms (monotonic) and wall_ms; writes the cookie
 * value to give the browser into cookie.  Returns the session (valid until the next call on
 * the table), or NULL when the random source failed. */
const tsg_web_session_t *tsg_web_sessions_start (tsg_web_sessions_t *self, const char *user,
                                                 int role, uint64_t now_ms, uint64_t wall_ms,
                                                 char cookie[TSG_WEB_TOKEN_SIZE]);

/* The live session the cookie value names at now_ms, marking it used; NULL when there is none
 * (unknown, malformed, expired: an expired one ends here). */
const tsg_web_session_t *tsg_web_sessions_find (tsg_web_sessions_t *self, const char *cookie,
                                                uint64_t now_ms);

/* Ends the session the cookie value names (no-op when none). */
void tsg_web_sessions_end (tsg_web_sessions_t *self, const char *cookie);

/* Ends every session of user (disabled, removed, or a new password). */
void tsg_web_sessions_end_user (tsg_web_sessions_t *self, const char *user);

/* Sessions alive at now_ms. */
size_t tsg_web_sessions_count (const tsg_web_sessions_t *self, uint64_t now_ms);

/* Writes 32 random bytes as unpadded base64url into out.  False when that failed. */
bool tsg_web_token_new (char out[TSG_WEB_TOKEN_SIZE]);

/* True when a and b are both tokens (43 base64url characters) and equal, compared in
 * constant time. */
bool tsg_web_token_equal (const char *a, const char *b);

#endif
