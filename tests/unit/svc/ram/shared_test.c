/* src/svc/ram/shared.c: who a share reaches (ram_shared_with, ram_each_shared), through
 * account, organization and OU principals, only when the share is ACTIVE and both the
 * resource and the principal are ASSOCIATED; and the ARN reader under it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"
#include "svc/organizations/organizations.h"
#include "svc/ram/ram_int.h"

static char dir[256];
static store *S;

static int setup(void **st)
{
    (void)st;
    S = fixture_store_open(dir, sizeof(dir), "ram-test");
    return S ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_store_close(S, dir);
}

#define OWNER  "111111111111"
#define MEMBER "222222222222"
#define IN_OU  "333333333333"
#define AWAY   "444444444444"
#define SUBNET "arn:aws:ec2:us-east-1:" OWNER ":subnet/subnet-0123456789abcdef0"
#define MESH   "arn:aws:appmesh:us-east-1:" OWNER ":mesh/m"

static void put_share(store_txn *t, const char *id, const char *status, json_t *resources,
                      json_t *principals)
{
    ferr e = {0};
    char arn[128];
    snprintf(arn, sizeof(arn), "arn:aws:ram:us-east-1:%s:resource-share/%s", OWNER, id);
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:o, s:o}", "resourceShareArn", arn, "owningAccountId", OWNER,
                  "status", status, "resources", resources, "principals", principals);
    store_key k = {RAM_SHARE_KIND, OWNER, "us-east-1", id};
    assert_int_equal(store_put(t, &k, d, &e), 0);
    json_decref(d);
}

static json_t *res(const char *arn, const char *type, const char *status)
{
    return json_pack("{s:{s:s, s:s}}", arn, "type", type, "status", status);
}

static int collect(void *ud, const char *arn)
{
    return json_array_append_new(ud, json_string(arn));
}

static json_t *each(store_txn *t, const char *account, const char *type)
{
    ferr e = {0};
    json_t *l = json_array();
    assert_int_equal(ram_each_shared(t, account, type, collect, l, &e), 0);
    return l;
}

static void test_reach(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, 1, &t, &e), 0);
    json_t *org = NULL, *a = NULL, *ou = NULL;
    assert_int_equal(org_create(t, "us-east-1", OWNER, "owner", "o@example.com", &org, &e), 0);
    const char *root = jstr(json_object_get(org, "Root"), "Id");
    assert_int_equal(org_add_account(t, org, "member", "m@example.com", root, MEMBER, &a, &e), 0);
    json_decref(a);
    assert_int_equal(org_add_ou(t, org, root, "Shared", &ou, &e), 0);
    assert_int_equal(
        org_add_account(t, org, "inou", "i@example.com", jstr(ou, "Id"), IN_OU, &a, &e), 0);
    json_decref(a);

    /* nothing shared yet */
    assert_int_equal(ram_shared_with(t, SUBNET, MEMBER, &e), 0);
    /* a share to MEMBER (accepted) of the subnet, and one to the OU of the mesh */
    put_share(t, "s1", "ACTIVE", res(SUBNET, "ec2:Subnet", "ASSOCIATED"),
              json_pack("{s:{s:s}}", MEMBER, "status", "ASSOCIATED"));
    put_share(t, "s2", "ACTIVE", res(MESH, "appmesh:Mesh", "ASSOCIATED"),
              json_pack("{s:{s:s}}", jstr(ou, "Arn"), "status", "ASSOCIATED"));
    assert_int_equal(ram_shared_with(t, SUBNET, MEMBER, &e), 1);
    assert_int_equal(ram_shared_with(t, SUBNET, IN_OU, &e), 0);
    assert_int_equal(ram_shared_with(t, MESH, IN_OU, &e), 1);
    assert_int_equal(ram_shared_with(t, MESH, MEMBER, &e), 0);
    assert_int_equal(ram_shared_with(t, SUBNET, OWNER, &e), 0); /* owned, not shared */
    assert_int_equal(ram_shared_with(t, "not an arn", MEMBER, &e), 0);

    /* the organization: everyone in it, not an account outside it */
    put_share(t, "s3", "ACTIVE", res(MESH, "appmesh:Mesh", "ASSOCIATED"),
              json_pack("{s:{s:s}}", jstr(org, "Arn"), "status", "ASSOCIATED"));
    assert_int_equal(ram_shared_with(t, MESH, MEMBER, &e), 1);
    assert_int_equal(ram_shared_with(t, MESH, AWAY, &e), 0);

    /* pending invitations, deleted shares and disassociated resources reach nobody */
    put_share(t, "s4", "ACTIVE", res(SUBNET, "ec2:Subnet", "ASSOCIATED"),
              json_pack("{s:{s:s}}", AWAY, "status", "ASSOCIATING"));
    assert_int_equal(ram_shared_with(t, SUBNET, AWAY, &e), 0);
    put_share(t, "s4", "DELETED", res(SUBNET, "ec2:Subnet", "ASSOCIATED"),
              json_pack("{s:{s:s}}", AWAY, "status", "ASSOCIATED"));
    assert_int_equal(ram_shared_with(t, SUBNET, AWAY, &e), 0);
    put_share(t, "s4", "ACTIVE", res(SUBNET, "ec2:Subnet", "DISASSOCIATED"),
              json_pack("{s:{s:s}}", AWAY, "status", "ASSOCIATED"));
    assert_int_equal(ram_shared_with(t, SUBNET, AWAY, &e), 0);

    /* each resource once, by type */
    json_t *l = each(t, MEMBER, "appmesh:Mesh");
    assert_int_equal(json_array_size(l), 1);
    assert_string_equal(json_string_value(json_array_get(l, 0)), MESH);
    json_decref(l);
    l = each(t, MEMBER, "ec2:Subnet");
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    l = each(t, AWAY, "ec2:Subnet");
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
    l = each(t, OWNER, "appmesh:Mesh"); /* an owner's own shares are not shared with it */
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);

    json_decref(ou);
    json_decref(org);
    store_rollback(t);
}

static void test_arn_owner(void **st)
{
    (void)st;
    char owner[13], region[32];
    assert_int_equal(ram_arn_owner(SUBNET, owner, region), 0);
    assert_string_equal(owner, OWNER);
    assert_string_equal(region, "us-east-1");
    assert_int_equal(ram_arn_owner("arn:aws:iam::123456789012:role/x", owner, region), -1);
    assert_int_equal(ram_arn_owner("arn:aws:ec2:us-east-1:12345:subnet/x", owner, region), -1);
    assert_int_equal(ram_arn_owner("arn:aws:ec2:us-east-1:123456789012:", owner, region), -1);
    assert_int_equal(ram_arn_owner("arn:aws:ec2", owner, region), -1);
    assert_int_equal(ram_arn_owner("", owner, region), -1);
    assert_int_equal(ram_arn_owner(NULL, owner, region), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reach),
        cmocka_unit_test(test_arn_owner),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
