/* STS AssumeRoleWithSAML: a SAML 2.0 Response from an IdP (base64, as the browser posted
 * it) becomes a role session. The request is unsigned (the assertion is the credential:
 * flags.list). The assertion is checked as AWS checks it: the provider named by
 * PrincipalArn exists and its metadata is current (ValidUntil); the Response is signed by a
 * signing certificate of that metadata (src/auth/saml.c: xmlsec, wrapping refused); the
 * Issuer is the metadata's entityID; the one SubjectConfirmation is for AWS's sign-in
 * endpoint (Recipient) and current; the Conditions are current and the audience is AWS; the
 * Role attribute lists the pair (RoleArn, PrincipalArn); RoleSessionName is there. Then the
 * role's trust policy must allow sts:AssumeRoleWithSAML for {"Federated": PROVIDER_ARN}
 * under the SAML keys (SAML:aud, SAML:iss, SAML:sub, ...), and the session is minted by the
 * one role-assumption path (svc/session.h).
 *
 * Departure from AWS: the eduPerson and X.500 attributes AWS maps to keys are limited to the
 * table below; EncryptedAssertion is not supported (InvalidIdentityToken). */
#include <math.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/saml.h"
#include "base/clock.h"
#include "base/enc.h"
#include "svc/iam/iam.h"
#include "svc/session.h"
#include "sts_int.h"

#define CLOCK_SKEW   300 /* seconds of leeway for NotBefore / NotOnOrAfter */
#define ATTR         "https://aws.amazon.com/SAML/Attributes/"
#define SUCCESS      "urn:oasis:names:tc:SAML:2.0:status:Success"
#define NAMEID_V2    "urn:oasis:names:tc:SAML:2.0:nameid-format:"
#define UNSPECIFIED  "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
#define MIN_DURATION 900
#define MAX_DURATION 43200

static int invalid(call *c, const char *msg)
{
    return ferr_set(c->err, 400, "InvalidIdentityToken", "%s", msg);
}

static int rejected(call *c, const char *msg)
{
    return ferr_set(c->err, 403, "IDPRejectedClaim", "%s", msg);
}

/* AWS's sign-in endpoints a SAML response is addressed to: https://signin.aws.amazon.com/saml
 * (or /static/saml), https://REGION.signin.aws.amazon.com/saml, and the same with /acs/ID. */
static int aws_endpoint(const char *u)
{
    if (!u || strncmp(u, "https://", 8)) return 0;
    u += 8;
    size_t r = strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789-");
    if (r && u[r] == '.' && strncmp(u, "signin.", 7)) u += r + 1;
    const char *hosts[] = {"signin.aws.amazon.com/", "signin.amazonaws.cn/",
                           "signin.amazonaws-us-gov.com/"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        size_t hl = strlen(hosts[i]);
        if (strncmp(u, hosts[i], hl)) continue;
        const char *p = u + hl;
        if (!strcmp(p, "saml") || !strcmp(p, "static/saml")) return 1;
        return !strncmp(p, "saml/acs/", 9) && p[9] && !strchr(p + 9, '/');
    }
    return 0;
}

/* AWS as the audience: its sign-in endpoint or its entity id (urn:amazon:webservices, and
 * the partitions' urn:amazon:webservices:REGION). */
static int aws_audience(const json_t *audiences)
{
    size_t i;
    json_t *v;
    json_array_foreach(audiences, i, v) {
        const char *s = json_string_value(v);
        if (aws_endpoint(s) || !strcmp(s, "urn:amazon:webservices") ||
            !strncmp(s, "urn:amazon:webservices:", 23))
            return 1;
    }
    return 0;
}

/* 2..64 of [\w+=,.@-], as RoleSessionName and SourceIdentity are. */
static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 2 && n <= 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-") == n;
}

/* The first value of attribute name (ATTR suffix), or NULL. */
static const char *first(const saml_claims *cl, const char *suffix)
{
    char name[128];
    snprintf(name, sizeof(name), ATTR "%s", suffix);
    return json_string_value(json_array_get(json_object_get(cl->attributes, name), 0));
}

