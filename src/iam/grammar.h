/* AWS's grammar for policy documents: what IAM refuses before it reads a document's meaning,
 * with AWS's messages and in AWS's order (syntax, version, legacy parsing, Sid uniqueness,
 * actions, resources, resource formats, action names). Access Analyzer's findings are its
 * own (src/svc/accessanalyzer/policycheck.c): what IAM accepts, such as condition keys
 * without a vendor prefix, it may still warn about. */
#ifndef FERRY_IAM_GRAMMAR_H
#define FERRY_IAM_GRAMMAR_H
#include <stddef.h>

#include "base/err.h"

struct json_t;

/* Checks root, parsed from json[0..len), for a document of kind (iam_kind). Returns 0, or -1
 * with e set: MalformedPolicyDocument (400) and AWS's message. */
int iam_grammar_check(struct json_t *root, const char *json, size_t len, int kind, ferr *e);

/* 1 when op names a condition operator IAM knows ("StringLike", "ForAnyValue:StringLike",
 * "DateLessThanIfExists", ...), else 0. */
int iam_condition_operator_known(const char *op);

#endif
