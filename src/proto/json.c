#include "json.h"

#include <math.h>
#include <string.h>

#include "base/checked.h"
#include "base/enc.h"
#include "base/jdump.h"
#include "base/jval.h"
#include "proto/overlay.h"

static const char *type_word(int t)
{
    switch (t) {
    case PT_STRING: return "Member must be a string";
    case PT_INTEGER: return "Member must be an integer";
    case PT_LONG: return "Member must be a long";
    case PT_BOOLEAN: return "Member must be a boolean";
    case PT_FLOAT:
    case PT_DOUBLE: return "Member must be a number";
    case PT_TIMESTAMP: return "Member must be a timestamp";
    case PT_BLOB: return "Member must be a base64 string";
    case PT_STRUCTURE: return "Member must be a structure";
    case PT_LIST: return "Member must be a list";
    default: return "Member must be a map";
    }
}

static void type_error(proto_vctx *v, const json_t *w, int t)
{
    char *s = json_dumps(w, JSON_ENCODE_ANY | JSON_COMPACT);
    proto_verr_value(v, s ? s : "", s ? strlen(s) : 0, type_word(t));
    free(s);
}

static json_t *jin(proto_vctx *v, const proto_service *svc, const proto_member *m, const json_t *w,
                   int depth)
{
    const proto_shape *sh = proto_member_shape(svc, m);
    if (json_is_null(w) || depth > PROTO_MAX_DEPTH) return NULL;
    switch (sh->type) {
    case PT_STRUCTURE:
        if (sh->flags & PS_DOCUMENT) return json_deep_copy(w);
        if (!json_is_object(w)) break;
        return proto_json_in_struct(v, svc, sh, w, 0, depth + 1);
    case PT_LIST: {
        if (!json_is_array(w)) break;
        const proto_member *lm = proto_shape_member(svc, sh, 0);
        json_t *arr = json_array();
        v->oom |= !arr;
        size_t i;
        const json_t *x;
        json_array_foreach(w, i, x) {
            size_t old = proto_path_index(v, i + 1);
            json_t *y = jin(v, svc, lm, x, depth + 1);
            proto_path_pop(v, old);
            proto_vappend(v, arr, y);
        }
        return arr;
    }
    case PT_MAP: {
        if (!json_is_object(w)) break;
        const proto_member *vm = proto_shape_member(svc, sh, 1);
        json_t *obj = json_object();
        v->oom |= !obj;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)w, k, x) {
            size_t old = proto_path_key(v, k);
            json_t *y = jin(v, svc, vm, x, depth + 1);
            proto_path_pop(v, old);
            proto_vset(v, obj, k, y);
        }
        return obj;
    }
    case PT_STRING:
        if (!json_is_string(w)) break;
        return json_incref((json_t *)w);
    case PT_BLOB: {
        if (!json_is_string(w)) break;
        if (!enc_b64_valid(json_string_value(w), json_string_length(w))) { /* not decoded twice */
            proto_verr_value(v, json_string_value(w), json_string_length(w),
                             "Member must be valid base64");
            return NULL;
        }
        return json_incref((json_t *)w);
    }
    case PT_BOOLEAN:
        if (!json_is_boolean(w)) break;
        return json_incref((json_t *)w);
    case PT_INTEGER:
    case PT_LONG:
        if (!json_is_integer(w)) break;
        if (sh->type == PT_INTEGER &&
            (json_integer_value(w) > 2147483647 || json_integer_value(w) < -2147483647 - 1))
            break;
        return json_incref((json_t *)w);
    case PT_FLOAT:
    case PT_DOUBLE:
        if (json_is_integer(w)) return json_real((double)json_integer_value(w));
        if (json_is_real(w)) return json_incref((json_t *)w);
        break;
    case PT_TIMESTAMP: {
        double t;
        if (proto_ts_value(w, &t)) break;
        return proto_ts_json(t);
    }
    }
    type_error(v, w, sh->type);
    return NULL;
}

