/* src/svc/organizations/scp.c: attachments and org_authz (layers root -> OUs -> account,
 * the management account's exemption, aws:PrincipalOrgPaths), evaluated with the engine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "auth/keys.h"
#include "svc/authz.h"
#include "svc/organizations/organizations.h"
#include "svc/organizations/scp.h"

static char dir[256];
static store *S;

static int setup(void **st)
{
    (void)st;
    S = fixture_store_open(dir, sizeof(dir), "scp-test");
    return S ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_store_close(S, dir);
}

/* Decides action for the root user of account with the org facts org_authz gives. */
static int decide(store_txn *t, const char *account, const char *action, authz_org *out, arena *a)
{
    ferr e = {0};
    call c = {.a = a, .txn = t, .err = &e};
    assert_int_equal(org_authz(&c, account, out), 0);
    principal who;
    keys_root_principal(account, &who);
    iam_request q;
    memset(&q, 0, sizeof(q));
    q.principal = &who;
    q.is_root = 1;
    q.action = action;
    q.scp_layers = out->scp_layers;
    q.nscp_layers = out->nlayers;
    q.scp_exempt = out->exempt;
    q.org_id = out->org_id;
    q.org_paths = out->paths;
    q.norg_paths = out->npaths;
    iam_result r;
    return iam_evaluate(&q, &r);
}

static void put_policy(store_txn *t, const char *id, const char *content)
{
    ferr e = {0};
    json_t *p =
        json_pack("{s:{s:s, s:s, s:s}, s:s}", "PolicySummary", "Id", id, "Type", ORG_SCP, "Arn",
                  "arn:aws:organizations::111111111111:policy/x", "Content", content);
    store_key k = {"orgpolicy", "", "", id};
    assert_int_equal(store_put(t, &k, p, &e), 0);
    json_decref(p);
}

