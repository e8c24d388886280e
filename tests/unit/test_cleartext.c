/* test_cleartext.c — the cleartext check: the project's own vocabulary and labels pass, names,
 * dates, phone numbers, addresses and email in tags, labels and subject ids do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_helpers.h"
#include "tsunagu/tsg_agency.h"

/* Checks text for field gives verdict; for a refusal, that the reason holds expected and never
 * the text itself. */
static void
s_expect (tsg_cleartext_field_t field, const char *text, tsg_cleartext_verdict_t verdict,
          const char *expected)
{
    char why[TSG_CLEARTEXT_WHY_SIZE];
    memset (why, 'x', sizeof why);
    tsg_cleartext_verdict_t got = tsg_cleartext_check (field, text, why, sizeof why);
    if (got != verdict)
        fail_msg ("field %d, \"%s\": verdict %d, expected %d (%s)", (int) field,
                  text ? text : "(null)", (int) got, (int) verdict, why);
    if (verdict == TSG_CLEARTEXT_OK) {
        assert_string_equal (why, "");
        return;
    }
    assert_true (strlen (why) > 0 && strlen (why) < sizeof why);
    if (expected && !strstr (why, expected))
        fail_msg ("\"%s\": reason \"%s\" does not say \"%s\"", text, why, expected);
    if (text && strlen (text) >= 2 && strstr (why, text))
        fail_msg ("\"%s\": the reason \"%s\" quotes the text", text, why);
}

