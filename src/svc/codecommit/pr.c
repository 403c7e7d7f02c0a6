/* CodeCommit pull requests: their documents, events, merges, and what a moved ref does to
 * the open ones. A pull request is a document "codecommit.pr" keyed by its id, zero-padded
 * (ids are numbers, one sequence per account and region, and list in order), holding AWS's
 * PullRequest shape and its own members (see cc_pr_view); an open one is also indexed under
 * "codecommit.propen" by REPOSITORY_ID/ID, so a moved ref finds its pull requests without a
 * scan. Each change is a PullRequestEvent (DescribePullRequestEvents) and AWS's "CodeCommit
 * Pull Request State Change" on the default bus, in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "approval.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "codecommit_int.h"
#include "svc/events/events.h"

#define PR_KIND       "codecommit.pr"
#define PR_OPEN_KIND  "codecommit.propen"
#define PR_SEQ_KIND   "codecommit.prseq"
#define PR_TOKEN_KIND "codecommit.prtoken"
/* The events a pull request keeps (DescribePullRequestEvents): the latest this many. */
#define MAX_EVENTS    1000

static void commit_free(void *p)
{
    git_commit_free(p);
}

static const char *pr_key(call *c, const char *id)
{
    return arena_printf(c->a, "%010lld", atoll(id));
}

static int no_pr(call *c, const char *id)
{
    return ferr_set(c->err, 400, "PullRequestDoesNotExistException",
                    "The pull request ID %s could not be found. Make sure that you have "
                    "specified the correct repository name and pull request ID, and then try "
                    "again.",
                    id);
}

