/* Template semantics: sections, parameters, conditions, intrinsic functions, dependencies.
 * Messages follow AWS's wording ("Template format error: ...", "Template error: ..."). */
#include "template.h"

#include <arpa/inet.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/buf.h"
#include "dynref.h"

#define UNKNOWN "\x01?"
#define NOVALUE "\x01-"

int cfn_is_unknown(const json_t *v)
{
    return json_is_string(v) && !strcmp(json_string_value(v), UNKNOWN);
}

int cfn_is_novalue(const json_t *v)
{
    return json_is_string(v) && !strcmp(json_string_value(v), NOVALUE);
}

static json_t *unknown(void)
{
    return json_string(UNKNOWN);
}

static const char *const functions_list =
    "[Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, "
    "Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Contains, "
    "Fn::EachMemberEquals, Fn::EachMemberIn, Fn::ValueOf, Fn::ValueOfAll, Fn::RefAll, Fn::Sub, "
    "Fn::Cidr]";

/* ---------------------------------------------------------------- sections */

static const char *const top_keys[] = {"AWSTemplateFormatVersion",
                                       "Description",
                                       "Metadata",
                                       "Parameters",
                                       "Rules",
                                       "Mappings",
                                       "Conditions",
                                       "Transform",
                                       "Resources",
                                       "Outputs",
                                       "Hooks",
                                       NULL};
static const char *const res_keys[] = {"Type",      "Properties",     "DependsOn",
                                       "Condition", "DeletionPolicy", "UpdateReplacePolicy",
                                       "Metadata",  "CreationPolicy", "UpdatePolicy",
                                       "Version",   "Description",    NULL};

static int in_list(const char *const *l, const char *k)
{
    for (; *l; l++)
        if (!strcmp(*l, k)) return 1;
    return 0;
}

static int is_intrinsic(const json_t *o, const char **name, json_t **arg)
{
    if (!json_is_object(o) || json_object_size(o) != 1) return 0;
    const char *k = json_object_iter_key(json_object_iter((json_t *)o));
    if (strcmp(k, "Ref") && strncmp(k, "Fn::", 4)) return 0;
    *name = k;
    *arg = json_object_get(o, k);
    return 1;
}

/* A resource-or-param name is a resource of tpl. */
static int is_resource(const json_t *tpl, const char *name)
{
    return name && json_object_get(json_object_get(tpl, "Resources"), name) != NULL;
}

static int is_pseudo(const char *n)
{
    static const char *const p[] = {"AWS::AccountId", "AWS::Region",           "AWS::StackName",
                                    "AWS::StackId",   "AWS::Partition",        "AWS::URLSuffix",
                                    "AWS::NoValue",   "AWS::NotificationARNs", NULL};
    return in_list(p, n);
}

/* ---------------------------------------------------------------- parameters */

static int valid_param_type(const char *t)
{
    static const char *const base[] = {"String", "Number", "List<Number>", "CommaDelimitedList",
                                       NULL};
    if (in_list(base, t)) return 1;
    if (!strncmp(t, "AWS::", 5)) return 1; /* AWS-specific and SSM types */
    if (!strncmp(t, "List<AWS::", 10) && t[strlen(t) - 1] == '>') return 1;
    return 0;
}

int cfn_param_is_ssm(const json_t *pdecl)
{
    const char *t = json_string_value(json_object_get(pdecl, "Type"));
    return t && !strncmp(t, "AWS::SSM::Parameter::Value<", 27);
}

static int is_list_type(const char *t)
{
    if (!t) return 0;
    if (!strncmp(t, "AWS::SSM::Parameter::Value<", 27)) t += 27;
    return !strncmp(t, "List<", 5) || !strncmp(t, "CommaDelimitedList", 18);
}

json_t *cfn_param_value(const json_t *pdecl, const char *raw)
{
    const char *t = json_string_value(json_object_get(pdecl, "Type"));
    if (!is_list_type(t)) return json_string(raw);
    json_t *a = json_array();
    if (!a || !*raw) return a;
    const char *p = raw;
    int rc = 0;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        /* AWS trims the spaces around list items */
        while (n && (*p == ' ')) p++, n--;
        while (n && p[n - 1] == ' ') n--;
        rc |= json_array_append_new(a, json_stringn(p, n));
        if (!c) break;
        p = c + 1;
    }
    return jdone(a, rc);
}

char *cfn_scalar_text(const json_t *v)
{
    char tmp[64];
    if (json_is_string(v)) return strdup(json_string_value(v));
    if (json_is_integer(v))
        snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) {
        /* the shortest of %.15g and %.17g that reads back the same: 0.1, not
         * 0.10000000000000001 (nor %g's 1.23457e+06 for 1234567.5) */
        snprintf(tmp, sizeof(tmp), "%.15g", json_real_value(v));
        if (strtod(tmp, NULL) != json_real_value(v))
            snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
    } else if (json_is_boolean(v))
        snprintf(tmp, sizeof(tmp), "%s", json_is_true(v) ? "true" : "false");
    else
        return NULL;
    return strdup(tmp);
}

char *cfn_param_text(const json_t *v)
{
    if (!json_is_array(v)) return cfn_scalar_text(v);
    /* a list written as a YAML sequence */
    buf b;
    buf_init(&b, 0);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        char *s = cfn_scalar_text(x);
        buf_printf(&b, "%s%s", i ? "," : "", s ? s : "");
        free(s);
    }
    char *t = b.failed ? NULL : buf_take(&b);
    buf_dispose(&b);
    return t;
}

static int number_text(const char *s, double *d)
{
    char *end;
    if (!*s) return 0;
    *d = strtod(s, &end);
    while (*end == ' ') end++;
    return *end == 0;
}

static int constraint_fail(ferr *e, const char *name, const json_t *pd, const char *fmt,
                           const char *a)
{
    const char *cd = json_string_value(json_object_get(pd, "ConstraintDescription"));
    /* AWS: a ConstraintDescription replaces the generated text */
    if (cd) return ferr_validation(e, "Parameter '%s' failed to satisfy constraint: %s", name, cd);
    char msg[600];
    snprintf(msg, sizeof(msg), fmt, a);
    return ferr_validation(e, "Parameter '%s' %s", name, msg);
}

/* AllowedPattern is a Java regular expression; POSIX ERE lacks its shorthand classes and
 * (?:...), so those are rewritten: \d [0-9], \w [[:alnum:]_], \s [[:space:]] (and their
 * negations), inside and outside brackets. Caller frees. */
static char *java_to_ere(const char *p)
{
    size_t n = strlen(p);
    char *o = malloc(n * 16 + 8), *q = o;
    int br = 0;
    q += sprintf(q, "^(");
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char d = p[++i];
            const char *in = NULL, *out = NULL;
            switch (d) {
            case 'd': in = "0-9", out = "[0-9]"; break;
            case 'D': in = NULL, out = "[^0-9]"; break;
            case 'w': in = "[:alnum:]_", out = "[[:alnum:]_]"; break;
            case 'W': in = NULL, out = "[^[:alnum:]_]"; break;
            case 's': in = "[:space:]", out = "[[:space:]]"; break;
            case 'S': in = NULL, out = "[^[:space:]]"; break;
            }
            if (br && in)
                q += sprintf(q, "%s", in);
            else if (!br && out)
                q += sprintf(q, "%s", out);
            else if (br)
                *q++ = d; /* [\.] is [.] */
            else {
                *q++ = '\\';
                *q++ = d;
            }
            continue;
        }
        if (!br && c == '(' && p[i + 1] == '?' && p[i + 2] == ':') {
            *q++ = '(';
            i += 2;
            continue;
        }
        if (!br && c == '[') {
            br = 1;
            *q++ = c;
            if (p[i + 1] == '^') *q++ = p[++i];
            if (p[i + 1] == ']') *q++ = p[++i];
            continue;
        }
        if (br && c == ']') br = 0;
        *q++ = c;
    }
    q += sprintf(q, ")$");
    return o;
}

