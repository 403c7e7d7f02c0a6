/* The part every IAM tag family shares (users, roles, managed policies, instance profiles,
 * server certificates, MFA devices): each family loads and authorizes its entity, then
 * hands it here to merge, remove or list the "Tags" it carries. */
#include "iam_int.h"

int iamsvc_tags_op(call *c, iamsvc_tag_verb verb, json_t *doc, const json_t *in, json_t **out,
                   iamsvc_saver save)
{
    int rc = 0;
    if (verb == IAMSVC_TAG) {
        json_t *tags = json_object_get(in, "Tags");
        rc = iamsvc_check_tags(c, tags, json_object_get(doc, "Tags"));
        if (!rc) rc = jtags_merge(doc, tags) ? ferr_oom(c->err) : save(c, doc);
    } else if (verb == IAMSVC_UNTAG) {
        jtags_remove(doc, json_object_get(in, "TagKeys"));
        rc = save(c, doc);
    } else {
        json_t *tags = json_incref(json_object_get(doc, "Tags"));
        if (!tags) tags = json_array();
        *out = svc_out(c, json_object());
        rc = tags ? iamsvc_page(c, tags, in, *out, "Tags") : ferr_oom(c->err);
        json_decref(tags);
    }
    json_decref(doc);
    return rc;
}
