/* The gateway below the server: signed requests in, AWS responses out. A long poll's state
 * lives in the request's wait record (call_wait) and nowhere else, so a resumed poll that is
 * refused before its handler runs leaves nothing behind (SQS kept a list keyed by request
 * address that such a refusal leaked). Also: the routes services register (SNS's unsigned
 * URLs) and the json wording of canonical error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "auth/keys.h"
#include "auth/sigv4.h"
#include "base/clock.h"
#include "http/gateway.h"

#define ACCT "111122223333"

static char dir[256];
static ferry_env env;
static gateway *gw;
static key_info key;

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/ferry-gw-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    memset(&env, 0, sizeof(env));
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(env.st);
    snprintf(env.endpoint, sizeof(env.endpoint), "http://gw.test");
    gw = gateway_new(&env, &e);
    assert_non_null(gw);
    /* a session key of the account's root that expires in an hour */
    principal root;
    keys_root_principal(ACCT, &root);
    store_txn *t = NULL;
    assert_int_equal(store_begin(env.st, 1, &t, &e), 0);
    assert_int_equal(keys_create_session(t, &root, clock_now() + 3600, &key, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    json_t *out = NULL;
    json_t *in = json_pack("{s:s}", "QueueName", "polled");
    assert_int_equal(svc_invoke(&env, &root, "us-east-1", "sqs", "CreateQueue", in, &out, NULL, &e),
                     0);
    json_decref(in);
    json_decref(out);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    gateway_free(gw);
    store_close(env.st);
    return fixture_rmdir(dir);
}

/* A json 1.0 SQS request signed with the session key, in a. */
static hreq *sqs_request(arena *a, const char *target, const char *body)
{
    hreq *r = arena_alloc(a, sizeof(*r));
    hdr *h = arena_alloc(a, 8 * sizeof(*h));
    char amz[17];
    clock_amz((time_t)clock_now(), amz);
    h[0] = (hdr){"host", "gw.test"};
    h[1] = (hdr){"x-amz-date", arena_strdup(a, amz)};
    h[2] = (hdr){"x-amz-target", arena_printf(a, "AmazonSQS.%s", target)};
    h[3] = (hdr){"content-type", "application/x-amz-json-1.0"};
    h[4] = (hdr){"x-amz-security-token", key.session_token};
    r->method = "POST";
    r->raw_path = "/";
    r->raw_query = "";
    r->host = "gw.test";
    r->headers = h;
    r->nheaders = 5;
    r->body = (const unsigned char *)body;
    r->body_len = strlen(body);
    snprintf(r->source_ip, sizeof(r->source_ip), "127.0.0.1");
    char *authz = sigv4_sign(a, r, key.akid, key.secret, "us-east-1", "sqs", amz, NULL);
    assert_non_null(authz);
    h[5] = (hdr){"authorization", authz};
    r->nheaders = 6;
    return r;
}

static const char *header(const proto_response *p, const char *name)
{
    for (size_t i = 0; i < p->nheaders; i++)
        if (!strcasecmp(p->headers[i].name, name)) return p->headers[i].value;
    return NULL;
}

static void long_poll_state_is_the_requests(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const char *body = "{\"QueueUrl\":\"http://gw.test/" ACCT "/polled\",\"WaitTimeSeconds\":20}";
    hreq *r = sqs_request(a, "ReceiveMessage", body);
    call_wait w = {0};
    proto_response resp;
    double t0 = clock_now();
    /* nothing to receive: the handler parks, its deadline in the record */
    assert_int_equal(gateway_handle(gw, a, r, &w, &resp), 1);
    assert_string_equal(w.key, "arn:aws:sqs:us-east-1:" ACCT ":polled");
    assert_true(w.until >= t0 + 19.9 && w.until <= clock_now() + 20.1);
    assert_true(w.wake_at <= w.until);
    double until = w.until;
    /* woken early (a notify): still nothing, so it parks again until the same deadline */
    w.resumed = 1;
    assert_int_equal(gateway_handle(gw, a, r, &w, &resp), 1);
    assert_true(w.until == until);
    /* the session expires while it is parked: the resumed run is refused before the handler
     * runs, and the refusal is worded the json way */
    clock_set_offset(7200);
    assert_int_equal(gateway_handle(gw, a, r, &w, &resp), 0);
    clock_set_offset(0);
    assert_int_equal(resp.status, 400);
    assert_non_null(strstr(buf_str(&resp.body), "ExpiredTokenException\""));
    assert_string_equal(header(&resp, "x-amzn-query-error"), "ExpiredToken;Sender");
    buf_dispose(&resp.body);
    arena_free(a); /* all there was of the poll */

    /* a new request parks with its own deadline, and answers empty at it */
    a = arena_new(0);
    r = sqs_request(a, "ReceiveMessage",
                    "{\"QueueUrl\":\"http://gw.test/" ACCT "/polled\",\"WaitTimeSeconds\":1}");
    memset(&w, 0, sizeof(w));
    assert_int_equal(gateway_handle(gw, a, r, &w, &resp), 1);
    assert_true(w.until < until - 10);
    w.resumed = w.final = 1;
    assert_int_equal(gateway_handle(gw, a, r, &w, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(buf_str(&resp.body), "{}");
    buf_dispose(&resp.body);
    arena_free(a);
}

static void queue_url_from_host(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    hreq *r = sqs_request(a, "GetQueueUrl", "{\"QueueName\":\"polled\"}");
    call_wait w = {0};
    proto_response resp;
    assert_int_equal(gateway_handle(gw, a, r, &w, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(buf_str(&resp.body), "{\"QueueUrl\":\"http://gw.test/" ACCT "/polled\"}");
    buf_dispose(&resp.body);
    arena_free(a);
}

static void internal_callers_do_not_park(void **st)
{
    (void)st;
    principal root;
    keys_root_principal(ACCT, &root);
    ferr e = {0};
    json_t *out = NULL;
    /* engines name the queue by its ARN; a wait is answered at once */
    json_t *in = json_pack("{s:s, s:i}", "QueueUrl", "arn:aws:sqs:us-east-1:" ACCT ":polled",
                           "WaitTimeSeconds", 20);
    double t0 = clock_now();
    assert_int_equal(
        svc_invoke(&env, &root, "us-east-1", "sqs", "ReceiveMessage", in, &out, NULL, &e), 0);
    assert_true(clock_now() - t0 < 5);
    json_decref(in);
    json_decref(out);
}

/* ---- routes ---- */

static void route_matching(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    static const svc_route path = {"GET HEAD", NULL, "/_ferry/sns/", NULL};
    static const svc_route host = {NULL, ".s3.localhost", NULL, NULL};
    svc_request r = {.method = "GET", .host = "127.0.0.1:4566", .path = "/_ferry/sns/confirm"};
    assert_int_equal(svc_route_match(&path, a, &r), 1);
    assert_string_equal(r.rest, "confirm");
    assert_null(r.host_label);
    assert_int_equal(svc_route_match(&host, a, &r), 0);
    r.path = "/_ferry/snsx";
    assert_int_equal(svc_route_match(&path, a, &r), 0);
    /* virtual-hosted: the label before the suffix, port dropped, any case */
    r = (svc_request){.method = "PUT", .host = "my.bucket.S3.localhost:4566", .path = "/k/e y"};
    assert_int_equal(svc_route_match(&host, a, &r), 1);
    assert_string_equal(r.host_label, "my.bucket");
    assert_string_equal(r.rest, "/k/e y");
    r.host = "s3.localhost";
    assert_int_equal(svc_route_match(&host, a, &r), 0);
    r.host = ".s3.localhost:80";
    assert_int_equal(svc_route_match(&host, a, &r), 0);
    r.host = "";
    assert_int_equal(svc_route_match(&host, a, &r), 0);
    arena_free(a);
}

static proto_response route(arena *a, const char *method, const char *path, const char *query,
                            int *handled)
{
    svc_request r = {.method = method, .host = "gw.test", .path = path, .query = query};
    proto_response resp;
    memset(&resp, 0, sizeof(resp));
    *handled = svc_route_dispatch(&env, a, &r, &resp);
    return resp;
}

static void sns_routes(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    int handled;
    proto_response p = route(a, "POST", "/_ferry/sns/confirm", "", &handled);
    assert_int_equal(handled, 1);
    assert_int_equal(p.status, 405);
    assert_string_equal(header(&p, "Allow"), "GET, HEAD");
    buf_dispose(&p.body);
    p = route(a, "GET", "/_ferry/sns/nothing", "", &handled);
    assert_int_equal(handled, 1);
    assert_int_equal(p.status, 404);
    buf_dispose(&p.body);
    /* an unsigned Unsubscribe of a subscription that does not exist: SNS's own answer */
    p = route(a, "GET", "/_ferry/sns/unsubscribe",
              "SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A" ACCT
              "%3At%3A0f1e2d3c-0000-4000-8000-000000000000",
              &handled);
    assert_int_equal(handled, 1);
    assert_int_equal(p.status, 404);
    assert_non_null(strstr(buf_str(&p.body), "<Code>NotFound</Code>"));
    buf_dispose(&p.body);
    /* not a route: the API path (or ferry's own endpoints) answers */
    p = route(a, "GET", "/_ferry/health", "", &handled);
    assert_int_equal(handled, 0);
    p = route(a, "POST", "/", "", &handled);
    assert_int_equal(handled, 0);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(long_poll_state_is_the_requests),
        cmocka_unit_test(queue_url_from_host),
        cmocka_unit_test(internal_callers_do_not_park),
        cmocka_unit_test(route_matching),
        cmocka_unit_test(sns_routes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
