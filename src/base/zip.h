/* Zip archives (Lambda deployment packages and layers) over libzip: opened from memory or a
 * file and checked whole before anything is extracted. The prefix is zipar_ because libzip
 * owns zip_.
 *
 * What a checked archive cannot do: hold more than ZIPAR_MAX_ENTRIES entries or more than
 * the caller's limit of uncompressed bytes (as the entries declare them; extraction stops
 * at the declared size), name a path that is absolute or has a `..` component, name one
 * path twice (after dropping empty and `.` components), or hold encrypted entries. Symlink
 * entries are kept only when their target is relative without `..` (it cannot leave the
 * tree, whatever other links there are) and are made after every file, so nothing is
 * written through one; other symlinks are skipped. Anything else refused is
 * InvalidParameterValueException with Lambda's message. */
#ifndef FERRY_ZIP_H
#define FERRY_ZIP_H
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define ZIPAR_MAX_ENTRIES 65535 /* the classic zip format's own limit */

typedef struct zipar zipar;

/* Opens and checks an archive of n bytes at p (copied: p may go after the call) or the file
 * at path. max_size: the refused total of uncompressed bytes is anything >= max_size
 * (Lambda: "Unzipped size must be smaller than 262144000 bytes"). Caller owns *out. */
int zipar_open_mem(const void *p, size_t n, uint64_t max_size, zipar **out, ferr *e);
int zipar_open_file(const char *path, uint64_t max_size, zipar **out, ferr *e);
void zipar_free(zipar *z); /* NULL is a no-op */

uint64_t zipar_size(const zipar *z); /* uncompressed bytes, as declared */
size_t zipar_count(const zipar *z);  /* entries that are extracted (skipped symlinks not) */
/* 1 when the archive holds a regular file at path (normalised as above). */
int zipar_has_file(const zipar *z, const char *path);
/* The normalised path of entry i (< zipar_count) when it is a regular file, else NULL
 * (borrowed from z). For callers that copy every file out (CodePipeline's S3 deploy). */
const char *zipar_file_name(const zipar *z, size_t i);

/* The bytes of the regular file at path (normalised as above): 0 and *out (malloc'd, NUL
 * after its *len bytes; the caller frees), 1 when the archive holds no such file, or -1. For
 * files read out of an archive in memory (CodePipeline's TemplatePath). */
int zipar_read(zipar *z, const char *path, unsigned char **out, size_t *len, ferr *e);
/* Extracts into dir, which must not exist: into a fresh temporary beside it, renamed into
 * place when complete (dirs 0755, files 0644 or 0755 when the entry had any execute bit).
 * When dir appears meanwhile (another extraction of the same code won), the temporary is
 * removed and the call succeeds. */
int zipar_extract(zipar *z, const char *dir, ferr *e);

/* Writes a zip of n files (names[i] with texts[i], mode 0644) into memory: *out (malloc'd,
 * the caller frees) of *len bytes. For packages ferry makes itself (CloudFormation's inline
 * Code.ZipFile). 0, or -1 with e. */
int zipar_write_mem(const char *const *names, const char *const *texts, size_t n,
                    unsigned char **out, size_t *len, ferr *e);

/* An entry of zipar_write_entries: len bytes at data (any bytes), stored as name with the
 * Unix mode given (0100644, 0100755, or 0120777 for a symlink whose data is its target). */
typedef struct zipar_entry {
    const char *name;
    const void *data;
    size_t len;
    unsigned mode;
} zipar_entry;

/* As zipar_write_mem, for n entries of any bytes and mode (a git tree's files). */
int zipar_write_entries(const zipar_entry *ents, size_t n, unsigned char **out, size_t *len,
                        ferr *e);

/* Writes a zip of n files read from disk (paths[i], stored as names[i], with its mode as
 * the file has it) to zip_path, replacing it: libzip streams each file into the archive when
 * it is closed (a temporary beside zip_path, renamed into place), so nothing is held in
 * memory. For archives of a build's output (CodeBuild artifacts). 0, or -1 with e. */
int zipar_write_files(const char *const *paths, const char *const *names, size_t n,
                      const char *zip_path, ferr *e);

/* Removes the tree at path without following symlinks (0, or -1 with e). */
int zipar_rmtree(const char *path, ferr *e);

#endif
