/* main.c — tsunagu-import, the command-line way for an office without an IT system to bring a
 * spreadsheet of referrals into its agency daemon (POST /v1/imports/referrals) or to fetch the
 * template Excel opens: options, then one request (request.c), then the report (report.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "report.h"
#include "request.h"
#include "target.h"
#include "tsunagu/tsunagu.h"

#define CSV_FILE_MAX (64u * 1024 * 1024) /* read at most this; the daemon takes 4 MiB */

/* What the command line asked for. */
typedef struct {
    const char *config;     /* --config: the agency's agency.conf */
    const char *url;        /* --url: the daemon's base URL */
    const char *token_file; /* --token-file */
    const char *mapping;    /* --mapping NAME */
    const char *output;     /* -o: where the template goes ("-": stdout) */
    const char *file;       /* the CSV file to import */
    bool dry_run;           /* --dry-run: check, send nothing */
    bool check;             /* -n: check the configuration and the token, contact nothing */
    bool json;              /* --json: the daemon's JSON as is */
    bool template;          /* --template */
    bool cp932;             /* --cp932: the template in Shift_JIS */
    import_lang_t lang;     /* --lang */
} s_options_t;

static void
s_usage (FILE *out, import_lang_t lang)
{
    fputs ("usage: tsunagu-import [--config agency.conf | --url URL --token-file FILE]\n"
           "                      [--mapping NAME] [--dry-run] [--json] [--lang ja|en] FILE.csv\n"
           "       tsunagu-import --template [--config agency.conf | --url URL --token-file FILE]\n"
           "                      [--mapping NAME] [--cp932] -o OUT.csv\n"
           "       tsunagu-import -n [--config agency.conf | --url URL --token-file FILE]\n\n",
           out);
    if (lang == IMPORT_LANG_EN)
        fputs ("Sends the referrals of a spreadsheet (CSV: UTF-8, UTF-8 with BOM or Shift_JIS)\n"
               "through the agency daemon: every row is checked first; when one has a problem,\n"
               "nothing is sent and each problem is listed by row and column.  Rows already\n"
               "sent are not sent again; rows another agency type refers are skipped.\n\n"
               "  -c, --config FILE      the agency's agency.conf: its [http] listen, and the\n"
               "                         token in http.token beside it\n"
               "  -u, --url URL          the daemon's address (http://127.0.0.1:PORT)\n"
               "  -t, --token-file FILE  the bearer token (mode 0600; never printed)\n"
               "  -m, --mapping NAME     the mapping NAME.conf in the daemon's mappings folder\n"
               "      --dry-run          check every row, send nothing\n"
               "      --json             print the daemon's JSON answer as it is\n"
               "      --lang ja|en       the report in Japanese (default) or English\n"
               "      --template         fetch the empty spreadsheet Excel opens (-o OUT.csv)\n"
               "      --cp932            the template in Shift_JIS instead of UTF-8 with BOM\n"
               "  -n                     check the configuration and the token file, send\n"
               "                         nothing, contact nothing\n\n"
               "Exit status: 0 sent (or a dry run found nothing wrong); 1 the file or rows have\n"
               "problems and nothing was sent; 2 usage, no answer, or the daemon refused.\n",
               out);
    else
        fputs ("表計算ソフトの紹介一覧（CSV: UTF-8、BOM付きUTF-8、Shift_JIS）を機関デーモンから\n"
               "送ります。先に全行を確認し、問題のある行が一つでもあれば何も送らず、問題を行と\n"
               "列ごとに表示します。送信済みの行は二度送らず、他の種別の機関が紹介元の行は対象外で"
               "す。\n\n"
               "  -c, --config FILE      機関の agency.conf（[http] listen と、同じフォルダの\n"
               "                         http.token のトークン）\n"
               "  -u, --url URL          機関デーモンのアドレス（http://127.0.0.1:PORT）\n"
               "  -t, --token-file FILE  トークンのファイル（モード 0600。表示はしません）\n"
               "  -m, --mapping NAME     機関デーモンの対応表フォルダの NAME.conf\n"
               "      --dry-run          確認だけして何も送らない\n"
               "      --json             機関デーモンの JSON をそのまま表示\n"
               "      --lang ja|en       表示の言語（既定は日本語）\n"
               "      --template         Excel で開ける空の一覧を取得（-o OUT.csv）\n"
               "      --cp932            テンプレートを BOM付きUTF-8 でなく Shift_JIS で\n"
               "  -n                     設定とトークンのファイルを確認するだけ（接続しない）\n\n"
               "終了コード: 0 送信した（確認のみで問題なし）、1 ファイルか行に問題があり何も\n"
               "送っていない、2 使い方の誤り・応答なし・機関デーモンが断った。\n",
               out);
}

static void
s_error (const char *message)
{
    fprintf (stderr, "tsunagu-import: %s\n", message);
}

