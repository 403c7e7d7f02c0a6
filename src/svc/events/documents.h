/* What EventBridge keeps in the store (read by the service and, through events.h, by its
 * engine). Rules, buses and schedules are per account and region. */
#ifndef FERRY_EVENTS_DOCUMENTS_H
#define FERRY_EVENTS_DOCUMENTS_H

/* id: the bus's name. {Name, CreationTime, Policy (JSON text, absent: none), Tags}. The
 * default bus exists without a document; it gets one when it is given a policy or tags. */
#define EVENTS_BUS_KIND      "events.bus"
/* id: "BUS|NAME". {Name, EventBusName, EventPattern, ScheduleExpression, State, Description,
 * RoleArn, ManagedBy, Targets: [the Target shapes as put], Tags} */
#define EVENTS_RULE_KIND     "events.rule"
/* id: a rule's id, for rules with a ScheduleExpression: {NextAt (epoch seconds)} */
#define EVENTS_SCHEDULE_KIND "events.schedule"
/* id: a UUIDv7 (time order). A matched event on its way to one target, written in the
 * transaction that accepted the event, deleted in the one that delivered it:
 * {RuleArn, Target, Event (the envelope), Enqueued, Attempts, NextAt} */
#define EVENTS_DELIVERY_KIND "events.delivery"

#endif
