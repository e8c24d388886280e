/* tsunagu-hostile-peer: a registered agency that speaks the wire protocol by script, so the
 * hostile-peer catalogue (tests/hostile/test_*.py) can send the coordinator anything a peer
 * holding one agency's key file could send, and see every letter that comes back.
 *
 * usage: tsunagu-hostile-peer --endpoint E --server-key Z85 --keys FILE
 *                             [--coordinator-pub FILE] [--script FILE]
 *
 * The script (FILE, else stdin) is JSON lines, one action each, run in order as they are read
 * (a driver may write one line, read the output up to its "done" line, and write the next).
 * Every output line is one JSON object on stdout; each action ends with
 *     {"event":"done","op":OP,"index":N}      (N counts actions from 0)
 * and a line that is not a valid action with {"event":"bad-action","index":N,"why":...}.
 * Exit 0 when the script ran to its end, 1 on a set-up failure, 2 on bad usage.
 *
 * Actions ("conn" is a connection index 0..7, default 0):
 *   {"op":"connect","conn":C,"hello":true,"wait_ms":5000,"label":L}
 *        opens a DEALER with CURVE (our box key pair, the coordinator's server key) and, unless
 *        "hello" is false, sends a signed HELLO (label L, default "hello@C") and waits up to
 *        wait_ms for the coordinator's HELLO.  A second connect on another index uses the same
 *        key: a second connection of the same agency.  Prints {"event":"connected",...}.
 *   {"op":"close","conn":C}
 *   {"op":"send","conn":C, LETTER}            one ZeroMQ message with one envelope, or with
 *        "copies":N, N envelopes (fresh ids, labels L.0 .. L.N-1, the sequence + i when
 *        "sequence_step":1), or with "letters":[LETTER, ...], those envelopes in one message.
 *        Prints {"event":"sent","label":L,"message_id":HEX,"sequence":S,"bytes":B} for each.
 *   {"op":"wait","ms":N,"for":[L, "L.*", ...],"count":K}
 *        receives on every open connection for up to N ms; returns early once every label
 *        named in "for" was answered (an ERROR or RECEIPT about it, or for a HELLO the
 *        coordinator's HELLO) and at least K letters arrived in this wait.  Without "for" and
 *        "count" it waits the whole N ms.  Prints {"event":"waited","complete":B,...}.
 *   {"op":"auto_ack","mode":"mail"|"all"|"none","created_at_offset_ms":N,"max":M}
 *        how received letters are acknowledged (RECEIPT_DELIVERED, signed, sequence 0, about
 *        the letter): "mail" (the default) acknowledges what comes through our mailbox
 *        (letters of agencies, case updates, the coordinator's case and consent letters);
 *        "all" also every final ERROR, as an agency daemon does; at most M acks (default 1000).
 *   {"op":"mark","text":T}                     prints {"event":"mark","text":T}
 *
 * LETTER fields (all optional but kind):
 *   "label"               a name for the letter (default "sent-N")
 *   "kind"                hello | referral | receipt | directory | error | referral-status |
 *                         consent-grant | consent-revoke | case-event | case-update, or a number
 *   "sender"              default our own id; "recipient" default "coordinator"
 *   "version"             default 1
 *   "message_id"          hex of the id bytes (any length: "" is an empty id); "same_as": L
 *                         reuses the id of letter L; default 16 random bytes
 *   "sequence"            default 0
 *   "created_at_offset_ms" added to now; "created_at_ms" an absolute time instead
 *   "header"              {case_id, referral_id, status, tags[], urgency (name or number),
 *                         legal_basis (name, "unspecified" or number), consent_id, due_date,
 *                         receive_due_date, sender_type, outcome, reason_given, base_version,
 *                         data_categories[], urgent, case_event {event_id, type (state|meeting|
 *                         plan|note|close|reopen or number), state, close_reason, meeting {kind
 *                         (core|shien|jusoteki|chiiki-care|kyogikai|yotaikyo|konkyu or number),
 *                         held_on, attendees[], decision}, plan {roles [{agency_id, role}],
 *                         next_review_on}, note {category, written_on}}, consent {consent_id,
 *                         subject, cover_agencies[], cover_types[], categories[], purpose, method,
 *                         obtained_by, valid_from, valid_until}}; absent: no header at all
 *   "body"                {"seal_to": Z85 box key or agency id (from the directory), "content":
 *                         text or JSON, "content_type": default application/json} sealed with
 *                         our box secret; or {"garbage": N} N random bytes
 *   "sealed_bodies"       [{"recipient": ID, "seal_to": (default recipient), "content": ...} or
 *                         {"recipient": ID, "garbage": N}]
 *   "receipt"             {"type": stored|delivered|rejected|unspecified, "about": L or HEX,
 *                         "detail": T, "at_ms": N}
 *   "error"               {"code": name or number, "about": L or HEX, "final": B, "detail": T}
 *   "directory"           {"serial": N, "agencies": [{"id","type","name","status"}]} (our keys)
 *   "case_update"         {"case_id","state","version","agencies":[]}
 *   "hello"               {"resend_from_oldest": B}
 *   "signature"           valid (default) | flip (one bit) | random | empty | fresh_key
 *   "frame"               normal (default) | truncated (first half) | garbage | empty
 *
 * Every letter received is printed as {"event":"recv","conn":C,"kind":K,"from":S,"to":R,
 * "verified":B|null,"message_id":HEX,"sequence":N,"created_at_ms":N, ...} with, by kind,
 * "code","final","detail","about","about_label" (error), "receipt","about","about_label","detail"
 * (receipt), "hello" {"about","rewound"} and "about_label" (hello), "directory" {"serial",
 * "agencies":[{"id","type","status"}]}, "case_update" {"case_id","state","version","agencies"},
 * and "header" {case_id, referral_id, status, sender_type, legal_basis, consent_id} when the
 * letter has one.  An answer that names no letter is taken to be about the oldest unanswered
 * HELLO (a HELLO) or the newest unanswered letter (an ERROR of a frame that could not be read)
 * of its connection; every acknowledgement sent is printed as {"event":"acked",...}.
 * Letters of the coordinator are verified with its pinned sign key
 * (--coordinator-pub, default coordinator.pub beside --keys), others with the sign key of the
 * last verified DIRECTORY (null when unknown); a frame that does not decode is printed as
 * {"event":"recv","conn":C,"undecodable":WHY,"bytes":N}.  Connection events (handshake, refused,
 * disconnected) are printed as {"event":"monitor","conn":C,"what":...}; a message the socket
 * would not take within 3 s (no live connection) as {"event":"send-failed","conn":C,"why":...}. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>
#include <zmq.h>

#include "tsunagu/tsunagu.h"

#define PEER_CONNS_MAX    8
#define PEER_LABELS_MAX   8192
#define PEER_LABEL_LEN    64
#define PEER_FRAMES_MAX   256 /* envelopes one "send" may put in one message */
#define PEER_LINE_MAX     (4 * 1024 * 1024)
#define PEER_ID_BYTES_MAX 64
#define PEER_WAIT_MAX_MS  120000
#define PEER_SEND_WAIT_MS 3000
#define PEER_GARBAGE_MAX  (4 * 1024 * 1024)
#define PEER_ACK_NONE     0
#define PEER_ACK_MAIL     1
#define PEER_ACK_ALL      2
#define PEER_ENUM_UNKNOWN (-1)

/* One connection to the coordinator. */
typedef struct {
    void *socket;  /* the DEALER (NULL: not open) */
    void *monitor; /* its monitor's PAIR */
} s_conn_t;

/* A letter we sent, so answers can name it. */
typedef struct {
    char name[PEER_LABEL_LEN];     /* the script's label */
    uint8_t id[PEER_ID_BYTES_MAX]; /* its message id */
    size_t id_len;                 /* bytes of id */
    int conn;                      /* the connection it went out on */
    Tsunagu__V1__Kind kind;        /* its kind */
    bool answered;                 /* an answer about it arrived */
} s_label_t;

