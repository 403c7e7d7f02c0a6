/* Layers: zip packages published as numbered, immutable versions, shared with other accounts
 * or an organization through each version's policy, and named by functions (at most 5),
 * which runs them unzipped beside their code (fn_spec.layer_dirs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "lambda_int.h"

typedef struct layer_ref {
    const char *account, *name;
    long long version; /* 0: none given */
} layer_ref;

static int valid_layer_name(const char *s, size_t n)
{
    if (!n || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", s[i]))
            return 0;
    return 1;
}

/* NAME, or arn:aws:lambda:REGION:ACCOUNT:layer:NAME[:VERSION]. */
static int layer_parse(call *c, const char *s, layer_ref *l)
{
    memset(l, 0, sizeof(*l));
    l->account = c->account;
    const char *p = s;
    if (!strncmp(s, "arn:", 4)) {
        size_t rl = strlen(c->region);
        const char *r = arn_rest(s, "lambda"); /* REGION:ACCOUNT:layer:... */
        if (!r || strncmp(r, c->region, rl) || r[rl] != ':' ||
            strspn(r + 1 + rl, "0123456789") != 12 || strncmp(r + 13 + rl, ":layer:", 7))
            return lambda_invalid(c, "Invalid layer arn: %s", s);
        l->account = arena_strndup(c->a, r + 1 + rl, 12);
        p = r + 20 + rl;
    }
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    if (!valid_layer_name(p, n)) return lambda_invalid(c, "Invalid layer name: %s", s);
    if (colon) {
        if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
            strlen(colon + 1) > 15)
            return lambda_invalid(c, "Invalid layer version: %s", s);
        l->version = atoll(colon + 1);
    }
    l->name = arena_strndup(c->a, p, n);
    return l->name && l->account ? 0 : ferr_oom(c->err);
}

static const char *layer_arn(call *c, const layer_ref *l)
{
    return arena_printf(c->a, "arn:%s:lambda:%s:%s:layer:%s", arn_partition(c->region), c->region,
                        l->account, l->name);
}

/* 1 and *doc (arena) when the layer exists, 0 not, -1 error. */
static int layer_load(call *c, const layer_ref *l, json_t **doc)
{
    store_key k = {LAMBDA_LAYER_KIND, l->account, c->region, l->name};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

static int layer_save(call *c, const layer_ref *l, json_t *doc)
{
    store_key k = {LAMBDA_LAYER_KIND, l->account, c->region, l->name};
    return store_put(c->txn, &k, doc, c->err);
}

static char *num(call *c, long long v)
{
    return arena_printf(c->a, "%lld", v);
}

static int version_not_found(call *c)
{
    return lambda_not_found(c, "The resource you requested does not exist.");
}

/* The layer version l names (l->version set), authorized for action with its policy. *doc is
 * the layer's document. */
static json_t *open_version(call *c, const layer_ref *l, const char *action, json_t **doc)
{
    const char *varn = arena_printf(c->a, "%s:%lld", layer_arn(c, l), l->version);
    if (!varn) {
        ferr_oom(c->err);
        return NULL;
    }
    int rc = layer_load(c, l, doc);
    if (rc < 0) return NULL;
    json_t *v = rc ? json_object_get(json_object_get(*doc, "Versions"), num(c, l->version)) : NULL;
    const json_t *pol = json_object_get(v, "Policy");
    char *text = pol ? json_dumps(pol, JSON_COMPACT) : NULL;
    if (pol && !text) {
        ferr_oom(c->err);
        return NULL;
    }
    authz_req q = {.action = action,
                   .resource = varn,
                   .resource_account = l->account,
                   .resource_policy = text,
                   .denied_code = "AccessDeniedException"};
    rc = call_authorize_ex(c, &q);
    free(text);
    if (rc) return NULL;
    if (!v) version_not_found(c);
    return v;
}

/* A version as GetLayerVersion answers it (private members and the policy dropped by the
 * encoder, which knows only the model's), with AWS's Content.Location: a URL that downloads
 * the archive for ten minutes, as GetFunction's Code.Location. */
static json_t *shown(call *c, json_t *v)
{
    json_t *o = json_deep_copy(v);
    const char *loc = o ? lambda_code_location(c, json_object_get(o, "Content")) : NULL;
    if (!o || (loc && jset_str(json_object_get(o, "Content"), "Location", loc))) c->oom = 1;
    return o;
}

int lambda_op_publish_layer_version(call *c, json_t *in, json_t **out)
{
    layer_ref l;
    if (layer_parse(c, jstr(in, "LayerName"), &l)) return -1;
    if (l.version || strcmp(l.account, c->account))
        return lambda_invalid(c, "Invalid layer name: %s", jstr(in, "LayerName"));
    const char *arn = layer_arn(c, &l);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "lambda:PublishLayerVersion", arn)) return -1;
    call_resource(c, "AWS::Lambda::LayerVersion", arn);
    json_t *doc;
    int rc = layer_load(c, &l, &doc);
    if (rc < 0) return -1;
    if (!rc) {
        doc = json_pack("{s:s, s:s, s:i, s:{}}", "LayerName", l.name, "LayerArn", arn,
                        "NextVersion", 1, "Versions");
        if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    }
    long long n = jint(doc, "NextVersion", 1);
    json_t *content = json_object();
    char created[40];
    lambda_timestamp(clock_now(), created);
    const char *varn = arena_printf(c->a, "%s:%lld", arn, n);
    json_t *v = json_pack("{s:o, s:s, s:s, s:s, s:s, s:I}", "Content", content, "LayerArn", arn,
                          "LayerVersionArn", varn ? varn : "", "Description",
                          jstr(in, "Description") ? jstr(in, "Description") : "", "CreatedDate",
                          created, "Version", (json_int_t)n);
    if (!v || !varn || !arena_defer_json(c->a, v)) return ferr_oom(c->err);
    const char *copy[] = {"CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
        if (json_object_get(in, copy[i]) &&
            json_object_set(v, copy[i], json_object_get(in, copy[i])))
            return ferr_oom(c->err);
    if (lambda_code_store(c, json_object_get(in, "Content"), content)) return -1;
    if (json_object_set(json_object_get(doc, "Versions"), num(c, n), v) ||
        json_object_set_new(doc, "NextVersion", json_integer(n + 1)))
        return ferr_oom(c->err);
    *out = svc_out(c, shown(c, v));
    return layer_save(c, &l, doc);
}

