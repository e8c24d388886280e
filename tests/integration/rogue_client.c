/* tsunagu-rogue-client: a misbehaving agency that checks the coordinator refuses it.
 *
 * Modes (exactly one):
 *   --fresh               CURVE client with fresh, unregistered keys: expects the ZAP
 *                         handshake to fail ("refused: authentication failed")
 *   --claim ID            a registered key sending a REFERRAL whose sender is ID:
 *                         expects ERROR_SENDER_MISMATCH ("refused: sender mismatch")
 *   --garbage             a frame that is no Envelope: expects ERROR_MALFORMED
 *   --truncated           the first half of a valid envelope: expects ERROR_MALFORMED
 *   --bad-signature       a valid letter with one signature bit flipped: ERROR_BAD_SIGNATURE
 *   --oversize            an envelope frame over 1 MiB: expects ERROR_TOO_LARGE
 *   --send                a well-formed REFERRAL with the header the options give (legal
 *                         basis, consent, data categories, urgency, tags): expects what --expect
 *                         names, an error code ("missing_legal_basis") or "stored"; this
 *                         checks the coordinator's own rules whatever an agency daemon
 *                         would refuse before sending
 *
 * Exit: 0 refused (for --send: answered) as expected, 1 set-up failure, 2 usage, 3 anything else
 * came back (admitted, accepted, another error), 4 nothing decisive within --timeout seconds. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "tsunagu/tsunagu.h"

#define EXIT_REFUSED  0
#define EXIT_SETUP    1
#define EXIT_USAGE    2
#define EXIT_ANSWERED 3
#define EXIT_TIMEOUT  4

#define MONITOR_ENDPOINT "inproc://rogue-monitor"

typedef enum {
    MODE_NONE,
    MODE_FRESH,
    MODE_CLAIM,
    MODE_GARBAGE,
    MODE_TRUNCATED,
    MODE_BAD_SIGNATURE,
    MODE_OVERSIZE,
    MODE_SEND
} rogue_mode_t;

#define ROGUE_CATEGORIES_MAX 16
#define ROGUE_TAGS_MAX       16

/* Everything the command line says. */
typedef struct {
    rogue_mode_t mode;             /* what to try */
    const char *endpoint;          /* the coordinator's ROUTER */
    const char *server_key;        /* the coordinator's CURVE public key, Z85 */
    const char *keys_path;         /* a registered agency's secret key file */
    const char *coordinator_pub;   /* the coordinator's public key file, to verify answers */
    const char *claim;             /* the sender id to claim (MODE_CLAIM) */
    const char *to;                /* the letter's recipient */
    const char *to_box_public;     /* the recipient's box key, Z85, to seal a real body */
    const char *referral_id;       /* header referral id of the letter */
    const char *marker;            /* text put in the sealed sheet */
    const char *claim_type;        /* header sender_type */
    unsigned long sequence;        /* the letter's sequence */
    int timeout_s;                 /* how long to wait for a decisive answer */
    const char *expect;            /* MODE_SEND: an error code name, or "stored" */
    const char *case_id;           /* header case id (default: a new one) */
    const char *consent_id;        /* header consent id */
    Tsunagu__V1__LegalBasis basis; /* header legal basis */
    Tsunagu__V1__Urgency urgency;  /* header urgency */
    bool urgent;                   /* header urgent flag */
    char *categories[ROGUE_CATEGORIES_MAX]; /* header data categories */
    size_t n_categories;                    /* how many of them */
    char *tags[ROGUE_TAGS_MAX];             /* header tags */
    size_t n_tags;                          /* how many of them */
} rogue_options_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: tsunagu-rogue-client --endpoint E --server-key Z85 MODE [options]\n"
             "modes:\n"
             "  --fresh                 connect with fresh, unregistered keys\n"
             "  --claim ID              send a REFERRAL claiming to be agency ID\n"
             "  --garbage               send a frame that is not an Envelope\n"
             "  --truncated             send half of a valid envelope\n"
             "  --bad-signature         send a letter whose signature does not verify\n"
             "  --oversize              send an envelope frame over 1 MiB\n"
             "  --send                  send a well-formed REFERRAL; --expect says the answer\n"
             "options:\n"
             "  --keys FILE             a registered agency's secret key file (all but --fresh)\n"
             "  --coordinator-pub FILE  verify answers (default: coordinator.pub beside --keys)\n"
             "  --to ID                 recipient of the letter (default: the key's own id)\n"
             "  --to-box-public Z85     seal a real sheet to the recipient\n"
             "  --referral-id UUID      header referral id (default: a new one)\n"
             "  --marker TEXT           text put in the sealed sheet\n"
             "  --claim-type TYPE       header sender_type (default: eldercare)\n"
             "  --sequence N            letter sequence (default 1)\n"
             "  --timeout SECONDS       wait at most this long (default 10)\n"
             "--send options:\n"
             "  --expect WHAT           an error code name (missing_legal_basis, ...) or stored\n"
             "  --legal-basis NAME      consent|support-meeting|statutory-meeting|emergency|none|\n"
             "                          unspecified (default consent)\n"
             "  --consent-id ID         header consent id\n"
             "  --case-id UUID          header case id (default: a new one)\n"
             "  --category NAME         a data category (repeat)\n"
             "  --urgency LEVEL         normal|high|emergency (default normal)\n"
             "  --urgent                set the urgent flag\n"
             "  --tag TEXT              a header tag (repeat)\n");
}

