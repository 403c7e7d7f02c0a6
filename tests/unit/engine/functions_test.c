/* src/engine/functions.c and its modules: functions run as local processes behind the
 * Runtime API. Python, Node and provided (a shell bootstrap) functions in temp dirs:
 * results, thrown errors, import errors, timeouts, init crashes, memory, concurrency, warm
 * reuse, and the execution role's credentials in the environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "engine/engines.h"
#include "engine/functions.h"
#include "fixture.h" /* after svc.h: fixture_env_open */
#include "http/gateway.h"
#include "http/server.h"

#define ACCT "111122223333"
#define TRUST(svc) \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":" \
    "\"" svc "\"},\"Action\":\"sts:AssumeRole\"}]}"

static ferry_env env;
static char dir[128], code[256];

static void mkrole(const char *name, const char *trust)
{
    principal root;
    keys_root_principal(ACCT, &root);
    json_t *in = json_pack("{s:s,s:s}", "RoleName", name, "AssumeRolePolicyDocument", trust);
    json_t *out = NULL;
    ferr e = {0};
    assert_int_equal(svc_invoke(&env, &root, "us-east-1", "iam", "CreateRole", in, &out, NULL, &e),
                     0);
    json_decref(in);
    json_decref(out);
}

static int setup(void **state)
{
    (void)state;
    setenv("FERRY_FN_IDLE_SECONDS", "60", 1);
    assert_int_equal(fixture_env_open(&env, dir, sizeof(dir), "functions"), 0);
    snprintf(env.endpoint, sizeof(env.endpoint), "http://127.0.0.1:9");
    mkrole("Exec", TRUST("lambda.amazonaws.com"));
    mkrole("Ec2", TRUST("ec2.amazonaws.com"));
    ferr e = {0};
    assert_int_equal(functions_engine.start(&env, &e), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    functions_engine.stop(&env);
    return fixture_env_close(&env, dir);
}

/* Fills a fresh directory PREFIX-XXXXXX under the test's (its path in out[n]) with files:
 * path, text pairs from ap, up to a NULL path; directories are made as paths need them. */
static void fill(char *out, size_t n, const char *prefix, va_list ap)
{
    snprintf(out, n, "%s/%s-XXXXXX", dir, prefix);
    assert_non_null(mkdtemp(out));
    for (const char *path; (path = va_arg(ap, const char *));) {
        const char *text = va_arg(ap, const char *);
        char p[600], cmd[700];
        snprintf(p, sizeof(p), "%s/%s", out, path);
        snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
        assert_int_equal(system(cmd), 0);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        chmod(p, 0755);
    }
}

/* A fresh code directory holding files (path, text; NULL-terminated pairs). */
static const char *mkcode(int dummy, ...)
{
    va_list ap;
    va_start(ap, dummy);
    fill(code, sizeof(code), "code", ap);
    va_end(ap);
    return code;
}

static fn_spec spec(const char *name, const char *runtime, const char *handler, const char *dir_)
{
    static char arn[256];
    snprintf(arn, sizeof(arn), "arn:aws:lambda:us-east-1:" ACCT ":function:%s:$LATEST", name);
    return (fn_spec){.account = ACCT,
                     .region = "us-east-1",
                     .name = name,
                     .arn = arn,
                     .version = "$LATEST",
                     .revision = "r1",
                     .runtime = runtime,
                     .handler = handler,
                     .code_dir = dir_,
                     .role_arn = "arn:aws:iam::" ACCT ":role/Exec",
                     .timeout_s = 20,
                     .memory_mb = 256,
                     .concurrency = -1,
                     .log_group = NULL};
}

/* Invokes s with payload: the parsed result (the caller decrefs), r's other fields kept. */
static json_t *invoke(const fn_spec *s, const char *payload, fn_result *r)
{
    ferr e = {0};
    memset(r, 0, sizeof(*r));
    int rc = functions_invoke(&env, s, payload, strlen(payload), NULL, r, &e);
    if (rc) fprintf(stderr, "invoke: %s %s\n", e.code, e.message);
    assert_int_equal(rc, 0);
    json_error_t je;
    json_t *j = json_loadb(r->payload, r->len, JSON_DECODE_ANY, &je);
    if (!j) fprintf(stderr, "payload: %.*s\nlog: %s\n", (int)r->len, r->payload, r->log_tail);
    assert_non_null(j);
    return j;
}

/* The state letter of process pid (R, S, T, Z...), or 0. */
static char proc_state(long pid)
{
    char p[64], st[512];
    snprintf(p, sizeof(p), "/proc/%ld/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(st, 1, sizeof(st) - 1, f);
    fclose(f);
    st[n] = 0;
    char *c = strrchr(st, ')');
    return c && c[1] == ' ' ? c[2] : 0;
}

static const char *PY_APP =
    "import os\n"
    "print('loading')\n"
    "def handler(event, context):\n"
    "    print('handling', event)\n"
    "    if event.get('big'):\n"
    "        return 'x' * (7 << 20)\n"
    "    if event.get('fail'):\n"
    "        raise ValueError('boom')\n"
    "    return {'event': event, 'pid': os.getpid(), 'rid': context.aws_request_id,\n"
    "            'fn': context.function_name, 'mem': context.memory_limit_in_mb,\n"
    "            'arn': context.invoked_function_arn, 'left': "
    "context.get_remaining_time_in_millis(),\n"
    "            'group': context.log_group_name, 'stream': context.log_stream_name,\n"
    "            'akid': os.environ.get('AWS_ACCESS_KEY_ID'),\n"
    "            'token': os.environ.get('AWS_SESSION_TOKEN'),\n"
    "            'region': os.environ.get('AWS_REGION'),\n"
    "            'endpoint': os.environ.get('AWS_ENDPOINT_URL'),\n"
    "            'color': os.environ.get('COLOR'),\n"
    "            'api': os.environ.get('AWS_LAMBDA_RUNTIME_API'),\n"
    "            'readable': [os.access(p, os.R_OK) for p in event.get('probe', [])],\n"
    "            'task': os.environ.get('LAMBDA_TASK_ROOT'), 'cwd': os.getcwd()}\n";

/* Processes of ferry's environments running what (their comm): those whose environment
 * names FERRY_FN_ROOT under root (a prefix). */
static int count_marked(const char *root, const char *what)
{
    char marker[512];
    snprintf(marker, sizeof(marker), "FERRY_FN_ROOT=%s", root);
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9') continue;
        char p[300], data[65536];
        snprintf(p, sizeof(p), "/proc/%.32s/comm", de->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        size_t len = fread(data, 1, sizeof(data) - 1, f);
        fclose(f);
        data[len] = 0;
        if (strncmp(data, what, strlen(what)) || data[strlen(what)] != '\n') continue;
        snprintf(p, sizeof(p), "/proc/%.32s/environ", de->d_name);
        if (!(f = fopen(p, "r"))) continue;
        len = fread(data, 1, sizeof(data) - 1, f);
        fclose(f);
        data[len] = 0;
        /* a zombie has no environment, and is no survivor */
        for (size_t i = 0; i < len; i += strlen(data + i) + 1)
            if (!strncmp(data + i, marker, strlen(marker))) {
                n++;
                break;
            }
    }
    if (d) closedir(d);
    return n;
}

/* kill -9 of ferry: the environment's guard kills the process group (a bootstrap's
 * children included) and, as their subreaper, what escaped it (setsid); the next start's
 * sweep removes the dead server's environments (and kills anything still left). */
static void test_crash(void **state)
{
    (void)state;
    const char *boot = "#!/bin/sh\n"
                       "sleep 60 &\n"
                       "setsid sleep 61 &\n"
                       "exec sleep 62\n";
    fn_spec s = spec("crash9", "provided.al2023", NULL, mkcode(0, "bootstrap", boot, NULL));
    s.timeout_s = 120;
    /* a server of its own (a fork with no engine running), which the test kills */
    functions_engine.stop(&env);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        ferr e = {0};
        char id[40];
        if (functions_engine.start(&env, &e) || functions_start(&env, &s, "{}", 2, NULL, id, &e))
            _exit(1);
        pause();
        _exit(0);
    }
    char root[300];
    snprintf(root, sizeof(root), "%s/ferry-fn-%u/%d/", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (unsigned)geteuid(), (int)child);
    /* the bootstrap's three sleeps (the last is the bootstrap itself; sleep runs once the
     * setsid before it is done) */
    int n = 0;
    for (int i = 0; i < 600 && (n = count_marked(root, "sleep")) < 3; i++) usleep(50000);
    if (n < 3) kill(child, SIGKILL);
    assert_int_equal(n, 3);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    /* the group dies with its guard, and the setsid'd sleep with it */
    for (int i = 0; i < 200 && (n = count_marked(root, "sleep")) > 0; i++) usleep(50000);
    assert_int_equal(n, 0);
    struct stat st;
    assert_int_equal(stat(root, &st), 0);
    /* the next start sweeps */
    ferr e = {0};
    assert_int_equal(functions_engine.start(&env, &e), 0);
    for (int i = 0; i < 100 && (n = count_marked(root, "sleep")) > 0; i++) usleep(50000);
    assert_int_equal(n, 0);
    assert_int_equal(stat(root, &st), -1);
}

static void test_python(void **state)
{
    (void)state;
    fn_spec s = spec("py", "python3.11", "app.handler", mkcode(0, "app.py", PY_APP, NULL));
    json_t *vars = json_pack("{s:s}", "COLOR", "blue");
    s.variables = vars;
    fn_result r;
    json_t *a = invoke(&s, "{\"n\":1}", &r);
    assert_null(r.function_error);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "event"), "n")), 1);
    assert_string_equal(json_string_value(json_object_get(a, "rid")), r.request_id);
    assert_string_equal(json_string_value(json_object_get(a, "fn")), "py");
    assert_string_equal(json_string_value(json_object_get(a, "mem")), "256");
    assert_string_equal(json_string_value(json_object_get(a, "arn")), s.arn);
    assert_string_equal(json_string_value(json_object_get(a, "group")), "/aws/lambda/py");
    assert_true(json_integer_value(json_object_get(a, "left")) > 0);
    assert_string_equal(json_string_value(json_object_get(a, "color")), "blue");
    assert_string_equal(json_string_value(json_object_get(a, "region")), "us-east-1");
    assert_string_equal(json_string_value(json_object_get(a, "endpoint")), "http://127.0.0.1:9");
    /* the execution role's session credentials */
    assert_true(!strncmp(json_string_value(json_object_get(a, "akid")), "ASIA", 4));
    assert_true(strlen(json_string_value(json_object_get(a, "token"))) > 10);
    /* a copy of the code in the environment, not the package itself */
    const char *task = json_string_value(json_object_get(a, "task"));
    assert_string_equal(task, json_string_value(json_object_get(a, "cwd")));
    assert_true(strcmp(task, code) != 0);
    /* the log: init output, START, the handler's, END, REPORT with the cold start's init */
    assert_non_null(r.log_tail);
    assert_non_null(strstr(r.log_tail, "loading"));
    /* init output first, then START, as AWS writes them */
    assert_non_null(strstr(r.log_tail, "START RequestId: "));
    assert_true(strstr(r.log_tail, "loading") < strstr(r.log_tail, "START RequestId: "));
    assert_non_null(strstr(r.log_tail, "handling {'n': 1}"));
    assert_non_null(strstr(r.log_tail, "END RequestId: "));
    assert_non_null(strstr(r.log_tail, "Memory Size: 256 MB"));
    assert_non_null(strstr(r.log_tail, "Init Duration: "));
    const char *stream = json_string_value(json_object_get(a, "stream"));
    assert_true(strlen(stream) == 10 + 1 + 9 + 32 && !strncmp(stream + 10, "/[$LATEST]", 10));
    fn_result_clear(&r);

    /* as root, the Runtime API answers only the environment's own uid */
    if (geteuid() == 0) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd),
                 "curl -sf -m 5 http://%s/2018-06-01/runtime/invocation/next >/dev/null 2>&1",
                 json_string_value(json_object_get(a, "api")));
        /* closed at once (curl: 52 empty reply, 56 receive failure), not left waiting (28) */
        int st = system(cmd);
        assert_true(WIFEXITED(st) && (WEXITSTATUS(st) == 52 || WEXITSTATUS(st) == 56));
    }

    /* idle: frozen (stopped) until the next invocation */
    long pid = (long)json_integer_value(json_object_get(a, "pid"));
    int frozen = 0;
    for (int i = 0; i < 200 && !(frozen = proc_state(pid) == 'T'); i++) usleep(20000);
    assert_true(frozen);

    /* warm: the same process, no init */
    json_t *b = invoke(&s, "{\"n\":2}", &r);
    assert_int_equal(json_integer_value(json_object_get(a, "pid")),
                     json_integer_value(json_object_get(b, "pid")));
    assert_null(strstr(r.log_tail, "Init Duration"));
    assert_null(strstr(r.log_tail, "loading"));
    fn_result_clear(&r);
    json_decref(b);

    /* a thrown exception: AWS's error document, and the environment stays warm */
    b = invoke(&s, "{\"fail\":true}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(b, "errorType")), "ValueError");
    assert_string_equal(json_string_value(json_object_get(b, "errorMessage")), "boom");
    assert_string_equal(json_string_value(json_object_get(b, "requestId")), r.request_id);
    assert_true(json_array_size(json_object_get(b, "stackTrace")) >= 1);
    fn_result_clear(&r);
    json_decref(b);
    b = invoke(&s, "{\"n\":3}", &r);
    assert_int_equal(json_integer_value(json_object_get(a, "pid")),
                     json_integer_value(json_object_get(b, "pid")));
    fn_result_clear(&r);
    json_decref(b);

    /* a response over 6 MB: AWS's error instead */
    b = invoke(&s, "{\"big\":true}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(b, "errorType")),
                        "Function.ResponseSizeTooLarge");
    fn_result_clear(&r);
    json_decref(b);
    b = invoke(&s, "{\"n\":5}", &r); /* the runtime lives on */
    assert_int_equal(json_integer_value(json_object_get(a, "pid")),
                     json_integer_value(json_object_get(b, "pid")));
    fn_result_clear(&r);
    json_decref(b);

    /* a new revision: a new environment, which (as root: a uid of its own) reads neither
     * ferry's data directory nor the other environment's code */
    s.revision = "r2";
    char probe[1200];
    snprintf(probe, sizeof(probe), "{\"n\":4,\"probe\":[\"%s\",\"%s\",\"%s/app.py\"]}", dir, task,
             task);
    b = invoke(&s, probe, &r);
    json_t *rd = json_object_get(b, "readable");
    assert_int_equal(json_array_size(rd), 3);
    if (geteuid() == 0)
        for (size_t i = 0; i < 3; i++) assert_false(json_is_true(json_array_get(rd, i)));
    assert_true(json_integer_value(json_object_get(a, "pid")) !=
                json_integer_value(json_object_get(b, "pid")));
    fn_result_clear(&r);
    json_decref(b);
    json_decref(a);
    json_decref(vars);
}

