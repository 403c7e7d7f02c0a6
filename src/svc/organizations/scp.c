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

#include "organizations.h"
#include "base/gencache.h"
#include "svc/authz.h"

static const char full_access_doc[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
    "\"Resource\":\"*\"}]}";

static store_key gkey(const char *kind, const char *id)
{
    return (store_key){kind, "", "", id};
}

/* AWS: the managed policy lives in account "aws" of the organization's partition
 * (arn:aws-cn:organizations::aws:policy/service_control_policy/p-FullAWSAccess in China). */
static json_t *full_access_policy(const char *partition)
{
    char arn[128];
    snprintf(arn, sizeof(arn), "arn:%s:organizations::aws:policy/service_control_policy/%s",
             partition, ORG_FULL_ACCESS_ID);
    return json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:s}", "PolicySummary", "Id",
                     ORG_FULL_ACCESS_ID, "Arn", arn, "Name", "FullAWSAccess", "Description",
                     "Allows access to every operation", "Type", ORG_SCP, "AwsManaged", 1,
                     "Content", full_access_doc);
}

int org_policy_get(store_txn *t, const char *id, json_t **pol, ferr *e)
{
    if (!id) return 0;
    if (!strcmp(id, ORG_FULL_ACCESS_ID)) {
        json_t *org = NULL;
        char part[16];
        if (org_get(t, &org, e) < 0) return -1;
        *pol = full_access_policy(org_partition(org, part));
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
    if (!org_type_enabled(org, ORG_SCP)) return 0;
    return org_attach(t, target, ORG_FULL_ACCESS_ID, ORG_SCP, e) < 0 ? -1 : 0;
}

/* ---- authorization ---- */

static pthread_once_t full_once = PTHREAD_ONCE_INIT;
static iam_policy *full_compiled; /* shared, immutable, lives as long as the process */

static void compile_full(void)
{
    ferr e = {0};
    full_compiled =
        iam_policy_parse(full_access_doc, sizeof(full_access_doc) - 1, IAM_KIND_SCP, &e);
    if (full_compiled) iam_policy_set_name(full_compiled, ORG_FULL_ACCESS_ID);
}

/* The compiled form of an SCP document (shared: authz_policy), named by its ARN, which is
 * what evaluation results report; NULL when it does not compile, or on OOM (then *oom is
 * set, and c->err). */
static const iam_policy *compiled(call *c, const char *text, const char *name, int *oom)
{
    const iam_policy *p = authz_policy(c, NULL, name, text, IAM_KIND_SCP, NULL, oom);
    if (*oom) ferr_oom(c->err);
    return p;
}

/* The compiled SCPs of one attachment list, into *layer (arena-owned). */
static int layer_for(call *c, const json_t *attached, iam_policy_set *layer)
{
    json_t *ids = ids_of(attached, ORG_SCP);
    if (!ids) return ferr_oom(c->err);
    size_t n = json_array_size(ids), k = 0;
    const iam_policy **v = arena_alloc(c->a, (n ? n : 1) * sizeof(*v));
    if (!v) {
        json_decref(ids);
        return ferr_oom(c->err);
    }
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_array_get(ids, i));
        if (!strcmp(id, ORG_FULL_ACCESS_ID)) {
            pthread_once(&full_once, compile_full);
            if (full_compiled) v[k++] = full_compiled;
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
            text ? compiled(c, text, json_string_value(json_object_get(sum, "Arn")), &oom) : NULL;
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
    json_t *org, *acct, *ous[ORG_MAX_DEPTH];
    size_t nous;
} org_facts;

static void facts_free(void *p)
{
    org_facts *f = p;
    json_decref(f->org);
    json_decref(f->acct);
    for (size_t i = 0; i < f->nous; i++) json_decref(f->ous[i]);
    free(f);
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

typedef struct facts_out {
    json_t **org, **acct, **ous;
    size_t *nous;
} facts_out;

static void facts_copy(const void *v, void *ud)
{
    const org_facts *f = v;
    facts_out *o = ud;
    *o->org = json_incref(f->org);
    *o->acct = json_incref(f->acct);
    for (size_t i = 0; i < f->nous; i++) o->ous[i] = json_incref(f->ous[i]);
    *o->nous = f->nous;
}

/* 1 with new references when cached and current, else 0. */
static int facts_get(const char *account, uint64_t gen, json_t **org, json_t **acct, json_t **ous,
                     size_t *nous)
{
    facts_out o = {org, acct, ous, nous};
    return gen && gencache_read(gencache_of(&facts), account, gen, facts_copy, &o);
}

static void facts_put(const char *account, uint64_t gen, json_t *org, json_t *acct,
                      json_t *const *ous, size_t nous)
{
    org_facts *f = gen ? malloc(sizeof(*f)) : NULL;
    if (!f) return;
    f->org = json_incref(org);
    f->acct = json_incref(acct);
    for (size_t i = 0; i < nous; i++) f->ous[i] = json_incref(ous[i]);
    f->nous = nous;
    if (gencache_put(gencache_of(&facts), account, gen, f, NULL)) facts_free(f);
}

int org_authz(call *c, const char *account, authz_org *out)
{
    memset(out, 0, sizeof(*out));
    json_t *org = NULL, *acct = NULL;
    json_t *held[ORG_MAX_DEPTH]; /* the OU documents, nearest first */
    const char *ous[ORG_MAX_DEPTH];
    size_t nous = 0;
    uint64_t gen = c->env ? facts_gen(c) : 0;
    int rc = 0, cached = facts_get(account, gen, &org, &acct, held, &nous);
    if (!cached) {
        rc = org_get(c->txn, &org, c->err);
        if (rc <= 0) return rc;
        rc = org_get_account(c->txn, account, &acct, c->err);
        if (rc <= 0) {
            json_decref(org);
            return rc;
        }
    }
    /* AWS: a closed account (CloseAccount: PENDING_CLOSURE, then SUSPENDED) can no longer
     * be used; its credentials are refused like unknown ones. The account document is read
     * here anyway, so this costs nothing. Organizations acting in it is not refused. */
    const char *status = json_string_value(json_object_get(acct, "Status"));
    if (status && strcmp(status, "ACTIVE") &&
        !(c->who && !strcmp(c->who->service, "organizations.amazonaws.com"))) {
        rc = ferr_set(c->err, 403, "InvalidClientTokenId",
                      "The security token included in the request is invalid.");
        goto out;
    }
    const char *oid = json_string_value(json_object_get(org, "Id"));
    const char *root = json_string_value(json_object_get(json_object_get(org, "Root"), "Id"));
    const char *mgmt = json_string_value(json_object_get(org, "MasterAccountId"));
    out->org_id = arena_strdup(c->a, oid);
    out->exempt = mgmt && !strcmp(account, mgmt);
    /* AWS: SCPs do not restrict what Organizations itself does in a member account (through
     * its service-linked role), such as making the account's access role (org_access_role) */
    if (c->who && !strcmp(c->who->service, "organizations.amazonaws.com")) out->exempt = 1;

    /* The OUs between the root and the account, nearest first. */
    for (size_t i = 0; i < nous; i++) ous[i] = json_string_value(json_object_get(held[i], "Id"));
    const char *parent = json_string_value(json_object_get(acct, "ParentId"));
    while (!cached && parent && root && strcmp(parent, root) && nous < ORG_MAX_DEPTH) {
        json_t *ou = NULL;
        store_key k = gkey("ou", parent);
        rc = store_get(c->txn, &k, &ou, c->err);
        if (rc <= 0) break;
        held[nous] = ou;
        ous[nous++] = json_string_value(json_object_get(ou, "Id"));
        parent = json_string_value(json_object_get(ou, "ParentId"));
    }
    if (rc < 0) goto out;
    rc = 0;
    if (!cached) facts_put(account, gen, org, acct, held, nous);

    /* aws:PrincipalOrgPaths: "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/" */
    /* (plain concatenation: this runs on every authorized call) */
    const char *parts[ORG_MAX_DEPTH + 2];
    size_t np = 0, len = 0;
    parts[np++] = oid ? oid : "";
    parts[np++] = root ? root : "";
    for (size_t i = nous; i-- > 0;) parts[np++] = ous[i] ? ous[i] : "";
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

    if (out->exempt || !root || !org_type_enabled(org, ORG_SCP)) goto out;
    /* AWS: the request must be allowed at every level: root, each OU down the path, and
     * the account itself. */
    size_t nl = nous + 2;
    iam_policy_set *layers = arena_alloc(c->a, nl * sizeof(*layers));
    if (!layers) {
        rc = ferr_oom(c->err);
        goto out;
    }
    rc = layer_for(c, json_object_get(json_object_get(org, "Root"), "Policies"), &layers[0]);
    for (size_t i = 0; !rc && i < nous; i++)
        rc = layer_for(c, json_object_get(held[nous - 1 - i], "Policies"), &layers[1 + i]);
    if (!rc) rc = layer_for(c, json_object_get(acct, "Policies"), &layers[nl - 1]);
    if (!rc) {
        out->scp_layers = layers;
        out->nlayers = nl;
    }
out:
    for (size_t i = 0; i < nous; i++) json_decref(held[i]);
    json_decref(acct);
    json_decref(org);
    return rc;
}
