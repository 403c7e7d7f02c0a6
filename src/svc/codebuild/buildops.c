/* CodeBuild's build operations: StartBuild records a build (its overrides applied) for the
 * builds engine (engine/builds.c), which runs it and writes its progress into the same
 * document; the others read, stop and delete builds. */
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "codebuild_int.h"
#include "engine/builds.h"

/* A build id ("PROJECT:UUID") from an id or a build ARN of the caller's account and region. */
static const char *build_id(call *c, const char *s)
{
    return cb_local(c, "build", s);
}

/* AWS's initiator: the user's name, ROLE/SESSION for a role session, the service's name. */
static const char *initiator(call *c)
{
    const principal *p = c->who;
    switch (p->kind) {
    case PRIN_ROOT: return "root";
    case PRIN_USER: return p->name;
    case PRIN_ASSUMED_ROLE: return arena_printf(c->a, "%s/%s", p->name, p->session);
    default: return *p->service ? p->service : p->arn;
    }
}

/* Sets key in o to a copy of in[from] when in has it. */
static int over(json_t *o, const char *key, const json_t *in, const char *from)
{
    json_t *v = json_object_get(in, from);
    return v ? json_object_set_new(o, key, json_deep_copy(v)) : 0;
}

/* The project's variables with the override's replacing those of the same name. */
static json_t *merged_vars(const json_t *proj, const json_t *ov)
{
    json_t *r = json_array();
    size_t i, j;
    json_t *v, *w;
    json_array_foreach(proj, i, v) {
        int replaced = 0;
        json_array_foreach(ov, j, w) replaced |= !strcmp(jstr(v, "name"), jstr(w, "name"));
        if (r && !replaced && json_array_append(r, v)) json_decref(r), r = NULL;
    }
    json_array_foreach(ov, j, w)
        if (r && json_array_append(r, w)) json_decref(r), r = NULL;
    return r;
}

/* What AWS refuses of a build once its overrides are applied. */
static int check_overrides(call *c, const json_t *b)
{
    const json_t *src = json_object_get(b, "source");
    const char *type = jstr(src, "type"), *bs = jstr(src, "buildspec");
    if (type && !strcmp(type, "NO_SOURCE") && (!bs || !*bs))
        return ferr_set(c->err, 400, "InvalidInputException",
                        "Invalid source: buildspec must be set for NO_SOURCE");
    return 0;
}

static int count_pending(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    ++*(int *)ud;
    return 0;
}

/* The build engine looks at once when the call's transaction has committed: the arena is
 * freed after it, also when the call ran inside another's (EventBridge, a pipeline), where
 * svc_def.written is not called. */
static void kick(void *unused)
{
    (void)unused;
    builds_kick();
}

