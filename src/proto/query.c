#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "proto/overlay.h"
#include "proto/pcommon.h"
#include "proto/xml.h"

typedef struct qparam {
    const char *k, *v;
    size_t klen, vlen, seq;
} qparam;

typedef struct qset {
    qparam *p;
    size_t n, cap;
} qset;

#define QMAX_PARAMS 10000 /* well above any AWS query request */

static int is_form(const hreq *r)
{
    const char *ct = hreq_header(r, "content-type");
    return ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33);
}

static int malformed(ferr *e)
{
    return ferr_set(e, 400, "MalformedQueryString", "The query string or form body is malformed");
}

/* Splits "a=b&c=d" into decoded pairs. -1 with e set on a bad escape, too many params or
 * out of memory. */
static int qs_split(arena *a, qset *q, const char *s, size_t n, ferr *e)
{
    size_t i = 0;
    const char *k, *v;
    size_t kl, vl;
    int r;
    while ((r = proto_qs_next(a, s, n, &i, &k, &kl, &v, &vl, e)) > 0) {
        if (q->n == q->cap) {
            if (q->cap >= QMAX_PARAMS) return malformed(e);
            size_t nc = q->cap ? q->cap * 4 : 32;
            qparam *np = arena_alloc(a, nc * sizeof(*np));
            if (!np) return ferr_oom(e);
            if (q->n) memcpy(np, q->p, q->n * sizeof(*np));
            q->p = np;
            q->cap = nc;
        }
        q->p[q->n] = (qparam){.k = k, .klen = kl, .v = v, .vlen = vl, .seq = q->n};
        q->n++;
    }
    return r;
}

