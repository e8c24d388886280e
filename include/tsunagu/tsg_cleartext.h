/* One check, used by agency daemons before they seal and by the coordinator before it stores,
 * that a cleartext header field (an issue tag, a plan role label, a consent subject id) does
 * not look like personal data (proto/README.md §2, §10: never a name, address, birth date,
 * phone number or free text about a person in the header).
 *
 * The rules, in the order they are applied:
 *
 * Tags and labels (plan role labels and any other short free label of the header)
 *   - well-formed (else TSG_CLEARTEXT_MALFORMED): not NULL, not blank, valid UTF-8 (no overlong
 *     forms, no surrogates), no control characters (C0, DEL, C1) and no invisible formatting
 *     characters (zero-width spaces and joiners, direction marks and overrides, soft hyphen,
 *     byte-order mark, variation selectors), which could hide a name from the rules below;
 *   - short: a tag at most TSG_CLEARTEXT_TAG_CHARS characters, a label at most
 *     TSG_CLEARTEXT_LABEL_CHARS (longer is free text; it belongs in the sealed body);
 *   - a word of the field's vocabulary (the issue tags of DESIGN §2's table and of the
 *     synthetic data; the role words of support plans) is accepted as it is;
 *   - anything else is accepted unless, after full-width digits, letters and dashes are read
 *     as ASCII, it looks like
 *       a personal name:  a name-like character followed by an honorific (さん 様 さま 君 くん
 *                         ちゃん 氏 殿, -san -sama -chan -kun), except after relation words
 *                         (お母さん, 息子さん, 皆様, 赤ちゃん ...) and in ordinary words (様子,
 *                         多様, 氏名, さまざま, ちゃんと ...); one of the common family names in
 *                         kanji (two or more characters: 山田, 佐藤 ...), katakana (ヤマダ ...) or
 *                         romaji (a whole word: Yamada, sato ...); two name-like words around a
 *                         space (kanji or kana words of 1 to 4 characters, or capitalised ASCII
 *                         words: 山田 ハナ, ヤマダ ハナ, Hana Yamada) unless one is a vocabulary
 *                         word; Mr/Mrs/Ms/Miss/Dr before a word;
 *       a date:           YYYY-MM-DD, YYYY/MM/DD, YYYY.M.D (years 1900 to 2099), YY-MM-DD,
 *                         an era letter with year, month and day (S50.1.1, H7/3/3), an era
 *                         name with a number (昭和25年, 平成元年), N年N月, N月N日, YYYY年生,
 *                         8 digits that are a date (19500101), 7 digits that are an era-coded
 *                         date (3250101 = 昭和25年1月1日), 6 digits that are YYMMDD (not 00MMDD);
 *       a phone number:   10 or 11 digits starting with 0, with or without - ( ) . or spaces
 *                         between them, or a number after +;
 *       a long number:    9 or more digits together (insurance, account or My Number);
 *       a postal code:    〒, or NNN-NNNN;
 *       an address:       丁目, 番地, N番N, N号 (not 第N号, not N号被保険者 ...), 都道府県市区町村
 *                         directly followed by a digit, or three or more numbers joined by -
 *                         (1-2-3);
 *       an email address: @ between letters or digits;
 *       a sentence:       it holds 。
 *   8050 (the 8050 problem), 月1回, 第1号被保険者 and the like pass.
 *
 * Consent subject ids (pseudonyms such as "H001-1", "S-0001")
 *   - 1 to TSG_CLEARTEXT_SUBJECT_MAX bytes of ASCII letters, digits and . _ - (else MALFORMED),
 *     except that these are refused as personal data: kana, kanji or full-width letters (a name
 *     written in Japanese), a space between letters (a romanized full name), an @ (an email);
 *   - no date of birth: three numbers joined by one of - . _ / that are a date (1950-01-01,
 *     50.01.01), an era letter with year, month and day (S25-1-1), or a run of 8, 7 or 6 digits
 *     that is a date as above (19500101, 3250101, 500101);
 *   - no phone number (10 or 11 digits starting with 0, not right after a letter: H001-… is a
 *     prefix's number) and no other run of 9 or more digits;
 *   - no romanized name: no letters-only word (words split at . _ - digits and at a lower- to
 *     upper-case step) that is a common family name in romaji (yamada, sato ...), and at most one
 *     such word of three or more letters (yamada-taro, HanaYamada and taro.hanako are refused;
 *     H001-1, S-0001, case-12 pass).
 *
 * No rule can recognise every name: a given name alone (ハナ) passes.  The checks lower the
 * chance that a careless entry reaches the coordinator; the contract of §2 stays with whoever
 * types the text.  The reason written to why is a short English phrase that says what the text
 * looked like ("looks like a date of birth"), to be put after the field's name; it never
 * quotes the text. */