/* Everything the peer holds. */
typedef struct {
    void *ctx;                      /* the ZeroMQ context */
    const char *endpoint;           /* the coordinator's ROUTER */
    uint8_t server_key[32];         /* its CURVE key */
    tsg_keys_t *keys;               /* our registered agency's keys */
    tsg_boxer_t *boxer;             /* crypto_box with our box secret */
    uint8_t coordinator_sign[32];   /* the pinned coordinator sign key */
    bool have_coordinator_sign;     /* whether it was loaded */
    tsg_envelope_t directory;       /* the last verified DIRECTORY (letter NULL: none) */
    s_conn_t conns[PEER_CONNS_MAX]; /* connections by index */
    unsigned monitors;              /* monitors made, for unique inproc names */
    s_label_t *labels;              /* letters sent */
    size_t n_labels;                /* entries of labels in use */
    int ack_mode;                   /* PEER_ACK_* */
    int64_t ack_offset_ms;          /* created_at offset of our acknowledgements */
    unsigned acks_left;             /* acknowledgements we may still send */
    unsigned sent;                  /* letters sent, for default labels */
    unsigned received_in_wait;      /* letters received in the current wait */
} s_peer_t;

/* Allocations of one action, freed together. */
typedef struct {
    void **items;    /* the blocks */
    size_t count;    /* in use */
    size_t capacity; /* allocated */
} s_arena_t;

