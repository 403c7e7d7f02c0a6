/* Build and run (from the repo root, after building ferrycore in build-iam):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/policy_bench.c build-iam/libferrycore.a \
 *      $(pkg-config --cflags --libs jansson) -lm -o /tmp/policy_bench && /tmp/policy_bench
 *
 * IAM evaluations per second for a realistic request: an assumed-role session with
 * 10 attached policies of 10 statements each (wildcard actions and resources, a
 * condition or two), a permissions boundary, a queue resource policy and two SCP
 * layers; the request is allowed by the 10th policy's last statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iam/eval.h"
#include "iam/policy.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static iam_policy *parse(const char *s, int kind)
{
    ferr e = {0};
    iam_policy *p = iam_policy_parse(s, strlen(s), kind, &e);
    if (!p) {
        fprintf(stderr, "policy rejected: %s\n%s\n", e.message, s);
        exit(1);
    }
    return p;
}

static const char *services[] = {"s3",  "dynamodb", "ec2",  "lambda",     "sns",
                                 "kms", "ssm",      "logs", "cloudwatch", "sqs"};

/* Policy i: 10 statements on service i; the last statement of the sqs policy allows the
 * request; one Deny with a condition that does not apply. */
static iam_policy *identity_policy(int i)
{
    char doc[8192];
    const char *svc = services[i];
    int n = snprintf(doc, sizeof(doc), "{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (int s = 0; s < 10; s++) {
        const char *sep = s ? "," : "";
        if (s == 3)
            n += snprintf(doc + n, sizeof(doc) - n,
                          "%s{\"Sid\":\"DenyInsecure%d\",\"Effect\":\"Deny\",\"Action\":\"%s:*\","
                          "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":"
                          "\"false\"}}}",
                          sep, s, svc);
        else if (s == 9 && !strcmp(svc, "sqs"))
            n += snprintf(doc + n, sizeof(doc) - n,
                          "%s{\"Sid\":\"Send\",\"Effect\":\"Allow\",\"Action\":[\"sqs:Send*\","
                          "\"sqs:GetQueue*\"],\"Resource\":\"arn:aws:sqs:*:111122223333:orders-*\","
                          "\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":[\"us-east-1\","
                          "\"eu-west-1\"]},\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}",
                          sep);
        else
            n += snprintf(doc + n, sizeof(doc) - n,
                          "%s{\"Sid\":\"S%d\",\"Effect\":\"Allow\",\"Action\":[\"%s:Get*\","
                          "\"%s:List*\",\"%s:Describe%d*\"],\"Resource\":[\"arn:aws:%s:*:"
                          "111122223333:res%d-*\",\"arn:aws:%s:us-east-1:111122223333:"
                          "${aws:PrincipalTag/team}/*\"]%s}",
                          sep, s, svc, svc, svc, s, svc, s, svc,
                          s % 3 == 0 ? ",\"Condition\":{\"StringLike\":{\"aws:ResourceTag/team\":"
                                       "\"${aws:PrincipalTag/team}\"}}"
                                     : "");
    }
    snprintf(doc + n, sizeof(doc) - n, "]}");
    return parse(doc, IAM_KIND_IDENTITY);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    iam_policy *idp[10];
    for (int i = 0; i < 10; i++) idp[i] = identity_policy(i);
    iam_policy *bnd =
        parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
              "\"Action\":[\"s3:*\",\"sqs:*\",\"sns:*\",\"dynamodb:*\"],\"Resource\":\"*\"},"
              "{\"Effect\":\"Deny\",\"Action\":\"iam:*\",\"Resource\":\"*\"}]}",
              IAM_KIND_BOUNDARY);
    iam_policy *rp = parse(
        "{\"Version\":\"2012-10-17\",\"Statement\":["
        "{\"Sid\":\"DenyNonTLS\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\","
        "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},"
        "{\"Sid\":\"Topic\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sns.amazonaws.com\"},"
        "\"Action\":\"sqs:SendMessage\",\"Resource\":\"arn:aws:sqs:us-east-1:111122223333:orders-"
        "q\","
        "\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"arn:aws:sns:us-east-1:111122223333:"
        "orders\"}}},"
        "{\"Sid\":\"Account\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},"
        "\"Action\":\"sqs:*\",\"Resource\":\"arn:aws:sqs:us-east-1:111122223333:orders-q\"}]}",
        IAM_KIND_RESOURCE);
    iam_policy *scp_full = parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                 "\"Action\":\"*\",\"Resource\":\"*\"}]}",
                                 IAM_KIND_SCP);
    iam_policy *scp_region =
        parse("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
              "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"NotAction\":[\"iam:*\",\"sts:*\","
              "\"organizations:*\"],\"Resource\":\"*\",\"Condition\":{\"StringNotEquals\":"
              "{\"aws:RequestedRegion\":[\"us-east-1\",\"eu-west-1\"]}}}]}",
              IAM_KIND_SCP);

    principal p = {.kind = PRIN_ASSUMED_ROLE, .temporary = 1};
    strcpy(p.account, "111122223333");
    strcpy(p.arn, "arn:aws:sts::111122223333:assumed-role/App/i-0abc");
    strcpy(p.role_arn, "arn:aws:iam::111122223333:role/App");
    strcpy(p.userid, "AROAEXAMPLE:i-0abc");
    strcpy(p.session, "i-0abc");
    static const char *ip[] = {"10.1.2.3"}, *tls[] = {"true"}, *region[] = {"us-east-1"},
                      *acct[] = {"111122223333"}, *ptype[] = {"AssumedRole"},
                      *now_s[] = {"2026-05-01T12:00:00Z"};
    iam_ctx_key keys[] = {
        {"aws:SourceIp", ip, 1},
        {"aws:SecureTransport", tls, 1},
        {"aws:RequestedRegion", region, 1},
        {"aws:PrincipalAccount", acct, 1},
        {"aws:PrincipalType", ptype, 1},
        {"aws:CurrentTime", now_s, 1},
    };
    iam_tag tags[] = {{"team", "orders"}};
    const iam_policy *idv[10];
    for (int i = 0; i < 10; i++) idv[i] = idp[i];
    const iam_policy *bv[1] = {bnd}, *l1[1] = {scp_full}, *l2[1] = {scp_region};
    iam_policy_set layers[2] = {{l1, 1}, {l2, 1}};
    iam_request r = {
        .principal = &p,
        .action = "sqs:SendMessage",
        .resource = "arn:aws:sqs:us-east-1:111122223333:orders-q",
        .resource_account = "111122223333",
        .principal_tags = tags,
        .nprincipal_tags = 1,
        .keys = keys,
        .nkeys = sizeof(keys) / sizeof(keys[0]),
        .identity = {idv, 10},
        .resource_policy = rp,
        .boundary = {bv, 1},
        .scp_layers = layers,
        .nscp_layers = 2,
    };
    iam_result res;
    if (iam_evaluate(&r, &res) != IAM_ALLOW) {
        fprintf(stderr, "bench request not allowed (by %d)\n", res.by);
        return 1;
    }
    /* a denied variant: an action nothing allows (all statements scanned) */
    iam_request d = r;
    d.action = "sqs:DeleteQueue";
    double t0 = now();
    long allowed = 0;
    for (long i = 0; i < iters; i++) allowed += iam_evaluate(&r, &res) == IAM_ALLOW;
    double t1 = now();
    for (long i = 0; i < iters; i++) allowed += iam_evaluate(&d, &res) == IAM_ALLOW;
    double t2 = now();
    printf("policy_bench: 10 identity policies x 10 statements + boundary + resource policy + 2 "
           "SCP layers\n");
    printf("  allowed request: %.0f evaluations/s (%.0f ns each)\n", iters / (t1 - t0),
           (t1 - t0) / iters * 1e9);
    printf("  denied request:  %.0f evaluations/s (%.0f ns each)\n", iters / (t2 - t1),
           (t2 - t1) / iters * 1e9);
    if (allowed != iters) fprintf(stderr, "unexpected decisions: %ld\n", allowed);
    for (int i = 0; i < 10; i++) iam_policy_free(idp[i]);
    iam_policy_free(bnd);
    iam_policy_free(rp);
    iam_policy_free(scp_full);
    iam_policy_free(scp_region);
    return 0;
}
