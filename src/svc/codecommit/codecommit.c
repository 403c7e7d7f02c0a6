/* AWS CodeCommit: the service, repositories and their tags. See codecommit_int.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/zip.h"
#include "codecommit_int.h"
#include "svc/events/events.h"
#include "svc/gitchange.h"

static const svc_route routes[] = {
    /* AWS's clone URL, git-codecommit.REGION.localhost[:port]/v1/repos/NAME, and the same
     * path on ferry's own host */
    {"GET POST", NULL, "/v1/repos/", cc_git_serve},
};

const svc_def svc_codecommit = {.name = "codecommit",
                                .event_source = "codecommit.amazonaws.com",
                                .routes = routes,
                                .nroutes = sizeof(routes) / sizeof(routes[0]),
                                .route_preauth = cc_git_preauth};

static pthread_once_t git_once = PTHREAD_ONCE_INIT;
static void git_init_once(void)
{
    git_libgit2_init();
}
void cc_git_init(void)
{
    pthread_once(&git_once, git_init_once);
}

int cc_git_fail(call *c, const char *what)
{
    const git_error *ge = git_error_last();
    return ferr_internal(c->err, "%s: %s", what, ge && ge->message ? ge->message : "git error");
}

const char *cc_arn(call *c, const char *name)
{
    return call_arn(c, "codecommit", name);
}

static int no_repo(call *c, const char *name)
{
    return ferr_set(c->err, 400, "RepositoryDoesNotExistException", "%s does not exist", name);
}

int cc_repo_load(call *c, const char *action, const char *name, json_t **doc)
{
    const char *arn = cc_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, action, arn)) return -1;
    store_key k = call_key(c, CC_REPO_KIND, name);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return no_repo(c, name);
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    call_resource(c, "AWS::CodeCommit::Repository", name);
    return 0;
}

int cc_repo_save(call *c, const json_t *doc)
{
    store_key k = call_key(c, CC_REPO_KIND, jstr(doc, "repositoryName"));
    return store_put(c->txn, &k, doc, c->err);
}

const char *cc_repo_dir(call *c, const json_t *doc)
{
    if (!c->env->data_dir) return ferr_internal(c->err, "CodeCommit needs a data directory"), NULL;
    const char *d =
        arena_printf(c->a, "%s/codecommit/%s.git", c->env->data_dir, jstr(doc, "repositoryId"));
    if (!d) ferr_oom(c->err);
    return d;
}

static void repo_free(void *p)
{
    git_repository_free(p);
}

int cc_git_open(call *c, const json_t *doc, git_repository **repo)
{
    cc_git_init();
    const char *dir = cc_repo_dir(c, doc);
    if (!dir) return -1;
    if (git_repository_open_bare(repo, dir)) return cc_git_fail(c, "open repository");
    if (!arena_own(c->a, repo_free, *repo)) return ferr_oom(c->err);
    return 0;
}

int cc_touch(call *c, json_t *doc, git_repository *repo, const char *branch)
{
    if (json_object_set_new(doc, "lastModifiedDate", json_real(clock_now())))
        return ferr_oom(c->err);
    if (branch && !jstr(doc, "defaultBranch")) {
        /* AWS: the first branch of a repository becomes its default */
        const char *ref = arena_printf(c->a, "refs/heads/%s", branch);
        if (!ref) return ferr_oom(c->err);
        if (git_repository_set_head(repo, ref)) return cc_git_fail(c, "set HEAD");
        if (jset_str(doc, "defaultBranch", branch)) return ferr_oom(c->err);
    }
    return cc_repo_save(c, doc);
}

json_t *cc_view(const json_t *doc)
{
    json_t *v = json_object();
    const char *k;
    json_t *x;
    int rc = !v;
    json_object_foreach((json_t *)doc, k, x)
        if (v && k[0] != '_') rc |= json_object_set(v, k, x);
    return jdone(v, rc);
}

int cc_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    *out = svc_out(c, json_object());
    if (!*out || !all) return ferr_oom(c->err);
    return svc_page(c, all, jstr(in, "nextToken"), jint(in, "maxResults", 100), *out, key,
                    "nextToken", "InvalidContinuationTokenException");
}

/* AWS's https://git-codecommit.REGION.amazonaws.com/v1/repos/NAME, here on ferry's port:
 * git-codecommit.REGION.localhost resolves to loopback (curl, and so git, make every
 * *.localhost name loopback); an endpoint elsewhere keeps its own host. */
