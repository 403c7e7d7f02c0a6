/* Action, ARN and wildcard matching (declared in iam_int.h):
 *  - actions: case-insensitive, '*' and '?' ("s3:Get*", "sqs:?etQueue*");
 *  - ARNs: AWS "each of the six colon-delimited components of the ARN is checked
 *    separately"; wildcards never cross a ':' before the resource part, which may
 *    itself contain ':' and '/'; case-sensitive;
 *  - strings (StringLike): case-sensitive '*' and '?'. */
#ifndef FERRY_IAM_MATCH_H
#define FERRY_IAM_MATCH_H
#include "iam/iam_int.h"
#endif
