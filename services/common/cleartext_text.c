/* cleartext_text.c — the words the cleartext checker knows (the field's vocabularies, family
 * names, honorifics) and the reading of a text as characters (UTF-8, character classes,
 * full-width folding, matching). */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cleartext_text.h"

/* --- the vocabularies ------------------------------------------------------------------- */

/* Issue tags: DESIGN §2's table of typical tags, and those of the synthetic households and
 * the seed documents. */
const char *const tsg_ct_tag_words[] = {
    /* eldercare */
    "介護", "認知症", "8050", "虐待", "孤立",
    /* disability */
    "障害", "精神保健", "ひきこもり", "就労",
    /* child */
    "子育て", "不登校", "ヤングケアラー", "DV",
    /* poverty */
    "生活困窮", "住まい", "債務", "家計",
    /* coordinator */
    "複合", "ダブルケア", "狭間",
    /* the synthetic households and the seeds */
    "ごみ屋敷", "親亡き後", "引きこもり", "制度の狭間", "貧困", "居住", "社会参加", "権利擁護",
    "介護予防", "居場所", NULL
};

/* Plan role words: what an agency takes on in a support plan. */
const char *const tsg_ct_label_words[] = { "主担当",
                                           "副担当",
                                           "見守り",
                                           "見守り訪問",
                                           "家計相談",
                                           "家計改善",
                                           "家計改善支援",
                                           "就労支援",
                                           "連絡調整",
                                           "相談支援",
                                           "参加支援",
                                           "アウトリーチ",
                                           "居場所づくり",
                                           "地域づくり",
                                           "伴走支援",
                                           "権利擁護",
                                           "成年後見",
                                           "居住支援",
                                           "学習支援",
                                           "生活支援",
                                           "介護サービス調整",
                                           "訪問",
                                           "同行支援",
                                           "多機関協働",
                                           "ケアマネジメント",
                                           "子育て支援",
                                           "住まいの確保",
                                           "日常生活自立支援",
                                           "受診支援",
                                           "服薬支援",
                                           "緊急対応",
                                           "安否確認",
                                           NULL };

/* --- what names look like ----------------------------------------------------------------- */

/* Common family names of two or more kanji (one-kanji names such as 林 or 森 are words too). */
const char *const tsg_ct_kanji_surnames[] = {
    "佐藤", "鈴木",   "高橋", "田中",   "伊藤", "渡辺",   "渡邊",   "渡部", "山本", "中村", "小林",
    "加藤", "吉田",   "山田", "佐々木", "山口", "松本",   "井上",   "木村", "斎藤", "斉藤", "齋藤",
    "清水", "山崎",   "池田", "橋本",   "阿部", "石川",   "山下",   "中島", "石井", "小川", "前田",
    "岡田", "長谷川", "藤田", "後藤",   "近藤", "村上",   "遠藤",   "青木", "坂本", "福田", "太田",
    "西村", "藤井",   "金子", "岡本",   "藤原", "中野",   "三浦",   "原田", "中川", "松田", "竹内",
    "小野", "田村",   "中山", "和田",   "石田", "森田",   "上田",   "内田", "柴田", "酒井", "宮崎",
    "横山", "高木",   "安藤", "宮本",   "大野", "小島",   "工藤",   "谷口", "今井", "高田", "丸山",
    "増田", "杉山",   "村田", "大塚",   "新井", "小山",   "平野",   "藤本", "河野", "野口", "武田",
    "松井", "千葉",   "岩崎", "菅原",   "木下", "久保",   "佐野",   "野村", "松尾", "菊地", "杉本",
    "市川", "古川",   "大西", "島田",   "水野", "桜井",   "高野",   "吉川", "山内", "西田", "飯田",
    "菊池", "西川",   "小松", "北村",   "安田", "五十嵐", "川口",   "平田", "中田", "服部", "岩田",
    "土屋", "川崎",   "本田", "樋口",   "秋山", "田口",   "永井",   "山中", "中西", "吉村", "川上",
    "石原", "大橋",   "松岡", "馬場",   "浅野", "荒木",   "大久保", "野田", "小池", "菅野", "熊谷",
    "内藤", "松下",   "大石", NULL
};

/* The most common of them in katakana (three or more characters). */
const char *const tsg_ct_kana_surnames[] = {
    "サトウ",   "スズキ",   "タカハシ", "タナカ",   "イトウ",   "ワタナベ", "ヤマモト", "ナカムラ",
    "コバヤシ", "カトウ",   "ヨシダ",   "ヤマダ",   "ササキ",   "ヤマグチ", "マツモト", "イノウエ",
    "キムラ",   "シミズ",   "ヤマザキ", "イケダ",   "ハシモト", "イシカワ", "ヤマシタ", "ナカジマ",
    "イシイ",   "オガワ",   "マエダ",   "オカダ",   "ハセガワ", "フジタ",   "ゴトウ",   "コンドウ",
    "ムラカミ", "エンドウ", "アオキ",   "サカモト", "フクダ",   "ニシムラ", "フジイ",   "カネコ",
    "オカモト", "フジワラ", "ナカノ",   "ミウラ",   "ハラダ",   "ナカガワ", "タムラ",   NULL
};