/* The legal basis named text; false when the name is unknown. */
static bool
s_basis (const char *text, Tsunagu__V1__LegalBasis *out)
{
    static const struct {
        const char *name;
        Tsunagu__V1__LegalBasis value;
    } bases[] = {
        { "unspecified", TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED },
        { "consent", TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT },
        { "support-meeting", TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING },
        { "statutory-meeting", TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING },
        { "emergency", TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY },
        { "none", TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE },
    };
    for (size_t i = 0; i < sizeof (bases) / sizeof (bases[0]); i++)
        if (strcmp (bases[i].name, text) == 0) {
            *out = bases[i].value;
            return true;
        }
    return false;
}

/* The urgency named text; false when the name is unknown. */
static bool
s_urgency (const char *text, Tsunagu__V1__Urgency *out)
{
    if (strcmp (text, "normal") == 0)
        *out = TSUNAGU__V1__URGENCY__URGENCY_NORMAL;
    else if (strcmp (text, "high") == 0)
        *out = TSUNAGU__V1__URGENCY__URGENCY_HIGH;
    else if (strcmp (text, "emergency") == 0)
        *out = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY;
    else
        return false;
    return true;
}

/* Parses argv into opts.  Returns 0, or EXIT_USAGE after printing why. */
static int
s_parse (int argc, char **argv, rogue_options_t *opts)
{
    static const struct option longopts[] = { { "endpoint", required_argument, NULL, 'e' },
                                              { "server-key", required_argument, NULL, 's' },
                                              { "keys", required_argument, NULL, 'k' },
                                              { "coordinator-pub", required_argument, NULL, 'p' },
                                              { "fresh", no_argument, NULL, 'F' },
                                              { "claim", required_argument, NULL, 'C' },
                                              { "garbage", no_argument, NULL, 'G' },
                                              { "truncated", no_argument, NULL, 'T' },
                                              { "bad-signature", no_argument, NULL, 'B' },
                                              { "oversize", no_argument, NULL, 'O' },
                                              { "to", required_argument, NULL, 't' },
                                              { "to-box-public", required_argument, NULL, 'b' },
                                              { "referral-id", required_argument, NULL, 'r' },
                                              { "marker", required_argument, NULL, 'm' },
                                              { "claim-type", required_argument, NULL, 'y' },
                                              { "sequence", required_argument, NULL, 'q' },
                                              { "timeout", required_argument, NULL, 'w' },
                                              { "send", no_argument, NULL, 'S' },
                                              { "expect", required_argument, NULL, 'x' },
                                              { "legal-basis", required_argument, NULL, 'L' },
                                              { "consent-id", required_argument, NULL, 'c' },
                                              { "case-id", required_argument, NULL, 'K' },
                                              { "category", required_argument, NULL, 'g' },
                                              { "urgency", required_argument, NULL, 'u' },
                                              { "urgent", no_argument, NULL, 'U' },
                                              { "tag", required_argument, NULL, 'a' },
                                              { "help", no_argument, NULL, 'h' },
                                              { NULL, 0, NULL, 0 } };
    memset (opts, 0, sizeof (*opts));
    opts->sequence = 1;
    opts->timeout_s = 10;
    opts->claim_type = "eldercare";
    opts->marker = "rogue";
    opts->basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
    opts->urgency = TSUNAGU__V1__URGENCY__URGENCY_NORMAL;
    int modes = 0;
    int ch;
    while ((ch = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'e': opts->endpoint = optarg; break;
        case 's': opts->server_key = optarg; break;
        case 'k': opts->keys_path = optarg; break;
        case 'p': opts->coordinator_pub = optarg; break;
        case 'F':
            opts->mode = MODE_FRESH;
            modes++;
            break;
        case 'C':
            opts->mode = MODE_CLAIM;
            opts->claim = optarg;
            modes++;
            break;
        case 'G':
            opts->mode = MODE_GARBAGE;
            modes++;
            break;
        case 'T':
            opts->mode = MODE_TRUNCATED;
            modes++;
            break;
        case 'B':
            opts->mode = MODE_BAD_SIGNATURE;
            modes++;
            break;
        case 'O':
            opts->mode = MODE_OVERSIZE;
            modes++;
            break;
        case 't': opts->to = optarg; break;
        case 'b': opts->to_box_public = optarg; break;
        case 'r': opts->referral_id = optarg; break;
        case 'm': opts->marker = optarg; break;
        case 'y': opts->claim_type = optarg; break;
        case 'q': opts->sequence = strtoul (optarg, NULL, 10); break;
        case 'w': opts->timeout_s = atoi (optarg); break;
        case 'S':
            opts->mode = MODE_SEND;
            modes++;
            break;
        case 'x': opts->expect = optarg; break;
        case 'c': opts->consent_id = optarg; break;
        case 'K': opts->case_id = optarg; break;
        case 'U': opts->urgent = true; break;
        case 'L':
            if (!s_basis (optarg, &opts->basis)) {
                fprintf (stderr, "rogue: unknown --legal-basis \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'u':
            if (!s_urgency (optarg, &opts->urgency)) {
                fprintf (stderr, "rogue: unknown --urgency \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'g':
            if (opts->n_categories == ROGUE_CATEGORIES_MAX) {
                fprintf (stderr, "rogue: at most %d --category\n", ROGUE_CATEGORIES_MAX);
                return EXIT_USAGE;
            }
            opts->categories[opts->n_categories++] = optarg;
            break;
        case 'a':
            if (opts->n_tags == ROGUE_TAGS_MAX) {
                fprintf (stderr, "rogue: at most %d --tag\n", ROGUE_TAGS_MAX);
                return EXIT_USAGE;
            }
            opts->tags[opts->n_tags++] = optarg;
            break;
        case 'h': s_usage (stdout); exit (0);
        default: s_usage (stderr); return EXIT_USAGE;
        }
    }
    if (modes != 1 || !opts->endpoint || !opts->server_key || opts->timeout_s <= 0
        || (opts->mode != MODE_FRESH && !opts->keys_path)
        || (opts->mode == MODE_SEND && !opts->expect)) {
        s_usage (stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* The name the coordinator's answer is expected to carry in each mode. */
static Tsunagu__V1__ErrorCode
s_expected_error (rogue_mode_t mode)
{
    switch (mode) {
    case MODE_CLAIM: return TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH;
    case MODE_GARBAGE:
    case MODE_TRUNCATED: return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    case MODE_BAD_SIGNATURE: return TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE;
    case MODE_OVERSIZE: return TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE;
    default: return TSUNAGU__V1__ERROR_CODE__ERROR_UNSPECIFIED;
    }
}

static const char *
s_refusal_text (Tsunagu__V1__ErrorCode code)
{
    switch (code) {
    case TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH: return "sender mismatch";
    case TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED: return "malformed";
    case TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE: return "bad signature";
    case TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE: return "too large";
    default: return tsg_error_code_name (code);
    }
}

/* Builds the letter for the chosen mode and returns the bytes to put in the frame
 * (caller frees *out).  message_id receives the letter's id (zero for garbage and
 * oversize, which carry no readable id).  Returns 0 or EXIT_SETUP. */
static int
s_build_frame (const rogue_options_t *opts, const tsg_keys_t *keys, uint8_t message_id[16],
               uint8_t **out, size_t *out_len)
{
    memset (message_id, 0, 16);
    if (opts->mode == MODE_GARBAGE) {
        static const char garbage[] = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff not an envelope";
        *out = malloc (sizeof (garbage) - 1);
        if (!*out)
            return EXIT_SETUP;
        memcpy (*out, garbage, sizeof (garbage) - 1);
        *out_len = sizeof (garbage) - 1;
        return 0;
    }
    if (opts->mode == MODE_OVERSIZE) {
        /* A well-formed Envelope whose signed bytes alone pass the frame limit. */
        size_t signed_len = TSG_ENVELOPE_MAX + 1;
        uint8_t *signed_bytes = calloc (1, signed_len);
        uint8_t signature[64] = { 0 };
        if (!signed_bytes)
            return EXIT_SETUP;
        Tsunagu__V1__Envelope env = TSUNAGU__V1__ENVELOPE__INIT;
        env.signed_.data = signed_bytes;
        env.signed_.len = signed_len;
        env.signature.data = signature;
        env.signature.len = sizeof (signature);
        *out_len = tsunagu__v1__envelope__get_packed_size (&env);
        *out = malloc (*out_len);
        if (*out)
            tsunagu__v1__envelope__pack (&env, *out);
        free (signed_bytes);
        return *out ? 0 : EXIT_SETUP;
    }

    const char *self_id = tsg_keys_id (keys);
    const char *sender = opts->mode == MODE_CLAIM ? opts->claim : self_id;
    const char *recipient = opts->to ? opts->to : self_id;
    char case_id[TSG_UUID_TEXT_SIZE];
    char referral_id[TSG_UUID_TEXT_SIZE];
    if (opts->case_id)
        snprintf (case_id, sizeof (case_id), "%s", opts->case_id);
    else
        tsg_uuid_new (case_id);
    if (opts->referral_id)
        snprintf (referral_id, sizeof (referral_id), "%s", opts->referral_id);
    else
        tsg_uuid_new (referral_id);

    tsg_letter_t letter = TSUNAGU__V1__LETTER__INIT;
    tsg_header_t header = TSUNAGU__V1__HEADER__INIT;
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_REFERRAL, sender,
                        recipient);
    letter.sequence = opts->sequence;
    header.case_id = case_id;
    header.referral_id = referral_id;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
    header.sender_type = (char *) opts->claim_type;
    if (opts->mode == MODE_SEND) {
        header.legal_basis = opts->basis;
        header.urgency = opts->urgency;
        header.urgent = opts->urgent;
        header.consent_id = (char *) opts->consent_id;
        header.n_data_categories = opts->n_categories;
        header.data_categories = (char **) opts->categories;
        header.n_tags = opts->n_tags;
        header.tags = (char **) opts->tags;
    }

    uint8_t *body = NULL;
    size_t body_len = 0;
    if (opts->to_box_public) {
        uint8_t peer[32];
        if (!tsg_key_from_z85 (opts->to_box_public, peer)) {
            fprintf (stderr, "rogue: --to-box-public is not a Z85 key\n");
            return EXIT_SETUP;
        }
        char sheet[512];
        snprintf (sheet, sizeof (sheet), "{\"rogue\": true, \"marker\": \"%s\"}", opts->marker);
        tsg_boxer_t *boxer = tsg_boxer_new (keys);
        int rc = boxer ? tsg_body_seal (boxer, peer, "application/json", (const uint8_t *) sheet,
                                        strlen (sheet), &body, &body_len)
                       : TSG_ERR_NOMEM;
        tsg_boxer_destroy (&boxer);
        if (rc != TSG_OK) {
            fprintf (stderr, "rogue: cannot seal the body: %s\n", tsg_strerror (rc));
            return EXIT_SETUP;
        }
        letter.body.data = body;
        letter.body.len = body_len;
    }
    int rc = tsg_envelope_seal (&letter, keys, out, out_len);
    free (body);
    if (rc != TSG_OK) {
        fprintf (stderr, "rogue: cannot seal the envelope: %s\n", tsg_strerror (rc));
        return EXIT_SETUP;
    }
    if (opts->mode == MODE_TRUNCATED)
        *out_len /= 2;
    else if (opts->mode == MODE_BAD_SIGNATURE)
        (*out)[*out_len - 1] ^= 0x01; /* the signature is the Envelope's last field */
    printf ("rogue: letter %s sender=%s recipient=%s sequence=%lu referral=%s\n",
            tsg_kind_name (letter.kind), sender, recipient, opts->sequence, referral_id);
    return 0;
}

/* A HELLO from us, so a session exists whatever the bad frame does.  Caller frees. */
static int
s_build_hello (const tsg_keys_t *keys, const char *sender, uint8_t **out, size_t *out_len)
{
    uint8_t id[16];
    tsg_letter_t letter = TSUNAGU__V1__LETTER__INIT;
    tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_HELLO, sender,
                        TSG_COORDINATOR_ID);
    return tsg_envelope_seal (&letter, keys, out, out_len);
}

/* Reads one monitor event; returns the event number or 0 when none could be read. */
static int
s_read_event (void *monitor)
{
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, monitor, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&frame);
        return 0;
    }
    int event = 0;
    if (zmq_msg_size (&frame) >= 6) {
        uint16_t raw;
        memcpy (&raw, zmq_msg_data (&frame), sizeof (raw));
        event = raw;
    }
    while (zmq_msg_more (&frame)) {
        zmq_msg_close (&frame);
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, monitor, 0) < 0)
            break;
    }
    zmq_msg_close (&frame);
    return event;
}

/* Looks at one frame from the coordinator.  Returns -1 to keep waiting, or an exit code. */
static int
s_judge_frame (const rogue_options_t *opts, const uint8_t *data, size_t len,
               const uint8_t *coordinator_sign, const uint8_t message_id[16])
{
    tsg_envelope_t env = { 0 };
    const char *detail = NULL;
    if (tsg_envelope_decode (data, len, &env, &detail) != TSG_OK) {
        printf ("rogue: unreadable frame from the coordinator (%zu bytes): %s\n", len,
                detail ? detail : "?");
        return -1;
    }
    const tsg_letter_t *letter = env.letter;
    if (coordinator_sign && !tsg_envelope_verify (&env, coordinator_sign)) {
        printf ("rogue: frame from %s does not verify with the coordinator key; ignored\n",
                letter->sender);
        tsg_envelope_clear (&env);
        return -1;
    }
    int verdict = -1;
    static const uint8_t zero_id[16] = { 0 };
    bool id_known = memcmp (message_id, zero_id, 16) != 0;
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO:
    case TSUNAGU__V1__KIND__KIND_DIRECTORY:
        printf ("rogue: got %s from %s\n", tsg_kind_name (letter->kind), letter->sender);
        if (opts->mode == MODE_FRESH) {
            printf ("admitted: a fresh key got an answer\n");
            verdict = EXIT_ANSWERED;
        }
        break;
    case TSUNAGU__V1__KIND__KIND_ERROR: {
        const Tsunagu__V1__ErrorReport *error = letter->error;
        if (!error) {
            printf ("rogue: ERROR letter without a report\n");
            break;
        }
        bool about_ours = error->about_message_id.len == 16
                          && memcmp (error->about_message_id.data, message_id, 16) == 0;
        bool about_none = error->about_message_id.len == 0;
        printf ("rogue: got ERROR %s final=%d about=%s detail=\"%s\"\n",
                tsg_error_code_name (error->code), error->final,
                about_ours   ? "our letter"
                : about_none ? "(none)"
                             : "another letter",
                error->detail ? error->detail : "");
        if (id_known && !about_ours && !about_none)
            break; /* about something else; keep waiting */
        if (opts->mode == MODE_SEND) {
            bool wanted = strcmp (opts->expect, tsg_error_code_name (error->code)) == 0;
            printf ("%s: %s\n", wanted ? "refused" : "unexpected",
                    tsg_error_code_name (error->code));
            verdict = wanted ? EXIT_REFUSED : EXIT_ANSWERED;
        }
        else if (error->code == s_expected_error (opts->mode)) {
            printf ("refused: %s\n", s_refusal_text (error->code));
            verdict = EXIT_REFUSED;
        }
        else {
            printf ("unexpected: %s instead of %s\n", tsg_error_code_name (error->code),
                    tsg_error_code_name (s_expected_error (opts->mode)));
            verdict = EXIT_ANSWERED;
        }
        break;
    }
    case TSUNAGU__V1__KIND__KIND_RECEIPT: {
        const Tsunagu__V1__Receipt *receipt = letter->receipt;
        bool about_ours = receipt && receipt->about_message_id.len == 16
                          && memcmp (receipt->about_message_id.data, message_id, 16) == 0;
        printf ("rogue: got RECEIPT type=%d about=%s\n", receipt ? (int) receipt->type : -1,
                about_ours ? "our letter" : "another letter");
        if (about_ours) {
            printf ("accepted: the coordinator took the letter\n");
            bool wanted = opts->mode == MODE_SEND && strcmp (opts->expect, "stored") == 0
                          && receipt->type == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED;
            if (wanted)
                printf ("stored: as expected\n");
            verdict = wanted ? EXIT_REFUSED : EXIT_ANSWERED;
        }
        break;
    }
    default:
        printf ("rogue: got %s from %s (ignored)\n", tsg_kind_name (letter->kind), letter->sender);
        break;
    }
    tsg_envelope_clear (&env);
    return verdict;
}

