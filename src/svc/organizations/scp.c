/* Organization policies in the store, and what authorization needs from the organization:
 * the SCP layers (root, each OU on the path, the account), the org id and the account's
 * aws:PrincipalOrgPaths. org_authz runs on every authorized call, so it reads only what the
 * path needs: the organization, the account and its OUs (attachments live on those
 * documents), plus one read per customer SCP; the AWS managed FullAWSAccess (attached
 * almost everywhere) is compiled once per process. */
#include "scp.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "organizations.h"
#include "base/gencache.h"
#include "svc/authz.h"

static store_key gkey(const char *kind, const char *id)
{
    return (store_key){kind, "", "", id};
}

/* The AWS managed full-access policy of each authorization type: what it allows lets the
 * other policies only narrow (RCPs' one adds the Principal RCPs must name). */
typedef struct full_access {
    const char *type, *id, *name, *desc, *arn_kind, *doc;
} full_access;

static const full_access fulls[] = {
    {ORG_SCP, ORG_FULL_ACCESS_ID, "FullAWSAccess", "Allows access to every operation",
     "service_control_policy",
     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
     "\"Resource\":\"*\"}]}"},
    {ORG_RCP, ORG_RCP_FULL_ACCESS_ID, "RCPFullAWSAccess", "Allows access to every resource",
     "resource_control_policy",
     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
     "\"Action\":\"*\",\"Resource\":\"*\"}]}"},
};
#define NFULLS (sizeof(fulls) / sizeof(fulls[0]))

static const full_access *full_by(const char *type, const char *id)
{
    for (size_t i = 0; i < NFULLS; i++)
        if ((type && !strcmp(type, fulls[i].type)) || (id && !strcmp(id, fulls[i].id)))
            return &fulls[i];
    return NULL;
}

int org_is_authz_type(const char *type)
{
    return full_by(type, NULL) != NULL;
}

const char *org_full_access_id(const char *type)
{
    const full_access *f = type ? full_by(type, NULL) : NULL;
    return f ? f->id : NULL;
}

int org_rcp_service(const char *action)
{
    /* AWS "List of AWS services that support RCPs" (Amazon Cognito is its user pools) */
    static const char *const services[] = {"s3",  "sts",  "sqs",         "kms",  "secretsmanager",
                                           "ecr", "aoss", "cognito-idp", "logs", "dynamodb"};
    const char *colon = action ? strchr(action, ':') : NULL;
    if (!colon) return 0;
    size_t n = (size_t)(colon - action);
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (strlen(services[i]) == n && !strncasecmp(action, services[i], n)) return 1;
    return 0;
}

/* AWS: the managed policies live in account "aws" of the organization's partition
 * (arn:aws-cn:organizations::aws:policy/service_control_policy/p-FullAWSAccess in China). */
static json_t *full_access_policy(const full_access *f, const char *partition)
{
    char arn[128];
    snprintf(arn, sizeof(arn), "arn:%s:organizations::aws:policy/%s/%s", partition, f->arn_kind,
             f->id);
    return json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:s}", "PolicySummary", "Id", f->id, "Arn",
                     arn, "Name", f->name, "Description", f->desc, "Type", f->type, "AwsManaged", 1,
                     "Content", f->doc);
}

int org_policy_get(store_txn *t, const char *id, json_t **pol, ferr *e)
{
    if (!id) return 0;
    const full_access *f = full_by(NULL, id);
    if (f) {
        json_t *org = NULL;
        char part[16];
        if (org_get(t, &org, e) < 0) return -1;
        *pol = full_access_policy(f, org_partition(org, part));
        json_decref(org);
        return *pol ? 1 : ferr_oom(e);
    }
    store_key k = gkey("orgpolicy", id);
    return store_get(t, &k, pol, e);
}

int org_type_enabled(const json_t *org, const char *type)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(org, "Root"), "PolicyTypes"), i, v) {
        const char *ty = json_string_value(json_object_get(v, "Type"));
        const char *st = json_string_value(json_object_get(v, "Status"));
        if (ty && st && !strcmp(ty, type) && !strcmp(st, "ENABLED")) return 1;
    }
    return 0;
}

/* Where a target's attachments live: "Policies" [{"Id","Type"}] on the account or OU
 * document, or on the organization document's "Root". *doc (new ref) is the document to
 * write back under *key; *list the array in it (created when missing). 1, 0 (no such
 * target), -1. */
