/* replay_main.c — runs a fuzz target over every file of its corpus folders, so the normal
 * test run replays the interesting inputs that fuzzing found (and the sanitizer build checks them).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
s_replay_file (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    uint8_t *buf = malloc (1 << 21);
    size_t n = buf ? fread (buf, 1, 1 << 21, f) : 0;
    fclose (f);
    if (!buf)
        return 1;
    LLVMFuzzerTestOneInput (buf, n);
    free (buf);
    return 0;
}

int
main (int argc, char **argv)
{
    int files = 0, failures = 0;
    for (int i = 1; i < argc; i++) {
        DIR *dir = opendir (argv[i]);
        if (!dir) {
            failures += s_replay_file (argv[i]);
            files++;
            continue;
        }
        struct dirent *entry;
        while ((entry = readdir (dir))) {
            if (entry->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf (path, sizeof path, "%s/%s", argv[i], entry->d_name);
            failures += s_replay_file (path);
            files++;
        }
        closedir (dir);
    }
    printf ("replayed %d inputs, %d unreadable\n", files, failures);
    return files > 0 && failures == 0 ? 0 : 1;
}
