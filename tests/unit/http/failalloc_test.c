/* Allocation failure, request by request (curl's torture tests, SQLite's OOM tests): each
 * representative request goes through the gateway, signed, on a real store; it is run with
 * its 1st, 2nd, ... Nth counted allocation failing (base/failalloc.h: arena chunks, buf
 * growth, jansson values, SQLite's memory) until a run makes fewer than N allocations and succeeds. Every
 * failed run must answer a well-formed AWS error, and a 5xx (an allocation failure is the
 * server's fault, never the client's), a run that answers 200 a complete
 * reply, nothing may crash, and under
 * ASan nothing may leak (LeakSanitizer's report at exit names the allocation that leaked;
 * FAILALLOC_N=n runs only the nth failure of each walk, to find which one did; a check
 * after every run races with the engines' threads).
 *
 * FAILALLOC_ONLY=name runs one request; FAILALLOC_VERBOSE=1 prints every run's status;
 * FAILALLOC_ALL=1 reports every bad run instead of stopping at the first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "auth/keys.h"
#include "auth/sigv4.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/failalloc.h"
#include "base/log.h"
#include "engine/engines.h"
#include "http/gateway.h"

/* jansson 2.14 does not survive a failed allocation inside its parser or its dumper:
 * - lex_save() ignores a failed strbuffer append and lex_scan_string() then reads past the
 *   saved text (a crash seen here, parsing an access key document); parse_object() leaks
 *   the object when a key copy fails;
 * - json_dumps() can return a broken document (an object key dropped: {":"v"}) instead of
 *   NULL, which ferry would send with a 200 or store.
 * So the test counts each parse or dump as one allocation: when that one fails it answers
 * as jansson does on a clean failure (NULL / -1, error text empty), without entering
 * jansson; a parse or dump that goes ahead is not failed inside. Linked with --wrap (CMake). */
json_t *__real_json_loads(const char *s, size_t flags, json_error_t *err);
json_t *__real_json_loadb(const char *b, size_t n, size_t flags, json_error_t *err);
char *__real_json_dumps(const json_t *j, size_t flags);
int __real_json_dump_callback(const json_t *j, json_dump_callback_t cb, void *ud, size_t flags);

static json_t *failed_parse(json_error_t *err, const char *source)
{
    if (err) {
        memset(err, 0, sizeof(*err));
        err->line = err->column = -1;
        snprintf(err->source, sizeof(err->source), "%s", source);
    }
    return NULL;
}

json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *err)
{
    if (failalloc_should_fail()) return failed_parse(err, "<string>");
    long held = failalloc_hold();
    json_t *j = __real_json_loads(s, flags, err);
    failalloc_release(held);
    return j;
}

json_t *__wrap_json_loadb(const char *b, size_t n, size_t flags, json_error_t *err)
{
    if (failalloc_should_fail()) return failed_parse(err, "<buffer>");
    long held = failalloc_hold();
    json_t *j = __real_json_loadb(b, n, flags, err);
    failalloc_release(held);
    return j;
}

char *__wrap_json_dumps(const json_t *j, size_t flags)
{
    if (failalloc_should_fail()) return NULL;
    long held = failalloc_hold();
    char *s = __real_json_dumps(j, flags);
    failalloc_release(held);
    return s;
}

int __wrap_json_dump_callback(const json_t *j, json_dump_callback_t cb, void *ud, size_t flags)
{
    if (failalloc_should_fail()) return -1;
    long held = failalloc_hold(); /* cb's own allocations (a buf) are not failed either */
    int rc = __real_json_dump_callback(j, cb, ud, flags);
    failalloc_release(held);
    return rc;
}

#define ACCT  "111122223333"
#define HOST  "localhost:4566"
#define MAX_N 100000 /* a request that makes more allocations than this is a bug of its own */

static char dir[256];
static ferry_env env;
static gateway *gw;
static key_info key;
static long run_id; /* makes each run's new names unique: CreateUser u000042 */
static char queue_url[512], topic_arn[256];

