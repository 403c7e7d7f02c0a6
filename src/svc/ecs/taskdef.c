/* Task definitions: families and revisions. A family's revisions count up from 1 and are
 * never given twice (the family remembers the last, even after deregistering); a family
 * alone names its latest ACTIVE revision. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "ecs_int.h"

int ecs_taskdef_find(call *c, const char *ref, json_t **doc)
{
    *doc = NULL;
    if (!ref) return 0;
    const char *rest = ecs_arn_rest(c, ref, "task-definition");
    if (rest)
        ref = rest;
    else if (!strncmp(ref, "arn:", 4))
        return 0;
    const char *colon = strchr(ref, ':');
    if (colon) {
        char *end;
        long long rev = strtoll(colon + 1, &end, 10);
        if (*end || rev < 1) return 0;
        const char *id = arena_printf(c->a, "%.*s:%010lld", (int)(colon - ref), ref, rev);
        return id ? call_doc_get(c, ECS_TASKDEF, id, doc) : ferr_oom(c->err);
    }
    if (rest) return 0; /* an ARN names a revision */
    json_t *all = call_doc_list(c, ECS_TASKDEF, arena_printf(c->a, "%s:", ref)), *x;
    size_t i;
    if (!all) return -1;
    json_array_foreach(all, i, x) {
        if (!strcmp(jstr(x, "status"), "ACTIVE")) *doc = x;
    }
    return *doc != NULL;
}

static json_t *taskdef_out(call *c, const json_t *doc)
{
    json_t *v = arena_defer_json(c->a, json_deep_copy(doc));
    if (!v)
        c->oom = 1;
    else
        json_object_del(v, "tags");
    return v;
}

