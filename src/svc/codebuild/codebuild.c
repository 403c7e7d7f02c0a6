/* AWS CodeBuild: the service and projects. See codebuild_int.h. */
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "codebuild_int.h"
#include "engine/builds.h"
#include "proto/codec.h"

/* The container credentials provider of running builds (AWS_CONTAINER_CREDENTIALS_FULL_URI):
 * the per-build token in Authorization names the build, whose role session answers. */
static int credentials_route(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    (void)a;
    char *body = NULL;
    int status = builds_credentials(env, r->creds.raw, &body);
    proto_response_init(resp);
    resp->status = status;
    resp->content_type = "application/json";
    /* what the refusal is: no token, a token no running build holds, or ferry's failure */
    const char *why = status == 401   ? "{\"message\": \"Unauthorized\"}"
                      : status == 403 ? "{\"message\": \"Forbidden\"}"
                                      : "{\"message\": \"Internal error\"}";
    buf_puts(&resp->body, body ? body : why);
    free(body);
    return 1;
}

static const svc_route routes[] = {
    {"GET", NULL, BUILDS_CREDENTIALS_PATH, credentials_route},
};

const svc_def svc_codebuild = {.name = "codebuild",
                               .event_source = "codebuild.amazonaws.com",
                               .routes = routes,
                               .nroutes = sizeof(routes) / sizeof(routes[0])};

const char *cb_arn(call *c, const char *type, const char *name)
{
    return arena_printf(c->a, "arn:%s:codebuild:%s:%s:%s/%s", arn_partition(c->region), c->region,
                        c->account, type, name);
}

const char *cb_local(call *c, const char *type, const char *s)
{
    const char *arn = cb_arn(c, type, "");
    if (arn && !strncmp(s, arn, strlen(arn))) return s + strlen(arn);
    return s;
}

const char *cb_project_arn(call *c, const char *name)
{
    return cb_arn(c, "project", name);
}

int cb_no_project(call *c, const char *name_or_arn)
{
    const char *arn =
        !strncmp(name_or_arn, "arn:", 4) ? name_or_arn : cb_project_arn(c, name_or_arn);
    if (!arn) return ferr_oom(c->err);
    return ferr_set(c->err, 400, "ResourceNotFoundException", "Project cannot be found: %s", arn);
}

int cb_project_find(call *c, const char *name_or_arn, const char *action, json_t **doc)
{
    const char *name = cb_local(c, "project", name_or_arn);
    const char *arn = cb_project_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, action, arn)) return -1;
    store_key k = call_key(c, CB_PROJECT_KIND, name);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return 1;
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    call_resource(c, "AWS::CodeBuild::Project", name);
    return 0;
}

int cb_project_save(call *c, const json_t *doc)
{
    store_key k = call_key(c, CB_PROJECT_KIND, jstr(doc, "name"));
    return store_put(c->txn, &k, doc, c->err);
}

json_t *cb_project_view(const json_t *doc)
{
    json_t *v = json_deep_copy(doc);
    if (v) json_object_del(v, "_n");
    return v;
}

static int invalid(call *c, const char *msg)
{
    return ferr_set(c->err, 400, "InvalidInputException", "%s", msg);
}

/* What AWS checks of a source beyond the model: a buildspec where nothing else can hold one,
 * a location where the type needs one. */
static int check_source(call *c, const json_t *s, int secondary)
{
    const char *type = jstr(s, "type"), *loc = jstr(s, "location");
    if (!type) return 0;
    if (secondary && !jstr(s, "sourceIdentifier"))
        return invalid(c, "Invalid secondary source: sourceIdentifier must be specified");
    if (!strcmp(type, "NO_SOURCE")) {
        const char *bs = jstr(s, "buildspec");
        if (!bs || !*bs) return invalid(c, "Invalid source: buildspec must be set for NO_SOURCE");
        if (loc) return invalid(c, "Invalid source: location must not be set for NO_SOURCE");
    } else if (!strcmp(type, "CODECOMMIT") || !strcmp(type, "S3")) {
        if (!loc || !*loc)
            return ferr_set(c->err, 400, "InvalidInputException",
                            "Invalid source location: location must be set for %s", type);
        if (!strcmp(type, "S3") && !strchr(loc, '/'))
            return ferr_set(c->err, 400, "InvalidInputException", "Invalid source location: %s",
                            loc);
    }
    return 0;
}

static int check_artifacts(call *c, const json_t *a, int secondary)
{
    const char *type = jstr(a, "type");
    if (!type) return 0;
    if (secondary && !jstr(a, "artifactIdentifier"))
        return invalid(c, "Invalid secondary artifact: artifactIdentifier must be specified");
    if (!strcmp(type, "S3") && !jstr(a, "location"))
        return invalid(c, "Invalid artifacts: location must be set for S3 artifacts");
    return 0;
}

