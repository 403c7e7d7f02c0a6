/* libFuzzer target for CodeCommit's approval rule content (src/svc/codecommit/approval.c):
 * the input is parsed as a rule; a rule that parses is evaluated against fixed approvers
 * (a user, an assumed-role session, a federated user) and a destination reference, and a
 * rule with no approvers needed never parses. Seeds: fuzz/corpus/codecommit_rule_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/codecommit/approval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = strndup((const char *)data, size); /* the content is text: NUL ends it */
    if (!s) return 0;
    ferr e = {0};
    json_t *rule = NULL;
    if (!ccrule_parse(s, "InvalidApprovalRuleContentException", &rule, &e)) {
        json_t *none = json_array();
        json_t *who = json_pack("[s, s, s]", "arn:aws:iam::123456789012:user/p/Mary",
                                "arn:aws:sts::123456789012:assumed-role/Review/Mary",
                                "arn:aws:sts::123456789012:federated-user/Ana");
        if (ccrule_satisfied(rule, none)) abort(); /* every statement needs one or more */
        (void)ccrule_satisfied(rule, who);
        (void)ccrule_applies(rule, "refs/heads/main");
        json_decref(who);
        json_decref(none);
        json_decref(rule);
    } else if (strcmp(e.code, "InvalidApprovalRuleContentException"))
        abort();
    free(s);
    return 0;
}
