/* libFuzzer target: KMS ciphertext blobs (src/svc/kms/blob.c). The input is parsed as a blob
 * and opened under a fixed key with and without a context: nothing forged may authenticate.
 * It also seals its own bytes and checks the round trip. Seeds: fuzz/corpus/kms_blob_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/kms/blob.h"

static const unsigned char key[KMSBLOB_KEYLEN] = {42};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(8192);
    if (!a) return 0;
    json_t *ctx = json_pack("{s:s, s:s}", "purpose", "fuzz", "app", "ferry");
    size_t cl = 0, ptlen;
    const unsigned char *c = kmsblob_context(a, ctx, &cl);
    kmsblob_hdr h;
    unsigned char *pt;
    if (c && !kmsblob_parse(data, size, &h)) {
        if (strlen(h.account) != 12 || strlen(h.key_id) != 36) abort();
        /* forging a tag is not something a fuzzer finds: opening must fail */
        if (!kmsblob_open(a, key, data, size, c, cl, &pt, &ptlen)) abort();
        if (!kmsblob_open(a, key, data, size, NULL, 0, &pt, &ptlen)) abort();
    }
    kmsblob_hdr mine = {"000000000000", "00000000-0000-4000-8000-000000000000", 0};
    unsigned char *b;
    size_t n;
    if (c && size <= 4096 && !kmsblob_seal(a, key, &mine, c, cl, data, size, &b, &n)) {
        if (kmsblob_parse(b, n, &h) || kmsblob_open(a, key, b, n, c, cl, &pt, &ptlen) ||
            ptlen != size || (size && memcmp(pt, data, size)))
            abort();
    }
    json_decref(ctx);
    arena_free(a);
    return 0;
}
