/* Parameters: PutParameter, GetParameter(s), DeleteParameter(s), GetParameterHistory and the
 * labels of versions, as AWS Parameter Store answers them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "ssm_int.h"

static const char *const data_types[] = {"text", "aws:ec2:image", "aws:ssm:integration", NULL};

static int not_found(call *c)
{
    /* AWS: GetParameter answers a missing parameter with an empty message */
    return ferr_set(c->err, 400, "ParameterNotFound", "%s", "");
}

/* AllowedPattern is a whole-value match (Java's String.matches), bounded so a pathological
 * pattern cannot hold the writer: 0 matches, 1 does not, -1 with c->err. */
static int pattern_check(call *c, const char *pattern, const char *value, int secure)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &err, &off, NULL);
    if (!re)
        return ferr_set(c->err, 400, "InvalidAllowedPatternException",
                        "The allowed pattern %s is not a valid regular expression.", pattern);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    int rc = -1;
    if (md && mc) {
        pcre2_set_match_limit(mc, 100000);
        pcre2_set_depth_limit(mc, 1000);
        int m = pcre2_match(re, (PCRE2_SPTR)value, strlen(value), 0,
                            PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, mc);
        if (m >= 0)
            rc = 0;
        else if (m == PCRE2_ERROR_NOMATCH || m == PCRE2_ERROR_MATCHLIMIT ||
                 m == PCRE2_ERROR_DEPTHLIMIT || m == PCRE2_ERROR_UTF8_ERR1)
            rc = ferr_set(c->err, 400, "ParameterPatternMismatchException",
                          "Parameter value, %s, failed to satisfy constraint specified in "
                          "AllowedPattern: %s",
                          secure ? "cleartext" : value, pattern);
        else
            rc = ferr_set(c->err, 400, "ParameterPatternMismatchException",
                          "Parameter value failed to satisfy constraint specified in "
                          "AllowedPattern: %s",
                          pattern);
    } else {
        ferr_oom(c->err);
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}

static int in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (!strcmp(*l, s)) return 1;
    return 0;
}

/* Drops the oldest version when a new one would make 101 (AWS), unless it is labeled. */
static int trim_versions(call *c, const char *name, json_t *vs)
{
    if (json_array_size(vs) < SSM_MAX_VERSIONS) return 0;
    json_t *oldest = json_array_get(vs, 0);
    if (json_array_size(json_object_get(oldest, "Labels")))
        return ferr_set(c->err, 400, "ParameterMaxVersionLimitExceeded",
                        "You attempted to create a new version of %s by calling the PutParameter "
                        "API with the overwrite flag. Version %lld, the oldest version, can't be "
                        "deleted because it has a label associated with it. Move the label to "
                        "another version of the parameter, and try again.",
                        name, jint(oldest, "Version", 0));
    return json_array_remove(vs, 0) ? ferr_oom(c->err) : 0;
}

/* What a new version inherits from the current one when the request leaves it out. */
static const char *inherit(const json_t *in, const json_t *cur, const char *member)
{
    const char *s = jstr(in, member);
    return s ? s : jstr(cur, member);
}

