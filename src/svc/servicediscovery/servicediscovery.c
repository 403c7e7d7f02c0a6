/* AWS Cloud Map: the service, and what its operations share (ids, ARNs, documents, the
 * namespace and service lookups, errors), and the interface the rest of ferry reads
 * instances through (servicediscovery.h). See servicediscovery_int.h for the documents. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/ids.h"
#include "servicediscovery.h"
#include "servicediscovery_int.h"

const svc_def svc_servicediscovery = {.name = "servicediscovery",
                                      .event_source = "servicediscovery.amazonaws.com"};

int sd_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidInput", "", fmt, ap);
    va_end(ap);
    return -1;
}

const char *sd_new_id(call *c, const char *prefix)
{
    char rnd[17];
    ids_lower_alnum(rnd, 16);
    const char *id = arena_printf(c->a, "%s-%s", prefix, rnd);
    if (!id) ferr_oom(c->err);
    return id;
}

const char *sd_arn(call *c, const char *kind, const char *id)
{
    const char *arn = arena_printf(c->a, "arn:%s:servicediscovery:%s:%s:%s/%s",
                                   arn_partition(c->region), c->region, c->account, kind, id);
    if (!arn) ferr_oom(c->err);
    return arn;
}

int sd_get(call *c, const char *kind, const char *id, json_t **doc)
{
    *doc = NULL;
    store_key k = {kind, c->account, c->region, id};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

int sd_put(call *c, const char *kind, const char *id, const json_t *doc)
{
    store_key k = {kind, c->account, c->region, id};
    return store_put(c->txn, &k, doc, c->err);
}

int sd_del(call *c, const char *kind, const char *id)
{
    store_key k = {kind, c->account, c->region, id};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int sd_authorize(call *c, const char *action, const char *arn)
{
    call_resource(c, "AWS::ServiceDiscovery", arn);
    return call_authorize(c, action, arn);
}

/* An ARN of this account and region's kind names its id; anything else is taken as an id. */
static const char *id_of(call *c, const char *id, const char *kind)
{
    const char *rest = arn_rest(id, "servicediscovery");
    if (!rest) return id;
    const char *slash = strrchr(rest, '/');
    size_t kl = strlen(kind);
    if (!slash || (size_t)(slash - rest) < kl || strncmp(slash - kl, kind, kl)) return id;
    (void)c;
    return slash + 1;
}

int sd_ns_load(call *c, const char *id, const char *action, json_t **doc)
{
    id = id_of(c, id, "namespace");
    const char *arn = sd_arn(c, "namespace", id);
    if (!arn || (action && sd_authorize(c, action, arn))) return -1;
    int rc = sd_get(c, SD_NS_KIND, id, doc);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "NamespaceNotFound", "No namespace exists with ID: %s", id);
    return 0;
}

int sd_svc_load(call *c, const char *id, const char *action, json_t **doc)
{
    id = id_of(c, id, "service");
    const char *arn = sd_arn(c, "service", id);
    if (!arn || (action && sd_authorize(c, action, arn))) return -1;
    int rc = sd_get(c, SD_SVC_KIND, id, doc);
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 400, "ServiceNotFound", "No service exists with ID: %s", id);
    return 0;
}

int sd_ns_by_name(store_txn *t, arena *a, const char *account, const char *region, const char *name,
                  const char **id, ferr *e)
{
    char *low = arena_strdup(a, name);
    if (!low) return ferr_oom(e);
    for (char *p = low; *p; p++) *p = (char)tolower((unsigned char)*p);
    /* a trailing dot names the same DNS domain */
    size_t n = strlen(low);
    if (n > 1 && low[n - 1] == '.') low[n - 1] = 0;
    store_key k = {SD_NSNAME_KIND, account, region, low};
    json_t *doc = NULL;
    int rc = store_get(t, &k, &doc, e);
    if (rc != 1) return rc;
    *id = arena_strdup(a, jstr(doc, "Id"));
    json_decref(doc);
    return *id ? 1 : ferr_oom(e);
}

int sd_count(call *c, json_t *doc, const char *key, long long delta)
{
    long long n = jint(doc, key, 0) + delta;
    if (json_object_set_new(doc, key, json_integer(n < 0 ? 0 : n))) return ferr_oom(c->err);
    return 0;
}

int sd_err_members(call *c, json_t *members)
{
    char *text = members ? json_dumps(members, JSON_COMPACT) : NULL;
    json_decref(members);
    const char *extra = text ? arena_strdup(c->a, text) : NULL;
    free(text);
    return extra ? ferr_extra(c->err, extra) : ferr_oom(c->err);
}

int sd_tags_check(call *c, const json_t *tags, const char *arn)
{
    if (json_array_size(tags) <= SD_MAX_TAGS) return 0;
    ferr_set(c->err, 400, "TooManyTagsException", "The resource can have no more than %d tags.",
             SD_MAX_TAGS);
    return sd_err_members(c, json_pack("{s:s}", "ResourceName", arn));
}

/* ---- servicediscovery.h ---- */

/* The service named service_name in the namespace named namespace_name: 0 and *svc (a new
 * reference) and *nsname (the namespace's name as created, arena), or -1. */
