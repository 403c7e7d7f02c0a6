/* Private to src/svc/sts: what STS's operation files share. */
#ifndef FERRY_SVC_STS_INT_H
#define FERRY_SVC_STS_INT_H
#include <jansson.h>

#include "auth/keys.h"
#include "svc/svc.h"

#define STS_DEFAULT_SESSION 3600

/* DurationSeconds of in (its range checked by the model), or dflt. */
long long sts_duration(const json_t *in, long long dflt);
/* Policy and PolicyArns (session policies) as AssumeRole* check them: 0, or -1 with AWS's
 * error (ValidationError, MalformedPolicyDocument). */
int sts_check_policies(call *c, const json_t *in);
/* The Credentials shape. New reference, NULL on OOM. */
json_t *sts_credentials(const key_info *k, double expires);

#endif