#define OK(field, text) s_expect (TSG_CLEARTEXT_##field, text, TSG_CLEARTEXT_OK, NULL)
#define PERSONAL(field, text, what)                                                                \
    s_expect (TSG_CLEARTEXT_##field, text, TSG_CLEARTEXT_PERSONAL, what)
#define MALFORMED(field, text, what)                                                               \
    s_expect (TSG_CLEARTEXT_##field, text, TSG_CLEARTEXT_MALFORMED, what)

static void
test_vocabulary_passes (void **state)
{
    (void) state;
    /* DESIGN §2's typical tags of every type, 8050 among them. */
    static const char *const design[] = {
        "介護",       "認知症", "8050",   "虐待",   "孤立",           "障害", "精神保健",
        "ひきこもり", "就労",   "子育て", "不登校", "ヤングケアラー", "DV",   "生活困窮",
        "住まい",     "債務",   "家計",   "複合",   "ダブルケア",     "狭間", NULL
    };
    for (size_t i = 0; design[i]; i++) {
        assert_true (tsg_cleartext_tag_known (design[i]));
        OK (TAG, design[i]);
        OK (LABEL, design[i]);
    }
    for (const char *const *w = tsg_cleartext_tag_words (); *w; w++)
        OK (TAG, *w);
    for (const char *const *w = tsg_cleartext_label_words (); *w; w++) {
        assert_true (tsg_cleartext_label_known (*w));
        OK (LABEL, *w);
    }
    /* Every agency type's typical tags (the policy table) are in the vocabulary. */
    size_t count = 0;
    const tsg_agency_policy_t *table = tsg_agency_policy_table (&count);
    assert_true (count >= 4);
    for (size_t p = 0; p < count; p++)
        for (size_t i = 0; table[p].tags[i]; i++)
            if (!tsg_cleartext_tag_known (table[p].tags[i]))
                fail_msg ("%s's tag %s is not in the vocabulary", table[p].type, table[p].tags[i]);
    /* The tags of the synthetic households. */
    static const char *const households[] = { "ごみ屋敷", "親亡き後", NULL };
    for (size_t i = 0; households[i]; i++)
        OK (TAG, households[i]);
}

static void
test_project_labels_pass (void **state)
{
    (void) state;
    /* Role labels the tests and the demo use, and words of the domain that look a little like
     * what the rules look for (digits, 号, さん after a relation, 様 in 様子). */
    static const char *const labels[] = { "介護サービス調整・見守り",
                                          "長男へのアウトリーチ",
                                          "家計改善・住まいの確保",
                                          "本人の介護サービス調整",
                                          "家計改善=月1回",
                                          "見守り訪問",
                                          "就労支援",
                                          "家計改善",
                                          "家計改善支援",
                                          "role",
                                          "a",
                                          "週2回の訪問",
                                          "8050世帯の見守り",
                                          "第1号被保険者",
                                          "2号被保険者の支援",
                                          "要介護1",
                                          "精神障害者保健福祉手帳2級",
                                          "3歳児健診",
                                          "1歳6か月児健診",
                                          "赤ちゃん訪問",
                                          "お母さんの見守り",
                                          "息子さんと面談",
                                          "ヘルパーさんと連携",
                                          "相談員さんと同行",
                                          "利用者様の受診支援",
                                          "皆様への周知",
                                          "様子見",
                                          "多様な居場所",
                                          "さまざまな相談",
                                          "氏名の確認",
                                          "ちゃんと見守る",
                                          "おさんぽ同行",
                                          "たくさんの支援",
                                          "介護 見守り",
                                          "DV 被害者支援",
                                          "NPO連携",
                                          "月10万円未満",
                                          "２０２６年度の就労支援",
                                          "毎月15日に家計確認",
                                          "ケース会議",
                                          NULL };
    for (size_t i = 0; labels[i]; i++)
        OK (LABEL, labels[i]);
    static const char *const tags[] = { "8050問題", "a", "ok", "tag", "見守り", "ケア", NULL };
    for (size_t i = 0; tags[i]; i++)
        OK (TAG, tags[i]);
}

static void
test_names_refused (void **state)
{
    (void) state;
    /* Synthetic names of /work/shared/data/households.json. */
    PERSONAL (TAG, "山田ハナ", "personal name");
    PERSONAL (TAG, "山田", "family name");
    PERSONAL (TAG, "佐々木", "family name");
    PERSONAL (TAG, "ヤマダハナ", "family name");
    PERSONAL (TAG, "Yamada", "family name");
    PERSONAL (TAG, "SUZUKI", "family name");
    PERSONAL (LABEL, "高橋健さんの見守り", "personal name");
    /* Honorifics after names no list knows. */
    PERSONAL (TAG, "ハナさん", "honorific");
    PERSONAL (TAG, "みきちゃん", "honorific");
    PERSONAL (TAG, "そらくん", "honorific");
    PERSONAL (LABEL, "みきさんの見守り", "honorific");
    PERSONAL (LABEL, "ハナさん宅訪問", "honorific");
    PERSONAL (LABEL, "良子様への連絡", "honorific");
    PERSONAL (LABEL, "健君の登校支援", "honorific");
    PERSONAL (LABEL, "誠氏と面談", "honorific");
    PERSONAL (LABEL, "Hana-san visit", "honorific");
    /* Full names with a space, in kanji, kana, half-width kana and romaji. */
    PERSONAL (TAG, "恵 トメ", "full name");
    PERSONAL (TAG, "ﾊﾅ ﾐｷ", "full name");
    PERSONAL (LABEL, "Hana Tome", "full name");
    PERSONAL (LABEL, "Mr. Smith", "title");
    PERSONAL (LABEL, "ms Tome", "title");
    /* A name split by an invisible character is not let through either. */
    MALFORMED (TAG, "山\u200b田", "invisible");
    MALFORMED (TAG, "ハナ\u202eさん", "invisible");
}

static void
test_dates_numbers_addresses_refused (void **state)
{
    (void) state;
    /* Birth dates of the synthetic households, every way they are written. */
    PERSONAL (TAG, "1943-04-12", "date");
    PERSONAL (TAG, "1943/4/12", "date");
    PERSONAL (TAG, "1943.04.12", "date");
    PERSONAL (TAG, "43-04-12", "date");
    PERSONAL (TAG, "19430412", "date");
    PERSONAL (TAG, "１９４３年４月１２日", "date");
    PERSONAL (TAG, "S18.4.12", "date");
    PERSONAL (TAG, "昭和18年", "date");
    PERSONAL (TAG, "平成元年", "date");
    PERSONAL (TAG, "昭和十八年生", "date");
    PERSONAL (LABEL, "4月12日生まれ", "date");
    PERSONAL (LABEL, "1943年生の母", "date of birth");
    PERSONAL (LABEL, "R5.4.1から訪問", "date");
    /* Phone numbers (the households' are 000-0000-000N). */
    PERSONAL (TAG, "000-0000-0001", "phone");
    PERSONAL (TAG, "090-1234-5678", "phone");
    PERSONAL (TAG, "(03)1234-5678", "phone");
    PERSONAL (TAG, "０９０ー１２３４ー５６７８", "phone");
    PERSONAL (TAG, "09012345678", "phone");
    PERSONAL (TAG, "+81 90 1234 5678", "phone");
    PERSONAL (TAG, "123456789012", "personal number");
    /* Postal codes and addresses (the households' are つなぐ市中央町1-2-3 ...). */
    PERSONAL (TAG, "〒999-9999", "postal code");
    PERSONAL (TAG, "999-9999", "postal code");
    PERSONAL (LABEL, "つなぐ市中央町1-2-3", "address");
    PERSONAL (LABEL, "南町10-11", "address");
    PERSONAL (LABEL, "中央3丁目", "address");
    PERSONAL (LABEL, "12番地", "address");
    PERSONAL (LABEL, "1番2号", "address");
    PERSONAL (LABEL, "101号室", "address");
    PERSONAL (LABEL, "7-8-9", "address");
    /* Email and sentences. */
    PERSONAL (TAG, "hana@example.jp", "email");
    PERSONAL (LABEL, "毎日訪問する。", "sentence");
}

static void
test_subjects (void **state)
{
    (void) state;
    /* The pseudonyms the tests and scripts use. */
    static const char *const good[] = { "H001-1",        "H003-2",   "H010-1",   "S-0001", "H001",
                                        "h001_2",        "case-12",  "H003-2-1", "x",      "A.B-1",
                                        "H001-12345678", "S-000123", NULL };
    for (size_t i = 0; good[i]; i++)
        OK (SUBJECT, good[i]);
    /* Names. */
    PERSONAL (SUBJECT, "山田ハナ", "kana or kanji");
    PERSONAL (SUBJECT, "山田 ハナ", "kana or kanji");
    PERSONAL (SUBJECT, "本人（母）", "kana or kanji");
    PERSONAL (SUBJECT, "ＨＯＯ１", "kana or kanji"); /* full-width letters */
    PERSONAL (SUBJECT, "Yamada Hana", "romanized full name");
    PERSONAL (SUBJECT, "yamada-1", "family name");
    PERSONAL (SUBJECT, "HanaYamada", "romanized name");
    PERSONAL (SUBJECT, "hana.tome", "romanized name");
    PERSONAL (SUBJECT, "hana@example.jp", "email");
    /* Dates of birth. */
    PERSONAL (SUBJECT, "yamada-taro-19500101", NULL);
    PERSONAL (SUBJECT, "H001-1950-01-01", "date of birth");
    PERSONAL (SUBJECT, "H001_1943.4.12", "date of birth");
    PERSONAL (SUBJECT, "H001-19430412", "date of birth");
    PERSONAL (SUBJECT, "H001-3180412", "date of birth"); /* era-coded: 昭和18年4月12日 */
    PERSONAL (SUBJECT, "H001-430412", "date of birth");
    PERSONAL (SUBJECT, "S18-4-12", "date of birth");
    PERSONAL (SUBJECT, "H01-02-03", "date of birth");
    OK (SUBJECT, "H001-19431312"); /* no 13th month */
    OK (SUBJECT, "H001-19430230"); /* no 30 February */
    /* Phone and other numbers. */
    PERSONAL (SUBJECT, "09012345678", "phone");
    PERSONAL (SUBJECT, "tel-090-1234-5678", "phone");
    PERSONAL (SUBJECT, "H001-123456789", "personal number");
    /* Not an id at all. */
    MALFORMED (SUBJECT, "H001 1", "pseudonymous id");
    MALFORMED (SUBJECT, "H001/1", "pseudonymous id");
    MALFORMED (SUBJECT, "H001:1", "pseudonymous id");
    MALFORMED (SUBJECT, "H00\xc3", "UTF-8");
}

static void
test_edges (void **state)
{
    (void) state;
    for (int f = TSG_CLEARTEXT_TAG; f <= TSG_CLEARTEXT_SUBJECT; f++) {
        s_expect ((tsg_cleartext_field_t) f, NULL, TSG_CLEARTEXT_MALFORMED, "empty");
        s_expect ((tsg_cleartext_field_t) f, "", TSG_CLEARTEXT_MALFORMED, "empty");
    }
    MALFORMED (TAG, " ", "blank");
    MALFORMED (LABEL, "\u3000\u3000", "blank");
    /* Invalid UTF-8: a lone continuation byte, an overlong '/', a surrogate, past U+10FFFF,
     * a truncated character. */
    static const char *const bad[] = {
        "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe4\xbb", "ok\xff", NULL
    };
    for (size_t i = 0; bad[i]; i++) {
        MALFORMED (TAG, bad[i], "UTF-8");
        MALFORMED (LABEL, bad[i], "UTF-8");
    }
    MALFORMED (TAG, "a\tb", "control");
    MALFORMED (LABEL, "a\x7f", "control");
    MALFORMED (LABEL, "a\xc2\x85", "control"); /* NEL, a C1 control */
    /* Lengths: 16 characters make a tag, 32 a label; then it is free text. */
    OK (TAG, "ああああああああああああああああ");
    PERSONAL (TAG, "あああああああああああああああああ", "longer than a tag");
    OK (LABEL, "ああああああああああああああああああああああああああああああああ");
    PERSONAL (LABEL, "あああああああああああああああああああああああああああああああああ",
              "longer than a label");
    char subject[TSG_CLEARTEXT_SUBJECT_MAX + 2];
    memset (subject, 'a', sizeof subject);
    subject[TSG_CLEARTEXT_SUBJECT_MAX] = '\0';
    OK (SUBJECT, subject);
    subject[TSG_CLEARTEXT_SUBJECT_MAX] = 'a';
    subject[TSG_CLEARTEXT_SUBJECT_MAX + 1] = '\0';
    MALFORMED (SUBJECT, subject, "64 bytes");
    /* why may be NULL or tiny; it is always terminated. */
    assert_false (tsg_cleartext_tag_ok ("山田ハナ", NULL, 0));
    char tiny[4] = "zzz";
    assert_false (tsg_cleartext_label_ok ("山田ハナ", tiny, 1));
    assert_string_equal (tiny, "");
    assert_false (tsg_cleartext_subject_ok ("yamada-1", tiny, sizeof tiny));
    assert_int_equal (strlen (tiny), 3);
    assert_true (tsg_cleartext_subject_ok ("H001-1", tiny, sizeof tiny));
    assert_string_equal (tiny, "");
    /* The vocabulary is exact: a known word inside a longer text goes through the rules. */
    assert_false (tsg_cleartext_tag_known ("介護 "));
    assert_false (tsg_cleartext_tag_known (NULL));
}

/* A rejected receipt's detail: an English sentence, with the protocol's ids in it. */
static void
test_details (void **state)
{
    (void) state;
    char why[TSG_CLEARTEXT_WHY_SIZE];
    static const char *const fine[] = {
        "",
        "the signature does not verify",
        "the letter is addressed to poverty-kita, not to this agency",
        "a referral with this id is known here already",
        "referral 1e6b5d4f-2c3a-4b7e-9f0d-8a2b3c4d5e6f is at version 3 (accepted), not 2",
        "letter 0123456789abcdef0123456789abcdef was not expected",
        NULL,
    };
    for (size_t i = 0; fine[i]; i++)
        assert_true (tsg_cleartext_detail_ok (fine[i], why, sizeof why));
    static const char *const personal[] = {
        "山田花子さんは転居しました", /* Japanese: a name can hide in it */
        "born 1950-01-01",            /* a date of birth */
        "call 090-1234-5678",         /* a phone number */
        "write to hanako@example.jp", /* an email */
        NULL,
    };
    for (size_t i = 0; personal[i]; i++) {
        assert_false (tsg_cleartext_detail_ok (personal[i], why, sizeof why));
        assert_true (strlen (why) > 0);
    }
    char longer[TSG_CLEARTEXT_DETAIL_MAX + 2];
    memset (longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_false (tsg_cleartext_detail_ok (longer, why, sizeof why));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_vocabulary_passes),
        cmocka_unit_test (test_project_labels_pass),
        cmocka_unit_test (test_names_refused),
        cmocka_unit_test (test_dates_numbers_addresses_refused),
        cmocka_unit_test (test_subjects),
        cmocka_unit_test (test_edges),
        cmocka_unit_test (test_details),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
