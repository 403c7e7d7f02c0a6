/* Managed policies: customer managed ones with their versions (stored, kind "iam.policy",
 * id = lowercased name), AWS managed ones (awsmanaged.c, read-only), and who uses them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/checked.h"
#include "base/arn.h"
#include "base/clock.h"
#include "iam_int.h"

#define MAX_VERSIONS 5

/* ---- lookup ---- */

static json_t *aws_view(const iamsvc_awspol *p)
{
    json_t *ver = json_pack("{s:s, s:s, s:b, s:f}", "VersionId", p->version, "Document",
                            p->document, "IsDefaultVersion", 1, "CreateDate", p->updated);
    /* a name with a path (service-role/X): PolicyName X, Path /service-role/ */
    const char *slash = strrchr(p->name, '/');
    char path[64];
    snprintf(path, sizeof(path), "/%.*s", slash ? (int)(slash - p->name + 1) : 0, p->name);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:f, s:f, s:o, s:b}", "PolicyName",
                     slash ? slash + 1 : p->name, "PolicyId", p->id, "Arn",
                     /* built below */ "", "Path", path, "DefaultVersionId", p->version,
                     "IsAttachable", 1, "Description", p->description, "CreateDate", p->created,
                     "UpdateDate", p->updated, "Versions", json_pack("[o]", ver), "AwsManaged", 1);
}

/* Splits a customer policy ARN of account: arn:PARTITION:iam::ACCT:policy/PATH/NAME. Returns
 * the name (pointer into arn) or NULL. */
static const char *policy_arn_name(const char *arn, const char *account)
{
    char pfx[64];
    snprintf(pfx, sizeof(pfx), ":%s:policy/", account);
    const char *rest = arn_rest(arn, "iam");
    if (!rest || strncmp(rest, pfx, strlen(pfx))) return NULL;
    const char *name = strrchr(arn, '/') + 1;
    return *name ? name : NULL;
}

int iamsvc_policy_fetch(store_txn *t, const char *account, const char *arn, json_t **doc, ferr *e)
{
    *doc = NULL;
    if (!arn) return 0;
    const iamsvc_awspol *ap = iamsvc_aws_policy(arn);
    if (ap) {
        *doc = aws_view(ap);
        if (!*doc) return ferr_oom(e);
        if (json_object_set_new(*doc, "Arn", json_string(arn))) {
            json_decref(*doc);
            *doc = NULL;
            return ferr_oom(e);
        }
        return 1;
    }
    const char *name = policy_arn_name(arn, account);
    if (!name) return 0;
    char id[160];
    size_t n = strlen(name);
    if (n >= sizeof(id)) return 0;
    for (size_t i = 0; i <= n; i++)
        id[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    store_key k = {"iam.policy", account, IAMSVC_REGION, id};
    int rc = store_get(t, &k, doc, e);
    if (rc == 1 && strcmp(jstr(*doc, "Arn"), arn)) { /* same name, other path */
        json_decref(*doc);
        *doc = NULL;
        return 0;
    }
    return rc;
}

static json_t *find_version(const json_t *pol, const char *vid)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(pol, "Versions"), i, v)
        if (vid && !strcmp(jstr(v, "VersionId"), vid)) return v;
    return NULL;
}

/* A customer policy's version documents live beside it (kind "iam.policyversion", id
 * "name/vN"), so the policy document that authorization reads on every call stays small. */
