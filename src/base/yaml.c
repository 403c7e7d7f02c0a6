#include "yaml.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 128
/* Aliases make a document a graph: cap the nodes produced so a billion-laughs file fails. */
#define MAX_NODES 200000

typedef struct conv {
    yaml_document_t *doc;
    unsigned opts;
    long budget;     /* nodes left */
    long long bytes; /* text bytes left (YAML_MAX_BYTES) */
    ferr *e;
} conv;

static int is_one_of(const char *v, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(v, *words)) return 1;
    return 0;
}

static size_t span(const char *s, size_t len, const char *set)
{
    size_t i = 0;
    while (i < len && strchr(set, s[i])) i++;
    return i;
}

/* YAML 1.2 core float: [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static int is_float(const char *v, size_t len)
{
    size_t i = span(v, len > 0 ? 1 : 0, "-+"), d = span(v + i, len - i, "0123456789");
    i += d;
    if (i < len && v[i] == '.') {
        size_t f = span(v + i + 1, len - i - 1, "0123456789");
        if (!d && !f) return 0;
        i += 1 + f;
    } else if (!d) {
        return 0;
    }
    if (i < len && (v[i] == 'e' || v[i] == 'E')) {
        i++;
        i += span(v + i, len - i > 0 ? 1 : 0, "-+");
        size_t x = span(v + i, len - i, "0123456789");
        if (!x) return 0;
        i += x;
    }
    return i == len;
}

json_t *yaml_plain_scalar(const char *v, size_t len)
{
    static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (!len || is_one_of(v, nulls)) return json_null();
    if (is_one_of(v, trues)) return json_true();
    if (is_one_of(v, falses)) return json_false();
    /* a NUL inside is text (the converter refuses one before calling this) */
    if (strlen(v) != len) return json_stringn(v, len);
    size_t sign = v[0] == '-' || v[0] == '+';
    const char *digits = v + sign;
    size_t nd = span(digits, len - sign, "0123456789");
    /* the leading zero kept as text (see yaml.h): an integer part "0" followed by more */
    if (nd > 1 && digits[0] == '0') return json_stringn(v, len);
    char *end;
    errno = 0;
    if (!sign && len > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o')) {
        const char *set = v[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567";
        if (span(v + 2, len - 2, set) == len - 2) {
            unsigned long long u = strtoull(v + 2, &end, v[1] == 'x' ? 16 : 8);
            if (!errno && u <= (unsigned long long)LLONG_MAX) return json_integer((json_int_t)u);
        }
        return json_stringn(v, len);
    }
    if (nd && nd == len - sign) {
        long long i = strtoll(v, &end, 10);
        return errno ? json_stringn(v, len) : json_integer(i);
    }
    if (is_float(v, len)) {
        double d = strtod(v, &end);
        return errno ? json_stringn(v, len) : json_real(d);
    }
    return json_stringn(v, len);
}

static int fail(conv *c, const yaml_mark_t *m, const char *what)
{
    if (c->opts & YAML_CFN)
        /* AWS: "Template format error: YAML not well-formed. (line 3, column 9)" */
        return ferr_validation(c->e,
                               "Template format error: YAML not well-formed. (line %zu, "
                               "column %zu)",
                               m->line + 1, m->column + 1);
    return ferr_validation(c->e, "YAML not well-formed: %s (line %zu, column %zu)", what,
                           m->line + 1, m->column + 1);
}

static json_t *oom(conv *c, json_t *drop)
{
    json_decref(drop);
    ferr_oom(c->e);
    return NULL;
}

static json_t *convert(conv *c, yaml_node_t *n, int depth, int skip_tag);

/* Charges len bytes of text (a scalar or a key, each copy an alias makes counts again).
 * -1 with e once the document expands past YAML_MAX_BYTES. */
static int charge(conv *c, size_t len)
{
    c->bytes -= (long long)len;
    if (c->bytes >= 0) return 0;
    return ferr_validation(c->e, "%sYAML document expands to more than %d bytes",
                           c->opts & YAML_CFN ? "Template format error: " : "", YAML_MAX_BYTES);
}

/* charge, and refuse a scalar or key holding a NUL (a "\0" escape): every C string it
 * reaches would be cut there, a queue "bad\0name" created as "bad". */
static int take_text(conv *c, const yaml_node_t *n)
{
    if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
        return ferr_validation(c->e,
                               "%sa YAML scalar contains a null character (line %zu, "
                               "column %zu)",
                               c->opts & YAML_CFN ? "Template format error: " : "",
                               n->start_mark.line + 1, n->start_mark.column + 1);
    return charge(c, n->data.scalar.length);
}

