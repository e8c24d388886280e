/* sessions.c — the dashboard's staff sessions in memory (sessions.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/sessions.h"

/* One slot of the table. */
typedef struct {
    bool used;                 /* holds a session */
    uint8_t cookie_hash[32];   /* BLAKE2b-256 of the cookie value */
    tsg_web_session_t session; /* what the pages see */
} s_slot_t;

struct _tsg_web_sessions_t {
    uint64_t idle_ms;                     /* lifetime unused */
    uint64_t max_ms;                      /* lifetime in all */
    s_slot_t slots[TSG_WEB_SESSIONS_MAX]; /* the sessions */
};

tsg_web_sessions_t *
tsg_web_sessions_new (uint64_t idle_ms, uint64_t max_ms)
{
    tsg_web_sessions_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->idle_ms = idle_ms;
    self->max_ms = max_ms;
    return self;
}

void
tsg_web_sessions_destroy (tsg_web_sessions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_memzero (*self_p, sizeof **self_p);
    free (*self_p);
    *self_p = NULL;
}

bool
tsg_web_token_new (char out[TSG_WEB_TOKEN_SIZE])
{
    uint8_t bytes[32];
    randombytes_buf (bytes, sizeof bytes);
    sodium_bin2base64 (out, TSG_WEB_TOKEN_SIZE, bytes, sizeof bytes,
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero (bytes, sizeof bytes);
    return strlen (out) == TSG_WEB_TOKEN_SIZE - 1;
}

/* True when text is a token's shape: 43 base64url characters. */
static bool
s_token_shaped (const char *text)
{
    if (!text || strlen (text) != TSG_WEB_TOKEN_SIZE - 1)
        return false;
    for (const char *c = text; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || *c == '-' || *c == '_'))
            return false;
    return true;
}

bool
tsg_web_token_equal (const char *a, const char *b)
{
    return s_token_shaped (a) && s_token_shaped (b)
           && sodium_memcmp (a, b, TSG_WEB_TOKEN_SIZE - 1) == 0;
}

static void
s_hash (const char *cookie, uint8_t out[32])
{
    crypto_generichash (out, 32, (const uint8_t *) cookie, strlen (cookie), NULL, 0);
}

static bool
s_expired (const tsg_web_sessions_t *self, const s_slot_t *slot, uint64_t now_ms)
{
    return now_ms - slot->session.used_ms >= self->idle_ms
           || now_ms - slot->session.started_ms >= self->max_ms;
}

static void
s_free_slot (s_slot_t *slot)
{
    sodium_memzero (slot, sizeof *slot);
}

/* The slot for a new session: a free or expired one, else the one unused longest. */
static s_slot_t *
s_slot_for_new (tsg_web_sessions_t *self, uint64_t now_ms)
{
    s_slot_t *oldest = &self->slots[0];
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++) {
        s_slot_t *slot = &self->slots[i];
        if (!slot->used || s_expired (self, slot, now_ms))
            return slot;
        if (slot->session.used_ms < oldest->session.used_ms)
            oldest = slot;
    }
    return oldest;
}

const tsg_web_session_t *
tsg_web_sessions_start (tsg_web_sessions_t *self, const char *user, int role, uint64_t now_ms,
                        uint64_t wall_ms, char cookie[TSG_WEB_TOKEN_SIZE])
{
    s_slot_t *slot = s_slot_for_new (self, now_ms);
    s_free_slot (slot);
    if (!tsg_web_token_new (cookie) || !tsg_web_token_new (slot->session.csrf)) {
        s_free_slot (slot);
        return NULL;
    }
    slot->used = true;
    s_hash (cookie, slot->cookie_hash);
    snprintf (slot->session.user, sizeof slot->session.user, "%s", user);
    slot->session.role = role;
    slot->session.started_wall_ms = wall_ms;
    slot->session.started_ms = now_ms;
    slot->session.used_ms = now_ms;
    return &slot->session;
}

/* The slot the cookie names, expired or not; NULL when none. */
static s_slot_t *
s_lookup (tsg_web_sessions_t *self, const char *cookie)
{
    if (!s_token_shaped (cookie))
        return NULL;
    uint8_t hash[32];
    s_hash (cookie, hash);
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++) {
        s_slot_t *slot = &self->slots[i];
        if (slot->used && sodium_memcmp (slot->cookie_hash, hash, sizeof hash) == 0)
            return slot;
    }
    return NULL;
}

const tsg_web_session_t *
tsg_web_sessions_find (tsg_web_sessions_t *self, const char *cookie, uint64_t now_ms)
{
    s_slot_t *slot = s_lookup (self, cookie);
    if (!slot)
        return NULL;
    if (s_expired (self, slot, now_ms)) {
        s_free_slot (slot);
        return NULL;
    }
    slot->session.used_ms = now_ms;
    return &slot->session;
}

void
tsg_web_sessions_end (tsg_web_sessions_t *self, const char *cookie)
{
    s_slot_t *slot = s_lookup (self, cookie);
    if (slot)
        s_free_slot (slot);
}

void
tsg_web_sessions_end_user (tsg_web_sessions_t *self, const char *user)
{
    char name[TSG_WEB_USER_SIZE]; /* user may be a slot's own name, wiped below */
    snprintf (name, sizeof name, "%s", user);
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++)
        if (self->slots[i].used && strcmp (self->slots[i].session.user, name) == 0)
            s_free_slot (&self->slots[i]);
}

size_t
tsg_web_sessions_count (const tsg_web_sessions_t *self, uint64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < TSG_WEB_SESSIONS_MAX; i++)
        if (self->slots[i].used && !s_expired (self, &self->slots[i], now_ms))
            n++;
    return n;
}
