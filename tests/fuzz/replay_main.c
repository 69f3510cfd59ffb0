/* Replays fuzz inputs through a target without libFuzzer, so that the corpora run under ctest in
 * every build (gcc included) as regression tests.
 *
 *   replay_<name> PATH...
 *
 * Each PATH is a corpus directory (every regular file in it, in name order) or one input file.
 * Each input is read into a buffer of exactly its size, so that ASan builds catch over-reads, and
 * handed to LLVMFuzzerTestOneInput. An invariant broken in the target aborts the process. Exits 1
 * when a path cannot be read or a directory holds no input, so that a moved or empty corpus does
 * not pass unnoticed. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on the file at path. Returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
        FILE *fp = fopen(path, "rb");
        uint8_t *buf = NULL;
        long size;
        int ret = -1;

        if (!fp) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        if (fseek(fp, 0, SEEK_END) || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
                fprintf(stderr, "replay: %s: cannot size: %s\n", path, strerror(errno));
                goto done;
        }
        /* malloc(0) may return NULL; one spare byte keeps the empty input distinct from OOM,
         * and the target is still only told about size bytes. */
        buf = malloc((size_t)size ? (size_t)size : 1);
        if (!buf) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                goto done;
        }
        if (size && fread(buf, 1, (size_t)size, fp) != (size_t)size) {
                fprintf(stderr, "replay: %s: short read\n", path);
                goto done;
        }
        /* Named before it runs: when the target aborts, the last name is the input to blame. */
        fprintf(stderr, "replay: %s\n", path);
        LLVMFuzzerTestOneInput(buf, (size_t)size);
        ret = 0;
done:
        free(buf);
        fclose(fp);
        return ret;
}

static int skip_dots(const struct dirent *de)
{
        return de->d_name[0] != '.';
}

/* Runs the target on every regular file of dir. Returns the number run, or -1. */
static int replay_dir(const char *dir)
{
        struct dirent **names;
        char path[4096];
        struct stat st;
        int n, i, count = 0, ret = 0;

        n = scandir(dir, &names, skip_dots, alphasort);
        if (n < 0) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        for (i = 0; i < n; i++) {
                if (ret == 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                                if (replay_file(path))
                                        ret = -1;
                                else
                                        count++;
                        }
                }
                free(names[i]);
        }
        free(names);
        return ret ? ret : count;
}

int main(int argc, char **argv)
{
        struct stat st;
        int i, n, total = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
                return 2;
        }
        for (i = 1; i < argc; i++) {
                if (stat(argv[i], &st)) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                if (S_ISDIR(st.st_mode)) {
                        n = replay_dir(argv[i]);
                        if (n < 0)
                                return 1;
                        if (n == 0) {
                                fprintf(stderr, "replay: %s: no input files\n", argv[i]);
                                return 1;
                        }
                } else {
                        if (replay_file(argv[i]))
                                return 1;
                        n = 1;
                }
                total += n;
        }
        printf("replay: %d inputs ok\n", total);
        return 0;
}
