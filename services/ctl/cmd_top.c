/* cmd_top.c — `tsunaguctl top`: the coordinator's overview (概況) as a live terminal view for
 * an operator over ssh.  It asks the running coordinator ("overview" on the control socket,
 * the JSON of GET /v1/overview) every few seconds and redraws one screen that fits 80×24:
 * cases by state, new cases, letters per minute, overdue referrals by agency, withheld
 * letters, consents about to expire, alerts not yet acknowledged, the agencies online.
 * Japanese labels by default, English with --lang en; q or Ctrl-C ends it and gives the
 * terminal back as it was.  --once prints one frame, plain, and exits. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"

#define COLUMNS      79 /* the widest line: one short of 80, so no terminal wraps */
#define ROWS_DEFAULT 24 /* the screen when the terminal does not say */
#define INTERVAL_MAX 3600
#define ALERTS_SHOWN 3 /* open alerts listed by name */

static const char s_usage[] =
    "usage: tsunaguctl [-d DATA_DIR] top [--interval S] [--once] [--lang ja|en] [--json]\n"
    "The coordinator's overview (概況), redrawn every S seconds (default 2): cases by state,\n"
    "new cases this week and month, letters per minute over the last hour, referrals overdue\n"
    "for received and accepted by agency, letters withheld, consents expiring within 14\n"
    "days, alerts not yet acknowledged, and each agency's state, connection, last contact and\n"
    "mailbox.  It asks the running coordinator over its control socket.  q or Ctrl-C ends it.\n"
    "  --once   print one frame without terminal codes and exit\n"
    "  --json   with --once: the overview's JSON, as GET /v1/overview answers it\n"
    "  --lang   ja (default) or en\n";

/* The words of one language. */
typedef struct {
    const char *title, *as_of, *online, *cases, *fresh, *today, *week, *month, *letters,
        *overdue_received, *overdue_accepted, *none, *withheld, *consents, *alerts, *more, *agency,
        *type, *status, *link, *on, *off, *seen, *mailbox, *name, *footer, *lost, *not_running,
        *partial;
    bool ja; /* case states by their Japanese labels */
} s_words_t;

static const s_words_t s_ja = {
    .title = "つなぐ 概況",
    .as_of = "JST 現在",
    .online = "接続中",
    .cases = "ケース",
    .fresh = "新規",
    .today = "今日",
    .week = "今週",
    .month = "今月",
    .letters = "文書/分",
    .overdue_received = "受付遅れ",
    .overdue_accepted = "受理遅れ",
    .none = "なし",
    .withheld = "保留した文書",
    .consents = "14日以内に期限の同意",
    .alerts = "未確認の通報",
    .more = "ほか",
    .agency = "機関",
    .type = "種別",
    .status = "状態",
    .link = "接続",
    .on = "接続",
    .off = "切断",
    .seen = "最終確認",
    .mailbox = "未配達",
    .name = "名称",
    .footer = "q: 終了  r: 更新",
    .lost = "コーディネーターが応答しません",
    .not_running = "コーディネーターが動いていません",
    .partial = "(一部)",
    .ja = true,
};

static const s_words_t s_en = {
    .title = "tsunagu overview",
    .as_of = "JST",
    .online = "online",
    .cases = "Cases",
    .fresh = "New",
    .today = "today",
    .week = "week",
    .month = "month",
    .letters = "Letters/min",
    .overdue_received = "Late receipt",
    .overdue_accepted = "Late answer",
    .none = "none",
    .withheld = "Withheld",
    .consents = "Consents ending in 14 days",
    .alerts = "Alerts to acknowledge",
    .more = "more",
    .agency = "Agency",
    .type = "Type",
    .status = "Status",
    .link = "Link",
    .on = "on",
    .off = "off",
    .seen = "Last seen",
    .mailbox = "Mail",
    .name = "Name",
    .footer = "q: quit  r: refresh",
    .lost = "the coordinator does not answer",
    .not_running = "the coordinator is not running",
    .partial = "(partial)",
    .ja = false,
};

/* ---- lines that fit ------------------------------------------------------------------ */

/* A line being built, cut at COLUMNS display columns. */
typedef struct {
    char text[1024]; /* UTF-8 */
    size_t len;      /* bytes in use */
    size_t width;    /* columns in use */
} s_line_t;