static store_key version_key(char *buf, size_t n, const char *account, const json_t *pol,
                             const char *vid)
{
    const char *name = jstr(pol, "PolicyName");
    size_t i = 0;
    for (; name && name[i] && i + 1 < n; i++)
        buf[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    snprintf(buf + i, n - i, "/%s", vid ? vid : "");
    return (store_key){"iam.policyversion", account, IAMSVC_REGION, buf};
}

json_t *iamsvc_policy_text(store_txn *t, const char *account, const json_t *pol, const char *vid,
                           ferr *e)
{
    if (!vid) vid = jstr(pol, "DefaultVersionId");
    if (json_is_true(json_object_get(pol, "AwsManaged"))) {
        const char *doc = jstr(find_version(pol, vid), "Document");
        return doc ? json_string(doc) : NULL;
    }
    char id[200];
    store_key k = version_key(id, sizeof(id), account, pol, vid);
    json_t *v = NULL;
    if (store_get(t, &k, &v, e) != 1) return NULL;
    json_t *doc = json_incref(json_object_get(v, "Document"));
    json_decref(v);
    return doc;
}

static int put_version(call *c, const json_t *pol, const char *vid, const char *doc)
{
    char id[200];
    store_key k = version_key(id, sizeof(id), c->account, pol, vid);
    json_t *v = json_pack("{s:s}", "Document", doc);
    int rc = v ? store_put(c->txn, &k, v, c->err) : ferr_oom(c->err);
    json_decref(v);
    return rc;
}

static int del_version(call *c, const json_t *pol, const char *vid)
{
    char id[200];
    store_key k = version_key(id, sizeof(id), c->account, pol, vid);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

json_t *iamsvc_policy_view(const json_t *pol)
{
    json_t *v = json_deep_copy(pol);
    if (!v) return NULL;
    json_object_del(v, "Versions");
    json_object_del(v, "NextVersion");
    json_object_del(v, "AwsManaged");
    if (!json_array_size(json_object_get(v, "Tags"))) json_object_del(v, "Tags");
    return v;
}

/* InvalidInput for what is not an ARN at all. */
static int check_arn(call *c, const char *arn)
{
    if (!arn || strncmp(arn, "arn:", 4) || strlen(arn) < 20 || strlen(arn) > 2048)
        return ferr_set(c->err, 400, "InvalidInput", "ARN %s is not valid.", arn ? arn : "");
    return 0;
}

/* ---- usage: who has a policy attached or as a boundary ---- */

typedef struct usage {
    json_t *counts;                 /* arn -> attachments */
    json_t *bcounts;                /* arn -> boundary uses */
    json_t *users, *groups, *roles; /* for ListEntitiesForPolicy: arrays of docs */
} usage;

static int count(json_t *obj, const char *arn)
{
    return json_object_set_new(obj, arn,
                               json_integer(json_integer_value(json_object_get(obj, arn)) + 1));
}

static int usage_scan(call *c, usage *u)
{
    memset(u, 0, sizeof(*u));
    u->counts = json_object();
    u->bcounts = json_object();
    u->users = iamsvc_list_all(c, "iam.user", c->account);
    u->groups = u->users ? iamsvc_list_all(c, "iam.group", c->account) : NULL;
    u->roles = u->groups ? iamsvc_list_all(c, "iam.role", c->account) : NULL;
    if (!u->roles) return -1;
    json_t *lists[] = {u->users, u->groups, u->roles};
    for (int l = 0; l < 3; l++) {
        size_t i, j;
        json_t *d, *a;
        json_array_foreach(lists[l], i, d) {
            json_array_foreach(json_object_get(d, "AttachedPolicies"), j, a)
                if (count(u->counts, json_string_value(a))) return ferr_oom(c->err);
            const char *b =
                jstr(json_object_get(d, "PermissionsBoundary"), "PermissionsBoundaryArn");
            if (b && count(u->bcounts, b)) return ferr_oom(c->err);
        }
    }
    return 0;
}

static void usage_free(usage *u)
{
    json_decref(u->counts);
    json_decref(u->bcounts);
    json_decref(u->users);
    json_decref(u->groups);
    json_decref(u->roles);
}

int iamsvc_policy_usage(call *c, json_t **counts, json_t **bcounts)
{
    usage u;
    int rc = usage_scan(c, &u);
    *counts = json_incref(u.counts);
    *bcounts = json_incref(u.bcounts);
    usage_free(&u);
    if (rc) {
        json_decref(*counts);
        json_decref(*bcounts);
        *counts = *bcounts = NULL;
    }
    return rc;
}

static int set_counts(json_t *view, const usage *u)
{
    const char *arn = jstr(view, "Arn");
    return json_object_set_new(view, "AttachmentCount",
                               json_integer(json_integer_value(json_object_get(u->counts, arn)))) ||
                   json_object_set_new(
                       view, "PermissionsBoundaryUsageCount",
                       json_integer(json_integer_value(json_object_get(u->bcounts, arn))))
               ? -1
               : 0;
}

/* ---- policy references: what authorization reads instead of the policy documents ----
 * An entity's "PolicyRefs" maps each customer managed policy it uses (attached or as its
 * boundary) to "PolicyId|DefaultVersionId", the key of the compiled policy in the identity
 * cache, so a call does not read the policies themselves. Kept by every write that changes
 * an attachment, a boundary or a default version. */

static const char *policy_ref(call *c, const json_t *pol)
{
    return arena_printf(c->a, "%s|%s", jstr(pol, "PolicyId"), jstr(pol, "DefaultVersionId"));
}

static int add_ref(call *c, const char *account, json_t *refs, const char *arn)
{
    if (!arn || iamsvc_aws_policy(arn) || json_object_get(refs, arn)) return 0;
    json_t *pol = NULL;
    int rc = iamsvc_policy_fetch(c->txn, account, arn, &pol, c->err);
    if (rc == 1 && json_object_set_new(refs, arn, json_string(policy_ref(c, pol))))
        rc = ferr_oom(c->err);
    json_decref(pol);
    return rc < 0 ? -1 : 0;
}

int iamsvc_refresh_refs(call *c, const char *account, json_t *ent)
{
    json_t *refs = json_object();
    size_t i;
    json_t *a;
    int rc = 0;
    json_array_foreach(json_object_get(ent, "AttachedPolicies"), i, a)
        rc |= add_ref(c, account, refs, json_string_value(a));
    rc |= add_ref(c, account, refs,
                  jstr(json_object_get(ent, "PermissionsBoundary"), "PermissionsBoundaryArn"));
    if (!rc && json_object_set_new(ent, "PolicyRefs", refs)) return ferr_oom(c->err);
    if (rc) json_decref(refs);
    return rc ? -1 : 0;
}

/* After a policy's default version changed: every user, group and role using it. */
static int update_refs(call *c, const json_t *pol)
{
    usage u;
    int rc = usage_scan(c, &u);
    const char *arn = jstr(pol, "Arn"), *ref = policy_ref(c, pol);
    json_t *lists[] = {u.users, u.groups, u.roles};
    const iamsvc_etype *ets[] = {&iamsvc_user_t, &iamsvc_group_t, &iamsvc_role_t};
    for (int l = 0; !rc && l < 3; l++) {
        size_t i;
        json_t *d;
        json_array_foreach(lists[l], i, d) {
            json_t *refs = json_object_get(d, "PolicyRefs");
            if (!json_object_get(refs, arn)) continue;
            if (json_object_set_new(refs, arn, json_string(ref))) {
                rc = ferr_oom(c->err);
                break;
            }
            if ((rc = iamsvc_save(c, ets[l], c->account, d))) break;
        }
    }
    usage_free(&u);
    return rc;
}

/* ---- attach / detach (no authorization: the operations and iam.h callers decide) ---- */

static const char *quota_name(const iamsvc_etype *et)
{
    return et == &iamsvc_user_t    ? "PoliciesPerUser"
           : et == &iamsvc_group_t ? "PoliciesPerGroup"
                                   : "PoliciesPerRole";
}
#define MAX_ATTACHED 10

int iamsvc_attach(call *c, const iamsvc_etype *et, const char *account, const char *name,
                  const char *arn)
{
    if (check_arn(c, arn)) return -1;
    json_t *pol = NULL, *ent = NULL;
    if (iamsvc_load_in(c, et, account, name, &ent)) return -1;
    int rc = iamsvc_policy_fetch(c->txn, account, arn, &pol, c->err);
    json_decref(pol);
    if (rc == 0)
        ferr_set(c->err, 404, "NoSuchEntity", "Policy %s does not exist or is not attachable.",
                 arn);
    if (rc <= 0) goto fail;
    json_t *att = json_object_get(ent, "AttachedPolicies");
    if (!att) {
        att = json_array();
        if (json_object_set_new(ent, "AttachedPolicies", att)) {
            ferr_oom(c->err);
            goto fail;
        }
    }
    size_t i;
    json_t *a;
    json_array_foreach(att, i, a)
        if (!strcmp(json_string_value(a), arn)) { /* AWS: attaching twice is not an error */
            json_decref(ent);
            return 0;
        }
    if (json_array_size(att) >= MAX_ATTACHED) {
        ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for %s: %d", quota_name(et),
                 MAX_ATTACHED);
        goto fail;
    }
    if (json_array_append_new(att, json_string(arn))) {
        ferr_oom(c->err);
        goto fail;
    }
    if (iamsvc_refresh_refs(c, account, ent) || iamsvc_save(c, et, account, ent)) goto fail;
    call_resource(c, et->cfn_type, name);
    call_resource(c, "AWS::IAM::Policy", arn);
    json_decref(ent);
    return 0;
fail:
    json_decref(ent);
    return -1;
}

int iamsvc_detach(call *c, const iamsvc_etype *et, const char *account, const char *name,
                  const char *arn)
{
    if (check_arn(c, arn)) return -1;
    json_t *ent = NULL;
    if (iamsvc_load_in(c, et, account, name, &ent)) return -1;
    json_t *att = json_object_get(ent, "AttachedPolicies");
    size_t i;
    json_t *a;
    json_array_foreach(att, i, a) {
        if (!strcmp(json_string_value(a), arn)) {
            json_array_remove(att, i);
            int rc =
                iamsvc_refresh_refs(c, account, ent) || iamsvc_save(c, et, account, ent) ? -1 : 0;
            call_resource(c, et->cfn_type, name);
            call_resource(c, "AWS::IAM::Policy", arn);
            json_decref(ent);
            return rc;
        }
    }
    json_decref(ent);
    return ferr_set(c->err, 404, "NoSuchEntity", "Policy %s was not found.", arn);
}

/* ---- operations ---- */

static int is_aws(const char *arn)
{
    const char *rest = arn_rest(arn, "iam");
    return rest && !strncmp(rest, ":aws:policy/", 12);
}

/* Loads a policy for an operation: authorizes action on arn, then NoSuchEntity.
 * writing: AWS managed policies cannot be changed. */
static int load_policy(call *c, const char *action, const char *arn, int writing, json_t **pol)
{
    *pol = NULL;
    if (check_arn(c, arn) || iamsvc_authorize(c, action, arn)) return -1;
    if (writing && is_aws(arn))
        return ferr_set(c->err, 403, "AccessDenied",
                        "User: %s is not authorized to perform: %s on resource: policy %s",
                        c->who->arn, action, arn);
    int rc = iamsvc_policy_fetch(c->txn, c->account, arn, pol, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return ferr_set(c->err, 404, "NoSuchEntity", "Policy %s was not found.", arn);
    return 0;
}

static int save_policy(call *c, const json_t *pol)
{
    store_key k = {"iam.policy", c->account, IAMSVC_REGION,
                   iamsvc_lower(c->a, jstr(pol, "PolicyName"))};
    call_resource(c, "AWS::IAM::Policy", jstr(pol, "Arn"));
    return store_put(c->txn, &k, pol, c->err);
}

static int check_policy_doc(call *c, const char *doc)
{
    return iamsvc_check_doc(c, doc, IAM_KIND_MANAGED, IAM_QUOTA_MANAGED_POLICY, "PolicySize");
}

int iam_op_create_policy(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "PolicyName"), *path = jstr(in, "Path");
    const char *doc = jstr(in, "PolicyDocument"), *desc = jstr(in, "Description");
    json_t *tags = json_object_get(in, "Tags");
    if (!path) path = "/";
    const char *arn = iamsvc_arn(c, c->account, "policy", path, name);
    if (iamsvc_authorize(c, "iam:CreatePolicy", arn) || check_policy_doc(c, doc) ||
        (tags && iamsvc_check_tags(c, tags, NULL)))
        return -1;
    char id[32];
    iamsvc_new_id("ANPA", id);
    double now = (double)(long long)clock_now();
    json_t *pol = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:f, s:[{s:s, s:b, s:f}], "
                            "s:i, s:[]}",
                            "PolicyName", name, "PolicyId", id, "Arn", arn, "Path", path,
                            "DefaultVersionId", "v1", "IsAttachable", 1, "CreateDate", now,
                            "UpdateDate", now, "Versions", "VersionId", "v1", "IsDefaultVersion", 1,
                            "CreateDate", now, "NextVersion", 2, "Tags");
    if (!pol) return ferr_oom(c->err);
    if (jset_str(pol, "Description", desc) || (tags && jtags_merge(pol, tags))) {
        json_decref(pol);
        return ferr_oom(c->err);
    }
    store_key k = {"iam.policy", c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    int rc = store_insert(c->txn, &k, pol, c->err);
    if (rc == 1)
        rc = ferr_set(c->err, 409, "EntityAlreadyExists",
                      "A policy called %s already exists. Duplicate names are not allowed.", name);
    if (!rc) rc = put_version(c, pol, "v1", doc);
    if (!rc) {
        call_resource(c, "AWS::IAM::Policy", arn);
        json_t *v = iamsvc_policy_view(pol);
        if (json_object_set_new(v, "AttachmentCount", json_integer(0)) ||
            json_object_set_new(v, "PermissionsBoundaryUsageCount", json_integer(0))) {
            json_decref(v);
            rc = ferr_oom(c->err);
        } else
            *out = svc_out(c, json_pack("{s:o}", "Policy", v));
    }
    json_decref(pol);
    return rc;
}

int iam_op_get_policy(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    if (load_policy(c, "iam:GetPolicy", jstr(in, "PolicyArn"), 0, &pol)) return -1;
    usage u;
    int rc = usage_scan(c, &u);
    if (!rc) {
        json_t *v = iamsvc_policy_view(pol);
        if (set_counts(v, &u)) {
            json_decref(v);
            rc = ferr_oom(c->err);
        } else
            *out = svc_out(c, json_pack("{s:o}", "Policy", v));
    }
    usage_free(&u);
    json_decref(pol);
    return rc;
}

int iam_op_delete_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *pol;
    if (load_policy(c, "iam:DeletePolicy", jstr(in, "PolicyArn"), 1, &pol)) return -1;
    usage u;
    int rc = usage_scan(c, &u);
    const char *arn = jstr(pol, "Arn");
    if (rc) goto out;
    rc = -1;
    if (json_object_get(u.counts, arn) || json_object_get(u.bcounts, arn)) {
        ferr_set(c->err, 409, "DeleteConflict", "Cannot delete a policy attached to entities.");
        goto out;
    }
    if (json_array_size(json_object_get(pol, "Versions")) > 1) {
        ferr_set(c->err, 409, "DeleteConflict",
                 "This policy has more than one version. Before you delete a policy, you must "
                 "delete the policy's versions. The default version is deleted with the policy.");
        goto out;
    }
    store_key k = {"iam.policy", c->account, IAMSVC_REGION,
                   iamsvc_lower(c->a, jstr(pol, "PolicyName"))};
    if (store_del(c->txn, &k, c->err) < 0) goto out;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(pol, "Versions"), i, v)
        if (del_version(c, pol, jstr(v, "VersionId"))) goto out;
    call_resource(c, "AWS::IAM::Policy", arn);
    rc = 0;
