/* AWS Systems Manager (json 1.1), Parameter Store: the service, and what its operations share
 * (names, ARNs, documents, versions, KMS). See ssm_int.h for what lives where. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/enc.h"
#include "ssm_int.h"

const svc_def svc_ssm = {.name = "ssm", .event_source = "ssm.amazonaws.com"};

int ssm_validation(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "ValidationException", "", fmt, ap);
    va_end(ap);
    return -1;
}

/* AWS words every malformed name this way, whichever rule it breaks */
static int bad_name(call *c)
{
    return ssm_validation(c, "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). "
                             "If formed as a path, it can consist of sub-paths divided by slash "
                             "symbol; each sub-path can be formed as a mix of letters, numbers "
                             "and the following 3 symbols .-_");
}

int ssm_name_check(call *c, const char *name)
{
    size_t n = strlen(name);
    if (!n ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") != n)
        return bad_name(c);
    if (strchr(name, '/') && name[0] != '/')
        return ssm_validation(c, "Parameter name must be a fully qualified name.");
    const char *first = name[0] == '/' ? name + 1 : name;
    if (!strncasecmp(first, "aws", 3) || !strncasecmp(first, "ssm", 3)) return bad_name(c);
    int levels = 0;
    for (const char *p = name; *p; p++) {
        if (*p != '/') continue;
        if (p[1] == '/' || !p[1]) return bad_name(c); /* an empty sub-path */
        levels++;
    }
    if (levels > SSM_MAX_LEVELS)
        return ferr_set(c->err, 400, "HierarchyLevelLimitExceededException",
                        "A hierarchy can have a maximum of 15 levels. For more information, see "
                        "Requirements and constraints for parameter names in the Amazon Web "
                        "Services Systems Manager User Guide.");
    return 0;
}

static int selector(call *c, const char *s, ssm_ref *r)
{
    r->selector = arena_printf(c->a, ":%s", s);
    if (!r->selector) return ferr_oom(c->err);
    if (*s && strspn(s, "0123456789") == strlen(s)) {
        r->version = strtoll(s, NULL, 10);
        if (r->version < 1 || strlen(s) > 18) r->version = -1; /* no such version */
    } else {
        r->label = arena_strdup(c->a, s);
        if (!r->label) return ferr_oom(c->err);
    }
    return 0;
}

int ssm_ref_parse(call *c, const char *in, int sel, ssm_ref *r)
{
    memset(r, 0, sizeof(*r));
    r->account = c->account;
    const char *name = in;
    if (!strncmp(in, "arn:", 4)) {
        /* arn:aws:ssm:REGION:ACCOUNT:parameter/NAME */
        size_t rl = strlen(c->region);
        const char *p = arn_rest(in, "ssm");
        if (!p || strncmp(p, c->region, rl) || p[rl] != ':' ||
            strspn(p + rl + 1, "0123456789") != 12 || strncmp(p + rl + 13, ":parameter/", 11))
            return bad_name(c);
        r->account = arena_strndup(c->a, p + rl + 1, 12);
        name = p + rl + 24;
        /* parameter/a/b names "/a/b"; parameter/ab is "ab" or "/ab" */
        if (!r->account) return ferr_oom(c->err);
    }
    const char *colon = sel ? strchr(name, ':') : NULL;
    char *base =
        colon ? arena_strndup(c->a, name, (size_t)(colon - name)) : arena_strdup(c->a, name);
    if (!base) return ferr_oom(c->err);
    if (colon && selector(c, colon + 1, r)) return -1;
    if (name != in) {
        r->name = strchr(base, '/') ? arena_printf(c->a, "/%s", base) : base;
        r->alt = strchr(base, '/') ? NULL : arena_printf(c->a, "/%s", base);
        if (!r->name) return ferr_oom(c->err);
    } else {
        r->name = base;
    }
    return 0;
}

const char *ssm_arn(call *c, const char *account, const char *name)
{
    return arena_printf(c->a, "arn:%s:ssm:%s:%s:parameter%s%s", arn_partition(c->region), c->region,
                        account, name[0] == '/' ? "" : "/", name);
}

int ssm_load(call *c, ssm_ref *r, json_t **doc)
{
    *doc = NULL;
    for (int i = 0; i < 2; i++) {
        const char *name = i ? r->alt : r->name;
        if (!name) break;
        store_key k = {SSM_PARAM_KIND, r->account, c->region, name};
        int rc = store_get(c->txn, &k, doc, c->err);
        if (rc < 0) return -1;
        if (rc == 0) continue;
        if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
        r->name = name;
        return 1;
    }
    return 0;
}

int ssm_save(call *c, const char *name, json_t *doc)
{
    store_key k = {SSM_PARAM_KIND, c->account, c->region, name};
    return store_put(c->txn, &k, doc, c->err);
}

json_t *ssm_version(call *c, const json_t *doc, const ssm_ref *r)
{
    json_t *vs = json_object_get(doc, "Versions");
    size_t i, n = json_array_size(vs);
    json_t *v;
    if (!r->version && !r->label) return json_array_get(vs, n - 1);
    json_array_foreach(vs, i, v) {
        if (r->version && jint(v, "Version", 0) == r->version) return v;
        if (r->label) {
            size_t j;
            json_t *l;
            json_array_foreach(json_object_get(v, "Labels"), j, l) {
                if (!strcmp(json_string_value(l), r->label)) return v;
            }
        }
    }
    if (r->label) {
        ferr_set(c->err, 400, "ParameterVersionNotFound",
                 "Systems Manager could not find version of %s with label %s. Verify the "
                 "label and try again.",
                 r->name, r->label);
        return NULL;
    }
    ferr_set(c->err, 400, "ParameterVersionNotFound",
             "Systems Manager could not find version %lld of %s. Verify the version and try "
             "again.",
             r->version, r->name);
    return NULL;
}

int ssm_count_move(call *c, const char *from, const char *to)
{
    /* the counts live in one document: counting stored parameters would read them all */
    store_key k = {SSM_COUNT_KIND, c->account, c->region, "parameters"};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    if (!rc && !(doc = json_object())) return ferr_oom(c->err);
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (to) {
        long long n = jint(doc, to, 0), max = !strcmp(to, "Advanced") ? 100000 : 10000;
        if (n >= max)
            return ferr_set(c->err, 400, "ParameterLimitExceeded",
                            "You have exceeded the number of parameters for this Amazon Web "
                            "Services account. Delete one or more parameters and try again.");
        if (json_object_set_new(doc, to, json_integer(n + 1))) return ferr_oom(c->err);
    }
    if (from) {
        long long n = jint(doc, from, 0);
        if (json_object_set_new(doc, from, json_integer(n > 0 ? n - 1 : 0)))
            return ferr_oom(c->err);
    }
    return store_put(c->txn, &k, doc, c->err);
}

int ssm_authorize(call *c, const char *action, const char *account, const char *name)
{
    const char *arn = ssm_arn(c, account, name);
    if (!arn) return ferr_oom(c->err);
    call_resource(c, "AWS::SSM::Parameter", arn);
    return call_authorize(c, action, arn);
}

/* KMS through the internal call path as the caller, marked as coming through SSM (the AWS
 * managed key alias/aws/ssm only answers calls that carry kms:ViaService). AWS passes KMS's
 * refusal on as its own AccessDeniedException, naming KMS; a key that cannot be used is
 * InvalidKeyId. */
static int kms_call(call *c, const char *op, json_t *in, json_t **out)
{
    *out = NULL;
    const char *via = arena_printf(c->a, "ssm.%s.amazonaws.com", c->region);
    json_t *ctx = via ? json_pack("{s:s}", "kms:ViaService", via) : NULL;
    if (!in || !ctx) {
        json_decref(in);
        json_decref(ctx);
        return ferr_oom(c->err);
    }
    ferr e = {0};
    int rc = svc_invoke_in(c->txn, c->a, c->env, c->who, c->region, "kms", op, in, out, ctx, &e);
    json_decref(in);
    json_decref(ctx);
    if (!rc) {
        if (!arena_defer_json(c->a, *out)) return ferr_oom(c->err);
        return 0;
    }
    if (e.status >= 500 || !strcmp(e.code, "NotImplemented")) {
        *c->err = e;
        return -1;
    }
    int denied = !strcmp(e.code, "AccessDenied");
    return ferr_set(c->err, 400, denied ? "AccessDenied" : "InvalidKeyId",
                    "%s (Service: AWSKMS; Status Code: 400; Error Code: %s; Request ID: %s; "
                    "Proxy: null)",
                    e.message, denied ? "AccessDeniedException" : e.code, c->request_id);
}

int ssm_encrypt(call *c, const char *key_id, const char *arn, const char *value, const char **b64)
{
    const char *pt = enc_b64(c->a, (const unsigned char *)value, strlen(value));
    if (!pt) return ferr_oom(c->err);
    json_t *out;
    if (kms_call(c, "Encrypt",
                 json_pack("{s:s, s:s, s:{s:s}}", "KeyId", key_id, "Plaintext", pt,
                           "EncryptionContext", "PARAMETER_ARN", arn),
                 &out))
        return -1;
    *b64 = jstr(out, "CiphertextBlob");
    return *b64 ? 0 : ferr_internal(c->err, "KMS gave no ciphertext");
}

int ssm_decrypt(call *c, const char *arn, const char *b64, const char **value)
{
    json_t *out;
    if (kms_call(c, "Decrypt",
                 json_pack("{s:s, s:{s:s}}", "CiphertextBlob", b64, "EncryptionContext",
                           "PARAMETER_ARN", arn),
                 &out))
        return -1;
    const char *pt = jstr(out, "Plaintext");
    size_t n = 0;
    unsigned char *raw = pt ? enc_unb64(c->a, pt, strlen(pt), &n) : NULL;
    if (!raw) return ferr_internal(c->err, "KMS gave no plaintext");
    *value = arena_strndup(c->a, (const char *)raw, n);
    return *value ? 0 : ferr_oom(c->err);
}

json_t *ssm_param_out(call *c, const char *account, const json_t *doc, const json_t *v,
                      const char *selector, int decrypt)
{
    const char *name = jstr(doc, "Name"), *type = jstr(v, "Type"), *value = jstr(v, "Value");
    const char *arn = ssm_arn(c, account, name);
    if (!arn) return ferr_oom(c->err), NULL;
    if (decrypt && type && !strcmp(type, "SecureString") && ssm_decrypt(c, arn, value, &value))
        return NULL;
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:O, s:s, s:s}", "Name", name, "Type", type,
                          "Value", value, "Version", (json_int_t)jint(v, "Version", 1),
                          "LastModifiedDate", json_object_get(v, "LastModifiedDate"), "ARN", arn,
                          "DataType", jstr(v, "DataType") ? jstr(v, "DataType") : "text");
    if (p && selector && jset_str(p, "Selector", selector)) {
        json_decref(p);
        p = NULL;
    }
    if (!p) ferr_oom(c->err);
    return p;
}