typedef struct reply {
    int status;
    char *body; /* malloc'd */
    const char *content_type;
} reply;

/* One signed POST through the gateway; the nth counted allocation fails (0: none). Returns
 * 1 when the armed allocation was reached. */
static int call_gw(const char *service, const char *target, const char *body, long n, reply *out)
{
    arena *a = arena_new(0);
    assert_non_null(a);
    char amz[17];
    clock_amz((time_t)clock_now(), amz);
    const char *ctype =
        target ? "application/x-amz-json-1.0" : "application/x-www-form-urlencoded; charset=utf-8";
    hdr h[5] = {{"content-type", ctype}, {"host", HOST}, {"x-amz-date", amz}};
    size_t nh = 3;
    if (target) h[nh++] = (hdr){"x-amz-target", target};
    hreq r = {.method = "POST",
              .raw_path = "/",
              .raw_query = "",
              .host = HOST,
              .headers = h,
              .nheaders = nh,
              .body = (const unsigned char *)body,
              .body_len = strlen(body),
              .source_ip = "127.0.0.1"};
    char *auth = sigv4_sign(a, &r, key.akid, key.secret, "us-east-1", service, amz, NULL);
    assert_non_null(auth);
    h[r.nheaders++] = (hdr){"authorization", auth};

    proto_response resp;
    call_wait w = {0};
    failalloc_arm(n);
    int rc = gateway_handle(gw, a, &r, &w, &resp);
    failalloc_disarm();
    int fired = failalloc_fired();
    assert_int_equal(rc, 0); /* nothing here long-polls */
    out->status = resp.status;
    out->body = strdup(buf_str(&resp.body));
    out->content_type = resp.content_type; /* static strings only (checked for NULL) */
    if (resp.content_type && strncmp(resp.content_type, "application/", 12) &&
        strncmp(resp.content_type, "text/", 5))
        out->content_type = "?";
    buf_dispose(&resp.body);
    arena_free(a);
    return fired;
}

static void reply_dispose(reply *r)
{
    free(r->body);
    r->body = NULL;
}

/* The value of <tag> in an XML reply, or "". */
static const char *xml_value(const char *xml, const char *tag, char *out, size_t n)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    const char *p = strstr(xml, open), *q = p ? strstr(p, close) : NULL;
    out[0] = 0;
    if (q) snprintf(out, n, "%.*s", (int)(q - p - strlen(open)), p + strlen(open));
    return out;
}

/* Set-up calls: must succeed. */
static reply ok(const char *service, const char *target, const char *body)
{
    reply r;
    call_gw(service, target, body, 0, &r);
    if (r.status != 200)
        fail_msg("set-up %s %s: %d %s", service, target ? target : body, r.status, r.body);
    return r;
}

static char *urlenc(const char *s)
{
    static char out[4096];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < sizeof(out); p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p))
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, 4, "%%%02X", *p);
    }
    out[o] = 0;
    return out;
}

