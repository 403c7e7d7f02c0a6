/* Helpers shared by the resource providers: see prov_int.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "engine/stacks/template.h"
#include "prov_int.h"

/* ---- calling services ----------------------------------------------------------------- */

int prov_call_r(cfn_pctx *p, const char *region, const char *service, const char *op, json_t *in,
                json_t **out)
{
    if (out) *out = NULL;
    if (!in) return ferr_oom(p->e);
    int rc = prov_call_in(p, region, service, op, in, out);
    json_decref(in);
    return rc;
}

int prov_call(cfn_pctx *p, const char *service, const char *op, json_t *in, json_t **out)
{
    return prov_call_r(p, NULL, service, op, in, out);
}

int prov_is_gone(const ferr *e)
{
    static const char *const codes[] = {
        "NoSuchEntity",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "ResourceNotFoundException",
        "NotFoundException", /* KMS */
    };
    if (!ferr_isset(e)) return 0;
    if (e->status == 404) return 1;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(e->code, codes[i])) return 1;
    /* EC2's codes name the thing: InvalidVpcID.NotFound, NatGatewayNotFound, ... */
    size_t n = strlen(e->code);
    return n >= 8 && !strcmp(e->code + n - 8, "NotFound");
}

int prov_call_gone_ok(cfn_pctx *p, const char *region, const char *service, const char *op,
                      json_t *in)
{
    if (!prov_call_r(p, region, service, op, in, NULL)) return 0;
    if (!prov_is_gone(p->e)) return -1;
    ferr_clear(p->e);
    return 0;
}

int prov_refuse_existing(cfn_pctx *p, const char *type, const char *id, const char *service,
                         const char *op, json_t *in)
{
    if (prov_call(p, service, op, in, NULL)) {
        if (!prov_is_gone(p->e)) return -1;
        ferr_clear(p->e);
        return 0;
    }
    return ferr_set(p->e, 400, "AlreadyExists",
                    "Resource of type '%s' with identifier '%s' already exists.", type, id);
}

int prov_undo(cfn_pctx *p, int (*del)(cfn_pctx *, const char *, const json_t *), const char *id,
              const json_t *props)
{
    ferr *keep = p->e, scratch = {0};
    p->e = &scratch;
    del(p, id, props); /* best effort: what could not be undone stays, as in AWS */
    p->e = keep;
    return -1;
}

/* ---- Properties ------------------------------------------------------------------------ */

int prov_invalid(cfn_pctx *p, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ferr_validation(p->e, "Properties validation failed for resource %s with message: %s",
                           p->logical_id ? p->logical_id : "", msg);
}

static const char *found_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "JSONObject";
    case JSON_ARRAY: return "JSONArray";
    case JSON_STRING: return "String";
    case JSON_INTEGER: return "Integer";
    case JSON_REAL: return "Number";
    case JSON_TRUE:
    case JSON_FALSE: return "Boolean";
    default: return "Null";
    }
}

/* Scalar -> string (CloudFormation passes every scalar as text to string properties). */
static json_t *as_str(const json_t *v)
{
    if (json_is_string(v)) return json_incref((json_t *)v);
    char *t = cfn_scalar_text(v);
    json_t *s = t ? json_string(t) : NULL;
    free(t);
    return s;
}

static json_t *as_int(const json_t *v)
{
    if (json_is_integer(v)) return json_incref((json_t *)v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9.0e15) return json_integer((json_int_t)d);
        return NULL;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        while (isspace((unsigned char)*s)) s++;
        char *end = NULL;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (end == s || errno) return NULL;
        while (isspace((unsigned char)*end)) end++;
        if (*end) return NULL;
        return json_integer(n);
    }
    return NULL;
}

json_t *prov_as_int(const json_t *v)
{
    return as_int(v);
}

json_t *prov_as_str(const json_t *v)
{
    return as_str(v);
}

static json_t *as_bool(const json_t *v)
{
    if (json_is_boolean(v)) return json_incref((json_t *)v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcasecmp(s, "true")) return json_true();
        if (!strcasecmp(s, "false")) return json_false();
    }
    return NULL;
}

static int type_error(cfn_pctx *p, const char *path, const char *want, const json_t *v)
{
    return prov_invalid(p, "#/%s: expected type: %s, found: %s", path, want, found_name(v));
}

static int check_object_keys(cfn_pctx *p, const char *path, const json_t *o,
                             const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(k, allowed[i])) ok = 1;
        if (!ok) return prov_invalid(p, "#/%s: extraneous key [%s] is not permitted", path, k);
    }
    return 0;
}

/* One item of a list property at path ("Tags/3"): a new value, or NULL with p->e set. */
typedef json_t *(*norm_item_fn)(cfn_pctx *p, const char *path, const json_t *x, const void *ud);

