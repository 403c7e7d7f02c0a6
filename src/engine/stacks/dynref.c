/* Dynamic references: parsing, substitution, the static placement check and resolution
 * through the services (see dynref.h). */
#include "engine/stacks/dynref.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jval.h"
#include "engine/stacks/provider.h"

#define OPEN  "{{resolve:"
#define NOPEN (sizeof(OPEN) - 1)

static int malformed(ferr *e, const char *s, size_t n, const char *why)
{
    return ferr_validation(
        e, "Incorrect format is used in the dynamic reference '{{resolve:%.*s}}': %s",
        (int)(n > 600 ? 600 : n), s, why);
}

void cfn_dynref_dispose(cfn_dynref *r)
{
    if (!r) return;
    free(r->name);
    free(r->json_key);
    free(r->version_stage);
    free(r->version_id);
    memset(r, 0, sizeof(*r));
}

/* The end of an ARN of parts colon-separated fields in s[0..n): its length, or 0 when s
 * has fewer. */
static size_t arn_len(const char *s, size_t n, int parts)
{
    int colons = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ':' && ++colons == parts) return i;
    return colons == parts - 1 ? n : 0;
}

static char *dup_field(const char *s, size_t n)
{
    return n ? strndup(s, n) : NULL;
}

static int parse_ssm(const char *all, size_t alln, const char *s, size_t n, cfn_dynref *r, ferr *e)
{
    /* NAME, or arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, then :VERSION */
    size_t nl = !strncmp(s, "arn:", n < 4 ? n : 4) && n >= 4 ? arn_len(s, n, 6) : 0;
    if (!nl) {
        const char *c = memchr(s, ':', n);
        nl = c ? (size_t)(c - s) : n;
    }
    if (!nl) return malformed(e, all, alln, "the parameter name is empty");
    const char *name_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/:";
    for (size_t i = 0; i < nl; i++)
        if (!strchr(name_chars, s[i]) || !s[i])
            return malformed(e, all, alln, "the parameter name has a character it cannot have");
    if (nl < n) {
        const char *v = s + nl + 1;
        size_t vn = n - nl - 1;
        size_t digits = 0; /* v is not NUL-terminated */
        while (digits < vn && v[digits] >= '0' && v[digits] <= '9') digits++;
        if (!vn || vn > 18 || digits < vn)
            return malformed(e, all, alln, "the version must be a number");
        char tmp[20];
        memcpy(tmp, v, vn);
        tmp[vn] = 0;
        r->version = strtoll(tmp, NULL, 10);
        if (r->version < 1) return malformed(e, all, alln, "the version must be a number");
    }
    r->name = strndup(s, nl);
    return r->name ? 1 : ferr_oom(e);
}

static int parse_secret(const char *all, size_t alln, const char *s, size_t n, cfn_dynref *r,
                        ferr *e)
{
    /* SECRET-ID (a name, or arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), then up to
     * four fields: SecretString, json-key, version-stage, version-id (empty = not given) */
    size_t il = n >= 4 && !strncmp(s, "arn:", 4) ? arn_len(s, n, 7) : 0;
    if (!il) {
        const char *c = memchr(s, ':', n);
        il = c ? (size_t)(c - s) : n;
    }
    if (!il) return malformed(e, all, alln, "the secret id is empty");
    if (memchr(s, 0, n)) return malformed(e, all, alln, "it holds a NUL");
    const char *f[4] = {0};
    size_t fl[4] = {0}, nf = 0;
    for (size_t i = il; i < n;) {
        if (nf == 4) return malformed(e, all, alln, "it has more than six segments");
        const char *start = s + i + 1, *c = memchr(start, ':', n - i - 1);
        f[nf] = start;
        fl[nf] = c ? (size_t)(c - start) : n - i - 1;
        i += 1 + fl[nf++];
    }
    if (fl[0] && (fl[0] != 12 || strncmp(f[0], "SecretString", 12)))
        return malformed(e, all, alln, "the only supported value is SecretString");
    if (fl[2] && fl[3])
        return malformed(e, all, alln, "specify either the version stage or the version id");
    r->name = strndup(s, il);
    r->json_key = dup_field(f[1], fl[1]);
    r->version_stage = dup_field(f[2], fl[2]);
    r->version_id = dup_field(f[3], fl[3]);
    if (!r->name || (fl[1] && !r->json_key) || (fl[2] && !r->version_stage) ||
        (fl[3] && !r->version_id))
        return ferr_oom(e);
    return 1;
}