static int holder(store_txn *t, const char *target, json_t **doc, store_key *key, json_t **list,
                  ferr *e)
{
    json_t *place;
    int rc;
    if (!strncmp(target, "r-", 2)) {
        *key = gkey("org", "org");
        rc = store_get(t, key, doc, e);
        if (rc <= 0) return rc;
        place = json_object_get(*doc, "Root");
        if (!place || strcmp(json_string_value(json_object_get(place, "Id")), target)) {
            json_decref(*doc);
            return 0;
        }
    } else {
        *key = gkey(!strncmp(target, "ou-", 3) ? "ou" : "account", target);
        rc = store_get(t, key, doc, e);
        if (rc <= 0) return rc;
        place = *doc;
    }
    *list = json_object_get(place, "Policies");
    if (!json_is_array(*list)) {
        *list = json_array();
        if (json_object_set_new(place, "Policies", *list)) {
            json_decref(*doc);
            return ferr_oom(e);
        }
    }
    return 1;
}

static int find_attached(const json_t *list, const char *policy_id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
        if (!strcmp(json_string_value(json_object_get(v, "Id")), policy_id)) return (int)i;
    return -1;
}

int org_attach(store_txn *t, const char *target, const char *policy_id, const char *type, ferr *e)
{
    json_t *doc = NULL, *list;
    store_key k;
    int rc = holder(t, target, &doc, &k, &list, e);
    if (rc <= 0) return rc ? -1 : ferr_internal(e, "no such target %s", target);
    if (find_attached(list, policy_id) >= 0) {
        json_decref(doc);
        return 1;
    }
    rc = json_array_append_new(list, json_pack("{s:s, s:s}", "Id", policy_id, "Type", type))
             ? ferr_oom(e)
             : store_put(t, &k, doc, e);
    json_decref(doc);
    return rc;
}

int org_detach(store_txn *t, const char *target, const char *policy_id, ferr *e)
{
    json_t *doc = NULL, *list;
    store_key k;
    int rc = holder(t, target, &doc, &k, &list, e);
    if (rc <= 0) return rc;
    int at = find_attached(list, policy_id);
    rc = at < 0 ? 0 : json_array_remove(list, (size_t)at) || store_put(t, &k, doc, e) ? -1 : 1;
    json_decref(doc);
    return rc;
}

/* Ids in an attachment list, of type (NULL: any). */
static json_t *ids_of(const json_t *list, const char *type)
{
    json_t *ids = json_array(), *v;
    size_t i;
    json_array_foreach(list, i, v) {
        const char *ty = json_string_value(json_object_get(v, "Type"));
        if ((!type || (ty && !strcmp(ty, type))) &&
            json_array_append(ids, json_object_get(v, "Id"))) {
            json_decref(ids);
            return NULL;
        }
    }
    return ids;
}

int org_attached(store_txn *t, const char *target, const char *type, json_t **ids, ferr *e)
{
    json_t *doc = NULL, *list;
    store_key k;
    int rc = holder(t, target, &doc, &k, &list, e);
    if (rc < 0) return -1;
    *ids = ids_of(rc ? list : NULL, type);
    json_decref(doc);
    return *ids ? 0 : ferr_oom(e);
}

int org_attach_defaults(store_txn *t, const json_t *org, const char *target, ferr *e)
{
    for (size_t i = 0; i < NFULLS; i++)
        if (org_type_enabled(org, fulls[i].type) &&
            org_attach(t, target, fulls[i].id, fulls[i].type, e) < 0)
            return -1;
    return 0;
}

/* ---- authorization ---- */

/* The IAM grammar each authorization type is read with: RCPs name a Principal. */
static int kind_of(const char *type)
{
    return !strcmp(type, ORG_RCP) ? IAM_KIND_RESOURCE : IAM_KIND_SCP;
}

static pthread_once_t full_once = PTHREAD_ONCE_INIT;
static iam_policy *full_compiled[NFULLS]; /* shared, immutable, live as long as the process */

static void compile_full(void)
{
    for (size_t i = 0; i < NFULLS; i++) {
        ferr e = {0};
        full_compiled[i] =
            iam_policy_parse(fulls[i].doc, strlen(fulls[i].doc), kind_of(fulls[i].type), &e);
        if (full_compiled[i]) iam_policy_set_name(full_compiled[i], fulls[i].id);
    }
}

/* The compiled form of an SCP or RCP document (shared: authz_policy), named by its ARN,
 * which is what evaluation results report; NULL when it does not compile, or on OOM (then
 * *oom is set, and c->err). */
static const iam_policy *compiled(call *c, const char *text, const char *name, int kind, int *oom)
{
    const iam_policy *p = authz_policy(c, NULL, name, text, kind, NULL, oom);
    if (*oom) ferr_oom(c->err);
    return p;
}

