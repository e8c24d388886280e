/* cleartext.c — the one check that a cleartext header field (tag, label, consent subject) does
 * not look like personal data; tsg_cleartext.h states every rule. */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsg_cleartext.h"

#define TEXT_MAX  TSG_CLEARTEXT_SUBJECT_MAX /* most characters the rules look at */
#define SPAN_RUNS 8                         /* runs of digits kept of one number */
#define WORD_MAX  16                        /* letters of an ASCII word compared with names */

/* --- the vocabularies ------------------------------------------------------------------- */

/* Issue tags: DESIGN §2's table of typical tags, and those of the synthetic households and
 * the seed documents. */
static const char *const s_tag_words[] = {
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
static const char *const s_label_words[] = { "主担当",
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
static const char *const s_kanji_surnames[] = {
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
static const char *const s_kana_surnames[] = {
    "サトウ",   "スズキ",   "タカハシ", "タナカ",   "イトウ",   "ワタナベ", "ヤマモト", "ナカムラ",
    "コバヤシ", "カトウ",   "ヨシダ",   "ヤマダ",   "ササキ",   "ヤマグチ", "マツモト", "イノウエ",
    "キムラ",   "シミズ",   "ヤマザキ", "イケダ",   "ハシモト", "イシカワ", "ヤマシタ", "ナカジマ",
    "イシイ",   "オガワ",   "マエダ",   "オカダ",   "ハセガワ", "フジタ",   "ゴトウ",   "コンドウ",
    "ムラカミ", "エンドウ", "アオキ",   "サカモト", "フクダ",   "ニシムラ", "フジイ",   "カネコ",
    "オカモト", "フジワラ", "ナカノ",   "ミウラ",   "ハラダ",   "ナカガワ", "タムラ",   NULL
};

/* And in romaji (compared as whole words, in lower case). */
static const char *const s_romaji_surnames[] = {
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
typedef struct {
    const char *word;     /* the honorific */
    bool after_hiragana;  /* also after a name written in hiragana */
    bool hiragana_ends;   /* after hiragana only when no hiragana but a particle follows
                             (みきさんの, not おさんぽ) */
    const char *next_not; /* characters that, following it, make a word (様子) */
    const char *prev_not; /* characters that, before it, make a word (多様) */
} s_honorific_t;

static const s_honorific_t s_honorifics[] = {
    { "さん", true, true, NULL, NULL },
    { "様", true, false, "子式々相態変", "多同模仕異一各左有文神王貴若今皇" },
    { "さま", false, false, "ざ", NULL },
    { "君", true, true, NULL, "諸主暴名細若" },
    { "くん", true, true, NULL, NULL },
    { "ちゃん", true, false, "と", NULL },
    { "氏", false, false, "名族", "彼同両諸某源平" },
    { "殿", false, false, "堂下様方", "御宮神沈貴湯拝" },
};

/* Words an honorific may follow without a name: relations, roles and jobs (お母さん,
 *利用者様, ヘルパーさん), and たくさん. */
static const char *const s_not_names[] = {
    "お母", "お父", "母",     "父",       "息子",     "お子",   "子供",   "子ども", "娘",
    "奥",   "親御", "兄",     "姉",       "妹",       "弟",     "ばあ",   "じい",   "婆",
    "爺",   "孫",   "おば",   "おじ",     "おかあ",   "おとう", "おにい", "おねえ", "皆",
    "みな", "赤",   "あか",   "お嬢",     "嫁",       "旦那",   "主人",   "家族",   "本人",
    "者",   "客",   "先生",   "神",       "仏",       "員",     "師",     "福祉士", "弁護士",
    "書士", "大家", "管理人", "ヘルパー", "ケアマネ", "たく",   NULL
};

/* The particles that may follow a name and its honorific (みきさんの見守り). */
static const char *const s_particles = "のへにをがはともやで";

/* ASCII honorifics after "-" or a space, and titles before a name. */
static const char *const s_romaji_honorifics[] = { "san", "sama", "chan", "kun", NULL };
static const char *const s_titles[] = { "mr", "mrs", "ms", "miss", "mx", "dr", NULL };

/* --- characters ----------------------------------------------------------------------------- */

/* One text as characters, after the reading of full-width digits, letters and dashes. */
typedef struct {
    uint32_t cp[TEXT_MAX + 1]; /* the characters */
    size_t n;                  /* how many */
} s_text_t;

/* Decodes one UTF-8 character at p (no overlong forms, no surrogates, at most U+10FFFF) into
 * *out; returns its length in bytes, or 0 when p does not start a valid character. */
static size_t
s_decode (const unsigned char *p, uint32_t *out)
{
    unsigned c = p[0];
    if (c < 0x80) {
        *out = c;
        return 1;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
        min = 0x80;
    }
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
        min = 0x800;
    }
    else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    }
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *out = cp;
    return n;
}

static bool
s_control (uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

/* Characters that show nothing, or turn the text around: they could split a name in two. */
static bool
s_invisible (uint32_t c)
{
    return c == 0x00ad || c == 0x034f || c == 0x061c || c == 0x115f || c == 0x1160 || c == 0x17b4
           || c == 0x17b5 || (c >= 0x180b && c <= 0x180f) || (c >= 0x200b && c <= 0x200f)
           || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0x3164
           || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff || c == 0xffa0
           || (c >= 0xfff0 && c <= 0xffff) || (c >= 0xe0000 && c <= 0xe0fff);
}

static bool
s_kanji (uint32_t c)
{
    return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)
           || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3ffff) || c == 0x3005
           || c == 0x3006;
}

static bool
s_hiragana (uint32_t c)
{
    return c >= 0x3041 && c <= 0x309f;
}

/* Katakana letters and the long-vowel mark, full and half width (not the middle dot ・). */
static bool
s_katakana (uint32_t c)
{
    return (c >= 0x30a1 && c <= 0x30fa) || (c >= 0x30fc && c <= 0x30ff)
           || (c >= 0x31f0 && c <= 0x31ff) || (c >= 0xff66 && c <= 0xff9f);
}

static bool
s_letter (uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
s_upper (uint32_t c)
{
    return c >= 'A' && c <= 'Z';
}

static bool
s_digit (uint32_t c)
{
    return c >= '0' && c <= '9';
}

static bool
s_alnum (uint32_t c)
{
    return s_letter (c) || s_digit (c);
}

/* A character a name is written in. */
static bool
s_name_char (uint32_t c)
{
    return s_kanji (c) || s_hiragana (c) || s_katakana (c) || s_letter (c);
}

/* c as ASCII when it is a full-width digit, letter or punctuation mark the rules read. */
static uint32_t
s_fold (uint32_t c)
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
static void
s_read (const char *text, s_text_t *t)
{
    const unsigned char *p = (const unsigned char *) text;
    t->n = 0;
    while (*p && t->n < TEXT_MAX) {
        uint32_t c;
        size_t len = s_decode (p, &c);
        assert (len > 0);
        t->cp[t->n++] = s_fold (c);
        p += len;
    }
    for (size_t i = 1; i + 1 < t->n; i++)
        if ((t->cp[i] == 0x30fc || t->cp[i] == 0xff70) && s_digit (t->cp[i - 1])
            && s_digit (t->cp[i + 1]))
            t->cp[i] = '-';
}

/* How many characters of needle (UTF-8) match t at at: all of them, or 0. */
static size_t
s_match_at (const s_text_t *t, size_t at, const char *needle)
{
    const unsigned char *p = (const unsigned char *) needle;
    size_t i = at;
    while (*p) {
        uint32_t c;
        size_t len = s_decode (p, &c);
        assert (len > 0); /* the tables are valid UTF-8 */
        if (i >= t->n || t->cp[i] != c)
            return 0;
        p += len;
        i++;
    }
    return i - at;
}

static size_t
s_chars (const char *utf8)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) utf8; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* True when t holds needle anywhere. */
static bool
s_contains (const s_text_t *t, const char *needle)
{
    for (size_t i = 0; i < t->n; i++)
        if (s_match_at (t, i, needle))
            return true;
    return false;
}

/* True when the characters of t before end finish with needle. */
static bool
s_ends_with (const s_text_t *t, size_t end, const char *needle)
{
    size_t len = s_chars (needle);
    return len <= end && s_match_at (t, end - len, needle) == len;
}

/* True when c is one of the characters of set (UTF-8; NULL is empty). */
static bool
s_one_of (uint32_t c, const char *set)
{
    const unsigned char *p = (const unsigned char *) set;
    while (p && *p) {
        uint32_t k;
        size_t len = s_decode (p, &k);
        assert (len > 0);
        if (k == c)
            return true;
        p += len;
    }
    return false;
}

static bool
s_in_list (const char *text, const char *const list[])
{
    for (size_t i = 0; text && list[i]; i++)
        if (strcmp (text, list[i]) == 0)
            return true;
    return false;
}

/* The ASCII word of t from at to end in lower case, into out; false when it does not fit. */
static bool
s_lower_word (const s_text_t *t, size_t at, size_t end, char out[WORD_MAX + 1])
{
    if (end - at > WORD_MAX)
        return false;
    for (size_t i = at; i < end; i++)
        out[i - at] = (char) (s_upper (t->cp[i]) ? t->cp[i] - 'A' + 'a' : t->cp[i]);
    out[end - at] = '\0';
    return true;
}

/* True when the ASCII word from at to end is, ignoring case, a common family name. */
static bool
s_romaji_surname (const s_text_t *t, size_t at, size_t end)
{
    char word[WORD_MAX + 1];
    return s_lower_word (t, at, end, word) && s_in_list (word, s_romaji_surnames);
}

/* --- numbers ---------------------------------------------------------------------------------- */

/* Digits joined by single separators: 090-1234-5678, 1950.01.01, (03)1234 5678. */
typedef struct {
    size_t start;            /* the index of its first digit */
    size_t end;              /* one past its last digit */
    size_t n_runs;           /* runs of digits (the first SPAN_RUNS are described) */
    size_t at[SPAN_RUNS];    /* where each run starts */
    size_t len[SPAN_RUNS];   /* how many digits it has */
    uint32_t sep[SPAN_RUNS]; /* the separator after it (0 after the last) */
    size_t digits;           /* digits in the whole span */
    size_t longest;          /* digits in its longest run */
} s_span_t;

/* Reads the span that starts at the digit at start, joined by the characters of seps. */
static void
s_span (const s_text_t *t, size_t start, const char *seps, s_span_t *s)
{
    memset (s, 0, sizeof *s);
    s->start = start;
    size_t i = start;
    while (true) {
        size_t at = i;
        while (i < t->n && s_digit (t->cp[i]))
            i++;
        size_t len = i - at;
        if (s->n_runs < SPAN_RUNS) {
            s->at[s->n_runs] = at;
            s->len[s->n_runs] = len;
        }
        s->n_runs++;
        s->digits += len;
        if (len > s->longest)
            s->longest = len;
        s->end = i;
        if (i + 1 < t->n && t->cp[i] < 0x80 && strchr (seps, (int) t->cp[i])
            && s_digit (t->cp[i + 1])) {
            if (s->n_runs <= SPAN_RUNS)
                s->sep[s->n_runs - 1] = t->cp[i];
            i++;
            continue;
        }
        return;
    }
}

/* The value of len (at most 9) digits at at. */
static unsigned
s_value (const s_text_t *t, size_t at, size_t len)
{
    unsigned v = 0;
    for (size_t i = 0; i < len && i < 9; i++)
        v = v * 10 + (t->cp[at + i] - '0');
    return v;
}

/* True for a real calendar day; year 0 stands for an unknown year (29 February allowed). */
static bool
s_day_ok (unsigned year, unsigned month, unsigned day)
{
    static const unsigned days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1])
        return false;
    bool leap = year == 0 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
    return month != 2 || day <= 28 || leap;
}

