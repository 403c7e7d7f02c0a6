#include "organizations.h"

#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "scp.h"
#include "auth/keys.h"
#include "svc/iam/iam.h"
#include "svc/svc.h"

static store_key gkey(const char *kind, const char *id)
{
    return (store_key){kind, "", "", id};
}

int org_get(store_txn *t, json_t **org, ferr *e)
{
    store_key k = gkey("org", "org");
    return store_get(t, &k, org, e);
}

const char *org_partition(const json_t *org, char out[16])
{
    size_t n;
    const char *p = arn_partition_of(jstr(org, "Arn"), &n);
    if (!p || n >= 16) return "aws";
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

int org_create(store_txn *t, const char *region, const char *mgmt_id, const char *mgmt_name,
               const char *mgmt_email, json_t **org, ferr *e)
{
    /* The organization's partition is the one it was made in: every ARN under it follows. */
    const char *part = arn_partition(region);
    char oid[16] = "o-", rid[8] = "r-", arn[ORG_ARN_MAX], rarn[ORG_ARN_MAX], marn[ORG_ARN_MAX];
    ids_lower_alnum(oid + 2, 10);
    ids_lower_alnum(rid + 2, 4);
    snprintf(arn, sizeof(arn), "arn:%s:organizations::%s:organization/%s", part, mgmt_id, oid);
    snprintf(rarn, sizeof(rarn), "arn:%s:organizations::%s:root/%s/%s", part, mgmt_id, oid, rid);
    snprintf(marn, sizeof(marn), "arn:%s:organizations::%s:account/%s/%s", part, mgmt_id, oid,
             mgmt_id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:{s:s, s:s, s:s, s:[]}}",
                          "Id", oid, "Arn", arn, "FeatureSet", "ALL", "MasterAccountArn", marn,
                          "MasterAccountId", mgmt_id, "MasterAccountEmail", mgmt_email,
                          "AvailablePolicyTypes", "Type", "SERVICE_CONTROL_POLICY", "Status",
                          "ENABLED", "Root", "Id", rid, "Arn", rarn, "Name", "Root", "PolicyTypes");
    if (!o) return ferr_oom(e);
    store_key k = gkey("org", "org");
    if (store_put(t, &k, o, e)) goto fail;
    json_t *acct = NULL;
    if (org_add_account(t, o, mgmt_name, mgmt_email, rid, mgmt_id, &acct, e)) goto fail;
    k = gkey("account", mgmt_id);
    int rc = json_object_set_new(acct, "JoinedMethod", json_string("INVITED"))
                 ? ferr_oom(e)
                 : store_put(t, &k, acct, e);
    json_decref(acct);
    if (rc) goto fail;
    *org = o;
    return 0;
fail:
    json_decref(o);
    return -1;
}

int org_get_account(store_txn *t, const char *id, json_t **acct, ferr *e)
{
    store_key k = gkey("account", id);
    return store_get(t, &k, acct, e);
}

typedef struct find {
    const char *field, *value, *parent;
    json_t *found;
} find;

static int find_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    find *f = ud;
    const char *v = jstr(doc, f->field);
    if (v && !strcmp(v, f->value) && (!f->parent || !strcmp(jstr(doc, "ParentId"), f->parent))) {
        f->found = json_incref(doc);
        return 1;
    }
    return 0;
}

static int find_doc(store_txn *t, const char *kind, const char *field, const char *value,
                    const char *parent, json_t **out, ferr *e)
{
    find f = {field, value, parent, NULL};
    if (store_list(t, kind, "", "", NULL, NULL, 0, find_cb, &f, e) < 0) return -1;
    if (!f.found) return 0;
    *out = f.found;
    return 1;
}

int org_find_account_by_name(store_txn *t, const char *name, json_t **acct, ferr *e)
{
    return find_doc(t, "account", "Name", name, NULL, acct, e);
}

int org_find_ou(store_txn *t, const char *parent_id, const char *name, json_t **ou, ferr *e)
{
    return find_doc(t, "ou", "Name", name, parent_id, ou, e);
}

int org_parent_exists(store_txn *t, const json_t *org, const char *parent_id, ferr *e)
{
    if (!parent_id) return 0;
    if (!strcmp(parent_id, jstr(json_object_get(org, "Root"), "Id"))) return 1;
    json_t *ou = NULL;
    store_key k = gkey("ou", parent_id);
    int rc = store_get(t, &k, &ou, e);
    json_decref(ou);
    return rc;
}

