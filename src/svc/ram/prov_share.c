/* AWS::RAM::ResourceShare. Ref = the share's ARN; GetAtt Arn. Name and
 * AllowExternalPrincipals change in place (UpdateResourceShare), ResourceArns and
 * Principals by associating and disassociating the difference, Tags by tagging; the share
 * carries CloudFormation's aws:cloudformation:* tags, by which a create interrupted before
 * its ARN was recorded is found and deleted (the ARN is RAM's to pick). */
#include <stdlib.h>
#include <string.h>

#include "base/jval.h"
#include "engine/stacks/prov_int.h"
#include "ram_int.h"

static const prov_prop schema[] = {
    {"Name", PT_STR, 1},
    {"AllowExternalPrincipals", PT_BOOL, 0},
    {"Principals", PT_STRLIST, 0},
    {"ResourceArns", PT_STRLIST, 0},
    {"PermissionArns", PT_STRLIST, 0},
    {"Sources", PT_STRLIST, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

/* What cfn_intent announces before the share exists: the stack's logical marker. */
#define PENDING "pending"

/* [{Key, Value}] -> RAM's [{key, value}]. New reference, NULL out of memory. */
static json_t *ram_tags(const json_t *list)
{
    json_t *v = json_array(), *x;
    size_t i;
    int rc = !v;
    json_array_foreach(list, i, x)
        rc |=
            !v || json_array_append_new(v, json_pack("{s:O, s:O}", "key", json_object_get(x, "Key"),
                                                     "value", json_object_get(x, "Value")));
    return jdone(v, rc);
}

/* Deletes the share arn (NULL: the ACTIVE shares this resource of this stack made). A
 * share already deleted or gone counts as deleted. */
static int share_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    int arn = id && !strncmp(id, "arn:", 4);
    json_t *in =
        arn ? json_pack("{s:s, s:s, s:[s]}", "resourceOwner", "SELF", "resourceShareStatus",
                        "ACTIVE", "resourceShareArns", id)
            : json_pack("{s:s, s:s, s:[{s:s, s:[s]}, {s:s, s:[s]}]}", "resourceOwner", "SELF",
                        "resourceShareStatus", "ACTIVE", "tagFilters", "tagKey",
                        "aws:cloudformation:stack-id", "tagValues", p->stack_id ? p->stack_id : "",
                        "tagKey", "aws:cloudformation:logical-id", "tagValues",
                        p->logical_id ? p->logical_id : "");
    json_t *out = NULL, *s;
    if (prov_call(p, "ram", "GetResourceShares", in, &out)) return -1;
    size_t i;
    int rc = 0;
    json_array_foreach(json_object_get(out, "resourceShares"), i, s) {
        if (!rc)
            rc = prov_call_gone_ok(
                p, NULL, "ram", "DeleteResourceShare",
                json_pack("{s:O}", "resourceShareArn", json_object_get(s, "resourceShareArn")));
    }
    json_decref(out);
    return rc;
}

static int share_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    json_t *all = prov_tags(p, json_object_get(pr, "Tags"), 1);
    json_t *tags = all ? ram_tags(all) : NULL;
    json_decref(all);
    json_t *in = json_pack(
        "{s:O, s:O?, s:O?, s:O?, s:O?, s:o?}", "name", json_object_get(pr, "Name"), "resourceArns",
        json_object_get(pr, "ResourceArns"), "principals", json_object_get(pr, "Principals"),
        "permissionArns", json_object_get(pr, "PermissionArns"), "sources",
        json_object_get(pr, "Sources"), "tags", tags);
    if (in && json_is_boolean(json_object_get(pr, "AllowExternalPrincipals")) &&
        json_object_set(in, "allowExternalPrincipals",
                        json_object_get(pr, "AllowExternalPrincipals"))) {
        json_decref(in);
        in = NULL;
    }
    if (!in) return ferr_oom(p->e);
    if (cfn_intent(p, PENDING)) {
        json_decref(in);
        return -1;
    }
    json_t *out = NULL;
    if (prov_call(p, "ram", "CreateResourceShare", in, &out)) return -1;
    const char *arn = jstr(json_object_get(out, "resourceShare"), "resourceShareArn");
    *id = arn ? strdup(arn) : NULL;
    *attrs = arn ? json_pack("{s:s}", "Arn", arn) : NULL;
    json_decref(out);
    return *id && *attrs ? 0 : ferr_oom(p->e);
}

