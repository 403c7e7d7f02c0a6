/* SSM below the wire, through svc_invoke: the parameter quotas (AWS: 10,000 Standard and
 * 100,000 Advanced per account and region) are kept in one count document that creates,
 * tier changes and deletes move, so reaching a quota reads no parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/keys.h"
#include "svc/ssm/ssm_int.h"
#include "fixture.h"

static char dir[256];
static ferry_env env;
static principal root;

#define ACCT   "111122223333"
#define REGION "us-east-1"

static int setup(void **st)
{
    (void)st;
    keys_root_principal(ACCT, &root);
    return fixture_env_open(&env, dir, sizeof(dir), "ssm-test");
}

static int teardown(void **st)
{
    (void)st;
    return fixture_env_close(&env, dir);
}

/* svc_invoke's error code ("" on success). */
static const char *put(const char *name, const char *tier, ferr *e)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:b}", "Name", name, "Value", "v", "Type",
                           "String", "Tier", tier, "Overwrite", 1);
    json_t *out = NULL;
    ferr_clear(e);
    svc_invoke(&env, &root, REGION, "ssm", "PutParameter", in, &out, NULL, e);
    json_decref(in);
    json_decref(out);
    return e->code;
}

static json_t *counts(void)
{
    ferr e = {0};
    store_txn *t;
    json_t *doc = NULL;
    store_key k = {SSM_COUNT_KIND, ACCT, REGION, "parameters"};
    assert_int_equal(store_begin(env.st, 0, &t, &e), 0);
    assert_int_equal(store_get(t, &k, &doc, &e), 1);
    store_rollback(t);
    return doc;
}

static void set_counts(long long standard, long long advanced)
{
    ferr e = {0};
    store_txn *t;
    store_key k = {SSM_COUNT_KIND, ACCT, REGION, "parameters"};
    json_t *doc =
        json_pack("{s:I, s:I}", "Standard", (json_int_t)standard, "Advanced", (json_int_t)advanced);
    assert_int_equal(store_begin(env.st, 1, &t, &e), 0);
    assert_int_equal(store_put(t, &k, doc, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    json_decref(doc);
}

static void test_counts_follow_parameters(void **st)
{
    (void)st;
    ferr e;
    assert_string_equal(put("/q/a", "Standard", &e), "");
    assert_string_equal(put("/q/b", "Standard", &e), "");
    assert_string_equal(put("/q/b", "Standard", &e), ""); /* a new version is no new parameter */
    assert_string_equal(put("/q/a", "Advanced", &e), ""); /* an upgrade moves it */
    json_t *c = counts();
    assert_int_equal(jint(c, "Standard", -1), 1);
    assert_int_equal(jint(c, "Advanced", -1), 1);
    json_decref(c);
    json_t *in = json_pack("{s:[s, s]}", "Names", "/q/a", "/q/none"), *out = NULL;
    assert_int_equal(svc_invoke(&env, &root, REGION, "ssm", "DeleteParameters", in, &out, NULL, &e),
                     0);
    json_decref(in);
    json_decref(out);
    c = counts();
    assert_int_equal(jint(c, "Advanced", -1), 0);
    assert_int_equal(jint(c, "Standard", -1), 1);
    json_decref(c);
}

static void test_quota_reached(void **st)
{
    (void)st;
    ferr e;
    set_counts(10000, 99999);
    assert_string_equal(put("/q/over", "Standard", &e), "ParameterLimitExceeded");
    /* existing parameters still take new versions; Advanced has room for one */
    assert_string_equal(put("/q/b", "Standard", &e), "");
    assert_string_equal(put("/q/adv", "Advanced", &e), "");
    assert_string_equal(put("/q/adv2", "Advanced", &e), "ParameterLimitExceeded");
    json_t *c = counts();
    assert_int_equal(jint(c, "Advanced", -1), 100000);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_follow_parameters),
        cmocka_unit_test(test_quota_reached),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
