/* Secrets Manager below the wire: staging labels as PutSecretValue and
 * UpdateSecretVersionStage move them (stages.c), GetRandomPassword's character classes
 * (password.c), and, through svc_invoke with a clock offset, a secret whose recovery window
 * passed is gone while one still in it refuses reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "engine/audit.h"
#include "fixture.h"
#include "svc/secretsmanager/secretsmanager_int.h"

#define ACCT "111122223333"

static const char *stages_of(const json_t *versions, const char *vid)
{
    static char buf[256];
    buf[0] = 0;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(json_object_get(versions, vid), "Stages"), i, s) {
        if (i) strcat(buf, ",");
        strcat(buf, json_string_value(s));
    }
    return buf;
}

static void add(json_t *versions, const char *vid, double t, const char *stages_json)
{
    json_t *st = stages_json ? json_loads(stages_json, 0, NULL) : NULL;
    assert_int_equal(sm_version_add(versions, vid, json_pack("{s:f}", "CreatedDate", t), st), 0);
    json_decref(st);
}

static void test_put_moves_current_and_previous(void **state)
{
    (void)state;
    json_t *v = json_object();
    add(v, "v1", 1, NULL);
    assert_string_equal(stages_of(v, "v1"), "AWSCURRENT");
    add(v, "v2", 2, NULL);
    assert_string_equal(stages_of(v, "v1"), "AWSPREVIOUS");
    assert_string_equal(stages_of(v, "v2"), "AWSCURRENT");
    add(v, "v3", 3, NULL);
    /* AWSPREVIOUS follows: v1 is now deprecated */
    assert_string_equal(stages_of(v, "v1"), "");
    assert_string_equal(stages_of(v, "v2"), "AWSPREVIOUS");
    assert_string_equal(stages_of(v, "v3"), "AWSCURRENT");
    /* a pending version takes nothing from the current one */
    add(v, "v4", 4, "[\"AWSPENDING\", \"blue\"]");
    assert_string_equal(stages_of(v, "v3"), "AWSCURRENT");
    assert_string_equal(stages_of(v, "v4"), "AWSPENDING,blue");
    add(v, "v5", 5, "[\"blue\"]");
    assert_string_equal(stages_of(v, "v4"), "AWSPENDING");
    assert_string_equal(sm_stage_holder(v, "blue"), "v5");
    /* moving AWSCURRENT by hand: the caller moves AWSPREVIOUS (UpdateSecretVersionStage) */
    assert_int_equal(sm_stage_move(v, "AWSCURRENT", "v4"), 0);
    assert_string_equal(stages_of(v, "v3"), "");
    assert_string_equal(stages_of(v, "v4"), "AWSPENDING,AWSCURRENT");
    assert_int_equal(sm_stage_remove(v, "v4", "AWSPENDING"), 0);
    assert_string_equal(stages_of(v, "v4"), "AWSCURRENT");
    assert_null(sm_stage_holder(v, "AWSPENDING"));
    assert_int_not_equal(sm_stage_move(v, "x", "nope"), 0);
    json_t *map = sm_version_stages(v);
    assert_int_equal(json_object_size(map), 3); /* v2, v4, v5 */
    assert_null(json_object_get(map, "v1"));
    json_decref(map);
    json_decref(v);
}

static void test_old_unlabeled_versions_pruned(void **state)
{
    (void)state;
    json_t *v = json_object();
    char id[16];
    for (int i = 0; i < SM_MAX_VERSIONS + 10; i++) {
        snprintf(id, sizeof(id), "v%d", i);
        add(v, id, i, NULL);
    }
    assert_int_equal(json_object_size(v), SM_MAX_VERSIONS);
    /* the oldest went; the labeled ones stay */
    assert_null(json_object_get(v, "v0"));
    assert_null(json_object_get(v, "v9"));
    assert_non_null(json_object_get(v, "v10"));
    snprintf(id, sizeof(id), "v%d", SM_MAX_VERSIONS + 9);
    assert_string_equal(sm_stage_holder(v, "AWSCURRENT"), id);
    json_decref(v);
}

