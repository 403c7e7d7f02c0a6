#include "xml.h"

#include <expat.h>
#include <string.h>

#include "base/enc.h"

/* ---------- writer ---------- */

static void open_tag(buf *b, const char *name)
{
    buf_putc(b, '<');
    buf_puts(b, name);
}

static void close_tag(buf *b, const char *name)
{
    buf_puts(b, "</");
    buf_puts(b, name);
    buf_putc(b, '>');
}

static void write_scalar(buf *b, const proto_shape *sh, const proto_member *m, const json_t *v)
{
    buf tmp;
    buf_init(&tmp, 0);
    int fmt = m->tsfmt ? m->tsfmt : TS_ISO8601;
    if (proto_scalar_format(&tmp, sh, v, fmt) == 0 && tmp.len) proto_xml_escape(b, tmp.p, tmp.len);
    buf_dispose(&tmp);
}

/* Attributes of a structure element: its xmlAttribute members. */
static void write_attrs(buf *b, const proto_service *svc, const proto_shape *sh, const json_t *obj)
{
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *cm = proto_shape_member(svc, sh, i);
        if (!(cm->flags & PM_XMLATTR)) continue;
        const json_t *cv = json_object_get(obj, cm->name);
        if (!cv || json_is_null(cv)) continue;
        buf_putc(b, ' ');
        buf_puts(b, proto_member_wire_name(cm));
        buf_puts(b, "=\"");
        write_scalar(b, proto_member_shape(svc, cm), cm, cv);
        buf_putc(b, '"');
    }
}

void proto_xml_write_members(buf *b, const proto_service *svc, const proto_shape *sh,
                             const json_t *obj, int rest, int depth)
{
    if (!json_is_object(obj)) return;
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *cm = proto_shape_member(svc, sh, i);
        if (cm->flags & PM_XMLATTR) continue;
        if (rest && cm->location != PL_BODY) continue;
        const json_t *cv = json_object_get(obj, cm->name);
        if (!cv || json_is_null(cv)) continue;
        const proto_shape *cs = proto_member_shape(svc, cm);
        const char *name = proto_member_wire_name(cm);
        /* flattened list with a named member: that name replaces the list's */
        if (cs->type == PT_LIST && (cm->flags & PM_FLATTENED)) {
            const proto_member *lm = proto_shape_member(svc, cs, 0);
            if (lm->loc_name) name = lm->loc_name;
        }
        proto_xml_write(b, svc, cm, name, cv, NULL, rest, depth + 1);
    }
}

void proto_xml_write(buf *b, const proto_service *svc, const proto_member *m, const char *name,
                     const json_t *v, const char *xmlns, int rest, int depth)
{
    if (depth > PROTO_MAX_DEPTH) return;
    const proto_shape *sh = proto_member_shape(svc, m);
    if (sh->type == PT_LIST) {
        if (!json_is_array(v)) return;
        const proto_member *lm = proto_shape_member(svc, sh, 0);
        size_t i;
        const json_t *item;
        if (m->flags & PM_FLATTENED) {
            json_array_foreach(v, i, item)
                proto_xml_write(b, svc, lm, name, item, NULL, rest, depth + 1);
            return;
        }
        const char *iname = lm->loc_name ? lm->loc_name : "member";
        open_tag(b, name);
        buf_putc(b, '>');
        json_array_foreach(v, i, item)
            proto_xml_write(b, svc, lm, iname, item, NULL, rest, depth + 1);
        close_tag(b, name);
        return;
    }
    if (sh->type == PT_MAP) {
        if (!json_is_object(v)) return;
        const proto_member *km = proto_shape_member(svc, sh, 0),
                           *vm = proto_shape_member(svc, sh, 1);
        const char *kn = km->loc_name ? km->loc_name : "key",
                   *vn = vm->loc_name ? vm->loc_name : "value";
        int flat = (m->flags & PM_FLATTENED) != 0;
        if (!flat) {
            open_tag(b, name);
            buf_putc(b, '>');
        }
        const char *k;
        json_t *item;
        json_object_foreach((json_t *)v, k, item) {
            const char *en = flat ? name : "entry";
            open_tag(b, en);
            buf_putc(b, '>');
            open_tag(b, kn);
            buf_putc(b, '>');
            proto_xml_escape(b, k, strlen(k));
            close_tag(b, kn);
            proto_xml_write(b, svc, vm, vn, item, NULL, rest, depth + 1);
            close_tag(b, en);
        }
        if (!flat) close_tag(b, name);
        return;
    }
    open_tag(b, name);
    if (xmlns) {
        buf_puts(b, " xmlns=\"");
        proto_xml_escape(b, xmlns, strlen(xmlns));
        buf_putc(b, '"');
    }
    if (m->xmlns && m->xmlns_prefix) {
        buf_printf(b, " xmlns:%s=\"", m->xmlns_prefix);
        proto_xml_escape(b, m->xmlns, strlen(m->xmlns));
        buf_putc(b, '"');
    }
    if (sh->type == PT_STRUCTURE) {
        write_attrs(b, svc, sh, v);
        buf_putc(b, '>');
        proto_xml_write_members(b, svc, sh, v, 0, depth + 1);
    } else {
        buf_putc(b, '>');
        write_scalar(b, sh, m, v);
    }
    close_tag(b, name);
}