static void *
s_alloc (s_arena_t *arena, size_t size)
{
    if (arena->count == arena->capacity) {
        size_t capacity = arena->capacity ? arena->capacity * 2 : 32;
        void **grown = realloc (arena->items, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        arena->items = grown;
        arena->capacity = capacity;
    }
    void *block = calloc (1, size ? size : 1);
    if (block)
        arena->items[arena->count++] = block;
    return block;
}

static void
s_arena_free (s_arena_t *arena)
{
    for (size_t i = 0; i < arena->count; i++)
        free (arena->items[i]);
    free (arena->items);
    memset (arena, 0, sizeof *arena);
}

/* Prints obj (consumed) as one line. */
static void
s_emit (json_t *obj)
{
    char *text = obj ? json_dumps (obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (text) {
        fputs (text, stdout);
        fputc ('\n', stdout);
        fflush (stdout);
    }
    free (text);
    json_decref (obj);
}

static json_t *
s_hex_json (const uint8_t *data, size_t len)
{
    char *text = malloc (2 * len + 1);
    if (!text)
        return json_null ();
    tsg_hex_encode (data, len, text);
    json_t *out = json_string (text);
    free (text);
    return out;
}

/* ---- names ---------------------------------------------------------------------------- */

typedef struct {
    const char *name; /* the script's word */
    int value;        /* the enum value */
} s_word_t;

static const s_word_t s_kinds[] = {
    { "hello", TSUNAGU__V1__KIND__KIND_HELLO },
    { "referral", TSUNAGU__V1__KIND__KIND_REFERRAL },
    { "receipt", TSUNAGU__V1__KIND__KIND_RECEIPT },
    { "directory", TSUNAGU__V1__KIND__KIND_DIRECTORY },
    { "error", TSUNAGU__V1__KIND__KIND_ERROR },
    { "referral-status", TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS },
    { "consent-grant", TSUNAGU__V1__KIND__KIND_CONSENT_GRANT },
    { "consent-revoke", TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE },
    { "case-event", TSUNAGU__V1__KIND__KIND_CASE_EVENT },
    { "case-update", TSUNAGU__V1__KIND__KIND_CASE_UPDATE },
    { NULL, 0 },
};

static const s_word_t s_receipt_types[] = {
    { "unspecified", TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_UNSPECIFIED },
    { "stored", TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED },
    { "delivered", TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED },
    { "rejected", TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED },
    { NULL, 0 },
};

static const s_word_t s_event_types[] = {
    { "unspecified", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_UNSPECIFIED },
    { "state", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE },
    { "meeting", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING },
    { "plan", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN },
    { "note", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE },
    { "close", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE },
    { "reopen", TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN },
    { NULL, 0 },
};

static const s_word_t s_meeting_kinds[] = {
    { "unspecified", TSUNAGU__V1__MEETING_KIND__MEETING_UNSPECIFIED },
    { "core", TSUNAGU__V1__MEETING_KIND__MEETING_CORE },
    { "shien", TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN },
    { "jusoteki", TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI },
    { "chiiki-care", TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE },
    { "kyogikai", TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI },
    { "yotaikyo", TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO },
    { "konkyu", TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU },
    { NULL, 0 },
};

static const s_word_t s_statuses[] = {
    { "unspecified", TSUNAGU__V1__AGENCY_STATUS__AGENCY_STATUS_UNSPECIFIED },
    { "active", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE },
    { "suspended", TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED },
    { "revoked", TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED },
    { NULL, 0 },
};

static const char *
s_word_name (const s_word_t *table, int value)
{
    for (size_t i = 0; table[i].name; i++)
        if (table[i].value == value)
            return table[i].name;
    return "unknown";
}

/* The value of a JSON word (a name from table, or a number); dflt when absent,
 * PEER_ENUM_UNKNOWN when it is neither. */
static int
s_word (const s_word_t *table, json_t *value, int dflt)
{
    if (!value)
        return dflt;
    if (json_is_integer (value))
        return (int) json_integer_value (value);
    const char *text = json_string_value (value);
    for (size_t i = 0; text && table[i].name; i++)
        if (strcmp (table[i].name, text) == 0)
            return table[i].value;
    return PEER_ENUM_UNKNOWN;
}

static int
s_urgency (json_t *value)
{
    if (!value)
        return TSUNAGU__V1__URGENCY__URGENCY_NORMAL;
    if (json_is_integer (value))
        return (int) json_integer_value (value);
    Tsunagu__V1__Urgency u;
    return tsg_urgency_parse (json_string_value (value), &u) ? (int) u : PEER_ENUM_UNKNOWN;
}

static int
s_basis (json_t *value)
{
    if (!value)
        return TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED;
    if (json_is_integer (value))
        return (int) json_integer_value (value);
    const char *text = json_string_value (value);
    if (text && strcmp (text, "unspecified") == 0)
        return TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED;
    Tsunagu__V1__LegalBasis b;
    return tsg_legal_basis_parse (text, &b) ? (int) b : PEER_ENUM_UNKNOWN;
}

static int
s_error_code (json_t *value)
{
    if (json_is_integer (value))
        return (int) json_integer_value (value);
    const char *text = json_string_value (value);
    for (int code = 0; text && code < 64; code++)
        if (strcmp (tsg_error_code_name ((Tsunagu__V1__ErrorCode) code), text) == 0)
            return code;
    return PEER_ENUM_UNKNOWN;
}

/* ---- labels --------------------------------------------------------------------------- */

static s_label_t *
s_label_find (s_peer_t *self, const char *name)
{
    for (size_t i = self->n_labels; i-- > 0;)
        if (strcmp (self->labels[i].name, name) == 0)
            return &self->labels[i];
    return NULL;
}

static s_label_t *
s_label_by_id (s_peer_t *self, const uint8_t *id, size_t len)
{
    if (len == 0)
        return NULL;
    for (size_t i = self->n_labels; i-- > 0;)
        if (self->labels[i].id_len == len && memcmp (self->labels[i].id, id, len) == 0)
            return &self->labels[i];
    return NULL;
}

/* The oldest (or the newest) unanswered label on conn, of kind unless kind is 0: an answer
 * that names no letter (a HELLO, the ERROR of a frame that could not be read) is taken to be
 * about it. */
static s_label_t *
s_label_unanswered (s_peer_t *self, int conn, Tsunagu__V1__Kind kind, bool newest)
{
    for (size_t k = 0; k < self->n_labels; k++) {
        s_label_t *l = &self->labels[newest ? self->n_labels - 1 - k : k];
        if (!l->answered && l->conn == conn && (kind == 0 || l->kind == kind))
            return l;
    }
    return NULL;
}

static void
s_label_add (s_peer_t *self, const char *name, const uint8_t *id, size_t len, int conn,
             Tsunagu__V1__Kind kind)
{
    if (self->n_labels == PEER_LABELS_MAX)
        memmove (self->labels, self->labels + 1, (PEER_LABELS_MAX - 1) * sizeof *self->labels);
    else
        self->n_labels++;
    s_label_t *l = &self->labels[self->n_labels - 1];
    memset (l, 0, sizeof *l);
    snprintf (l->name, sizeof l->name, "%s", name);
    l->id_len = len > PEER_ID_BYTES_MAX ? PEER_ID_BYTES_MAX : len;
    memcpy (l->id, id, l->id_len);
    l->conn = conn;
    l->kind = kind;
}

/* True when label pattern (a name, or "prefix*") has been answered: every matching label. */
static bool
s_pattern_answered (s_peer_t *self, const char *pattern)
{
    size_t n = strlen (pattern);
    bool prefix = n > 0 && pattern[n - 1] == '*';
    bool any = false;
    for (size_t i = 0; i < self->n_labels; i++) {
        const s_label_t *l = &self->labels[i];
        bool match =
            prefix ? strncmp (l->name, pattern, n - 1) == 0 : strcmp (l->name, pattern) == 0;
        if (!match)
            continue;
        any = true;
        if (!l->answered)
            return false;
        if (!prefix)
            return true;
    }
    return any;
}

/* ---- building letters ----------------------------------------------------------------- */

static const char *
s_str (json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}

/* A char* array of the strings in array (NULL when absent); *n receives the count. */
static char **
s_strings (s_arena_t *arena, json_t *array, size_t *n)
{
    *n = 0;
    if (!json_is_array (array) || json_array_size (array) == 0)
        return NULL;
    char **out = s_alloc (arena, json_array_size (array) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < json_array_size (array); i++) {
        const char *text = json_string_value (json_array_get (array, i));
        out[(*n)++] = (char *) (text ? text : "");
    }
    return out;
}

/* Resolves a box key: Z85 text, else an agency id of the directory.  False when neither. */
static bool
s_box_key (const s_peer_t *self, const char *text, uint8_t out[32])
{
    if (!text)
        return false;
    if (strlen (text) == 40 && tsg_key_from_z85 (text, out))
        return true;
    const tsg_letter_t *d = self->directory.letter;
    if (strcmp (text, tsg_keys_id (self->keys)) == 0) {
        memcpy (out, tsg_keys_box_public (self->keys), 32);
        return true;
    }
    for (size_t i = 0; d && d->directory && i < d->directory->n_agencies; i++) {
        const Tsunagu__V1__AgencyEntry *e = d->directory->agencies[i];
        if (e->id && strcmp (e->id, text) == 0 && e->box_public.len == 32) {
            memcpy (out, e->box_public.data, 32);
            return true;
        }
    }
    return false;
}

/* Fills *data and *len from a body spec: sealed content, or garbage.  Returns NULL or why not. */
static const char *
s_body (s_peer_t *self, s_arena_t *arena, json_t *spec, const char *dflt_to, uint8_t **data,
        size_t *len)
{
    json_t *garbage = json_object_get (spec, "garbage");
    if (garbage) {
        json_int_t n = json_integer_value (garbage);
        if (n < 0 || n > PEER_GARBAGE_MAX)
            return "garbage size out of range";
        *data = s_alloc (arena, (size_t) n);
        if (!*data)
            return "out of memory";
        randombytes_buf (*data, (size_t) n);
        *len = (size_t) n;
        return NULL;
    }
    const char *to = s_str (spec, "seal_to");
    uint8_t peer[32];
    if (!s_box_key (self, to ? to : dflt_to, peer))
        return "seal_to is neither a Z85 key nor an agency of the directory";
    json_t *content = json_object_get (spec, "content");
    char *text = NULL;
    if (json_is_string (content))
        text = strdup (json_string_value (content));
    else if (content)
        text = json_dumps (content, JSON_COMPACT | JSON_ENCODE_ANY);
    else
        text = strdup ("{}");
    if (!text)
        return "out of memory";
    const char *type = s_str (spec, "content_type");
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = tsg_body_seal (self->boxer, peer, type ? type : "application/json",
                            (const uint8_t *) text, strlen (text), &sealed, &sealed_len);
    free (text);
    if (rc != TSG_OK)
        return tsg_strerror (rc);
    *data = s_alloc (arena, sealed_len);
    if (*data)
        memcpy (*data, sealed, sealed_len);
    *len = sealed_len;
    free (sealed);
    return *data ? NULL : "out of memory";
}

/* Resolves an "about" (a label or hex) into out; false when it is neither. */
static bool
s_about (s_peer_t *self, s_arena_t *arena, json_t *value, ProtobufCBinaryData *out)
{
    const char *text = json_string_value (value);
    if (!text)
        return value == NULL;
    const s_label_t *l = s_label_find (self, text);
    if (l) {
        out->data = s_alloc (arena, l->id_len);
        if (!out->data)
            return false;
        memcpy (out->data, l->id, l->id_len);
        out->len = l->id_len;
        return true;
    }
    size_t n = strlen (text);
    if (n % 2 != 0 || n / 2 > PEER_ID_BYTES_MAX)
        return false;
    out->data = s_alloc (arena, n / 2);
    out->len = n / 2;
    return out->data && tsg_hex_decode (text, out->data, n / 2);
}

static const char *
s_case_event (s_arena_t *arena, json_t *spec, Tsunagu__V1__CaseEvent **out)
{
    Tsunagu__V1__CaseEvent *ev = s_alloc (arena, sizeof *ev);
    if (!ev)
        return "out of memory";
    tsunagu__v1__case_event__init (ev);
    ev->event_id = (char *) s_str (spec, "event_id");
    int type = s_word (s_event_types, json_object_get (spec, "type"), 0);
    if (type == PEER_ENUM_UNKNOWN)
        return "unknown case_event type";
    ev->type = (Tsunagu__V1__CaseEventType) type;
    ev->state = (char *) s_str (spec, "state");
    ev->close_reason = (char *) s_str (spec, "close_reason");
    json_t *m = json_object_get (spec, "meeting");
    if (json_is_object (m)) {
        ev->meeting = s_alloc (arena, sizeof *ev->meeting);
        if (!ev->meeting)
            return "out of memory";
        tsunagu__v1__meeting__init (ev->meeting);
        int kind = s_word (s_meeting_kinds, json_object_get (m, "kind"), 0);
        if (kind == PEER_ENUM_UNKNOWN)
            return "unknown meeting kind";
        ev->meeting->kind = (Tsunagu__V1__MeetingKind) kind;
        ev->meeting->held_on = (char *) s_str (m, "held_on");
        ev->meeting->decision = (char *) s_str (m, "decision");
        ev->meeting->attendees =
            s_strings (arena, json_object_get (m, "attendees"), &ev->meeting->n_attendees);
    }
    json_t *p = json_object_get (spec, "plan");
    if (json_is_object (p)) {
        ev->plan = s_alloc (arena, sizeof *ev->plan);
        if (!ev->plan)
            return "out of memory";
        tsunagu__v1__plan__init (ev->plan);
        ev->plan->next_review_on = (char *) s_str (p, "next_review_on");
        json_t *roles = json_object_get (p, "roles");
        size_t n = json_array_size (roles);
        if (n > 0) {
            ev->plan->roles = s_alloc (arena, n * sizeof *ev->plan->roles);
            if (!ev->plan->roles)
                return "out of memory";
            for (size_t i = 0; i < n; i++) {
                Tsunagu__V1__PlanRole *r = s_alloc (arena, sizeof *r);
                if (!r)
                    return "out of memory";
                tsunagu__v1__plan_role__init (r);
                r->agency_id = (char *) s_str (json_array_get (roles, i), "agency_id");
                r->role = (char *) s_str (json_array_get (roles, i), "role");
                ev->plan->roles[ev->plan->n_roles++] = r;
            }
        }
    }
    json_t *note = json_object_get (spec, "note");
    if (json_is_object (note)) {
        ev->note = s_alloc (arena, sizeof *ev->note);
        if (!ev->note)
            return "out of memory";
        tsunagu__v1__note__init (ev->note);
        ev->note->category = (char *) s_str (note, "category");
        ev->note->written_on = (char *) s_str (note, "written_on");
    }
    *out = ev;
    return NULL;
}

static const char *
s_consent (s_arena_t *arena, json_t *spec, Tsunagu__V1__ConsentInfo **out)
{
    Tsunagu__V1__ConsentInfo *c = s_alloc (arena, sizeof *c);
    if (!c)
        return "out of memory";
    tsunagu__v1__consent_info__init (c);
    c->consent_id = (char *) s_str (spec, "consent_id");
    c->subject = (char *) s_str (spec, "subject");
    c->cover_agencies =
        s_strings (arena, json_object_get (spec, "cover_agencies"), &c->n_cover_agencies);
    c->cover_types = s_strings (arena, json_object_get (spec, "cover_types"), &c->n_cover_types);
    c->categories = s_strings (arena, json_object_get (spec, "categories"), &c->n_categories);
    c->purpose = (char *) s_str (spec, "purpose");
    c->method = (char *) s_str (spec, "method");
    c->obtained_by = (char *) s_str (spec, "obtained_by");
    c->valid_from = (char *) s_str (spec, "valid_from");
    c->valid_until = (char *) s_str (spec, "valid_until");
    *out = c;
    return NULL;
}

static const char *
s_header (s_arena_t *arena, json_t *spec, tsg_header_t *h)
{
    tsunagu__v1__header__init (h);
    h->case_id = (char *) s_str (spec, "case_id");
    h->referral_id = (char *) s_str (spec, "referral_id");
    h->status = (char *) s_str (spec, "status");
    h->consent_id = (char *) s_str (spec, "consent_id");
    h->due_date = (char *) s_str (spec, "due_date");
    h->receive_due_date = (char *) s_str (spec, "receive_due_date");
    h->sender_type = (char *) s_str (spec, "sender_type");
    h->outcome = (char *) s_str (spec, "outcome");
    h->reason_given = json_is_true (json_object_get (spec, "reason_given"));
    h->urgent = json_is_true (json_object_get (spec, "urgent"));
    h->base_version = (uint64_t) json_integer_value (json_object_get (spec, "base_version"));
    h->tags = s_strings (arena, json_object_get (spec, "tags"), &h->n_tags);
    h->data_categories =
        s_strings (arena, json_object_get (spec, "data_categories"), &h->n_data_categories);
    int urgency = s_urgency (json_object_get (spec, "urgency"));
    int basis = s_basis (json_object_get (spec, "legal_basis"));
    if (urgency == PEER_ENUM_UNKNOWN || basis == PEER_ENUM_UNKNOWN)
        return "unknown urgency or legal_basis";
    h->urgency = (Tsunagu__V1__Urgency) urgency;
    h->legal_basis = (Tsunagu__V1__LegalBasis) basis;
    const char *why = NULL;
    if (json_is_object (json_object_get (spec, "case_event")))
        why = s_case_event (arena, json_object_get (spec, "case_event"), &h->case_event);
    if (!why && json_is_object (json_object_get (spec, "consent")))
        why = s_consent (arena, json_object_get (spec, "consent"), &h->consent);
    return why;
}

/* The kind-specific parts of a letter: receipt, error, directory, case update, hello. */
static const char *
s_parts (s_peer_t *self, s_arena_t *arena, json_t *spec, tsg_letter_t *letter)
{
    json_t *r = json_object_get (spec, "receipt");
    if (json_is_object (r)) {
        Tsunagu__V1__Receipt *receipt = s_alloc (arena, sizeof *receipt);
        if (!receipt)
            return "out of memory";
        tsunagu__v1__receipt__init (receipt);
        int type = s_word (s_receipt_types, json_object_get (r, "type"),
                           TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED);
        if (type == PEER_ENUM_UNKNOWN)
            return "unknown receipt type";
        receipt->type = (Tsunagu__V1__ReceiptType) type;
        if (!s_about (self, arena, json_object_get (r, "about"), &receipt->about_message_id))
            return "receipt about is neither a label nor hex";
        receipt->detail = (char *) s_str (r, "detail");
        json_t *at = json_object_get (r, "at_ms");
        receipt->at_ms = at ? (uint64_t) json_integer_value (at) : tsg_now_ms ();
        letter->receipt = receipt;
    }
    json_t *e = json_object_get (spec, "error");
    if (json_is_object (e)) {
        Tsunagu__V1__ErrorReport *error = s_alloc (arena, sizeof *error);
        if (!error)
            return "out of memory";
        tsunagu__v1__error_report__init (error);
        int code = s_error_code (json_object_get (e, "code"));
        if (code == PEER_ENUM_UNKNOWN)
            return "unknown error code";
        error->code = (Tsunagu__V1__ErrorCode) code;
        if (!s_about (self, arena, json_object_get (e, "about"), &error->about_message_id))
            return "error about is neither a label nor hex";
        error->final = json_is_true (json_object_get (e, "final"));
        error->detail = (char *) s_str (e, "detail");
        letter->error = error;
    }
    json_t *d = json_object_get (spec, "directory");
    if (json_is_object (d)) {
        Tsunagu__V1__Directory *dir = s_alloc (arena, sizeof *dir);
        if (!dir)
            return "out of memory";
        tsunagu__v1__directory__init (dir);
        dir->serial = (uint64_t) json_integer_value (json_object_get (d, "serial"));
        dir->valid_from_ms = tsg_now_ms ();
        dir->valid_until_ms = dir->valid_from_ms + 7ULL * 24 * 3600 * 1000;
        json_t *list = json_object_get (d, "agencies");
        size_t n = json_array_size (list);
        dir->agencies = n ? s_alloc (arena, n * sizeof *dir->agencies) : NULL;
        for (size_t i = 0; i < n; i++) {
            json_t *a = json_array_get (list, i);
            Tsunagu__V1__AgencyEntry *entry = s_alloc (arena, sizeof *entry);
            if (!entry || !dir->agencies)
                return "out of memory";
            tsunagu__v1__agency_entry__init (entry);
            entry->id = (char *) s_str (a, "id");
            entry->type = (char *) s_str (a, "type");
            entry->name = (char *) s_str (a, "name");
            int status = s_word (s_statuses, json_object_get (a, "status"),
                                 TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);
            entry->status = (Tsunagu__V1__AgencyStatus) (status < 0 ? 0 : status);
            entry->box_public.data = (uint8_t *) tsg_keys_box_public (self->keys);
            entry->box_public.len = 32;
            entry->sign_public.data = (uint8_t *) tsg_keys_sign_public (self->keys);
            entry->sign_public.len = 32;
            dir->agencies[dir->n_agencies++] = entry;
        }
        letter->directory = dir;
    }
    json_t *u = json_object_get (spec, "case_update");
    if (json_is_object (u)) {
        Tsunagu__V1__CaseUpdate *update = s_alloc (arena, sizeof *update);
        if (!update)
            return "out of memory";
        tsunagu__v1__case_update__init (update);
        update->case_id = (char *) s_str (u, "case_id");
        update->state = (char *) s_str (u, "state");
        update->version = (uint64_t) json_integer_value (json_object_get (u, "version"));
        update->agencies = s_strings (arena, json_object_get (u, "agencies"), &update->n_agencies);
        update->updated_at_ms = tsg_now_ms ();
        letter->case_update = update;
    }
    json_t *hl = json_object_get (spec, "hello");
    if (json_is_object (hl)) {
        Tsunagu__V1__Hello *hello = s_alloc (arena, sizeof *hello);
        if (!hello)
            return "out of memory";
        tsunagu__v1__hello__init (hello);
        hello->resend_from_oldest = json_is_true (json_object_get (hl, "resend_from_oldest"));
        letter->hello = hello;
    }
    return NULL;
}

/* Serializes letter and signs it (mode: valid, flip, random, empty, fresh_key) into a new
 * Envelope in *out (caller frees).  No size limit: oversize frames are built on purpose. */
static const char *
s_seal (const s_peer_t *self, const tsg_letter_t *letter, const char *mode, uint8_t **out,
        size_t *out_len)
{
    size_t signed_len = tsunagu__v1__letter__get_packed_size (letter);
    uint8_t *signed_bytes = malloc (signed_len ? signed_len : 1);
    if (!signed_bytes)
        return "out of memory";
    tsunagu__v1__letter__pack (letter, signed_bytes);
    uint8_t signature[crypto_sign_BYTES];
    size_t signature_len = sizeof signature;
    if (!mode || strcmp (mode, "valid") == 0 || strcmp (mode, "flip") == 0)
        crypto_sign_detached (signature, NULL, signed_bytes, signed_len,
                              tsg_keys_sign_secret (self->keys));
    else if (strcmp (mode, "random") == 0)
        randombytes_buf (signature, sizeof signature);
    else if (strcmp (mode, "empty") == 0)
        signature_len = 0;
    else if (strcmp (mode, "fresh_key") == 0) {
        tsg_keys_t *fresh = tsg_keys_generate (tsg_keys_id (self->keys));
        if (!fresh) {
            free (signed_bytes);
            return "out of memory";
        }
        crypto_sign_detached (signature, NULL, signed_bytes, signed_len,
                              tsg_keys_sign_secret (fresh));
        tsg_keys_destroy (&fresh);
    }
    else {
        free (signed_bytes);
        return "unknown signature mode";
    }
    if (mode && strcmp (mode, "flip") == 0)
        signature[0] ^= 0x01;
    Tsunagu__V1__Envelope envelope = TSUNAGU__V1__ENVELOPE__INIT;
    envelope.signed_.data = signed_bytes;
    envelope.signed_.len = signed_len;
    envelope.signature.data = signature;
    envelope.signature.len = signature_len;
    *out_len = tsunagu__v1__envelope__get_packed_size (&envelope);
    *out = malloc (*out_len ? *out_len : 1);
    if (*out)
        tsunagu__v1__envelope__pack (&envelope, *out);
    free (signed_bytes);
    return *out ? NULL : "out of memory";
}

/* Builds the frame of one letter spec (copy index i of it) and notes its label.  Returns NULL
 * or why not; *frame (caller frees) and *len on success. */
static const char *
s_build (s_peer_t *self, json_t *spec, int conn, size_t copy, bool copies, uint8_t **frame,
         size_t *len)
{
    s_arena_t arena = { 0 };
    const char *why = NULL;
    tsg_letter_t letter = TSUNAGU__V1__LETTER__INIT;
    tsg_header_t *header = NULL;
    int kind = s_word (s_kinds, json_object_get (spec, "kind"), PEER_ENUM_UNKNOWN);
    if (kind == PEER_ENUM_UNKNOWN) {
        s_arena_free (&arena);
        return "a letter needs a kind";
    }
    uint8_t *id = s_alloc (&arena, PEER_ID_BYTES_MAX);
    size_t id_len = TSG_MESSAGE_ID_SIZE;
    const char *same_as = s_str (spec, "same_as");
    const char *hex = s_str (spec, "message_id");
    if (!id)
        why = "out of memory";
    else if (same_as) {
        const s_label_t *l = s_label_find (self, same_as);
        if (!l)
            why = "same_as names no letter sent";
        else {
            memcpy (id, l->id, l->id_len);
            id_len = l->id_len;
        }
    }
    else if (hex) {
        id_len = strlen (hex) / 2;
        if (strlen (hex) % 2 || id_len > PEER_ID_BYTES_MAX || !tsg_hex_decode (hex, id, id_len))
            why = "message_id is not hex of at most 64 bytes";
    }
    else
        tsg_random_id (id);

    letter.version = json_object_get (spec, "version")
                         ? (uint32_t) json_integer_value (json_object_get (spec, "version"))
                         : TSUNAGU_PROTOCOL_VERSION;
    letter.message_id.data = id;
    letter.message_id.len = id_len;
    const char *sender = s_str (spec, "sender");
    const char *recipient = s_str (spec, "recipient");
    letter.sender = (char *) (sender ? sender : tsg_keys_id (self->keys));
    letter.recipient = (char *) (recipient ? recipient : TSG_COORDINATOR_ID);
    letter.kind = (Tsunagu__V1__Kind) kind;
    uint64_t step = (uint64_t) json_integer_value (json_object_get (spec, "sequence_step"));
    letter.sequence =
        (uint64_t) json_integer_value (json_object_get (spec, "sequence")) + step * copy;
    json_t *at = json_object_get (spec, "created_at_ms");
    letter.created_at_ms = at ? (uint64_t) json_integer_value (at)
                              : (uint64_t) ((int64_t) tsg_now_ms ()
                                            + (int64_t) json_integer_value (
                                                json_object_get (spec, "created_at_offset_ms")));
    json_t *h = json_object_get (spec, "header");
    if (!why && json_is_object (h)) {
        header = s_alloc (&arena, sizeof *header);
        why = header ? s_header (&arena, h, header) : "out of memory";
        letter.header = header;
    }
    json_t *body = json_object_get (spec, "body");
    if (!why && json_is_object (body))
        why = s_body (self, &arena, body, letter.recipient, &letter.body.data, &letter.body.len);
    json_t *sealed = json_object_get (spec, "sealed_bodies");
    size_t n_sealed = json_array_size (sealed);
    if (!why && n_sealed > 0) {
        letter.sealed_bodies = s_alloc (&arena, n_sealed * sizeof *letter.sealed_bodies);
        for (size_t i = 0; !why && letter.sealed_bodies && i < n_sealed; i++) {
            json_t *one = json_array_get (sealed, i);
            Tsunagu__V1__SealedBody *sb = s_alloc (&arena, sizeof *sb);
            if (!sb) {
                why = "out of memory";
                break;
            }
            tsunagu__v1__sealed_body__init (sb);
            sb->recipient = (char *) s_str (one, "recipient");
            why = s_body (self, &arena, one, sb->recipient, &sb->box.data, &sb->box.len);
            letter.sealed_bodies[letter.n_sealed_bodies++] = sb;
        }
        if (!letter.sealed_bodies && !why)
            why = "out of memory";
    }
    if (!why)
        why = s_parts (self, &arena, spec, &letter);
    if (!why)
        why = s_seal (self, &letter, s_str (spec, "signature"), frame, len);
    if (!why) {
        const char *shape = s_str (spec, "frame");
        if (shape && strcmp (shape, "truncated") == 0)
            *len /= 2;
        else if (shape && strcmp (shape, "empty") == 0)
            *len = 0;
        else if (shape && strcmp (shape, "garbage") == 0) {
            static const char garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff not an envelope";
            size_t n = sizeof garbage - 1;
            uint8_t *g = realloc (*frame, n);
            if (g) {
                memcpy (g, garbage, n);
                *frame = g;
                *len = n;
            }
        }
        else if (shape && strcmp (shape, "normal") != 0)
            why = "unknown frame shape";
    }
    if (!why) {
        const char *label = s_str (spec, "label");
        char name[PEER_LABEL_LEN];
        if (label && copies)
            snprintf (name, sizeof name, "%s.%zu", label, copy);
        else if (label)
            snprintf (name, sizeof name, "%s", label);
        else
            snprintf (name, sizeof name, "sent-%u", self->sent);
        self->sent++;
        s_label_add (self, name, id, id_len, conn, letter.kind);
        s_emit (json_pack ("{s:s, s:i, s:s, s:s, s:o, s:I, s:I}", "event", "sent", "conn", conn,
                           "label", name, "kind", s_word_name (s_kinds, kind), "message_id",
                           s_hex_json (id, id_len), "sequence", (json_int_t) letter.sequence,
                           "bytes", (json_int_t) *len));
    }
    else if (*frame) {
        free (*frame);
        *frame = NULL;
    }
    s_arena_free (&arena);
    return why;
}

/* ---- connections ---------------------------------------------------------------------- */

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof value);
}