static int version_in(call *c, const json_t *in, layer_ref *l)
{
    if (layer_parse(c, jstr(in, "LayerName"), l)) return -1;
    if (l->version) return lambda_invalid(c, "Invalid layer name: %s", jstr(in, "LayerName"));
    l->version = jint(in, "VersionNumber", 0);
    return 0;
}

int lambda_op_get_layer_version(call *c, json_t *in, json_t **out)
{
    layer_ref l;
    json_t *doc, *v;
    if (version_in(c, in, &l) || !(v = open_version(c, &l, "lambda:GetLayerVersion", &doc)))
        return -1;
    *out = svc_out(c, shown(c, v));
    return 0;
}

int lambda_op_get_layer_version_by_arn(call *c, json_t *in, json_t **out)
{
    layer_ref l;
    json_t *doc, *v;
    if (layer_parse(c, jstr(in, "Arn"), &l)) return -1;
    if (!l.version) return lambda_invalid(c, "Invalid layer version arn: %s", jstr(in, "Arn"));
    if (!(v = open_version(c, &l, "lambda:GetLayerVersion", &doc))) return -1;
    *out = svc_out(c, shown(c, v));
    return 0;
}

static int matches(const json_t *v, const json_t *in)
{
    const char *rt = jstr(in, "CompatibleRuntime"), *arch = jstr(in, "CompatibleArchitecture");
    const char *want[2] = {rt, arch}, *field[2] = {"CompatibleRuntimes", "CompatibleArchitectures"};
    for (int f = 0; f < 2; f++) {
        if (!want[f]) continue;
        size_t i;
        json_t *x;
        int found = 0;
        json_array_foreach(json_object_get(v, field[f]), i, x)
            found |= !strcmp(json_string_value(x), want[f]);
        if (!found) return 0;
    }
    return 1;
}

/* The versions of doc matching in, newest first. */
static json_t *versions_of(call *c, json_t *doc, const json_t *in)
{
    json_t *all = json_array();
    if (!all || !arena_defer_json(c->a, all)) {
        ferr_oom(c->err);
        return NULL;
    }
    for (long long n = jint(doc, "NextVersion", 1) - 1; n > 0; n--) {
        json_t *v = json_object_get(json_object_get(doc, "Versions"), num(c, n));
        if (v && matches(v, in) && json_array_append_new(all, shown(c, v))) c->oom = 1;
    }
    return all;
}

