/* Condition operators (declared in iam_int.h: iam_cond_compile, iam_cond_eval).
 * AWS rules copied:
 *  - several operators in a Condition block, and several keys under one operator,
 *    are ANDed; several values for one key are ORed;
 *  - a missing key: positive operators are false; negated operators (StringNotEquals,
 *    StringNotLike, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals,
 *    ArnNotLike, StringNotEqualsIgnoreCase) are true; "...IfExists" is true;
 *  - ForAllValues: true when the key is missing or its set is empty; otherwise every
 *    request value must satisfy the operator. ForAnyValue: false when missing/empty;
 *    otherwise at least one request value must;
 *  - Null: "true" matches an absent key, "false" a present one;
 *  - keys are case-insensitive; values case-sensitive unless the operator says so;
 *  - ArnEquals and ArnLike behave the same (both take wildcards, part by part). */
#ifndef FERRY_IAM_COND_H
#define FERRY_IAM_COND_H
#include "iam/iam_int.h"
#endif