static const char *
s_open (s_peer_t *self, int index)
{
    s_conn_t *c = &self->conns[index];
    if (c->socket)
        return "the connection is already open";
    c->socket = zmq_socket (self->ctx, ZMQ_DEALER);
    c->monitor = zmq_socket (self->ctx, ZMQ_PAIR);
    if (!c->socket || !c->monitor)
        return "cannot create sockets";
    int64_t maxmsg = -1;
    char monitor[64];
    snprintf (monitor, sizeof monitor, "inproc://hostile-peer-monitor-%u", self->monitors++);
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                 | ZMQ_EVENT_DISCONNECTED;
    if (s_set_int (c->socket, ZMQ_LINGER, 0) != 0 || s_set_int (c->monitor, ZMQ_LINGER, 0) != 0
        || zmq_setsockopt (c->socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0
        || s_set_int (c->socket, ZMQ_HEARTBEAT_IVL, 1000) != 0
        || s_set_int (c->socket, ZMQ_HEARTBEAT_TIMEOUT, 5000) != 0
        || s_set_int (c->socket, ZMQ_SNDHWM, 100000) != 0
        || s_set_int (c->socket, ZMQ_RCVHWM, 100000) != 0
        || zmq_setsockopt (c->socket, ZMQ_CURVE_SERVERKEY, self->server_key, 32) != 0
        || zmq_setsockopt (c->socket, ZMQ_CURVE_PUBLICKEY, tsg_keys_box_public (self->keys), 32)
               != 0
        || zmq_setsockopt (c->socket, ZMQ_CURVE_SECRETKEY, tsg_keys_box_secret (self->keys), 32)
               != 0
        || zmq_socket_monitor (c->socket, monitor, events) != 0
        || zmq_connect (c->monitor, monitor) != 0 || zmq_connect (c->socket, self->endpoint) != 0)
        return zmq_strerror (zmq_errno ());
    return NULL;
}

static void
s_close (s_peer_t *self, int index)
{
    s_conn_t *c = &self->conns[index];
    if (c->socket) {
        zmq_socket_monitor (c->socket, NULL, 0);
        zmq_close (c->socket);
    }
    if (c->monitor)
        zmq_close (c->monitor);
    c->socket = c->monitor = NULL;
}

/* Sends count frames as one message on conn, waiting at most PEER_SEND_WAIT_MS for the
 * socket to take it (a DEALER without a live connection would block for ever).  Returns NULL
 * or why not. */
static const char *
s_send_frames (s_peer_t *self, int conn, uint8_t *const frames[], const size_t lens[], size_t count)
{
    void *socket = self->conns[conn].socket;
    if (!socket)
        return "the connection is not open";
    uint64_t deadline = tsg_monotonic_ms () + PEER_SEND_WAIT_MS;
    for (size_t i = 0; i < count; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < count ? ZMQ_SNDMORE : 0);
        while (zmq_send (socket, frames[i], lens[i], flags) < 0) {
            uint64_t now = tsg_monotonic_ms ();
            if (zmq_errno () != EAGAIN || i > 0 || now >= deadline)
                return zmq_errno () == EAGAIN ? "the socket would not take the message "
                                                "(no connection to the coordinator)"
                                              : zmq_strerror (zmq_errno ());
            zmq_pollitem_t item = { socket, 0, ZMQ_POLLOUT, 0 };
            zmq_poll (&item, 1, (long) (deadline - now));
        }
    }
    return NULL;
}