static int pcmp(const void *x, const void *y)
{
    const qparam *a = x, *b = y;
    int c = strcmp(a->k, b->k);
    if (c) return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* index of the first key >= k */
static size_t lower(const qset *q, const char *k)
{
    size_t lo = 0, hi = q->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(q->p[mid].k, k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const qparam *find(const qset *q, const char *k)
{
    size_t i = lower(q, k);
    return i < q->n && !strcmp(q->p[i].k, k) ? &q->p[i] : NULL;
}

/* any key starting with "k." */
static int has_children(const qset *q, const char *k, size_t kl)
{
    size_t i = lower(q, k);
    for (; i < q->n; i++) {
        if (strncmp(q->p[i].k, k, kl)) return 0;
        if (q->p[i].k[kl] == '.') return 1;
        if (q->p[i].k[kl] > '.') return 0;
    }
    return 0;
}

static int load_params(arena *a, const hreq *r, qset *q, ferr *e)
{
    if (qs_split(a, q, r->raw_query, strlen(r->raw_query), e)) return -1;
    if (r->body_len && (is_form(r) || !hreq_header(r, "content-type")))
        if (qs_split(a, q, (const char *)r->body, r->body_len, e)) return -1;
    if (q->n > 1) qsort(q->p, q->n, sizeof(qparam), pcmp);
    return 0;
}

int proto_query_action(arena *a, const hreq *r, const char **action, const char **version, ferr *e)
{
    qset q = {0};
    *action = NULL;
    if (version) *version = NULL;
    ferr ignored = {0};
    if (load_params(a, r, &q, &ignored)) /* malformed: no Action; out of memory: the error */
        return ignored.status == 500 ? (*e = ignored, -1) : 0;
    const qparam *p = find(&q, "Action");
    const qparam *v = find(&q, "Version");
    if (version && v) *version = v->v;
    *action = p ? p->v : NULL;
    return 0;
}

/* key buffer: a growing prefix, truncated back after each use */
typedef struct kbuf {
    char b[1024];
    size_t n;
    int overflow;
} kbuf;

static size_t kpush(kbuf *k, const char *s)
{
    size_t old = k->n, l = strlen(s), dot = k->n ? 1 : 0;
    if (k->n + dot + l >= sizeof(k->b)) {
        k->overflow = 1;
        return old;
    }
    if (dot) k->b[k->n++] = '.';
    memcpy(k->b + k->n, s, l);
    k->n += l;
    k->b[k->n] = 0;
    return old;
}

static size_t kpushi(kbuf *k, size_t i)
{
    char t[24];
    snprintf(t, sizeof(t), "%zu", i);
    return kpush(k, t);
}

static void kpop(kbuf *k, size_t old)
{
    k->n = old;
    k->b[old] = 0;
}

/* Replaces the last name component (flattened list with a member locationName). */
static void kreplace_last(kbuf *k, const char *s)
{
    char *dot = memrchr(k->b, '.', k->n);
    k->n = dot ? (size_t)(dot - k->b) : 0;
    k->b[k->n] = 0;
    kpush(k, s);
}

typedef struct qctx {
    const qset *q;
    proto_vctx *v;
    const proto_service *svc;
    int ec2; /* the ec2 protocol: its own member names, every list flattened */
    kbuf k;
} qctx;

/* The name a request member goes by. The ec2 protocol (botocore's EC2Serializer) names it
 * by queryName, else its locationName capitalized ("dryRun" is DryRun), else its name. */
static size_t kpush_member(qctx *c, const proto_member *m)
{
    if (!c->ec2 || m->query_name || !m->loc_name)
        return kpush(&c->k, c->ec2 && m->query_name ? m->query_name : proto_member_wire_name(m));
    size_t old = kpush(&c->k, m->loc_name);
    if (!c->k.overflow) {
        char *first = c->k.b + old + (old ? 1 : 0);
        if (*first >= 'a' && *first <= 'z') *first = (char)(*first - 'a' + 'A');
    }
    return old;
}

static json_t *qdecode(qctx *c, const proto_member *m, int depth);

static json_t *qdecode_struct(qctx *c, const proto_shape *sh, int depth)
{
    json_t *obj = proto_vmade(c->v, json_object());
    for (size_t i = 0; obj && i < sh->nmembers; i++) {
        const proto_member *cm = proto_shape_member(c->svc, sh, i);
        size_t ko = kpush_member(c, cm);
        size_t po = proto_path_member(c->v, cm->name);
        json_t *x = qdecode(c, cm, depth + 1);
        proto_vset(c->v, obj, cm->name, x);
        proto_path_pop(c->v, po);
        kpop(&c->k, ko);
    }
    return obj;
}

static json_t *qdecode(qctx *c, const proto_member *m, int depth)
{
    const proto_shape *sh = proto_member_shape(c->svc, m);
    if (depth > PROTO_MAX_DEPTH || c->k.overflow) return NULL;
    switch (sh->type) {
    case PT_STRUCTURE:
        if (!has_children(c->q, c->k.b, c->k.n)) return NULL;
        return qdecode_struct(c, sh, depth);
    case PT_LIST: {
        const proto_member *lm = proto_shape_member(c->svc, sh, 0);
        const proto_shape *ls = proto_member_shape(c->svc, lm);
        size_t base = c->k.n;
        char saved[sizeof(c->k.b)];
        memcpy(saved, c->k.b, base + 1);
        if (c->ec2) {
            /* ec2: Filter.1.Value.1, the list's own name then the index */
        } else if (m->flags & PM_FLATTENED) {
            if (lm->loc_name) kreplace_last(&c->k, lm->loc_name);
        } else {
            kpush(&c->k, lm->loc_name ? lm->loc_name : "member");
        }
        json_t *arr = proto_vmade(c->v, json_array());
        for (size_t i = 1; arr && !c->k.overflow; i++) {
            size_t ko = kpushi(&c->k, i);
            int present = ls->type >= PT_STRUCTURE ? has_children(c->q, c->k.b, c->k.n)
                                                   : find(c->q, c->k.b) != NULL;
            if (!present || c->k.overflow) {
                kpop(&c->k, ko);
                break;
            }
            size_t po = proto_path_index(c->v, i);
            json_t *x = qdecode(c, lm, depth + 1);
            proto_path_pop(c->v, po);
            kpop(&c->k, ko);
            proto_vappend(c->v, arr, x);
        }
        memcpy(c->k.b, saved, base + 1);
        c->k.n = base;
        if (arr && json_array_size(arr) == 0) {
            /* "Name=" is how an empty list is sent */
            json_decref(arr);
            const qparam *exact = find(c->q, c->k.b);
            return exact && !exact->vlen ? proto_vmade(c->v, json_array()) : NULL;
        }
        return arr;
    }
    case PT_MAP: {
        if (!has_children(c->q, c->k.b, c->k.n)) return NULL;
        const proto_member *km = proto_shape_member(c->svc, sh, 0),
                           *vm = proto_shape_member(c->svc, sh, 1);
        size_t base = c->k.n;
        if (!(m->flags & PM_FLATTENED)) kpush(&c->k, "entry");
        json_t *obj = proto_vmade(c->v, json_object());
        for (size_t i = 1; obj && !c->k.overflow; i++) {
            size_t io = kpushi(&c->k, i);
            size_t ko = kpush(&c->k, km->loc_name ? km->loc_name : "key");
            const qparam *kp = find(c->q, c->k.b);
            kpop(&c->k, ko);
            if (!kp || c->k.overflow) {
                kpop(&c->k, io);
                break;
            }
            if (proto_vnul(c->v, kp->v, kp->vlen)) { /* a key cut at its NUL is another key */
                kpop(&c->k, io);
                continue;
            }
            ko = kpush(&c->k, vm->loc_name ? vm->loc_name : "value");
            size_t po = proto_path_key(c->v, kp->v);
            json_t *x = qdecode(c, vm, depth + 1);
            proto_path_pop(c->v, po);
            kpop(&c->k, ko);
            kpop(&c->k, io);
            proto_vset(c->v, obj, kp->v, x);
        }
        kpop(&c->k, base);
        return obj;
    }
    case PT_BLOB: {
        const qparam *p = find(c->q, c->k.b);
        if (!p) return NULL;
        /* wire is base64 already: that is also the internal form; check it */
        if (!enc_b64_valid(p->v, p->vlen)) {
            proto_verr_value(c->v, p->v, p->vlen, "Member must be valid base64");
            return NULL;
        }
        return proto_vmade(c->v, json_stringn(p->v, p->vlen));
    }
    default: {
        const qparam *p = find(c->q, c->k.b);
        if (!p) return NULL;
        return proto_scalar_parse(c->v, sh, p->v, p->vlen);
    }
    }
}

/* Overlay trait: a member the form may leave out because the request was POSTed to the URL
 * it names (SQS: QueueUrl, when a client sends the form to the queue's own URL). */
static void url_member(proto_vctx *v, const proto_service *svc, const proto_shape *ish,
                       const hreq *r, json_t *in)
{
    const proto_overlay *ov = proto_overlay_for(svc);
    if (!ov || !ov->url_member || json_object_get(in, ov->url_member)) return;
    if (!proto_struct_member(svc, ish, ov->url_member) || !r->raw_path[0] ||
        !strcmp(r->raw_path, "/"))
        return;
    buf b;
    buf_init(&b, 4096);
    buf_printf(&b, "%s://%s%s", r->secure ? "https" : "http", r->host[0] ? r->host : "localhost",
               r->raw_path);
    if (b.failed)
        v->oom = 1;
    else if (enc_utf8_valid(b.p, b.len))
        proto_vset(v, in, ov->url_member, proto_vmade(v, json_stringn(b.p, b.len)));
    buf_dispose(&b);
}

int proto_query_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                       json_t **input, ferr *e)
{
    qset q = {0};
    if (load_params(a, r, &q, e)) return -1;
    for (size_t i = 0; i < q.n; i++) {
        if (!enc_utf8_valid(q.p[i].k, q.p[i].klen) || !enc_utf8_valid(q.p[i].v, q.p[i].vlen))
            return ferr_set(e, 400, "MalformedQueryString",
                            "Invalid UTF-8 in the query string or form body");
        /* names are compared as C strings: "QueueName%00x" would read as QueueName (values
         * are refused per member, in proto_scalar_parse) */
        if (memchr(q.p[i].k, 0, q.p[i].klen))
            return ferr_set(e, 400, proto_bad_value_code(svc),
                            "A parameter name must not contain null characters");
    }
    const qparam *act = find(&q, "Action");
    if (!act || !act->vlen) return ferr_set(e, 400, "MissingAction", "Missing Action");
    const proto_op *o = proto_op_by_namen(svc, act->v, act->vlen);
    if (!o)
        return ferr_set(e, 400, "InvalidAction", "Could not find operation %.128s for version %s",
                        act->v, svc->api_version);
    proto_vctx v;
    proto_vctx_init(&v, svc);
    qctx c = {.q = &q, .v = &v, .svc = svc, .ec2 = svc->protocol == PROTO_EC2};
    json_t *in;
    const proto_shape *ish = proto_op_input(svc, o);
    in = ish ? qdecode_struct(&c, ish, 0) : json_object();
    if (!arena_defer_json(a, in)) {
        proto_vctx_dispose(&v);
        return ferr_oom(e);
    }
    if (ish) url_member(&v, svc, ish, r, in);
    int rc = proto_vctx_finish(&v, e);
    proto_vctx_dispose(&v);
    if (rc) return rc;
    *op = o;
    *input = in;
    return 0;
}

int proto_query_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                       const char *request_id, proto_response *out)
{
    (void)a;
    buf *b = &out->body;
    buf_printf(b, "<%sResponse xmlns=\"", op->name);
    if (svc->xml_namespace) proto_xml_escape(b, svc->xml_namespace, strlen(svc->xml_namespace));
    buf_puts(b, "\">");
    const proto_shape *osh = proto_op_output(svc, op);
    if (svc->protocol == PROTO_EC2) {
        /* ec2: no result element, the request id first as <requestId> */
        buf_puts(b, "<requestId>");
        if (request_id) proto_xml_escape(b, request_id, strlen(request_id));
        buf_puts(b, "</requestId>");
        if (osh) proto_xml_write_members(b, svc, osh, output, 0, 0);
        buf_printf(b, "</%sResponse>", op->name);
        out->content_type = "text/xml;charset=UTF-8";
        return b->failed ? -1 : 0;
    }
    if (osh) {
        if (op->result_wrapper) buf_printf(b, "<%s>", op->result_wrapper);
        proto_xml_write_members(b, svc, osh, output, 0, 0);
        if (op->result_wrapper) buf_printf(b, "</%s>", op->result_wrapper);
    }
    buf_puts(b, "<ResponseMetadata><RequestId>");
    if (request_id) proto_xml_escape(b, request_id, strlen(request_id));
    buf_printf(b, "</RequestId></ResponseMetadata></%sResponse>", op->name);
    out->status = 200;
    out->content_type = "text/xml";
    return b->failed ? -1 : 0;
}

void proto_query_encode_error(arena *a, const proto_service *svc, const ferr *e,
                              const char *request_id, proto_response *out)
{
    (void)a; /* the signature all codecs share */
    buf *b = &out->body;
    out->status = e->status ? e->status : 400;
    out->content_type = "text/xml";
    if (svc && svc->protocol == PROTO_EC2) { /* EC2's own error document */
        buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
        proto_xml_escape(b, e->code, strlen(e->code));
        buf_puts(b, "</Code><Message>");
        proto_xml_escape(b, ferr_message(e), strlen(ferr_message(e)));
        buf_puts(b, "</Message></Error></Errors><RequestID>");
        if (request_id) proto_xml_escape(b, request_id, strlen(request_id));
        buf_puts(b, "</RequestID></Response>");
        return;
    }
    buf_puts(b, "<ErrorResponse");
    if (svc && svc->xml_namespace) {
        buf_puts(b, " xmlns=\"");
        proto_xml_escape(b, svc->xml_namespace, strlen(svc->xml_namespace));
        buf_putc(b, '"');
    }
    buf_printf(b, "><Error><Type>%s</Type><Code>", e->sender ? "Sender" : "Receiver");
    /* a json service's query view: the query name of the error (overlay.h) */
    const char *qmsg = NULL;
    const char *code = svc ? proto_overlay_query_code(svc, e->code, &qmsg) : e->code;
    const char *msg = qmsg ? qmsg : ferr_message(e);
    proto_xml_escape(b, code, strlen(code));
    buf_puts(b, "</Code><Message>");
    proto_xml_escape(b, msg, strlen(msg));
    buf_puts(b, "</Message></Error><RequestId>");
    if (request_id) proto_xml_escape(b, request_id, strlen(request_id));
    buf_puts(b, "</RequestId></ErrorResponse>");
    out->status = e->status ? e->status : 400;
    out->content_type = "text/xml";
}