/* And in romaji (compared as whole words, in lower case). */
const char *const tsg_ct_romaji_surnames[] = {
    "sato",      "satou",    "satoh",    "suzuki",   "takahashi", "tanaka",    "ito",
    "itou",      "itoh",     "watanabe", "yamamoto", "nakamura",  "kobayashi", "kato",
    "katou",     "katoh",    "yoshida",  "yamada",   "sasaki",    "yamaguchi", "matsumoto",
    "inoue",     "kimura",   "shimizu",  "yamazaki", "ikeda",     "hashimoto", "ishikawa",
    "yamashita", "nakajima", "ishii",    "ogawa",    "maeda",     "okada",     "hasegawa",
    "fujita",    "goto",     "gotou",    "kondo",    "kondou",    "murakami",  "endo",
    "endou",     "aoki",     "sakamoto", "fukuda",   "nishimura", "fujii",     "kaneko",
    "okamoto",   "fujiwara", "nakano",   "miura",    "harada",    "nakagawa",  "matsuda",
    "tamura",    "koyama",   "ohno",     "nakayama", "ishida",    "morita",    NULL
};

/* Honorifics after a name, and the neighbours that make an ordinary word of them instead. */

const tsg_ct_honorific_t tsg_ct_honorifics[] = {
    { "さん", true, true, NULL, NULL },
    { "様", true, false, "子式々相態変", "多同模仕異一各左有文神王貴若今皇" },
    { "さま", false, false, "ざ", NULL },
    { "君", true, true, NULL, "諸主暴名細若" },
    { "くん", true, true, NULL, NULL },
    { "ちゃん", true, false, "と", NULL },
    { "氏", false, false, "名族", "彼同両諸某源平" },
    { "殿", false, false, "堂下様方", "御宮神沈貴湯拝" },
};
const size_t tsg_ct_honorifics_count = sizeof tsg_ct_honorifics / sizeof tsg_ct_honorifics[0];

/* Words an honorific may follow without a name: relations, roles and jobs (お母さん,
 *利用者様, ヘルパーさん), and たくさん. */
const char *const tsg_ct_not_names[] = {
    "お母", "お父", "母",     "父",       "息子",     "お子",   "子供",   "子ども", "娘",
    "奥",   "親御", "兄",     "姉",       "妹",       "弟",     "ばあ",   "じい",   "婆",
    "爺",   "孫",   "おば",   "おじ",     "おかあ",   "おとう", "おにい", "おねえ", "皆",
    "みな", "赤",   "あか",   "お嬢",     "嫁",       "旦那",   "主人",   "家族",   "本人",
    "者",   "客",   "先生",   "神",       "仏",       "員",     "師",     "福祉士", "弁護士",
    "書士", "大家", "管理人", "ヘルパー", "ケアマネ", "たく",   NULL
};

/* The particles that may follow a name and its honorific (みきさんの見守り). */
const char *const tsg_ct_particles = "のへにをがはともやで";

/* ASCII honorifics after "-" or a space, and titles before a name. */
const char *const tsg_ct_romaji_honorifics[] = { "san", "sama", "chan", "kun", NULL };
const char *const tsg_ct_titles[] = { "mr", "mrs", "ms", "miss", "mx", "dr", NULL };

/* --- characters ----------------------------------------------------------------------------- */

bool
tsg_ct_control (uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/* Characters that show nothing, or turn the text around: they could split a name in two. */
bool
tsg_ct_invisible (uint32_t c)
{
    return c == 0x00ad || c == 0x034f || c == 0x061c || c == 0x115f || c == 0x1160 || c == 0x17b4
           || c == 0x17b5 || (c >= 0x180b && c <= 0x180f) || (c >= 0x200b && c <= 0x200f)
           || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0x3164
           || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff || c == 0xffa0
           || (c >= 0xfff0 && c <= 0xffff) || (c >= 0xe0000 && c <= 0xe0fff);
}

bool
tsg_ct_kanji (uint32_t c)
{
    return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)
           || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3ffff) || c == 0x3005
           || c == 0x3006;
}

bool
tsg_ct_hiragana (uint32_t c)
{
    return c >= 0x3041 && c <= 0x309f;
}

/* Katakana letters and the long-vowel mark, full and half width (not the middle dot ・). */
bool
tsg_ct_katakana (uint32_t c)
{
    return (c >= 0x30a1 && c <= 0x30fa) || (c >= 0x30fc && c <= 0x30ff)
           || (c >= 0x31f0 && c <= 0x31ff) || (c >= 0xff66 && c <= 0xff9f);
}

