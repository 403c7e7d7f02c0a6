/* AWS CodeCommit (json 1.1): repositories are bare git repositories under the data directory
 * (DATA/codecommit/REPOSITORY_ID.git), read and written through libgit2 by the API and
 * through git's own `git http-backend` by git clients (githttp.c). Their metadata is a
 * document "codecommit.repo" keyed by account, region and name: {repositoryId,
 * repositoryName, repositoryDescription, defaultBranch, creationDate, lastModifiedDate,
 * Arn, Tags {k: v}}.
 *
 * Internal to src/svc/codecommit/: codecommit.c (the service, repositories, tags),
 * gitops.c (branches, files, folders, commits, differences, merges), githttp.c (git smart
 * HTTP, its credentials and GitPull/GitPush authorization). */
#ifndef FERRY_SVC_CODECOMMIT_INT_H
#define FERRY_SVC_CODECOMMIT_INT_H
#include <git2.h>
#include <jansson.h>

#include "svc/codecommit/codecommit.h"
#include "svc/svc.h"

#define CC_REPO_KIND "codecommit.repo"

/* ---- codecommit.c ---- */
/* Reports a change of repo to gitchange.h's listeners (CodePipeline's triggers), when the
 * call has an env: a push of ref (pr_event NULL), or pull request pr's event "OPEN",
 * "UPDATED", "CLOSED". 0 or -1. */
int cc_report_change(call *c, const json_t *repo, const char *ref, const char *old_id,
                     const char *new_id, const json_t *pr, const char *pr_event);
/* arn:aws:codecommit:REGION:ACCOUNT:NAME (arena). */
const char *cc_arn(call *c, const char *name);
/* Authorizes action on the repository name's ARN, then loads its document: 0 (*doc in the
 * arena), or -1 with RepositoryDoesNotExistException as AWS words it. */
int cc_repo_load(call *c, const char *action, const char *name, json_t **doc);
int cc_repo_save(call *c, const json_t *doc);
/* The repository's git directory (arena), or NULL with c->err. */
const char *cc_repo_dir(call *c, const json_t *doc);
/* The repository's HTTPS clone URL as clients reach this ferry (arena), NULL on OOM. */
const char *cc_clone_url(call *c, const char *name);
/* Opens doc's git repository for this call (freed with the arena): 0 or -1. */
int cc_git_open(call *c, const json_t *doc, git_repository **repo);
/* A libgit2 failure as InternalFailure naming what failed; returns -1. */
int cc_git_fail(call *c, const char *what);
/* After refs of doc's repository changed through the API: lastModifiedDate, and the default
 * branch (and HEAD) when the repository had none. doc is saved. 0 or -1. */
int cc_touch(call *c, json_t *doc, git_repository *repo, const char *branch);
/* A ref of doc's repository moved through the API (old/neu NULL: created/deleted): the
 * same record and event as a pushed ref (codecommit_ref_changed), as the caller. 0 or -1. */
int cc_ref_moved(call *c, const json_t *doc, const char *ref, const git_oid *old,
                 const git_oid *neu);
/* A ref pushed by who (githttp.c): as codecommit_ref_changed, and the repository's triggers
 * fire (env). Runs in t; what the deliveries defer is registered on a, which the caller
 * frees after committing t. 0 or -1 with e. */
int cc_ref_pushed(ferry_env *env, store_txn *t, arena *a, const principal *who, const char *region,
                  const char *repo_name, const char *ref, const char *old_id, const char *new_id,
                  ferr *e);
/* doc without its own members (those whose names start with '_'): AWS's shape of a pull
 * request or template document. New reference, NULL out of memory. */
json_t *cc_view(const json_t *doc);
/* *out = {key: a page of all} by in's nextToken and maxResults (default 100). 0 or -1. */
int cc_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out);
/* The process-wide libgit2 initialization (once). */
void cc_git_init(void);

/* ---- gitops.c ---- */
/* Merges src into dst as option says (FAST_FORWARD_MERGE, SQUASH_MERGE, THREE_WAY_MERGE;
 * in's conflictResolutionStrategy, authorName, email, commitMessage, else msg) and moves
 * the branch target to the result (*result), which emits its event. Conflicts:
 * ManualMergeRequiredException. 0 or -1. */
int cc_merge(call *c, git_repository *repo, json_t *doc, const char *option, const git_commit *src,
             const git_commit *dst, const char *target, const json_t *in, const char *msg,
             git_oid *result);
/* A commit specifier (branch, tag or commit id; NULL: the default branch) as a commit (in
 * the arena), or CommitDoesNotExistException. */
int cc_resolve(call *c, git_repository *repo, const json_t *doc, const char *spec,
               git_commit **out);

/* The paths of the files that differ between commits old_hex (zeros: none) and new_hex of
 * the bare repository at dir (from_base: from their merge base, as a pull request's files
 * are counted): a new array of strings, or NULL with e. */
json_t *cc_paths_between(const char *dir, const char *old_hex, const char *new_hex, int from_base,
                         ferr *e);

/* ---- pr.c: pull requests ---- */
/* The pull request id (PullRequestDoesNotExistException and AWS's id errors), and its
 * repository authorized for action; both in the arena. 0 or -1. */
int cc_pr_load(call *c, const char *id, const char *action, json_t **pr, json_t **repo);
/* Saves pr (its lastActivityDate, and the open index). 0 or -1. */
int cc_pr_save(call *c, json_t *pr);
/* Appends a PullRequestEvent of type with meta under meta_key (meta is taken). 0 or -1. */
int cc_pr_event(call *c, json_t *pr, const char *type, const char *meta_key, json_t *meta);
/* Puts "CodeCommit Pull Request State Change" event for pr, with extra members of the
 * detail (taken; NULL: none). 0 or -1. */
int cc_pr_emit(call *c, const json_t *pr, const char *event, json_t *extra);
/* A branch of repo moved to new_id (zeros: deleted): the open pull requests from it get a
 * new revision, those into it the new destination commit. 0 or -1. */
int cc_pr_ref_moved(call *c, const json_t *repo, const char *ref, const char *new_id);

/* ---- prrules.c: approval rules, approvals, overrides ---- */
/* 1 when pr may be merged: every rule satisfied by its approvals, or overridden. With
 * evaluation, AWS's Evaluation shape (new reference) there. */
int cc_pr_approved(const json_t *pr, json_t **evaluation);
/* AWS's ApprovalRule shape for a new rule of content (origin: its template's
 * {approvalRuleTemplateId, approvalRuleTemplateName}, or NULL). New reference or NULL. */
json_t *cc_rule_new(call *c, const char *name, const char *content, const json_t *origin);

/* ---- templates.c ---- */
/* The rules of the approval rule templates associated with repo that apply to pr's
 * destination, added to pr's approvalRules. 0 or -1. */
int cc_pr_apply_templates(call *c, json_t *pr, const json_t *repo);

/* ---- triggers.c ---- */
/* A ref of repo moved: its triggers that match deliver to SNS or Lambda. 0 or -1. */
int cc_triggers_fire(call *c, const json_t *repo, const char *ref, const char *old_id,
                     const char *new_id);

/* ---- githttp.c ---- */
int cc_git_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);
/* svc_def.route_preauth: 1 when a git request's credentials pass (its body may be chunked). */
int cc_git_preauth(ferry_env *env, arena *a, const svc_request *r);

#endif
