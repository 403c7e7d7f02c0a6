/* KMS below the wire, through svc_invoke: a key whose deletion window passed is gone (clock
 * offset), the master key is read back from its file (blobs still open after the service
 * used another data directory's key), and AWS managed keys are made only when their service
 * calls in a write transaction (svc_invoke_in with kms:ViaService). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "engine/audit.h"
#include "svc/kms/kms_int.h"
#include "fixture.h"

static char dir[256], dir2[256];
static ferry_env env;
static principal root;

#define ACCT "111122223333"

static int setup(void **st)
{
    (void)st;
    ferr e = {0};
    memset(&env, 0, sizeof(env));
    env.st = fixture_store_open(dir, sizeof(dir), "kms-test");
    assert_non_null(env.st);
    assert_int_equal(fixture_tmpdir(dir2, sizeof(dir2), "kms-test2"), 0);
    env.data_dir = dir;
    env.audit = auditq_new(env.st, &e);
    assert_non_null(env.audit);
    keys_root_principal(ACCT, &root);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    clock_set_offset(0);
    auditq_free(env.audit);
    return fixture_store_close(env.st, dir) | fixture_rmdir(dir2);
}

static json_t *invoke(const char *op, json_t *in, ferr *e)
{
    json_t *out = NULL;
    ferr_clear(e);
    int rc = svc_invoke(&env, &root, "us-east-1", "kms", op, in, &out, NULL, e);
    json_decref(in);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out ? out : json_object();
}

static json_t *ok(const char *op, json_t *in)
{
    ferr e;
    json_t *out = invoke(op, in, &e);
    if (!out) fail_msg("%s: %s %s", op, e.code, e.message);
    return out;
}

static char *new_key(void)
{
    json_t *o = ok("CreateKey", json_object());
    char *id =
        strdup(json_string_value(json_object_get(json_object_get(o, "KeyMetadata"), "KeyId")));
    json_decref(o);
    return id;
}

static void test_deleted_after_window(void **st)
{
    (void)st;
    char *id = new_key();
    json_decref(
        ok("ScheduleKeyDeletion", json_pack("{s:s, s:i}", "KeyId", id, "PendingWindowInDays", 7)));
    clock_set_offset(6.9 * 86400);
    json_decref(ok("DescribeKey", json_pack("{s:s}", "KeyId", id)));
    clock_set_offset(7.1 * 86400);
    ferr e;
    assert_null(invoke("DescribeKey", json_pack("{s:s}", "KeyId", id), &e));
    assert_string_equal(e.code, "NotFoundException");
    assert_null(invoke("CancelKeyDeletion", json_pack("{s:s}", "KeyId", id), &e));
    assert_string_equal(e.code, "NotFoundException");
    json_t *keys = ok("ListKeys", json_object());
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(keys, "Keys"), i, k)
        assert_string_not_equal(json_string_value(json_object_get(k, "KeyId")), id);
    json_decref(keys);
    clock_set_offset(0);
    free(id);
}

static void test_master_key_from_file(void **st)
{
    (void)st;
    char *id = new_key();
    json_t *o = ok("Encrypt", json_pack("{s:s, s:s}", "KeyId", id, "Plaintext", "aGVsbG8="));
    json_t *blob = json_incref(json_object_get(o, "CiphertextBlob"));
    json_decref(o);
    /* another data directory: another master key, under which this key's material does not
     * open (InternalFailure, not plaintext) */
    env.data_dir = dir2;
    ferr e;
    assert_null(invoke("Decrypt", json_pack("{s:O}", "CiphertextBlob", blob), &e));
    assert_string_equal(e.code, "InternalFailure");
    /* back: the key is read from dir's file again */
    env.data_dir = dir;
    o = ok("Decrypt", json_pack("{s:O}", "CiphertextBlob", blob));
    assert_string_equal(json_string_value(json_object_get(o, "Plaintext")), "aGVsbG8=");
    json_decref(o);
    json_decref(blob);
    free(id);
}

/* op as a service calls it on root's behalf, in its own write transaction, with
 * kms:ViaService = via (NULL: none). */
