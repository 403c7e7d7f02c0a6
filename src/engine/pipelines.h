/* The CodePipeline engine: runs pipeline executions (see svc/codepipeline/codepipeline.h). */
#ifndef FERRY_ENGINE_PIPELINES_H
#define FERRY_ENGINE_PIPELINES_H
#include "engines.h"

extern const engine_def pipelines_engine;

#endif
