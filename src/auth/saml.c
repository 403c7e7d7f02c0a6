/* SAML 2.0 Responses and IdP metadata (saml.h): libxml2 parses, xmlsec verifies. Nothing
 * here canonicalizes or checks a signature by hand: that is xmlsec's, the reference
 * implementation of XML-DSig. What ferry adds is the policy around it: which signatures
 * count, which element they must cover, which key may have made them. */
#include "saml.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/bio.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include "base/clock.h"
#include "base/enc.h"

#define NS_PROTOCOL  "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_METADATA  "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DSIG      "http://www.w3.org/2000/09/xmldsig#"

struct saml_response {
    xmlDocPtr doc;
    xmlNodePtr response;  /* the root */
    xmlNodePtr assertion; /* the one Assertion, a child of the root */
};

/* ---- start-up: once per process, as xmlsec wants it (its init is not per call) ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int ready;

/* xmlsec reports every refused signature on stderr by default: a server says why in the
 * reply instead */
static void quiet(const char *file, int line, const char *func, const char *obj, const char *subj,
                  int reason, const char *msg)
{
    (void)file, (void)line, (void)func, (void)obj, (void)subj, (void)reason, (void)msg;
}

static void init_once(void)
{
    xmlInitParser();
    if (xmlSecInit() < 0) return;
    if (xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0)
        return;
    xmlSecErrorsSetCallback(quiet);
    ready = 1;
}

int saml_init(void)
{
    pthread_once(&once, init_once);
    return ready ? 0 : -1;
}

/* ---- tree helpers ---- */

static int is(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           !strcmp((const char *)n->ns->href, ns) && !strcmp((const char *)n->name, name);
}

/* The first child of p that is ns:name, and how many there are in *count (may be NULL). */
static xmlNodePtr child(const xmlNode *p, const char *ns, const char *name, int *count)
{
    xmlNodePtr first = NULL;
    int n = 0;
    for (xmlNodePtr c = p ? p->children : NULL; c; c = c->next)
        if (is(c, ns, name)) {
            if (!first) first = c;
            n++;
        }
    if (count) *count = n;
    return first;
}

static const char *trimmed(arena *a, const char *s)
{
    if (!s) return NULL;
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return arena_strndup(a, s, n);
}

/* The text of n (every text descendant, as canonicalization without comments sees it),
 * trimmed; NULL when n is NULL. *oom set on allocation failure. */
static const char *text(arena *a, const xmlNode *n, int *oom)
{
    if (!n) return NULL;
    xmlChar *t = xmlNodeGetContent(n);
    const char *r = trimmed(a, t ? (const char *)t : "");
    xmlFree(t);
    if (!r) *oom = 1;
    return r;
}

static const char *attr(arena *a, const xmlNode *n, const char *name, int *oom)
{
    if (!n) return NULL;
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (!v) return NULL;
    const char *r = trimmed(a, (const char *)v);
    xmlFree(v);
    if (!r) *oom = 1;
    return r;
}

/* An xs:dateTime attribute: 0 (*t NAN when absent), -1 when present and not a time. */
static int time_attr(arena *a, const xmlNode *n, const char *name, double *t, int *oom)
{
    const char *v = attr(a, n, name, oom);
    *t = NAN;
    return v && clock_parse(v, t) ? -1 : 0;
}

/* Registers every attribute named ID (no namespace) as an XML ID, refusing a value that is
 * already an ID (a second ID="x", or an xml:id the parser registered): with unique IDs a
 * Reference "#x" names one element, the one ferry checks. 0 or -1. */
static int register_ids(xmlDocPtr doc, xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        for (xmlAttrPtr at = n->properties; at; at = at->next) {
            if (at->ns || strcmp((const char *)at->name, "ID")) continue;
            xmlChar *v = xmlNodeListGetString(doc, at->children, 1);
            int bad = !v || !*v || xmlGetID(doc, v) || !xmlAddID(NULL, doc, v, at);
            xmlFree(v);
            if (bad) return -1;
        }
        if (register_ids(doc, n->children)) return -1;
    }
    return 0;
}

