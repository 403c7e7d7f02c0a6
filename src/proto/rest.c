#include "rest.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/enc.h"
#include "proto/json.h"
#include "proto/pcommon.h"
#include "proto/xml.h"

#define MAX_LABELS  8
#define MAX_QPARAMS 1000

typedef struct label {
    const char *name;
    size_t nlen;
    const char *val; /* raw, percent-encoded */
    size_t vlen;
} label;

typedef struct qpair {
    const char *k, *v;
    size_t klen, vlen; /* a NUL inside is refused where the pair is used */
} qpair;

typedef struct rctx {
    qpair *q;
    size_t nq;
    int qbad;
} rctx;

static int parse_query(arena *a, const char *s, rctx *c)
{
    size_t n = strlen(s), cnt = 1;
    for (size_t i = 0; i < n; i++) cnt += s[i] == '&';
    if (cnt > MAX_QPARAMS) return -1;
    c->q = arena_alloc(a, cnt * sizeof(qpair));
    if (!c->q) return -1;
    c->nq = 0;
    size_t i = 0, kl, vl;
    const char *k, *v;
    int r;
    while ((r = proto_qs_next(a, s, n, &i, &k, &kl, &v, &vl, NULL)) > 0)
        c->q[c->nq++] = (qpair){.k = k, .v = v, .klen = kl, .vlen = vl};
    return r;
}

static const qpair *qfind(const rctx *c, const char *k, size_t kl)
{
    for (size_t i = 0; i < c->nq; i++)
        if (c->q[i].klen == kl && !memcmp(c->q[i].k, k, kl)) return &c->q[i];
    return NULL;
}

/* Matches the path part of a requestUri template against the raw path. Returns
 * the number of literal characters matched, or -1. */
static int match_path(const char *tpl, size_t tlen, const char *path, label *lb, int *nlb)
{
    size_t ti = 0, pi = 0, plen = strlen(path);
    int lit = 0;
    *nlb = 0;
    while (ti < tlen) {
        if (tpl[ti] == '{') {
            const char *close = memchr(tpl + ti, '}', tlen - ti);
            if (!close || *nlb == MAX_LABELS) return -1;
            label *l = &lb[(*nlb)++];
            l->name = tpl + ti + 1;
            l->nlen = (size_t)(close - l->name);
            int greedy = l->nlen && l->name[l->nlen - 1] == '+';
            if (greedy) l->nlen--;
            ti = (size_t)(close - tpl) + 1;
            size_t j;
            if (greedy) {
                size_t rest = tlen - ti;
                if (plen - pi < rest + 1) return -1;
                j = plen - rest;
                if (memcmp(path + j, tpl + ti, rest)) return -1;
            } else {
                char stop = ti < tlen ? tpl[ti] : '/';
                j = pi;
                while (j < plen && path[j] != '/' && path[j] != stop) j++;
            }
            if (j == pi) return -1;
            l->val = path + pi;
            l->vlen = j - pi;
            pi = j;
        } else {
            if (pi >= plen || path[pi] != tpl[ti]) {
                /* "/functions/" also matches "/functions" */
                if (pi == plen && ti == tlen - 1 && tpl[ti] == '/') return lit;
                return -1;
            }
            pi++, ti++, lit++;
        }
    }
    if (pi == plen) return lit;
    if (pi == plen - 1 && path[pi] == '/') return lit; /* tolerate a trailing slash */
    return -1;
}

/* Query literals of the template ("?list-type=2", "?uploads"): count matched, -1 if one is missing. */
static int match_qlits(const char *q, const rctx *c)
{
    int n = 0;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t kl = eq ? (size_t)(eq - q) : len;
        const qpair *p = qfind(c, q, kl);
        if (!p) return -1;
        if (eq && (p->vlen != len - kl - 1 || memcmp(p->v, eq + 1, p->vlen))) return -1;
        n++;
        q += len + (amp ? 1 : 0);
    }
    return n;
}

static void lower_copy(char *out, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = 0;
}

