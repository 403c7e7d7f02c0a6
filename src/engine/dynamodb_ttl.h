/* DynamoDB's TTL: every interval (FERRY_DYNAMODB_TTL_INTERVAL seconds, default 60) it deletes
 * the items whose TTL attribute has passed (svc/dynamodb/ttl.c). */
#ifndef FERRY_ENGINE_DYNAMODB_TTL_H
#define FERRY_ENGINE_DYNAMODB_TTL_H
#include "engines.h"

extern const engine_def dynamodb_ttl_engine;

#endif
