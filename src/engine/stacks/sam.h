/* The SAM transform (Transform: AWS::Serverless-2016-10-31): AWS::Serverless::* resources,
 * their Events and the Globals section expanded into the plain CloudFormation resources SAM
 * generates, with SAM's logical ids (<Fn>Role, <Fn><Event>Permission, ServerlessRestApi,
 * ServerlessRestApiProdStage, ...). Intrinsic functions pass through untouched: the stack
 * engine resolves them in the expanded template. A pure function over jansson documents, so
 * the fuzz target drives it directly. */
#ifndef FERRY_CFN_SAM_H
#define FERRY_CFN_SAM_H
#include <jansson.h>

#include "base/err.h"

#define SAM_TRANSFORM "AWS::Serverless-2016-10-31"

/* Applies the template's Transform: 0 none declared (*tpl untouched), 1 expanded (*tpl
 * replaced by the processed template, which has no Transform or Globals), -1 with a
 * ValidationError: "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless
 * Application Specification document. Number of errors found: N. Resource with id [X] is
 * invalid. ..." as SAM says it, or "No transform named X found." for other transforms. */
int sam_transform(json_t **tpl, const json_t *given, ferr *e);

/* The SAM expansion of tpl itself (Transform not looked at): a new reference or NULL. given:
 * the request's Parameters ([{ParameterKey, ParameterValue}] or NULL): as SAM, a Ref to a
 * parameter in what names resources (AutoPublishAlias, an API's StageName) takes its value
 * (given, else the Default). */
json_t *sam_expand(const json_t *tpl, const json_t *given, ferr *e);

#endif