/* True when runs k, k+1, k+2 of s, joined by one separator twice, are a year, month and day:
 * YYYY-M-D (1900..2099) or YY-MM-DD. */
static bool
s_triple_date (const s_text_t *t, const s_span_t *s, size_t k)
{
    if (k + 2 >= s->n_runs || k + 2 >= SPAN_RUNS || s->sep[k] != s->sep[k + 1]
        || !strchr ("-/._", (int) s->sep[k]))
        return false;
    size_t ylen = s->len[k], mlen = s->len[k + 1], dlen = s->len[k + 2];
    unsigned y = s_value (t, s->at[k], ylen), m = s_value (t, s->at[k + 1], mlen),
             d = s_value (t, s->at[k + 2], dlen);
    if (ylen == 4)
        return y >= 1900 && y <= 2099 && mlen <= 2 && dlen <= 2 && s_day_ok (y, m, d);
    return ylen == 2 && mlen == 2 && dlen == 2 && s_day_ok (2000 + y, m, d);
}

/* True when the span follows an era letter (M T S H R) with year, month and day: S50.1.1. */
static bool
s_era_letter_date (const s_text_t *t, const s_span_t *s)
{
    if (s->start == 0 || s->n_runs < 3 || !s_one_of (t->cp[s->start - 1], "MTSHRmtshr")
        || (s->start >= 2 && s_letter (t->cp[s->start - 2])) || s->sep[0] != s->sep[1]
        || s->len[0] > 2 || s->len[1] > 2 || s->len[2] > 2)
        return false;
    unsigned y = s_value (t, s->at[0], s->len[0]);
    return y >= 1 && y <= 64
           && s_day_ok (0, s_value (t, s->at[1], s->len[1]), s_value (t, s->at[2], s->len[2]));
}