/* Sends each buffer as one single-frame message.  Returns 0 or EXIT_SETUP. */
static int
s_send (void *socket, const uint8_t *data, size_t len)
{
    if (zmq_send (socket, data, len, 0) < 0) {
        fprintf (stderr, "rogue: send failed: %s\n", zmq_strerror (errno));
        return EXIT_SETUP;
    }
    return 0;
}

/* Connects, sends, and waits for the verdict.  Returns the exit code. */
static int
s_run (const rogue_options_t *opts, const tsg_keys_t *keys, const uint8_t *coordinator_sign)
{
    uint8_t server_key[32];
    if (!tsg_key_from_z85 (opts->server_key, server_key)) {
        fprintf (stderr, "rogue: --server-key is not a Z85 key\n");
        return EXIT_USAGE;
    }
    int verdict = EXIT_SETUP;
    uint8_t *hello = NULL, *frame = NULL;
    size_t hello_len = 0, frame_len = 0;
    uint8_t message_id[16] = { 0 };
    const char *hello_sender = opts->mode == MODE_FRESH ? "rogue-fresh" : tsg_keys_id (keys);
    if (s_build_hello (keys, hello_sender, &hello, &hello_len) != TSG_OK)
        return EXIT_SETUP;
    if (opts->mode != MODE_FRESH
        && s_build_frame (opts, keys, message_id, &frame, &frame_len) != 0) {
        free (hello);
        return EXIT_SETUP;
    }

    void *ctx = zmq_ctx_new ();
    void *socket = zmq_socket (ctx, ZMQ_DEALER);
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    int linger = 0;
    int64_t maxmsg = -1;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof (maxmsg));
    zmq_setsockopt (monitor, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, server_key, 32);
    zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, tsg_keys_box_public (keys), 32);
    zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, tsg_keys_box_secret (keys), 32);
    int events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                 | ZMQ_EVENT_DISCONNECTED;
    if (zmq_socket_monitor (socket, MONITOR_ENDPOINT, events) != 0
        || zmq_connect (monitor, MONITOR_ENDPOINT) != 0
        || zmq_connect (socket, opts->endpoint) != 0) {
        fprintf (stderr, "rogue: cannot connect to %s: %s\n", opts->endpoint, zmq_strerror (errno));
        goto done;
    }
    if (s_send (socket, hello, hello_len) != 0 || (frame && s_send (socket, frame, frame_len) != 0))
        goto done;

    uint64_t deadline = tsg_monotonic_ms () + (uint64_t) opts->timeout_s * 1000;
    verdict = EXIT_TIMEOUT;
    while (verdict == EXIT_TIMEOUT) {
        uint64_t now = tsg_monotonic_ms ();
        if (now >= deadline) {
            printf ("timeout: nothing decisive within %d s\n", opts->timeout_s);
            break;
        }
        zmq_pollitem_t items[] = { { socket, 0, ZMQ_POLLIN, 0 }, { monitor, 0, ZMQ_POLLIN, 0 } };
        long wait = (long) (deadline - now);
        if (zmq_poll (items, 2, wait < 200 ? wait : 200) < 0 && errno != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN) {
            int event = s_read_event (monitor);
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
                printf ("refused: authentication failed\n");
                verdict = opts->mode == MODE_FRESH ? EXIT_REFUSED : EXIT_ANSWERED;
            }
            else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
                printf ("rogue: handshake succeeded\n");
                if (opts->mode == MODE_FRESH) {
                    printf ("admitted: a fresh key passed the handshake\n");
                    verdict = EXIT_ANSWERED;
                }
            }
            else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                     || event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
                printf ("rogue: handshake failed (event 0x%x), still waiting\n", event);
            }
            else if (event == ZMQ_EVENT_DISCONNECTED) {
                printf ("rogue: disconnected by the coordinator\n");
            }
        }
        if (items[0].revents & ZMQ_POLLIN) {
            int more = 1;
            while (more && verdict == EXIT_TIMEOUT) {
                zmq_msg_t part;
                zmq_msg_init (&part);
                if (zmq_msg_recv (&part, socket, ZMQ_DONTWAIT) < 0) {
                    zmq_msg_close (&part);
                    break;
                }
                more = zmq_msg_more (&part);
                int judged = s_judge_frame (opts, zmq_msg_data (&part), zmq_msg_size (&part),
                                            coordinator_sign, message_id);
                if (judged >= 0)
                    verdict = judged;
                zmq_msg_close (&part);
            }
        }
    }
