/* The delivery engine's pure parts: delivery policies (phases, backoff, validation with
 * AWS's wording), the signing certificate (created once per data directory, kept),
 * AWS's string to sign and signatures, and the envelopes endpoints receive. */
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
#include "engine/delivery_int.h"
#include "engine/delivery_policy.h"
#include "engine/delivery_sign.h"

static void test_policy_phases(void **state)
{
    (void)state;
    delivery_policy p;
    delivery_policy_http_default(&p);
    /* AWS's HTTP default: three retries 20 seconds apart */
    assert_true(delivery_policy_delay(&p, 1) == 20);
    assert_true(delivery_policy_delay(&p, 3) == 20);
    assert_true(delivery_policy_delay(&p, 4) < 0);
    assert_string_equal(p.content_type, "text/plain; charset=UTF-8");

    delivery_policy_managed(&p);
    /* 3 immediate, 2 at the minimum, 10 backing off to 20, then 20 apart */
    assert_true(delivery_policy_delay(&p, 1) == 0);
    assert_true(delivery_policy_delay(&p, 3) == 0);
    assert_true(delivery_policy_delay(&p, 4) == 1);
    assert_true(delivery_policy_delay(&p, 5) == 1);
    double prev = 1;
    for (int i = 6; i <= 15; i++) {
        double d = delivery_policy_delay(&p, i);
        assert_true(d >= prev && d <= 20);
        prev = d;
    }
    assert_true(delivery_policy_delay(&p, 15) == 20);
    assert_true(delivery_policy_delay(&p, 100015) == 20);
    assert_true(delivery_policy_delay(&p, 100016) < 0);

    const char *sub = "{\"healthyRetryPolicy\":{\"numRetries\":6,\"numNoDelayRetries\":2,"
                      "\"numMinDelayRetries\":1,\"numMaxDelayRetries\":1,\"minDelayTarget\":2,"
                      "\"maxDelayTarget\":10,\"backoffFunction\":\"linear\"},"
                      "\"requestPolicy\":{\"headerContentType\":\"application/json\"},"
                      "\"throttlePolicy\":{\"maxReceivesPerSecond\":5}}";
    delivery_policy_effective(NULL, sub, &p);
    assert_true(delivery_policy_delay(&p, 1) == 0);
    assert_true(delivery_policy_delay(&p, 2) == 0);
    assert_true(delivery_policy_delay(&p, 3) == 2);
    assert_true(delivery_policy_delay(&p, 4) == 6); /* backoff: 2 steps from 2 to 10 */
    assert_true(delivery_policy_delay(&p, 5) == 10);
    assert_true(delivery_policy_delay(&p, 6) == 10); /* post-backoff */
    assert_true(delivery_policy_delay(&p, 7) < 0);
    assert_string_equal(p.content_type, "application/json");
    assert_int_equal(p.max_per_second, 5);

    /* the topic's defaults apply unless the subscription overrides them, and overrides
     * can be switched off */
    const char *topic =
        "{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":1,\"minDelayTarget\":5,"
        "\"maxDelayTarget\":5},\"disableSubscriptionOverrides\":true}}";
    delivery_policy_effective(topic, sub, &p);
    assert_int_equal(p.num_retries, 1);
    assert_true(delivery_policy_delay(&p, 1) == 5);
    delivery_policy_effective(topic, NULL, &p);
    assert_int_equal(p.num_retries, 1);

    const char *geo =
        "{\"healthyRetryPolicy\":{\"numRetries\":4,\"minDelayTarget\":1,\"maxDelayTarget\":16,"
        "\"backoffFunction\":\"geometric\"}}";
    delivery_policy_effective(NULL, geo, &p);
    assert_true(delivery_policy_delay(&p, 4) > 15.9 && delivery_policy_delay(&p, 4) < 16.1);
    assert_true(delivery_policy_delay(&p, 2) > 3.9 && delivery_policy_delay(&p, 2) < 4.1);
}

