/* libFuzzer target: merging ferry's profiles into a user's AWS config/credentials text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/awsconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    static const aws_profile p[] = {{.name = "dev"}, {.name = "default"}, {.name = "tools"}};
    for (int is_config = 0; is_config < 2; is_config++) {
        buf out;
        buf_init(&out, 0);
        awsconfig_keep_others(&out, text, is_config, p, 3);
        buf_dispose(&out);
    }
    free(text);
    return 0;
}