/* Counts the Assertion and EncryptedAssertion elements anywhere under n. */
static void count_assertions(const xmlNode *n, int *plain, int *encrypted)
{
    for (; n; n = n->next) {
        if (is(n, NS_ASSERTION, "Assertion")) ++*plain;
        if (is(n, NS_ASSERTION, "EncryptedAssertion")) ++*encrypted;
        count_assertions(n->children, plain, encrypted);
    }
}

static void free_doc(void *p)
{
    xmlFreeDoc(p);
}

/* The document in xml, held by a; NULL when it does not parse or declares a DTD (SAML
 * never needs one; refusing it rules out entity tricks). */
static xmlDocPtr parse_doc(arena *a, const char *xml, size_t len)
{
    if (len > 0x7fffffff) return NULL;
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) return NULL;
    if (arena_defer(a, free_doc, doc)) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc->intSubset || doc->extSubset ? NULL : doc;
}

/* ---- the Response ---- */

static int read_attributes(arena *a, const xmlNode *as, json_t *attrs, int *oom)
{
    for (xmlNodePtr st = as->children; st; st = st->next) {
        if (!is(st, NS_ASSERTION, "AttributeStatement")) continue;
        for (xmlNodePtr at = st->children; at; at = at->next) {
            if (!is(at, NS_ASSERTION, "Attribute")) continue;
            const char *name = attr(a, at, "Name", oom);
            if (!name) continue;
            json_t *vals = json_object_get(attrs, name);
            if (!vals && json_object_set_new(attrs, name, vals = json_array())) return -1;
            for (xmlNodePtr v = at->children; v; v = v->next) {
                if (!is(v, NS_ASSERTION, "AttributeValue")) continue;
                const char *s = text(a, v, oom);
                if (!s || json_array_append_new(vals, json_string(s))) return -1;
            }
        }
    }
    return 0;
}

static int read_claims(arena *a, const saml_response *r, saml_claims *c, const char **why)
{
    int oom = 0, n;
    const xmlNode *as = r->assertion;
    memset(c, 0, sizeof(*c));
    c->response_issuer = text(a, child(r->response, NS_ASSERTION, "Issuer", NULL), &oom);
    const xmlNode *st = child(r->response, NS_PROTOCOL, "Status", NULL);
    c->status = attr(a, child(st, NS_PROTOCOL, "StatusCode", NULL), "Value", &oom);
    c->issuer = text(a, child(as, NS_ASSERTION, "Issuer", NULL), &oom);

    const xmlNode *subj = child(as, NS_ASSERTION, "Subject", NULL);
    const xmlNode *nid = child(subj, NS_ASSERTION, "NameID", NULL);
    c->name_id = text(a, nid, &oom);
    c->name_id_format = attr(a, nid, "Format", &oom);
    const xmlNode *sc = child(subj, NS_ASSERTION, "SubjectConfirmation", &n);
    c->confirmations = n;
    const xmlNode *scd = child(sc, NS_ASSERTION, "SubjectConfirmationData", NULL);
    c->recipient = attr(a, scd, "Recipient", &oom);
    const xmlNode *cond = child(as, NS_ASSERTION, "Conditions", NULL);
    const xmlNode *authn = child(as, NS_ASSERTION, "AuthnStatement", NULL);
    if (time_attr(a, scd, "NotOnOrAfter", &c->confirm_not_on_or_after, &oom) ||
        time_attr(a, cond, "NotBefore", &c->not_before, &oom) ||
        time_attr(a, cond, "NotOnOrAfter", &c->not_on_or_after, &oom) ||
        time_attr(a, authn, "SessionNotOnOrAfter", &c->session_not_on_or_after, &oom)) {
        *why = "a time is not an xs:dateTime";
        return -1;
    }
    c->audiences = arena_defer_json(a, json_array());
    c->attributes = arena_defer_json(a, json_object());
    if (!c->audiences || !c->attributes) oom = 1;
    for (const xmlNode *ar = cond ? cond->children : NULL; ar && !oom; ar = ar->next) {
        if (!is(ar, NS_ASSERTION, "AudienceRestriction")) continue;
        for (xmlNodePtr au = ar->children; au; au = au->next) {
            const char *s = is(au, NS_ASSERTION, "Audience") ? text(a, au, &oom) : NULL;
            if (s && json_array_append_new(c->audiences, json_string(s))) oom = 1;
        }
    }
    if (!oom && read_attributes(a, as, c->attributes, &oom)) oom = 1;
    if (oom) *why = "out of memory";
    return oom ? -1 : 0;
}