/* Appends text, as much as fits. */
static void
s_add (s_line_t *l, const char *text)
{
    const unsigned char *p = (const unsigned char *) (text ? text : "");
    while (*p) {
        size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;
        char one[5] = "";
        size_t k = 0;
        for (; k < n && p[k]; k++)
            one[k] = (char) p[k];
        one[k] = '\0';
        size_t w = ctl_display_width (one);
        if (l->width + w > COLUMNS || l->len + k + 1 > sizeof l->text)
            return;
        memcpy (l->text + l->len, one, k + 1);
        l->len += k;
        l->width += w;
        p += k;
    }
}

/* Appends a formatted piece. */
static void __attribute__ ((format (printf, 2, 3))) s_addf (s_line_t *l, const char *fmt, ...)
{
    char piece[512];
    va_list args;
    va_start (args, fmt);
    vsnprintf (piece, sizeof piece, fmt, args);
    va_end (args);
    s_add (l, piece);
}

/* Appends text padded (or cut) to width columns, and one space. */
static void
s_cell (s_line_t *l, const char *text, size_t width)
{
    size_t start = l->width;
    s_line_t cut = { .len = 0 };
    s_add (&cut, text);
    while (cut.width > width && cut.len > 0) {
        do
            cut.len--;
        while (cut.len > 0 && ((unsigned char) cut.text[cut.len] & 0xc0) == 0x80);
        cut.text[cut.len] = '\0';
        cut.width = ctl_display_width (cut.text);
    }
    s_add (l, cut.text);
    while (l->width < start + width + 1 && l->width < COLUMNS)
        s_add (l, " ");
}

/* What a frame is written to: the lines so far and how many may come. */
typedef struct {
    FILE *out;   /* the terminal or stdout */
    bool ansi;   /* clear each line's rest (a redraw) */
    size_t rows; /* lines written */
    size_t max;  /* lines the screen holds (0: no limit) */
} s_frame_t;

static void
s_emit (s_frame_t *f, const s_line_t *l)
{
    if (f->max && f->rows >= f->max)
        return;
    fputs (l->text, f->out);
    fputs (f->ansi ? "\033[K\n" : "\n", f->out);
    f->rows++;
}

static json_int_t
s_int (const json_t *o, const char *key)
{
    return json_integer_value (json_object_get (o, key));
}

/* "MM-DD HH:MM" in Japan time of an ISO time, or "-". */
static void
s_when (const json_t *iso, char out[32])
{
    char full[32];
    ctl_time_jst (json_string_value (iso), full);
    snprintf (out, 32, "%s", strlen (full) >= 16 ? full + 5 : full);
}

/* ---- the frame's parts -------------------------------------------------------------- */

static void
s_head (s_frame_t *f, const json_t *o, const s_words_t *w)
{
    char when[32];
    ctl_time_jst (json_string_value (json_object_get (o, "as_of")), when);
    const json_t *agencies = json_object_get (o, "agencies");
    size_t online = 0;
    for (size_t i = 0; i < json_array_size (agencies); i++)
        online += json_is_true (json_object_get (json_array_get (agencies, i), "online"));
    s_line_t l = { .len = 0 };
    s_addf (&l, "%s  %s %s  %s %zu/%zu", w->title, when, w->as_of, w->online, online,
            json_array_size (agencies));
    s_emit (f, &l);
}

static void
s_cases (s_frame_t *f, const json_t *o, const s_words_t *w)
{
    const json_t *by = json_object_get (o, "cases_by_state");
    s_line_t l = { .len = 0 };
    s_addf (&l, "%s ", w->cases);
    for (int i = 0; i < TSG_CASE_STATE_COUNT; i++) {
        const char *name = tsg_case_state_name ((tsg_case_state_t) i);
        char piece[96];
        snprintf (piece, sizeof piece, " %s %lld",
                  w->ja ? tsg_case_state_label_ja ((tsg_case_state_t) i) : name,
                  (long long) s_int (by, name));
        if (l.width + ctl_display_width (piece) > COLUMNS) {
            s_emit (f, &l);
            l = (s_line_t){ .len = 0 };
            s_add (&l, "      ");
        }
        s_add (&l, piece);
    }
    s_emit (f, &l);
    const json_t *fresh = json_object_get (o, "new_cases");
    l = (s_line_t){ .len = 0 };
    s_addf (&l, "%s   %s %lld  %s %lld  %s %lld", w->fresh, w->today,
            (long long) s_int (fresh, "today"), w->week, (long long) s_int (fresh, "week"),
            w->month, (long long) s_int (fresh, "month"));
    s_emit (f, &l);
}

