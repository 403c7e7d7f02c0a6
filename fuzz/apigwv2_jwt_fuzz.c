/* libFuzzer target: JWTs as HTTP APIs' JWT authorizers read them
 * (src/svc/apigatewayv2/jwt.c): the compact form, the claims' checks and the scopes. What
 * parses has two JSON objects and a signature. Seeds: fuzz/corpus/apigwv2_jwt_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    if (!a) return 0;
    char *tok = arena_strndup(a, (const char *)data, size);
    jwt t;
    if (tok && !jwt_parse(a, tok, &t)) {
        if (!json_is_object(t.header) || !json_is_object(t.claims) || !t.sig_len) abort();
        json_t *aud = json_pack("[s]", "client"), *sc = json_pack("[s]", "read");
        (void)jwt_check(&t, "https://issuer", aud, sc, 1e9);
        json_t *jwks =
            json_pack("{s:[{s:s, s:s, s:s}]}", "keys", "kty", "RSA", "n", "AQAB", "e", "AQAB");
        (void)jwt_verify(&t, jwks);
        json_decref(jwt_scopes(&t));
        json_decref(aud);
        json_decref(sc);
        json_decref(jwks);
    }
    arena_free(a);
    return 0;
}