/* A list property, each item normalized by item. */
static json_t *norm_list(cfn_pctx *p, const char *name, const json_t *v, norm_item_fn item,
                         const void *ud)
{
    if (!json_is_array(v)) {
        type_error(p, name, "JSONArray", v);
        return NULL;
    }
    json_t *out = json_array();
    if (!out) goto oom;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%zu", name, i);
        json_t *n = item(p, path, x, ud);
        if (!n) goto fail;
        if (json_array_append_new(out, n)) goto oom;
    }
    return out;
oom:
    ferr_oom(p->e);
fail:
    json_decref(out);
    return NULL;
}

static json_t *norm_str(cfn_pctx *p, const char *path, const json_t *x, const void *ud)
{
    (void)ud;
    json_t *s = as_str(x);
    if (!s) type_error(p, path, "String", x);
    return s;
}

/* An {a, b} object (Tags: {Key, Value}; Policies: {PolicyName, PolicyDocument}): a is a
 * String, b a String too or, with doc, a Json document kept as given. */
typedef struct pair_kind {
    const char *a, *b;
    int doc;
} pair_kind;

static json_t *norm_pair(cfn_pctx *p, const char *path, const json_t *x, const void *ud)
{
    const pair_kind *pk = ud;
    const char *const keys[] = {pk->a, pk->b, NULL};
    if (!json_is_object(x)) {
        type_error(p, path, "JSONObject", x);
        return NULL;
    }
    if (check_object_keys(p, path, x, keys)) return NULL;
    json_t *va = as_str(json_object_get(x, pk->a)), *raw = json_object_get(x, pk->b);
    json_t *vb = !pk->doc ? as_str(raw) : raw && !json_is_null(raw) ? json_incref(raw) : NULL;
    if (!va || !vb) {
        prov_invalid(p, "#/%s: required key [%s] not found", path, !va ? pk->a : pk->b);
    } else if (pk->doc && !json_is_object(vb) && !json_is_string(vb)) {
        char dpath[200];
        snprintf(dpath, sizeof(dpath), "%s/%s", path, pk->b);
        type_error(p, dpath, "JSONObject", vb);
    } else {
        json_t *n = json_pack("{s:o, s:o}", pk->a, va, pk->b, vb);
        if (!n) ferr_oom(p->e);
        return n;
    }
    json_decref(va);
    json_decref(vb);
    return NULL;
}

static const pair_kind tag_pair = {"Key", "Value", 0};
static const pair_kind policy_pair = {"PolicyName", "PolicyDocument", 1};

int prov_props(cfn_pctx *p, const json_t *props, const prov_prop *schema, json_t **out)
{
    *out = NULL;
    if (props && !json_is_object(props))
        return prov_invalid(p, "#: expected type: JSONObject, found: %s", found_name(props));
    json_t *norm = json_object();
    if (!norm) return ferr_oom(p->e);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)props, k, v) {
        if (json_is_null(v)) continue;
        const prov_prop *s = schema;
        while (s->name && strcmp(s->name, k)) s++;
        if (!s->name) {
            prov_invalid(p, "#: extraneous key [%s] is not permitted", k);
            goto fail;
        }
        json_t *n = NULL;
        switch (s->type) {
        case PT_STR:
            if (!(n = as_str(v))) type_error(p, k, "String", v);
            break;
        case PT_INT:
            if (!(n = as_int(v))) type_error(p, k, "Integer", v);
            break;
        case PT_BOOL:
            if (!(n = as_bool(v))) type_error(p, k, "Boolean", v);
            break;
        case PT_JSON:
            if (json_is_object(v) || json_is_string(v))
                n = json_incref(v);
            else
                type_error(p, k, "JSONObject", v);
            break;
        case PT_STRLIST: n = norm_list(p, k, v, norm_str, NULL); break;
        case PT_TAGS: n = norm_list(p, k, v, norm_pair, &tag_pair); break;
        case PT_POLICIES: n = norm_list(p, k, v, norm_pair, &policy_pair); break;
        case PT_LIST:
            if (json_is_array(v))
                n = json_incref(v);
            else
                type_error(p, k, "JSONArray", v);
            break;
        case PT_OBJECT:
            if (json_is_object(v))
                n = json_incref(v);
            else
                type_error(p, k, "JSONObject", v);
            break;
        }
        if (!n) goto fail;
        if (json_object_set_new(norm, k, n)) {
            ferr_oom(p->e);
            goto fail;
        }
    }
    for (const prov_prop *s = schema; s->name; s++)
        if (s->required && !json_object_get(norm, s->name)) {
            prov_invalid(p, "#: required key [%s] not found", s->name);
            goto fail;
        }
    *out = norm;
    return 0;
fail:
    json_decref(norm);
    if (!ferr_isset(p->e)) ferr_oom(p->e);
    return -1;
}

