/* An IAM entity's identity policies, gathered for the calls that read what they say rather
 * than evaluate them: context keys, services granted, access reports. */
#include <string.h>

#include "base/arn.h"
#include "iam_int.h"

int iamsvc_arn_entity(call *c, const char *arn, const iamsvc_etype **et, const char **name)
{
    char pfx[64];
    snprintf(pfx, sizeof(pfx), ":%s:", c->account);
    const char *res = arn ? arn_rest(arn, "iam") : NULL;
    res = res && !strncmp(res, pfx, strlen(pfx)) ? res + strlen(pfx) : NULL;
    *et = !res                         ? NULL
          : !strncmp(res, "user/", 5)  ? &iamsvc_user_t
          : !strncmp(res, "group/", 6) ? &iamsvc_group_t
          : !strncmp(res, "role/", 5)  ? &iamsvc_role_t
                                       : NULL;
    if (!*et) return 0;
    *name = strrchr(res, '/') + 1;
    return **name != 0;
}

typedef struct epvec {
    iamsvc_entpol *v;
    size_t n, cap;
} epvec;

static int push(call *c, epvec *pv, const iamsvc_entpol *p)
{
    if (!p->p) return 0; /* gone, or no longer compiles: nothing to read */
    if (pv->n == pv->cap) {
        size_t cap = pv->cap ? pv->cap * 2 : 16;
        iamsvc_entpol *v = arena_alloc(c->a, cap * sizeof(*v));
        if (!v) return ferr_oom(c->err);
        if (pv->n) memcpy(v, pv->v, pv->n * sizeof(*v));
        pv->v = v;
        pv->cap = cap;
    }
    pv->v[pv->n++] = *p;
    return 0;
}

static int one_entity(call *c, const char *type, const json_t *doc, const char *name_key, epvec *pv)
{
    const char *owner = arena_strdup(c->a, jstr(doc, name_key));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(doc, "InlinePolicies"), k, v) {
        iamsvc_entpol e = {.name = arena_strdup(c->a, k), .owner_type = type, .owner = owner};
        e.p = iamsvc_cached_policy(c, NULL, k, json_string_value(v), IAM_KIND_IDENTITY);
        if (push(c, pv, &e)) return -1;
    }
    size_t i;
    json_array_foreach(json_object_get(doc, "AttachedPolicies"), i, v) {
        const char *arn = arena_strdup(c->a, json_string_value(v));
        const char *slash = arn ? strrchr(arn, '/') : NULL;
        iamsvc_entpol e = {.name = slash ? slash + 1 : arn,
                           .arn = arn,
                           .aws_managed = iamsvc_aws_policy(arn) != NULL,
                           .owner_type = type,
                           .owner = owner};
        e.p = iamsvc_managed_policy(c, c->txn, c->account, arn, doc, IAM_KIND_IDENTITY);
        if (push(c, pv, &e)) return -1;
    }
    return c->oom ? ferr_oom(c->err) : 0;
}

int iamsvc_entity_policies(call *c, const iamsvc_etype *et, const json_t *doc, iamsvc_entpol **out,
                           size_t *n)
{
    epvec pv = {0};
    const char *type = et == &iamsvc_user_t ? "USER" : et == &iamsvc_group_t ? "GROUP" : "ROLE";
    int rc = one_entity(c, type, doc, et->name_key, &pv);
    size_t i;
    json_t *g;
    json_array_foreach(!rc && et == &iamsvc_user_t ? json_object_get(doc, "Groups") : NULL, i, g) {
        json_t *group = NULL;
        rc = iamsvc_fetch(c->txn, &iamsvc_group_t, c->account, json_string_value(g), &group,
                          c->err) < 0;
        if (!rc && group) rc = one_entity(c, "GROUP", group, "GroupName", &pv);
        json_decref(group);
        if (rc) return -1;
    }
    *out = pv.v;
    *n = pv.n;
    return rc ? -1 : 0;
}
