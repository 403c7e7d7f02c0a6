/* libFuzzer target: RAM's readers of the ARNs clients send (src/svc/ram/shared.c
 * ram_arn_owner, ram.c ram_resource_type). What they answer is sound: an owner of 12
 * digits and a region, a resource type "service:Type" whose service is the ARN's.
 * Seeds: fuzz/corpus/ram_arn_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/ram/ram_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    arena *a = arena_new(1024);
    if (!s || !a) goto out;
    memcpy(s, data, size);
    s[size] = 0;
    char owner[13], region[32];
    if (!ram_arn_owner(s, owner, region)) {
        if (strlen(owner) != 12 || strspn(owner, "0123456789") != 12 || !*region) abort();
    }
    ferr e = {0};
    call c = {.a = a, .err = &e};
    const char *type = ram_resource_type(&c, s);
    if (type) {
        const char *colon = strchr(type, ':'), *svc = strchr(s + 4, ':');
        if (!colon || !svc || strncmp(type, svc + 1, (size_t)(colon - type))) abort();
    }
out:
    arena_free(a);
    free(s);
    return 0;
}