/* ---- receiving ------------------------------------------------------------------------ */

/* The sign key a letter from sender verifies with, or NULL when unknown. */
static const uint8_t *
s_sign_key (const s_peer_t *self, const char *sender)
{
    if (strcmp (sender, TSG_COORDINATOR_ID) == 0)
        return self->have_coordinator_sign ? self->coordinator_sign : NULL;
    if (strcmp (sender, tsg_keys_id (self->keys)) == 0)
        return tsg_keys_sign_public (self->keys);
    const tsg_letter_t *d = self->directory.letter;
    for (size_t i = 0; d && d->directory && i < d->directory->n_agencies; i++) {
        const Tsunagu__V1__AgencyEntry *e = d->directory->agencies[i];
        if (e->id && strcmp (e->id, sender) == 0 && e->sign_public.len == 32)
            return e->sign_public.data;
    }
    return NULL;
}

static void
s_about_fields (s_peer_t *self, json_t *out, const ProtobufCBinaryData *about, int conn,
                Tsunagu__V1__Kind fallback_kind, bool fallback)
{
    json_object_set_new (out, "about", s_hex_json (about->data, about->len));
    s_label_t *l = s_label_by_id (self, about->data, about->len);
    if (!l && fallback)
        l = s_label_unanswered (self, conn, fallback_kind, true);
    if (l) {
        l->answered = true;
        json_object_set_new (out, "about_label", json_string (l->name));
    }
    else
        json_object_set_new (out, "about_label", json_null ());
}

