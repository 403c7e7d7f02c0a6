/* Publish's view of a topic's subscriptions: the confirmed ones it can deliver to, with
 * their filter policies compiled, kept between publishes, and the topic documents. They
 * hold while the store's generations of subscriptions and topics are unchanged; Publish
 * runs in a write transaction, where those match what is committed. */
#include <stdlib.h>
#include <string.h>

#include "base/gencache.h"
#include "engine/delivery.h" /* SNS_KIND_SUB */
#include "filter.h"
#include "sns_int.h"

struct sns_subs {
    sns_sub_entry *v;
    size_t n;
};

static void subs_free(void *p)
{
    sns_subs *s = p;
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].arn);
        free(s->v[i].endpoint);
        sns_filter_free(s->v[i].filter);
    }
    free(s->v);
    free(s);
}

static gencache_static subs_cache = GENCACHE_STATIC(4096, subs_free);
static gencache_static topic_cache = SVC_DOC_CACHE(4096);

void sns_subs_changed(void)
{
    gencache_clear(gencache_of(&subs_cache));
    gencache_clear(gencache_of(&topic_cache));
}

/* The generation of subscriptions and topics; 0 when c's transaction wrote some itself. */
static uint64_t subs_gen(const call *c)
{
    if (!store_txn_is_write(c->txn) || store_txn_touched(c->txn, SNS_KIND_SUB) ||
        store_txn_touched(c->txn, SNS_KIND_TOPIC))
        return 0;
    return 1 + store_generation(c->env->st, SNS_KIND_SUB) +
           store_generation(c->env->st, SNS_KIND_TOPIC);
}

const sns_sub_entry *sns_subs_items(const sns_subs *s, size_t *n)
{
    *n = s->n;
    return s->v;
}

typedef struct fill {
    sns_subs *s;
    size_t cap;
    int oom;
} fill;

static int fill_cb(void *ud, json_t *sub)
{
    fill *f = ud;
    if (!json_is_true(json_object_get(sub, "Confirmed"))) return 0;
    const char *proto = jstr(sub, "Protocol");
    /* ferry delivers to SQS, HTTP/S and Lambda, records what push and SMS subscriptions
     * would get (nothing is sent); email and Firehose subscriptions are kept but nothing
     * is sent to them */
    int kind = !strcmp(proto, "sqs")           ? 0
               : !strcmp(proto, "lambda")      ? 1
               : !strcmp(proto, "http")        ? 2
               : !strcmp(proto, "https")       ? 3
               : !strcmp(proto, "application") ? 4
               : !strcmp(proto, "sms")         ? 5
                                               : -1;
    if (kind < 0) return 0;
    if (kind == 1 && !svc_find("lambda"))
        return 0; /* recorded; delivered once ferry runs functions */
    if (f->s->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        sns_sub_entry *v = realloc(f->s->v, cap * sizeof(*v));
        if (!v) {
            f->oom = 1;
            return 1;
        }
        f->s->v = v;
        f->cap = cap;
    }
    sns_sub_entry *e = &f->s->v[f->s->n];
    memset(e, 0, sizeof(*e));
    e->arn = strdup(jstr(sub, "SubscriptionArn"));
    e->endpoint = kind >= 4 ? strdup(jstr(sub, "Endpoint")) : NULL;
    if (!e->arn || (kind >= 4 && !e->endpoint)) {
        free(e->arn);
        free(e->endpoint);
        f->oom = 1;
        return 1;
    }
    static const char *const protos[] = {"sqs", "lambda", "http", "https", "application", "sms"};
    e->proto = protos[kind];
    json_t *attrs = json_object_get(sub, "Attributes");
    const char *fp = jstr(attrs, "FilterPolicy");
    if (fp && *fp) {
        const char *scope = jstr(attrs, "FilterPolicyScope");
        int sc = scope && !strcmp(scope, "MessageBody") ? SNS_SCOPE_BODY : SNS_SCOPE_ATTRIBUTES;
        ferr fe = {0};
        e->filter = sns_filter_parse(fp, strlen(fp), sc, "", &fe);
        e->broken = !e->filter; /* a stored policy that no longer parses matches nothing */
    }
    f->s->n++;
    return 0;
}

sns_subs *sns_subs_get(call *c, const sns_arn *topic)
{
    char key[320];
    snprintf(key, sizeof(key), "%s/%s/%s", topic->account, topic->region, topic->topic);
    gencache *gc = gencache_of(&subs_cache);
    uint64_t gen = subs_gen(c);
    sns_subs *s = gen ? gencache_get(gc, key, gen, c->a) : NULL;
    if (s) return s;
    s = calloc(1, sizeof(*s));
    if (!s) return ferr_oom(c->err), NULL;
    fill f = {s, 0, 0};
    if (sns_each_sub(c, topic, fill_cb, &f) || f.oom) {
        subs_free(s);
        if (!ferr_isset(c->err)) ferr_oom(c->err);
        return NULL;
    }
    if (!gen || gencache_put(gc, key, gen, s, c->a)) { /* not shared: the call's own */
        if (arena_defer(c->a, subs_free, s)) {
            subs_free(s);
            return ferr_oom(c->err), NULL;
        }
    }
    return s;
}

static void incref_doc(const void *doc, void *out)
{
    *(json_t **)out = json_incref((json_t *)doc);
}

int sns_load_topic_ro(call *c, const char *arn, const char *param, json_t **topic, sns_arn *a)
{
    if (sns_parse_arn(arn, 0, a) || (c->region && strcmp(a->region, c->region)))
        return sns_invalid(c, "%s", param);
    char key[320];
    snprintf(key, sizeof(key), "%s/%s/%s", a->account, a->region, a->topic);
    gencache *gc = gencache_of(&topic_cache);
    uint64_t gen = subs_gen(c);
    if (gen && gencache_read(gc, key, gen, incref_doc, topic)) return 0;
    if (sns_load_topic(c, arn, param, topic, a)) return -1;
    if (gen && gencache_put(gc, key, gen, json_incref(*topic), NULL)) json_decref(*topic);
    return 0; /* not shared: still answered */
}