static void test_password_classes(void **state)
{
    (void)state;
    char pw[4097];
    const char *why = NULL;
    for (int round = 0; round < 200; round++) {
        /* every kept class appears, even in a password as short as the classes are many */
        sm_password_opts o = {.length = 4, .each_type = 1};
        assert_int_equal(sm_password(&o, pw, &why), 0);
        assert_int_equal(strlen(pw), 4);
        assert_true(strpbrk(pw, "abcdefghijklmnopqrstuvwxyz") != NULL);
        assert_true(strpbrk(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL);
        assert_true(strpbrk(pw, "0123456789") != NULL);
        assert_true(strpbrk(pw, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") != NULL);
    }
    sm_password_opts hex = {.length = 4096,
                            .exclude = "ghijklmnopqrstuvwxyz",
                            .no_upper = 1,
                            .no_punctuation = 1};
    assert_int_equal(sm_password(&hex, pw, &why), 0);
    assert_int_equal(strspn(pw, "0123456789abcdef"), 4096);
    /* every character of the kept set turns up in a long password */
    for (const char *ch = "0123456789abcdef"; *ch; ch++) assert_non_null(strchr(pw, *ch));
    sm_password_opts none = {.length = 8,
                             .no_lower = 1,
                             .no_upper = 1,
                             .no_numbers = 1,
                             .no_punctuation = 1};
    assert_int_equal(sm_password(&none, pw, &why), -1);
    sm_password_opts emptied = {.length = 8,
                                .exclude = "0123456789",
                                .no_lower = 1,
                                .no_upper = 1,
                                .no_punctuation = 1};
    assert_int_equal(sm_password(&emptied, pw, &why), -1);
    sm_password_opts short_ = {.length = 3, .each_type = 1};
    assert_int_equal(sm_password(&short_, pw, &why), -1);
    short_.each_type = 0;
    assert_int_equal(sm_password(&short_, pw, &why), 0);
    sm_password_opts space = {.length = 2,
                              .space = 1,
                              .no_lower = 1,
                              .no_upper = 1,
                              .no_numbers = 1,
                              .no_punctuation = 1,
                              .each_type = 1};
    assert_int_equal(sm_password(&space, pw, &why), 0);
    assert_string_equal(pw, "  ");
    sm_password_opts big = {.length = 4097};
    assert_int_equal(sm_password(&big, pw, &why), -1);
}

/* ---- through the service ---- */

static char dir[256];
static ferry_env env;
static principal root;

static json_t *invoke(const char *svc, const char *op, json_t *in, ferr *e)
{
    json_t *out = NULL;
    ferr_clear(e);
    int rc = svc_invoke(&env, &root, "us-east-1", svc, op, in, &out, NULL, e);
    json_decref(in);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out ? out : json_object();
}

static json_t *ok(const char *svc, const char *op, json_t *in)
{
    ferr e;
    json_t *out = invoke(svc, op, in, &e);
    if (!out) fail_msg("%s: %s %s", op, e.code, e.message);
    return out;
}

static void test_recovery_window(void **state)
{
    (void)state;
    ferr e = {0};
    env.st = fixture_store_open(dir, sizeof(dir), "sm-test");
    assert_non_null(env.st);
    env.data_dir = dir;
    env.audit = auditq_new(env.st, &e);
    assert_non_null(env.audit);
    keys_root_principal(ACCT, &root);
    json_t *k = ok("kms", "CreateKey", json_object());
    const char *kid = json_string_value(json_object_get(json_object_get(k, "KeyMetadata"), "Arn"));
    json_decref(
        ok("secretsmanager", "CreateSecret",
           json_pack("{s:s, s:s, s:s}", "Name", "s", "SecretString", "v", "KmsKeyId", kid)));
    json_t *got = ok("secretsmanager", "GetSecretValue", json_pack("{s:s}", "SecretId", "s"));
    assert_string_equal(json_string_value(json_object_get(got, "SecretString")), "v");
    json_decref(got);
    json_decref(ok("secretsmanager", "DeleteSecret",
                   json_pack("{s:s, s:i}", "SecretId", "s", "RecoveryWindowInDays", 7)));
    clock_set_offset(6.9 * 86400);
    assert_null(
        invoke("secretsmanager", "GetSecretValue", json_pack("{s:s}", "SecretId", "s"), &e));
    assert_string_equal(e.code, "InvalidRequestException");
    json_decref(ok("secretsmanager", "DescribeSecret", json_pack("{s:s}", "SecretId", "s")));
    clock_set_offset(7.1 * 86400);
    assert_null(
        invoke("secretsmanager", "DescribeSecret", json_pack("{s:s}", "SecretId", "s"), &e));
    assert_string_equal(e.code, "ResourceNotFoundException");
    assert_null(invoke("secretsmanager", "RestoreSecret", json_pack("{s:s}", "SecretId", "s"), &e));
    assert_string_equal(e.code, "ResourceNotFoundException");
    /* the name is free again */
    json_decref(
        ok("secretsmanager", "CreateSecret",
           json_pack("{s:s, s:s, s:s}", "Name", "s", "SecretString", "w", "KmsKeyId", kid)));
    clock_set_offset(0);
    json_decref(k);
    auditq_free(env.audit);
    assert_int_equal(fixture_store_close(env.st, dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_moves_current_and_previous),
        cmocka_unit_test(test_old_unlabeled_versions_pruned),
        cmocka_unit_test(test_password_classes),
        cmocka_unit_test(test_recovery_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
