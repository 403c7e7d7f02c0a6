/* CodeCommit approval rule templates: a document "codecommit.tmpl" per template, keyed by
 * name, holding AWS's ApprovalRuleTemplate shape and the names of its repositories
 * (_repositories). A pull request created in an associated repository gets the template's
 * rule when the template's DestinationReferences name its destination (or it names none). */
#include <string.h>

#include "approval.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "codecommit_int.h"

#define TMPL_KIND     "codecommit.tmpl"
/* AWS: at most 1000 templates in a region, and 10 associated with a repository. */
#define MAX_TEMPLATES 1000
#define MAX_PER_REPO  10

static int no_template(call *c, const char *name)
{
    return ferr_set(c->err, 400, "ApprovalRuleTemplateDoesNotExistException",
                    "The specified approval rule template does not exist. Verify that the name "
                    "is correct and that you are signed in to the AWS Region where the template "
                    "was created, and then try again. (%s)",
                    name ? name : "");
}

/* The template named name, authorized for action (AWS: on "*"), in the arena. */
static int load(call *c, const char *name, const char *action, json_t **t)
{
    if (call_authorize(c, action, "*")) return -1;
    if (!name || !*name)
        return ferr_set(c->err, 400, "ApprovalRuleTemplateNameRequiredException",
                        "An approval rule template name is required, but was not specified.");
    store_key k = call_key(c, TMPL_KIND, name);
    int rc = store_get(c->txn, &k, t, c->err);
    if (rc <= 0) return rc < 0 ? -1 : no_template(c, name);
    return arena_defer_json(c->a, *t) ? 0 : ferr_oom(c->err);
}

static int save(call *c, json_t *t)
{
    store_key k = call_key(c, TMPL_KIND, jstr(t, "approvalRuleTemplateName"));
    return store_put(c->txn, &k, t, c->err);
}

/* Sets the content (checked) and its hash. */
static int set_content(call *c, json_t *t, const char *content)
{
    json_t *rule;
    if (!content)
        return ferr_set(c->err, 400, "ApprovalRuleTemplateContentRequiredException",
                        "The content for the approval rule template is empty. You must provide "
                        "some content for an approval rule template. The content cannot be null.");
    if (ccrule_parse(content, "InvalidApprovalRuleTemplateContentException", &rule, c->err))
        return -1;
    json_decref(rule);
    char hexd[65];
    enc_sha256_hex(content, strlen(content), hexd);
    return jset_str(t, "approvalRuleTemplateContent", content) ||
                   jset_str(t, "ruleContentSha256", hexd) ||
                   jset_str(t, "lastModifiedUser", c->who->arn) ||
                   json_object_set_new(t, "lastModifiedDate", json_real(clock_now()))
               ? ferr_oom(c->err)
               : 0;
}

static int count_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    ++*(size_t *)ud;
    return 0;
}

int codecommit_op_create_approval_rule_template(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "approvalRuleTemplateName");
    if (call_authorize(c, "codecommit:CreateApprovalRuleTemplate", "*")) return -1;
    if (!name || !*name)
        return ferr_set(c->err, 400, "ApprovalRuleTemplateNameRequiredException",
                        "An approval rule template name is required, but was not specified.");
    char id[37];
    ids_uuid(id);
    double now = clock_now();
    json_t *t = arena_defer_json(
        c->a, json_pack("{s:s, s:s, s:s, s:f, s:[]}", "approvalRuleTemplateId", id,
                        "approvalRuleTemplateName", name, "approvalRuleTemplateDescription",
                        jstr(in, "approvalRuleTemplateDescription")
                            ? jstr(in, "approvalRuleTemplateDescription")
                            : "",
                        "creationDate", now, "_repositories"));
    if (!t) return ferr_oom(c->err);
    if (set_content(c, t, jstr(in, "approvalRuleTemplateContent"))) return -1;
    size_t n = 0;
    if (store_list(c->txn, TMPL_KIND, c->account, c->region, NULL, NULL, 0, count_one, &n, c->err) <
        0)
        return -1;
    if (n >= MAX_TEMPLATES)
        return ferr_set(c->err, 400, "NumberOfRuleTemplatesExceededException",
                        "The maximum number of approval rule templates has been exceeded for "
                        "this AWS Region.");
    store_key k = call_key(c, TMPL_KIND, name);
    int rc = store_insert(c->txn, &k, t, c->err);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "ApprovalRuleTemplateNameAlreadyExistsException",
                        "You cannot create an approval rule template with that name because a "
                        "template with that name already exists in this AWS Region for your AWS "
                        "account. Approval rule template names must be unique.");
    *out = svc_out(c, json_pack("{s:o}", "approvalRuleTemplate", cc_view(t)));
    return 0;
}

