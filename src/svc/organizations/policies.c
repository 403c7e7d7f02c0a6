/* AWS Organizations policy operations: policy types on the root, policy documents, and
 * their attachments to the root, OUs and accounts. AWS: only the management account may
 * call them; SCP and RCP documents follow the IAM grammar (checked with the policy
 * engine), RCPs with AWS's narrower rules; FullAWSAccess (RCPFullAWSAccess) is AWS managed,
 * cannot be changed, and is attached to every root, OU and account while SCPs (RCPs) are
 * enabled; an entity keeps at least one SCP, and RCPFullAWSAccess stays. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/ids.h"
#include "base/jval.h"
#include "iam/policy.h"
#include "organizations.h"
#include "organizations_int.h"
#include "scp.h"

#define INVALID(c, msg) ferr_set((c)->err, 400, "InvalidInputException", "%s", msg)

static const char *const policy_types[] = {"SERVICE_CONTROL_POLICY",
                                           "RESOURCE_CONTROL_POLICY",
                                           "TAG_POLICY",
                                           "BACKUP_POLICY",
                                           "AISERVICES_OPT_OUT_POLICY",
                                           "CHATBOT_POLICY",
                                           "DECLARATIVE_POLICY_EC2",
                                           NULL};

/* AWS quotas: maximum size of a policy document, by type. */
static size_t max_size(const char *type)
{
    if (org_is_authz_type(type)) return 5120;
    if (!strcmp(type, "AISERVICES_OPT_OUT_POLICY")) return 2500;
    return 10000;
}

/* AWS: at most five SCPs (or RCPs) attached to one root, OU or account. */
#define MAX_ATTACHED 5

static int check_type(call *c, const char *type)
{
    for (size_t i = 0; policy_types[i]; i++)
        if (type && !strcmp(type, policy_types[i])) return 0;
    return INVALID(c, "You specified an invalid policy type string.");
}

static int check_policy_id(call *c, const char *id)
{
    /* AWS: "p-" followed by 8 to 128 letters, digits or underscores */
    size_t n = id ? strlen(id) : 0;
    int ok = n >= 10 && n <= 130 && !strncmp(id, "p-", 2);
    for (size_t i = 2; ok && i < n; i++) ok = isalnum((unsigned char)id[i]) || id[i] == '_';
    return ok ? 0 : INVALID(c, "You specified an invalid policy ID.");
}

static int check_len(call *c, const char *v, size_t min, size_t max)
{
    size_t n = v ? strlen(v) : 0;
    if (n < min) return INVALID(c, "You provided a string parameter that is shorter than allowed.");
    if (n > max) return INVALID(c, "You provided a string parameter that is longer than allowed.");
    /* AWS: names and descriptions are in the ASCII range */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] > 0x7f)
            return INVALID(c, "You provided a value that doesn't match the required pattern.");
    return 0;
}

static int malformed(call *c)
{
    return ferr_set(c->err, 400, "MalformedPolicyDocumentException",
                    "The provided policy document doesn't meet the requirements of the specified "
                    "policy type.");
}

/* The one top-level key of a management policy of type (NULL: none known). */
static const char *type_section(const char *type)
{
    static const char *const sections[][2] = {{"TAG_POLICY", "tags"},
                                              {"BACKUP_POLICY", "plans"},
                                              {"AISERVICES_OPT_OUT_POLICY", "services"},
                                              {"CHATBOT_POLICY", "chatbot"},
                                              {"DECLARATIVE_POLICY_EC2", "ec2_attributes"}};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (!strcmp(type, sections[i][0])) return sections[i][1];
    return NULL;
}

static int rcp_action_ok(const json_t *a)
{
    const char *s = json_string_value(a);
    return s && (!strcmp(s, "*") || org_rcp_service(s));
}

/* AWS "RCP syntax": Allow is for RCPFullAWSAccess alone, so a customer RCP only denies;
 * every statement names the Principal "*" (no NotPrincipal: conditions say whom), lists
 * its Actions (no NotAction), and those only of the services RCPs support. The document
 * already parsed as a resource policy. */