/* ---------- reader ---------- */

typedef struct pstate {
    arena *a;
    XML_Parser p;
    proto_xnode *root, *cur;
    int depth, failed, oom;
    buf text; /* pending character data of cur */
} pstate;

static const char *local_name(const char *n)
{
    const char *c = strrchr(n, ':');
    return c ? c + 1 : n;
}

static void flush_text(pstate *s)
{
    if (!s->cur || !s->text.len) return;
    /* mixed content: keep the concatenation of all character data */
    size_t n = s->cur->tlen + s->text.len;
    char *t = arena_alloc(s->a, n + 1);
    if (!t) {
        s->oom = 1;
        XML_StopParser(s->p, XML_FALSE);
        return;
    }
    if (s->cur->tlen) memcpy(t, s->cur->text, s->cur->tlen);
    memcpy(t + s->cur->tlen, s->text.p, s->text.len);
    t[n] = 0;
    s->cur->text = t;
    s->cur->tlen = n;
    buf_reset(&s->text);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    pstate *s = ud;
    flush_text(s);
    if (++s->depth > PROTO_MAX_DEPTH) {
        s->failed = 1;
        XML_StopParser(s->p, XML_FALSE);
        return;
    }
    proto_xnode *n = arena_alloc(s->a, sizeof(*n));
    if (!n) goto oom;
    n->name = arena_strdup(s->a, local_name(name));
    size_t na = 0;
    while (atts[na]) na++;
    n->attrs = arena_alloc(s->a, (na + 1) * sizeof(char *));
    if (!n->name || !n->attrs) goto oom;
    for (size_t i = 0; i < na; i++)
        if (!(n->attrs[i] = arena_strdup(s->a, atts[i]))) goto oom;
    n->text = "";
    n->parent = s->cur;
    if (s->cur) {
        if (s->cur->last)
            s->cur->last->next = n;
        else
            s->cur->child = n;
        s->cur->last = n;
    } else {
        s->root = n;
    }
    s->cur = n;
    return;
oom:
    s->oom = 1;
    XML_StopParser(s->p, XML_FALSE);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    (void)name;
    pstate *s = ud;
    flush_text(s);
    s->depth--;
    if (s->cur) s->cur = s->cur->parent;
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len)
{
    pstate *s = ud;
    if (s->cur && buf_put(&s->text, t, (size_t)len)) {
        s->failed = 1;
        XML_StopParser(s->p, XML_FALSE);
    }
}

/* DTDs enable entity expansion attacks; AWS rejects them too. */
static void XMLCALL on_doctype(void *ud, const XML_Char *n, const XML_Char *sys,
                               const XML_Char *pub, int internal)
{
    (void)n, (void)sys, (void)pub, (void)internal;
    pstate *s = ud;
    s->failed = 1;
    XML_StopParser(s->p, XML_FALSE);
}

proto_xnode *proto_xml_parse(arena *a, const char *body, size_t n, const char *code, ferr *e)
{
    if (n > (size_t)1 << 30) {
        ferr_set(e, 400, code,
                 "The XML you provided was not well-formed or did not validate against our "
                 "published schema");
        return NULL;
    }
    pstate s = {.a = a};
    buf_init(&s.text, 0);
    s.p = XML_ParserCreate("UTF-8");
    if (!s.p) {
        ferr_oom(e);
        return NULL;
    }
    XML_SetUserData(s.p, &s);
    XML_SetElementHandler(s.p, on_start, on_end);
    XML_SetCharacterDataHandler(s.p, on_text);
    XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
    enum XML_Status st = XML_Parse(s.p, body, (int)n, XML_TRUE);
    XML_ParserFree(s.p);
    buf_dispose(&s.text);
    if (s.oom) {
        ferr_oom(e);
        return NULL;
    }
    if (st != XML_STATUS_OK || s.failed || !s.root) {
        ferr_set(e, 400, code,
                 "The XML you provided was not well-formed or did not validate against our "
                 "published schema");
        return NULL;
    }
    return s.root;
}

static json_t *read_value(proto_vctx *v, const proto_service *svc, const proto_member *m,
                          const proto_xnode *el, int depth);

static const char *item_name(const proto_member *lm)
{
    return lm->loc_name ? lm->loc_name : "member";
}

