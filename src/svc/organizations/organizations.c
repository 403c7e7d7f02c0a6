/* AWS Organizations: the operations `ferry init` relies on and users need to see and shape
 * their organization. AWS: only the management account may read or change the whole
 * organization; members may DescribeOrganization; accounts outside get
 * AWSOrganizationsNotInUseException. */
#include <ctype.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/jtags.h"
#include "organizations.h"
#include "organizations_int.h"
#include "scp.h"

#define NOT_IN_USE(c) \
    ferr_set((c)->err, 400, "AWSOrganizationsNotInUseException", \
             "Your account is not a member of an organization.")

/* Loads the organization and checks the caller belongs (mgmt_only: is its management
 * account). Returns 0 with *org (caller decrefs) or -1. */
int orgsvc_load(call *c, int mgmt_only, json_t **org)
{
    int rc = org_get(c->txn, org, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return NOT_IN_USE(c);
    const char *mgmt = json_string_value(json_object_get(*org, "MasterAccountId"));
    int is_mgmt = !strcmp(mgmt, c->account);
    if (!is_mgmt) {
        json_t *me = NULL;
        int in = org_get_account(c->txn, c->account, &me, c->err);
        json_decref(me);
        if (in != 1) {
            json_decref(*org);
            return in < 0 ? -1 : NOT_IN_USE(c);
        }
    }
    if (mgmt_only && !is_mgmt) {
        json_decref(*org);
        return ferr_set(c->err, 403, "AccessDenied",
                        "You don't have permissions to access this resource.");
    }
    return 0;
}

static const char *root_id(const json_t *org)
{
    return json_string_value(json_object_get(json_object_get(org, "Root"), "Id"));
}

/* Documents carry ParentId, their policy attachments and tags for ferry's bookkeeping; AWS's
 * Account, OrganizationalUnit and Root shapes do not. */
json_t *orgsvc_strip(json_t *v)
{
    json_object_del(v, "ParentId");
    json_object_del(v, "Policies");
    json_object_del(v, "Tags");
    return v;
}

static json_t *account_view(const json_t *a)
{
    return orgsvc_strip(json_deep_copy(a));
}

int organizations_op_create_organization(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "organizations:CreateOrganization", "*")) return -1;
    json_t *org = NULL;
    int rc = org_get(c->txn, &org, c->err);
    if (rc < 0) return -1;
    if (rc == 1) {
        json_decref(org);
        return ferr_set(c->err, 400, "AlreadyInOrganizationException",
                        "The provided account is already a member of an organization.");
    }
    char email[64];
    snprintf(email, sizeof(email), "root+%s@example.com", c->account);
    if (org_create(c->txn, c->region, c->account, "management", email, &org, c->err)) return -1;
    json_object_del(org, "Root");
    *out = svc_out(c, json_pack("{s:o}", "Organization", org));
    return 0;
}

int organizations_op_describe_organization(call *c, json_t *in, json_t **out)
{
    (void)in;
    json_t *org;
    if (call_authorize(c, "organizations:DescribeOrganization", "*") || orgsvc_load(c, 0, &org))
        return -1;
    json_object_del(org, "Root");
    *out = svc_out(c, json_pack("{s:o}", "Organization", org));
    return 0;
}

int organizations_op_list_roots(call *c, json_t *in, json_t **out)
{
    json_t *org;
    if (call_authorize(c, "organizations:ListRoots", "*") || orgsvc_load(c, 1, &org)) return -1;
    json_t *roots = json_pack("[o]", orgsvc_strip(json_deep_copy(json_object_get(org, "Root"))));
    json_decref(org);
    *out = svc_out(c, json_object());
    int rc = svc_page(c, roots, jstr(in, "NextToken"), jint(in, "MaxResults", 0), *out, "Roots",
                      "NextToken", "InvalidInputException");
    json_decref(roots);
    return rc;
}