const char *cc_clone_url(call *c, const char *name)
{
    const char *ep = c->env->endpoint, *hs = strstr(ep, "://");
    const char *host = hs ? hs + 3 : ep;
    size_t schemelen = hs ? (size_t)(hs - ep) : 4;
    const char *port = strrchr(host, ':');
    int loopback =
        !strncmp(host, "127.", 4) || !strncmp(host, "localhost", 9) || !strncmp(host, "[::1]", 5);
    if (port && strchr(port, ']')) port = NULL;
    if (loopback)
        return arena_printf(c->a, "%.*s://git-codecommit.%s.localhost%s/v1/repos/%s",
                            (int)schemelen, hs ? ep : "http", c->region, port ? port : "", name);
    return arena_printf(c->a, "%s/v1/repos/%s", ep, name);
}

/* The RepositoryMetadata shape. */
static json_t *repo_view(call *c, const json_t *d)
{
    const char *name = jstr(d, "repositoryName");
    const char *http = cc_clone_url(c, name);
    const char *ssh =
        arena_printf(c->a, "ssh://git-codecommit.%s.amazonaws.com/v1/repos/%s", c->region, name);
    if (!http || !ssh) return NULL;
    json_t *v =
        json_pack("{s:s, s:O, s:s, s:O, s:O, s:s, s:s, s:O}", "accountId", c->account,
                  "repositoryId", json_object_get(d, "repositoryId"), "repositoryName", name,
                  "creationDate", json_object_get(d, "creationDate"), "lastModifiedDate",
                  json_object_get(d, "lastModifiedDate"), "cloneUrlHttp", http, "cloneUrlSsh", ssh,
                  "Arn", json_object_get(d, "Arn"));
    int rc = 0;
    if (v && jstr(d, "repositoryDescription"))
        rc |= json_object_set(v, "repositoryDescription",
                              json_object_get(d, "repositoryDescription"));
    if (v && jstr(d, "defaultBranch"))
        rc |= json_object_set(v, "defaultBranch", json_object_get(d, "defaultBranch"));
    return jdone(v, rc);
}

int codecommit_op_create_repository(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "repositoryName"), *desc = jstr(in, "repositoryDescription");
    json_t *tags = json_object_get(in, "tags");
    const char *arn = cc_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codecommit:CreateRepository", arn)) return -1;
    if (tags && call_authorize(c, "codecommit:TagResource", arn)) return -1;
    size_t n = strlen(name);
    if (n > 4 && !strcmp(name + n - 4, ".git"))
        return ferr_set(c->err, 400, "InvalidRepositoryNameException",
                        "The repository name is not valid. Repository names can be any valid "
                        "combination of letters, numbers, periods, underscores, and dashes "
                        "between 1 and 100 characters in length. Names are case sensitive. "
                        "For more information, see Limits in the AWS CodeCommit User Guide. ");
    char id[37];
    ids_uuid(id);
    double now = clock_now();
    json_t *d = json_pack("{s:s, s:s, s:s, s:f, s:f, s:o}", "repositoryId", id, "repositoryName",
                          name, "Arn", arn, "creationDate", now, "lastModifiedDate", now, "Tags",
                          tags ? json_deep_copy(tags) : json_object());
    if (!arena_defer_json(c->a, d)) return ferr_oom(c->err);
    if (desc && jset_str(d, "repositoryDescription", desc)) return ferr_oom(c->err);
    store_key k = call_key(c, CC_REPO_KIND, name);
    int rc = store_insert(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "RepositoryNameExistsException",
                        "Repository named %s already exists", name);
    const char *dir = cc_repo_dir(c, d);
    const char *top = arena_printf(c->a, "%s/codecommit", c->env->data_dir);
    if (!dir || !top) return dir ? ferr_oom(c->err) : -1;
    if (mkdir(top, 0700) && errno != EEXIST)
        return ferr_internal(c->err, "mkdir %s: %s", top, strerror(errno));
    cc_git_init();
    git_repository *repo = NULL;
    if (git_repository_init(&repo, dir, 1)) return cc_git_fail(c, "create repository");
    git_repository_free(repo);
    call_resource(c, "AWS::CodeCommit::Repository", name);
    *out = svc_out(c, json_pack("{s:o}", "repositoryMetadata", repo_view(c, d)));
    return 0;
}

int codecommit_op_get_repository(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (cc_repo_load(c, "codecommit:GetRepository", jstr(in, "repositoryName"), &d)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "repositoryMetadata", repo_view(c, d)));
    return 0;
}

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(ud, doc);
}