static int setup(void **st)
{
    (void)st;
    log_set_level(LOG_ERROR);
    snprintf(dir, sizeof(dir), "/tmp/ferry-failalloc-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    memset(&env, 0, sizeof(env));
    env.started = clock_now();
    snprintf(env.endpoint, sizeof(env.endpoint), "http://" HOST);
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(env.st);
    gw = gateway_new(&env, &e);
    assert_non_null(gw);
    assert_int_equal(engines_start(&env, &e), 0);

    principal root;
    keys_root_principal(ACCT, &root);
    store_txn *t;
    assert_int_equal(store_begin(env.st, 1, &t, &e), 0);
    assert_int_equal(keys_create(t, &root, &key, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);

    char body[2048];
    reply r =
        ok("iam", NULL,
           "Action=CreateRole&Version=2010-05-08&RoleName=fa-role&AssumeRolePolicyDocument="
           "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow"
           "%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Aroot%22"
           "%7D%2C%22Action%22%3A%5B%22sts%3AAssumeRole%22%2C%22sts%3ATagSession%22%5D%7D%5D%7D");
    reply_dispose(&r);

    r = ok("sqs", "AmazonSQS.CreateQueue", "{\"QueueName\":\"fa-queue\"}");
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    snprintf(queue_url, sizeof(queue_url), "%s", json_string_value(json_object_get(j, "QueueUrl")));
    json_decref(j);
    reply_dispose(&r);
    assert_true(queue_url[0]);
    snprintf(body, sizeof(body), "{\"QueueUrl\":\"%s\",\"MessageBody\":\"waiting\"}", queue_url);
    r = ok("sqs", "AmazonSQS.SendMessage", body);
    reply_dispose(&r);

    /* a SecureString under the AWS managed key KMS makes on SSM's first use */
    r = ok("ssm", "AmazonSSM.PutParameter",
           "{\"Name\":\"/fa/secure\",\"Value\":\"s\",\"Type\":\"SecureString\"}");
    reply_dispose(&r);

    r = ok("sns", NULL, "Action=CreateTopic&Version=2010-03-31&Name=fa-topic");
    xml_value(r.body, "TopicArn", topic_arn, sizeof(topic_arn));
    reply_dispose(&r);
    assert_true(topic_arn[0]);
    snprintf(body, sizeof(body),
             "Action=Subscribe&Version=2010-03-31&TopicArn=%s&Protocol=sqs&Endpoint=%s",
             urlenc(topic_arn), "arn%3Aaws%3Asqs%3Aus-east-1%3A111122223333%3Afa-queue");
    r = ok("sns", NULL, body);
    reply_dispose(&r);

    r = ok("logs", "Logs_20140328.CreateLogGroup", "{\"logGroupName\":\"/fa/logs\"}");
    reply_dispose(&r);
    r = ok("logs", "Logs_20140328.CreateLogStream",
           "{\"logGroupName\":\"/fa/logs\",\"logStreamName\":\"s\"}");
    reply_dispose(&r);

    /* under the AWS managed key KMS makes on this first use */
    r = ok("secretsmanager", "secretsmanager.CreateSecret",
           "{\"Name\":\"fa-secret\",\"SecretString\":\"v\"}");
    reply_dispose(&r);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    engines_stop(&env);
    gateway_free(gw);
    store_close(env.st);
    return fixture_rmdir(dir);
}

static long bad_runs;

/* Records a bad run (the walk stops after it unless FAILALLOC_ALL is set, and then fails). */
#define BAD(...) \
    do { \
        fprintf(stderr, "BAD: " __VA_ARGS__); \
        fprintf(stderr, "\n"); \
        bad_runs++; \
    } while (0)

/* A failed run's reply: an AWS error in the request's protocol, and the server's fault (a
 * 5xx: out of memory is never the client's). */
static void check_error(const char *name, long n, int json, const reply *r)
{
    if (r->status < 400 || r->status > 599 || r->status < 500)
        BAD("%s, allocation %ld failed: status %d (an allocation failure is a 5xx): %s", name, n,
            r->status, r->body);
    if (!r->content_type) BAD("%s, allocation %ld failed: no content type", name, n);
    if (json) {
        json_t *j = json_loads(r->body, 0, NULL);
        int has_type = j && json_string_value(json_object_get(j, "__type"));
        json_decref(j);
        if (!has_type) BAD("%s, allocation %ld failed: not a json error: %s", name, n, r->body);
    } else if (!strstr(r->body, "<Code>") || !strstr(r->body, "</ErrorResponse>")) {
        BAD("%s, allocation %ld failed: not an XML error: %s", name, n, r->body);
    }
}

/* A 200 reply is complete: json parses, XML is closed by its <Op>Response element. */
static void check_success(const char *name, long n, int json, const char *op, const reply *r)
{
    if (json) {
        json_t *j = json_loads(r->body, 0, NULL);
        if (!j) BAD("%s, allocation %ld failed: 200 with a broken body: %s", name, n, r->body);
        json_decref(j);
        return;
    }
    char close[128];
    snprintf(close, sizeof(close), "</%sResponse>", op);
    if (!strstr(r->body, close))
        BAD("%s, allocation %ld failed: 200 with a broken body: %s", name, n, r->body);
}

/* The body with "{N}" replaced by the run number (fixed width, so every run allocates alike). */
static void fill(char *out, size_t cap, const char *tpl, long id)
{
    const char *at = strstr(tpl, "{N}");
    if (!at)
        snprintf(out, cap, "%s", tpl);
    else
        snprintf(out, cap, "%.*s%06ld%s", (int)(at - tpl), tpl, id, at + 3);
}

/* Runs the request with allocation 1, 2, ... failing until it runs whole. */
static void walk(const char *name, const char *service, const char *target, const char *op,
                 const char *tpl)
{
    const char *only = getenv("FAILALLOC_ONLY");
    if (only && strcmp(only, name)) skip();
    int verbose = getenv("FAILALLOC_VERBOSE") != NULL, keep_going = getenv("FAILALLOC_ALL") != NULL;
    char body[16384];
    bad_runs = 0;
    long n, errors = 0;
    long only_n = getenv("FAILALLOC_N") ? atol(getenv("FAILALLOC_N")) : 0;
    for (n = only_n ? only_n : 1; n < MAX_N; n++) {
        fill(body, sizeof(body), tpl, ++run_id);
        reply r;
        int fired = call_gw(service, target, body, n, &r);
        if (verbose)
            fprintf(stderr, "%s n=%ld fired=%d status=%d %.200s\n", name, n, fired, r.status,
                    r.body);
        if (!fired) {
            /* fewer than n allocations: the request ran whole, and must have succeeded */
            if (r.status != 200) BAD("%s without failures: %d %s", name, r.status, r.body);
            check_success(name, n, target != NULL, op, &r);
            reply_dispose(&r);
            break;
        }
        if (r.status == 200)
            check_success(name, n, target != NULL, op, &r);
        else {
            check_error(name, n, target != NULL, &r);
            errors++;
        }
        reply_dispose(&r);
        if (only_n || (bad_runs && !keep_going)) break;
    }
    assert_true(n < MAX_N);
    if (bad_runs) fail_msg("%s: %ld bad runs (BAD: lines above)", name, bad_runs);
    printf("%s: %ld allocations walked, %ld answered an error\n", name, n - 1, errors);
}

#define QUERY(action, version) "Action=" action "&Version=" version

static void sts_get_caller_identity(void **st)
{
    (void)st;
    walk("sts-get-caller-identity", "sts", NULL, "GetCallerIdentity",
         QUERY("GetCallerIdentity", "2011-06-15"));
}

static void sts_assume_role(void **st)
{
    (void)st;
    walk("sts-assume-role", "sts", NULL, "AssumeRole",
         QUERY("AssumeRole",
               "2011-06-15") "&RoleArn=arn%3Aaws%3Aiam%3A%3A" ACCT
                             "%3Arole%2Ffa-role&RoleSessionName=s{N}&DurationSeconds=900"
                             "&Tags.member.1.Key=team&Tags.member.1.Value=blue&TransitiveTagKeys."
                             "member.1=team");
}

static void iam_create_user(void **st)
{
    (void)st;
    walk("iam-create-user", "iam", NULL, "CreateUser",
         QUERY("CreateUser", "2010-05-08") "&UserName=u{N}&Path=%2Fteam%2F"
                                           "&Tags.member.1.Key=k&Tags.member.1.Value=v");
}

static void iam_put_role_policy(void **st)
{
    (void)st;
    walk("iam-put-role-policy", "iam", NULL, "PutRolePolicy",
         QUERY("PutRolePolicy", "2010-05-08") "&RoleName=fa-role&PolicyName=p{N}&PolicyDocument="
                                              "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%"
                                              "22%3A%5B%7B%22Effect%22%3A"
                                              "%22Allow%22%2C%22Action%22%3A%22sqs%3A*%22%2C%"
                                              "22Resource%22%3A%22*%22%7D%5D%7D");
}

static void sqs_op_send_message(void **st)
{
    (void)st;
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"QueueUrl\":\"%s\",\"MessageBody\":\"m{N}\",\"MessageAttributes\":"
             "{\"color\":{\"DataType\":\"String\",\"StringValue\":\"blue\"}}}",
             queue_url);
    walk("sqs-send-message", "sqs", "AmazonSQS.SendMessage", "SendMessage", body);
}

/* A form request (the query protocol), its body formatted. */
__attribute__((format(printf, 4, 5))) static void walk_form(const char *name, const char *service,
                                                            const char *op, const char *fmt, ...)
{
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    walk(name, service, NULL, op, body);
}

/* SQS's query protocol (older clients: a form with Action=, no X-Amz-Target), answered in
 * XML: routing it reads the form, and an allocation failing there must not route it as json. */
static void sqs_send_message_query(void **st)
{
    (void)st;
    walk_form("sqs-send-message-query", "sqs", "SendMessage",
              QUERY("SendMessage", "2012-11-05") "&QueueUrl=%s&MessageBody=q{N}"
                                                 "&MessageAttribute.1.Name=color"
                                                 "&MessageAttribute.1.Value.DataType=String"
                                                 "&MessageAttribute.1.Value.StringValue=blue",
              urlenc(queue_url));
}

static void sqs_op_receive_message(void **st)
{
    (void)st;
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":1,\"VisibilityTimeout\":0,"
             "\"MessageAttributeNames\":[\"All\"],\"AttributeNames\":[\"All\"]}",
             queue_url);
    walk("sqs-receive-message", "sqs", "AmazonSQS.ReceiveMessage", "ReceiveMessage", body);
}

