/* libFuzzer target: CodeBuild's buildspec parser (YAML -> a checked buildspec). */
#include <stddef.h>
#include <stdint.h>

#include "svc/codebuild/buildspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ferr e = {0};
    cb_buildspec *b = NULL;
    if (!cb_buildspec_parse((const char *)data, size, &b, &e)) cb_buildspec_free(b);
    return 0;
}
