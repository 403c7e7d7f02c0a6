/* Unit tests for src/svc/authzwhy.c: a refusal's policy decision as the trail records it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/authzwhy.h"

#define ACCT "111122223333"

static iam_policy *parse(const char *s, int kind, const char *name)
{
    ferr e = {0};
    iam_policy *p = iam_policy_parse(s, strlen(s), kind, &e);
    if (!p) fprintf(stderr, "rejected: %s\n", e.message);
    assert_non_null(p);
    if (name) assert_int_equal(iam_policy_set_name(p, name), 0);
    return p;
}

static principal bob;
static iam_policy *allow_all, *deny_sqs, *deny_nosid, *scp_deny, *scp_allow_ct, *res_deny;

static int setup(void **state)
{
    (void)state;
    memset(&bob, 0, sizeof(bob));
    bob.kind = PRIN_USER;
    strcpy(bob.account, ACCT);
    strcpy(bob.arn, "arn:aws:iam::" ACCT ":user/bob");
    strcpy(bob.name, "bob");
    allow_all = parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
                      IAM_KIND_IDENTITY, "all");
    deny_sqs = parse("{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"*\","
                     "\"Resource\":\"*\"},{\"Sid\":\"NoQueues\",\"Effect\":\"Deny\","
                     "\"Action\":\"sqs:*\",\"Resource\":\"*\"}]}",
                     IAM_KIND_IDENTITY, "guard");
    deny_nosid = parse("{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"sns:*\","
                       "\"Resource\":\"*\"}]}",
                       IAM_KIND_IDENTITY, "NoTopics");
    scp_deny =
        parse("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
              "{\"Sid\":\"NoKms\",\"Effect\":\"Deny\",\"Action\":\"kms:*\","
              "\"Resource\":\"*\"}]}",
              IAM_KIND_SCP, "arn:aws:organizations::999:policy/o-1/service_control_policy/p-1");
    scp_allow_ct = parse("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"cloudtrail:*\","
                         "\"Resource\":\"*\"}}",
                         IAM_KIND_SCP, "p-FullAWSAccess");
    res_deny = parse("{\"Statement\":[{\"Sid\":\"Nobody\",\"Effect\":\"Deny\",\"Principal\":\"*\","
                     "\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}",
                     IAM_KIND_RESOURCE, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    iam_policy *all[] = {allow_all, deny_sqs, deny_nosid, scp_deny, scp_allow_ct, res_deny};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) iam_policy_free(all[i]);
    return 0;
}

/* The decision of q as compact sorted JSON, and *shared. */
static char *why(iam_request *q, const authz_identity *id, int *shared)
{
    iam_result res;
    assert_int_not_equal(iam_evaluate(q, &res), IAM_ALLOW);
    json_t *d = authzwhy_decision(q, &res, id, shared);
    assert_non_null(d);
    char *s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    return s;
}

static void expect(char *got, const char *want)
{
    if (strcmp(got, want)) fprintf(stderr, "got  %s\nwant %s\n", got, want);
    assert_string_equal(got, want);
    free(got);
}

static void test_identity_deny(void **state)
{
    (void)state;
    const iam_policy *v[] = {allow_all, deny_sqs, deny_nosid};
    const char *src[] = {"inline:arn:aws:iam::" ACCT ":group/ops",
                         "inline:"
                         "arn:aws:iam::" ACCT ":user/bob",
                         "arn:aws:iam::" ACCT ":policy/NoTopics"};
    authz_identity id = {.identity = {v, 3}, .identity_src = src};
    iam_request q = {.principal = &bob, .action = "sqs:SendMessage", .identity = id.identity};
    int shared = 1;
    expect(why(&q, &id, &shared),
           "{\"explanation\":\"An explicit Deny decided: statement \\\"NoQueues\\\" (Statement[1]) "
           "of the inline identity-based policy guard of arn:aws:iam::" ACCT ":user/bob matches "
           "sqs:SendMessage.\",\"policy\":{\"attachedTo\":\"arn:aws:iam::" ACCT ":user/bob\","
           "\"inline\":true,\"name\":\"guard\"},\"policyType\":\"identity\",\"statement\":{"
           "\"index\":1,\"sid\":\"NoQueues\"},\"type\":\"explicitDeny\"}");
    assert_int_equal(shared, 0);
    q.action = "sns:Publish";
    expect(why(&q, &id, NULL),
           "{\"explanation\":\"An explicit Deny decided: Statement[0] of the identity-based policy "
           "arn:aws:iam::" ACCT ":policy/NoTopics matches sns:Publish.\",\"policy\":{\"arn\":"
           "\"arn:aws:iam::" ACCT ":policy/NoTopics\"},\"policyType\":\"identity\",\"statement\":{"
           "\"index\":0},\"type\":\"explicitDeny\"}");
    /* without sources (a caller that has none): the policy's name */
    expect(why(&q, NULL, NULL),
           "{\"explanation\":\"An explicit Deny decided: Statement[0] of the inline identity-based "
           "policy NoTopics matches sns:Publish.\",\"policy\":{\"inline\":true,\"name\":"
           "\"NoTopics\"},\"policyType\":\"identity\",\"statement\":{\"index\":0},\"type\":"
           "\"explicitDeny\"}");
}

