/* The Elastic Load Balancing v2 data plane: every active Application Load Balancer of every
 * account and region, rendered by elbv2_render (svc/elbv2/elbv2.h), served by a proxy of its
 * own (engine/proxy.h, the same driver as App Mesh's). Each listener gets a frontend on
 * 127.0.0.1 and a port ferry picks, the same while the process runs; its rules are tried in
 * priority order (default last): path-pattern, host-header and http-header conditions,
 * forward over the weighted target groups' healthy ip targets (each group gets its weight's
 * share whatever its number of targets), fixed-response, redirect.
 * GET /_ferry/elb lists the listeners: {"listeners": [{"account", "region",
 * "loadBalancerArn", "dnsName", "port" (the listener's), "address", "proxyPort"}], "proxy":
 * {"running", "pid", "generation", "config", "lastError"}}. haproxy starts when a load
 * balancer first has a listener. */
#ifndef FERRY_ENGINE_LB_H
#define FERRY_ENGINE_LB_H
#include "engines.h"
#include "proto/codec.h"

extern const engine_def lb_engine;

/* Renders again now (after an ELBv2 write or a target's health change) rather than at the
 * next poll. */
void lb_engine_kick(void);

/* GET /_ferry/elb (ELBv2's route): the listeners, as JSON. */
int lb_engine_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

#endif
