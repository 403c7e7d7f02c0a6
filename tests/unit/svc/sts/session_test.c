/* Role sessions as STS stores them (auth/keys.c keys_create_session_ex): the principal comes
 * back from the key, the session's policies and tags sit beside it, and nothing in them can
 * replace the key's own fields. */
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
#include "auth/keys.h"
#include "base/clock.h"

static void test_session_with_extra_fields(void **st)
{
    (void)st;
    char dir[] = "/tmp/ferry-sts-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    ferr e = {0};
    store *s = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(s);
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);

    principal p;
    memset(&p, 0, sizeof(p));
    p.kind = PRIN_ASSUMED_ROLE;
    snprintf(p.account, sizeof(p.account), "222222222222");
    snprintf(p.arn, sizeof(p.arn), "arn:aws:sts::222222222222:assumed-role/deploy/ci");
    snprintf(p.userid, sizeof(p.userid), "AROAEXAMPLEEXAMPLE1:ci");
    snprintf(p.name, sizeof(p.name), "deploy");
    snprintf(p.session, sizeof(p.session), "ci");
    snprintf(p.role_arn, sizeof(p.role_arn), "arn:aws:iam::222222222222:role/ops/deploy");
    double exp = clock_now() + 900;
    json_t *extra = json_pack("{s:s, s:[s], s:[{s:s, s:s}], s:[s], s:s, s:s}", "SessionPolicy",
                              "{\"Statement\":[]}", "SessionPolicyArns",
                              "arn:aws:iam::aws:policy/ReadOnlyAccess", "SessionTags", "Key",
                              "team", "Value", "blue", "TransitiveTagKeys", "team",
                              "SourceIdentity", "ana", "SecretAccessKey", "stolen");
    key_info k;
    assert_int_equal(keys_create_session_ex(t, &p, exp, extra, &k, &e), 0);
    json_decref(extra);
    assert_memory_equal(k.akid, "ASIA", 4);
    assert_true(k.session_token[0] != 0);

    key_info back;
    assert_int_equal(keys_lookup(t, k.akid, &back, &e), 1);
    assert_int_equal(back.who.kind, PRIN_ASSUMED_ROLE);
    assert_string_equal(back.who.arn, p.arn);
    assert_string_equal(back.who.userid, p.userid);
    assert_string_equal(back.who.role_arn, p.role_arn);
    assert_string_equal(back.who.session, "ci");
    assert_true(back.who.temporary);
    assert_true(back.who.expires > clock_now());
    assert_string_equal(back.secret, k.secret); /* extra never replaces the key's own */

    json_t *doc = NULL;
    store_key key = {"accesskey", "", "", k.akid};
    assert_int_equal(store_get(t, &key, &doc, &e), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "SessionPolicy")),
                        "{\"Statement\":[]}");
    assert_int_equal(json_array_size(json_object_get(doc, "SessionPolicyArns")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(doc, "SessionTags"), 0), "Value")),
                        "blue");
    assert_string_equal(json_string_value(json_object_get(doc, "SourceIdentity")), "ana");
    json_decref(doc);

    /* the plain form stores nothing more */
    assert_int_equal(keys_create_session(t, &p, exp, &k, &e), 0);
    key.id = k.akid;
    assert_int_equal(store_get(t, &key, &doc, &e), 1);
    assert_null(json_object_get(doc, "SessionTags"));
    json_decref(doc);

    store_rollback(t);
    store_close(s);
    assert_int_equal(fixture_rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_with_extra_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
