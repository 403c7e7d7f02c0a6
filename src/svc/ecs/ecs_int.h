/* Amazon ECS (json 1.1) as records: clusters, task definitions and services are kept and
 * answered as AWS does, but no container runs: a service's runningCount follows its
 * desiredCount at once and each deployment is COMPLETED when it is made. Documents, keyed
 * by account and region:
 *   "ecs.cluster" NAME                  AWS's Cluster shape (tags inside)
 *   "ecs.family"  FAMILY                {"last": the last revision given}
 *   "ecs.taskdef" FAMILY:REV (10 digits) AWS's TaskDefinition shape, plus tags
 *   "ecs.service" CLUSTER/NAME          AWS's Service shape (tags inside)
 *
 * Internal to src/svc/ecs/: ecs.c (the service, clusters, tags), taskdef.c (task
 * definitions), service.c (services). */
#ifndef FERRY_SVC_ECS_INT_H
#define FERRY_SVC_ECS_INT_H
#include <jansson.h>

#include "svc/svc.h"

#define ECS_CLUSTER "ecs.cluster"
#define ECS_FAMILY  "ecs.family"
#define ECS_TASKDEF "ecs.taskdef"
#define ECS_SERVICE "ecs.service"

/* ---- ecs.c ---- */
/* arn:PARTITION:ecs:REGION:ACCOUNT:RESOURCE (arena). */
const char *ecs_arn(call *c, const char *resource);
/* The part of arn after "KIND/" in the caller's account and region, else NULL. */
const char *ecs_arn_rest(call *c, const char *arn, const char *kind);
/* Authorizes ecs:<c->op> on arn ("*" when NULL). 0 or -1. */
int ecs_auth(call *c, const char *arn);
/* The cluster named by a name or ARN (NULL: "default"), ACTIVE: 0 with *doc (arena), or -1
 * ClusterNotFoundException. */
int ecs_cluster_load(call *c, const char *ref, json_t **doc);
/* 1 for a cluster, service or family name: 1 to 255 letters, digits, '-' and '_'. */
int ecs_valid_name(const char *name);
/* InvalidParameterException with AWS's message. -1. */
int ecs_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* *out = {key: a page of all, nextToken} by in's nextToken and maxResults (1..100). */
int ecs_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out);
/* Checks tags [{key, value}] as ECS does. 0 or -1. */
int ecs_check_tags(call *c, const json_t *tags);
/* Sets tags into doc's "tags" (keys replaced). 0 or -1 (OOM). */
int ecs_tags_merge(call *c, json_t *doc, const json_t *tags);

/* ---- taskdef.c ---- */
/* The task definition a family, family:revision or ARN names: 1 (*doc, arena), 0, -1. */
int ecs_taskdef_find(call *c, const char *ref, json_t **doc);

#endif
