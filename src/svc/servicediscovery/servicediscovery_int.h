/* AWS Cloud Map (json 1.1, target prefix Route53AutoNaming_v20170314). Documents, keyed by
 * account and region:
 *   sd.ns     ns-ID          a namespace (Name, Type, Properties, Vpc, Tags, ServiceCount,
 *                            CreatorRequestId, OperationId: the create that made it)
 *   sd.nsname lower(name)    {"Id"}: namespace names are unique per account and region,
 *                            and DiscoverInstances finds a namespace by its (HTTP) name
 *   sd.svc    srv-ID         a service (DnsConfig, health configs, InstanceCount, Revision)
 *   sd.svcname ns-ID/name    {"Id"}: service names are unique per namespace
 *   sd.inst   srv-ID/inst    an instance (Id, Attributes, CreatorRequestId, Health)
 *   sd.op     op id          an operation (Type, Targets, CreateDate, Outcome, Delay)
 * Every change is made, durably, by the request that asks for it; the operation it answers
 * reports SUBMITTED, PENDING, then its outcome as time passes (operations.c), as AWS's
 * asynchronous operations do.
 *
 * Internal to src/svc/servicediscovery/: servicediscovery.c (the service, ids, ARNs,
 * documents, errors, sd_instances), namespaces.c, services.c, instances.c (registration,
 * health, DiscoverInstances), operations.c, tags.c, dns.c (the Route 53 hosted zone and
 * record sets of DNS namespaces, through Route 53's own operations), prov_*.c
 * (CloudFormation). */
#ifndef FERRY_SVC_SERVICEDISCOVERY_INT_H
#define FERRY_SVC_SERVICEDISCOVERY_INT_H
#include <jansson.h>

#include "svc/svc.h"

#define SD_NS_KIND      "sd.ns"
#define SD_NSNAME_KIND  "sd.nsname"
#define SD_SVC_KIND     "sd.svc"
#define SD_SVCNAME_KIND "sd.svcname"
#define SD_INST_KIND    "sd.inst"
#define SD_OP_KIND      "sd.op"
#define SD_MAX_TAGS     50

/* ---- servicediscovery.c ---- */
int sd_invalid(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ns-"/"srv-" and 16 random lowercase letters and digits, as AWS's ids look. */
const char *sd_new_id(call *c, const char *prefix);
const char *sd_arn(call *c, const char *kind, const char *id);
/* Loads a document of kind: 1 (*doc in the arena), 0 absent, -1. */
int sd_get(call *c, const char *kind, const char *id, json_t **doc);
int sd_put(call *c, const char *kind, const char *id, const json_t *doc);
int sd_del(call *c, const char *kind, const char *id);
/* The namespace / service an id (or, for a service, its ARN) names, authorized for action:
 * 0 and *doc (arena), or -1 with NamespaceNotFound / ServiceNotFound. */
int sd_ns_load(call *c, const char *id, const char *action, json_t **doc);
int sd_svc_load(call *c, const char *id, const char *action, json_t **doc);
/* The namespace named name (HTTP name, any case) in account/region: 1 and *id (arena), 0. */
int sd_ns_by_name(store_txn *t, arena *a, const char *account, const char *region, const char *name,
                  const char **id, ferr *e);
/* Adds delta to the integer member key of doc (kept at 0 or more). 0, or -1 (OOM). */
int sd_count(call *c, json_t *doc, const char *key, long long delta);
/* Authorizes action on arn and records the resource for the trail. */
int sd_authorize(call *c, const char *action, const char *arn);
/* Adds members (an object, consumed; NULL: out of memory) to the error just set, as AWS's
 * error shapes carry them (NamespaceAlreadyExists' NamespaceId). Returns -1. */
int sd_err_members(call *c, json_t *members);
/* Checks a Tags list against AWS's quota (TooManyTagsException). */
int sd_tags_check(call *c, const json_t *tags, const char *arn);

/* Listings: the call's NextToken and MaxResults (default 100) applied to all, *out the
 * reply with the page under key. 0 or -1. */
int sd_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out);
/* A list filter's Condition (EQ when absent) is one of conds (space-separated), and it has
 * as many values as the condition takes (IN: any, BETWEEN: 2, else 1): 0, or InvalidInput. */
int sd_filter_check(call *c, const json_t *f, const char *conds);
/* Whether value satisfies filter f (EQ, IN, BEGINS_WITH). */
int sd_filter_match(const json_t *f, const char *value);
/* What each document of kind (the call's account and region) gives: 0 with *item (a new
 * reference; NULL: left out), or -1 out of memory. */
typedef int (*sd_item_fn)(void *ud, const json_t *doc, json_t **item);
/* The items fn gives, in id order: an array the arena holds, or NULL (c->err set). */
json_t *sd_collect(call *c, const char *kind, sd_item_fn fn, void *ud);

/* ---- operations.c ---- */
/* Records a new operation of type on targets ({"NAMESPACE": id, ...}) that ends in outcome
 * ("SUCCESS", or "FAIL" with code and message): *id its id (arena). 0 or -1. */
int sd_op_new(call *c, const char *type, json_t *targets, const char *fail_code,
              const char *fail_message, const char **id);

/* ---- instances.c ---- */
/* The HttpInstanceSummary list of the instances of service svc (in namespace nsname) that
 * match query (every key/value), healthy or not. New reference, or NULL (e set). */
json_t *sd_summaries(store_txn *t, const char *account, const char *region, const json_t *svc,
                     const char *nsname, const json_t *query, ferr *e);

/* ---- dns.c ---- */
/* Whether Route 53 is in this ferry (its ChangeResourceRecordSets is implemented). */
int sd_dns_available(void);
/* Makes the hosted zone of a DNS namespace being created (vpc NULL: public): 0 and *zone
 * (Route 53's id without "/hostedzone/", arena, "" when Route 53 is absent), 1 when Route 53
 * refused (*why: its message), -1 error. */
int sd_dns_zone_create(call *c, const json_t *ns, const char *vpc, const char **zone,
                       const char **why);
/* Deletes a DNS namespace's hosted zone. 0, or -1. */
int sd_dns_zone_delete(call *c, const json_t *ns);
/* Upserts (add 1) or deletes (add 0) the record sets of instance inst of service svc in
 * namespace ns. 0, 1 when Route 53 refused (*why), -1 error. Nothing for HTTP namespaces. */
int sd_dns_records(call *c, const json_t *ns, const json_t *svc, const json_t *inst, int add,
                   const char **why);

#endif
