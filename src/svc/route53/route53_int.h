/* Route 53 (rest-xml, global: every document has region ""). Internal to src/svc/route53/:
 * route53.c (the service, ids, zone documents, names, changes), zones.c (hosted zones, VPC
 * associations and authorizations, tags), records.c (ChangeResourceRecordSets,
 * ListResourceRecordSets, GetChange), health.c (health checks and the engine that performs
 * them), answer.c (a DNS query's answer from a snapshot of the zones), dns.c (the server).
 *
 * A zone is one document "route53.zone" (account, "", id "Z...") holding its records, so a
 * change batch is validated and applied on one copy and stored whole, in the reply's
 * transaction. Records are kept as the API shows them (ResourceRecordSet), names lowercased
 * with their final dot, in AWS's listing order. */
#ifndef FERRY_SVC_ROUTE53_INT_H
#define FERRY_SVC_ROUTE53_INT_H
#include <jansson.h>

#include "route53.h"
#include "svc/svc.h"

#define R53_ZONE_KIND   "route53.zone"
#define R53_REF_KIND    "route53.ref"     /* (account, CallerReference) -> zone or check id */
#define R53_CHANGE_KIND "route53.change"  /* global: ("", change id) */
#define R53_HC_KIND     "route53.hc"      /* (account, health check id) */
#define R53_AUTH_KIND   "route53.vpcauth" /* (zone owner, "ZONE/REGION/VPC") */
#define R53_MAX_ITEMS   300
#define R53_NAME_MAX    1024

/* ---- route53.c ---- */
/* "Z" + 19 upper-case letters and digits (and C... for changes) */
void route53_id(const char *prefix, char out[24]);
/* arn:PARTITION:route53:::TYPE/ID (arena; "*" and c->oom when out of memory). */
const char *route53_arn(call *c, const char *type, const char *id);
/* Strips "/hostedzone/" or "/change/" (clients send either form). */
const char *route53_bare_id(const char *id);
/* A DNS name as Route 53 keeps it: lower case, final dot, "*" as "\052". Arena; NULL when
 * invalid (empty label, too long) with InvalidInput set when e is given. */
const char *route53_norm_name(call *c, const char *name);
/* 1 when name is zone or under it (both normalized). */
int route53_in_zone(const char *name, const char *zone);
/* AWS's listing order of names: labels compared from the right. */
int route53_name_cmp(const char *a, const char *b);
/* Loads zone id of the caller's account (or any account when account is NULL): 1 and *doc
 * (arena), 0 with NoSuchHostedZone set, -1. *owner (may be NULL) gets the owner. */
int route53_zone_load(call *c, const char *id, json_t **doc, const char **owner);
int route53_zone_save(call *c, const char *owner, json_t *doc);
/* The HostedZone shape of doc (new reference in the arena). */
json_t *route53_zone_shape(call *c, const json_t *doc);
/* Records a change (PENDING until FERRY_ROUTE53_SYNC_SECONDS pass): its ChangeInfo. */
json_t *route53_change_new(call *c, const char *comment);
/* The same for a change to zone_owner's zone: a cross-account VPC association's change is
 * also the zone owner's to GetChange (AWS: it is asked in the zone's account, as seed 004 does). */
json_t *route53_change_new_in(call *c, const char *zone_owner, const char *comment);
int route53_invalid_input(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- records.c ---- */
/* The SOA and NS record sets a new zone starts with (appended to records). */
int route53_records_init(call *c, json_t *zone);
/* Applies changes (ChangeBatch.Changes) to zone's records as one batch: 0, or -1 with
 * InvalidChangeBatch (every message) or InvalidInput. */
int route53_records_apply(call *c, json_t *zone, const json_t *changes);

/* ---- health.c ---- */
/* 1 when the health check is healthy (or unknown: a check starts healthy), 0 when not. */
int route53_health_ok(const char *id);
int route53_hc_exists(call *c, const char *id);
/* The caller's health check id (*doc in the arena), authorized for action on its ARN:
 * 0, or -1 (NoSuchHealthCheck, AccessDenied). */
int route53_hc_load(call *c, const char *action, const char *id, json_t **doc);

#endif
