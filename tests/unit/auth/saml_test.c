/* auth/saml.c: what a SAML Response must look like before any signature is checked (one
 * Assertion, unique IDs, no DTD), the claims read from it, and IdP metadata's signing
 * certificates. Signatures themselves are checked end to end in
 * tests/clients/test_sts_saml.py (signed by xmlsec1). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/saml.h"

#define NS \
    "xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" " \
    "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\""
#define ASSERTION(id) \
    "<saml:Assertion ID=\"" id "\"><saml:Issuer> https://idp </saml:Issuer><saml:Subject>" \
    "<saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\">al<!-- x " \
    "-->ice</saml:NameID><saml:SubjectConfirmation><saml:SubjectConfirmationData " \
    "Recipient=\"https://signin.aws.amazon.com/saml\" NotOnOrAfter=\"2030-01-01T00:00:00Z\"/>" \
    "</saml:SubjectConfirmation></saml:Subject><saml:Conditions " \
    "NotBefore=\"2020-01-01T00:00:00.123Z\"><saml:AudienceRestriction><saml:Audience>" \
    "urn:amazon:webservices</saml:Audience></saml:AudienceRestriction></saml:Conditions>" \
    "<saml:AttributeStatement><saml:Attribute Name=\"R\"><saml:AttributeValue>a" \
    "</saml:AttributeValue><saml:AttributeValue>b</saml:AttributeValue></saml:Attribute>" \
    "</saml:AttributeStatement></saml:Assertion>"
#define RESPONSE(body) "<samlp:Response " NS " ID=\"r\">" body "</samlp:Response>"

static int parse(arena *a, const char *xml, saml_response **r, saml_claims *c, const char **why)
{
    return saml_parse(a, xml, strlen(xml), r, c, why);
}

static void claims_read(void **st)
{
    (void)st;
    arena *a = arena_new(4096);
    saml_response *r;
    saml_claims c;
    const char *why;
    assert_int_equal(parse(a, RESPONSE(ASSERTION("a")), &r, &c, &why), 0);
    assert_string_equal(c.issuer, "https://idp");
    assert_null(c.response_issuer);
    /* the text canonicalization sees: comments dropped, the pieces joined */
    assert_string_equal(c.name_id, "alice");
    assert_string_equal(c.name_id_format, "urn:oasis:names:tc:SAML:2.0:nameid-format:transient");
    assert_int_equal(c.confirmations, 1);
    assert_string_equal(c.recipient, "https://signin.aws.amazon.com/saml");
    assert_true(c.confirm_not_on_or_after == 1893456000.0);
    assert_true(fabs(c.not_before - 1577836800.123) < 0.01);
    assert_true(isnan(c.not_on_or_after) && isnan(c.session_not_on_or_after));
    assert_string_equal(json_string_value(json_array_get(c.audiences, 0)),
                        "urn:amazon:webservices");
    assert_int_equal(json_array_size(json_object_get(c.attributes, "R")), 2);
    /* no signature at all */
    json_t *certs = json_pack("[s]", "MIIB");
    assert_int_equal(saml_verify(r, certs), -1);
    json_decref(certs);
    arena_free(a);
}

static void shapes_refused(void **st)
{
    (void)st;
    const char *bad[] = {
        "not xml",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"y\">]>" RESPONSE(ASSERTION("a")),
        "<samlp:AuthnRequest " NS " ID=\"r\"/>",
        RESPONSE(""),
        RESPONSE(ASSERTION("a") ASSERTION("b")),
        RESPONSE("<samlp:Extensions>" ASSERTION("a") "</samlp:Extensions>"),
        RESPONSE("<samlp:Extensions>" ASSERTION("a") "</samlp:Extensions>" ASSERTION("b")),
        RESPONSE(ASSERTION("r")), /* the Assertion's ID is the Response's */
        RESPONSE("<saml:Issuer xml:id=\"a\">x</saml:Issuer>" ASSERTION("a")),
        RESPONSE(ASSERTION("a") "<saml:EncryptedAssertion/>"),
        "<samlp:Response " NS
        " ID=\"r\">" ASSERTION("a") "<x ID=\"\"/></samlp:Response>", /* an empty ID names nothing */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        arena *a = arena_new(4096);
        saml_response *r;
        saml_claims c;
        const char *why = NULL;
        assert_int_equal(parse(a, bad[i], &r, &c, &why), -1);
        assert_non_null(why);
        assert_null(r);
        arena_free(a);
    }
}

static void metadata_certs(void **st)
{
    (void)st;
    const char *md =
        "<md:EntitiesDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><md:EntityDescriptor entityID=\"e1\">"
        "<md:IDPSSODescriptor><md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data>"
        "<ds:X509Certificate>\n AAAA\n</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor><md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data>"
        "<ds:X509Certificate>BBBB</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor><md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>"
        "CCCC</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "</md:IDPSSODescriptor><md:SPSSODescriptor><md:KeyDescriptor><ds:KeyInfo><ds:X509Data>"
        "<ds:X509Certificate>DDDD</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        "</md:KeyDescriptor></md:SPSSODescriptor></md:EntityDescriptor>"
        "</md:EntitiesDescriptor>";
    arena *a = arena_new(4096);
    const char *entity;
    json_t *certs;
    assert_int_equal(saml_metadata(a, md, strlen(md), &entity, &certs), 0);
    assert_string_equal(entity, "e1");
    assert_int_equal(json_array_size(certs), 2); /* signing and unspecified use, IdP only */
    assert_string_equal(json_string_value(json_array_get(certs, 0)), "AAAA");
    assert_string_equal(json_string_value(json_array_get(certs, 1)), "CCCC");
    const char *not_md = RESPONSE(ASSERTION("a"));
    assert_int_equal(saml_metadata(a, not_md, strlen(not_md), &entity, &certs), -1);
    arena_free(a);
}

int main(void)
{
    assert_int_equal(saml_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claims_read),
        cmocka_unit_test(shapes_refused),
        cmocka_unit_test(metadata_certs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