bool
tsg_ct_letter (uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool
tsg_ct_upper (uint32_t c)
{
    return c >= 'A' && c <= 'Z';
}

bool
tsg_ct_digit (uint32_t c)
{
    return c >= '0' && c <= '9';
}

bool
tsg_ct_alnum (uint32_t c)
{
    return tsg_ct_letter (c) || tsg_ct_digit (c);
}

/* A character a name is written in. */
bool
tsg_ct_name_char (uint32_t c)
{
    return tsg_ct_kanji (c) || tsg_ct_hiragana (c) || tsg_ct_katakana (c) || tsg_ct_letter (c);
}

/* c as ASCII when it is a full-width digit, letter or punctuation mark the rules read. */
uint32_t
tsg_ct_fold (uint32_t c)
{
    if (c >= 0xff10 && c <= 0xff19)
        return '0' + (c - 0xff10);
    if (c >= 0xff21 && c <= 0xff3a)
        return 'A' + (c - 0xff21);
    if (c >= 0xff41 && c <= 0xff5a)
        return 'a' + (c - 0xff41);
    switch (c) {
    case 0x3000: return ' ';
    case 0xff0d:
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xfe63: return '-';
    case 0xff0f: return '/';
    case 0xff0e: return '.';
    case 0xff20: return '@';
    case 0xff08: return '(';
    case 0xff09: return ')';
    case 0xff0b: return '+';
    case 0xff3f: return '_';
    default: return c;
    }
}

/* Reads text into t, folded; the long-vowel mark between digits is a dash (090ー1234).  The
 * caller has checked text is valid UTF-8 of at most TEXT_MAX characters. */
void
tsg_ct_read (const char *text, tsg_ct_text_t *t)
{
    const unsigned char *p = (const unsigned char *) text;
    t->n = 0;
    while (*p && t->n < TEXT_MAX) {
        uint32_t c;
        size_t len = tsg_utf8_decode (p, &c);
        assert (len > 0);
        t->cp[t->n++] = tsg_ct_fold (c);
        p += len;
    }
    for (size_t i = 1; i + 1 < t->n; i++)
        if ((t->cp[i] == 0x30fc || t->cp[i] == 0xff70) && tsg_ct_digit (t->cp[i - 1])
            && tsg_ct_digit (t->cp[i + 1]))
            t->cp[i] = '-';
}

/* How many characters of needle (UTF-8) match t at at: all of them, or 0. */
size_t
tsg_ct_match_at (const tsg_ct_text_t *t, size_t at, const char *needle)
{
    const unsigned char *p = (const unsigned char *) needle;
    size_t i = at;
    while (*p) {
        uint32_t c;
        size_t len = tsg_utf8_decode (p, &c);
        assert (len > 0); /* the tables are valid UTF-8 */
        if (i >= t->n || t->cp[i] != c)
            return 0;
        p += len;
        i++;
    }
    return i - at;
}

size_t
tsg_ct_chars (const char *utf8)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) utf8; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* True when t holds needle anywhere. */
bool
tsg_ct_contains (const tsg_ct_text_t *t, const char *needle)
{
    for (size_t i = 0; i < t->n; i++)
        if (tsg_ct_match_at (t, i, needle))
            return true;
    return false;
}

/* True when the characters of t before end finish with needle. */
bool
tsg_ct_ends_with (const tsg_ct_text_t *t, size_t end, const char *needle)
{
    size_t len = tsg_ct_chars (needle);
    return len <= end && tsg_ct_match_at (t, end - len, needle) == len;
}

/* True when c is one of the characters of set (UTF-8; NULL is empty). */
bool
tsg_ct_one_of (uint32_t c, const char *set)
{
    const unsigned char *p = (const unsigned char *) set;
    while (p && *p) {
        uint32_t k;
        size_t len = tsg_utf8_decode (p, &k);
        assert (len > 0);
        if (k == c)
            return true;
        p += len;
    }
    return false;
}

bool
tsg_ct_in_list (const char *text, const char *const list[])
{
    for (size_t i = 0; text && list[i]; i++)
        if (strcmp (text, list[i]) == 0)
            return true;
    return false;
}

/* The ASCII word of t from at to end in lower case, into out; false when it does not fit. */
bool
tsg_ct_lower_word (const tsg_ct_text_t *t, size_t at, size_t end, char out[WORD_MAX + 1])
{
    if (end - at > WORD_MAX)
        return false;
    for (size_t i = at; i < end; i++)
        out[i - at] = (char) (tsg_ct_upper (t->cp[i]) ? t->cp[i] - 'A' + 'a' : t->cp[i]);
    out[end - at] = '\0';
    return true;
}

/* True when the ASCII word from at to end is, ignoring case, a common family name. */
bool
tsg_ct_romaji_surname (const tsg_ct_text_t *t, size_t at, size_t end)
{
    char word[WORD_MAX + 1];
    return tsg_ct_lower_word (t, at, end, word) && tsg_ct_in_list (word, tsg_ct_romaji_surnames);
}
