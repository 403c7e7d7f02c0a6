/* IAM access reports, built from the uses authorization notes (auth/lastused.h): service
 * last accessed for a user, role, group or managed policy (GenerateServiceLastAccessedDetails
 * and its Get calls) and the Organizations access report of a root, OU or account
 * (management account only). A job is computed when it is generated and stored whole: it is
 * COMPLETED at once, as a poll finds it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/lastused.h"
#include "base/clock.h"
#include "base/ids.h"
#include "iam/inspect.h"
#include "iam_int.h"
#include "svc/organizations/organizations.h"
#include "svc/organizations/scp.h"

/* The services ferry serves, by IAM namespace (action prefix), with the models'
 * serviceFullName: what a report lists. Sorted by namespace. */
static const struct {
    const char *ns, *name;
} SERVICES[] = {
    {"access-analyzer", "Access Analyzer"},
    {"apigateway", "Amazon API Gateway"},
    {"appmesh", "AWS App Mesh"},
    {"cloudformation", "AWS CloudFormation"},
    {"cloudtrail", "AWS CloudTrail"},
    {"codebuild", "AWS CodeBuild"},
    {"codecommit", "AWS CodeCommit"},
    {"codepipeline", "AWS CodePipeline"},
    {"codestar-notifications", "AWS CodeStar Notifications"},
    {"dynamodb", "Amazon DynamoDB"},
    {"ec2", "Amazon Elastic Compute Cloud"},
    {"ecs", "Amazon EC2 Container Service"},
    {"elasticloadbalancing", "Elastic Load Balancing"},
    {"events", "Amazon EventBridge"},
    {"health", "AWS Health APIs and Notifications"},
    {"iam", "AWS Identity and Access Management"},
    {"kms", "AWS Key Management Service"},
    {"lambda", "AWS Lambda"},
    {"logs", "Amazon CloudWatch Logs"},
    {"organizations", "AWS Organizations"},
    {"ram", "AWS Resource Access Manager"},
    {"route53", "Amazon Route 53"},
    {"s3", "Amazon Simple Storage Service"},
    {"secretsmanager", "AWS Secrets Manager"},
    {"servicediscovery", "AWS Cloud Map"},
    {"sns", "Amazon Simple Notification Service"},
    {"sqs", "Amazon Simple Queue Service"},
    {"ssm", "Amazon Simple Systems Manager (SSM)"},
    {"sts", "AWS Security Token Service"},
};
#define NSERVICES (sizeof(SERVICES) / sizeof(SERVICES[0]))

#define JOB_KIND     "iam.accessjob" /* service last accessed jobs, in the caller's account */
#define ORG_JOB_KIND "iam.orgjob"    /* Organizations access reports, in the management account */

/* ---- recorded uses ---- */

typedef struct use {
    const char *who;   /* principal ARN */
    const char *where; /* org report: the account's entity path */
    const char *action, *region;
    double when;
} use;

typedef struct uses {
    call *c;
    const char *where;
    use *v;
    size_t n, cap;
} uses;

static int take_use(void *ud, const char *arn, const char *action, double when, const char *region)
{
    uses *u = ud;
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 32;
        use *v = arena_alloc(u->c->a, cap * sizeof(*v));
        if (!v) return ferr_oom(u->c->err);
        if (u->n) memcpy(v, u->v, u->n * sizeof(*v));
        u->v = v, u->cap = cap;
    }
    use *x = &u->v[u->n];
    x->who = arena_strdup(u->c->a, arn);
    x->action = arena_strdup(u->c->a, action);
    x->region = arena_strdup(u->c->a, region);
    x->where = u->where;
    x->when = when;
    if (!x->who || !x->action || !x->region) return ferr_oom(u->c->err);
    u->n++;
    return 0;
}

/* The service part of an action is ns. */
static int of_service(const char *action, const char *ns)
{
    size_t n = strlen(ns);
    return !strncasecmp(action, ns, n) && action[n] == ':';
}

/* ---- the principals a report covers ---- */

typedef struct ent {
    json_t *info; /* EntityInfo */
    const char *arn;
} ent;

typedef struct ents {
    ent *v;
    size_t n, cap;
} ents;