static json_t *invoke_via(const char *op, json_t *in, const char *via, ferr *e)
{
    store_txn *t;
    arena *a = arena_new(0);
    json_t *ctx = via ? json_pack("{s:s}", "kms:ViaService", via) : NULL, *out = NULL;
    assert_non_null(a);
    ferr_clear(e);
    assert_int_equal(store_begin(env.st, 1, &t, e), 0);
    int rc = svc_invoke_in(t, a, &env, &root, "us-east-1", "kms", op, in, &out, ctx, e);
    ferr ce = {0};
    assert_int_equal(store_commit(t, &ce), 0);
    arena_free(a);
    json_decref(ctx);
    json_decref(in);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void test_managed_key(void **st)
{
    (void)st;
    ferr e;
    const char *ssm = "ssm.us-east-1.amazonaws.com";
    /* a client's own call, or another service's, does not make it */
    assert_null(invoke(
        "Encrypt", json_pack("{s:s, s:s}", "KeyId", "alias/aws/ssm", "Plaintext", "aGVsbG8="), &e));
    assert_string_equal(e.code, "NotFoundException");
    assert_null(invoke_via("GenerateDataKey",
                           json_pack("{s:s, s:i}", "KeyId", "alias/aws/ssm", "NumberOfBytes", 32),
                           "sqs.us-east-1.amazonaws.com", &e));
    assert_string_equal(e.code, "NotFoundException");
    assert_null(
        invoke_via("GenerateDataKey",
                   json_pack("{s:s, s:i}", "KeyId", "alias/aws/nosuch", "NumberOfBytes", 32),
                   "nosuch.us-east-1.amazonaws.com", &e));
    assert_string_equal(e.code, "NotFoundException");
    /* SSM's first call makes it; its second uses the same key */
    json_t *dk =
        invoke_via("GenerateDataKey",
                   json_pack("{s:s, s:i}", "KeyId", "alias/aws/ssm", "NumberOfBytes", 32), ssm, &e);
    if (!dk) fail_msg("%s %s", e.code, e.message);
    json_t *dk2 =
        invoke_via("GenerateDataKey",
                   json_pack("{s:s, s:i}", "KeyId", "alias/aws/ssm", "NumberOfBytes", 32), ssm, &e);
    assert_non_null(dk2);
    const char *arn = json_string_value(json_object_get(dk, "KeyId"));
    assert_string_equal(arn, json_string_value(json_object_get(dk2, "KeyId")));
    json_t *pt = invoke_via(
        "Decrypt", json_pack("{s:O}", "CiphertextBlob", json_object_get(dk, "CiphertextBlob")), ssm,
        &e);
    assert_non_null(pt);
    assert_true(json_equal(json_object_get(pt, "Plaintext"), json_object_get(dk, "Plaintext")));
    json_decref(pt);
    /* the account reads its metadata; it is AWS's */
    json_t *d = ok("DescribeKey", json_pack("{s:s}", "KeyId", "alias/aws/ssm"));
    json_t *md = json_object_get(d, "KeyMetadata");
    assert_string_equal(jstr(md, "Arn"), arn);
    assert_string_equal(jstr(md, "KeyManager"), "AWS");
    assert_string_equal(jstr(md, "Description"),
                        "Default key that protects my SSM parameters when no other key is defined");
    json_t *rot = ok("GetKeyRotationStatus", json_pack("{s:s}", "KeyId", arn));
    assert_true(json_is_true(json_object_get(rot, "KeyRotationEnabled")));
    json_decref(rot);
    json_t *pol = ok("GetKeyPolicy", json_pack("{s:s}", "KeyId", arn));
    assert_non_null(
        strstr(jstr(pol, "Policy"), "\"kms:ViaService\":\"ssm.us-east-1.amazonaws.com\""));
    json_decref(pol);
    /* but cannot use it directly (kms:ViaService), nor manage it */
    assert_null(invoke("Decrypt",
                       json_pack("{s:O}", "CiphertextBlob", json_object_get(dk, "CiphertextBlob")),
                       &e));
    assert_string_equal(e.code, "AccessDenied"); /* AccessDeniedException on the wire */
    static const char *const refused[] = {"DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy",
                                          "DisableKeyRotation", "TagResource"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        json_t *in = json_pack("{s:s, s:s, s:[]}", "KeyId", arn, "Policy", "{}", "Tags");
        assert_null(invoke(refused[i], in, &e));
        assert_string_equal(e.code, "AccessDenied"); /* AccessDeniedException on the wire */
    }
    /* nor may an alias be pointed elsewhere */
    char *mine = new_key();
    assert_null(invoke("UpdateAlias",
                       json_pack("{s:s, s:s}", "AliasName", "alias/aws/ssm", "TargetKeyId", mine),
                       &e));
    assert_string_equal(e.code, "NotAuthorizedException");
    free(mine);
    json_decref(d);
    json_decref(dk);
    json_decref(dk2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deleted_after_window),
        cmocka_unit_test(test_master_key_from_file),
        cmocka_unit_test(test_managed_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