json_t *prov_props_old(cfn_pctx *p, const json_t *props, const prov_prop *schema)
{
    json_t *pr = NULL;
    if (!prov_props(p, props, schema, &pr)) return pr;
    ferr_clear(p->e);
    return json_is_object(props) ? json_incref((json_t *)props) : json_object();
}

char *prov_doc_text(const json_t *v)
{
    if (!v || json_is_null(v)) return NULL;
    if (json_is_string(v)) return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static json_t *as_doc(const json_t *v)
{
    if (json_is_string(v)) {
        json_t *d = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
        return d ? d : json_incref((json_t *)v);
    }
    return v ? json_incref((json_t *)v) : NULL;
}

int prov_doc_equal(const json_t *a, const json_t *b)
{
    if (!a || !b) return a == b;
    json_t *da = as_doc(a), *db = as_doc(b);
    int eq = json_equal(da, db);
    json_decref(da);
    json_decref(db);
    return eq;
}

char *prov_attr_text(const json_t *v)
{
    if (!v || json_is_null(v)) return NULL;
    if (json_is_object(v) || json_is_array(v)) return json_dumps(v, JSON_COMPACT);
    return cfn_scalar_text(v);
}

json_t *prov_attributes(const json_t *pr, const prov_attr *table, const char *fifo_property)
{
    json_t *a = json_object();
    int rc = !a;
    for (const prov_attr *at = table; a && at->name; at++) {
        const json_t *v = json_object_get(pr, at->name);
        char *t = prov_attr_text(v);
        if (t)
            rc |= json_object_set_new(a, at->name, json_string(t));
        else if (v && !json_is_null(v))
            rc = 1; /* given, but no text for it: out of memory, never left out */
        free(t);
    }
    if (a && fifo_property && jbool(pr, fifo_property, 0))
        rc |= json_object_set_new(a, fifo_property, json_string("true"));
    return jdone(a, rc);
}

int prov_strlist_has(const json_t *list, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (json_string_value(x) && !strcmp(json_string_value(x), s)) return 1;
    return 0;
}

json_t *prov_strlist_minus(const json_t *a, const json_t *b)
{
    json_t *out = json_array();
    int rc = !out;
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        const char *s = json_string_value(x);
        if (s && !prov_strlist_has(b, s) && !prov_strlist_has(out, s))
            rc |= json_array_append(out, x);
    }
    return jdone(out, rc);
}

const json_t *prov_policy_find(const json_t *policies, const char *name)
{
    size_t i;
    json_t *x;
    if (!name) return NULL;
    json_array_foreach(policies, i, x) {
        const char *n = jstr(x, "PolicyName");
        if (n && !strcmp(n, name)) return x;
    }
    return NULL;
}

int prov_same(const json_t *a, const json_t *b)
{
    if (!a || !b) return a == b;
    return json_equal(a, b);
}

/* ---- tags ------------------------------------------------------------------------------ */

/* 0 or -1 (out of memory). */
static int tag_put(json_t *list, const char *k, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (!strcmp(jstr(x, "Key"), k)) return json_object_set_new(x, "Value", json_string(v));
    return json_array_append_new(list, json_pack("{s:s, s:s}", "Key", k, "Value", v));
}

json_t *prov_tags(const cfn_pctx *p, const json_t *tags_prop, int system)
{
    json_t *out = json_array();
    int rc = !out;
    size_t i;
    json_t *x;
    /* AWS: stack-level tags go to every resource that supports tags; a resource's own Tags
     * win on the same key. */
    json_array_foreach(p->tags, i, x)
        if (jstr(x, "Key") && jstr(x, "Value"))
            rc |= tag_put(out, jstr(x, "Key"), jstr(x, "Value"));
    json_array_foreach(tags_prop, i, x)
        if (jstr(x, "Key") && jstr(x, "Value"))
            rc |= tag_put(out, jstr(x, "Key"), jstr(x, "Value"));
    if (system) {
        if (p->stack_name) rc |= tag_put(out, "aws:cloudformation:stack-name", p->stack_name);
        if (p->stack_id) rc |= tag_put(out, "aws:cloudformation:stack-id", p->stack_id);
        if (p->logical_id) rc |= tag_put(out, "aws:cloudformation:logical-id", p->logical_id);
    }
    return jdone(out, rc);
}

json_t *prov_camel(const json_t *v, prov_camel_fn fn, void *ud)
{
    if (json_is_array(v)) {
        json_t *l = json_array();
        int rc = !l;
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) rc |= json_array_append_new(l, prov_camel(x, fn, ud));
        return jdone(l, rc);
    }
    if (!json_is_object(v)) return json_deep_copy(v);
    json_t *o = json_object();
    int rc = !o;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        char key[PROV_KEY_MAX];
        snprintf(key, sizeof(key), "%s", k);
        key[0] = (char)tolower((unsigned char)key[0]);
        int skip = 0;
        json_t *nv = fn ? fn(k, key, x, &skip, ud) : NULL;
        if (skip) continue;
        rc |= json_object_set_new(o, key, nv ? nv : prov_camel(x, fn, ud));
    }
    return jdone(o, rc);
}

