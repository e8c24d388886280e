/* cleartext.c — the one check that a cleartext header field (tag, label, consent subject) does
 * not look like personal data; tsg_cleartext.h states every rule. */
#include <assert.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cleartext_text.h"
#include "tsunagu/tsg_cleartext.h"

#define SPAN_RUNS 8 /* runs of digits kept of one number */

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
s_span (const tsg_ct_text_t *t, size_t start, const char *seps, s_span_t *s)
{
    memset (s, 0, sizeof *s);
    s->start = start;
    size_t i = start;
    while (true) {
        size_t at = i;
        while (i < t->n && tsg_ct_digit (t->cp[i]))
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
            && tsg_ct_digit (t->cp[i + 1])) {
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
s_value (const tsg_ct_text_t *t, size_t at, size_t len)
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
s_triple_date (const tsg_ct_text_t *t, const s_span_t *s, size_t k)
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
s_era_letter_date (const tsg_ct_text_t *t, const s_span_t *s)
{
    if (s->start == 0 || s->n_runs < 3 || !tsg_ct_one_of (t->cp[s->start - 1], "MTSHRmtshr")
        || (s->start >= 2 && tsg_ct_letter (t->cp[s->start - 2])) || s->sep[0] != s->sep[1]
        || s->len[0] > 2 || s->len[1] > 2 || s->len[2] > 2)
        return false;
    unsigned y = s_value (t, s->at[0], s->len[0]);
    return y >= 1 && y <= 64
           && s_day_ok (0, s_value (t, s->at[1], s->len[1]), s_value (t, s->at[2], s->len[2]));
}

/* True when one run of digits is a date written without separators: YYYYMMDD (1900..2099),
 * an era digit and YYMMDD (3250101), or YYMMDD but not 00MMDD (zero-padded counters). */
static bool
s_packed_date (const tsg_ct_text_t *t, size_t at, size_t len)
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
s_numbers (const tsg_ct_text_t *t, bool subject, const char *date_reason)
{
    const char *seps = subject ? "-._" : "-/.() _";
    for (size_t i = 0; i < t->n; i++) {
        if (!tsg_ct_digit (t->cp[i]))
            continue;
        s_span_t s;
        s_span (t, i, seps, &s);
        size_t kept = s.n_runs < SPAN_RUNS ? s.n_runs : SPAN_RUNS;
        for (size_t k = 0; k < kept; k++)
            if (s_triple_date (t, &s, k) || (s.len[k] <= 8 && s_packed_date (t, s.at[k], s.len[k])))
                return date_reason;
        if (s_era_letter_date (t, &s))
            return date_reason;
        bool after_letter = i > 0 && tsg_ct_letter (t->cp[i - 1]);
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
s_japanese_dates (const tsg_ct_text_t *t)
{
    static const char *const eras[] = { "明治", "大正", "昭和", "平成", "令和", NULL };
    for (size_t i = 0; i < t->n; i++) {
        for (size_t e = 0; eras[e]; e++)
            if (tsg_ct_match_at (t, i, eras[e]) && i + 2 < t->n
                && (tsg_ct_digit (t->cp[i + 2])
                    || tsg_ct_one_of (t->cp[i + 2], "元〇一二三四五六七八九十")))
                return "looks like a date, such as a date of birth";
        if (!tsg_ct_digit (t->cp[i]) || (i > 0 && tsg_ct_digit (t->cp[i - 1])))
            continue;
        size_t end = i;
        while (end < t->n && tsg_ct_digit (t->cp[end]))
            end++;
        if (end >= t->n)
            break;
        uint32_t unit = t->cp[end];
        size_t after = end + 1;
        bool number_after = after < t->n && tsg_ct_digit (t->cp[after]);
        size_t next = after;
        while (next < t->n && tsg_ct_digit (t->cp[next]))
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
s_address (const tsg_ct_text_t *t)
{
    if (tsg_ct_contains (t, "〒"))
        return "looks like a postal code";
    if (tsg_ct_contains (t, "丁目") || tsg_ct_contains (t, "番地"))
        return "looks like an address";
    for (size_t i = 0; i + 1 < t->n; i++) {
        uint32_t c = t->cp[i], next = t->cp[i + 1];
        if (tsg_ct_one_of (c, "都道府県市区町村") && tsg_ct_digit (next))
            return "looks like an address";
        if (!tsg_ct_digit (c) || tsg_ct_digit (next))
            continue;
        size_t start = i;
        while (start > 0 && tsg_ct_digit (t->cp[start - 1]))
            start--;
        bool ordinal = start > 0 && t->cp[start - 1] == 0x7b2c; /* 第 */
        if (next == 0x756a /* 番 */ && i + 2 < t->n && tsg_ct_digit (t->cp[i + 2]))
            return "looks like an address";
        if (next == 0x53f7 /* 号 */ && !ordinal
            && (i + 2 == t->n || tsg_ct_one_of (t->cp[i + 2], "室棟館-0123456789 ")))
            return "looks like an address";
    }
    return NULL;
}

static const char *
s_email (const tsg_ct_text_t *t)
{
    for (size_t i = 1; i + 1 < t->n; i++)
        if (t->cp[i] == '@' && tsg_ct_alnum (t->cp[i - 1]) && tsg_ct_alnum (t->cp[i + 1]))
            return "looks like an email address";
    return NULL;
}

/* --- names ---------------------------------------------------------------------------------- */

/* True when the honorific h at index at of t follows a name. */
static bool
s_honorific_after_name (const tsg_ct_text_t *t, size_t at, size_t len, const tsg_ct_honorific_t *h)
{
    if (at == 0)
        return false;
    uint32_t prev = t->cp[at - 1];
    uint32_t next = at + len < t->n ? t->cp[at + len] : 0;
    if (!tsg_ct_name_char (prev) || (tsg_ct_hiragana (prev) && !h->after_hiragana))
        return false;
    if (tsg_ct_hiragana (prev) && h->hiragana_ends && tsg_ct_hiragana (next)
        && !tsg_ct_one_of (next, tsg_ct_particles))
        return false;
    if ((next && tsg_ct_one_of (next, h->next_not)) || tsg_ct_one_of (prev, h->prev_not))
        return false;
    for (size_t i = 0; tsg_ct_not_names[i]; i++)
        if (tsg_ct_ends_with (t, at, tsg_ct_not_names[i]))
            return false;
    return true;
}

static bool
s_japanese_honorific (const tsg_ct_text_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        for (size_t k = 0; k < tsg_ct_honorifics_count; k++) {
            size_t len = tsg_ct_match_at (t, i, tsg_ct_honorifics[k].word);
            if (len && s_honorific_after_name (t, i, len, &tsg_ct_honorifics[k]))
                return true;
        }
    return false;
}

/* Hana-san, Hana san: an ASCII honorific after a word. */
static bool
s_romaji_honorific (const tsg_ct_text_t *t)
{
    for (size_t i = 1; i + 1 < t->n; i++) {
        if ((t->cp[i] != '-' && t->cp[i] != ' ') || !tsg_ct_letter (t->cp[i - 1]))
            continue;
        size_t end = i + 1;
        while (end < t->n && tsg_ct_letter (t->cp[end]))
            end++;
        char word[WORD_MAX + 1];
        if (tsg_ct_lower_word (t, i + 1, end, word)
            && tsg_ct_in_list (word, tsg_ct_romaji_honorifics))
            return true;
    }
    return false;
}

/* Each ASCII word of t: a family name in romaji, or a title before a name. */
static const char *
s_ascii_words (const tsg_ct_text_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (!tsg_ct_letter (t->cp[i]) || (i > 0 && tsg_ct_letter (t->cp[i - 1])))
            continue;
        size_t end = i;
        while (end < t->n && tsg_ct_letter (t->cp[end]))
            end++;
        if (tsg_ct_romaji_surname (t, i, end))
            return "looks like a personal name (a common family name)";
        char word[WORD_MAX + 1];
        size_t after = end < t->n && t->cp[end] == '.' ? end + 1 : end;
        if (tsg_ct_lower_word (t, i, end, word) && tsg_ct_in_list (word, tsg_ct_titles)
            && after + 1 < t->n && t->cp[after] == ' ' && tsg_ct_letter (t->cp[after + 1]))
            return "looks like a personal name (a title before a name)";
        i = end;
    }
    return NULL;
}

/* True when the characters from at to end are a word a name could be: 1 to 4 kanji or kana,
 * or a capitalised ASCII word (Hana). */
static bool
s_name_word (const tsg_ct_text_t *t, size_t at, size_t end)
{
    size_t len = end - at;
    if (len == 0)
        return false;
    bool japanese = true, capitalised = len >= 2 && tsg_ct_upper (t->cp[at]);
    for (size_t i = at; i < end; i++) {
        uint32_t c = t->cp[i];
        japanese = japanese && (tsg_ct_kanji (c) || tsg_ct_hiragana (c) || tsg_ct_katakana (c));
        capitalised = capitalised && (i == at || (c >= 'a' && c <= 'z'));
    }
    return (japanese && len <= 4) || (capitalised && len <= 15);
}

/* True when the characters from at to end spell a vocabulary word. */
static bool
s_vocabulary_word (const tsg_ct_text_t *t, size_t at, size_t end)
{
    const char *const *lists[] = { tsg_ct_tag_words, tsg_ct_label_words };
    for (size_t l = 0; l < 2; l++)
        for (size_t k = 0; lists[l][k]; k++)
            if (tsg_ct_chars (lists[l][k]) == end - at && tsg_ct_match_at (t, at, lists[l][k]))
                return true;
    return false;
}

/* Two name-like words around a space: 山田 ハナ, ヤマダ ハナ, Hana Yamada. */
static bool
s_full_name (const tsg_ct_text_t *t)
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
s_names (const tsg_ct_text_t *t)
{
    if (s_japanese_honorific (t) || s_romaji_honorific (t))
        return "looks like a personal name (a name with an honorific)";
    const char *const *lists[] = { tsg_ct_kanji_surnames, tsg_ct_kana_surnames };
    for (size_t l = 0; l < 2; l++)
        for (size_t k = 0; lists[l][k]; k++)
            if (tsg_ct_contains (t, lists[l][k]))
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
        size_t len = tsg_utf8_decode (p, &c);
        if (len == 0)
            return s_answer (TSG_CLEARTEXT_MALFORMED, "is not valid UTF-8", why, size);
        if (tsg_ct_control (c))
            return s_answer (TSG_CLEARTEXT_MALFORMED, "holds control characters", why, size);
        if (tsg_ct_invisible (c))
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

    tsg_ct_text_t t;
    tsg_ct_read (text, &t);
    const char *reason = s_numbers (&t, false, "looks like a date, such as a date of birth");
    if (!reason)
        reason = s_japanese_dates (&t);
    if (!reason)
        reason = s_address (&t);
    if (!reason)
        reason = s_email (&t);
    if (!reason)
        reason = s_names (&t);
    if (!reason && tsg_ct_contains (&t, "。"))
        reason = "reads like a sentence: free text goes in the sealed body";
    return s_answer (reason ? TSG_CLEARTEXT_PERSONAL : TSG_CLEARTEXT_OK, reason, why, size);
}

/* Letters-only words of a subject id, split at . _ - digits and lower- to upper-case steps:
 * a family name in romaji, or two words of three letters or more. */
static const char *
s_subject_words (const tsg_ct_text_t *t)
{
    size_t long_words = 0;
    size_t i = 0;
    while (i < t->n) {
        if (!tsg_ct_letter (t->cp[i])) {
            i++;
            continue;
        }
        size_t end = i + 1;
        while (end < t->n && tsg_ct_letter (t->cp[end])
               && !(tsg_ct_upper (t->cp[end]) && !tsg_ct_upper (t->cp[end - 1])))
            end++;
        if (tsg_ct_romaji_surname (t, i, end))
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
        size_t n = tsg_utf8_decode (p, &c);
        if (n == 0) {
            bad_utf8 = true;
            break;
        }
        uint32_t folded = tsg_ct_fold (c);
        if (c >= 0x80
            && (tsg_ct_kanji (c) || tsg_ct_hiragana (c) || tsg_ct_katakana (c)
                || tsg_ct_alnum (folded)))
            japanese = true;
        else if (c == '@' || folded == '@')
            email = true;
        else if (c == ' ' || c == 0x3000) {
            space = true;
            spaced_name = spaced_name
                          || (p > (const unsigned char *) text && tsg_ct_letter (p[-1])
                              && tsg_ct_letter (p[n]));
        }
        else if (!(tsg_ct_alnum (c) || c == '.' || c == '_' || c == '-'))
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

    tsg_ct_text_t t;
    tsg_ct_read (text, &t);
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
    return tsg_ct_in_list (text, tsg_ct_tag_words);
}

bool
tsg_cleartext_label_known (const char *text)
{
    return tsg_ct_in_list (text, tsg_ct_label_words) || tsg_ct_in_list (text, tsg_ct_tag_words);
}

const char *const *
tsg_cleartext_tag_words (void)
{
    return tsg_ct_tag_words;
}

const char *const *
tsg_cleartext_label_words (void)
{
    return tsg_ct_label_words;
}