/* True when one run of digits is a date written without separators: YYYYMMDD (1900..2099),
 * an era digit and YYMMDD (3250101), or YYMMDD but not 00MMDD (zero-padded counters). */
static bool
s_packed_date (const s_text_t *t, size_t at, size_t len)
{
    const uint32_t *d = t->cp + at;
    if (len == 8) {
        unsigned y = s_value (t, at, 4);
        return y >= 1900 && y <= 2099
               && s_day_ok (y, s_value (t, at + 4, 2), s_value (t, at + 6, 2));
    }
    if (len == 7) {
        unsigned y = s_value (t, at + 1, 2);
        return d[0] >= '1' && d[0] <= '5' && y >= 1 && y <= 64
               && s_day_ok (0, s_value (t, at + 3, 2), s_value (t, at + 5, 2));
    }
    if (len == 6)
        return s_value (t, at, 2) != 0
               && s_day_ok (2000 + s_value (t, at, 2), s_value (t, at + 2, 2),
                            s_value (t, at + 4, 2));
    return false;
}

/* What the numbers of t look like, or NULL.  A subject id's numbers are joined by . _ - only,
 * are not judged as postal codes or block numbers (H001-1234, H003-2-1 are ids), and a number
 * right after a letter is the number of a prefix (H001-…), not the start of a phone number. */
