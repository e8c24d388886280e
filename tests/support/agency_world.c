/* A small world for tests, without sockets: a stand-in coordinator key, agencies with
 * generated keys in a temporary folder, signed directories, and captured letters. */
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency_world.h"
#include "agency/api/routes.h"

#define FIXTURE_AGENCIES 16
#define DAY_MS           (24ULL * 3600 * 1000)

/* What one agency has sent. */
typedef struct {
    uint8_t **letters; /* captured envelopes */
    size_t *lens;      /* their sizes */
    size_t count;      /* how many */
    size_t cap;        /* allocated */
    bool blocked;      /* sends fail */
} s_capture_t;

/* One agency the directory lists. */
typedef struct {
    char id[TSG_ID_MAX + 1];   /* its id */
    char type[TSG_ID_MAX + 1]; /* its type */
    uint8_t box_public[32];    /* its keys */
    uint8_t sign_public[32];
    Tsunagu__V1__AgencyStatus status; /* as listed */
    unsigned receive_due_days;        /* as listed (0: the default) */
    unsigned response_due_days;       /* as listed (0: the type's default) */
    tsg_agency_t *agency;             /* the running agency, or NULL for a listed-only id */
    char key_file[600];               /* its secret keys, for restarts */
    size_t map_size;                  /* its store's map size */
    s_capture_t capture;              /* its sent letters */
} s_member_t;

struct _agency_world_t {
    char dir[512];                                /* the world's folder */
    tsg_keys_t *coordinator;                      /* the stand-in coordinator's keys */
    s_member_t members[FIXTURE_AGENCIES];         /* the agencies */
    size_t count;                                 /* how many */
    uint64_t serial;                              /* last directory serial */
    const Tsunagu__V1__CoordinatorKeys *handover; /* what directories hand over to (borrowed) */
};

agency_world_t *
agency_world_new (void)
{
    agency_world_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    tsg_mkdir_p (base, 0700);
    snprintf (self->dir, sizeof self->dir, "%s/agency-XXXXXX", base);
    self->coordinator = tsg_keys_generate (TSG_COORDINATOR_ID);
    if (!mkdtemp (self->dir) || !self->coordinator) {
        tsg_keys_destroy (&self->coordinator);
        free (self);
        return NULL;
    }
    return self;
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

void
agency_world_destroy (agency_world_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agency_world_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        s_member_t *m = &self->members[i];
        tsg_agency_destroy (&m->agency);
        for (size_t j = 0; j < m->capture.count; j++)
            free (m->capture.letters[j]);
        free (m->capture.letters);
        free (m->capture.lens);
    }
    tsg_keys_destroy (&self->coordinator);
    nftw (self->dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    free (self);
    *self_p = NULL;
}

static s_member_t *
s_member (agency_world_t *self, const char *id)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->members[i].id, id) == 0)
            return &self->members[i];
    return NULL;
}

static s_member_t *
s_member_of (agency_world_t *self, const tsg_agency_t *agency)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->members[i].agency == agency)
            return &self->members[i];
    return NULL;
}

static int
s_capture (void *arg, const uint8_t *data, size_t len)
{
    s_capture_t *capture = arg;
    if (capture->blocked)
        return -1;
    if (capture->count == capture->cap) {
        size_t cap = capture->cap ? capture->cap * 2 : 16;
        uint8_t **letters = realloc (capture->letters, cap * sizeof *letters);
        if (!letters)
            return -1;
        capture->letters = letters;
        size_t *lens = realloc (capture->lens, cap * sizeof *lens);
        if (!lens)
            return -1;
        capture->lens = lens;
        capture->cap = cap;
    }
    uint8_t *copy = malloc (len ? len : 1);
    if (!copy)
        return -1;
    memcpy (copy, data, len);
    capture->letters[capture->count] = copy;
    capture->lens[capture->count] = len;
    capture->count++;
    return 0;
}

