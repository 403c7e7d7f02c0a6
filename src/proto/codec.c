/* Public entry points: routing a request to a service, and dispatch to the
 * protocol modules (query.c, json.c, rest.c). */
#include "codec.h"

#include <string.h>
#include <strings.h>

#include "proto/json.h"
#include "proto/overlay.h"
#include "proto/pcommon.h"
#include "proto/query.h"
#include "proto/rest.h"

void proto_response_init(proto_response *out)
{
    memset(out, 0, sizeof(*out));
    out->status = 200;
    buf_init(&out->body, 0);
}

int proto_response_header(arena *a, proto_response *out, const char *name, const char *value)
{
    if (out->nheaders >= PROTO_MAX_HEADERS) return -1;
    hdr *h = &out->headers[out->nheaders];
    h->name = arena_strdup(a, name);
    h->value = arena_strdup(a, value);
    if (!h->name || !h->value) return -1;
    out->nheaders++;
    return 0;
}

static int is_query(const proto_service *s)
{
    return s->protocol == PROTO_QUERY || s->protocol == PROTO_EC2;
}

static int is_rest(const proto_service *s)
{
    return s->protocol == PROTO_REST_JSON || s->protocol == PROTO_REST_XML;
}

/* A json service addressed the query way (a form with Action=, no X-Amz-Target) by clients
 * older than its move to json: its query view when it has an overlay (overlay.h). */
static const proto_service *query_past(arena *a, const hreq *r, const proto_service *s, ferr *e)
{
    if (s->protocol != PROTO_JSON || !proto_overlay_for(s)) return s;
    if (r->headers_only) { /* refused before its body is read: a form is the query way */
        const char *ct = hreq_header(r, "content-type");
        int form = ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33);
        return form && proto_overlay_query_view(s) ? proto_overlay_query_view(s) : s;
    }
    const char *action;
    if (proto_query_action(a, r, &action, NULL, e)) return NULL;
    const proto_service *view = action ? proto_overlay_query_view(s) : NULL;
    return view ? view : s;
}

const proto_service *proto_route(arena *a, const hreq *r, const char *scope_service, ferr *e)
{
    const char *target = hreq_header(r, "x-amz-target");
    if (target) {
        const char *dot = strrchr(target, '.');
        const proto_service *s =
            dot ? proto_service_by_target(target, (size_t)(dot - target)) : NULL;
        if (s) return s;
    }
    if (scope_service && *scope_service) {
        const proto_service *s = proto_service_by_signing_name(scope_service);
        /* another model signing with the same name (apigatewayv2 beside apigateway) is
         * told apart by its paths */
        for (size_t i = 0; s && is_rest(s) && i < proto_nservices; i++)
            if (proto_services[i] != s &&
                !strcmp(proto_services[i]->signing_name, s->signing_name) &&
                proto_rest_match(a, proto_services[i], r))
                return proto_services[i];
        if (s) return target ? s : query_past(a, r, s, e);
        ferr_set(e, 400, "UnknownService", "The service %.64s is not available", scope_service);
        return NULL;
    }
    /* unsigned or presigned-without-scope: Action= names a query operation */
    const char *version, *action;
    if (proto_query_action(a, r, &action, &version, e)) return NULL;
    if (action) {
        const proto_service *any = NULL;
        for (size_t i = 0; i < proto_nservices; i++) {
            const proto_service *s = proto_services[i];
            if (!is_query(s) && proto_overlay_for(s)) s = proto_overlay_query_view(s);
            if (!s || !is_query(s) || !proto_op_by_name(s, action)) continue;
            if (version && !strcmp(version, s->api_version)) return s;
            if (!any) any = s;
        }
        if (any) return any;
        ferr_set(e, 400, "InvalidAction", "Could not find operation %.128s", action);
        return NULL;
    }
    const proto_service *xml = NULL;
    for (size_t i = 0; i < proto_nservices; i++) {
        const proto_service *s = proto_services[i];
        if (!is_rest(s)) continue;
        if (s->protocol == PROTO_REST_XML) { /* S3 matches almost any path: last resort */
            if (!xml) xml = s;
            continue;
        }
        if (proto_rest_match(a, s, r)) return s;
    }
    if (xml && proto_rest_match(a, xml, r)) return xml;
    ferr_set(e, 400, "UnknownService", "Unable to determine the service for this request");
    return NULL;
}