static const char *
s_numbers (const s_text_t *t, bool subject, const char *date_reason)
{
    const char *seps = subject ? "-._" : "-/.() _";
    for (size_t i = 0; i < t->n; i++) {
        if (!s_digit (t->cp[i]))
            continue;
        s_span_t s;
        s_span (t, i, seps, &s);
        size_t kept = s.n_runs < SPAN_RUNS ? s.n_runs : SPAN_RUNS;
        for (size_t k = 0; k < kept; k++)
            if (s_triple_date (t, &s, k) || (s.len[k] <= 8 && s_packed_date (t, s.at[k], s.len[k])))
                return date_reason;
        if (s_era_letter_date (t, &s))
            return date_reason;
        bool after_letter = i > 0 && s_letter (t->cp[i - 1]);
        if ((i > 0 && t->cp[i - 1] == '+' && s.digits >= 8)
            || (t->cp[i] == '0' && s.digits >= 10 && s.digits <= 11 && !(subject && after_letter)))
            return "looks like a phone number";
        if (s.longest >= 9 || s.digits >= 12)
            return "looks like a personal number (a long run of digits)";
        if (!subject && s.n_runs == 2 && s.len[0] == 3 && s.len[1] == 4 && s.sep[0] == '-')
            return "looks like a postal code";
        if (!subject && s.n_runs >= 3) {
            bool dashes = true;
            for (size_t k = 0; k + 1 < kept; k++)
                dashes = dashes && s.sep[k] == '-';
            if (dashes)
                return "looks like an address (block numbers)";
        }
        i = s.end;
    }
    return NULL;
}

/* Dates written the Japanese way: 昭和25年, 平成元年, 1943年4月, 4月12日, 1943年生. */
static const char *
s_japanese_dates (const s_text_t *t)
{
    static const char *const eras[] = { "明治", "大正", "昭和", "平成", "令和", NULL };
    for (size_t i = 0; i < t->n; i++) {
        for (size_t e = 0; eras[e]; e++)
            if (s_match_at (t, i, eras[e]) && i + 2 < t->n
                && (s_digit (t->cp[i + 2]) || s_one_of (t->cp[i + 2], "元〇一二三四五六七八九十")))
                return "looks like a date, such as a date of birth";
        if (!s_digit (t->cp[i]) || (i > 0 && s_digit (t->cp[i - 1])))
            continue;
        size_t end = i;
        while (end < t->n && s_digit (t->cp[end]))
            end++;
        if (end >= t->n)
            break;
        uint32_t unit = t->cp[end];
        size_t after = end + 1;
        bool number_after = after < t->n && s_digit (t->cp[after]);
        size_t next = after;
        while (next < t->n && s_digit (t->cp[next]))
            next++;
        if (unit == 0x5e74 /* 年 */ && number_after && next < t->n && t->cp[next] == 0x6708)
            return "looks like a date, such as a date of birth";
        if (unit == 0x6708 /* 月 */ && number_after && next < t->n && t->cp[next] == 0x65e5)
            return "looks like a date, such as a date of birth";
        unsigned year = end - i == 4 ? s_value (t, i, 4) : 0;
        if (year >= 1900 && year <= 2099
            && (unit == 0x751f /* 生 */
                || (unit == 0x5e74 && after < t->n && t->cp[after] == 0x751f)))
            return "looks like a date of birth";
    }
    return NULL;
}

