/* test_import_report.c — what tsunagu-import prints for the agency daemon's answers to an
 * import, from canned JSON: the encoding and the counts, every problem sorted by row as
 * "行 3 ・ 生年月日: ...", the rows sent with their referral ids, English with --lang en, the
 * JSON as is with --json, and the exit code each answer means (0 sent, 1 nothing sent because
 * of the file, 2 refused).  Also where it sends the file: the URL from agency.conf's [http]
 * listen, the token beside it, and a token file others may read refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"
#include "request.h"
#include "target.h"
#include "test_helpers.h"

#define REF_1 "11111111-1111-4111-8111-111111111111"
#define REF_2 "22222222-2222-4222-8222-222222222222"

/* An answer of 202: three rows of this agency sent, seven of others skipped. */
static const char *s_sent_202 =
    "{\"dry_run\": false, \"mapping\": \"tsunagu-city\", \"encoding\": \"utf-8-bom\", \"rows\": 10,"
    " \"counts\": {\"sent\": 2, \"already_sent\": 0, \"skipped\": 8, \"invalid\": 0, \"valid\": 2},"
    " \"results\": ["
    "  {\"row\": 2, \"key\": \"H001/poverty\", \"status\": \"sent\", \"referral_id\": \"" REF_1
    "\","
    "   \"case_id\": \"c1\", \"consent_id\": \"k1\", \"to\": \"poverty\"},"
    "  {\"row\": 3, \"key\": \"H002/disability\", \"status\": \"skipped\", \"reason\": "
    "\"child's\"},"
    "  {\"row\": 5, \"key\": \"H004/poverty\", \"status\": \"sent\", \"referral_id\": \"" REF_2
    "\","
    "   \"case_id\": \"c2\", \"consent_id\": null, \"to\": \"poverty\"},"
    "  {\"row\": 6, \"key\": \"H005/poverty\", \"status\": \"skipped\", \"reason\": \"child's\"}],"
    " \"problems\": [], \"warnings\": [{\"column\": \"備考\", \"problem\": \"not mapped: its cells "
    "are not sent\"}]}";

/* An answer of 422 whose problems come in no particular order. */
static const char *s_invalid_422 =
    "{\"error\": \"import_invalid\", \"message\": \"2 rows have problems: nothing was sent\","
    " \"dry_run\": false, \"mapping\": null, \"encoding\": \"cp932\", \"rows\": 3,"
    " \"counts\": {\"sent\": 0, \"already_sent\": 0, \"skipped\": 0, \"invalid\": 2, \"valid\": 1},"
    " \"results\": ["
    "  {\"row\": 2, \"key\": \"H001/poverty\", \"status\": \"valid\", \"to\": \"poverty\"},"
    "  {\"row\": 3, \"key\": \"H002/x\", \"status\": \"invalid\", \"reason\": \"2 problems\"},"
    "  {\"row\": 7, \"key\": \"H006/poverty\", \"status\": \"invalid\", \"reason\": \"1 "
    "problem\"}],"
    " \"problems\": ["
    "  {\"row\": 7, \"column\": \"生年月日\", \"field\": \"sheet.members.0.birthdate\","
    "   \"problem\": \"2023-02-30 is not a date\"},"
    "  {\"row\": 3, \"column\": \"紹介先\", \"field\": null, \"problem\": \"x is no agency type\"},"
    "  {\"row\": null, \"column\": null, \"field\": null, \"problem\": \"the file names 12 "
    "columns\"},"
    "  {\"row\": 3, \"column\": null, \"field\": \"legal_basis\", \"problem\": \"is missing\"}],"
    " \"warnings\": []}";

/* What report printing wrote to out and to err, and the exit code. */
typedef struct {
    char *out; /* stdout's text (owned) */
    char *err; /* stderr's text (owned) */
    int code;  /* the exit code */
} s_printed_t;

static s_printed_t
s_print (long status, const char *body, import_lang_t lang, bool json)
{
    s_printed_t p = { 0 };
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream (&p.out, &out_len);
    FILE *err = open_memstream (&p.err, &err_len);
    assert_non_null (out);
    assert_non_null (err);
    import_report_options_t options = {
        .lang = lang, .json = json, .file_name = "referrals.csv", .server = "http://127.0.0.1:7781"
    };
    p.code = import_report_print (out, err, status, body, body ? strlen (body) : 0, &options);
    fclose (out);
    fclose (err);
    return p;
}

static void
s_printed_free (s_printed_t *p)
{
    free (p->out);
    free (p->err);
}