int codecommit_op_get_approval_rule_template(call *c, json_t *in, json_t **out)
{
    json_t *t;
    if (load(c, jstr(in, "approvalRuleTemplateName"), "codecommit:GetApprovalRuleTemplate", &t))
        return -1;
    *out = svc_out(c, json_pack("{s:o}", "approvalRuleTemplate", cc_view(t)));
    return 0;
}

static int name_one(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    return json_array_append_new(ud, json_string(k->id));
}

int codecommit_op_list_approval_rule_templates(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codecommit:ListApprovalRuleTemplates", "*")) return -1;
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    if (store_list(c->txn, TMPL_KIND, c->account, c->region, NULL, NULL, 0, name_one, all, c->err) <
        0)
        return -1;
    return cc_page(c, in, all, "approvalRuleTemplateNames", out);
}

int codecommit_op_delete_approval_rule_template(call *c, json_t *in, json_t **out)
{
    json_t *t;
    const char *name = jstr(in, "approvalRuleTemplateName");
    if (load(c, name, "codecommit:DeleteApprovalRuleTemplate", &t)) {
        if (strcmp(c->err->code, "ApprovalRuleTemplateDoesNotExistException")) return -1;
        ferr_clear(c->err); /* AWS: nothing to delete answers an empty id */
        *out = svc_out(c, json_pack("{s:s}", "approvalRuleTemplateId", ""));
        return 0;
    }
    if (json_array_size(json_object_get(t, "_repositories")))
        return ferr_set(c->err, 400, "ApprovalRuleTemplateInUseException",
                        "The approval rule template is associated with one or more repositories. "
                        "You cannot delete a template that is associated with a repository. "
                        "Remove all associations, and then try again.");
    store_key k = call_key(c, TMPL_KIND, name);
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    *out = svc_out(c, json_pack("{s:O}", "approvalRuleTemplateId",
                                json_object_get(t, "approvalRuleTemplateId")));
    return 0;
}

int codecommit_op_update_approval_rule_template_name(call *c, json_t *in, json_t **out)
{
    json_t *t;
    const char *old = jstr(in, "oldApprovalRuleTemplateName"),
               *neu = jstr(in, "newApprovalRuleTemplateName");
    if (load(c, old, "codecommit:UpdateApprovalRuleTemplateName", &t)) return -1;
    if (!neu || !*neu)
        return ferr_set(c->err, 400, "ApprovalRuleTemplateNameRequiredException",
                        "An approval rule template name is required, but was not specified.");
    if (strcmp(old, neu)) {
        store_key ok = call_key(c, TMPL_KIND, old), nk = call_key(c, TMPL_KIND, neu);
        if (jset_str(t, "approvalRuleTemplateName", neu)) return ferr_oom(c->err);
        int rc = store_insert(c->txn, &nk, t, c->err);
        if (rc < 0) return -1;
        if (rc)
            return ferr_set(c->err, 400, "ApprovalRuleTemplateNameAlreadyExistsException",
                            "You cannot create an approval rule template with that name because "
                            "a template with that name already exists in this AWS Region for "
                            "your AWS account. Approval rule template names must be unique.");
        if (store_del(c->txn, &ok, c->err) < 0) return -1;
    }
    *out = svc_out(c, json_pack("{s:o}", "approvalRuleTemplate", cc_view(t)));
    return 0;
}

