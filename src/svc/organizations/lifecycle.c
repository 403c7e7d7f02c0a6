/* AWS Organizations: the life of OUs, accounts and the organization itself after creation
 * (UpdateOrganizationalUnit, DeleteOrganizationalUnit, ListCreateAccountStatus,
 * CloseAccount, RemoveAccountFromOrganization, LeaveOrganization, DeleteOrganization,
 * EnableAllFeatures, CreateGovCloudAccount). AWS: only the management account, except
 * LeaveOrganization (a member, for itself). An account that leaves keeps its credentials
 * and becomes standalone (ferry's keys do not depend on the organization); a closed account
 * stays listed as SUSPENDED and its principals are refused (org_authz). */
#include <string.h>

#include "base/clock.h"
#include "base/jval.h"
#include "organizations.h"
#include "organizations_int.h"

static int begin(call *c, const char *action, json_t **org)
{
    return call_authorize(c, action, "*") || orgsvc_load(c, 1, org) ? -1 : 0;
}

typedef struct keys {
    const char *parent; /* only documents with this ParentId, or NULL */
    json_t *ids;        /* their store ids */
    int oom;
} keys;

static int keys_cb(void *ud, const store_key *k, json_t *doc)
{
    keys *x = ud;
    if (x->parent && strcmp(jstr(doc, "ParentId") ? jstr(doc, "ParentId") : "", x->parent))
        return 0;
    x->oom = json_array_append_new(x->ids, json_string(k->id));
    return x->oom;
}

/* Store ids of kind's documents (under parent, when given): new array in *ids. */
static int ids_of(call *c, const char *kind, const char *parent, json_t **ids)
{
    keys x = {parent, json_array(), 0};
    if (!x.ids) return ferr_oom(c->err);
    if (store_list(c->txn, kind, "", "", NULL, NULL, 0, keys_cb, &x, c->err) < 0 ||
        (x.oom && ferr_oom(c->err))) {
        json_decref(x.ids);
        return -1;
    }
    *ids = x.ids;
    return 0;
}

/* ---- OUs ---- */

int organizations_op_update_organizational_unit(call *c, json_t *in, json_t **out)
{
    json_t *org, *ou = NULL, *dup = NULL;
    const char *id = jstr(in, "OrganizationalUnitId"), *name = jstr(in, "Name");
    if (begin(c, "organizations:UpdateOrganizationalUnit", &org)) return -1;
    json_decref(org);
    if (orgsvc_load_ou(c, id, &ou)) return -1;
    int rc = 0;
    if (name && strcmp(name, jstr(ou, "Name"))) {
        rc = org_find_ou(c->txn, jstr(ou, "ParentId"), name, &dup, c->err);
        json_decref(dup);
        if (rc == 1)
            rc = ferr_set(c->err, 400, "DuplicateOrganizationalUnitException",
                          "An OU with the same name already exists.");
        store_key k = {"ou", "", "", id};
        if (!rc)
            rc = jset_str(ou, "Name", name) ? ferr_oom(c->err) : store_put(c->txn, &k, ou, c->err);
    }
    if (rc) {
        json_decref(ou);
        return -1;
    }
    call_resource(c, "AWS::Organizations::OrganizationalUnit", id);
    *out = svc_out(c, json_pack("{s:o}", "OrganizationalUnit", orgsvc_strip(ou)));
    return 0;
}

int organizations_op_delete_organizational_unit(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *ou = NULL, *kids = NULL, *accts = NULL;
    const char *id = jstr(in, "OrganizationalUnitId");
    if (begin(c, "organizations:DeleteOrganizationalUnit", &org)) return -1;
    json_decref(org);
    if (orgsvc_load_ou(c, id, &ou)) return -1;
    json_decref(ou);
    int rc = ids_of(c, "ou", id, &kids) || ids_of(c, "account", id, &accts) ? -1 : 0;
    /* AWS: an OU is deleted only once it holds no accounts and no child OUs */
    if (!rc && (json_array_size(kids) || json_array_size(accts)))
        rc = ferr_set(c->err, 400, "OrganizationalUnitNotEmptyException",
                      "The specified OU is not empty. Move all accounts to another root or to "
                      "other OUs, remove all child OUs, and try the operation again.");
    json_decref(kids);
    json_decref(accts);
    store_key k = {"ou", "", "", id};
    if (!rc) rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    if (!rc) call_resource(c, "AWS::Organizations::OrganizationalUnit", id);
    return rc;
}