static const char *header_of(const hreq *r, const char *name)
{
    char l[256];
    lower_copy(l, sizeof(l), name);
    return hreq_header(r, l);
}

static const proto_op *match(arena *a, const proto_service *svc, const hreq *r, const rctx *c,
                             label *lb_out, int *nlb_out)
{
    const proto_op *best = NULL;
    long best_score = -1000000;
    label lb[MAX_LABELS];
    int nlb;
    for (size_t i = 0; i < svc->nops; i++) {
        const proto_op *op = &svc->ops[i];
        if (strcmp(op->method, r->method)) continue;
        const char *qm = strchr(op->uri, '?');
        size_t tlen = qm ? (size_t)(qm - op->uri) : strlen(op->uri);
        int lit = match_path(op->uri, tlen, r->raw_path, lb, &nlb);
        if (lit < 0) continue;
        int nq = qm ? match_qlits(qm + 1, c) : 0;
        if (nq < 0) continue;
        /* a deprecated operation (S3's PutBucketLifecycle) yields the same request to its
         * successor (PutBucketLifecycleConfiguration), as AWS answers it */
        long score = 1000L * nq + 4L * lit - (op->deprecated ? 1 : 0);
        /* same method and path (PutObject/CopyObject/UploadPart): required header
         * and querystring members decide */
        const proto_shape *ish = proto_op_input(svc, op);
        for (size_t k = 0; ish && k < ish->nmembers; k++) {
            const proto_member *m = proto_shape_member(svc, ish, k);
            if (!(m->flags & PM_REQUIRED)) continue;
            int present;
            if (m->location == PL_HEADER)
                present = header_of(r, proto_member_wire_name(m)) != NULL;
            else if (m->location == PL_QUERY) {
                const char *n = proto_member_wire_name(m);
                present = qfind(c, n, strlen(n)) != NULL;
            } else
                continue;
            score += present ? 10 : -100;
        }
        if (score > best_score) {
            best_score = score;
            best = op;
            memcpy(lb_out, lb, sizeof(lb));
            *nlb_out = nlb;
        }
    }
    (void)a;
    return best;
}

const proto_op *proto_rest_match(arena *a, const proto_service *svc, const hreq *r)
{
    rctx c = {0};
    if (parse_query(a, r->raw_query, &c)) return NULL;
    label lb[MAX_LABELS];
    int nlb = 0;
    return match(a, svc, r, &c, lb, &nlb);
}

static int is_xml(const proto_service *svc)
{
    return svc->protocol == PROTO_REST_XML;
}

static int is_s3(const proto_service *svc)
{
    return svc->endpoint_prefix && !strcmp(svc->endpoint_prefix, "s3");
}

const hreq *proto_request_view(arena *a, const proto_service *svc, const hreq *r,
                               const char *host_suffix, ferr *e)
{
    if (!is_s3(svc) || !r->host[0]) return r;
    char own[136];
    snprintf(own, sizeof(own), ".%s", host_suffix);
    const char *suffixes[] = {own, ".s3.localhost", ".localhost", ".s3.amazonaws.com"};
    size_t hl = strcspn(r->host, ":");
    for (size_t i = host_suffix[0] ? 0 : 1; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t sl = strlen(suffixes[i]);
        if (hl <= sl || strncasecmp(r->host + hl - sl, suffixes[i], sl)) continue;
        size_t bl = hl - sl;
        if (bl == 2 && !strncmp(r->host, "s3", 2)) return r; /* s3.localhost: path style */
        /* out of memory is an error: r read as path style would name another bucket */
        hreq *v = arena_alloc(a, sizeof(*v));
        char *p = v ? arena_printf(a, "/%.*s%s", (int)bl, r->host, r->raw_path) : NULL;
        if (!p) return ferr_oom(e), NULL;
        *v = *r;
        v->raw_path = p;
        return v;
    }
    return r;
}

