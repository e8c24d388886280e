/* import.h — what the pieces of tsunagu-import share: the exit codes, the language of what it
 * prints, and the two ways it speaks (Japanese first, English with --lang en). */
#ifndef TSG_IMPORT_H_INCLUDED
#define TSG_IMPORT_H_INCLUDED

/* Exit codes: everything went (or a dry run found nothing wrong); the file or rows had problems
 * and nothing was sent; bad usage, no answer, or an answer that is not an import report. */
#define IMPORT_EXIT_OK       0
#define IMPORT_EXIT_PROBLEMS 1
#define IMPORT_EXIT_FAIL     2

/* The language a person reads the report in. */
typedef enum {
    IMPORT_LANG_JA, /* Japanese (the default) */
    IMPORT_LANG_EN, /* English */
} import_lang_t;

/* The Japanese or the English of one text, as lang says. */
static inline const char *
import_text (import_lang_t lang, const char *ja, const char *en)
{
    return lang == IMPORT_LANG_EN ? en : ja;
}

#endif
