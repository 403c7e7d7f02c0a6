/* What policies say, read rather than evaluated (src/iam/inspect.h): the context keys they
 * name (GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy) and which of an
 * entity's policies grant a service (ListPoliciesGrantingServiceAccess). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "iam/inspect.h"
#include "iam_int.h"

static void free_policy(void *p)
{
    iam_policy_free(p);
}

/* The context keys seen so far: AWS lists each once, as first written, in document order. */
typedef struct keyset {
    call *c;
    json_t *names; /* the answer's list */
    json_t *seen;  /* lowercased key -> true */
} keyset;

static int add_key(void *ud, const char *key, size_t len)
{
    keyset *k = ud;
    char *name = arena_strndup(k->c->a, key, len);
    char *low = name ? iamsvc_lower(k->c->a, name) : NULL;
    if (!low) return ferr_oom(k->c->err);
    if (json_object_get(k->seen, low)) return 0;
    if (json_object_set_new(k->seen, low, json_true()) ||
        json_array_append_new(k->names, json_string(name)))
        return ferr_oom(k->c->err);
    return 0;
}

/* PolicyInputList's documents, parsed as SimulateCustomPolicy does (InvalidInput). */
static int input_keys(call *c, const json_t *in, keyset *k)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "PolicyInputList"), i, v) {
        const char *text = json_string_value(v) ? json_string_value(v) : "";
        iam_policy *p = iam_policy_parse(text, strlen(text), IAM_KIND_IDENTITY, c->err);
        if (!p) {
            if (c->err->status != 500)
                snprintf(c->err->code, sizeof(c->err->code), "%s", "InvalidInput");
            return -1;
        }
        if (arena_defer(c->a, free_policy, p)) {
            iam_policy_free(p);
            return ferr_oom(c->err);
        }
        if (iam_policy_context_keys(p, add_key, k)) return -1;
    }
    return 0;
}

static int keys_out(call *c, keyset *k, json_t **out)
{
    json_decref(k->seen);
    *out = svc_out(c, json_pack("{s:o}", "ContextKeyNames", k->names));
    return *out ? 0 : -1;
}

int iam_op_get_context_keys_for_custom_policy(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:GetContextKeysForCustomPolicy", "*")) return -1;
    keyset k = {c, json_array(), json_object()};
    if (!k.names || !k.seen || input_keys(c, in, &k)) {
        json_decref(k.names);
        json_decref(k.seen);
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    return keys_out(c, &k, out);
}

/* The policies of the entity arn names, after authorizing action on it: InvalidInput for an
 * ARN that names no user, group or role of the account, NoSuchEntity for one not there. */
static int arn_policies(call *c, const char *action, const char *arn, iamsvc_entpol **pols,
                        size_t *n)
{
    if (iamsvc_authorize(c, action, arn ? arn : "*")) return -1;
    const iamsvc_etype *et;
    const char *name;
    json_t *doc = NULL;
    if (!iamsvc_arn_entity(c, arn, &et, &name))
        return ferr_set(c->err, 400, "InvalidInput", "Invalid ARN: Could not be parsed!");
    if (iamsvc_load(c, et, name, &doc)) return -1;
    int rc = iamsvc_entity_policies(c, et, doc, pols, n);
    json_decref(doc);
    return rc;
}

int iam_op_get_context_keys_for_principal_policy(call *c, json_t *in, json_t **out)
{
    iamsvc_entpol *pols;
    size_t n;
    int rc = arn_policies(c, "iam:GetContextKeysForPrincipalPolicy", jstr(in, "PolicySourceArn"),
                          &pols, &n);
    if (rc) return -1;
    keyset k = {c, json_array(), json_object()};
    if (!k.names || !k.seen) rc = ferr_oom(c->err);
    for (size_t i = 0; !rc && i < n; i++) rc = iam_policy_context_keys(pols[i].p, add_key, &k);
    if (!rc) rc = input_keys(c, in, &k);
    if (rc) {
        json_decref(k.names);
        json_decref(k.seen);
        return -1;
    }
    return keys_out(c, &k, out);
}

/* AWS's PolicyGrantingServiceAccess: a managed policy by its ARN, an inline one by the entity
 * holding it (the user's group for what a user has through it); "null for managed
 * policies", wherever attached. */
static json_t *granting_view(const iamsvc_entpol *p)
{
    if (p->arn)
        return json_pack("{s:s, s:s, s:s}", "PolicyName", p->name, "PolicyType", "MANAGED",
                         "PolicyArn", p->arn);
    return json_pack("{s:s, s:s, s:s, s:s}", "PolicyName", p->name, "PolicyType", "INLINE",
                     "EntityType", p->owner_type, "EntityName", p->owner);
}

int iam_op_list_policies_granting_service_access(call *c, json_t *in, json_t **out)
{
    iamsvc_entpol *pols;
    size_t n;
    if (arn_policies(c, "iam:ListPoliciesGrantingServiceAccess", jstr(in, "Arn"), &pols, &n))
        return -1;
    json_t *all = json_array();
    size_t i;
    json_t *ns;
    json_array_foreach(all ? json_object_get(in, "ServiceNamespaces") : NULL, i, ns) {
        json_t *list = json_array();
        for (size_t j = 0; list && j < n; j++) {
            if (!iam_policy_allows_service(pols[j].p, json_string_value(ns))) continue;
            json_t *v = granting_view(&pols[j]);
            if (!v || json_array_append_new(list, v)) {
                json_decref(list);
                list = NULL;
            }
        }
        if (!list || json_array_append_new(
                         all, json_pack("{s:O, s:o}", "ServiceNamespace", ns, "Policies", list))) {
            json_decref(all);
            return ferr_oom(c->err);
        }
    }
    if (!all) return ferr_oom(c->err);
    *out =
        svc_out(c, json_pack("{s:o, s:b}", "PoliciesGrantingServiceAccess", all, "IsTruncated", 0));
    return *out ? 0 : -1;
}
