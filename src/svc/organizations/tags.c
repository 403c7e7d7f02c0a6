/* AWS Organizations tags: TagResource, UntagResource and ListTagsForResource on the root,
 * OUs, accounts and policies. Tags live on the target's own document ("Tags", the root's
 * on the organization document's "Root"); views strip them. AWS: only the management
 * account; an unknown id is TargetNotFoundException; at most 50 tags per resource. */
#include <string.h>

#include "base/jtags.h"
#include "base/jval.h"
#include "organizations.h"
#include "organizations_int.h"
#include "scp.h"

#define MAX_TAGS 50

/* The document holding the tags of id: *doc (new ref) is written back under *k, *place is
 * the object in it carrying "Tags". 0, or -1 with TargetNotFoundException. */
static int tag_holder(call *c, const json_t *org, const char *id, json_t **doc, store_key *k,
                      json_t **place)
{
    int rc;
    *doc = NULL;
    if (id && !strncmp(id, "p-", 2)) {
        /* the full-access policies are AWS managed and not stored: they cannot be tagged */
        *k = (store_key){"orgpolicy", "", "", id};
        rc = strcmp(id, ORG_FULL_ACCESS_ID) && strcmp(id, ORG_RCP_FULL_ACCESS_ID)
                 ? store_get(c->txn, k, doc, c->err)
                 : 0;
        *place = *doc;
    } else {
        const char *type;
        json_t *t = NULL;
        if (orgsvc_target(c, org, id, &type, &t)) return -1;
        json_decref(t);
        if (!strcmp(type, "ROOT")) {
            *k = (store_key){"org", "", "", "org"};
            *doc = json_deep_copy(org);
            if (!*doc) return ferr_oom(c->err);
            *place = json_object_get(*doc, "Root");
            return 0;
        }
        *k = (store_key){!strcmp(type, "ACCOUNT") ? "account" : "ou", "", "", id};
        rc = store_get(c->txn, k, doc, c->err);
        *place = *doc;
    }
    if (rc < 0) return -1;
    return rc == 0 ? orgsvc_target_not_found(c) : 0;
}

int orgsvc_check_tags(call *c, const json_t *have, const json_t *add)
{
    json_t *scratch = json_pack("{s:O}", "Tags", have ? (json_t *)have : json_array());
    if (!scratch || jtags_merge(scratch, add)) {
        json_decref(scratch);
        return ferr_oom(c->err);
    }
    size_t n = json_array_size(json_object_get(scratch, "Tags"));
    json_decref(scratch);
    if (n > MAX_TAGS)
        return ferr_set(c->err, 400, "ConstraintViolationException",
                        "You have exceeded the maximum number of tags allowed on this resource.");
    return 0;
}

static int begin(call *c, const char *action, json_t **org)
{
    return call_authorize(c, action, "*") || orgsvc_load(c, 1, org) ? -1 : 0;
}

int organizations_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *doc = NULL, *place;
    store_key k;
    const json_t *tags = json_object_get(in, "Tags");
    if (begin(c, "organizations:TagResource", &org)) return -1;
    int rc = tag_holder(c, org, jstr(in, "ResourceId"), &doc, &k, &place);
    json_decref(org);
    if (!rc) rc = orgsvc_check_tags(c, json_object_get(place, "Tags"), tags);
    if (!rc) rc = jtags_merge(place, tags) ? ferr_oom(c->err) : store_put(c->txn, &k, doc, c->err);
    json_decref(doc);
    return rc;
}

int organizations_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *doc = NULL, *place;
    store_key k;
    if (begin(c, "organizations:UntagResource", &org)) return -1;
    int rc = tag_holder(c, org, jstr(in, "ResourceId"), &doc, &k, &place);
    json_decref(org);
    if (!rc) {
        jtags_remove(place, json_object_get(in, "TagKeys"));
        rc = store_put(c->txn, &k, doc, c->err);
    }
    json_decref(doc);
    return rc;
}

int organizations_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *org, *doc = NULL, *place;
    store_key k;
    if (begin(c, "organizations:ListTagsForResource", &org)) return -1;
    int rc = tag_holder(c, org, jstr(in, "ResourceId"), &doc, &k, &place);
    json_decref(org);
    if (rc) return -1;
    json_t *tags = json_object_get(place, "Tags");
    tags = tags ? json_incref(tags) : json_array();
    json_decref(doc);
    return orgsvc_page(c, in, tags, "Tags", out);
}
