/* An ALB as a proxy sees it (src/svc/elbv2/render.c): listeners, rules in priority order
 * with the default route last, path/host/header matches, weighted groups with their healthy
 * ip targets (all of them when none is healthy, as AWS fails open), fixed responses and
 * redirects. The documents are stored as the service lays them out (elbv2_int.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../fixture.h"
#include "svc/elbv2/elbv2.h"
#include "svc/elbv2/elbv2_int.h"

#define ACCT "111111111111"
#define REG  "us-east-1"
#define PRE  "arn:aws:elasticloadbalancing:us-east-1:111111111111:"

static void put(store_txn *t, const char *kind, const char *id, const char *doc)
{
    json_error_t je;
    json_t *d = json_loads(doc, 0, &je);
    if (!d) fail_msg("bad test document %s: %s", id, je.text);
    store_key k = {kind, ACCT, REG, id};
    ferr e = {0};
    assert_int_equal(store_put(t, &k, d, &e), 0);
    json_decref(d);
}

static void test_render(void **state)
{
    (void)state;
    char dir[256];
    store *s = fixture_store_open(dir, sizeof(dir), "elbv2-render");
    assert_non_null(s);
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    put(t, EL_LB, "web",
        "{\"LoadBalancerArn\": \"" PRE "loadbalancer/app/web/aaaa\", \"LoadBalancerName\": "
        "\"web\", \"DNSName\": \"web-1.us-east-1.elb.amazonaws.com\", \"Scheme\": "
        "\"internet-facing\", \"_id\": \"aaaa\"}");
    put(t, EL_TG, "blue",
        "{\"TargetGroupArn\": \"" PRE "targetgroup/blue/b1\", \"_id\": \"b1\", \"TargetType\": "
        "\"ip\", \"Targets\": [{\"Id\": \"127.0.0.1\", \"Port\": 8001, \"_state\": \"healthy\"},"
        "{\"Id\": \"127.0.0.2\", \"Port\": 8002, \"_state\": \"unhealthy\"},"
        "{\"Id\": \"127.0.0.3\", \"Port\": 8003, \"_state\": \"draining\"}]}");
    put(t, EL_TG, "green",
        "{\"TargetGroupArn\": \"" PRE "targetgroup/green/g1\", \"_id\": \"g1\", \"TargetType\": "
        "\"ip\", \"Targets\": [{\"Id\": \"127.0.0.4\", \"Port\": 8004, \"_state\": \"unhealthy\"},"
        "{\"Id\": \"127.0.0.5\", \"Port\": 8005, \"_state\": \"draining\"}]}");
    put(t, EL_LS, "app/web/aaaa/l1",
        "{\"ListenerArn\": \"" PRE "listener/app/web/aaaa/l1\", \"Port\": 80, \"Protocol\": "
        "\"HTTP\", \"DefaultActions\": [{\"Type\": \"forward\", \"ForwardConfig\": "
        "{\"TargetGroups\": [{\"TargetGroupArn\": \"" PRE "targetgroup/blue/b1\", \"Weight\": "
        "80}, {\"TargetGroupArn\": \"" PRE "targetgroup/green/g1\", \"Weight\": 20}]}}]}");
    put(t, EL_RULE, "app/web/aaaa/l1/r10",
        "{\"Priority\": \"10\", \"Conditions\": [{\"Field\": \"path-pattern\", \"Values\": "
        "[\"/api/*\"]}], \"Actions\": [{\"Type\": \"redirect\", \"RedirectConfig\": "
        "{\"Protocol\": \"HTTPS\", \"Port\": \"443\", \"Host\": \"#{host}\", \"Path\": "
        "\"/#{path}\", \"Query\": \"#{query}\", \"StatusCode\": \"HTTP_301\"}}]}");
    put(t, EL_RULE, "app/web/aaaa/l1/r2",
        "{\"Priority\": \"2\", \"Conditions\": [{\"Field\": \"host-header\", \"Values\": "
        "[\"a.example.com\"]}, {\"Field\": \"http-header\", \"HttpHeaderConfig\": "
        "{\"HttpHeaderName\": \"X-Cell\", \"Values\": [\"2\"]}}], \"Actions\": [{\"Type\": "
        "\"fixed-response\", \"FixedResponseConfig\": {\"StatusCode\": \"503\", \"MessageBody\": "
        "\"down\"}}]}");
    assert_int_equal(store_commit(t, &e), 0);

    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    json_t *out = NULL;
    assert_int_equal(elbv2_render(t, ACCT, REG, PRE "loadbalancer/app/web/aaaa", &out, &e), 1);
    const char *want =
        "{\"name\": \"web\", \"dns_name\": \"web-1.us-east-1.elb.amazonaws.com\", \"scheme\": "
        "\"internet-facing\", \"listeners\": [{\"port\": 80, \"protocol\": \"HTTP\", \"routes\": ["
        "{\"priority\": 2, \"match\": {\"paths\": [], \"hosts\": [\"a.example.com\"], "
        "\"headers\": [{\"name\": \"X-Cell\", \"values\": [\"2\"]}]}, \"action\": {\"type\": "
        "\"fixed\", \"status\": 503, \"content_type\": \"text/plain\", \"body\": \"down\"}},"
        "{\"priority\": 10, \"match\": {\"paths\": [\"/api/*\"], \"hosts\": [], \"headers\": []},"
        " \"action\": {\"type\": \"redirect\", \"status\": 301, \"protocol\": \"HTTPS\", "
        "\"host\": \"#{host}\", \"port\": \"443\", \"path\": \"/#{path}\", \"query\": "
        "\"#{query}\"}},"
        "{\"priority\": 0, \"match\": {\"paths\": [], \"hosts\": [], \"headers\": []}, "
        "\"action\": {\"type\": \"forward\", \"targets\": ["
        "{\"weight\": 80, \"endpoints\": [{\"host\": \"127.0.0.1\", \"port\": 8001}]},"
        "{\"weight\": 20, \"endpoints\": [{\"host\": \"127.0.0.4\", \"port\": 8004}]}]}}]}]}";
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    if (!json_equal(out, w)) {
        char *got = json_dumps(out, JSON_SORT_KEYS);
        fail_msg("rendered %s", got);
    }
    json_decref(w);
    json_decref(out);

    /* another load balancer id under the name, another account: not found */
    assert_int_equal(elbv2_render(t, ACCT, REG, PRE "loadbalancer/app/web/bbbb", &out, &e), 0);
    assert_int_equal(
        elbv2_render(t, "222222222222", REG, PRE "loadbalancer/app/web/aaaa", &out, &e), 0);
    assert_int_equal(elbv2_render(t, ACCT, REG, "nonsense", &out, &e), 0);
    store_rollback(t);
    assert_int_equal(fixture_store_close(s, dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