/* The compiled policies of type in one attachment list, into *layer (arena-owned). */
static int layer_for(call *c, const json_t *attached, const char *type, iam_policy_set *layer)
{
    json_t *ids = ids_of(attached, type);
    if (!ids) return ferr_oom(c->err);
    size_t n = json_array_size(ids), k = 0;
    const iam_policy **v = arena_alloc(c->a, (n ? n : 1) * sizeof(*v));
    if (!v) {
        json_decref(ids);
        return ferr_oom(c->err);
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        const full_access *f = full_by(NULL, id);
        if (f) {
            pthread_once(&full_once, compile_full);
            if (full_compiled[f - fulls]) v[k++] = full_compiled[f - fulls];
            continue;
        }
        json_t *pol = NULL;
        int rc = org_policy_get(c->txn, id, &pol, c->err);
        if (rc < 0) {
            json_decref(ids);
            return -1;
        }
        const char *text = json_string_value(json_object_get(pol, "Content"));
        const json_t *sum = json_object_get(pol, "PolicySummary");
        int oom = 0;
        const iam_policy *p =
            text ? compiled(c, text, json_string_value(json_object_get(sum, "Arn")), kind_of(type),
                            &oom)
                 : NULL;
        json_decref(pol);
        if (p)
            v[k++] = p;
        else if (oom) {
            json_decref(ids);
            return -1;
        }
    }
    json_decref(ids);
    layer->v = v;
    layer->n = k;
    return 0;
}

/* AWS: an OU tree is at most five levels deep under the root. */
#define ORG_MAX_DEPTH 8

/* Authorization reads the organization, the account and its OUs on every call; they are
 * kept per account while the store's generations of those kinds are unchanged (read
 * before them). Documents are shared read-only (jansson's reference counts are atomic). */
typedef struct org_facts {
    json_t *org, *acct, *ous[ORG_MAX_DEPTH]; /* the OUs nearest first */
    size_t nous;
} org_facts;

static void facts_release(org_facts *f)
{
    json_decref(f->org);
    json_decref(f->acct);
    for (size_t i = 0; i < f->nous; i++) json_decref(f->ous[i]);
}

static void facts_free(void *p)
{
    facts_release(p);
    free(p);
}

static gencache_static facts = GENCACHE_STATIC(1024, facts_free);

void org_authz_changed(void)
{
    gencache_clear(gencache_of(&facts));
}

/* The generation the facts are read under; 0: not cacheable (the transaction wrote some
 * itself, which others must not see before it commits). */
static uint64_t facts_gen(const call *c)
{
    static const char *const kinds[] = {"org", "account", "ou"};
    uint64_t gen = 1; /* a sum of counters that only grow changes when any of them does */
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (c->txn && store_txn_touched(c->txn, kinds[i])) return 0;
        gen += store_generation(c->env->st, kinds[i]);
    }
    return gen;
}

static void facts_copy(const void *v, void *ud)
{
    const org_facts *f = v;
    org_facts *o = ud;
    o->org = json_incref(f->org);
    o->acct = json_incref(f->acct);
    for (size_t i = 0; i < f->nous; i++) o->ous[i] = json_incref(f->ous[i]);
    o->nous = f->nous;
}

static void facts_put(const char *account, uint64_t gen, const org_facts *src)
{
    org_facts *f = gen ? malloc(sizeof(*f)) : NULL;
    if (!f) return;
    facts_copy(src, f);
    if (gencache_put(gencache_of(&facts), account, gen, f, NULL)) facts_free(f);
}

/* The organization, account's document and the OUs above it, into *f (new references:
 * facts_release), from the cache when current. 1, 0 when there is no organization or
 * account is not in it (*f empty), -1. */
static int facts_read(call *c, const char *account, org_facts *f)
{
    memset(f, 0, sizeof(*f));
    uint64_t gen = c->env ? facts_gen(c) : 0;
    if (gen && gencache_read(gencache_of(&facts), account, gen, facts_copy, f)) return 1;
    int rc = org_get(c->txn, &f->org, c->err);
    if (rc > 0) rc = org_get_account(c->txn, account, &f->acct, c->err);
    const char *root = json_string_value(json_object_get(json_object_get(f->org, "Root"), "Id"));
    const char *parent = json_string_value(json_object_get(f->acct, "ParentId"));
    while (rc > 0 && parent && root && strcmp(parent, root) && f->nous < ORG_MAX_DEPTH) {
        json_t *ou = NULL;
        store_key k = gkey("ou", parent);
        int got = store_get(c->txn, &k, &ou, c->err);
        if (got < 0) rc = -1;
        if (got <= 0) break; /* a dangling parent ends the path */
        f->ous[f->nous++] = ou;
        parent = json_string_value(json_object_get(ou, "ParentId"));
    }
    if (rc > 0) {
        facts_put(account, gen, f);
        return 1;
    }
    facts_release(f);
    memset(f, 0, sizeof(*f));
    return rc;
}

