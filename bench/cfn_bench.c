/* CloudFormation engine benchmark, in process (store in a temporary directory, the same
 * svc_invoke path a client request takes after decoding, audit included):
 *   1. create, update (one property), delete a 50-resource stack
 *      (a) Ferry::Test::Resource (the engine alone), (b) AWS::SQS::Queue (real provider)
 *   2. a StackSet of 30 instances: 10 accounts x 3 regions, self-managed roles
 *   3. 100 stacks with CreateStack across 10 accounts x 3 regions, all in flight at once
 * Targets: 50-resource create < 300 ms; 30-instance StackSet < 3 s.
 * Run: build/cfn_bench (prints one line per figure). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "base/log.h"
#include "engine/engines.h"
#include "engine/stacks/engine.h"
#include "http/gateway.h"
#include "svc/svc.h"

static ferry_env env;

static double now(void)
{
    return (double)clock_mono_ns() / 1e9;
}

static json_t *inv(const principal *who, const char *region, const char *svc, const char *op,
                   json_t *in)
{
    ferr e = {0};
    json_t *out = NULL;
    if (svc_invoke(&env, who, region, svc, op, in, &out, NULL, &e)) {
        fprintf(stderr, "%s:%s failed: %s %s\n", svc, op, e.code, e.message);
        exit(1);
    }
    json_decref(in);
    return out;
}

static void wait_status(const principal *who, const char *region, const char *id, const char *want)
{
    char st[64];
    cfn_engine_wait(&env, who->account, region, id, 120, st, sizeof(st));
    if (strcmp(st, want)) {
        fprintf(stderr, "stack %s is %s, wanted %s\n", id, st, want);
        json_t *ev = inv(who, region, "cloudformation", "DescribeStackEvents",
                         json_pack("{s:s}", "StackName", id));
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(ev, "StackEvents"), i, x) {
            const char *r = json_string_value(json_object_get(x, "ResourceStatusReason"));
            if (r)
                fprintf(stderr, "  %s: %s\n",
                        json_string_value(json_object_get(x, "LogicalResourceId")), r);
        }
        exit(1);
    }
}

static char *template(const char *type, int n, const char *value)
{
    size_t cap = 256 + (size_t)n * 200;
    char *t = malloc(cap);
    size_t len = (size_t)snprintf(t, cap, "Resources:\n");
    for (int i = 0; i < n; i++) {
        if (!strcmp(type, "AWS::SQS::Queue"))
            len += (size_t)snprintf(
                t + len, cap - len,
                "  R%d:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: %s}\n", i,
                value);
        else
            len += (size_t)snprintf(t + len, cap - len,
                                    "  R%d:\n    Type: %s\n    Properties: {Value: \"%s\"}\n", i,
                                    type, value);
    }
    return t;
}

static void bench_stack(const principal *root, const char *type, const char *v1, const char *v2)
{
    char *t1 = template(type, 50, v1), *t2 = template(type, 50, v2);
    char name[64];
    snprintf(name, sizeof(name), "bench-%d", (int)(now() * 1000) % 100000);
    double a = now();
    json_t *out = inv(root, "us-east-1", "cloudformation", "CreateStack",
                      json_pack("{s:s, s:s}", "StackName", name, "TemplateBody", t1));
    char id[512];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(out, "StackId")));
    json_decref(out);
    wait_status(root, "us-east-1", id, "CREATE_COMPLETE");
    double b = now();
    json_decref(inv(root, "us-east-1", "cloudformation", "UpdateStack",
                    json_pack("{s:s, s:s}", "StackName", id, "TemplateBody", t2)));
    wait_status(root, "us-east-1", id, "UPDATE_COMPLETE");
    double c = now();
    json_decref(inv(root, "us-east-1", "cloudformation", "DeleteStack",
                    json_pack("{s:s}", "StackName", id)));
    wait_status(root, "us-east-1", id, "DELETE_COMPLETE");
    double d = now();
    printf("50 x %-24s create %7.1f ms   update %7.1f ms   delete %7.1f ms\n", type, (b - a) * 1e3,
           (c - b) * 1e3, (d - c) * 1e3);
    free(t1);
    free(t2);
}

int main(void)
{
    log_set_level(LOG_WARN);
    setenv("FERRY_CFN_TEST_TYPES", "1", 1);
    char dir[] = "/tmp/cfn-bench-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    ferr e = {0};
    snprintf(env.endpoint, sizeof(env.endpoint), "http://127.0.0.1:4566");
    env.st = store_open(dir, STORE_SYNC_NORMAL, &e);
    gateway *g = env.st ? gateway_new(&env, &e) : NULL;
    if (!g || engines_start(&env, &e)) {
        fprintf(stderr, "setup: %s\n", e.message);
        return 1;
    }
    principal roots[10];
    for (int i = 0; i < 10; i++) {
        char acct[13];
        snprintf(acct, sizeof(acct), "1000000000%02d", i);
        keys_root_principal(acct, &roots[i]);
    }
    bench_stack(&roots[0], "Ferry::Test::Resource", "one", "two");
    bench_stack(&roots[0], "AWS::SQS::Queue", "30", "31");

    /* StackSet: roles first (AWS's self-managed setup) */
    const char *regions[] = {"us-east-1", "eu-west-1", "ap-southeast-1"};
    char doc[1024];
    snprintf(doc, sizeof(doc),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
             "\"Principal\":{\"Service\":\"cloudformation.amazonaws.com\"},\"Action\":\"sts:"
             "AssumeRole\"}]}");
    json_decref(
        inv(&roots[0], "us-east-1", "iam", "CreateRole",
            json_pack("{s:s, s:s}", "RoleName", "AWSCloudFormationStackSetAdministrationRole",
                      "AssumeRolePolicyDocument", doc)));
    json_decref(
        inv(&roots[0], "us-east-1", "iam", "PutRolePolicy",
            json_pack("{s:s, s:s, s:s}", "RoleName", "AWSCloudFormationStackSetAdministrationRole",
                      "PolicyName", "a", "PolicyDocument",
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                      "\"sts:AssumeRole\",\"Resource\":\"arn:*:iam::*:role/"
                      "AWSCloudFormationStackSetExecutionRole\"}]}")));
    json_t *accts = json_array();
    for (int i = 0; i < 10; i++) {
        snprintf(
            doc, sizeof(doc),
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            "\"Principal\":{\"AWS\":\"arn:aws:iam::%s:root\"},\"Action\":\"sts:AssumeRole\"}]}",
            roots[0].account);
        json_decref(
            inv(&roots[i], "us-east-1", "iam", "CreateRole",
                json_pack("{s:s, s:s}", "RoleName", "AWSCloudFormationStackSetExecutionRole",
                          "AssumeRolePolicyDocument", doc)));
        json_decref(
            inv(&roots[i], "us-east-1", "iam", "AttachRolePolicy",
                json_pack("{s:s, s:s}", "RoleName", "AWSCloudFormationStackSetExecutionRole",
                          "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess")));
        json_array_append_new(accts, json_string(roots[i].account));
    }
    char *small = template("Ferry::Test::Resource", 3, "v");
    json_decref(inv(&roots[0], "us-east-1", "cloudformation", "CreateStackSet",
                    json_pack("{s:s, s:s}", "StackSetName", "bench", "TemplateBody", small)));
    double a = now();
    json_t *op = inv(&roots[0], "us-east-1", "cloudformation", "CreateStackInstances",
                     json_pack("{s:s, s:O, s:[sss], s:{s:i}}", "StackSetName", "bench", "Accounts",
                               accts, "Regions", regions[0], regions[1], regions[2],
                               "OperationPreferences", "MaxConcurrentCount", 30));
    const char *opid = json_string_value(json_object_get(op, "OperationId"));
    for (;;) {
        json_t *d = inv(&roots[0], "us-east-1", "cloudformation", "DescribeStackSetOperation",
                        json_pack("{s:s, s:s}", "StackSetName", "bench", "OperationId", opid));
        const char *st =
            json_string_value(json_object_get(json_object_get(d, "StackSetOperation"), "Status"));
        int done = strcmp(st, "RUNNING") != 0;
        if (done && strcmp(st, "SUCCEEDED")) {
            fprintf(stderr, "stack set operation %s\n", st);
            return 1;
        }
        json_decref(d);
        if (done) break;
        usleep(2000);
    }
    double b = now();
    printf("StackSet, 30 instances (10 accounts x 3 regions)   %7.1f ms\n", (b - a) * 1e3);
    json_decref(op);

    /* 100 stacks at once across 10 accounts x 3 regions */
    char ids[100][512];
    a = now();
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof(name), "many-%d", i);
        json_t *o = inv(&roots[i % 10], regions[i % 3], "cloudformation", "CreateStack",
                        json_pack("{s:s, s:s}", "StackName", name, "TemplateBody", small));
        snprintf(ids[i], sizeof(ids[i]), "%s", json_string_value(json_object_get(o, "StackId")));
        json_decref(o);
    }
    for (int i = 0; i < 100; i++)
        wait_status(&roots[i % 10], regions[i % 3], ids[i], "CREATE_COMPLETE");
    b = now();
    printf("100 stacks x 3 resources, 10 accounts x 3 regions  %7.1f ms\n", (b - a) * 1e3);
    free(small);
    json_decref(accts);
    engines_stop(&env);
    gateway_free(g);
    store_close(env.st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd)) return 0;
    return 0;
}