/* 1 when the Role attribute lists "role,provider" (either order, spaces around allowed). */
static int role_listed(const saml_claims *cl, const char *role, const char *provider)
{
    size_t i, rl = strlen(role), pl = strlen(provider);
    json_t *v;
    json_array_foreach(json_object_get(cl->attributes, ATTR "Role"), i, v) {
        const char *s = json_string_value(v), *comma = strchr(s, ',');
        if (!comma) continue;
        const char *a = s, *b = comma + 1, *ae = comma, *be = s + strlen(s);
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        while (ae > a && ae[-1] == ' ') ae--;
        while (be > b && be[-1] == ' ') be--;
        size_t al = (size_t)(ae - a), bl = (size_t)(be - b);
        if ((al == rl && bl == pl && !strncmp(a, role, rl) && !strncmp(b, provider, pl)) ||
            (al == pl && bl == rl && !strncmp(a, provider, pl) && !strncmp(b, role, rl)))
            return 1;
    }
    return 0;
}

/* Times as AWS checks them, with a small clock skew. */
static int check_times(call *c, const saml_claims *cl)
{
    double now = clock_now();
    if (cl->confirmations != 1)
        return invalid(c, "The SAML response must contain exactly one SubjectConfirmation.");
    if (!cl->recipient || isnan(cl->confirm_not_on_or_after))
        return invalid(c, "SubjectConfirmationData must have a Recipient and a NotOnOrAfter.");
    if (!isnan(cl->not_before) && cl->not_before > now + CLOCK_SKEW)
        return invalid(c, "The SAML assertion is not yet valid (NotBefore).");
    double end = cl->confirm_not_on_or_after;
    if (!isnan(cl->not_on_or_after) && cl->not_on_or_after < end) end = cl->not_on_or_after;
    if (end + CLOCK_SKEW <= now) {
        char at[32];
        clock_iso8601(end, 0, at);
        return ferr_set(c->err, 400, "ExpiredTokenException",
                        "Token must be redeemed before NotOnOrAfter %s", at);
    }
    return 0;
}

/* PrincipalTag:KEY attributes as session tags, TransitiveTagKeys as transitive keys. */
static int session_tags(call *c, const saml_claims *cl, json_t **tags, json_t **transitive)
{
    const char *k;
    json_t *v;
    *tags = arena_defer_json(c->a, json_array());
    *transitive = arena_defer_json(c->a, json_array());
    if (!*tags || !*transitive) return ferr_oom(c->err);
    json_object_foreach((json_t *)cl->attributes, k, v) {
        if (strncmp(k, ATTR "PrincipalTag:", sizeof(ATTR "PrincipalTag:") - 1)) continue;
        const char *key = k + sizeof(ATTR "PrincipalTag:") - 1;
        const char *val = json_string_value(json_array_get(v, 0));
        if (!*key || !val) return invalid(c, "A PrincipalTag attribute needs a key and a value.");
        if (json_array_append_new(*tags, json_pack("{s:s, s:s}", "Key", key, "Value", val)))
            return ferr_oom(c->err);
    }
    size_t i;
    json_array_foreach(json_object_get(cl->attributes, ATTR "TransitiveTagKeys"), i, v)
        if (json_array_append(*transitive, v)) return ferr_oom(c->err);
    return 0;
}

/* The session's length: DurationSeconds (default an hour), capped by the SessionDuration
 * attribute and the AuthnStatement's SessionNotOnOrAfter. 0 when it cannot start. */
static long long duration(call *c, const json_t *in, const saml_claims *cl)
{
    long long d = sts_duration(in, STS_DEFAULT_SESSION);
    const char *sd = first(cl, "SessionDuration");
    if (sd) {
        char *end;
        long long v = strtoll(sd, &end, 10);
        if (*end || v < MIN_DURATION || v > MAX_DURATION) {
            invalid(c, "SessionDuration in the SAML assertion must be an integer from 900 to "
                       "43200.");
            return 0;
        }
        if (v < d) d = v;
    }
    if (!isnan(cl->session_not_on_or_after)) {
        long long left = (long long)(cl->session_not_on_or_after - clock_now());
        if (left <= 0) {
            ferr_set(c->err, 400, "ExpiredTokenException",
                     "The SAML session has ended (SessionNotOnOrAfter).");
            return 0;
        }
        if (left < d) d = left;
    }
    return d;
}

