/* Route 53 as Cloud Map calls it, through svc_invoke as the account: a private zone on the
 * account's VPC made with the internal-only LinkedService (shown as AWS shows zones a
 * service manages), and record sets changed in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/keys.h"
#include "engine/audit.h"
#include "svc/svc.h"
#include "fixture.h"

static char dir[256];
static ferry_env env;
static principal root;

#define ACCT "111122223333"

static int setup(void **st)
{
    (void)st;
    assert_int_equal(fixture_env_open(&env, dir, sizeof(dir), "route53-test"), 0);
    keys_root_principal(ACCT, &root);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_env_close(&env, dir);
}

static json_t *ok(const char *svc, const char *op, json_t *in)
{
    json_t *out = NULL;
    ferr e = {0};
    int rc = svc_invoke(&env, &root, "us-east-1", svc, op, in, &out, NULL, &e);
    json_decref(in);
    if (rc) fail_msg("%s: %s %s", op, e.code, e.message);
    return out ? out : json_object();
}

static void test_linked_private_zone(void **st)
{
    (void)st;
    json_t *v = ok("ec2", "CreateVpc", json_pack("{s:s}", "CidrBlock", "10.0.0.0/16"));
    const char *vpc = json_string_value(json_object_get(json_object_get(v, "Vpc"), "VpcId"));
    assert_non_null(vpc);
    json_t *z =
        ok("route53", "CreateHostedZone",
           json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:b}, s:{s:s, s:s}}", "Name", "ns.internal",
                     "CallerReference", "op-1", "VPC", "VPCRegion", "us-east-1", "VPCId", vpc,
                     "HostedZoneConfig", "PrivateZone", 1, "LinkedService", "ServicePrincipal",
                     "servicediscovery.amazonaws.com", "Description", "ns-1"));
    const char *id = json_string_value(json_object_get(json_object_get(z, "HostedZone"), "Id"));
    assert_non_null(id);
    id = strrchr(id, '/') + 1; /* as the SDKs send it */
    json_t *got = ok("route53", "GetHostedZone", json_pack("{s:s}", "Id", id));
    const json_t *ls = json_object_get(json_object_get(got, "HostedZone"), "LinkedService");
    assert_string_equal(json_string_value(json_object_get(ls, "ServicePrincipal")),
                        "servicediscovery.amazonaws.com");
    json_decref(ok("route53", "ChangeResourceRecordSets",
                   json_pack("{s:s, s:{s:[{s:s, s:{s:s, s:s, s:i, s:[{s:s}]}}]}}", "HostedZoneId",
                             id, "ChangeBatch", "Changes", "Action", "UPSERT", "ResourceRecordSet",
                             "Name", "svc.ns.internal", "Type", "A", "TTL", 60, "ResourceRecords",
                             "Value", "10.0.0.7")));
    json_t *by = ok("route53", "ListHostedZonesByVPC",
                    json_pack("{s:s, s:s}", "VPCId", vpc, "VPCRegion", "us-east-1"));
    const json_t *s0 = json_array_get(json_object_get(by, "HostedZoneSummaries"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(s0, "Owner"), "OwningService")),
        "servicediscovery.amazonaws.com");
    json_decref(by);
    json_decref(got);
    json_decref(z);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linked_private_zone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
