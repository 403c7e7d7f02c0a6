/* KMS ciphertext blobs (src/svc/kms/blob.c): a round trip, every single-byte change refused,
 * the encryption context bound (missing, extra, changed, reordered), foreign and short blobs,
 * and the wrapping of key material. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "svc/kms/blob.h"

static const kmsblob_hdr hdr = {"123456789012", "0f8fad5b-d9cb-469f-a165-70867728950e", 3};

static unsigned char key[KMSBLOB_KEYLEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static const unsigned char *ctx_of(arena *a, const char *json, size_t *len)
{
    json_t *j = json ? json_loads(json, 0, NULL) : NULL;
    const unsigned char *c = kmsblob_context(a, j, len);
    json_decref(j);
    assert_non_null(c);
    return c;
}

static void test_round_trip_and_header(void **state)
{
    (void)state;
    arena *a = arena_new(4096);
    size_t cl, n, ptlen;
    const unsigned char *ctx = ctx_of(a, "{\"b\":\"2\",\"a\":\"1\"}", &cl);
    unsigned char *b, *pt;
    assert_int_equal(kmsblob_seal(a, key, &hdr, ctx, cl, (const unsigned char *)"hello", 5, &b, &n),
                     0);
    assert_int_equal(n, 5 + KMSBLOB_OVERHEAD);
    kmsblob_hdr h;
    assert_int_equal(kmsblob_parse(b, n, &h), 0);
    assert_string_equal(h.account, hdr.account);
    assert_string_equal(h.key_id, hdr.key_id);
    assert_int_equal(h.gen, 3);
    /* the same context in another order is the same AAD */
    size_t cl2;
    const unsigned char *ctx2 = ctx_of(a, "{\"a\":\"1\",\"b\":\"2\"}", &cl2);
    assert_int_equal(kmsblob_open(a, key, b, n, ctx2, cl2, &pt, &ptlen), 0);
    assert_int_equal(ptlen, 5);
    assert_memory_equal(pt, "hello", 5);
    /* two seals of the same plaintext differ (random IV) */
    unsigned char *b2;
    size_t n2;
    assert_int_equal(
        kmsblob_seal(a, key, &hdr, ctx, cl, (const unsigned char *)"hello", 5, &b2, &n2), 0);
    assert_memory_not_equal(b, b2, n);
    arena_free(a);
}

static void test_every_byte_tampered(void **state)
{
    (void)state;
    arena *a = arena_new(4096);
    size_t cl, n, ptlen;
    const unsigned char *ctx = ctx_of(a, "{\"k\":\"v\"}", &cl);
    unsigned char *b, *pt;
    assert_int_equal(
        kmsblob_seal(a, key, &hdr, ctx, cl, (const unsigned char *)"secret", 6, &b, &n), 0);
    for (size_t i = 0; i < n; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            kmsblob_hdr h;
            /* either the header no longer parses, or the blob no longer authenticates */
            int parsed = kmsblob_parse(b, n, &h) == 0;
            assert_true(!parsed || kmsblob_open(a, key, b, n, ctx, cl, &pt, &ptlen) == -1);
            b[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* truncated or extended */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(kmsblob_open(a, key, b, len, ctx, cl, &pt, &ptlen), -1);
    assert_int_equal(kmsblob_open(a, key, b, n, ctx, cl, &pt, &ptlen), 0);
    unsigned char other[KMSBLOB_KEYLEN] = {9};
    assert_int_equal(kmsblob_open(a, other, b, n, ctx, cl, &pt, &ptlen), -1);
    arena_free(a);
}

static void test_wrong_context(void **state)
{
    (void)state;
    arena *a = arena_new(4096);
    size_t cl, n, ptlen, wl;
    const unsigned char *ctx = ctx_of(a, "{\"purpose\":\"test\",\"app\":\"x\"}", &cl);
    unsigned char *b, *pt;
    assert_int_equal(kmsblob_seal(a, key, &hdr, ctx, cl, (const unsigned char *)"p", 1, &b, &n), 0);
    const char *wrong[] = {NULL,
                           "{}",
                           "{\"purpose\":\"test\"}",
                           "{\"purpose\":\"test\",\"app\":\"y\"}",
                           "{\"purpose\":\"test\",\"app\":\"x\",\"z\":\"\"}",
                           "{\"purposeapp\":\"testx\"}",
                           "{\"purpose\":\"testapp\",\"\":\"x\"}"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        const unsigned char *w = ctx_of(a, wrong[i], &wl);
        assert_int_equal(kmsblob_open(a, key, b, n, w, wl, &pt, &ptlen), -1);
    }
    /* a context value that is not a string is refused, not canonicalised */
    json_t *bad = json_pack("{s:i}", "n", 1);
    assert_null(kmsblob_context(a, bad, &wl));
    json_decref(bad);
    arena_free(a);
}

static void test_foreign_blobs(void **state)
{
    (void)state;
    kmsblob_hdr h;
    unsigned char b[KMSBLOB_OVERHEAD + 4] = {0};
    assert_int_equal(kmsblob_parse(b, sizeof(b), &h), -1); /* version 0 */
    b[0] = KMSBLOB_VERSION;
    memcpy(b + 1, "12345678901x", 12);
    memcpy(b + 13, hdr.key_id, 36);
    assert_int_equal(kmsblob_parse(b, sizeof(b), &h), -1); /* account not digits */
    memcpy(b + 1, "123456789012", 12);
    assert_int_equal(kmsblob_parse(b, sizeof(b), &h), 0);
    b[13 + 8] = 'x';
    assert_int_equal(kmsblob_parse(b, sizeof(b), &h), -1); /* key id not a UUID */
    assert_int_equal(kmsblob_parse(b, KMSBLOB_OVERHEAD - 1, &h), -1);
    assert_int_equal(kmsblob_parse(NULL, 0, &h), -1);
}

static void test_gcm_wrap(void **state)
{
    (void)state;
    unsigned char m[32] = {7}, w[32 + KMSBLOB_GCM], back[32];
    assert_int_equal(kmsblob_gcm_seal(key, "arn:a", 5, m, 32, w), 0);
    assert_int_equal(kmsblob_gcm_open(key, "arn:a", 5, w, sizeof(w), back), 0);
    assert_memory_equal(m, back, 32);
    /* material bound to its key's ARN */
    assert_int_equal(kmsblob_gcm_open(key, "arn:b", 5, w, sizeof(w), back), -1);
    assert_int_equal(kmsblob_gcm_open(key, "arn:a", 5, w, KMSBLOB_GCM - 1, back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_header),
        cmocka_unit_test(test_every_byte_tampered),
        cmocka_unit_test(test_wrong_context),
        cmocka_unit_test(test_foreign_blobs),
        cmocka_unit_test(test_gcm_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
