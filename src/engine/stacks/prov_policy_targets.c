/* Resources that set one PolicyDocument on every target of a list property
 * (AWS::SNS::TopicPolicy on Topics, AWS::SQS::QueuePolicy on Queues). Both properties
 * change in place; a target leaving the list, or every target when the resource goes, gets
 * ap->clear. */
#include <stdlib.h>

#include "prov_int.h"

/* Sets doc on the targets of list not in skip (NULL = none). */
static int set_all(const prov_policy_targets *ap, cfn_pctx *p, const json_t *list,
                   const json_t *skip, const char *doc)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *target = json_string_value(x);
        if (!target || (skip && prov_strlist_has(skip, target))) continue;
        if (ap->set(p, target, doc)) return -1;
    }
    return 0;
}

int prov_pt_del(const prov_policy_targets *ap, cfn_pctx *p, const json_t *props)
{
    json_t *pr = prov_props_old(p, props, ap->schema);
    int rc = set_all(ap, p, json_object_get(pr, ap->list), NULL, ap->clear);
    json_decref(pr);
    return rc;
}

int prov_pt_create(const prov_policy_targets *ap, cfn_pctx *p, const json_t *props,
                   json_t **result)
{
    json_t *pr;
    if (prov_props(p, props, ap->schema, &pr)) return -1;
    int rc = -1;
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    char *id = prov_generated_id(p);
    if (!doc || !id) {
        ferr_oom(p->e);
        goto out;
    }
    if (set_all(ap, p, json_object_get(pr, ap->list), NULL, doc)) {
        /* best effort undo, keeping the error that caused it, as prov_undo does */
        ferr *keep = p->e, scratch = {0};
        p->e = &scratch;
        set_all(ap, p, json_object_get(pr, ap->list), NULL, ap->clear);
        p->e = keep;
        goto out;
    }
    *result = prov_result(id, json_pack("{s:s}", "Id", id));
    rc = *result ? 0 : ferr_oom(p->e);
out:
    free(doc);
    free(id);
    json_decref(pr);
    return rc;
}

int prov_pt_update(const prov_policy_targets *ap, cfn_pctx *p, const char *id,
                   const json_t *old_props, const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, ap->schema), *np = NULL, *gone = NULL;
    char *doc = NULL;
    int rc = -1;
    if (prov_props(p, new_props, ap->schema, &np)) goto out;
    if (!(doc = prov_doc_text(json_object_get(np, "PolicyDocument")))) {
        ferr_oom(p->e);
        goto out;
    }
    int same = prov_doc_equal(json_object_get(op, "PolicyDocument"),
                              json_object_get(np, "PolicyDocument"));
    gone = prov_strlist_minus(json_object_get(op, ap->list), json_object_get(np, ap->list));
    if (set_all(ap, p, json_object_get(np, ap->list), same ? json_object_get(op, ap->list) : NULL,
                doc) ||
        set_all(ap, p, gone, NULL, ap->clear))
        goto out;
    *result = prov_result(id, json_pack("{s:s}", "Id", id));
    rc = *result ? 0 : ferr_oom(p->e);
out:
    free(doc);
    json_decref(gone);
    json_decref(op);
    json_decref(np);
    return rc;
}
