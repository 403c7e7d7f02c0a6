/* CodeBuild's builds engine: runs the builds StartBuild records (svc/codebuild/documents.h),
 * each as a process tree on the host (no containers) in a work directory of its own, under
 * a guard (engine/proc.h), as the project's service role; writes their phases back into
 * the build's document, their output to CloudWatch Logs, and their events to EventBridge.
 * On a shared store a build is run by the node that claims it; one whose node's lease has
 * run out ends FAILED (engine/leases.h): its processes died with that node. */
#ifndef FERRY_ENGINE_BUILDS_H
#define FERRY_ENGINE_BUILDS_H
#include <jansson.h>

#include "engine/engines.h"
#include "svc/svc.h"

extern const engine_def builds_engine;

/* Where a build's container credentials are served (AWS_CONTAINER_CREDENTIALS_FULL_URI). */
#define BUILDS_CREDENTIALS_PATH "/_ferry/codebuild/credentials"

/* The svc_notify key that the engine notifies, after the commit, when build ID completes:
 * BUILDS_DONE_KEY "ID" (the pipelines engine waits on it). */
#define BUILDS_DONE_KEY "codebuild:"

/* Wakes the engine: a build was started or asked to stop (after the commit). */
void builds_kick(void);
/* The credentials of the running build whose token is auth (the Authorization header),
 * refreshed when they near their end: 200 and *body ({AccessKeyId, SecretAccessKey, Token,
 * Expiration}, malloc'd), or 401/403 and NULL. */
int builds_credentials(ferry_env *env, const char *auth, char **body);
/* A build document as BatchGetBuilds shows it (new reference, NULL on OOM). */
json_t *builds_view(const json_t *b);
/* Puts AWS's "CodeBuild Build State Change" event for b (its buildStatus now) in t. */
int builds_emit_state(store_txn *t, const char *account, const char *region, const json_t *b,
                      ferr *e);

#endif