/* Associates (op "AssociateResourceShare") or disassociates the items of list under key. */
static int assoc(cfn_pctx *p, const char *op, const char *arn, const char *key, json_t *list)
{
    if (!list) return ferr_oom(p->e);
    if (!json_array_size(list)) {
        json_decref(list);
        return 0;
    }
    return prov_call(p, "ram", op, json_pack("{s:s, s:o}", "resourceShareArn", arn, key, list),
                     NULL);
}

static int share_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                        const json_t *np)
{
    (void)s;
    if (!prov_same(json_object_get(op, "Name"), json_object_get(np, "Name")) ||
        !prov_same(json_object_get(op, "AllowExternalPrincipals"),
                   json_object_get(np, "AllowExternalPrincipals"))) {
        json_t *ext = json_object_get(np, "AllowExternalPrincipals");
        json_t *in = json_pack("{s:s, s:O, s:b}", "resourceShareArn", id, "name",
                               json_object_get(np, "Name"), "allowExternalPrincipals",
                               ext ? json_is_true(ext) : 1);
        if (prov_call(p, "ram", "UpdateResourceShare", in, NULL)) return -1;
    }
    static const char *const lists[] = {"ResourceArns", "resourceArns", "Principals", "principals"};
    for (int i = 0; i < 4; i += 2) {
        const json_t *o = json_object_get(op, lists[i]), *n = json_object_get(np, lists[i]);
        json_t *empty = json_array();
        if (!empty) return ferr_oom(p->e);
        int rc = assoc(p, "DisassociateResourceShare", id, lists[i + 1],
                       prov_strlist_minus(o ? o : empty, n ? n : empty)) ||
                 assoc(p, "AssociateResourceShare", id, lists[i + 1],
                       prov_strlist_minus(n ? n : empty, o ? o : empty));
        json_decref(empty);
        if (rc) return -1;
    }
    if (prov_same(json_object_get(op, "Tags"), json_object_get(np, "Tags"))) return 0;
    json_t *ot = prov_tags(p, json_object_get(op, "Tags"), 0),
           *nt = prov_tags(p, json_object_get(np, "Tags"), 0), *set = NULL, *unset = NULL;
    int rc = !ot || !nt || prov_tags_diff(ot, nt, &set, &unset) ? ferr_oom(p->e) : 0;
    json_decref(ot);
    json_decref(nt);
    if (!rc && json_array_size(unset))
        rc = prov_call(p, "ram", "UntagResource",
                       json_pack("{s:s, s:O}", "resourceShareArn", id, "tagKeys", unset), NULL);
    if (!rc && json_array_size(set)) {
        json_t *t = ram_tags(set);
        rc = t ? prov_call(p, "ram", "TagResource",
                           json_pack("{s:s, s:o}", "resourceShareArn", id, "tags", t), NULL)
               : ferr_oom(p->e);
    }
    json_decref(set);
    json_decref(unset);
    return rc;
}

static int share_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)p;
    *attrs = json_pack("{s:s}", "Arn", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int share_del_any(cfn_pctx *p, const char *id, const json_t *props)
{
    return share_del(p, id && strcmp(id, PENDING) ? id : NULL, props);
}

static const prov_shape shape = {
    .schema = schema,
    .make = share_make,
    .change = share_change,
    .attrs = share_attrs,
    .del = share_del_any,
};

const cfn_provider cfn_provider_ram_resource_share = {
    .type = "AWS::RAM::ResourceShare",
    .shape = &shape,
    .del = share_del_any,
};