/* --- addresses, email, sentences ---------------------------------------------------------- */

static const char *
s_address (const s_text_t *t)
{
    if (s_contains (t, "〒"))
        return "looks like a postal code";
    if (s_contains (t, "丁目") || s_contains (t, "番地"))
        return "looks like an address";
    for (size_t i = 0; i + 1 < t->n; i++) {
        uint32_t c = t->cp[i], next = t->cp[i + 1];
        if (s_one_of (c, "都道府県市区町村") && s_digit (next))
            return "looks like an address";
        if (!s_digit (c) || s_digit (next))
            continue;
        size_t start = i;
        while (start > 0 && s_digit (t->cp[start - 1]))
            start--;
        bool ordinal = start > 0 && t->cp[start - 1] == 0x7b2c; /* 第 */
        if (next == 0x756a /* 番 */ && i + 2 < t->n && s_digit (t->cp[i + 2]))
            return "looks like an address";
        if (next == 0x53f7 /* 号 */ && !ordinal
            && (i + 2 == t->n || s_one_of (t->cp[i + 2], "室棟館-0123456789 ")))
            return "looks like an address";
    }
    return NULL;
}

static const char *
s_email (const s_text_t *t)
{
    for (size_t i = 1; i + 1 < t->n; i++)
        if (t->cp[i] == '@' && s_alnum (t->cp[i - 1]) && s_alnum (t->cp[i + 1]))
            return "looks like an email address";
    return NULL;
}

/* --- names ---------------------------------------------------------------------------------- */

/* True when the honorific h at index at of t follows a name. */
static bool
s_honorific_after_name (const s_text_t *t, size_t at, size_t len, const s_honorific_t *h)
{
    if (at == 0)
        return false;
    uint32_t prev = t->cp[at - 1];
    uint32_t next = at + len < t->n ? t->cp[at + len] : 0;
    if (!s_name_char (prev) || (s_hiragana (prev) && !h->after_hiragana))
        return false;
    if (s_hiragana (prev) && h->hiragana_ends && s_hiragana (next) && !s_one_of (next, s_particles))
        return false;
    if ((next && s_one_of (next, h->next_not)) || s_one_of (prev, h->prev_not))
        return false;
    for (size_t i = 0; s_not_names[i]; i++)
        if (s_ends_with (t, at, s_not_names[i]))
            return false;
    return true;
}

static bool
s_japanese_honorific (const s_text_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < sizeof s_honorifics / sizeof s_honorifics[0]; k++) {
            size_t len = s_match_at (t, i, s_honorifics[k].word);
            if (len && s_honorific_after_name (t, i, len, &s_honorifics[k]))
                return true;
        }
    return false;
}

/* Hana-san, Hana san: an ASCII honorific after a word. */
static bool
s_romaji_honorific (const s_text_t *t)
{
    for (size_t i = 1; i + 1 < t->n; i++) {
        if ((t->cp[i] != '-' && t->cp[i] != ' ') || !s_letter (t->cp[i - 1]))
            continue;
        size_t end = i + 1;
        while (end < t->n && s_letter (t->cp[end]))
            end++;
        char word[WORD_MAX + 1];
        if (s_lower_word (t, i + 1, end, word) && s_in_list (word, s_romaji_honorifics))
            return true;
    }
    return false;
}

/* Each ASCII word of t: a family name in romaji, or a title before a name. */
static const char *
s_ascii_words (const s_text_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (!s_letter (t->cp[i]) || (i > 0 && s_letter (t->cp[i - 1])))
            continue;
        size_t end = i;
        while (end < t->n && s_letter (t->cp[end]))
            end++;
        if (s_romaji_surname (t, i, end))
            return "looks like a personal name (a common family name)";
        char word[WORD_MAX + 1];
        size_t after = end < t->n && t->cp[end] == '.' ? end + 1 : end;
        if (s_lower_word (t, i, end, word) && s_in_list (word, s_titles) && after + 1 < t->n
            && t->cp[after] == ' ' && s_letter (t->cp[after + 1]))
            return "looks like a personal name (a title before a name)";
        i = end;
    }
    return NULL;
}