/* The configuration of member m, with its keys loaded from its key file. */
static tsg_agency_config_t *
s_config (agency_world_t *self, const s_member_t *m)
{
    tsg_agency_config_t *config = tsg_agency_config_new ();
    if (!config)
        return NULL;
    char path[600], err[256];
    snprintf (path, sizeof path, "%s/%s", self->dir, m->id);
    config->id = strdup (m->id);
    config->type = strdup (m->type);
    config->name = strdup (m->id);
    config->data_dir = strdup (path);
    config->map_size = m->map_size;
    config->endpoint = strdup ("tcp://127.0.0.1:1");
    config->http_host = strdup ("127.0.0.1");
    memcpy (config->coordinator_box, tsg_keys_box_public (self->coordinator), 32);
    memcpy (config->coordinator_sign, tsg_keys_sign_public (self->coordinator), 32);
    crypto_hash_sha256 (config->token_sha256, (const uint8_t *) AGENCY_WORLD_TOKEN,
                        strlen (AGENCY_WORLD_TOKEN));
    const tsg_agency_policy_t *policy = tsg_agency_policy_find (m->type);
    config->response_due_days = policy ? policy->response_due_days : 7;
    if (tsg_keys_load (m->key_file, &config->keys, err, sizeof err) != TSG_OK) {
        log_warnx ("fixture: %s: %s", m->key_file, err);
        tsg_agency_config_destroy (&config);
    }
    return config;
}

static tsg_agency_t *
s_open (agency_world_t *self, s_member_t *m)
{
    char err[256];
    tsg_agency_config_t *config = s_config (self, m);
    if (!config)
        return NULL;
    m->agency = tsg_agency_new (&config, err, sizeof err);
    if (!m->agency) {
        log_warnx ("fixture: %s", err);
        return NULL;
    }
    m->agency->send = s_capture;
    m->agency->send_arg = &m->capture;
    return m->agency;
}

tsg_agency_t *
agency_world_agency_sized (agency_world_t *self, const char *id, const char *type, size_t map_size)
{
    if (self->count == FIXTURE_AGENCIES || s_member (self, id))
        return NULL;
    s_member_t *m = &self->members[self->count];
    memset (m, 0, sizeof *m);
    snprintf (m->id, sizeof m->id, "%s", id);
    snprintf (m->type, sizeof m->type, "%s", type);
    char key_file[sizeof m->key_file];
    snprintf (key_file, sizeof key_file, "%s/%s.key", self->dir, id);
    memcpy (m->key_file, key_file, sizeof key_file);
    m->status = TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE;
    m->map_size = map_size;
    tsg_keys_t *keys = tsg_keys_generate (id);
    if (!keys || tsg_keys_save_secret (keys, m->key_file) != TSG_OK) {
        tsg_keys_destroy (&keys);
        return NULL;
    }
    memcpy (m->box_public, tsg_keys_box_public (keys), 32);
    memcpy (m->sign_public, tsg_keys_sign_public (keys), 32);
    tsg_keys_destroy (&keys);
    if (!s_open (self, m))
        return NULL;
    self->count++;
    return m->agency;
}

tsg_agency_t *
agency_world_agency (agency_world_t *self, const char *id, const char *type)
{
    return agency_world_agency_sized (self, id, type, 64u * 1024 * 1024);
}

tsg_agency_t *
agency_world_restart (agency_world_t *self, tsg_agency_t *agency)
{
    s_member_t *m = s_member_of (self, agency);
    if (!m)
        return NULL;
    tsg_agency_destroy (&m->agency);
    return s_open (self, m);
}

void
agency_world_status (agency_world_t *self, const char *id, Tsunagu__V1__AgencyStatus status)
{
    s_member_t *m = s_member (self, id);
    if (!m && self->count < FIXTURE_AGENCIES) {
        m = &self->members[self->count++];
        memset (m, 0, sizeof *m);
        snprintf (m->id, sizeof m->id, "%s", id);
        snprintf (m->type, sizeof m->type, "%s", "poverty");
        randombytes_buf (m->box_public, 32);
        randombytes_buf (m->sign_public, 32);
    }
    if (m)
        m->status = status;
}

