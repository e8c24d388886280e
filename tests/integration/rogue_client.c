/* tsunagu-rogue-client: a misbehaving agency that checks the coordinator refuses it, or (with
 * --plain-agency) a protocol 1.0 agency that checks what it is sent.
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
 *   --plain-agency        a registered agency speaking protocol 1.0: HELLO every second without
 *                         batch_proofs, every letter checked the 1.0 way (no batch proof, the
 *                         Ed25519 signature over the signed bytes exactly) and acknowledged with
 *                         a plain RECEIPT_DELIVERED; expects --expect-referrals distinct REFERRAL
 *                         letters, all plain and verified
 *
 * Exit: 0 refused (for --send: answered; for --plain-agency: every referral arrived plain and
 * verified) as expected, 1 set-up failure, 2 usage, 3 anything else came back (admitted,
 * accepted, another error; for --plain-agency: a batch proof or a letter that does not verify),
 * 4 nothing decisive within --timeout seconds. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
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
    MODE_SEND,
    MODE_PLAIN_AGENCY
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
    long expect_referrals;                  /* MODE_PLAIN_AGENCY: distinct referrals to wait for */
    int settle_s;                           /* MODE_PLAIN_AGENCY: keep checking after them */
    const char *coordinator_sign;           /* the coordinator's sign key, Z85 (else from .pub) */
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
             "  --plain-agency          play a protocol 1.0 agency: take letters, plain only\n"
             "options:\n"
             "  --keys FILE             a registered agency's secret key file (all but --fresh)\n"
             "  --coordinator-pub FILE  verify answers (default: coordinator.pub beside --keys)\n"
             "  --coordinator-sign Z85  the coordinator's sign key (instead of --coordinator-pub)\n"
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
             "  --tag TEXT              a header tag (repeat)\n"
             "--plain-agency options:\n"
             "  --expect-referrals N    succeed once N distinct referrals arrived (required)\n"
             "  --settle SECONDS        then keep checking letters this long (default 0)\n");
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
                                              { "plain-agency", no_argument, NULL, 'P' },
                                              { "expect-referrals", required_argument, NULL, 'N' },
                                              { "settle", required_argument, NULL, 'D' },
                                              { "coordinator-sign", required_argument, NULL, 'Z' },
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
        case 'P':
            opts->mode = MODE_PLAIN_AGENCY;
            modes++;
            break;
        case 'N': opts->expect_referrals = strtol (optarg, NULL, 10); break;
        case 'D': opts->settle_s = atoi (optarg); break;
        case 'Z': opts->coordinator_sign = optarg; break;
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
        || (opts->mode == MODE_SEND && !opts->expect)
        || (opts->mode == MODE_PLAIN_AGENCY && opts->expect_referrals <= 0) || opts->settle_s < 0) {
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

/* Makes the DEALER (a CURVE client with keys, to server_key) and its monitor in ctx, and connects
 * both.  *socket_out and *monitor_out are the caller's to close, whatever happens.  Returns 0,
 * or EXIT_SETUP after printing why. */
static int
s_open (void *ctx, const rogue_options_t *opts, const tsg_keys_t *keys,
        const uint8_t server_key[32], void **socket_out, void **monitor_out)
{
    void *socket = zmq_socket (ctx, ZMQ_DEALER);
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    *socket_out = socket;
    *monitor_out = monitor;
    if (!socket || !monitor) {
        fprintf (stderr, "rogue: cannot make a socket: %s\n", zmq_strerror (errno));
        return EXIT_SETUP;
    }
    int linger = 0;
    int64_t maxmsg = -1;
    int heartbeat_ivl = 1000, heartbeat_timeout = 5000;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof (maxmsg));
    zmq_setsockopt (socket, ZMQ_HEARTBEAT_IVL, &heartbeat_ivl, sizeof (heartbeat_ivl));
    zmq_setsockopt (socket, ZMQ_HEARTBEAT_TIMEOUT, &heartbeat_timeout, sizeof (heartbeat_timeout));
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
    void *socket = NULL, *monitor = NULL;
    if (s_open (ctx, opts, keys, server_key, &socket, &monitor) != 0)
        goto done;
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

/* --plain-agency: one agency of the last DIRECTORY, as a protocol 1.0 agency keeps it. */
typedef struct {
    char id[33];                      /* its agency id */
    uint8_t sign_public[32];          /* its signing key */
    bool has_next;                    /* a rotation under way: next_sign_public also verifies */
    uint8_t next_sign_public[32];     /* the key it rotates to */
    bool has_previous;                /* after a rotation: the key before it */
    uint8_t previous_sign_public[32]; /* verifies letters made before keys_switched_at_ms */
    uint64_t keys_switched_at_ms;     /* when it switched */
} plain_peer_t;

#define PLAIN_KINDS (TSUNAGU__V1__KIND__KIND_CASE_UPDATE + 1)

/* --plain-agency: the session as it goes. */
typedef struct {
    const rogue_options_t *opts;
    const tsg_keys_t *keys;
    const uint8_t *coordinator_sign;    /* pinned: the bundle's coordinator key */
    void *socket;                       /* the DEALER to the coordinator */
    plain_peer_t *peers;                /* the last verified directory */
    size_t n_peers;                     /* how many agencies it lists */
    uint8_t (*referrals)[16];           /* message ids of the distinct REFERRALs received */
    size_t n_referrals;                 /* how many */
    size_t referrals_cap;               /* room in referrals */
    unsigned long letters;              /* letters verified */
    unsigned long by_kind[PLAIN_KINDS]; /* of them, per kind (KIND_CASE_UPDATE is the last) */
    unsigned long acknowledged;         /* RECEIPTs sent */
    unsigned long hello_answers;        /* HELLOs from the coordinator */
    unsigned long problems;             /* lines printed as "problem:" */
} plain_session_t;

/* Prints one problem line and counts it. */
static void s_plain_problem (plain_session_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_plain_problem (plain_session_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    printf ("problem: ");
    vprintf (format, args);
    printf ("\n");
    va_end (args);
    self->problems++;
}

/* 32 hex characters of a 16-byte message id (or "?" for another length) into text. */
static const char *
s_plain_id_text (const ProtobufCBinaryData *id, char text[33])
{
    if (id->len != 16)
        return strcpy (text, "?");
    for (size_t i = 0; i < 16; i++)
        snprintf (text + 2 * i, 3, "%02x", id->data[i]);
    return text;
}

/* Sends a plain-signed RECEIPT of type about letter to its sender, sequence 0 (§3, §4).
 * Returns 0 or EXIT_SETUP. */
static int
s_plain_receipt (plain_session_t *self, const tsg_letter_t *letter, Tsunagu__V1__ReceiptType type,
                 const char *detail)
{
    uint8_t id[16];
    tsg_letter_t ack = TSUNAGU__V1__LETTER__INIT;
    tsg_letter_prepare (&ack, NULL, id, TSUNAGU__V1__KIND__KIND_RECEIPT, tsg_keys_id (self->keys),
                        letter->sender);
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    receipt.type = type;
    receipt.about_message_id = letter->message_id;
    receipt.at_ms = tsg_now_ms ();
    receipt.detail = (char *) detail;
    ack.receipt = &receipt;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int rc = tsg_envelope_seal (&ack, self->keys, &out, &out_len);
    if (rc != TSG_OK) {
        fprintf (stderr, "rogue: cannot seal a receipt: %s\n", tsg_strerror (rc));
        return EXIT_SETUP;
    }
    rc = s_send (self->socket, out, out_len);
    free (out);
    if (rc == 0)
        self->acknowledged++;
    return rc;
}

/* Sends a HELLO as protocol 1.0 does: sequence 0, no hello part, a plain signature.
 * Returns 0 or EXIT_SETUP. */
static int
s_plain_hello (plain_session_t *self)
{
    uint8_t *hello = NULL;
    size_t hello_len = 0;
    if (s_build_hello (self->keys, tsg_keys_id (self->keys), &hello, &hello_len) != TSG_OK)
        return EXIT_SETUP;
    int rc = s_send (self->socket, hello, hello_len);
    free (hello);
    return rc;
}

/* Keeps the agencies of a verified directory (their signing keys).  Returns 0 or EXIT_SETUP. */
static int
s_plain_directory (plain_session_t *self, const Tsunagu__V1__Directory *directory)
{
    size_t count = directory ? directory->n_agencies : 0;
    plain_peer_t *peers = calloc (count ? count : 1, sizeof *peers);
    if (!peers)
        return EXIT_SETUP;
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        const Tsunagu__V1__AgencyEntry *entry = directory->agencies[i];
        if (!entry->id || strlen (entry->id) >= sizeof (peers[kept].id)
            || entry->sign_public.len != 32)
            continue;
        plain_peer_t *peer = &peers[kept++];
        snprintf (peer->id, sizeof (peer->id), "%s", entry->id);
        memcpy (peer->sign_public, entry->sign_public.data, 32);
        peer->has_next = entry->next_sign_public.len == 32;
        if (peer->has_next)
            memcpy (peer->next_sign_public, entry->next_sign_public.data, 32);
        peer->has_previous = entry->previous_sign_public.len == 32;
        if (peer->has_previous)
            memcpy (peer->previous_sign_public, entry->previous_sign_public.data, 32);
        peer->keys_switched_at_ms = entry->keys_switched_at_ms;
    }
    free (self->peers);
    self->peers = peers;
    self->n_peers = kept;
    printf ("rogue: directory serial %llu: %zu agencies\n", (unsigned long long) directory->serial,
            kept);
    return 0;
}

static const plain_peer_t *
s_plain_peer (const plain_session_t *self, const char *id)
{
    for (size_t i = 0; i < self->n_peers; i++)
        if (strcmp (self->peers[i].id, id) == 0)
            return &self->peers[i];
    return NULL;
}

/* The protocol 1.0 check: an Ed25519 signature over exactly the signed bytes. */
static bool
s_plain_signed_by (const Tsunagu__V1__Envelope *raw, const uint8_t sign_public[32])
{
    return raw->signature.len == crypto_sign_BYTES
           && crypto_sign_verify_detached (raw->signature.data, raw->signed_.data, raw->signed_.len,
                                           sign_public)
                  == 0;
}

/* Whether the sender's key (the pinned coordinator key, or the directory's) signed raw, as a
 * 1.0 receiver checks it (§1 "An agency's keys rotate"). */
static bool
s_plain_verifies (const plain_session_t *self, const Tsunagu__V1__Envelope *raw,
                  const tsg_letter_t *letter, const plain_peer_t *peer)
{
    if (!peer)
        return s_plain_signed_by (raw, self->coordinator_sign);
    if (s_plain_signed_by (raw, peer->sign_public))
        return true;
    if (peer->has_next && s_plain_signed_by (raw, peer->next_sign_public))
        return true;
    return peer->has_previous && letter->created_at_ms < peer->keys_switched_at_ms
           && s_plain_signed_by (raw, peer->previous_sign_public);
}

/* Counts a REFERRAL once per message id.  Returns true when it is new. */
static bool
s_plain_referral_new (plain_session_t *self, const ProtobufCBinaryData *id)
{
    for (size_t i = 0; i < self->n_referrals; i++)
        if (memcmp (self->referrals[i], id->data, 16) == 0)
            return false;
    if (self->n_referrals == self->referrals_cap) {
        size_t cap = self->referrals_cap ? self->referrals_cap * 2 : 64;
        uint8_t (*grown)[16] = realloc (self->referrals, cap * sizeof *grown);
        if (!grown)
            return false;
        self->referrals = grown;
        self->referrals_cap = cap;
    }
    memcpy (self->referrals[self->n_referrals++], id->data, 16);
    return true;
}

/* What the letter asks of us once verified: a directory kept, a referral counted, and a
 * RECEIPT_DELIVERED for every letter §3 says to acknowledge.  Returns 0 or EXIT_SETUP. */
static int
s_plain_act (plain_session_t *self, const tsg_letter_t *letter)
{
    char id_text[33];
    bool acknowledge = true;
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO:
        if (self->hello_answers++ == 0)
            printf ("rogue: HELLO answered by %s, plain, verified\n", letter->sender);
        acknowledge = false;
        break;
    case TSUNAGU__V1__KIND__KIND_DIRECTORY:
        if (s_plain_directory (self, letter->directory) != 0)
            return EXIT_SETUP;
        break;
    case TSUNAGU__V1__KIND__KIND_REFERRAL: {
        const char *referral_id =
            letter->header && letter->header->referral_id ? letter->header->referral_id : "?";
        if (strcmp (letter->recipient, tsg_keys_id (self->keys)) != 0) {
            s_plain_problem (self, "REFERRAL %s from %s is addressed to %s, not to us",
                             s_plain_id_text (&letter->message_id, id_text), letter->sender,
                             letter->recipient);
            acknowledge = false;
        }
        else if (s_plain_referral_new (self, &letter->message_id))
            printf ("rogue: REFERRAL %zu/%ld from %s, plain, verified (referral %s)\n",
                    self->n_referrals, self->opts->expect_referrals, letter->sender, referral_id);
        else
            printf ("rogue: REFERRAL %s from %s again (referral %s): acknowledged again\n",
                    s_plain_id_text (&letter->message_id, id_text), letter->sender, referral_id);
        break;
    }
    case TSUNAGU__V1__KIND__KIND_RECEIPT:
        /* RECEIPT_STORED answers our own sequenced letters (we send none); a relayed
         * DELIVERED or REJECTED is acknowledged like any forwarded letter. */
        acknowledge =
            letter->receipt && letter->receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED;
        break;
    case TSUNAGU__V1__KIND__KIND_ERROR:
        printf ("rogue: got ERROR %s final=%d detail=\"%s\"\n",
                letter->error ? tsg_error_code_name (letter->error->code) : "?",
                letter->error ? letter->error->final : 0,
                letter->error && letter->error->detail ? letter->error->detail : "");
        acknowledge = letter->error && letter->error->final;
        break;
    default: break; /* CASE_UPDATE, CASE_EVENT, CONSENT_*, REFERRAL_STATUS: acknowledged */
    }
    if (!acknowledge)
        return 0;
    return s_plain_receipt (self, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
}

/* Checks one frame the way a protocol 1.0 agency does (§2: decode, look the sender up, verify
 * the signature over the signed bytes, only then act), with the one thing this mode is for: an
 * envelope carrying a batch proof is a problem.  Returns 0 or EXIT_SETUP. */
static int
s_plain_frame (plain_session_t *self, const uint8_t *data, size_t len)
{
    Tsunagu__V1__Envelope *raw = tsunagu__v1__envelope__unpack (NULL, len, data);
    if (!raw) {
        s_plain_problem (self, "a frame of %zu bytes that is no Envelope", len);
        return 0;
    }
    tsg_envelope_t env = { 0 };
    const char *detail = NULL;
    bool decoded = tsg_envelope_decode (data, len, &env, &detail) == TSG_OK;
    const tsg_letter_t *letter = decoded ? env.letter : NULL;
    char id_text[33];
    int rc = 0;
    if (raw->batch) {
        s_plain_problem (self,
                         "%s %s from %s to %s carries a batch proof (leaf %u of %u, %zu hashes): "
                         "a protocol 1.0 agency was sent a letter signed in a batch",
                         letter ? tsg_kind_name (letter->kind) : "a letter",
                         letter ? s_plain_id_text (&letter->message_id, id_text) : "?",
                         letter ? letter->sender : "?", letter ? letter->recipient : "?",
                         raw->batch->index, raw->batch->count, raw->batch->n_path);
        /* What a 1.0 agency makes of it: a signature that does not verify. */
        if (letter && strcmp (letter->sender, TSG_COORDINATOR_ID) != 0)
            rc = s_plain_receipt (self, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED,
                                  "signature does not verify");
        goto done;
    }
    if (!decoded) {
        s_plain_problem (self, "a frame of %zu bytes that is no valid letter: %s", len,
                         detail ? detail : "?");
        goto done;
    }
    bool from_coordinator = strcmp (letter->sender, TSG_COORDINATOR_ID) == 0;
    const plain_peer_t *peer = from_coordinator ? NULL : s_plain_peer (self, letter->sender);
    if (!from_coordinator && !peer) {
        /* §2 step 2: not answered; the coordinator resends it. */
        printf ("rogue: %s %s from %s, who is not in the directory yet: not answered\n",
                tsg_kind_name (letter->kind), s_plain_id_text (&letter->message_id, id_text),
                letter->sender);
        goto done;
    }
    if (!s_plain_verifies (self, raw, letter, peer)) {
        s_plain_problem (self, "%s %s from %s does not verify (Ed25519 over the signed bytes)",
                         tsg_kind_name (letter->kind),
                         s_plain_id_text (&letter->message_id, id_text), letter->sender);
        if (!from_coordinator)
            rc = s_plain_receipt (self, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED,
                                  "signature does not verify");
        goto done;
    }
    self->letters++;
    if ((unsigned) letter->kind < PLAIN_KINDS)
        self->by_kind[letter->kind]++;
    rc = s_plain_act (self, letter);
done:
    if (decoded)
        tsg_envelope_clear (&env);
    tsunagu__v1__envelope__free_unpacked (raw, NULL);
    return rc;
}

/* "40 referral, 2 directory, ..." of the letters verified, into text. */
static void
s_plain_kinds (const plain_session_t *self, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int kind = 0; kind < PLAIN_KINDS && used < size; kind++)
        if (self->by_kind[kind]) {
            int n = snprintf (text + used, size - used, "%s%lu %s", used ? ", " : "",
                              self->by_kind[kind], tsg_kind_name ((Tsunagu__V1__Kind) kind));
            used += n > 0 ? (size_t) n : 0;
        }
}