static int check_one(const char *name, const json_t *pd, const char *v, ferr *e)
{
    const char *type = json_string_value(json_object_get(pd, "Type"));
    if (cfn_param_is_ssm(pd)) return 0; /* checked after the lookup */
    int list = is_list_type(type);
    int number = type && (!strcmp(type, "Number") || !strcmp(type, "List<Number>"));
    json_t *items = list ? cfn_param_value(pd, v) : json_pack("[s]", v);
    size_t i;
    json_t *it;
    int rc = 0;
    json_array_foreach(items, i, it) {
        const char *s = json_string_value(it);
        double d = 0;
        if (number && !number_text(s, &d)) {
            rc = ferr_validation(e, "Parameter '%s' must be a number.", name);
            break;
        }
        json_t *allowed = json_object_get(pd, "AllowedValues");
        if (json_is_array(allowed)) {
            int ok = 0;
            size_t j;
            json_t *av;
            json_array_foreach(allowed, j, av) {
                char *t = cfn_scalar_text(av);
                if (t && !strcmp(t, s)) ok = 1;
                free(t);
            }
            if (!ok) {
                rc = constraint_fail(e, name, pd, "must be one of AllowedValues%s", "");
                break;
            }
        }
        const char *pat = json_string_value(json_object_get(pd, "AllowedPattern"));
        if (pat) {
            /* AWS: the pattern must match the whole value */
            char *full = java_to_ere(pat);
            regex_t re;
            int bad = regcomp(&re, full, REG_EXTENDED | REG_NOSUB);
            free(full);
            if (bad) {
                rc = ferr_validation(e,
                                     "Template format error: Parameter '%s' has an invalid "
                                     "AllowedPattern",
                                     name);
                break;
            }
            int m = regexec(&re, s, 0, NULL, 0);
            regfree(&re);
            if (m) {
                rc = constraint_fail(e, name, pd, "must match pattern %s", pat);
                break;
            }
        }
        json_t *mn = json_object_get(pd, "MinLength"), *mx = json_object_get(pd, "MaxLength");
        char *mns = cfn_scalar_text(mn), *mxs = cfn_scalar_text(mx);
        if (mns && (long)strlen(s) < atol(mns))
            rc = constraint_fail(e, name, pd, "must contain at least %s characters", mns);
        else if (mxs && (long)strlen(s) > atol(mxs))
            rc = constraint_fail(e, name, pd, "must contain at most %s characters", mxs);
        free(mns);
        free(mxs);
        if (rc) break;
        mn = json_object_get(pd, "MinValue");
        mx = json_object_get(pd, "MaxValue");
        mns = cfn_scalar_text(mn);
        mxs = cfn_scalar_text(mx);
        if ((mns || mxs) && number_text(s, &d)) {
            if (mns && d < atof(mns))
                rc = constraint_fail(e, name, pd, "must be a number not less than %s", mns);
            else if (mxs && d > atof(mxs))
                rc = constraint_fail(e, name, pd, "must be a number not greater than %s", mxs);
        }
        free(mns);
        free(mxs);
        if (rc) break;
    }
    json_decref(items);
    return rc;
}

int cfn_params_bind(const json_t *decl, const json_t *given, const json_t *previous, json_t **raw,
                    ferr *e)
{
    json_t *out = json_object();
    buf unknown_names, missing;
    buf_init(&unknown_names, 4096);
    buf_init(&missing, 4096);
    if (!out) goto oom;
    size_t i;
    json_t *g;
    /* AWS: "Parameters: [X] do not exist in the template" */
    json_array_foreach(given, i, g) {
        const char *k = json_string_value(json_object_get(g, "ParameterKey"));
        if (!k) continue;
        if (!json_object_get(decl, k)) {
            buf_printf(&unknown_names, "%s%s", unknown_names.len ? ", " : "", k);
            continue;
        }
        const json_t *uv = json_object_get(g, "UsePreviousValue");
        if (json_is_true(uv)) {
            const char *pv = json_string_value(json_object_get(previous, k));
            if (!pv) {
                ferr_validation(e,
                                "Invalid input for parameter key %s. Cannot specify "
                                "usePreviousValue as true for a parameter key not in the "
                                "previous template",
                                k);
                goto fail;
            }
            if (json_object_set_new(out, k, json_string(pv))) goto oom;
            continue;
        }
        json_t *v = json_object_get(g, "ParameterValue");
        char *t = v ? cfn_scalar_text(v) : NULL;
        int bad = json_object_set_new(out, k, json_string(t ? t : ""));
        free(t);
        if (bad) goto oom;
    }
    if (unknown_names.len) {
        ferr_validation(e, "Parameters: [%s] do not exist in the template",
                        buf_str(&unknown_names));
        goto fail;
    }
    const char *k;
    json_t *pd;
    json_object_foreach((json_t *)decl, k, pd) {
        if (json_object_get(out, k)) continue;
        json_t *d = json_object_get(pd, "Default");
        char *t = d ? cfn_param_text(d) : NULL;
        if (!t) {
            buf_printf(&missing, "%s%s", missing.len ? ", " : "", k);
            continue;
        }
        int bad = json_object_set_new(out, k, json_string(t));
        free(t);
        if (bad) goto oom;
    }
    if (missing.len) {
        ferr_validation(e, "Parameters: [%s] must have values", buf_str(&missing));
        goto fail;
    }
    json_object_foreach((json_t *)decl, k, pd) {
        if (check_one(k, pd, json_string_value(json_object_get(out, k)), e)) goto fail;
    }
    buf_dispose(&unknown_names);
    buf_dispose(&missing);
    *raw = out;
    return 0;
oom:
    ferr_oom(e);
fail:
    buf_dispose(&unknown_names);
    buf_dispose(&missing);
    json_decref(out);
    return -1;
}

/* ---------------------------------------------------------------- intrinsics */

static json_t *resolve(cfn_ctx *x, const json_t *node, ferr *e);

static int tmpl_err(ferr *e, const char *fmt, const char *a)
{
    char msg[900];
    snprintf(msg, sizeof(msg), fmt, a);
    return ferr_validation(e, "Template error: %s", msg);
}

/* 0, or -1 (out of memory, in e). */
static int note_unresolved(cfn_ctx *x, const char *name, ferr *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(x->unresolved, i, v)
        if (!strcmp(json_string_value(v), name)) return 0;
    return json_array_append_new(x->unresolved, json_string(name)) ? ferr_oom(e) : 0;
}