static int rcp_rules_ok(const char *content, size_t n)
{
    json_t *doc = json_loadb(content, n, 0, NULL), *sts = json_object_get(doc, "Statement");
    size_t cnt = json_is_array(sts) ? json_array_size(sts) : 1;
    int ok = doc != NULL;
    for (size_t i = 0; ok && i < cnt; i++) {
        json_t *st = json_is_array(sts) ? json_array_get(sts, i) : sts, *ac, *v;
        const char *eff = jstr(st, "Effect"), *pr = jstr(st, "Principal");
        ok = eff && !strcmp(eff, "Deny") && pr && !strcmp(pr, "*") &&
             !json_object_get(st, "NotPrincipal") && !json_object_get(st, "NotAction") &&
             (ac = json_object_get(st, "Action")) != NULL;
        size_t j;
        if (ok && json_is_array(ac))
            json_array_foreach(ac, j, v) ok &= rcp_action_ok(v);
        else if (ok)
            ok = rcp_action_ok(ac);
    }
    json_decref(doc);
    return ok;
}

/* Content must be JSON in the grammar of its type; SCPs and RCPs use IAM's. */
static int check_content(call *c, const char *type, const char *content)
{
    size_t n = content ? strlen(content) : 0;
    if (!n) return INVALID(c, "You provided a string parameter that is shorter than allowed.");
    if (n > max_size(type))
        return ferr_set(c->err, 400, "ConstraintViolationException",
                        "You attempted to create a policy that is larger than the maximum size.");
    if (org_is_authz_type(type)) {
        int rcp = !strcmp(type, ORG_RCP);
        ferr pe = {0};
        iam_policy *p = iam_policy_parse(content, n, rcp ? IAM_KIND_RESOURCE : IAM_KIND_SCP, &pe);
        if (!p) return malformed(c);
        iam_policy_free(p);
        return rcp && !rcp_rules_ok(content, n) ? malformed(c) : 0;
    }
    json_t *doc = json_loadb(content, n, JSON_REJECT_DUPLICATES, NULL);
    int ok = json_is_object(doc) && json_object_size(doc);
    /* AWS: a management policy's top level is its type's own section ("tags" for tag
     * policies, ...); anything else there does not meet the type's requirements */
    const char *section = type_section(type), *key;
    json_t *v;
    json_object_foreach(doc, key, v) ok &= section && !strcmp(key, section) && json_is_object(v);
    json_decref(doc);
    return ok ? 0 : malformed(c);
}

static const json_t *summary(const json_t *pol)
{
    return json_object_get(pol, "PolicySummary");
}

/* The policy (new ref) or PolicyNotFoundException. */
static int load_policy(call *c, const char *id, json_t **pol)
{
    if (check_policy_id(c, id)) return -1;
    int rc = org_policy_get(c->txn, id, pol, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "PolicyNotFoundException",
                        "We can't find a policy with the PolicyId that you specified.");
    return 0;
}

static json_t *policy_view(const json_t *pol)
{
    return json_pack("{s:O, s:O}", "PolicySummary", summary(pol), "Content",
                     json_object_get(pol, "Content"));
}

/* ---- targets ---- */

typedef struct target {
    const char *type; /* ROOT, ORGANIZATIONAL_UNIT, ACCOUNT */
    json_t *doc;      /* the root, OU or account document (new ref) */
} target;

static int id_chars(const char *s, size_t n, int digits_only)
{
    for (size_t i = 0; i < n; i++)
        if (digits_only ? !isdigit((unsigned char)s[i])
                        : !(isdigit((unsigned char)s[i]) || islower((unsigned char)s[i])))
            return 0;
    return 1;
}

