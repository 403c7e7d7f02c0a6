#include "httpauth.h"

#include <string.h>
#include <strings.h>

#include "base/enc.h"

http_creds http_creds_parse(arena *a, const char *authorization)
{
    http_creds c = {.raw = authorization};
    const char *h = authorization;
    if (!h || strncasecmp(h, "Basic ", 6)) return c;
    h += 6;
    while (*h == ' ') h++;
    size_t n;
    unsigned char *raw = enc_unb64(a, h, strlen(h), &n);
    if (!raw || memchr(raw, 0, n)) return c;
    char *s = arena_strndup(a, (const char *)raw, n), *colon = s ? strchr(s, ':') : NULL;
    if (!colon) return c;
    *colon = 0;
    c.user = s;
    c.password = colon + 1;
    return c;
}