void
agency_world_due_days (agency_world_t *self, const char *id, unsigned receive_days,
                       unsigned response_days)
{
    s_member_t *m = s_member (self, id);
    if (m) {
        m->receive_due_days = receive_days;
        m->response_due_days = response_days;
    }
}

int
agency_world_coordinator_letter (agency_world_t *self, const char *recipient,
                                 Tsunagu__V1__Kind kind, agency_world_fill_fn *fill, void *arg,
                                 uint8_t **out, size_t *out_len)
{
    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, NULL, message_id, kind, TSG_COORDINATOR_ID, recipient);
    if (fill)
        fill (&letter, arg);
    return tsg_envelope_seal (&letter, self->coordinator, out, out_len);
}

static void
s_fill_directory (tsg_letter_t *letter, void *arg)
{
    letter->directory = arg;
}

void
agency_world_publish (agency_world_t *self)
{
    Tsunagu__V1__AgencyEntry entries[FIXTURE_AGENCIES];
    Tsunagu__V1__AgencyEntry *list[FIXTURE_AGENCIES];
    Tsunagu__V1__Directory directory = TSUNAGU__V1__DIRECTORY__INIT;
    uint64_t now = tsg_now_ms ();
    for (size_t i = 0; i < self->count; i++) {
        s_member_t *m = &self->members[i];
        tsunagu__v1__agency_entry__init (&entries[i]);
        entries[i].id = m->id;
        entries[i].type = m->type;
        entries[i].name = m->id;
        entries[i].box_public.data = m->box_public;
        entries[i].box_public.len = 32;
        entries[i].sign_public.data = m->sign_public;
        entries[i].sign_public.len = 32;
        entries[i].status = m->status;
        entries[i].receive_due_days = m->receive_due_days;
        entries[i].response_due_days = m->response_due_days;
        list[i] = &entries[i];
    }
    directory.serial = ++self->serial;
    directory.valid_from_ms = now - 1000;
    directory.valid_until_ms = now + 7 * DAY_MS;
    directory.n_agencies = self->count;
    directory.agencies = list;
    directory.coordinator_next = (Tsunagu__V1__CoordinatorKeys *) self->handover;
    for (size_t i = 0; i < self->count; i++) {
        if (!self->members[i].agency)
            continue;
        uint8_t *data = NULL;
        size_t len = 0;
        if (agency_world_coordinator_letter (self, self->members[i].id,
                                             TSUNAGU__V1__KIND__KIND_DIRECTORY, s_fill_directory,
                                             &directory, &data, &len)
            == TSG_OK) {
            const uint8_t *frames[1] = { data };
            agency_receive (self->members[i].agency, frames, &len, 1);
        }
        free (data);
    }
}

typedef struct {
    const uint8_t *about;           /* the letter's id */
    Tsunagu__V1__Receipt receipt;   /* for a stored receipt */
    Tsunagu__V1__ErrorReport error; /* for an error */
} s_reply_t;

static void
s_fill_receipt (tsg_letter_t *letter, void *arg)
{
    s_reply_t *reply = arg;
    tsunagu__v1__receipt__init (&reply->receipt);
    reply->receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED;
    reply->receipt.about_message_id.data = (uint8_t *) reply->about;
    reply->receipt.about_message_id.len = TSG_MESSAGE_ID_SIZE;
    reply->receipt.at_ms = tsg_now_ms ();
    letter->receipt = &reply->receipt;
}

static void
s_fill_error (tsg_letter_t *letter, void *arg)
{
    s_reply_t *reply = arg;
    reply->error.about_message_id.data = (uint8_t *) reply->about;
    reply->error.about_message_id.len = TSG_MESSAGE_ID_SIZE;
    if (!reply->error.detail || !*reply->error.detail)
        reply->error.detail = (char *) "refused by the fixture";
    letter->error = &reply->error;
}