typedef struct collect {
    const char *parent;
    int view_account;
    json_t *arr;
    int oom; /* set when a document could not be kept: the listing fails */
} collect;

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *col = ud;
    if (col->parent && strcmp(json_string_value(json_object_get(doc, "ParentId")), col->parent))
        return 0;
    col->oom = col->view_account ? json_array_append_new(col->arr, account_view(doc))
                                 : json_array_append(col->arr, doc);
    return col->oom;
}

static int list_kind(call *c, json_t *in, const char *kind, const char *parent, const char *key,
                     json_t **out)
{
    collect col = {parent, !strcmp(kind, "account"), json_array(), 0};
    if (store_list(c->txn, kind, "", "", NULL, NULL, 0, collect_cb, &col, c->err) < 0 ||
        (col.oom && ferr_oom(c->err))) {
        json_decref(col.arr);
        return -1;
    }
    *out = svc_out(c, json_object());
    int rc = svc_page(c, col.arr, jstr(in, "NextToken"), jint(in, "MaxResults", 0), *out, key,
                      "NextToken", "InvalidInputException");
    json_decref(col.arr);
    return rc;
}

int orgsvc_check_max(call *c, json_t *in, int cap)
{
    long long m = jint(in, "MaxResults", 1);
    if (m < 1 || m > cap)
        return ferr_set(c->err, 400, "InvalidInputException",
                        "You provided a value that does not match the required pattern: "
                        "MaxResults must be between 1 and %d.",
                        cap);
    return 0;
}

int organizations_op_list_accounts(call *c, json_t *in, json_t **out)
{
    json_t *org;
    if (call_authorize(c, "organizations:ListAccounts", "*") || orgsvc_check_max(c, in, 20) ||
        orgsvc_load(c, 1, &org))
        return -1;
    json_decref(org);
    return list_kind(c, in, "account", NULL, "Accounts", out);
}

static int need_parent(call *c, const json_t *org, const char *parent, const char *code)
{
    int rc = org_parent_exists(c->txn, org, parent, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, code,
                        "We can't find a root or OU with the ParentId that you specified.");
    return 0;
}

int organizations_op_list_accounts_for_parent(call *c, json_t *in, json_t **out)
{
    json_t *org;
    const char *parent = jstr(in, "ParentId");
    if (call_authorize(c, "organizations:ListAccountsForParent", "*") ||
        orgsvc_check_max(c, in, 20) || orgsvc_load(c, 1, &org))
        return -1;
    int rc = need_parent(c, org, parent, "ParentNotFoundException");
    json_decref(org);
    return rc ? -1 : list_kind(c, in, "account", parent, "Accounts", out);
}

int organizations_op_list_organizational_units_for_parent(call *c, json_t *in, json_t **out)
{
    json_t *org;
    const char *parent = jstr(in, "ParentId");
    if (call_authorize(c, "organizations:ListOrganizationalUnitsForParent", "*") ||
        orgsvc_check_max(c, in, 20) || orgsvc_load(c, 1, &org))
        return -1;
    int rc = need_parent(c, org, parent, "ParentNotFoundException");
    json_decref(org);
    if (rc) return -1;
    if (list_kind(c, in, "ou", parent, "OrganizationalUnits", out)) return -1;
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(*out, "OrganizationalUnits"), i, v) orgsvc_strip(v);
    return 0;
}

int organizations_op_describe_account(call *c, json_t *in, json_t **out)
{
    json_t *org, *acct = NULL;
    const char *id = jstr(in, "AccountId");
    if (call_authorize(c, "organizations:DescribeAccount", "*") || orgsvc_load(c, 1, &org))
        return -1;
    json_decref(org);
    int rc = org_get_account(c->txn, id, &acct, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "AccountNotFoundException",
                        "You specified an account that doesn't exist.");
    *out = svc_out(c, json_pack("{s:o}", "Account", account_view(acct)));
    json_decref(acct);
    return 0;
}