static void test_python_init_errors(void **state)
{
    (void)state;
    fn_spec s = spec("pyimport", "python3.11", "nosuch.handler", mkcode(0, "app.py", PY_APP, NULL));
    fn_result r;
    json_t *a = invoke(&s, "{}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(a, "errorType")),
                        "Runtime.ImportModuleError");
    assert_non_null(strstr(json_string_value(json_object_get(a, "errorMessage")),
                           "Unable to import module 'nosuch'"));
    fn_result_clear(&r);
    json_decref(a);

    s = spec("pyhandler", "python3.11", "app.nothere", mkcode(0, "app.py", PY_APP, NULL));
    a = invoke(&s, "{}", &r);
    assert_string_equal(json_string_value(json_object_get(a, "errorType")),
                        "Runtime.HandlerNotFound");
    fn_result_clear(&r);
    json_decref(a);
}

static void test_node(void **state)
{
    (void)state;
    const char *cjs =
        "exports.handler = async (event, context) => {\n"
        "  console.log('hello', event.n);\n"
        "  if (event.fail) throw new TypeError('bad thing');\n"
        "  return {n: event.n, rid: context.awsRequestId, pid: process.pid,\n"
        "          left: context.getRemainingTimeInMillis(), fn: context.functionName};\n"
        "};\n"
        "exports.cb = (event, context, callback) => {\n"
        "  setTimeout(() => callback(null, {cb: event.n}), 10);\n"
        "};\n";
    const char *mjs = "export const handler = async (event) => ({esm: event.n});\n";
    fn_spec s = spec("node", "nodejs20.x", "index.handler",
                     mkcode(0, "index.js", cjs, "esm.mjs", mjs, NULL));
    fn_result r;
    json_t *a = invoke(&s, "{\"n\":7}", &r);
    assert_null(r.function_error);
    assert_int_equal(json_integer_value(json_object_get(a, "n")), 7);
    assert_string_equal(json_string_value(json_object_get(a, "rid")), r.request_id);
    assert_string_equal(json_string_value(json_object_get(a, "fn")), "node");
    assert_true(json_integer_value(json_object_get(a, "left")) > 0);
    assert_non_null(strstr(r.log_tail, "\tINFO\thello 7"));
    fn_result_clear(&r);

    json_t *b = invoke(&s, "{\"n\":8,\"fail\":true}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(b, "errorType")), "TypeError");
    assert_string_equal(json_string_value(json_object_get(b, "errorMessage")), "bad thing");
    fn_result_clear(&r);
    json_decref(b);
    b = invoke(&s, "{\"n\":9}", &r);
    assert_int_equal(json_integer_value(json_object_get(a, "pid")),
                     json_integer_value(json_object_get(b, "pid")));
    fn_result_clear(&r);
    json_decref(b);
    json_decref(a);

    fn_spec c = spec("nodecb", "nodejs20.x", "index.cb", s.code_dir);
    a = invoke(&c, "{\"n\":3}", &r);
    assert_int_equal(json_integer_value(json_object_get(a, "cb")), 3);
    fn_result_clear(&r);
    json_decref(a);

    fn_spec m = spec("nodeesm", "nodejs20.x", "esm.handler", s.code_dir);
    a = invoke(&m, "{\"n\":4}", &r);
    assert_int_equal(json_integer_value(json_object_get(a, "esm")), 4);
    fn_result_clear(&r);
    json_decref(a);

    fn_spec x = spec("nodemissing", "nodejs20.x", "nope.handler", s.code_dir);
    a = invoke(&x, "{}", &r);
    assert_string_equal(json_string_value(json_object_get(a, "errorType")),
                        "Runtime.ImportModuleError");
    fn_result_clear(&r);
    json_decref(a);
}

/* A layer directory holding files (path, text; NULL-terminated pairs). */
static void mktree(char *out, size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    fill(out, n, "layer", ap);
    va_end(ap);
}

/* Layers make up /opt, in order (a later layer's file wins), on the runtimes' search paths:
 * PYTHONPATH (python, python/lib/pythonX.Y/site-packages), NODE_PATH, PATH (bin), and a
 * provided runtime's bootstrap. */
static void test_layers(void **state)
{
    (void)state;
    char l1[300], l2[300];
    mktree(l1, sizeof(l1), "python/shared.py", "VALUE = 'one'\n",
           "nodejs/node_modules/greet/index.js", "module.exports = n => 'hello ' + n;\n",
           "bin/tool", "#!/bin/sh\necho tool-out\n", NULL);
    mktree(l2, sizeof(l2), "python/shared.py", "VALUE = 'two'\n",
           "python/lib/python3.11/site-packages/sp.py", "X = 1\n", "bootstrap",
           "#!/bin/sh\nAPI=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\"\n"
           "H=$(mktemp); curl -sS -D \"$H\" \"$API/invocation/next\" >/dev/null\n"
           "ID=$(grep -i '^lambda-runtime-aws-request-id:' \"$H\" | tr -d '\\r' | cut -d' ' -f2)\n"
           "curl -sS -X POST -d \"\\\"$(tool)\\\"\" \"$API/invocation/$ID/response\"\n"
           "sleep 5\n",
           NULL);
    const char *layers[] = {l1, l2};
    fn_spec s = spec("layered", "python3.11", "app.handler",
                     mkcode(0, "app.py",
                            "import shared, sp\n"
                            "def handler(e, c):\n"
                            "    return [shared.VALUE, sp.X]\n",
                            NULL));
    s.layer_dirs = layers;
    s.n_layers = 2;
    fn_result r;
    json_t *a = invoke(&s, "{}", &r);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "two");
    assert_int_equal(json_integer_value(json_array_get(a, 1)), 1);
    fn_result_clear(&r);
    json_decref(a);

    fn_spec n = spec("layered-node", "nodejs20.x", "index.handler",
                     mkcode(0, "index.js",
                            "const greet = require('greet');\n"
                            "exports.handler = async () => greet('you');\n",
                            NULL));
    n.layer_dirs = layers;
    n.n_layers = 2;
    a = invoke(&n, "{}", &r);
    assert_string_equal(json_string_value(a), "hello you");
    fn_result_clear(&r);
    json_decref(a);

    /* no bootstrap in the package: the layers' (/opt/bootstrap), with /opt/bin on PATH */
    fn_spec p = spec("layered-sh", "provided.al2023", NULL, mkcode(0, "README", "none\n", NULL));
    p.layer_dirs = layers;
    p.n_layers = 2;
    a = invoke(&p, "{}", &r);
    assert_string_equal(json_string_value(a), "tool-out");
    fn_result_clear(&r);
    json_decref(a);
}