out:
    usage_free(&u);
    json_decref(pol);
    return rc;
}

int iam_op_list_policies(call *c, json_t *in, json_t **out)
{
    const char *scope = jstr(in, "Scope"), *filter = jstr(in, "PolicyUsageFilter");
    int only = jbool(in, "OnlyAttached", 0);
    if (iamsvc_authorize(c, "iam:ListPolicies", "*")) return -1;
    if (!scope) scope = "All";
    usage u;
    if (usage_scan(c, &u)) {
        usage_free(&u);
        return -1;
    }
    json_t *all = json_array();
    int rc = 0;
    if (strcmp(scope, "Local")) {
        const iamsvc_awspol *p;
        for (size_t i = 0; (p = iamsvc_aws_policy_at(i)); i++) {
            json_t *d = aws_view(p);
            rc |= json_object_set_new(d, "Arn",
                                      json_string(arena_printf(c->a, "arn:%s:iam::aws:policy/%s",
                                                               arn_partition(c->region), p->name)));
            rc |= json_array_append_new(all, iamsvc_policy_view(d));
            json_decref(d);
        }
    }
    if (rc) rc = ferr_oom(c->err);
    if (strcmp(scope, "AWS")) {
        json_t *mine = iamsvc_list_all(c, "iam.policy", c->account);
        size_t i;
        json_t *d;
        json_array_foreach(mine, i, d)
            if (!rc && json_array_append_new(all, iamsvc_policy_view(d))) rc = ferr_oom(c->err);
        if (!mine) rc = -1;
        json_decref(mine);
    }
    if (!rc) rc = iamsvc_filter_path(c, all, jstr(in, "PathPrefix"));
    for (size_t i = json_array_size(all); !rc && i-- > 0;) {
        json_t *v = json_array_get(all, i);
        if (set_counts(v, &u)) {
            rc = ferr_oom(c->err);
            break;
        }
        /* AWS: ListPolicies leaves out Tags and Description */
        json_object_del(v, "Tags");
        json_object_del(v, "Description");
        int attached = jint(v, "AttachmentCount", 0) > 0,
            bound = jint(v, "PermissionsBoundaryUsageCount", 0) > 0;
        int keep = 1;
        if (filter && !strcmp(filter, "PermissionsPolicy"))
            keep = !only || attached;
        else if (filter)
            keep = !only || bound;
        else
            keep = !only || attached || bound;
        if (!keep) json_array_remove(all, i);
    }
    if (!rc) {
        *out = svc_out(c, json_object());
        rc = iamsvc_page(c, all, in, *out, "Policies");
    }
    json_decref(all);
    usage_free(&u);
    return rc;
}