static int valid_email(const char *e)
{
    const char *at = e ? strchr(e, '@') : NULL;
    return at && at != e && strchr(at + 1, '.') && strlen(e) >= 6 && strlen(e) <= 64 &&
           !strchr(e, ' ');
}

/* Tags given at creation (CreateAccount, CreateOrganizationalUnit) on the new document. */
static int add_tags(call *c, const char *kind, json_t *doc, const json_t *tags)
{
    if (!json_array_size(tags)) return 0;
    if (orgsvc_check_tags(c, NULL, tags)) return -1;
    store_key k = {kind, "", "", jstr(doc, "Id")};
    return jtags_merge(doc, tags) ? ferr_oom(c->err) : store_put(c->txn, &k, doc, c->err);
}

int organizations_op_create_account(call *c, json_t *in, json_t **out)
{
    json_t *org;
    const char *name = jstr(in, "AccountName"), *email = jstr(in, "Email");
    if (call_authorize(c, "organizations:CreateAccount", "*") || orgsvc_load(c, 1, &org)) return -1;
    if (!valid_email(email)) {
        json_decref(org);
        return ferr_set(c->err, 400, "ConstraintViolationException",
                        "You provided a value that does not match the required pattern: Email.");
    }
    if (strlen(name) < 1 || strlen(name) > 50) {
        json_decref(org);
        return ferr_set(c->err, 400, "ConstraintViolationException",
                        "AccountName must be between 1 and 50 characters.");
    }
    const char *rn = jstr(in, "RoleName");
    size_t rl = rn ? strlen(rn) : 1;
    int rn_ok = rl >= 1 && rl <= 64;
    for (size_t k = 0; rn && k < rl; k++)
        rn_ok &= isalnum((unsigned char)rn[k]) || strchr("_+=,.@-", rn[k]) != NULL;
    if (!rn_ok) {
        json_decref(org);
        return ferr_set(c->err, 400, "InvalidInputException",
                        "You provided a role name that isn't valid.");
    }
    char car[40] = "car-";
    ids_lower_alnum(car + 4, 32);
    json_t *status = json_pack("{s:s, s:s, s:f}", "Id", car, "AccountName", name,
                               "RequestedTimestamp", clock_now());
    /* AWS: an email already used by an account makes the request FAILED, not an error. */
    collect col = {NULL, 0, json_array(), 0};
    int rc = store_list(c->txn, "account", "", "", NULL, NULL, 0, collect_cb, &col, c->err);
    if (rc >= 0 && (col.oom || !status)) rc = ferr_oom(c->err);
    int dup = 0;
    json_t *v;
    size_t i;
    json_array_foreach(col.arr, i, v) dup |= !strcasecmp(jstr(v, "Email"), email);
    json_decref(col.arr);
    if (rc < 0) goto fail;
    if (dup) {
        if (jset_str(status, "State", "FAILED") ||
            jset_str(status, "FailureReason", "EMAIL_ALREADY_EXISTS")) {
            ferr_oom(c->err);
            goto fail;
        }
    } else {
        json_t *acct = NULL;
        /* AWS: the new account gets a role the management account can assume (RoleName,
         * OrganizationAccountAccessRole by default) */
        const char *role = jstr(in, "RoleName");
        if (org_add_account(c->txn, org, name, email, root_id(org), NULL, &acct, c->err) ||
            add_tags(c, "account", acct, json_object_get(in, "Tags")) ||
            org_access_role(c->env, c->txn, c->a, c->region, c->account, jstr(acct, "Id"),
                            role ? role : ORG_ACCESS_ROLE, c->err)) {
            json_decref(acct);
            goto fail;
        }
        int bad = jset_str(status, "State", "SUCCEEDED") ||
                  jset_str(status, "AccountId", jstr(acct, "Id")) ||
                  json_object_set_new(status, "CompletedTimestamp", json_real(clock_now()));
        call_resource(c, "AWS::Organizations::Account", jstr(acct, "Id"));
        json_decref(acct);
        if (bad) {
            ferr_oom(c->err);
            goto fail;
        }
    }
    store_key k = {"car", "", "", car};
    if (store_put(c->txn, &k, status, c->err)) goto fail;
    json_decref(org);
    /* The request is reported IN_PROGRESS, as AWS does; DescribeCreateAccountStatus shows
     * the outcome, which ferry reaches at once. */
    json_t *reply =
        json_pack("{s:s, s:s, s:O, s:s}", "Id", car, "AccountName", name, "RequestedTimestamp",
                  json_object_get(status, "RequestedTimestamp"), "State", "IN_PROGRESS");
    json_decref(status);
    *out = svc_out(c, json_pack("{s:o}", "CreateAccountStatus", reply));
    return 0;
fail:
    json_decref(org);
    json_decref(status);
    return -1;
}