int ssm_op_put_parameter(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *value = jstr(in, "Value");
    int overwrite = jbool(in, "Overwrite", 0);
    json_t *tags = json_object_get(in, "Tags");
    if (ssm_name_check(c, name)) return -1;
    if (!*value)
        return ssm_validation(c, "1 validation error detected: Value at 'value' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 1.");
    if (tags && overwrite)
        return ssm_validation(c, "Invalid request: tags and overwrite can't be used together. To "
                                 "create a parameter with tags, please remove overwrite flag. To "
                                 "update tags on an existing parameter, please use "
                                 "AddTagsToResource or RemoveTagsFromResource.");
    if (json_array_size(tags) > SSM_MAX_TAGS)
        return ssm_validation(c, "1 validation error detected: Value at 'tags' failed to satisfy "
                                 "constraint: Member must have length less than or equal to 50.");
    if (ssm_authorize(c, "ssm:PutParameter", c->account, name)) return -1;
    ssm_ref r = {.account = c->account, .name = name};
    json_t *doc = NULL;
    int rc = ssm_load(c, &r, &doc);
    if (rc < 0) return -1;
    if (rc && !overwrite)
        return ferr_set(c->err, 400, "ParameterAlreadyExists",
                        "The parameter already exists. To overwrite this value, set the overwrite "
                        "option in the request to true.");
    json_t *vs = rc ? json_object_get(doc, "Versions") : NULL;
    json_t *cur = json_array_get(vs, json_array_size(vs) - 1);
    const char *type = inherit(in, cur, "Type");
    if (!type)
        return ssm_validation(c, "A parameter type is required when you create a parameter.");
    int secure = !strcmp(type, "SecureString");
    const char *key_id = jstr(in, "KeyId");
    if (key_id && !secure)
        return ssm_validation(c, "KeyId is required for SecureString type parameter only.");
    if (secure && !key_id) {
        const char *prev = jstr(cur, "KeyId");
        key_id = prev && !strcmp(jstr(cur, "Type"), "SecureString") ? prev : SSM_DEFAULT_KEY;
    }
    const char *tier = jstr(in, "Tier"), *prev_tier = jstr(cur, "Tier");
    size_t vlen = strlen(value);
    /* AWS: Standard unless asked (an account's default tier setting is not kept here);
     * Intelligent-Tiering picks Advanced only for what Standard cannot hold */
    if (!tier) tier = prev_tier ? prev_tier : "Standard";
    if (!strcmp(tier, "Intelligent-Tiering"))
        tier =
            (prev_tier && !strcmp(prev_tier, "Advanced")) || vlen > 4096 ? "Advanced" : "Standard";
    if (!strcmp(tier, "Standard") && prev_tier && !strcmp(prev_tier, "Advanced"))
        return ssm_validation(c, "This parameter uses the advanced-parameter tier. You can't "
                                 "downgrade a parameter from the advanced-parameter tier to the "
                                 "standard-parameter tier. If necessary, you can delete the "
                                 "advanced parameter and recreate it as a standard parameter.");
    if (!strcmp(tier, "Standard") && vlen > 4096)
        return ssm_validation(c, "Standard tier parameters support a maximum parameter value of "
                                 "4096 characters. To create a larger parameter value, upgrade "
                                 "the parameter to use the advanced-parameter tier. For more "
                                 "information, see https://docs.aws.amazon.com/systems-manager/"
                                 "latest/userguide/parameter-store-advanced-parameters.html");
    if (vlen > 8192)
        return ssm_validation(c, "Advanced tier parameters support a maximum parameter value of "
                                 "8192 characters.");
    const char *data_type = jstr(in, "DataType");
    if (!data_type || !*data_type) data_type = "text";
    if (!in_list(data_types, data_type))
        return ssm_validation(c,
                              "The following data type is not supported: %s (Data type names are "
                              "all lowercase.)",
                              data_type);
    if (!strcmp(data_type, "aws:ec2:image") &&
        (strcmp(type, "String") || strncmp(value, "ami-", 4) ||
         strspn(value + 4, "0123456789abcdef") != vlen - 4 || vlen < 12))
        return ssm_validation(c,
                              "Parameter value, %s, must be in the format ami-12345abc or "
                              "ami-12345678abcdef123 when the data type is aws:ec2:image.",
                              secure ? "cleartext" : value);
    const char *desc = inherit(in, cur, "Description");
    const char *pattern = inherit(in, cur, "AllowedPattern");
    if (pattern && *pattern && pattern_check(c, pattern, value, secure)) return -1;
    const char *arn = ssm_arn(c, c->account, name);
    if (!arn) return ferr_oom(c->err);
    const char *stored = value;
    if (secure && ssm_encrypt(c, key_id, arn, value, &stored)) return -1;
    if (!rc) {
        doc = json_pack("{s:s, s:[], s:o}", "Name", name, "Versions", "Tags",
                        tags ? json_deep_copy(tags) : json_array());
        if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
        vs = json_object_get(doc, "Versions");
    } else if (trim_versions(c, name, vs)) {
        return -1;
    }
    long long version = cur ? jint(cur, "Version", 0) + 1 : 1;
    json_t *v = json_pack("{s:I, s:s, s:s, s:s, s:s, s:f, s:s, s:[], s:[]}", "Version",
                          (json_int_t)version, "Value", stored, "Type", type, "Tier", tier,
                          "DataType", data_type, "LastModifiedDate", clock_now(),
                          "LastModifiedUser", c->who->arn, "Labels", "Policies");
    int bad = !v || (secure && jset_str(v, "KeyId", key_id)) || jset_str(v, "Description", desc) ||
              (pattern && *pattern && jset_str(v, "AllowedPattern", pattern));
    if (bad || json_array_append_new(vs, v)) {
        if (bad) json_decref(v);
        return ferr_oom(c->err);
    }
    if ((!rc || strcmp(prev_tier ? prev_tier : "Standard", tier)) &&
        ssm_count_move(c, rc ? (prev_tier ? prev_tier : "Standard") : NULL, tier))
        return -1;
    if (ssm_save(c, name, doc)) return -1;
    *out = svc_out(c, json_pack("{s:I, s:s}", "Version", (json_int_t)version, "Tier", tier));
    return 0;
}

/* Reads one named parameter for Get*: 0 (*p the Parameter shape, new), 1 not there (c->err
 * says why), -1 failure (refusal, KMS). */
