#include "yaml.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 128
/* Aliases make a document a graph: cap the nodes produced so a billion-laughs file fails. */
#define MAX_NODES 200000

static json_t *scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!strcmp(v, "true") || !strcmp(v, "True")) return json_true();
        if (!strcmp(v, "false") || !strcmp(v, "False")) return json_false();
        if (!strcmp(v, "null") || !strcmp(v, "~") || len == 0) return json_null();
        char *end;
        long long i = strtoll(v, &end, 10);
        if (*end == 0 && end != v) return json_integer(i);
        double d = strtod(v, &end);
        if (*end == 0 && end != v && strspn(v, "0123456789.-+eE") == len) return json_real(d);
    }
    return json_stringn(v, len);
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *n, int depth, long *budget, ferr *e)
{
    if (!n) return json_null();
    if (--*budget < 0) {
        ferr_set(e, 400, "ValidationError", "YAML document expands to more than %d nodes", MAX_NODES);
        return NULL;
    }
    if (depth > MAX_DEPTH) {
        ferr_set(e, 400, "ValidationError", "YAML nesting deeper than %d", MAX_DEPTH);
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE: return scalar(n);
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++) {
            json_t *v = convert(doc, yaml_document_get_node(doc, *it), depth + 1, budget, e);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            if (json_array_append_new(a, v)) {
                json_decref(a);
                ferr_oom(e);
                return NULL;
            }
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        json_t *o = json_object();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                ferr_set(e, 400, "ValidationError", "YAML mapping key at line %zu is not a scalar",
                         k ? k->start_mark.line + 1 : 0);
                json_decref(o);
                return NULL;
            }
            json_t *v = convert(doc, yaml_document_get_node(doc, p->value), depth + 1, budget, e);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            char *key = strndup((const char *)k->data.scalar.value, k->data.scalar.length);
            int rc = key ? json_object_set_new(o, key, v) : (json_decref(v), -1);
            free(key);
            if (rc) {
                json_decref(o);
                ferr_oom(e);
                return NULL;
            }
        }
        return o;
    }
    default: return json_null();
    }
}

json_t *yaml_to_json(const char *text, size_t len, ferr *e)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p)) {
        ferr_oom(e);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        ferr_set(e, 400, "ValidationError", "YAML not well-formed: %s at line %zu, column %zu",
                 p.problem ? p.problem : "syntax error", p.problem_mark.line + 1,
                 p.problem_mark.column + 1);
        yaml_parser_delete(&p);
        return NULL;
    }
    long budget = MAX_NODES;
    json_t *out = convert(&doc, yaml_document_get_root_node(&doc), 0, &budget, e);
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return out;
}