/* True when the characters from at to end are a word a name could be: 1 to 4 kanji or kana,
 * or a capitalised ASCII word (Hana). */
static bool
s_name_word (const s_text_t *t, size_t at, size_t end)
{
    size_t len = end - at;
    if (len == 0)
        return false;
    bool japanese = true, capitalised = len >= 2 && s_upper (t->cp[at]);
    for (size_t i = at; i < end; i++) {
        uint32_t c = t->cp[i];
        japanese = japanese && (s_kanji (c) || s_hiragana (c) || s_katakana (c));
        capitalised = capitalised && (i == at || (c >= 'a' && c <= 'z'));
    }
    return (japanese && len <= 4) || (capitalised && len <= 15);
}

/* True when the characters from at to end spell a vocabulary word. */
static bool
s_vocabulary_word (const s_text_t *t, size_t at, size_t end)
{
    const char *const *lists[] = { s_tag_words, s_label_words };
    for (size_t l = 0; l < 2; l++)
        for (size_t k = 0; lists[l][k]; k++)
            if (s_chars (lists[l][k]) == end - at && s_match_at (t, at, lists[l][k]))
                return true;
    return false;
}

/* Two name-like words around a space: 山田 ハナ, ヤマダ ハナ, Hana Yamada. */
static bool
s_full_name (const s_text_t *t)
{
    size_t start = 0;
    while (start < t->n) {
        size_t end = start;
        while (end < t->n && t->cp[end] != ' ')
            end++;
        if (end >= t->n)
            return false;
        size_t next = end + 1, next_end = next;
        while (next_end < t->n && t->cp[next_end] != ' ')
            next_end++;
        if (s_name_word (t, start, end) && s_name_word (t, next, next_end)
            && !s_vocabulary_word (t, start, end) && !s_vocabulary_word (t, next, next_end))
            return true;
        start = next;
    }
    return false;
}

static const char *
s_names (const s_text_t *t)
{
    if (s_japanese_honorific (t) || s_romaji_honorific (t))
        return "looks like a personal name (a name with an honorific)";
    const char *const *lists[] = { s_kanji_surnames, s_kana_surnames };
    for (size_t l = 0; l < 2; l++)
        for (size_t k = 0; lists[l][k]; k++)
            if (s_contains (t, lists[l][k]))
                return "looks like a personal name (a common family name)";
    const char *why = s_ascii_words (t);
    if (why)
        return why;
    if (s_full_name (t))
        return "looks like a full name (two name-like words around a space)";
    return NULL;
}

/* --- the checks ------------------------------------------------------------------------------ */

static tsg_cleartext_verdict_t
s_answer (tsg_cleartext_verdict_t verdict, const char *reason, char *why, size_t size)
{
    if (why && size > 0)
        snprintf (why, size, "%s", verdict == TSG_CLEARTEXT_OK ? "" : reason);
    return verdict;
}

/* A tag or a label. */
static tsg_cleartext_verdict_t
s_check_text (bool tag, const char *text, char *why, size_t size)
{
    if (!text || !*text)
        return s_answer (TSG_CLEARTEXT_MALFORMED, "is empty", why, size);
    size_t chars = 0, visible = 0;
    for (const unsigned char *p = (const unsigned char *) text; *p;) {
        uint32_t c;
        size_t len = s_decode (p, &c);
        if (len == 0)
            return s_answer (TSG_CLEARTEXT_MALFORMED, "is not valid UTF-8", why, size);
        if (s_control (c))
            return s_answer (TSG_CLEARTEXT_MALFORMED, "holds control characters", why, size);
        if (s_invisible (c))
            return s_answer (TSG_CLEARTEXT_MALFORMED, "holds invisible formatting characters", why,
                             size);
        chars++;
        visible += c != ' ' && c != 0x3000;
        p += len;
    }
    if (visible == 0)
        return s_answer (TSG_CLEARTEXT_MALFORMED, "is blank", why, size);
    if (chars > (tag ? TSG_CLEARTEXT_TAG_CHARS : TSG_CLEARTEXT_LABEL_CHARS))
        return s_answer (TSG_CLEARTEXT_PERSONAL,
                         tag ? "is longer than a tag should be (16 characters): free text "
                               "goes in the sealed body"
                             : "is longer than a label should be (32 characters): free text "
                               "goes in the sealed body",
                         why, size);
    if (tag ? tsg_cleartext_tag_known (text) : tsg_cleartext_label_known (text))
        return s_answer (TSG_CLEARTEXT_OK, NULL, why, size);

    s_text_t t;
    s_read (text, &t);
    const char *reason = s_numbers (&t, false, "looks like a date, such as a date of birth");
    if (!reason)
        reason = s_japanese_dates (&t);
    if (!reason)
        reason = s_address (&t);
    if (!reason)
        reason = s_email (&t);
    if (!reason)
        reason = s_names (&t);
    if (!reason && s_contains (&t, "。"))
        reason = "reads like a sentence: free text goes in the sealed body";
    return s_answer (reason ? TSG_CLEARTEXT_PERSONAL : TSG_CLEARTEXT_OK, reason, why, size);
}