/* Parses argv into o; returns -1 to go on, else the exit code (help, version, bad usage). */
static int
s_parse (int argc, char **argv, s_options_t *o)
{
    static const struct option longs[] = {
        { "config", required_argument, NULL, 'c' },
        { "url", required_argument, NULL, 'u' },
        { "token-file", required_argument, NULL, 't' },
        { "mapping", required_argument, NULL, 'm' },
        { "dry-run", no_argument, NULL, 'D' },
        { "json", no_argument, NULL, 'J' },
        { "lang", required_argument, NULL, 'L' },
        { "template", no_argument, NULL, 'T' },
        { "cp932", no_argument, NULL, 'S' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    bool help = false, bad = false;
    int opt;
    while ((opt = getopt_long (argc, argv, "c:u:t:m:no:h", longs, NULL)) != -1) {
        switch (opt) {
        case 'c': o->config = optarg; break;
        case 'u': o->url = optarg; break;
        case 't': o->token_file = optarg; break;
        case 'm': o->mapping = optarg; break;
        case 'D': o->dry_run = true; break;
        case 'n': o->check = true; break;
        case 'J': o->json = true; break;
        case 'T': o->template = true; break;
        case 'S': o->cp932 = true; break;
        case 'o': o->output = optarg; break;
        case 'h': help = true; break;
        case 'V': printf ("tsunagu-import %s\n", TSUNAGU_VERSION); return IMPORT_EXIT_OK;
        case 'L':
            if (strcmp (optarg, "ja") == 0 || strcmp (optarg, "en") == 0)
                o->lang = optarg[0] == 'e' ? IMPORT_LANG_EN : IMPORT_LANG_JA;
            else
                bad = true;
            break;
        default: bad = true; break;
        }
    }
    if (help) {
        s_usage (stdout, o->lang);
        return IMPORT_EXIT_OK;
    }
    o->file = optind < argc ? argv[optind] : NULL;
    if (o->config && o->url)
        bad = true;
    if (o->check      ? (o->file || o->template || o->output)
        : o->template ? (!o->output || o->file || o->dry_run)
                      : (!o->file || optind + 1 < argc || o->output || o->cp932))
        bad = true;
    if (bad) {
        s_usage (stderr, o->lang);
        return IMPORT_EXIT_FAIL;
    }
    return -1;
}

/* --template: GET the template and write it to o->output. */
static int
s_template (const s_options_t *o, const import_target_t *target,
            const import_report_options_t *report)
{
    char err[1024];
    char *url = import_request_url (target->url, "/v1/imports/referrals/template.csv", o->mapping,
                                    false, o->cp932 ? "cp932" : NULL);
    import_answer_t answer = { 0 };
    if (!url)
        snprintf (err, sizeof err, "out of memory");
    bool answered = url
                    && import_request (url, target->url, target->token, NULL, NULL, 0, &answer,
                                       o->lang, err, sizeof err);
    free (url);
    if (!answered) {
        s_error (err);
        return IMPORT_EXIT_FAIL;
    }
    if (answer.status != 200) {
        import_report_refusal (stderr, answer.status, answer.body, answer.len, report);
        import_answer_clear (&answer);
        return IMPORT_EXIT_FAIL;
    }
    bool to_stdout = strcmp (o->output, "-") == 0;
    FILE *out = to_stdout ? stdout : fopen (o->output, "wb");
    bool ok = out && fwrite (answer.body, 1, answer.len, out) == answer.len;
    ok = (to_stdout ? fflush (out) == 0 : (out && fclose (out) == 0)) && ok;
    if (!ok)
        fprintf (stderr, "tsunagu-import: %s: %s\n", o->output,
                 import_text (o->lang, "書き込めません", "cannot write"));
    else if (!to_stdout)
        printf (import_text (o->lang, "テンプレートを書きました: %s（%s、%zu バイト）\n",
                             "Template written: %s (%s, %zu bytes)\n"),
                o->output, o->cp932 ? "Shift_JIS (CP932)" : "UTF-8 BOM", answer.len);
    import_answer_clear (&answer);
    return ok ? IMPORT_EXIT_OK : IMPORT_EXIT_FAIL;
}

/* The import: read the file, POST it, print the report. */
static int
s_import (const s_options_t *o, const import_target_t *target,
          const import_report_options_t *report)
{
    char err[1024];
    char *csv = NULL;
    size_t len = 0;
    int rc = tsg_read_file (o->file, CSV_FILE_MAX, &csv, &len);
    if (rc != TSG_OK) {
        fprintf (stderr, "tsunagu-import: %s: %s\n", o->file,
                 rc == TSG_ERR_TOO_LARGE
                     ? import_text (o->lang, "ファイルが大きすぎます", "the file is too large")
                     : import_text (o->lang, "ファイルを読めません", "cannot read the file"));
        return rc == TSG_ERR_TOO_LARGE ? IMPORT_EXIT_PROBLEMS : IMPORT_EXIT_FAIL;
    }
    char *url =
        import_request_url (target->url, "/v1/imports/referrals", o->mapping, o->dry_run, NULL);
    import_answer_t answer = { 0 };
    if (!url)
        snprintf (err, sizeof err, "out of memory");
    bool answered = url
                    && import_request (url, target->url, target->token, "text/csv", csv, len,
                                       &answer, o->lang, err, sizeof err);
    free (url);
    free (csv);
    if (!answered) {
        s_error (err);
        return IMPORT_EXIT_FAIL;
    }
    int code = import_report_print (stdout, stderr, answer.status, answer.body, answer.len, report);
    import_answer_clear (&answer);
    return code;
}

int
main (int argc, char **argv)
{
    s_options_t o = { .lang = IMPORT_LANG_JA };
    int code = s_parse (argc, argv, &o);
    if (code >= 0)
        return code;
    import_target_t target;
    char err[1024];
    if (!import_target_resolve (o.config, o.url, o.token_file, &target, o.lang, err, sizeof err)) {
        s_error (err);
        return IMPORT_EXIT_FAIL;
    }
    if (o.check) {
        printf ("%s: %s (%s)\n", o.config ? o.config : o.url,
                import_text (o.lang, "設定とトークンを確認しました", "configuration OK"),
                target.url);
        import_target_clear (&target);
        return IMPORT_EXIT_OK;
    }
    import_report_options_t report = {
        .lang = o.lang, .json = o.json, .file_name = o.file, .server = target.url
    };
    code = o.template ? s_template (&o, &target, &report) : s_import (&o, &target, &report);
    import_target_clear (&target);
    return code;
}
