/* AWS::SSM::Parameter. Ref = the parameter's name; GetAtt Type and Value. Name replaces;
 * the rest is a new version (PutParameter with Overwrite) and tags set in place. AWS: the
 * Tags property is a {key: value} map; CloudFormation creates only String and StringList
 * parameters; a parameter without a Name is named "CFN-{logical id}-{random}". */
#include <stdlib.h>
#include <string.h>

#include "prov_int.h"

static const prov_prop schema[] = {
    {"AllowedPattern", PT_STR, 0}, {"DataType", PT_STR, 0},
    {"Description", PT_STR, 0},    {"Name", PT_STR, 0},
    {"Policies", PT_JSON, 0},      {"Tags", PT_OBJECT, 0},
    {"Tier", PT_STR, 0},           {"Type", PT_STR, 1},
    {"Value", PT_STR, 1},          {NULL, 0, 0},
};

static int param_check(cfn_pctx *p, const json_t *pr)
{
    const char *type = jstr(pr, "Type");
    if (strcmp(type, "String") && strcmp(type, "StringList"))
        return prov_invalid(p, "#/Type: failed validation constraint for keyword [enum]");
    json_t *tags = json_object_get(pr, "Tags");
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v) {
        if (!json_is_string(v))
            return prov_invalid(p, "#/Tags/%s: expected type: String, found: %s", k,
                                json_is_object(v) ? "JSONObject" : "JSONArray");
    }
    return 0;
}

/* PutParameter's input for normalized props (without Tags). */
static json_t *put_input(const char *name, const json_t *pr, int overwrite)
{
    json_t *in = json_pack("{s:s, s:s, s:s}", "Name", name, "Value", jstr(pr, "Value"), "Type",
                           jstr(pr, "Type"));
    static const char *const copied[] = {"AllowedPattern", "DataType", "Description", "Tier"};
    int rc = !in;
    for (size_t i = 0; !rc && i < sizeof(copied) / sizeof(copied[0]); i++)
        rc |= jset_str(in, copied[i], jstr(pr, copied[i]));
    char *pol = prov_doc_text(json_object_get(pr, "Policies"));
    if (!rc && pol) rc |= jset_str(in, "Policies", pol);
    free(pol);
    if (!rc && overwrite) rc |= json_object_set_new(in, "Overwrite", json_true());
    return jdone(in, rc);
}

static int param_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "ssm", "DeleteParameter", json_pack("{s:s}", "Name", name));
}

static int param_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    (void)attrs; /* read with GetParameter */
    cfn_pctx q = *p;
    q.stack_name = "CFN";
    char *name = jstr(pr, "Name") ? strdup(jstr(pr, "Name")) : cfn_physical_name(&q, 1011, 0);
    if (!name) return ferr_oom(p->e);
    json_t *tags = prov_tags_list(json_object_get(pr, "Tags"));
    json_t *all = tags ? prov_tags(p, tags, 1) : NULL;
    json_t *in = put_input(name, pr, 0);
    int rc = !tags || !all || !in ? ferr_oom(p->e) : 0;
    if (!rc && json_array_size(all)) rc = json_object_set(in, "Tags", all) ? ferr_oom(p->e) : 0;
    if (!rc)
        rc = prov_refuse_existing(p, "AWS::SSM::Parameter", name, "ssm", "GetParameter",
                                  json_pack("{s:s}", "Name", name)) ||
             cfn_intent(p, name) || prov_call(p, "ssm", "PutParameter", json_incref(in), NULL);
    json_decref(in);
    json_decref(tags);
    json_decref(all);
    if (rc) {
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static int param_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "ssm", "GetParameter", json_pack("{s:s}", "Name", name), &out)) return -1;
    json_t *par = json_object_get(out, "Parameter");
    *attrs = json_pack("{s:O, s:O}", "Type", json_object_get(par, "Type"), "Value",
                       json_object_get(par, "Value"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

/* The parameter's tags become the stack's and the Tags map's (aws: tags kept). */
static int sync_tags(cfn_pctx *p, const char *name, const json_t *np)
{
    json_t *out = NULL;
    if (prov_call(p, "ssm", "ListTagsForResource",
                  json_pack("{s:s, s:s}", "ResourceType", "Parameter", "ResourceId", name), &out))
        return -1;
    json_t *list = prov_tags_list(json_object_get(np, "Tags"));
    json_t *desired = list ? prov_tags(p, list, 1) : NULL, *set = NULL, *unset = NULL;
    int rc = !desired || prov_tags_diff(json_object_get(out, "TagList"), desired, &set, &unset)
                 ? ferr_oom(p->e)
                 : 0;
    if (!rc && json_array_size(unset))
        rc = prov_call(p, "ssm", "RemoveTagsFromResource",
                       json_pack("{s:s, s:s, s:O}", "ResourceType", "Parameter", "ResourceId", name,
                                 "TagKeys", unset),
                       NULL);
    if (!rc && json_array_size(set))
        rc = prov_call(p, "ssm", "AddTagsToResource",
                       json_pack("{s:s, s:s, s:O}", "ResourceType", "Parameter", "ResourceId", name,
                                 "Tags", set),
                       NULL);
    json_decref(out);
    json_decref(list);
    json_decref(desired);
    json_decref(set);
    json_decref(unset);
    return rc;
}

static int param_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                        const json_t *np)
{
    (void)s;
    int same = 1;
    for (const prov_prop *pp = schema; pp->name; pp++)
        if (strcmp(pp->name, "Tags"))
            same &= prov_same(json_object_get(op, pp->name), json_object_get(np, pp->name));
    if (!same && prov_call(p, "ssm", "PutParameter", put_input(name, np, 1), NULL)) return -1;
    return sync_tags(p, name, np);
}

static const prov_shape shape = {
    .schema = schema,
    .check = param_check,
    .make = param_make,
    .change = param_change,
    .attrs = param_attrs,
    .del = param_del,
};

static const char *const replace_on[] = {"Name", NULL};

const cfn_provider cfn_provider_ssm_parameter = {
    .type = "AWS::SSM::Parameter",
    .shape = &shape,
    .del = param_del,
    .replace_on = replace_on,
};
