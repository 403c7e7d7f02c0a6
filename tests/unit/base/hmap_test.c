/* src/base/hmap.c: the string map and the string hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/hmap.h"

static int sum(void *val, void *ud)
{
    *(long *)ud += (long)(intptr_t)val;
    return 0;
}

static int stop_at_7(void *val, void *ud)
{
    (void)ud;
    return (intptr_t)val == 7 ? 42 : 0;
}

static void put_get_del(void **st)
{
    (void)st;
    hmap m = {0};
    assert_null(hmap_get(&m, "a"));
    assert_null(hmap_del(&m, "a"));
    char key[32];
    /* past several growths */
    for (long i = 1; i <= 5000; i++) {
        snprintf(key, sizeof(key), "k%ld", i);
        assert_int_equal(hmap_put(&m, key, (void *)(intptr_t)i, NULL), 0);
    }
    assert_int_equal(hmap_count(&m), 5000);
    for (long i = 1; i <= 5000; i++) {
        snprintf(key, sizeof(key), "k%ld", i);
        assert_int_equal((intptr_t)hmap_get(&m, key), i);
    }
    void *old = NULL;
    assert_int_equal(hmap_put(&m, "k7", (void *)(intptr_t)70, &old), 0);
    assert_int_equal((intptr_t)old, 7);
    assert_int_equal(hmap_count(&m), 5000);
    assert_int_equal((intptr_t)hmap_del(&m, "k7"), 70);
    assert_null(hmap_get(&m, "k7"));
    assert_int_equal(hmap_count(&m), 4999);
    long total = 0;
    assert_int_equal(hmap_each(&m, sum, &total), 0);
    assert_int_equal(total, 5000L * 5001 / 2 - 7);
    assert_int_equal(hmap_put(&m, "k7", (void *)(intptr_t)7, NULL), 0);
    assert_int_equal(hmap_each(&m, stop_at_7, NULL), 42);
    /* the empty key is a key */
    assert_int_equal(hmap_put(&m, "", (void *)(intptr_t)1, NULL), 0);
    assert_int_equal((intptr_t)hmap_get(&m, ""), 1);
    hmap_clear(&m, NULL);
    assert_int_equal(hmap_count(&m), 0);
    assert_null(hmap_get(&m, "k1"));
    /* usable after a clear; values freed by the callback */
    assert_int_equal(hmap_put(&m, "x", strdup("v"), NULL), 0);
    hmap_clear(&m, free);
}

static void hashes(void **st)
{
    (void)st;
    /* FNV-1a 64 reference values */
    assert_true(hash_str("") == 0xcbf29ce484222325ull);
    assert_true(hash_str("a") == 0xaf63dc4c8601ec8cull);
    assert_true(hash_bytes(HASH_SEED, "foobar", 6) == hash_str("foobar"));
    /* mixing separates the parts */
    assert_true(hash_mix(hash_mix(HASH_SEED, "ab"), "c") !=
                hash_mix(hash_mix(HASH_SEED, "a"), "bc"));
    /* hash_long: every length up to 40 (words and tails), one byte changed anywhere, and a
     * text and its prefixes padded with zeros all differ; equal texts agree */
    char a[41] = {0}, b[41] = {0};
    for (size_t n = 0; n <= 40; n++) {
        memset(a, 'p', n);
        memcpy(b, a, sizeof(b));
        assert_true(hash_long(a, n) == hash_long(b, n));
        if (n < 40) assert_true(hash_long(a, n) != hash_long(a, n + 1));
        for (size_t i = 0; i < n; i++) {
            b[i] = 'q';
            assert_true(hash_long(a, n) != hash_long(b, n));
            b[i] = 'p';
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_del),
        cmocka_unit_test(hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