int cfn_dynref_parse(const char *s, size_t n, cfn_dynref *r, ferr *e)
{
    memset(r, 0, sizeof(*r));
    static const struct {
        const char *prefix;
        cfn_dyn_kind kind;
    } kinds[] = {{"ssm:", CFN_DYN_SSM},
                 {"ssm-secure:", CFN_DYN_SSM_SECURE},
                 {"secretsmanager:", CFN_DYN_SECRETS}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t pl = strlen(kinds[i].prefix);
        if (n < pl || strncmp(s, kinds[i].prefix, pl)) continue;
        r->kind = kinds[i].kind;
        int rc = r->kind == CFN_DYN_SECRETS ? parse_secret(s, n, s + pl, n - pl, r, e)
                                            : parse_ssm(s, n, s + pl, n - pl, r, e);
        if (rc != 1) cfn_dynref_dispose(r);
        return rc;
    }
    return 0;
}

/* str with its references of kinds in mask replaced: new string, or NULL with e. */
static json_t *subst_string(const json_t *str, unsigned mask, cfn_dynref_fn fn, void *ud, ferr *e)
{
    const char *s = json_string_value(str);
    size_t len = json_string_length(str);
    if (!memmem(s, len, OPEN, NOPEN)) return json_incref((json_t *)str);
    buf b;
    buf_init(&b, 0);
    const char *p = s, *end = s + len;
    int rc = 0;
    while (!rc && p < end) {
        const char *o = memmem(p, (size_t)(end - p), OPEN, NOPEN);
        const char *c = o ? memmem(o + NOPEN, (size_t)(end - o - NOPEN), "}}", 2) : NULL;
        if (!o || !c) {
            buf_put(&b, p, (size_t)(end - p));
            break;
        }
        buf_put(&b, p, (size_t)(o - p));
        cfn_dynref r;
        int k = cfn_dynref_parse(o + NOPEN, (size_t)(c - o - NOPEN), &r, e);
        if (k < 0) {
            rc = -1;
            break;
        }
        char *value = NULL;
        if (k == 1 && (r.kind & mask)) {
            rc = fn(ud, &r, &value, e);
            if (!rc) buf_put(&b, value, strlen(value));
        } else {
            buf_put(&b, o, (size_t)(c + 2 - o));
        }
        free(value);
        cfn_dynref_dispose(&r);
        p = c + 2;
    }
    json_t *out = NULL;
    if (!rc && b.failed)
        ferr_oom(e);
    else if (!rc && !(out = json_stringn(buf_str(&b), b.len)))
        ferr_oom(e);
    buf_dispose(&b);
    return out;
}

