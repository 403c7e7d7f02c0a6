/* Credentials an HTTP request presents in its Authorization header, for the routes that do
 * not take SigV4 (git over HTTPS, the container credentials endpoint). The server parses
 * them into the route's request view; services never read the header. */
#ifndef FERRY_AUTH_HTTPAUTH_H
#define FERRY_AUTH_HTTPAUTH_H

#include "base/arena.h"

typedef struct http_creds {
    const char *raw; /* the header's value as sent (a container credentials token), or NULL */
    /* "Basic base64(user:password)" (RFC 7617) decoded: both NULL when the header is not
     * Basic, or its base64, or the NUL-free "user:password" inside it, is malformed */
    const char *user, *password;
} http_creds;

/* authorization: the header's value (NULL: none). Strings in a. */
http_creds http_creds_parse(arena *a, const char *authorization);

#endif
