/* src/svc/session.c, the one role-assumption path: a service assumes a role that trusts it
 * and the session is held by that service; the assumption is an sts:AssumeRole record in
 * the caller's transaction; a refusal is recorded whether or not the caller commits (also
 * from inside the caller's write transaction, without waiting for the writer it blocks);
 * a chained session keeps the service and is capped at one hour. */
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
#include "engine/audit.h"
#include "svc/iam/iam.h"
#include "svc/session.h"

#define ACCT "111122223333"
#define CFN  "cloudformation.amazonaws.com"
#define TRUST_CFN \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":" \
    "\"" CFN "\"},\"Action\":\"sts:AssumeRole\"}]}"
#define TRUST_EC2 \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":" \
    "\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"
#define TRUST_EXEC \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":" \
    "\"arn:aws:iam::" ACCT ":role/Exec\"},\"Action\":\"sts:AssumeRole\"}]}"
#define ARN(n) "arn:aws:iam::" ACCT ":role/" n

typedef struct fx {
    char dir[64];
    store *st;
    ferry_env env;
    principal cfn;
} fx;

static void mkrole(fx *f, const char *name, const char *trust)
{
    ferr e = {0};
    principal root;
    keys_root_principal(ACCT, &root);
    call c = {.a = arena_new(4096),
              .env = &f->env,
              .request_id = "t",
              .service = "iam",
              .op = "CreateRole",
              .account = ACCT,
              .region = "us-east-1",
              .who = &root,
              .err = &e};
    assert_int_equal(store_begin(f->st, 1, &c.txn, &e), 0);
    assert_int_equal(iamsvc_create_role(&c, ACCT, name, NULL, trust, NULL, 0, NULL), 0);
    assert_int_equal(store_commit(c.txn, &e), 0);
    arena_free(c.a);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/ferry-session-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    ferr e = {0};
    f->st = store_open(f->dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(f->st);
    f->env.st = f->st;
    f->env.audit = auditq_new(f->st, &e);
    assert_non_null(f->env.audit);
    session_service_principal(&f->cfn, CFN, ACCT);
    mkrole(f, "Exec", TRUST_CFN);
    mkrole(f, "Other", TRUST_EC2);
    mkrole(f, "Next", TRUST_EXEC);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    auditq_free(f->env.audit);
    store_close(f->st);
    assert_int_equal(fixture_rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* The trail's AssumeRole records: "principal|source|error|resources" lines. */
typedef struct seen {
    char lines[8][768];
    int n;
} seen;

static int seen_cb(void *ud, int64_t seq, const audit_rec *r)
{
    (void)seq;
    seen *s = ud;
    if (s->n < 8 && !strcmp(r->operation, "AssumeRole"))
        snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s|%s|%s|%s", r->principal_arn,
                 r->source_ip, r->error_code ? r->error_code : "",
                 r->resources ? r->resources : "");
    return 0;
}

static void trail(fx *f, store_txn *t, seen *s)
{
    memset(s, 0, sizeof(*s));
    ferr e = {0};
    store_txn *own = NULL;
    if (!t) {
        auditq_free(f->env.audit); /* drains what is queued */
        f->env.audit = auditq_new(f->st, &e);
        assert_int_equal(store_begin(f->st, 0, &own, &e), 0);
        t = own;
    }
    audit_query q = {.account = ACCT, .region = "us-east-1", .limit = 50};
    assert_true(store_audit_query(t, &q, seen_cb, s, &e) >= 0);
    if (own) store_rollback(own);
}

static void test_service_assumes_a_role_that_trusts_it(void **state)
{
    fx *f = *state;
    ferr e = {0};
    store_txn *t;
    arena *a = arena_new(4096);
    assert_int_equal(store_begin(f->st, 1, &t, &e), 0);
    session_req r = {.role_arn = ARN("Exec"), .session_name = "AWSCloudFormation"};
    session s;
    assert_int_equal(session_assume_as(&f->env, t, a, &f->cfn, "us-east-1", &r, &s, &e), 0);
    const principal *p = &s.key.who;
    assert_int_equal(p->kind, PRIN_ASSUMED_ROLE);
    assert_string_equal(p->arn, "arn:aws:sts::" ACCT ":assumed-role/Exec/AWSCloudFormation");
    assert_string_equal(p->role_arn, ARN("Exec"));
    assert_string_equal(p->service, CFN); /* held by CloudFormation */
    assert_memory_equal(s.key.akid, "ASIA", 4);
    key_info k;
    assert_int_equal(keys_lookup(t, s.key.akid, &k, &e), 1);
    seen tr;
    trail(f, t, &tr); /* recorded in the caller's transaction */
    assert_int_equal(tr.n, 1);
    assert_string_equal(tr.lines[0], CFN "|" CFN "||[{\"ResourceType\":\"AWS::IAM::Role\","
                                         "\"ResourceName\":\"" ARN("Exec") "\"}]");
    store_rollback(t); /* and gone with it */
    trail(f, NULL, &tr);
    assert_int_equal(tr.n, 0);
    arena_free(a);
}

static void test_refused_alone_and_inside_a_transaction(void **state)
{
    fx *f = *state;
    ferr e = {0};
    session_req r = {.role_arn = ARN("Other"), .session_name = "AWSCloudFormation"};
    session s;
    assert_int_equal(session_assume_as(&f->env, NULL, NULL, &f->cfn, "us-east-1", &r, &s, &e), -1);
    assert_string_equal(e.code, "AccessDenied");
    assert_string_equal(e.message, "User: " CFN " is not authorized to perform: sts:AssumeRole "
                                   "on resource: " ARN("Other"));
    /* a role that is not there is refused the same way */
    ferr e2 = {0};
    r.role_arn = ARN("Missing");
    assert_int_equal(session_assume_as(&f->env, NULL, NULL, &f->cfn, "us-east-1", &r, &s, &e2), -1);
    assert_string_equal(e2.code, "AccessDenied");
    /* inside the caller's write transaction: queued, kept when the caller rolls back */
    store_txn *t;
    arena *a = arena_new(4096);
    ferr e3 = {0};
    assert_int_equal(store_begin(f->st, 1, &t, &e3), 0);
    r.role_arn = ARN("Other");
    assert_int_equal(session_assume_as(&f->env, t, a, &f->cfn, "us-east-1", &r, &s, &e3), -1);
    store_rollback(t);
    arena_free(a);
    seen tr;
    trail(f, NULL, &tr);
    assert_int_equal(tr.n, 3);
    for (int i = 0; i < 3; i++) assert_string_equal(tr.lines[i], CFN "|" CFN "|AccessDenied|");
}

static void test_chained_session_keeps_the_service(void **state)
{
    fx *f = *state;
    ferr e = {0};
    session_req r = {.role_arn = ARN("Exec"), .session_name = "first"};
    session first, next;
    assert_int_equal(session_assume_as(&f->env, NULL, NULL, &f->cfn, "us-east-1", &r, &first, &e),
                     0);
    r = (session_req){.role_arn = ARN("Next"), .session_name = "second", .duration = 7200};
    assert_int_equal(
        session_assume_as(&f->env, NULL, NULL, &first.key.who, "us-east-1", &r, &next, &e), -1);
    assert_string_equal(e.code, "ValidationError"); /* chaining: one hour at most */
    ferr_clear(&e);
    r.duration = 900;
    assert_int_equal(
        session_assume_as(&f->env, NULL, NULL, &first.key.who, "us-east-1", &r, &next, &e), 0);
    assert_string_equal(next.key.who.arn, "arn:aws:sts::" ACCT ":assumed-role/Next/second");
    assert_string_equal(next.key.who.service, CFN);
    seen tr;
    trail(f, NULL, &tr);
    assert_int_equal(tr.n, 3); /* newest first: the second, its refusal, the first */
    assert_non_null(strstr(tr.lines[0], "assumed-role/Exec/first|" CFN "||"));
    assert_non_null(strstr(tr.lines[1], "assumed-role/Exec/first|" CFN "|ValidationError|"));
    assert_non_null(strstr(tr.lines[2], CFN "|" CFN "||"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_service_assumes_a_role_that_trusts_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_alone_and_inside_a_transaction, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_chained_session_keeps_the_service, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
