/* The IAM service's internals: AWS's name and path rules, the AWS managed policy table,
 * the iam.h interface (create role, attach, inline), and iamsvc_identity: which policies,
 * boundaries, session policies and tags authorization sees for users and role sessions,
 * and that the parsed-policy cache hands out the same compiled policy. */
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
#include "proto/validate.h"
#include "svc/authz.h"
#include "svc/iam/iam_int.h"

#define ACCT "111122223333"
#define ALLOW_S3 \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\"," \
    "\"Resource\":\"*\"}]}"
#define TRUST \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":" \
    "\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"

typedef struct fx {
    char dir[64];
    store *st;
    ferry_env env;
    principal root;
    ferr err;
    call c;
} fx;

static void call_reset(fx *f)
{
    if (f->c.a) arena_free(f->c.a);
    memset(&f->err, 0, sizeof(f->err));
    f->c = (call){.a = arena_new(8192),
                  .env = &f->env,
                  .request_id = "test",
                  .service = "iam",
                  .op = "Test",
                  .account = ACCT,
                  .region = "us-east-1",
                  .who = &f->root,
                  .err = &f->err,
                  .txn = f->c.txn};
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/ferry-iamsvc-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    ferr e = {0};
    f->st = store_open(f->dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(f->st);
    f->env.st = f->st;
    keys_root_principal(ACCT, &f->root);
    assert_int_equal(store_begin(f->st, 1, &f->c.txn, &e), 0);
    call_reset(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    store_rollback(f->c.txn);
    arena_free(f->c.a);
    store_close(f->st);
    assert_int_equal(fixture_rmdir(f->dir), 0);
    free(f);
    return 0;
}

extern const svc_def svc_iam;

/* Runs an operation as the service table routes it, as the account root. */
static json_t *op(fx *f, const char *name, json_t *in)
{
    const svc_op *o = svc_find_op(&svc_iam, name);
    assert_non_null(o);
    json_t *out = NULL;
    int rc = svc_run(&f->c, o, in, &out);
    if (rc) fprintf(stderr, "op failed: %s %s\n", f->err.code, f->err.message);
    assert_int_equal(rc, 0);
    json_decref(in);
    return out;
}

/* What every call meets before an IAM handler (svc/exec.c): the model's constraints. */
static int iam_valid(fx *f, const char *opname, json_t *in)
{
    const proto_service *ps = proto_service_by_signing_name("iam");
    int rc = proto_validate(ps, proto_op_by_name(ps, opname), in, &f->err);
    json_decref(in);
    return rc;
}

static void test_names_and_paths(void **state)
{
    fx *f = *state;
#define ROLE(n) json_pack("{s:s, s:s}", "RoleName", (n), "AssumeRolePolicyDocument", "{}")
#define ROLE_AT(p) \
    json_pack("{s:s, s:s, s:s}", "RoleName", "r", "AssumeRolePolicyDocument", "{}", "Path", (p))
    assert_int_equal(iam_valid(f, "CreateRole", ROLE("Deploy_Role+=,.@-1")), 0);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE("bad name")), -1);
    assert_string_equal(f->err.code, "ValidationError");
    assert_non_null(strstr(f->err.message, "Value 'bad name' at 'roleName'"));
    assert_int_equal(iam_valid(f, "CreateRole", ROLE("")), -1);
    char long_name[80];
    memset(long_name, 'a', 65);
    long_name[65] = 0;
    assert_int_equal(iam_valid(f, "CreateRole", ROLE(long_name)), -1);
    assert_non_null(strstr(f->err.message, "less than or equal to 64"));
    assert_int_equal(iam_valid(f, "CreateGroup", json_pack("{s:s}", "GroupName", long_name)), 0);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE("caf\xc3\xa9")), -1);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE_AT("/")), 0);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE_AT("/a/b/")), 0);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE_AT("/a/b")), -1);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE_AT("a/")), -1);
    assert_int_equal(iam_valid(f, "CreateRole", ROLE_AT("/a b/")), -1);
#undef ROLE
#undef ROLE_AT

    char acct[16], name[64];
    assert_int_equal(iamsvc_role_from_arn("arn:aws:iam::" ACCT ":role/a/b/Deploy", acct,
                                          sizeof(acct), name, sizeof(name)),
                     0);
    assert_string_equal(acct, ACCT);
    assert_string_equal(name, "Deploy");
    assert_int_equal(iamsvc_role_from_arn("arn:aws:iam::" ACCT ":user/Deploy", acct, sizeof(acct),
                                          name, sizeof(name)),
                     -1);
    assert_int_equal(
        iamsvc_role_from_arn("arn:aws:iam::" ACCT ":role/", acct, sizeof(acct), name, sizeof(name)),
        -1);
    assert_int_equal(
        iamsvc_role_from_arn("arn:aws:iam::123:role/x", acct, sizeof(acct), name, sizeof(name)),
        -1);
    assert_int_equal(iamsvc_role_from_arn(NULL, acct, sizeof(acct), name, sizeof(name)), -1);
}

