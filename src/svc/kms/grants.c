/* KMS grants: a grant lets one principal (its grantee, in any account) do the listed
 * operations on one key without the key policy, within its encryption-context constraints.
 * ferry's grants take effect at once, so a grant token is only checked to be one; it names
 * its grant, which RetireGrant accepts instead of a key and grant id. The key document
 * counts its grants (GrantCount) so that keys without any never look for one. */
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "kms_int.h"

#define TOKEN_PREFIX "ferry-grant-v1."

/* The operations a grant may list, and which take an encryption context (the constraints
 * apply to those only, with symmetric keys: AWS). */
static const struct {
    const char *op;
    const char *usage; /* the key usage it needs; NULL: any */
    int context;
} grant_ops[] = {
    {"Decrypt", NULL, 1},
    {"Encrypt", NULL, 1},
    {"GenerateDataKey", "ENCRYPT_DECRYPT", 1},
    {"GenerateDataKeyWithoutPlaintext", "ENCRYPT_DECRYPT", 1},
    {"GenerateDataKeyPair", "ENCRYPT_DECRYPT", 1},
    {"GenerateDataKeyPairWithoutPlaintext", "ENCRYPT_DECRYPT", 1},
    {"ReEncryptFrom", NULL, 1},
    {"ReEncryptTo", NULL, 1},
    {"Sign", "SIGN_VERIFY", 0},
    {"Verify", "SIGN_VERIFY", 0},
    {"GetPublicKey", NULL, 0},
    {"GenerateMac", "GENERATE_VERIFY_MAC", 0},
    {"VerifyMac", "GENERATE_VERIFY_MAC", 0},
    {"CreateGrant", NULL, 0},
    {"RetireGrant", NULL, 0},
    {"DescribeKey", NULL, 0},
};
#define NOPS (sizeof(grant_ops) / sizeof(grant_ops[0]))

static int op_index(const char *op)
{
    for (size_t i = 0; i < NOPS; i++)
        if (!strcmp(grant_ops[i].op, op)) return (int)i;
    return -1;
}

/* The usage a key has: ENCRYPT_DECRYPT, SIGN_VERIFY or GENERATE_VERIFY_MAC. */
static const char *key_usage(const kms_key *k)
{
    const char *u = jstr(k->doc, "KeyUsage");
    return u ? u : "ENCRYPT_DECRYPT";
}

/* ---- grant matching ---- */

static int grantee_is(const principal *w, const char *g)
{
    if (!g || !w) return 0;
    if (w->kind == PRIN_SERVICE) return !strcmp(w->service, g);
    /* a role's grant covers its sessions */
    return !strcmp(w->arn, g) || (w->kind == PRIN_ASSUMED_ROLE && !strcmp(w->role_arn, g));
}

/* Every pair of sub is in ctx (with equal=1, and nothing else). */
static int context_has(const json_t *ctx, const json_t *sub, int equal)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)sub, key, v) {
        if (!json_equal(json_object_get(ctx, key), v)) return 0;
    }
    return !equal || json_object_size(ctx) == json_object_size(sub);
}

static int constraints_met(const json_t *cons, const json_t *ctx)
{
    const json_t *eq = json_object_get(cons, "EncryptionContextEquals");
    const json_t *sub = json_object_get(cons, "EncryptionContextSubset");
    return (!eq || context_has(ctx, eq, 1)) && (!sub || context_has(ctx, sub, 0));
}

typedef struct match {
    call *c;
    const kms_key *k;
    const char *op;
    const json_t *ctx;
    int found;
} match;

static int grant_matches(const match *m, const json_t *g)
{
    if (!grantee_is(m->c->who, jstr(g, "GranteePrincipal"))) return 0;
    int listed = 0;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(g, "Operations"), i, o) {
        listed |= json_is_string(o) && !strcmp(json_string_value(o), m->op);
    }
    if (!listed) return 0;
    int ix = op_index(m->op);
    const json_t *cons = json_object_get(g, "Constraints");
    if (ix < 0 || !grant_ops[ix].context || !cons ||
        strcmp(kms_key_spec(m->k), "SYMMETRIC_DEFAULT"))
        return 1;
    return constraints_met(cons, m->ctx);
}

