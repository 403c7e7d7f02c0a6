/* STS AssumeRoleWithWebIdentity: an OpenID Connect ID token (GitHub Actions', an EKS
 * service account's) becomes a role session. The request is unsigned (the token is the
 * credential: flags.list). The token is checked as AWS checks it: its issuer must be an
 * OIDC provider of the role's account (IAM, idp.c), its aud one of the provider's client
 * ids, exp/nbf/iat current, its RS256 signature by a key of the issuer's JWKS (discovered
 * at ISSUER/.well-known/openid-configuration, fetched with call_fetch outside the store's
 * lock), and the role's trust policy must allow sts:AssumeRoleWithWebIdentity for
 * {"Federated": PROVIDER_ARN} under the keys the token sets (HOST/PATH:aud, :sub, :iss).
 * The session is minted by the one role-assumption path (svc/session.h).
 *
 * Departure from AWS, for tests: an issuer on a loopback host (127.0.0.1, localhost, [::1])
 * may be http:// with a port (AWS requires https); it is the provider registered as
 * https://HOST/PATH, the port left out. Any other issuer must be https. */
#include <stdio.h>
#include <string.h>

#include "auth/jwt.h"
#include "base/clock.h"
#include "svc/iam/iam.h"
#include "svc/session.h"
#include "sts_int.h"

#define DISCOVERY_MAX (64 * 1024)
#define JWKS_MAX      (256 * 1024)
#define CLOCK_SKEW    300 /* seconds of leeway for nbf and iat, as AWS allows some */

static int invalid(call *c, const char *msg)
{
    return ferr_set(c->err, 400, "InvalidIdentityToken", "%s", msg);
}

static int loopback_host(const char *h, size_t n)
{
    return (n == 9 && !strncmp(h, "127.0.0.1", 9)) || (n == 9 && !strncmp(h, "localhost", 9)) ||
           (n == 5 && !strncmp(h, "[::1]", 5));
}

/* 1 when iss may be reached: https, or http on a loopback host (tests). */
static int issuer_ok(const char *iss)
{
    if (!strncmp(iss, "https://", 8)) return iss[8] != 0;
    if (strncmp(iss, "http://", 7)) return 0;
    const char *h = iss + 7;
    size_t n = strcspn(h, ":/");
    return loopback_host(h, n);
}

/* The JSON object at url (through call_fetch): 0 and *doc (arena-held), 1 when the fetch
 * failed or is not a JSON object (IDPCommunicationError), -1 (run again, or OOM). */
static int fetch_json(call *c, const char *url, size_t max, json_t **doc)
{
    const char *body;
    size_t len;
    int rc = call_fetch(c, url, max, &body, &len);
    if (rc) return rc;
    *doc = json_loadb(body, len, 0, NULL);
    if (*doc && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return json_is_object(*doc) ? 0 : 1;
}

/* The issuer's keys, verified against t: 0, or -1 with AWS's error (or a fetch pending). */
static int verify_signature(call *c, const char *iss, const jwt *t)
{
    size_t il = strlen(iss);
    while (il && iss[il - 1] == '/') il--;
    const char *disc = arena_printf(c->a, "%.*s/.well-known/openid-configuration", (int)il, iss);
    if (!disc) return ferr_oom(c->err);
    json_t *d, *ks;
    int rc = fetch_json(c, disc, DISCOVERY_MAX, &d);
    const char *uri = rc ? NULL : jstr(d, "jwks_uri");
    if (!rc && (!uri || !issuer_ok(uri))) rc = 1;
    if (!rc) rc = fetch_json(c, uri, JWKS_MAX, &ks);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "IDPCommunicationError",
                        "Couldn't retrieve verification key from your identity provider,  please "
                        "reference AssumeRoleWithWebIdentity documentation for requirements");
    if (jwt_verify(t, ks)) return invalid(c, "Couldn't verify the token signature.");
    return 0;
}

/* The aud claim value that is one of the provider's client ids, or NULL. */
static const char *audience(const json_t *claims, const json_t *client_ids)
{
    json_t *aud = json_object_get(claims, "aud"), *one, *id;
    size_t i, j;
    json_t *single = json_is_string(aud) ? aud : NULL;
    json_array_foreach(client_ids, j, id) {
        if (single && json_equal(single, id)) return json_string_value(single);
        json_array_foreach(aud, i, one)
            if (json_equal(one, id)) return json_string_value(one);
    }
    return NULL;
}