static int get_one(call *c, const char *action, const char *in_name, int decrypt, json_t **p)
{
    ssm_ref r;
    *p = NULL;
    if (ssm_ref_parse(c, in_name, 1, &r)) return 1;
    if (!strncmp(r.name, "/aws/", 5) && r.account == c->account) {
        if (ssm_authorize(c, action, "", r.name)) return -1;
        int rc = ssm_public_get(c, r.name, p);
        if (rc < 0) return -1;
        if (!rc) return not_found(c), 1;
        return 0;
    }
    if (ssm_authorize(c, action, r.account, r.name)) return -1;
    json_t *doc;
    int rc = ssm_load(c, &r, &doc);
    if (rc < 0) return -1;
    if (!rc) return not_found(c), 1;
    json_t *v = ssm_version(c, doc, &r);
    if (!v) return 1;
    *p = ssm_param_out(c, r.account, doc, v, r.selector, decrypt);
    return *p ? 0 : -1;
}

int ssm_op_get_parameter(call *c, json_t *in, json_t **out)
{
    json_t *p;
    if (get_one(c, "ssm:GetParameter", jstr(in, "Name"), jbool(in, "WithDecryption", 0), &p))
        return -1;
    *out = svc_out(c, json_pack("{s:o}", "Parameter", p));
    return 0;
}

int ssm_op_get_parameters(call *c, json_t *in, json_t **out)
{
    json_t *names = json_object_get(in, "Names");
    json_t *found = json_array(), *invalid = json_array();
    *out = svc_out(c, json_pack("{s:o, s:o}", "Parameters", found, "InvalidParameters", invalid));
    if (!*out) return -1;
    int decrypt = jbool(in, "WithDecryption", 0), oom = 0;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        json_t *p;
        int rc = get_one(c, "ssm:GetParameters", json_string_value(n), decrypt, &p);
        if (rc < 0) return -1;
        ferr_clear(c->err);
        oom |= rc ? json_array_append(invalid, n) : json_array_append_new(found, p);
    }
    return oom ? ferr_oom(c->err) : 0;
}

/* Deletes one parameter: 1 deleted, 0 not there, -1. */
static int delete_one(call *c, const char *action, const char *in_name)
{
    ssm_ref r;
    if (ssm_ref_parse(c, in_name, 0, &r)) return ferr_clear(c->err), 0;
    if (ssm_authorize(c, action, r.account, r.name)) return -1;
    if (strcmp(r.account, c->account)) return 0; /* not reachable from here */
    json_t *doc;
    int rc = ssm_load(c, &r, &doc);
    if (rc <= 0) return rc;
    const json_t *vs = json_object_get(doc, "Versions");
    const char *tier = jstr(json_array_get(vs, json_array_size(vs) - 1), "Tier");
    store_key k = {SSM_PARAM_KIND, c->account, c->region, r.name};
    return store_del(c->txn, &k, c->err) < 0 || ssm_count_move(c, tier ? tier : "Standard", NULL)
               ? -1
               : 1;
}

int ssm_op_delete_parameter(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name");
    int rc = delete_one(c, "ssm:DeleteParameter", name);
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 400, "ParameterNotFound", "Parameter %s not found.", name);
    *out = svc_out(c, json_object());
    return 0;
}

int ssm_op_delete_parameters(call *c, json_t *in, json_t **out)
{
    json_t *deleted = json_array(), *invalid = json_array();
    *out = svc_out(
        c, json_pack("{s:o, s:o}", "DeletedParameters", deleted, "InvalidParameters", invalid));
    if (!*out) return -1;
    size_t i;
    json_t *n;
    int oom = 0;
    json_array_foreach(json_object_get(in, "Names"), i, n) {
        int rc = delete_one(c, "ssm:DeleteParameters", json_string_value(n));
        if (rc < 0) return -1;
        oom |= json_array_append(rc ? deleted : invalid, n);
    }
    return oom ? ferr_oom(c->err) : 0;
}

/* Loads a parameter named without selectors for the operations on its versions. */
static int open_param(call *c, const char *action, const char *in_name, ssm_ref *r, json_t **doc)
{
    if (ssm_ref_parse(c, in_name, 0, r) || ssm_authorize(c, action, r->account, r->name)) return -1;
    int rc = ssm_load(c, r, doc);
    if (rc < 0) return -1;
    if (!rc) return not_found(c);
    return 0;
}