static json_t *read_map_entry_into(proto_vctx *v, const proto_service *svc, const proto_shape *sh,
                                   json_t *obj, const proto_xnode *entry, int depth)
{
    const proto_member *km = proto_shape_member(svc, sh, 0), *vm = proto_shape_member(svc, sh, 1);
    const char *kn = km->loc_name ? km->loc_name : "key",
               *vn = vm->loc_name ? vm->loc_name : "value";
    const proto_xnode *kx = NULL, *vx = NULL;
    for (const proto_xnode *c = entry->child; c; c = c->next) {
        if (!kx && !strcmp(c->name, kn))
            kx = c;
        else if (!vx && !strcmp(c->name, vn))
            vx = c;
    }
    if (!kx) return obj;
    json_t *val = vx ? read_value(v, svc, vm, vx, depth + 1) : NULL;
    proto_vset(v, obj, kx->text, val);
    return obj;
}

static json_t *read_value(proto_vctx *v, const proto_service *svc, const proto_member *m,
                          const proto_xnode *el, int depth)
{
    if (depth > PROTO_MAX_DEPTH) return NULL;
    const proto_shape *sh = proto_member_shape(svc, m);
    switch (sh->type) {
    case PT_STRUCTURE: return proto_xml_read_struct(v, svc, sh, el, 0, depth + 1);
    case PT_LIST: { /* non-flattened: el holds the items */
        const proto_member *lm = proto_shape_member(svc, sh, 0);
        const char *in = item_name(lm);
        json_t *arr = json_array();
        size_t i = 0;
        for (const proto_xnode *c = el->child; c; c = c->next) {
            if (strcmp(c->name, in)) continue;
            size_t old = proto_path_index(v, ++i);
            json_t *x = read_value(v, svc, lm, c, depth + 1);
            proto_path_pop(v, old);
            proto_vappend(v, arr, x);
        }
        return arr;
    }
    case PT_MAP: {
        json_t *obj = json_object();
        for (const proto_xnode *c = el->child; c; c = c->next)
            if (!strcmp(c->name, "entry")) read_map_entry_into(v, svc, sh, obj, c, depth);
        return obj;
    }
    case PT_BLOB: {
        size_t outl;
        arena *tmp = arena_new(0);
        unsigned char *raw = tmp ? enc_unb64(tmp, el->text, el->tlen, &outl) : NULL;
        arena_free(tmp);
        if (!raw) {
            proto_verr_value(v, el->text, el->tlen, "Member must be valid base64");
            return NULL;
        }
        return json_stringn(el->text, el->tlen);
    }
    default: return proto_scalar_parse(v, sh, el->text, el->tlen);
    }
}

json_t *proto_xml_read_struct(proto_vctx *v, const proto_service *svc, const proto_shape *sh,
                              const proto_xnode *el, int rest, int depth)
{
    json_t *obj = json_object();
    if (!obj || depth > PROTO_MAX_DEPTH) return obj;
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *cm = proto_shape_member(svc, sh, i);
        if (rest && cm->location != PL_BODY) continue;
        const proto_shape *cs = proto_member_shape(svc, cm);
        const char *name = proto_member_wire_name(cm);
        size_t old = proto_path_member(v, cm->name);
        if (cm->flags & PM_XMLATTR) {
            for (size_t k = 0; el->attrs[k]; k += 2)
                if (!strcmp(el->attrs[k], name) ||
                    !strcmp(local_name(el->attrs[k]), local_name(name))) {
                    proto_vset(
                        v, obj, cm->name,
                        proto_scalar_parse(v, cs, el->attrs[k + 1], strlen(el->attrs[k + 1])));
                    break;
                }
        } else if ((cs->type == PT_LIST || cs->type == PT_MAP) && (cm->flags & PM_FLATTENED)) {
            json_t *coll = cs->type == PT_LIST ? json_array() : json_object();
            const proto_member *lm = proto_shape_member(svc, cs, 0);
            if (cs->type == PT_LIST && lm->loc_name) name = lm->loc_name;
            size_t n = 0;
            for (const proto_xnode *c = el->child; c; c = c->next) {
                if (strcmp(c->name, name)) continue;
                n++;
                if (cs->type == PT_LIST) {
                    size_t o2 = proto_path_index(v, n);
                    json_t *x = read_value(v, svc, lm, c, depth + 1);
                    proto_path_pop(v, o2);
                    proto_vappend(v, coll, x);
                } else {
                    read_map_entry_into(v, svc, cs, coll, c, depth);
                }
            }
            if (n)
                proto_vset(v, obj, cm->name, coll);
            else
                json_decref(coll);
        } else {
            for (const proto_xnode *c = el->child; c; c = c->next) {
                if (strcmp(c->name, name)) continue;
                proto_vset(v, obj, cm->name, read_value(v, svc, cm, c, depth + 1));
                break;
            }
        }
        proto_path_pop(v, old);
    }
    return obj;
}
