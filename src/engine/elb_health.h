/* Elastic Load Balancing v2 health checks: every FERRY_ELBV2_HEALTH_INTERVAL seconds
 * (default 1) a sweep checks the targets whose group's interval has passed
 * (svc/elbv2/health.c). */
#ifndef FERRY_ENGINE_ELB_HEALTH_H
#define FERRY_ENGINE_ELB_HEALTH_H
#include "engines.h"

extern const engine_def elb_health_engine;

#endif