static int valid_id(const char *id)
{
    if (!id || !*id || strlen(id) > 10) return 0;
    for (const char *p = id; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return 1;
}

int cc_pr_load(call *c, const char *id, const char *action, json_t **pr, json_t **repo)
{
    if (!id)
        return ferr_set(c->err, 400, "PullRequestIdRequiredException",
                        "A pull request ID is required, but none was provided.");
    if (!valid_id(id))
        return ferr_set(c->err, 400, "InvalidPullRequestIdException",
                        "The pull request ID is not valid. Make sure that you have provided the "
                        "full ID and that the pull request is in the specified repository, and "
                        "then try again.");
    const char *k = pr_key(c, id);
    if (!k) return ferr_oom(c->err);
    store_key key = call_key(c, PR_KIND, k);
    int rc = store_get(c->txn, &key, pr, c->err);
    if (rc <= 0) return rc < 0 ? -1 : no_pr(c, id);
    if (!arena_defer_json(c->a, *pr)) return ferr_oom(c->err);
    const json_t *t = json_array_get(json_object_get(*pr, "pullRequestTargets"), 0);
    return cc_repo_load(c, action, jstr(t, "repositoryName"), repo);
}

/* The open index entry of pr (repositoryId/ID). */
static store_key open_key(call *c, const json_t *pr, const char **id)
{
    *id = arena_printf(c->a, "%s/%s", jstr(pr, "_repositoryId"),
                       pr_key(c, jstr(pr, "pullRequestId")));
    return call_key(c, PR_OPEN_KIND, *id);
}

int cc_pr_save(call *c, json_t *pr)
{
    const char *k = pr_key(c, jstr(pr, "pullRequestId")), *oid;
    if (!k) return ferr_oom(c->err);
    store_key key = call_key(c, PR_KIND, k);
    if (json_object_set_new(pr, "lastActivityDate", json_real(clock_now())))
        return ferr_oom(c->err);
    if (store_put(c->txn, &key, pr, c->err)) return -1;
    store_key ok = open_key(c, pr, &oid);
    if (!oid) return ferr_oom(c->err);
    if (!strcmp(jstr(pr, "pullRequestStatus"), "OPEN")) {
        json_t *v = json_pack("{s:s}", "pullRequestId", jstr(pr, "pullRequestId"));
        int rc = v ? store_put(c->txn, &ok, v, c->err) : ferr_oom(c->err);
        json_decref(v);
        return rc;
    }
    return store_del(c->txn, &ok, c->err) < 0 ? -1 : 0;
}

const char *cc_pr_revision(call *c, const json_t *pr)
{
    return jstr(pr, "revisionId") ? jstr(pr, "revisionId") : (ferr_oom(c->err), NULL);
}

/* AWS's revision of a pull request changes with its source commit. */
static int set_revision(call *c, json_t *pr, const char *source_commit)
{
    char hexd[65];
    const char *s =
        arena_printf(c->a, "%s:%s:%f", jstr(pr, "pullRequestId"), source_commit, clock_now());
    if (!s) return ferr_oom(c->err);
    enc_sha256_hex(s, strlen(s), hexd);
    return jset_str(pr, "revisionId", hexd) ? ferr_oom(c->err) : 0;
}

/* The dates of AWS's pull request events: "Tue Feb 09 22:25:45 UTC 2019". */
static const char *event_date(call *c, double t)
{
    time_t s = (time_t)t;
    struct tm tm;
    char b[64];
    gmtime_r(&s, &tm);
    strftime(b, sizeof(b), "%a %b %d %H:%M:%S UTC %Y", &tm);
    return arena_strdup(c->a, b);
}

int cc_pr_emit(call *c, const json_t *pr, const char *event, json_t *extra)
{
    const json_t *t = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
    const json_t *mm = json_object_get(t, "mergeMetadata");
    const char *st = jstr(pr, "pullRequestStatus");
    json_t *d = json_pack(
        "{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:[s], s:s, s:s, s:s, s:s, "
        "s:s}",
        "author", jstr(pr, "authorArn"), "callerUserArn", c->who->arn, "description",
        jstr(pr, "description"), "creationDate",
        event_date(c, json_real_value(json_object_get(pr, "creationDate"))), "lastModifiedDate",
        event_date(c, clock_now()), "destinationCommit", jstr(t, "destinationCommit"),
        "destinationReference", jstr(t, "destinationReference"), "mergeOption",
        jstr(mm, "mergeOption"), "event", event, "isMerged",
        jbool(mm, "isMerged", 0) ? "True" : "False", "pullRequestId", jstr(pr, "pullRequestId"),
        "repositoryNames", jstr(t, "repositoryName"), "revisionId", jstr(pr, "revisionId"),
        "sourceCommit", jstr(t, "sourceCommit"), "sourceReference", jstr(t, "sourceReference"),
        "title", jstr(pr, "title"), "pullRequestStatus",
        st && !strcmp(st, "OPEN") ? "Open" : "Closed");
    if (d && extra && json_object_update(d, extra)) json_decref(d), d = NULL;
    json_decref(extra);
    if (!d) return ferr_oom(c->err);
    const char *arn = cc_arn(c, jstr(t, "repositoryName"));
    json_t *res = arn ? json_pack("[s]", arn) : NULL;
    int rc = res ? events_emit(c->txn, c->account, c->region, "aws.codecommit",
                               "CodeCommit Pull Request State Change", d, res, c->err)
                 : ferr_oom(c->err);
    json_decref(res);
    json_decref(d);
    /* gitchange.h's pull request events: opened, a new source revision, closed or merged */
    const char *ev = !strcmp(event, "pullRequestCreated")               ? "OPEN"
                     : !strcmp(event, "pullRequestSourceBranchUpdated") ? "UPDATED"
                     : (!strcmp(event, "pullRequestStatusChanged") ||
                        !strcmp(event, "pullRequestMergeStatusUpdated")) &&
                             st && !strcmp(st, "CLOSED")
                         ? "CLOSED"
                         : NULL;
    if (!rc && ev && c->env) {
        store_key k = call_key(c, CC_REPO_KIND, jstr(t, "repositoryName"));
        json_t *repo = NULL;
        rc = store_get(c->txn, &k, &repo, c->err) < 0 ? -1 : 0;
        if (!rc && repo) rc = cc_report_change(c, repo, NULL, NULL, NULL, pr, ev);
        json_decref(repo);
    }
    return rc;
}

int cc_pr_event(call *c, json_t *pr, const char *type, const char *meta_key, json_t *meta)
{
    json_t *evs = json_object_get(pr, "_events");
    if (!evs) {
        evs = json_array();
        if (json_object_set_new(pr, "_events", evs)) {
            json_decref(meta);
            return ferr_oom(c->err);
        }
    }
    json_t *e =
        json_pack("{s:s, s:f, s:s, s:s}", "pullRequestId", jstr(pr, "pullRequestId"), "eventDate",
                  clock_now(), "pullRequestEventType", type, "actorArn", c->who->arn);
    if (e && meta && json_object_set(e, meta_key, meta)) json_decref(e), e = NULL;
    json_decref(meta);
    /* the document stays bounded: the oldest events go first */
    while (json_array_size(evs) >= MAX_EVENTS) json_array_remove(evs, 0);
    return json_array_append_new(evs, e) ? ferr_oom(c->err) : 0;
}

/* ---- creating, reading, listing ---- */

/* "feature" or "refs/heads/feature" as the full reference; only branches. */
static const char *full_ref(call *c, const char *r)
{
    if (!r || !*r) {
        ferr_set(c->err, 400, "ReferenceNameRequiredException",
                 "A reference name is required, but none was provided.");
        return NULL;
    }
    if (!strncmp(r, "refs/", 5) && strncmp(r, "refs/heads/", 11)) {
        ferr_set(c->err, 400, "ReferenceTypeNotSupportedException",
                 "The specified reference is not a supported type.");
        return NULL;
    }
    const char *s = !strncmp(r, "refs/heads/", 11) ? r : arena_printf(c->a, "refs/heads/%s", r);
    if (!s) ferr_oom(c->err);
    return s;
}

/* The tip of a full branch reference: ReferenceDoesNotExistException when it has none. */
static int ref_tip(call *c, git_repository *repo, const char *ref, git_oid *id)
{
    int rc = git_reference_name_to_id(id, repo, ref);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
        return ferr_set(c->err, 400, "ReferenceDoesNotExistException",
                        "The specified reference %s does not exist.", ref);
    return rc ? cc_git_fail(c, "read reference") : 0;
}

static const char *hexid(call *c, const git_oid *id)
{
    char *s = arena_alloc(c->a, GIT_OID_HEXSZ + 1);
    if (s) git_oid_tostr(s, GIT_OID_HEXSZ + 1, id);
    return s;
}

/* The next pull request id of the account and region. */
static const char *next_id(call *c)
{
    store_key k = call_key(c, PR_SEQ_KIND, "pr");
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc < 0) return NULL;
    long long n = rc ? jint(d, "next", 1) : 1;
    json_decref(d);
    d = json_pack("{s:I}", "next", (json_int_t)n + 1);
    rc = d ? store_put(c->txn, &k, d, c->err) : ferr_oom(c->err);
    json_decref(d);
    return rc ? NULL : arena_printf(c->a, "%lld", n);
}