static json_t *ref_value(cfn_ctx *x, const char *name, ferr *e)
{
    if (!strcmp(name, "AWS::AccountId")) return json_string(x->account ? x->account : "");
    if (!strcmp(name, "AWS::Region")) return json_string(x->region ? x->region : "");
    if (!strcmp(name, "AWS::StackName"))
        return x->stack_name ? json_string(x->stack_name) : unknown();
    if (!strcmp(name, "AWS::StackId")) return x->stack_id ? json_string(x->stack_id) : unknown();
    if (!strcmp(name, "AWS::Partition")) return json_string(arn_partition(x->region));
    if (!strcmp(name, "AWS::URLSuffix")) return json_string(arn_dns_suffix(x->region));
    if (!strcmp(name, "AWS::NoValue")) return json_string(NOVALUE);
    if (!strcmp(name, "AWS::NotificationARNs"))
        return x->notification_arns ? json_deep_copy(x->notification_arns) : json_array();
    json_t *decl = json_object_get(x->tpl, "Parameters");
    if (json_object_get(decl, name)) {
        json_t *v = json_object_get(x->params, name);
        return v ? json_deep_copy(v) : unknown();
    }
    if (is_resource(x->tpl, name)) {
        json_t *r = json_object_get(x->res, name);
        json_t *ref = json_object_get(r, "Ref");
        if (ref) return json_deep_copy(ref);
        if (!x->strict) return unknown();
        ferr_validation(e,
                        "Template format error: Unresolved resource dependencies [%s] in the "
                        "Resources block of the template",
                        name);
        return NULL;
    }
    if (x->unresolved) return note_unresolved(x, name, e) ? NULL : unknown();
    ferr_validation(e,
                    "Template format error: Unresolved resource dependencies [%s] in the "
                    "Resources block of the template",
                    name);
    return NULL;
}

static json_t *getatt_value(cfn_ctx *x, const char *res, const char *att, ferr *e)
{
    if (!is_resource(x->tpl, res)) {
        tmpl_err(e, "instance of Fn::GetAtt references undefined resource %s", res);
        return NULL;
    }
    json_t *r = json_object_get(x->res, res);
    if (!r) {
        if (!x->strict) return unknown();
        ferr_validation(e,
                        "Template format error: Unresolved resource dependencies [%s] in the "
                        "Resources block of the template",
                        res);
        return NULL;
    }
    json_t *v = json_object_get(json_object_get(r, "Attributes"), att);
    if (v) return json_deep_copy(v);
    ferr_validation(e,
                    "Template error: resource %s does not support attribute type %s in "
                    "Fn::GetAtt",
                    res, att);
    return NULL;
}

/* A resolved value as text for Join/Sub (numbers and booleans convert). */
static json_t *fn_getatt(cfn_ctx *x, json_t *arg, ferr *e)
{
    json_t *a = NULL;
    if (json_is_string(arg)) {
        const char *s = json_string_value(arg), *dot = strchr(s, '.');
        if (dot) a = json_pack("[s#s]", s, (int)(dot - s), dot + 1);
    } else if (json_is_array(arg) && json_array_size(arg) == 2) {
        json_t *att = resolve(x, json_array_get(arg, 1), e); /* AWS allows Ref here */
        if (!att) return NULL;
        a = json_pack("[Oo]", json_array_get(arg, 0), att);
    }
    const char *r = json_string_value(json_array_get(a, 0));
    json_t *att = json_array_get(a, 1);
    if (!r || !*r || !json_is_string(att) || !*json_string_value(att)) {
        json_decref(a);
        tmpl_err(e, "every Fn::GetAtt object requires two non-empty parameters%s", "");
        return NULL;
    }
    json_t *v = cfn_is_unknown(att) ? (is_resource(x->tpl, r) ? unknown() : NULL)
                                    : getatt_value(x, r, json_string_value(att), e);
    if (!v && cfn_is_unknown(att))
        tmpl_err(e, "instance of Fn::GetAtt references undefined resource %s", r);
    json_decref(a);
    return v;
}

/* The variable of the Fn::Sub reference "${...}" at p (not a "${!" literal), in name[n]
 * without the spaces around it ("${ Name }" is allowed): a pointer into name, *end at the
 * closing '}'. NULL when no '}' closes it. */
static char *sub_var(const char *p, const char **end, char *name, size_t n)
{
    if (!(*end = strchr(p + 2, '}'))) return NULL;
    size_t l = (size_t)(*end - p - 2);
    if (l >= n) l = n - 1;
    memcpy(name, p + 2, l);
    name[l] = 0;
    char *nm = name;
    while (*nm == ' ') nm++;
    for (l = strlen(nm); l && nm[l - 1] == ' '; l--) nm[l - 1] = 0;
    return nm;
}

/* Fn::Sub: "${Name}", "${Res.Att}", "${!Literal}". */
static json_t *fn_sub(cfn_ctx *x, json_t *arg, ferr *e)
{
    const char *s;
    json_t *vars = NULL;
    if (json_is_string(arg))
        s = json_string_value(arg);
    else if (json_is_array(arg) && json_array_size(arg) == 2 &&
             json_is_string(json_array_get(arg, 0)) && json_is_object(json_array_get(arg, 1))) {
        s = json_string_value(json_array_get(arg, 0));
        vars = resolve(x, json_array_get(arg, 1), e);
        if (!vars) return NULL;
    } else {
        tmpl_err(e,
                 "One or more Fn::Sub intrinsic functions don't specify expected arguments. "
                 "Specify a string as first argument, and an optional second argument to "
                 "specify a mapping of values to replace in the string%s",
                 "");
        return NULL;
    }
    buf b;
    buf_init(&b, 0);
    int unk = 0;
    json_t *out = NULL;
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '{' && p[2] == '!') { /* literal */
            buf_puts(&b, "${");
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            buf_putc(&b, *p++);
            continue;
        }
        const char *end;
        char name[512], *nm = sub_var(p, &end, name, sizeof(name));
        if (!nm) { /* AWS leaves an unterminated ${ as text */
            buf_puts(&b, p);
            break;
        }
        json_t *v = NULL;
        if (vars && json_object_get(vars, nm))
            v = json_deep_copy(json_object_get(vars, nm));
        else if (strchr(nm, '.') && !is_pseudo(nm)) {
            char *dot = strchr(nm, '.');
            *dot = 0;
            if (!is_resource(x->tpl, nm) && x->unresolved)
                v = note_unresolved(x, nm, e) ? NULL : unknown();
            else
                v = getatt_value(x, nm, dot + 1, e);
        } else
            v = ref_value(x, nm, e);
        if (!v) goto done;
        if (cfn_is_unknown(v))
            unk = 1;
        else {
            char *t = cfn_scalar_text(v);
            if (!t) {
                json_decref(v);
                tmpl_err(e, "variable %s in Fn::Sub expression does not resolve to a string", nm);
                goto done;
            }
            buf_puts(&b, t);
            free(t);
        }
        json_decref(v);
        p = end + 1;
    }
    out = unk ? unknown() : json_string(buf_str(&b));
done:
    buf_dispose(&b);
    json_decref(vars);
    return out;
}

/* Fn::Join's list (resolved) joined by d. */
static json_t *join_list(const json_t *list, const char *d, const char *msg, ferr *e)
{
    buf b;
    buf_init(&b, 0);
    size_t i;
    json_t *v, *out = NULL;
    int first = 1;
    json_array_foreach(list, i, v) {
        if (cfn_is_unknown(v)) {
            out = unknown();
            goto done;
        }
        char *t = cfn_scalar_text(v);
        if (!t) {
            tmpl_err(e, msg, "");
            goto done;
        }
        buf_printf(&b, "%s%s", first ? "" : d, t);
        first = 0;
        free(t);
    }
    out = json_string(buf_str(&b));
done:
    buf_dispose(&b);
    return out;
}

/* Fn::Split's string split at each d (not empty). */
static json_t *split_text(const char *p, const char *d, ferr *e)
{
    size_t dl = strlen(d);
    json_t *out = json_array();
    int rc = !out;
    for (;;) {
        const char *q = strstr(p, d);
        if (!q) {
            rc |= json_array_append_new(out, json_string(p));
            break;
        }
        rc |= json_array_append_new(out, json_stringn(p, (size_t)(q - p)));
        p = q + dl;
    }
    if (rc) ferr_oom(e);
    return jdone(out, rc);
}

