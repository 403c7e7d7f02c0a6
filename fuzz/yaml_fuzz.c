/* libFuzzer target: YAML -> JSON (ferry init configs, and the base of templates). */
#include <stddef.h>
#include <stdint.h>

#include "base/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ferr e = {0};
    json_t *j = yaml_to_json((const char *)data, size, &e);
    json_decref(j);
    return 0;
}