int cb_check_cache(call *c, const json_t *cache)
{
    /* type and modes are enums of the model, checked before */
    const char *type = jstr(cache, "type"), *loc = jstr(cache, "location");
    if (type && !strcmp(type, "S3") && (!loc || !*loc || *loc == '/'))
        return invalid(c, "Invalid cache: location must be a valid S3 bucket");
    return 0;
}

/* Checks the members of in that make up a project and copies them into doc. */
static int apply(call *c, const json_t *in, json_t *doc)
{
    static const char *const keys[] = {
        "description",
        "source",
        "secondarySources",
        "sourceVersion",
        "secondarySourceVersions",
        "artifacts",
        "secondaryArtifacts",
        "cache",
        "environment",
        "serviceRole",
        "timeoutInMinutes",
        "queuedTimeoutInMinutes",
        "encryptionKey",
        "tags",
        "vpcConfig",
        "badgeEnabled",
        "logsConfig",
        "fileSystemLocations",
        "buildBatchConfig",
        "concurrentBuildLimit",
    };
    const json_t *v;
    size_t i;
    if ((v = json_object_get(in, "source")) && check_source(c, v, 0)) return -1;
    json_array_foreach(json_object_get(in, "secondarySources"), i, v)
        if (check_source(c, v, 1)) return -1;
    if ((v = json_object_get(in, "artifacts")) && check_artifacts(c, v, 0)) return -1;
    if ((v = json_object_get(in, "cache")) && cb_check_cache(c, v)) return -1;
    json_array_foreach(json_object_get(in, "secondaryArtifacts"), i, v)
        if (check_artifacts(c, v, 1)) return -1;
    json_array_foreach(json_object_get(json_object_get(in, "environment"), "environmentVariables"),
                       i, v) {
        const char *t = jstr(v, "type");
        if (t && strcmp(t, "PLAINTEXT") && strcmp(t, "PARAMETER_STORE") &&
            strcmp(t, "SECRETS_MANAGER"))
            return invalid(c, "Invalid environment variable type");
    }
    if ((v = json_object_get(in, "concurrentBuildLimit")) && json_integer_value(v) < 1 &&
        json_integer_value(v) != -1)
        return invalid(c, "Project-level concurrent build limit must be greater than 0");
    const char *role = jstr(in, "serviceRole");
    if (role && strncmp(role, "arn:", 4)) {
        /* AWS takes a role name too and stores its ARN */
        const char *arn = arena_printf(c->a, "arn:%s:iam::%s:role/%s", arn_partition(c->region),
                                       c->account, role);
        if (!arn || jset_str(doc, "serviceRole", arn)) return ferr_oom(c->err);
    }
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!(v = json_object_get(in, keys[i]))) continue;
        if (!strcmp(keys[i], "serviceRole") && role && strncmp(role, "arn:", 4)) continue;
        if (json_object_set_new(doc, keys[i], json_deep_copy(v))) return ferr_oom(c->err);
    }
    /* AWS: -1 removes the project's limit */
    if (jint(doc, "concurrentBuildLimit", 0) == -1) json_object_del(doc, "concurrentBuildLimit");
    if (json_object_set_new(doc, "lastModified", json_real(clock_now()))) return ferr_oom(c->err);
    return 0;
}

int codebuild_op_create_project(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "name");
    const char *arn = cb_project_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codebuild:CreateProject", arn)) return -1;
    double now = clock_now();
    json_t *d = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:f, s:i, s:i, s:[], s:{s:b}, s:s, s:i}", "name", name, "arn", arn,
                  "created", now, "timeoutInMinutes", 60, "queuedTimeoutInMinutes", 480, "tags",
                  "badge", "badgeEnabled", 0, "projectVisibility", "PRIVATE", "_n", 0));
    if (!d) return ferr_oom(c->err);
    if (apply(c, in, d)) return -1;
    if (!json_object_get(d, "artifacts") &&
        json_object_set_new(d, "artifacts", json_pack("{s:s}", "type", "NO_ARTIFACTS")))
        return ferr_oom(c->err);
    if (!json_object_get(d, "cache") &&
        json_object_set_new(d, "cache", json_pack("{s:s}", "type", "NO_CACHE")))
        return ferr_oom(c->err);
    json_t *lc = json_object_get(d, "logsConfig");
    if (!lc && json_object_set_new(d, "logsConfig",
                                   json_pack("{s:{s:s}, s:{s:s, s:b}}", "cloudWatchLogs", "status",
                                             "ENABLED", "s3Logs", "status", "DISABLED",
                                             "encryptionDisabled", 0)))
        return ferr_oom(c->err);
    store_key k = call_key(c, CB_PROJECT_KIND, name);
    int rc = store_insert(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "ResourceAlreadyExistsException", "Project already exists: %s",
                        arn);
    call_resource(c, "AWS::CodeBuild::Project", name);
    *out = svc_out(c, json_pack("{s:o}", "project", cb_project_view(d)));
    return 0;
}

