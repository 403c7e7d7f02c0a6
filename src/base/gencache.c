#include "gencache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "base/hmap.h"

struct gencache_entry {
    gencache *c;
    uint64_t gen;
    void *val;
    int refs; /* the table's (while in it) and each holder's; under c->mu */
};

struct gencache {
    pthread_mutex_t mu;
    hmap map; /* key -> entry */
    size_t max;
    void (*val_free)(void *);
};

gencache *gencache_new(size_t max, void (*val_free)(void *))
{
    gencache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    if (pthread_mutex_init(&c->mu, NULL)) {
        free(c);
        return NULL;
    }
    c->max = max ? max : 1;
    c->val_free = val_free;
    return c;
}

gencache *gencache_of(gencache_static *s)
{
    gencache *c = atomic_load(&s->c);
    if (c) return c;
    gencache *made = gencache_new(s->max, s->val_free), *none = NULL;
    if (!made) return NULL;
    if (atomic_compare_exchange_strong(&s->c, &none, made)) return made;
    gencache_free(made); /* another thread made it first */
    return none;
}

static void entry_free(gencache_entry *e)
{
    if (e->c->val_free) e->c->val_free(e->val);
    free(e);
}

/* Under the lock: drops one reference to e; 1 when it was the last. */
static int unref(gencache_entry *e)
{
    return --e->refs == 0;
}

typedef struct dropped {
    gencache_entry **v;
    size_t n;
} dropped;

static int collect(void *val, void *ud)
{
    dropped *d = ud;
    if (!unref(val)) return 0;
    if (d->v)
        d->v[d->n++] = val;
    else
        entry_free(val); /* no memory for the list: freed under the lock, slower only */
    return 0;
}

/* Under the lock: empties the table; what no one holds is returned, to free outside it. */
static dropped drop_all(gencache *c)
{
    dropped d = {malloc((c->map.n ? c->map.n : 1) * sizeof(*d.v)), 0};
    hmap_each(&c->map, collect, &d);
    hmap_clear(&c->map, NULL);
    return d;
}

static void free_dropped(dropped *d)
{
    for (size_t i = 0; i < d->n; i++) entry_free(d->v[i]);
    free(d->v);
}

void gencache_clear(gencache *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    dropped d = drop_all(c);
    pthread_mutex_unlock(&c->mu);
    free_dropped(&d);
}

void gencache_free(gencache *c)
{
    if (!c) return;
    gencache_clear(c);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

size_t gencache_count(gencache *c)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    size_t n = hmap_count(&c->map);
    pthread_mutex_unlock(&c->mu);
    return n;
}

gencache_entry *gencache_acquire(gencache *c, const char *key, uint64_t gen)
{
    if (!c) return NULL;
    pthread_mutex_lock(&c->mu);
    gencache_entry *e = hmap_get(&c->map, key);
    if (e && e->gen == gen)
        e->refs++;
    else
        e = NULL;
    pthread_mutex_unlock(&c->mu);
    return e;
}

static gencache_entry *entry_new(gencache *c, uint64_t gen, void *val)
{
    gencache_entry *e = c ? malloc(sizeof(*e)) : NULL;
    if (e) *e = (gencache_entry){c, gen, val, 1}; /* the caller's hold */
    return e;
}

/* Puts e (held by the caller) in the table, replacing key's entry: 0, or -1 on OOM. */
static int add(gencache *c, const char *key, gencache_entry *e)
{
    dropped d = {0};
    pthread_mutex_lock(&c->mu);
    if (hmap_count(&c->map) >= c->max && !hmap_get(&c->map, key)) d = drop_all(c);
    void *old = NULL;
    int rc = hmap_put(&c->map, key, e, &old);
    if (!rc) e->refs++;
    gencache_entry *o = old;
    int free_old = o && unref(o);
    pthread_mutex_unlock(&c->mu);
    free_dropped(&d);
    if (free_old) entry_free(o);
    return rc;
}

gencache_entry *gencache_insert(gencache *c, const char *key, uint64_t gen, void *val)
{
    gencache_entry *e = entry_new(c, gen, val);
    if (e && add(c, key, e)) {
        free(e);
        e = NULL;
    }
    return e;
}

void *gencache_value(const gencache_entry *e)
{
    return e->val;
}

void gencache_retain(gencache_entry *e)
{
    pthread_mutex_lock(&e->c->mu);
    e->refs++;
    pthread_mutex_unlock(&e->c->mu);
}

void gencache_release(gencache_entry *e)
{
    if (!e) return;
    gencache *c = e->c;
    pthread_mutex_lock(&c->mu);
    int last = unref(e);
    pthread_mutex_unlock(&c->mu);
    if (last) entry_free(e);
}

static void release_cb(void *p)
{
    gencache_release(p);
}

void *gencache_get(gencache *c, const char *key, uint64_t gen, arena *a)
{
    gencache_entry *e = gencache_acquire(c, key, gen);
    if (!e) return NULL;
    if (arena_defer(a, release_cb, e)) {
        gencache_release(e);
        return NULL;
    }
    return e->val;
}

int gencache_put(gencache *c, const char *key, uint64_t gen, void *val, arena *a)
{
    if (!a) {
        gencache_entry *e = gencache_insert(c, key, gen, val);
        gencache_release(e);
        return e ? 0 : -1;
    }
    gencache_entry *e = entry_new(c, gen, val);
    if (!e || arena_defer(a, release_cb, e)) {
        free(e);
        return -1;
    }
    /* held by the arena from here: not kept in the table (OOM), it still lives until then */
    add(c, key, e);
    return 0;
}

int gencache_read(gencache *c, const char *key, uint64_t gen,
                  void (*read)(const void *val, void *ud), void *ud)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    gencache_entry *e = hmap_get(&c->map, key);
    int hit = e && e->gen == gen;
    if (hit) read(e->val, ud);
    pthread_mutex_unlock(&c->mu);
    return hit;
}