/* --plain-agency: connects with the agency's keys, says HELLO every second the 1.0 way, checks
 * and acknowledges every letter until the expected referrals arrived (and --settle passed), a
 * problem was seen, or --timeout.  Returns the exit code. */
static int
s_run_plain (const rogue_options_t *opts, const tsg_keys_t *keys, const uint8_t *coordinator_sign)
{
    uint8_t server_key[32];
    if (!tsg_key_from_z85 (opts->server_key, server_key)) {
        fprintf (stderr, "rogue: --server-key is not a Z85 key\n");
        return EXIT_USAGE;
    }
    plain_session_t session = { .opts = opts, .keys = keys, .coordinator_sign = coordinator_sign };
    int verdict = EXIT_SETUP;
    void *ctx = zmq_ctx_new ();
    void *monitor = NULL;
    if (s_open (ctx, opts, keys, server_key, &session.socket, &monitor) != 0)
        goto done;
    printf ("rogue: %s plays a protocol 1.0 agency: no batch_proofs in its HELLO\n",
            tsg_keys_id (keys));

    uint64_t start = tsg_monotonic_ms ();
    uint64_t deadline = start + (uint64_t) opts->timeout_s * 1000;
    uint64_t next_hello = start;
    uint64_t settled_at = 0; /* when the expected referrals are in: the end of --settle */
    verdict = EXIT_TIMEOUT;
    while (verdict == EXIT_TIMEOUT) {
        uint64_t now = tsg_monotonic_ms ();
        if (session.problems) {
            printf ("failed: %lu problems (%zu of %ld referrals, %lu letters verified)\n",
                    session.problems, session.n_referrals, opts->expect_referrals, session.letters);
            verdict = EXIT_ANSWERED;
            break;
        }
        if (settled_at && now >= settled_at) {
            char kinds[512];
            s_plain_kinds (&session, kinds, sizeof (kinds));
            printf ("plain: %zu referrals arrived, every letter plain and verified (%lu letters: "
                    "%s; %lu receipts sent)\n",
                    session.n_referrals, session.letters, kinds, session.acknowledged);
            verdict = EXIT_REFUSED;
            break;
        }
        if (now >= deadline) {
            printf ("timeout: %zu of %ld referrals within %d s (%lu letters verified)\n",
                    session.n_referrals, opts->expect_referrals, opts->timeout_s, session.letters);
            break;
        }
        if (now >= next_hello) {
            if (s_plain_hello (&session) != 0) {
                verdict = EXIT_SETUP;
                break;
            }
            next_hello = now + 1000;
        }
        uint64_t until = next_hello < deadline ? next_hello : deadline;
        if (settled_at && settled_at < until)
            until = settled_at;
        zmq_pollitem_t items[] = { { session.socket, 0, ZMQ_POLLIN, 0 },
                                   { monitor, 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, 2, (long) (until > now ? until - now : 0)) < 0 && errno != EINTR)
            break;
        if (items[1].revents & ZMQ_POLLIN) {
            int event = s_read_event (monitor);
            if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                printf ("rogue: handshake succeeded\n");
            else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
                printf ("rogue: refused: authentication failed, still waiting\n");
            else if (event == ZMQ_EVENT_DISCONNECTED)
                printf ("rogue: disconnected by the coordinator\n");
            else if (event)
                printf ("rogue: handshake failed (event 0x%x), still waiting\n", event);
        }
        /* Every frame of every message waiting now, so one problem shows with its neighbours. */
        while (items[0].revents & ZMQ_POLLIN) {
            zmq_msg_t part;
            zmq_msg_init (&part);
            if (zmq_msg_recv (&part, session.socket, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&part);
                break;
            }
            int rc = s_plain_frame (&session, zmq_msg_data (&part), zmq_msg_size (&part));
            zmq_msg_close (&part);
            if (rc != 0) {
                verdict = rc;
                break;
            }
        }
        if (!settled_at && session.n_referrals >= (size_t) opts->expect_referrals) {
            printf ("rogue: all %zu referrals in; checking letters %d s more\n",
                    session.n_referrals, opts->settle_s);
            settled_at = tsg_monotonic_ms () + (uint64_t) opts->settle_s * 1000;
        }
    }
done:
    if (session.socket) {
        /* The last receipts still have to leave: give them a few seconds. */
        int linger = 5000;
        zmq_setsockopt (session.socket, ZMQ_LINGER, &linger, sizeof (linger));
    }
    zmq_close (monitor);
    zmq_close (session.socket);
    zmq_ctx_term (ctx);
    free (session.peers);
    free (session.referrals);
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
    if (pub_path[0] && !opts.coordinator_sign) {
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
    if (opts.coordinator_sign) {
        have_sign = tsg_key_from_z85 (opts.coordinator_sign, coordinator_sign);
        if (!have_sign) {
            fprintf (stderr, "rogue: --coordinator-sign is not a Z85 key\n");
            tsg_keys_destroy (&keys);
            return EXIT_USAGE;
        }
    }
    if (opts.mode == MODE_PLAIN_AGENCY) {
        if (!have_sign) {
            fprintf (stderr, "rogue: --plain-agency needs the coordinator's sign key: %s%s%s\n",
                     pub_path[0] ? pub_path : "--coordinator-sign or --coordinator-pub",
                     pub_path[0] ? ": " : "", pub_path[0] ? err : "");
            tsg_keys_destroy (&keys);
            return EXIT_SETUP;
        }
        rc = s_run_plain (&opts, keys, coordinator_sign);
    }
    else
        rc = s_run (&opts, keys, have_sign ? coordinator_sign : NULL);
    tsg_keys_destroy (&keys);
    return rc;
}
