/* CodeCommit pull request approval rules, approvals and overrides. A pull request keeps its
 * rules in approvalRules (AWS's ApprovalRule shape), its approvals of the current revision
 * in _approvals (ARNs; a new revision starts over) and an override in _override
 * {overrider}. The rule content is approval.c's. */
#include <string.h>

#include "approval.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "codecommit_int.h"

/* AWS keeps at most this many approval rules on a pull request. */
#define MAX_RULES 25

int cc_pr_approved(const json_t *pr, json_t **evaluation)
{
    json_t *yes = json_array(), *no = json_array(), *r;
    const json_t *approvals = json_object_get(pr, "_approvals");
    size_t i;
    int rc = !yes || !no;
    json_array_foreach(json_object_get(pr, "approvalRules"), i, r) {
        json_t *rule = json_loads(jstr(r, "approvalRuleContent"), 0, NULL);
        json_t *name = json_object_get(r, "approvalRuleName");
        rc |= json_array_append(rule && ccrule_satisfied(rule, approvals) ? yes : no, name);
        json_decref(rule);
    }
    int overridden = json_object_get(pr, "_override") != NULL;
    int ok = overridden || !json_array_size(no);
    if (evaluation)
        *evaluation =
            rc ? NULL
               : json_pack("{s:b, s:b, s:O, s:O}", "approved", ok, "overridden", overridden,
                           "approvalRulesSatisfied", yes, "approvalRulesNotSatisfied", no);
    json_decref(yes);
    json_decref(no);
    return ok;
}

/* in's revisionId against pr's current one. */
static int revision(call *c, const json_t *pr, const json_t *in)
{
    const char *rev = jstr(in, "revisionId");
    if (!rev)
        return ferr_set(c->err, 400, "RevisionIdRequiredException",
                        "A revision ID is required, but was not provided.");
    if (strlen(rev) != 64)
        return ferr_set(c->err, 400, "InvalidRevisionIdException",
                        "The revision ID is not valid. Use GetPullRequest to determine the value.");
    if (strcmp(rev, jstr(pr, "revisionId")))
        return ferr_set(c->err, 400, "RevisionNotCurrentException",
                        "The revision ID provided in the request does not match the current "
                        "revision ID. Use GetPullRequest to retrieve the current revision ID.");
    return 0;
}

static int open_pr(call *c, const json_t *in, const char *action, json_t **pr, json_t **repo)
{
    if (cc_pr_load(c, jstr(in, "pullRequestId"), action, pr, repo)) return -1;
    if (strcmp(jstr(*pr, "pullRequestStatus"), "OPEN"))
        return ferr_set(c->err, 400, "PullRequestAlreadyClosedException",
                        "The pull request status cannot be updated because it is already closed.");
    return 0;
}

/* The rule named name in pr, or NULL with ApprovalRuleDoesNotExistException. */
static json_t *find_rule(call *c, const json_t *pr, const char *name, size_t *at)
{
    size_t i;
    json_t *r;
    if (!name) {
        ferr_set(c->err, 400, "ApprovalRuleNameRequiredException",
                 "An approval rule name is required, but was not specified.");
        return NULL;
    }
    json_array_foreach(json_object_get(pr, "approvalRules"), i, r)
        if (!strcmp(jstr(r, "approvalRuleName"), name)) {
            if (at) *at = i;
            return r;
        }
    ferr_set(c->err, 400, "ApprovalRuleDoesNotExistException",
             "The approval rule %s does not exist.", name);
    return NULL;
}

json_t *cc_rule_new(call *c, const char *name, const char *content, const json_t *origin)
{
    char id[37], sha[65];
    ids_uuid(id);
    enc_sha256_hex(content, strlen(content), sha);
    double now = clock_now();
    json_t *r =
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s}", "approvalRuleId", id, "approvalRuleName",
                  name, "approvalRuleContent", content, "ruleContentSha256", sha, "creationDate",
                  now, "lastModifiedDate", now, "lastModifiedUser", c->who->arn);
    if (r && origin && json_object_set(r, "originApprovalRuleTemplate", (json_t *)origin))
        json_decref(r), r = NULL;
    return r;
}

static int rule_event(call *c, json_t *pr, const char *type, const char *ev, const json_t *r)
{
    return cc_pr_event(c, pr, type, "approvalRuleEventMetadata",
                       json_pack("{s:O, s:O, s:O}", "approvalRuleName",
                                 json_object_get(r, "approvalRuleName"), "approvalRuleId",
                                 json_object_get(r, "approvalRuleId"), "approvalRuleContent",
                                 json_object_get(r, "approvalRuleContent"))) ||
                   cc_pr_save(c, pr) || cc_pr_emit(c, pr, ev, NULL)
               ? -1
               : 0;
}

