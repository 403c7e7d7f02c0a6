#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/buf.h"
#include "base/enc.h"
#include "base/gencache.h"
#include "base/jdump.h"
#include "svc.h"

int call_park(call *c, const char *key, double wake_at)
{
    if (!c->wait) return ferr_internal(c->err, "%s cannot wait when called internally", c->op);
    c->wait->key = key ? arena_strdup(c->a, key) : NULL;
    if (!c->wait->key) return ferr_oom(c->err);
    c->wait->wake_at = wake_at;
    return SVC_WAIT;
}

int call_want_write(call *c)
{
    c->want_write = 1;
    return ferr_internal(c->err, "%s must write and runs in a read transaction", c->op);
}

json_t *svc_out(call *c, json_t *v)
{
    if (!v) c->oom = 1;
    return v;
}

/* s as a JSON string into b; -1 when s is not UTF-8 (or no memory) */
static int json_text(buf *b, const char *s)
{
    return jdump_string(b, s ? s : "", s ? strlen(s) : 0);
}

void call_resource(call *c, const char *type, const char *name)
{
    /* the trail's text of the list, written as it grows: a JSON array made and dumped for
     * each call was a few percent of a small request */
    buf b;
    buf_init(&b, 0);
    if (c->resources) /* without its closing ']' */
        buf_put(&b, c->resources, strlen(c->resources) - 1), buf_putc(&b, ',');
    else
        buf_putc(&b, '[');
    buf_puts(&b, "{\"ResourceType\":");
    int bad = json_text(&b, type);
    buf_puts(&b, ",\"ResourceName\":");
    bad |= json_text(&b, name);
    buf_puts(&b, "}]");
    const char *text = bad || b.failed ? NULL : arena_strdup(c->a, buf_str(&b));
    buf_dispose(&b);
    /* the names as the trail's filters take them: the text's strings, unparsed */
    size_t tl = strlen(type) + 1, nl = strlen(name) + 1, had = c->resource_names_len;
    char *names = text ? arena_alloc(c->a, had + tl + nl) : NULL;
    if (names) {
        if (had) memcpy(names, c->resource_names, had);
        memcpy(names + had, type, tl);
        memcpy(names + had + tl, name, nl);
        c->resource_names = names;
        c->resource_names_len = had + tl + nl;
        c->resources = text;
    } else {
        c->oom = 1; /* its audit record would be incomplete: svc_exec fails the call */
    }
}

store_key call_key(const call *c, const char *kind, const char *id)
{
    return (store_key){kind, c->account, c->region, id};
}

int call_doc_get(call *c, const char *kind, const char *id, json_t **doc)
{
    store_key k = call_key(c, kind, id);
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc == 1 && !arena_defer_json(c->a, d)) return ferr_oom(c->err);
    *doc = rc == 1 ? d : NULL;
    return rc;
}

void svc_doc_free(void *doc)
{
    json_decref(doc);
}

int svc_doc_shared(store_txn *t, arena *a, gencache *cache, const store_key *k, json_t **doc,
                   ferr *e)
{
    *doc = NULL;
    uint64_t gen = cache ? store_txn_generation(t, k->kind) : 0; /* before reading */
    const char *ck = gen ? arena_printf(a, "%s\x1f%s\x1f%s", k->account, k->region, k->id) : NULL;
    json_t *d = ck ? gencache_get(cache, ck, gen, a) : NULL; /* held until the arena ends */
    if (!d) {
        int rc = store_get(t, k, &d, e);
        if (rc != 1) return rc;
        /* the cache takes the document and the arena holds it; else the arena owns it */
        if ((!ck || gencache_put(cache, ck, gen, d, a)) && !arena_defer_json(a, d))
            return ferr_oom(e);
    }
    *doc = d;
    return 1;
}

int call_doc_shared(call *c, gencache *cache, const store_key *k, json_t **doc)
{
    return svc_doc_shared(c->txn, c->a, cache, k, doc, c->err);
}

int call_doc_put(call *c, const char *kind, const char *id, const json_t *doc)
{
    store_key k = call_key(c, kind, id);
    return store_put(c->txn, &k, doc, c->err);
}

const char *call_arn(call *c, const char *service, const char *resource)
{
    return arena_printf(c->a, "arn:%s:%s:%s:%s:%s", arn_partition(c->region), service, c->region,
                        c->account, resource);
}

