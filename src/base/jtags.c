/* Tag lists (see jtags.h). */
#include "jtags.h"

#include <string.h>

#include "jval.h"

int jtags_merge(json_t *doc, const json_t *tags)
{
    json_t *cur = json_object_get(doc, "Tags");
    if (!json_is_array(cur)) {
        cur = json_array();
        if (json_object_set_new(doc, "Tags", cur)) return -1;
    }
    size_t i, j;
    json_t *t, *e;
    json_array_foreach(tags, i, t) {
        int found = 0;
        json_array_foreach(cur, j, e) {
            if (!strcmp(jstr(e, "Key"), jstr(t, "Key"))) {
                if (json_object_set_new(e, "Value",
                                        json_string(jstr(t, "Value") ? jstr(t, "Value") : "")))
                    return -1;
                found = 1;
                break;
            }
        }
        if (!found &&
            json_array_append_new(cur, json_pack("{s:s, s:s}", "Key", jstr(t, "Key"), "Value",
                                                 jstr(t, "Value") ? jstr(t, "Value") : "")))
            return -1;
    }
    return 0;
}

void jtags_remove(json_t *doc, const json_t *keys)
{
    json_t *cur = json_object_get(doc, "Tags");
    size_t i, j;
    json_t *k;
    json_array_foreach(keys, i, k) {
        for (j = 0; j < json_array_size(cur); j++) {
            if (!strcmp(jstr(json_array_get(cur, j), "Key"),
                        json_string_value(k) ? json_string_value(k) : "")) {
                json_array_remove(cur, j);
                break;
            }
        }
    }
}
