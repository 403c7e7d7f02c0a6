/* AWS::SecretsManager::Secret. Ref = the secret's ARN; GetAtt Id (the ARN too). Name
 * replaces; Description, KmsKeyId, the value (SecretString, or GenerateSecretString: a
 * GetRandomPassword, alone or set as GenerateStringKey in the SecretStringTemplate object)
 * and tags change in place, a new value becoming AWSCURRENT. Tags: the stack's, the
 * resource's and aws:cloudformation:stack-name, stack-id and logical-id. A deleted secret is
 * deleted at once (ForceDeleteWithoutRecovery), so that the stack can make it again. */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"Description", PT_STR, 0},     {"GenerateSecretString", PT_OBJECT, 0},
    {"KmsKeyId", PT_STR, 0},        {"Name", PT_STR, 0},
    {"ReplicaRegions", PT_LIST, 0}, {"SecretString", PT_STR, 0},
    {"Tags", PT_TAGS, 0},           {NULL, 0, 0},
};

/* GenerateSecretString's members: those but the last two are GetRandomPassword's input. */
static const prov_prop generate_schema[] = {
    {"ExcludeCharacters", PT_STR, 0},
    {"ExcludeLowercase", PT_BOOL, 0},
    {"ExcludeNumbers", PT_BOOL, 0},
    {"ExcludePunctuation", PT_BOOL, 0},
    {"ExcludeUppercase", PT_BOOL, 0},
    {"IncludeSpace", PT_BOOL, 0},
    {"PasswordLength", PT_INT, 0},
    {"RequireEachIncludedType", PT_BOOL, 0},
    {"GenerateStringKey", PT_STR, 0},
    {"SecretStringTemplate", PT_STR, 0},
    {NULL, 0, 0},
};

static int check(cfn_pctx *p, const json_t *pr)
{
    const json_t *g = json_object_get(pr, "GenerateSecretString");
    if (g && jstr(pr, "SecretString"))
        return prov_invalid(p, "You can't specify both SecretString and GenerateSecretString.");
    if (json_array_size(json_object_get(pr, "ReplicaRegions")))
        return prov_invalid(p, "ReplicaRegions: ferry does not replicate secrets");
    if (!g) return 0;
    json_t *gn = NULL;
    if (prov_props(p, g, generate_schema, &gn)) return -1;
    const char *key = jstr(gn, "GenerateStringKey"), *tmpl = jstr(gn, "SecretStringTemplate");
    json_t *doc = tmpl ? json_loads(tmpl, 0, NULL) : NULL;
    int rc = 0;
    if (!key != !tmpl)
        rc = prov_invalid(p, "GenerateStringKey and SecretStringTemplate go together: give both "
                             "or neither.");
    else if (tmpl && !json_is_object(doc))
        rc = prov_invalid(p, "SecretStringTemplate must be a JSON object.");
    json_decref(doc);
    json_decref(gn);
    return rc;
}

/* The value props ask for as {"SecretString": ...} to merge into a call's input (a new
 * password each time for GenerateSecretString), {} for none. NULL with p->e. */
static json_t *value_of(cfn_pctx *p, const json_t *pr)
{
    const json_t *g = json_object_get(pr, "GenerateSecretString");
    if (!g) {
        const char *s = jstr(pr, "SecretString");
        json_t *v = s ? json_pack("{s:s}", "SecretString", s) : json_object();
        if (!v) ferr_oom(p->e);
        return v;
    }
    json_t *gn = NULL, *in = NULL, *out = NULL, *v = NULL, *doc = NULL;
    if (prov_props(p, g, generate_schema, &gn)) return NULL;
    const char *key = jstr(gn, "GenerateStringKey"), *tmpl = jstr(gn, "SecretStringTemplate");
    if (!(in = json_deep_copy(gn))) goto oom;
    json_object_del(in, "GenerateStringKey");
    json_object_del(in, "SecretStringTemplate");
    if (prov_call(p, "secretsmanager", "GetRandomPassword", in, &out)) goto out;
    const char *pw = jstr(out, "RandomPassword");
    if (!pw) {
        ferr_internal(p->e, "Secrets Manager returned no RandomPassword");
        goto out;
    }
    if (!tmpl) {
        v = json_pack("{s:s}", "SecretString", pw);
    } else {
        doc = json_loads(tmpl, 0, NULL);
        char *text = NULL;
        if (!doc || json_object_set_new(doc, key, json_string(pw)) ||
            !(text = json_dumps(doc, JSON_COMPACT)))
            goto oom;
        v = json_pack("{s:s}", "SecretString", text);
        free(text);
    }
    if (!v) goto oom;
    goto out;
oom:
    ferr_oom(p->e);
out:
    json_decref(gn);
    json_decref(out);
    json_decref(doc);
    return v;
}