/* exp, nbf, iat as AWS checks them. */
static int check_times(call *c, const json_t *claims)
{
    double now = clock_now();
    json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    json_t *iat = json_object_get(claims, "iat");
    if (!json_is_number(exp)) return invalid(c, "Missing a required claim: exp");
    if (json_number_value(exp) <= now)
        return ferr_set(c->err, 400, "ExpiredTokenException",
                        "Token expired: current date/time %lld must be before the expiration "
                        "date/time%lld",
                        (long long)now, (long long)json_number_value(exp));
    if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > now + CLOCK_SKEW))
        return invalid(c, "The token is not yet valid (nbf).");
    if (iat && (!json_is_number(iat) || json_number_value(iat) > now + CLOCK_SKEW))
        return invalid(c, "The token's issue time (iat) is in the future.");
    return 0;
}

int sts_op_assume_role_with_web_identity(call *c, json_t *in, json_t **out)
{
    const char *role_arn = jstr(in, "RoleArn"), *token = jstr(in, "WebIdentityToken");
    /* AWS: the token alone decides; a signature the client added anyway grants nothing */
    c->who = NULL;
    jwt t;
    if (jwt_parse(c->a, token, &t)) return invalid(c, "Couldn't parse the token.");
    if (check_times(c, t.claims)) return -1;
    const char *iss = jstr(t.claims, "iss"), *sub = jstr(t.claims, "sub");
    if (!iss || !issuer_ok(iss)) return invalid(c, "Missing or invalid claim: iss");
    if (!sub) return invalid(c, "Missing a required claim: sub");
    if (sts_check_policies(c, in)) return -1;

    /* AWS: the provider must be registered in the role's account */
    char account[13], name[160];
    if (iamsvc_role_from_arn(role_arn, account, sizeof(account), name, sizeof(name)))
        return ferr_validation(c->err, "%s is invalid", role_arn);
    json_t *prov = NULL;
    int rc = iamsvc_oidc_provider(c->txn, account, iss, &prov, c->err);
    if (rc < 0) return -1;
    if (!rc || !arena_defer_json(c->a, prov))
        return rc ? ferr_oom(c->err)
                  : invalid(c, arena_printf(c->a,
                                            "No OpenIDConnect provider found in your "
                                            "account for %s",
                                            iss));
    const char *aud = audience(t.claims, json_object_get(prov, "ClientIDList"));
    if (!aud) return invalid(c, "Incorrect token audience");
    if (verify_signature(c, iss, &t)) return -1;

    /* The keys trust policies test: HOST/PATH:aud, HOST/PATH:sub (and :iss), as AWS. */
    const char *host = jstr(prov, "Url");
    json_t *ctx = json_object();
    if (!ctx || !arena_defer_json(c->a, ctx)) return ferr_oom(c->err);
    const char *names[] = {"aud", "sub", "amr", "azp", "email", "oaud"};
    const char *vals[] = {
        aud, sub, jstr(t.claims, "amr"), jstr(t.claims, "azp"), jstr(t.claims, "email"), NULL};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *k = arena_printf(c->a, "%s:%s", host, names[i]);
        if (!k) return ferr_oom(c->err);
        if (vals[i] && json_object_set_new(ctx, k, json_string(vals[i]))) return ferr_oom(c->err);
    }
    session_req r = {.role_arn = role_arn,
                     .session_name = jstr(in, "RoleSessionName"),
                     .duration = sts_duration(in, STS_DEFAULT_SESSION),
                     .policy = jstr(in, "Policy"),
                     .policy_arns = json_object_get(in, "PolicyArns"),
                     .federated = jstr(prov, "Arn"),
                     .federated_context = ctx};
    session s;
    if (session_assume(c, &r, &s)) return -1;
    const principal *p = &s.key.who;
    *out = svc_out(c, json_pack("{s:o, s:s, s:{s:s, s:s}, s:s, s:s}", "Credentials",
                                sts_credentials(&s.key, s.expires), "SubjectFromWebIdentityToken",
                                sub, "AssumedRoleUser", "AssumedRoleId", p->userid, "Arn", p->arn,
                                "Provider", iss, "Audience", aud));
    if (*out && (r.policy || json_array_size(r.policy_arns)) &&
        json_object_set_new(*out, "PackedPolicySize", json_integer(s.packed_pct)))
        c->oom = 1;
    return 0;
}
