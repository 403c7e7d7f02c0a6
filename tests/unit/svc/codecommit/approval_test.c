/* CodeCommit's approval rule content (src/svc/codecommit/approval.c): what parses, who is a
 * member of a pool (ARN globs, an IAM role's sessions, CodeCommitApprovers:ACCOUNT:NAME),
 * when approvals satisfy a rule, and which destinations a template's rule applies to. Cases
 * are data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "svc/codecommit/approval.h"

#define CODE "InvalidApprovalRuleContentException"

static void test_parse(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":1}]}",
        "{\"Version\":\"2018-11-08\",\"DestinationReferences\":[\"refs/heads/main\"],"
        "\"Statements\":[{\"Type\":\"Approvers\",\"NumberOfApprovalsNeeded\":2,"
        "\"ApprovalPoolMembers\":[\"arn:aws:iam::1:user/*\"]}]}",
    };
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"Version\":\"2012-10-17\",\"Statements\":[]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\"}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Other\","
        "\"NumberOfApprovalsNeeded\":1}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":0}]}",
        "{\"Version\":\"2018-11-08\",\"Statements\":[{\"Type\":\"Approvers\","
        "\"NumberOfApprovalsNeeded\":1,\"ApprovalPoolMembers\":[1]}]}",
        "{\"Version\":\"2018-11-08\",\"DestinationReferences\":\"main\","
        "\"Statements\":[{\"Type\":\"Approvers\",\"NumberOfApprovalsNeeded\":1}]}",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ferr e = {0};
        json_t *r = NULL;
        if (ccrule_parse(good[i], CODE, &r, &e)) fail_msg("refused %s: %s", good[i], e.message);
        json_decref(r);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr e = {0};
        json_t *r = NULL;
        if (!ccrule_parse(bad[i], CODE, &r, &e)) fail_msg("accepted %s", bad[i]);
        assert_string_equal(e.code, CODE);
        assert_int_equal(e.status, 400);
    }
}

static void test_members(void **state)
{
    (void)state;
    static const struct {
        const char *member, *arn;
        int in;
    } cases[] = {
        {"arn:aws:iam::123456789012:user/Mary", "arn:aws:iam::123456789012:user/Mary", 1},
        {"arn:aws:iam::123456789012:user/Mary", "arn:aws:iam::123456789012:user/Maryx", 0},
        {"arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:user/dev/Ana", 1},
        {"arn:aws:sts::123456789012:assumed-role/Review/*",
         "arn:aws:sts::123456789012:assumed-role/Review/ana", 1},
        {"arn:aws:sts::123456789012:assumed-role/Review/*",
         "arn:aws:sts::123456789012:assumed-role/Other/ana", 0},
        /* an IAM role's ARN takes its sessions */
        {"arn:aws:iam::123456789012:role/team/Review",
         "arn:aws:sts::123456789012:assumed-role/Review/ana", 1},
        {"arn:aws:iam::123456789012:role/Review", "arn:aws:sts::999999999999:assumed-role/Review/a",
         0},
        /* CodeCommitApprovers: users and federated users by name, sessions by a wildcard */
        {"CodeCommitApprovers:123456789012:Mary", "arn:aws:iam::123456789012:user/Mary", 1},
        {"CodeCommitApprovers:123456789012:Mary", "arn:aws:iam::123456789012:user/path/Mary", 1},
        {"CodeCommitApprovers:123456789012:Mary", "arn:aws:sts::123456789012:federated-user/Mary",
         1},
        {"CodeCommitApprovers:123456789012:Mary",
         "arn:aws:sts::123456789012:assumed-role/Review/Mary", 0},
        {"CodeCommitApprovers:123456789012:*Mary",
         "arn:aws:sts::123456789012:assumed-role/Review/Mary", 1},
        {"CodeCommitApprovers:999999999999:Mary", "arn:aws:iam::123456789012:user/Mary", 0},
        {"CodeCommitApprovers:123456789012", "arn:aws:iam::123456789012:user/Mary", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *pool = json_pack("[s]", cases[i].member);
        if (ccrule_member(pool, cases[i].arn) != cases[i].in)
            fail_msg("%s in [%s]: expected %d", cases[i].arn, cases[i].member, cases[i].in);
        json_decref(pool);
    }
}

static void test_satisfied_and_applies(void **state)
{
    (void)state;
    ferr e = {0};
    json_t *r = NULL;
    assert_int_equal(
        ccrule_parse("{\"Version\":\"2018-11-08\",\"DestinationReferences\":[\"refs/heads/main\"],"
                     "\"Statements\":[{\"Type\":\"Approvers\",\"NumberOfApprovalsNeeded\":2,"
                     "\"ApprovalPoolMembers\":[\"arn:aws:iam::1:user/*\"]},"
                     "{\"Type\":\"Approvers\",\"NumberOfApprovalsNeeded\":1}]}",
                     CODE, &r, &e),
        0);
    json_t *one = json_pack("[s]", "arn:aws:iam::1:user/a");
    json_t *two = json_pack("[s, s]", "arn:aws:iam::1:user/a", "arn:aws:iam::1:user/b");
    json_t *outside = json_pack("[s, s]", "arn:aws:iam::1:user/a", "arn:aws:iam::2:user/b");
    assert_false(ccrule_satisfied(r, one));
    assert_true(ccrule_satisfied(r, two));
    assert_false(ccrule_satisfied(r, outside)); /* the pooled statement counts its pool only */
    assert_true(ccrule_applies(r, "refs/heads/main"));
    assert_false(ccrule_applies(r, "refs/heads/dev"));
    json_decref(one);
    json_decref(two);
    json_decref(outside);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_satisfied_and_applies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
