/* Functions: create, read, list, update (code and configuration), delete; tags. */
#include <stdlib.h>
#include <string.h>

#include "lambda_int.h"

/* A configuration as a change answers it: Pending or InProgress, as AWS answers them
 * (the waiters then poll until the state settles). */
static json_t *fresh(call *c, const json_t *cfg)
{
    json_t *o = json_deep_copy(cfg);
    if (!o) c->oom = 1;
    return o;
}

static int open_fn(call *c, const json_t *in, const char *action, lambda_ref *r, json_t **doc)
{
    const char *res;
    return lambda_open(c, jstr(in, "FunctionName"), jstr(in, "Qualifier"), action, r, doc, &res);
}

int lambda_op_create_function(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "FunctionName");
    lambda_ref r;
    if (lambda_ref_parse(c, name, NULL, &r)) return -1;
    if (r.qualifier || strcmp(r.account, c->account))
        return lambda_invalid(c, "Invalid function name: %s", name);
    const char *arn = lambda_fn_arn(c, c->account, r.name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "lambda:CreateFunction", arn)) return -1;
    call_resource(c, "AWS::Lambda::Function", arn);
    const char *pt = jstr(in, "PackageType");
    if (pt && strcmp(pt, "Zip"))
        return lambda_invalid(c, "PackageType Image is not supported by this server: use Zip.");
    store_key k = {LAMBDA_FN_KIND, c->account, c->region, r.name};
    json_t *old = NULL;
    int rc = store_get(c->txn, &k, &old, c->err);
    json_decref(old);
    if (rc < 0) return -1;
    if (rc) return lambda_conflict(c, "Function already exist: %s", r.name);
    json_t *cfg = json_pack("{s:s, s:s}", "FunctionName", r.name, "FunctionArn", arn);
    json_t *doc = json_pack("{s:o, s:{}, s:i, s:{}, s:O, s:{}}", "Latest", cfg, "Versions",
                            "NextVersion", 1, "Aliases", "Tags",
                            json_object_get(in, "Tags") ? json_object_get(in, "Tags") : json_null(),
                            "Policies");
    if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (!json_object_get(in, "Tags") && json_object_set_new(doc, "Tags", json_object()))
        return ferr_oom(c->err);
    if (lambda_apply_config(c, in, cfg, 1) ||
        lambda_code_store(c, json_object_get(in, "Code"), cfg) || lambda_check_unzipped(c, cfg) ||
        lambda_touch(c, cfg, 0))
        return -1;
    if (json_is_true(json_object_get(in, "Publish"))) {
        json_t *v = json_deep_copy(cfg);
        const char *varn = arena_printf(c->a, "%s:1", arn);
        if (!v || !varn || jset_str(v, "Version", "1") || jset_str(v, "FunctionArn", varn) ||
            json_object_set_new(json_object_get(doc, "Versions"), "1", v) ||
            json_object_set_new(doc, "NextVersion", json_integer(2)))
            return ferr_oom(c->err);
        if (lambda_touch(c, v, 0)) return -1;
        *out = svc_out(c, lambda_render(c, v));
    } else {
        *out = svc_out(c, fresh(c, cfg));
    }
    return lambda_save(c, r.name, doc);
}

int lambda_op_get_function_configuration(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    if (open_fn(c, in, "lambda:GetFunctionConfiguration", &r, &doc)) return -1;
    json_t *cfg = lambda_config(c, doc, &r, NULL);
    if (!cfg) return -1;
    *out = svc_out(c, lambda_render(c, cfg));
    return 0;
}

int lambda_op_get_function(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    if (open_fn(c, in, "lambda:GetFunction", &r, &doc)) return -1;
    json_t *cfg = lambda_config(c, doc, &r, NULL);
    if (!cfg) return -1;
    const char *loc = lambda_code_location(c, cfg);
    json_t *o = json_pack("{s:o, s:{s:s, s:s?}}", "Configuration", lambda_render(c, cfg), "Code",
                          "RepositoryType", "S3", "Location", loc);
    if (o && json_object_size(json_object_get(doc, "Tags")) &&
        json_object_set(o, "Tags", json_object_get(doc, "Tags")))
        c->oom = 1;
    json_t *conc = json_object_get(doc, "Concurrency");
    if (o && conc &&
        json_object_set_new(o, "Concurrency",
                            json_pack("{s:O}", "ReservedConcurrentExecutions", conc)))
        c->oom = 1;
    *out = svc_out(c, o);
    return 0;
}