static void sns_op_publish(void **st)
{
    (void)st;
    walk_form("sns-publish", "sns", "Publish",
              QUERY("Publish", "2010-03-31") "&TopicArn=%s&Message=hello%%20m{N}&Subject=s"
                                             "&MessageAttributes.entry.1.Name=color&"
                                             "MessageAttributes.entry.1.Value.DataType=String"
                                             "&MessageAttributes.entry.1.Value.StringValue=blue",
              urlenc(topic_arn));
}

static void cfn_create_stack(void **st)
{
    (void)st;
    char body[4096];
    snprintf(body, sizeof(body),
             QUERY("CreateStack", "2010-05-15") "&StackName=s{N}&Parameters.member.1.ParameterKey=P"
                                                "&Parameters.member.1.ParameterValue=x&Tags.member."
                                                "1.Key=k&Tags.member.1.Value=v"
                                                "&TemplateBody=%s",
             urlenc("{\"Parameters\":{\"P\":{\"Type\":\"String\",\"Default\":\"x\"}},"
                    "\"Conditions\":{\"C\":{\"Fn::Equals\":[{\"Ref\":\"P\"},\"x\"]}},"
                    "\"Resources\":{\"H\":{\"Type\":\"AWS::CloudFormation::WaitConditionHandle\","
                    "\"Condition\":\"C\"}},"
                    "\"Outputs\":{\"O\":{\"Value\":{\"Fn::Sub\":\"${P}-${AWS::Region}\"}},"
                    "\"J\":{\"Value\":{\"Fn::Join\":[\"-\",[{\"Ref\":\"P\"},"
                    "{\"Fn::Select\":[0,{\"Fn::Split\":[\",\",\"a,b\"]}]}]]}}}}"));
    walk("cfn-create-stack", "cloudformation", NULL, "CreateStack", body);
}

