/* report.c — what the agency daemon's answer to an import says, for a person at an office:
 * Japanese first (English with --lang en), the file's encoding and the counts, every problem by
 * row and column, then the rows sent with their referral ids.  It reads only the answer's JSON
 * (docs/import.md) and prints; it sends nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

/* One problem of the answer, with where it stood in the list (so the sort is stable). */
typedef struct {
    json_int_t row; /* the spreadsheet's row, 0 for a problem of the whole file */
    size_t index;   /* its place in "problems" */
    json_t *item;   /* the problem (borrowed) */
} s_problem_t;

int
import_report_exit_code (long status, const char *error)
{
    if (status == 200 || status == 202)
        return IMPORT_EXIT_OK;
    if (status == 422 || status == 413
        || (status == 400 && error && !strcmp (error, "invalid_file")))
        return IMPORT_EXIT_PROBLEMS;
    return IMPORT_EXIT_FAIL;
}

/* The string member key of obj, or NULL. */
static const char *
s_str (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}

/* The integer member key of obj, or dflt. */
static json_int_t
s_int (const json_t *obj, const char *key, json_int_t dflt)
{
    json_t *value = json_object_get (obj, key);
    return json_is_integer (value) ? json_integer_value (value) : dflt;
}

static const char *
s_encoding_name (import_lang_t lang, const char *encoding)
{
    if (!encoding)
        return "-";
    if (!strcmp (encoding, "utf-8-bom"))
        return import_text (lang, "UTF-8（BOM付き）", "UTF-8 with BOM");
    if (!strcmp (encoding, "utf-8"))
        return "UTF-8";
    if (!strcmp (encoding, "cp932"))
        return import_text (lang, "Shift_JIS（CP932）", "Shift_JIS (CP932)");
    return encoding;
}

/* The first lines: the file, its encoding, the mapping, the rows read. */
static void
s_print_head (FILE *out, const json_t *answer, const import_report_options_t *o)
{
    import_lang_t lang = o->lang;
    const char *mapping = s_str (answer, "mapping");
    fprintf (out, "%s: %s\n", import_text (lang, "ファイル", "File"),
             o->file_name ? o->file_name : "-");
    fprintf (out, "  %s: %s\n", import_text (lang, "文字コード", "Encoding"),
             s_encoding_name (lang, s_str (answer, "encoding")));
    fprintf (out, "  %s: %s\n", import_text (lang, "対応表", "Mapping"),
             mapping
                 ? mapping
                 : import_text (lang, "なし（標準の列名のみ）", "none (standard headers only)"));
    json_int_t rows = s_int (answer, "rows", -1);
    if (rows >= 0)
        fprintf (out, "  %s: %lld\n", import_text (lang, "データ行", "Data rows"),
                 (long long) rows);
}

/* The counts, in one line: "送信 3 件 ・ 送信済み 0 件 ・ 対象外 7 件 ・ 問題あり 0 件". */
static void
s_print_counts (FILE *out, const json_t *answer, long status, bool dry_run, import_lang_t lang)
{
    const json_t *counts = json_object_get (answer, "counts");
    if (!json_is_object (counts))
        return;
    struct {
        const char *key; /* the member of "counts" */
        const char *ja;  /* its label in Japanese */
        const char *en;  /* in English */
        bool shown;      /* printed for this answer */
    } items[] = {
        { "sent", "送信", "sent", !dry_run && status != 422 },
        { "already_sent", "送信済み", "already sent", !dry_run },
        { "valid", dry_run ? "送信できる" : "問題なし（未送信）",
          dry_run ? "would be sent" : "fine (not sent)", dry_run || status == 422 },
        { "skipped", "対象外", "skipped", true },
        { "invalid", "問題あり", "with problems", true },
    };
    fprintf (out, "  ");
    bool first = true;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (!items[i].shown)
            continue;
        json_int_t n = s_int (counts, items[i].key, 0);
        if (lang == IMPORT_LANG_EN)
            fprintf (out, "%s%s %lld", first ? "" : " · ", items[i].en, (long long) n);
        else
            fprintf (out, "%s%s %lld 件", first ? "" : " ・ ", items[i].ja, (long long) n);
        first = false;
    }
    fputc ('\n', out);
}