/* The PolicyVersion shape; doc: its document text (URL-encoded here), or NULL. */
static json_t *version_view(call *c, const json_t *v, const char *doc)
{
    json_t *r = json_pack("{s:O, s:O, s:O}", "VersionId", json_object_get(v, "VersionId"),
                          "IsDefaultVersion", json_object_get(v, "IsDefaultVersion"), "CreateDate",
                          json_object_get(v, "CreateDate"));
    return r && doc ? jdone(r, jset_str(r, "Document", iamsvc_url(c->a, doc))) : r;
}

int iam_op_create_policy_version(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    const char *doc = jstr(in, "PolicyDocument");
    if (load_policy(c, "iam:CreatePolicyVersion", jstr(in, "PolicyArn"), 1, &pol)) return -1;
    int rc = -1;
    json_t *vers = json_object_get(pol, "Versions");
    if (check_policy_doc(c, doc)) goto out;
    if (json_array_size(vers) >= MAX_VERSIONS) {
        ferr_set(c->err, 409, "LimitExceeded",
                 "A managed policy can have up to %d versions. Before you create a new version, "
                 "you must delete an existing version.",
                 MAX_VERSIONS);
        goto out;
    }
    long long n = jint(pol, "NextVersion", (long long)json_array_size(vers) + 1);
    char vid[24];
    snprintf(vid, sizeof(vid), "v%lld", n);
    int def = jbool(in, "SetAsDefault", 0);
    double now = (double)(long long)clock_now();
    rc = 0;
    if (def) {
        size_t i;
        json_t *v;
        json_array_foreach(vers, i, v)
            rc |= json_object_set_new(v, "IsDefaultVersion", json_false());
        rc |= jset_str(pol, "DefaultVersionId", vid);
    }
    json_t *ver =
        json_pack("{s:s, s:b, s:f}", "VersionId", vid, "IsDefaultVersion", def, "CreateDate", now);
    rc |= json_array_append_new(vers, ver);
    rc |= json_object_set_new(pol, "NextVersion", json_integer(n + 1));
    rc |= json_object_set_new(pol, "UpdateDate", json_real(now));
    if (rc) {
        rc = ferr_oom(c->err);
        goto out;
    }
    rc = -1;
    if (put_version(c, pol, vid, doc) || save_policy(c, pol) || (def && update_refs(c, pol)))
        goto out;
    *out = svc_out(c, json_pack("{s:o}", "PolicyVersion", version_view(c, ver, NULL)));
    rc = 0;
out:
    json_decref(pol);
    return rc;
}