/* Fn::Join (split 0) and Fn::Split (split 1): [delimiter, value], the value resolved to a
 * list of strings to join, or a string to split at a non-empty delimiter. */
static json_t *fn_delimited(cfn_ctx *x, json_t *arg, int split, ferr *e)
{
    const char *msg =
        split ? "every Fn::Split object requires two parameters, (1) a string delimiter and (2) "
                "a string to be split or a function that returns a string to be split.%s"
              : "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a "
                "list of strings to be joined or a function that returns a list of strings (such "
                "as Fn::GetAZs) to be joined.%s";
    const char *d = json_string_value(json_array_get(arg, 0));
    if (!json_is_array(arg) || json_array_size(arg) != 2 || !d || (split && !*d)) {
        tmpl_err(e, msg, "");
        return NULL;
    }
    json_t *v = resolve(x, json_array_get(arg, 1), e);
    if (!v || cfn_is_unknown(v)) return v;
    json_t *out = NULL;
    if (json_typeof(v) != (split ? JSON_STRING : JSON_ARRAY))
        tmpl_err(e, msg, "");
    else
        out = split ? split_text(json_string_value(v), d, e) : join_list(v, d, msg, e);
    json_decref(v);
    return out;
}

static json_t *fn_select(cfn_ctx *x, json_t *arg, ferr *e)
{
    static const char *msg = "Fn::Select requires a list argument with two elements: an integer "
                             "index and a list%s";
    if (!json_is_array(arg) || json_array_size(arg) != 2) {
        tmpl_err(e, msg, "");
        return NULL;
    }
    json_t *idx = resolve(x, json_array_get(arg, 0), e);
    if (!idx) return NULL;
    json_t *list = resolve(x, json_array_get(arg, 1), e);
    if (!list) {
        json_decref(idx);
        return NULL;
    }
    json_t *out = NULL;
    long long i = -1;
    if (cfn_is_unknown(idx) || cfn_is_unknown(list)) {
        out = unknown();
        goto done;
    }
    if (json_is_integer(idx))
        i = json_integer_value(idx);
    else if (json_is_string(idx)) {
        char *end;
        i = strtoll(json_string_value(idx), &end, 10);
        if (*end || end == json_string_value(idx)) i = -2;
    } else
        i = -2;
    if (i == -2 || !json_is_array(list)) {
        tmpl_err(e, msg, "");
        goto done;
    }
    if (i < 0 || (size_t)i >= json_array_size(list)) {
        char n[32];
        snprintf(n, sizeof(n), "%lld", i);
        tmpl_err(e, "Fn::Select cannot select nonexistent value at index %s", n);
        goto done;
    }
    out = json_deep_copy(json_array_get(list, (size_t)i));
done:
    json_decref(idx);
    json_decref(list);
    return out;
}

static json_t *fn_findinmap(cfn_ctx *x, json_t *arg, ferr *e)
{
    if (!json_is_array(arg) || json_array_size(arg) != 3) {
        tmpl_err(e,
                 "every Fn::FindInMap object requires three parameters, the map name, map key "
                 "and the attribute for return value%s",
                 "");
        return NULL;
    }
    json_t *k[3] = {0};
    json_t *out = NULL;
    int unk = 0;
    for (int i = 0; i < 3; i++) {
        k[i] = resolve(x, json_array_get(arg, i), e);
        if (!k[i]) goto done;
        if (cfn_is_unknown(k[i])) unk = 1;
    }
    if (unk) {
        out = unknown();
        goto done;
    }
    char *s[3];
    for (int i = 0; i < 3; i++) s[i] = cfn_scalar_text(k[i]);
    json_t *v = NULL;
    if (s[0] && s[1] && s[2])
        v = json_object_get(
            json_object_get(json_object_get(json_object_get(x->tpl, "Mappings"), s[0]), s[1]),
            s[2]);
    if (v)
        out = json_deep_copy(v);
    else {
        char m[600];
        snprintf(m, sizeof(m), "%s::%s::%s", s[0] ? s[0] : "?", s[1] ? s[1] : "?",
                 s[2] ? s[2] : "?");
        tmpl_err(e, "Unable to get mapping for %s", m);
    }
    for (int i = 0; i < 3; i++) free(s[i]);
done:
    for (int i = 0; i < 3; i++) json_decref(k[i]);
    return out;
}

static json_t *fn_base64(cfn_ctx *x, json_t *arg, ferr *e)
{
    json_t *s = resolve(x, arg, e);
    if (!s || cfn_is_unknown(s)) return s;
    char *t = cfn_scalar_text(s);
    json_decref(s);
    if (!t) {
        tmpl_err(e, "Fn::Base64 requires a string argument%s", "");
        return NULL;
    }
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(t);
    char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
    const unsigned char *u = (const unsigned char *)t;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = u[i] << 16 | (i + 1 < n ? u[i + 1] << 8 : 0) | (i + 2 < n ? u[i + 2] : 0);
        *q++ = tbl[(v >> 18) & 63];
        *q++ = tbl[(v >> 12) & 63];
        *q++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *q++ = i + 2 < n ? tbl[v & 63] : '=';
    }
    *q = 0;
    json_t *out = json_string(o);
    free(o);
    free(t);
    return out;
}

static json_t *fn_cidr(cfn_ctx *x, json_t *arg, ferr *e)
{
    static const char *msg = "Fn::Cidr requires a list argument with three elements: an ip "
                             "block, a count and the number of subnet bits%s";
    if (!json_is_array(arg) || json_array_size(arg) != 3) {
        tmpl_err(e, msg, "");
        return NULL;
    }
    json_t *v[3] = {0}, *out = NULL;
    char *s[3] = {0};
    for (int i = 0; i < 3; i++) {
        v[i] = resolve(x, json_array_get(arg, i), e);
        if (!v[i]) goto done;
        if (cfn_is_unknown(v[i])) {
            out = unknown();
            goto done;
        }
        s[i] = cfn_scalar_text(v[i]);
        if (!s[i]) {
            tmpl_err(e, msg, "");
            goto done;
        }
    }
    char ip[64];
    snprintf(ip, sizeof(ip), "%s", s[0]);
    char *slash = strchr(ip, '/');
    long count = atol(s[1]), bits = atol(s[2]);
    struct in_addr a;
    if (!slash || inet_pton(AF_INET, (*slash = 0, ip), &a) != 1) {
        tmpl_err(e, "Fn::Cidr: invalid IPv4 CIDR block %s", s[0]);
        goto done;
    }
    long prefix = atol(slash + 1), newp = 32 - bits;
    if (count < 1 || count > 256 || bits < 1 || bits > 32 || prefix < 0 || newp < prefix ||
        (newp - prefix < 31 && count > (1L << (newp - prefix)))) {
        tmpl_err(e, "Fn::Cidr: the CIDR block %s cannot hold that many subnets", s[0]);
        goto done;
    }
    unsigned long base = ntohl(a.s_addr);
    if (prefix)
        base &= 0xffffffffUL << (32 - prefix);
    else
        base = 0;
    out = json_array();
    int rc = !out;
    for (long i = 0; i < count; i++) {
        unsigned long n = base + ((unsigned long)i << bits);
        char t[40];
        snprintf(t, sizeof(t), "%lu.%lu.%lu.%lu/%ld", (n >> 24) & 255, (n >> 16) & 255,
                 (n >> 8) & 255, n & 255, newp);
        rc |= json_array_append_new(out, json_string(t));
    }
    if (rc) ferr_oom(e);
    out = jdone(out, rc);
done:
    for (int i = 0; i < 3; i++) {
        json_decref(v[i]);
        free(s[i]);
    }
    return out;
}