static void
s_set_text (json_t *obj, const char *key, const char *text)
{
    if (text && *text) {
        json_t *value = json_string (text);
        json_object_set_new (obj, key, value ? value : json_string ("(not UTF-8)"));
    }
}

static json_t *
s_strings_json (char **items, size_t n)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < n; i++) {
        json_t *value = json_string (items[i] ? items[i] : "");
        json_array_append_new (array, value ? value : json_string ("(not UTF-8)"));
    }
    return array;
}

/* Acknowledges letter on conn when the ack mode says so. */
static void
s_maybe_ack (s_peer_t *self, int conn, const tsg_letter_t *letter)
{
    bool from_coordinator = strcmp (letter->sender, TSG_COORDINATOR_ID) == 0;
    bool mail = !from_coordinator || letter->kind == TSUNAGU__V1__KIND__KIND_CASE_UPDATE
                || letter->kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT
                || letter->kind == TSUNAGU__V1__KIND__KIND_CONSENT_GRANT
                || letter->kind == TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE;
    bool final_error = from_coordinator && letter->kind == TSUNAGU__V1__KIND__KIND_ERROR
                       && letter->error && letter->error->final;
    bool ack = (self->ack_mode >= PEER_ACK_MAIL && mail)
               || (self->ack_mode == PEER_ACK_ALL && final_error);
    if (!ack || self->acks_left == 0 || letter->message_id.len != TSG_MESSAGE_ID_SIZE)
        return;
    self->acks_left--;
    uint8_t id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_t receipt_letter;
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    tsg_letter_prepare (&receipt_letter, NULL, id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        tsg_keys_id (self->keys), letter->sender);
    receipt_letter.created_at_ms =
        (uint64_t) ((int64_t) receipt_letter.created_at_ms + self->ack_offset_ms);
    receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    receipt.about_message_id = letter->message_id;
    receipt.at_ms = tsg_now_ms ();
    receipt_letter.receipt = &receipt;
    uint8_t *frame = NULL;
    size_t len = 0;
    if (s_seal (self, &receipt_letter, "valid", &frame, &len) != NULL)
        return;
    const char *why = s_send_frames (self, conn, &frame, &len, 1);
    free (frame);
    char name[PEER_LABEL_LEN];
    snprintf (name, sizeof name, "ack-%u", self->sent++);
    s_label_add (self, name, id, sizeof id, conn, TSUNAGU__V1__KIND__KIND_RECEIPT);
    self->labels[self->n_labels - 1].answered = true; /* nobody answers an acknowledgement */
    s_emit (json_pack ("{s:s, s:i, s:s, s:o, s:o, s:o}", "event", "acked", "conn", conn, "label",
                       name, "about", s_hex_json (letter->message_id.data, letter->message_id.len),
                       "message_id", s_hex_json (id, sizeof id), "error",
                       why ? json_string (why) : json_null ()));
}