int org_add_account(store_txn *t, const json_t *org, const char *name, const char *email,
                    const char *parent_id, const char *account_id, json_t **acct, ferr *e)
{
    char id[13], arn[ORG_ARN_MAX], part[16];
    if (account_id) {
        snprintf(id, sizeof(id), "%s", account_id);
    } else {
        json_t *x = NULL;
        do { /* ids are random: retry the (unlikely) collision */
            json_decref(x);
            x = NULL;
            ids_account(id);
        } while (org_get_account(t, id, &x, e) == 1);
        json_decref(x);
    }
    snprintf(arn, sizeof(arn), "arn:%s:organizations::%s:account/%s/%s", org_partition(org, part),
             jstr(org, "MasterAccountId"), jstr(org, "Id"), id);
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "Id", id, "Arn", arn, "Email",
                          email, "Name", name, "Status", "ACTIVE", "ParentId", parent_id,
                          "JoinedMethod", "CREATED", "JoinedTimestamp", clock_now());
    if (!a) return ferr_oom(e);
    store_key k = gkey("account", id);
    if (store_put(t, &k, a, e) || org_attach_defaults(t, org, id, e)) {
        json_decref(a);
        return -1;
    }
    *acct = a;
    return 0;
}

int org_add_ou(store_txn *t, const json_t *org, const char *parent_id, const char *name,
               json_t **ou, ferr *e)
{
    json_t *dup = NULL;
    int rc = org_find_ou(t, parent_id, name, &dup, e);
    json_decref(dup);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(e, 400, "DuplicateOrganizationalUnitException",
                        "An OU with the same name already exists.");
    const char *root = jstr(json_object_get(org, "Root"), "Id");
    char id[48], arn[ORG_ARN_MAX], part[16];
    snprintf(id, sizeof(id), "ou-%s-", root + 2);
    ids_lower_alnum(id + strlen(id), 8);
    snprintf(arn, sizeof(arn), "arn:%s:organizations::%s:ou/%s/%s", org_partition(org, part),
             jstr(org, "MasterAccountId"), jstr(org, "Id"), id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "Id", id, "Arn", arn, "Name", name, "ParentId",
                          parent_id);
    if (!o) return ferr_oom(e);
    store_key k = gkey("ou", id);
    if (store_put(t, &k, o, e) || org_attach_defaults(t, org, id, e)) {
        json_decref(o);
        return -1;
    }
    *ou = o;
    return 0;
}

int org_access_role(ferry_env *env, store_txn *t, arena *a, const char *region, const char *mgmt,
                    const char *account, const char *role_name, ferr *e)
{
    /* whether it is there is the service's own question, not a call anyone makes */
    json_t *role = NULL;
    int rc = iamsvc_get_role(t, account, role_name, &role, e);
    json_decref(role);
    if (rc < 0) return -1;
    if (rc == 1) return 0; /* there already: a second run changes nothing */
    char trust[256], admin[96];
    snprintf(trust, sizeof(trust),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
             "{\"AWS\":\"arn:%s:iam::%s:root\"},\"Action\":\"sts:AssumeRole\"}]}",
             arn_partition(region), mgmt);
    /* AWS managed policies carry the partition too (arn:aws-cn:iam::aws:policy/... in China) */
    snprintf(admin, sizeof(admin), "arn:%s:iam::aws:policy/AdministratorAccess",
             arn_partition(region));
    /* The account's own root makes the calls, on behalf of Organizations: authorized (SCPs
     * included) and recorded in the member's trail like any call. */
    principal root;
    keys_root_principal(account, &root);
    keys_principal_in(&root, region);
    snprintf(root.service, sizeof(root.service), "organizations.amazonaws.com");
    json_t *create = json_pack("{s:s, s:s, s:s}", "RoleName", role_name, "Path", "/",
                               "AssumeRolePolicyDocument", trust);
    json_t *attach = json_pack("{s:s, s:s}", "RoleName", role_name, "PolicyArn", admin);
    json_t *out = NULL;
    rc = create && attach ? 0 : ferr_oom(e);
    if (!rc)
        rc = svc_invoke_in(t, a, env, &root, region, "iam", "CreateRole", create, &out, NULL, e);
    json_decref(out);
    out = NULL;
    if (!rc)
        rc = svc_invoke_in(t, a, env, &root, region, "iam", "AttachRolePolicy", attach, &out, NULL,
                           e);
    json_decref(out);
    json_decref(create);
    json_decref(attach);
    return rc;
}