int codecommit_op_create_pull_request_approval_rule(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *rule;
    const char *name = jstr(in, "approvalRuleName"), *content = jstr(in, "approvalRuleContent");
    if (!name)
        return ferr_set(c->err, 400, "ApprovalRuleNameRequiredException",
                        "An approval rule name is required, but was not specified.");
    if (!content)
        return ferr_set(c->err, 400, "ApprovalRuleContentRequiredException",
                        "The content for the approval rule is empty. You must provide some "
                        "content for an approval rule. The content cannot be null.");
    if (open_pr(c, in, "codecommit:CreatePullRequestApprovalRule", &pr, &repo)) return -1;
    if (ccrule_parse(content, "InvalidApprovalRuleContentException", &rule, c->err)) return -1;
    json_decref(rule);
    json_t *rules = json_object_get(pr, "approvalRules");
    if (find_rule(c, pr, name, NULL))
        return ferr_set(c->err, 400, "ApprovalRuleNameAlreadyExistsException",
                        "An approval rule with that name already exists. Approval rule names "
                        "must be unique within the scope of a pull request.");
    ferr_clear(c->err);
    if (json_array_size(rules) >= MAX_RULES)
        return ferr_set(c->err, 400, "NumberOfRulesExceededException",
                        "The approval rule cannot be added. The pull request has the maximum "
                        "number of approval rules associated with it.");
    json_t *r = cc_rule_new(c, name, content, NULL);
    if (!r || json_array_append_new(rules, r)) return ferr_oom(c->err);
    if (rule_event(c, pr, "PULL_REQUEST_APPROVAL_RULE_CREATED", "pullRequestApprovalRuleCreated",
                   r))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "approvalRule", r));
    return 0;
}

static int from_template(call *c, const json_t *r, const char *code, const char *verb)
{
    if (!json_object_get(r, "originApprovalRuleTemplate")) return 0;
    return ferr_set(c->err, 400, code,
                    "The approval rule cannot be %s. The approval rule was created by an approval "
                    "rule template and cannot be %s.",
                    verb, verb);
}

int codecommit_op_update_pull_request_approval_rule_content(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *rule, *r;
    const char *content = jstr(in, "newRuleContent"), *sha = jstr(in, "existingRuleContentSha256");
    if (open_pr(c, in, "codecommit:UpdatePullRequestApprovalRuleContent", &pr, &repo) ||
        !(r = find_rule(c, pr, jstr(in, "approvalRuleName"), NULL)))
        return -1;
    if (from_template(c, r, "CannotModifyApprovalRuleFromTemplateException", "modified")) return -1;
    if (!content)
        return ferr_set(c->err, 400, "ApprovalRuleContentRequiredException",
                        "The content for the approval rule is empty. You must provide some "
                        "content for an approval rule. The content cannot be null.");
    if (sha && strcmp(sha, jstr(r, "ruleContentSha256")))
        return ferr_set(c->err, 400, "InvalidRuleContentSha256Exception",
                        "The SHA-256 hash signature for the rule content is not valid.");
    if (ccrule_parse(content, "InvalidApprovalRuleContentException", &rule, c->err)) return -1;
    json_decref(rule);
    char hexd[65];
    enc_sha256_hex(content, strlen(content), hexd);
    if (jset_str(r, "approvalRuleContent", content) || jset_str(r, "ruleContentSha256", hexd) ||
        jset_str(r, "lastModifiedUser", c->who->arn) ||
        json_object_set_new(r, "lastModifiedDate", json_real(clock_now())))
        return ferr_oom(c->err);
    if (rule_event(c, pr, "PULL_REQUEST_APPROVAL_RULE_UPDATED", "pullRequestApprovalRuleUpdated",
                   r))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "approvalRule", r));
    return 0;
}

int codecommit_op_delete_pull_request_approval_rule(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *r;
    size_t at;
    if (open_pr(c, in, "codecommit:DeletePullRequestApprovalRule", &pr, &repo)) return -1;
    if (!(r = find_rule(c, pr, jstr(in, "approvalRuleName"), &at))) {
        if (strcmp(c->err->code, "ApprovalRuleDoesNotExistException")) return -1;
        ferr_clear(c->err); /* AWS: deleting a rule that is not there answers an empty id */
        *out = svc_out(c, json_pack("{s:s}", "approvalRuleId", ""));
        return 0;
    }
    if (from_template(c, r, "CannotDeleteApprovalRuleFromTemplateException", "deleted")) return -1;
    if (!arena_defer_json(c->a, json_incref(r))) return ferr_oom(c->err);
    if (json_array_remove(json_object_get(pr, "approvalRules"), at)) return ferr_oom(c->err);
    if (rule_event(c, pr, "PULL_REQUEST_APPROVAL_RULE_DELETED", "pullRequestApprovalRuleDeleted",
                   r))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "approvalRuleId", json_object_get(r, "approvalRuleId")));
    return 0;
}

/* An approval or override of the current revision: its PullRequestEvent (type, meta_key
 * {revisionId, key: value}), saved, and the bus event ev with key: value in its detail. */
static int revision_event(call *c, json_t *pr, const char *type, const char *meta_key,
                          const char *key, const char *value, const char *ev)
{
    return cc_pr_event(c, pr, type, meta_key,
                       json_pack("{s:s, s:s}", "revisionId", jstr(pr, "revisionId"), key, value)) ||
                   cc_pr_save(c, pr) || cc_pr_emit(c, pr, ev, json_pack("{s:s}", key, value))
               ? -1
               : 0;
}