/* AWS: r-[0-9a-z]{4,32}, \d{12}, ou-[0-9a-z]{4,32}-[a-z0-9]{8,32} */
static const char *target_kind(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 12 && id_chars(id, 12, 1)) return "ACCOUNT";
    if (n >= 6 && n <= 34 && !strncmp(id, "r-", 2) && id_chars(id + 2, n - 2, 0)) return "ROOT";
    if (n > 3 && !strncmp(id, "ou-", 3)) {
        const char *dash = strchr(id + 3, '-');
        size_t a = dash ? (size_t)(dash - id - 3) : 0, b = dash ? strlen(dash + 1) : 0;
        if (dash && a >= 4 && a <= 32 && b >= 8 && b <= 32 && id_chars(id + 3, a, 0) &&
            id_chars(dash + 1, b, 0))
            return "ORGANIZATIONAL_UNIT";
    }
    return NULL;
}

static int resolve_target(call *c, const json_t *org, const char *id, target *t)
{
    t->type = target_kind(id);
    t->doc = NULL;
    if (!t->type)
        return INVALID(c, "You specified a policy target ID that doesn't match the required "
                          "pattern.");
    int rc = 0;
    if (!strcmp(t->type, "ROOT")) {
        const json_t *root = json_object_get(org, "Root");
        if (!strcmp(jstr(root, "Id"), id)) {
            t->doc = json_incref((json_t *)root);
            rc = 1;
        }
    } else if (!strcmp(t->type, "ACCOUNT")) {
        rc = org_get_account(c->txn, id, &t->doc, c->err);
    } else {
        store_key k = {"ou", "", "", id};
        rc = store_get(c->txn, &k, &t->doc, c->err);
    }
    if (rc < 0) return -1;
    return rc == 0 ? orgsvc_target_not_found(c) : 0;
}

int orgsvc_target_not_found(call *c)
{
    return ferr_set(c->err, 400, "TargetNotFoundException",
                    "We can't find a root, OU, account, or policy with the TargetId that you "
                    "specified.");
}

int orgsvc_target(call *c, const json_t *org, const char *id, const char **type, json_t **doc)
{
    target t;
    int rc = resolve_target(c, org, id, &t);
    *type = t.type;
    *doc = t.doc;
    return rc;
}

/* ---- listing ---- */

typedef struct collect {
    const char *type;      /* policies of this type, or NULL */
    const char *policy_id; /* attachments of this policy, or NULL */
    const char *name;      /* policies with this name, or NULL */
    json_t *arr;
    int oom; /* something could not be kept: the listing fails */
} collect;

static int policies_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *col = ud;
    const json_t *s = summary(doc);
    if (col->type && strcmp(jstr(s, "Type"), col->type)) return 0;
    if (col->name && strcmp(jstr(s, "Name"), col->name)) return 0;
    col->oom = json_array_append(col->arr, (json_t *)s);
    return col->oom;
}

/* Summaries of every policy of type (its AWS managed full-access policy first). */
static int all_policies(call *c, const char *type, const char *name, json_t **out)
{
    collect col = {type, NULL, name, json_array(), 0};
    if (!col.arr) return ferr_oom(c->err);
    json_t *full = NULL;
    if (org_policy_get(c->txn, org_full_access_id(type), &full, c->err) < 0) {
        json_decref(col.arr);
        return -1;
    }
    if (full && (!name || !strcmp(jstr(summary(full), "Name"), name)))
        col.oom = json_array_append(col.arr, (json_t *)summary(full));
    json_decref(full);
    if (col.oom ||
        store_list(c->txn, "orgpolicy", "", "", NULL, NULL, 0, policies_cb, &col, c->err) < 0 ||
        (col.oom && ferr_oom(c->err))) {
        json_decref(col.arr);
        return -1;
    }
    *out = col.arr;
    return 0;
}

/* Adds {"TargetId","PolicyId","Type"} for each attachment on a target's document. */
static void attachments_of(collect *col, const char *target, const json_t *list)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *pid = jstr(v, "Id"), *ty = jstr(v, "Type");
        if (!pid || !ty || (col->policy_id && strcmp(pid, col->policy_id)) ||
            (col->type && strcmp(ty, col->type)))
            continue;
        col->oom |= json_array_append_new(col->arr, json_pack("{s:s, s:s, s:s}", "TargetId", target,
                                                              "PolicyId", pid, "Type", ty));
    }
}