static int match_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    match *m = ud;
    m->found = grant_matches(m, doc);
    return m->found; /* stops at the first */
}

int kms_grant_allows(call *c, const kms_key *k, const char *action, const json_t *ctx)
{
    if (jint(k->doc, "GrantCount", 0) <= 0 || strncmp(action, "kms:", 4)) return 0;
    match m = {c, k, action + 4, ctx, 0};
    const char *prefix = arena_printf(c->a, "%s/", k->id);
    if (!prefix) return ferr_oom(c->err);
    if (store_list(c->txn, KMS_GRANT_KIND, k->account, k->region, prefix, NULL, 0, match_one, &m,
                   c->err) < 0)
        return -1;
    return m.found;
}

/* ---- grant tokens ---- */

/* token -> account, key id and grant id (in the arena): 0, or -1 when it is not one. */
static int token_parse(call *c, const char *token, const char **acct, const char **key,
                       const char **gid)
{
    size_t pl = strlen(TOKEN_PREFIX), n = 0;
    if (!token || strncmp(token, TOKEN_PREFIX, pl)) return -1;
    unsigned char *raw = enc_unb64(c->a, token + pl, strlen(token + pl), &n);
    /* 12-digit account / 36-char key id / 64 hex grant id */
    if (!raw || n != 12 + 1 + 36 + 1 + 64 || raw[12] != '/' || raw[49] != '/') return -1;
    *acct = arena_strndup(c->a, (const char *)raw, 12);
    *key = arena_strndup(c->a, (const char *)raw + 13, 36);
    *gid = arena_strndup(c->a, (const char *)raw + 50, 64);
    return *acct && *key && *gid ? 0 : -1;
}

static const char *token_of(call *c, const char *acct, const char *key, const char *gid)
{
    const char *raw = arena_printf(c->a, "%s/%s/%s", acct, key, gid);
    const char *b = raw ? enc_b64(c->a, (const unsigned char *)raw, strlen(raw)) : NULL;
    return b ? arena_printf(c->a, "%s%s", TOKEN_PREFIX, b) : NULL;
}

static int invalid_token(call *c)
{
    return ferr_set(c->err, 400, "InvalidGrantTokenException", "%s", "The grant token is invalid.");
}

int kms_grant_tokens_check(call *c, const json_t *tokens)
{
    size_t i;
    json_t *t;
    json_array_foreach(tokens, i, t) {
        const char *a, *k, *g;
        if (token_parse(c, json_string_value(t), &a, &k, &g)) return invalid_token(c);
    }
    return 0;
}

/* ---- CreateGrant ---- */

/* A principal ARN a grant may name: an account, user, role, assumed role, or a service. */
static int principal_valid(const char *p)
{
    if (!p) return 0;
    size_t n = strlen(p);
    if (n > 13 && !strcmp(p + n - 14, ".amazonaws.com")) return 1;
    const char *rest = arn_rest(p, "iam");
    if (!rest) rest = arn_rest(p, "sts");
    if (!rest || *rest++ != ':' || strspn(rest, "0123456789") != 12 || rest[12] != ':') return 0;
    rest += 13;
    return !strcmp(rest, "root") || !strncmp(rest, "user/", 5) || !strncmp(rest, "role/", 5) ||
           !strncmp(rest, "assumed-role/", 13);
}