int saml_parse(arena *a, const char *xml, size_t len, saml_response **out, saml_claims *claims,
               const char **why)
{
    *out = NULL;
    saml_response *r = arena_alloc(a, sizeof(*r));
    if (!r) {
        *why = "out of memory";
        return -1;
    }
    *why = "the document is not XML";
    if (!(r->doc = parse_doc(a, xml, len))) return -1;
    r->response = xmlDocGetRootElement(r->doc);
    *why = "the document is not a SAML 2.0 Response";
    if (!is(r->response, NS_PROTOCOL, "Response")) return -1;
    *why = "the document's IDs are not unique";
    if (register_ids(r->doc, r->response)) return -1;
    int plain = 0, encrypted = 0, direct;
    count_assertions(r->response, &plain, &encrypted);
    r->assertion = child(r->response, NS_ASSERTION, "Assertion", &direct);
    *why = "encrypted assertions are not supported";
    if (encrypted) return -1;
    *why = "the Response must hold exactly one Assertion";
    if (plain != 1 || direct != 1) return -1;
    if (read_claims(a, r, claims, why)) return -1;
    *out = r;
    return 0;
}

/* ---- signatures ---- */

/* The transforms a SAML signature uses; anything else (XSLT, XPath, external URIs) is
 * refused before it runs. */
static int restrict_transforms(xmlSecDSigCtxPtr ctx)
{
    xmlSecTransformId ref[] = {xmlSecTransformEnvelopedId,
                               xmlSecTransformExclC14NId,
                               xmlSecTransformExclC14NWithCommentsId,
                               xmlSecTransformInclC14NId,
                               xmlSecTransformInclC14NWithCommentsId,
                               xmlSecTransformSha1Id,
                               xmlSecTransformSha256Id,
                               xmlSecTransformSha384Id,
                               xmlSecTransformSha512Id};
    xmlSecTransformId sig[] = {xmlSecTransformExclC14NId,    xmlSecTransformExclC14NWithCommentsId,
                               xmlSecTransformInclC14NId,    xmlSecTransformInclC14NWithCommentsId,
                               xmlSecTransformRsaSha1Id,     xmlSecTransformRsaSha256Id,
                               xmlSecTransformRsaSha384Id,   xmlSecTransformRsaSha512Id,
                               xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id,
                               xmlSecTransformEcdsaSha512Id};
    for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
        if (xmlSecDSigCtxEnableReferenceTransform(ctx, ref[i]) < 0) return -1;
    for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
        if (xmlSecDSigCtxEnableSignatureTransform(ctx, sig[i]) < 0) return -1;
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
    return 0;
}

/* The public key of a certificate as metadata writes it (base64 DER, line breaks allowed),
 * or NULL. */
static xmlSecKeyPtr cert_key(const char *b64)
{
    size_t len;
    arena *a = arena_new(4096);
    unsigned char *der = a ? enc_unb64_ws(a, b64, strlen(b64), &len) : NULL;
    BIO *bio = der && len < 0x7fffffff ? BIO_new_mem_buf(der, (int)len) : NULL;
    xmlSecKeyPtr k =
        bio ? xmlSecOpenSSLAppKeyFromCertLoadBIO(bio, xmlSecKeyDataFormatCertDer) : NULL;
    BIO_free(bio);
    arena_free(a);
    return k;
}

/* 0 when sig, the direct child of parent, verifies with key and its one Reference is
 * "#" + parent's ID. Takes key. */
