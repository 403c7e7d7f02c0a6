#include "model.h"

#include <string.h>

const proto_service *proto_service_by_signing_name(const char *name)
{
    if (!name) return NULL;
    /* Two models may sign with one name (API Gateway's apigateway and apigatewayv2): the one
     * whose stem is that name comes first; the other is found by its stem's name. */
    const proto_service *first = NULL;
    for (size_t i = 0; i < proto_nservices; i++) {
        if (strcmp(proto_services[i]->signing_name, name)) continue;
        if (proto_stem_is(proto_services[i], name)) return proto_services[i];
        if (!first) first = proto_services[i];
    }
    if (first) return first;
    for (size_t i = 0; i < proto_nservices; i++)
        if (proto_services[i]->endpoint_prefix && !strcmp(proto_services[i]->endpoint_prefix, name))
            return proto_services[i];
    for (size_t i = 0; i < proto_nservices; i++)
        if (proto_stem_is(proto_services[i], name)) return proto_services[i];
    return NULL;
}

int proto_stem_is(const proto_service *s, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(s->stem, name, n) && s->stem[n] == '-' && s->stem[n + 1] >= '0' &&
           s->stem[n + 1] <= '9';
}

int proto_target_matches(const char *model_prefix, const char *prefix, size_t n)
{
    if (!model_prefix) return 0;
    size_t m = strlen(model_prefix);
    if (m == n) return !memcmp(model_prefix, prefix, n);
    /* Smithy-based SDKs (JS v3) send the short service name: "CloudTrail_20131101" for
     * "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"; AWS accepts both. */
    return m > n && model_prefix[m - n - 1] == '.' && !memcmp(model_prefix + m - n, prefix, n);
}

const proto_service *proto_service_by_target(const char *prefix, size_t n)
{
    for (size_t i = 0; i < proto_nservices; i++)
        if (n && proto_target_matches(proto_services[i]->target_prefix, prefix, n))
            return proto_services[i];
    return NULL;
}

const proto_service *proto_service_by_stem(const char *stem)
{
    for (size_t i = 0; i < proto_nservices; i++)
        if (!strcmp(proto_services[i]->stem, stem)) return proto_services[i];
    return NULL;
}

const proto_op *proto_op_by_namen(const proto_service *svc, const char *name, size_t n)
{
    if (!svc || !name) return NULL;
    size_t lo = 0, hi = svc->nops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = svc->ops[mid].name;
        /* name[0, n) may hold a NUL (a query's Action=A%00B): compare bytes, not strings,
         * and never read m past its end */
        size_t ml = strlen(m);
        int c = memcmp(m, name, ml < n ? ml : n);
        if (c == 0) c = ml < n ? -1 : ml > n; /* the shorter sorts first */
        if (c == 0) return &svc->ops[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const proto_op *proto_op_by_name(const proto_service *svc, const char *name)
{
    return name ? proto_op_by_namen(svc, name, strlen(name)) : NULL;
}

const proto_member *proto_struct_member(const proto_service *s, const proto_shape *sh,
                                        const char *name)
{
    if (sh->type != PT_STRUCTURE) return NULL;
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *m = &s->members[sh->first + i];
        if (!strcmp(m->name, name)) return m;
    }
    return NULL;
}

const proto_shape *proto_op_input(const proto_service *s, const proto_op *op)
{
    return op->input < 0 ? NULL : &s->shapes[s->members[op->input].shape];
}

const proto_shape *proto_op_output(const proto_service *s, const proto_op *op)
{
    return op->output < 0 ? NULL : &s->shapes[s->members[op->output].shape];
}