static const char *sort_field;
static int sort_desc;
static int repo_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int r;
    if (!strcmp(sort_field, "lastModifiedDate")) {
        double x = json_real_value(json_object_get(a, "lastModifiedDate")),
               y = json_real_value(json_object_get(b, "lastModifiedDate"));
        r = x < y ? -1 : x > y;
    } else
        r = strcmp(jstr(a, "repositoryName"), jstr(b, "repositoryName"));
    return sort_desc ? -r : r;
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

int codecommit_op_list_repositories(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codecommit:ListRepositories", "*")) return -1;
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    if (store_list(c->txn, CC_REPO_KIND, c->account, c->region, NULL, NULL, 0, collect, all,
                   c->err) < 0)
        return -1;
    size_t n = json_array_size(all);
    json_t **v = arena_alloc(c->a, (n + 1) * sizeof(*v));
    if (!v) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(all, i);
    const char *by = jstr(in, "sortBy"), *order = jstr(in, "order");
    pthread_mutex_lock(&sort_lock); /* qsort has no context argument in C11 */
    sort_field = by ? by : "repositoryName";
    sort_desc = order && !strcmp(order, "descending");
    qsort(v, n, sizeof(*v), repo_cmp);
    pthread_mutex_unlock(&sort_lock);
    json_t *pairs = arena_defer_json(c->a, json_array());
    for (size_t i = 0; pairs && i < n; i++)
        if (json_array_append_new(pairs,
                                  json_pack("{s:O, s:O}", "repositoryName",
                                            json_object_get(v[i], "repositoryName"), "repositoryId",
                                            json_object_get(v[i], "repositoryId"))))
            return ferr_oom(c->err);
    *out = svc_out(c, json_object());
    if (!pairs || !*out) return ferr_oom(c->err);
    return svc_page(c, pairs, jstr(in, "nextToken"), 1000, *out, "repositories", "nextToken",
                    "InvalidContinuationTokenException");
}

int codecommit_op_delete_repository(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "repositoryName");
    const char *arn = cc_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codecommit:DeleteRepository", arn)) return -1;
    store_key k = call_key(c, CC_REPO_KIND, name);
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc < 0) return -1;
    if (!rc) { /* AWS: deleting a repository that is not there succeeds, with no id */
        *out = svc_out(c, json_object());
        return 0;
    }
    if (!arena_defer_json(c->a, d)) return ferr_oom(c->err);
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    const char *dir = cc_repo_dir(c, d);
    if (!dir) return -1;
    /* the git directory goes now: a repository of the same name gets a new id and directory */
    ferr rm = {0};
    if (zipar_rmtree(dir, &rm)) log_warn("codecommit: removing %s: %s", dir, rm.message);
    call_resource(c, "AWS::CodeCommit::Repository", name);
    *out = svc_out(c, json_pack("{s:O}", "repositoryId", json_object_get(d, "repositoryId")));
    return 0;
}

int codecommit_op_update_repository_description(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    const char *desc = jstr(in, "repositoryDescription");
    if (cc_repo_load(c, "codecommit:UpdateRepositoryDescription", jstr(in, "repositoryName"), &d))
        return -1;
    if (desc ? jset_str(d, "repositoryDescription", desc)
             : (json_object_del(d, "repositoryDescription"), 0))
        return ferr_oom(c->err);
    return cc_repo_save(c, d);
}

int codecommit_op_update_repository_name(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *old = jstr(in, "oldName"), *neu = jstr(in, "newName");
    json_t *d;
    const char *narn = cc_arn(c, neu);
    if (!narn) return ferr_oom(c->err);
    if (cc_repo_load(c, "codecommit:UpdateRepositoryName", old, &d)) return -1;
    if (!strcmp(old, neu)) return 0;
    store_key ok = call_key(c, CC_REPO_KIND, old), nk = call_key(c, CC_REPO_KIND, neu);
    if (jset_str(d, "repositoryName", neu) || jset_str(d, "Arn", narn)) return ferr_oom(c->err);
    int rc = store_insert(c->txn, &nk, d, c->err);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "RepositoryNameExistsException",
                        "Repository named %s already exists", neu);
    return store_del(c->txn, &ok, c->err) < 0 ? -1 : 0;
}

/* ---- tags ---- */

