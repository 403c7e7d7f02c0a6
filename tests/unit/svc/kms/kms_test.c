/* KMS below the wire, through svc_invoke: a key whose deletion window passed is gone (clock
 * offset), and the master key is read back from its file (blobs still open after the
 * service used another data directory's key). */
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

static char dir[256], dir2[256];
static ferry_env env;
static principal root;

#define ACCT "111122223333"

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/ferry-kms-test-XXXXXX");
    snprintf(dir2, sizeof(dir2), "/tmp/ferry-kms-test2-XXXXXX");
    assert_non_null(mkdtemp(dir));
    assert_non_null(mkdtemp(dir2));
    ferr e = {0};
    memset(&env, 0, sizeof(env));
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(env.st);
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
    store_close(env.st);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, dir2);
    return system(cmd);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deleted_after_window),
        cmocka_unit_test(test_master_key_from_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
