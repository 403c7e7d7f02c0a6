/* Tag lists (see jtags.h). */
#include "jtags.h"

#include <string.h>

#include "jval.h"

const jtags_names jtags_upper = {"Tags", "Key", "Value"};
const jtags_names jtags_lower = {"tags", "key", "value"};

/* A tag's key equals k (a tag without a key matches nothing). */
static int key_is(const json_t *tag, const char *name, const char *k)
{
    const char *have = jstr(tag, name);
    return have && k && !strcmp(have, k);
}

int jtags_merge_named(json_t *doc, const jtags_names *n, const json_t *tags)
{
    json_t *cur = json_object_get(doc, n->list);
    if (!json_is_array(cur)) {
        cur = json_array();
        if (json_object_set_new(doc, n->list, cur)) return -1;
    }
    size_t i, j;
    json_t *t, *e;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, n->key), *v = jstr(t, n->value);
        int found = 0;
        json_array_foreach(cur, j, e) {
            if (key_is(e, n->key, k)) {
                if (json_object_set_new(e, n->value, json_string(v ? v : ""))) return -1;
                found = 1;
                break;
            }
        }
        if (!found && k &&
            json_array_append_new(cur, json_pack("{s:s, s:s}", n->key, k, n->value, v ? v : "")))
            return -1;
    }
    return 0;
}

void jtags_remove_named(json_t *doc, const jtags_names *n, const json_t *keys)
{
    json_t *cur = json_object_get(doc, n->list);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        for (size_t j = json_array_size(cur); j-- > 0;)
            if (key_is(json_array_get(cur, j), n->key, json_string_value(k)))
                json_array_remove(cur, j);
    }
}

int jtags_merge(json_t *doc, const json_t *tags)
{
    return jtags_merge_named(doc, &jtags_upper, tags);
}

void jtags_remove(json_t *doc, const json_t *keys)
{
    jtags_remove_named(doc, &jtags_upper, keys);
}
