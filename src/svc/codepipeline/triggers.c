/* V2 git triggers: a pipeline's `triggers` checked as CreatePipeline/UpdatePipeline take
 * them, and run when the git host reports a change (svc/gitchange.h): a push of a branch or
 * tag, a pull request opened, updated or closed. AWS runs triggers only for
 * CodeStarSourceConnection source actions (a third-party host); ferry's git host is
 * CodeCommit, so a trigger may also name a CodeCommit source action, whose repository's
 * changes it then filters. The execution it starts runs that exact commit (the source
 * action's "sources" override) and records trigger WebhookV2 with the repository's ARN. */
#include <stdio.h>
#include <string.h>

#include "base/glob.h"
#include "base/log.h"
#include "codepipeline_int.h"
#include "svc/gitchange.h"

#define MAX_FILTERS  3   /* AWS: push and pullRequest hold 1-3 filters */
#define MAX_PATTERNS 8   /* includes and excludes hold 1-8 patterns */
#define MAX_PATTERN  255 /* of 1-255 characters */

/* ---- checking a declaration ---- */

static int bad_value(call *c, const char *where, const char *what)
{
    return ferr_set(c->err, 400, "ValidationException",
                    "1 validation error detected: Value at 'pipeline.triggers.member.%s' failed "
                    "to satisfy constraint: %s",
                    where, what);
}

static int check_criteria(call *c, const json_t *crit, const char *where)
{
    if (!crit) return 0;
    static const char *const sides[] = {"includes", "excludes"};
    for (int s = 0; s < 2; s++) {
        const json_t *l = json_object_get(crit, sides[s]);
        if (!l) continue;
        char w[160];
        snprintf(w, sizeof(w), "%s.%s", where, sides[s]);
        if (!json_array_size(l) || json_array_size(l) > MAX_PATTERNS)
            return bad_value(c, w,
                             "Member must have length less than or equal to 8 and greater "
                             "than or equal to 1");
        size_t i;
        json_t *v;
        json_array_foreach(l, i, v) {
            const char *p = json_string_value(v), *why;
            if (!p || !*p || strlen(p) > MAX_PATTERN)
                return bad_value(c, w,
                                 "Member must have length less than or equal to 255 and "
                                 "greater than or equal to 1");
            if (glob_check(p, &why))
                return ferr_set(c->err, 400, "ValidationException",
                                "The glob pattern %s in %s is not valid: %s", p, w, why);
        }
    }
    if (!json_object_get(crit, "includes") && !json_object_get(crit, "excludes"))
        return ferr_set(c->err, 400, "InvalidStructureException",
                        "The %s filter of a trigger must have includes or excludes", where);
    return 0;
}

static int check_filters(call *c, const json_t *list, int pr)
{
    const char *what = pr ? "gitConfiguration.pullRequest" : "gitConfiguration.push";
    if (!list) return 0;
    if (!json_array_size(list) || json_array_size(list) > MAX_FILTERS)
        return bad_value(c, what,
                         "Member must have length less than or equal to 3 and greater than or "
                         "equal to 1");
    size_t i, j;
    json_t *f, *ev;
    json_array_foreach(list, i, f) {
        const json_t *tags = pr ? NULL : json_object_get(f, "tags"),
                     *br = json_object_get(f, "branches"), *fp = json_object_get(f, "filePaths");
        /* AWS's combinations: tags; branches; branches with file paths */
        if ((tags && (br || fp)) || (!tags && !br))
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "A %s filter of a trigger must filter on %s",
                            pr ? "pull request" : "push",
                            pr ? "branches, or branches and file paths"
                               : "tags, branches, or branches and file paths");
        char w[128];
        snprintf(w, sizeof(w), "%s.%s", what, tags ? "tags" : "branches");
        if (check_criteria(c, tags ? tags : br, w)) return -1;
        snprintf(w, sizeof(w), "%s.filePaths", what);
        if (check_criteria(c, fp, w)) return -1;
        const json_t *evs = json_object_get(f, "events");
        if (evs && (!json_array_size(evs) || json_array_size(evs) > 3))
            return bad_value(c, "gitConfiguration.pullRequest.events",
                             "Member must have length less than or equal to 3 and greater than "
                             "or equal to 1");
        json_array_foreach(evs, j, ev) {
            const char *e = json_string_value(ev);
            if (!e || (strcmp(e, "OPEN") && strcmp(e, "UPDATED") && strcmp(e, "CLOSED")))
                return bad_value(c, "gitConfiguration.pullRequest.events",
                                 "Member must satisfy enum value set: [OPEN, UPDATED, CLOSED]");
        }
    }
    return 0;
}

