/* Query views of json models (see overlay.h).
 *
 * The generated tables share shapes between operations (inline shapes are de-duplicated
 * by structure), yet the query names differ per use: the same string list is
 * AttributeName.N in one place and TagKey.N in another, the same {Successful, Failed}
 * output is SendMessageBatchResultEntry in one operation and DeleteMessageBatchResultEntry
 * in the next. So a view gives every operation its own copy of its input and output trees
 * (scalars stay shared: they carry no names of their own) and applies the overlay's names
 * to the copies. Built once per process, on first use; a few hundred members for SQS. A
 * build that runs out of memory is undone and retried by the next caller (a pthread_once
 * left SQS's query protocol broken for the life of the process after one failed build). */
#include "proto/overlay.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define MAX_DEPTH 32
#define MAX_VIEWS 8

typedef struct view {
    const proto_service *src;
    const proto_overlay *ov;
    proto_service svc;
    proto_shape *shapes;
    size_t nshapes, capshapes;
    proto_member *members;
    size_t nmembers, capmembers;
    proto_op *ops;
    arena *names; /* formatted names ("SendMessageBatchRequestEntry") */
    int failed;
} view;

static view views[MAX_VIEWS];
static size_t nviews;
static pthread_mutex_t build_mu = PTHREAD_MUTEX_INITIALIZER;
static int built; /* set with release order once views[] is complete; read-only after */

static long add_members(view *v, size_t n)
{
    if (v->nmembers + n > v->capmembers) {
        size_t cap = v->capmembers ? v->capmembers * 2 : 256;
        while (cap < v->nmembers + n) cap *= 2;
        proto_member *m = realloc(v->members, cap * sizeof(*m));
        if (!m) return -1;
        v->members = m;
        v->capmembers = cap;
    }
    long at = (long)v->nmembers;
    v->nmembers += n;
    return at;
}

static long add_shape(view *v)
{
    if (v->nshapes >= 65535) return -1; /* proto_member.shape is 16 bits */
    if (v->nshapes == v->capshapes) {
        size_t cap = v->capshapes ? v->capshapes * 2 : 256;
        proto_shape *s = realloc(v->shapes, cap * sizeof(*s));
        if (!s) return -1;
        v->shapes = s;
        v->capshapes = cap;
    }
    return (long)v->nshapes++;
}

static const char *fmt_name(view *v, const char *pattern, const char *op)
{
    const char *pct = strstr(pattern, "%s");
    if (!pct) return pattern;
    char *s = arena_printf(v->names, "%.*s%s%s", (int)(pct - pattern), pattern, op, pct + 2);
    if (!s) v->failed = 1;
    return s ? s : pattern;
}

static const proto_overlay_member *rule_for(const proto_overlay *ov, const char *op,
                                            const char *member)
{
    const proto_overlay_member *any = NULL;
    for (size_t i = 0; i < ov->nmembers; i++) {
        const proto_overlay_member *r = &ov->members[i];
        if (strcmp(r->member, member)) continue;
        if (r->op && !strcmp(r->op, op)) return r; /* an operation's own rule wins */
        if (!r->op && !any) any = r;
    }
    return any;
}

/* Names the structure member at mi (its child shape is already this view's own copy). */
static void apply_rule(view *v, size_t mi, const char *op)
{
    proto_member *m = &v->members[mi];
    if (!m->name) return;
    const proto_overlay_member *r = rule_for(v->ov, op, m->name);
    if (!r) return;
    if (r->name) m->loc_name = r->name;
    const proto_shape *cs = &v->shapes[m->shape];
    if (cs->type == PT_LIST && r->item) {
        v->members[cs->first].loc_name = fmt_name(v, r->item, op);
    } else if (cs->type == PT_MAP) {
        if (r->key) v->members[cs->first].loc_name = r->key;
        if (r->value) v->members[cs->first + 1].loc_name = r->value;
    }
}

/* This operation's own copy of shape si and everything below it; scalars are shared. */
static uint16_t clone_shape(view *v, uint16_t si, const char *op, int depth)
{
    proto_shape sh = v->shapes[si];
    if (depth > MAX_DEPTH || sh.type < PT_STRUCTURE || (sh.flags & PS_DOCUMENT)) return si;
    long first = add_members(v, sh.nmembers);
    long ns = add_shape(v);
    if (first < 0 || ns < 0) {
        v->failed = 1;
        return si;
    }
    for (size_t i = 0; i < sh.nmembers; i++) v->members[first + i] = v->members[sh.first + i];
    sh.first = (uint32_t)first;
    v->shapes[ns] = sh;
    for (size_t i = 0; i < sh.nmembers; i++) {
        uint16_t child = clone_shape(v, v->members[first + i].shape, op, depth + 1);
        v->members[first + i].shape = child;
        if (sh.type == PT_STRUCTURE) apply_rule(v, (size_t)first + i, op);
    }
    return (uint16_t)ns;
}

