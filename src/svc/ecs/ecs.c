/* Amazon ECS as records. */
#include "svc/svc.h"

const svc_def svc_ecs = {.name = "ecs", .event_source = "ecs.amazonaws.com"};