/* Letters-only words of a subject id, split at . _ - digits and lower- to upper-case steps:
 * a family name in romaji, or two words of three letters or more. */
static const char *
s_subject_words (const s_text_t *t)
{
    size_t long_words = 0;
    size_t i = 0;
    while (i < t->n) {
        if (!s_letter (t->cp[i])) {
            i++;
            continue;
        }
        size_t end = i + 1;
        while (end < t->n && s_letter (t->cp[end])
               && !(s_upper (t->cp[end]) && !s_upper (t->cp[end - 1])))
            end++;
        if (s_romaji_surname (t, i, end))
            return "looks like a romanized name (a common family name)";
        if (end - i >= 3 && ++long_words >= 2)
            return "looks like a romanized name (two words of three letters or more)";
        i = end;
    }
    return NULL;
}

static tsg_cleartext_verdict_t
s_check_subject (const char *text, char *why, size_t size)
{
    if (!text || !*text)
        return s_answer (TSG_CLEARTEXT_MALFORMED, "is empty", why, size);
    size_t len = strlen (text);
    if (len > TSG_CLEARTEXT_SUBJECT_MAX)
        return s_answer (TSG_CLEARTEXT_MALFORMED, "is longer than 64 bytes", why, size);
    const char *alphabet = "must be a pseudonymous id of ASCII letters, digits and . _ - "
                           "such as H001-1";
    bool japanese = false, bad_utf8 = false, email = false, space = false, spaced_name = false,
         other = false;
    for (const unsigned char *p = (const unsigned char *) text; *p;) {
        uint32_t c;
        size_t n = s_decode (p, &c);
        if (n == 0) {
            bad_utf8 = true;
            break;
        }
        uint32_t folded = s_fold (c);
        if (c >= 0x80 && (s_kanji (c) || s_hiragana (c) || s_katakana (c) || s_alnum (folded)))
            japanese = true;
        else if (c == '@' || folded == '@')
            email = true;
        else if (c == ' ' || c == 0x3000) {
            space = true;
            spaced_name =
                spaced_name
                || (p > (const unsigned char *) text && s_letter (p[-1]) && s_letter (p[n]));
        }
        else if (!(s_alnum (c) || c == '.' || c == '_' || c == '-'))
            other = true;
        p += n;
    }
    if (bad_utf8)
        return s_answer (TSG_CLEARTEXT_MALFORMED, "is not valid UTF-8", why, size);
    if (japanese)
        return s_answer (TSG_CLEARTEXT_PERSONAL,
                         "looks like a name in kana or kanji: use a pseudonym such as H001-1", why,
                         size);
    if (email)
        return s_answer (TSG_CLEARTEXT_PERSONAL, "looks like an email address", why, size);
    if (spaced_name)
        return s_answer (TSG_CLEARTEXT_PERSONAL,
                         "looks like a romanized full name: use a pseudonym such as H001-1", why,
                         size);
    if (space || other)
        return s_answer (TSG_CLEARTEXT_MALFORMED, alphabet, why, size);

    s_text_t t;
    s_read (text, &t);
    const char *reason = s_numbers (&t, true, "looks like it holds a date of birth");
    if (!reason)
        reason = s_subject_words (&t);
    return s_answer (reason ? TSG_CLEARTEXT_PERSONAL : TSG_CLEARTEXT_OK, reason, why, size);
}

/* True when text at p starts an id of the protocol: a UUID (8-4-4-4-12 hex) or 32 hex
 * digits (a message id); *len is its length. */