#ifndef TSG_CLEARTEXT_H_INCLUDED
#define TSG_CLEARTEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define TSG_CLEARTEXT_TAG_CHARS   16 /* characters of an issue tag */
#define TSG_CLEARTEXT_LABEL_CHARS 32 /* characters of a plan role label */
#define TSG_CLEARTEXT_SUBJECT_MAX 64 /* bytes of a pseudonymous consent subject id */
#define TSG_CLEARTEXT_WHY_SIZE    96 /* enough for any reason written to why */

/* Which cleartext field a text is for. */
typedef enum {
    TSG_CLEARTEXT_TAG,     /* an issue tag (header tags, case tags) */
    TSG_CLEARTEXT_LABEL,   /* a plan role label or another short label */
    TSG_CLEARTEXT_SUBJECT, /* a consent's pseudonymous subject id */
    TSG_CLEARTEXT_DETAIL,  /* an English sentence for logs: a rejected receipt's detail */
} tsg_cleartext_field_t;

/* What a check found. */
typedef enum {
    TSG_CLEARTEXT_OK = 0,    /* fit for the cleartext header */
    TSG_CLEARTEXT_MALFORMED, /* not text of the field's shape (empty, not UTF-8, control
                                characters, outside a subject id's alphabet, too many bytes) */
    TSG_CLEARTEXT_PERSONAL,  /* looks like personal data (a name, a date, a phone number, an
                                address, an email, free text) */
} tsg_cleartext_verdict_t;

/* Checks text for field by the rules above.  Returns TSG_CLEARTEXT_OK, or the verdict with a
 * reason in why (when why is not NULL and size > 0; truncated to size, always terminated;
 * TSG_CLEARTEXT_WHY_SIZE is enough).  text may be NULL (MALFORMED).  Pure: no allocation, no
 * global state, safe from any thread. */
tsg_cleartext_verdict_t tsg_cleartext_check (tsg_cleartext_field_t field, const char *text,
                                             char *why, size_t size);

/* The same check for one field, as a yes or no: true when the text is fit for the cleartext
 * header, else false with the reason in why.  A caller that answers malformed text and
 * personal data differently checks its own format first or uses tsg_cleartext_check. */
bool tsg_cleartext_tag_ok (const char *tag, char *why, size_t size);
bool tsg_cleartext_label_ok (const char *label, char *why, size_t size);
bool tsg_cleartext_subject_ok (const char *subject, char *why, size_t size);

/* A detail sentence (TSG_CLEARTEXT_DETAIL): printable ASCII (English: a name in kana or kanji
 * cannot hide in it), at most TSG_CLEARTEXT_DETAIL_MAX bytes, no email address or postal
 * mark, and no run of TSG_CLEARTEXT_DETAIL_DIGITS digits or more (a date of birth, a phone
 * number), ids of the protocol (UUIDs, hex message ids) excepted. */
#define TSG_CLEARTEXT_DETAIL_MAX    200
#define TSG_CLEARTEXT_DETAIL_DIGITS 7
bool tsg_cleartext_detail_ok (const char *detail, char *why, size_t size);

/* True when text is a word of the tag vocabulary, or of the label vocabulary (which takes the
 * tag words too: a plan may name an issue). */
bool tsg_cleartext_tag_known (const char *text);
bool tsg_cleartext_label_known (const char *text);

/* The vocabularies, NULL-terminated, for screens and documentation. */
const char *const *tsg_cleartext_tag_words (void);
const char *const *tsg_cleartext_label_words (void);

#endif
