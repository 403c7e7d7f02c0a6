/* svc_exec never drops an error: a handler that returned 0 after running out of memory in a
 * helper that cannot report (svc_out, call_resource: c->oom) fails with InternalFailure, and
 * what it wrote is rolled back. A handler that needs a URL (call_fetch) is run again after
 * the fetch, which happens with no transaction open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "auth/keys.h"
#include "svc/svc.h"

/* Writes are audited inside their own transaction: the store alone is enough here. */
static char dir[] = "/tmp/ferry-exec-test-XXXXXX";
static ferry_env env;
static principal root;

static const store_key doc_key = {"test.doc", "111122223333", "us-east-1", "d1"};

/* Writes a document, then "runs out of memory" building its result. */
static int writes_then_loses_result(call *c, json_t *in, json_t **out)
{
    (void)in;
    json_t *doc = json_pack("{s:s}", "k", "v");
    int rc = store_put(c->txn, &doc_key, doc, c->err);
    json_decref(doc);
    if (rc) return -1;
    *out = svc_out(c, NULL); /* what json_pack answers when memory runs out */
    return 0;
}

static int writes_and_answers(call *c, json_t *in, json_t **out)
{
    (void)in;
    json_t *doc = json_pack("{s:s}", "k", "v");
    int rc = store_put(c->txn, &doc_key, doc, c->err);
    json_decref(doc);
    *out = svc_out(c, json_object());
    return rc;
}

/* Writes, then needs a URL nothing answers: the first run's write is rolled back, the fetch
 * fails with no transaction open, and the second run answers with what call_fetch said. */
static int fetch_runs;
static int writes_then_fetches(call *c, json_t *in, json_t **out)
{
    (void)in;
    fetch_runs++;
    json_t *doc = json_pack("{s:i}", "run", fetch_runs);
    int rc = store_put(c->txn, &doc_key, doc, c->err);
    json_decref(doc);
    if (rc) return -1;
    call_resource(c, "Test::Thing", "t1");
    const char *body = NULL;
    size_t len = 0;
    rc = call_fetch(c, "http://127.0.0.1:1/nothing", 1024, &body, &len);
    if (rc < 0) return -1;
    json_t *res = json_loads(c->resources, 0, NULL);
    *out = svc_out(c, json_pack("{s:i, s:i}", "fetch", rc, "resources", (int)json_array_size(res)));
    json_decref(res);
    return 0;
}

static int stored(void)
{
    store_txn *t = NULL;
    ferr e = {0};
    assert_int_equal(store_begin(env.st, 0, &t, &e), 0);
    json_t *doc = NULL;
    int rc = store_get(t, &doc_key, &doc, &e);
    store_rollback(t);
    json_decref(doc);
    return rc;
}

static int run(svc_fn fn, json_t **out, ferr *e)
{
    arena *a = arena_new(0);
    svc_op op = {"TestOp", fn, 0};
    call c = {.a = a,
              .env = &env,
              .request_id = "r1",
              .service = "test",
              .op = "TestOp",
              .account = root.account,
              .region = "us-east-1",
              .who = &root,
              .err = e};
    json_t *in = json_object();
    int rc = svc_exec(&c, &op, in, out);
    json_decref(in);
    arena_free(a);
    return rc;
}

static void oom_in_a_helper_fails_the_call(void **st)
{
    (void)st;
    ferr e = {0};
    assert_non_null(mkdtemp(dir));
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(env.st);
    keys_root_principal("111122223333", &root);

    json_t *out = NULL;
    assert_int_equal(run(writes_then_loses_result, &out, &e), -1);
    assert_null(out);
    assert_int_equal(e.status, 500);
    assert_string_equal(e.code, "InternalFailure");
    assert_int_equal(stored(), 0); /* its write was rolled back */

    ferr_clear(&e);
    assert_int_equal(run(writes_and_answers, &out, &e), 0);
    assert_non_null(out);
    json_decref(out);
    assert_int_equal(stored(), 1);

    /* call_fetch: run again after a fetch made outside the transaction */
    store_txn *t = NULL;
    assert_int_equal(store_begin(env.st, 1, &t, &e), 0);
    assert_int_equal(store_del(t, &doc_key, &e) < 0, 0);
    assert_int_equal(store_commit(t, &e), 0);
    assert_int_equal(run(writes_then_fetches, &out, &e), 0);
    assert_int_equal(fetch_runs, 2);
    assert_int_equal(jint(out, "fetch", -1), 1);     /* failed: the handler says how */
    assert_int_equal(jint(out, "resources", -1), 1); /* the first run's audit list is gone */
    json_decref(out);
    assert_int_equal(stored(), 1);
    store_close(env.st);
    assert_int_equal(fixture_rmdir(dir), 0);
}

/* call_resource writes the trail's JSON text itself: escaped, parseable, and a name that is
 * not UTF-8 fails the call as a list that could not be made did */
static void resources_are_json(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    call c = {.a = a};
    call_resource(&c, "AWS::S3::Object", "b/k\"q\\\n\x01é");
    call_resource(&c, "AWS::S3::Bucket", "b");
    assert_false(c.oom);
    json_error_t je;
    json_t *j = json_loads(c.resources, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(jstr(json_array_get(j, 0), "ResourceName"), "b/k\"q\\\n\x01é");
    assert_string_equal(jstr(json_array_get(j, 1), "ResourceType"), "AWS::S3::Bucket");
    json_decref(j);
    /* the same strings, unescaped, for the trail's filters */
    static const char names[] = "AWS::S3::Object\0b/k\"q\\\n\x01é\0AWS::S3::Bucket\0b";
    assert_int_equal(c.resource_names_len, sizeof(names));
    assert_memory_equal(c.resource_names, names, sizeof(names));
    call_resource(&c, "AWS::S3::Object", "\xff");
    assert_true(c.oom);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(oom_in_a_helper_fails_the_call),
                                       cmocka_unit_test(resources_are_json)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
