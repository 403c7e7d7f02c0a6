/* src/base/gencache.c: generations, holds that outlive replacement and eviction, arenas,
 * and threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/gencache.h"

static int freed;
static void val_free(void *p)
{
    freed++;
    free(p);
}

static char *val(const char *s)
{
    return strdup(s);
}

static void generations(void **st)
{
    (void)st;
    freed = 0;
    gencache *c = gencache_new(16, val_free);
    assert_null(gencache_acquire(c, "k", 1));
    gencache_entry *e = gencache_insert(c, "k", 1, val("one"));
    assert_non_null(e);
    assert_string_equal(gencache_value(e), "one");
    gencache_release(e);
    /* found at its generation only */
    assert_null(gencache_acquire(c, "k", 2));
    e = gencache_acquire(c, "k", 1);
    assert_non_null(e);
    /* replaced while held: the holder keeps the old value until it lets go */
    gencache_entry *e2 = gencache_insert(c, "k", 2, val("two"));
    assert_int_equal(freed, 0);
    assert_string_equal(gencache_value(e), "one");
    gencache_release(e);
    assert_int_equal(freed, 1);
    gencache_release(e2);
    assert_null(gencache_acquire(c, "k", 1));
    e = gencache_acquire(c, "k", 2);
    assert_string_equal(gencache_value(e), "two");
    gencache_retain(e);
    gencache_release(e);
    gencache_release(e);
    assert_int_equal(gencache_count(c), 1);
    gencache_clear(c);
    assert_int_equal(freed, 2);
    assert_int_equal(gencache_count(c), 0);
    gencache_free(c);
}

static void bounded(void **st)
{
    (void)st;
    freed = 0;
    gencache *c = gencache_new(4, val_free);
    gencache_entry *held = gencache_insert(c, "k0", 0, val("v0"));
    char key[16];
    for (int i = 1; i < 4; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        gencache_release(gencache_insert(c, key, 0, val("v")));
    }
    assert_int_equal(gencache_count(c), 4);
    /* a fifth key starts over; the held entry survives until released */
    gencache_release(gencache_insert(c, "k4", 0, val("v4")));
    assert_int_equal(gencache_count(c), 1);
    assert_int_equal(freed, 3);
    assert_string_equal(gencache_value(held), "v0");
    assert_null(gencache_acquire(c, "k0", 0));
    gencache_release(held);
    assert_int_equal(freed, 4);
    /* replacing a key in a full cache does not start over */
    for (int i = 5; i < 8; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        gencache_release(gencache_insert(c, key, 0, val("v")));
    }
    gencache_release(gencache_insert(c, "k4", 1, val("v4b")));
    assert_int_equal(gencache_count(c), 4);
    gencache_free(c);
    assert_int_equal(freed, 9);
}

static void copy_out(const void *v, void *ud)
{
    snprintf(ud, 16, "%s", (const char *)v);
}

static void with_arena(void **st)
{
    (void)st;
    freed = 0;
    gencache *c = gencache_new(8, val_free);
    arena *a = arena_new(1024);
    assert_int_equal(gencache_put(c, "k", 5, val("five"), a), 0);
    assert_string_equal(gencache_get(c, "k", 5, a), "five");
    assert_null(gencache_get(c, "k", 6, a));
    gencache_clear(c); /* held by the arena: not freed yet */
    assert_int_equal(freed, 0);
    arena_free(a);
    assert_int_equal(freed, 1);
    /* without an arena, put keeps no hold */
    assert_int_equal(gencache_put(c, "k", 6, val("six"), NULL), 0);
    char out[16] = "";
    assert_int_equal(gencache_read(c, "k", 6, copy_out, out), 1);
    assert_string_equal(out, "six");
    assert_int_equal(gencache_read(c, "k", 7, copy_out, out), 0);
    gencache_free(c);
    assert_int_equal(freed, 2);
}

/* Threads replacing and reading the same few keys: every value read is one that was
 * stored under that key and generation (the sanitizer builds check the rest). */
static gencache *shared;
static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    char key[8], want[32];
    for (int i = 0; i < 20000; i++) {
        int k = (int)((i + id) % 5);
        uint64_t gen = (uint64_t)(i % 3);
        snprintf(key, sizeof(key), "k%d", k);
        snprintf(want, sizeof(want), "%d/%llu", k, (unsigned long long)gen);
        gencache_entry *e = gencache_acquire(shared, key, gen);
        if (!e) e = gencache_insert(shared, key, gen, strdup(want));
        if (!e || strcmp(gencache_value(e), want)) return (void *)1;
        gencache_release(e);
    }
    return NULL;
}

static void threads(void **st)
{
    (void)st;
    shared = gencache_new(4, free);
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    gencache_free(shared);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generations),
        cmocka_unit_test(bounded),
        cmocka_unit_test(with_arena),
        cmocka_unit_test(threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