int codecommit_op_create_pull_request(call *c, json_t *in, json_t **out)
{
    const char *title = jstr(in, "title"), *token = jstr(in, "clientRequestToken");
    json_t *targets = json_object_get(in, "targets");
    if (!title || !*title)
        return ferr_set(c->err, 400, "TitleRequiredException",
                        "A pull request title is required. It cannot be empty or null.");
    if (!json_array_size(targets))
        return ferr_set(c->err, 400, "TargetsRequiredException",
                        "An array of target objects is required. It cannot be empty or null.");
    if (json_array_size(targets) > 1)
        return ferr_set(c->err, 400, "MultipleRepositoriesInPullRequestException",
                        "You cannot include more than one repository in a pull request. Make "
                        "sure you have specified only one repository name in your request, and "
                        "then try again.");
    const json_t *t = json_array_get(targets, 0);
    json_t *repo;
    git_repository *g;
    if (!jstr(t, "repositoryName"))
        return ferr_set(c->err, 400, "RepositoryNameRequiredException",
                        "A repository name is required but was not specified.");
    if (cc_repo_load(c, "codecommit:CreatePullRequest", jstr(t, "repositoryName"), &repo))
        return -1;
    if (token) { /* AWS: the same token answers the same pull request */
        store_key tk = call_key(c, PR_TOKEN_KIND, token);
        json_t *seen = NULL, *pr, *r2;
        int rc = store_get(c->txn, &tk, &seen, c->err);
        if (rc < 0) return -1;
        if (rc) {
            const char *id = arena_strdup(c->a, jstr(seen, "pullRequestId"));
            json_decref(seen);
            if (!id || cc_pr_load(c, id, "codecommit:CreatePullRequest", &pr, &r2)) return -1;
            const json_t *pt = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
            if (strcmp(jstr(pr, "title"), title) ||
                strcmp(jstr(pt, "repositoryName"), jstr(t, "repositoryName")))
                return ferr_set(c->err, 400, "IdempotencyParameterMismatchException",
                                "The client request token is not valid. Either the token is not "
                                "in a valid format, or the token has been used in a previous "
                                "request and cannot be reused.");
            *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
            return 0;
        }
    }
    const char *src = full_ref(c, jstr(t, "sourceReference"));
    if (!src) return -1;
    const char *dst = jstr(t, "destinationReference") ? full_ref(c, jstr(t, "destinationReference"))
                      : jstr(repo, "defaultBranch")
                          ? arena_printf(c->a, "refs/heads/%s", jstr(repo, "defaultBranch"))
                          : NULL;
    if (!dst) return c->err->code[0] ? -1 : ferr_oom(c->err);
    if (!strcmp(src, dst))
        return ferr_set(c->err, 400, "SourceAndDestinationAreSameException",
                        "The source branch and destination branch for the pull request are the "
                        "same. You must specify different branches for the source and "
                        "destination.");
    if (cc_git_open(c, repo, &g)) return -1;
    git_oid s, d, base;
    if (ref_tip(c, g, src, &s) || ref_tip(c, g, dst, &d)) return -1;
    int hb = git_merge_base(&base, g, &s, &d) == 0;
    const char *id = next_id(c);
    if (!id) return -1;
    double now = clock_now();
    json_t *pr = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:f, s:f, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:{s:b}}], s:[], "
                  "s:[], s:s}",
                  "pullRequestId", id, "title", title, "creationDate", now, "lastActivityDate", now,
                  "pullRequestStatus", "OPEN", "authorArn", c->who->arn, "pullRequestTargets",
                  "repositoryName", jstr(repo, "repositoryName"), "sourceReference", src,
                  "destinationReference", dst, "sourceCommit", hexid(c, &s), "destinationCommit",
                  hexid(c, &d), "mergeMetadata", "isMerged", 0, "approvalRules", "_approvals",
                  "_repositoryId", jstr(repo, "repositoryId")));
    if (!pr) return ferr_oom(c->err);
    json_t *pt = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
    if ((hb && jset_str(pt, "mergeBase", hexid(c, &base))) ||
        (jstr(in, "description") && jset_str(pr, "description", jstr(in, "description"))) ||
        (token && jset_str(pr, "clientRequestToken", token)))
        return ferr_oom(c->err);
    if (set_revision(c, pr, jstr(pt, "sourceCommit")) || cc_pr_apply_templates(c, pr, repo))
        return -1;
    json_t *meta =
        json_pack("{s:s, s:s, s:s, s:s?}", "repositoryName", jstr(repo, "repositoryName"),
                  "sourceCommitId", jstr(pt, "sourceCommit"), "destinationCommitId",
                  jstr(pt, "destinationCommit"), "mergeBase", jstr(pt, "mergeBase"));
    if (cc_pr_event(c, pr, "PULL_REQUEST_CREATED", "pullRequestCreatedEventMetadata", meta) ||
        cc_pr_save(c, pr) || cc_pr_emit(c, pr, "pullRequestCreated", NULL))
        return -1;
    if (token) {
        store_key tk = call_key(c, PR_TOKEN_KIND, token);
        json_t *v = json_pack("{s:s}", "pullRequestId", id);
        int rc = v ? store_put(c->txn, &tk, v, c->err) : ferr_oom(c->err);
        json_decref(v);
        if (rc) return -1;
    }
    *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
    return 0;
}

