/* Who a resource share reaches (ram.h, for EC2 and App Mesh), and the organization rules
 * RAM applies to principals. */
#include <string.h>

#include "base/arn.h"
#include "base/jval.h"
#include "ram_int.h"
#include "svc/organizations/organizations.h"

int ram_arn_owner(const char *arn, char owner[13], char region[32])
{
    /* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE: f[i] starts the field after the
     * (i+1)th colon */
    const char *f[5], *p = arn;
    if (!p || strncmp(p, "arn:", 4)) return -1;
    for (int i = 0; i < 5; i++) {
        p = strchr(p, ':');
        if (!p) return -1;
        f[i] = ++p;
    }
    const char *reg = f[2], *acc = f[3];
    size_t rlen = (size_t)(acc - reg - 1), alen = (size_t)(f[4] - acc - 1);
    if (!rlen || rlen >= 32 || alen != 12 || !*f[4]) return -1;
    for (size_t i = 0; i < 12; i++)
        if (acc[i] < '0' || acc[i] > '9') return -1;
    if (owner) memcpy(owner, acc, 12), owner[12] = 0;
    if (region) memcpy(region, reg, rlen), region[rlen] = 0;
    return 0;
}

int ram_org_member(store_txn *t, const char *account, ferr *e)
{
    json_t *a = NULL;
    int rc = org_get_account(t, account, &a, e);
    json_decref(a);
    return rc;
}

int ram_org_sharing(store_txn *t, ferr *e)
{
    store_key k = {RAM_ORG_KIND, "", "", "sharing"};
    json_t *d = NULL;
    int rc = store_get(t, &k, &d, e);
    if (rc == 1) rc = jbool(d, "enabled", 0);
    json_decref(d);
    return rc;
}

/* 1 when account sits under the OU ou_id (at any depth). */
static int under_ou(store_txn *t, const char *account, const char *ou_id, ferr *e)
{
    json_t *d = NULL;
    int rc = org_get_account(t, account, &d, e);
    /* Organizations nests OUs at most 5 deep; the bound also stops a cycle */
    for (int depth = 0; rc == 1 && depth < 8; depth++) {
        const char *parent = jstr(d, "ParentId");
        if (!parent || strncmp(parent, "ou-", 3)) {
            rc = 0;
            break;
        }
        if (!strcmp(parent, ou_id)) break;
        store_key k = {"ou", "", "", parent};
        json_t *ou = NULL;
        rc = store_get(t, &k, &ou, e);
        json_decref(d);
        d = ou;
    }
    json_decref(d);
    return rc == 1;
}

int ram_principal_covers(store_txn *t, const char *principal, const char *account, ferr *e)
{
    if (!strcmp(principal, account)) return 1;
    const char *rest = arn_rest(principal, "organizations");
    if (rest) {
        json_t *org = NULL;
        int rc = org_get(t, &org, e);
        if (rc == 1) {
            const char *oid = jstr(org, "Id");
            size_t n = strlen(oid);
            /* ::MGMT:organization/o-x or ::MGMT:ou/o-x/ou-y */
            const char *what = strchr(rest, ':');
            what = what ? strchr(what + 1, ':') : NULL;
            if (!what)
                rc = 0;
            else if (!strcmp(principal, jstr(org, "Arn")))
                rc = ram_org_member(t, account, e);
            else if (!strncmp(what + 1, "ou/", 3) && !strncmp(what + 4, oid, n) &&
                     what[4 + n] == '/')
                rc = under_ou(t, account, what + 5 + n, e);
            else
                rc = 0;
        }
        json_decref(org);
        return rc;
    }
    /* an IAM role or user: its account */
    const char *iam = arn_rest(principal, "iam");
    return iam && !strncmp(iam, "::", 2) && !strncmp(iam + 2, account, 12) && iam[14] == ':';
}

int ram_share_reaches(store_txn *t, const json_t *share, const char *account, ferr *e)
{
    if (strcmp(jstr(share, "status") ? jstr(share, "status") : "", "ACTIVE")) return 0;
    const char *p;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(share, "principals"), p, v) {
        if (strcmp(jstr(v, "status") ? jstr(v, "status") : "", "ASSOCIATED")) continue;
        int rc = ram_principal_covers(t, p, account, e);
        if (rc) return rc;
    }
    return 0;
}

typedef struct each {
    store_txn *t;
    const char *account, *resource_arn, *type;
    ram_arn_fn fn;
    void *ud;
    json_t *seen;
    int found;
    ferr *e;
} each;

static int resource_live(const json_t *r)
{
    const char *s = jstr(r, "status");
    return s && !strcmp(s, "ASSOCIATED");
}

static int shared_cb(void *ud, const store_key *k, json_t *share)
{
    (void)k;
    each *x = ud;
    if (!resource_live(json_object_get(json_object_get(share, "resources"), x->resource_arn)))
        return 0;
    x->found = ram_share_reaches(x->t, share, x->account, x->e);
    return x->found;
}

int ram_shared_with(store_txn *t, const char *resource_arn, const char *account, ferr *e)
{
    char owner[13], region[32];
    if (!resource_arn || !account || ram_arn_owner(resource_arn, owner, region)) return 0;
    if (!strcmp(owner, account)) return 0; /* owned, not shared */
    each x = {.t = t, .account = account, .resource_arn = resource_arn, .e = e};
    if (store_list(t, RAM_SHARE_KIND, owner, region, NULL, NULL, 0, shared_cb, &x, e) < 0)
        return -1;
    return x.found < 0 ? -1 : x.found;
}

static int each_cb(void *ud, const store_key *k, json_t *share)
{
    each *x = ud;
    if (!strcmp(k->account, x->account)) return 0;
    const char *arn;
    json_t *r;
    int reaches = -2;
    json_object_foreach(json_object_get(share, "resources"), arn, r) {
        const char *type = jstr(r, "type");
        if (!resource_live(r) || !type || strcmp(type, x->type) || json_object_get(x->seen, arn))
            continue;
        if (reaches == -2) reaches = ram_share_reaches(x->t, share, x->account, x->e);
        if (!reaches) return 0;
        if (reaches < 0 || (json_object_set_new(x->seen, arn, json_true()) && ferr_oom(x->e)) ||
            x->fn(x->ud, arn))
            return x->found = -1; /* store_list stops; the error stays in x->e */
    }
    return 0;
}

int ram_each_shared(store_txn *t, const char *account, const char *resource_type, ram_arn_fn fn,
                    void *ud, ferr *e)
{
    each x = {.t = t,
              .account = account,
              .type = resource_type,
              .fn = fn,
              .ud = ud,
              .seen = json_object(),
              .e = e};
    if (!x.seen) return ferr_oom(e);
    int rc = store_list(t, RAM_SHARE_KIND, NULL, NULL, NULL, NULL, 0, each_cb, &x, e);
    json_decref(x.seen);
    return rc < 0 || x.found < 0 ? -1 : 0;
}