int lambda_op_list_layer_versions(call *c, json_t *in, json_t **out)
{
    layer_ref l;
    if (layer_parse(c, jstr(in, "LayerName"), &l)) return -1;
    const char *arn = layer_arn(c, &l);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "lambda:ListLayerVersions", arn)) return -1;
    json_t *doc = NULL, *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    int rc = strcmp(l.account, c->account) ? 0 : layer_load(c, &l, &doc);
    if (rc < 0) return -1;
    json_t *all = rc ? versions_of(c, doc, in) : json_array();
    if (!rc && all && !arena_defer_json(c->a, all)) return ferr_oom(c->err);
    if (!all) return -1;
    if (svc_page(c, all, jstr(in, "Marker"), lambda_max_items(in), o, "LayerVersions", "NextMarker",
                 "InvalidParameterValueException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

typedef struct layers_ud {
    call *c;
    const json_t *in;
    json_t *all;
} layers_ud;

static int list_layer(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    layers_ud *u = ud;
    json_t *vs = versions_of(u->c, doc, u->in);
    if (!vs) return 1;
    if (!json_array_size(vs)) return 0;
    if (json_array_append_new(u->all,
                              json_pack("{s:s, s:s, s:O}", "LayerName", jstr(doc, "LayerName"),
                                        "LayerArn", jstr(doc, "LayerArn"), "LatestMatchingVersion",
                                        json_array_get(vs, 0))))
        u->c->oom = 1;
    return 0;
}

int lambda_op_list_layers(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "lambda:ListLayers", "*")) return -1;
    layers_ud u = {c, in, json_array()};
    json_t *o = json_object();
    if (!u.all || !arena_defer_json(c->a, u.all) || !o || !arena_defer_json(c->a, o)) {
        json_decref(o);
        return ferr_oom(c->err);
    }
    if (store_list(c->txn, LAMBDA_LAYER_KIND, c->account, c->region, NULL, NULL, 0, list_layer, &u,
                   c->err) < 0 ||
        ferr_isset(c->err))
        return -1;
    if (svc_page(c, u.all, jstr(in, "Marker"), lambda_max_items(in), o, "Layers", "NextMarker",
                 "InvalidParameterValueException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int lambda_op_delete_layer_version(call *c, json_t *in, json_t **out)
{
    (void)out;
    layer_ref l;
    if (version_in(c, in, &l)) return -1;
    const char *arn = layer_arn(c, &l);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "lambda:DeleteLayerVersion", arn)) return -1;
    json_t *doc;
    int rc = strcmp(l.account, c->account) ? 0 : layer_load(c, &l, &doc);
    if (rc <= 0) return rc; /* AWS: deleting what is not there succeeds */
    /* the bytes stay named (lambda.blobref): functions that use the version keep it, as
     * AWS keeps a copy for them */
    if (json_object_del(json_object_get(doc, "Versions"), num(c, l.version))) return 0;
    return layer_save(c, &l, doc);
}

static int open_own_version(call *c, const json_t *in, const char *action, layer_ref *l,
                            json_t **doc, json_t **v)
{
    if (version_in(c, in, l) || !(*v = open_version(c, l, action, doc))) return -1;
    if (strcmp(l->account, c->account))
        return ferr_set(c->err, 403, "AccessDeniedException",
                        "Cross-account changes of layer policies are not supported");
    return 0;
}

int lambda_op_add_layer_version_permission(call *c, json_t *in, json_t **out)
{
    layer_ref l;
    json_t *doc, *v;
    if (open_own_version(c, in, "lambda:AddLayerVersionPermission", &l, &doc, &v)) return -1;
    const char *sid = jstr(in, "StatementId"), *who = jstr(in, "Principal");
    const char *org = jstr(in, "OrganizationId"), *action = jstr(in, "Action");
    json_t *pol = json_object_get(v, "Policy");
    if (jstr(in, "RevisionId") &&
        (!jstr(v, "_PolicyRevision") || strcmp(jstr(in, "RevisionId"), jstr(v, "_PolicyRevision"))))
        return lambda_precondition(c, "GetLayerVersionPolicy");
    if (strcmp(who, "*") && !(strlen(who) == 12 && strspn(who, "0123456789") == 12))
        return lambda_invalid(c, "The provided principal was invalid. Please check the principal "
                                 "and try again.");
    if (org && strcmp(who, "*"))
        return lambda_invalid(c, "OrganizationId can only be used with the principal '*'.");
    if (lambda_sid_taken(c, pol, sid)) return -1;
    char principal[64];
    if (strcmp(who, "*")) arn_root(principal, sizeof(principal), who, c->region);
    json_t *s =
        strcmp(who, "*")
            ? json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "Sid", sid, "Effect", "Allow", "Principal",
                        "AWS", principal, "Action", action, "Resource", jstr(v, "LayerVersionArn"))
            : json_pack("{s:s, s:s, s:s, s:s, s:s}", "Sid", sid, "Effect", "Allow", "Principal",
                        "*", "Action", action, "Resource", jstr(v, "LayerVersionArn"));
    if (!s || !arena_defer_json(c->a, s)) return ferr_oom(c->err);
    if (org &&
        json_object_set_new(s, "Condition",
                            json_pack("{s:{s:s}}", "StringEquals", "aws:PrincipalOrgID", org)))
        return ferr_oom(c->err);
    if (!pol) {
        pol = json_pack("{s:s, s:s, s:[]}", "Version", "2012-10-17", "Id", "default", "Statement");
        if (!pol || json_object_set_new(v, "Policy", pol)) return ferr_oom(c->err);
    }
    char rev[37];
    ids_uuid(rev);
    char *text = NULL;
    if (json_array_append(json_object_get(pol, "Statement"), s) ||
        jset_str(v, "_PolicyRevision", rev) || !(text = json_dumps(s, JSON_COMPACT)))
        return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s}", "Statement", text, "RevisionId", rev));
    free(text);
    return layer_save(c, &l, doc);
}