int codecommit_op_get_pull_request(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:GetPullRequest", &pr, &repo))
        return -1;
    *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
    return 0;
}

typedef struct list_ctx {
    json_t *ids;
    const char *repo, *author, *status;
} list_ctx;

static int list_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ctx *l = ud;
    const json_t *t = json_array_get(json_object_get(doc, "pullRequestTargets"), 0);
    if (strcmp(jstr(t, "repositoryName"), l->repo)) return 0;
    if (l->author && strcmp(jstr(doc, "authorArn"), l->author)) return 0;
    if (l->status && strcmp(jstr(doc, "pullRequestStatus"), l->status)) return 0;
    return json_array_insert_new(l->ids, 0, json_string(jstr(doc, "pullRequestId"))) ? -1 : 0;
}

int codecommit_op_list_pull_requests(call *c, json_t *in, json_t **out)
{
    json_t *repo;
    const char *name = jstr(in, "repositoryName"), *st = jstr(in, "pullRequestStatus");
    if (cc_repo_load(c, "codecommit:ListPullRequests", name, &repo)) return -1;
    if (st && strcmp(st, "OPEN") && strcmp(st, "CLOSED"))
        return ferr_set(c->err, 400, "InvalidPullRequestStatusException",
                        "The pull request status is not valid. The only valid values are OPEN "
                        "and CLOSED.");
    list_ctx l = {arena_defer_json(c->a, json_array()), name, jstr(in, "authorArn"), st};
    if (!l.ids) return ferr_oom(c->err);
    /* newest first, as AWS lists them */
    if (store_list(c->txn, PR_KIND, c->account, c->region, NULL, NULL, 0, list_one, &l, c->err) < 0)
        return -1;
    return cc_page(c, in, l.ids, "pullRequestIds", out);
}