/* The last hour's letters per minute as a line of 60 marks, the newest on the right. */
static void
s_letters (s_frame_t *f, const json_t *o, const s_words_t *w)
{
    static const char marks[] = " .:-=+*#";
    const json_t *minutes = json_object_get (o, "letters_per_minute");
    json_int_t top = 0;
    for (size_t i = 0; i < json_array_size (minutes); i++)
        if (json_integer_value (json_array_get (minutes, i)) > top)
            top = json_integer_value (json_array_get (minutes, i));
    char spark[61];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size (minutes) && n < 60; i++) {
        json_int_t v = json_integer_value (json_array_get (minutes, i));
        spark[n++] = marks[top > 0 && v > 0 ? 1 + (size_t) (v * 6 / top) : 0];
    }
    spark[n] = '\0';
    s_line_t l = { .len = 0 };
    s_addf (&l, "%s %lld |%s|", w->letters, (long long) s_int (o, "letters_last_minute"), spark);
    s_emit (f, &l);
}

/* One overdue list: "label n: agency n, agency n, ...". */
static void
s_overdue_line (s_frame_t *f, const json_t *overdue, const char *kind, const char *label,
                const s_words_t *w)
{
    const json_t *list = json_object_get (overdue, kind);
    s_line_t l = { .len = 0 };
    s_addf (&l, "%s %lld", label, (long long) s_int (json_object_get (overdue, "total"), kind));
    if (json_is_true (json_object_get (overdue, "partial")))
        s_addf (&l, "%s", w->partial);
    s_add (&l, json_array_size (list) ? ":" : "");
    for (size_t i = 0; i < json_array_size (list); i++) {
        const json_t *row = json_array_get (list, i);
        s_addf (&l, "%s %s %lld", i ? "," : "", ctl_text_get (row, "agency", "?"),
                (long long) s_int (row, "count"));
    }
    s_emit (f, &l);
}

static void
s_watch (s_frame_t *f, const json_t *o, const s_words_t *w)
{
    const json_t *overdue = json_object_get (o, "overdue");
    s_overdue_line (f, overdue, "received", w->overdue_received, w);
    s_overdue_line (f, overdue, "accepted", w->overdue_accepted, w);
    const json_t *withheld = json_object_get (o, "withheld");
    s_line_t l = { .len = 0 };
    s_addf (&l, "%s %lld", w->withheld, (long long) s_int (withheld, "count"));
    const char *reason;
    json_t *count;
    const char *sep = " (";
    json_object_foreach (json_object_get (withheld, "by_reason"), reason, count)
    {
        s_addf (&l, "%s%s %lld", sep, reason, (long long) json_integer_value (count));
        sep = ", ";
    }
    if (strcmp (sep, ", ") == 0)
        s_add (&l, ")");
    s_addf (&l, "   %s %lld", w->consents, (long long) s_int (o, "consents_expiring_count"));
    s_emit (f, &l);
}

static void
s_alerts (s_frame_t *f, const json_t *o, const s_words_t *w)
{
    const json_t *open = json_object_get (o, "alerts_open");
    s_line_t l = { .len = 0 };
    s_addf (&l, "%s %lld", w->alerts, (long long) s_int (o, "alerts_open_count"));
    if (!json_array_size (open))
        s_addf (&l, " (%s)", w->none);
    s_emit (f, &l);
    for (size_t i = 0; i < json_array_size (open) && i < ALERTS_SHOWN; i++) {
        const json_t *a = json_array_get (open, i);
        char when[32];
        s_when (json_object_get (a, "at"), when);
        l = (s_line_t){ .len = 0 };
        if (strcmp (ctl_text_get (a, "kind", ""), "emergency") == 0)
            s_addf (&l, "  #%lld %s %s %s -> %s  case %.8s", (long long) s_int (a, "n"), when,
                    ctl_text_get (a, "kind", ""), ctl_text_get (a, "from", "?"),
                    ctl_text_get (a, "to", "?"), ctl_text_get (a, "case_id", ""));
        else
            s_addf (&l, "  #%lld %s %s %s", (long long) s_int (a, "n"), when,
                    ctl_text_get (a, "kind", ""), ctl_text_get (a, "agency", ""));
        s_emit (f, &l);
    }
    if (json_array_size (open) > ALERTS_SHOWN) {
        l = (s_line_t){ .len = 0 };
        s_addf (&l, "  %s %zu", w->more, json_array_size (open) - ALERTS_SHOWN);
        s_emit (f, &l);
    }
}