static int
s_answer (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope, size_t len,
          Tsunagu__V1__Kind kind, s_reply_t *reply)
{
    tsg_envelope_t env = { 0 };
    if (agency_world_decode (envelope, len, &env) != TSG_OK)
        return TSG_ERR_BAD_INPUT;
    reply->about = env.letter->message_id.data;
    uint8_t *data = NULL;
    size_t data_len = 0;
    int rc = agency_world_coordinator_letter (
        self, agency->config->id, kind,
        kind == TSUNAGU__V1__KIND__KIND_RECEIPT ? s_fill_receipt : s_fill_error, reply, &data,
        &data_len);
    tsg_envelope_clear (&env);
    if (rc != TSG_OK)
        return rc;
    const uint8_t *frames[1] = { data };
    rc = agency_receive (agency, frames, &data_len, 1);
    free (data);
    return rc;
}

int
agency_world_store_ack (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                        size_t len)
{
    s_reply_t reply;
    memset (&reply, 0, sizeof reply);
    return s_answer (self, agency, envelope, len, TSUNAGU__V1__KIND__KIND_RECEIPT, &reply);
}

int
agency_world_error (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope, size_t len,
                    Tsunagu__V1__ErrorCode code, bool final)
{
    s_reply_t reply;
    memset (&reply, 0, sizeof reply);
    tsunagu__v1__error_report__init (&reply.error);
    reply.error.code = code;
    reply.error.final = final;
    return s_answer (self, agency, envelope, len, TSUNAGU__V1__KIND__KIND_ERROR, &reply);
}

int
agency_world_withhold (agency_world_t *self, tsg_agency_t *agency, const uint8_t *envelope,
                       size_t len)
{
    s_reply_t reply;
    memset (&reply, 0, sizeof reply);
    tsunagu__v1__error_report__init (&reply.error);
    reply.error.code = TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS;
    reply.error.final = true;
    reply.error.detail = (char *) "withheld: consent 5b2c1d9e-0000-4000-8000-000000000001 revoked";
    return s_answer (self, agency, envelope, len, TSUNAGU__V1__KIND__KIND_ERROR, &reply);
}

int
agency_world_deliver (tsg_agency_t *agency, const uint8_t *data, size_t len)
{
    const uint8_t *frames[1] = { data };
    return agency_receive (agency, frames, &len, 1);
}

uint8_t *
agency_world_take (agency_world_t *self, const tsg_agency_t *agency, Tsunagu__V1__Kind kind,
                   size_t *len)
{
    s_member_t *m = s_member_of (self, agency);
    uint8_t *copy = NULL;
    for (size_t i = 0; m && i < m->capture.count && !copy; i++) {
        tsg_envelope_t env = { 0 };
        if (agency_world_decode (m->capture.letters[i], m->capture.lens[i], &env) != TSG_OK)
            continue;
        if (env.letter->kind == kind && (copy = malloc (m->capture.lens[i]))) {
            memcpy (copy, m->capture.letters[i], m->capture.lens[i]);
            *len = m->capture.lens[i];
        }
        tsg_envelope_clear (&env);
    }
    agency_world_sent_clear (self, agency);
    return copy;
}

size_t
agency_world_sent_count (agency_world_t *self, const tsg_agency_t *agency)
{
    s_member_t *m = s_member_of (self, agency);
    return m ? m->capture.count : 0;
}

const uint8_t *
agency_world_sent (agency_world_t *self, const tsg_agency_t *agency, size_t index, size_t *len)
{
    s_member_t *m = s_member_of (self, agency);
    if (!m || index >= m->capture.count)
        return NULL;
    *len = m->capture.lens[index];
    return m->capture.letters[index];
}

void
agency_world_sent_clear (agency_world_t *self, const tsg_agency_t *agency)
{
    s_member_t *m = s_member_of (self, agency);
    if (!m)
        return;
    for (size_t i = 0; i < m->capture.count; i++)
        free (m->capture.letters[i]);
    m->capture.count = 0;
}

void
agency_world_block (agency_world_t *self, const tsg_agency_t *agency, bool blocked)
{
    s_member_t *m = s_member_of (self, agency);
    if (m)
        m->capture.blocked = blocked;
}