int codebuild_op_start_build(call *c, json_t *in, json_t **out)
{
    json_t *p;
    const char *pname = jstr(in, "projectName");
    int rc = cb_project_find(c, pname, "codebuild:StartBuild", &p);
    if (rc) return rc < 0 ? -1 : cb_no_project(c, pname);
    pname = jstr(p, "name");
    json_t *limit = json_object_get(p, "concurrentBuildLimit");
    if (limit) {
        /* AWS: a project at its limit refuses new builds instead of queueing them */
        int running = 0;
        const char *prefix = arena_printf(c->a, "%s:", pname);
        if (!prefix) return ferr_oom(c->err);
        if (store_list(c->txn, CB_PENDING_KIND, c->account, c->region, prefix, NULL, 0,
                       count_pending, &running, c->err) < 0)
            return -1;
        if (running >= json_integer_value(limit))
            return ferr_set(c->err, 400, "AccountLimitExceededException",
                            "Cannot have more than %lld active builds for the project",
                            (long long)json_integer_value(limit));
    }
    double now = clock_now();
    char uuid[37];
    ids_uuid7(uuid, now);
    const char *id = arena_printf(c->a, "%s:%s", pname, uuid), *arn = cb_arn(c, "build", id);
    const char *who = initiator(c);
    if (!id || !arn || !who) return ferr_oom(c->err);
    json_int_t n = jint(p, "_n", 0) + 1;
    if (json_object_set_new(p, "_n", json_integer(n)) || cb_project_save(c, p)) return -1;

    json_t *src = json_deep_copy(json_object_get(p, "source")),
           *env = json_deep_copy(json_object_get(p, "environment")),
           *art = json_deep_copy(json_object_get(p, "artifacts"));
    json_t *b = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:I, s:f, s:s, s:s, s:s, s:o*, s:o*, s:o*, s:O*, s:O*, s:s, "
                  "s:O*, s:O*, s:b, s:s, s:[{s:s, s:s, s:f, s:f, s:i}, {s:s, s:f}]}",
                  "id", id, "arn", arn, "buildNumber", n, "startTime", now, "currentPhase",
                  "QUEUED", "buildStatus", "IN_PROGRESS", "projectName", pname, "source", src,
                  "environment", env, "artifacts", art, "secondarySources",
                  json_object_get(p, "secondarySources"), "secondaryArtifacts",
                  json_object_get(p, "secondaryArtifacts"), "serviceRole", jstr(p, "serviceRole"),
                  "timeoutInMinutes", json_object_get(p, "timeoutInMinutes"),
                  "queuedTimeoutInMinutes", json_object_get(p, "queuedTimeoutInMinutes"),
                  "buildComplete", 0, "initiator", who, "phases", "phaseType", "SUBMITTED",
                  "phaseStatus", "SUCCEEDED", "startTime", now, "endTime", now, "durationInSeconds",
                  0, "phaseType", "QUEUED", "startTime", now));
    if (!b || !src || !env) return b ? ferr_oom(c->err) : ferr_oom(c->err);
    const char *sv =
        jstr(in, "sourceVersion") ? jstr(in, "sourceVersion") : jstr(p, "sourceVersion");
    int bad = (sv && jset_str(b, "sourceVersion", sv)) ||
              over(src, "buildspec", in, "buildspecOverride") ||
              over(src, "type", in, "sourceTypeOverride") ||
              over(src, "location", in, "sourceLocationOverride") ||
              over(src, "gitCloneDepth", in, "gitCloneDepthOverride") ||
              over(env, "image", in, "imageOverride") ||
              over(env, "computeType", in, "computeTypeOverride") ||
              over(env, "type", in, "environmentTypeOverride") ||
              over(b, "timeoutInMinutes", in, "timeoutInMinutesOverride") ||
              over(b, "queuedTimeoutInMinutes", in, "queuedTimeoutInMinutesOverride") ||
              over(b, "artifacts", in, "artifactsOverride") ||
              over(b, "secondarySources", in, "secondarySourcesOverride") ||
              over(b, "secondaryArtifacts", in, "secondaryArtifactsOverride") ||
              over(b, "secondarySourceVersions", in, "secondarySourcesVersionOverride") ||
              over(b, "serviceRole", in, "serviceRoleOverride");
    const json_t *cache = json_object_get(in, "cacheOverride");
    if (!cache) cache = json_object_get(p, "cache");
    if (!bad && cache) bad = json_object_set_new(b, "cache", json_deep_copy(cache));
    json_t *ov = json_object_get(in, "environmentVariablesOverride");
    if (!bad && ov)
        bad = json_object_set_new(env, "environmentVariables",
                                  merged_vars(json_object_get(env, "environmentVariables"), ov));
    if (bad) return ferr_oom(c->err);
    if (check_overrides(c, b) || (cache && cb_check_cache(c, cache))) return -1;
    json_t *lc = json_object_get(json_object_get(p, "logsConfig"), "cloudWatchLogs");
    if (json_object_get(in, "logsConfigOverride"))
        lc = json_object_get(json_object_get(in, "logsConfigOverride"), "cloudWatchLogs");
    const char *group = jstr(lc, "groupName"), *sprefix = jstr(lc, "streamName");
    const char *g = group ? group : arena_printf(c->a, "/aws/codebuild/%s", pname);
    const char *st = sprefix ? arena_printf(c->a, "%s/%s", sprefix, uuid) : uuid;
    const char *link =
        arena_printf(c->a,
                     "https://console.aws.amazon.com/cloudwatch/home?region=%s#logEvent:group=%s;"
                     "stream=%s",
                     c->region, g, st);
    const char *larn = arena_printf(c->a, "arn:%s:logs:%s:%s:log-group:%s:log-stream:%s",
                                    arn_partition(c->region), c->region, c->account, g, st);
    if (!g || !st || !link || !larn) return ferr_oom(c->err);
    if (json_object_set_new(b, "logs",
                            json_pack("{s:s, s:s, s:s, s:s, s:O*}", "groupName", g, "streamName",
                                      st, "deepLink", link, "cloudWatchLogsArn", larn,
                                      "cloudWatchLogs", lc)))
        return ferr_oom(c->err);
    store_key k = call_key(c, CB_BUILD_KIND, id), pk = call_key(c, CB_PENDING_KIND, id);
    json_t *empty = arena_defer_json(c->a, json_object());
    if (!empty) return ferr_oom(c->err);
    if (store_put(c->txn, &k, b, c->err) || store_put(c->txn, &pk, empty, c->err)) return -1;
    if (builds_emit_state(c->txn, c->account, c->region, b, c->err)) return -1;
    if (arena_defer(c->a, kick, NULL)) return ferr_oom(c->err);
    call_resource(c, "AWS::CodeBuild::Project", pname);
    *out = svc_out(c, json_pack("{s:o}", "build", builds_view(b)));
    return 0;
}