/* ferry keeps at most this many approvals of a revision (the document stays bounded). */
#define MAX_APPROVALS 200

int codecommit_op_update_pull_request_approval_state(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *pr, *repo;
    const char *state = jstr(in, "approvalState");
    if (!state)
        return ferr_set(c->err, 400, "ApprovalStateRequiredException",
                        "An approval state is required, but was not specified.");
    if (strcmp(state, "APPROVE") && strcmp(state, "REVOKE"))
        return ferr_set(c->err, 400, "InvalidApprovalStateException",
                        "The state for the approval is not valid. Valid values include APPROVE "
                        "and REVOKE.");
    if (open_pr(c, in, "codecommit:UpdatePullRequestApprovalState", &pr, &repo) ||
        revision(c, pr, in))
        return -1;
    if (!strcmp(jstr(pr, "authorArn"), c->who->arn))
        return ferr_set(c->err, 400, "PullRequestCannotBeApprovedByAuthorException",
                        "The approval cannot be applied because the user approving the pull "
                        "request matches the user who created the pull request. You cannot "
                        "approve a pull request that you created.");
    json_t *list = json_object_get(pr, "_approvals"), *v;
    size_t i, at = (size_t)-1;
    json_array_foreach(list, i, v)
        if (!strcmp(json_string_value(v), c->who->arn)) at = i;
    int approve = !strcmp(state, "APPROVE");
    if (approve && at == (size_t)-1) {
        if (json_array_size(list) >= MAX_APPROVALS)
            return ferr_set(c->err, 400, "MaximumNumberOfApprovalsExceededException",
                            "The number of approvals required for the approval rule exceeds the "
                            "maximum number allowed.");
        if (json_array_append_new(list, json_string(c->who->arn))) return ferr_oom(c->err);
    } else if (!approve && at != (size_t)-1 && json_array_remove(list, at))
        return ferr_oom(c->err);
    return revision_event(c, pr, "PULL_REQUEST_APPROVAL_STATE_CHANGED",
                          "approvalStateChangedEventMetadata", "approvalStatus", state,
                          "pullRequestApprovalStateChanged");
}

int codecommit_op_get_pull_request_approval_states(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *v;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:GetPullRequestApprovalStates", &pr,
                   &repo) ||
        revision(c, pr, in))
        return -1;
    json_t *all = json_array();
    size_t i;
    json_array_foreach(json_object_get(pr, "_approvals"), i, v)
        if (all && json_array_append_new(
                       all, json_pack("{s:O, s:s}", "userArn", v, "approvalState", "APPROVE")))
            c->oom = 1;
    *out = svc_out(c, json_pack("{s:o}", "approvals", all));
    return 0;
}

int codecommit_op_evaluate_pull_request_approval_rules(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *ev = NULL;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:EvaluatePullRequestApprovalRules", &pr,
                   &repo) ||
        revision(c, pr, in))
        return -1;
    cc_pr_approved(pr, &ev);
    *out = svc_out(c, json_pack("{s:o}", "evaluation", ev));
    return 0;
}

int codecommit_op_override_pull_request_approval_rules(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *pr, *repo;
    const char *st = jstr(in, "overrideStatus");
    if (!st)
        return ferr_set(c->err, 400, "OverrideStatusRequiredException",
                        "An override status is required, but no value was provided. Valid "
                        "values include OVERRIDE and REVOKE.");
    if (strcmp(st, "OVERRIDE") && strcmp(st, "REVOKE"))
        return ferr_set(c->err, 400, "InvalidOverrideStatusException",
                        "The override status is not valid. Valid statuses are OVERRIDE and "
                        "REVOKE.");
    if (open_pr(c, in, "codecommit:OverridePullRequestApprovalRules", &pr, &repo) ||
        revision(c, pr, in))
        return -1;
    int has = json_object_get(pr, "_override") != NULL, want = !strcmp(st, "OVERRIDE");
    if (has == want && want)
        return ferr_set(c->err, 400, "OverrideAlreadySetException",
                        "The override status cannot be set because the pull request already has "
                        "an override.");
    if (want && json_object_set_new(pr, "_override", json_pack("{s:s}", "overrider", c->who->arn)))
        return ferr_oom(c->err);
    if (!want) json_object_del(pr, "_override");
    return revision_event(c, pr, "PULL_REQUEST_APPROVAL_RULE_OVERRIDDEN",
                          "approvalRuleOverriddenEventMetadata", "overrideStatus", st,
                          "pullRequestApprovalRuleOverridden");
}

int codecommit_op_get_pull_request_override_state(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:GetPullRequestOverrideState", &pr,
                   &repo) ||
        revision(c, pr, in))
        return -1;
    const json_t *o = json_object_get(pr, "_override");
    *out = svc_out(c, o ? json_pack("{s:b, s:O}", "overridden", 1, "overrider",
                                    json_object_get(o, "overrider"))
                        : json_pack("{s:b}", "overridden", 0));
    return 0;
}