done:
    zmq_close (monitor);
    zmq_close (socket);
    zmq_ctx_term (ctx);
    free (hello);
    free (frame);
    return verdict;
}

int
main (int argc, char **argv)
{
    rogue_options_t opts;
    int rc = s_parse (argc, argv, &opts);
    if (rc != 0)
        return rc;
    setvbuf (stdout, NULL, _IOLBF, 0);
    log_init ("tsunagu-rogue-client", false);
    if (sodium_init () < 0)
        return EXIT_SETUP;

    tsg_keys_t *keys = NULL;
    char err[256] = "";
    if (opts.mode == MODE_FRESH) {
        keys = tsg_keys_generate ("rogue-fresh");
        if (!keys)
            return EXIT_SETUP;
    }
    else if ((rc = tsg_keys_load (opts.keys_path, &keys, err, sizeof (err))) != TSG_OK) {
        fprintf (stderr, "rogue: %s: %s %s\n", opts.keys_path, tsg_strerror (rc), err);
        return EXIT_SETUP;
    }

    uint8_t coordinator_sign[32];
    bool have_sign = false;
    char pub_path[PATH_MAX] = "";
    if (opts.coordinator_pub)
        snprintf (pub_path, sizeof (pub_path), "%s", opts.coordinator_pub);
    else if (opts.keys_path) {
        char copy[PATH_MAX];
        snprintf (copy, sizeof (copy), "%s", opts.keys_path);
        snprintf (pub_path, sizeof (pub_path), "%s/coordinator.pub", dirname (copy));
    }
    if (pub_path[0]) {
        char id[33];
        uint8_t box[32];
        have_sign =
            tsg_keys_load_public (pub_path, id, box, coordinator_sign, err, sizeof (err)) == TSG_OK;
        if (!have_sign && opts.coordinator_pub) {
            fprintf (stderr, "rogue: %s: %s\n", pub_path, err);
            tsg_keys_destroy (&keys);
            return EXIT_SETUP;
        }
    }
    rc = s_run (&opts, keys, have_sign ? coordinator_sign : NULL);
    tsg_keys_destroy (&keys);
    return rc;
}