int ssm_op_get_parameter_history(call *c, json_t *in, json_t **out)
{
    ssm_ref r;
    json_t *doc;
    if (open_param(c, "ssm:GetParameterHistory", jstr(in, "Name"), &r, &doc)) return -1;
    const char *arn = ssm_arn(c, r.account, r.name);
    json_t *all = arena_defer_json(c->a, json_array());
    if (!arn || !all) return ferr_oom(c->err);
    int decrypt = jbool(in, "WithDecryption", 0);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "Versions"), i, v) {
        const char *value = jstr(v, "Value");
        if (decrypt && !strcmp(jstr(v, "Type"), "SecureString") &&
            ssm_decrypt(c, arn, value, &value))
            return -1;
        json_t *h = json_deep_copy(v);
        if (!h || json_object_set_new(h, "Name", json_string(r.name)) ||
            jset_str(h, "Value", value) || json_array_append_new(all, h))
            return ferr_oom(c->err);
    }
    json_t *res = json_object();
    *out = svc_out(c, res);
    if (!res) return -1;
    return svc_page(c, all, jstr(in, "NextToken"), jint(in, "MaxResults", 50), res, "Parameters",
                    "NextToken", "InvalidNextToken");
}

/* AWS: up to 100 characters of letters, digits, '.', '-' and '_', not starting with a digit,
 * "aws" or "ssm" (any case). Invalid labels are reported, not refused. */
static int label_valid(const char *l)
{
    size_t n = strlen(l);
    return n >= 1 && n <= 100 &&
           strspn(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n &&
           !isdigit((unsigned char)l[0]) && strncasecmp(l, "aws", 3) && strncasecmp(l, "ssm", 3);
}

static int list_index(const json_t *list, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        if (!strcmp(json_string_value(x), s)) return (int)i;
    }
    return -1;
}

static json_t *version_of(call *c, const char *name, const json_t *doc, const json_t *in)
{
    ssm_ref sel = {.name = name, .version = jint(in, "ParameterVersion", 0)};
    if (!json_object_get(in, "ParameterVersion"))
        sel.version = 0;
    else if (sel.version < 1)
        sel.version = -1;
    return ssm_version(c, doc, &sel);
}

int ssm_op_label_parameter_version(call *c, json_t *in, json_t **out)
{
    ssm_ref r;
    json_t *doc;
    if (open_param(c, "ssm:LabelParameterVersion", jstr(in, "Name"), &r, &doc)) return -1;
    if (strcmp(r.account, c->account)) return not_found(c);
    json_t *v = version_of(c, r.name, doc, in);
    if (!v) return -1;
    json_t *invalid = arena_defer_json(c->a, json_array());
    json_t *mine = json_object_get(v, "Labels");
    if (!invalid || !mine) return ferr_oom(c->err);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(in, "Labels"), i, l) {
        const char *s = json_string_value(l);
        if (!label_valid(s)) {
            if (json_array_append(invalid, l)) return ferr_oom(c->err);
            continue;
        }
        /* a label names one version: it moves here from any other */
        size_t j;
        json_t *o;
        json_array_foreach(json_object_get(doc, "Versions"), j, o) {
            json_t *ls = json_object_get(o, "Labels");
            int at = list_index(ls, s);
            if (o != v && at >= 0 && json_array_remove(ls, (size_t)at)) return ferr_oom(c->err);
        }
        if (list_index(mine, s) < 0 && json_array_append(mine, l)) return ferr_oom(c->err);
    }
    if (json_array_size(mine) > SSM_MAX_LABELS)
        return ferr_set(c->err, 400, "ParameterVersionLabelLimitExceeded",
                        "A parameter version can have maximum 10 labels.Move one or more labels "
                        "to another version and try again.");
    if (ssm_save(c, r.name, doc)) return -1;
    *out = svc_out(c, json_pack("{s:O, s:I}", "InvalidLabels", invalid, "ParameterVersion",
                                (json_int_t)jint(v, "Version", 0)));
    return 0;
}

int ssm_op_unlabel_parameter_version(call *c, json_t *in, json_t **out)
{
    ssm_ref r;
    json_t *doc;
    if (open_param(c, "ssm:UnlabelParameterVersion", jstr(in, "Name"), &r, &doc)) return -1;
    if (strcmp(r.account, c->account)) return not_found(c);
    json_t *v = version_of(c, r.name, doc, in);
    if (!v) return -1;
    json_t *removed = json_array(), *invalid = json_array();
    *out = svc_out(c, json_pack("{s:o, s:o}", "RemovedLabels", removed, "InvalidLabels", invalid));
    if (!*out) return -1;
    json_t *mine = json_object_get(v, "Labels");
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(in, "Labels"), i, l) {
        int at = list_index(mine, json_string_value(l));
        if (json_array_append(at >= 0 ? removed : invalid, l) ||
            (at >= 0 && json_array_remove(mine, (size_t)at)))
            return ferr_oom(c->err);
    }
    return ssm_save(c, r.name, doc);
}