static json_t *fn_getazs(cfn_ctx *x, json_t *arg, ferr *e)
{
    json_t *r = resolve(x, arg, e);
    if (!r || cfn_is_unknown(r)) return r;
    const char *region =
        json_is_string(r) && *json_string_value(r) ? json_string_value(r) : x->region;
    json_t *out = json_array();
    int rc = !out;
    for (char z = 'a'; z <= 'c'; z++) {
        char t[64];
        snprintf(t, sizeof(t), "%s%c", region ? region : "us-east-1", z);
        rc |= json_array_append_new(out, json_string(t));
    }
    json_decref(r);
    if (rc) ferr_oom(e);
    return jdone(out, rc);
}

static json_t *fn_import(cfn_ctx *x, json_t *arg, ferr *e)
{
    json_t *n = resolve(x, arg, e);
    if (!n || cfn_is_unknown(n)) return n;
    if (!json_is_string(n)) {
        json_decref(n);
        tmpl_err(e, "The value of parameter Fn::ImportValue must be a string%s", "");
        return NULL;
    }
    const char *name = json_string_value(n);
    if (x->imports) {
        int seen = 0;
        size_t i;
        json_t *v;
        json_array_foreach(x->imports, i, v) seen |= !strcmp(json_string_value(v), name);
        if (!seen && json_array_append_new(x->imports, json_string(name))) {
            json_decref(n);
            ferr_oom(e);
            return NULL;
        }
    }
    json_t *out = NULL;
    if (!x->import)
        out = unknown();
    else {
        char *val = NULL;
        int rc = x->import(x->ud, name, &val, e);
        if (rc == 1)
            out = json_string(val);
        else if (rc == 0) {
            if (x->strict)
                ferr_validation(e, "No export named %s found.", name);
            else
                out = unknown();
        }
        free(val);
    }
    json_decref(n);
    return out;
}

/* Condition expressions: 1 true, 0 false, 2 unknown, -1 error. */
static int cond_eval(cfn_ctx *x, const json_t *node, ferr *e);

static int cond_list(cfn_ctx *x, const char *fn, json_t *arg, int min, int max, int *vals, ferr *e)
{
    if (!json_is_array(arg) || (int)json_array_size(arg) < min || (int)json_array_size(arg) > max) {
        if (min == max)
            return ferr_validation(e,
                                   "Template error: every %s object requires a list of %d "
                                   "%s",
                                   fn, min, min == 1 ? "condition" : "parameters");
        return ferr_validation(e,
                               "Template error: every %s object requires a list of at least %d "
                               "and at most %d conditions",
                               fn, min, max);
    }
    size_t i;
    json_t *v;
    json_array_foreach(arg, i, v) {
        int r = cond_eval(x, v, e);
        if (r < 0) return -1;
        vals[i] = r;
    }
    return (int)json_array_size(arg);
}

static int equals_values(const json_t *a, const json_t *b)
{
    if (json_is_array(a) || json_is_object(a) || json_is_array(b) || json_is_object(b))
        return json_equal(a, b);
    char *ta = cfn_scalar_text(a), *tb = cfn_scalar_text(b);
    int r = ta && tb && !strcmp(ta, tb);
    free(ta);
    free(tb);
    return r;
}

static int cond_eval(cfn_ctx *x, const json_t *node, ferr *e)
{
    const char *fn;
    json_t *arg;
    if (json_is_object(node) && json_object_size(node) == 1 && json_object_get(node, "Condition")) {
        const char *n = json_string_value(json_object_get(node, "Condition"));
        if (!n) return ferr_validation(e, "Template error: Condition must be a string");
        return cfn_condition(x, n, e);
    }
    if (json_is_boolean(node)) return json_is_true(node);
    if (json_is_string(node) &&
        (!strcmp(json_string_value(node), "true") || !strcmp(json_string_value(node), "false")))
        return !strcmp(json_string_value(node), "true");
    if (!is_intrinsic(node, &fn, &arg))
        return ferr_validation(e, "Template format error: Conditions can only be boolean "
                                  "operations on parameters and other conditions");
    int vals[10];
    if (!strcmp(fn, "Fn::Equals")) {
        if (!json_is_array(arg) || json_array_size(arg) != 2)
            return ferr_validation(e, "Template error: every Fn::Equals object requires a list "
                                      "of 2 string parameters.");
        json_t *a = resolve(x, json_array_get(arg, 0), e);
        if (!a) return -1;
        json_t *b = resolve(x, json_array_get(arg, 1), e);
        if (!b) {
            json_decref(a);
            return -1;
        }
        int r = cfn_is_unknown(a) || cfn_is_unknown(b) ? 2 : equals_values(a, b);
        json_decref(a);
        json_decref(b);
        return r;
    }
    if (!strcmp(fn, "Fn::And") || !strcmp(fn, "Fn::Or")) {
        int n = cond_list(x, fn, arg, 2, 10, vals, e);
        if (n < 0) return -1;
        int and = !strcmp(fn, "Fn::And"), unk = 0;
        for (int i = 0; i < n; i++) {
            if (vals[i] == 2)
                unk = 1;
            else if (and&&!vals[i])
                return 0;
            else if (!and&&vals[i])
                return 1;
        }
        return unk ? 2 : and;
    }
    if (!strcmp(fn, "Fn::Not")) {
        int n = cond_list(x, fn, arg, 1, 1, vals, e);
        if (n < 0) return -1;
        return vals[0] == 2 ? 2 : !vals[0];
    }
    if (!strcmp(fn, "Fn::If")) { /* AWS allows Fn::If to pick between two conditions */
        json_t *v = resolve(x, node, e);
        if (!v) return -1;
        int r = cfn_is_unknown(v) ? 2 : cond_eval(x, v, e);
        json_decref(v);
        return r;
    }
    if (!strcmp(fn, "Ref") || !strcmp(fn, "Fn::FindInMap") || !strcmp(fn, "Fn::Select")) {
        json_t *v = resolve(x, node, e);
        if (!v) return -1;
        int r = cfn_is_unknown(v) ? 2 : cond_eval(x, v, e);
        json_decref(v);
        return r;
    }
    return ferr_validation(e,
                           "Template error: Encountered unsupported function: %s Supported "
                           "functions are: %s",
                           fn, functions_list);
}

int cfn_condition(cfn_ctx *x, const char *name, ferr *e)
{
    json_t *have = json_object_get(x->conds, name);
    if (json_is_boolean(have)) return json_is_true(have);
    if (json_is_integer(have)) {
        if (json_integer_value(have) == 2) return 2;
        return ferr_validation(e, "Template error: circular condition dependency involving %s",
                               name);
    }
    json_t *def = json_object_get(json_object_get(x->tpl, "Conditions"), name);
    if (!def)
        return ferr_validation(e, "Template format error: Unresolved condition dependency %s",
                               name);
    if (json_object_set_new(x->conds, name, json_integer(-1))) /* evaluating */
        return ferr_oom(e);
    int r = cond_eval(x, def, e);
    if (r < 0) {
        json_object_del(x->conds, name);
        return -1;
    }
    if (json_object_set_new(x->conds, name, r == 2 ? json_integer(2) : json_boolean(r)))
        return ferr_oom(e);
    return r;
}