static void test_aws_managed_table(void **state)
{
    (void)state;
    const iamsvc_awspol *p;
    size_t i;
    for (i = 0; (p = iamsvc_aws_policy_at(i)); i++) {
        assert_non_null(iamsvc_aws_policy_parsed(p));
        assert_int_equal(strlen(p->id), 21);
        assert_memory_equal(p->id, "ANPA", 4);
        if (i) assert_true(strcmp(iamsvc_aws_policy_at(i - 1)->name, p->name) < 0);
        char arn[128];
        snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s", p->name);
        assert_ptr_equal(iamsvc_aws_policy(arn), p);
    }
    assert_true(i >= 14);
    assert_null(iamsvc_aws_policy("arn:aws:iam::aws:policy/Nope"));
    assert_null(iamsvc_aws_policy("arn:aws:iam::" ACCT ":policy/AdministratorAccess"));
}

static void test_internal_role_interface(void **state)
{
    fx *f = *state;
    call *c = &f->c;
    json_t *role = NULL;
    assert_int_equal(iamsvc_create_role(c, ACCT, "Ops", "/team/", TRUST, "d", 0, &role), 0);
    assert_string_equal(jstr(role, "Arn"), "arn:aws:iam::" ACCT ":role/team/Ops");
    assert_int_equal(jint(role, "MaxSessionDuration", 0), 3600);
    assert_memory_equal(jstr(role, "RoleId"), "AROA", 4);
    json_decref(role);
    assert_int_equal(iamsvc_create_role(c, ACCT, "OPS", NULL, TRUST, NULL, 0, NULL), -1);
    assert_string_equal(f->err.code, "EntityAlreadyExists");
    assert_int_equal(f->err.status, 409);
    assert_string_equal(f->err.message, "Role with name OPS already exists.");
    call_reset(f);
    assert_int_equal(iamsvc_create_role(c, ACCT, "x", NULL, ALLOW_S3, NULL, 0, NULL), -1);
    assert_string_equal(f->err.code, "MalformedPolicyDocument");
    call_reset(f);

    assert_int_equal(iamsvc_get_role(c->txn, ACCT, "ops", &role, c->err), 1);
    assert_string_equal(jstr(role, "RoleName"), "Ops");
    json_decref(role);
    assert_int_equal(iamsvc_get_role(c->txn, "999999999999", "ops", &role, c->err), 0);

    assert_int_equal(
        iamsvc_attach_role_policy(c, ACCT, "Ops", "arn:aws:iam::aws:policy/ReadOnlyAccess"), 0);
    assert_int_equal(
        iamsvc_attach_role_policy(c, ACCT, "Ops", "arn:aws:iam::aws:policy/ReadOnlyAccess"), 0);
    assert_int_equal(iamsvc_attach_role_policy(c, ACCT, "Ops", "arn:aws:iam::aws:policy/Nope"), -1);
    assert_string_equal(f->err.code, "NoSuchEntity");
    call_reset(f);
    assert_int_equal(
        iamsvc_attach_role_policy(c, ACCT, "Ghost", "arn:aws:iam::aws:policy/ReadOnlyAccess"), -1);
    assert_string_equal(f->err.message, "The role with name Ghost cannot be found.");
    call_reset(f);
    assert_int_equal(iamsvc_put_role_policy(c, ACCT, "Ops", "s3", ALLOW_S3), 0);
    assert_int_equal(iamsvc_put_role_policy(c, ACCT, "Ops", "bad", "{"), -1);
    assert_string_equal(f->err.code, "MalformedPolicyDocument");
    call_reset(f);
    assert_int_equal(iamsvc_get_role(c->txn, ACCT, "Ops", &role, c->err), 1);
    assert_int_equal(json_array_size(json_object_get(role, "AttachedPolicies")), 1);
    assert_string_equal(jstr(json_object_get(role, "InlinePolicies"), "s3"), ALLOW_S3);
    json_decref(role);
}

static int decide(const authz_identity *id, const principal *who, const char *action)
{
    iam_request q;
    memset(&q, 0, sizeof(q));
    q.principal = who;
    q.action = action;
    q.resource = "*";
    q.identity = id->identity;
    q.boundary = id->boundary;
    q.session = id->session;
    q.principal_tags = id->tags;
    q.nprincipal_tags = id->ntags;
    iam_result r;
    return iam_evaluate(&q, &r);
}