int organizations_op_describe_create_account_status(call *c, json_t *in, json_t **out)
{
    json_t *org, *st = NULL;
    if (call_authorize(c, "organizations:DescribeCreateAccountStatus", "*") ||
        orgsvc_load(c, 1, &org))
        return -1;
    json_decref(org);
    const char *id = jstr(in, "CreateAccountRequestId");
    store_key k = {"car", "", "", id};
    int rc = store_get(c->txn, &k, &st, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "CreateAccountStatusNotFoundException",
                        "We can't find an create account request with the "
                        "CreateAccountRequestId that you specified.");
    *out = svc_out(c, json_pack("{s:o}", "CreateAccountStatus", st));
    return 0;
}

int organizations_op_create_organizational_unit(call *c, json_t *in, json_t **out)
{
    json_t *org, *ou = NULL;
    const char *parent = jstr(in, "ParentId"), *name = jstr(in, "Name");
    if (call_authorize(c, "organizations:CreateOrganizationalUnit", "*") || orgsvc_load(c, 1, &org))
        return -1;
    int rc = need_parent(c, org, parent, "ParentNotFoundException");
    if (!rc) rc = org_add_ou(c->txn, org, parent, name, &ou, c->err);
    if (!rc) rc = add_tags(c, "ou", ou, json_object_get(in, "Tags"));
    json_decref(org);
    if (rc) return -1;
    orgsvc_strip(ou);
    call_resource(c, "AWS::Organizations::OrganizationalUnit", jstr(ou, "Id"));
    *out = svc_out(c, json_pack("{s:o}", "OrganizationalUnit", ou));
    return 0;
}

int organizations_op_move_account(call *c, json_t *in, json_t **out)
{
    json_t *org, *acct = NULL;
    const char *id = jstr(in, "AccountId"), *src = jstr(in, "SourceParentId"),
               *dst = jstr(in, "DestinationParentId");
    (void)out;
    if (call_authorize(c, "organizations:MoveAccount", "*") || orgsvc_load(c, 1, &org)) return -1;
    int rc = need_parent(c, org, src, "SourceParentNotFoundException");
    if (!rc) rc = need_parent(c, org, dst, "DestinationParentNotFoundException");
    json_decref(org);
    if (rc) return -1;
    rc = org_get_account(c->txn, id, &acct, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "AccountNotFoundException",
                        "You specified an account that doesn't exist.");
    const char *cur = jstr(acct, "ParentId");
    if (strcmp(cur, src)) {
        json_decref(acct);
        return ferr_set(c->err, 400, "SourceParentNotFoundException",
                        "We can't find a source root or OU with the ParentId that you specified.");
    }
    if (!strcmp(cur, dst)) {
        json_decref(acct);
        return ferr_set(c->err, 400, "DuplicateAccountException",
                        "That account is already present in the specified destination.");
    }
    store_key k = {"account", "", "", id};
    rc = jset_str(acct, "ParentId", dst) ? ferr_oom(c->err) : store_put(c->txn, &k, acct, c->err);
    json_decref(acct);
    call_resource(c, "AWS::Organizations::Account", id);
    return rc;
}