/* Prints one received frame, learns a verified directory, acknowledges. */
static void
s_received (s_peer_t *self, int conn, const uint8_t *data, size_t len)
{
    self->received_in_wait++;
    tsg_envelope_t env = { 0 };
    const char *detail = NULL;
    if (tsg_envelope_decode (data, len, &env, &detail) != TSG_OK) {
        s_emit (json_pack ("{s:s, s:i, s:s, s:I}", "event", "recv", "conn", conn, "undecodable",
                           detail ? detail : "?", "bytes", (json_int_t) len));
        return;
    }
    const tsg_letter_t *letter = env.letter;
    const uint8_t *key = s_sign_key (self, letter->sender);
    bool verified = key && tsg_envelope_verify (&env, key);
    json_t *out = json_pack (
        "{s:s, s:i, s:s, s:s, s:s, s:o, s:o, s:I, s:I}", "event", "recv", "conn", conn, "kind",
        tsg_kind_name (letter->kind), "from", letter->sender, "to", letter->recipient, "verified",
        key ? json_boolean (verified) : json_null (), "message_id",
        s_hex_json (letter->message_id.data, letter->message_id.len), "sequence",
        (json_int_t) letter->sequence, "created_at_ms", (json_int_t) letter->created_at_ms);
    bool from_coordinator = strcmp (letter->sender, TSG_COORDINATOR_ID) == 0;
    if (letter->kind == TSUNAGU__V1__KIND__KIND_ERROR && letter->error) {
        const Tsunagu__V1__ErrorReport *e = letter->error;
        json_object_set_new (out, "code", json_string (tsg_error_code_name (e->code)));
        json_object_set_new (out, "final", json_boolean (e->final));
        json_object_set_new (out, "detail", json_string (e->detail ? e->detail : ""));
        s_about_fields (self, out, &e->about_message_id, conn, 0,
                        from_coordinator && e->about_message_id.len == 0);
    }
    else if (letter->kind == TSUNAGU__V1__KIND__KIND_RECEIPT && letter->receipt) {
        const Tsunagu__V1__Receipt *r = letter->receipt;
        json_object_set_new (out, "receipt", json_string (s_word_name (s_receipt_types, r->type)));
        s_set_text (out, "detail", r->detail);
        s_about_fields (self, out, &r->about_message_id, conn, 0, false);
    }
    else if (letter->kind == TSUNAGU__V1__KIND__KIND_HELLO) {
        json_t *hello = json_object ();
        ProtobufCBinaryData none = { 0, NULL };
        const ProtobufCBinaryData *about = letter->hello ? &letter->hello->about_message_id : &none;
        json_object_set_new (hello, "about", s_hex_json (about->data, about->len));
        json_object_set_new (hello, "rewound",
                             json_boolean (letter->hello && letter->hello->rewound));
        json_object_set_new (out, "hello", hello);
        if (from_coordinator) {
            s_label_t *l = s_label_by_id (self, about->data, about->len);
            if (!l)
                l = s_label_unanswered (self, conn, TSUNAGU__V1__KIND__KIND_HELLO, false);
            if (l)
                l->answered = true;
            json_object_set_new (out, "about_label", l ? json_string (l->name) : json_null ());
        }
    }
    else if (letter->kind == TSUNAGU__V1__KIND__KIND_DIRECTORY && letter->directory) {
        json_t *list = json_array ();
        for (size_t i = 0; i < letter->directory->n_agencies; i++) {
            const Tsunagu__V1__AgencyEntry *a = letter->directory->agencies[i];
            json_array_append_new (list, json_pack ("{s:s, s:s, s:s}", "id", a->id ? a->id : "",
                                                    "type", a->type ? a->type : "", "status",
                                                    s_word_name (s_statuses, a->status)));
        }
        json_object_set_new (out, "directory",
                             json_pack ("{s:I, s:o}", "serial",
                                        (json_int_t) letter->directory->serial, "agencies", list));
    }
    else if (letter->kind == TSUNAGU__V1__KIND__KIND_CASE_UPDATE && letter->case_update) {
        const Tsunagu__V1__CaseUpdate *u = letter->case_update;
        json_t *cu = json_pack ("{s:I, s:o}", "version", (json_int_t) u->version, "agencies",
                                s_strings_json (u->agencies, u->n_agencies));
        s_set_text (cu, "case_id", u->case_id);
        s_set_text (cu, "state", u->state);
        json_object_set_new (out, "case_update", cu);
    }
    if (letter->header) {
        const tsg_header_t *h = letter->header;
        json_t *hj = json_object ();
        s_set_text (hj, "case_id", h->case_id);
        s_set_text (hj, "referral_id", h->referral_id);
        s_set_text (hj, "status", h->status);
        s_set_text (hj, "sender_type", h->sender_type);
        s_set_text (hj, "consent_id", h->consent_id);
        json_object_set_new (hj, "legal_basis",
                             json_string (tsg_legal_basis_name (h->legal_basis)));
        json_object_set_new (out, "header", hj);
    }
    s_emit (out);
    if (verified && from_coordinator && letter->kind == TSUNAGU__V1__KIND__KIND_DIRECTORY) {
        tsg_envelope_clear (&self->directory);
        self->directory = env;
        env.envelope = NULL;
        env.letter = NULL;
        letter = self->directory.letter;
    }
    if (verified)
        s_maybe_ack (self, conn, letter);
    tsg_envelope_clear (&env);
}

/* Reads one monitor event of conn and prints it. */
static void
s_monitor_event (s_peer_t *self, int conn)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, self->conns[conn].monitor, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&frame);
        return;
    }
    int event = 0;
    if (zmq_msg_size (&frame) >= 6) {
        uint16_t raw;
        memcpy (&raw, zmq_msg_data (&frame), sizeof raw);
        event = raw;
    }
    while (zmq_msg_more (&frame)) {
        zmq_msg_close (&frame);
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, self->conns[conn].monitor, 0) < 0)
            break;
    }
    zmq_msg_close (&frame);
    const char *what = event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED     ? "handshake-succeeded"
                       : event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "handshake-failed-auth"
                       : event == ZMQ_EVENT_DISCONNECTED          ? "disconnected"
                                                                  : "handshake-failed";
    s_emit (json_pack ("{s:s, s:i, s:s, s:i}", "event", "monitor", "conn", conn, "what", what,
                       "code", event));
}

/* Receives on every open connection for at most ms, until done (NULL: never) says stop. */
static bool
s_receive (s_peer_t *self, long ms, bool (*done) (s_peer_t *, void *), void *arg)
{
    uint64_t deadline = tsg_monotonic_ms () + (uint64_t) ms;
    while (true) {
        if (done && done (self, arg))
            return true;
        uint64_t now = tsg_monotonic_ms ();
        if (now >= deadline)
            return false;
        zmq_pollitem_t items[2 * PEER_CONNS_MAX];
        int which[2 * PEER_CONNS_MAX];
        int n = 0;
        for (int i = 0; i < PEER_CONNS_MAX; i++) {
            if (!self->conns[i].socket)
                continue;
            items[n] = (zmq_pollitem_t){ self->conns[i].socket, 0, ZMQ_POLLIN, 0 };
            which[n++] = i;
            items[n] = (zmq_pollitem_t){ self->conns[i].monitor, 0, ZMQ_POLLIN, 0 };
            which[n++] = -1 - i;
        }
        long wait = (long) (deadline - now);
        if (n == 0) {
            zmq_poll (NULL, 0, wait < 50 ? wait : 50);
            continue;
        }
        if (zmq_poll (items, n, wait < 100 ? wait : 100) < 0 && zmq_errno () != EINTR)
            return false;
        for (int k = 0; k < n; k++) {
            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            if (which[k] < 0) {
                s_monitor_event (self, -1 - which[k]);
                continue;
            }
            int conn = which[k];
            /* One message at a time, every frame of it. */
            int more = 1;
            while (more && self->conns[conn].socket) {
                zmq_msg_t part;
                zmq_msg_init (&part);
                if (zmq_msg_recv (&part, self->conns[conn].socket, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close (&part);
                    break;
                }
                more = zmq_msg_more (&part);
                s_received (self, conn, zmq_msg_data (&part), zmq_msg_size (&part));
                zmq_msg_close (&part);
            }
        }
    }
}

/* What a wait waits for. */
typedef struct {
    json_t *labels;     /* patterns that must be answered (borrowed; NULL: none) */
    unsigned count;     /* letters that must arrive */
    bool has_condition; /* false: wait the whole time */
} s_wait_t;

static bool
s_wait_done (s_peer_t *self, void *arg)
{
    const s_wait_t *w = arg;
    if (!w->has_condition)
        return false;
    if (self->received_in_wait < w->count)
        return false;
    for (size_t i = 0; i < json_array_size (w->labels); i++) {
        const char *p = json_string_value (json_array_get (w->labels, i));
        if (p && !s_pattern_answered (self, p))
            return false;
    }
    return true;
}

/* ---- actions -------------------------------------------------------------------------- */

static int
s_conn_index (json_t *action)
{
    json_t *c = json_object_get (action, "conn");
    return c ? (int) json_integer_value (c) : 0;
}

static const char *
s_do_connect (s_peer_t *self, json_t *action)
{
    int conn = s_conn_index (action);
    if (conn < 0 || conn >= PEER_CONNS_MAX)
        return "conn is 0 to 7";
    const char *why = s_open (self, conn);
    if (why)
        return why;
    bool answered = false;
    json_t *hello = json_object_get (action, "hello");
    if (!hello || json_is_true (hello)) {
        json_t *spec = json_pack ("{s:s}", "kind", "hello");
        const char *label = s_str (action, "label");
        char name[PEER_LABEL_LEN];
        snprintf (name, sizeof name, "hello@%d", conn);
        json_object_set_new (spec, "label", json_string (label ? label : name));
        uint8_t *frame = NULL;
        size_t len = 0;
        why = s_build (self, spec, conn, 0, false, &frame, &len);
        const char *failed = why ? NULL : s_send_frames (self, conn, &frame, &len, 1);
        if (failed)
            s_emit (json_pack ("{s:s, s:i, s:s, s:i}", "event", "send-failed", "conn", conn, "why",
                               failed, "frames", 1));
        free (frame);
        if (!why && !failed) {
            json_t *patterns = json_pack ("[s]", label ? label : name);
            s_wait_t w = { patterns, 0, true };
            json_t *ms = json_object_get (action, "wait_ms");
            self->received_in_wait = 0;
            answered =
                s_receive (self, ms ? (long) json_integer_value (ms) : 5000, s_wait_done, &w);
            json_decref (patterns);
        }
        json_decref (spec);
        if (why)
            return why;
    }
    s_emit (json_pack ("{s:s, s:i, s:b}", "event", "connected", "conn", conn, "hello_answered",
                       answered));
    return NULL;
}

static const char *
s_do_send (s_peer_t *self, json_t *action)
{
    int conn = s_conn_index (action);
    if (conn < 0 || conn >= PEER_CONNS_MAX)
        return "conn is 0 to 7";
    uint8_t *frames[PEER_FRAMES_MAX];
    size_t lens[PEER_FRAMES_MAX];
    size_t count = 0;
    const char *why = NULL;
    json_t *letters = json_object_get (action, "letters");
    if (json_is_array (letters)) {
        if (json_array_size (letters) > PEER_FRAMES_MAX)
            return "too many letters for one message";
        for (size_t i = 0; !why && i < json_array_size (letters); i++) {
            frames[count] = NULL;
            why = s_build (self, json_array_get (letters, i), conn, 0, false, &frames[count],
                           &lens[count]);
            if (!why)
                count++;
        }
    }
    else {
        json_int_t copies = json_integer_value (json_object_get (action, "copies"));
        bool many = json_object_get (action, "copies") != NULL;
        if (!many)
            copies = 1;
        if (copies < 1 || copies > PEER_FRAMES_MAX)
            return "copies is 1 to 256";
        for (json_int_t i = 0; !why && i < copies; i++) {
            frames[count] = NULL;
            why = s_build (self, action, conn, (size_t) i, many, &frames[count], &lens[count]);
            if (!why)
                count++;
        }
    }
    if (!why) {
        const char *failed = s_send_frames (self, conn, frames, lens, count);
        if (failed)
            s_emit (json_pack ("{s:s, s:i, s:s, s:I}", "event", "send-failed", "conn", conn, "why",
                               failed, "frames", (json_int_t) count));
    }
    for (size_t i = 0; i < count; i++)
        free (frames[i]);
    return why;
}

static const char *
s_do_wait (s_peer_t *self, json_t *action)
{
    json_int_t ms = json_integer_value (json_object_get (action, "ms"));
    if (ms < 0 || ms > PEER_WAIT_MAX_MS)
        return "ms is 0 to 120000";
    json_t *labels = json_object_get (action, "for");
    json_t *count = json_object_get (action, "count");
    s_wait_t w = { json_is_array (labels) ? labels : NULL,
                   count ? (unsigned) json_integer_value (count) : 0, labels || count };
    self->received_in_wait = 0;
    uint64_t start = tsg_monotonic_ms ();
    bool complete = s_receive (self, (long) ms, s_wait_done, &w);
    s_emit (json_pack ("{s:s, s:b, s:I, s:i}", "event", "waited", "complete", complete, "ms",
                       (json_int_t) (tsg_monotonic_ms () - start), "received",
                       (int) self->received_in_wait));
    return NULL;
}

static const char *
s_do_auto_ack (s_peer_t *self, json_t *action)
{
    const char *mode = s_str (action, "mode");
    if (!mode || strcmp (mode, "mail") == 0)
        self->ack_mode = PEER_ACK_MAIL;
    else if (strcmp (mode, "all") == 0)
        self->ack_mode = PEER_ACK_ALL;
    else if (strcmp (mode, "none") == 0)
        self->ack_mode = PEER_ACK_NONE;
    else
        return "mode is mail, all or none";
    self->ack_offset_ms =
        (int64_t) json_integer_value (json_object_get (action, "created_at_offset_ms"));
    json_t *max = json_object_get (action, "max");
    self->acks_left = max ? (unsigned) json_integer_value (max) : 1000;
    return NULL;
}

/* Runs one script line.  Returns NULL, or why the action is bad. */
static const char *
s_action (s_peer_t *self, json_t *action, const char **op)
{
    *op = s_str (action, "op");
    if (!*op)
        return "an action needs an op";
    if (strcmp (*op, "connect") == 0)
        return s_do_connect (self, action);
    if (strcmp (*op, "close") == 0) {
        int conn = s_conn_index (action);
        if (conn < 0 || conn >= PEER_CONNS_MAX)
            return "conn is 0 to 7";
        s_close (self, conn);
        return NULL;
    }
    if (strcmp (*op, "send") == 0)
        return s_do_send (self, action);
    if (strcmp (*op, "wait") == 0)
        return s_do_wait (self, action);
    if (strcmp (*op, "auto_ack") == 0)
        return s_do_auto_ack (self, action);
    if (strcmp (*op, "mark") == 0) {
        const char *text = s_str (action, "text");
        s_emit (json_pack ("{s:s, s:s}", "event", "mark", "text", text ? text : ""));
        return NULL;
    }
    return "unknown op";
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunagu-hostile-peer --endpoint E --server-key Z85 --keys FILE\n"
             "                            [--coordinator-pub FILE] [--script FILE]\n"
             "Runs a JSON-lines script of actions (see the header of tests/hostile/peer.c).\n");
}