static bool
s_protocol_id (const char *p, size_t *len)
{
    static const int groups[] = { 8, 4, 4, 4, 12 };
    size_t n = 0;
    bool uuid = true;
    for (int g = 0; g < 5 && uuid; g++) {
        for (int k = 0; k < groups[g]; k++, n++)
            if (!isxdigit ((unsigned char) p[n])) {
                uuid = false;
                break;
            }
        if (uuid && g < 4 && p[n++] != '-')
            uuid = false;
    }
    if (uuid && !isxdigit ((unsigned char) p[n])) {
        *len = n;
        return true;
    }
    for (n = 0; isxdigit ((unsigned char) p[n]); n++)
        ;
    if (n == 32) {
        *len = n;
        return true;
    }
    return false;
}

static tsg_cleartext_verdict_t
s_check_detail (const char *text, char *why, size_t size)
{
    if (!text || !*text)
        return s_answer (TSG_CLEARTEXT_OK, NULL, why, size); /* no reason given: nothing shown */
    if (strlen (text) > TSG_CLEARTEXT_DETAIL_MAX)
        return s_answer (TSG_CLEARTEXT_PERSONAL,
                         "is longer than a detail should be (200 bytes): free text goes in a "
                         "sealed body",
                         why, size);
    size_t digits = 0;
    for (const char *p = text; *p;) {
        unsigned char c = (unsigned char) *p;
        if (c < 0x20 || c > 0x7e)
            return s_answer (TSG_CLEARTEXT_PERSONAL,
                             "is not plain English (ASCII): a name or free text in Japanese "
                             "goes in a sealed body",
                             why, size);
        if (c == '@')
            return s_answer (TSG_CLEARTEXT_PERSONAL, "looks like it holds an email address", why,
                             size);
        size_t id_len = 0;
        if ((p == text || !isxdigit ((unsigned char) p[-1])) && s_protocol_id (p, &id_len)) {
            p += id_len;
            digits = 0;
            continue;
        }
        if (isdigit (c))
            digits++;
        else if (!((c == '-' || c == '/' || c == '.' || c == ' ') && digits > 0
                   && isdigit ((unsigned char) p[1])))
            digits = 0;
        if (digits >= TSG_CLEARTEXT_DETAIL_DIGITS)
            return s_answer (TSG_CLEARTEXT_PERSONAL,
                             "holds a long run of digits (a date of birth or a phone number)", why,
                             size);
        p++;
    }
    return s_answer (TSG_CLEARTEXT_OK, NULL, why, size);
}

tsg_cleartext_verdict_t
tsg_cleartext_check (tsg_cleartext_field_t field, const char *text, char *why, size_t size)
{
    switch (field) {
    case TSG_CLEARTEXT_TAG: return s_check_text (true, text, why, size);
    case TSG_CLEARTEXT_LABEL: return s_check_text (false, text, why, size);
    case TSG_CLEARTEXT_SUBJECT: return s_check_subject (text, why, size);
    case TSG_CLEARTEXT_DETAIL: return s_check_detail (text, why, size);
    }
    assert (false && "unknown cleartext field");
    return s_answer (TSG_CLEARTEXT_MALFORMED, "is not a known field", why, size);
}

bool
tsg_cleartext_tag_ok (const char *tag, char *why, size_t size)
{
    return tsg_cleartext_check (TSG_CLEARTEXT_TAG, tag, why, size) == TSG_CLEARTEXT_OK;
}

bool
tsg_cleartext_label_ok (const char *label, char *why, size_t size)
{
    return tsg_cleartext_check (TSG_CLEARTEXT_LABEL, label, why, size) == TSG_CLEARTEXT_OK;
}

bool
tsg_cleartext_subject_ok (const char *subject, char *why, size_t size)
{
    return tsg_cleartext_check (TSG_CLEARTEXT_SUBJECT, subject, why, size) == TSG_CLEARTEXT_OK;
}

bool
tsg_cleartext_detail_ok (const char *detail, char *why, size_t size)
{
    return tsg_cleartext_check (TSG_CLEARTEXT_DETAIL, detail, why, size) == TSG_CLEARTEXT_OK;
}

bool
tsg_cleartext_tag_known (const char *text)
{
    return s_in_list (text, s_tag_words);
}

bool
tsg_cleartext_label_known (const char *text)
{
    return s_in_list (text, s_label_words) || s_in_list (text, s_tag_words);
}

const char *const *
tsg_cleartext_tag_words (void)
{
    return s_tag_words;
}

const char *const *
tsg_cleartext_label_words (void)
{
    return s_label_words;
}