json_t *proto_json_in_struct(proto_vctx *v, const proto_service *svc, const proto_shape *sh,
                             const json_t *w, int rest, int depth)
{
    json_t *obj = json_object();
    if (!obj) {
        v->oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *cm = proto_shape_member(svc, sh, i);
        if (rest && cm->location != PL_BODY) continue;
        const json_t *x = json_object_get(w, proto_member_wire_name(cm));
        if (!x) continue;
        size_t old = proto_path_member(v, cm->name);
        json_t *y = jin(v, svc, cm, x, depth + 1);
        proto_path_pop(v, old);
        proto_vset(v, obj, cm->name, y);
    }
    return obj;
}

static json_t *out_struct(const proto_service *svc, const proto_shape *sh, const json_t *obj,
                          int rest, int depth, int *bad);

/* NULL: nothing to write; *bad set: out of memory (the whole result fails). */
static json_t *jout(const proto_service *svc, const proto_member *m, const json_t *v, int depth,
                    int *bad)
{
    const proto_shape *sh = proto_member_shape(svc, m);
    if (!v || json_is_null(v) || depth > PROTO_MAX_DEPTH) return NULL;
    switch (sh->type) {
    case PT_STRUCTURE:
        if (sh->flags & PS_DOCUMENT) {
            json_t *d = json_deep_copy(v);
            *bad |= !d;
            return d;
        }
        return json_is_object(v) ? out_struct(svc, sh, v, 0, depth + 1, bad) : NULL;
    case PT_LIST: {
        if (!json_is_array(v)) return NULL;
        const proto_member *lm = proto_shape_member(svc, sh, 0);
        json_t *arr = json_array();
        *bad |= !arr;
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) {
            json_t *y = jout(svc, lm, x, depth + 1, bad);
            if (y) *bad |= json_array_append_new(arr, y);
        }
        return arr;
    }
    case PT_MAP: {
        if (!json_is_object(v)) return NULL;
        const proto_member *vm = proto_shape_member(svc, sh, 1);
        json_t *obj = json_object();
        *bad |= !obj;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            json_t *y = jout(svc, vm, x, depth + 1, bad);
            if (y) *bad |= json_object_set_new(obj, k, y);
        }
        return obj;
    }
    case PT_TIMESTAMP: {
        double t;
        if (proto_ts_value(v, &t)) return NULL;
        if (m->tsfmt == TS_ISO8601 || m->tsfmt == TS_RFC822) {
            buf b;
            buf_init(&b, 0);
            proto_scalar_format(&b, sh, v, m->tsfmt);
            json_t *s = json_string(buf_str(&b));
            buf_dispose(&b);
            return s;
        }
        return proto_ts_json(t);
    }
    case PT_INTEGER:
    case PT_LONG:
        if (json_is_integer(v)) return json_incref((json_t *)v);
        if (json_is_real(v) && fabs(json_real_value(v)) < 9e18)
            return json_integer((json_int_t)json_real_value(v));
        return NULL;
    case PT_FLOAT:
    case PT_DOUBLE:
        if (json_is_real(v)) return json_incref((json_t *)v);
        if (json_is_integer(v)) return json_real((double)json_integer_value(v));
        return NULL;
    case PT_BOOLEAN: return json_is_boolean(v) ? json_incref((json_t *)v) : NULL;
    default: /* string, blob */ return json_is_string(v) ? json_incref((json_t *)v) : NULL;
    }
}

static json_t *out_struct(const proto_service *svc, const proto_shape *sh, const json_t *obj,
                          int rest, int depth, int *bad)
{
    json_t *o = json_object();
    *bad |= !o;
    if (!o || !json_is_object(obj)) return o;
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *cm = proto_shape_member(svc, sh, i);
        if (rest && cm->location != PL_BODY) continue;
        json_t *y = jout(svc, cm, json_object_get(obj, cm->name), depth + 1, bad);
        if (y) *bad |= json_object_set_new(o, proto_member_wire_name(cm), y);
    }
    return o;
}

json_t *proto_json_out_struct(const proto_service *svc, const proto_shape *sh, const json_t *obj,
                              int rest, int depth)
{
    int bad = 0;
    json_t *o = out_struct(svc, sh, obj, rest, depth, &bad);
    return jdone(o, bad);
}

