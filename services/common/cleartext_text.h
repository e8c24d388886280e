/* cleartext_text.h — what the cleartext checker (cleartext.c) reads with: the vocabularies
 * and name lists (cleartext_text.c), and a text as characters.  Private to the checker. */
#ifndef TSG_CLEARTEXT_TEXT_H_INCLUDED
#define TSG_CLEARTEXT_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_cleartext.h"
#include "tsunagu/tsg_text.h"

#define TEXT_MAX TSG_CLEARTEXT_SUBJECT_MAX /* most characters the rules look at */
#define WORD_MAX 16                        /* letters of an ASCII word compared with names */

typedef struct {
    const char *word;     /* the honorific */
    bool after_hiragana;  /* also after a name written in hiragana */
    bool hiragana_ends;   /* after hiragana only when no hiragana but a particle follows
                             (みきさんの, not おさんぽ) */
    const char *next_not; /* characters that, following it, make a word (様子) */
    const char *prev_not; /* characters that, before it, make a word (多様) */
} tsg_ct_honorific_t;

/* One text as characters, after the reading of full-width digits, letters and dashes. */
typedef struct {
    uint32_t cp[TEXT_MAX + 1]; /* the characters */
    size_t n;                  /* how many */
} tsg_ct_text_t;

/* ---- the vocabularies and name lists ---- */

/* Issue tags: DESIGN §2's table of typical tags, and those of the synthetic households and
 * the seed documents. */
extern const char *const tsg_ct_tag_words[];

/* Plan role words: what an agency takes on in a support plan. */
extern const char *const tsg_ct_label_words[];

/* Common family names of two or more kanji (one-kanji names such as 林 or 森 are words too). */
extern const char *const tsg_ct_kanji_surnames[];

/* The most common of them in katakana (three or more characters). */
extern const char *const tsg_ct_kana_surnames[];

/* And in romaji (compared as whole words, in lower case). */
extern const char *const tsg_ct_romaji_surnames[];

/* Honorifics after a name, and the neighbours that make an ordinary word of them instead. */
extern const tsg_ct_honorific_t tsg_ct_honorifics[];

/* Words an honorific may follow without a name: relations, roles and jobs (お母さん,
 *利用者様, ヘルパーさん), and たくさん. */
extern const char *const tsg_ct_not_names[];

/* The particles that may follow a name and its honorific (みきさんの見守り). */
extern const char *const tsg_ct_particles;

/* ASCII honorifics after "-" or a space, and titles before a name. */
extern const char *const tsg_ct_romaji_honorifics[];

extern const char *const tsg_ct_titles[];
extern const size_t tsg_ct_honorifics_count;

/* ---- characters ---- */

bool tsg_ct_control (uint32_t c);

/* Characters that show nothing, or turn the text around: they could split a name in two. */
bool tsg_ct_invisible (uint32_t c);

bool tsg_ct_kanji (uint32_t c);

bool tsg_ct_hiragana (uint32_t c);

/* Katakana letters and the long-vowel mark, full and half width (not the middle dot ・). */
bool tsg_ct_katakana (uint32_t c);

bool tsg_ct_letter (uint32_t c);

bool tsg_ct_upper (uint32_t c);

bool tsg_ct_digit (uint32_t c);

bool tsg_ct_alnum (uint32_t c);

/* A character a name is written in. */
bool tsg_ct_name_char (uint32_t c);

/* c as ASCII when it is a full-width digit, letter or punctuation mark the rules read. */
uint32_t tsg_ct_fold (uint32_t c);

/* Reads text into t, folded; the long-vowel mark between digits is a dash (090ー1234).  The
 * caller has checked text is valid UTF-8 of at most TEXT_MAX characters. */
void tsg_ct_read (const char *text, tsg_ct_text_t *t);

/* How many characters of needle (UTF-8) match t at at: all of them, or 0. */
size_t tsg_ct_match_at (const tsg_ct_text_t *t, size_t at, const char *needle);

size_t tsg_ct_chars (const char *utf8);

/* True when t holds needle anywhere. */
bool tsg_ct_contains (const tsg_ct_text_t *t, const char *needle);

/* True when the characters of t before end finish with needle. */
bool tsg_ct_ends_with (const tsg_ct_text_t *t, size_t end, const char *needle);

/* True when c is one of the characters of set (UTF-8; NULL is empty). */
bool tsg_ct_one_of (uint32_t c, const char *set);

bool tsg_ct_in_list (const char *text, const char *const list[]);

/* The ASCII word of t from at to end in lower case, into out; false when it does not fit. */
bool tsg_ct_lower_word (const tsg_ct_text_t *t, size_t at, size_t end, char out[WORD_MAX + 1]);

/* True when the ASCII word from at to end is, ignoring case, a common family name. */
bool tsg_ct_romaji_surname (const tsg_ct_text_t *t, size_t at, size_t end);

#endif
