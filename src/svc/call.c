#include <stdlib.h>
#include <string.h>

#include "svc.h"

#include <stdio.h>

#include "base/enc.h"

void call_resource(call *c, const char *type, const char *name)
{
    if (!c->resources) {
        c->resources = json_array();
        if (!c->resources) return;
        arena_defer(c->a, (void (*)(void *))json_decref, c->resources);
    }
    json_array_append_new(c->resources,
                          json_pack("{s:s, s:s}", "ResourceType", type, "ResourceName", name));
}

const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

long long jint(const json_t *o, const char *key, long long dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int jbool(const json_t *o, const char *key, int dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

json_t *jset_str(json_t *o, const char *key, const char *v)
{
    if (v) json_object_set_new(o, key, json_string(v));
    return o;
}

store_key call_key(const call *c, const char *kind, const char *id)
{
    return (store_key){kind, c->account, c->region, id};
}

int svc_page(call *c, json_t *all, const char *token, long long max, json_t *out,
             const char *key, const char *token_key, const char *bad_token_code)
{
    size_t off = 0, n = json_array_size(all);
    if (token) {
        size_t len = 0;
        unsigned char *raw = enc_unb64(c->a, token, strlen(token), &len);
        char *end = NULL;
        unsigned long long v = raw && len > 5 && !memcmp(raw, "page:", 5)
                                   ? strtoull((char *)raw + 5, &end, 10)
                                   : 0;
        if (!end || *end || v > n)
            return ferr_set(c->err, 400, bad_token_code, "The NextToken value is invalid.");
        off = (size_t)v;
    }
    size_t lim = max > 0 ? (size_t)max : n;
    json_t *items = json_array();
    for (size_t i = off; i < n && i < off + lim; i++) json_array_append(items, json_array_get(all, i));
    json_object_set_new(out, key, items);
    if (off + lim < n) {
        char tok[32];
        snprintf(tok, sizeof(tok), "page:%zu", off + lim);
        json_object_set_new(out, token_key,
                            json_string(enc_b64(c->a, (unsigned char *)tok, strlen(tok))));
    }
    return 0;
}