int proto_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                 json_t **input, ferr *e)
{
    *op = NULL;
    *input = NULL;
    switch (svc->protocol) {
    case PROTO_QUERY:
    case PROTO_EC2: return proto_query_decode(a, svc, r, op, input, e);
    case PROTO_JSON: return proto_json_decode(a, svc, r, op, input, e);
    default: return proto_rest_decode(a, svc, r, op, input, e);
    }
}

int proto_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                 const char *request_id, proto_response *out)
{
    proto_response_init(out);
    int rc;
    switch (svc->protocol) {
    case PROTO_QUERY:
    case PROTO_EC2: rc = proto_query_encode(a, svc, op, output, request_id, out); break;
    case PROTO_JSON: rc = proto_json_encode(a, svc, op, output, request_id, out); break;
    default: rc = proto_rest_encode(a, svc, op, output, request_id, out); break;
    }
    if (rc) {
        ferr e;
        ferr_internal(&e, "The response could not be encoded");
        buf_dispose(&out->body);
        proto_encode_error(a, svc, &e, request_id, out);
        return -1;
    }
    return 0;
}

void proto_encode_error(arena *a, const proto_service *svc, const ferr *e, const char *request_id,
                        proto_response *out)
{
    proto_response_init(out);
    ferr def;
    if (!ferr_isset(e)) { /* never send an empty error */
        ferr_internal(&def, "Internal error");
        e = &def;
    }
    if (!svc || is_query(svc)) {
        proto_query_encode_error(a, svc, e, request_id, out);
    } else if (svc->protocol == PROTO_JSON) {
        proto_json_encode_error(a, svc, e, request_id, out);
    } else {
        proto_rest_encode_error(a, svc, e, request_id, out);
    }
}

int proto_check_enum(const proto_service *svc, const char *member, const char *value,
                     const char *const *allowed, ferr *e)
{
    if (!value) return 0;
    for (size_t i = 0; allowed && allowed[i]; i++)
        if (!strcmp(allowed[i], value)) return 0;
    buf b;
    buf_init(&b, 900);
    buf_putc(&b, '[');
    for (size_t i = 0; allowed && allowed[i]; i++) {
        if (i) buf_puts(&b, ", ");
        buf_puts(&b, allowed[i]);
    }
    buf_putc(&b, ']');
    ferr_set(e, 400, proto_validation_code(svc),
             "1 validation error detected: Value '%.128s' at '%s' failed to satisfy constraint: "
             "Member must satisfy enum value set: %s",
             value, member, b.failed ? "[...]" : buf_str(&b));
    buf_dispose(&b);
    return -1;
}

int proto_streams_input(arena *a, const proto_service *svc, const hreq *r)
{
    if (svc->protocol != PROTO_REST_XML && svc->protocol != PROTO_REST_JSON) return 0;
    return proto_op_streams_input(svc, proto_rest_match(a, svc, r));
}

int proto_op_streams_input(const proto_service *svc, const proto_op *op)
{
    if (svc->protocol != PROTO_REST_XML && svc->protocol != PROTO_REST_JSON) return 0;
    const proto_shape *ish = op ? proto_op_input(svc, op) : NULL;
    if (!ish || ish->payload < 0) return 0;
    const proto_member *pm = proto_shape_member(svc, ish, (size_t)ish->payload);
    return (pm->flags & PM_STREAMING) && proto_member_shape(svc, pm)->type == PT_BLOB;
}
