/* SAML 2.0 as STS AssumeRoleWithSAML takes it: a samlp:Response holding one saml:Assertion,
 * its XML signature (XML-DSig, exclusive canonicalization) checked by xmlsec against the
 * signing certificates of the IdP's metadata (an IAM SAML provider's document), never
 * against a KeyInfo the response carries.
 *
 * Signature wrapping is refused by construction: ID attributes are registered by ferry
 * (duplicates refused), the document holds exactly one Assertion, a direct child of the
 * Response, and a signature counts only when it is the direct child of the Response or of
 * that Assertion and its one Reference is "#" + its parent's ID. Claims are read from that
 * Assertion only. */
#ifndef FERRY_AUTH_SAML_H
#define FERRY_AUTH_SAML_H
#include <jansson.h>
#include <stddef.h>

#include "base/arena.h"

typedef struct saml_response saml_response; /* the parsed document, freed with its arena */

/* What the Response and its Assertion say. Strings are arena-held and trimmed; a time is
 * epoch seconds, NAN when absent. */
typedef struct saml_claims {
    const char *issuer;          /* the Assertion's Issuer, or NULL */
    const char *response_issuer; /* the Response's Issuer, or NULL */
    const char *status;          /* the Response's StatusCode Value, or NULL */
    const char *name_id;         /* Subject/NameID, or NULL */
    const char *name_id_format;  /* its Format, or NULL */
    int confirmations;           /* how many SubjectConfirmation elements */
    const char *recipient;       /* SubjectConfirmationData Recipient, or NULL */
    double confirm_not_on_or_after;
    double not_before, not_on_or_after; /* Conditions */
    json_t *audiences;                  /* [Audience, ...] of every AudienceRestriction */
    double session_not_on_or_after;     /* AuthnStatement SessionNotOnOrAfter */
    json_t *attributes;                 /* {Name: [AttributeValue, ...]} */
} saml_claims;

/* Initialises libxml2 and xmlsec (with OpenSSL) once for the process; call it at start,
 * before threads (ferry serve does). Later calls do nothing. 0, or -1 when xmlsec cannot
 * start (saml_verify then refuses every signature). */
int saml_init(void);

/* Parses xml (len bytes; no DTD, no network, no entity expansion) into *r and *claims, all
 * held by a. 0, or -1 with *why (a static phrase) when it is not a SAML 2.0 Response with
 * exactly one Assertion or its IDs are not unique. */
int saml_parse(arena *a, const char *xml, size_t len, saml_response **r, saml_claims *claims,
               const char **why);

/* 0 when r is signed (the Response, the Assertion, or both; every signature present must
 * verify) by the key of one of certs (["base64 DER X.509", ...]), else -1. */
int saml_verify(saml_response *r, const json_t *certs);

/* An IdP's metadata document: its EntityDescriptor's entityID and the certificates of its
 * IDPSSODescriptor's KeyDescriptors for signing (use="signing" or no use), base64 as
 * written, into *certs (a new array held by a). 0, or -1 when it is not metadata. */
int saml_metadata(arena *a, const char *xml, size_t len, const char **entity_id, json_t **certs);

#endif