int
agency_world_decode (const uint8_t *data, size_t len, tsg_envelope_t *out)
{
    return tsg_envelope_decode (data, len, out, NULL);
}

/* agency_answer_fn: keeps the answer of the one request made. */
static void
s_keep_answer (void *arg, agency_pending_t *pending)
{
    agency_http_reply_t *reply = arg;
    reply->status = pending->status;
    reply->body = pending->reply;
    pending->reply = NULL;
}

int
agency_world_request (tsg_agency_t *agency, const char *method, const char *path, const char *body,
                      json_t **reply_body)
{
    agency_http_request_t req;
    agency_http_reply_t reply;
    memset (&req, 0, sizeof req);
    char *copy = strdup (path);
    char *query = copy ? strchr (copy, '?') : NULL;
    if (query) {
        *query++ = '\0';
        for (char *arg = strtok (query, "&"); arg; arg = strtok (NULL, "&")) {
            if (strncmp (arg, "after=", 6) == 0)
                req.after = arg + 6;
            else if (strncmp (arg, "limit=", 6) == 0)
                req.limit = arg + 6;
            else if (strncmp (arg, "state=", 6) == 0)
                req.state = arg + 6;
            else if (strncmp (arg, "case=", 5) == 0)
                req.case_filter = arg + 5;
        }
    }
    req.method = method;
    req.path = copy ? copy : path;
    req.authorization = AGENCY_WORLD_AUTH;
    req.content_type = body ? "application/json" : NULL;
    req.body = body;
    req.body_len = body ? strlen (body) : 0;
    agency_route (agency, &req, &reply);
    if (reply.pending) {
        agency_http_reply_t answer;
        memset (&answer, 0, sizeof answer);
        agency_pending_commit (agency, s_keep_answer, &answer);
        reply.status = answer.status;
        reply.body = answer.body;
    }
    free (copy);
    /* A text body (GET /metrics) comes back as {"text": ...}. */
    if (reply.text) {
        reply.body = json_pack ("{s:s}", "text", reply.text);
        free (reply.text);
    }
    if (reply_body)
        *reply_body = reply.body;
    else
        json_decref (reply.body);
    return reply.status;
}

size_t
agency_world_count (tsg_agency_t *agency, int db)
{
    tsg_txn_t txn;
    tsg_txn_begin (agency->store, &txn, false);
    size_t n = tsg_txn_count (&txn, tsg_store_db (agency->store, db));
    tsg_txn_abort (&txn);
    return n;
}

const char *
agency_world_dir (const agency_world_t *self)
{
    return self->dir;
}

agency_world_t *
agency_world_with (size_t n, tsg_agency_t *agencies[])
{
    static const char *const ids[][2] = { { "elder-a", "eldercare" },
                                          { "pov-a", "poverty" },
                                          { "dis-a", "disability" },
                                          { "child-a", "child" } };
    agency_world_t *self = agency_world_new ();
    if (!self || n == 0 || n > sizeof ids / sizeof ids[0]) {
        agency_world_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        agencies[i] = agency_world_agency (self, ids[i][0], ids[i][1]);
        if (!agencies[i]) {
            agency_world_destroy (&self);
            return NULL;
        }
    }
    agency_world_publish (self);
    return self;
}

static void
s_fill_update (tsg_letter_t *letter, void *arg)
{
    letter->case_update = arg;
}

int
agency_world_case_update (agency_world_t *self, tsg_agency_t *agency,
                          Tsunagu__V1__CaseUpdate *update)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = agency_world_coordinator_letter (self, agency->config->id,
                                              TSUNAGU__V1__KIND__KIND_CASE_UPDATE, s_fill_update,
                                              update, &data, &len);
    if (rc == TSG_OK)
        rc = agency_world_deliver (agency, data, len);
    agency_world_sent_clear (self, agency);
    free (data);
    return rc;
}

tsg_keys_t *
agency_world_coordinator_keys (agency_world_t *self)
{
    return self->coordinator;
}

void
agency_world_handover (agency_world_t *self, const Tsunagu__V1__CoordinatorKeys *next)
{
    self->handover = next;
}