static void test_user_identity(void **state)
{
    fx *f = *state;
    call *c = &f->c;
    json_t *u = op(f, "CreateUser",
                   json_pack("{s:s, s:[{s:s, s:s}]}", "UserName", "ana", "Tags", "Key", "team",
                             "Value", "blue"));
    principal who;
    memset(&who, 0, sizeof(who));
    who.kind = PRIN_USER;
    snprintf(who.account, sizeof(who.account), ACCT);
    snprintf(who.name, sizeof(who.name), "ana");
    snprintf(who.arn, sizeof(who.arn), "%s", jstr(json_object_get(u, "User"), "Arn"));
    snprintf(who.userid, sizeof(who.userid), "%s", jstr(json_object_get(u, "User"), "UserId"));
    json_decref(u);

    authz_identity id;
    assert_int_equal(iamsvc_identity(c, &who, &id), 0);
    assert_int_equal(id.identity.n, 0);
    assert_int_equal(id.ntags, 1);
    assert_string_equal(id.tags[0].key, "team");
    assert_int_equal(decide(&id, &who, "s3:GetObject"), IAM_IMPLICIT_DENY);

    json_decref(op(f, "PutUserPolicy",
                   json_pack("{s:s, s:s, s:s}", "UserName", "ana", "PolicyName", "s3",
                             "PolicyDocument", ALLOW_S3)));
    json_t *p = op(f, "CreatePolicy",
                   json_pack("{s:s, s:s}", "PolicyName", "sqs", "PolicyDocument",
                             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                             "\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}"));
    const char *parn = arena_strdup(c->a, jstr(json_object_get(p, "Policy"), "Arn"));
    json_decref(p);
    json_decref(
        op(f, "AttachUserPolicy", json_pack("{s:s, s:s}", "UserName", "ana", "PolicyArn", parn)));
    json_decref(op(f, "CreateGroup", json_pack("{s:s}", "GroupName", "ops")));
    json_decref(op(f, "AttachGroupPolicy",
                   json_pack("{s:s, s:s}", "GroupName", "ops", "PolicyArn",
                             "arn:aws:iam::aws:policy/IAMReadOnlyAccess")));
    json_decref(
        op(f, "AddUserToGroup", json_pack("{s:s, s:s}", "GroupName", "ops", "UserName", "ana")));

    assert_int_equal(iamsvc_identity(c, &who, &id), 0);
    assert_int_equal(id.identity.n, 3);
    assert_int_equal(id.boundary.n, 0);
    assert_int_equal(decide(&id, &who, "s3:GetObject"), IAM_ALLOW);
    assert_int_equal(decide(&id, &who, "sqs:SendMessage"), IAM_ALLOW);
    assert_int_equal(decide(&id, &who, "iam:ListRoles"), IAM_ALLOW);
    assert_int_equal(decide(&id, &who, "iam:CreateRole"), IAM_IMPLICIT_DENY);

    /* the cache hands out the same compiled policies */
    authz_identity again;
    assert_int_equal(iamsvc_identity(c, &who, &again), 0);
    for (size_t i = 0; i < id.identity.n; i++)
        assert_ptr_equal(id.identity.v[i], again.identity.v[i]);

    /* a boundary narrows */
    json_decref(op(f, "PutUserPermissionsBoundary",
                   json_pack("{s:s, s:s}", "UserName", "ana", "PermissionsBoundary",
                             "arn:aws:iam::aws:policy/AmazonSQSFullAccess")));
    assert_int_equal(iamsvc_identity(c, &who, &id), 0);
    assert_int_equal(id.boundary.n, 1);
    assert_int_equal(decide(&id, &who, "sqs:SendMessage"), IAM_ALLOW);
    assert_int_equal(decide(&id, &who, "s3:GetObject"), IAM_IMPLICIT_DENY);

    /* a new default version is what applies */
    json_decref(op(f, "CreatePolicyVersion",
                   json_pack("{s:s, s:s, s:b}", "PolicyArn", parn, "PolicyDocument",
                             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
                             "\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}",
                             "SetAsDefault", 1)));
    assert_int_equal(iamsvc_identity(c, &who, &id), 0);
    assert_int_equal(decide(&id, &who, "sqs:SendMessage"), IAM_EXPLICIT_DENY);

    /* someone else under the same name has none of it */
    principal other = who;
    snprintf(other.userid, sizeof(other.userid), "AIDAOTHEROTHEROTHER12");
    assert_int_equal(iamsvc_identity(c, &other, &id), 0);
    assert_int_equal(id.identity.n, 0);
    /* roots and services carry nothing */
    assert_int_equal(iamsvc_identity(c, &f->root, &id), 0);
    assert_int_equal(id.identity.n + id.boundary.n + id.session.n + id.ntags, 0);
}

