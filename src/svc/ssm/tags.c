/* Tags of parameters (ResourceType Parameter, ResourceId the parameter's name). */
#include <string.h>

#include "ssm_int.h"

/* The parameter a tagging request names: 0 and *doc, or -1 with AWS's errors. */
static int tag_target(call *c, const json_t *in, const char *action, ssm_ref *r, json_t **doc)
{
    const char *type = jstr(in, "ResourceType"), *id = jstr(in, "ResourceId");
    if (strcmp(type, "Parameter"))
        /* the other SSM resources (documents, maintenance windows...) are not in ferry */
        return ferr_set(c->err, 400, "InvalidResourceId", "%s", "");
    if (ssm_ref_parse(c, id, 0, r) || ssm_authorize(c, action, r->account, r->name)) return -1;
    int rc = strcmp(r->account, c->account) ? 0 : ssm_load(c, r, doc);
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 400, "InvalidResourceId", "%s", "");
    return 0;
}

static int tag_index(const json_t *tags, const char *key)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        if (!strcmp(jstr(t, "Key"), key)) return (int)i;
    }
    return -1;
}

int ssm_op_add_tags_to_resource(call *c, json_t *in, json_t **out)
{
    ssm_ref r;
    json_t *doc;
    if (tag_target(c, in, "ssm:AddTagsToResource", &r, &doc)) return -1;
    json_t *tags = json_object_get(doc, "Tags");
    if (!tags) {
        tags = json_array();
        if (json_object_set_new(doc, "Tags", tags)) return ferr_oom(c->err);
    }
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "Tags"), i, t) {
        int at = tag_index(tags, jstr(t, "Key"));
        if (at >= 0 ? json_array_set(tags, (size_t)at, t) : json_array_append(tags, t))
            return ferr_oom(c->err);
    }
    if (json_array_size(tags) > SSM_MAX_TAGS)
        return ferr_set(c->err, 400, "TooManyTagsError",
                        "The Tags parameter contains too many tags. A resource can have at most "
                        "50 tags.");
    if (ssm_save(c, r.name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int ssm_op_remove_tags_from_resource(call *c, json_t *in, json_t **out)
{
    ssm_ref r;
    json_t *doc;
    if (tag_target(c, in, "ssm:RemoveTagsFromResource", &r, &doc)) return -1;
    json_t *tags = json_object_get(doc, "Tags");
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k) {
        int at = tag_index(tags, json_string_value(k));
        if (at >= 0 && json_array_remove(tags, (size_t)at)) return ferr_oom(c->err);
    }
    if (ssm_save(c, r.name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int ssm_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    ssm_ref r;
    json_t *doc;
    if (tag_target(c, in, "ssm:ListTagsForResource", &r, &doc)) return -1;
    json_t *tags = json_object_get(doc, "Tags");
    *out = svc_out(c, tags ? json_pack("{s:O}", "TagList", tags) : json_pack("{s:[]}", "TagList"));
    return 0;
}