static void test_missing_allows(void **state)
{
    (void)state;
    iam_request q = {.principal = &bob, .action = "s3:GetObject"};
    expect(why(&q, NULL, NULL),
           "{\"explanation\":\"No identity-based policy of arn:aws:iam::" ACCT ":user/bob allows "
           "s3:GetObject.\",\"policyType\":\"identity\",\"type\":\"implicitDeny\"}");
    const iam_policy *v[] = {allow_all}, *b[] = {deny_nosid};
    q.identity = (iam_policy_set){v, 1};
    q.boundary = (iam_policy_set){b, 1};
    expect(why(&q, NULL, NULL),
           "{\"explanation\":\"The permissions boundary of arn:aws:iam::" ACCT ":user/bob does not "
           "allow s3:GetObject.\",\"policyType\":\"permissionsBoundary\",\"type\":"
           "\"implicitDeny\"}");
}

static void test_scp_layers(void **state)
{
    (void)state;
    /* root, one OU, the account: the OU's SCP denies, then the OU allows only CloudTrail */
    const iam_policy *full[] = {allow_all}, *ou[] = {scp_deny};
    iam_policy_set layers[] = {{full, 1}, {ou, 1}, {full, 1}};
    const char *paths[] = {"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"};
    const iam_policy *v[] = {allow_all};
    iam_request q = {.principal = &bob,
                     .action = "kms:Decrypt",
                     .identity = {v, 1},
                     .scp_layers = layers,
                     .nscp_layers = 3,
                     .org_paths = paths,
                     .norg_paths = 1};
    expect(why(&q, NULL, NULL),
           "{\"explanation\":\"An explicit Deny decided: statement \\\"NoKms\\\" (Statement[1]) of "
           "the service control policy arn:aws:organizations::999:policy/o-1/"
           "service_control_policy/p-1 attached to ou-ab12-11111111 matches kms:Decrypt.\","
           "\"policy\":{\"arn\":\"arn:aws:organizations::999:policy/o-1/service_control_policy/"
           "p-1\",\"attachedTo\":\"ou-ab12-11111111\"},\"policyType\":\"scp\",\"statement\":{"
           "\"index\":1,\"sid\":\"NoKms\"},\"type\":\"explicitDeny\"}");
    const iam_policy *ct[] = {scp_allow_ct};
    layers[1] = (iam_policy_set){full, 1};
    layers[2] = (iam_policy_set){ct, 1};
    q.action = "sqs:ListQueues";
    expect(why(&q, NULL, NULL),
           "{\"attachedTo\":\"" ACCT
           "\",\"explanation\":\"No service control policy attached to " ACCT
           " allows sqs:ListQueues: every level must allow it.\",\"policyType\":\"scp\","
           "\"type\":\"implicitDeny\"}");
    layers[0] = (iam_policy_set){ct, 1};
    expect(why(&q, NULL, NULL),
           "{\"attachedTo\":\"r-ab12\",\"explanation\":\"No service control policy attached to "
           "r-ab12 allows sqs:ListQueues: every level must allow it.\",\"policyType\":\"scp\","
           "\"type\":\"implicitDeny\"}");
}

static void test_resource_policy(void **state)
{
    (void)state;
    const iam_policy *v[] = {allow_all};
    iam_request q = {.principal = &bob,
                     .action = "s3:GetObject",
                     .resource = "arn:aws:s3:::b/k",
                     .identity = {v, 1},
                     .resource_policy = res_deny};
    int shared = 0;
    expect(
        why(&q, NULL, &shared),
        "{\"explanation\":\"An explicit Deny decided: statement \\\"Nobody\\\" (Statement[0]) of "
        "the resource-based policy of arn:aws:s3:::b/k matches s3:GetObject.\",\"policy\":{"
        "\"resource\":\"arn:aws:s3:::b/k\"},\"policyType\":\"resource\",\"statement\":{"
        "\"index\":0,\"sid\":\"Nobody\"},\"type\":\"explicitDeny\"}");
    assert_int_equal(shared, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_deny),
        cmocka_unit_test(test_missing_allows),
        cmocka_unit_test(test_scp_layers),
        cmocka_unit_test(test_resource_policy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