int codebuild_op_update_project(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *name = jstr(in, "name");
    int rc = cb_project_find(c, name, "codebuild:UpdateProject", &d);
    if (rc) return rc < 0 ? -1 : cb_no_project(c, name);
    if (apply(c, in, d) || cb_project_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "project", cb_project_view(d)));
    return 0;
}

int codebuild_op_delete_project(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    const char *name = jstr(in, "name");
    int rc = cb_project_find(c, name, "codebuild:DeleteProject", &d);
    if (rc < 0) return -1;
    if (rc) return 0; /* AWS: deleting a project that is not there succeeds */
    store_key k = call_key(c, CB_PROJECT_KIND, jstr(d, "name"));
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int codebuild_op_batch_get_projects(call *c, json_t *in, json_t **out)
{
    json_t *found = arena_defer_json(c->a, json_array()),
           *missing = arena_defer_json(c->a, json_array());
    if (!found || !missing) return ferr_oom(c->err);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "names"), i, v) {
        json_t *d;
        int rc = cb_project_find(c, json_string_value(v), "codebuild:BatchGetProjects", &d);
        if (rc < 0) return -1;
        if (rc ? json_array_append(missing, v) : json_array_append_new(found, cb_project_view(d)))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:O}", "projects", found, "projectsNotFound", missing));
    return 0;
}

/* Orders projects by ctx: NULL by name, else the time member it names; descending when
 * the member after it says so. */
typedef struct order {
    const char *field;
    int desc;
} order;

static int project_cmp(const void *pa, const void *pb, void *ctx)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    const order *o = ctx;
    int r;
    if (o->field) {
        double x = json_number_value(json_object_get(a, o->field)),
               y = json_number_value(json_object_get(b, o->field));
        r = x < y ? -1 : x > y;
    } else {
        r = strcmp(jstr(a, "name"), jstr(b, "name"));
    }
    return o->desc ? -r : r;
}

int codebuild_op_list_projects(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codebuild:ListProjects", "*")) return -1;
    const char *by = jstr(in, "sortBy"), *dir = jstr(in, "sortOrder");
    order o = {!by || !strcmp(by, "NAME")    ? NULL
               : !strcmp(by, "CREATED_TIME") ? "created"
                                             : "lastModified",
               dir && !strcmp(dir, "DESCENDING")};
    json_t *names;
    if (cb_list(c, CB_PROJECT_KIND, NULL, project_cmp, &o, "name", &names)) return -1;
    *out = svc_out(c, json_object());
    if (!*out) return ferr_oom(c->err);
    return svc_page(c, names, jstr(in, "nextToken"), 100, *out, "projects", "nextToken",
                    "InvalidInputException");
}

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(ud, doc);
}

/* Merge sort with a context (C11's qsort has none). */
static void merge_sort(json_t **v, json_t **tmp, size_t n,
                       int (*cmp)(const void *, const void *, void *), void *ctx)
{
    if (n < 2) return;
    size_t h = n / 2, i = 0, j = h, k = 0;
    merge_sort(v, tmp, h, cmp, ctx);
    merge_sort(v + h, tmp, n - h, cmp, ctx);
    while (i < h && j < n) tmp[k++] = cmp(&v[j], &v[i], ctx) < 0 ? v[j++] : v[i++];
    while (i < h) tmp[k++] = v[i++];
    while (j < n) tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

int cb_list(call *c, const char *kind, const char *prefix,
            int (*cmp)(const void *, const void *, void *), void *ctx, const char *member,
            json_t **out)
{
    json_t *all = arena_defer_json(c->a, json_array());
    *out = arena_defer_json(c->a, json_array());
    if (!all || !*out) return ferr_oom(c->err);
    if (store_list(c->txn, kind, c->account, c->region, prefix, NULL, 0, collect, all, c->err) < 0)
        return -1;
    size_t n = json_array_size(all);
    json_t **v = arena_alloc(c->a, (n + 1) * sizeof(*v)),
           **tmp = arena_alloc(c->a, (n + 1) * sizeof(*v));
    if (!v || !tmp) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(all, i);
    merge_sort(v, tmp, n, cmp, ctx);
    for (size_t i = 0; i < n; i++)
        if (json_array_append(*out, json_object_get(v[i], member))) return ferr_oom(c->err);
    return 0;
}