static int add_ent(call *c, ents *es, const char *type, const json_t *doc, const char *name_key,
                   const char *id_key)
{
    if (es->n == es->cap) {
        size_t cap = es->cap ? 2 * es->cap : 16;
        ent *v = arena_alloc(c->a, cap * sizeof(*v));
        if (!v) return ferr_oom(c->err);
        if (es->n) memcpy(v, es->v, es->n * sizeof(*v));
        es->v = v, es->cap = cap;
    }
    json_t *info = arena_defer_json(
        c->a, json_pack("{s:O?, s:O?, s:s, s:O?, s:O?}", "Arn", json_object_get(doc, "Arn"), "Name",
                        json_object_get(doc, name_key), "Type", type, "Id",
                        json_object_get(doc, id_key), "Path", json_object_get(doc, "Path")));
    if (!info) return ferr_oom(c->err);
    es->v[es->n++] = (ent){info, jstr(info, "Arn")};
    return 0;
}

static int has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_string_value(v) && !strcmp(json_string_value(v), s)) return 1;
    return 0;
}

/* The users and roles of the account that a group's members are, or that hold a managed
 * policy (attached to them or to a group of theirs). */
static int members(call *c, const char *group, const char *policy, ents *es)
{
    json_t *groups = NULL;
    if (policy) { /* the groups holding the policy */
        json_t *all = iamsvc_list_all(c, iamsvc_group_t.kind, c->account);
        if (!all || !(groups = json_array())) {
            json_decref(all);
            return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
        }
        size_t i;
        json_t *g;
        int oom = 0;
        json_array_foreach(all, i, g)
            if (has_string(json_object_get(g, "AttachedPolicies"), policy))
                oom |= json_array_append(groups, json_object_get(g, "GroupName"));
        json_decref(all);
        if (oom) {
            json_decref(groups);
            return ferr_oom(c->err);
        }
    }
    json_t *users = iamsvc_list_all(c, iamsvc_user_t.kind, c->account);
    json_t *roles = policy ? iamsvc_list_all(c, iamsvc_role_t.kind, c->account) : NULL;
    int rc = !users || (policy && !roles) ? -1 : 0;
    size_t i;
    json_t *d;
    json_array_foreach(rc ? NULL : users, i, d) {
        int in = 0;
        size_t j;
        json_t *g;
        json_array_foreach(json_object_get(d, "Groups"), j, g)
            in |= group ? !strcmp(json_string_value(g), group)
                        : has_string(groups, json_string_value(g));
        if (policy) in |= has_string(json_object_get(d, "AttachedPolicies"), policy);
        if (in && (rc = add_ent(c, es, "USER", d, "UserName", "UserId"))) break;
    }
    json_array_foreach(rc ? NULL : roles, i, d) {
        if (has_string(json_object_get(d, "AttachedPolicies"), policy) &&
            (rc = add_ent(c, es, "ROLE", d, "RoleName", "RoleId")))
            break;
    }
    json_decref(groups);
    json_decref(users);
    json_decref(roles);
    return rc;
}

/* ---- service last accessed ---- */

/* ServiceLastAccessed of ns over the uses u (NULL when nothing of ns was used), and the
 * entities' last uses into *entities (EntityDetails, latest first). */
