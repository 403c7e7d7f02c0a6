/* Publish's view of a topic's subscriptions: the confirmed ones it can deliver to, with
 * their filter policies compiled, kept between publishes. Any change to any
 * subscription (or topic) bumps a generation and the next Publish of each topic reads
 * its subscriptions again, inside its own transaction. Changes and publishes are all
 * write transactions, which the store runs one at a time, so a cached list is never
 * older than the last committed change. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/delivery.h"
#include "filter.h"
#include "sns_int.h"

struct sns_subs {
    char key[320]; /* account/region/topic */
    unsigned long long gen;
    int refs;
    sns_sub_entry *v;
    size_t n;
    struct sns_subs *next;
};

#define NBUCKETS 256

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sns_subs *buckets[NBUCKETS];
static _Atomic unsigned long long generation = 1;

void sns_subs_changed(void)
{
    generation++;
    delivery_invalidate();
}

static void subs_free(sns_subs *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].arn);
        sns_filter_free(s->v[i].filter);
    }
    free(s->v);
    free(s);
}

void sns_subs_release(sns_subs *s)
{
    if (!s) return;
    pthread_mutex_lock(&mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&mu);
    if (last) subs_free(s);
}

const sns_sub_entry *sns_subs_items(const sns_subs *s, size_t *n)
{
    *n = s->n;
    return s->v;
}

static size_t bucket(const char *k)
{
    size_t h = 5381;
    while (*k) h = h * 33 + (unsigned char)*k++;
    return h % NBUCKETS;
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
    /* ferry delivers to SQS, HTTP/S and Lambda; email, SMS, push and Firehose
     * subscriptions are kept but nothing is sent to them */
    int kind = !strcmp(proto, "sqs") ? 0 : !strcmp(proto, "lambda") ? 1 : !strcmp(proto, "http") ? 2
               : !strcmp(proto, "https")                                  ? 3
                                                                          : -1;
    if (kind < 0) return 0;
    if (kind == 1 && !svc_find("lambda")) return 0; /* recorded; delivered once ferry runs functions */
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
    if (!e->arn) {
        f->oom = 1;
        return 1;
    }
    static const char *const protos[] = {"sqs", "lambda", "http", "https"};
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
    size_t b = bucket(key);
    unsigned long long gen = generation;
    pthread_mutex_lock(&mu);
    for (sns_subs *s = buckets[b]; s; s = s->next) {
        if (!strcmp(s->key, key) && s->gen == gen) {
            s->refs++;
            pthread_mutex_unlock(&mu);
            return s;
        }
    }
    pthread_mutex_unlock(&mu);
    sns_subs *s = calloc(1, sizeof(*s));
    if (!s) return ferr_oom(c->err), NULL;
    snprintf(s->key, sizeof(s->key), "%s", key);
    s->gen = gen;
    s->refs = 2; /* the cache's and the caller's */
    fill f = {s, 0, 0};
    if (sns_each_sub(c, topic, fill_cb, &f) || f.oom) {
        subs_free(s);
        if (!ferr_isset(c->err)) ferr_oom(c->err);
        return NULL;
    }
    pthread_mutex_lock(&mu);
    /* replace this topic's older entry */
    sns_subs **p = &buckets[b], *old = NULL;
    while (*p) {
        if (!strcmp((*p)->key, key)) {
            old = *p;
            *p = old->next;
            break;
        }
        p = &(*p)->next;
    }
    s->next = buckets[b];
    buckets[b] = s;
    int free_old = old && --old->refs == 0;
    pthread_mutex_unlock(&mu);
    if (free_old) subs_free(old);
    return s;
}

/* Topic documents for Publish, under the same generation. */
typedef struct tcache {
    char key[320];
    unsigned long long gen;
    json_t *doc;
    struct tcache *next;
} tcache;

static tcache *tbuckets[NBUCKETS];

int sns_load_topic_ro(call *c, const char *arn, const char *param, json_t **topic, sns_arn *a)
{
    if (sns_parse_arn(arn, 0, a) || (c->region && strcmp(a->region, c->region)))
        return sns_invalid(c, "%s", param);
    char key[320];
    snprintf(key, sizeof(key), "%s/%s/%s", a->account, a->region, a->topic);
    size_t b = bucket(key);
    unsigned long long gen = generation;
    pthread_mutex_lock(&mu);
    for (tcache *t = tbuckets[b]; t; t = t->next) {
        if (!strcmp(t->key, key) && t->gen == gen) {
            *topic = json_incref(t->doc);
            pthread_mutex_unlock(&mu);
            return 0;
        }
    }
    pthread_mutex_unlock(&mu);
    if (sns_load_topic(c, arn, param, topic, a)) return -1;
    tcache *n = calloc(1, sizeof(*n));
    if (!n) return 0; /* not cached: still answered */
    snprintf(n->key, sizeof(n->key), "%s", key);
    n->gen = gen;
    n->doc = json_incref(*topic);
    pthread_mutex_lock(&mu);
    tcache **p = &tbuckets[b], *old = NULL;
    while (*p) {
        if (!strcmp((*p)->key, key)) {
            old = *p;
            *p = old->next;
            break;
        }
        p = &(*p)->next;
    }
    n->next = tbuckets[b];
    tbuckets[b] = n;
    pthread_mutex_unlock(&mu);
    if (old) {
        json_decref(old->doc);
        free(old);
    }
    return 0;
}
