/* Cost of iamsvc_identity(), which runs on every authorized call: an IAM user with 10
 * attached customer managed policies (10 statements each), one inline policy, one group
 * with an AWS managed policy, and a permissions boundary. Each iteration is what a request
 * pays: a fresh arena, the identity gathered in an open read transaction (the request's),
 * the arena freed. Also reported: the same with the store transaction begun and rolled back
 * per iteration, the first call after an IAM write (the memo misses: documents are read,
 * compiled policies come from the cache), and an assumed-role session with session policies
 * and tags.
 *
 *   build-iamsvc/iam_identity_bench [iterations]   (built with everything else) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/keys.h"
#include "svc/authz.h"
#include "svc/iam/iam_int.h"

#define ACCT "111122223333"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void must(int rc, const ferr *e, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s %s\n", what, e->code, e->message);
        exit(1);
    }
}

extern const svc_def svc_iam;

static json_t *run(call *c, const char *op, json_t *in, const char *what)
{
    json_t *out = NULL;
    must(svc_run(c, svc_find_op(&svc_iam, op), in, &out), c->err, what);
    json_decref(in);
    return out;
}

static char *policy_doc(int i)
{
    static const char *svc[] = {"s3",        "sqs",         "sns", "dynamodb",
                                "lambda",    "kms",         "ssm", "cloudformation",
                                "codebuild", "codepipeline"};
    char *doc = malloc(8192);
    int n = snprintf(doc, 8192, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (int s = 0; s < 10; s++)
        n +=
            snprintf(doc + n, 8192 - n,
                     "%s{\"Sid\":\"S%d\",\"Effect\":\"Allow\",\"Action\":[\"%s:Get*\",\"%s:List*\","
                     "\"%s:Describe%d*\"],\"Resource\":\"arn:aws:%s:*:" ACCT ":res%d-*\"%s}",
                     s ? "," : "", s, svc[i], svc[i], svc[i], s, svc[i], s,
                     s % 3 == 0 ? ",\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":"
                                  "[\"us-east-1\",\"eu-west-1\"]}}"
                                : "");
    snprintf(doc + n, 8192 - n, "]}");
    return doc;
}

/* own_txn: 0 in the open transaction; 1 a read transaction per call; 2 a write transaction
 * per call that first moves the account's IAM generation (as any IAM write does), so the
 * memo misses; 3 the same without the identity (the baseline to subtract). */