static int no_version(call *c, const char *arn, const char *vid)
{
    return ferr_set(c->err, 404, "NoSuchEntity",
                    "Policy %s version %s does not exist or is not attachable.", arn,
                    vid ? vid : "");
}

int iam_op_get_policy_version(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    const char *arn = jstr(in, "PolicyArn"), *vid = jstr(in, "VersionId");
    if (load_policy(c, "iam:GetPolicyVersion", arn, 0, &pol)) return -1;
    json_t *v = find_version(pol, vid), *doc = NULL;
    int rc = v ? 0 : no_version(c, arn, vid);
    if (!rc && !(doc = iamsvc_policy_text(c->txn, c->account, pol, vid, c->err)))
        rc = ferr_isset(c->err) ? -1 : no_version(c, arn, vid);
    if (!rc)
        *out = svc_out(
            c, json_pack("{s:o}", "PolicyVersion", version_view(c, v, json_string_value(doc))));
    json_decref(doc);
    json_decref(pol);
    return rc;
}

int iam_op_list_policy_versions(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    if (load_policy(c, "iam:ListPolicyVersions", jstr(in, "PolicyArn"), 0, &pol)) return -1;
    json_t *all = json_array();
    size_t i;
    json_t *v;
    /* AWS lists the newest first */
    json_t *vers = json_object_get(pol, "Versions");
    int rc = 0;
    for (i = json_array_size(vers); i-- > 0;)
        rc |= json_array_append_new(all, version_view(c, json_array_get(vers, i), NULL));
    (void)v;
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, all, in, *out, "Versions");
    json_decref(all);
    json_decref(pol);
    return rc;
}