/* ---- updates ---- */

static int closed(call *c)
{
    return ferr_set(c->err, 400, "PullRequestAlreadyClosedException",
                    "The pull request status cannot be updated because it is already closed.");
}

/* The pull request of in's pullRequestId, open, for action. */
static int load_open(call *c, const json_t *in, const char *action, json_t **pr, json_t **repo)
{
    if (cc_pr_load(c, jstr(in, "pullRequestId"), action, pr, repo)) return -1;
    return strcmp(jstr(*pr, "pullRequestStatus"), "OPEN") ? closed(c) : 0;
}

int codecommit_op_update_pull_request_title(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo;
    const char *title = jstr(in, "title");
    if (!title || !*title)
        return ferr_set(c->err, 400, "TitleRequiredException",
                        "A pull request title is required. It cannot be empty or null.");
    if (load_open(c, in, "codecommit:UpdatePullRequestTitle", &pr, &repo)) return -1;
    if (jset_str(pr, "title", title)) return ferr_oom(c->err);
    if (cc_pr_save(c, pr)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
    return 0;
}

int codecommit_op_update_pull_request_description(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo;
    if (load_open(c, in, "codecommit:UpdatePullRequestDescription", &pr, &repo)) return -1;
    if (jset_str(pr, "description", jstr(in, "description") ? jstr(in, "description") : ""))
        return ferr_oom(c->err);
    if (cc_pr_save(c, pr)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
    return 0;
}

/* Sets the status, with its event. */
static int set_status(call *c, json_t *pr, const char *st)
{
    if (jset_str(pr, "pullRequestStatus", st)) return ferr_oom(c->err);
    return cc_pr_event(c, pr, "PULL_REQUEST_STATUS_CHANGED",
                       "pullRequestStatusChangedEventMetadata",
                       json_pack("{s:s}", "pullRequestStatus", st)) ||
                   cc_pr_save(c, pr) || cc_pr_emit(c, pr, "pullRequestStatusChanged", NULL)
               ? -1
               : 0;
}

int codecommit_op_update_pull_request_status(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo;
    const char *st = jstr(in, "pullRequestStatus");
    if (!st)
        return ferr_set(c->err, 400, "PullRequestStatusRequiredException",
                        "A pull request status is required, but none was provided.");
    if (strcmp(st, "OPEN") && strcmp(st, "CLOSED"))
        return ferr_set(c->err, 400, "InvalidPullRequestStatusException",
                        "The pull request status is not valid. The only valid values are OPEN "
                        "and CLOSED.");
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:UpdatePullRequestStatus", &pr, &repo))
        return -1;
    const char *now = jstr(pr, "pullRequestStatus");
    /* AWS: OPEN to OPEN or CLOSED, CLOSED to CLOSED */
    if (!strcmp(now, "CLOSED") && !strcmp(st, "OPEN"))
        return ferr_set(c->err, 400, "InvalidPullRequestStatusUpdateException",
                        "The pull request status update is not valid. The only valid update is "
                        "from OPEN to CLOSED.");
    if (strcmp(now, st) && set_status(c, pr, st)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
    return 0;
}

/* ---- merges ---- */

/* pr (target t) was merged: its event, saved, and the bus's. */
static int merged_event(call *c, json_t *pr, const json_t *t)
{
    return cc_pr_event(c, pr, "PULL_REQUEST_MERGE_STATE_CHANGED",
                       "pullRequestMergedStateChangedEventMetadata",
                       json_pack("{s:s, s:s, s:O}", "repositoryName", jstr(t, "repositoryName"),
                                 "destinationReference", jstr(t, "destinationReference"),
                                 "mergeMetadata", json_object_get(t, "mergeMetadata"))) ||
                   cc_pr_save(c, pr) || cc_pr_emit(c, pr, "pullRequestMergeStatusUpdated", NULL)
               ? -1
               : 0;
}

/* A request's repositoryName (when given) must be the pull request's target's. */
static int same_repo(call *c, const json_t *target, const char *name)
{
    if (!name || !strcmp(name, jstr(target, "repositoryName"))) return 0;
    return ferr_set(c->err, 400, "RepositoryNotAssociatedWithPullRequestException",
                    "The repository does not contain any pull requests with that pull "
                    "request ID. Use GetPullRequest to verify the correct repository name "
                    "for the pull request ID.");
}

static int merge_pr(call *c, json_t *in, json_t **out, const char *action, const char *option)
{
    json_t *pr, *repo;
    git_repository *g;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), action, &pr, &repo)) return -1;
    json_t *t = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
    if (same_repo(c, t, jstr(in, "repositoryName"))) return -1;
    if (strcmp(jstr(pr, "pullRequestStatus"), "OPEN")) return closed(c);
    if (cc_git_open(c, repo, &g)) return -1;
    git_oid s, d, res;
    if (ref_tip(c, g, jstr(t, "sourceReference"), &s) ||
        ref_tip(c, g, jstr(t, "destinationReference"), &d))
        return -1;
    const char *want = jstr(in, "sourceCommitId"), *tip = hexid(c, &s);
    if (!tip) return ferr_oom(c->err);
    if (want && strcmp(want, tip))
        return ferr_set(c->err, 400, "TipOfSourceReferenceIsDifferentException",
                        "The tip of the source branch in the destination repository does not "
                        "match the tip of the source branch specified in your request. The pull "
                        "request might have been updated. Make sure that you have the latest "
                        "changes.");
    if (!cc_pr_approved(pr, NULL))
        return ferr_set(c->err, 400, "PullRequestApprovalRulesNotSatisfiedException",
                        "The pull request cannot be merged because one or more approval rules "
                        "applied to the pull request have conditions that have not been met.");
    git_commit *sc, *dc;
    if (git_commit_lookup(&sc, g, &s) || !arena_own(c->a, commit_free, sc) ||
        git_commit_lookup(&dc, g, &d) || !arena_own(c->a, commit_free, dc))
        return cc_git_fail(c, "read commits");
    const char *dst = jstr(t, "destinationReference") + 11;
    const char *msg =
        arena_printf(c->a, "Merged PR %s: %s", jstr(pr, "pullRequestId"), jstr(pr, "title"));
    if (!msg) return ferr_oom(c->err);
    /* out of the open index first: the moved destination must not merge it a second time */
    const char *oid;
    store_key ok = open_key(c, pr, &oid);
    if (!oid) return ferr_oom(c->err);
    if (store_del(c->txn, &ok, c->err) < 0 ||
        cc_merge(c, g, repo, option, sc, dc, dst, in, msg, &res))
        return -1;
    json_t *mm = json_pack("{s:b, s:s, s:s, s:s}", "isMerged", 1, "mergedBy", c->who->arn,
                           "mergeCommitId", hexid(c, &res), "mergeOption", option);
    if (!mm || json_object_set_new(t, "mergeMetadata", mm) ||
        jset_str(t, "destinationCommit", hexid(c, &res)) || jset_str(t, "sourceCommit", tip) ||
        jset_str(pr, "pullRequestStatus", "CLOSED"))
        return ferr_oom(c->err);
    if (merged_event(c, pr, t)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "pullRequest", cc_view(pr)));
    return 0;
}