static void test_policy_validation(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int topic;
        const char *msg; /* NULL: valid */
    } cases[] = {
        {"{\"healthyRetryPolicy\":{\"numRetries\":5}}", 0, NULL},
        {"{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":3},"
         "\"disableSubscriptionOverrides\":false}}",
         1, NULL},
        {"{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":101}}}", 1,
         "Invalid parameter: DeliveryPolicy: http.defaultHealthyRetryPolicy.numRetries must be "
         "less than or equal to 100"},
        {"{\"healthyRetryPolicy\":{\"minDelayTarget\":0}}", 0,
         "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be greater "
         "than or equal to 1"},
        {"{\"healthyRetryPolicy\":{\"minDelayTarget\":30,\"maxDelayTarget\":10}}", 0,
         "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.minDelayTarget must be less than "
         "or equal to maxDelayTarget"},
        {"{\"throttle\":{}}", 0,
         "Invalid parameter: DeliveryPolicy: Unexpected JSON member: throttle"},
        {"{\"http\":{\"throttlePolicy\":{}}}", 1,
         "Invalid parameter: DeliveryPolicy: Unexpected JSON member: throttlePolicy"},
        {"{\"healthyRetryPolicy\":{\"backoffFunction\":\"cubic\"}}", 0,
         "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.backoffFunction must be one of "
         "linear, arithmetic, geometric, exponential"},
        {"{\"healthyRetryPolicy\":{\"numRetries\":100,\"minDelayTarget\":3600,\"maxDelayTarget\":"
         "3600}}",
         0,
         "Invalid parameter: DeliveryPolicy: healthyRetryPolicy total retry time must be less than "
         "or equal to 3600"},
        {"{\"requestPolicy\":{\"headerContentType\":\"image/png\"}}", 0,
         "Invalid parameter: DeliveryPolicy: requestPolicy.headerContentType is not supported"},
        {"nope", 0, "Invalid parameter: DeliveryPolicy: failed to parse JSON"},
        {"{\"healthyRetryPolicy\":{\"numRetries\":1,\"numNoDelayRetries\":2}}", 0,
         "Invalid parameter: DeliveryPolicy: healthyRetryPolicy.numRetries must be greater than or "
         "equal to the sum"},
        {"", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ferr e = {0};
        int rc = delivery_policy_validate(cases[i].doc, cases[i].topic, &e);
        if (!cases[i].msg) {
            if (rc) fprintf(stderr, "case %zu: %s\n", i, e.message);
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, -1);
        if (strncmp(e.message, cases[i].msg, strlen(cases[i].msg)))
            fprintf(stderr, "case %zu: %s\n", i, e.message);
        assert_memory_equal(e.message, cases[i].msg, strlen(cases[i].msg));
        assert_string_equal(e.code, "InvalidParameter");
    }
    char *eff = delivery_policy_topic_effective_json(NULL);
    assert_non_null(strstr(eff, "\"numRetries\":3"));
    assert_non_null(strstr(eff, "\"disableSubscriptionOverrides\":false"));
    free(eff);
}

static void test_string_to_sign(void **state)
{
    (void)state;
    json_t *n =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Type", "Notification", "MessageId", "m1",
                  "TopicArn", "arn:aws:sns:us-east-1:111122223333:t", "Message", "hi\nthere",
                  "Timestamp", "2026-01-01T00:00:00.000Z", "Subject", "s", "SignatureVersion", "1");
    char *s = delivery_string_to_sign(n);
    assert_string_equal(
        s, "Message\nhi\nthere\nMessageId\nm1\nSubject\ns\nTimestamp\n2026-01-01T00:00:00.000Z\n"
           "TopicArn\narn:aws:sns:us-east-1:111122223333:t\nType\nNotification\n");
    free(s);
    json_object_del(n, "Subject"); /* only signed when the publisher gave one */
    s = delivery_string_to_sign(n);
    assert_null(strstr(s, "Subject"));
    free(s);
    json_decref(n);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Type", "SubscriptionConfirmation",
                          "MessageId", "m2", "Token", "tok", "TopicArn", "arn:t", "Message", "m",
                          "SubscribeURL", "http://x/c", "Timestamp", "t");
    s = delivery_string_to_sign(c);
    assert_string_equal(
        s, "Message\nm\nMessageId\nm2\nSubscribeURL\nhttp://x/c\nTimestamp\nt\nToken\ntok\n"
           "TopicArn\narn:t\nType\nSubscriptionConfirmation\n");
    free(s);
    json_decref(c);
}

static char dir[256];

static int setup_store(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/ferry-dlvtest-XXXXXX");
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    store *st = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(st);
    *state = st;
    return 0;
}

static int teardown_store(void **state)
{
    store_close(*state);
    return fixture_rmdir(dir) == 0 ? 0 : -1;
}

static void test_signer_kept_and_signatures(void **state)
{
    store *st = *state;
    ferr e = {0};
    delivery_signer *a = delivery_signer_load(st, &e);
    assert_non_null(a);
    delivery_signer *b = delivery_signer_load(st, &e); /* the same certificate, from the store */
    assert_non_null(b);
    assert_string_equal(delivery_signer_cert_pem(a), delivery_signer_cert_pem(b));
    assert_non_null(strstr(delivery_signer_cert_pem(a), "-----BEGIN CERTIFICATE-----"));
    const char *data = "Message\nhello\n";
    for (int v = 1; v <= 2; v++) {
        char *sig = delivery_sign(a, v, data, strlen(data));
        assert_non_null(sig);
        assert_true(delivery_verify(b, v, data, strlen(data), sig));
        assert_false(delivery_verify(b, v, "Message\nhellO\n", strlen(data), sig));
        assert_false(delivery_verify(b, v == 1 ? 2 : 1, data, strlen(data), sig));
        free(sig);
    }
    delivery_signer_free(a);
    delivery_signer_free(b);
}

