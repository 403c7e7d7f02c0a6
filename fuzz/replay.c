/* Replays a fuzz target's corpus without libFuzzer, so that every build (gcc, ASan+UBSan)
 * runs the committed inputs as an ordinary test. Arguments are files or directories (one
 * level, sorted, dot files skipped); each file is fed to LLVMFuzzerTestOneInput in a buffer
 * of exactly its size, so a read past the end is caught under ASan. A crash, a sanitizer
 * report or a nonzero return fails the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, size_t size)
{
    FILE *f = fopen(path, "rb");
    /* exactly size bytes: libFuzzer's inputs are not NUL-terminated either */
    uint8_t *data = malloc(size ? size : 1);
    int rc = -1;
    if (!f || !data || fread(data, 1, size, f) != size) {
        fprintf(stderr, "%s: could not read\n", path);
        goto out;
    }
    rc = LLVMFuzzerTestOneInput(data, size);
    if (rc) fprintf(stderr, "%s: target returned %d\n", path, rc);
out:
    free(data);
    if (f) fclose(f);
    return rc ? -1 : 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    int files = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb)) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
            files++;
            failed += replay_file(argv[i], (size_t)sb.st_size) != 0;
            continue;
        }
        struct dirent **ents;
        int n = scandir(argv[i], &ents, NULL, by_name);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        for (int j = 0; j < n; j++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
            if (ents[j]->d_name[0] != '.' && !stat(path, &sb) && S_ISREG(sb.st_mode)) {
                files++;
                failed += replay_file(path, (size_t)sb.st_size) != 0;
            }
            free(ents[j]);
        }
        free(ents);
    }
    printf("replayed %d inputs, %d failed\n", files, failed);
    return failed || !files ? 1 : 0;
}