int codecommit_op_merge_pull_request_by_fast_forward(call *c, json_t *in, json_t **out)
{
    return merge_pr(c, in, out, "codecommit:MergePullRequestByFastForward", "FAST_FORWARD_MERGE");
}

int codecommit_op_merge_pull_request_by_squash(call *c, json_t *in, json_t **out)
{
    return merge_pr(c, in, out, "codecommit:MergePullRequestBySquash", "SQUASH_MERGE");
}

int codecommit_op_merge_pull_request_by_three_way(call *c, json_t *in, json_t **out)
{
    return merge_pr(c, in, out, "codecommit:MergePullRequestByThreeWay", "THREE_WAY_MERGE");
}

int codecommit_op_describe_pull_request_events(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *e;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:DescribePullRequestEvents", &pr,
                   &repo))
        return -1;
    const char *type = jstr(in, "pullRequestEventType"), *actor = jstr(in, "actorArn");
    json_t *all = arena_defer_json(c->a, json_array());
    size_t i;
    json_array_foreach(json_object_get(pr, "_events"), i, e) {
        if (type && strcmp(jstr(e, "pullRequestEventType"), type)) continue;
        if (actor && strcmp(jstr(e, "actorArn"), actor)) continue;
        if (!all || json_array_append(all, e)) return ferr_oom(c->err);
    }
    return cc_page(c, in, all, "pullRequestEvents", out);
}