/* A CloudFormation short form: the node converted as if untagged, wrapped. */
static json_t *short_form(conv *c, yaml_node_t *n, const char *tag, int depth)
{
    const char *name = tag + 1; /* "!Ref" -> "Ref" */
    if (charge(c, strlen(name)) || (n->type == YAML_SCALAR_NODE && take_text(c, n))) return NULL;
    json_t *v = n->type == YAML_SCALAR_NODE
                    ? json_stringn((const char *)n->data.scalar.value, n->data.scalar.length)
                    : convert(c, n, depth, 1);
    if (!v) return ferr_isset(c->e) ? NULL : oom(c, NULL);
    if (!strcmp(name, "Ref") || !strcmp(name, "Condition")) {
        json_t *o = json_pack("{s:o}", name, v);
        return o ? o : oom(c, NULL);
    }
    if (!strcmp(name, "GetAtt") && json_is_string(v)) {
        /* "A.B.C" -> ["A", "B.C"]: the attribute name may itself contain dots */
        const char *s = json_string_value(v), *dot = strchr(s, '.');
        json_t *arr = dot ? json_pack("[s#s]", s, (int)(dot - s), dot + 1) : json_pack("[O]", v);
        json_decref(v);
        json_t *o = arr ? json_pack("{s:o}", "Fn::GetAtt", arr) : NULL;
        return o ? o : oom(c, NULL);
    }
    char key[96];
    snprintf(key, sizeof(key), "Fn::%.80s", name);
    json_t *o = json_pack("{s:o}", key, v);
    return o ? o : oom(c, NULL);
}

static json_t *convert(conv *c, yaml_node_t *n, int depth, int skip_tag)
{
    if (!n) return json_null();
    if (--c->budget < 0) {
        ferr_validation(c->e, "%sYAML document expands to more than %d nodes",
                        c->opts & YAML_CFN ? "Template format error: " : "", MAX_NODES);
        return NULL;
    }
    if (depth > MAX_DEPTH) {
        ferr_validation(c->e, "%sYAML nesting deeper than %d",
                        c->opts & YAML_CFN ? "Template format error: " : "", MAX_DEPTH);
        return NULL;
    }
    const char *tag = (const char *)n->tag;
    if (!skip_tag && (c->opts & YAML_CFN) && tag && tag[0] == '!' && tag[1] &&
        strncmp(tag, "tag:yaml.org,2002:", 18))
        return short_form(c, n, tag, depth);
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        const char *v = (const char *)n->data.scalar.value;
        size_t len = n->data.scalar.length;
        if (take_text(c, n)) return NULL;
        /* libyaml gives untagged plain scalars the str tag too, so "!!str 1" cannot be told
         * from "1": quote a value to keep it text */
        json_t *s = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? yaml_plain_scalar(v, len)
                                                                    : json_stringn(v, len);
        return s ? s : oom(c, NULL);
    }
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        if (!a) return oom(c, NULL);
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            json_t *v = convert(c, yaml_document_get_node(c->doc, *it), depth + 1, 0);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            if (json_array_append_new(a, v)) return oom(c, a);
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        json_t *o = json_object();
        if (!o) return oom(c, NULL);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                fail(c, k ? &k->start_mark : &n->start_mark, "a mapping key is not a scalar");
                json_decref(o);
                return NULL;
            }
            if (take_text(c, k)) {
                json_decref(o);
                return NULL;
            }
            json_t *v = convert(c, yaml_document_get_node(c->doc, p->value), depth + 1, 0);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            if (json_object_setn_new(o, (const char *)k->data.scalar.value, k->data.scalar.length,
                                     v))
                return oom(c, o);
        }
        return o;
    }
    default: return json_null();
    }
}

json_t *yaml_to_json_opts(const char *text, size_t len, unsigned opts, ferr *e)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p)) {
        ferr_oom(e);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    conv c = {&doc, opts, MAX_NODES, YAML_MAX_BYTES, e};
    if (!yaml_parser_load(&p, &doc)) {
        fail(&c, &p.problem_mark, p.problem ? p.problem : "syntax error");
        yaml_parser_delete(&p);
        return NULL;
    }
    json_t *out = convert(&c, yaml_document_get_root_node(&doc), 0, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return out;
}

json_t *yaml_to_json(const char *text, size_t len, ferr *e)
{
    return yaml_to_json_opts(text, len, 0, e);
}