/* A header value for member m, split for lists. */
static json_t *header_value(arena *a, proto_vctx *v, const proto_service *svc,
                            const proto_member *m, const char *val)
{
    const proto_shape *sh = proto_member_shape(svc, m);
    size_t n = strlen(val);
    if (sh->type == PT_LIST) {
        const proto_member *lm = proto_shape_member(svc, sh, 0);
        const proto_shape *ls = proto_member_shape(svc, lm);
        json_t *arr = json_array();
        const char *p = val;
        while (arr && *p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            const char *s = p;
            size_t l = len;
            while (l && isspace((unsigned char)*s)) s++, l--;
            while (l && isspace((unsigned char)s[l - 1])) l--;
            if (ls->type < PT_STRUCTURE) {
                proto_vappend(v, arr, proto_scalar_parse(v, ls, s, l));
            }
            p += len + (comma ? 1 : 0);
        }
        return arr;
    }
    if (m->flags & PM_JSONVALUE) {
        size_t ol;
        unsigned char *raw = enc_unb64(a, val, n, &ol);
        if (!raw || !enc_utf8_valid((const char *)raw, ol)) {
            proto_verr_value(v, val, n, "Member must be a base64-encoded JSON value");
            return NULL;
        }
        return json_stringn((const char *)raw, ol);
    }
    if (sh->type == PT_BLOB) return json_stringn(val, n); /* headers carry blobs as base64 */
    return proto_scalar_parse(v, sh, val, n);
}

static int query_bound(const proto_service *svc, const proto_shape *ish, const char *k,
                       const char *uri_q)
{
    for (size_t i = 0; i < ish->nmembers; i++) {
        const proto_member *m = proto_shape_member(svc, ish, i);
        if (m->location == PL_QUERY && proto_member_shape(svc, m)->type != PT_MAP &&
            !strcmp(proto_member_wire_name(m), k))
            return 1;
    }
    /* literals of the template are not map entries either */
    size_t kl = strlen(k);
    for (const char *p = uri_q; p && *p;) {
        size_t len = strcspn(p, "&");
        size_t l2 = strcspn(p, "=&");
        if (l2 == kl && !memcmp(p, k, kl)) return 1;
        p += len + (p[len] ? 1 : 0);
    }
    return 0;
}

static json_t *decode_query_member(proto_vctx *v, const proto_service *svc, const proto_shape *ish,
                                   const proto_member *m, const rctx *c, const char *uri_q)
{
    const proto_shape *sh = proto_member_shape(svc, m);
    const char *name = proto_member_wire_name(m);
    size_t nl = strlen(name);
    if (sh->type == PT_MAP) {
        const proto_member *vm = proto_shape_member(svc, sh, 1);
        const proto_shape *vs = proto_member_shape(svc, vm);
        json_t *obj = json_object();
        for (size_t i = 0; obj && i < c->nq; i++) {
            if (query_bound(svc, ish, c->q[i].k, uri_q)) continue;
            if (proto_vnul(v, c->q[i].k, c->q[i].klen)) continue; /* a key, cut, is another */
            if (vs->type == PT_LIST) {
                json_t *arr = json_object_get(obj, c->q[i].k);
                if (!arr && json_object_set_new(obj, c->q[i].k, arr = json_array())) {
                    v->oom = 1;
                    continue;
                }
                if (!proto_vnul(v, c->q[i].v, c->q[i].vlen))
                    proto_vappend(v, arr, json_stringn(c->q[i].v, c->q[i].vlen));
            } else if (!json_object_get(obj, c->q[i].k)) {
                proto_vset(v, obj, c->q[i].k, proto_scalar_parse(v, vs, c->q[i].v, c->q[i].vlen));
            }
        }
        if (obj && json_object_size(obj) == 0) {
            json_decref(obj);
            return NULL;
        }
        return obj;
    }
    if (sh->type == PT_LIST) {
        const proto_member *lm = proto_shape_member(svc, sh, 0);
        const proto_shape *ls = proto_member_shape(svc, lm);
        json_t *arr = NULL;
        for (size_t i = 0; i < c->nq; i++) {
            if (c->q[i].klen != nl || memcmp(c->q[i].k, name, nl)) continue;
            if (!arr) arr = json_array();
            json_t *x =
                ls->type < PT_STRUCTURE ? proto_scalar_parse(v, ls, c->q[i].v, c->q[i].vlen) : NULL;
            proto_vappend(v, arr, x);
        }
        return arr;
    }
    const qpair *p = qfind(c, name, nl);
    if (!p) return NULL;
    if (sh->type >= PT_STRUCTURE) return NULL;
    return proto_scalar_parse(v, sh, p->v, p->vlen);
}