static int attach_cb(void *ud, const store_key *k, json_t *doc)
{
    attachments_of(ud, k->id, json_object_get(doc, "Policies"));
    return ((collect *)ud)->oom;
}

/* Attachments of a policy, or of every policy of a type, over the root, the OUs and the
 * accounts. */
static int attachments(call *c, const char *policy_id, const char *type, json_t **out)
{
    collect col = {type, policy_id, NULL, json_array(), 0};
    json_t *org = NULL;
    if (!col.arr) return ferr_oom(c->err);
    if (org_get(c->txn, &org, c->err) < 0 ||
        store_list(c->txn, "ou", "", "", NULL, NULL, 0, attach_cb, &col, c->err) < 0 ||
        store_list(c->txn, "account", "", "", NULL, NULL, 0, attach_cb, &col, c->err) < 0) {
        json_decref(org);
        json_decref(col.arr);
        return -1;
    }
    const json_t *root = json_object_get(org, "Root");
    if (root) attachments_of(&col, jstr(root, "Id"), json_object_get(root, "Policies"));
    json_decref(org);
    if (col.oom) {
        json_decref(col.arr);
        return ferr_oom(c->err);
    }
    *out = col.arr;
    return 0;
}

int orgsvc_page(call *c, json_t *in, json_t *all, const char *key, json_t **out)
{
    *out = svc_out(c, json_object());
    int rc = svc_page(c, all, jstr(in, "NextToken"), jint(in, "MaxResults", 0), *out, key,
                      "NextToken", "InvalidInputException");
    json_decref(all);
    return rc;
}

/* Authorizes action with the policy type as organizations:PolicyType, then loads the
 * organization as its management account. */
static int begin(call *c, const char *action, const char *type, json_t **org)
{
    json_t *ctx = type ? json_pack("{s:s}", "organizations:PolicyType", type) : NULL;
    authz_req r = {.action = action, .resource = "*", .context = ctx};
    int rc = call_authorize_ex(c, &r);
    json_decref(ctx);
    return rc || orgsvc_load(c, 1, org);
}

/* ---- policy types ---- */

static int root_arg(call *c, const json_t *org, const char *id)
{
    const char *k = target_kind(id);
    if (!k || strcmp(k, "ROOT"))
        return INVALID(c, "You provided a value that doesn't match the required pattern.");
    if (strcmp(jstr(json_object_get(org, "Root"), "Id"), id))
        return ferr_set(c->err, 400, "RootNotFoundException",
                        "We can't find a root with the RootId that you specified.");
    return 0;
}

static int put_org(call *c, json_t *org)
{
    store_key k = {"org", "", "", "org"};
    return store_put(c->txn, &k, org, c->err);
}

/* The start of Enable/DisablePolicyType: authorized, org loaded into *org, root and type
 * valid and the type's state in the root is `enabled` (AWS's error otherwise). */
static int begin_type(call *c, const char *action, const char *root, const char *type, int enabled,
                      json_t **org)
{
    if (begin(c, action, type, org)) {
        *org = NULL; /* orgsvc_load may have released it */
        return -1;
    }
    if (root_arg(c, *org, root) || check_type(c, type)) return -1;
    if (!org_type_enabled(*org, type) == !enabled) return 0;
    return enabled
               ? ferr_set(c->err, 400, "PolicyTypeNotEnabledException",
                          "The specified policy type isn't currently enabled in this root.")
               : ferr_set(c->err, 400, "PolicyTypeAlreadyEnabledException",
                          "The specified policy type is already enabled in the specified root.");
}

