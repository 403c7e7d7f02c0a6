/* Secrets Manager rotation: every interval (FERRY_SM_ROTATION_INTERVAL seconds, default 60),
 * and at once when RotateSecret asks, it runs the rotations in progress and those whose
 * schedule is due (svc/secretsmanager/rotation.c), one secret after another. */
#ifndef FERRY_ENGINE_SM_ROTATION_H
#define FERRY_ENGINE_SM_ROTATION_H
#include "engines.h"

extern const engine_def sm_rotation_engine;

#endif
