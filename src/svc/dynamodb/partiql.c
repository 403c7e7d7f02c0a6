/* PartiQL's basic statements (ExecuteStatement): SELECT, INSERT, UPDATE and DELETE on one
 * table, translated into the item operations they stand for. Identifiers become expression
 * attribute names, literals and ? parameters expression attribute values, so one expression
 * parser (expr.c) judges them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/enc.h"
#include "dynamodb_int.h"

int dynamodb_op_scan(call *c, json_t *in, json_t **out);
int dynamodb_op_put_item(call *c, json_t *in, json_t **out);
int dynamodb_op_update_item(call *c, json_t *in, json_t **out);
int dynamodb_op_delete_item(call *c, json_t *in, json_t **out);

enum { T_END, T_IDENT, T_STR, T_NUM, T_PARAM, T_PUNCT };

typedef struct pq {
    call *c;
    const char *p;
    int type;
    char *tok; /* the token's text (arena); identifiers unquoted, strings unescaped */
    const json_t *params;
    size_t nparam;
    json_t *names, *values; /* for the expressions */
    int nn, nv;
} pq;

static int bad(pq *q)
{
    return ddb_validation(q->c,
                          "Statement wasn't well formed, can't be processed: unexpected "
                          "token: %s",
                          q->type == T_END ? "<EOF>" : q->tok);
}

static int next(pq *q)
{
    while (isspace((unsigned char)*q->p)) q->p++;
    const char *s = q->p;
    buf b;
    buf_init(&b, 0);
    if (!*s) {
        q->type = T_END;
        q->tok = "";
        buf_dispose(&b);
        return 0;
    }
    if (*s == '"' || *s == '\'') {
        char quote = *s++;
        for (;;) {
            if (!*s) {
                buf_dispose(&b);
                q->type = T_END;
                return ddb_validation(q->c, "Statement wasn't well formed, can't be processed: "
                                            "unterminated quote");
            }
            if (*s == quote && s[1] == quote) {
                buf_putc(&b, quote);
                s += 2;
            } else if (*s == quote) {
                s++;
                break;
            } else {
                buf_putc(&b, *s++);
            }
        }
        q->type = quote == '"' ? T_IDENT : T_STR;
    } else if (isalpha((unsigned char)*s) || *s == '_') {
        while (isalnum((unsigned char)*s) || *s == '_') buf_putc(&b, *s++);
        q->type = T_IDENT;
    } else if (isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1]))) {
        buf_putc(&b, *s++);
        while (isalnum((unsigned char)*s) || *s == '.' ||
               ((*s == '+' || *s == '-') && (s[-1] == 'e' || s[-1] == 'E')))
            buf_putc(&b, *s++);
        q->type = T_NUM;
    } else if (*s == '?') {
        buf_putc(&b, *s++);
        q->type = T_PARAM;
    } else {
        const char *two[] = {"<>", "!=", "<=", ">=", "<<", ">>"};
        int n = 1;
        for (int i = 0; i < 6; i++)
            if (!strncmp(s, two[i], 2)) n = 2;
        buf_put(&b, s, (size_t)n);
        s += n;
        q->type = T_PUNCT;
    }
    q->p = s;
    q->tok = arena_strdup(q->c->a, buf_str(&b));
    buf_dispose(&b);
    return q->tok ? 0 : ferr_oom(q->c->err);
}

static int is(const pq *q, const char *t)
{
    return (q->type == T_PUNCT || q->type == T_IDENT) && !strcasecmp(q->tok, t) &&
           (q->type == T_PUNCT || isalpha((unsigned char)t[0]));
}

static int want(pq *q, const char *t)
{
    return is(q, t) ? next(q) : bad(q);
}

