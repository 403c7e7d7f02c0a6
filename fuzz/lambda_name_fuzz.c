/* libFuzzer target: Lambda FunctionName forms (src/svc/lambda/lambda.c lambda_ref_parse):
 * names, partial ARNs and ARNs, each with a qualifier, beside a Qualifier parameter. What
 * parses names a valid function in a 12-digit account. Seeds: fuzz/corpus/lambda_name_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/lambda/lambda_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    if (!a) return 0;
    char *name = arena_strndup(a, (const char *)data, size);
    ferr e = {0};
    call c = {.a = a, .account = "123456789012", .region = "us-east-1", .err = &e};
    for (int q = 0; name && q < 2; q++) {
        lambda_ref r;
        if (lambda_ref_parse(&c, name, q ? "live" : NULL, &r)) continue;
        size_t n = strlen(r.name);
        if (!n || n > 64 ||
            strspn(r.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789-_") != n)
            abort();
        if (strlen(r.account) != 12 || strspn(r.account, "0123456789") != 12) abort();
        if (r.qualifier && !strcmp(r.qualifier, "$LATEST")) abort();
    }
    arena_free(a);
    return 0;
}
