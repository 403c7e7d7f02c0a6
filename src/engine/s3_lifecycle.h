/* The S3 lifecycle sweep: every interval (FERRY_S3_LIFECYCLE_INTERVAL seconds, default
 * 300) it expires the objects that buckets' lifecycle rules make due (svc/s3/lifecycle.c). */
#ifndef FERRY_ENGINE_S3_LIFECYCLE_H
#define FERRY_ENGINE_S3_LIFECYCLE_H
#include "engines.h"

extern const engine_def s3_lifecycle_engine;

#endif
