/* AWS Organizations trusted access and delegated administrators: which AWS services may
 * act across the organization (EnableAWSServiceAccess, ...) and which member accounts
 * administer a service for it (RegisterDelegatedAdministrator, ...). AWS: only the
 * management account calls them; the management account cannot be a delegated
 * administrator. Documents (global):
 *   orgaccess/<principal>          {ServicePrincipal, DateEnabled}
 *   orgdelegate/<account>/<principal> {AccountId, ServicePrincipal, DelegationEnabledDate} */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/jval.h"
#include "organizations.h"
#include "organizations_int.h"

static int begin(call *c, const char *action, json_t **org)
{
    return call_authorize(c, action, "*") || orgsvc_load(c, 1, org) ? -1 : 0;
}

/* AWS service principals end in amazonaws.com (cloudformation.amazonaws.com,
 * member.org.stacksets.cloudformation.amazonaws.com). */
static int check_principal(call *c, const char *sp)
{
    static const char suffix[] = ".amazonaws.com";
    size_t n = sp ? strlen(sp) : 0, s = sizeof(suffix) - 1;
    if (n > s && !strcmp(sp + n - s, suffix)) return 0;
    return ferr_set(c->err, 400, "InvalidInputException",
                    "You specified an invalid value for the ServicePrincipal parameter.");
}

typedef struct gather {
    const char *account;   /* only this account's delegations, or NULL */
    const char *principal; /* only this service's, or NULL */
    json_t *arr;
    int oom;
} gather;

static int gather_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    gather *g = ud;
    if (g->account && strcmp(jstr(doc, "AccountId"), g->account)) return 0;
    if (g->principal && strcmp(jstr(doc, "ServicePrincipal"), g->principal)) return 0;
    g->oom = json_array_append(g->arr, doc);
    return g->oom;
}

static int gather_kind(call *c, const char *kind, gather *g)
{
    g->arr = json_array();
    if (!g->arr) return ferr_oom(c->err);
    if (store_list(c->txn, kind, "", "", NULL, NULL, 0, gather_cb, g, c->err) < 0 ||
        (g->oom && ferr_oom(c->err))) {
        json_decref(g->arr);
        g->arr = NULL;
        return -1;
    }
    return 0;
}

/* ---- trusted access ---- */

int organizations_op_enable_aws_service_access(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *have = NULL;
    const char *sp = jstr(in, "ServicePrincipal");
    if (begin(c, "organizations:EnableAWSServiceAccess", &org)) return -1;
    json_decref(org);
    if (check_principal(c, sp)) return -1;
    store_key k = {"orgaccess", "", "", sp};
    int rc = store_get(c->txn, &k, &have, c->err);
    json_decref(have);
    if (rc != 0) return rc < 0 ? -1 : 0; /* enabled already: nothing changes */
    json_t *doc = json_pack("{s:s, s:f}", "ServicePrincipal", sp, "DateEnabled", clock_now());
    rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    return rc;
}

int organizations_op_disable_aws_service_access(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org;
    const char *sp = jstr(in, "ServicePrincipal");
    if (begin(c, "organizations:DisableAWSServiceAccess", &org)) return -1;
    json_decref(org);
    if (check_principal(c, sp)) return -1;
    store_key k = {"orgaccess", "", "", sp};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int organizations_op_list_aws_service_access_for_organization(call *c, json_t *in, json_t **out)
{
    json_t *org;
    gather g = {0};
    if (begin(c, "organizations:ListAWSServiceAccessForOrganization", &org)) return -1;
    json_decref(org);
    if (orgsvc_check_max(c, in, 20) || gather_kind(c, "orgaccess", &g)) return -1;
    return orgsvc_page(c, in, g.arr, "EnabledServicePrincipals", out);
}

/* ---- delegated administrators ---- */

/* The member account id names (new ref), or AccountNotFoundException. */
static int member(call *c, const char *id, json_t **acct)
{
    int rc = org_get_account(c->txn, id ? id : "", acct, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "AccountNotFoundException",
                        "You specified an account that doesn't exist.");
    return 0;
}

static store_key delegate_key(char *buf, size_t n, const char *acct, const char *sp)
{
    snprintf(buf, n, "%s/%s", acct, sp);
    return (store_key){"orgdelegate", "", "", buf};
}

static int not_registered(call *c)
{
    return ferr_set(c->err, 400, "AccountNotRegisteredException",
                    "The provided account is not a registered delegated administrator for your "
                    "organization.");
}

int organizations_op_register_delegated_administrator(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *acct = NULL, *have = NULL;
    const char *id = jstr(in, "AccountId"), *sp = jstr(in, "ServicePrincipal");
    if (begin(c, "organizations:RegisterDelegatedAdministrator", &org)) return -1;
    int is_mgmt = id && !strcmp(id, jstr(org, "MasterAccountId"));
    json_decref(org);
    if (check_principal(c, sp) || member(c, id, &acct)) return -1;
    json_decref(acct);
    if (is_mgmt)
        return ferr_set(c->err, 400, "ConstraintViolationException",
                        "You cannot register the management account of the organization as a "
                        "delegated administrator for an AWS service.");
    char buf[256];
    store_key k = delegate_key(buf, sizeof(buf), id, sp);
    int rc = store_get(c->txn, &k, &have, c->err);
    json_decref(have);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "AccountAlreadyRegisteredException",
                        "The provided account is already a delegated administrator for your "
                        "organization.");
    json_t *doc = json_pack("{s:s, s:s, s:f}", "AccountId", id, "ServicePrincipal", sp,
                            "DelegationEnabledDate", clock_now());
    rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    if (!rc) call_resource(c, "AWS::Organizations::Account", id);
    return rc;
}