static void test_layers_paths_and_exemption(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, 1, &t, &e), 0);
    json_t *org = NULL, *ou = NULL, *inner = NULL, *acct = NULL;
    assert_int_equal(org_create(t, "us-east-1", "111111111111", "mgmt", "m@example.com", &org, &e),
                     0);
    const char *root = jstr(json_object_get(org, "Root"), "Id"), *oid = jstr(org, "Id");
    assert_int_equal(org_add_ou(t, org, root, "Workloads", &ou, &e), 0);
    assert_int_equal(org_add_ou(t, org, jstr(ou, "Id"), "Dev", &inner, &e), 0);
    assert_int_equal(org_add_account(t, org, "dev", "d@example.com", jstr(inner, "Id"),
                                     "222222222222", &acct, &e),
                     0);
    json_decref(acct);
    assert_int_equal(
        org_add_account(t, org, "top", "t@example.com", root, "333333333333", &acct, &e), 0);
    json_decref(acct);

    arena *a = arena_new(4096);
    authz_org out;
    /* not in the organization: nothing */
    assert_int_equal(decide(t, "999999999999", "s3:GetObject", &out, a), IAM_ALLOW);
    assert_null(out.org_id);
    assert_int_equal(out.nlayers, 0);
    /* SCPs not enabled: org facts, no layers */
    assert_int_equal(decide(t, "222222222222", "s3:GetObject", &out, a), IAM_ALLOW);
    assert_string_equal(out.org_id, oid);
    assert_int_equal(out.npaths, 1);
    char want[256];
    snprintf(want, sizeof(want), "%s/%s/%s/%s/", oid, root, jstr(ou, "Id"), jstr(inner, "Id"));
    assert_string_equal(out.paths[0], want);
    assert_int_equal(out.nlayers, 0);
    assert_int_equal(decide(t, "333333333333", "s3:GetObject", &out, a), IAM_ALLOW);
    snprintf(want, sizeof(want), "%s/%s/", oid, root);
    assert_string_equal(out.paths[0], want);

    /* enable SCPs: FullAWSAccess everywhere, as EnablePolicyType does */
    json_array_append_new(json_object_get(json_object_get(org, "Root"), "PolicyTypes"),
                          json_pack("{s:s, s:s}", "Type", ORG_SCP, "Status", "ENABLED"));
    store_key ok = {"org", "", "", "org"};
    assert_int_equal(store_put(t, &ok, org, &e), 0);
    org_authz_changed(); /* a document changed outside the Organizations operations */
    assert_true(org_type_enabled(org, ORG_SCP));
    const char *targets[] = {root, jstr(ou, "Id"), jstr(inner, "Id"), "222222222222",
                             "333333333333"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(org_attach(t, targets[i], ORG_FULL_ACCESS_ID, ORG_SCP, &e), 0);
    assert_int_equal(org_attach(t, root, ORG_FULL_ACCESS_ID, ORG_SCP, &e), 1);
    assert_int_equal(decide(t, "222222222222", "s3:GetObject", &out, a), IAM_ALLOW);
    assert_int_equal(out.nlayers, 4); /* root, Workloads, Dev, the account */
    for (size_t i = 0; i < 4; i++) assert_int_equal(out.scp_layers[i].n, 1);

    /* a deny on the outer OU reaches the account two levels down, not the one at the top */
    put_policy(t, "p-denys3aa",
               "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\","
               "\"Action\":\"s3:*\",\"Resource\":\"*\"}}");
    assert_int_equal(org_attach(t, jstr(ou, "Id"), "p-denys3aa", ORG_SCP, &e), 0);
    assert_int_equal(decide(t, "222222222222", "s3:GetObject", &out, a), IAM_EXPLICIT_DENY);
    assert_int_equal(out.scp_layers[1].n, 2);
    assert_int_equal(decide(t, "222222222222", "sqs:SendMessage", &out, a), IAM_ALLOW);
    assert_int_equal(decide(t, "333333333333", "s3:GetObject", &out, a), IAM_ALLOW);
    /* never the management account, even from the root */
    assert_int_equal(org_attach(t, root, "p-denys3aa", ORG_SCP, &e), 0);
    assert_int_equal(decide(t, "111111111111", "s3:GetObject", &out, a), IAM_ALLOW);
    assert_true(out.exempt);
    assert_int_equal(decide(t, "333333333333", "s3:GetObject", &out, a), IAM_EXPLICIT_DENY);
    assert_int_equal(org_detach(t, root, "p-denys3aa", &e), 1);
    assert_int_equal(org_detach(t, root, "p-denys3aa", &e), 0);

    /* a level without an allow denies: Dev loses FullAWSAccess */
    assert_int_equal(org_detach(t, jstr(inner, "Id"), ORG_FULL_ACCESS_ID, &e), 1);
    assert_int_equal(decide(t, "222222222222", "sqs:SendMessage", &out, a), IAM_IMPLICIT_DENY);
    /* a stored document that no longer compiles grants nothing */
    put_policy(t, "p-brokenaa", "{not json");
    assert_int_equal(org_attach(t, jstr(inner, "Id"), "p-brokenaa", ORG_SCP, &e), 0);
    assert_int_equal(decide(t, "222222222222", "sqs:SendMessage", &out, a), IAM_IMPLICIT_DENY);
    assert_int_equal(out.scp_layers[2].n, 0);

    /* new OUs and accounts start with FullAWSAccess while SCPs are enabled */
    json_t *fresh = NULL, *ids = NULL;
    assert_int_equal(
        org_add_account(t, org, "new", "n@example.com", root, "444444444444", &fresh, &e), 0);
    assert_int_equal(org_attached(t, "444444444444", ORG_SCP, &ids, &e), 0);
    assert_int_equal(json_array_size(ids), 1);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), ORG_FULL_ACCESS_ID);
    json_decref(ids);
    json_decref(fresh);
    json_t *pol = NULL;
    assert_int_equal(org_policy_get(t, ORG_FULL_ACCESS_ID, &pol, &e), 1);
    assert_true(json_is_true(json_object_get(json_object_get(pol, "PolicySummary"), "AwsManaged")));
    json_decref(pol);
    assert_int_equal(org_policy_get(t, "p-missing1", &pol, &e), 0);

    arena_free(a);
    json_decref(inner);
    json_decref(ou);
    json_decref(org);
    store_rollback(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers_paths_and_exemption),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