/* {"Root": r}, the answer of Enable/DisablePolicyType. */
static void root_out(call *c, const char *root, json_t *r, json_t **out)
{
    call_resource(c, "AWS::Organizations::Root", root);
    *out =
        svc_out(c, json_pack("{s:{s:O, s:O, s:O, s:O}}", "Root", "Id", json_object_get(r, "Id"),
                             "Arn", json_object_get(r, "Arn"), "Name", json_object_get(r, "Name"),
                             "PolicyTypes", json_object_get(r, "PolicyTypes")));
}

typedef struct ids_cb_ctx {
    json_t *arr;
    int oom;
} ids_cb_ctx;

static int ids_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    ids_cb_ctx *x = ud;
    x->oom = json_array_append_new(x->arr, json_string(k->id));
    return x->oom;
}

int organizations_op_enable_policy_type(call *c, json_t *in, json_t **out)
{
    const char *root = jstr(in, "RootId"), *type = jstr(in, "PolicyType");
    json_t *org = NULL;
    int rc = begin_type(c, "organizations:EnablePolicyType", root, type, 0, &org);
    json_t *r = json_object_get(org, "Root");
    if (!rc) {
        json_t *types = json_object_get(r, "PolicyTypes");
        if (!json_is_array(types)) {
            types = json_array();
            if (json_object_set_new(r, "PolicyTypes", types)) types = NULL;
        }
        rc =
            json_array_append_new(types, json_pack("{s:s, s:s}", "Type", type, "Status", "ENABLED"))
                ? ferr_oom(c->err)
                : put_org(c, org);
    }
    const char *full = org_full_access_id(type);
    if (!rc && full) {
        /* AWS: enabling SCPs (RCPs) attaches FullAWSAccess (RCPFullAWSAccess) to the root and
         * every OU and account */
        ids_cb_ctx ids = {json_array(), 0};
        ids.oom = json_array_append_new(ids.arr, json_string(root));
        if (ids.oom || store_list(c->txn, "ou", "", "", NULL, NULL, 0, ids_cb, &ids, c->err) < 0 ||
            ids.oom ||
            store_list(c->txn, "account", "", "", NULL, NULL, 0, ids_cb, &ids, c->err) < 0)
            rc = -1;
        if (ids.oom) rc = ferr_oom(c->err);
        json_t *v;
        size_t i;
        json_array_foreach(ids.arr, i, v) {
            if (rc) break;
            if (org_attach(c->txn, json_string_value(v), full, type, c->err) < 0) rc = -1;
        }
        json_decref(ids.arr);
    }
    if (!rc) root_out(c, root, r, out);
    json_decref(org);
    return rc;
}

int organizations_op_disable_policy_type(call *c, json_t *in, json_t **out)
{
    const char *root = jstr(in, "RootId"), *type = jstr(in, "PolicyType");
    json_t *org = NULL;
    int rc = begin_type(c, "organizations:DisablePolicyType", root, type, 1, &org);
    json_t *r = json_object_get(org, "Root");
    if (!rc) {
        json_t *types = json_object_get(r, "PolicyTypes"), *v;
        size_t i;
        json_array_foreach(types, i, v) {
            if (!strcmp(jstr(v, "Type"), type)) {
                json_array_remove(types, i);
                break;
            }
        }
        rc = put_org(c, org);
    }
    if (!rc) {
        /* AWS: disabling a type detaches every policy of that type */
        json_t *att = NULL, *v;
        size_t i;
        rc = attachments(c, NULL, type, &att);
        json_array_foreach(att, i, v) {
            if (rc) break;
            if (org_detach(c->txn, jstr(v, "TargetId"), jstr(v, "PolicyId"), c->err) < 0) rc = -1;
        }
        json_decref(att);
    }
    if (!rc) root_out(c, root, r, out);
    json_decref(org);
    return rc;
}

/* ---- policies ---- */

static int duplicate_name(call *c, const char *type, const char *name, const char *except)
{
    json_t *same = NULL;
    if (all_policies(c, type, name, &same)) return -1;
    int dup = 0;
    json_t *v;
    size_t i;
    json_array_foreach(same, i, v) dup |= !except || strcmp(jstr(v, "Id"), except);
    json_decref(same);
    if (dup)
        return ferr_set(c->err, 400, "DuplicatePolicyException",
                        "A policy with the same name already exists.");
    return 0;
}

