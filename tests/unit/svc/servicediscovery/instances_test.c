/* sd_instances and sd_revision (src/svc/servicediscovery/servicediscovery.h), what App Mesh
 * reads Cloud Map through: a namespace found by its HTTP name in any case, a service by its
 * name in it, the instances with their health (UNKNOWN for a service without health
 * checks), filtered by query parameters; AWS's not-found errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"
#include "svc/servicediscovery/servicediscovery.h"
#include "svc/servicediscovery/servicediscovery_int.h"

static const char *const ACCT = "111122223333", *const REGION = "us-east-1";

static void put(store_txn *t, const char *kind, const char *id, const char *doc)
{
    ferr e = {0};
    json_t *d = json_loads(doc, 0, NULL);
    assert_non_null(d);
    store_key k = {kind, ACCT, REGION, id};
    assert_int_equal(store_put(t, &k, d, &e), 0);
    json_decref(d);
}

static store *fill(char *dir, size_t n)
{
    store *st = fixture_store_open(dir, n, "sd");
    assert_non_null(st);
    store_txn *t;
    ferr e = {0};
    assert_int_equal(store_begin(st, 1, &t, &e), 0);
    put(t, SD_NS_KIND, "ns-1",
        "{\"Id\":\"ns-1\",\"Name\":\"internal-Domain1.com\",\"Type\":\"DNS_PRIVATE\","
        "\"Properties\":{\"HttpProperties\":{\"HttpName\":\"internal-Domain1.com\"}}}");
    put(t, SD_NSNAME_KIND, "internal-domain1.com", "{\"Id\":\"ns-1\"}");
    put(t, SD_SVC_KIND, "srv-a",
        "{\"Id\":\"srv-a\",\"Name\":\"ServiceB\",\"NamespaceId\":\"ns-1\",\"Revision\":7,"
        "\"HealthCheckCustomConfig\":{\"FailureThreshold\":1}}");
    put(t, SD_SVCNAME_KIND, "ns-1/ServiceB", "{\"Id\":\"srv-a\"}");
    put(t, SD_SVC_KIND, "srv-b", "{\"Id\":\"srv-b\",\"Name\":\"plain\",\"NamespaceId\":\"ns-1\"}");
    put(t, SD_SVCNAME_KIND, "ns-1/plain", "{\"Id\":\"srv-b\"}");
    put(t, SD_INST_KIND, "srv-a/cell1",
        "{\"Id\":\"cell1\",\"Health\":\"HEALTHY\",\"Attributes\":{\"AWS_INSTANCE_IPV4\":"
        "\"127.0.0.1\",\"AWS_INSTANCE_PORT\":\"8081\",\"cell\":\"1\"}}");
    put(t, SD_INST_KIND, "srv-a/cell2",
        "{\"Id\":\"cell2\",\"Health\":\"UNHEALTHY\",\"Attributes\":{\"AWS_INSTANCE_IPV4\":"
        "\"127.0.0.1\",\"AWS_INSTANCE_PORT\":\"8082\",\"cell\":\"2\"}}");
    put(t, SD_INST_KIND, "srv-b/x", "{\"Id\":\"x\",\"Health\":\"HEALTHY\",\"Attributes\":{}}");
    assert_int_equal(store_commit(t, &e), 0);
    return st;
}

static void reads_instances(void **state)
{
    (void)state;
    char dir[64];
    store *st = fill(dir, sizeof(dir));
    store_txn *t;
    ferr e = {0};
    arena *a = arena_new(4096);
    assert_int_equal(store_begin(st, 0, &t, &e), 0);
    json_t *out = NULL;
    assert_int_equal(
        sd_instances(t, a, ACCT, REGION, "INTERNAL-domain1.com", "ServiceB", NULL, &out, &e), 0);
    assert_int_equal(json_array_size(out), 2);
    json_t *i0 = json_array_get(out, 0), *i1 = json_array_get(out, 1);
    assert_string_equal(jstr(i0, "InstanceId"), "cell1");
    assert_string_equal(jstr(i0, "NamespaceName"), "internal-Domain1.com");
    assert_string_equal(jstr(i0, "ServiceName"), "ServiceB");
    assert_string_equal(jstr(i0, "HealthStatus"), "HEALTHY");
    assert_string_equal(jstr(i1, "HealthStatus"), "UNHEALTHY");
    assert_string_equal(jstr(json_object_get(i1, "Attributes"), "AWS_INSTANCE_PORT"), "8082");
    json_decref(out);

    json_t *q = json_pack("{s:s}", "cell", "2");
    assert_int_equal(
        sd_instances(t, a, ACCT, REGION, "internal-domain1.com.", "ServiceB", q, &out, &e), 0);
    assert_int_equal(json_array_size(out), 1);
    assert_string_equal(jstr(json_array_get(out, 0), "InstanceId"), "cell2");
    json_decref(out);
    json_decref(q);

    /* no health checks: UNKNOWN */
    assert_int_equal(
        sd_instances(t, a, ACCT, REGION, "internal-domain1.com", "plain", NULL, &out, &e), 0);
    assert_string_equal(jstr(json_array_get(out, 0), "HealthStatus"), "UNKNOWN");
    json_decref(out);

    long long rev = 0;
    assert_int_equal(sd_revision(t, ACCT, REGION, "internal-domain1.com", "ServiceB", &rev, &e), 0);
    assert_int_equal(rev, 7);

    assert_int_equal(sd_instances(t, a, ACCT, REGION, "nope.com", "ServiceB", NULL, &out, &e), -1);
    assert_string_equal(e.code, "NamespaceNotFound");
    assert_null(out);
    assert_int_equal(
        sd_instances(t, a, ACCT, REGION, "internal-domain1.com", "servicex", NULL, &out, &e), -1);
    assert_string_equal(e.code, "ServiceNotFound");
    assert_int_equal(sd_instances(t, a, "999999999999", REGION, "internal-domain1.com", "ServiceB",
                                  NULL, &out, &e),
                     -1);
    assert_string_equal(e.code, "NamespaceNotFound");
    store_rollback(t);
    arena_free(a);
    assert_int_equal(fixture_store_close(st, dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