int ecs_op_register_task_definition(call *c, json_t *in, json_t **out)
{
    const char *family = jstr(in, "family");
    json_t *tags = json_object_get(in, "tags"), *defs = json_object_get(in, "containerDefinitions");
    if (ecs_auth(c, NULL)) return -1;
    if (!ecs_valid_name(family))
        return ecs_invalid(c, "Family must be between 1 and 255 characters: letters, numbers, "
                              "hyphens and underscores");
    if (!json_array_size(defs))
        return ferr_set(c->err, 400, "ClientException", "Container list cannot be empty.");
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        if (!jstr(d, "name") || !*jstr(d, "name"))
            return ferr_set(c->err, 400, "ClientException",
                            "Container.name should not be null or empty.");
        if (!jstr(d, "image") || !*jstr(d, "image"))
            return ferr_set(c->err, 400, "ClientException",
                            "Container.image should not be null or empty.");
    }
    const char *mode = jstr(in, "networkMode");
    int fargate = 0;
    json_t *x;
    json_array_foreach(json_object_get(in, "requiresCompatibilities"), i, x) {
        fargate |= !strcmp(json_string_value(x), "FARGATE");
    }
    if (fargate && (!mode || strcmp(mode, "awsvpc")))
        return ferr_set(c->err, 400, "ClientException",
                        "Fargate only supports network mode 'awsvpc'.");
    if (fargate && (!jstr(in, "cpu") || !jstr(in, "memory")))
        return ferr_set(c->err, 400, "ClientException",
                        "Fargate requires that 'cpu' be defined at the task level.");
    if (ecs_check_tags(c, tags)) return -1;

    json_t *fam;
    int rc = call_doc_get(c, ECS_FAMILY, family, &fam);
    if (rc < 0) return -1;
    long long rev = (rc ? jint(fam, "last", 0) : 0) + 1;
    const char *arn = ecs_arn(c, arena_printf(c->a, "task-definition/%s:%lld", family, rev));
    const char *who = c->who ? c->who->arn : NULL;
    json_t *doc = arena_defer_json(c->a, json_deep_copy(in));
    if (!doc || !arn) return ferr_oom(c->err);
    json_object_del(doc, "tags");
    json_t *compat = json_pack("[s]", "EC2");
    if (compat && fargate) {
        if (json_array_append_new(compat, json_string("FARGATE"))) {
            json_decref(compat);
            compat = NULL;
        }
    }
    if (!mode && jset_str(doc, "networkMode", "bridge")) return ferr_oom(c->err);
    if (jset_str(doc, "taskDefinitionArn", arn) ||
        json_object_set_new(doc, "revision", json_integer(rev)) ||
        jset_str(doc, "status", "ACTIVE") || json_object_set_new(doc, "compatibilities", compat) ||
        json_object_set_new(doc, "registeredAt", json_real(clock_now())) ||
        (who && jset_str(doc, "registeredBy", who)) ||
        json_object_set_new(doc, "requiresAttributes", json_array()) ||
        (!json_object_get(doc, "volumes") && json_object_set_new(doc, "volumes", json_array())) ||
        (!json_object_get(doc, "placementConstraints") &&
         json_object_set_new(doc, "placementConstraints", json_array())) ||
        json_object_set_new(doc, "tags", tags ? json_deep_copy(tags) : json_array()))
        return ferr_oom(c->err);
    json_array_foreach(json_object_get(doc, "containerDefinitions"), i, d) {
        static const char *const lists[] = {"portMappings", "environment", "mountPoints",
                                            "volumesFrom"};
        for (size_t j = 0; j < sizeof(lists) / sizeof(lists[0]); j++)
            if (!json_object_get(d, lists[j]) && json_object_set_new(d, lists[j], json_array()))
                return ferr_oom(c->err);
        if (!json_object_get(d, "essential") && json_object_set_new(d, "essential", json_true()))
            return ferr_oom(c->err);
        /* AWS: in awsvpc mode a port mapping's hostPort is its containerPort */
        size_t k;
        json_t *pm;
        json_array_foreach(json_object_get(d, "portMappings"), k, pm) {
            if ((mode && !strcmp(mode, "awsvpc") && !json_object_get(pm, "hostPort") &&
                 json_object_get(pm, "containerPort") &&
                 json_object_set(pm, "hostPort", json_object_get(pm, "containerPort"))) ||
                (!json_object_get(pm, "protocol") && jset_str(pm, "protocol", "tcp")))
                return ferr_oom(c->err);
        }
    }
    const char *id = arena_printf(c->a, "%s:%010lld", family, rev);
    json_t *f = arena_defer_json(c->a, json_pack("{s:I}", "last", rev));
    if (!id || !f) return ferr_oom(c->err);
    if (call_doc_put(c, ECS_FAMILY, family, f) || call_doc_put(c, ECS_TASKDEF, id, doc)) return -1;
    call_resource(c, "AWS::ECS::TaskDefinition", arn);
    *out = svc_out(c, json_pack("{s:O, s:O}", "taskDefinition", taskdef_out(c, doc), "tags",
                                json_object_get(doc, "tags")));
    return 0;
}

static int td_missing(call *c)
{
    return ferr_set(c->err, 400, "ClientException", "Unable to describe task definition.");
}

int ecs_op_describe_task_definition(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (ecs_auth(c, NULL)) return -1;
    int rc = ecs_taskdef_find(c, jstr(in, "taskDefinition"), &d);
    if (rc <= 0) return rc < 0 ? -1 : td_missing(c);
    json_t *o = json_pack("{s:O}", "taskDefinition", taskdef_out(c, d));
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(in, "include"), i, x) {
        if (o && !strcmp(json_string_value(x), "TAGS") &&
            json_object_set(o, "tags", json_object_get(d, "tags")))
            c->oom = 1;
    }
    *out = svc_out(c, o);
    return 0;
}