/* A literal, tuple, list, set or parameter: a new AttributeValue, NULL with c->err. */
static json_t *value(pq *q, int depth)
{
    json_t *v = NULL;
    if (depth > 32) return bad(q), NULL;
    if (q->type == T_STR) {
        v = json_pack("{s:s}", "S", q->tok);
    } else if (q->type == T_NUM) {
        v = json_pack("{s:s}", "N", q->tok);
    } else if (q->type == T_PARAM) {
        const json_t *p = json_array_get(q->params, q->nparam++);
        if (!p)
            return ddb_validation(q->c, "Number of parameters in request and statement don't "
                                        "match."),
                   NULL;
        v = json_deep_copy(p);
    } else if (is(q, "TRUE") || is(q, "FALSE")) {
        v = json_pack("{s:b}", "BOOL", is(q, "TRUE"));
    } else if (is(q, "NULL")) {
        v = json_pack("{s:b}", "NULL", 1);
    } else if (is(q, "{") || is(q, "[") || is(q, "<<")) {
        const char *close = is(q, "{") ? "}" : is(q, "[") ? "]" : ">>";
        json_t *members = close[0] == '}' ? json_object() : json_array();
        if (!members || next(q)) return json_decref(members), NULL;
        while (!is(q, close)) {
            if (json_is_object(members)) {
                if (q->type != T_STR && q->type != T_IDENT)
                    return json_decref(members), bad(q), NULL;
                char *k = q->tok;
                if (next(q) || want(q, ":")) return json_decref(members), NULL;
                json_t *x = value(q, depth + 1);
                if (!x || json_object_set_new(members, k, x)) return json_decref(members), NULL;
            } else {
                json_t *x = value(q, depth + 1);
                if (!x || json_array_append_new(members, x)) return json_decref(members), NULL;
            }
            if (!is(q, ",")) break;
            if (next(q)) return json_decref(members), NULL;
        }
        if (!is(q, close)) return json_decref(members), bad(q), NULL;
        if (close[0] == '>') { /* a set: strings or numbers, as its members are */
            const char *t = json_array_size(members) ? ddb_type(json_array_get(members, 0)) : "S";
            json_t *set = json_array(), *x;
            size_t i;
            json_array_foreach(members, i, x) {
                const char *xt = ddb_type(x);
                if (!xt || strcmp(xt, t) || (strcmp(t, "S") && strcmp(t, "N") && strcmp(t, "B")))
                    set = (json_decref(set), NULL);
                if (set && json_array_append(set, json_object_get(x, t)))
                    set = (json_decref(set), NULL);
            }
            json_decref(members);
            if (!set) return ddb_validation(q->c, "Unsupported set member type"), NULL;
            v = json_pack(t[0] == 'S'   ? "{s:o}"
                          : t[0] == 'N' ? "{s:o}"
                                        : "{s:o}",
                          t[0] == 'S'   ? "SS"
                          : t[0] == 'N' ? "NS"
                                        : "BS",
                          set);
        } else {
            v = json_pack("{s:o}", close[0] == '}' ? "M" : "L", members);
        }
    } else {
        return bad(q), NULL;
    }
    if (!v) return ferr_oom(q->c->err), NULL;
    if (next(q)) return json_decref(v), NULL;
    return v;
}

static int name_ref(pq *q, buf *out)
{
    char k[24];
    snprintf(k, sizeof(k), "#p%d", q->nn++);
    if (json_object_set_new(q->names, k, json_string(q->tok))) return ferr_oom(q->c->err);
    buf_puts(out, k);
    return next(q);
}

static int value_ref(pq *q, buf *out, json_t **v)
{
    char k[24];
    snprintf(k, sizeof(k), ":v%d", q->nv++);
    *v = value(q, 0);
    if (!*v || json_object_set_new(q->values, k, *v)) return *v ? ferr_oom(q->c->err) : -1;
    buf_puts(out, k);
    return 0;
}

/* A document path: name(.name | [n])*. */
static int path(pq *q, buf *out)
{
    if (q->type != T_IDENT) return bad(q);
    if (name_ref(q, out)) return -1;
    for (;;) {
        if (is(q, ".")) {
            buf_putc(out, '.');
            if (next(q) || q->type != T_IDENT || name_ref(q, out))
                return q->type != T_IDENT ? bad(q) : -1;
        } else if (is(q, "[")) {
            if (next(q) || q->type != T_NUM) return bad(q);
            buf_printf(out, "[%s]", q->tok);
            if (next(q) || want(q, "]")) return -1;
        } else {
            return 0;
        }
    }
}