/* SSM seals and opens SecureString values by calling KMS inside its own transaction. */
static void ssm_put_parameter(void **st)
{
    (void)st;
    walk("ssm-put-parameter", "ssm", "AmazonSSM.PutParameter", "PutParameter",
         "{\"Name\":\"/fa/p{N}\",\"Value\":\"v\",\"Type\":\"SecureString\","
         "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}");
}

static void ssm_get_parameter(void **st)
{
    (void)st;
    walk("ssm-get-parameter", "ssm", "AmazonSSM.GetParameter", "GetParameter",
         "{\"Name\":\"/fa/secure\",\"WithDecryption\":true}");
}

/* A batch of events into a stream (three documents written), and a filtered read of them. */
static void logs_put_log_events(void **st)
{
    (void)st;
    char body[256];
    snprintf(body, sizeof(body),
             "{\"logGroupName\":\"/fa/logs\",\"logStreamName\":\"s\",\"logEvents\":[{"
             "\"timestamp\":%lld,\"message\":\"run {N}\"},{\"timestamp\":%lld,\"message\":"
             "\"{\\\"level\\\":\\\"ERROR\\\"}\"}]}",
             (long long)time(NULL) * 1000, (long long)time(NULL) * 1000);
    walk("logs-put-log-events", "logs", "Logs_20140328.PutLogEvents", "PutLogEvents", body);
}