static json_t *service_entry(call *c, size_t si, const uses *u, const ents *es, int action_level,
                             json_t **entities)
{
    const char *ns = SERVICES[si].ns;
    json_t *e = json_pack("{s:s, s:s, s:i}", "ServiceName", SERVICES[si].name, "ServiceNamespace",
                          ns, "TotalAuthenticatedEntities", 0);
    json_t *tracked = action_level ? json_object() : NULL; /* action name -> tracked entry */
    json_t *per = json_object();                           /* arn -> last use of ns */
    const use *last = NULL;
    int oom = !e || (action_level && !tracked) || !per;
    for (size_t i = 0; !oom && i < u->n; i++) {
        const use *x = &u->v[i];
        if (!of_service(x->action, ns)) continue;
        if (!last || x->when > last->when) last = x;
        json_t *p = json_object_get(per, x->who);
        if (!p || x->when > json_number_value(p))
            oom |= json_object_set_new(per, x->who, json_real(x->when));
        if (!tracked) continue;
        const char *name = strchr(x->action, ':') + 1;
        json_t *t = json_object_get(tracked, name);
        if (t && json_number_value(json_object_get(t, "LastAccessedTime")) >= x->when) continue;
        oom |= json_object_set_new(tracked, name,
                                   json_pack("{s:s, s:s, s:f, s:s}", "ActionName", name,
                                             "LastAccessedEntity", x->who, "LastAccessedTime",
                                             x->when, "LastAccessedRegion", x->region));
    }
    if (!oom && last)
        oom = json_object_set_new(e, "LastAuthenticated", json_real(last->when)) ||
              json_object_set_new(e, "LastAuthenticatedEntity", json_string(last->who)) ||
              json_object_set_new(e, "LastAuthenticatedRegion", json_string(last->region)) ||
              json_object_set_new(e, "TotalAuthenticatedEntities",
                                  json_integer((json_int_t)json_object_size(per)));
    if (!oom && tracked) {
        json_t *arr = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(tracked, k, v) oom |= !arr || json_array_append(arr, v);
        oom |= !arr || json_object_set_new(e, "TrackedActionsLastAccessed", arr);
    }
    *entities = json_array();
    for (size_t i = 0; !oom && *entities && i < es->n; i++) {
        json_t *when = json_object_get(per, es->v[i].arn);
        if (when)
            oom |= json_array_append_new(
                *entities,
                json_pack("{s:O, s:O}", "EntityInfo", es->v[i].info, "LastAuthenticated", when));
    }
    json_decref(tracked);
    json_decref(per);
    if (oom || !*entities) {
        json_decref(e);
        json_decref(*entities);
        *entities = NULL;
        ferr_oom(c->err);
        return NULL;
    }
    return e;
}

/* The policies a report reads and the principals whose uses it counts, for arn. */
static int job_subject(call *c, const char *arn, iamsvc_entpol **pols, size_t *npols, ents *es)
{
    const iamsvc_etype *et;
    const char *name;
    if (iamsvc_arn_entity(c, arn, &et, &name)) {
        json_t *doc = NULL;
        if (iamsvc_load(c, et, name, &doc)) return -1;
        int rc = iamsvc_entity_policies(c, et, doc, pols, npols);
        if (!rc && et == &iamsvc_group_t)
            rc = members(c, name, NULL, es);
        else if (!rc)
            rc = et == &iamsvc_user_t ? add_ent(c, es, "USER", doc, "UserName", "UserId")
                                      : add_ent(c, es, "ROLE", doc, "RoleName", "RoleId");
        json_decref(doc);
        return rc;
    }
    json_t *pol = NULL;
    int rc =
        strstr(arn, ":policy/") ? iamsvc_policy_fetch(c->txn, c->account, arn, &pol, c->err) : -2;
    if (rc == -2) return ferr_set(c->err, 400, "InvalidInput", "Invalid ARN: Could not be parsed!");
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 404, "NoSuchEntity",
                        "Policy %s does not exist or is not attachable.", arn);
    json_decref(pol);
    iamsvc_entpol *p = arena_alloc(c->a, sizeof(*p));
    if (!p) return ferr_oom(c->err);
    memset(p, 0, sizeof(*p));
    p->arn = arn;
    p->p = iamsvc_managed_policy(c, c->txn, c->account, arn, NULL, IAM_KIND_IDENTITY);
    *pols = p;
    *npols = p->p != NULL;
    return members(c, NULL, arn, es);
}

static int any_allows(const iamsvc_entpol *pols, size_t n, const char *ns)
{
    for (size_t i = 0; i < n; i++)
        if (iam_policy_allows_service(pols[i].p, ns)) return 1;
    return 0;
}