int ecs_op_deregister_task_definition(call *c, json_t *in, json_t **out)
{
    const char *ref = jstr(in, "taskDefinition");
    json_t *d;
    if (ecs_auth(c, NULL)) return -1;
    /* AWS: a revision must be named (family:revision or ARN) */
    if (!ref || (!strchr(ref, ':') && strncmp(ref, "arn:", 4)))
        return ferr_set(c->err, 400, "ClientException", "Invalid revision number. Number: %s",
                        ref ? ref : "");
    int rc = ecs_taskdef_find(c, ref, &d);
    if (rc <= 0)
        return rc < 0 ? -1
                      : ferr_set(c->err, 400, "ClientException",
                                 "The specified task definition does not exist.");
    if (!strcmp(jstr(d, "status"), "ACTIVE")) {
        if (jset_str(d, "status", "INACTIVE") ||
            json_object_set_new(d, "deregisteredAt", json_real(clock_now())))
            return ferr_oom(c->err);
        const char *id =
            arena_printf(c->a, "%s:%010lld", jstr(d, "family"), jint(d, "revision", 0));
        if (!id) return ferr_oom(c->err);
        if (call_doc_put(c, ECS_TASKDEF, id, d)) return -1;
    }
    call_resource(c, "AWS::ECS::TaskDefinition", jstr(d, "taskDefinitionArn"));
    *out = svc_out(c, json_pack("{s:O}", "taskDefinition", taskdef_out(c, d)));
    return 0;
}

static const char *status_filter(call *c, const json_t *in)
{
    const char *st = jstr(in, "status");
    if (!st) return "ACTIVE";
    if (strcmp(st, "ACTIVE") && strcmp(st, "INACTIVE") && strcmp(st, "ALL")) {
        ecs_invalid(c, "status must be one of ACTIVE, INACTIVE, ALL");
        return NULL;
    }
    return st;
}

int ecs_op_list_task_definitions(call *c, json_t *in, json_t **out)
{
    const char *prefix = jstr(in, "familyPrefix"), *st = status_filter(c, in);
    if (ecs_auth(c, NULL) || !st) return -1;
    json_t *all = call_doc_list(c, ECS_TASKDEF, NULL), *arns = arena_defer_json(c->a, json_array()),
           *x;
    size_t i;
    if (!all || !arns) return all ? ferr_oom(c->err) : -1;
    int desc = jstr(in, "sort") && !strcmp(jstr(in, "sort"), "DESC");
    for (size_t n = json_array_size(all), k = 0; k < n; k++) {
        x = json_array_get(all, desc ? n - 1 - k : k);
        /* AWS: familyPrefix is a whole family name */
        if (prefix && strcmp(jstr(x, "family"), prefix)) continue;
        if (strcmp(st, "ALL") && strcmp(jstr(x, "status"), st)) continue;
        if (json_array_append(arns, json_object_get(x, "taskDefinitionArn")))
            return ferr_oom(c->err);
    }
    (void)i;
    return ecs_page(c, in, arns, "taskDefinitionArns", out);
}

int ecs_op_list_task_definition_families(call *c, json_t *in, json_t **out)
{
    const char *prefix = jstr(in, "familyPrefix"), *st = status_filter(c, in);
    if (ecs_auth(c, NULL) || !st) return -1;
    json_t *all = call_doc_list(c, ECS_TASKDEF, NULL), *fams = arena_defer_json(c->a, json_array()),
           *seen = arena_defer_json(c->a, json_object()), *x;
    size_t i;
    if (!all || !fams || !seen) return all ? ferr_oom(c->err) : -1;
    /* a family is ACTIVE while one of its revisions is */
    json_array_foreach(all, i, x) {
        const char *f = jstr(x, "family");
        int active = !strcmp(jstr(x, "status"), "ACTIVE");
        if (json_object_set_new(seen, f, json_boolean(active || jbool(seen, f, 0))))
            return ferr_oom(c->err);
    }
    const char *f;
    json_t *v;
    json_object_foreach(seen, f, v) {
        if (prefix && strncmp(f, prefix, strlen(prefix))) continue;
        if ((!strcmp(st, "ACTIVE") && !json_is_true(v)) ||
            (!strcmp(st, "INACTIVE") && json_is_true(v)))
            continue;
        if (json_array_append_new(fams, json_string(f))) return ferr_oom(c->err);
    }
    return ecs_page(c, in, fams, "families", out);
}
