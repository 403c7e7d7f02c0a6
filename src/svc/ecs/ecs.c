/* Amazon ECS as records: the service, clusters and tags. See ecs_int.h. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/jtags.h"
#include "ecs_int.h"

const svc_def svc_ecs = {.name = "ecs", .event_source = "ecs.amazonaws.com"};

#define MAX_TAGS 50 /* AWS: tags per resource */

const char *ecs_arn(call *c, const char *resource)
{
    return call_arn(c, "ecs", resource);
}

const char *ecs_arn_rest(call *c, const char *arn, const char *kind)
{
    return call_arn_rest(c, "ecs", arn, kind);
}

int ecs_auth(call *c, const char *arn)
{
    return call_authorize_op(c, "ecs", arn);
}

int ecs_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ferr_vset(c->err, 400, "InvalidParameterException", "", fmt, ap);
    va_end(ap);
    return rc;
}

int ecs_valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 255) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_') return 0;
    return 1;
}

int ecs_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    long long max = jint(in, "maxResults", 100);
    if (max < 1 || max > 100) return ecs_invalid(c, "maxResults must be between 1 and 100");
    json_t *o = json_object();
    if (!o) return ferr_oom(c->err);
    *out = o;
    return svc_page(c, all, jstr(in, "nextToken"), max, o, key, "nextToken",
                    "InvalidParameterException");
}

int ecs_check_tags(call *c, const json_t *tags)
{
    size_t i;
    const json_t *t;
    if (json_array_size(tags) > MAX_TAGS)
        return ecs_invalid(c, "The number of tags exceeds the limit of %d", MAX_TAGS);
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "key");
        if (!k || !*k || strlen(k) > 128)
            return ecs_invalid(c, "Tag keys must be between 1 and 128 characters");
        if (!strncmp(k, "aws:", 4) && c->caller == CALLER_CLIENT)
            return ecs_invalid(c, "Tag keys starting with 'aws:' are reserved");
        if (jstr(t, "value") && strlen(jstr(t, "value")) > 256)
            return ecs_invalid(c, "Tag values must be at most 256 characters");
    }
    return 0;
}

int ecs_tags_merge(call *c, json_t *doc, const json_t *tags)
{
    if (jtags_merge_named(doc, &jtags_lower, tags)) return ferr_oom(c->err);
    if (json_array_size(json_object_get(doc, "tags")) > MAX_TAGS)
        return ecs_invalid(c, "The number of tags exceeds the limit of %d", MAX_TAGS);
    return 0;
}

/* ---- clusters ---- */

static const char *cluster_name(call *c, const char *ref)
{
    if (!ref || !*ref) return "default";
    const char *rest = ecs_arn_rest(c, ref, "cluster");
    if (rest) return rest;
    return strncmp(ref, "arn:", 4) ? ref : NULL;
}

int ecs_cluster_load(call *c, const char *ref, json_t **doc)
{
    const char *name = cluster_name(c, ref);
    int rc = name ? call_doc_get(c, ECS_CLUSTER, name, doc) : 0;
    if (rc < 0) return -1;
    if (!rc) return ferr_set(c->err, 400, "ClusterNotFoundException", "Cluster not found.");
    return 0;
}

/* The cluster with its counts (services and their running tasks), as AWS describes it;
 * tags only when asked for. */
static json_t *cluster_out(call *c, const json_t *doc, int tags)
{
    json_t *v = arena_defer_json(c->a, json_deep_copy(doc));
    json_t *svcs =
        call_doc_list(c, ECS_SERVICE, arena_printf(c->a, "%s/", jstr(doc, "clusterName")));
    if (!v || !svcs) {
        c->oom = 1;
        return NULL;
    }
    long long active = 0, running = 0;
    size_t i;
    json_t *s;
    json_array_foreach(svcs, i, s) {
        if (!strcmp(jstr(s, "status"), "INACTIVE")) continue;
        active++;
        running += jint(s, "runningCount", 0);
    }
    if (json_object_set_new(v, "activeServicesCount", json_integer(active)) ||
        json_object_set_new(v, "runningTasksCount", json_integer(running)))
        c->oom = 1;
    if (!tags) json_object_del(v, "tags");
    return v;
}

