/* The trail's block filters (trailbloom.h): no value added is ever missed, few absent ones
 * pass, and the set of blocks a lookup reads answers for blocks outside it too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store/trailbloom.h"

static void test_no_false_negatives(void **st)
{
    (void)st;
    unsigned char bits[TRAIL_BLOOM_BYTES] = {0};
    char v[32];
    /* a busy block: 500 values over the attributes and two accounts */
    for (int i = 0; i < 500; i++) {
        snprintf(v, sizeof(v), "value-%d", i);
        trail_bloom_add(bits, i % 7, i % 2 ? "111111111111" : "222222222222", v);
    }
    trail_bloom_add(bits, TRAIL_EVENT_NAME, "111111111111", NULL); /* adds nothing */
    for (int i = 0; i < 500; i++) {
        snprintf(v, sizeof(v), "value-%d", i);
        assert_true(trail_bloom_may(bits, i % 7, i % 2 ? "111111111111" : "222222222222", v));
    }
    /* absent values: another attribute, another account, other strings */
    int pass = 0, tries = 0;
    for (int i = 0; i < 500; i++, tries += 3) {
        snprintf(v, sizeof(v), "value-%d", i);
        pass += trail_bloom_may(bits, (i + 1) % 7, i % 2 ? "111111111111" : "222222222222", v);
        pass += trail_bloom_may(bits, i % 7, i % 2 ? "222222222222" : "111111111111", v);
        snprintf(v, sizeof(v), "other-%d", i);
        pass += trail_bloom_may(bits, i % 7, "111111111111", v);
    }
    assert_true(pass * 100 < tries * 4); /* about 2% expected at 500 values */
    assert_false(trail_bloom_may(bits, TRAIL_EVENT_ID, "111111111111", NULL));
    unsigned char empty[TRAIL_BLOOM_BYTES] = {0};
    assert_false(trail_bloom_may(empty, TRAIL_EVENT_ID, "111111111111", "x"));
}

static void test_blocks(void **st)
{
    (void)st;
    trail_blocks b;
    assert_int_equal(trail_blocks_init(&b, 10, 20), 0); /* blocks 10..29 */
    trail_blocks_clear(&b, 12);
    trail_blocks_clear(&b, 29);
    trail_blocks_clear(&b, 9); /* outside: ignored */
    trail_blocks_clear(&b, 30);
    assert_true(trail_blocks_may(b.bytes, b.len, 11 * TRAIL_BLOCK + 255));
    assert_false(trail_blocks_may(b.bytes, b.len, 12 * TRAIL_BLOCK));
    assert_false(trail_blocks_may(b.bytes, b.len, 12 * TRAIL_BLOCK + 255));
    assert_true(trail_blocks_may(b.bytes, b.len, 13 * TRAIL_BLOCK));
    assert_false(trail_blocks_may(b.bytes, b.len, 29 * TRAIL_BLOCK + 7));
    /* outside the set, a short or absent blob: anything may be there */
    assert_true(trail_blocks_may(b.bytes, b.len, 9 * TRAIL_BLOCK));
    assert_true(trail_blocks_may(b.bytes, b.len, 30 * TRAIL_BLOCK));
    assert_true(trail_blocks_may(b.bytes, b.len, 1000000 * (int64_t)TRAIL_BLOCK));
    assert_true(trail_blocks_may(b.bytes, b.len, -1));
    assert_true(trail_blocks_may(b.bytes, 7, 12 * TRAIL_BLOCK));
    assert_true(trail_blocks_may(NULL, 0, 12 * TRAIL_BLOCK));
    trail_blocks_free(&b);
    assert_int_equal(trail_blocks_init(&b, 0, 0), 0);
    assert_true(trail_blocks_may(b.bytes, b.len, 5));
    trail_blocks_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_false_negatives),
        cmocka_unit_test(test_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