json_t *prov_tags_map(const json_t *list)
{
    json_t *m = json_object();
    int rc = !m;
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (jstr(x, "Key") && jstr(x, "Value"))
            rc |= json_object_set_new(m, jstr(x, "Key"), json_string(jstr(x, "Value")));
    return jdone(m, rc);
}

json_t *prov_tags_list(const json_t *map)
{
    json_t *l = json_array();
    int rc = !l;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
        if (json_is_string(v))
            rc |= json_array_append_new(l, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    return jdone(l, rc);
}

static const char *tag_get(const json_t *list, const char *k)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (jstr(x, "Key") && !strcmp(jstr(x, "Key"), k)) return jstr(x, "Value");
    return NULL;
}

int prov_tags_diff(const json_t *current, const json_t *desired, json_t **set, json_t **unset)
{
    *set = json_array();
    *unset = json_array();
    int rc = !*set || !*unset;
    size_t i;
    json_t *x;
    json_array_foreach(desired, i, x) {
        const char *k = jstr(x, "Key"), *v = jstr(x, "Value");
        if (!k || !v) continue;
        const char *cur = tag_get(current, k);
        if (!cur || strcmp(cur, v)) rc |= json_array_append(*set, x);
    }
    json_array_foreach(current, i, x) {
        const char *k = jstr(x, "Key");
        /* aws: tags belong to AWS: callers cannot remove them */
        if (!k || !strncasecmp(k, "aws:", 4)) continue;
        if (!tag_get(desired, k)) rc |= json_array_append_new(*unset, json_string(k));
    }
    if (!rc) return 0;
    json_decref(*set);
    json_decref(*unset);
    *set = *unset = NULL;
    return -1;
}

/* ---- names, ids, results ---------------------------------------------------------------- */

char *prov_name(const cfn_pctx *p, const json_t *props, const char *prop, int max, int fifo)
{
    const char *given = jstr(props, prop);
    return given ? strdup(given) : cfn_physical_name(p, max, fifo);
}

char *prov_generated_id(const cfn_pctx *p)
{
    return cfn_physical_name(p, 0, 0);
}

int prov_result(cfn_pctx *p, const char *physical_id, json_t *attrs, json_t **result)
{
    *result = json_pack("{s:s, s:o}", "PhysicalResourceId", physical_id, "Attributes",
                        attrs ? attrs : json_object());
    return *result ? 0 : ferr_oom(p->e);
}

int prov_arn_part(const char *arn, int part, char *out, size_t n)
{
    if (!arn || strncmp(arn, "arn:", 4) || part < 1 || part > 5) return -1;
    const char *s = arn;
    for (int i = 0; i < part; i++) {
        s = strchr(s, ':');
        if (!s) return -1;
        s++;
    }
    size_t len = part == 5 ? strlen(s) : (size_t)(strchrnul(s, ':') - s);
    if (part < 5 && !strchr(s, ':')) return -1;
    snprintf(out, n, "%.*s", (int)len, s);
    return 0;
}

json_t *prov_date(const json_t *v)
{
    if (json_is_string(v)) return json_incref((json_t *)v);
    if (!json_is_number(v)) return json_null();
    char b[32];
    clock_iso8601(json_number_value(v), 0, b);
    return json_string(b);
}

int prov_sync_tags(cfn_pctx *p, const prov_tagging *t, const char *id, const json_t *np)
{
    json_t *out = NULL;
    if (prov_call(p, t->service, t->list_op, json_pack("{s:s}", t->id_key, id), &out)) return -1;
    json_t *tags = json_object_get(out, "Tags");
    json_t *current = t->map_form ? prov_tags_list(tags) : json_incref(tags);
    json_decref(out);
    json_t *desired = prov_tags(p, json_object_get(np, "Tags"), 1), *set = NULL, *unset = NULL;
    int rc = (tags && !current) || !desired || prov_tags_diff(current, desired, &set, &unset)
                 ? ferr_oom(p->e)
                 : 0;
    if (!rc && json_array_size(unset))
        rc = prov_call(p, t->service, t->untag_op,
                       json_pack("{s:s, s:O}", t->id_key, id, "TagKeys", unset), NULL);
    if (!rc && json_array_size(set))
        rc = prov_call(p, t->service, t->tag_op,
                       json_pack("{s:s, s:o}", t->id_key, id, "Tags",
                                 t->map_form ? prov_tags_map(set) : json_incref(set)),
                       NULL);
    json_decref(set);
    json_decref(unset);
    json_decref(current);
    json_decref(desired);
    return rc;
}