const char *call_arn_rest(call *c, const char *service, const char *arn, const char *kind)
{
    const char *pre = arn ? call_arn(c, service, kind) : NULL;
    if (!pre) return NULL;
    size_t n = strlen(pre);
    if (strncmp(arn, pre, n) || arn[n] != '/' || !arn[n + 1]) return NULL;
    return arn + n + 1;
}

int call_authorize_op(call *c, const char *prefix, const char *arn)
{
    const char *action = arena_printf(c->a, "%s:%s", prefix, c->op);
    if (!action) return ferr_oom(c->err);
    return call_authorize(c, action, arn ? arn : "*");
}

typedef struct doc_list {
    json_t *all;
    int failed; /* an append ran out of memory (store_list only stops) */
} doc_list;

static int collect_doc(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    doc_list *l = ud;
    if (json_array_append(l->all, doc)) l->failed = 1;
    return l->failed;
}

json_t *call_doc_list(call *c, const char *kind, const char *prefix)
{
    return call_doc_list_in(c, kind, c->account, c->region, prefix);
}

json_t *call_doc_list_in(call *c, const char *kind, const char *account, const char *region,
                         const char *prefix)
{
    doc_list l = {arena_defer_json(c->a, json_array()), 0};
    if (!l.all) {
        ferr_oom(c->err);
        return NULL;
    }
    if (store_list(c->txn, kind, account, region, prefix, NULL, 0, collect_doc, &l, c->err) < 0)
        return NULL;
    if (l.failed) {
        ferr_oom(c->err);
        return NULL;
    }
    return l.all;
}

int svc_page(call *c, json_t *all, const char *token, long long max, json_t *out, const char *key,
             const char *token_key, const char *bad_token_code)
{
    size_t off = 0, n = json_array_size(all);
    if (token) {
        size_t len = 0;
        unsigned char *raw = enc_unb64(c->a, token, strlen(token), &len);
        char *end = NULL;
        unsigned long long v =
            raw && len > 5 && !memcmp(raw, "page:", 5) ? strtoull((char *)raw + 5, &end, 10) : 0;
        if (!end || *end || v > n)
            return ferr_set(c->err, 400, bad_token_code, "The NextToken value is invalid.");
        off = (size_t)v;
    }
    size_t lim = max > 0 ? (size_t)max : n;
    json_t *items = json_array();
    int rc = 0;
    for (size_t i = off; i < n && i < off + lim; i++)
        rc |= json_array_append(items, json_array_get(all, i));
    if (rc)
        json_decref(items);
    else
        rc = json_object_set_new(out, key, items);
    if (!rc && off + lim < n) {
        char tok[32];
        snprintf(tok, sizeof(tok), "page:%zu", off + lim);
        rc = json_object_set_new(out, token_key,
                                 json_string(enc_b64(c->a, (unsigned char *)tok, strlen(tok))));
    }
    return rc ? ferr_oom(c->err) : 0;
}

const char *call_source_ip(const call *c)
{
    return c->caller == CALLER_CLIENT && c->client.source_ip ? c->client.source_ip : "";
}

const char *call_user_agent(const call *c)
{
    return c->caller == CALLER_CLIENT ? c->client.user_agent : NULL;
}

int call_secure(const call *c)
{
    return c->caller == CALLER_CLIENT && c->client.secure;
}

const char *call_base_url(call *c)
{
    if (c->caller == CALLER_CLIENT && c->client.host && c->client.host[0])
        return arena_printf(c->a, "%s://%s", c->client.secure ? "https" : "http", c->client.host);
    return c->env->endpoint;
}

const char *svc_request_source_ip(const svc_request *r)
{
    return r->client.source_ip ? r->client.source_ip : "";
}

const char *svc_request_user_agent(const svc_request *r)
{
    return r->client.user_agent;
}

call svc_route_call(const svc_request *r, arena *a, ferry_env *env, const char *request_id,
                    const char *service, const char *op, const principal *who, const char *region,
                    ferr *e)
{
    return (call){.a = a,
                  .env = env,
                  .request_id = request_id,
                  .service = service,
                  .op = op,
                  .account = who->account,
                  .region = region,
                  .who = who,
                  .caller = CALLER_CLIENT,
                  .client = r->client,
                  .err = e};
}

call_client call_client_of(const call *c)
{
    return c->caller == CALLER_CLIENT ? c->client : (call_client){0};
}
