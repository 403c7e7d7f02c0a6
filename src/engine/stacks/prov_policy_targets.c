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

int prov_pt_finish(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *pr)
{
    (void)id;
    const prov_policy_targets *ap = s->data;
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    int rc = doc ? set_all(ap, p, json_object_get(pr, ap->list), NULL, doc) : ferr_oom(p->e);
    free(doc);
    return rc;
}

int prov_pt_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                   const json_t *np)
{
    (void)id;
    const prov_policy_targets *ap = s->data;
    char *doc = prov_doc_text(json_object_get(np, "PolicyDocument"));
    if (!doc) return ferr_oom(p->e);
    int same = prov_doc_equal(json_object_get(op, "PolicyDocument"),
                              json_object_get(np, "PolicyDocument"));
    json_t *gone = prov_strlist_minus(json_object_get(op, ap->list), json_object_get(np, ap->list));
    int rc = !gone ? ferr_oom(p->e)
             : set_all(ap, p, json_object_get(np, ap->list),
                       same ? json_object_get(op, ap->list) : NULL, doc) ||
                     set_all(ap, p, gone, NULL, ap->clear)
                 ? -1
                 : 0;
    json_decref(gone);
    free(doc);
    return rc;
}