static int secret_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(
        p, NULL, "secretsmanager", "DeleteSecret",
        json_pack("{s:s, s:b}", "SecretId", id, "ForceDeleteWithoutRecovery", 1));
}

static int secret_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **arn_out,
                       json_t **attrs)
{
    (void)s;
    json_t *in = NULL, *out = NULL, *tags = NULL;
    int rc = -1;
    char *name = prov_name(p, pr, "Name", 512, 0);
    if (!name) {
        ferr_oom(p->e);
        goto out;
    }
    /* a secret of that name that the stack did not make is not taken over */
    if (prov_refuse_existing(p, "AWS::SecretsManager::Secret", name, "secretsmanager",
                             "DescribeSecret", json_pack("{s:s}", "SecretId", name)) ||
        cfn_intent(p, name))
        goto out;
    if (!(in = value_of(p, pr))) goto out;
    tags = prov_tags(p, json_object_get(pr, "Tags"), 1);
    const char *desc = jstr(pr, "Description"), *key = jstr(pr, "KmsKeyId");
    if (!tags || json_object_set_new(in, "Name", json_string(name)) ||
        (json_array_size(tags) && json_object_set(in, "Tags", tags)) ||
        (desc && json_object_set_new(in, "Description", json_string(desc))) ||
        (key && json_object_set_new(in, "KmsKeyId", json_string(key)))) {
        ferr_oom(p->e);
        goto out;
    }
    rc = prov_call(p, "secretsmanager", "CreateSecret", json_incref(in), &out);
    const char *arn = rc ? NULL : jstr(out, "ARN");
    if (!rc && !arn) rc = ferr_internal(p->e, "Secrets Manager returned no ARN");
    if (!rc && (!(*arn_out = strdup(arn)) || !(*attrs = json_pack("{s:s}", "Id", arn))))
        rc = ferr_oom(p->e);
out:
    json_decref(in);
    json_decref(out);
    json_decref(tags);
    free(name);
    return rc;
}

static int secret_attrs(const prov_shape *s, cfn_pctx *p, const char *arn, json_t **attrs)
{
    return prov_shape_id_attrs(s, p, arn, attrs);
}

static const prov_tagging tagging = {"secretsmanager", "SecretId",      "DescribeSecret",
                                     "TagResource",    "UntagResource", 0};

static int secret_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                         const json_t *np)
{
    (void)s;
    json_t *in = json_pack("{s:s}", "SecretId", arn);
    if (!in) return ferr_oom(p->e);
    int rc = 0;
    static const char *const plain[] = {"Description", "KmsKeyId"};
    for (size_t i = 0; !rc && i < 2; i++) {
        const json_t *o = json_object_get(op, plain[i]), *n = json_object_get(np, plain[i]);
        /* a removed description goes back to none */
        if (!prov_same(o, n))
            rc = json_object_set_new(in, plain[i], n ? json_incref((json_t *)n) : json_string(""));
    }
    if (!rc &&
        (!prov_same(json_object_get(op, "SecretString"), json_object_get(np, "SecretString")) ||
         !prov_same(json_object_get(op, "GenerateSecretString"),
                    json_object_get(np, "GenerateSecretString")))) {
        json_t *v = value_of(p, np);
        if (!v) {
            json_decref(in);
            return -1;
        }
        rc = json_object_update(in, v);
        json_decref(v);
    }
    if (rc) {
        json_decref(in);
        return ferr_oom(p->e);
    }
    /* KmsKeyId "" is not a key: a removed one leaves the secret's key as it is */
    const char *k = jstr(in, "KmsKeyId");
    if (k && !*k) json_object_del(in, "KmsKeyId");
    rc = json_object_size(in) > 1 ? prov_call(p, "secretsmanager", "UpdateSecret", in, NULL)
                                  : (json_decref(in), 0);
    return rc || prov_sync_tags(p, &tagging, arn, np) ? -1 : 0;
}

static const prov_shape shape = {
    .schema = schema,
    .check = check,
    .make = secret_make,
    .change = secret_change,
    .attrs = secret_attrs,
    .del = secret_del,
};

static const char *const replace_on[] = {"Name", NULL};

const cfn_provider cfn_provider_secretsmanager_secret = {
    .type = "AWS::SecretsManager::Secret",
    .shape = &shape,
    .del = secret_del,
    .replace_on = replace_on,
    .name_property = "Name",
    .name_max = 512,
};
