/* CreateTags, DeleteTags, DescribeTags: tags live in each resource's document; the
 * resource's type is read from its id's prefix, as EC2 does. */
#include <string.h>

#include "base/jtags.h"
#include "ec2_int.h"

/* AWS: 50 tags per resource. */
#define TAGS_MAX 50

static const ec2_type *type_of(const char *id)
{
    const char *dash = id ? strrchr(id, '-') : NULL;
    for (int i = 0; dash && ec2_types[i]; i++)
        if (strlen(ec2_types[i]->prefix) == (size_t)(dash - id) &&
            !strncmp(id, ec2_types[i]->prefix, (size_t)(dash - id)))
            return ec2_types[i];
    return NULL;
}

/* Each resource named, loaded (arena) into docs, with its type. */
static int load_all(call *c, const json_t *in, const char *action, json_t **docs)
{
    *docs = arena_defer_json(c->a, json_array());
    if (!*docs) return ferr_oom(c->err);
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(in, "Resources"), i, r) {
        const char *id = json_string_value(r);
        const ec2_type *ty = type_of(id);
        json_t *d;
        if (!ty) return ferr_set(c->err, 400, "InvalidID", "The ID '%.64s' is not valid", id);
        if (ec2_get(c, ty, id, &d) || ec2_authz(c, action, ty, id)) return -1;
        if (json_array_append(*docs, d)) return ferr_oom(c->err);
    }
    return 0;
}

int ec2_op_create_tags(call *c, json_t *in, json_t **out)
{
    json_t *docs;
    if (ec2_ready(c) || load_all(c, in, "ec2:CreateTags", &docs)) return -1;
    size_t i, j;
    json_t *d;
    const json_t *t;
    json_array_foreach(json_object_get(in, "Tags"), j, t) {
        const char *k = jstr(t, "Key");
        if (!k || !*k || strlen(k) > 128 || !strncmp(k, "aws:", 4))
            return ferr_set(c->err, 400, "InvalidParameterValue",
                            "Tag key '%.130s' is not valid: keys are 1 to 128 characters and "
                            "may not begin with aws:",
                            k ? k : "");
    }
    json_array_foreach(docs, i, d) {
        const ec2_type *ty =
            type_of(json_string_value(json_array_get(json_object_get(in, "Resources"), i)));
        if (!json_object_get(d, "Tags") && json_object_set_new(d, "Tags", json_array()))
            return ferr_oom(c->err);
        /* tags without a Value get "" */
        json_t *tags = json_array();
        json_array_foreach(json_object_get(in, "Tags"), j, t) {
            if (!tags ||
                json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", jstr(t, "Key"), "Value",
                                                      jstr(t, "Value") ? jstr(t, "Value") : ""))) {
                json_decref(tags);
                return ferr_oom(c->err);
            }
        }
        int rc = jtags_merge(d, tags);
        json_decref(tags);
        if (rc) return ferr_oom(c->err);
        if (json_array_size(json_object_get(d, "Tags")) > TAGS_MAX)
            return ferr_set(c->err, 400, "TagLimitExceeded",
                            "The maximum number of Tags for a resource has been reached.");
        if (ec2_put(c, ty, d)) return -1;
    }
    return ec2_ok(c, out);
}

int ec2_op_delete_tags(call *c, json_t *in, json_t **out)
{
    json_t *docs;
    if (ec2_ready(c) || load_all(c, in, "ec2:DeleteTags", &docs)) return -1;
    size_t i, j;
    json_t *d;
    const json_t *want;
    json_array_foreach(docs, i, d) {
        const ec2_type *ty =
            type_of(json_string_value(json_array_get(json_object_get(in, "Resources"), i)));
        json_t *tags = json_object_get(d, "Tags");
        /* AWS: no Tags removes them all; a Value given removes the tag only when it matches */
        const json_t *list = json_object_get(in, "Tags");
        for (size_t k = json_array_size(tags); k-- > 0;) {
            const json_t *t = json_array_get(tags, k);
            int drop = !json_array_size(list);
            json_array_foreach(list, j, want) {
                if (strcmp(jstr(want, "Key"), jstr(t, "Key"))) continue;
                const char *v = jstr(want, "Value");
                if (!v || !strcmp(v, jstr(t, "Value") ? jstr(t, "Value") : "")) drop = 1;
            }
            if (drop && json_array_remove(tags, k)) return ferr_oom(c->err);
        }
        if (ec2_put(c, ty, d)) return -1;
    }
    return ec2_ok(c, out);
}

static const ec2_filter tag_filters[] = {
    {"resource-id", "ResourceId"},
    {"resource-type", "ResourceType"},
    {"key", "Key"},
    {"value", "Value"},
    {NULL, NULL},
};
static const ec2_type tag_type = {"", "", "ResourceId", "", "", "", "", tag_filters};

int ec2_op_describe_tags(call *c, json_t *in, json_t **out)
{
    const json_t *filters = json_object_get(in, "Filters");
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeTags", &ec2_vpc, NULL) ||
        ec2_filters_ok(c, &tag_type, filters))
        return -1;
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    for (int x = 0; ec2_types[x]; x++) {
        json_t *docs = ec2_all(c, ec2_types[x], NULL);
        if (!docs) return -1;
        size_t i, j;
        const json_t *d, *t;
        json_array_foreach(docs, i, d)
            json_array_foreach(json_object_get(d, "Tags"), j, t) {
                json_t *row =
                    json_pack("{s:s, s:s, s:s, s:s}", "ResourceId", jstr(d, ec2_types[x]->id_key),
                              "ResourceType", ec2_types[x]->tag_type, "Key", jstr(t, "Key"),
                              "Value", jstr(t, "Value") ? jstr(t, "Value") : "");
                if (!row) return ferr_oom(c->err);
                if (!ec2_passes(&tag_type, row, filters)) {
                    json_decref(row);
                    continue;
                }
                if (json_array_append_new(all, row)) return ferr_oom(c->err);
            }
    }
    json_t *o = svc_out(c, json_object());
    if (!o) return -1;
    *out = o;
    return svc_page(c, all, jstr(in, "NextToken"), jint(in, "MaxResults", 0), o, "Tags",
                    "NextToken", "InvalidNextToken");
}
