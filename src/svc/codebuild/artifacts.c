/* Artifacts selection and zip (see artifacts.h). Placeholder until implemented. */
#include <stdlib.h>

#include "artifacts.h"

int cb_artifacts_select(const char *src_dir, const json_t *spec, cb_files *out, ferr *e)
{
    (void)src_dir, (void)spec, (void)out;
    return ferr_set(e, 501, "NotImplemented", "artifacts are not implemented yet");
}

void cb_files_clear(cb_files *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->paths[i]), free(f->names[i]);
    free(f->paths), free(f->names);
    f->n = 0, f->paths = f->names = NULL;
}

int cb_artifacts_zip(const cb_files *f, const char *zip_path, ferr *e)
{
    (void)f, (void)zip_path;
    return ferr_set(e, 501, "NotImplemented", "artifacts are not implemented yet");
}