static void test_envelopes(void **state)
{
    store *st = *state;
    ferr e = {0};
    delivery_signer *sg = delivery_signer_load(st, &e);
    assert_non_null(sg);
    json_t *msg =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s}}}", "Type", "Notification",
                  "MessageId", "m1", "TopicArn", "arn:aws:sns:us-east-1:111122223333:t", "Message",
                  "{\"default\":\"d\",\"sqs\":\"for sqs\"}", "MessageStructure", "json",
                  "Timestamp", "2026-01-01T00:00:00.000Z", "SignatureVersion", "2",
                  "MessageAttributes", "a", "DataType", "String", "StringValue", "v");
    dlv d;
    memset(&d, 0, sizeof(d));
    d.mc = msgctx_new(msg);
    d.sub_arn = "arn:aws:sns:us-east-1:111122223333:t:u-1";
    snprintf(d.proto, sizeof(d.proto), "sqs");
    int raw = 1;
    char *body = delivery_body(sg, "http://h:1", &d, &raw);
    assert_int_equal(raw, 0);
    json_error_t je;
    json_t *env = json_loads(body, 0, &je);
    assert_non_null(env);
    assert_string_equal(json_string_value(json_object_get(env, "Message")), "for sqs");
    assert_string_equal(json_string_value(json_object_get(env, "SigningCertURL")),
                        "http://h:1/_ferry/sns/cert.pem");
    assert_string_equal(json_string_value(json_object_get(env, "UnsubscribeURL")),
                        "http://h:1/_ferry/sns/unsubscribe?Action=Unsubscribe&SubscriptionArn="
                        "arn%3Aaws%3Asns%3Aus-east-1%3A111122223333%3At%3Au-1");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(env, "MessageAttributes"), "a"), "Type")),
        "String");
    char *sts = delivery_string_to_sign(env);
    assert_true(delivery_verify(sg, 2, sts, strlen(sts),
                                json_string_value(json_object_get(env, "Signature"))));
    free(sts);
    json_decref(env);
    free(body);
    /* HTTP gets the default text; raw delivery gives the text alone */
    snprintf(d.proto, sizeof(d.proto), "http");
    d.raw = 1;
    body = delivery_body(sg, "http://h:1", &d, &raw);
    assert_int_equal(raw, 1);
    assert_string_equal(body, "d");
    free(body);
    char *ev = delivery_lambda_event(sg, "http://h:1", &d);
    json_t *evj = json_loads(ev, 0, &je);
    json_t *sns = json_object_get(json_array_get(json_object_get(evj, "Records"), 0), "Sns");
    assert_string_equal(json_string_value(json_object_get(sns, "Message")), "d");
    assert_true(json_is_null(json_object_get(sns, "Subject")));
    json_decref(evj);
    free(ev);
    json_t *sa = delivery_sqs_attributes(d.mc->doc);
    assert_string_equal(json_string_value(json_object_get(json_object_get(sa, "a"), "StringValue")),
                        "v");
    json_decref(sa);
    msgctx_unref(d.mc);

    /* a confirmation carries its SubscribeURL and is signed over it */
    json_t *conf = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Type", "SubscriptionConfirmation", "MessageId",
        "m2", "TopicArn", "arn:aws:sns:us-east-1:111122223333:t", "Message", "confirm", "Timestamp",
        "2026-01-01T00:00:00.000Z", "SignatureVersion", "1", "Token", "abc");
    memset(&d, 0, sizeof(d));
    d.mc = msgctx_new(conf);
    d.sub_arn = "arn:aws:sns:us-east-1:111122223333:t:u-1";
    snprintf(d.proto, sizeof(d.proto), "https");
    body = delivery_body(sg, "http://h:1", &d, &raw);
    env = json_loads(body, 0, &je);
    assert_string_equal(json_string_value(json_object_get(env, "SubscribeURL")),
                        "http://h:1/_ferry/sns/confirm?Action=ConfirmSubscription&TopicArn="
                        "arn%3Aaws%3Asns%3Aus-east-1%3A111122223333%3At&Token=abc");
    assert_null(json_object_get(env, "UnsubscribeURL"));
    sts = delivery_string_to_sign(env);
    assert_true(delivery_verify(sg, 1, sts, strlen(sts),
                                json_string_value(json_object_get(env, "Signature"))));
    free(sts);
    json_decref(env);
    free(body);
    msgctx_unref(d.mc);
    delivery_signer_free(sg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_phases),
        cmocka_unit_test(test_policy_validation),
        cmocka_unit_test(test_string_to_sign),
        cmocka_unit_test_setup_teardown(test_signer_kept_and_signatures, setup_store,
                                        teardown_store),
        cmocka_unit_test_setup_teardown(test_envelopes, setup_store, teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
