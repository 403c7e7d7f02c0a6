/* Resource policies: AddPermission, RemovePermission, GetPolicy. One policy per function
 * and one per qualifier (a version or an alias), kept as AWS shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/ids.h"
#include "lambda_int.h"

/* The function and the policy slot the input names ("" or the qualifier). */
static int open_policy(call *c, const json_t *in, const char *action, lambda_ref *r, json_t **doc,
                       const char **res)
{
    if (lambda_open(c, jstr(in, "FunctionName"), jstr(in, "Qualifier"), action, r, doc, res))
        return -1;
    return r->qualifier && !lambda_config(c, *doc, r, NULL) ? -1 : 0;
}

/* "*", an account id, an IAM ARN, or a service ("sns.amazonaws.com"). */
static int valid_principal(const char *p)
{
    size_t n = strlen(p);
    if (!strcmp(p, "*") || (n == 12 && strspn(p, "0123456789") == 12)) return 1;
    if (arn_rest(p, "iam")) return 1;
    const char *dot = strchr(p, '.');
    return dot && dot != p && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n &&
           (strstr(p, ".amazonaws.com") || strstr(p, ".amazon.com"));
}

/* AWS: an account id becomes its root ARN, a service stays a service, "*" anyone. */
static json_t *principal_of(call *c, const char *p)
{
    if (!strcmp(p, "*")) return json_string("*");
    if (strlen(p) == 12 && strspn(p, "0123456789") == 12) {
        char arn[64];
        arn_root(arn, sizeof(arn), p, c->region);
        return json_pack("{s:s}", "AWS", arn);
    }
    if (!strncmp(p, "arn:", 4)) return json_pack("{s:s}", "AWS", p);
    return json_pack("{s:s}", "Service", p);
}

int lambda_op_add_permission(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *res;
    if (open_policy(c, in, "lambda:AddPermission", &r, &doc, &res)) return -1;
    call_resource(c, "AWS::Lambda::Function", res);
    if (strcmp(r.account, c->account))
        return ferr_set(c->err, 403, "AccessDeniedException",
                        "Cross-account changes of function policies are not supported");
    const char *sid = jstr(in, "StatementId"), *action = jstr(in, "Action");
    const char *who = jstr(in, "Principal");
    if (strncasecmp(action, "lambda:", 7) && strcmp(action, "*"))
        return lambda_invalid(c, "Invalid action: %s", action);
    if (!valid_principal(who))
        return lambda_invalid(c, "The provided principal was invalid. Please check the principal "
                                 "and try again.");
    json_t *pols = json_object_get(doc, "Policies");
    const char *slot = r.qualifier ? r.qualifier : "";
    json_t *pol = json_object_get(pols, slot);
    json_t *latest = json_object_get(doc, "Latest");
    if (lambda_check_revision(c, in, latest, "GetPolicy")) return -1;
    if (lambda_sid_taken(c, pol, sid)) return -1;
    json_t *cond = json_object(),
           *s = json_pack("{s:s, s:s, s:o, s:s, s:s}", "Sid", sid, "Effect", "Allow", "Principal",
                          principal_of(c, who), "Action", action, "Resource", res);
    if (!cond || !s || !arena_defer_json(c->a, s)) {
        json_decref(cond);
        return ferr_oom(c->err);
    }
    int bad = 0;
    const char *src = jstr(in, "SourceArn"), *acct = jstr(in, "SourceAccount"),
               *org = jstr(in, "PrincipalOrgID"), *tok = jstr(in, "EventSourceToken");
    json_t *eq = json_object();
    bad |= !eq;
    if (acct) bad |= jset_str(eq, "AWS:SourceAccount", acct);
    if (org) bad |= jset_str(eq, "aws:PrincipalOrgID", org);
    if (tok) bad |= jset_str(eq, "lambda:EventSourceToken", tok);
    if (json_object_size(eq)) bad |= json_object_set(cond, "StringEquals", eq);
    json_decref(eq);
    if (src) bad |= json_object_set_new(cond, "ArnLike", json_pack("{s:s}", "AWS:SourceArn", src));
    if (json_object_size(cond)) bad |= json_object_set(s, "Condition", cond);
    json_decref(cond);
    if (!pol) {
        pol = json_pack("{s:s, s:s, s:[]}", "Version", "2012-10-17", "Id", "default", "Statement");
        bad |= json_object_set_new(pols, slot, pol);
    }
    bad |= json_array_append(json_object_get(pol, "Statement"), s);
    char rev[37];
    ids_uuid(rev);
    bad |= jset_str(latest, "RevisionId", rev);
    char *text = bad ? NULL : json_dumps(s, JSON_COMPACT);
    if (!text) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s}", "Statement", text));
    free(text);
    return lambda_save(c, r.name, doc);
}

int lambda_op_remove_permission(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    const char *res;
    if (open_policy(c, in, "lambda:RemovePermission", &r, &doc, &res)) return -1;
    call_resource(c, "AWS::Lambda::Function", res);
    if (strcmp(r.account, c->account))
        return ferr_set(c->err, 403, "AccessDeniedException",
                        "Cross-account changes of function policies are not supported");
    json_t *latest = json_object_get(doc, "Latest");
    if (lambda_check_revision(c, in, latest, "GetPolicy")) return -1;
    json_t *pols = json_object_get(doc, "Policies");
    const char *slot = r.qualifier ? r.qualifier : "", *sid = jstr(in, "StatementId");
    json_t *pol = json_object_get(pols, slot), *sts = json_object_get(pol, "Statement");
    if (!pol) return lambda_not_found(c, "No policy is associated with the given resource.");
    size_t i;
    json_t *st;
    json_array_foreach(sts, i, st) {
        if (strcmp(jstr(st, "Sid"), sid)) continue;
        if (json_array_remove(sts, i)) return ferr_oom(c->err);
        if (!json_array_size(sts) && json_object_del(pols, slot)) return ferr_oom(c->err);
        char rev[37];
        ids_uuid(rev);
        if (jset_str(latest, "RevisionId", rev)) return ferr_oom(c->err);
        return lambda_save(c, r.name, doc);
    }
    return lambda_not_found(c, "Statement %s is not found in resource policy.", sid);
}

int lambda_op_get_policy(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *res;
    if (open_policy(c, in, "lambda:GetPolicy", &r, &doc, &res)) return -1;
    json_t *pol = json_object_get(json_object_get(doc, "Policies"), r.qualifier ? r.qualifier : "");
    if (!pol) return lambda_not_found(c, "The resource you requested does not exist.");
    char *text = json_dumps(pol, JSON_COMPACT);
    if (!text) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s}", "Policy", text, "RevisionId",
                                jstr(json_object_get(doc, "Latest"), "RevisionId")));
    free(text);
    return 0;
}