/* Fails unless needle occurs in text, showing the text. */
static void
s_has (const char *text, const char *needle)
{
    if (!strstr (text, needle))
        fail_msg ("expected \"%s\" in:\n%s", needle, text);
}

static void
test_sent_report_in_japanese (void **state)
{
    (void) state;
    s_printed_t p = s_print (202, s_sent_202, IMPORT_LANG_JA, false);
    assert_int_equal (p.code, IMPORT_EXIT_OK);
    s_has (p.out, "ファイル: referrals.csv");
    s_has (p.out, "文字コード: UTF-8（BOM付き）");
    s_has (p.out, "対応表: tsunagu-city");
    s_has (p.out, "データ行: 10");
    s_has (p.out, "送信 2 件 ・ 送信済み 0 件 ・ 対象外 8 件 ・ 問題あり 0 件");
    s_has (p.out, "送信しました。");
    s_has (p.out, "行 2 ・ H001/poverty → poverty ・ 紹介ID " REF_1 "\n");
    s_has (p.out, "行 5 ・ H004/poverty → poverty ・ 紹介ID " REF_2 "\n");
    s_has (p.out, "対象外の行（紹介元がこの機関の種別ではない）: 行 3, 6\n");
    s_has (p.out, "列「備考」: not mapped: its cells are not sent");
    assert_null (strstr (p.out, "問題 ("));
    assert_string_equal (p.err, "");
    s_printed_free (&p);
}

static void
test_problems_sorted_by_row_nothing_sent (void **state)
{
    (void) state;
    s_printed_t p = s_print (422, s_invalid_422, IMPORT_LANG_JA, false);
    assert_int_equal (p.code, IMPORT_EXIT_PROBLEMS);
    s_has (p.out, "文字コード: Shift_JIS（CP932）");
    s_has (p.out, "対応表: なし（標準の列名のみ）");
    s_has (p.out, "問題のある行があるため、何も送信していません。");
    s_has (p.out, "問題なし（未送信） 1 件 ・ 対象外 0 件 ・ 問題あり 2 件");
    s_has (p.out, "問題 (4):\n"
                  "  ファイル: the file names 12 columns\n"
                  "  行 3 ・ 紹介先: x is no agency type\n"
                  "  行 3 ・ legal_basis: is missing\n"
                  "  行 7 ・ 生年月日: 2023-02-30 is not a date\n");
    s_has (p.out, "問題のない行（送信していません）: 行 2\n");
    assert_null (strstr (p.out, "送信した行"));
    assert_null (strstr (p.out, "送信しました"));
    s_printed_free (&p);
}

static void
test_english (void **state)
{
    (void) state;
    s_printed_t p = s_print (422, s_invalid_422, IMPORT_LANG_EN, false);
    assert_int_equal (p.code, IMPORT_EXIT_PROBLEMS);
    s_has (p.out, "Encoding: Shift_JIS (CP932)");
    s_has (p.out, "Some rows have problems: nothing was sent.");
    s_has (p.out, "  row 7 · 生年月日: 2023-02-30 is not a date\n");
    s_has (p.out, "fine (not sent) 1 · skipped 0 · with problems 2");
    s_printed_free (&p);
    p = s_print (202, s_sent_202, IMPORT_LANG_EN, false);
    s_has (p.out, "sent 2 · already sent 0 · skipped 8 · with problems 0");
    s_has (p.out, "row 2 · H001/poverty → poverty · referral " REF_1);
    s_printed_free (&p);
}