int iam_op_set_default_policy_version(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *pol;
    const char *arn = jstr(in, "PolicyArn"), *vid = jstr(in, "VersionId");
    if (load_policy(c, "iam:SetDefaultPolicyVersion", arn, 1, &pol)) return -1;
    int rc = -1;
    json_t *want = find_version(pol, vid);
    if (!want) {
        no_version(c, arn, vid);
        goto out;
    }
    size_t i;
    json_t *v;
    int bad = 0;
    json_array_foreach(json_object_get(pol, "Versions"), i, v)
        bad |= json_object_set_new(v, "IsDefaultVersion", json_boolean(v == want));
    bad |= jset_str(pol, "DefaultVersionId", vid);
    bad |= json_object_set_new(pol, "UpdateDate", json_real((double)(long long)clock_now()));
    if (bad)
        rc = ferr_oom(c->err);
    else
        rc = save_policy(c, pol) || update_refs(c, pol) ? -1 : 0;
out:
    json_decref(pol);
    return rc;
}

int iam_op_delete_policy_version(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *pol;
    const char *arn = jstr(in, "PolicyArn"), *vid = jstr(in, "VersionId");
    if (load_policy(c, "iam:DeletePolicyVersion", arn, 1, &pol)) return -1;
    int rc = -1;
    json_t *vers = json_object_get(pol, "Versions");
    size_t i;
    json_t *v;
    json_array_foreach(vers, i, v)
        if (!strcmp(jstr(v, "VersionId"), vid)) break;
    if (i == json_array_size(vers)) {
        no_version(c, arn, vid);
        goto out;
    }
    if (!strcmp(jstr(pol, "DefaultVersionId"), vid)) {
        ferr_set(c->err, 409, "DeleteConflict", "Cannot delete the default version of a policy.");
        goto out;
    }
    json_array_remove(vers, i);
    rc = del_version(c, pol, vid) || save_policy(c, pol) ? -1 : 0;
out:
    json_decref(pol);
    return rc;
}