int cfn_conditions_all(cfn_ctx *x, ferr *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(x->tpl, "Conditions"), k, v)
        if (cfn_condition(x, k, e) < 0) return -1;
    return 0;
}

static json_t *fn_if(cfn_ctx *x, json_t *arg, ferr *e)
{
    if (!json_is_array(arg) || json_array_size(arg) != 3 ||
        !json_is_string(json_array_get(arg, 0))) {
        tmpl_err(e, "Fn::If requires a list argument with three elements%s", "");
        return NULL;
    }
    const char *c = json_string_value(json_array_get(arg, 0));
    if (!json_object_get(json_object_get(x->tpl, "Conditions"), c)) {
        tmpl_err(e, "unresolved condition dependency %s in Fn::If", c);
        return NULL;
    }
    int r = cfn_condition(x, c, e);
    if (r < 0) return NULL;
    if (r == 2) { /* both branches must be valid; the value is not known */
        for (int i = 1; i <= 2; i++) {
            json_t *v = resolve(x, json_array_get(arg, (size_t)i), e);
            if (!v) return NULL;
            json_decref(v);
        }
        return unknown();
    }
    return resolve(x, json_array_get(arg, r ? 1 : 2), e);
}

static json_t *call_fn(cfn_ctx *x, const char *fn, json_t *arg, ferr *e)
{
    if (!strcmp(fn, "Ref")) {
        if (!json_is_string(arg)) {
            tmpl_err(e, "every Ref object must have a single String value.%s", "");
            return NULL;
        }
        return ref_value(x, json_string_value(arg), e);
    }
    if (!strcmp(fn, "Fn::GetAtt")) return fn_getatt(x, arg, e);
    if (!strcmp(fn, "Fn::Sub")) return fn_sub(x, arg, e);
    if (!strcmp(fn, "Fn::Join")) return fn_delimited(x, arg, 0, e);
    if (!strcmp(fn, "Fn::Split")) return fn_delimited(x, arg, 1, e);
    if (!strcmp(fn, "Fn::Select")) return fn_select(x, arg, e);
    if (!strcmp(fn, "Fn::FindInMap")) return fn_findinmap(x, arg, e);
    if (!strcmp(fn, "Fn::Base64")) return fn_base64(x, arg, e);
    if (!strcmp(fn, "Fn::Cidr")) return fn_cidr(x, arg, e);
    if (!strcmp(fn, "Fn::GetAZs")) return fn_getazs(x, arg, e);
    if (!strcmp(fn, "Fn::ImportValue")) return fn_import(x, arg, e);
    if (!strcmp(fn, "Fn::If")) return fn_if(x, arg, e);
    if (!strcmp(fn, "Fn::Equals") || !strcmp(fn, "Fn::And") || !strcmp(fn, "Fn::Or") ||
        !strcmp(fn, "Fn::Not")) {
        json_t node = {0};
        (void)node;
        json_t *wrap = json_pack("{sO}", fn, arg);
        int r = cond_eval(x, wrap, e);
        json_decref(wrap);
        if (r < 0) return NULL;
        return r == 2 ? unknown() : json_string(r ? "true" : "false");
    }
    ferr_validation(e,
                    "Template error: Encountered unsupported function: %s Supported functions "
                    "are: %s",
                    fn, functions_list);
    return NULL;
}

static json_t *resolve(cfn_ctx *x, const json_t *node, ferr *e)
{
    const char *fn;
    json_t *arg;
    if (is_intrinsic(node, &fn, &arg)) {
        /* a function reports what is wrong with the template; a NULL it does not explain
         * is an allocation that failed (json_string and friends), never the template's fault */
        json_t *r = call_fn(x, fn, arg, e);
        if (!r && !ferr_isset(e)) ferr_oom(e);
        return r;
    }
    if (json_is_object(node)) {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        if (!o) goto oom;
        json_object_foreach((json_t *)node, k, v) {
            json_t *r = resolve(x, v, e);
            if (!r) {
                json_decref(o);
                return NULL;
            }
            if (cfn_is_novalue(r))
                json_decref(r);
            else if (json_object_set_new(o, k, r)) {
                json_decref(o);
                goto oom;
            }
        }
        return o;
    }
    if (json_is_array(node)) {
        json_t *a = json_array();
        size_t i;
        json_t *v;
        if (!a) goto oom;
        json_array_foreach(node, i, v) {
            json_t *r = resolve(x, v, e);
            if (!r) {
                json_decref(a);
                return NULL;
            }
            if (cfn_is_novalue(r))
                json_decref(r);
            else if (json_array_append_new(a, r)) {
                json_decref(a);
                goto oom;
            }
        }
        return a;
    }
    return json_incref((json_t *)node);
oom:
    ferr_oom(e);
    return NULL;
}

json_t *cfn_resolve(cfn_ctx *x, const json_t *node, ferr *e)
{
    if (!node) return json_null();
    return resolve(x, node, e);
}

/* ---------------------------------------------------------------- dependencies */

/* 0, or -1 (out of memory); so are sub_deps and walk_deps. */
static int add_dep(json_t *deps, const char *n)
{
    size_t i;
    json_t *v;
    json_array_foreach(deps, i, v)
        if (!strcmp(json_string_value(v), n)) return 0;
    return json_array_append_new(deps, json_string(n));
}

static int sub_deps(const json_t *tpl, const char *s, const json_t *vars, json_t *deps)
{
    for (const char *p = s; (p = strstr(p, "${"));) {
        if (p[2] == '!') {
            p += 3;
            continue;
        }
        const char *end;
        char name[512], *nm = sub_var(p, &end, name, sizeof(name));
        if (!nm) break;
        if (!json_object_get(vars, nm)) {
            char *dot = strchr(nm, '.');
            if (dot) *dot = 0;
            if (is_resource(tpl, nm) && add_dep(deps, nm)) return -1;
        }
        p = end + 1;
    }
    return 0;
}

static int walk_deps(const json_t *tpl, const json_t *node, json_t *deps)
{
    const char *fn;
    json_t *arg;
    int rc = 0;
    if (is_intrinsic(node, &fn, &arg)) {
        if (!strcmp(fn, "Ref") && is_resource(tpl, json_string_value(arg)))
            return add_dep(deps, json_string_value(arg));
        if (!strcmp(fn, "Fn::GetAtt")) {
            char name[512] = "";
            if (json_is_string(arg)) {
                snprintf(name, sizeof(name), "%s", json_string_value(arg));
                char *dot = strchr(name, '.');
                if (dot) *dot = 0;
            } else if (json_is_string(json_array_get(arg, 0)))
                snprintf(name, sizeof(name), "%s", json_string_value(json_array_get(arg, 0)));
            if (is_resource(tpl, name)) rc |= add_dep(deps, name);
        }
        if (!strcmp(fn, "Fn::Sub")) {
            if (json_is_string(arg))
                rc |= sub_deps(tpl, json_string_value(arg), NULL, deps);
            else if (json_is_array(arg) && json_is_string(json_array_get(arg, 0)))
                rc |= sub_deps(tpl, json_string_value(json_array_get(arg, 0)),
                               json_array_get(arg, 1), deps);
        }
    }
    if (json_is_object(node)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)node, k, v) rc |= walk_deps(tpl, v, deps);
    } else if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) rc |= walk_deps(tpl, v, deps);
    }
    return rc;
}

