/* cells.c — one spreadsheet cell read the way Japanese offices write it (cells.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_words.h"
#include "agency/imports/cells.h"

#define CELL_NORMAL_MAX 128 /* bytes of a date or a number after full-width forms are folded */

/* The eras of the Japanese calendar: the western year of each one's first year. */
static const struct {
    const char *kanji;
    char letter;
    int first_year;
    long first_day, last_day; /* YYYYMMDD: the days it ran (the 明治 days before 1873 as the
                                 western calendar counts them) */
} s_eras[] = {
    { "明治", 'M', 1868, 18680101, 19120729 }, { "大正", 'T', 1912, 19120730, 19261224 },
    { "昭和", 'S', 1926, 19261225, 19890107 }, { "平成", 'H', 1989, 19890108, 20190430 },
    { "令和", 'R', 2019, 20190501, 99991231 },
};

/* Copies text into out with full-width digits, letters, ／ － ． ： and the ideographic
 * space folded to ASCII, spaces at both ends dropped; false when it does not fit. */
static bool
s_fold (const char *text, char *out, size_t size)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = 0;
    const unsigned char *p = (const unsigned char *) text;
    while (*p) {
        char c = 0;
        size_t step = 1;
        if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99)
            c = (char) ('0' + (p[2] - 0x90)), step = 3; /* ０..９ */
        else if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0xA1 && p[2] <= 0xBA)
            c = (char) ('A' + (p[2] - 0xA1)), step = 3; /* Ａ..Ｚ */
        else if (p[0] == 0xEF && p[1] == 0xBC && (p[2] == 0x8F || p[2] == 0x8D || p[2] == 0x8E))
            c = p[2] == 0x8F ? '/' : p[2] == 0x8D ? '-' : '.', step = 3;
        else if (p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x9A)
            c = ':', step = 3;
        else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
            c = ' ', step = 3; /* the ideographic space */
        if (c) {
            if (n + 1 >= size)
                return false;
            out[n++] = c;
            p += step;
            continue;
        }
        if (n + 1 >= size)
            return false;
        out[n++] = (char) *p++;
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    size_t start = 0; /* an ideographic space folded at the start */
    while (start < n && (out[start] == ' ' || out[start] == '\t'))
        start++;
    memmove (out, out + start, n - start);
    out[n - start] = '\0';
    return true;
}

/* Reads 1..4 digits at *p (or 元, the first year of an era, when era_year); -1 when none. */
static int
s_number (const char **p, bool era_year)
{
    if (era_year && strncmp (*p, "元", strlen ("元")) == 0) {
        *p += strlen ("元");
        return 1;
    }
    int value = 0, digits = 0;
    while (**p >= '0' && **p <= '9' && digits < 4) {
        value = value * 10 + (**p - '0');
        (*p)++;
        digits++;
    }
    return digits ? value : -1;
}

/* Skips one separator of a date: - / . or 年 月 (the one expected); false when absent. */
static bool
s_separator (const char **p, const char *kanji)
{
    if (**p == '-' || **p == '/' || **p == '.') {
        (*p)++;
        return true;
    }
    if (kanji && strncmp (*p, kanji, strlen (kanji)) == 0) {
        *p += strlen (kanji);
        return true;
    }
    return false;
}

/* The era at *p (kanji or letter), moving past it: its index + 1, or 0. */
static int
s_era (const char **p)
{
    for (size_t i = 0; i < sizeof s_eras / sizeof s_eras[0]; i++) {
        size_t n = strlen (s_eras[i].kanji);
        if (strncmp (*p, s_eras[i].kanji, n) == 0) {
            *p += n;
            return (int) i + 1;
        }
        if (**p == s_eras[i].letter || **p == s_eras[i].letter + ('a' - 'A')) {
            (*p)++;
            return (int) i + 1;
        }
    }
    return 0;
}