static void logs_filter_log_events(void **st)
{
    (void)st;
    walk("logs-filter-log-events", "logs", "Logs_20140328.FilterLogEvents", "FilterLogEvents",
         "{\"logGroupName\":\"/fa/logs\",\"filterPattern\":\"{ $.level = ERR* || $.n > "
         "{N} }\",\"limit\":5}");
}

/* SQLite's allocations are counted too (SQLite tests its own OOM handling; this tests the
 * store's handling of SQLITE_NOMEM). Configured before SQLite initializes. */
static sqlite3_mem_methods sqlite_mem;

static void *sqlite_malloc(int n)
{
    return failalloc_should_fail() ? NULL : sqlite_mem.xMalloc(n);
}

static void *sqlite_realloc(void *p, int n)
{
    return failalloc_should_fail() ? NULL : sqlite_mem.xRealloc(p, n);
}

static void hook_sqlite(void)
{
    static sqlite3_mem_methods m;
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_mem), SQLITE_OK);
    m = sqlite_mem;
    m.xMalloc = sqlite_malloc;
    m.xRealloc = sqlite_realloc;
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
}

/* A value sealed under a new data key from KMS (a call inside the write), and one opened
 * by KMS Decrypt inside a read transaction. */
static void secretsmanager_put_secret_value(void **st)
{
    (void)st;
    walk("secretsmanager-put-secret-value", "secretsmanager", "secretsmanager.PutSecretValue",
         "PutSecretValue", "{\"SecretId\":\"fa-secret\",\"SecretString\":\"v{N}\"}");
}

static void secretsmanager_get_secret_value(void **st)
{
    (void)st;
    walk("secretsmanager-get-secret-value", "secretsmanager", "secretsmanager.GetSecretValue",
         "GetSecretValue", "{\"SecretId\":\"fa-secret\"}");
}

int main(void)
{
    failalloc_hook_jansson();
    hook_sqlite();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sts_get_caller_identity),
        cmocka_unit_test(sts_assume_role),
        cmocka_unit_test(iam_create_user),
        cmocka_unit_test(iam_put_role_policy),
        cmocka_unit_test(sqs_op_send_message),
        cmocka_unit_test(sqs_send_message_query),
        cmocka_unit_test(sqs_op_receive_message),
        cmocka_unit_test(sns_op_publish),
        cmocka_unit_test(cfn_create_stack),
        cmocka_unit_test(ssm_put_parameter),
        cmocka_unit_test(ssm_get_parameter),
        cmocka_unit_test(logs_put_log_events),
        cmocka_unit_test(logs_filter_log_events),
        cmocka_unit_test(secretsmanager_put_secret_value),
        cmocka_unit_test(secretsmanager_get_secret_value),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