/* The agencies, as many as the screen holds (a line kept for the footer). */
static void
s_agencies (s_frame_t *f, const json_t *o, const s_words_t *w, bool footer)
{
    const json_t *list = json_object_get (o, "agencies");
    s_line_t l = { .len = 0 };
    s_cell (&l, w->agency, 20);
    s_cell (&l, w->type, 10);
    s_cell (&l, w->status, 9);
    s_cell (&l, w->link, 4);
    s_cell (&l, w->seen, 11);
    s_cell (&l, w->mailbox, 6);
    s_add (&l, w->name);
    s_emit (f, &l);
    size_t room = f->max ? f->max - (f->rows < f->max ? f->rows : f->max) - (footer ? 1 : 0) : 0;
    size_t n = json_array_size (list);
    for (size_t i = 0; i < n; i++) {
        if (f->max && i + 1 >= room && i + 1 < n) {
            l = (s_line_t){ .len = 0 };
            s_addf (&l, "  %s %zu", w->more, n - i);
            s_emit (f, &l);
            break;
        }
        const json_t *a = json_array_get (list, i);
        char when[32], depth[24];
        s_when (json_object_get (a, "last_seen"), when);
        snprintf (depth, sizeof depth, "%lld", (long long) s_int (a, "mailbox_depth"));
        l = (s_line_t){ .len = 0 };
        s_cell (&l, ctl_text_get (a, "id", "?"), 20);
        s_cell (&l, ctl_text_get (a, "type", ""), 10);
        s_cell (&l, ctl_text_get (a, "status", ""), 9);
        s_cell (&l, json_is_true (json_object_get (a, "online")) ? w->on : w->off, 4);
        s_cell (&l, when, 11);
        s_cell (&l, depth, 6);
        s_add (&l, ctl_text_get (a, "name", ""));
        s_emit (f, &l);
    }
}

/* One whole frame of the overview o (NULL: the coordinator did not answer this time). */
static void
s_draw (FILE *out, const json_t *o, const s_words_t *w, bool ansi, size_t rows)
{
    s_frame_t f = { .out = out, .ansi = ansi, .max = rows };
    if (ansi)
        fputs ("\033[H", out);
    if (!o) {
        s_line_t l = { .len = 0 };
        s_addf (&l, "%s: %s", w->title, w->lost);
        s_emit (&f, &l);
    }
    else {
        s_head (&f, o, w);
        s_cases (&f, o, w);
        s_letters (&f, o, w);
        s_watch (&f, o, w);
        s_alerts (&f, o, w);
        s_agencies (&f, o, w, ansi);
    }
    if (ansi) {
        s_line_t l = { .len = 0 };
        s_add (&l, w->footer);
        s_emit (&f, &l);
        fputs ("\033[J", out);
    }
    fflush (out);
}

/* ---- the terminal ------------------------------------------------------------------- */

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

/* The terminal's rows, or ROWS_DEFAULT. */
static size_t
s_rows (void)
{
    struct winsize ws;
    if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 10)
        return ws.ws_row;
    return ROWS_DEFAULT;
}

/* The overview from the coordinator at data_dir, or NULL with err said. */
static json_t *
s_fetch (const char *data_dir, char *err, size_t size)
{
    json_t *request = json_pack ("{s:s}", "command", "overview");
    json_t *reply = NULL;
    int rc = request
                 ? ctl_control_call (data_dir, request, CTL_CONTROL_TIMEOUT_MS, &reply, err, size)
                 : TSG_ERR_NOMEM;
    json_decref (request);
    if (rc != TSG_OK)
        return NULL;
    if (!json_is_true (json_object_get (reply, "ok"))) {
        snprintf (err, size, "the coordinator answered %s: %s",
                  ctl_text_get (reply, "error", "an error"), ctl_text_get (reply, "message", ""));
        json_decref (reply);
        return NULL;
    }
    json_object_del (reply, "ok");
    return reply;
}