int lambda_op_remove_layer_version_permission(call *c, json_t *in, json_t **out)
{
    (void)out;
    layer_ref l;
    json_t *doc, *v;
    if (open_own_version(c, in, "lambda:RemoveLayerVersionPermission", &l, &doc, &v)) return -1;
    json_t *pol = json_object_get(v, "Policy"), *sts = json_object_get(pol, "Statement");
    if (jstr(in, "RevisionId") &&
        (!jstr(v, "_PolicyRevision") || strcmp(jstr(in, "RevisionId"), jstr(v, "_PolicyRevision"))))
        return lambda_precondition(c, "GetLayerVersionPolicy");
    size_t i;
    json_t *st;
    json_array_foreach(sts, i, st) {
        if (strcmp(jstr(st, "Sid"), jstr(in, "StatementId"))) continue;
        char rev[37];
        ids_uuid(rev);
        if (json_array_remove(sts, i) || jset_str(v, "_PolicyRevision", rev))
            return ferr_oom(c->err);
        if (!json_array_size(sts) && json_object_del(v, "Policy")) return ferr_oom(c->err);
        return layer_save(c, &l, doc);
    }
    return lambda_not_found(c, "Statement %s is not found in resource policy.",
                            jstr(in, "StatementId"));
}

int lambda_op_get_layer_version_policy(call *c, json_t *in, json_t **out)
{
    layer_ref l;
    json_t *doc, *v;
    if (version_in(c, in, &l) || !(v = open_version(c, &l, "lambda:GetLayerVersionPolicy", &doc)))
        return -1;
    json_t *pol = json_object_get(v, "Policy");
    if (!pol) return version_not_found(c);
    const char *rev = jstr(v, "_PolicyRevision");
    char *text = json_dumps(pol, JSON_COMPACT);
    if (!text || !rev) {
        free(text);
        return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:s, s:s}", "Policy", text, "RevisionId", rev));
    free(text);
    return 0;
}

int lambda_layer_resolve(call *c, const char *arn, json_t **item)
{
    layer_ref l;
    if (layer_parse(c, arn, &l) || !l.version)
        return lambda_invalid(c, "Layer version %s does not exist.", arn);
    json_t *doc, *v = open_version(c, &l, "lambda:GetLayerVersion", &doc);
    if (!v) {
        if (!strcmp(c->err->code, "ResourceNotFoundException"))
            return lambda_invalid(c, "Layer version %s does not exist.", arn);
        return -1;
    }
    const json_t *content = json_object_get(v, "Content");
    *item = json_pack("{s:s, s:O, s:O, s:O, s:O}", "Arn", arn, "CodeSize",
                      json_object_get(content, "CodeSize"), "_Blob",
                      json_object_get(content, "_Blob"), "_Sha", json_object_get(content, "_Sha"),
                      "_Unzipped", json_object_get(content, "_Unzipped"));
    return *item ? 0 : ferr_oom(c->err);
}