json_t *proto_json_parse_body(const hreq *r, ferr *e)
{
    size_t n = r->body_len;
    const char *p = (const char *)r->body;
    while (n && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++, n--;
    json_error_t je;
    json_t *j = n ? json_loadb(p, n, 0, &je) : json_object();
    if (!j && (!n || jload_oom(&je))) {
        ferr_oom(e);
        return NULL;
    }
    if (!j) {
        ferr_set(e, 400, "SerializationException", "Unable to parse request body: %s", je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        ferr_set(e, 400, "SerializationException",
                 "Start of structure or map found where not expected.");
        return NULL;
    }
    return j;
}

int proto_json_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                      json_t **input, ferr *e)
{
    const char *t = hreq_header(r, "x-amz-target");
    const char *dot = t ? strrchr(t, '.') : NULL;
    const proto_op *o = NULL;
    if (dot && dot > t && proto_target_matches(svc->target_prefix, t, (size_t)(dot - t)))
        o = proto_op_by_name(svc, dot + 1);
    if (!o) return ferr_set(e, 400, "UnknownOperationException", "%s", "");
    json_t *w = proto_json_parse_body(r, e);
    if (!w) return -1;
    proto_vctx v;
    proto_vctx_init(&v, svc);
    const proto_shape *ish = proto_op_input(svc, o);
    json_t *in = ish ? proto_json_in_struct(&v, svc, ish, w, 0, 0) : json_object();
    json_decref(w);
    if (!arena_defer_json(a, in)) {
        proto_vctx_dispose(&v);
        return ferr_oom(e);
    }
    int rc = proto_vctx_finish(&v, e);
    proto_vctx_dispose(&v);
    if (rc) return rc;
    *op = o;
    *input = in;
    return 0;
}

static const char *json_ct(const proto_service *svc)
{
    return svc->json_version && !strcmp(svc->json_version, "1.0") ? "application/x-amz-json-1.0"
                                                                  : "application/x-amz-json-1.1";
}

int proto_json_put(buf *b, json_t *j)
{
    /* straight into the body: json_dumps made a string to copy (and copied it itself) */
    size_t at = b->len;
    int rc = jdump(b, j);
    json_decref(j);
    if (rc && b->p && b->len > at) { /* nothing of a document cut short */
        b->len = at;
        b->p[at] = 0;
    }
    return rc ? -1 : 0;
}

int proto_json_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                      const char *request_id, proto_response *out)
{
    const proto_shape *osh = proto_op_output(svc, op);
    if (proto_json_put(&out->body,
                       osh ? proto_json_out_struct(svc, osh, output, 0, 0) : json_object()))
        return -1;
    out->status = 200;
    out->content_type = json_ct(svc);
    (void)a, (void)request_id; /* x-amzn-RequestId is added by the caller for every response */
    return out->body.failed ? -1 : 0;
}

void proto_json_encode_error(arena *a, const proto_service *svc, const ferr *e,
                             const char *request_id, proto_response *out)
{
    int status = e->status ? e->status : 400;
    const char *code = proto_json_error_code(e->code, &status);
    const proto_overlay *ov = proto_overlay_for(svc);
    const char *type = ov && ov->json_type_prefix && !strchr(code, '#')
                           ? arena_printf(a, "%s%s", ov->json_type_prefix, code)
                           : code;
    json_t *o = json_object();
    if (o && (json_object_set_new(o, "__type", proto_json_text(type ? type : code)) ||
              json_object_set_new(o, "message", proto_json_text(ferr_message(e))))) {
        json_decref(o);
        o = NULL;
    }
    json_t *extra = o && e->extra ? json_loads(e->extra, 0, NULL) : NULL;
    if (extra && json_is_object(extra) && json_object_update_missing(o, extra)) {
        json_decref(o);
        o = NULL;
    }
    json_decref(extra);
    if (proto_json_put(&out->body, o)) buf_puts(&out->body, "{}");
    out->status = status;
    out->content_type = svc->protocol == PROTO_REST_JSON ? "application/json" : json_ct(svc);
    proto_response_header(a, out, "x-amzn-ErrorType", code);
    (void)request_id;
    if (svc->query_compatible) {
        /* the code a query client would have seen (overlay.h), e.g.
         * "AWS.SimpleQueueService.NonExistentQueue;Sender" */
        char *q = arena_printf(a, "%s;%s", proto_overlay_query_code(svc, e->code, NULL),
                               e->sender ? "Sender" : "Receiver");
        if (q) proto_response_header(a, out, "x-amzn-query-error", q);
    }
}
