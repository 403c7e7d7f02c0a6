/* What a target receives: the whole event, its Input (constant JSON), the part InputPath
 * selects, or InputTransformer's template with the values InputPathsMap selects.
 *
 * Paths are the JSONPath subset AWS documents for them: $ followed by .name, ['name'] and
 * [index] steps. Template placeholders <name> are replaced as AWS does: inside a JSON
 * string by the value's text (a string without its quotes), elsewhere by its JSON (a
 * string quoted); a path that selects nothing gives "" / null. The predefined
 * <aws.events.event>, <aws.events.event.json>, <aws.events.rule-arn>, <aws.events.rule-name>
 * and <aws.events.event.ingestion-time> need no path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "events_int.h"

#define MAX_PATHS    100  /* AWS: InputPathsMap entries */
#define MAX_TEMPLATE 8192 /* AWS: InputTemplate length */
#define MAX_PATH     256  /* AWS: InputPath length */

/* Follows path from root: 0 with *out (borrowed; NULL when nothing is there), -1 when the
 * path is not one AWS takes. */
static int jpath(const char *path, const json_t *root, const json_t **out)
{
    if (!path || path[0] != '$' || strlen(path) > MAX_PATH) return -1;
    const json_t *cur = root;
    const char *p = path + 1;
    char name[MAX_PATH + 1];
    while (*p) {
        size_t n = 0;
        if (*p == '.') {
            p++;
            while (*p && *p != '.' && *p != '[') name[n++] = *p++;
            if (!n) return -1;
            name[n] = 0;
            cur = json_is_object(cur) ? json_object_get(cur, name) : NULL;
        } else if (*p == '[' && p[1] == '\'') {
            p += 2;
            while (*p && *p != '\'') name[n++] = *p++;
            if (p[0] != '\'' || p[1] != ']') return -1;
            p += 2;
            name[n] = 0;
            cur = json_is_object(cur) ? json_object_get(cur, name) : NULL;
        } else if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || i < 0) return -1;
            p = end + 1;
            cur = json_is_array(cur) ? json_array_get(cur, (size_t)i) : NULL;
        } else {
            return -1;
        }
    }
    *out = cur;
    return 0;
}

const char *events_target_check(const json_t *target)
{
    const json_t *dummy, *tr = json_object_get(target, "InputTransformer");
    const char *ip = jstr(target, "InputPath");
    if (ip && jpath(ip, NULL, &dummy)) return "Parameter InputPath is not valid.";
    if (!tr) return NULL;
    const char *tpl = jstr(tr, "InputTemplate");
    if (!tpl) return "Parameter InputTemplate must be specified.";
    if (strlen(tpl) > MAX_TEMPLATE) return "Parameter InputTemplate is not valid.";
    const json_t *map = json_object_get(tr, "InputPathsMap");
    if (json_object_size(map) > MAX_PATHS)
        return "InputPathsMap has more than 100 key-value pairs.";
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)map, k, v) {
        if (!strncmp(k, "aws.events.", 11))
            return "Parameter InputPathsMap is not valid. Reason: Key names beginning with "
                   "'aws.events.' are reserved.";
        if (jpath(json_string_value(v), NULL, &dummy))
            return "Parameter InputPathsMap is not valid.";
    }
    return NULL;
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Appends v where a placeholder stood: inside a string (quoted) or not. */
static int put_value(buf *b, const json_t *v, int quoted)
{
    if (!v) return quoted ? 0 : buf_puts(b, "null");
    char *text = dump(v);
    if (!text) return -1;
    int rc;
    if (quoted && json_is_string(v)) {
        size_t n = strlen(text);
        rc = buf_put(b, text + 1, n - 2); /* its JSON escapes, without the quotes */
    } else if (quoted) {
        /* an object or number inside a string: its JSON, escaped for the string */
        json_t *s = json_string(text);
        char *esc = s ? dump(s) : NULL;
        rc = esc ? buf_put(b, esc + 1, strlen(esc) - 2) : -1;
        free(esc);
        json_decref(s);
    } else {
        rc = buf_puts(b, text);
    }
    free(text);
    return rc;
}

static char *transform(const json_t *tr, const json_t *event, const char *rule_arn,
                       const char *rule_name, ferr *e)
{
    const char *tpl = jstr(tr, "InputTemplate");
    const json_t *map = json_object_get(tr, "InputPathsMap");
    buf b;
    buf_init(&b, 0);
    int quoted = 0, rc = 0;
    for (const char *p = tpl; !rc && *p; p++) {
        if (*p == '\\' && quoted && p[1]) {
            rc = buf_put(&b, p, 2);
            p++;
            continue;
        }
        if (*p == '"') quoted = !quoted;
        const char *end = *p == '<' ? strchr(p + 1, '>') : NULL;
        if (!end) {
            rc = buf_put(&b, p, 1);
            continue;
        }
        char name[128];
        size_t n = (size_t)(end - p - 1);
        if (n >= sizeof(name)) {
            rc = buf_put(&b, p, 1);
            continue;
        }
        memcpy(name, p + 1, n);
        name[n] = 0;
        const json_t *v = NULL;
        json_t *own = NULL;
        const char *path = jstr(map, name);
        if (path) {
            if (jpath(path, event, &v)) v = NULL;
        } else if (!strcmp(name, "aws.events.event") || !strcmp(name, "aws.events.event.json")) {
            v = event;
        } else if (!strcmp(name, "aws.events.rule-arn")) {
            v = own = json_string(rule_arn);
        } else if (!strcmp(name, "aws.events.rule-name")) {
            v = own = json_string(rule_name);
        } else if (!strcmp(name, "aws.events.event.ingestion-time")) {
            v = json_object_get(event, "time");
        } else {
            rc = buf_put(&b, p, 1); /* not a placeholder: text */
            continue;
        }
        rc = put_value(&b, v, quoted);
        json_decref(own);
        p = end;
    }
    char *out = rc ? NULL : buf_take(&b);
    buf_dispose(&b);
    if (!out) ferr_oom(e);
    return out;
}

char *events_target_input(const json_t *target, const json_t *event, const char *rule_arn,
                          const char *rule_name, ferr *e)
{
    const char *input = jstr(target, "Input"), *path = jstr(target, "InputPath");
    const json_t *tr = json_object_get(target, "InputTransformer");
    if (input) {
        char *s = strdup(input);
        if (!s) ferr_oom(e);
        return s;
    }
    if (tr) return transform(tr, event, rule_arn, rule_name, e);
    const json_t *v = event;
    if (path && jpath(path, event, &v)) {
        ferr_set(e, 400, "ValidationException", "Parameter InputPath is not valid.");
        return NULL;
    }
    char *s = v ? dump(v) : strdup("null");
    if (!s) ferr_oom(e);
    return s;
}
