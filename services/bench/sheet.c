/* Synthetic つなぐシート requests.  Every person is invented (surname 試験, "test"), the phone
 * numbers are all zeros, and each sheet says it is synthetic. */
#include <stdio.h>
#include <string.h>

#include "sheet.h"

static const char *const s_given[] = { "花子", "太郎", "和子", "次郎",
                                       "春子", "一郎", "秋子", "三郎" };
static const char *const s_kana[] = { "ハナコ", "タロウ",   "カズコ", "ジロウ",
                                      "ハルコ", "イチロウ", "アキコ", "サブロウ" };

#define COUNT(a)    (sizeof (a) / sizeof (a)[0])
#define PAD_PATTERN "synthetic benchmark sheet, no real person. "

/* The sender type's section of the sheet (its required intake fields) and a cleartext tag. */
static int
s_section (char *buf, size_t size, const char *type, unsigned long serial, const char **tag)
{
    static const char *const care[] = { "要支援2", "要介護1", "要介護3", "未申請" };
    static const char *const certificate[] = { "精神障害者保健福祉手帳2級", "療育手帳B",
                                               "身体障害者手帳3級" };
    static const char *const income[] = { "収入なし", "月10万円未満", "年金のみ（月8万円未満）" };
    if (strcmp (type, "eldercare") == 0) {
        *tag = "介護";
        return snprintf (buf, size, "\"eldercare\":{\"care_insurance\":\"%s\"}",
                         care[serial % COUNT (care)]);
    }
    if (strcmp (type, "disability") == 0) {
        *tag = "障害";
        return snprintf (buf, size, "\"disability\":{\"certificate\":\"%s\"}",
                         certificate[serial % COUNT (certificate)]);
    }
    if (strcmp (type, "child") == 0) {
        *tag = "子育て";
        unsigned long age = 6 + serial % 12;
        return snprintf (buf, size, "\"child\":{\"age\":%lu,\"school\":\"つなぐ市立試験%s\"}", age,
                         age < 12   ? "小学校"
                         : age < 15 ? "中学校"
                                    : "高等学校");
    }
    *tag = "生活困窮";
    return snprintf (buf, size, "\"poverty\":{\"income_band\":\"%s\"}",
                     income[serial % COUNT (income)]);
}

size_t
bench_sheet_request (char *buf, size_t size, const char *sender_type, const char *to,
                     unsigned long serial, size_t sheet_bytes)
{
    char section[256];
    const char *tag = NULL;
    int section_len = s_section (section, sizeof section, sender_type, serial, &tag);
    if (section_len < 0 || (size_t) section_len >= sizeof section)
        return 0;
    size_t who = serial % COUNT (s_given);
    int head = snprintf (
        buf, size,
        "{\"to\":\"%s\",\"urgency\":\"normal\",\"tags\":[\"%s\"],\"legal_basis\":\"none\","
        "\"sheet\":{\"synthetic\":true,\"household_id\":\"BENCH-%08lu\","
        "\"members\":[{\"name\":\"試験 %s\",\"kana\":\"シケン %s\",\"birthdate\":\"19%02lu-%02lu-"
        "%02lu\",\"relation\":\"本人\"}],\"address\":\"つなぐ市試験町%lu丁目\","
        "\"phone\":\"000-0000-0000\",\"summary\":\"ベンチマーク用の架空のシート。\",%s,"
        "\"notes\":\"",
        to, tag, serial, s_given[who], s_kana[who], 30 + serial % 60, 1 + serial % 12,
        1 + serial % 28, 1 + serial % 9, section);
    if (head < 0 || (size_t) head >= size)
        return 0;
    /* The sheet starts at "{\"synthetic\"; pad its notes so that it is sheet_bytes long. */
    const char *sheet = strstr (buf, "\"sheet\":") + 8;
    size_t sheet_so_far = (size_t) (buf + head - sheet);
    const char tail[] = "\"}}";
    size_t sheet_tail = 2; /* "\"}" closes notes and the sheet; the last "}" closes the request */
    size_t pad =
        sheet_bytes > sheet_so_far + sheet_tail ? sheet_bytes - sheet_so_far - sheet_tail : 0;
    size_t total = (size_t) head + pad + sizeof tail - 1;
    if (total + 1 > size)
        return 0;
    size_t pattern_len = sizeof PAD_PATTERN - 1;
    for (size_t i = 0; i < pad; i++)
        buf[head + i] = PAD_PATTERN[i % pattern_len];
    memcpy (buf + head + pad, tail, sizeof tail);
    return total;
}
