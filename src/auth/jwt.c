#include "jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <string.h>
#include <strings.h>

#include "base/enc.h"
#include "base/jval.h"

static json_t *part_json(arena *a, const char *s, size_t n)
{
    size_t len;
    unsigned char *raw = enc_unb64url(a, s, n, &len);
    if (!raw) return NULL;
    json_t *j = json_loadb((const char *)raw, len, 0, NULL);
    if (!j) return NULL;
    if (!json_is_object(j) || !arena_defer_json(a, j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int jwt_parse(arena *a, const char *token, jwt *out)
{
    memset(out, 0, sizeof(*out));
    if (!token) return -1;
    /* AWS: the identity source's value, with or without the Bearer scheme */
    if (!strncasecmp(token, "Bearer ", 7)) token += 7;
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || d1 == token || d2 == d1 + 1) return -1;
    out->header = part_json(a, token, (size_t)(d1 - token));
    out->claims = out->header ? part_json(a, d1 + 1, (size_t)(d2 - d1 - 1)) : NULL;
    if (!out->claims) return -1;
    out->signed_part = token;
    out->signed_len = (size_t)(d2 - token);
    out->sig = enc_unb64url(a, d2 + 1, strlen(d2 + 1), &out->sig_len);
    return out->sig && out->sig_len ? 0 : -1;
}

static BIGNUM *bn_of(const json_t *jwk, const char *name)
{
    const char *v = jstr(jwk, name);
    arena *a = v ? arena_new(1024) : NULL;
    size_t len = 0;
    unsigned char *raw = a ? enc_unb64url(a, v, strlen(v), &len) : NULL;
    BIGNUM *bn = raw && len ? BN_bin2bn(raw, (int)len, NULL) : NULL;
    arena_free(a);
    return bn;
}

static EVP_PKEY *rsa_key(const json_t *jwk)
{
    BIGNUM *n = bn_of(jwk, "n"), *e = bn_of(jwk, "e");
    OSSL_PARAM_BLD *b = n && e ? OSSL_PARAM_BLD_new() : NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *k = NULL;
    if (b && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) &&
        (params = OSSL_PARAM_BLD_to_param(b)) &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    BN_free(n);
    BN_free(e);
    return k;
}

static int verify_with(const jwt *t, const json_t *jwk)
{
    EVP_PKEY *k = rsa_key(jwk);
    EVP_MD_CTX *md = k ? EVP_MD_CTX_new() : NULL;
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) > 0 &&
             EVP_DigestVerify(md, t->sig, t->sig_len, (const unsigned char *)t->signed_part,
                              t->signed_len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

int jwt_verify(const jwt *t, const json_t *jwks)
{
    /* AWS: HTTP APIs' JWT authorizers take RSA-signed tokens only */
    const char *alg = jstr(t->header, "alg"), *kid = jstr(t->header, "kid");
    if (!alg || strcmp(alg, "RS256")) return -1;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(jwks, "keys"), i, k) {
        const char *kty = jstr(k, "kty"), *kk = jstr(k, "kid");
        if (!kty || strcmp(kty, "RSA")) continue;
        if (kid && (!kk || strcmp(kid, kk))) continue;
        if (!verify_with(t, k)) return 0;
    }
    return -1;
}

static int in_list(const json_t *list, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), v)) return 1;
    return 0;
}

json_t *jwt_scopes(const jwt *t)
{
    const char *s = jstr(t->claims, "scope");
    json_t *scp = json_object_get(t->claims, "scp");
    if (json_is_array(scp)) return json_deep_copy(scp);
    if (!s && json_is_string(scp)) s = json_string_value(scp);
    if (!s) return NULL;
    json_t *out = json_array();
    while (out && *s) {
        size_t n = strcspn(s, " ");
        if (n && json_array_append_new(out, json_stringn(s, n))) {
            json_decref(out);
            return NULL;
        }
        s += n;
        s += strspn(s, " ");
    }
    return out;
}

int jwt_check(const jwt *t, const char *issuer, const json_t *audience, const json_t *scopes,
              double now)
{
    const json_t *c = t->claims;
    const char *iss = jstr(c, "iss");
    if (!iss || !issuer || strcmp(iss, issuer)) return -1;
    json_t *aud = json_object_get(c, "aud");
    int aud_ok = 0;
    if (json_is_string(aud)) aud_ok = in_list(audience, json_string_value(aud));
    size_t i;
    json_t *x;
    if (json_is_array(aud))
        json_array_foreach(aud, i, x)
            if (json_is_string(x) && in_list(audience, json_string_value(x))) aud_ok = 1;
    if (!aud && jstr(c, "client_id")) aud_ok = in_list(audience, jstr(c, "client_id"));
    if (!aud_ok) return -1;
    json_t *exp = json_object_get(c, "exp"), *nbf = json_object_get(c, "nbf");
    if (!json_is_number(exp) || json_number_value(exp) <= now) return -1;
    if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > now)) return -1;
    if (json_array_size(scopes)) {
        json_t *have = jwt_scopes(t);
        int ok = 0;
        json_array_foreach(scopes, i, x)
            if (json_is_string(x) && in_list(have, json_string_value(x))) ok = 1;
        json_decref(have);
        if (!ok) return -2;
    }
    return 0;
}