typedef struct list_ud {
    call *c;
    json_t *all;
    int versions;
} list_ud;

static int list_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    list_ud *l = ud;
    if (json_array_append_new(l->all, lambda_render(l->c, json_object_get(doc, "Latest"))))
        l->c->oom = 1;
    if (!l->versions) return 0;
    const char *v;
    json_t *cfg;
    json_object_foreach(json_object_get(doc, "Versions"), v, cfg)
        if (json_array_append_new(l->all, lambda_render(l->c, cfg))) l->c->oom = 1;
    return 0;
}

int lambda_op_list_functions(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "lambda:ListFunctions", "*")) return -1;
    const char *fv = jstr(in, "FunctionVersion");
    if (fv && strcmp(fv, "ALL"))
        return lambda_invalid(c, "Invalid value for FunctionVersion: %s", fv);
    list_ud l = {c, json_array(), fv != NULL};
    if (!l.all || !arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    if (store_list(c->txn, LAMBDA_FN_KIND, c->account, c->region, NULL, NULL, 0, list_one, &l,
                   c->err) < 0)
        return -1;
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    long long max = lambda_max_items(in);
    if (svc_page(c, l.all, jstr(in, "Marker"), max, o, "Functions", "NextMarker",
                 "InvalidParameterValueException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int lambda_op_delete_function(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    if (open_fn(c, in, "lambda:DeleteFunction", &r, &doc)) return -1;
    const char *arn = lambda_fn_arn(c, r.account, r.name);
    call_resource(c, "AWS::Lambda::Function", arn);
    if (strcmp(r.account, c->account))
        return ferr_set(c->err, 403, "AccessDeniedException",
                        "Cross-account deletion of functions is not supported");
    json_t *versions = json_object_get(doc, "Versions");
    if (r.qualifier) {
        json_t *v = json_object_get(versions, r.qualifier);
        if (!v) {
            if (json_object_get(json_object_get(doc, "Aliases"), r.qualifier))
                return lambda_invalid(c, "Deletion of aliases is not currently supported.");
            return lambda_not_found(c, "Function not found: %s:%s", arn, r.qualifier);
        }
        const char *an;
        json_t *al;
        json_object_foreach(json_object_get(doc, "Aliases"), an, al) {
            const char *extra = NULL;
            json_t *w =
                json_object_get(json_object_get(al, "RoutingConfig"), "AdditionalVersionWeights");
            if (json_object_get(w, r.qualifier)) extra = r.qualifier;
            if (!strcmp(jstr(al, "FunctionVersion"), r.qualifier) || extra)
                return lambda_conflict(c,
                                       "Unable to delete version because the following aliases "
                                       "reference it: [%s]",
                                       an);
        }
        char *blob = jstr(v, "_Blob") ? arena_strdup(c->a, jstr(v, "_Blob")) : NULL;
        if (json_object_del(versions, r.qualifier)) return ferr_oom(c->err);
        if (json_object_del(json_object_get(doc, "Policies"), r.qualifier)) {
        } /* it had none */
        if (lambda_blob_release(c, doc, blob)) return -1;
        return lambda_save(c, r.name, doc);
    }
    if (lambda_blob_release(c, NULL, jstr(json_object_get(doc, "Latest"), "_Blob"))) return -1;
    const char *vn;
    json_t *v;
    json_object_foreach(versions, vn, v)
        if (lambda_blob_release(c, NULL, jstr(v, "_Blob"))) return -1;
    store_key k = {LAMBDA_FN_KIND, c->account, c->region, r.name};
    lambda_reserved_forget();
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

/* $LATEST of the function in in, for an update: not a qualifier, no update in progress, the
 * RevisionId the caller expects. */
static json_t *open_latest(call *c, json_t *in, const char *action, lambda_ref *r, json_t **doc)
{
    if (open_fn(c, in, action, r, doc)) return NULL;
    call_resource(c, "AWS::Lambda::Function", lambda_fn_arn(c, r->account, r->name));
    if (r->qualifier) {
        lambda_invalid(c, "Please do not provide a qualifier when updating a function.");
        return NULL;
    }
    if (strcmp(r->account, c->account)) {
        ferr_set(c->err, 403, "AccessDeniedException",
                 "Cross-account updates of functions are not supported");
        return NULL;
    }
    json_t *cfg = json_object_get(*doc, "Latest");
    if (lambda_busy(c, cfg) || lambda_check_revision(c, in, cfg, "GetFunction/GetAlias"))
        return NULL;
    lambda_settle(cfg);
    return cfg;
}

int lambda_publish(call *c, json_t *doc, const char *description, json_t **out);

int lambda_op_update_function_code(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc, *cfg = open_latest(c, in, "lambda:UpdateFunctionCode", &r, &doc);
    if (!cfg) return -1;
    char *old = jstr(cfg, "_Blob") ? arena_strdup(c->a, jstr(cfg, "_Blob")) : NULL;
    json_t *arch = json_object_get(in, "Architectures");
    if (lambda_code_store(c, in, cfg) || lambda_check_unzipped(c, cfg) ||
        (arch && json_object_set(cfg, "Architectures", arch)))
        return c->err->code[0] ? -1 : ferr_oom(c->err);
    if (json_is_true(json_object_get(in, "DryRun"))) {
        /* AWS: checks the code and the caller, changes nothing */
        *out = svc_out(c, lambda_render(c, cfg));
        return lambda_blobref(c, jstr(cfg, "_Blob"), 0);
    }
    if (lambda_touch(c, cfg, 1) || lambda_blob_release(c, doc, old)) return -1;
    if (json_is_true(json_object_get(in, "Publish"))) {
        if (lambda_publish(c, doc, NULL, out)) return -1;
    } else {
        *out = svc_out(c, fresh(c, cfg));
    }
    return lambda_save(c, r.name, doc);
}

int lambda_op_update_function_configuration(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc, *cfg = open_latest(c, in, "lambda:UpdateFunctionConfiguration", &r, &doc);
    if (!cfg) return -1;
    if (lambda_apply_config(c, in, cfg, 0) || lambda_check_unzipped(c, cfg) ||
        lambda_touch(c, cfg, 1))
        return -1;
    *out = svc_out(c, fresh(c, cfg));
    return lambda_save(c, r.name, doc);
}

/* ---- tags: on the function's unqualified ARN ---- */

static int open_tagged(call *c, json_t *in, const char *action, lambda_ref *r, json_t **doc)
{
    const char *arn = jstr(in, "Resource");
    if (strncmp(arn, "arn:", 4)) return lambda_invalid(c, "Invalid ARN: %s", arn);
    json_t *q = json_pack("{s:s}", "FunctionName", arn);
    if (!q || !arena_defer_json(c->a, q)) return ferr_oom(c->err);
    if (open_fn(c, q, action, r, doc)) return -1;
    if (r->qualifier)
        return lambda_invalid(c, "Tags are not supported on function versions or aliases: %s", arn);
    return 0;
}

int lambda_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    if (open_tagged(c, in, "lambda:TagResource", &r, &doc)) return -1;
    json_t *tags = json_object_get(doc, "Tags");
    if (json_object_update(tags, json_object_get(in, "Tags"))) return ferr_oom(c->err);
    if (json_object_size(tags) > 50)
        return lambda_invalid(c, "Number of tags exceeds resource tag limit.");
    return lambda_save(c, r.name, doc);
}

int lambda_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    if (open_tagged(c, in, "lambda:UntagResource", &r, &doc)) return -1;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k)
        if (json_object_del(json_object_get(doc, "Tags"), json_string_value(k))) {
        }
    return lambda_save(c, r.name, doc);
}

int lambda_op_list_tags(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    if (open_tagged(c, in, "lambda:ListTags", &r, &doc)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "Tags", json_object_get(doc, "Tags")));
    return 0;
}