static int find_service(store_txn *t, arena *a, const char *account, const char *region,
                        const char *namespace_name, const char *service_name, json_t **svc,
                        const char **nsname, ferr *e)
{
    const char *nsid = NULL;
    int rc = sd_ns_by_name(t, a, account, region, namespace_name, &nsid, e);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(e, 400, "NamespaceNotFound", "No namespace exists with name: %s",
                        namespace_name);
    store_key nk = {SD_NS_KIND, account, region, nsid};
    json_t *ns = NULL;
    if ((rc = store_get(t, &nk, &ns, e)) < 0) return -1;
    *nsname = rc ? arena_strdup(
                       a, jstr(json_object_get(json_object_get(ns, "Properties"), "HttpProperties"),
                               "HttpName"))
                 : NULL;
    json_decref(ns);
    if (!rc)
        return ferr_set(e, 400, "NamespaceNotFound", "No namespace exists with name: %s",
                        namespace_name);
    if (!*nsname) return ferr_oom(e);
    const char *sk = arena_printf(a, "%s/%s", nsid, service_name);
    if (!sk) return ferr_oom(e);
    store_key k = {SD_SVCNAME_KIND, account, region, sk};
    json_t *ix = NULL;
    if ((rc = store_get(t, &k, &ix, e)) < 0) return -1;
    store_key svk = {SD_SVC_KIND, account, region, rc ? jstr(ix, "Id") : ""};
    rc = rc ? store_get(t, &svk, svc, e) : 0;
    json_decref(ix);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(e, 400, "ServiceNotFound", "No service exists with name: %s", service_name);
    return 0;
}

int sd_instances(store_txn *t, arena *a, const char *account, const char *region,
                 const char *namespace_name, const char *service_name, const json_t *query_params,
                 json_t **out, ferr *e)
{
    json_t *svc = NULL;
    const char *nsname = NULL;
    *out = NULL;
    if (find_service(t, a, account, region, namespace_name, service_name, &svc, &nsname, e))
        return -1;
    *out = sd_summaries(t, account, region, svc, nsname, query_params, e);
    json_decref(svc);
    return *out ? 0 : -1;
}

int sd_revision(store_txn *t, const char *account, const char *region, const char *namespace_name,
                const char *service_name, long long *revision, ferr *e)
{
    arena *a = arena_new(1024);
    if (!a) return ferr_oom(e);
    json_t *svc = NULL;
    const char *nsname = NULL;
    int rc = find_service(t, a, account, region, namespace_name, service_name, &svc, &nsname, e);
    if (!rc) *revision = jint(svc, "Revision", 1);
    json_decref(svc);
    arena_free(a);
    return rc;
}

/* ---- listings ---- */

int sd_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    json_t *o = json_object();
    if (!o) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "NextToken"), jint(in, "MaxResults", 100), o, key, "NextToken",
                 "InvalidInput")) {
        json_decref(o);
        return -1;
    }
    *out = o;
    return 0;
}

int sd_filter_check(call *c, const json_t *f, const char *conds)
{
    const char *name = jstr(f, "Name"), *cond = jstr(f, "Condition");
    size_t nv = json_array_size(json_object_get(f, "Values"));
    if (!cond) cond = "EQ";
    size_t n = strlen(cond);
    const char *at = strstr(conds, cond);
    if (!at || (at > conds && at[-1] != ' ') || (at[n] && at[n] != ' '))
        return sd_invalid(c, "The %s condition is not supported for the %s filter.", cond, name);
    /* AWS: IN takes a list, BETWEEN two values, the others one */
    size_t want = !strcmp(cond, "BETWEEN") ? 2 : 1;
    if (!nv || (strcmp(cond, "IN") && nv != want))
        return sd_invalid(c, "The %s filter takes %zu value%s with condition %s.", name, want,
                          want > 1 ? "s" : "", cond);
    return 0;
}

int sd_filter_match(const json_t *f, const char *value)
{
    const char *cond = jstr(f, "Condition");
    int prefix = cond && !strcmp(cond, "BEGINS_WITH");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(f, "Values"), i, v) {
        const char *s = json_string_value(v);
        if (s && value && (prefix ? !strncmp(value, s, strlen(s)) : !strcmp(value, s))) return 1;
    }
    return 0;
}

typedef struct collect {
    sd_item_fn fn;
    void *ud;
    json_t *all;
    int rc;
} collect;

static int collect_each(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *x = ud;
    json_t *item = NULL;
    x->rc |= x->fn(x->ud, doc, &item);
    if (item) x->rc |= json_array_append_new(x->all, item);
    return x->rc != 0;
}

json_t *sd_collect(call *c, const char *kind, sd_item_fn fn, void *ud)
{
    collect x = {fn, ud, json_array(), 0};
    if (!x.all || !arena_defer_json(c->a, x.all)) return ferr_oom(c->err), NULL;
    if (store_list(c->txn, kind, c->account, c->region, NULL, NULL, 0, collect_each, &x, c->err) <
        0)
        return NULL;
    if (x.rc) return ferr_oom(c->err), NULL;
    return x.all;
}