/* Waits up to ms for a key; false when q was pressed or a signal asked to stop. */
static bool
s_wait (int ms, bool keys)
{
    struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
    int rc = poll (&p, keys ? 1 : 0, ms);
    if (s_stop)
        return false;
    if (rc > 0 && (p.revents & POLLIN)) {
        char c;
        ssize_t n = read (STDIN_FILENO, &c, 1);
        if (n == 0)
            return true; /* stdin ended: go on until a signal */
        if (n == 1 && (c == 'q' || c == 'Q' || c == 3))
            return false;
    }
    return true;
}

/* The live view until q or a signal; first is the overview fetched already (stolen). */
static int
s_live (const char *data_dir, json_t *first, const s_words_t *w, int interval)
{
    bool tty = isatty (STDIN_FILENO);
    struct termios saved, raw;
    if (tty && tcgetattr (STDIN_FILENO, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr (STDIN_FILENO, TCSANOW, &raw);
    }
    else
        tty = false;
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    fputs ("\033[?1049h\033[?25l\033[2J", stdout);
    json_t *o = first;
    char err[512];
    do {
        s_draw (stdout, o, w, true, s_rows ());
        json_decref (o);
        if (!s_wait (interval * 1000, tty))
            break;
        o = s_fetch (data_dir, err, sizeof err);
    } while (!s_stop);
    fputs ("\033[?25h\033[?1049l", stdout);
    fflush (stdout);
    if (tty)
        tcsetattr (STDIN_FILENO, TCSANOW, &saved);
    return CTL_EXIT_OK;
}

/* Parses the options; -1 to go on, else an exit code. */
static int
s_parse (int argc, char **argv, int *interval, bool *once, bool *json, const s_words_t **w)
{
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp (argv[i], "--once") == 0)
            *once = true;
        else if (strcmp (argv[i], "--json") == 0)
            *json = true;
        else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            fputs (s_usage, stdout);
            return CTL_EXIT_OK;
        }
        else if (strcmp (argv[i], "--lang") == 0 && value) {
            if (strcmp (value, "ja") != 0 && strcmp (value, "en") != 0) {
                ctl_error ("--lang is ja or en, not \"%s\"", value);
                return CTL_EXIT_USAGE;
            }
            *w = strcmp (value, "en") == 0 ? &s_en : &s_ja;
            i++;
        }
        else if (strcmp (argv[i], "--interval") == 0 && value) {
            char *end = NULL;
            long s = strtol (value, &end, 10);
            if (!end || *end || s < 1 || s > INTERVAL_MAX) {
                ctl_error ("--interval is a number of seconds from 1 to %d, not \"%s\"",
                           INTERVAL_MAX, value);
                return CTL_EXIT_USAGE;
            }
            *interval = (int) s;
            i++;
        }
        else {
            ctl_error ("top: unexpected argument or missing value \"%s\"", argv[i]);
            fputs (s_usage, stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (*json && !*once) {
        ctl_error ("top: --json goes with --once");
        return CTL_EXIT_USAGE;
    }
    return -1;
}

int
cmd_top (const ctl_options_t *options, int argc, char **argv)
{
    int interval = 2;
    bool once = false, json = false;
    const s_words_t *w = &s_ja;
    int exit_code = s_parse (argc, argv, &interval, &once, &json, &w);
    if (exit_code >= 0)
        return exit_code;
    ctl_site_t *site = ctl_site_open (options, NULL);
    if (!site)
        return CTL_EXIT_FAIL;
    char err[4400] = "";
    json_t *o = s_fetch (ctl_site_data_dir (site), err, sizeof err);
    if (!o) {
        ctl_error ("%s: %s", w->not_running, *err ? err : "no answer");
        ctl_site_destroy (&site);
        return CTL_EXIT_FAIL;
    }
    if (once && json)
        exit_code = ctl_print_json (o) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
    else if (once) {
        s_draw (stdout, o, w, false, 0);
        json_decref (o);
        exit_code = CTL_EXIT_OK;
    }
    else
        exit_code = s_live (ctl_site_data_dir (site), o, w, interval);
    ctl_site_destroy (&site);
    return exit_code;
}