/* A provided runtime: the package's bootstrap speaks the Runtime API with curl. */
static const char *SH_BOOT =
    "#!/bin/sh\n"
    "API=\"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime\"\n"
    "echo booting\n"
    "while true; do\n"
    "  H=$(mktemp)\n"
    "  B=$(curl -sS -D \"$H\" \"$API/invocation/next\")\n"
    "  ID=$(grep -i '^lambda-runtime-aws-request-id:' \"$H\" | tr -d '\\r' | cut -d' ' -f2)\n"
    "  case \"$B\" in\n"
    "    *sleep*) sleep 30 ;;\n"
    "    *mem*) python3 -c 'b = b\"x\" * (400 << 20); import time; time.sleep(30)' ;;\n"
    "    *err*) curl -sS -X POST -H 'Lambda-Runtime-Function-Error-Type: My.Error' "
    "-d '{\"errorMessage\":\"nope\",\"errorType\":\"My.Error\"}' \"$API/invocation/$ID/error\" ;;\n"
    "    *) curl -sS -X POST -d \"{\\\"got\\\":$B,\\\"pid\\\":$$}\" "
    "\"$API/invocation/$ID/response\" ;;\n"
    "  esac\n"
    "done\n";

static void test_provided(void **state)
{
    (void)state;
    fn_spec s = spec("sh", "provided.al2023", NULL, mkcode(0, "bootstrap", SH_BOOT, NULL));
    s.timeout_s = 2;
    fn_result r;
    json_t *a = invoke(&s, "{\"x\":1}", &r);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "got"), "x")), 1);
    assert_non_null(strstr(r.log_tail, "booting"));
    fn_result_clear(&r);
    json_t *b = invoke(&s, "{\"err\":1}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(b, "errorType")), "My.Error");
    fn_result_clear(&r);
    json_decref(b);

    /* timeout: AWS's message, the environment discarded */
    b = invoke(&s, "{\"sleep\":1}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    const char *m = json_string_value(json_object_get(b, "errorMessage"));
    assert_non_null(m);
    assert_non_null(strstr(m, "Task timed out after 2.00 seconds"));
    assert_non_null(strstr(m, r.request_id));
    fn_result_clear(&r);
    json_decref(b);
    b = invoke(&s, "{\"x\":2}", &r);
    assert_true(json_integer_value(json_object_get(a, "pid")) !=
                json_integer_value(json_object_get(b, "pid")));
    assert_non_null(strstr(r.log_tail, "Init Duration"));
    fn_result_clear(&r);
    json_decref(b);
    json_decref(a);

    /* memory: the process group over MemorySize is killed */
    s.memory_mb = 128;
    s.timeout_s = 20;
    a = invoke(&s, "{\"mem\":1}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(a, "errorType")), "Runtime.ExitError");
    assert_non_null(
        strstr(json_string_value(json_object_get(a, "errorMessage")), "signal: killed"));
    fn_result_clear(&r);
    json_decref(a);
}

static void test_init_failures(void **state)
{
    (void)state;
    /* crashes during init: Runtime.ExitError with its log */
    fn_spec s = spec("crash", "provided.al2", NULL,
                     mkcode(0, "bootstrap", "#!/bin/sh\necho 'cannot start'\nexit 3\n", NULL));
    fn_result r;
    json_t *a = invoke(&s, "{}", &r);
    assert_string_equal(r.function_error, "Unhandled");
    assert_string_equal(json_string_value(json_object_get(a, "errorType")), "Runtime.ExitError");
    assert_non_null(strstr(json_string_value(json_object_get(a, "errorMessage")), "exit status 3"));
    assert_non_null(strstr(r.log_tail, "cannot start"));
    fn_result_clear(&r);
    json_decref(a);

    /* never calls /next: timed out */
    s = spec("silent", "provided.al2", NULL,
             mkcode(0, "bootstrap", "#!/bin/sh\nexec sleep 60\n", NULL));
    s.timeout_s = 1;
    a = invoke(&s, "{}", &r);
    assert_non_null(strstr(json_string_value(json_object_get(a, "errorMessage")),
                           "Task timed out after 1.00 seconds"));
    fn_result_clear(&r);
    json_decref(a);

    /* a role that does not trust lambda.amazonaws.com: the invocation fails */
    s = spec("untrusted", "python3.11", "app.handler", mkcode(0, "app.py", PY_APP, NULL));
    s.role_arn = "arn:aws:iam::" ACCT ":role/Ec2";
    ferr e = {0};
    memset(&r, 0, sizeof(r));
    assert_int_equal(functions_invoke(&env, &s, "{}", 2, NULL, &r, &e), -1);
    assert_string_equal(e.code, "InvalidParameterValueException");
    assert_string_equal(e.message,
                        "The role defined for the function cannot be assumed by Lambda.");
}

static void test_concurrency(void **state)
{
    (void)state;
    fn_spec s = spec("conc", "provided.al2023", NULL, mkcode(0, "bootstrap", SH_BOOT, NULL));
    s.timeout_s = 1;
    s.concurrency = 1;
    ferr e = {0};
    char id1[40], id2[40];
    assert_int_equal(functions_start(&env, &s, "{\"sleep\":1}", 11, NULL, id1, &e), 0);
    assert_int_equal(functions_start(&env, &s, "{}", 2, NULL, id2, &e), -1);
    assert_string_equal(e.code, "TooManyRequestsException");
    assert_int_equal(e.status, 429);
    /* parked callers: woken through the key, the result taken once */
    char key[48];
    fn_wait_key(id1, key);
    assert_true(!strncmp(key, "fn:", 3));
    fn_result r = {0};
    int rc;
    while ((rc = functions_take(&env, id1, &r)) == 0) usleep(20000);
    assert_int_equal(rc, 1);
    assert_string_equal(r.function_error, "Unhandled");
    fn_result_clear(&r);
    assert_int_equal(functions_take(&env, id1, &r), -1);
    /* the slot is free again */
    s.timeout_s = 10;
    json_t *a = invoke(&s, "{\"x\":1}", &r);
    fn_result_clear(&r);
    json_decref(a);
    /* reserved 0: throttled at once */
    s.concurrency = 0;
    assert_int_equal(functions_start(&env, &s, "{}", 2, NULL, id2, &e), -1);
    assert_string_equal(e.code, "TooManyRequestsException");
    /* scaled out: invocations started together get environments of their own; the next
     * finds one of them warm */
    s.concurrency = -1;
    fn_spec w = spec("wide", "provided.al2023", NULL, s.code_dir);
    char ids[3][40];
    long pids[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(functions_start(&env, &w, "{\"x\":1}", 7, NULL, ids[i], &e), 0);
    for (int i = 0; i < 3; i++) {
        while ((rc = functions_take(&env, ids[i], &r)) == 0) usleep(20000);
        assert_int_equal(rc, 1);
        json_t *j = json_loadb(r.payload, r.len, 0, NULL);
        pids[i] = (long)json_integer_value(json_object_get(j, "pid"));
        json_decref(j);
        fn_result_clear(&r);
    }
    assert_true(pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2]);
    a = invoke(&w, "{\"x\":2}", &r);
    long again = (long)json_integer_value(json_object_get(a, "pid"));
    assert_true(again == pids[0] || again == pids[1] || again == pids[2]);
    fn_result_clear(&r);
    json_decref(a);
    /* a forgotten invocation is freed by the engine */
    s.concurrency = -1;
    assert_int_equal(functions_start(&env, &s, "{}", 2, NULL, id2, &e), 0);
    functions_forget(&env, id2);
}

/* A running ferry (gateway and server on a free loopback port) on its own store, for the
 * functions that call it. */
static gateway *gw;
static server *srv;

static int setup_server(void **state)
{
    (void)state;
    ferr e = {0};
    memset(&env, 0, sizeof(env));
    snprintf(dir, sizeof(dir), "/tmp/ferry-functions-srv-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_non_null(env.st = store_open(dir, STORE_SYNC_NORMAL, &e));
    env.data_dir = dir;
    assert_non_null(gw = gateway_new(&env, &e));
    server_opts so = {.listen = "127.0.0.1:0", .waits = env.waits};
    assert_non_null(srv = server_new(gw, &so, &e));
    snprintf(env.endpoint, sizeof(env.endpoint), "http://127.0.0.1:%d", server_port(srv));
    mkrole("Exec", TRUST("lambda.amazonaws.com"));
    assert_int_equal(functions_engine.start(&env, &e), 0);
    return 0;
}

static int teardown_server(void **state)
{
    (void)state;
    server_free(srv);
    functions_engine.stop(&env);
    gateway_free(gw);
    store_close(env.st);
    return fixture_rmdir(dir);
}

/* The machine's boto3 (Debian 12's 1.26 ignores AWS_ENDPOINT_URL) reaches ferry with the
 * function's code unchanged, signed with the execution role's session. */
static void test_python_boto3(void **state)
{
    (void)state;
    if (system("/usr/bin/python3 -c 'import boto3' 2>/dev/null")) skip();
    const char *app = "import boto3\n"
                      "def handler(event, context):\n"
                      "    return boto3.client('sts').get_caller_identity()['Arn']\n";
    fn_spec s = spec("whoami", "python3.11", "app.handler", mkcode(0, "app.py", app, NULL));
    fn_result r;
    json_t *a = invoke(&s, "{}", &r);
    if (r.function_error) fprintf(stderr, "%.*s\n%s\n", (int)r.len, r.payload, r.log_tail);
    assert_null(r.function_error);
    assert_string_equal(json_string_value(a), "arn:aws:sts::" ACCT ":assumed-role/Exec/whoami");
    fn_result_clear(&r);
    json_decref(a);
}

static void restart(const char *idle)
{
    functions_engine.stop(&env);
    setenv("FERRY_FN_IDLE_SECONDS", idle, 1);
    ferr e = {0};
    assert_int_equal(functions_engine.start(&env, &e), 0);
}

static long pid_of(const fn_spec *s)
{
    fn_result r;
    json_t *a = invoke(s, "{}", &r);
    long pid = (long)json_integer_value(json_object_get(a, "pid"));
    fn_result_clear(&r);
    json_decref(a);
    return pid;
}

/* 1 while pid runs (a zombie does not) */
static int alive(long pid)
{
    char c = proc_state(pid);
    return c && c != 'Z';
}

static void wait_gone(long pid)
{
    for (int i = 0; i < 400 && alive(pid); i++) usleep(50000);
    assert_false(alive(pid));
}

/* Idle environments are reaped (FERRY_FN_IDLE_SECONDS); an environment retires before its
 * role's credentials expire. */
static void test_idle_and_expiry(void **state)
{
    (void)state;
    fn_spec s = spec("idle", "python3.11", "app.handler", mkcode(0, "app.py", PY_APP, NULL));
    restart("1");
    long p1 = pid_of(&s);
    wait_gone(p1);
    long p2 = pid_of(&s);
    assert_true(p2 != p1);

    restart("100000");
    long p3 = pid_of(&s);
    assert_int_equal(pid_of(&s), p3);
    clock_set_offset(3600 - 200); /* the one-hour session ends in 200 s */
    wait_gone(p3);
    clock_set_offset(0);
    assert_true(pid_of(&s) != p3);
    restart("60");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash),
        cmocka_unit_test(test_python),
        cmocka_unit_test(test_python_init_errors),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_provided),
        cmocka_unit_test(test_init_failures),
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_idle_and_expiry),
    };
    const struct CMUnitTest served[] = {cmocka_unit_test(test_python_boto3)};
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    return rc | cmocka_run_group_tests(served, setup_server, teardown_server);
}
