/* libFuzzer target: SAML 2.0 Responses and IdP metadata as STS AssumeRoleWithSAML reads
 * them (src/auth/saml.c): the XML parse (no DTD), ID registration, the one-Assertion rule,
 * the claims, and the signature check through xmlsec against a fixed certificate (the seeds
 * assertion_signed.xml and response_signed.xml are signed by its key, so mutations reach
 * xmlsec's verification; the others are wrapping and entity attempts). What parses has its
 * audience and attribute tables. Seeds: fuzz/corpus/saml_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "auth/saml.h"

static const char CERT[] =
    "MIICBDCCAW2gAwIBAgIUY+4ElRldxYns/J1FNb13ddFFp60wDQYJKoZIhvcNAQELBQAwEzERMA8GA1UEAwwIZnV6"
    "ei1pZHAwIBcNMjYxMjA1MDYxMjAxWhgPMjEyNjExMTEwNjEyMDFaMBMxETAPBgNVBAMMCGZ1enotaWRwMIGfMA0G"
    "CSqGSIb3DQEBAQUAA4GNADCBiQKBgQDOo9ZDurv/3b3TF6Ygm/bWtMVMWQwpI+/ScaYhNEmSPykmfqHyecDAcUFa"
    "yybLSPNAQTg0YTusPIkb+8NKSTz9Zfqxsq3Wfbr2RijdC9L3K8KSnWLqSVKOyCFqYzKRGMOiOdWaY8grOlRF1wke"
    "gdqJkbLPLEhC7MW2BpjuW7pIOQIDAQABo1MwUTAdBgNVHQ4EFgQUl6NgP4AK+fsO4PEoQh8/mEH0z1MwHwYDVR0j"
    "BBgwFoAUl6NgP4AK+fsO4PEoQh8/mEH0z1MwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOBgQCcExhI"
    "cXgvuEz9MC6J2qAbkNFRHTPEuiIWKwsIfiBjh7YXpNEjYeLo2CBN6yOxJb/NnjSILKMKHHczjFUXHySNUt9fxG5p"
    "31wbD0hJmLwx72IOObblc7YSckKjkVXwpkERgJ1uT21/LgUTtnvxwewY6+H5Mue9OjN6ZRTXBte83g==";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (saml_init()) abort();
    arena *a = arena_new(4096);
    if (!a) return 0;
    saml_response *r;
    saml_claims cl;
    const char *why, *entity;
    json_t *certs;
    if (!saml_parse(a, (const char *)data, size, &r, &cl, &why)) {
        if (!r || !json_is_array(cl.audiences) || !json_is_object(cl.attributes)) abort();
        json_t *list = json_pack("[s]", CERT);
        (void)saml_verify(r, list);
        json_decref(list);
    } else if (!why) {
        abort();
    }
    if (!saml_metadata(a, (const char *)data, size, &entity, &certs) && !json_is_array(certs))
        abort();
    arena_free(a);
    return 0;
}