int iam_op_generate_service_last_accessed_details(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "Arn");
    if (iamsvc_authorize(c, "iam:GenerateServiceLastAccessedDetails", arn ? arn : "*")) return -1;
    const char *gran = jstr(in, "Granularity") ? jstr(in, "Granularity") : "SERVICE_LEVEL";
    iamsvc_entpol *pols = NULL;
    size_t npols = 0;
    ents es = {0};
    if (job_subject(c, arn, &pols, &npols, &es)) return -1;
    uses u = {.c = c};
    for (size_t i = 0; i < es.n; i++)
        if (lastused_actions(c->txn, c->account, es.v[i].arn, take_use, &u, c->err)) return -1;
    json_t *services = json_array(), *entities = json_object();
    int rc = services && entities ? 0 : ferr_oom(c->err);
    for (size_t i = 0; !rc && i < NSERVICES; i++) {
        if (!any_allows(pols, npols, SERVICES[i].ns)) continue;
        json_t *who = NULL;
        json_t *e = service_entry(c, i, &u, &es, !strcmp(gran, "ACTION_LEVEL"), &who);
        rc = !e || json_array_append_new(services, e) ||
             json_object_set_new(entities, SERVICES[i].ns, who);
    }
    char id[37];
    ids_uuid(id);
    double now = clock_now();
    json_t *job = rc ? NULL
                     : json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:o, s:o}", "JobId", id, "JobType",
                                 gran, "Arn", arn, "JobStatus", "COMPLETED", "JobCreationDate", now,
                                 "JobCompletionDate", now, "ServicesLastAccessed", services,
                                 "Entities", entities);
    if (rc || !job) {
        if (!rc) services = entities = NULL; /* json_pack took them */
        json_decref(services);
        json_decref(entities);
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    store_key k = {JOB_KIND, c->account, IAMSVC_REGION, id};
    rc = store_put(c->txn, &k, job, c->err);
    json_decref(job);
    if (rc) return -1;
    *out = svc_out(c, json_pack("{s:s}", "JobId", id));
    return *out ? 0 : -1;
}

/* AWS: an unknown job id is NoSuchEntity. */
static int load_job(call *c, const char *kind, const char *id, json_t **job)
{
    store_key k = {kind, c->account, IAMSVC_REGION, id ? id : ""};
    int rc = store_get(c->txn, &k, job, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 404, "NoSuchEntity", "No report with the job ID %s was found.",
                        id ? id : "");
    return 0;
}

/* The job's header fields of a Get answer. */
static json_t *job_head(call *c, const json_t *job)
{
    return svc_out(c, json_pack("{s:O, s:O, s:O}", "JobStatus", json_object_get(job, "JobStatus"),
                                "JobCreationDate", json_object_get(job, "JobCreationDate"),
                                "JobCompletionDate", json_object_get(job, "JobCompletionDate")));
}

int iam_op_get_service_last_accessed_details(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:GetServiceLastAccessedDetails", "*")) return -1;
    json_t *job;
    if (load_job(c, JOB_KIND, jstr(in, "JobId"), &job)) return -1;
    int rc = (*out = job_head(c, job)) ? 0 : -1;
    if (!rc && json_object_set(*out, "JobType", json_object_get(job, "JobType")))
        rc = ferr_oom(c->err);
    if (!rc)
        rc = iamsvc_page(c, json_object_get(job, "ServicesLastAccessed"), in, *out,
                         "ServicesLastAccessed");
    json_decref(job);
    return rc;
}

int iam_op_get_service_last_accessed_details_with_entities(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:GetServiceLastAccessedDetailsWithEntities", "*")) return -1;
    json_t *job;
    if (load_job(c, JOB_KIND, jstr(in, "JobId"), &job)) return -1;
    const char *ns = jstr(in, "ServiceNamespace");
    json_t *list = json_object_get(json_object_get(job, "Entities"), ns ? ns : "");
    int rc = (*out = job_head(c, job)) ? 0 : -1;
    json_t *empty = list ? NULL : json_array();
    if (!rc) rc = iamsvc_page(c, list ? list : empty, in, *out, "EntityDetailsList");
    json_decref(empty);
    json_decref(job);
    return rc;
}

/* ---- Organizations access report ---- */

typedef struct orgscope {
    call *c;
    json_t *org;
    const char *path; /* EntityPath as given */
    const char *root; /* root id */
    uses u;
} orgscope;

/* The entity path of an account ("o-x/r-x/ou-x/123456789012"), arena-owned, or NULL. */
static const char *account_path(orgscope *s, const json_t *acct)
{
    const char *chain[16];
    size_t n = 0;
    const char *parent = jstr(acct, "ParentId");
    json_t *held[16];
    size_t nheld = 0;
    while (parent && strcmp(parent, s->root) && n < 15) {
        chain[n++] = parent;
        json_t *ou = NULL;
        store_key k = {"ou", "", "", parent};
        if (store_get(s->c->txn, &k, &ou, s->c->err) <= 0) break;
        held[nheld++] = ou;
        parent = jstr(ou, "ParentId");
    }
    const char *p = arena_printf(s->c->a, "%s/%s", jstr(s->org, "Id"), s->root);
    for (size_t i = n; p && i-- > 0;) p = arena_printf(s->c->a, "%s/%s", p, chain[i]);
    p = p ? arena_printf(s->c->a, "%s/%s", p, jstr(acct, "Id")) : NULL;
    for (size_t i = 0; i < nheld; i++) json_decref(held[i]);
    return parent && !strcmp(parent, s->root) ? p : NULL;
}

