#include "engines.h"

#include <stddef.h>

#include "blobsweep.h"
#include "builds.h"
#include "delivery.h"
#include "dynamodb_ttl.h"
#include "elb_health.h"
#include "esm.h"
#include "events_bus.h"
#include "functions.h"
#include "lb.h"
#include "leases.h"
#include "lambda_async.h"
#include "logs_retention.h"
#include "keys_lastused.h"
#include "mesh.h"
#include "notifications.h"
#include "pipelines.h"
#include "s3_lifecycle.h"
#include "sm_rotation.h"
#include "stacks/engine.h"
#include "svc/route53/route53.h"

static const engine_def *const registry[] = {
    &leases_engine,         /* node leases (engine/leases.c): first, before work names this node */
    &lambda_async_engine,   /* Lambda's Event invocations (engine/lambda_async.c): stopped after
                             the functions engine, whose stop ends the invocations its workers
                             wait for (the events stay queued); one taken before the functions
                             engine has started is tried again a second later */
    &functions_engine,      /* Lambda execution environments (engine/functions.c): first, so
                               that deliveries and stacks can invoke functions */
    &delivery_engine,       /* SNS fan-out (engine/delivery.c) */
    &esm_engine,            /* SQS event source mappings (engine/esm.c): after functions, so
                               that it stops first */
    &cfn_engine,            /* after delivery: stack events publish to SNS; stops first */
    &blobsweep_engine,      /* object bytes no document names (engine/blobsweep.c) */
    &s3_lifecycle_engine,   /* S3 lifecycle expiration (engine/s3_lifecycle.c) */
    &logs_retention_engine, /* CloudWatch Logs retention (engine/logs_retention.c) */
    &sm_rotation_engine,    /* Secrets Manager rotation (engine/sm_rotation.c) */
    &dynamodb_ttl_engine,   /* DynamoDB TTL deletions (engine/dynamodb_ttl.c) */
    &events_bus_engine,     /* EventBridge deliveries and schedules (engine/events_bus.c) */
    &builds_engine,         /* CodeBuild builds (engine/builds.c): after functions and logs'
                               users, stopped first */
    &pipelines_engine,      /* CodePipeline executions (engine/pipelines.c): after the engines
                               its actions call (stacks, functions, deliveries); stops first */
    &route53_health_engine, /* Route 53 health checks (svc/route53/health.c) */
    &route53_dns_engine,    /* ferry serve --dns (svc/route53/dns.c): after the health checks
                               its answers read */
    &elb_health_engine,     /* ELBv2 target health checks (engine/elb_health.c) */
    &mesh_engine,           /* App Mesh's data plane, HAProxy (engine/mesh.c, engine/proxy.c) */
    &lb_engine,             /* ELBv2's data plane, HAProxy (engine/lb.c, engine/proxy.c) */
    &keys_lastused_engine,  /* access keys' last uses (engine/keys_lastused.c) */
    &notifications_engine,  /* CodeStar Notifications to SNS (engine/notifications.c): after
                               delivery, whose fan-out its publishes use */
};
#define NENGINES (sizeof(registry) / sizeof(registry[0]))

int engines_start(ferry_env *env, ferr *e)
{
    for (size_t i = 0; i < NENGINES; i++) {
        if (!registry[i]) continue;
        if (registry[i]->start(env, e)) {
            while (i-- > 0)
                if (registry[i]) registry[i]->stop(env);
            return -1;
        }
    }
    return 0;
}

void engines_stop(ferry_env *env)
{
    for (size_t i = NENGINES; i-- > 0;)
        if (registry[i]) registry[i]->stop(env);
}