/* A WHERE clause, translated into a condition expression; the equalities of the form
 * `name = value` at its top level are collected in keys (the statement's key). */
static int cond(pq *q, buf *out, json_t *keys)
{
    int depth = 0, top_or = 0;
    while (q->type != T_END) {
        if (q->type == T_IDENT && *q->p == '(') { /* a function */
            buf_puts(out, q->tok);
            if (next(q)) return -1;
            continue;
        }
        if (q->type == T_IDENT && !is(q, "AND") && !is(q, "OR") && !is(q, "NOT") &&
            !is(q, "BETWEEN") && !is(q, "IN") && !is(q, "TRUE") && !is(q, "FALSE") &&
            !is(q, "NULL")) {
            const char *name = q->tok;
            int simple = 1;
            size_t at = out->len;
            if (path(q, out)) return -1;
            simple = !strchr(buf_str(out) + at, '.') && !strchr(buf_str(out) + at, '[');
            if (is(q, "=") && simple && !depth) {
                buf_puts(out, " = ");
                json_t *v;
                if (next(q) || value_ref(q, out, &v)) return -1;
                if (json_object_set(keys, name, v)) return ferr_oom(q->c->err);
            }
            buf_putc(out, ' ');
            continue;
        }
        if (q->type == T_STR || q->type == T_NUM || q->type == T_PARAM || is(q, "TRUE") ||
            is(q, "FALSE") || is(q, "NULL") || is(q, "{") || is(q, "<<")) {
            json_t *v;
            if (value_ref(q, out, &v)) return -1;
            buf_putc(out, ' ');
            continue;
        }
        if (is(q, "IN")) { /* IN [a, b] is IN (a, b) */
            buf_puts(out, "IN ");
            if (next(q)) return -1;
            if (!is(q, "[") && !is(q, "(")) return bad(q);
            buf_putc(out, '(');
            if (next(q)) return -1;
            while (!is(q, "]") && !is(q, ")")) {
                json_t *v;
                if (value_ref(q, out, &v)) return -1;
                if (!is(q, ",")) break;
                buf_puts(out, ", ");
                if (next(q)) return -1;
            }
            if (!is(q, "]") && !is(q, ")")) return bad(q);
            buf_puts(out, ") ");
            if (next(q)) return -1;
            continue;
        }
        if (is(q, "(")) depth++;
        if (is(q, ")")) depth--;
        if (is(q, "OR") && !depth) top_or = 1;
        buf_puts(out, is(q, "!=") ? "<>" : q->tok);
        buf_putc(out, ' ');
        if (next(q)) return -1;
    }
    if (top_or) json_object_clear(keys); /* no key stands when either side may hold */
    return out->failed ? ferr_oom(q->c->err) : 0;
}

/* FROM/INTO target: "table" or "table"."index". */
static int target(pq *q, json_t *in)
{
    if (q->type != T_IDENT) return bad(q);
    if (jset_str(in, "TableName", q->tok)) return ferr_oom(q->c->err);
    if (next(q)) return -1;
    if (is(q, ".")) {
        if (next(q) || q->type != T_IDENT) return bad(q);
        if (jset_str(in, "IndexName", q->tok)) return ferr_oom(q->c->err);
        return next(q);
    }
    return 0;
}

static int set_exprs(pq *q, json_t *in)
{
    if ((json_object_size(q->names) && json_object_set(in, "ExpressionAttributeNames", q->names)) ||
        (json_object_size(q->values) &&
         json_object_set(in, "ExpressionAttributeValues", q->values)))
        return ferr_oom(q->c->err);
    return 0;
}

/* The table's key from the WHERE's equalities: 0, or -1 when one is missing. */
static int key_from(call *c, json_t *in, const json_t *eqs)
{
    ddb_table t;
    if (ddb_table_read(c, jstr(in, "TableName"), NULL, &t)) return -1;
    json_t *key = json_object();
    if (!key || json_object_set_new(in, "Key", key)) return ferr_oom(c->err);
    const char *names[] = {t.hash, t.range};
    for (int i = 0; i < 2; i++) {
        if (!names[i]) continue;
        json_t *v = json_object_get(eqs, names[i]);
        if (!v)
            return ddb_validation(c, "Where clause does not contain a mandatory equality on all "
                                     "key attributes");
        if (json_object_set(key, names[i], v)) return ferr_oom(c->err);
    }
    return 0;
}