/* The XML or JSON body r as the structure sh into *x (rest: only its body-bound members);
 * -1 with e when the body does not parse. */
static int read_body(arena *a, proto_vctx *v, const proto_service *svc, const proto_shape *sh,
                     const hreq *r, int rest, json_t **x, ferr *e)
{
    if (is_xml(svc)) {
        proto_xnode *root =
            proto_xml_parse(a, (const char *)r->body, r->body_len, "MalformedXML", e);
        if (!root) return -1;
        *x = proto_xml_read_struct(v, svc, sh, root, rest, 0);
        return 0;
    }
    json_t *w = proto_json_parse_body(r, e);
    if (!w) return -1;
    *x = proto_json_in_struct(v, svc, sh, w, rest, 0);
    json_decref(w);
    return 0;
}

int proto_rest_decode(arena *a, const proto_service *svc, const hreq *r, const proto_op **op,
                      json_t **input, ferr *e)
{
    rctx c = {0};
    if (parse_query(a, r->raw_query, &c))
        return ferr_set(e, 400, is_s3(svc) ? "InvalidArgument" : "SerializationException",
                        "The query string is malformed");
    label lb[MAX_LABELS];
    int nlb = 0;
    const proto_op *o = match(a, svc, r, &c, lb, &nlb);
    if (!o) {
        if (is_s3(svc))
            return ferr_set(e, 405, "MethodNotAllowed",
                            "The specified method is not allowed against this resource.");
        return ferr_set(e, 400, "UnknownOperationException", "No operation matches %s %.256s",
                        r->method, r->raw_path);
    }
    const proto_shape *ish = proto_op_input(svc, o);
    json_t *in = arena_defer_json(a, json_object());
    if (!in) return ferr_oom(e);
    proto_vctx v;
    proto_vctx_init(&v, svc);
    const char *uri_q = strchr(o->uri, '?');
    int rc = 0;
    int has_body_members = 0;
    for (size_t i = 0; ish && i < ish->nmembers; i++) {
        const proto_member *m = proto_shape_member(svc, ish, i);
        const proto_shape *sh = proto_member_shape(svc, m);
        const char *wn = proto_member_wire_name(m);
        size_t po = proto_path_member(&v, m->name);
        json_t *x = NULL;
        switch (m->location) {
        case PL_URI:
            for (int k = 0; k < nlb; k++) {
                if (lb[k].nlen != strlen(wn) || memcmp(lb[k].name, wn, lb[k].nlen)) continue;
                size_t dl;
                char *d = enc_url_decode(a, lb[k].val, lb[k].vlen, 0, &dl);
                if (!d) {
                    proto_verr_value(&v, lb[k].val, lb[k].vlen,
                                     "Member must be a valid percent-encoded string");
                    break;
                }
                x = sh->type < PT_STRUCTURE ? proto_scalar_parse(&v, sh, d, dl) : NULL;
                break;
            }
            break;
        case PL_QUERY:
            x = decode_query_member(&v, svc, ish, m, &c, uri_q ? uri_q + 1 : NULL);
            break;
        case PL_HEADER: {
            const char *hv = header_of(r, wn);
            if (hv) x = header_value(a, &v, svc, m, hv);
            break;
        }
        case PL_HEADERS: {
            char pfx[256];
            lower_copy(pfx, sizeof(pfx), wn);
            size_t pl = strlen(pfx);
            for (size_t k = 0; k < r->nheaders; k++) {
                if (strncmp(r->headers[k].name, pfx, pl)) continue;
                if (!x) x = json_object();
                if (x && enc_utf8_valid(r->headers[k].value, strlen(r->headers[k].value)))
                    proto_vset(&v, x, r->headers[k].name + pl, json_string(r->headers[k].value));
            }
            break;
        }
        case PL_BODY: has_body_members = 1; break;
        default: break;
        }
        proto_vset(&v, in, m->name, x);
        proto_path_pop(&v, po);
    }
    if (ish && ish->payload >= 0) {
        const proto_member *pm = proto_shape_member(svc, ish, (size_t)ish->payload);
        const proto_shape *ps = proto_member_shape(svc, pm);
        json_t *x = NULL;
        size_t po = proto_path_member(&v, pm->name);
        if (ps->type == PT_BLOB && (pm->flags & PM_STREAMING)) {
            /* streamed into the blob store, never decoded (call_body_in) */
        } else if (ps->type == PT_BLOB) {
            char *b64 = enc_b64(a, r->body, r->body_len);
            x = b64 ? json_string(b64) : NULL;
            if (!x) rc = ferr_oom(e);
        } else if (ps->type == PT_STRING) {
            if (r->body_len) {
                if (!enc_utf8_valid((const char *)r->body, r->body_len))
                    proto_verr_value(&v, "", 0, "Member must be valid UTF-8");
                else if (!proto_vnul(&v, (const char *)r->body, r->body_len))
                    x = json_stringn((const char *)r->body, r->body_len);
            }
        } else if (ps->type == PT_STRUCTURE && r->body_len) {
            if (read_body(a, &v, svc, ps, r, 0, &x, e)) rc = -1;
        }
        proto_path_pop(&v, po);
        proto_vset(&v, in, pm->name, x);
    } else if (ish && has_body_members && r->body_len) {
        json_t *x = NULL;
        if (read_body(a, &v, svc, ish, r, 1, &x, e)) rc = -1;
        if (x) {
            if (json_object_update(in, x)) v.oom = 1;
            json_decref(x);
        }
    }
    if (!rc) rc = proto_vctx_finish(&v, e);
    proto_vctx_dispose(&v);
    if (rc) return rc;
    *op = o;
    *input = in;
    return 0;
}