int
main (int argc, char **argv)
{
    static const struct option longopts[] = { { "endpoint", required_argument, NULL, 'e' },
                                              { "server-key", required_argument, NULL, 's' },
                                              { "keys", required_argument, NULL, 'k' },
                                              { "coordinator-pub", required_argument, NULL, 'p' },
                                              { "script", required_argument, NULL, 'f' },
                                              { "help", no_argument, NULL, 'h' },
                                              { NULL, 0, NULL, 0 } };
    const char *server_key = NULL, *keys_path = NULL, *pub_path = NULL, *script = NULL;
    s_peer_t peer;
    memset (&peer, 0, sizeof peer);
    int ch;
    while ((ch = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'e': peer.endpoint = optarg; break;
        case 's': server_key = optarg; break;
        case 'k': keys_path = optarg; break;
        case 'p': pub_path = optarg; break;
        case 'f': script = optarg; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (!peer.endpoint || !server_key || !keys_path
        || !tsg_key_from_z85 (server_key, peer.server_key)) {
        s_usage (stderr);
        return 2;
    }
    log_init ("tsunagu-hostile-peer", false);
    if (sodium_init () < 0)
        return 1;
    char err[256] = "";
    int rc = tsg_keys_load (keys_path, &peer.keys, err, sizeof err);
    if (rc != TSG_OK) {
        fprintf (stderr, "hostile-peer: %s: %s %s\n", keys_path, tsg_strerror (rc), err);
        return 1;
    }
    char path[PATH_MAX];
    if (pub_path)
        snprintf (path, sizeof path, "%s", pub_path);
    else {
        char copy[PATH_MAX];
        snprintf (copy, sizeof copy, "%s", keys_path);
        snprintf (path, sizeof path, "%s/coordinator.pub", dirname (copy));
    }
    char id[33];
    uint8_t box[32];
    peer.have_coordinator_sign =
        tsg_keys_load_public (path, id, box, peer.coordinator_sign, err, sizeof err) == TSG_OK;
    if (!peer.have_coordinator_sign && pub_path) {
        fprintf (stderr, "hostile-peer: %s: %s\n", path, err);
        tsg_keys_destroy (&peer.keys);
        return 1;
    }
    FILE *in = script ? fopen (script, "r") : stdin;
    peer.boxer = tsg_boxer_new (peer.keys);
    peer.labels = calloc (PEER_LABELS_MAX, sizeof *peer.labels);
    peer.ctx = zmq_ctx_new ();
    char *line = malloc (PEER_LINE_MAX);
    if (!in || !peer.boxer || !peer.labels || !peer.ctx || !line) {
        fprintf (stderr, "hostile-peer: set-up failed%s%s\n", in ? "" : ": cannot open ",
                 in ? "" : script);
        return 1;
    }
    peer.ack_mode = PEER_ACK_MAIL;
    peer.acks_left = 1000;
    for (int index = 0; fgets (line, PEER_LINE_MAX, in); index++) {
        size_t n = strlen (line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0) {
            index--;
            continue;
        }
        json_error_t error;
        json_t *action = json_loads (line, 0, &error);
        const char *op = "?";
        const char *why = action ? s_action (&peer, action, &op) : error.text;
        if (why)
            s_emit (
                json_pack ("{s:s, s:i, s:s}", "event", "bad-action", "index", index, "why", why));
        s_emit (
            json_pack ("{s:s, s:s, s:i}", "event", "done", "op", op ? op : "?", "index", index));
        json_decref (action);
    }
    for (int i = 0; i < PEER_CONNS_MAX; i++)
        s_close (&peer, i);
    zmq_ctx_term (peer.ctx);
    if (script)
        fclose (in);
    free (line);
    free (peer.labels);
    tsg_envelope_clear (&peer.directory);
    tsg_boxer_destroy (&peer.boxer);
    tsg_keys_destroy (&peer.keys);
    return 0;
}
