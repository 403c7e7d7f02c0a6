/* JSON Web Tokens as HTTP APIs' JWT authorizers and STS AssumeRoleWithWebIdentity take them (RFC 7519, JWS compact form,
 * RS256 signatures checked against the issuer's JSON Web Key Set). */
#ifndef FERRY_AUTH_JWT_H
#define FERRY_AUTH_JWT_H
#include <jansson.h>
#include <stddef.h>

#include "base/arena.h"

typedef struct jwt {
    json_t *header;          /* borrowed from the arena */
    json_t *claims;          /* borrowed from the arena */
    const char *signed_part; /* "HEADER.PAYLOAD" as sent */
    size_t signed_len;
    const unsigned char *sig;
    size_t sig_len;
} jwt;

/* Parses token ("Bearer " prefix allowed) into *out, everything in a. 0, or -1 when it is
 * not three base64url parts of which the first two are JSON objects. */
int jwt_parse(arena *a, const char *token, jwt *out);

/* 0 when t's signature is RS256 by a key of jwks ({"keys": [...]}) (the key with t's kid,
 * else any RSA key), else -1. */
int jwt_verify(const jwt *t, const json_t *jwks);

/* 0 when the claims pass: iss is issuer; aud (string or array), or client_id for an access
 * token without aud, is one of audience; exp is after now and nbf not after it; and, when
 * scopes is a non-empty array, one of them is in the token's scope or scp. -1: refused
 * (401); -2: valid but missing a scope (403). */
int jwt_check(const jwt *t, const char *issuer, const json_t *audience, const json_t *scopes,
              double now);

/* The token's scopes (scope, space-separated, or scp) as a new array, or NULL. */
json_t *jwt_scopes(const jwt *t);

#endif