static void
test_dry_run_and_reimport (void **state)
{
    (void) state;
    const char *dry =
        "{\"dry_run\": true, \"mapping\": \"tsunagu-city\", \"encoding\": \"utf-8\", \"rows\": 2,"
        " \"counts\": {\"sent\": 0, \"already_sent\": 0, \"skipped\": 1, \"invalid\": 0,"
        " \"valid\": 1}, \"results\": [{\"row\": 2, \"key\": \"H001/poverty\", \"status\": "
        "\"valid\", \"to\": \"poverty\"}, {\"row\": 3, \"key\": \"H002/child\", \"status\": "
        "\"skipped\"}], \"problems\": [], \"warnings\": []}";
    s_printed_t p = s_print (200, dry, IMPORT_LANG_JA, false);
    assert_int_equal (p.code, IMPORT_EXIT_OK);
    s_has (p.out, "確認のみ: 問題は見つかりませんでした（何も送信していません）。");
    s_has (p.out, "送信できる 1 件 ・ 対象外 1 件 ・ 問題あり 0 件");
    s_has (p.out, "送信できる行:\n  行 2 ・ H001/poverty → poverty\n");
    assert_null (strstr (p.out, "送信しました"));
    s_printed_free (&p);

    const char *again =
        "{\"dry_run\": false, \"mapping\": \"tsunagu-city\", \"encoding\": \"utf-8-bom\","
        " \"rows\": 1, \"counts\": {\"sent\": 0, \"already_sent\": 1, \"skipped\": 0,"
        " \"invalid\": 0, \"valid\": 1}, \"results\": [{\"row\": 2, \"key\": \"H001/poverty\","
        " \"status\": \"already_sent\", \"referral_id\": \"" REF_1 "\", \"to\": \"poverty\"}],"
        " \"problems\": [], \"warnings\": []}";
    p = s_print (200, again, IMPORT_LANG_JA, false);
    assert_int_equal (p.code, IMPORT_EXIT_OK);
    s_has (p.out, "新しく送る行はありませんでした");
    s_has (p.out, "送信 0 件 ・ 送信済み 1 件");
    s_has (p.out, "送信済みの行（今回は送っていません）:\n  行 2 ・ H001/poverty → poverty ・ "
                  "紹介ID " REF_1);
    s_printed_free (&p);
}

static void
test_json_as_is (void **state)
{
    (void) state;
    s_printed_t p = s_print (422, s_invalid_422, IMPORT_LANG_JA, true);
    assert_int_equal (p.code, IMPORT_EXIT_PROBLEMS);
    assert_int_equal (strlen (p.out), strlen (s_invalid_422) + 1);
    assert_memory_equal (p.out, s_invalid_422, strlen (s_invalid_422));
    s_printed_free (&p);
}

static void
test_file_refused_and_refusals (void **state)
{
    (void) state;
    const char *bad =
        "{\"error\": \"invalid_file\", \"message\": \"line 4 is valid in no encoding\","
        " \"dry_run\": false, \"mapping\": null, \"encoding\": null, \"rows\": 0, \"counts\":"
        " {\"sent\": 0, \"already_sent\": 0, \"skipped\": 0, \"invalid\": 0, \"valid\": 0},"
        " \"results\": [], \"problems\": [{\"row\": 4, \"column\": null, \"field\": null,"
        " \"problem\": \"bytes valid in no encoding\"}], \"warnings\": []}";
    s_printed_t p = s_print (400, bad, IMPORT_LANG_JA, false);
    assert_int_equal (p.code, IMPORT_EXIT_PROBLEMS);
    s_has (p.out, "ファイルを取り込めませんでした（何も送信していません）: line 4 is valid in no "
                  "encoding");
    s_has (p.out, "  行 4: bytes valid in no encoding\n");
    s_printed_free (&p);

    p = s_print (404, "{\"error\": \"no_such_mapping\", \"message\": \"no mapping x\"}",
                 IMPORT_LANG_EN, false);
    assert_int_equal (p.code, IMPORT_EXIT_FAIL);
    assert_string_equal (p.out, "");
    s_has (p.err, "has no such mapping (--mapping)");
    s_has (p.err, "(--mapping): no mapping x (HTTP 404 no_such_mapping, http://127.0.0.1:7781)");
    s_printed_free (&p);

    p = s_print (401, "{\"error\": \"unauthorized\"}", IMPORT_LANG_JA, false);
    assert_int_equal (p.code, IMPORT_EXIT_FAIL);
    s_has (p.err, "トークンを受け付けませんでした");
    s_printed_free (&p);

    p = s_print (503,
                 "{\"error\": \"not_ready\", \"message\": \"the coordinator is not "
                 "connected\"}",
                 IMPORT_LANG_EN, false);
    assert_int_equal (p.code, IMPORT_EXIT_FAIL);
    s_has (p.err,
           "does not take imports now: the coordinator is not connected (HTTP 503 not_ready, ");
    s_printed_free (&p);

    p = s_print (502, "<html>bad gateway</html>", IMPORT_LANG_EN, true);
    assert_int_equal (p.code, IMPORT_EXIT_FAIL);
    assert_string_equal (p.out, "");
    s_has (p.err, "answer is not JSON (HTTP 502, http://127.0.0.1:7781)");
    s_printed_free (&p);

    assert_int_equal (import_report_exit_code (200, NULL), IMPORT_EXIT_OK);
    assert_int_equal (import_report_exit_code (202, NULL), IMPORT_EXIT_OK);
    assert_int_equal (import_report_exit_code (422, "import_invalid"), IMPORT_EXIT_PROBLEMS);
    assert_int_equal (import_report_exit_code (400, "invalid_file"), IMPORT_EXIT_PROBLEMS);
    assert_int_equal (import_report_exit_code (400, "bad_request"), IMPORT_EXIT_FAIL);
    assert_int_equal (import_report_exit_code (415, "unsupported"), IMPORT_EXIT_FAIL);
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    assert_int_equal (chmod (path, mode), 0);
}