static int scope_account(void *ud, const store_key *k, json_t *acct)
{
    (void)k;
    orgscope *s = ud;
    const char *p = account_path(s, acct);
    if (ferr_isset(s->c->err)) return -1;
    size_t n = strlen(s->path);
    while (n && s->path[n - 1] == '/') n--; /* "o-x/r-x/" is the root too */
    if (!p || strncmp(p, s->path, n) || (p[n] && p[n] != '/')) return 0;
    s->u.where = p;
    return lastused_actions(s->c->txn, jstr(acct, "Id"), NULL, take_use, &s->u, s->c->err) ? -1 : 0;
}

/* AWS: only the organization's management account has access reports. */
static int management_only(call *c, json_t **org)
{
    int rc = org_get(c->txn, org, c->err);
    if (rc < 0) return -1;
    if (rc && !strcmp(jstr(*org, "MasterAccountId"), c->account)) return 0;
    json_decref(*org);
    *org = NULL;
    return ferr_set(c->err, 403, "AccessDenied",
                    "This operation can be performed only from the organization's management "
                    "account.");
}

/* The namespaces the report covers: those OrganizationsPolicyId allows, or all. */
static int org_services(call *c, const char *policy_id, int *allowed)
{
    for (size_t i = 0; i < NSERVICES; i++) allowed[i] = 1;
    if (!policy_id || !strcmp(policy_id, ORG_FULL_ACCESS_ID)) return 0;
    json_t *pol = NULL;
    int rc = org_policy_get(c->txn, policy_id, &pol, c->err);
    if (rc <= 0)
        return rc < 0 ? -1
                      : ferr_set(c->err, 404, "NoSuchEntity", "The policy %s was not found.",
                                 policy_id);
    const char *text = jstr(pol, "Content");
    const iam_policy *p =
        text ? iamsvc_cached_policy(c, NULL, policy_id, text, IAM_KIND_SCP) : NULL;
    for (size_t i = 0; i < NSERVICES; i++)
        allowed[i] = p && iam_policy_allows_service(p, SERVICES[i].ns);
    json_decref(pol);
    return 0;
}