static int
s_problem_order (const void *a, const void *b)
{
    const s_problem_t *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Every problem, sorted by row (the file's own first), as "行 3 ・ 生年月日: ...". */
static void
s_print_problems (FILE *out, const json_t *answer, import_lang_t lang)
{
    const json_t *problems = json_object_get (answer, "problems");
    size_t count = json_array_size (problems);
    if (count == 0)
        return;
    s_problem_t *sorted = calloc (count, sizeof *sorted);
    if (!sorted)
        return;
    for (size_t i = 0; i < count; i++) {
        sorted[i].item = json_array_get (problems, i);
        sorted[i].row = s_int (sorted[i].item, "row", 0);
        sorted[i].index = i;
    }
    qsort (sorted, count, sizeof *sorted, s_problem_order);
    fprintf (out, "\n%s (%zu):\n", import_text (lang, "問題", "Problems"), count);
    for (size_t i = 0; i < count; i++) {
        const json_t *p = sorted[i].item;
        const char *column = s_str (p, "column");
        const char *where = column ? column : s_str (p, "field");
        const char *text = s_str (p, "problem");
        if (sorted[i].row > 0)
            fprintf (out, "  %s %lld", import_text (lang, "行", "row"), (long long) sorted[i].row);
        else
            fprintf (out, "  %s", import_text (lang, "ファイル", "file"));
        if (where)
            fprintf (out, " %s %s", import_text (lang, "・", "·"), where);
        fprintf (out, ": %s\n", text ? text : "-");
    }
    free (sorted);
}

/* Each row of results whose status is status, one a line with its key, recipient and ids. */
static void
s_print_rows (FILE *out, const json_t *results, const char *status, const char *heading,
              import_lang_t lang)
{
    size_t shown = 0;
    for (size_t i = 0; i < json_array_size (results); i++) {
        const json_t *r = json_array_get (results, i);
        const char *s = s_str (r, "status");
        if (!s || strcmp (s, status) != 0)
            continue;
        if (shown++ == 0)
            fprintf (out, "\n%s:\n", heading);
        const char *key = s_str (r, "key");
        const char *to = s_str (r, "to");
        const char *referral = s_str (r, "referral_id");
        fprintf (out, "  %s %lld %s %s", import_text (lang, "行", "row"),
                 (long long) s_int (r, "row", 0), import_text (lang, "・", "·"), key ? key : "-");
        if (to)
            fprintf (out, " → %s", to);
        if (referral)
            fprintf (out, " %s %s %s", import_text (lang, "・", "·"),
                     import_text (lang, "紹介ID", "referral"), referral);
        fputc ('\n', out);
    }
}

/* The rows of results whose status is status, in one line: "対象外の行: 3, 4, 6". */
static void
s_print_row_list (FILE *out, const json_t *results, const char *status, const char *heading)
{
    size_t shown = 0;
    for (size_t i = 0; i < json_array_size (results); i++) {
        const json_t *r = json_array_get (results, i);
        const char *s = s_str (r, "status");
        if (!s || strcmp (s, status) != 0)
            continue;
        if (shown++ == 0)
            fprintf (out, "\n%s", heading);
        else
            fputs (", ", out);
        fprintf (out, "%lld", (long long) s_int (r, "row", 0));
    }
    if (shown)
        fputc ('\n', out);
}

static void
s_print_warnings (FILE *out, const json_t *answer, import_lang_t lang)
{
    const json_t *warnings = json_object_get (answer, "warnings");
    for (size_t i = 0; i < json_array_size (warnings); i++) {
        const json_t *w = json_array_get (warnings, i);
        const char *column = s_str (w, "column");
        const char *text = s_str (w, "problem");
        if (i == 0)
            fprintf (out, "\n%s:\n", import_text (lang, "注意", "Warnings"));
        if (column)
            fprintf (out, import_text (lang, "  列「%s」: %s\n", "  column %s: %s\n"), column,
                     text ? text : "-");
        else
            fprintf (out, "  %s\n", text ? text : "-");
    }
}

/* The sentence that says what became of the whole file. */
static void
s_print_outcome (FILE *out, const json_t *answer, long status, bool dry_run, import_lang_t lang)
{
    const char *message = s_str (answer, "message");
    json_int_t sent = s_int (json_object_get (answer, "counts"), "sent", 0);
    if (status == 202 || (status == 200 && sent > 0 && !dry_run))
        fprintf (out, "%s\n", import_text (lang, "送信しました。", "Sent."));
    else if (status == 200 && dry_run)
        fprintf (out, "%s\n",
                 import_text (lang,
                              "確認のみ: 問題は見つかりませんでした（何も送信していません）。",
                              "Dry run: no problem found (nothing was sent)."));
    else if (status == 200)
        fprintf (out, "%s\n",
                 import_text (lang, "新しく送る行はありませんでした（送信済みか対象外です）。",
                              "Nothing new to send (every row already sent or skipped)."));
    else if (status == 422)
        fprintf (out, "%s\n",
                 import_text (lang, "問題のある行があるため、何も送信していません。",
                              "Some rows have problems: nothing was sent."));
    else
        fprintf (out, "%s%s%s\n",
                 import_text (lang, "ファイルを取り込めませんでした（何も送信していません）",
                              "The file could not be imported (nothing was sent)"),
                 message ? ": " : "", message ? message : "");
}

/* The whole report of an answer that is an import report (200, 202, 422, 400, 413). */
static void
s_print_report (FILE *out, const json_t *answer, long status, const import_report_options_t *o)
{
    import_lang_t lang = o->lang;
    bool dry_run = json_is_true (json_object_get (answer, "dry_run"));
    const json_t *results = json_object_get (answer, "results");
    s_print_head (out, answer, o);
    s_print_counts (out, answer, status, dry_run, lang);
    fputc ('\n', out);
    s_print_outcome (out, answer, status, dry_run, lang);
    s_print_problems (out, answer, lang);
    s_print_rows (out, results, "sent", import_text (lang, "送信した行", "Rows sent"), lang);
    s_print_rows (out, results, "already_sent",
                  import_text (lang, "送信済みの行（今回は送っていません）",
                               "Rows already sent (not sent again)"),
                  lang);
    if (dry_run)
        s_print_rows (out, results, "valid",
                      import_text (lang, "送信できる行", "Rows that would be sent"), lang);
    else
        s_print_row_list (out, results, "valid",
                          import_text (lang, "問題のない行（送信していません）: 行 ",
                                       "Rows without problems (not sent): "));
    s_print_row_list (out, results, "skipped",
                      import_text (lang, "対象外の行（紹介元がこの機関の種別ではない）: 行 ",
                                   "Rows skipped (sent by another agency type): "));
    s_print_warnings (out, answer, lang);
}

/* One sentence on err for an answer that is not an import report. */
static void
s_print_refusal (FILE *err, long status, const json_t *answer, const import_report_options_t *o)
{
    import_lang_t lang = o->lang;
    const char *error = answer ? s_str (answer, "error") : NULL;
    const char *message = answer ? s_str (answer, "message") : NULL;
    const char *what;
    if (status == 401)
        what = import_text (lang,
                            "機関デーモンがトークンを受け付けませんでした（--token-file を確認）",
                            "the agency daemon refused the token (check --token-file)");
    else if (status == 404 && error && !strcmp (error, "no_such_mapping"))
        what = import_text (lang, "指定した対応表（--mapping）が機関デーモンにありません",
                            "the agency daemon has no such mapping (--mapping)");
    else if (status == 409 || status == 503)
        what = import_text (lang, "機関デーモンは今、取り込みを受け付けません",
                            "the agency daemon does not take imports now");
    else if (!answer)
        what = import_text (lang, "機関デーモンの答えを読めません",
                            "the agency daemon's answer is not JSON");
    else
        what = import_text (lang, "機関デーモンが取り込みを断りました",
                            "the agency daemon refused the import");
    fprintf (err, "tsunagu-import: %s%s%s (HTTP %ld%s%s, %s)\n", what, message ? ": " : "",
             message ? message : "", status, error ? " " : "", error ? error : "",
             o->server ? o->server : "-");
}

int
import_report_print (FILE *out, FILE *err, long status, const char *body, size_t len,
                     const import_report_options_t *options)
{
    json_t *answer = json_loadb (body ? body : "", body ? len : 0, 0, NULL);
    if (answer && !json_is_object (answer))
        json_decref (answer), answer = NULL;
    const char *error = answer ? s_str (answer, "error") : NULL;
    int code = import_report_exit_code (status, error);
    bool report = code != IMPORT_EXIT_FAIL && answer != NULL;
    if (options->json && (answer || code != IMPORT_EXIT_FAIL)) {
        fwrite (body ? body : "", 1, body ? len : 0, out);
        if (len == 0 || body[len - 1] != '\n')
            fputc ('\n', out);
    }
    else if (report)
        s_print_report (out, answer, status, options);
    else
        s_print_refusal (err, status, answer, options);
    if (code == IMPORT_EXIT_PROBLEMS && !answer)
        code = IMPORT_EXIT_FAIL; /* a 413 from something else than the daemon */
    json_decref (answer);
    return code;
}

void
import_report_refusal (FILE *err, long status, const char *body, size_t len,
                       const import_report_options_t *options)
{
    json_t *answer = json_loadb (body ? body : "", body ? len : 0, 0, NULL);
    if (answer && !json_is_object (answer))
        json_decref (answer), answer = NULL;
    s_print_refusal (err, status, answer, options);
    json_decref (answer);
}