/* ---- accounts ---- */

typedef struct states {
    const json_t *want; /* the States filter, or NULL */
    json_t *arr;
    int oom;
} states;

static int states_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    states *s = ud;
    if (json_array_size(s->want)) {
        int in = 0;
        json_t *v;
        size_t i;
        json_array_foreach(s->want, i, v) in |= !strcmp(json_string_value(v), jstr(doc, "State"));
        if (!in) return 0;
    }
    s->oom = json_array_append(s->arr, doc);
    return s->oom;
}

int organizations_op_list_create_account_status(call *c, json_t *in, json_t **out)
{
    json_t *org;
    if (begin(c, "organizations:ListCreateAccountStatus", &org)) return -1;
    json_decref(org);
    if (orgsvc_check_max(c, in, 20)) return -1;
    states s = {json_object_get(in, "States"), json_array(), 0};
    if (!s.arr) return ferr_oom(c->err);
    if (store_list(c->txn, "car", "", "", NULL, NULL, 0, states_cb, &s, c->err) < 0 ||
        (s.oom && ferr_oom(c->err))) {
        json_decref(s.arr);
        return -1;
    }
    return orgsvc_page(c, in, s.arr, "CreateAccountStatuses", out);
}

/* The member account id names (new ref): AccountNotFoundException when it is not in the
 * organization, MasterCannotLeaveOrganizationException for the management account when
 * refuse_mgmt. */
static int load_member(call *c, const json_t *org, const char *id, int refuse_mgmt, json_t **acct)
{
    int rc = org_get_account(c->txn, id ? id : "", acct, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "AccountNotFoundException",
                        "You specified an account that doesn't exist.");
    if (refuse_mgmt && !strcmp(id, jstr(org, "MasterAccountId"))) {
        json_decref(*acct);
        *acct = NULL;
        return ferr_set(c->err, 400, "MasterCannotLeaveOrganizationException",
                        "You can't remove a management account from an organization. If you "
                        "want the management account to become a member account in another "
                        "organization, you must first delete the current organization of the "
                        "management account.");
    }
    return 0;
}

int organizations_op_close_account(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *acct = NULL;
    const char *id = jstr(in, "AccountId");
    if (begin(c, "organizations:CloseAccount", &org)) return -1;
    int rc = load_member(c, org, id, 0, &acct);
    if (!rc && !strcmp(id, jstr(org, "MasterAccountId")))
        rc = ferr_set(c->err, 400, "ConstraintViolationException",
                      "You can't close the management account with this API.");
    json_decref(org);
    if (!rc && strcmp(jstr(acct, "Status"), "ACTIVE"))
        rc = ferr_set(c->err, 400, "AccountAlreadyClosedException",
                      "You attempted to close an account that is already closed.");
    /* AWS: PENDING_CLOSURE while the request runs, then SUSPENDED; ferry gets there at once */
    store_key k = {"account", "", "", id};
    if (!rc)
        rc = jset_str(acct, "Status", "SUSPENDED") ? ferr_oom(c->err)
                                                   : store_put(c->txn, &k, acct, c->err);
    json_decref(acct);
    if (!rc) call_resource(c, "AWS::Organizations::Account", id);
    return rc;
}

/* Takes account id out of the organization: its document, attachments and tags go with
 * it, its delegations are dropped; what it was called is kept (orgformer/<id>) for when it
 * joins again by invitation. */