/* AWS: BASE64(SHA1(Issuer + account + "/" + provider name)); doc is "ACCOUNT/NAME". */
static const char *name_qualifier(call *c, const char *issuer, const char *doc)
{
    const char *s = arena_printf(c->a, "%s%s", issuer, doc);
    if (!s) return NULL;
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)s, strlen(s), md);
    return enc_b64(c->a, md, sizeof(md));
}

/* The NameID Format as AWS reports it: SAML 2.0's prefix dropped, others whole. */
static const char *subject_type(const char *format)
{
    if (!format) return UNSPECIFIED;
    size_t n = sizeof(NAMEID_V2) - 1;
    return strncmp(format, NAMEID_V2, n) ? format : format + n;
}

/* eduPerson and X.500 attributes AWS maps to trust-policy keys (multi-valued). */
static const struct {
    const char *oid, *key;
} MAPPED[] = {
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "SAML:edupersonaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "SAML:edupersonnickname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "SAML:edupersonorgdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "SAML:edupersonorgunitdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "SAML:edupersonprimaryaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "SAML:edupersonprincipalname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "SAML:edupersonentitlement"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "SAML:edupersonprimaryorgunitdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "SAML:edupersonscopedaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "SAML:edupersontargetedid"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "SAML:edupersonassurance"},
    {"urn:oid:2.5.4.3", "SAML:cn"},
    {"urn:oid:2.5.4.4", "SAML:surname"},
    {"urn:oid:2.5.4.42", "SAML:givenName"},
    {"urn:oid:0.9.2342.19200300.100.1.1", "SAML:uid"},
    {"urn:oid:0.9.2342.19200300.100.1.3", "SAML:mail"},
};

/* The keys a trust policy tests (AWS: SAML:aud is the Recipient, not the Audience). NULL on
 * OOM. */
static json_t *context(call *c, const saml_claims *cl, const char *nq, const char *doc)
{
    json_t *ctx = arena_defer_json(c->a, json_object());
    if (!ctx) return NULL;
    const char *k[] = {"SAML:aud",      "SAML:iss",           "SAML:sub",
                       "SAML:sub_type", "SAML:namequalifier", "SAML:doc"};
    const char *v[] = {
        cl->recipient, cl->issuer, cl->name_id, subject_type(cl->name_id_format), nq, doc};
    for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
        if (v[i] && json_object_set_new(ctx, k[i], json_string(v[i]))) return NULL;
    for (size_t i = 0; i < sizeof(MAPPED) / sizeof(MAPPED[0]); i++) {
        json_t *vals = json_object_get(cl->attributes, MAPPED[i].oid);
        if (vals && json_object_set(ctx, MAPPED[i].key, vals)) return NULL;
    }
    return ctx;
}

/* The provider and its metadata: entity id, signing certificates. */
static int provider(call *c, const char *arn, json_t **prov, const char **entity, json_t **certs)
{
    int rc = iamsvc_saml_provider(c->txn, c->a, arn, prov, c->err);
    if (rc < 0) return -1;
    if (!rc) return invalid(c, "Specified provider doesn't exist.");
    if (!arena_defer_json(c->a, *prov)) return ferr_oom(c->err);
    json_t *vu = json_object_get(*prov, "ValidUntil");
    if (json_is_number(vu) && json_number_value(vu) <= clock_now())
        return invalid(c, "The metadata of the specified provider has expired (ValidUntil).");
    const char *md = jstr(*prov, "SAMLMetadataDocument");
    if (!md || saml_metadata(c->a, md, strlen(md), entity, certs) || !*entity)
        return invalid(c, "Could not parse metadata of the specified provider.");
    return 0;
}