int organizations_op_deregister_delegated_administrator(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *org, *acct = NULL;
    const char *id = jstr(in, "AccountId"), *sp = jstr(in, "ServicePrincipal");
    if (begin(c, "organizations:DeregisterDelegatedAdministrator", &org)) return -1;
    json_decref(org);
    if (check_principal(c, sp) || member(c, id, &acct)) return -1;
    json_decref(acct);
    char buf[256];
    store_key k = delegate_key(buf, sizeof(buf), id, sp);
    int rc = store_del(c->txn, &k, c->err);
    if (rc < 0) return -1;
    if (rc == 0) return not_registered(c);
    call_resource(c, "AWS::Organizations::Account", id);
    return 0;
}

int orgsvc_drop_delegations(call *c, const char *account)
{
    gather g = {account, NULL, NULL, 0};
    if (gather_kind(c, "orgdelegate", &g)) return -1;
    json_t *v;
    size_t i;
    int rc = 0;
    json_array_foreach(g.arr, i, v) {
        char buf[256];
        store_key k = delegate_key(buf, sizeof(buf), account, jstr(v, "ServicePrincipal"));
        if (store_del(c->txn, &k, c->err) < 0) rc = -1;
    }
    json_decref(g.arr);
    return rc;
}

int organizations_op_list_delegated_administrators(call *c, json_t *in, json_t **out)
{
    json_t *org;
    gather g = {NULL, jstr(in, "ServicePrincipal"), NULL, 0};
    if (begin(c, "organizations:ListDelegatedAdministrators", &org)) return -1;
    json_decref(org);
    if (orgsvc_check_max(c, in, 20) || (g.principal && check_principal(c, g.principal)) ||
        gather_kind(c, "orgdelegate", &g))
        return -1;
    /* one entry per account, with the date of its first delegation */
    json_t *seen = json_object(), *all = json_array(), *v;
    size_t i;
    int rc = seen && all ? 0 : ferr_oom(c->err);
    json_array_foreach(g.arr, i, v) {
        if (rc) break;
        const char *id = jstr(v, "AccountId");
        json_t *date = json_object_get(v, "DelegationEnabledDate"),
               *prev = json_object_get(seen, id);
        if (prev) {
            if (json_number_value(date) <
                    json_number_value(json_object_get(prev, "DelegationEnabledDate")) &&
                json_object_set(prev, "DelegationEnabledDate", date))
                rc = ferr_oom(c->err);
            continue;
        }
        json_t *acct = NULL;
        int got = org_get_account(c->txn, id, &acct, c->err);
        if (got < 0) rc = -1;
        if (got <= 0) continue; /* the account left: its delegations went with it */
        json_t *e = orgsvc_strip(acct);
        if (json_object_set(e, "DelegationEnabledDate", date) || json_object_set(seen, id, e) ||
            json_array_append(all, e))
            rc = ferr_oom(c->err);
        json_decref(e);
    }
    json_decref(seen);
    json_decref(g.arr);
    if (rc) {
        json_decref(all);
        return -1;
    }
    return orgsvc_page(c, in, all, "DelegatedAdministrators", out);
}

int organizations_op_list_delegated_services_for_account(call *c, json_t *in, json_t **out)
{
    json_t *org, *acct = NULL;
    gather g = {jstr(in, "AccountId"), NULL, NULL, 0};
    if (begin(c, "organizations:ListDelegatedServicesForAccount", &org)) return -1;
    json_decref(org);
    if (orgsvc_check_max(c, in, 20) || member(c, g.account, &acct)) return -1;
    json_decref(acct);
    if (gather_kind(c, "orgdelegate", &g)) return -1;
    if (!json_array_size(g.arr)) {
        json_decref(g.arr);
        return not_registered(c);
    }
    json_t *v;
    size_t i;
    json_array_foreach(g.arr, i, v) json_object_del(v, "AccountId");
    return orgsvc_page(c, in, g.arr, "DelegatedServices", out);
}