static bool
s_leap (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* True when what is left at p is nothing, or a time after a space (Excel's " 0:00"). */
static bool
s_only_time_left (const char *p)
{
    if (*p == '\0')
        return true;
    if (*p != ' ')
        return false;
    while (*p == ' ')
        p++;
    for (; *p; p++)
        if (!(*p >= '0' && *p <= '9') && *p != ':')
            return false;
    return true;
}

bool
agency_cell_date (const char *text, char out[11], char *why, size_t why_size)
{
    char folded[CELL_NORMAL_MAX];
    if (!s_fold (text, folded, sizeof folded)) {
        snprintf (why, why_size, "not a date: too long");
        return false;
    }
    const char *p = folded;
    int era = s_era (&p);
    int year = s_number (&p, era != 0);
    bool kanji = strstr (folded, "年") != NULL;
    if (year < 0 || !s_separator (&p, "年")) {
        snprintf (why, why_size,
                  "not a date: write it as 1943-04-12, 1943/4/12 or 昭和18年4月12日");
        return false;
    }
    int month = s_number (&p, false);
    if (month < 0 || !s_separator (&p, "月")) {
        snprintf (why, why_size,
                  "not a date: write it as 1943-04-12, 1943/4/12 or 昭和18年4月12日");
        return false;
    }
    int day = s_number (&p, false);
    if (kanji && strncmp (p, "日", strlen ("日")) == 0)
        p += strlen ("日");
    if (day < 0 || !s_only_time_left (p)) {
        snprintf (why, why_size,
                  "not a date: write it as 1943-04-12, 1943/4/12 or 昭和18年4月12日");
        return false;
    }
    if (era && year == 0) { /* an era's first year is 元年, 1 */
        snprintf (why, why_size, "no such date: an era's years start at 1 (元年)");
        return false;
    }
    int era_year = year;
    if (era)
        year = s_eras[era - 1].first_year + year - 1;
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1868 || year > 2200 || month < 1 || month > 12 || day < 1
        || day > days[month - 1] + (month == 2 && s_leap (year))) {
        snprintf (why, why_size, "no such date: %04d-%02d-%02d", year, month, day);
        return false;
    }
    long ymd = (long) year * 10000 + month * 100 + day;
    if (era && (ymd < s_eras[era - 1].first_day || ymd > s_eras[era - 1].last_day)) {
        snprintf (why, why_size, "no such date: %s%d年%d月%d日 is outside the era",
                  s_eras[era - 1].kanji, era_year, month, day);
        return false;
    }
    char date[32];
    snprintf (date, sizeof date, "%04d-%02d-%02d", year, month, day);
    memcpy (out, date, 11);
    return true;
}

bool
agency_cell_integer (const char *text, long *out, char *why, size_t why_size)
{
    char folded[CELL_NORMAL_MAX];
    if (!s_fold (text, folded, sizeof folded)) {
        snprintf (why, why_size, "not a whole number");
        return false;
    }
    size_t n = strlen (folded);
    if (n >= strlen ("歳") && strcmp (folded + n - strlen ("歳"), "歳") == 0)
        folded[n -= strlen ("歳")] = '\0';
    long value = 0;
    for (size_t i = 0; i < n; i++) {
        if (folded[i] < '0' || folded[i] > '9' || value > 100000) {
            snprintf (why, why_size, "not a whole number");
            return false;
        }
        value = value * 10 + (folded[i] - '0');
    }
    if (n == 0 || value > 100000) {
        snprintf (why, why_size, "not a whole number from 0 to 100000");
        return false;
    }
    *out = value;
    return true;
}

/* The wire name of names whose Japanese word (label) or name text is, else the one a synonym
 * of synonyms stands for, or NULL. */
static const char *
s_wire (const char *text, const char *const names[], const char *(*label) (const char *),
        const char *const synonyms[][2])
{
    char folded[CELL_NORMAL_MAX];
    if (!s_fold (text, folded, sizeof folded))
        return NULL;
    for (char *c = folded; *c; c++) /* High, CONSENT: the English words in any case */
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c - 'A' + 'a');
    for (size_t i = 0; names[i]; i++)
        if (strcmp (folded, names[i]) == 0 || strcmp (folded, label (names[i])) == 0)
            return names[i];
    for (size_t i = 0; synonyms[i][0]; i++)
        if (strcmp (folded, synonyms[i][0]) == 0)
            return synonyms[i][1];
    return NULL;
}

const char *
agency_cell_urgency (const char *text)
{
    static const char *const synonyms[][2] = {
        { "普通", "normal" },
        { "至急", "high" },
        { NULL, NULL },
    };
    return s_wire (text, tsg_urgency_names, tsg_urgency_label_ja, synonyms);
}

const char *
agency_cell_legal_basis (const char *text)
{
    static const char *const synonyms[][2] = {
        { "本人同意", "consent" },
        { "緊急通報", "emergency" },
        { "なし", "none" },
        { NULL, NULL },
    };
    return s_wire (text, tsg_legal_basis_names, tsg_legal_basis_label_ja, synonyms);
}

/* The length of the separator of a list at p (・ 、 , ， ; ； / ／ | or a line break), or 0. */
static size_t
s_list_separator (const char *p)
{
    static const char *const separators[] = { "・", "、", "，", "；", "／", "｜", "\r\n",
                                              ",",  ";",  "/",  "|",  "\n", NULL };
    for (size_t i = 0; separators[i]; i++) {
        size_t n = strlen (separators[i]);
        if (strncmp (p, separators[i], n) == 0)
            return n;
    }
    return 0;
}

json_t *
agency_cell_list (const char *text)
{
    json_t *list = json_array ();
    const char *start = text;
    for (const char *p = text;; p++) {
        size_t separator = *p ? s_list_separator (p) : 0;
        if (*p && !separator)
            continue;
        const char *a = start, *b = p;
        for (bool more = true; more;) { /* spaces, tabs and ideographic spaces at both ends */
            size_t before = (size_t) (b - a);
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            if ((size_t) (b - a) >= 3 && memcmp (a, "\u3000", 3) == 0)
                a += 3;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            if ((size_t) (b - a) >= 3 && memcmp (b - 3, "\u3000", 3) == 0)
                b -= 3;
            more = (size_t) (b - a) != before;
        }
        if (b > a && list)
            json_array_append_new (list, json_stringn (a, (size_t) (b - a)));
        if (!*p)
            break;
        p += separator - 1;
        start = p + 1;
    }
    return list;
}