int codecommit_op_update_approval_rule_template_description(call *c, json_t *in, json_t **out)
{
    json_t *t;
    const char *d = jstr(in, "approvalRuleTemplateDescription");
    if (load(c, jstr(in, "approvalRuleTemplateName"),
             "codecommit:UpdateApprovalRuleTemplateDescription", &t))
        return -1;
    if (jset_str(t, "approvalRuleTemplateDescription", d ? d : "") ||
        jset_str(t, "lastModifiedUser", c->who->arn) ||
        json_object_set_new(t, "lastModifiedDate", json_real(clock_now())))
        return ferr_oom(c->err);
    if (save(c, t)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "approvalRuleTemplate", cc_view(t)));
    return 0;
}

int codecommit_op_update_approval_rule_template_content(call *c, json_t *in, json_t **out)
{
    json_t *t;
    const char *sha = jstr(in, "existingRuleContentSha256");
    if (load(c, jstr(in, "approvalRuleTemplateName"),
             "codecommit:UpdateApprovalRuleTemplateContent", &t))
        return -1;
    if (sha && strcmp(sha, jstr(t, "ruleContentSha256")))
        return ferr_set(c->err, 400, "InvalidRuleContentSha256Exception",
                        "The SHA-256 hash signature for the rule content is not valid.");
    if (set_content(c, t, jstr(in, "newRuleContent")) || save(c, t)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "approvalRuleTemplate", cc_view(t)));
    return 0;
}

/* ---- associations ---- */

typedef struct assoc_ctx {
    const char *repo;
    json_t *names; /* template names associated with repo */
} assoc_ctx;

static int assoc_one(void *ud, const store_key *k, json_t *doc)
{
    assoc_ctx *a = ud;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "_repositories"), i, r)
        if (!strcmp(json_string_value(r), a->repo))
            return json_array_append_new(a->names, json_string(k->id));
    return 0;
}

/* The names of the templates associated with the repository repo. */
static json_t *templates_of(call *c, const char *repo)
{
    assoc_ctx a = {repo, arena_defer_json(c->a, json_array())};
    if (!a.names) return ferr_oom(c->err), NULL;
    if (store_list(c->txn, TMPL_KIND, c->account, c->region, NULL, NULL, 0, assoc_one, &a, c->err) <
        0)
        return NULL;
    return a.names;
}

/* Associates (on) or disassociates t with repository name: 0 or -1 (c->err). */
static int associate(call *c, json_t *t, const char *name, int on)
{
    json_t *repo;
    if (cc_repo_load(c,
                     on ? "codecommit:AssociateApprovalRuleTemplateWithRepository"
                        : "codecommit:DisassociateApprovalRuleTemplateFromRepository",
                     name, &repo))
        return -1;
    json_t *list = json_object_get(t, "_repositories"), *v;
    size_t i, at = (size_t)-1;
    json_array_foreach(list, i, v)
        if (!strcmp(json_string_value(v), name)) at = i;
    if (on && at == (size_t)-1) {
        json_t *has = templates_of(c, name);
        if (!has) return -1;
        if (json_array_size(has) >= MAX_PER_REPO)
            return ferr_set(c->err, 400, "MaximumRuleTemplatesAssociatedWithRepositoryException",
                            "The maximum number of approval rule templates for a repository has "
                            "been exceeded. You cannot associate more than 10 approval rule "
                            "templates with a repository.");
        if (json_array_append_new(list, json_string(name))) return ferr_oom(c->err);
    } else if (!on && at != (size_t)-1 && json_array_remove(list, at))
        return ferr_oom(c->err);
    return save(c, t);
}

static int assoc_op(call *c, json_t *in, int on)
{
    json_t *t;
    if (load(c, jstr(in, "approvalRuleTemplateName"),
             on ? "codecommit:AssociateApprovalRuleTemplateWithRepository"
                : "codecommit:DisassociateApprovalRuleTemplateFromRepository",
             &t))
        return -1;
    return associate(c, t, jstr(in, "repositoryName"), on);
}

int codecommit_op_associate_approval_rule_template_with_repository(call *c, json_t *in,
                                                                   json_t **out)
{
    (void)out;
    return assoc_op(c, in, 1);
}

int codecommit_op_disassociate_approval_rule_template_from_repository(call *c, json_t *in,
                                                                      json_t **out)
{
    (void)out;
    return assoc_op(c, in, 0);
}