/* The repository an ARN names (in the caller's account and region): 0 and *doc, or -1. */
static int tag_target(call *c, const char *arn, const char *action, json_t **doc)
{
    const char *pre = arena_printf(c->a, "arn:%s:codecommit:%s:%s:", arn_partition(c->region),
                                   c->region, c->account);
    if (!pre) return ferr_oom(c->err);
    size_t n = strlen(pre);
    if (!arn_rest(arn, "codecommit"))
        return ferr_set(c->err, 400, "InvalidResourceArnException",
                        "The value for the resource ARN is not valid. For more information "
                        "about resources in AWS CodeCommit, see CodeCommit Resources and "
                        "Operations in the AWS CodeCommit User Guide.");
    if (strncmp(arn, pre, n) || !arn[n]) {
        /* another account's or region's: its policies are not the caller's to pass */
        if (call_authorize(c, action, arn)) return -1;
        return no_repo(c, strrchr(arn, ':') + 1);
    }
    return cc_repo_load(c, action, arn + n, doc);
}

int codecommit_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    if (tag_target(c, jstr(in, "resourceArn"), "codecommit:TagResource", &d)) return -1;
    json_t *tags = json_object_get(d, "Tags");
    if (!json_is_object(tags)) {
        tags = json_object();
        if (json_object_set_new(d, "Tags", tags)) return ferr_oom(c->err);
    }
    if (json_object_update(tags, json_object_get(in, "tags"))) return ferr_oom(c->err);
    if (json_object_size(tags) > 50)
        return ferr_set(c->err, 400, "TooManyTagsException",
                        "The maximum number of tags for an AWS CodeCommit resource has been "
                        "exceeded.");
    return cc_repo_save(c, d);
}

int codecommit_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    if (tag_target(c, jstr(in, "resourceArn"), "codecommit:UntagResource", &d)) return -1;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "tagKeys"), i, k)
        json_object_del(json_object_get(d, "Tags"), json_string_value(k));
    return cc_repo_save(c, d);
}

int codecommit_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (tag_target(c, jstr(in, "resourceArn"), "codecommit:ListTagsForResource", &d)) return -1;
    json_t *tags = json_object_get(d, "Tags");
    *out = svc_out(c, tags ? json_pack("{s:O}", "tags", tags) : json_pack("{s:{}}", "tags"));
    return 0;
}

/* ---- refs pushed by git (codecommit.h) ---- */

/* AWS's detail of a "CodeCommit Repository State Change" for a pushed ref. */
static json_t *ref_event(const json_t *repo, const char *ref, const char *old_id,
                         const char *new_id, const char *caller_arn)
{
    int created = strspn(old_id, "0") == strlen(old_id);
    int deleted = strspn(new_id, "0") == strlen(new_id);
    int tag = !strncmp(ref, "refs/tags/", 10);
    const char *name = tag ? ref + 10 : !strncmp(ref, "refs/heads/", 11) ? ref + 11 : ref;
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O}", "event",
                          created   ? "referenceCreated"
                          : deleted ? "referenceDeleted"
                                    : "referenceUpdated",
                          "referenceType", tag ? "tag" : "branch", "referenceName", name,
                          "referenceFullName", ref, "callerUserArn", caller_arn ? caller_arn : "",
                          "repositoryName", json_object_get(repo, "repositoryName"), "repositoryId",
                          json_object_get(repo, "repositoryId"));
    if (d && !deleted && jset_str(d, "commitId", new_id)) json_decref(d), d = NULL;
    if (d && !created && jset_str(d, "oldCommitId", old_id)) json_decref(d), d = NULL;
    return d;
}

/* ---- changes for gitchange.h's listeners ---- */

static json_t *change_paths(const git_change *ch, ferr *e)
{
    return cc_paths_between(ch->host, ch->old_id, ch->new_id, ch->pr_event != NULL, e);
}

int cc_report_change(call *c, const json_t *repo, const char *ref, const char *old_id,
                     const char *new_id, const json_t *pr, const char *pr_event)
{
    if (!c->env) return 0;
    const char *dir = cc_repo_dir(c, repo);
    if (!dir) return -1;
    git_change ch = {.account = c->account,
                     .region = c->region,
                     .repo = jstr(repo, "repositoryName"),
                     .repo_arn = jstr(repo, "Arn"),
                     .ref = ref,
                     .old_id = old_id,
                     .new_id = new_id,
                     .caller_arn = c->who->arn,
                     .pr_event = pr_event,
                     .paths = change_paths,
                     .host = (void *)dir,
                     .a = c->a};
    if (pr) {
        const json_t *t = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
        ch.ref = jstr(t, "destinationReference");
        ch.source_ref = jstr(t, "sourceReference");
        /* its files: since it left the destination (a merged one's destination is its source) */
        ch.old_id = jstr(t, "mergeBase") ? jstr(t, "mergeBase") : jstr(t, "destinationCommit");
        ch.new_id = jstr(t, "sourceCommit");
        ch.pr_id = jstr(pr, "pullRequestId");
        if (!ch.ref || !ch.source_ref || !ch.old_id || !ch.new_id) return 0;
    }
    return git_change_report(c->env, c->txn, &ch, c->err);
}