int sts_op_assume_role_with_saml(call *c, json_t *in, json_t **out)
{
    const char *role_arn = jstr(in, "RoleArn"), *prov_arn = jstr(in, "PrincipalArn");
    const char *b64 = jstr(in, "SAMLAssertion");
    /* AWS: the assertion alone decides; a signature the client added anyway grants nothing */
    c->who = NULL;
    size_t len;
    const unsigned char *xml = enc_unb64_ws(c->a, b64, strlen(b64), &len);
    if (!xml) return invalid(c, "Invalid base64 SAMLResponse (check that there is no whitespace)");
    saml_response *r;
    saml_claims cl;
    const char *why;
    if (saml_parse(c->a, (const char *)xml, len, &r, &cl, &why))
        return strcmp(why, "out of memory")
                   ? invalid(c, arena_printf(c->a, "Invalid SAML response: %s.", why))
                   : ferr_oom(c->err);
    if (sts_check_policies(c, in)) return -1;

    json_t *prov, *certs;
    const char *entity;
    if (provider(c, prov_arn, &prov, &entity, &certs)) return -1;
    if (saml_verify(r, certs)) return invalid(c, "Response signature invalid");
    if (cl.status && strcmp(cl.status, SUCCESS))
        return rejected(c, "The identity provider reported that authentication failed.");
    if (!cl.issuer || strcmp(cl.issuer, entity) ||
        (cl.response_issuer && strcmp(cl.response_issuer, entity)))
        return invalid(c, "Issuer not present in specified provider");
    if (check_times(c, &cl)) return -1;
    if (!aws_endpoint(cl.recipient))
        return rejected(c, "The SAML response's Recipient is not an AWS sign-in endpoint.");
    if (!aws_audience(cl.audiences))
        return rejected(c, "The SAML assertion's audience does not include AWS.");
    if (!cl.name_id) return invalid(c, "The SAML assertion has no Subject NameID.");
    if (!json_object_get(cl.attributes, ATTR "Role"))
        return invalid(c, "The SAML assertion has no Role attribute (" ATTR "Role).");
    if (!role_listed(&cl, role_arn, prov_arn))
        return ferr_set(c->err, 403, "AccessDenied",
                        "Not authorized to perform sts:AssumeRoleWithSAML");
    const char *session_name = first(&cl, "RoleSessionName");
    if (!session_name) return invalid(c, "RoleSessionName is required in AuthnResponse");
    if (!name_ok(session_name))
        return invalid(c, "RoleSessionName in AuthnResponse must be 2 to 64 of [\\w+=,.@-].");
    const char *source = first(&cl, "SourceIdentity");
    if (source && !name_ok(source))
        return invalid(c, "SourceIdentity in AuthnResponse must be 2 to 64 of [\\w+=,.@-].");
    long long d = duration(c, in, &cl);
    json_t *tags, *transitive;
    if (!d || session_tags(c, &cl, &tags, &transitive)) return -1;

    /* SAML:doc, "ACCOUNT/NAME" of the provider (its ARN was found, so it has both) */
    const char *acct = strstr(prov_arn, ":iam::"), *pname = strrchr(prov_arn, '/');
    const char *doc = arena_printf(c->a, "%.12s%s", acct ? acct + 6 : "", pname ? pname : "");
    const char *nq = doc ? name_qualifier(c, cl.issuer, doc) : NULL;
    json_t *ctx = nq ? context(c, &cl, nq, doc) : NULL;
    if (!ctx) return ferr_oom(c->err);
    session_req q = {.role_arn = role_arn,
                     .session_name = session_name,
                     .duration = d,
                     .policy = jstr(in, "Policy"),
                     .policy_arns = json_object_get(in, "PolicyArns"),
                     .tags = tags,
                     .transitive = transitive,
                     .source_identity = source,
                     .federated = jstr(prov, "Arn"),
                     .federated_context = ctx,
                     .federated_action = "sts:AssumeRoleWithSAML"};
    session s;
    if (session_assume(c, &q, &s)) return -1;
    const principal *p = &s.key.who;
    *out = svc_out(c, json_pack("{s:o, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s}", "Credentials",
                                sts_credentials(&s.key, s.expires), "AssumedRoleUser",
                                "AssumedRoleId", p->userid, "Arn", p->arn, "Subject", cl.name_id,
                                "SubjectType", subject_type(cl.name_id_format), "Issuer", cl.issuer,
                                "Audience", cl.recipient, "NameQualifier", nq));
    if (*out && (q.policy || json_array_size(q.policy_arns) || json_array_size(tags)) &&
        json_object_set_new(*out, "PackedPolicySize", json_integer(s.packed_pct)))
        c->oom = 1;
    if (*out && s.source_identity[0] &&
        json_object_set_new(*out, "SourceIdentity", json_string(s.source_identity)))
        c->oom = 1;
    return 0;
}
