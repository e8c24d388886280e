/* test_helpers.h — temp directories for unit tests (under $TSUNAGU_TEST_TMP when set). */
#ifndef TEST_HELPERS_H_INCLUDED
#define TEST_HELPERS_H_INCLUDED

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"

/* Makes a new empty directory and writes its path into out (size bytes).  Aborts on failure:
 * a test that cannot make a temp dir has nothing to say. */
static inline void
test_tmpdir (char *out, size_t size, const char *name)
{
    const char *base = getenv ("TSUNAGU_TEST_TMP");
    if (!base || !*base)
        base = "/tmp";
    tsg_mkdir_p (base, 0700);
    snprintf (out, size, "%s/%s-XXXXXX", base, name);
    if (!mkdtemp (out))
        abort ();
}

/* Removes a directory tree made by test_tmpdir. */
static inline void
test_rmtree (const char *dir)
{
    char cmd[4200];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", dir);
}

#endif