/* Batch*: each repository on its own; a refusal is an entry of errors. */
static int batch(call *c, json_t *in, json_t **out, int on)
{
    json_t *t, *r;
    if (load(c, jstr(in, "approvalRuleTemplateName"),
             on ? "codecommit:BatchAssociateApprovalRuleTemplateWithRepositories"
                : "codecommit:BatchDisassociateApprovalRuleTemplateFromRepositories",
             &t))
        return -1;
    json_t *done = json_array(), *errs = json_array();
    *out = svc_out(c, json_pack("{s:o, s:o}",
                                on ? "associatedRepositoryNames" : "disassociatedRepositoryNames",
                                done, "errors", errs));
    if (!*out) return -1;
    size_t i;
    json_array_foreach(json_object_get(in, "repositoryNames"), i, r) {
        const char *name = json_string_value(r);
        if (!associate(c, t, name, on)) {
            if (json_array_append_new(done, json_string(name))) return ferr_oom(c->err);
            continue;
        }
        if (c->err->status >= 500) return -1;
        if (json_array_append_new(errs,
                                  json_pack("{s:s, s:s, s:s}", "repositoryName", name, "errorCode",
                                            c->err->code, "errorMessage", c->err->message)))
            return ferr_oom(c->err);
        ferr_clear(c->err);
    }
    return 0;
}

int codecommit_op_batch_associate_approval_rule_template_with_repositories(call *c, json_t *in,
                                                                           json_t **out)
{
    return batch(c, in, out, 1);
}

int codecommit_op_batch_disassociate_approval_rule_template_from_repositories(call *c, json_t *in,
                                                                              json_t **out)
{
    return batch(c, in, out, 0);
}

int codecommit_op_list_associated_approval_rule_templates_for_repository(call *c, json_t *in,
                                                                         json_t **out)
{
    json_t *repo, *names;
    const char *name = jstr(in, "repositoryName");
    if (cc_repo_load(c, "codecommit:ListAssociatedApprovalRuleTemplatesForRepository", name,
                     &repo) ||
        !(names = templates_of(c, name)))
        return -1;
    return cc_page(c, in, names, "approvalRuleTemplateNames", out);
}

int codecommit_op_list_repositories_for_approval_rule_template(call *c, json_t *in, json_t **out)
{
    json_t *t;
    if (load(c, jstr(in, "approvalRuleTemplateName"),
             "codecommit:ListRepositoriesForApprovalRuleTemplate", &t))
        return -1;
    json_t *all = arena_defer_json(c->a, json_deep_copy(json_object_get(t, "_repositories")));
    return cc_page(c, in, all, "repositoryNames", out);
}

int cc_pr_apply_templates(call *c, json_t *pr, const json_t *repo)
{
    json_t *names = templates_of(c, jstr(repo, "repositoryName")), *n;
    if (!names) return -1;
    const json_t *tg = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
    size_t i;
    json_array_foreach(names, i, n) {
        store_key k = call_key(c, TMPL_KIND, json_string_value(n));
        json_t *t = NULL, *rule = NULL;
        int rc = store_get(c->txn, &k, &t, c->err);
        if (rc <= 0 || !arena_defer_json(c->a, t)) {
            if (rc < 0) return -1;
            continue;
        }
        const char *content = jstr(t, "approvalRuleTemplateContent");
        if (ccrule_parse(content, "InvalidApprovalRuleTemplateContentException", &rule, c->err))
            return -1;
        int applies = ccrule_applies(rule, jstr(tg, "destinationReference"));
        json_decref(rule);
        if (!applies) continue;
        json_t *origin =
            json_pack("{s:O, s:O}", "approvalRuleTemplateId",
                      json_object_get(t, "approvalRuleTemplateId"), "approvalRuleTemplateName", n);
        json_t *r = origin ? cc_rule_new(c, json_string_value(n), content, origin) : NULL;
        json_decref(origin);
        if (!r || json_array_append_new(json_object_get(pr, "approvalRules"), r))
            return ferr_oom(c->err);
    }
    return 0;
}
