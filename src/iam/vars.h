/* Policy variables: ${aws:username}, ${aws:PrincipalTag/team}, ${key, 'default'},
 * and the literal escapes ${*} ${?} ${$}. AWS: "If the variable can't be resolved
 * and has no default, the statement does not match" (iam_pat_match returns -1).
 * Documents without Version 2012-10-17 keep "${...}" as plain text.
 * The functions are declared in iam_int.h (iam_pat_compile, iam_pat_expand). */
#ifndef FERRY_IAM_VARS_H
#define FERRY_IAM_VARS_H
#include "iam/iam_int.h"
#endif
