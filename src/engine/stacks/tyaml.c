/* CloudFormation's YAML: libyaml's document API like base/yaml.c, plus the short-form tags.
 * AWS: "!Ref X" is {"Ref": "X"}, "!GetAtt A.B" is {"Fn::GetAtt": ["A", "B"]}, "!Condition X"
 * is {"Condition": "X"}, and every other "!Name v" is {"Fn::Name": v}. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "template.h"

#define MAX_DEPTH 128
#define MAX_NODES 200000

static json_t *scalar(const yaml_node_t *n, int tagged)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (!tagged && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE")) return json_true();
        if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE")) return json_false();
        if (!strcmp(v, "null") || !strcmp(v, "~") || !strcmp(v, "Null") || len == 0)
            return json_null();
        char *end;
        /* leading zeros ("0123") stay strings: account ids and the like */
        if (!(len > 1 && v[0] == '0' && v[1] != '.')) {
            long long i = strtoll(v, &end, 10);
            if (*end == 0 && end != v && strspn(v, "0123456789-+") == len) return json_integer(i);
            double d = strtod(v, &end);
            if (*end == 0 && end != v && strspn(v, "0123456789.-+eE") == len) return json_real(d);
        }
    }
    return json_stringn(v, len);
}

static int is_std_tag(const char *t)
{
    return !t || !strncmp(t, "tag:yaml.org,2002:", 18);
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *n, int depth, long *budget, ferr *e);

static json_t *tagged(yaml_document_t *doc, yaml_node_t *n, const char *tag, int depth,
                      long *budget, ferr *e)
{
    const char *name = tag + 1; /* "!Ref" -> "Ref" */
    json_t *v;
    if (n->type == YAML_SCALAR_NODE) v = scalar(n, 1);
    else {
        /* convert without re-reading our own tag */
        yaml_char_t *saved = n->tag;
        n->tag = NULL;
        v = convert(doc, n, depth, budget, e);
        n->tag = saved;
        if (!v) return NULL;
    }
    if (!strcmp(name, "Ref") || !strcmp(name, "Condition")) return json_pack("{s:o}", name, v);
    if (!strcmp(name, "GetAtt") && json_is_string(v)) {
        /* "A.B.C" -> ["A", "B.C"]: the attribute name may itself contain dots */
        const char *s = json_string_value(v), *dot = strchr(s, '.');
        json_t *arr = dot ? json_pack("[s#s]", s, (int)(dot - s), dot + 1) : json_pack("[O]", v);
        json_decref(v);
        return json_pack("{s:o}", "Fn::GetAtt", arr);
    }
    char key[96];
    snprintf(key, sizeof(key), "Fn::%.80s", name);
    return json_pack("{s:o}", key, v);
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *n, int depth, long *budget, ferr *e)
{
    if (!n) return json_null();
    if (--*budget < 0) {
        ferr_validation(e, "Template format error: YAML document expands to more than %d nodes",
                        MAX_NODES);
        return NULL;
    }
    if (depth > MAX_DEPTH) {
        ferr_validation(e, "Template format error: YAML nesting deeper than %d", MAX_DEPTH);
        return NULL;
    }
    const char *tag = (const char *)n->tag;
    if (tag && tag[0] == '!' && tag[1] && !is_std_tag(tag))
        return tagged(doc, n, tag, depth, budget, e);
    switch (n->type) {
    case YAML_SCALAR_NODE:
        /* libyaml gives untagged plain scalars the str tag too, so "!!str 1" cannot be told
         * from "1": quote a value to keep it text */
        return scalar(n, 0);
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++) {
            json_t *v = convert(doc, yaml_document_get_node(doc, *it), depth + 1, budget, e);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        json_t *o = json_object();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) {
                ferr_validation(e,
                                "Template format error: YAML not well-formed. (line %zu, column %zu)",
                                k ? k->start_mark.line + 1 : 0, k ? k->start_mark.column + 1 : 0);
                json_decref(o);
                return NULL;
            }
            json_t *v = convert(doc, yaml_document_get_node(doc, p->value), depth + 1, budget, e);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            char *key = strndup((const char *)k->data.scalar.value, k->data.scalar.length);
            if (!key) {
                json_decref(v);
                json_decref(o);
                ferr_oom(e);
                return NULL;
            }
            json_object_set_new(o, key, v);
            free(key);
        }
        return o;
    }
    default: return json_null();
    }
}

static json_t *parse_yaml(const char *text, size_t len, ferr *e)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p)) {
        ferr_oom(e);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        /* AWS: "Template format error: YAML not well-formed. (line 3, column 9)" */
        ferr_validation(e, "Template format error: YAML not well-formed. (line %zu, column %zu)",
                        p.problem_mark.line + 1, p.problem_mark.column + 1);
        yaml_parser_delete(&p);
        return NULL;
    }
    long budget = MAX_NODES;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    json_t *out = root ? convert(&doc, root, 0, &budget, e) : NULL;
    if (!root) ferr_validation(e, "Template format error: the template is empty");
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return out;
}

json_t *cfn_template_parse(const char *body, size_t len, ferr *e)
{
    if (!body || !len) {
        ferr_validation(e, "Template format error: the template is empty");
        return NULL;
    }
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i])) i++;
    json_t *t;
    if (i < len && body[i] == '{') {
        json_error_t je;
        t = json_loadb(body, len, JSON_DECODE_ANY, &je);
        if (!t) {
            ferr_validation(e, "Template format error: JSON not well-formed. (line %d, column %d)",
                            je.line, je.column);
            return NULL;
        }
    } else {
        t = parse_yaml(body, len, e);
        if (!t) return NULL;
    }
    if (!json_is_object(t)) {
        json_decref(t);
        ferr_validation(e, "Template format error: not a valid template: the template must be "
                           "a JSON object or a YAML mapping");
        return NULL;
    }
    return t;
}