static double measure(call *c, const principal *who, long iters, store *st, int own_txn,
                      size_t *npol)
{
    store_txn *keep = c->txn;
    double t0 = now();
    for (long i = 0; i < iters; i++) {
        c->a = arena_new(8192);
        if (own_txn) must(store_begin(st, own_txn >= 2, &c->txn, c->err), c->err, "begin");
        if (own_txn >= 2) must(iamsvc_bump(c, ACCT), c->err, "bump");
        authz_identity id;
        if (own_txn != 3) {
            must(iamsvc_identity(c, who, &id), c->err, "identity");
            *npol = id.identity.n + id.boundary.n + id.session.n;
        }
        if (own_txn) store_rollback(c->txn);
        arena_free(c->a);
    }
    c->txn = keep;
    return (now() - t0) / (double)iters * 1e6;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    char dir[] = "/tmp/ferry-iam-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    ferr e = {0};
    store *st = store_open(dir, STORE_SYNC_NORMAL, &e);
    if (!st) must(-1, &e, "store_open");
    ferry_env env = {.st = st};
    principal root;
    keys_root_principal(ACCT, &root);
    call c = {.a = arena_new(8192),
              .env = &env,
              .request_id = "bench",
              .service = "iam",
              .op = "Bench",
              .account = ACCT,
              .region = "us-east-1",
              .who = &root,
              .err = &e};
    must(store_begin(st, 1, &c.txn, &e), &e, "begin");

    json_t *u = run(&c, "CreateUser",
                    json_pack("{s:s, s:[{s:s, s:s}]}", "UserName", "bench", "Tags", "Key", "team",
                              "Value", "blue"),
                    "CreateUser");
    principal user;
    memset(&user, 0, sizeof(user));
    user.kind = PRIN_USER;
    snprintf(user.account, sizeof(user.account), ACCT);
    snprintf(user.name, sizeof(user.name), "bench");
    snprintf(user.arn, sizeof(user.arn), "%s", jstr(json_object_get(u, "User"), "Arn"));
    snprintf(user.userid, sizeof(user.userid), "%s", jstr(json_object_get(u, "User"), "UserId"));
    json_decref(u);
    for (int i = 0; i < 10; i++) {
        char name[32], *doc = policy_doc(i);
        snprintf(name, sizeof(name), "policy-%d", i);
        json_t *p =
            run(&c, "CreatePolicy",
                json_pack("{s:s, s:s}", "PolicyName", name, "PolicyDocument", doc), "CreatePolicy");
        free(doc);
        json_decref(run(&c, "AttachUserPolicy",
                        json_pack("{s:s, s:O}", "UserName", "bench", "PolicyArn",
                                  json_object_get(json_object_get(p, "Policy"), "Arn")),
                        "AttachUserPolicy"));
        json_decref(p);
    }
    char *inl = policy_doc(0);
    json_decref(run(&c, "PutUserPolicy",
                    json_pack("{s:s, s:s, s:s}", "UserName", "bench", "PolicyName", "inline",
                              "PolicyDocument", inl),
                    "PutUserPolicy"));
    free(inl);
    json_decref(run(&c, "CreateGroup", json_pack("{s:s}", "GroupName", "g"), "CreateGroup"));
    json_decref(run(&c, "AttachGroupPolicy",
                    json_pack("{s:s, s:s}", "GroupName", "g", "PolicyArn",
                              "arn:aws:iam::aws:policy/ReadOnlyAccess"),
                    "AttachGroupPolicy"));
    json_decref(run(&c, "AddUserToGroup",
                    json_pack("{s:s, s:s}", "GroupName", "g", "UserName", "bench"),
                    "AddUserToGroup"));
    json_decref(run(&c, "PutUserPermissionsBoundary",
                    json_pack("{s:s, s:s}", "UserName", "bench", "PermissionsBoundary",
                              "arn:aws:iam::aws:policy/PowerUserAccess"),
                    "PutUserPermissionsBoundary"));

    /* an assumed-role session of a role with 10 AWS managed policies and session policies */
    json_t *role = NULL;
    must(iamsvc_create_role(&c, ACCT, "deploy", "/",
                            "{\"Version\":\"2012-10-17\",\"Statement\":"
                            "[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT
                            "\"},\"Action\":"
                            "\"sts:AssumeRole\"}]}",
                            NULL, 0, &role),
         &e, "CreateRole");
    const iamsvc_awspol *ap;
    for (size_t i = 0; i < 10 && (ap = iamsvc_aws_policy_at(i)); i++) {
        char arn[128];
        snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s", ap->name);
        must(iamsvc_attach_role_policy(&c, ACCT, "deploy", arn), &e, "AttachRolePolicy");
    }
    principal sess;
    memset(&sess, 0, sizeof(sess));
    sess.kind = PRIN_ASSUMED_ROLE;
    snprintf(sess.account, sizeof(sess.account), ACCT);
    snprintf(sess.arn, sizeof(sess.arn), "arn:aws:sts::" ACCT ":assumed-role/deploy/s");
    snprintf(sess.userid, sizeof(sess.userid), "%s:s", jstr(role, "RoleId"));
    snprintf(sess.role_arn, sizeof(sess.role_arn), "%s", jstr(role, "Arn"));
    json_decref(role);
    json_t *extra = json_pack("{s:s, s:[{s:s, s:s}]}", "SessionPolicy",
                              "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                              "\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
                              "SessionTags", "Key", "team", "Value", "red");
    key_info k;
    must(keys_create_session_ex(c.txn, &sess, 1e10, extra, &k, &e), &e, "session");
    json_decref(extra);
    snprintf(sess.akid, sizeof(sess.akid), "%s", k.akid);
    must(store_commit(c.txn, &e), &e, "commit");
    arena_free(c.a);

    must(store_begin(st, 0, &c.txn, &e), &e, "begin");
    size_t n = 0;
    measure(&c, &user, iters / 10 + 1, st, 0, &n); /* warm the cache */
    double warm = measure(&c, &user, iters, st, 0, &n);
    printf("user, 10 attached + 1 inline + group (1 AWS managed) + boundary: %zu policies, "
           "%.2f us/call in an open transaction\n",
           n, warm);
    store_rollback(c.txn);
    c.txn = NULL;
    double with_txn = measure(&c, &user, iters, st, 1, &n);
    printf("same, with a read transaction begun and rolled back per call: %.2f us/call\n",
           with_txn);
    double miss = measure(&c, &user, iters / 4, st, 2, &n);
    double base = measure(&c, &user, iters / 4, st, 3, &n);
    printf(
        "first call after an IAM write (memo miss, policies compiled and cached): %.2f us/call\n",
        miss - base);
    must(store_begin(st, 0, &c.txn, &e), &e, "begin");
    double role_us = measure(&c, &sess, iters, st, 0, &n);
    printf("role session, 10 AWS managed + session policy + tags: %zu policies, %.2f us/call\n", n,
           role_us);
    store_rollback(c.txn);
    store_close(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) ? 1 : 0;
}
