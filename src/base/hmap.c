#include "hmap.h"

#include <stdlib.h>
#include <string.h>

struct hmap_ent {
    hmap_ent *next;
    uint64_t hash;
    void *val;
    char key[];
};

uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

uint64_t hash_long(const void *p, size_t n)
{
    const char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ h >> 29;
}

uint64_t hash_mix(uint64_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    /* a separator, so ("ab","c") and ("a","bc") differ */
    return (h ^ 0xff) * 1099511628211ull;
}

uint64_t hash_str(const char *s)
{
    uint64_t h = HASH_SEED;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static hmap_ent **slot(const hmap *m, const char *key, uint64_t h)
{
    hmap_ent **p = &m->b[h & (m->nb - 1)];
    while (*p && ((*p)->hash != h || strcmp((*p)->key, key))) p = &(*p)->next;
    return p;
}

void *hmap_get(const hmap *m, const char *key)
{
    if (!m->nb) return NULL;
    hmap_ent *e = *slot(m, key, hash_str(key));
    return e ? e->val : NULL;
}

static int grow(hmap *m)
{
    size_t nb = m->nb ? m->nb * 2 : 16;
    hmap_ent **b = calloc(nb, sizeof(*b));
    if (!b) return -1;
    for (size_t i = 0; i < m->nb; i++) {
        for (hmap_ent *e = m->b[i], *n; e; e = n) {
            n = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(m->b);
    m->b = b;
    m->nb = nb;
    return 0;
}

int hmap_put(hmap *m, const char *key, void *val, void **old)
{
    uint64_t h = hash_str(key);
    if (old) *old = NULL;
    if (m->nb) {
        hmap_ent *e = *slot(m, key, h);
        if (e) {
            if (old) *old = e->val;
            e->val = val;
            return 0;
        }
    }
    /* load factor at most 1 */
    if (m->n + 1 > m->nb && grow(m) && !m->nb) return -1;
    size_t klen = strlen(key);
    hmap_ent *e = malloc(sizeof(*e) + klen + 1);
    if (!e) return -1;
    e->hash = h;
    e->val = val;
    memcpy(e->key, key, klen + 1);
    hmap_ent **p = &m->b[h & (m->nb - 1)];
    e->next = *p;
    *p = e;
    m->n++;
    return 0;
}

void *hmap_del(hmap *m, const char *key)
{
    if (!m->nb) return NULL;
    hmap_ent **p = slot(m, key, hash_str(key)), *e = *p;
    if (!e) return NULL;
    void *v = e->val;
    *p = e->next;
    free(e);
    m->n--;
    return v;
}

int hmap_each(const hmap *m, int (*fn)(void *val, void *ud), void *ud)
{
    for (size_t i = 0; i < m->nb; i++)
        for (hmap_ent *e = m->b[i]; e; e = e->next) {
            int rc = fn(e->val, ud);
            if (rc) return rc;
        }
    return 0;
}

void hmap_clear(hmap *m, void (*free_val)(void *))
{
    for (size_t i = 0; i < m->nb; i++) {
        for (hmap_ent *e = m->b[i], *n; e; e = n) {
            n = e->next;
            if (free_val) free_val(e->val);
            free(e);
        }
    }
    free(m->b);
    m->b = NULL;
    m->nb = m->n = 0;
}