static int next_token_in(call *c, json_t *in, const char *token)
{
    size_t n;
    unsigned char *raw = enc_unb64(c->a, token, strlen(token), &n);
    json_t *esk = raw ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
    if (!json_is_object(esk)) {
        json_decref(esk);
        return ddb_validation(c, "Invalid NextToken");
    }
    return json_object_set_new(in, "ExclusiveStartKey", esk) ? ferr_oom(c->err) : 0;
}

/* SET/REMOVE clauses of an UPDATE, into e. */
static int update_clauses(pq *q, buf *e)
{
    buf set, rem;
    buf_init(&set, 0);
    buf_init(&rem, 0);
    int rc = -1;
    while (is(q, "SET") || is(q, "REMOVE")) {
        int s = is(q, "SET");
        buf *b = s ? &set : &rem;
        if (next(q)) goto out;
        for (;;) {
            if (b->len) buf_puts(b, ", ");
            if (path(q, b)) goto out;
            if (s) {
                json_t *v;
                buf_puts(b, " = ");
                if (want(q, "=") || value_ref(q, b, &v)) goto out;
            }
            if (!is(q, ",")) break;
            if (next(q)) goto out;
        }
    }
    if (!set.len && !rem.len) {
        bad(q);
        goto out;
    }
    buf_printf(e, "%s%s%s%s%s", set.len ? "SET " : "", buf_str(&set), set.len && rem.len ? " " : "",
               rem.len ? "REMOVE " : "", buf_str(&rem));
    rc = e->failed ? ferr_oom(q->c->err) : 0;
out:
    buf_dispose(&set);
    buf_dispose(&rem);
    return rc;
}

int ddb_partiql_translate(call *c, const char *stmt, const json_t *params, json_t **req)
{
    pq q = {.c = c, .p = stmt, .params = params};
    json_t *in = json_object(), *eqs = json_object();
    q.names = json_object();
    q.values = json_object();
    buf e;
    buf_init(&e, 0);
    int rc = -1;
    *req = NULL;
    if (!in || !eqs || !q.names || !q.values || json_object_set(in, "Keys", eqs)) goto oom;
    if (next(&q)) goto out;
    const char *verb = is(&q, "SELECT")   ? "SELECT"
                       : is(&q, "INSERT") ? "INSERT"
                       : is(&q, "UPDATE") ? "UPDATE"
                       : is(&q, "DELETE") ? "DELETE"
                                          : NULL;
    if (!verb) {
        bad(&q);
        goto out;
    }
    if (jset_str(in, "Verb", verb) || next(&q)) goto out;
    if (!strcmp(verb, "SELECT")) {
        if (is(&q, "*")) {
            if (next(&q)) goto out;
        } else {
            for (;;) {
                if (path(&q, &e)) goto out;
                if (!is(&q, ",")) break;
                buf_puts(&e, ", ");
                if (next(&q)) goto out;
            }
            if (jset_str(in, "ProjectionExpression", buf_str(&e))) goto oom;
            buf_reset(&e);
        }
        if (want(&q, "FROM") || target(&q, in)) goto out;
    } else if (!strcmp(verb, "INSERT")) {
        if (want(&q, "INTO") || target(&q, in) || want(&q, "VALUE")) goto out;
        json_t *item = value(&q, 0);
        if (!item) goto out;
        int ok =
            json_object_get(item, "M") && !json_object_set(in, "Item", json_object_get(item, "M"));
        json_decref(item);
        if (!ok) {
            bad(&q);
            goto out;
        }
    } else {
        if ((!strcmp(verb, "DELETE") && want(&q, "FROM")) || target(&q, in)) goto out;
        if (!strcmp(verb, "UPDATE")) {
            if (update_clauses(&q, &e) || jset_str(in, "UpdateExpression", buf_str(&e))) goto out;
            buf_reset(&e);
        }
        if (!is(&q, "WHERE")) {
            bad(&q);
            goto out;
        }
    }
    if (is(&q, "WHERE")) {
        if (next(&q) || cond(&q, &e, eqs)) goto out;
        if (jset_str(in, "Where", buf_str(&e))) goto oom;
    }
    if (q.type != T_END) {
        bad(&q);
        goto out;
    }
    if (set_exprs(&q, in)) goto out;
    *req = in;
    in = NULL;
    rc = 0;
    goto out;
oom:
    ferr_oom(c->err);
out:
    buf_dispose(&e);
    json_decref(in);
    json_decref(eqs);
    json_decref(q.names);
    json_decref(q.values);
    return rc;
}

