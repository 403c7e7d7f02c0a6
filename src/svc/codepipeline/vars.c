/* Variables in action configurations, as CodePipeline resolves them when an action starts:
 * #{variables.NAME} (the execution's pipeline variables), #{codepipeline.PipelineExecutionId}
 * and #{NAMESPACE.NAME} (output variables of an earlier action with that namespace). */
#include "vars.h"

#include <string.h>

#include "base/buf.h"

const char *cp_vars_resolve(arena *a, const json_t *x, const char *s, const char **bad)
{
    buf b;
    buf_init(&b, 0);
    const char *p = s;
    while (*p) {
        const char *st = strstr(p, "#{");
        const char *end = st ? strchr(st, '}') : NULL;
        if (!st || !end) {
            buf_puts(&b, p);
            break;
        }
        buf_put(&b, p, (size_t)(st - p));
        const char *ref = arena_strndup(a, st + 2, (size_t)(end - st - 2));
        const char *dot = ref ? strchr(ref, '.') : NULL;
        const char *val = NULL;
        if (dot) {
            size_t nl = (size_t)(dot - ref);
            if (nl == 9 && !strncmp(ref, "variables", 9)) {
                size_t i;
                json_t *v;
                json_array_foreach(json_object_get(x, "variables"), i, v) {
                    if (!strcmp(jstr(v, "name"), dot + 1)) val = jstr(v, "resolvedValue");
                }
            } else if (nl == 12 && !strncmp(ref, "codepipeline", 12)) {
                if (!strcmp(dot + 1, "PipelineExecutionId")) val = jstr(x, "id");
            } else {
                char *ns = arena_strndup(a, ref, nl);
                val = ns ? jstr(json_object_get(json_object_get(x, "namespaces"), ns), dot + 1)
                         : NULL;
            }
        }
        if (!val) {
            *bad = arena_printf(a, "#{%s}", ref ? ref : "");
            buf_dispose(&b);
            return NULL;
        }
        buf_puts(&b, val);
        p = end + 1;
    }
    const char *r = b.failed ? NULL : arena_strdup(a, buf_str(&b));
    buf_dispose(&b);
    return r;
}

json_t *cp_vars_config(arena *a, const json_t *x, const json_t *cfg, const char **bad)
{
    json_t *o = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cfg, k, v) {
        const char *s = json_string_value(v);
        const char *r = s ? cp_vars_resolve(a, x, s, bad) : NULL;
        if (s && !r) {
            json_decref(o);
            return NULL;
        }
        if (o && json_object_set_new(o, k, s ? json_string(r) : json_deep_copy(v))) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
