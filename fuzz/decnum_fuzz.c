/* libFuzzer target: DynamoDB numbers (src/base/decnum.c). The input is parsed as a number;
 * an accepted one must print to text that parses back to an equal number, and adding and
 * subtracting it from fixed numbers must not overrun. Seeds: fuzz/corpus/decnum_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/decnum.h"

static const char *const others[] = {"0", "1", "-1.5", "1e125", "-9.9e125", "1e-130", "0.1"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decnum a, b, r;
    if (decnum_parse((const char *)data, size, &a) != DECNUM_OK) return 0;
    char s[DECNUM_STR_MAX], k[DECNUM_KEY_MAX];
    decnum_str(&a, s);
    decnum_sortkey(&a, k);
    if (decnum_parse(s, strlen(s), &b) != DECNUM_OK || decnum_cmp(&a, &b)) abort();
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        if (decnum_parse(others[i], strlen(others[i]), &b) != DECNUM_OK) abort();
        if (decnum_add(&a, &b, &r) == DECNUM_OK) decnum_str(&r, s);
        if (decnum_sub(&b, &a, &r) == DECNUM_OK) decnum_str(&r, s);
        (void)decnum_cmp(&a, &b);
    }
    return 0;
}