/* S3 response roots the min.json models leave out (clients ignore the name, but
 * match AWS anyway). */
static const struct {
    const char *op, *root;
} s3_roots[] = {
    {"CompleteMultipartUpload", "CompleteMultipartUploadResult"},
    {"CreateMultipartUpload", "InitiateMultipartUploadResult"},
    {"DeleteObjects", "DeleteResult"},
    {"GetBucketAccelerateConfiguration", "AccelerateConfiguration"},
    {"GetBucketAcl", "AccessControlPolicy"},
    {"GetBucketCors", "CORSConfiguration"},
    {"GetBucketLifecycleConfiguration", "LifecycleConfiguration"},
    {"GetBucketLogging", "BucketLoggingStatus"},
    {"GetBucketNotificationConfiguration", "NotificationConfiguration"},
    {"GetBucketRequestPayment", "RequestPaymentConfiguration"},
    {"GetBucketTagging", "Tagging"},
    {"GetBucketVersioning", "VersioningConfiguration"},
    {"GetBucketWebsite", "WebsiteConfiguration"},
    {"GetObjectAcl", "AccessControlPolicy"},
    {"GetObjectAttributes", "GetObjectAttributesResponse"},
    {"GetObjectTagging", "Tagging"},
    {"ListBuckets", "ListAllMyBucketsResult"},
    {"ListMultipartUploads", "ListMultipartUploadsResult"},
    {"ListObjectVersions", "ListVersionsResult"},
    {"ListObjects", "ListBucketResult"},
    {"ListObjectsV2", "ListBucketResult"},
    {"ListParts", "ListPartsResult"},
};

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