json_t *cfn_dynref_subst(const json_t *node, unsigned mask, cfn_dynref_fn fn, void *ud, ferr *e)
{
    if (json_is_string(node)) return subst_string(node, mask, fn, ud, e);
    if (json_is_array(node)) {
        json_t *out = json_array();
        size_t i;
        json_t *v;
        if (!out) return ferr_oom(e), NULL;
        json_array_foreach(node, i, v) {
            json_t *x = cfn_dynref_subst(v, mask, fn, ud, e);
            if (!x || json_array_append_new(out, x)) {
                if (x) ferr_oom(e);
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_object(node)) {
        json_t *out = json_object();
        const char *k;
        json_t *v;
        if (!out) return ferr_oom(e), NULL;
        json_object_foreach((json_t *)node, k, v) {
            json_t *x = cfn_dynref_subst(v, mask, fn, ud, e);
            if (!x || json_object_set_new(out, k, x)) {
                if (x) ferr_oom(e);
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_incref((json_t *)node);
}

/* AWS: the resource properties that resolve ssm-secure references (arrays' items are
 * written without their index). */
static const char *const secure_ok[] = {
    "AWS::DirectoryService::MicrosoftAD/Properties/Password",
    "AWS::DirectoryService::SimpleAD/Properties/Password",
    "AWS::ElastiCache::ReplicationGroup/Properties/AuthToken",
    "AWS::IAM::User/Properties/LoginProfile/Password",
    "AWS::KinesisFirehose::DeliveryStream/Properties/RedshiftDestinationConfiguration/Password",
    "AWS::OpsWorks::App/Properties/AppSource/Password",
    "AWS::OpsWorks::Stack/Properties/CustomCookbooksSource/Password",
    "AWS::OpsWorks::Stack/Properties/RdsDbInstances/DbPassword",
    "AWS::RDS::DBCluster/Properties/MasterUserPassword",
    "AWS::RDS::DBInstance/Properties/MasterUserPassword",
    "AWS::Redshift::Cluster/Properties/MasterUserPassword",
    NULL,
};

/* Walks node at path (in b): -1 with e at the first ssm-secure reference where AWS takes
 * none. Intrinsic function names are not part of a property's path. */
static int check_node(const json_t *node, buf *b, ferr *e)
{
    if (json_is_string(node)) {
        if (!strstr(json_string_value(node), OPEN "ssm-secure:")) return 0;
        if (b->failed) return ferr_oom(e);
        for (const char *const *ok = secure_ok; *ok; ok++)
            if (!strcmp(*ok, buf_str(b))) return 0;
        return ferr_validation(e, "SSM Secure reference is not supported in: [%s]", buf_str(b));
    }
    size_t at = b->len;
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) {
            if (check_node(v, b, e)) return -1;
        }
    } else if (json_is_object(node)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)node, k, v) {
            if (strncmp(k, "Fn::", 4)) buf_printf(b, "/%s", k);
            int rc = check_node(v, b, e);
            if (b->p) b->p[b->len = at] = 0;
            if (rc) return -1;
        }
    }
    return 0;
}

int cfn_dynref_check(const json_t *tpl, ferr *e)
{
    const char *k;
    json_t *res;
    json_object_foreach(json_object_get(tpl, "Resources"), k, res) {
        const char *type = jstr(res, "Type");
        json_t *props = json_object_get(res, "Properties");
        if (!type || !props) continue;
        buf b;
        buf_init(&b, 0);
        buf_printf(&b, "%s/Properties", type);
        int rc = check_node(props, &b, e);
        buf_dispose(&b);
        if (rc) return -1;
    }
    return 0;
}

/* ---- resolution through the services ------------------------------------------------ */

static int resolve_param(cfn_pctx *p, const cfn_dynref *r, char **value)
{
    int secure = r->kind == CFN_DYN_SSM_SECURE;
    const char *word = secure ? "ssm-secure" : "ssm";
    char name[2100];
    if (r->version)
        snprintf(name, sizeof(name), "%s:%lld", r->name, r->version);
    else
        snprintf(name, sizeof(name), "%s", r->name);
    json_t *in = json_pack("{s:s, s:b}", "Name", name, "WithDecryption", secure), *out = NULL;
    if (!in) return ferr_oom(p->e);
    int rc = cfn_call(p, "ssm", "GetParameter", in, &out);
    json_decref(in);
    if (rc) {
        if (!strcmp(p->e->code, "ParameterNotFound") ||
            !strcmp(p->e->code, "ParameterVersionNotFound"))
            ferr_validation(p->e, "Parameters: [%s:%s] cannot be found.", word, name);
        return -1;
    }
    const json_t *par = json_object_get(out, "Parameter");
    const char *type = jstr(par, "Type"), *v = jstr(par, "Value");
    if (!secure && type && !strcmp(type, "SecureString")) {
        json_decref(out);
        return ferr_validation(p->e,
                               "Parameters [%s] referenced by template have types not supported "
                               "by CloudFormation.",
                               r->name);
    }
    *value = strdup(v ? v : "");
    json_decref(out);
    return *value ? 0 : ferr_oom(p->e);
}

static int resolve_secret(cfn_pctx *p, const cfn_dynref *r, char **value)
{
    json_t *in = json_pack("{s:s}", "SecretId", r->name), *out = NULL;
    if (!in || jset_str(in, "VersionStage", r->version_stage) ||
        jset_str(in, "VersionId", r->version_id)) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    int rc = cfn_call(p, "secretsmanager", "GetSecretValue", in, &out);
    json_decref(in);
    if (rc) return -1;
    const char *s = jstr(out, "SecretString");
    if (!s) {
        json_decref(out);
        return ferr_validation(p->e, "Secrets Manager secret %s has no SecretString.", r->name);
    }
    if (!r->json_key) {
        *value = strdup(s);
        json_decref(out);
        return *value ? 0 : ferr_oom(p->e);
    }
    json_t *doc = json_loads(s, 0, NULL);
    json_decref(out);
    json_t *v = json_object_get(doc, r->json_key);
    if (!v) {
        json_decref(doc);
        return ferr_validation(p->e, "Could not find a value for the key %s in the secret %s.",
                               r->json_key, r->name);
    }
    *value = json_is_string(v) ? strdup(json_string_value(v))
                               : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    return *value ? 0 : ferr_oom(p->e);
}

static int resolve_one(void *ud, const cfn_dynref *r, char **value, ferr *e)
{
    cfn_pctx *p = ud;
    (void)e; /* p->e */
    return r->kind == CFN_DYN_SECRETS ? resolve_secret(p, r, value) : resolve_param(p, r, value);
}

json_t *cfn_dynref_resolve(cfn_pctx *p, const json_t *props)
{
    return cfn_dynref_subst(props, CFN_DYN_ALL, resolve_one, p, p->e);
}