/* The first stage's action named name (borrowed), or NULL. */
static const json_t *source_action(const json_t *decl, const char *name)
{
    const json_t *s0 = json_array_get(json_object_get(decl, "stages"), 0);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(s0, "actions"), i, a) {
        if (name && jstr(a, "name") && !strcmp(jstr(a, "name"), name)) return a;
    }
    return NULL;
}

static const char *provider_of(const json_t *a)
{
    return jstr(json_object_get(a, "actionTypeId"), "provider");
}

int cp_check_triggers(call *c, const json_t *p)
{
    const json_t *trigs = json_object_get(p, "triggers");
    if (!trigs) return 0;
    const char *pt = jstr(p, "pipelineType");
    if (json_array_size(trigs) && (!pt || strcmp(pt, "V2")))
        return ferr_set(c->err, 400, "ValidationException",
                        "Triggers are only supported for pipelines of type V2");
    if (json_array_size(trigs) > 50)
        return bad_value(c, "", "Member must have length less than or equal to 50");
    json_t *seen = arena_defer_json(c->a, json_object());
    if (!seen) return ferr_oom(c->err);
    size_t i;
    json_t *t;
    json_array_foreach(trigs, i, t) {
        const char *prov = jstr(t, "providerType");
        if (!prov || strcmp(prov, "CodeStarSourceConnection"))
            return bad_value(c, "providerType",
                             "Member must satisfy enum value set: [CodeStarSourceConnection]");
        const json_t *gc = json_object_get(t, "gitConfiguration");
        const char *an = jstr(gc, "sourceActionName");
        const json_t *a = source_action(p, an);
        const char *ap = provider_of(a);
        /* AWS's message, with what ferry also takes */
        if (!a || !ap || (strcmp(ap, "CodeStarSourceConnection") && strcmp(ap, "CodeCommit")) ||
            json_object_get(seen, an))
            return ferr_set(c->err, 400, "InvalidStructureException",
                            "Triggers for connection must reference a CodeStarSourceConnection "
                            "action (in ferry, also a CodeCommit source action). Note that when "
                            "you specify a trigger, you cant specify more than one trigger per "
                            "source action.");
        if (json_object_set_new(seen, an, json_true())) return ferr_oom(c->err);
        if (check_filters(c, json_object_get(gc, "push"), 0) ||
            check_filters(c, json_object_get(gc, "pullRequest"), 1))
            return -1;
    }
    return 0;
}

/* ---- a change of a repository ---- */

/* The paths the change touched, read once (NULL with e on failure). */
typedef struct change_ctx {
    const git_change *ch;
    json_t *paths;
    ferr *e;
} change_ctx;

static int criteria_hit(const json_t *crit, const char *name)
{
    size_t i;
    json_t *v;
    const json_t *inc = json_object_get(crit, "includes");
    int in = !inc;
    json_array_foreach(inc, i, v) {
        if (glob_match(json_string_value(v), name) == 1) in = 1;
    }
    json_array_foreach(json_object_get(crit, "excludes"), i, v) {
        if (glob_match(json_string_value(v), name) == 1) in = 0;
    }
    return in;
}

/* 1 when a changed file passes the filePaths criteria (absent: 1), 0, -1. */
static int paths_hit(change_ctx *x, const json_t *crit)
{
    if (!crit) return 1;
    if (!x->paths && !(x->paths = x->ch->paths(x->ch, x->e))) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(x->paths, i, v) {
        if (criteria_hit(crit, json_string_value(v))) return 1;
    }
    return 0;
}

static int has_event(const json_t *f, const char *ev)
{
    const json_t *evs = json_object_get(f, "events");
    if (!evs) return 1; /* none named: every event */
    size_t i;
    json_t *v;
    json_array_foreach(evs, i, v) {
        if (json_string_value(v) && !strcmp(json_string_value(v), ev)) return 1;
    }
    return 0;
}