/* What every ref change goes through, pushed or made by the API: the event on the bus, the
 * open pull requests of the branch, the repository's triggers and the listeners of
 * gitchange.h (when c->env is set). */
static int ref_record(call *c, const json_t *repo, const char *ref, const char *old_id,
                      const char *new_id)
{
    json_t *detail = ref_event(repo, ref, old_id, new_id, c->who->arn);
    json_t *res = json_pack("[O]", json_object_get(repo, "Arn"));
    int rc = detail && res ? events_emit(c->txn, c->account, c->region, "aws.codecommit",
                                         "CodeCommit Repository State Change", detail, res, c->err)
                           : ferr_oom(c->err);
    json_decref(detail);
    json_decref(res);
    if (!rc && !strncmp(ref, "refs/heads/", 11)) rc = cc_pr_ref_moved(c, repo, ref, new_id);
    if (!rc && c->env) rc = cc_triggers_fire(c, repo, ref, old_id, new_id);
    if (!rc && strspn(new_id, "0") != strlen(new_id))
        rc = cc_report_change(c, repo, ref, old_id, new_id, NULL, NULL);
    return rc;
}

#define ZERO_ID "0000000000000000000000000000000000000000"

int cc_ref_moved(call *c, const json_t *doc, const char *ref, const git_oid *old,
                 const git_oid *neu)
{
    char o[GIT_OID_HEXSZ + 1] = ZERO_ID, n[GIT_OID_HEXSZ + 1] = ZERO_ID;
    if (old) git_oid_tostr(o, sizeof(o), old);
    if (neu) git_oid_tostr(n, sizeof(n), neu);
    return ref_record(c, doc, ref, o, n);
}

/* A pushed ref: the repository's lastModifiedDate and default branch, then ref_record. */
static int pushed(call *c, const char *repo_name, const char *ref, const char *old_id,
                  const char *new_id)
{
    store_key k = call_key(c, CC_REPO_KIND, repo_name);
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc <= 0) return rc;
    log_info("codecommit: %s/%s/%s %s %.12s -> %.12s", c->account, c->region, repo_name, ref,
             old_id, new_id);
    rc = json_object_set_new(d, "lastModifiedDate", json_real(clock_now())) ? ferr_oom(c->err) : 0;
    int created = strspn(new_id, "0") != strlen(new_id); /* not a deletion */
    if (!rc && !jstr(d, "defaultBranch") && created && !strncmp(ref, "refs/heads/", 11) &&
        jset_str(d, "defaultBranch", ref + 11))
        rc = ferr_oom(c->err);
    if (!rc) rc = store_put(c->txn, &k, d, c->err);
    if (!rc) rc = ref_record(c, d, ref, old_id, new_id);
    json_decref(d);
    return rc;
}

int cc_ref_pushed(ferry_env *env, store_txn *t, arena *a, const principal *who, const char *region,
                  const char *repo_name, const char *ref, const char *old_id, const char *new_id,
                  ferr *e)
{
    call c = {.a = a,
              .env = env,
              .service = "codecommit",
              .op = "GitPush",
              .account = who->account,
              .region = region,
              .who = who,
              .txn = t,
              .caller = CALLER_INTERNAL,
              .err = e};
    return pushed(&c, repo_name, ref, old_id, new_id);
}

int codecommit_ref_changed(store_txn *t, const char *account, const char *region,
                           const char *repo_name, const char *ref, const char *old_id,
                           const char *new_id, const char *caller_arn, ferr *e)
{
    principal p = {0};
    snprintf(p.account, sizeof(p.account), "%s", account);
    snprintf(p.arn, sizeof(p.arn), "%s", caller_arn ? caller_arn : "");
    arena *a = arena_new(4096);
    int rc =
        a ? cc_ref_pushed(NULL, t, a, &p, region, repo_name, ref, old_id, new_id, e) : ferr_oom(e);
    arena_free(a);
    return rc;
}
