/* CodeCommit's approval rule content (Version 2018-11-08): its parser and evaluator.
 * {"Version": "2018-11-08", "DestinationReferences": ["refs/heads/main"] (templates only),
 *  "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": N,
 *                  "ApprovalPoolMembers": ["arn:...", "CodeCommitApprovers:ACCOUNT:NAME"]}]}
 * A rule is satisfied when every statement has N approvals from its pool (no pool: anyone).
 * Pool members are ARN globs ('*', '?'); an IAM role's ARN also takes its assumed-role
 * sessions; CodeCommitApprovers:ACCOUNT:NAME takes the users and federated users of ACCOUNT
 * named NAME, and assumed-role sessions when NAME's glob matches "ROLE/SESSION". */
#ifndef FERRY_SVC_CODECOMMIT_APPROVAL_H
#define FERRY_SVC_CODECOMMIT_APPROVAL_H
#include <jansson.h>

#include "base/err.h"

/* Parses and checks content: *rule (new reference) or -1 with e set to code (AWS's
 * InvalidApprovalRuleContentException or InvalidApprovalRuleTemplateContentException). */
int ccrule_parse(const char *content, const char *code, json_t **rule, ferr *e);
/* 1 when arn is a member of the pool (a JSON array of members). */
int ccrule_member(const json_t *pool, const char *arn);
/* 1 when approvers (an array of ARNs) satisfy every statement of rule. */
int ccrule_satisfied(const json_t *rule, const json_t *approvers);
/* 1 when a template's rule applies to a pull request into ref ("refs/heads/NAME"): its
 * DestinationReferences name it, or it has none. */
int ccrule_applies(const json_t *rule, const char *ref);

#endif