/* 1 when the trigger's gitConfiguration gc (on action a) starts an execution, 0, -1. */
static int fires(change_ctx *x, const json_t *gc, const json_t *a)
{
    const git_change *ch = x->ch;
    const char *ref = ch->ref;
    int tag = !strncmp(ref, "refs/tags/", 10), branch = !strncmp(ref, "refs/heads/", 11);
    const char *name = tag ? ref + 10 : branch ? ref + 11 : ref;
    const json_t *push = json_object_get(gc, "push"), *prs = json_object_get(gc, "pullRequest");
    size_t i;
    json_t *f;
    if (ch->pr_event) {
        json_array_foreach(prs, i, f) {
            if (!has_event(f, ch->pr_event) || !criteria_hit(json_object_get(f, "branches"), name))
                continue;
            int hit = paths_hit(x, json_object_get(f, "filePaths"));
            if (hit) return hit;
        }
        return 0;
    }
    if (!push && !prs) { /* no filter: a push to the action's own branch */
        const char *b = jstr(json_object_get(a, "configuration"), "BranchName");
        return branch && b && !strcmp(b, name);
    }
    json_array_foreach(push, i, f) {
        const json_t *tags = json_object_get(f, "tags"), *br = json_object_get(f, "branches");
        if (tag ? !tags || !criteria_hit(tags, name) : !branch || !br || !criteria_hit(br, name))
            continue;
        int hit = tag ? 1 : paths_hit(x, json_object_get(f, "filePaths"));
        if (hit) return hit;
    }
    return 0;
}

/* The source override of the execution a change starts for action an. */
static json_t *override_of(const git_change *ch, const char *an)
{
    const char *ref = ch->pr_event ? ch->source_ref : ch->ref;
    int tag = !strncmp(ref, "refs/tags/", 10);
    const char *name = tag ? ref + 10 : !strncmp(ref, "refs/heads/", 11) ? ref + 11 : ref;
    return json_pack("{s:{s:s, s:s, s:s?}}", an, "commitId", ch->new_id, tag ? "tag" : "branch",
                     name, "pullRequestId", ch->pr_id);
}

typedef struct pipes {
    json_t *list;
} pipes;

static int collect_pipe(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(((pipes *)ud)->list, doc) ? -1 : 0;
}

int codepipeline_git_change(ferry_env *env, store_txn *t, const git_change *ch, ferr *e)
{
    pipes ps = {json_array()};
    if (!ps.list) return ferr_oom(e);
    change_ctx x = {.ch = ch, .e = e};
    int rc = store_list(t, CP_PIPE_KIND, ch->account, ch->region, NULL, NULL, 0, collect_pipe, &ps,
                        e) < 0
                 ? -1
                 : 0;
    size_t i, j;
    json_t *d, *tr;
    json_array_foreach(ps.list, i, d) {
        if (rc) break;
        const json_t *decl = json_object_get(d, "pipeline");
        const char *pt = jstr(decl, "pipelineType");
        if (!pt || strcmp(pt, "V2")) continue;
        json_array_foreach(json_object_get(decl, "triggers"), j, tr) {
            const json_t *gc = json_object_get(tr, "gitConfiguration");
            const char *an = jstr(gc, "sourceActionName");
            const json_t *a = source_action(decl, an);
            const char *repo = jstr(json_object_get(a, "configuration"), "RepositoryName");
            if (!a || !provider_of(a) || strcmp(provider_of(a), "CodeCommit") || !repo ||
                strcmp(repo, ch->repo))
                continue;
            int hit = fires(&x, gc, a);
            if (hit < 0) {
                rc = -1;
                break;
            }
            if (!hit) continue;
            call c = {.a = ch->a,
                      .env = env,
                      .service = "codepipeline",
                      .op = "StartPipelineExecution",
                      .account = ch->account,
                      .region = ch->region,
                      .txn = t,
                      .caller = CALLER_INTERNAL,
                      .err = e};
            json_t *trig = arena_defer_json(ch->a, json_pack("{s:s, s:s}", "triggerType",
                                                             "WebhookV2", "triggerDetail",
                                                             ch->repo_arn ? ch->repo_arn : ""));
            json_t *src = arena_defer_json(ch->a, override_of(ch, an));
            const char *id;
            if (!trig || !src) {
                rc = ferr_oom(e);
                break;
            }
            rc = cp_exec_start(&c, d, NULL, trig, src, &id);
            if (!rc)
                log_info("codepipeline: %s/%s/%s started %s on %s of %s", ch->account, ch->region,
                         jstr(decl, "name"), id, ch->pr_event ? ch->pr_event : ch->ref, ch->repo);
            else if (e->status == 400) {
                /* the pipeline's own fault (a variable without a default): it does not start,
                 * and the push stands (nothing was written before the check) */
                log_error("codepipeline: %s/%s/%s not started on %s of %s: %s", ch->account,
                          ch->region, jstr(decl, "name"), ch->ref, ch->repo, e->message);
                ferr_clear(e);
                rc = 0;
            }
            break; /* one execution per pipeline for one change */
        }
    }
    json_decref(x.paths);
    json_decref(ps.list);
    return rc;
}
