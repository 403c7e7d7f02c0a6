/* libFuzzer target: an Authorization header's credentials (src/auth/httpauth.c), as routes
 * without SigV4 get them. Basic credentials, when parsed, are the user before the first
 * colon of the decoded text and the password after it. Seeds: fuzz/corpus/httpauth_fuzz/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/httpauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[8192];
    if (size >= sizeof(buf)) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    arena *a = arena_new(0);
    http_creds c = http_creds_parse(a, buf);
    if (c.raw != buf || !c.user != !c.password) abort();
    if (c.user && strchr(c.user, ':')) abort();
    arena_free(a);
    return 0;
}