static void
test_target_from_config_and_token_mode (void **state)
{
    (void) state;
    char dir[256], conf[320], token[320], other[320], err[512];
    test_tmpdir (dir, sizeof dir, "import-target");
    snprintf (conf, sizeof conf, "%s/agency.conf", dir);
    snprintf (token, sizeof token, "%s/http.token", dir);
    snprintf (other, sizeof other, "%s/other.token", dir);
    s_write (conf, "[agency]\nid = poverty-kita\n[http]\nlisten = 127.0.0.1:7784\n", 0644);
    s_write (token, "  0123abcd\n", 0600);
    import_target_t t;
    assert_true (import_target_resolve (conf, NULL, NULL, &t, IMPORT_LANG_EN, err, sizeof err));
    assert_string_equal (t.url, "http://127.0.0.1:7784");
    assert_string_equal (t.token, "0123abcd");
    import_target_clear (&t);
    import_target_clear (&t);
    assert_null (t.url);

    /* Readable by the group: refused, and the token is not in the message. */
    assert_int_equal (chmod (token, 0640), 0);
    assert_false (import_target_resolve (conf, NULL, NULL, &t, IMPORT_LANG_EN, err, sizeof err));
    assert_non_null (strstr (err, "may be read by others"));
    assert_non_null (strstr (err, "chmod 600"));
    assert_null (strstr (err, "0123abcd"));
    assert_null (t.url);

    s_write (other, "feedface", 0600);
    assert_true (import_target_resolve (NULL, "http://127.0.0.1:9/", other, &t, IMPORT_LANG_EN, err,
                                        sizeof err));
    assert_string_equal (t.url, "http://127.0.0.1:9");
    assert_string_equal (t.token, "feedface");
    import_target_clear (&t);
    assert_false (
        import_target_resolve (NULL, "127.0.0.1:9", other, &t, IMPORT_LANG_EN, err, sizeof err));
    assert_false (import_target_resolve (NULL, NULL, NULL, &t, IMPORT_LANG_JA, err, sizeof err));
    s_write (other, "\n\n", 0600);
    char *value = NULL;
    assert_false (import_token_read (other, &value, IMPORT_LANG_EN, err, sizeof err));
    assert_non_null (strstr (err, "holds no token"));

    s_write (conf, "[http]\nlisten = [::1]:7781\n", 0644);
    assert_int_equal (chmod (token, 0600), 0);
    assert_true (import_target_resolve (conf, NULL, NULL, &t, IMPORT_LANG_EN, err, sizeof err));
    assert_string_equal (t.url, "http://[::1]:7781");
    import_target_clear (&t);
    s_write (conf, "[agency]\nid = x\n", 0644);
    assert_false (import_target_resolve (conf, NULL, NULL, &t, IMPORT_LANG_EN, err, sizeof err));
    assert_non_null (strstr (err, "[http] listen"));
    test_rmtree (dir);
}

static void
test_request_url (void **state)
{
    (void) state;
    char *url = import_request_url ("http://127.0.0.1:7781", "/v1/imports/referrals",
                                    "tsunagu city", true, NULL);
    assert_string_equal (
        url, "http://127.0.0.1:7781/v1/imports/referrals?mapping=tsunagu%20city&dry_run=true");
    free (url);
    url = import_request_url ("http://h", "/t.csv", NULL, false, "cp932");
    assert_string_equal (url, "http://h/t.csv?encoding=cp932");
    free (url);
    url = import_request_url ("http://h", "/p", NULL, false, NULL);
    assert_string_equal (url, "http://h/p");
    free (url);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sent_report_in_japanese),
        cmocka_unit_test (test_problems_sorted_by_row_nothing_sent),
        cmocka_unit_test (test_english),
        cmocka_unit_test (test_dry_run_and_reimport),
        cmocka_unit_test (test_json_as_is),
        cmocka_unit_test (test_file_refused_and_refusals),
        cmocka_unit_test (test_target_from_config_and_token_mode),
        cmocka_unit_test (test_request_url),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
