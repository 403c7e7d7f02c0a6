/* The files a buildspec's `artifacts` section (or one of its `secondary-artifacts`) selects
 * from a build's source directory, and the zip that carries them to S3. */
#ifndef FERRY_SVC_CODEBUILD_ARTIFACTS_H
#define FERRY_SVC_CODEBUILD_ARTIFACTS_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* Selected files: paths[i] on disk (absolute), names[i] its name in the artifact. */
typedef struct cb_files {
    size_t n;
    char **paths, **names;
} cb_files;

/* Selects from src_dir what spec names, as buildspec 0.2 reads it: `files` (globs, `**`
 * matching any depth, "**" then "/" then "*" everything), `base-directory` (relative to src_dir, itself a
 * glob; names are relative to it), `discard-paths` (yes/no: names lose their directories),
 * `exclude-paths`. 0 and *out (the caller clears it), or -1 with e: a spec that is not
 * well-formed is 400 "YAML_FILE_ERROR", no file matching is "CLIENT_ERROR: no matching
 * artifact paths found" as AWS reports it. */
int cb_artifacts_select(const char *src_dir, const json_t *spec, cb_files *out, ferr *e);
void cb_files_clear(cb_files *f);

/* Writes the selected files into a zip at zip_path (streamed from disk, modes kept). 0 or
 * -1 with e. */
int cb_artifacts_zip(const cb_files *f, const char *zip_path, ferr *e);

#endif
