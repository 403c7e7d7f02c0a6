/* Writes access keys' last uses (auth/lastused.h) every interval
 * (FERRY_KEY_LAST_USED_INTERVAL seconds, default 60) and once more when ferry stops. */
#ifndef FERRY_ENGINE_KEYS_LASTUSED_H
#define FERRY_ENGINE_KEYS_LASTUSED_H
#include "engines.h"

extern const engine_def keys_lastused_engine;

#endif