const svc_def svc_organizations = {.name = "organizations",
                                   .event_source = "organizations.amazonaws.com",
                                   .reset = org_authz_changed};

/* The OU (new ref) or AWS's OrganizationalUnitNotFoundException. */
int orgsvc_load_ou(call *c, const char *id, json_t **ou)
{
    store_key k = {"ou", "", "", id ? id : ""};
    int rc = store_get(c->txn, &k, ou, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "OrganizationalUnitNotFoundException",
                        "We can't find an OU with the OrganizationalUnitId that you specified.");
    return 0;
}

int organizations_op_describe_organizational_unit(call *c, json_t *in, json_t **out)
{
    json_t *org, *ou = NULL;
    if (call_authorize(c, "organizations:DescribeOrganizationalUnit", "*") ||
        orgsvc_load(c, 1, &org))
        return -1;
    json_decref(org);
    if (orgsvc_load_ou(c, jstr(in, "OrganizationalUnitId"), &ou)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "OrganizationalUnit", orgsvc_strip(ou)));
    return 0;
}

int organizations_op_list_parents(call *c, json_t *in, json_t **out)
{
    json_t *org, *child = NULL;
    const char *id = jstr(in, "ChildId");
    if (call_authorize(c, "organizations:ListParents", "*") || orgsvc_check_max(c, in, 20) ||
        orgsvc_load(c, 1, &org))
        return -1;
    json_decref(org);
    int rc = id && !strncmp(id, "ou-", 3)
                 ? store_get(c->txn, &(store_key){"ou", "", "", id}, &child, c->err)
                 : org_get_account(c->txn, id ? id : "", &child, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "ChildNotFoundException",
                        "We can't find an organizational unit (OU) or AWS account with the "
                        "ChildId that you specified.");
    const char *pid = jstr(child, "ParentId");
    json_t *parents = json_pack("[{s:s, s:s}]", "Id", pid ? pid : "", "Type",
                                pid && !strncmp(pid, "r-", 2) ? "ROOT" : "ORGANIZATIONAL_UNIT");
    json_decref(child);
    if (!parents) return ferr_oom(c->err);
    *out = svc_out(c, json_object());
    rc = svc_page(c, parents, jstr(in, "NextToken"), jint(in, "MaxResults", 0), *out, "Parents",
                  "NextToken", "InvalidInputException");
    json_decref(parents);
    return rc;
}

int organizations_op_list_children(call *c, json_t *in, json_t **out)
{
    json_t *org;
    const char *parent = jstr(in, "ParentId"), *type = jstr(in, "ChildType");
    if (call_authorize(c, "organizations:ListChildren", "*") || orgsvc_check_max(c, in, 20) ||
        orgsvc_load(c, 1, &org))
        return -1;
    int rc = need_parent(c, org, parent, "ParentNotFoundException");
    json_decref(org);
    if (rc) return -1;
    int accounts = type && !strcmp(type, "ACCOUNT");
    collect col = {parent, 0, json_array(), 0};
    if (store_list(c->txn, accounts ? "account" : "ou", "", "", NULL, NULL, 0, collect_cb, &col,
                   c->err) < 0 ||
        (col.oom && ferr_oom(c->err))) {
        json_decref(col.arr);
        return -1;
    }
    json_t *children = json_array(), *v;
    size_t i;
    json_array_foreach(col.arr, i, v)
        col.oom |= json_array_append_new(
            children, json_pack("{s:s, s:s}", "Id", jstr(v, "Id"), "Type", type));
    json_decref(col.arr);
    if (col.oom || !children) {
        json_decref(children);
        return ferr_oom(c->err);
    }
    *out = svc_out(c, json_object());
    rc = svc_page(c, children, jstr(in, "NextToken"), jint(in, "MaxResults", 0), *out, "Children",
                  "NextToken", "InvalidInputException");
    json_decref(children);
    return rc;
}