static int verify_with(xmlNodePtr sig, xmlNodePtr parent, xmlSecKeyPtr key)
{
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL); /* no keys manager: KeyInfo is ignored */
    if (!ctx) {
        xmlSecKeyDestroy(key);
        return -1;
    }
    ctx->signKey = key;
    int ok = !restrict_transforms(ctx) && xmlSecDSigCtxVerify(ctx, sig) == 0 &&
             ctx->status == xmlSecDSigStatusSucceeded &&
             xmlSecPtrListGetSize(&ctx->signedInfoReferences) == 1;
    if (ok) {
        xmlSecDSigReferenceCtxPtr ref = xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);
        xmlChar *id = xmlGetNoNsProp(parent, (const xmlChar *)"ID");
        ok = ref && ref->uri && id && ref->uri[0] == '#' &&
             !strcmp((const char *)ref->uri + 1, (const char *)id);
        xmlFree(id);
    }
    xmlSecDSigCtxDestroy(ctx);
    return ok ? 0 : -1;
}

/* 0 when the signature of parent (its one ds:Signature child) verifies with one of certs;
 * 1 when parent has no signature; -1 otherwise. */
static int verify_node(xmlNodePtr parent, const json_t *certs)
{
    int n;
    xmlNodePtr sig = child(parent, NS_DSIG, "Signature", &n);
    if (!n) return 1;
    if (n > 1) return -1;
    size_t i;
    json_t *c;
    json_array_foreach(certs, i, c) {
        xmlSecKeyPtr k = json_is_string(c) ? cert_key(json_string_value(c)) : NULL;
        if (k && !verify_with(sig, parent, k)) return 0;
    }
    return -1;
}

int saml_verify(saml_response *r, const json_t *certs)
{
    if (saml_init() || !r) return -1;
    int resp = verify_node(r->response, certs), as = verify_node(r->assertion, certs);
    /* at least one signature, and none that fails */
    return resp >= 0 && as >= 0 && (resp == 0 || as == 0) ? 0 : -1;
}

/* ---- metadata ---- */

static xmlNodePtr find_entity(xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (is(n, NS_METADATA, "EntityDescriptor")) return n;
        if (is(n, NS_METADATA, "EntitiesDescriptor")) {
            xmlNodePtr e = find_entity(n->children);
            if (e) return e;
        }
    }
    return NULL;
}

int saml_metadata(arena *a, const char *xml, size_t len, const char **entity_id, json_t **certs)
{
    int oom = 0;
    *entity_id = NULL;
    *certs = NULL;
    xmlDocPtr doc = parse_doc(a, xml, len);
    xmlNodePtr ed = doc ? find_entity(xmlDocGetRootElement(doc)) : NULL;
    if (!ed) return -1;
    *entity_id = attr(a, ed, "entityID", &oom);
    json_t *list = arena_defer_json(a, json_array());
    if (!list || oom) return -1;
    for (xmlNodePtr sso = ed->children; sso; sso = sso->next) {
        if (!is(sso, NS_METADATA, "IDPSSODescriptor")) continue;
        for (xmlNodePtr kd = sso->children; kd; kd = kd->next) {
            if (!is(kd, NS_METADATA, "KeyDescriptor")) continue;
            const char *use = attr(a, kd, "use", &oom);
            if (use && strcmp(use, "signing")) continue;
            xmlNodePtr ki = child(kd, NS_DSIG, "KeyInfo", NULL);
            for (xmlNodePtr xd = ki ? ki->children : NULL; xd; xd = xd->next) {
                if (!is(xd, NS_DSIG, "X509Data")) continue;
                for (xmlNodePtr xc = xd->children; xc; xc = xc->next) {
                    const char *s = is(xc, NS_DSIG, "X509Certificate") ? text(a, xc, &oom) : NULL;
                    if (s && json_array_append_new(list, json_string(s))) return -1;
                }
            }
        }
    }
    if (oom) return -1;
    *certs = list;
    return 0;
}