static json_t *grant_out(const json_t *g, const char *key_arn)
{
    json_t *o =
        json_pack("{s:s, s:s, s:O, s:s*, s:s*, s:s*, s:O, s:s*}", "KeyId", key_arn, "GrantId",
                  jstr(g, "GrantId"), "CreationDate", json_object_get(g, "CreationDate"), "Name",
                  jstr(g, "Name"), "GranteePrincipal", jstr(g, "GranteePrincipal"),
                  "RetiringPrincipal", jstr(g, "RetiringPrincipal"), "Operations",
                  json_object_get(g, "Operations"), "IssuingAccount", jstr(g, "IssuingAccount"));
    const json_t *cons = json_object_get(g, "Constraints");
    if (o && cons && json_object_set((json_t *)o, "Constraints", (json_t *)cons)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The same grant again (CreateGrant's Name makes retries idempotent). */
typedef struct same {
    arena *a;
    const json_t *want;
    const char *gid;
} same;

static int same_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    same *s = ud;
    static const char *const members[] = {"Name", "GranteePrincipal", "RetiringPrincipal",
                                          "Operations", "Constraints"};
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        json_t *a = json_object_get(doc, members[i]), *b = json_object_get(s->want, members[i]);
        if ((a || b) && !json_equal(a, b)) return 0;
    }
    s->gid = arena_strdup(s->a, jstr(doc, "GrantId")); /* doc is the store's, for this call */
    return s->gid ? 1 : -1;
}

static int grant_count_add(call *c, kms_key *k, int d)
{
    if (json_object_set_new(k->doc, "GrantCount", json_integer(jint(k->doc, "GrantCount", 0) + d)))
        return ferr_oom(c->err);
    return kms_key_save(c, k);
}

/* Operations valid for the key, constraints only with encryption context: 0 or -1. */
static int grant_input_check(call *c, const kms_key *k, const json_t *in)
{
    const char *grantee = jstr(in, "GranteePrincipal"), *retiring = jstr(in, "RetiringPrincipal");
    if (!principal_valid(grantee) || (retiring && !principal_valid(retiring)))
        return kms_validation(c, "Invalid principal: %s",
                              principal_valid(grantee) ? retiring
                              : grantee                ? grantee
                                                       : "");
    size_t i;
    json_t *o;
    const json_t *ops = json_object_get(in, "Operations");
    if (!json_array_size(ops)) return kms_validation(c, "Operations must not be empty");
    json_array_foreach(ops, i, o) {
        int ix = op_index(json_string_value(o) ? json_string_value(o) : "");
        if (ix < 0 || (grant_ops[ix].usage && strcmp(grant_ops[ix].usage, key_usage(k))))
            return kms_validation(c, "Grant operation %s is not supported by %s.",
                                  json_string_value(o) ? json_string_value(o) : "", k->arn);
    }
    const json_t *cons = json_object_get(in, "Constraints");
    if (json_object_get(cons, "EncryptionContextEquals") &&
        json_object_get(cons, "EncryptionContextSubset"))
        return kms_validation(c, "%s",
                              "Grant constraints may include EncryptionContextEquals or "
                              "EncryptionContextSubset, not both.");
    if (cons && json_object_size(cons) && strcmp(kms_key_spec(k), "SYMMETRIC_DEFAULT"))
        return kms_validation(c, "%s",
                              "Encryption context grant constraints are supported only on "
                              "operations with symmetric encryption KMS keys.");
    return 0;
}

int kms_op_create_grant(call *c, json_t *in, json_t **out)
{
    const json_t *ops = json_object_get(in, "Operations");
    if (!json_is_array(ops)) return kms_validation(c, "Operations must not be empty");
    /* the condition keys AWS gives CreateGrant */
    json_t *cond = json_pack(
        "{s:s*, s:O, s:s*, s:s}", "kms:GranteePrincipal", jstr(in, "GranteePrincipal"),
        "kms:GrantOperations", ops, "kms:RetiringPrincipal", jstr(in, "RetiringPrincipal"),
        "kms:GrantIsForAWSResource", c->who && c->who->kind == PRIN_SERVICE ? "true" : "false");
    if (!cond || !arena_defer_json(c->a, cond)) return ferr_oom(c->err);
    kms_use u = {NULL, json_object_get(in, "GrantTokens"), cond};
    kms_key k;
    if (kms_key_open_use(c, jstr(in, "KeyId"), 0, "kms:CreateGrant", &u, &k) ||
        grant_input_check(c, &k, in))
        return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    if (kms_dry_run(c, in)) return -1;
    char root[64];
    json_t *g =
        json_pack("{s:s*, s:s, s:s*, s:O, s:f, s:s}", "Name", jstr(in, "Name"), "GranteePrincipal",
                  jstr(in, "GranteePrincipal"), "RetiringPrincipal", jstr(in, "RetiringPrincipal"),
                  "Operations", ops, "CreationDate", clock_now(), "IssuingAccount",
                  arn_root(root, sizeof(root), k.account, c->region));
    if (!g || !arena_defer_json(c->a, g)) return ferr_oom(c->err);
    const json_t *cons = json_object_get(in, "Constraints");
    if (json_object_size(cons) && json_object_set(g, "Constraints", (json_t *)cons))
        return ferr_oom(c->err);
    const char *prefix = arena_printf(c->a, "%s/", k.id);
    same s = {c->a, g, NULL};
    if (!prefix) return ferr_oom(c->err);
    if (jstr(in, "Name") && store_list(c->txn, KMS_GRANT_KIND, k.account, k.region, prefix, NULL, 0,
                                       same_one, &s, c->err) < 0)
        return -1;
    const char *gid = s.gid;
    if (!gid) {
        char id[65];
        ids_hex(id, 64);
        gid = arena_strdup(c->a, id);
        store_key sk = {KMS_GRANT_KIND, k.account, k.region, arena_printf(c->a, "%s/%s", k.id, id)};
        if (!gid || !sk.id) return ferr_oom(c->err);
        if (jset_str(g, "GrantId", gid) || store_put(c->txn, &sk, g, c->err) ||
            grant_count_add(c, &k, 1))
            return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    const char *token = token_of(c, k.account, k.id, gid);
    if (!token) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s}", "GrantToken", token, "GrantId", gid));
    return 0;
}

/* ---- listing ---- */

typedef struct lister {
    call *c;
    json_t *all;
    const char *grant_id, *grantee, *retiring;
} lister;

static int list_one(void *ud, const store_key *k, json_t *doc)
{
    lister *l = ud;
    const char *gid = jstr(doc, "GrantId");
    const char *grantee = jstr(doc, "GranteePrincipal"), *ret = jstr(doc, "RetiringPrincipal");
    if ((l->grant_id && (!gid || strcmp(gid, l->grant_id))) ||
        (l->grantee && (!grantee || strcmp(grantee, l->grantee))) ||
        (l->retiring && (!ret || strcmp(ret, l->retiring))))
        return 0;
    /* the key id is the grant's document id up to the slash */
    const char *slash = strchr(k->id, '/');
    const char *key = slash ? arena_strndup(l->c->a, k->id, (size_t)(slash - k->id)) : NULL;
    if (l->retiring && key) {
        /* a grant of a key that is gone (past its deletion) is gone too */
        kms_key kk;
        int rc = kms_key_load(l->c, k->account, key, &kk);
        if (rc <= 0) return rc;
    }
    const char *arn = key ? arena_printf(l->c->a, "arn:%s:kms:%s:%s:key/%s",
                                         arn_partition(k->region), k->region, k->account, key)
                          : NULL;
    if (!arn) return -1;
    return json_array_append_new(l->all, grant_out(doc, arn)) ? -1 : 0;
}

int kms_op_list_grants(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:ListGrants", &k)) return -1;
    lister l = {c, json_array(), jstr(in, "GrantId"), jstr(in, "GranteePrincipal"), NULL};
    const char *prefix = arena_printf(c->a, "%s/", k.id);
    if (!prefix || !l.all || !arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    if (store_list(c->txn, KMS_GRANT_KIND, k.account, k.region, prefix, NULL, 0, list_one, &l,
                   c->err) < 0)
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    return kms_page(c, in, l.all, "Grants", out);
}

int kms_op_list_retirable_grants(call *c, json_t *in, json_t **out)
{
    const char *ret = jstr(in, "RetiringPrincipal");
    if (!principal_valid(ret)) return kms_validation(c, "Invalid principal: %s", ret ? ret : "");
    if (call_authorize(c, "kms:ListRetirableGrants", "*")) return -1;
    lister l = {c, json_array(), NULL, NULL, ret};
    if (!l.all || !arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    /* grants of every account's keys in this region that name it */
    if (store_list(c->txn, KMS_GRANT_KIND, NULL, c->region, NULL, NULL, 0, list_one, &l, c->err) <
        0)
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    return kms_page(c, in, l.all, "Grants", out);
}

/* ---- retiring and revoking ---- */

static int grant_load(call *c, const kms_key *k, const char *gid, store_key *sk, json_t **g)
{
    sk->kind = KMS_GRANT_KIND;
    sk->account = k->account;
    sk->region = k->region;
    sk->id = arena_printf(c->a, "%s/%s", k->id, gid);
    if (!sk->id) return ferr_oom(c->err);
    int rc = store_get(c->txn, sk, g, c->err);
    if (rc < 0) return -1;
    if (!rc) return kms_not_found(c, arena_printf(c->a, "Grant ID %s", gid));
    return arena_defer_json(c->a, *g) ? 0 : ferr_oom(c->err);
}

static int grant_delete(call *c, kms_key *k, const store_key *sk)
{
    if (store_del(c->txn, sk, c->err) < 0) return -1;
    return grant_count_add(c, k, -1);
}

/* AWS: the grant's retiring principal, its grantee when it lists RetireGrant, or the
 * account that created it (its root) may retire it; no policy is consulted. */
static int may_retire(call *c, const json_t *g)
{
    const principal *w = c->who;
    if (grantee_is(w, jstr(g, "RetiringPrincipal"))) return 1;
    size_t i;
    json_t *o;
    if (grantee_is(w, jstr(g, "GranteePrincipal")))
        json_array_foreach(json_object_get(g, "Operations"), i, o) {
            if (json_is_string(o) && !strcmp(json_string_value(o), "RetireGrant")) return 1;
        }
    const char *issuer = jstr(g, "IssuingAccount");
    return w && w->kind == PRIN_ROOT && issuer && !strcmp(w->arn, issuer);
}

int kms_op_retire_grant(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *token = jstr(in, "GrantToken"), *key_id = jstr(in, "KeyId"),
               *gid = jstr(in, "GrantId");
    const char *acct = c->account;
    if (token) {
        if (token_parse(c, token, &acct, &key_id, &gid)) return invalid_token(c);
    } else if (!key_id || !gid) {
        return kms_validation(c, "%s", "Specify either the grant token or the KeyId and GrantId.");
    } else if (!strncmp(key_id, "arn:", 4)) {
        /* the key ARN names the account of the key (grants reach across accounts) */
        const char *p = strstr(key_id, ":key/");
        if (!p || p - key_id < 13) return kms_not_found(c, arena_printf(c->a, "Key '%s'", key_id));
        acct = arena_strndup(c->a, p - 12, 12);
        key_id = p + 5;
    }
    kms_key k;
    int rc = acct ? kms_key_load(c, acct, key_id, &k) : ferr_oom(c->err);
    if (rc < 0) return -1;
    if (!rc) return kms_not_found(c, arena_printf(c->a, "Key '%s'", key_id));
    call_resource(c, "AWS::KMS::Key", k.arn);
    store_key sk;
    json_t *g;
    if (grant_load(c, &k, gid, &sk, &g)) return -1;
    if (!may_retire(c, g))
        return ferr_set(c->err, 403, "AccessDenied",
                        "User: %s is not authorized to perform: kms:RetireGrant on resource: %s",
                        c->who ? c->who->arn : "anonymous", k.arn);
    if (kms_dry_run(c, in)) return -1;
    return grant_delete(c, &k, &sk);
}

int kms_op_revoke_grant(call *c, json_t *in, json_t **out)
{
    (void)out;
    kms_key k;
    store_key sk;
    json_t *g;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:RevokeGrant", &k) ||
        grant_load(c, &k, jstr(in, "GrantId"), &sk, &g) || kms_dry_run(c, in))
        return -1;
    return grant_delete(c, &k, &sk);
}