static int add_header_value(arena *a, proto_response *out, const proto_service *svc,
                            const proto_member *m, const char *name, const json_t *val)
{
    const proto_shape *sh = proto_member_shape(svc, m);
    buf b;
    buf_init(&b, 1 << 16);
    int rc = 0;
    if (sh->type == PT_LIST) {
        const proto_shape *ls = proto_member_shape(svc, proto_shape_member(svc, sh, 0));
        size_t i;
        const json_t *x;
        json_array_foreach(val, i, x) {
            if (i) buf_puts(&b, ",");
            proto_scalar_format(&b, ls, x, TS_RFC822);
        }
    } else if (m->flags & PM_JSONVALUE) {
        char *raw = json_is_string(val) ? NULL : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *s = raw ? raw : json_string_value(val);
        char *enc = s ? enc_b64(a, (const unsigned char *)s, strlen(s)) : NULL;
        free(raw);
        if (enc) buf_puts(&b, enc);
    } else {
        rc = proto_scalar_format(&b, sh, val, m->tsfmt ? m->tsfmt : TS_RFC822);
    }
    if (!rc && !b.failed) {
        const char *s = buf_str(&b);
        if (!strcasecmp(name, "content-type"))
            out->content_type = arena_strdup(a, s);
        else
            rc = proto_response_header(a, out, name, s);
    }
    buf_dispose(&b);
    return rc;
}