json_t *cfn_resource_deps(const json_t *tpl, const char *logical)
{
    json_t *r = json_object_get(json_object_get(tpl, "Resources"), logical);
    json_t *deps = json_array();
    int rc = !deps || walk_deps(tpl, json_object_get(r, "Properties"), deps) ||
             walk_deps(tpl, json_object_get(r, "Metadata"), deps);
    json_t *d = json_object_get(r, "DependsOn");
    if (json_is_string(d) && is_resource(tpl, json_string_value(d)))
        rc |= add_dep(deps, json_string_value(d));
    size_t i;
    json_t *v;
    json_array_foreach(d, i, v)
        if (is_resource(tpl, json_string_value(v))) rc |= add_dep(deps, json_string_value(v));
    return jdone(deps, rc);
}

/* Tarjan's strongly connected components, to name the resources on a cycle. */
typedef struct tj {
    size_t n;
    const char **names;
    int **adj; /* adj[i] = -1 terminated list */
    int *idx, *low, *on, *stack, sp, counter;
    int *incycle;
} tj;

static void strong(tj *t, int v)
{
    t->idx[v] = t->low[v] = t->counter++;
    t->stack[t->sp++] = v;
    t->on[v] = 1;
    for (int *w = t->adj[v]; *w >= 0; w++) {
        if (t->idx[*w] < 0) {
            strong(t, *w);
            if (t->low[*w] < t->low[v]) t->low[v] = t->low[*w];
        } else if (t->on[*w] && t->idx[*w] < t->low[v])
            t->low[v] = t->idx[*w];
    }
    if (t->low[v] == t->idx[v]) {
        int count = 0, start = t->sp;
        do {
            start--;
            count++;
        } while (t->stack[start] != v);
        int self = 0;
        for (int *w = t->adj[v]; *w >= 0; w++) self |= *w == v;
        for (int i = start; i < t->sp; i++) {
            t->on[t->stack[i]] = 0;
            if (count > 1 || self) t->incycle[t->stack[i]] = 1;
        }
        t->sp = start;
    }
}

json_t *cfn_order(const json_t *tpl, const json_t *ids, ferr *e)
{
    size_t n = json_array_size(ids);
    tj t = {0};
    t.n = n;
    t.names = calloc(n + 1, sizeof(*t.names));
    t.adj = calloc(n + 1, sizeof(*t.adj));
    t.idx = calloc(n + 1, sizeof(int));
    t.low = calloc(n + 1, sizeof(int));
    t.on = calloc(n + 1, sizeof(int));
    t.stack = calloc(n + 1, sizeof(int));
    t.incycle = calloc(n + 1, sizeof(int));
    int *indeg = calloc(n + 1, sizeof(int)), *done = calloc(n + 1, sizeof(int));
    json_t *out = json_array();
    int oom = !t.names || !t.adj || !t.idx || !t.low || !t.on || !t.stack || !t.incycle || !indeg ||
              !done || !out;
    for (size_t i = 0; !oom && i < n; i++) t.names[i] = json_string_value(json_array_get(ids, i));
    for (size_t i = 0; !oom && i < n; i++) {
        json_t *deps = cfn_resource_deps(tpl, t.names[i]);
        t.adj[i] = deps ? calloc(json_array_size(deps) + 1, sizeof(int)) : NULL;
        if (!t.adj[i]) {
            json_decref(deps);
            oom = 1;
            break;
        }
        int k = 0;
        size_t j;
        json_t *d;
        json_array_foreach(deps, j, d) {
            for (size_t m = 0; m < n; m++)
                if (!strcmp(t.names[m], json_string_value(d))) t.adj[i][k++] = (int)m;
        }
        t.adj[i][k] = -1;
        indeg[i] = k;
        json_decref(deps);
    }
    /* Kahn, in template order among the ready ones */
    for (size_t placed = 0; !oom && placed < n;) {
        int progress = 0;
        for (size_t i = 0; i < n; i++) {
            if (done[i]) continue;
            int ready = 1;
            for (int *w = t.adj[i]; *w >= 0; w++) ready &= done[*w];
            if (ready) {
                done[i] = 1;
                placed++;
                progress = 1;
                oom |= json_array_append_new(out, json_string(t.names[i]));
            }
        }
        if (!progress) break;
    }
    if (oom) {
        ferr_oom(e);
        json_decref(out);
        out = NULL;
    } else if (json_array_size(out) < n) {
        for (size_t i = 0; i < n; i++) t.idx[i] = -1;
        for (size_t i = 0; i < n; i++)
            if (t.idx[i] < 0) strong(&t, (int)i);
        buf b;
        buf_init(&b, 8192);
        for (size_t i = 0; i < n; i++)
            if (t.incycle[i]) buf_printf(&b, "%s%s", b.len ? ", " : "", t.names[i]);
        ferr_validation(e, "Circular dependency between resources: [%s]", buf_str(&b));
        buf_dispose(&b);
        json_decref(out);
        out = NULL;
    }
    for (size_t i = 0; t.adj && i < n; i++) free(t.adj[i]);
    free(t.names);
    free(t.adj);
    free(t.idx);
    free(t.low);
    free(t.on);
    free(t.stack);
    free(t.incycle);
    free(indeg);
    free(done);
    return out;
}

/* ---------------------------------------------------------------- checks */

static int fmt_err(ferr *e, const char *fmt, const char *a)
{
    char msg[900];
    snprintf(msg, sizeof(msg), fmt, a);
    return ferr_validation(e, "Template format error: %s", msg);
}

/* Resolves v statically (parameters and resources unknown) only to see that it resolves:
 * 0, or -1 with the error in e. */
static int static_check(cfn_ctx *x, const json_t *v, ferr *e)
{
    json_t *r = cfn_resolve(x, v, e);
    json_decref(r);
    return r ? 0 : -1;
}

/* The error for the references static_check found no resource or parameter for in
 * block ("Resources", "Outputs"), which it clears for the next block; 0 when none. */
static int unresolved_error(cfn_ctx *x, const char *block, ferr *e)
{
    int rc = 0;
    if (json_array_size(x->unresolved)) {
        buf b;
        buf_init(&b, 8192);
        size_t i;
        json_t *v;
        buf_printf(&b, "Unresolved resource dependencies [");
        json_array_foreach(x->unresolved, i, v)
            buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v));
        buf_printf(&b, "] in the %s block of the template", block);
        rc = fmt_err(e, "%s", buf_str(&b));
        buf_dispose(&b);
    }
    json_array_clear(x->unresolved);
    return rc;
}