int iam_op_list_entities_for_policy(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    const char *filter = jstr(in, "EntityFilter"), *usef = jstr(in, "PolicyUsageFilter");
    if (load_policy(c, "iam:ListEntitiesForPolicy", jstr(in, "PolicyArn"), 0, &pol)) return -1;
    const char *arn = jstr(pol, "Arn");
    usage u;
    int rc = usage_scan(c, &u);
    if (rc) goto out;
    json_t *groups[3] = {json_array(), json_array(), json_array()};
    const char *keys[3] = {"PolicyUsers", "PolicyGroups", "PolicyRoles"};
    const iamsvc_etype *ets[3] = {&iamsvc_user_t, &iamsvc_group_t, &iamsvc_role_t};
    const char *fnames[3] = {"User", "Group", "Role"};
    json_t *lists[3] = {u.users, u.groups, u.roles};
    for (int l = 0; l < 3; l++) {
        if (filter && strcmp(filter, fnames[l])) continue;
        size_t i, j;
        json_t *d, *a;
        json_array_foreach(lists[l], i, d) {
            int hit = 0;
            if (!usef || !strcmp(usef, "PermissionsPolicy"))
                json_array_foreach(json_object_get(d, "AttachedPolicies"), j, a)
                    hit |= !strcmp(json_string_value(a), arn);
            if (!usef || !strcmp(usef, "PermissionsBoundary")) {
                const char *b =
                    jstr(json_object_get(d, "PermissionsBoundary"), "PermissionsBoundaryArn");
                hit |= b && !strcmp(b, arn);
            }
            if (hit)
                rc |= json_array_append_new(
                    groups[l], json_pack("{s:O, s:O}", arena_printf(c->a, "%sName", fnames[l]),
                                         json_object_get(d, ets[l]->name_key),
                                         arena_printf(c->a, "%sId", fnames[l]),
                                         json_object_get(d, ets[l]->id_key)));
        }
    }
    /* One page across the three lists, as AWS pages them together. */
    json_t *all = json_array();
    for (int l = 0; l < 3; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(groups[l], i, e)
            rc |= json_array_append_new(all, json_pack("{s:i, s:O}", "l", l, "e", e));
        json_decref(groups[l]);
    }
    json_t *page = json_object();
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, all, in, page, "Items");
    json_decref(all);
    if (!rc) {
        *out = svc_out(c, json_pack("{s:[], s:[], s:[], s:O}", keys[0], keys[1], keys[2],
                                    "IsTruncated", json_object_get(page, "IsTruncated")));
        if (json_object_get(page, "Marker"))
            rc |= json_object_set(*out, "Marker", json_object_get(page, "Marker"));
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(page, "Items"), i, it)
            rc |= json_array_append(json_object_get(*out, keys[jint(it, "l", 0)]),
                                    json_object_get(it, "e"));
        if (rc) rc = ferr_oom(c->err);
    }
    json_decref(page);
out:
    usage_free(&u);
    json_decref(pol);
    return rc;
}

/* Tags on customer managed policies (AWS managed ones are not the account's to tag) */
int iam_op_tag_policy(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    if (load_policy(c, "iam:TagPolicy", jstr(in, "PolicyArn"), 1, &pol)) return -1;
    return iamsvc_tags_op(c, IAMSVC_TAG, pol, in, out, save_policy);
}

int iam_op_untag_policy(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    if (load_policy(c, "iam:UntagPolicy", jstr(in, "PolicyArn"), 1, &pol)) return -1;
    return iamsvc_tags_op(c, IAMSVC_UNTAG, pol, in, out, save_policy);
}

int iam_op_list_policy_tags(call *c, json_t *in, json_t **out)
{
    json_t *pol;
    if (load_policy(c, "iam:ListPolicyTags", jstr(in, "PolicyArn"), 0, &pol)) return -1;
    return iamsvc_tags_op(c, IAMSVC_LIST_TAGS, pol, in, out, NULL);
}
