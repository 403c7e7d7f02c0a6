/* libFuzzer target: CodePipeline's variable references in action configurations
 * (src/svc/codepipeline/vars.c). What resolves holds no reference any more (the values
 * given hold none); what does not names the reference it stopped at. Seeds:
 * fuzz/corpus/cp_vars_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/codepipeline/vars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    arena *a = arena_new(1024);
    json_t *x = json_pack("{s:s, s:[{s:s, s:s}], s:{s:{s:s}}}", "id", "exec-1", "variables", "name",
                          "Env", "resolvedValue", "dev", "namespaces", "Src", "CommitId", "abc");
    if (s && a && x) {
        memcpy(s, data, size);
        s[size] = 0;
        const char *bad = NULL;
        const char *r = cp_vars_resolve(a, x, s, &bad);
        if (r) {
            const char *open = strstr(r, "#{");
            if (open && strchr(open, '}')) abort();
        } else if (bad && strncmp(bad, "#{", 2)) {
            abort();
        }
        json_t *cfg = json_pack("{s:s, s:i}", "K", s, "N", 1);
        json_t *out = cfg ? cp_vars_config(a, x, cfg, &bad) : NULL;
        if (out && json_integer_value(json_object_get(out, "N")) != 1) abort();
        json_decref(out);
        json_decref(cfg);
    }
    json_decref(x);
    arena_free(a);
    free(s);
    return 0;
}