int cfn_template_check(const json_t *tpl, ferr *e)
{
    const char *k;
    json_t *v;
    buf bad;
    buf_init(&bad, 4096);
    json_object_foreach((json_t *)tpl, k, v)
        if (!in_list(top_keys, k)) buf_printf(&bad, "%s%s", bad.len ? ", " : "", k);
    if (bad.len) {
        fmt_err(e, "Invalid template property or properties [%s]", buf_str(&bad));
        buf_dispose(&bad);
        return -1;
    }
    buf_dispose(&bad);
    json_t *ver = json_object_get(tpl, "AWSTemplateFormatVersion");
    if (ver && (!json_is_string(ver) || strcmp(json_string_value(ver), "2010-09-09")))
        return fmt_err(e, "Unsupported template format version %s. Supported version is 2010-09-09",
                       json_is_string(ver) ? json_string_value(ver) : "(not a string)");
    json_t *desc = json_object_get(tpl, "Description");
    if (desc && !json_is_string(desc))
        return fmt_err(e, "Every Description member must be a string%s", "");
    json_t *params = json_object_get(tpl, "Parameters");
    if (params && !json_is_object(params)) return fmt_err(e, "Parameters must be an object%s", "");
    json_object_foreach(params, k, v) {
        const char *type = json_string_value(json_object_get(v, "Type"));
        if (!json_is_object(v) || !type)
            return fmt_err(e, "Every Parameters object must contain a Type member.%s", "");
        if (!valid_param_type(type)) return fmt_err(e, "Unrecognized parameter type: %s", type);
        if (is_resource(tpl, k))
            return fmt_err(e, "Parameter and resource names must be unique: %s", k);
    }
    json_t *maps = json_object_get(tpl, "Mappings");
    if (maps && !json_is_object(maps)) return fmt_err(e, "Mappings must be an object%s", "");
    json_object_foreach(maps, k, v) {
        if (!json_is_object(v)) return fmt_err(e, "Every Mappings member %s must be a map", k);
    }
    json_t *conds = json_object_get(tpl, "Conditions");
    if (conds && !json_is_object(conds)) return fmt_err(e, "Conditions must be an object%s", "");
    json_t *res = json_object_get(tpl, "Resources");
    if (!json_is_object(res) || !json_object_size(res))
        return fmt_err(e, "At least one Resources member must be defined.%s", "");
    json_object_foreach(res, k, v) {
        if (!json_is_object(v) || !json_is_string(json_object_get(v, "Type")))
            return fmt_err(e, "[/Resources/%s] Every Resources object must contain a Type member.",
                           k);
        const char *ak;
        json_t *av;
        json_object_foreach(v, ak, av) {
            if (!in_list(res_keys, ak)) {
                char m[600];
                snprintf(m, sizeof(m), "[/Resources/%s] Invalid template resource property '%s'", k,
                         ak);
                return fmt_err(e, "%s", m);
            }
        }
        json_t *props = json_object_get(v, "Properties");
        if (props && !json_is_object(props) && !json_is_null(props))
            return fmt_err(e, "[/Resources/%s/Properties] Properties must be an object", k);
        json_t *c = json_object_get(v, "Condition");
        if (c && (!json_is_string(c) || !json_object_get(conds, json_string_value(c))))
            return fmt_err(e,
                           "Unresolved dependencies [%s]. Cannot reference resources in the "
                           "Conditions block of the template",
                           json_is_string(c) ? json_string_value(c) : "?");
        json_t *dp = json_object_get(v, "DeletionPolicy");
        if (dp && (!json_is_string(dp) || (strcmp(json_string_value(dp), "Delete") &&
                                           strcmp(json_string_value(dp), "Retain") &&
                                           strcmp(json_string_value(dp), "RetainExceptOnCreate") &&
                                           strcmp(json_string_value(dp), "Snapshot"))))
            return fmt_err(e, "Unrecognized DeletionPolicy %s",
                           json_is_string(dp) ? json_string_value(dp) : "?");
        json_t *d = json_object_get(v, "DependsOn");
        json_t *list = json_is_string(d) ? json_pack("[O]", d) : json_incref(d);
        size_t i;
        json_t *dv;
        json_array_foreach(list, i, dv) {
            if (!is_resource(tpl, json_string_value(dv))) {
                fmt_err(e,
                        "Unresolved resource dependencies [%s] in the Resources block of the "
                        "template",
                        json_string_value(dv) ? json_string_value(dv) : "?");
                json_decref(list);
                return -1;
            }
        }
        json_decref(list);
    }
    json_t *outs = json_object_get(tpl, "Outputs");
    json_object_foreach(outs, k, v) {
        if (!json_is_object(v) || !json_object_get(v, "Value"))
            return fmt_err(e, "Every Outputs member must contain a Value object%s", "");
        json_t *c = json_object_get(v, "Condition");
        if (c && (!json_is_string(c) || !json_object_get(conds, json_string_value(c))))
            return fmt_err(e, "Unresolved condition dependency %s in Outputs",
                           json_is_string(c) ? json_string_value(c) : "?");
    }

    /* Intrinsics, statically: parameters and resources are unknown. */
    cfn_ctx x = {.tpl = tpl,
                 .region = "us-east-1",
                 .conds = json_object(),
                 .unresolved = json_array()};
    int rc = cfn_conditions_all(&x, e);
    json_object_foreach(res, k, v) {
        if (rc) break;
        rc = static_check(&x, json_object_get(v, "Properties"), e) ||
             static_check(&x, json_object_get(v, "Metadata"), e);
    }
    if (!rc) rc = unresolved_error(&x, "Resources", e);
    json_object_foreach(outs, k, v) {
        if (rc) break;
        rc = static_check(&x, json_object_get(v, "Value"), e) ||
             (json_object_get(v, "Export") &&
              static_check(&x, json_object_get(json_object_get(v, "Export"), "Name"), e));
    }
    if (!rc) rc = unresolved_error(&x, "Outputs", e);
    json_decref(x.conds);
    json_decref(x.unresolved);
    if (rc || cfn_dynref_check(tpl, e)) return -1;

    json_t *ids = json_array();
    rc = !ids;
    json_object_foreach(res, k, v) rc |= json_array_append_new(ids, json_string(k));
    if (rc) {
        json_decref(ids);
        return ferr_oom(e);
    }
    json_t *order = cfn_order(tpl, ids, e);
    json_decref(ids);
    if (!order) return -1;
    json_decref(order);
    return 0;
}

json_t *cfn_template_types(const json_t *tpl)
{
    json_t *out = json_array();
    int rc = !out;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(tpl, "Resources"), k, v) {
        const char *t = json_string_value(json_object_get(v, "Type"));
        if (t) rc |= add_dep(out, t);
    }
    return jdone(out, rc);
}

void cfn_template_capabilities(const json_t *tpl, int *iam, int *expand, char *reason, size_t n)
{
    /* AWS: IAM resources need CAPABILITY_IAM; with a custom name, CAPABILITY_NAMED_IAM */
    static const struct {
        const char *type, *name_prop;
    } iam_types[] = {
        {"AWS::IAM::Role", "RoleName"},
        {"AWS::IAM::User", "UserName"},
        {"AWS::IAM::Group", "GroupName"},
        {"AWS::IAM::ManagedPolicy", "ManagedPolicyName"},
        {"AWS::IAM::InstanceProfile", "InstanceProfileName"},
        {"AWS::IAM::Policy", NULL},
        {"AWS::IAM::AccessKey", NULL},
        {"AWS::IAM::UserToGroupAddition", NULL},
        {"AWS::IAM::RolePolicy", NULL},
        {"AWS::IAM::UserPolicy", NULL},
        {"AWS::IAM::GroupPolicy", NULL},
        {"AWS::IAM::ServiceLinkedRole", NULL},
    };
    *iam = 0;
    *expand = json_object_get(tpl, "Transform") != NULL;
    buf b;
    buf_init(&b, 4096);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(tpl, "Resources"), k, v) {
        const char *t = json_string_value(json_object_get(v, "Type"));
        if (!t) continue;
        for (size_t i = 0; i < sizeof(iam_types) / sizeof(iam_types[0]); i++) {
            if (strcmp(t, iam_types[i].type)) continue;
            int named = iam_types[i].name_prop &&
                        json_object_get(json_object_get(v, "Properties"), iam_types[i].name_prop);
            if (named)
                *iam = 2;
            else if (!*iam)
                *iam = 1;
            if (!strstr(buf_str(&b), t)) buf_printf(&b, "%s%s", b.len ? ", " : "", t);
        }
    }
    if (reason && n) {
        if (b.len)
            snprintf(reason, n, "The following resource(s) require capabilities: [%s]",
                     buf_str(&b));
        else
            reason[0] = 0;
    }
    buf_dispose(&b);
}