static void test_role_session_identity(void **state)
{
    fx *f = *state;
    call *c = &f->c;
    json_t *role = NULL;
    assert_int_equal(iamsvc_create_role(c, ACCT, "Deploy", "/ci/", TRUST, NULL, 0, &role), 0);
    json_decref(op(f, "TagRole",
                   json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "RoleName", "Deploy", "Tags",
                             "Key", "team", "Value", "red", "Key", "env", "Value", "dev")));
    assert_int_equal(
        iamsvc_attach_role_policy(c, ACCT, "Deploy", "arn:aws:iam::aws:policy/AdministratorAccess"),
        0);

    principal who;
    memset(&who, 0, sizeof(who));
    who.kind = PRIN_ASSUMED_ROLE;
    snprintf(who.account, sizeof(who.account), ACCT);
    snprintf(who.arn, sizeof(who.arn), "arn:aws:sts::" ACCT ":assumed-role/Deploy/s1");
    snprintf(who.userid, sizeof(who.userid), "%s:s1", jstr(role, "RoleId"));
    snprintf(who.role_arn, sizeof(who.role_arn), "%s", jstr(role, "Arn"));
    snprintf(who.session, sizeof(who.session), "s1");
    json_decref(role);
    json_t *extra =
        json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "SessionPolicy", ALLOW_S3, "SessionPolicyArns",
                  "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess", "SessionTags", "Key", "TEAM",
                  "Value", "green");
    key_info k;
    assert_int_equal(keys_create_session_ex(c->txn, &who, 1e10, extra, &k, c->err), 0);
    json_decref(extra);
    snprintf(who.akid, sizeof(who.akid), "%s", k.akid);

    authz_identity id;
    assert_int_equal(iamsvc_identity(c, &who, &id), 0);
    assert_int_equal(id.identity.n, 1);
    assert_int_equal(id.session.n, 2);
    assert_int_equal(id.ntags, 2); /* the session tag replaced the role's "team" */
    int saw = 0;
    for (size_t i = 0; i < id.ntags; i++)
        if (!strcasecmp(id.tags[i].key, "team")) saw = !strcmp(id.tags[i].value, "green");
    assert_true(saw);
    assert_int_equal(decide(&id, &who, "s3:GetObject"), IAM_ALLOW);
    assert_int_equal(decide(&id, &who, "sqs:ListQueues"), IAM_ALLOW);
    assert_int_equal(decide(&id, &who, "iam:CreateUser"), IAM_IMPLICIT_DENY); /* session limits */

    /* a role deleted and made again: old sessions carry nothing */
    principal stale = who;
    snprintf(stale.userid, sizeof(stale.userid), "AROASTALESTALESTALE12:s1");
    assert_int_equal(iamsvc_identity(c, &stale, &id), 0);
    assert_int_equal(id.identity.n, 0);

    /* without a transaction open, identity opens its own */
    store_txn *t = c->txn;
    assert_int_equal(store_commit(t, c->err), 0);
    c->txn = NULL;
    assert_int_equal(iamsvc_identity(c, &who, &id), 0);
    assert_int_equal(id.identity.n, 1);
    assert_int_equal(store_begin(f->st, 1, &f->c.txn, c->err), 0);
}

static void test_bad_input_never_crashes(void **state)
{
    fx *f = *state;
    call *c = &f->c;
    json_t *out = NULL;
    /* an empty input meets the model's required members first (svc/exec.c), for internal
     * callers too */
    const char *ops[] = {"GetRole",
                         "DeleteRole",
                         "DeleteUser",
                         "GetGroup",
                         "GetPolicy",
                         "GetPolicyVersion",
                         "AttachRolePolicy",
                         "DetachUserPolicy",
                         "PutRolePolicy",
                         "GetRolePolicy",
                         "DeleteGroupPolicy",
                         "ListRolePolicies",
                         "GetInstanceProfile",
                         "AddRoleToInstanceProfile",
                         "SimulatePrincipalPolicy",
                         "UpdateAccessKey",
                         "CreateRole",
                         "CreateUser",
                         "CreatePolicy",
                         "PutUserPermissionsBoundary",
                         "ListEntitiesForPolicy"};
    const proto_service *ps = proto_service_by_signing_name("iam");
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        json_t *in = json_object();
        const svc_op *o = svc_find_op(&svc_iam, ops[i]);
        assert_non_null(o);
        int rc = proto_validate(ps, proto_op_by_name(ps, ops[i]), in, c->err);
        if (!rc) rc = o->fn(c, in, &out);
        json_decref(in);
        if (rc != -1) fprintf(stderr, "%s accepted an empty input\n", ops[i]);
        json_decref(out);
        out = NULL;
        assert_int_equal(rc, -1);
        assert_true(ferr_isset(c->err));
        assert_true(c->err->status >= 400 && c->err->status < 500);
        call_reset(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_names_and_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aws_managed_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_internal_role_interface, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_session_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_never_crashes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