static int remove_member(call *c, const char *id, json_t *acct)
{
    store_key k = {"account", "", "", id}, f = {"orgformer", "", "", id};
    json_t *former = json_pack("{s:O, s:O}", "Name", json_object_get(acct, "Name"), "Email",
                               json_object_get(acct, "Email"));
    int rc = former ? store_put(c->txn, &f, former, c->err) : ferr_oom(c->err);
    json_decref(former);
    if (!rc) rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    if (!rc) rc = orgsvc_drop_delegations(c, id);
    if (!rc) call_resource(c, "AWS::Organizations::Account", id);
    return rc;
}

int organizations_op_remove_account_from_organization(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *acct = NULL;
    const char *id = jstr(in, "AccountId");
    if (begin(c, "organizations:RemoveAccountFromOrganization", &org)) return -1;
    int rc = load_member(c, org, id, 1, &acct);
    json_decref(org);
    if (!rc) rc = remove_member(c, id, acct);
    json_decref(acct);
    return rc;
}

int organizations_op_leave_organization(call *c, json_t *in, json_t **out)
{
    (void)in;
    (void)out;
    json_t *org, *acct = NULL;
    if (call_authorize(c, "organizations:LeaveOrganization", "*") || orgsvc_load(c, 0, &org))
        return -1;
    int rc = load_member(c, org, c->account, 1, &acct);
    json_decref(org);
    if (!rc) rc = remove_member(c, c->account, acct);
    json_decref(acct);
    return rc;
}

/* ---- the organization ---- */

int organizations_op_delete_organization(call *c, json_t *in, json_t **out)
{
    (void)in;
    (void)out;
    json_t *org, *accts = NULL;
    if (begin(c, "organizations:DeleteOrganization", &org)) return -1;
    json_decref(org);
    if (ids_of(c, "account", NULL, &accts)) return -1;
    size_t n = json_array_size(accts);
    json_decref(accts);
    if (n > 1)
        return ferr_set(c->err, 400, "OrganizationNotEmptyException",
                        "To delete an organization you must first remove all member accounts "
                        "(except the management account).");
    /* Everything the organization holds goes with it: OUs, policies, trusted access,
     * delegations, requests, invitations and its resource policy. */
    static const char *const kinds[] = {"account",     "ou",  "orgpolicy", "orgaccess",
                                        "orgdelegate", "car", "handshake", "orgrespolicy",
                                        "org",         NULL};
    for (size_t i = 0; kinds[i]; i++) {
        json_t *ids = NULL, *v;
        size_t j;
        if (ids_of(c, kinds[i], NULL, &ids)) return -1;
        int rc = 0;
        json_array_foreach(ids, j, v) {
            store_key k = {kinds[i], "", "", json_string_value(v)};
            if (store_del(c->txn, &k, c->err) < 0) rc = -1;
        }
        json_decref(ids);
        if (rc) return -1;
    }
    return 0;
}

int organizations_op_enable_all_features(call *c, json_t *in, json_t **out)
{
    (void)in;
    (void)out;
    json_t *org;
    if (begin(c, "organizations:EnableAllFeatures", &org)) return -1;
    json_decref(org);
    /* ferry's organizations are made with all features (FeatureSet ALL) */
    return ferr_set(c->err, 400, "HandshakeConstraintViolationException",
                    "The requested operation would violate the constraint identified in the "
                    "reason code: ORGANIZATION_ALREADY_HAS_ALL_FEATURES.");
}

int organizations_op_create_gov_cloud_account(call *c, json_t *in, json_t **out)
{
    (void)in;
    (void)out;
    json_t *org;
    if (begin(c, "organizations:CreateGovCloudAccount", &org)) return -1;
    json_decref(org);
    /* AWS: only an organization paired with an AWS GovCloud (US) account may; ferry's are
     * not */
    return ferr_set(c->err, 403, "AccessDeniedException",
                    "You don't have permissions to create accounts in the AWS GovCloud (US) "
                    "Region: your organization is not enabled for AWS GovCloud (US).");
}