/* A build by id or ARN: 0 and *doc (arena), 1 absent, -1. */
static int build_load(call *c, const char *id_or_arn, const char *action, json_t **doc)
{
    const char *id = build_id(c, id_or_arn);
    const char *colon = strchr(id, ':');
    if (!colon) return 1;
    const char *parn = cb_project_arn(c, arena_strndup(c->a, id, (size_t)(colon - id)));
    if (!parn) return ferr_oom(c->err);
    if (call_authorize(c, action, parn)) return -1;
    store_key k = call_key(c, CB_BUILD_KIND, id);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc <= 0) return rc < 0 ? -1 : 1;
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 0;
}

int codebuild_op_batch_get_builds(call *c, json_t *in, json_t **out)
{
    json_t *found = arena_defer_json(c->a, json_array()),
           *missing = arena_defer_json(c->a, json_array());
    if (!found || !missing) return ferr_oom(c->err);
    size_t i;
    json_t *v, *d;
    json_array_foreach(json_object_get(in, "ids"), i, v) {
        int rc = build_load(c, json_string_value(v), "codebuild:BatchGetBuilds", &d);
        if (rc < 0) return -1;
        if (rc ? json_array_append(missing, v) : json_array_append_new(found, builds_view(d)))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:O}", "builds", found, "buildsNotFound", missing));
    return 0;
}

int codebuild_op_stop_build(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *id = jstr(in, "id");
    int rc = build_load(c, id, "codebuild:StopBuild", &d);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "ResourceNotFoundException", "Build %s does not exist",
                        build_id(c, id));
    if (!jbool(d, "buildComplete", 0)) {
        store_key k = call_key(c, CB_BUILD_KIND, jstr(d, "id"));
        if (json_object_set_new(d, "_stop", json_true())) return ferr_oom(c->err);
        if (store_put(c->txn, &k, d, c->err)) return -1;
        if (arena_defer(c->a, kick, NULL)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:o}", "build", builds_view(d)));
    return 0;
}

static int by_start(const void *pa, const void *pb, void *ctx)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    double x = json_number_value(json_object_get(a, "startTime")),
           y = json_number_value(json_object_get(b, "startTime"));
    int r = x < y ? -1 : x > y ? 1 : strcmp(jstr(a, "id"), jstr(b, "id"));
    return *(int *)ctx ? r : -r;
}

/* Ids of the builds under prefix (NULL: all), newest first unless sortOrder ASCENDING. */
static int list_ids(call *c, json_t *in, const char *prefix, json_t **out)
{
    const char *order = jstr(in, "sortOrder");
    int asc = order && !strcmp(order, "ASCENDING");
    json_t *ids;
    if (cb_list(c, CB_BUILD_KIND, prefix, by_start, &asc, "id", &ids)) return -1;
    *out = svc_out(c, json_object());
    if (!*out) return ferr_oom(c->err);
    return svc_page(c, ids, jstr(in, "nextToken"), 100, *out, "ids", "nextToken",
                    "InvalidInputException");
}

int codebuild_op_list_builds(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codebuild:ListBuilds", "*")) return -1;
    return list_ids(c, in, NULL, out);
}

int codebuild_op_list_builds_for_project(call *c, json_t *in, json_t **out)
{
    json_t *p;
    const char *pname = jstr(in, "projectName");
    int rc = cb_project_find(c, pname, "codebuild:ListBuildsForProject", &p);
    if (rc) return rc < 0 ? -1 : cb_no_project(c, pname);
    const char *prefix = arena_printf(c->a, "%s:", jstr(p, "name"));
    if (!prefix) return ferr_oom(c->err);
    return list_ids(c, in, prefix, out);
}

int codebuild_op_batch_delete_builds(call *c, json_t *in, json_t **out)
{
    json_t *deleted = arena_defer_json(c->a, json_array()),
           *failed = arena_defer_json(c->a, json_array());
    if (!deleted || !failed) return ferr_oom(c->err);
    size_t i;
    json_t *v, *d;
    json_array_foreach(json_object_get(in, "ids"), i, v) {
        const char *id = json_string_value(v);
        int rc = build_load(c, id, "codebuild:BatchDeleteBuilds", &d);
        if (rc < 0) return -1;
        if (rc) {
            if (json_array_append_new(failed, json_pack("{s:s, s:s, s:s}", "id", id, "statusCode",
                                                        "BUILD_NOT_FOUND", "message",
                                                        "Build does not exist")))
                return ferr_oom(c->err);
            continue;
        }
        if (!jbool(d, "buildComplete", 0)) {
            /* AWS deletes only builds that ended */
            if (json_array_append_new(failed, json_pack("{s:s, s:s, s:s}", "id", id, "statusCode",
                                                        "BUILD_IN_PROGRESS", "message",
                                                        "Build is in progress")))
                return ferr_oom(c->err);
            continue;
        }
        store_key k = call_key(c, CB_BUILD_KIND, jstr(d, "id"));
        if (store_del(c->txn, &k, c->err) < 0 || json_array_append(deleted, v))
            return c->err->code[0] ? -1 : ferr_oom(c->err);
    }
    *out =
        svc_out(c, json_pack("{s:O, s:O}", "buildsDeleted", deleted, "buildsNotDeleted", failed));
    return 0;
}
