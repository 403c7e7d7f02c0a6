/* Elastic Load Balancing v2 (query protocol, signing name elasticloadbalancing): load
 * balancers, target groups and their targets, listeners and rules, as records; the ip
 * targets of groups in use are health checked over HTTP (health.c). Documents, keyed by
 * account and region:
 *   "elbv2.lb"       NAME                      AWS's LoadBalancer shape, plus _id, Attributes
 *                                              {k: v}, Tags [{Key, Value}]
 *   "elbv2.tg"       NAME                      AWS's TargetGroup shape, plus _id, Attributes,
 *                                              Tags, Targets [{Id, Port, AvailabilityZone,
 *                                              _state, _ok, _fail, _reason, _desc, _since}]
 *   "elbv2.listener" TYPE/LB/LBID/LID          AWS's Listener shape, plus _rule (the default
 *                                              rule's id), Tags
 *   "elbv2.rule"     TYPE/LB/LBID/LID/RID      AWS's Rule shape, plus Tags
 * so a load balancer's listeners and a listener's rules are one prefix listing.
 *
 * Internal to src/svc/elbv2/: elbv2.c (the service, load balancers, attributes, tags),
 * tg.c (target groups, targets), listener.c (listeners, rules, actions), health.c (the
 * health checks and target states), render.c (an ALB for a proxy). */
#ifndef FERRY_SVC_ELBV2_INT_H
#define FERRY_SVC_ELBV2_INT_H
#include <jansson.h>

#include "svc/elbv2/elbv2.h"
#include "svc/svc.h"

#define EL_LB   "elbv2.lb"
#define EL_TG   "elbv2.tg"
#define EL_LS   "elbv2.listener"
#define EL_RULE "elbv2.rule"

/* ---- elbv2.c ---- */
/* arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:RESOURCE (arena). */
const char *el_arn(call *c, const char *resource);
/* The part of arn after "KIND/" when it is an ARN of that kind in the caller's account and
 * region, else NULL (then the thing is not found, as AWS answers for another account's). */
const char *el_arn_rest(call *c, const char *arn, const char *kind);
/* Authorizes elasticloadbalancing:<c->op> on arn ("*" for none). 0 or -1. */
int el_auth(call *c, const char *arn);
/* The load balancer or target group arn names (1 found, *doc in the arena; 0 not). */
int el_lb_by_arn(call *c, const char *arn, json_t **doc);
int el_tg_by_arn(call *c, const char *arn, json_t **doc);
/* doc without ferry's members (those starting with '_', Attributes, Tags, Targets): AWS's
 * shape. New reference in the arena; NULL with c->oom. */
json_t *el_view(call *c, const json_t *doc);
/* Checks Tags ([{Key, Value}]) as AWS does (DuplicateTagKeys, TooManyTags). 0 or -1. */
int el_check_tags(call *c, const json_t *tags, const json_t *have);
/* A ValidationError with AWS's message. -1. */
int el_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* *out = {key: a page of all, NextMarker} by in's Marker and PageSize (default 400). */
int el_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out);
/* A 16-digit lowercase hex id (AWS's resource ids in ARNs). */
void el_id(char out[17]);
/* {Key: Value} pairs of doc's "Attributes" as [{Key, Value}] (arena); NULL with c->err. */
json_t *el_attr_list(call *c, const json_t *doc);
/* Sets [{Key, Value}] into doc's Attributes, each key checked against allowed (NULL
 * terminated) as AWS words a refusal. 0 or -1. */
int el_attr_set(call *c, json_t *doc, const json_t *attrs, const char *const *allowed);

/* ---- tg.c ---- */
/* 1 when a listener or rule of the caller's account and region forwards to tg_arn, 0 not;
 * lbs (may be NULL) gets the load balancers' ARNs that do. -1 with c->err. */
int el_tg_in_use(call *c, const char *tg_arn, json_t *lbs);

/* ---- listener.c ---- */
/* Deletes every listener (and its rules) of the load balancer whose ARN rest is lb_rest. */
int el_listeners_delete(call *c, const char *lb_rest);
/* The target group ARNs actions forward to, appended to out (no duplicates). 0 or -1. */
int el_actions_tgs(const json_t *actions, json_t *out, ferr *e);

/* ---- health.c ---- */
/* Target health as DescribeTargetHealth answers it for target t of group tg (in_use: the
 * group receives traffic). New reference; NULL out of memory. */
json_t *el_target_health(const json_t *tg, const json_t *t, int in_use);

#endif