static int put_policy(call *c, const char *id, json_t *pol)
{
    store_key k = {"orgpolicy", "", "", id};
    return store_put(c->txn, &k, pol, c->err);
}

static void type_lower(const char *type, char *out, size_t n)
{
    size_t i = 0;
    for (; type[i] && i + 1 < n; i++) out[i] = (char)tolower((unsigned char)type[i]);
    out[i] = 0;
}

int organizations_op_create_policy(call *c, json_t *in, json_t **out)
{
    const char *type = jstr(in, "Type"), *name = jstr(in, "Name"), *desc = jstr(in, "Description"),
               *content = jstr(in, "Content");
    json_t *org = NULL;
    if (begin(c, "organizations:CreatePolicy", type, &org)) return -1;
    if (check_type(c, type) || check_len(c, name, 1, 128) || check_len(c, desc, 0, 512) ||
        check_content(c, type, content) || duplicate_name(c, type, name, NULL)) {
        json_decref(org);
        return -1;
    }
    char id[16] = "p-", arn[ORG_ARN_MAX], lower[48], part[16];
    json_t *dup = NULL;
    do { /* ids are random: retry the (unlikely) collision */
        json_decref(dup);
        dup = NULL;
        ids_lower_alnum(id + 2, 8);
    } while (org_policy_get(c->txn, id, &dup, c->err) == 1);
    json_decref(dup);
    type_lower(type, lower, sizeof(lower));
    snprintf(arn, sizeof(arn), "arn:%s:organizations::%s:policy/%s/%s/%s", org_partition(org, part),
             jstr(org, "MasterAccountId"), jstr(org, "Id"), lower, id);
    json_decref(org);
    json_t *tags = json_object_get(in, "Tags");
    json_t *pol = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:s}", "PolicySummary", "Id", id,
                            "Arn", arn, "Name", name, "Description", desc ? desc : "", "Type", type,
                            "AwsManaged", 0, "Content", content);
    if (!pol) return ferr_oom(c->err);
    int rc = tags && json_object_set(pol, "Tags", tags) ? ferr_oom(c->err) : put_policy(c, id, pol);
    if (!rc) {
        call_resource(c, "AWS::Organizations::Policy", id);
        *out = svc_out(c, json_pack("{s:o}", "Policy", policy_view(pol)));
    }
    json_decref(pol);
    return rc;
}

int organizations_op_describe_policy(call *c, json_t *in, json_t **out)
{
    json_t *org = NULL, *pol = NULL;
    if (begin(c, "organizations:DescribePolicy", NULL, &org)) return -1;
    json_decref(org);
    if (load_policy(c, jstr(in, "PolicyId"), &pol)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "Policy", policy_view(pol)));
    json_decref(pol);
    return 0;
}

static int immutable(call *c, const json_t *pol)
{
    if (!json_is_true(json_object_get(summary(pol), "AwsManaged"))) return 0;
    return INVALID(c, "You specified a policy that is managed by AWS and can't be modified.");
}

int organizations_op_update_policy(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "PolicyId"), *name = jstr(in, "Name"),
               *desc = jstr(in, "Description"), *content = jstr(in, "Content");
    json_t *org = NULL, *pol = NULL;
    if (begin(c, "organizations:UpdatePolicy", NULL, &org)) return -1;
    json_decref(org);
    if (load_policy(c, id, &pol)) return -1;
    json_t *s = (json_t *)summary(pol);
    const char *type = jstr(s, "Type");
    int rc = immutable(c, pol);
    if (!rc && name) rc = check_len(c, name, 1, 128) || duplicate_name(c, type, name, id);
    if (!rc && desc) rc = check_len(c, desc, 0, 512);
    if (!rc && content) rc = check_content(c, type, content);
    if (!rc) {
        if (jset_str(s, "Name", name) || jset_str(s, "Description", desc) ||
            jset_str(pol, "Content", content))
            rc = ferr_oom(c->err);
        else
            rc = put_policy(c, id, pol);
    }
    if (!rc) {
        call_resource(c, "AWS::Organizations::Policy", id);
        *out = svc_out(c, json_pack("{s:o}", "Policy", policy_view(pol)));
    }
    json_decref(pol);
    return rc ? -1 : 0;
}