int iam_op_generate_organizations_access_report(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:GenerateOrganizationsAccessReport", "*")) return -1;
    orgscope s = {.c = c, .path = jstr(in, "EntityPath"), .u = {.c = c}};
    if (management_only(c, &s.org)) return -1;
    s.root = jstr(json_object_get(s.org, "Root"), "Id");
    size_t ol = strlen(jstr(s.org, "Id")), rl = s.root ? strlen(s.root) : 0;
    int rc = 0;
    /* the path starts with this organization and its root */
    if (!s.path || !s.root || strncmp(s.path, jstr(s.org, "Id"), ol) || s.path[ol] != '/' ||
        strncmp(s.path + ol + 1, s.root, rl) || (s.path[ol + 1 + rl] && s.path[ol + 1 + rl] != '/'))
        rc = ferr_set(c->err, 400, "InvalidInput", "Invalid EntityPath: %s", s.path ? s.path : "");
    int allowed[NSERVICES];
    if (!rc) rc = org_services(c, jstr(in, "OrganizationsPolicyId"), allowed);
    if (!rc && store_list(c->txn, "account", "", "", NULL, NULL, 0, scope_account, &s, c->err) < 0)
        rc = -1;
    json_t *details = rc ? NULL : json_array();
    int accessed = 0, total = 0;
    for (size_t i = 0; details && i < NSERVICES; i++) {
        if (!allowed[i]) continue;
        total++;
        const use *last = NULL;
        json_t *accts = json_object(); /* accounts (entity paths) that used it */
        int oom = !accts;
        for (size_t j = 0; accts && j < s.u.n; j++) {
            if (!of_service(s.u.v[j].action, SERVICES[i].ns)) continue;
            if (!last || s.u.v[j].when > last->when) last = &s.u.v[j];
            oom |= json_object_set_new(accts, s.u.v[j].where, json_true());
        }
        json_t *d =
            oom    ? NULL
            : last ? json_pack("{s:s, s:s, s:f, s:s, s:s, s:I}", "ServiceName", SERVICES[i].name,
                               "ServiceNamespace", SERVICES[i].ns, "LastAuthenticatedTime",
                               last->when, "Region", last->region, "EntityPath", last->where,
                               "TotalAuthenticatedEntities", (json_int_t)json_object_size(accts))
                   : json_pack("{s:s, s:s}", "ServiceName", SERVICES[i].name, "ServiceNamespace",
                               SERVICES[i].ns);
        accessed += last != NULL;
        json_decref(accts);
        if (!d || json_array_append_new(details, d)) {
            json_decref(details);
            details = NULL;
        }
    }
    char id[37];
    ids_uuid(id);
    double now = clock_now();
    json_t *job =
        details
            ? json_pack("{s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:o}", "JobId", id, "JobStatus",
                        "COMPLETED", "EntityPath", s.path, "JobCreationDate", now,
                        "JobCompletionDate", now, "NumberOfServicesAccessible", total,
                        "NumberOfServicesNotAccessed", total - accessed, "AccessDetails", details)
            : NULL;
    json_decref(s.org);
    if (!job) return rc || ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    store_key k = {ORG_JOB_KIND, c->account, IAMSVC_REGION, id};
    rc = store_put(c->txn, &k, job, c->err);
    json_decref(job);
    if (rc) return -1;
    *out = svc_out(c, json_pack("{s:s}", "JobId", id));
    return *out ? 0 : -1;
}

/* the SortKey of this thread's qsort under way (qsort passes no context) */
static _Thread_local const char *g_sort;

static int by_key(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int desc = strstr(g_sort, "DESCENDING") != NULL;
    int r;
    if (!strncmp(g_sort, "LAST_AUTHENTICATED", 18)) {
        double tx = json_number_value(json_object_get(x, "LastAuthenticatedTime"));
        double ty = json_number_value(json_object_get(y, "LastAuthenticatedTime"));
        r = tx < ty ? -1 : tx > ty;
    } else
        r = strcmp(jstr(x, "ServiceNamespace"), jstr(y, "ServiceNamespace"));
    if (!r) r = strcmp(jstr(x, "ServiceNamespace"), jstr(y, "ServiceNamespace"));
    return desc ? -r : r;
}

int iam_op_get_organizations_access_report(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:GetOrganizationsAccessReport", "*")) return -1;
    json_t *org = NULL, *job = NULL;
    if (management_only(c, &org)) return -1;
    json_decref(org);
    if (load_job(c, ORG_JOB_KIND, jstr(in, "JobId"), &job)) return -1;
    json_t *details = json_object_get(job, "AccessDetails");
    size_t n = json_array_size(details);
    json_t **v = n ? arena_alloc(c->a, n * sizeof(*v)) : NULL;
    json_t *sorted = json_array();
    int rc = (n && !v) || !sorted ? ferr_oom(c->err) : 0;
    for (size_t i = 0; !rc && i < n; i++) v[i] = json_array_get(details, i);
    if (!rc && n) {
        g_sort = jstr(in, "SortKey") ? jstr(in, "SortKey") : "SERVICE_NAMESPACE_ASCENDING";
        qsort(v, n, sizeof(*v), by_key);
    }
    for (size_t i = 0; !rc && i < n; i++)
        rc = json_array_append(sorted, v[i]) ? ferr_oom(c->err) : 0;
    if (!rc) rc = (*out = job_head(c, job)) ? 0 : -1;
    if (!rc && (json_object_set(*out, "NumberOfServicesAccessible",
                                json_object_get(job, "NumberOfServicesAccessible")) ||
                json_object_set(*out, "NumberOfServicesNotAccessed",
                                json_object_get(job, "NumberOfServicesNotAccessed"))))
        rc = ferr_oom(c->err);
    if (!rc) rc = iamsvc_page(c, sorted, in, *out, "AccessDetails");
    json_decref(sorted);
    json_decref(job);
    return rc;
}