/* The layers of type's policies: root, each OU down the path, the account (arena-owned). */
static int layers_of(call *c, const org_facts *f, const char *type, const iam_policy_set **out,
                     size_t *n)
{
    size_t nl = f->nous + 2;
    iam_policy_set *layers = arena_alloc(c->a, nl * sizeof(*layers));
    if (!layers) return ferr_oom(c->err);
    int rc = layer_for(c, json_object_get(json_object_get(f->org, "Root"), "Policies"), type,
                       &layers[0]);
    for (size_t i = 0; !rc && i < f->nous; i++)
        rc = layer_for(c, json_object_get(f->ous[f->nous - 1 - i], "Policies"), type,
                       &layers[1 + i]);
    if (!rc) rc = layer_for(c, json_object_get(f->acct, "Policies"), type, &layers[nl - 1]);
    if (rc) return -1;
    *out = layers;
    *n = nl;
    return 0;
}

int org_authz(call *c, const char *account, authz_org *out)
{
    memset(out, 0, sizeof(*out));
    org_facts f;
    int rc = facts_read(c, account, &f);
    if (rc <= 0) return rc;
    rc = 0;
    /* AWS: a closed account (CloseAccount: PENDING_CLOSURE, then SUSPENDED) can no longer
     * be used; its credentials are refused like unknown ones. The account document is read
     * here anyway, so this costs nothing. Organizations acting in it is not refused. */
    const char *status = json_string_value(json_object_get(f.acct, "Status"));
    if (status && strcmp(status, "ACTIVE") &&
        !(c->who && !strcmp(c->who->service, "organizations.amazonaws.com"))) {
        rc = ferr_set(c->err, 403, "InvalidClientTokenId",
                      "The security token included in the request is invalid.");
        goto out;
    }
    const char *oid = json_string_value(json_object_get(f.org, "Id"));
    const char *root = json_string_value(json_object_get(json_object_get(f.org, "Root"), "Id"));
    const char *mgmt = json_string_value(json_object_get(f.org, "MasterAccountId"));
    out->org_id = arena_strdup(c->a, oid);
    out->exempt = mgmt && !strcmp(account, mgmt);
    /* AWS: SCPs do not restrict what Organizations itself does in a member account (through
     * its service-linked role), such as making the account's access role (org_access_role) */
    if (c->who && !strcmp(c->who->service, "organizations.amazonaws.com")) out->exempt = 1;

    /* aws:PrincipalOrgPaths: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/" */
    /* (plain concatenation: this runs on every authorized call) */
    const char *parts[ORG_MAX_DEPTH + 2];
    size_t np = 0, len = 0;
    parts[np++] = oid ? oid : "";
    parts[np++] = root ? root : "";
    for (size_t i = f.nous; i-- > 0;) {
        const char *id = json_string_value(json_object_get(f.ous[i], "Id"));
        parts[np++] = id ? id : "";
    }
    for (size_t i = 0; i < np; i++) len += strlen(parts[i]) + 1;
    char *path = arena_alloc(c->a, len + 1), *w = path;
    for (size_t i = 0; path && i < np; i++) {
        size_t l = strlen(parts[i]);
        memcpy(w, parts[i], l);
        w[l] = '/';
        w += l + 1;
    }
    const char **paths = arena_alloc(c->a, sizeof(*paths));
    if (!path || !paths || !(paths[0] = path)) {
        rc = ferr_oom(c->err);
        goto out;
    }
    out->paths = paths;
    out->npaths = 1;

    /* AWS: the request must be allowed at every level: root, each OU down the path, and
     * the account itself. */
    if (!out->exempt && root && org_type_enabled(f.org, ORG_SCP))
        rc = layers_of(c, &f, ORG_SCP, &out->scp_layers, &out->nlayers);
out:
    facts_release(&f);
    return rc;
}

int org_rcp(call *c, const char *account, const char *action, const iam_policy_set **layers,
            size_t *n)
{
    *layers = NULL;
    *n = 0;
    /* AWS: RCPs restrict only the actions of the services that support them */
    if (!account || !*account || !org_rcp_service(action)) return 0;
    org_facts f;
    int rc = facts_read(c, account, &f);
    if (rc <= 0) return rc;
    const char *root = json_string_value(json_object_get(json_object_get(f.org, "Root"), "Id"));
    const char *mgmt = json_string_value(json_object_get(f.org, "MasterAccountId"));
    /* AWS: RCPs do not apply to the resources of the management account */
    rc = 0;
    if (root && !(mgmt && !strcmp(account, mgmt)) && org_type_enabled(f.org, ORG_RCP))
        rc = layers_of(c, &f, ORG_RCP, layers, n);
    facts_release(&f);
    return rc;
}
