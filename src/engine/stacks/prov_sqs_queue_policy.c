/* AWS::SQS::QueuePolicy: PolicyDocument set as the Policy attribute of each queue in Queues
 * (queue URLs). Ref (and GetAtt Id) = an id CloudFormation generates. Both properties
 * change in place; a queue leaving the list, or the resource going, gets its policy
 * removed (Policy ""). */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"PolicyDocument", PT_JSON, 1},
    {"Queues", PT_STRLIST, 1},
    {NULL, 0, 0},
};

static int set_policy(cfn_pctx *p, const char *url, const char *doc)
{
    json_t *in = json_pack("{s:s, s:{s:s}}", "QueueUrl", url, "Attributes", "Policy", doc);
    if (!*doc) return prov_call_gone_ok(p, NULL, "sqs", "SetQueueAttributes", in);
    return prov_call(p, "sqs", "SetQueueAttributes", in, NULL);
}

/* Sets doc on the queues of list not in skip (NULL = none). */
static int set_all(cfn_pctx *p, const json_t *list, const json_t *skip, const char *doc)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        const char *url = json_string_value(x);
        if (!url || (skip && prov_strlist_has(skip, url))) continue;
        if (set_policy(p, url, doc)) return -1;
    }
    return 0;
}

static int qp_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    json_t *pr = prov_props_old(p, props, schema);
    int rc = set_all(p, json_object_get(pr, "Queues"), NULL, "");
    json_decref(pr);
    return rc;
}

static int qp_create(cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr;
    if (prov_props(p, props, schema, &pr)) return -1;
    int rc = -1;
    char *doc = prov_doc_text(json_object_get(pr, "PolicyDocument"));
    char *id = prov_generated_id(p);
    if (!doc || !id) {
        ferr_oom(p->e);
        goto out;
    }
    if (set_all(p, json_object_get(pr, "Queues"), NULL, doc)) {
        prov_undo(p, qp_del, id, pr);
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

static int qp_update(cfn_pctx *p, const char *id, const json_t *old_props,
                     const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, schema), *np = NULL, *gone = NULL;
    char *doc = NULL;
    int rc = -1;
    if (prov_props(p, new_props, schema, &np)) goto out;
    if (!(doc = prov_doc_text(json_object_get(np, "PolicyDocument")))) {
        ferr_oom(p->e);
        goto out;
    }
    int same = prov_doc_equal(json_object_get(op, "PolicyDocument"),
                              json_object_get(np, "PolicyDocument"));
    gone = prov_strlist_minus(json_object_get(op, "Queues"), json_object_get(np, "Queues"));
    if (set_all(p, json_object_get(np, "Queues"), same ? json_object_get(op, "Queues") : NULL,
                doc) ||
        set_all(p, gone, NULL, ""))
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

const cfn_provider cfn_provider_sqs_queue_policy = {
    .type = "AWS::SQS::QueuePolicy",
    .create = qp_create,
    .update = qp_update,
    .del = qp_del,
};