/* SELECT: a Scan, its LastEvaluatedKey handed out as NextToken. */
static int run_select(call *c, json_t *in, json_t *opts, json_t **out)
{
    json_t *lim = json_object_get(opts, "Limit"), *o = NULL;
    if (jstr(in, "Where") && json_object_set(in, "FilterExpression", json_object_get(in, "Where")))
        return ferr_oom(c->err);
    if (lim && json_object_set(in, "Limit", lim)) return ferr_oom(c->err);
    if (jstr(opts, "NextToken") && next_token_in(c, in, jstr(opts, "NextToken"))) return -1;
    if (dynamodb_op_scan(c, in, &o)) return -1;
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    json_t *res = json_pack("{s:O}", "Items", json_object_get(o, "Items"));
    json_t *lek = json_object_get(o, "LastEvaluatedKey");
    if (res && lek) {
        char *text = json_dumps(lek, JSON_COMPACT);
        char *tok = text ? enc_b64(c->a, (unsigned char *)text, strlen(text)) : NULL;
        free(text);
        if (!tok || json_object_set_new(res, "NextToken", json_string(tok))) {
            json_decref(res);
            res = NULL;
        }
    }
    *out = svc_out(c, res);
    return 0;
}

int ddb_partiql(call *c, const char *stmt, const json_t *params, json_t *opts, json_t **out)
{
    json_t *in, *o = NULL;
    if (ddb_partiql_translate(c, stmt, params, &in)) return -1;
    if (!arena_defer_json(c->a, in)) return ferr_oom(c->err);
    const char *verb = arena_strdup(c->a, jstr(in, "Verb"));
    json_t *eqs = json_incref(json_object_get(in, "Keys"));
    if (!verb || !arena_defer_json(c->a, eqs)) return ferr_oom(c->err);
    json_object_del(in, "Verb");
    json_object_del(in, "Keys");
    if (!strcmp(verb, "SELECT")) return run_select(c, in, opts, out);
    int rc;
    if (!strcmp(verb, "INSERT")) {
        ddb_table t;
        if (ddb_table_read(c, jstr(in, "TableName"), NULL, &t)) return -1;
        if (json_object_set_new(in, "ConditionExpression",
                                json_string("attribute_not_exists(#k)")) ||
            json_object_set_new(in, "ExpressionAttributeNames", json_pack("{s:s}", "#k", t.hash)))
            return ferr_oom(c->err);
        rc = dynamodb_op_put_item(c, in, &o);
        if (rc && !strcmp(c->err->code, "ConditionalCheckFailedException"))
            return ferr_set(c->err, 400, "DuplicateItemException",
                            "Duplicate primary key exists in table");
    } else {
        if (key_from(c, in, eqs)) return -1;
        if (!strcmp(verb, "UPDATE")) {
            /* an UPDATE changes only an item that is there (and matches) */
            if (json_object_set(in, "ConditionExpression", json_object_get(in, "Where")))
                return ferr_oom(c->err);
            json_object_del(in, "Where");
            rc = dynamodb_op_update_item(c, in, &o);
        } else { /* a DELETE by key is done whether the item is there or not */
            json_object_del(in, "Where");
            json_object_del(in, "ExpressionAttributeNames");
            json_object_del(in, "ExpressionAttributeValues");
            rc = dynamodb_op_delete_item(c, in, &o);
        }
    }
    json_decref(o);
    if (rc) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int dynamodb_op_execute_statement(call *c, json_t *in, json_t **out)
{
    return ddb_partiql(c, jstr(in, "Statement"), json_object_get(in, "Parameters"), in, out);
}
