/* The CodeStar Notifications engine: publishes the notifications rules queued (see
 * svc/codestarnotifications/codestarnotifications.h). */
#ifndef FERRY_ENGINE_NOTIFICATIONS_H
#define FERRY_ENGINE_NOTIFICATIONS_H
#include "engines.h"

extern const engine_def notifications_engine;

#endif
