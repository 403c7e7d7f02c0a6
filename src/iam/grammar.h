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

/* Reads a Date condition value as IAM's legacy parser does (what the grammar accepts is
 * what evaluation compares): epoch seconds (up to 19 digits), or an ISO 8601 date-time
 * given as any prefix of [-]yyyy-mm-ddThh:mm:ss.fffffffff, with Z or an offset (+hh[:mm]);
 * what is left out is the start of the period ("2020-01" is 2020-01-01T00:00:00Z). *t
 * (may be NULL) gets epoch seconds. 0, or -1 when it is not such a value. */
int iam_date_parse(const char *v, double *t);

#endif