int proto_rest_encode(arena *a, const proto_service *svc, const proto_op *op, const json_t *output,
                      const char *request_id, proto_response *out)
{
    out->status = op->response_code;
    out->content_type = NULL;
    const proto_member *om = proto_member_at(svc, op->output);
    const proto_shape *osh = proto_op_output(svc, op);
    int has_body = 0;
    for (size_t i = 0; osh && i < osh->nmembers; i++) {
        const proto_member *m = proto_shape_member(svc, osh, i);
        const json_t *val = json_object_get(output, m->name);
        if (m->location == PL_BODY) has_body = 1;
        if (!val || json_is_null(val)) continue;
        const char *wn = proto_member_wire_name(m);
        if (m->location == PL_HEADER) {
            /* the server frames the body itself; only HEAD answers carry the length */
            if (!strcasecmp(wn, "Content-Length") && strcmp(op->method, "HEAD")) continue;
            add_header_value(a, out, svc, m, wn, val);
        } else if (m->location == PL_HEADERS && json_is_object(val)) {
            const char *k;
            json_t *x;
            json_object_foreach((json_t *)val, k, x) {
                char *hn = arena_printf(a, "%s%s", wn, k);
                if (hn && json_is_string(x))
                    proto_response_header(a, out, hn, json_string_value(x));
            }
        } else if (m->location == PL_STATUS && json_is_integer(val)) {
            json_int_t s = json_integer_value(val);
            if (s >= 100 && s <= 599) out->status = (int)s;
        }
    }
    if (osh && osh->payload >= 0) {
        const proto_member *pm = proto_shape_member(svc, osh, (size_t)osh->payload);
        const proto_shape *ps = proto_member_shape(svc, pm);
        const json_t *val = json_object_get(output, pm->name);
        if (ps->type == PT_BLOB) {
            if (json_is_string(val)) {
                size_t n;
                unsigned char *raw =
                    enc_unb64(a, json_string_value(val), json_string_length(val), &n);
                if (!raw) return -1;
                buf_put(&out->body, raw, n);
            }
            if (!out->content_type) out->content_type = "application/octet-stream";
        } else if (ps->type == PT_STRING) {
            if (json_is_string(val))
                buf_put(&out->body, json_string_value(val), json_string_length(val));
            if (!out->content_type) out->content_type = "text/plain";
        } else if (ps->type == PT_STRUCTURE && json_is_object(val)) {
            if (is_xml(svc)) {
                const char *ns = pm->xmlns ? pm->xmlns : is_s3(svc) ? S3_NS : svc->xml_namespace;
                buf_puts(&out->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                proto_xml_write(&out->body, svc, pm, proto_member_wire_name(pm), val, ns, 0, 0);
            } else if (proto_json_put(&out->body, proto_json_out_struct(svc, ps, val, 0, 0)))
                return -1;
        }
    } else if (osh && has_body) {
        if (is_xml(svc)) {
            const char *root = om->loc_name;
            for (size_t i = 0; !root && is_s3(svc) && i < sizeof(s3_roots) / sizeof(s3_roots[0]);
                 i++)
                if (!strcmp(s3_roots[i].op, op->name)) root = s3_roots[i].root;
            if (!root) root = arena_printf(a, "%sResult", op->name);
            const char *ns = om->xmlns ? om->xmlns : is_s3(svc) ? S3_NS : svc->xml_namespace;
            buf_puts(&out->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            if (is_s3(svc) && !strcmp(op->name, "GetBucketLocation")) {
                /* AWS: the lone member is the root element's text */
                const json_t *lc = json_object_get(output, "LocationConstraint");
                buf_puts(&out->body, "<LocationConstraint xmlns=\"" S3_NS "\">");
                if (json_is_string(lc))
                    proto_xml_escape(&out->body, json_string_value(lc), json_string_length(lc));
                buf_puts(&out->body, "</LocationConstraint>");
            } else {
                buf_printf(&out->body, "<%s", root);
                if (ns) {
                    buf_puts(&out->body, " xmlns=\"");
                    proto_xml_escape(&out->body, ns, strlen(ns));
                    buf_putc(&out->body, '"');
                }
                buf_putc(&out->body, '>');
                proto_xml_write_members(&out->body, svc, osh, output, 1, 0);
                buf_printf(&out->body, "</%s>", root);
            }
        } else if (proto_json_put(&out->body, proto_json_out_struct(svc, osh, output, 1, 0)))
            return -1;
    }
    if (!out->content_type)
        out->content_type = is_xml(svc) ? "application/xml" : "application/json";
    /* x-amzn-RequestId is the caller's; S3 clients read their own header */
    if (request_id && is_s3(svc)) proto_response_header(a, out, "x-amz-request-id", request_id);
    return out->body.failed ? -1 : 0;
}

void proto_rest_encode_error(arena *a, const proto_service *svc, const ferr *e,
                             const char *request_id, proto_response *out)
{
    if (!is_xml(svc)) {
        proto_json_encode_error(a, svc, e, request_id, out);
        return;
    }
    buf *b = &out->body;
    out->status = e->status ? e->status : 400;
    out->content_type = "application/xml";
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (is_s3(svc)) {
        buf_puts(b, "<Error><Code>");
        proto_xml_escape(b, e->code, strlen(e->code));
        buf_puts(b, "</Code><Message>");
        proto_xml_escape(b, ferr_message(e), strlen(ferr_message(e)));
        buf_puts(b, "</Message>");
        if (e->region[0]) { /* the bucket's region, which SDKs redirect to */
            buf_puts(b, "<Region>");
            proto_xml_escape(b, e->region, strlen(e->region));
            buf_puts(b, "</Region>");
            char *region = arena_strdup(a, e->region);
            if (region) proto_response_header(a, out, "x-amz-bucket-region", region);
        }
        buf_puts(b, "<RequestId>");
        if (request_id) proto_xml_escape(b, request_id, strlen(request_id));
        buf_puts(b, "</RequestId></Error>");
        if (request_id) proto_response_header(a, out, "x-amz-request-id", request_id);
        return;
    }
    buf_printf(b, "<ErrorResponse><Error><Type>%s</Type><Code>", e->sender ? "Sender" : "Receiver");
    proto_xml_escape(b, e->code, strlen(e->code));
    buf_puts(b, "</Code><Message>");
    proto_xml_escape(b, ferr_message(e), strlen(ferr_message(e)));
    buf_puts(b, "</Message></Error><RequestId>");
    if (request_id) proto_xml_escape(b, request_id, strlen(request_id));
    buf_puts(b, "</RequestId></ErrorResponse>");
}