/* ---- refs that moved (codecommit.c's ref path) ---- */

typedef struct moved_ctx {
    json_t *ids;
} moved_ctx;

static int moved_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(((moved_ctx *)ud)->ids, json_object_get(doc, "pullRequestId"));
}

int cc_pr_ref_moved(call *c, const json_t *repo, const char *ref, const char *new_id)
{
    const char *prefix = arena_printf(c->a, "%s/", jstr(repo, "repositoryId"));
    moved_ctx m = {arena_defer_json(c->a, json_array())};
    if (!prefix || !m.ids) return ferr_oom(c->err);
    if (store_list(c->txn, PR_OPEN_KIND, c->account, c->region, NULL, prefix, 0, moved_one, &m,
                   c->err) < 0)
        return -1;
    int deleted = strspn(new_id, "0") == strlen(new_id);
    size_t i;
    json_t *idv;
    git_repository *g = NULL;
    json_array_foreach(m.ids, i, idv) {
        const char *k = pr_key(c, json_string_value(idv));
        store_key key = call_key(c, PR_KIND, k ? k : "");
        json_t *pr = NULL;
        int rc = k ? store_get(c->txn, &key, &pr, c->err) : ferr_oom(c->err);
        if (rc <= 0 || !arena_defer_json(c->a, pr)) {
            if (rc < 0) return -1;
            continue;
        }
        json_t *t = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
        if (!g && c->env && cc_git_open(c, repo, &g)) return -1;
        if (!deleted && !strcmp(jstr(t, "destinationReference"), ref)) {
            if (jset_str(t, "destinationCommit", new_id)) return ferr_oom(c->err);
            /* AWS: a destination that now holds the source (merged by git and pushed)
             * merges the pull request */
            git_oid src, dst;
            if (g && !git_oid_fromstr(&src, jstr(t, "sourceCommit")) &&
                !git_oid_fromstr(&dst, new_id) &&
                (git_oid_equal(&src, &dst) || git_graph_descendant_of(g, &dst, &src) == 1)) {
                json_t *mm = json_pack("{s:b, s:s}", "isMerged", 1, "mergedBy", c->who->arn);
                if (!mm || json_object_set_new(t, "mergeMetadata", mm) ||
                    jset_str(pr, "pullRequestStatus", "CLOSED"))
                    return ferr_oom(c->err);
                if (merged_event(c, pr, t)) return -1;
            } else if (cc_pr_save(c, pr))
                return -1;
        } else if (!deleted && !strcmp(jstr(t, "sourceReference"), ref)) {
            const char *before = arena_strdup(c->a, jstr(t, "sourceCommit"));
            /* a new revision: its approvals and override start over */
            if (!before || jset_str(t, "sourceCommit", new_id) ||
                json_object_set_new(pr, "_approvals", json_array()))
                return ferr_oom(c->err);
            json_object_del(pr, "_override");
            git_oid src, dst, base;
            if (g && !git_oid_fromstr(&src, new_id) &&
                !git_oid_fromstr(&dst, jstr(t, "destinationCommit")) &&
                !git_merge_base(&base, g, &src, &dst) && jset_str(t, "mergeBase", hexid(c, &base)))
                return ferr_oom(c->err);
            if (set_revision(c, pr, new_id) ||
                cc_pr_event(c, pr, "PULL_REQUEST_SOURCE_REFERENCE_UPDATED",
                            "pullRequestSourceReferenceUpdatedEventMetadata",
                            json_pack("{s:s, s:s, s:s}", "repositoryName",
                                      jstr(t, "repositoryName"), "beforeCommitId", before,
                                      "afterCommitId", new_id)) ||
                cc_pr_save(c, pr) || cc_pr_emit(c, pr, "pullRequestSourceBranchUpdated", NULL))
                return -1;
        }
    }
    return 0;
}

/* ---- comments ---- */

/* AWS's limit on a comment's content. */
#define MAX_COMMENT 10240