int organizations_op_delete_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *id = jstr(in, "PolicyId");
    json_t *org = NULL, *pol = NULL, *att = NULL;
    if (begin(c, "organizations:DeletePolicy", NULL, &org)) return -1;
    json_decref(org);
    if (load_policy(c, id, &pol)) return -1;
    int rc = immutable(c, pol);
    json_decref(pol);
    if (!rc) rc = attachments(c, id, NULL, &att);
    if (!rc && json_array_size(att))
        rc = ferr_set(c->err, 400, "PolicyInUseException",
                      "The policy is attached to one or more entities. You must detach it from "
                      "all roots, OUs, and accounts before performing this operation.");
    json_decref(att);
    if (!rc) {
        store_key k = {"orgpolicy", "", "", id};
        rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    }
    if (!rc) call_resource(c, "AWS::Organizations::Policy", id);
    return rc;
}

int organizations_op_list_policies(call *c, json_t *in, json_t **out)
{
    const char *type = jstr(in, "Filter");
    json_t *org = NULL, *all = NULL;
    if (begin(c, "organizations:ListPolicies", type, &org)) return -1;
    json_decref(org);
    if (check_type(c, type) || orgsvc_check_max(c, in, 20) || all_policies(c, type, NULL, &all))
        return -1;
    return orgsvc_page(c, in, all, "Policies", out);
}

/* ---- attachments ---- */

int organizations_op_attach_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *pid = jstr(in, "PolicyId"), *tid = jstr(in, "TargetId");
    json_t *org = NULL, *pol = NULL, *have = NULL;
    target t = {0};
    if (begin(c, "organizations:AttachPolicy", NULL, &org)) return -1;
    int rc = load_policy(c, pid, &pol) || resolve_target(c, org, tid, &t) ? -1 : 0;
    const char *type = pol ? jstr(summary(pol), "Type") : NULL;
    if (!rc && !org_type_enabled(org, type))
        rc = ferr_set(c->err, 400, "PolicyTypeNotEnabledException",
                      "The specified policy type isn't currently enabled in this root. You can't "
                      "attach policies of the specified type to entities in a root until you "
                      "enable that type in the root.");
    if (!rc) rc = org_attached(c->txn, tid, type, &have, c->err);
    if (!rc && json_array_size(have) >= MAX_ATTACHED && org_is_authz_type(type))
        rc = ferr_set(c->err, 400, "ConstraintViolationException",
                      "You attempted to exceed the number of policies of a certain type that can "
                      "be attached to an entity at one time.");
    if (!rc) {
        rc = org_attach(c->txn, tid, pid, type, c->err);
        if (rc == 1)
            rc = ferr_set(c->err, 400, "DuplicatePolicyAttachmentException",
                          "The selected policy is already attached to the specified target.");
    }
    if (!rc) call_resource(c, "AWS::Organizations::Policy", pid);
    json_decref(have);
    json_decref(t.doc);
    json_decref(pol);
    json_decref(org);
    return rc ? -1 : 0;
}