int ecs_op_create_cluster(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "clusterName");
    json_t *tags = json_object_get(in, "tags");
    if (!name) name = "default";
    const char *arn = ecs_arn(c, arena_printf(c->a, "cluster/%s", name));
    if (!arn) return ferr_oom(c->err);
    if (ecs_auth(c, arn)) return -1;
    if (!ecs_valid_name(name))
        return ecs_invalid(c, "Cluster name must be between 1 and 255 characters: letters, "
                              "numbers, hyphens and underscores");
    if (ecs_check_tags(c, tags)) return -1;
    json_t *have;
    int rc = call_doc_get(c, ECS_CLUSTER, name, &have);
    if (rc < 0) return -1;
    if (rc == 1) {
        /* AWS: creating an existing cluster answers it */
        *out = svc_out(c, json_pack("{s:O}", "cluster", cluster_out(c, have, 1)));
        return 0;
    }
    json_t *doc = arena_defer_json(
        c->a, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:[], s:[], s:[], s:[], s:[]}",
                        "clusterArn", arn, "clusterName", name, "status", "ACTIVE",
                        "registeredContainerInstancesCount", 0, "runningTasksCount", 0,
                        "pendingTasksCount", 0, "activeServicesCount", 0, "statistics", "tags",
                        "settings", "capacityProviders", "defaultCapacityProviderStrategy"));
    if (!doc || ecs_tags_merge(c, doc, tags)) return c->err->code[0] ? -1 : ferr_oom(c->err);
    static const char *const keep[] = {"settings", "configuration", "capacityProviders",
                                       "defaultCapacityProviderStrategy", "serviceConnectDefaults"};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        json_t *v = json_object_get(in, keep[i]);
        if (v && json_object_set(doc, keep[i], v)) return ferr_oom(c->err);
    }
    if (!json_array_size(json_object_get(doc, "settings")) &&
        json_object_set_new(
            doc, "settings",
            json_pack("[{s:s, s:s}]", "name", "containerInsights", "value", "disabled")))
        return ferr_oom(c->err);
    if (call_doc_put(c, ECS_CLUSTER, name, doc)) return -1;
    call_resource(c, "AWS::ECS::Cluster", arn);
    *out = svc_out(c, json_pack("{s:O}", "cluster", cluster_out(c, doc, 1)));
    return 0;
}

static int wants_tags(const json_t *in)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(in, "include"), i, x) {
        if (!strcmp(json_string_value(x), "TAGS")) return 1;
    }
    return 0;
}

int ecs_op_describe_clusters(call *c, json_t *in, json_t **out)
{
    json_t *refs = json_object_get(in, "clusters"), *x;
    json_t *list = arena_defer_json(c->a, json_array()),
           *fails = arena_defer_json(c->a, json_array());
    size_t i;
    if (!list || !fails) return ferr_oom(c->err);
    if (ecs_auth(c, NULL)) return -1;
    if (!json_array_size(refs)) {
        json_t *d;
        int rc = call_doc_get(c, ECS_CLUSTER, "default", &d);
        if (rc < 0) return -1;
        if (rc && json_array_append(list, cluster_out(c, d, wants_tags(in))))
            return ferr_oom(c->err);
        if (!rc && json_array_append_new(fails, json_pack("{s:s, s:s}", "arn",
                                                          ecs_arn(c, "cluster/default"), "reason",
                                                          "MISSING")))
            return ferr_oom(c->err);
    }
    json_array_foreach(refs, i, x) {
        const char *ref = json_string_value(x), *name = cluster_name(c, ref);
        json_t *d;
        int rc = name ? call_doc_get(c, ECS_CLUSTER, name, &d) : 0;
        if (rc < 0) return -1;
        if (rc ? json_array_append(list, cluster_out(c, d, wants_tags(in)))
               : json_array_append_new(
                     fails, json_pack("{s:s, s:s}", "arn",
                                      strncmp(ref, "arn:", 4)
                                          ? ecs_arn(c, arena_printf(c->a, "cluster/%s", ref))
                                          : ref,
                                      "reason", "MISSING")))
            return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:O, s:O}", "clusters", list, "failures", fails));
    return 0;
}

