/* Authorization cost per call: an IAM user in a member account of an organization with
 * SCPs enabled (two OU levels), with 10 attached customer policies of 10 statements,
 * a group policy and a boundary, asks to sqs:SendMessage on a queue whose policy also
 * names it. Times call_authorize inside one read transaction, as a handler does.
 * Run: build/authz_bench [iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "engine/audit.h"
#include "svc/organizations/organizations.h"
#include "svc/svc.h"

static json_t *must(ferry_env *env, const principal *who, const char *svc, const char *op,
                    json_t *in)
{
    ferr e = {0};
    json_t *out = NULL;
    if (svc_invoke(env, who, "us-east-1", svc, op, in, &out, NULL, &e)) {
        fprintf(stderr, "%s:%s failed: %s %s\n", svc, op, e.code, e.message);
        exit(1);
    }
    json_decref(in);
    return out;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    char dir[] = "/tmp/ferry-authz-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    ferr e = {0};
    ferry_env env = {.default_account = "000000000000"};
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    env.audit = auditq_new(env.st, &e);
    store_txn *t;
    json_t *org = NULL, *acct = NULL;
    store_begin(env.st, 1, &t, &e);
    org_create(t, "us-east-1", "111111111111", "management", "m@example.com", &org, &e);
    const char *root = json_string_value(json_object_get(json_object_get(org, "Root"), "Id"));
    json_t *ou1 = NULL, *ou2 = NULL;
    org_add_ou(t, org, root, "Workloads", &ou1, &e);
    org_add_ou(t, org, json_string_value(json_object_get(ou1, "Id")), "Prod", &ou2, &e);
    org_add_account(t, org, "prod", "p@example.com", json_string_value(json_object_get(ou2, "Id")),
                    "222222222222", &acct, &e);
    store_commit(t, &e);
    principal mroot, root2;
    keys_root_principal("111111111111", &mroot);
    keys_root_principal("222222222222", &root2);
    json_decref(
        must(&env, &mroot, "organizations", "EnablePolicyType",
             json_pack("{s:s, s:s}", "RootId", root, "PolicyType", "SERVICE_CONTROL_POLICY")));

    json_decref(must(&env, &root2, "iam", "CreateUser", json_pack("{s:s}", "UserName", "bob")));
    json_decref(must(&env, &root2, "iam", "CreateGroup", json_pack("{s:s}", "GroupName", "devs")));
    json_decref(must(&env, &root2, "iam", "AddUserToGroup",
                     json_pack("{s:s, s:s}", "GroupName", "devs", "UserName", "bob")));
    json_decref(must(&env, &root2, "iam", "AttachGroupPolicy",
                     json_pack("{s:s, s:s}", "GroupName", "devs", "PolicyArn",
                               "arn:aws:iam::aws:policy/ReadOnlyAccess")));
    for (int p = 0; p < 10; p++) {
        json_t *stmts = json_array();
        for (int s = 0; s < 10; s++)
            json_array_append_new(
                stmts, json_pack("{s:s, s:[s,s], s:s, s:{s:{s:s}}}", "Effect", "Allow", "Action",
                                 s % 2 ? "sqs:Send*" : "sns:Publish", "dynamodb:GetItem",
                                 "Resource", s % 3 ? "arn:aws:sqs:*:222222222222:orders-*" : "*",
                                 "Condition", "StringLike", "aws:PrincipalTag/team", "pay*"));
        json_t *doc = json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", stmts);
        char *text = json_dumps(doc, JSON_COMPACT), name[32];
        json_decref(doc);
        snprintf(name, sizeof(name), "policy-%d", p);
        json_t *out = must(&env, &root2, "iam", "CreatePolicy",
                           json_pack("{s:s, s:s}", "PolicyName", name, "PolicyDocument", text));
        free(text);
        const char *arn = json_string_value(json_object_get(json_object_get(out, "Policy"), "Arn"));
        json_decref(must(&env, &root2, "iam", "AttachUserPolicy",
                         json_pack("{s:s, s:s}", "UserName", "bob", "PolicyArn", arn)));
        json_decref(out);
    }
    json_decref(must(&env, &root2, "iam", "TagUser",
                     json_pack("{s:s, s:[{s:s, s:s}]}", "UserName", "bob", "Tags", "Key", "team",
                               "Value", "payments")));
    json_decref(must(&env, &root2, "iam", "PutUserPermissionsBoundary",
                     json_pack("{s:s, s:s}", "UserName", "bob", "PermissionsBoundary",
                               "arn:aws:iam::aws:policy/PowerUserAccess")));
    json_t *u = must(&env, &root2, "iam", "GetUser", json_pack("{s:s}", "UserName", "bob"));
    principal bob = {.kind = PRIN_USER, .account = "222222222222", .name = "bob"};
    snprintf(bob.arn, sizeof(bob.arn), "%s",
             json_string_value(json_object_get(json_object_get(u, "User"), "Arn")));
    snprintf(bob.userid, sizeof(bob.userid), "%s",
             json_string_value(json_object_get(json_object_get(u, "User"), "UserId")));
    json_decref(u);
    const char *qpolicy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                          "\"Principal\":{\"AWS\":\"arn:aws:iam::222222222222:user/bob\"},"
                          "\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}]}";
    authz_req r = {.action = "sqs:SendMessage",
                   .resource = "arn:aws:sqs:us-east-1:222222222222:orders-eu",
                   .resource_policy = getenv("NO_RESOURCE_POLICY") ? NULL : qpolicy};
    if (getenv("AS_ROOT")) bob = root2;
    double best = 1e9;
    long allowed = 0;
    for (int round = 0; round < 5; round++) {
        arena *a = arena_new(0);
        call c = {.a = a,
                  .env = &env,
                  .account = "222222222222",
                  .region = "us-east-1",
                  .who = &bob,
                  .err = &e,
                  .service = "sqs",
                  .op = "SendMessage"};
        store_begin(env.st, 0, &c.txn, &e);
        uint64_t t0 = clock_mono_ns();
        for (long i = 0; i < n / 5; i++) {
            if (!call_authorize_ex(&c, &r)) allowed++;
            if (i % 256 == 255) { /* the per-call arena, as requests have */
                store_rollback(c.txn);
                arena_free(a);
                a = c.a = arena_new(0);
                store_begin(env.st, 0, &c.txn, &e);
            }
        }
        double us = (double)(clock_mono_ns() - t0) / 1e3 / (double)(n / 5);
        if (us < best) best = us;
        store_rollback(c.txn);
        arena_free(a);
    }
    printf("authorization: %.2f us per call_authorize (best of 5 rounds of %ld; %ld allowed)\n",
           best, n / 5, allowed);
    printf("  IAM user, 10 attached policies x 10 statements, a group with ReadOnlyAccess,\n"
           "  a PowerUserAccess boundary, principal tags, SCPs on root and two OU levels,\n"
           "  and a queue resource policy, inside one read transaction\n");
    auditq_free(env.audit);
    store_close(env.st);
    json_decref(org);
    json_decref(acct);
    json_decref(ou1);
    json_decref(ou2);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