int organizations_op_detach_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *pid = jstr(in, "PolicyId"), *tid = jstr(in, "TargetId");
    json_t *org = NULL, *pol = NULL, *have = NULL;
    target t = {0};
    if (begin(c, "organizations:DetachPolicy", NULL, &org)) return -1;
    int rc = load_policy(c, pid, &pol) || resolve_target(c, org, tid, &t) ? -1 : 0;
    const char *type = pol ? jstr(summary(pol), "Type") : NULL;
    if (!rc) rc = org_attached(c->txn, tid, type, &have, c->err);
    int attached = 0;
    json_t *v;
    size_t i;
    json_array_foreach(have, i, v) attached |= !strcmp(json_string_value(v), pid);
    if (!rc && !attached)
        rc = ferr_set(c->err, 400, "PolicyNotAttachedException",
                      "The policy isn't attached to the specified target in the specified root.");
    /* AWS: an entity keeps at least one SCP (RCP) while the type is enabled */
    if (!rc && json_array_size(have) == 1 && org_is_authz_type(type))
        rc = ferr_set(c->err, 400, "ConstraintViolationException",
                      "You cannot remove the last policy attached to the specified target. You "
                      "must have at least one attached at all times.");
    /* AWS: RCPFullAWSAccess "cannot be detached" (only disabling RCPs removes it) */
    if (!rc && !strcmp(pid, ORG_RCP_FULL_ACCESS_ID))
        rc = ferr_set(c->err, 400, "ConstraintViolationException",
                      "You cannot detach the RCPFullAWSAccess policy from the specified target.");
    if (!rc) rc = org_detach(c->txn, tid, pid, c->err) < 0 ? -1 : 0;
    if (!rc) call_resource(c, "AWS::Organizations::Policy", pid);
    json_decref(have);
    json_decref(t.doc);
    json_decref(pol);
    json_decref(org);
    return rc;
}

int organizations_op_list_policies_for_target(call *c, json_t *in, json_t **out)
{
    const char *tid = jstr(in, "TargetId"), *type = jstr(in, "Filter");
    json_t *org = NULL, *ids = NULL;
    target t = {0};
    if (begin(c, "organizations:ListPoliciesForTarget", type, &org)) return -1;
    int rc = check_type(c, type) || orgsvc_check_max(c, in, 20) || resolve_target(c, org, tid, &t)
                 ? -1
                 : 0;
    json_decref(t.doc);
    json_decref(org);
    if (rc || org_attached(c->txn, tid, type, &ids, c->err)) return -1;
    json_t *all = json_array(), *v;
    size_t i;
    json_array_foreach(ids, i, v) {
        json_t *pol = NULL;
        if (org_policy_get(c->txn, json_string_value(v), &pol, c->err) < 0) rc = -1;
        if (pol && json_array_append(all, (json_t *)summary(pol))) rc = ferr_oom(c->err);
        json_decref(pol);
    }
    json_decref(ids);
    if (rc) {
        json_decref(all);
        return -1;
    }
    return orgsvc_page(c, in, all, "Policies", out);
}

int organizations_op_list_targets_for_policy(call *c, json_t *in, json_t **out)
{
    const char *pid = jstr(in, "PolicyId");
    json_t *org = NULL, *pol = NULL, *att = NULL;
    if (begin(c, "organizations:ListTargetsForPolicy", NULL, &org)) return -1;
    int rc =
        orgsvc_check_max(c, in, 20) || load_policy(c, pid, &pol) || attachments(c, pid, NULL, &att)
            ? -1
            : 0;
    json_decref(pol);
    json_t *all = json_array(), *v;
    size_t i;
    json_array_foreach(att, i, v) {
        if (rc) break;
        target t = {0};
        const char *tid = jstr(v, "TargetId");
        if (resolve_target(c, org, tid, &t)) {
            ferr_clear(c->err); /* an attachment whose target is gone is not listed */
            continue;
        }
        if (json_array_append_new(all, json_pack("{s:s, s:O, s:O, s:s}", "TargetId", tid, "Arn",
                                                 json_object_get(t.doc, "Arn"), "Name",
                                                 json_object_get(t.doc, "Name"), "Type", t.type)))
            rc = ferr_oom(c->err);
        json_decref(t.doc);
    }
    json_decref(att);
    json_decref(org);
    if (rc) {
        json_decref(all);
        return -1;
    }
    return orgsvc_page(c, in, all, "Targets", out);
}