int ecs_op_list_clusters(call *c, json_t *in, json_t **out)
{
    if (ecs_auth(c, NULL)) return -1;
    json_t *all = call_doc_list(c, ECS_CLUSTER, NULL), *arns = arena_defer_json(c->a, json_array()),
           *x;
    size_t i;
    if (!all || !arns) return all ? ferr_oom(c->err) : -1;
    json_array_foreach(all, i, x) {
        if (json_array_append(arns, json_object_get(x, "clusterArn"))) return ferr_oom(c->err);
    }
    return ecs_page(c, in, arns, "clusterArns", out);
}

int ecs_op_delete_cluster(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (ecs_auth(c, NULL) || ecs_cluster_load(c, jstr(in, "cluster"), &d)) return -1;
    json_t *v = cluster_out(c, d, 1);
    if (!v) return ferr_oom(c->err);
    if (jint(v, "activeServicesCount", 0) > 0)
        return ferr_set(c->err, 400, "ClusterContainsServicesException",
                        "The Cluster cannot be deleted while Services are active.");
    /* the cluster's inactive services go with it */
    const char *name = jstr(d, "clusterName");
    json_t *svcs = call_doc_list(c, ECS_SERVICE, arena_printf(c->a, "%s/", name)), *s;
    size_t i;
    if (!svcs) return -1;
    json_array_foreach(svcs, i, s) {
        store_key k =
            call_key(c, ECS_SERVICE, arena_printf(c->a, "%s/%s", name, jstr(s, "serviceName")));
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    store_key k = call_key(c, ECS_CLUSTER, name);
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    call_resource(c, "AWS::ECS::Cluster", jstr(d, "clusterArn"));
    if (jset_str(v, "status", "INACTIVE")) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:O}", "cluster", v));
    return 0;
}

/* ---- tags ---- */

/* The document a cluster, service or task definition ARN names (its kind and key). */
static int tagged(call *c, const char *arn, const char **kind, const char **id, json_t **doc)
{
    const char *rest;
    int rc = 0;
    if ((rest = ecs_arn_rest(c, arn, "cluster"))) {
        *kind = ECS_CLUSTER;
        *id = rest;
        rc = call_doc_get(c, *kind, rest, doc);
        if (!rc) return ferr_set(c->err, 400, "ClusterNotFoundException", "Cluster not found.");
    } else if ((rest = ecs_arn_rest(c, arn, "service"))) {
        *kind = ECS_SERVICE;
        *id = rest;
        rc = call_doc_get(c, *kind, rest, doc);
    } else if ((rest = ecs_arn_rest(c, arn, "task-definition"))) {
        *kind = ECS_TASKDEF;
        rc = ecs_taskdef_find(c, arn, doc);
        if (rc == 1)
            *id = arena_printf(c->a, "%s:%010lld", jstr(*doc, "family"), jint(*doc, "revision", 0));
    } else
        return ecs_invalid(c, "The ARN '%s' is not a valid ECS resource ARN", arn ? arn : "");
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "The specified resource could not be found.");
    return 0;
}

int ecs_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "resourceArn"), *kind, *id;
    json_t *d, *tags = json_object_get(in, "tags");
    if (ecs_auth(c, arn) || tagged(c, arn, &kind, &id, &d) || ecs_check_tags(c, tags) ||
        ecs_tags_merge(c, d, tags))
        return -1;
    return call_doc_put(c, kind, id, d);
}

int ecs_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *arn = jstr(in, "resourceArn"), *kind, *id;
    json_t *d;
    if (ecs_auth(c, arn) || tagged(c, arn, &kind, &id, &d)) return -1;
    jtags_remove_named(d, &jtags_lower, json_object_get(in, "tagKeys"));
    return call_doc_put(c, kind, id, d);
}

int ecs_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "resourceArn"), *kind, *id;
    json_t *d;
    if (ecs_auth(c, arn) || tagged(c, arn, &kind, &id, &d)) return -1;
    json_t *tags = json_object_get(d, "tags");
    *out = svc_out(c, json_pack("{s:o}", "tags", tags ? json_incref(tags) : json_array()));
    return 0;
}
