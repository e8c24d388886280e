/* fuzz_cleartext.c — the cleartext check on arbitrary bytes, as a tag, a label and a subject
 * id: never crashes or reads past the text, always terminates its reason, and keeps its
 * promises (a tag it accepts is a label it accepts; a subject it accepts is a short ASCII id). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"

#define TEXT_MAX 512 /* longer inputs are cut: every field is far shorter */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Checks text for field with a why buffer of why_size bytes, and that the answer is sound. */
static tsg_cleartext_verdict_t
s_check (tsg_cleartext_field_t field, const char *text, size_t why_size)
{
    char why[TSG_CLEARTEXT_WHY_SIZE + 1];
    memset (why, 0x5a, sizeof why);
    tsg_cleartext_verdict_t verdict = tsg_cleartext_check (field, text, why, why_size);
    if (verdict != TSG_CLEARTEXT_OK && verdict != TSG_CLEARTEXT_MALFORMED
        && verdict != TSG_CLEARTEXT_PERSONAL)
        abort ();
    if (why_size > 0 && memchr (why, '\0', why_size) == NULL)
        abort (); /* the reason is not terminated within its buffer */
    if (why[why_size] != 0x5a)
        abort (); /* written past the buffer */
    if (why_size == sizeof why - 1 && (verdict == TSG_CLEARTEXT_OK) != (why[0] == '\0'))
        abort (); /* a refusal without a reason, or an acceptance with one */
    /* The same answer again, and from the yes-or-no form. */
    if (tsg_cleartext_check (field, text, NULL, 0) != verdict)
        abort ();
    bool ok = field == TSG_CLEARTEXT_TAG     ? tsg_cleartext_tag_ok (text, NULL, 0)
              : field == TSG_CLEARTEXT_LABEL ? tsg_cleartext_label_ok (text, NULL, 0)
                                             : tsg_cleartext_subject_ok (text, NULL, 0);
    if (ok != (verdict == TSG_CLEARTEXT_OK))
        abort ();
    return verdict;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* The first byte picks the reason buffer's size (0 to TSG_CLEARTEXT_WHY_SIZE); the rest,
     * up to its first NUL, is the text. */
    size_t why_size = data[0] % (TSG_CLEARTEXT_WHY_SIZE + 1);
    size_t len = size - 1 < TEXT_MAX ? size - 1 : TEXT_MAX;
    char *text = malloc (len + 1); /* exactly the text, so ASan sees any read past it */
    if (!text)
        return 0;
    memcpy (text, data + 1, len);
    text[len] = '\0';

    tsg_cleartext_verdict_t tag = s_check (TSG_CLEARTEXT_TAG, text, why_size);
    tsg_cleartext_verdict_t label = s_check (TSG_CLEARTEXT_LABEL, text, why_size);
    tsg_cleartext_verdict_t subject = s_check (TSG_CLEARTEXT_SUBJECT, text, why_size);
    if (tag == TSG_CLEARTEXT_OK && label != TSG_CLEARTEXT_OK)
        abort (); /* a tag is a short label */
    if (subject == TSG_CLEARTEXT_OK) {
        size_t n = strlen (text);
        if (n == 0 || n > TSG_CLEARTEXT_SUBJECT_MAX)
            abort ();
        for (size_t i = 0; i < n; i++) {
            char c = text[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || c == '.' || c == '_' || c == '-'))
                abort (); /* an accepted subject outside the id alphabet */
        }
    }
    if (tsg_cleartext_tag_known (text) && tag != TSG_CLEARTEXT_OK)
        abort ();
    if (tsg_cleartext_label_known (text) && label != TSG_CLEARTEXT_OK)
        abort ();
    free (text);
    return 0;
}
