/* AWS Health for the rest of ferry: where the operator's injection route lives (the
 * `ferry health` subcommand posts there). AWS publishes Health events itself; in ferry the
 * operator does, per account, through this route. */
#ifndef FERRY_SVC_HEALTH_H
#define FERRY_SVC_HEALTH_H

/* POST HEALTH_ROUTE "inject" with an event ({service, eventTypeCode, eventTypeCategory,
 * region, availabilityZone, statusCode, description, entities, startTime}) adds it to the
 * signer's account; POST HEALTH_ROUTE "close" with {arn} closes one. Both need a SigV4
 * signature of the account's root user (any signature with --auth open); the answer is the
 * event as DescribeEvents shows it, or {__type, message}. */
#define HEALTH_ROUTE "/_ferry/health-events/"

#endif