static int32_t clone_ref(view *v, int32_t ref, const char *op)
{
    if (ref < 0) return ref;
    long at = add_members(v, 1);
    if (at < 0) {
        v->failed = 1;
        return ref;
    }
    v->members[at] = v->members[ref];
    uint16_t s = clone_shape(v, v->members[at].shape, op, 0);
    v->members[at].shape = s;
    return (int32_t)at;
}

static void view_dispose(view *v)
{
    free(v->shapes);
    free(v->members);
    free(v->ops);
    arena_free(v->names);
    memset(v, 0, sizeof(*v));
}

static int build(view *v, const proto_service *src, const proto_overlay *ov)
{
    v->src = src;
    v->ov = ov;
    v->names = arena_new(4096);
    v->ops = calloc(src->nops ? src->nops : 1, sizeof(*v->ops));
    if (!v->names || !v->ops || add_members(v, src->nmembers) < 0) return -1;
    memcpy(v->members, src->members, src->nmembers * sizeof(*v->members));
    for (size_t i = 0; i < src->nshapes; i++) {
        if (add_shape(v) < 0) return -1;
        v->shapes[i] = src->shapes[i];
    }
    for (size_t i = 0; i < src->nops; i++) {
        proto_op op = src->ops[i];
        op.input = clone_ref(v, op.input, op.name);
        op.output = clone_ref(v, op.output, op.name);
        if (op.output >= 0 && ov->result_wrapper)
            op.result_wrapper = fmt_name(v, ov->result_wrapper, op.name);
        v->ops[i] = op;
    }
    if (v->failed) return -1;
    v->svc = *src;
    v->svc.protocol = PROTO_QUERY;
    v->svc.query_compatible = 0;
    v->svc.xml_namespace = ov->xml_namespace;
    v->svc.ops = v->ops;
    v->svc.shapes = v->shapes;
    v->svc.nshapes = v->nshapes;
    v->svc.members = v->members;
    v->svc.nmembers = v->nmembers;
    return 0;
}

static int build_all(void)
{
    for (size_t i = 0; i < proto_noverlays && nviews < MAX_VIEWS; i++) {
        const proto_service *src = proto_service_by_stem(proto_overlays[i]->stem);
        if (!src || src->protocol != PROTO_JSON) continue;
        view *v = &views[nviews];
        if (build(v, src, proto_overlays[i])) {
            view_dispose(v);
            while (nviews) view_dispose(&views[--nviews]);
            return -1;
        }
        nviews++;
    }
    return 0;
}

/* 0 when views[] is built, -1 when building it ran out of memory (retried next time). */
static int ensure_built(void)
{
    if (__atomic_load_n(&built, __ATOMIC_ACQUIRE)) return 0;
    pthread_mutex_lock(&build_mu);
    int ok = built || build_all() == 0;
    if (ok) __atomic_store_n(&built, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&build_mu);
    return ok ? 0 : -1;
}

const proto_overlay *proto_overlay_for(const proto_service *svc)
{
    if (!svc) return NULL;
    for (size_t i = 0; i < proto_noverlays; i++)
        if (!strcmp(proto_overlays[i]->stem, svc->stem)) return proto_overlays[i];
    return NULL;
}

const proto_service *proto_overlay_query_view(const proto_service *svc)
{
    if (!svc || ensure_built()) return NULL;
    for (size_t i = 0; i < nviews; i++)
        if (views[i].src == svc || &views[i].svc == svc) return &views[i].svc;
    return NULL;
}

int proto_overlay_is_view(const proto_service *svc)
{
    if (ensure_built()) return 0;
    for (size_t i = 0; i < nviews; i++)
        if (&views[i].svc == svc) return 1;
    return 0;
}

const char *proto_overlay_query_code(const proto_service *svc, const char *code,
                                     const char **message)
{
    if (message) *message = NULL;
    const proto_overlay *ov = proto_overlay_for(svc);
    for (size_t i = 0; ov && i < ov->nerrors; i++) {
        if (strcmp(ov->errors[i].code, code)) continue;
        if (message) *message = ov->errors[i].query_message;
        return ov->errors[i].query_code;
    }
    return code;
}
