/* The EventBridge engine: delivers the events PutEvents (and events_emit) queued in the
 * store and fires scheduled rules (svc/events/deliver.c does the work). It sweeps when
 * woken by a new event or schedule and every FERRY_EVENTS_INTERVAL seconds (default 1: the
 * retries and schedules that come due); FERRY_EVENTS_TIME_SCALE shortens rate() intervals
 * and retry delays for tests. */
#ifndef FERRY_ENGINE_EVENTS_BUS_H
#define FERRY_ENGINE_EVENTS_BUS_H
#include "engine/engines.h"

extern const engine_def events_bus_engine;

#endif