/* The thread a comment belongs to: the commits and the location it was made on. */
static int same_thread(const json_t *a, const json_t *b)
{
    const char *keys[] = {"beforeCommitId", "afterCommitId"};
    for (size_t i = 0; i < 2; i++) {
        const char *x = jstr(a, keys[i]), *y = jstr(b, keys[i]);
        if (!x != !y || (x && strcmp(x, y))) return 0;
    }
    return json_equal(json_object_get(a, "location"), json_object_get(b, "location")) ||
           (!json_object_get(a, "location") && !json_object_get(b, "location"));
}

int codecommit_op_post_comment_for_pull_request(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *e;
    const char *content = jstr(in, "content"), *token = jstr(in, "clientRequestToken");
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:PostCommentForPullRequest", &pr,
                   &repo))
        return -1;
    const json_t *t = json_array_get(json_object_get(pr, "pullRequestTargets"), 0);
    if (same_repo(c, t, jstr(in, "repositoryName"))) return -1;
    if (!content || !*content)
        return ferr_set(c->err, 400, "CommentContentRequiredException",
                        "The comment is empty. You must provide some content for a comment. The "
                        "content cannot be null.");
    if (strlen(content) > MAX_COMMENT)
        return ferr_set(c->err, 400, "CommentContentSizeLimitExceededException",
                        "The comment is too large. Comments are limited to 10,240 characters.");
    json_t *all = json_object_get(pr, "_comments");
    if (!all) {
        all = json_array();
        if (json_object_set_new(pr, "_comments", all)) return ferr_oom(c->err);
    }
    size_t i;
    json_array_foreach(all, i, e) {
        const char *tok = jstr(json_object_get(e, "comment"), "clientRequestToken");
        if (!token || !tok || strcmp(tok, token)) continue;
        if (strcmp(jstr(json_object_get(e, "comment"), "content"), content))
            return ferr_set(c->err, 400, "IdempotencyParameterMismatchException",
                            "The client request token is not valid. Either the token is not in a "
                            "valid format, or the token has been used in a previous request and "
                            "cannot be reused.");
        *out = svc_out(c, json_deep_copy(e)); /* AWS: the same token, the same comment */
        return 0;
    }
    char id[37];
    ids_uuid(id);
    double now = clock_now();
    json_t *cm = json_pack("{s:s, s:s, s:f, s:f, s:s, s:b, s:[], s:{}}", "commentId", id, "content",
                           content, "creationDate", now, "lastModifiedDate", now, "authorArn",
                           c->who->arn, "deleted", 0, "callerReactions", "reactionCounts");
    json_t *v = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:o}", "repositoryName",
                          jstr(t, "repositoryName"), "pullRequestId", jstr(pr, "pullRequestId"),
                          "beforeCommitId", json_object_get(in, "beforeCommitId"), "afterCommitId",
                          json_object_get(in, "afterCommitId"), "location",
                          json_object_get(in, "location"), "comment", cm);
    if (!v || (token && jset_str(cm, "clientRequestToken", token)) || json_array_append(all, v)) {
        json_decref(v);
        return ferr_oom(c->err);
    }
    *out = svc_out(c, v);
    return cc_pr_save(c, pr);
}

int codecommit_op_get_comments_for_pull_request(call *c, json_t *in, json_t **out)
{
    json_t *pr, *repo, *e, *g;
    if (cc_pr_load(c, jstr(in, "pullRequestId"), "codecommit:GetCommentsForPullRequest", &pr,
                   &repo))
        return -1;
    const char *before = jstr(in, "beforeCommitId"), *after = jstr(in, "afterCommitId");
    json_t *groups = arena_defer_json(c->a, json_array());
    if (!groups) return ferr_oom(c->err);
    size_t i, j;
    json_array_foreach(json_object_get(pr, "_comments"), i, e) {
        if (before && (!jstr(e, "beforeCommitId") || strcmp(before, jstr(e, "beforeCommitId"))))
            continue;
        if (after && (!jstr(e, "afterCommitId") || strcmp(after, jstr(e, "afterCommitId"))))
            continue;
        json_t *into = NULL;
        json_array_foreach(groups, j, g)
            if (!into && same_thread(g, e)) into = g;
        if (!into) {
            into = json_deep_copy(e);
            if (!into || json_object_del(into, "comment") ||
                json_object_set_new(into, "comments", json_array()) ||
                json_array_append_new(groups, into))
                return ferr_oom(c->err);
        }
        if (json_array_append(json_object_get(into, "comments"), json_object_get(e, "comment")))
            return ferr_oom(c->err);
    }
    return cc_page(c, in, groups, "commentsForPullRequestData", out);
}
