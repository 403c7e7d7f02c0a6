/* KMS keys, their states and aliases: how every operation reaches a key (KeyId in any of
 * AWS's four forms -> load -> authorize with the key policy), and the key and alias
 * operations. */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/gencache.h"
#include "base/hmap.h"
#include "base/ids.h"
#include "iam/policy.h"
#include "keyid.h"
#include "kms_int.h"

int kms_not_found(call *c, const char *what)
{
    return ferr_set(c->err, 400, "NotFoundException", "%s does not exist", what);
}

int kms_validation(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "ValidationException", "", fmt, ap);
    va_end(ap);
    return -1;
}

static const char *key_arn(call *c, const char *account, const char *id)
{
    return arena_printf(c->a, "arn:%s:kms:%s:%s:key/%s", arn_partition(c->region), c->region,
                        account, id);
}

int kms_key_expired(const json_t *doc)
{
    const char *state = jstr(doc, "KeyState");
    json_t *when = json_object_get(doc, "DeletionDate");
    return state && !strcmp(state, "PendingDeletion") && json_is_number(when) &&
           json_number_value(when) <= clock_now();
}

/* Key documents as read in read transactions, while the store's generation of keys holds:
 * Encrypt and Decrypt read their key's document and parsing it was a tenth of their cost.
 * Read-only operations share one parsed document (they never change it); a write
 * transaction, which may change its own, reads its own. */
static gencache_static key_docs = SVC_DOC_CACHE(4096);

static void materials_forget(void);

void kms_keys_forget(void)
{
    gencache_clear(gencache_of(&key_docs));
    materials_forget();
}

int kms_key_load(call *c, const char *account, const char *id, kms_key *k)
{
    memset(k, 0, sizeof(*k));
    store_key sk = {KMS_KEY_KIND, account, c->region, id};
    json_t *doc = NULL;
    /* a write transaction, which may change its key, reads its own copy */
    int rc =
        call_doc_shared(c, store_txn_is_write(c->txn) ? NULL : gencache_of(&key_docs), &sk, &doc);
    if (rc != 1) return rc;
    if (kms_key_expired(doc)) {
        /* its waiting period is over: AWS deleted it then; the first writer to see it does */
        if (store_txn_is_write(c->txn) && store_del(c->txn, &sk, c->err) < 0) return -1;
        return 0;
    }
    k->doc = doc;
    k->account = arena_strdup(c->a, account);
    k->region = c->region;
    k->id = jstr(doc, "KeyId");
    k->arn = jstr(doc, "Arn");
    k->state = jstr(doc, "KeyState");
    k->policy = jstr(doc, "Policy");
    return k->account && k->id && k->arn && k->state ? 1 : ferr_oom(c->err);
}

int kms_key_save(call *c, kms_key *k)
{
    store_key sk = {KMS_KEY_KIND, k->account, k->region, k->id};
    return store_put(c->txn, &sk, k->doc, c->err);
}

static int account_valid(const char *s, size_t n)
{
    return n == 12 && strspn(s, "0123456789") >= 12;
}

/* Splits arn:aws:kms:REGION:ACCOUNT:REST: 0 and *account, *rest, or -1. A key in another
 * region is not reachable from this one. */
static int split_arn(call *c, const char *arn, const char **account, const char **rest)
{
    size_t rl = strlen(c->region);
    const char *r = arn_rest(arn, "kms");
    if (!r || strncmp(r, c->region, rl) || r[rl] != ':') return -1;
    const char *a = r + rl + 1;
    if (!account_valid(a, 12) || a[12] != ':') return -1;
    *account = arena_strndup(c->a, a, 12);
    *rest = a + 13;
    return *account ? 0 : -1;
}

/* The key an alias names: 1 and *id, 0 none, -1 error. */
static int alias_target(call *c, const char *account, const char *name, const char **id)
{
    store_key sk = {KMS_ALIAS_KIND, account, c->region, name};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &sk, &doc, c->err);
    if (rc != 1) return rc;
    *id = arena_strdup(c->a, jstr(doc, "TargetKeyId"));
    json_decref(doc);
    return *id ? 1 : ferr_oom(c->err);
}

int kms_key_open(call *c, const char *key_id, int aliases, const char *action, kms_key *k)
{
    return kms_key_open_use(c, key_id, aliases, action, NULL, k);
}

int kms_key_open_use(call *c, const char *key_id, int aliases, const char *action, const kms_use *u,
                     kms_key *k)
{
    if (u && kms_grant_tokens_check(c, u->tokens)) return -1;
    const char *account = c->account, *id = key_id, *rest = NULL, *alias = NULL;
    if (!key_id || !*key_id) return kms_validation(c, "KeyId is required");
    if (!strncmp(key_id, "arn:", 4)) {
        if (split_arn(c, key_id, &account, &rest))
            return kms_not_found(c, arena_printf(c->a, "Key '%s'", key_id));
        if (!strncmp(rest, "key/", 4))
            id = rest + 4;
        else if (!strncmp(rest, "alias/", 6))
            alias = rest;
        else
            return kms_not_found(c, arena_printf(c->a, "Key '%s'", key_id));
    } else if (!strncmp(key_id, "alias/", 6)) {
        alias = key_id;
    }
    if (alias) {
        if (!aliases)
            return kms_validation(c, "Alias %s is not allowed here: use a key id or ARN", key_id);
        int rc = alias_target(c, account, alias, &id);
        /* alias/aws/<service>: the AWS managed key, made when its service first uses it */
        if (!rc && !strcmp(account, c->account)) rc = kms_managed_create(c, alias, &id);
        if (rc < 0) return -1;
        if (!rc)
            return kms_not_found(
                c, arena_printf(c->a, "Alias arn:aws:kms:%s:%s:%s", c->region, account, alias));
    }
    int rc = kms_key_load(c, account, id, k);
    if (rc < 0) return -1;
    if (!rc) return kms_not_found(c, arena_printf(c->a, "Key '%s'", key_arn(c, account, id)));
    call_resource(c, "AWS::KMS::Key", k->arn);
    return kms_key_authorize_use(c, k, action, u);
}

int kms_key_authorize(call *c, const kms_key *k, const char *action)
{
    return kms_key_authorize_use(c, k, action, NULL);
}

/* kms:CallerAccount, kms:EncryptionContext:<key> and kms:EncryptionContextKeys (AWS's
 * condition keys of every key operation), and u's own. */
static json_t *conditions(call *c, const kms_use *u)
{
    json_t *ctx = json_pack("{s:s}", "kms:CallerAccount", c->account);
    if (!ctx || !arena_defer_json(c->a, ctx)) return NULL;
    const json_t *ec = u ? u->context : NULL;
    if (json_object_size(ec)) {
        json_t *keys = json_array(), *v;
        const char *key;
        if (!keys || json_object_set_new(ctx, "kms:EncryptionContextKeys", keys)) return NULL;
        json_object_foreach((json_t *)ec, key, v) {
            const char *name = arena_printf(c->a, "kms:EncryptionContext:%s", key);
            if (!name || json_array_append_new(keys, json_string(key)) ||
                (json_is_string(v) && json_object_set(ctx, name, v)))
                return NULL;
        }
    }
    if (u && u->cond && json_object_update(ctx, (json_t *)u->cond)) return NULL;
    return ctx;
}

int kms_key_authorize_use(call *c, const kms_key *k, const char *action, const kms_use *u)
{
    /* AWS: the key policy decides, in the key's own account too; the default policy's
     * account-root statement hands the decision to the account's IAM policies. A grant
     * allows its grantee its operations besides (kms_grant_allows). */
    json_t *ctx = conditions(c, u);
    if (!ctx) return ferr_oom(c->err);
    int granted = kms_grant_allows(c, k, action, u ? u->context : NULL);
    if (granted < 0) return -1;
    authz_req r = {.action = action,
                   .resource = k->arn,
                   .resource_account = k->account,
                   .resource_policy = k->policy,
                   .context = ctx,
                   .resource_policy_required = 1,
                   .granted = granted,
                   /* AWS: "RCPs do not apply to AWS managed keys" */
                   .rcp_exempt = !strcmp(kms_key_manager(k), "AWS")};
    return call_authorize_ex(c, &r);
}

unsigned char *kms_message(call *c, const char *b64, size_t *n)
{
    *n = 0;
    unsigned char *bytes = b64 ? enc_unb64(c->a, b64, strlen(b64), n) : NULL;
    if (bytes && *n >= 1 && *n <= KMS_MAX_PLAINTEXT) return bytes;
    kms_validation(c, "1 validation error detected: Value at 'message' failed to satisfy "
                      "constraint: Member must have length less than or equal to 4096 and "
                      "greater than or equal to 1");
    return NULL;
}

int kms_dry_run(call *c, const json_t *in)
{
    if (!jbool(in, "DryRun", 0)) return 0;
    return ferr_set(c->err, 412, "DryRunOperationException",
                    "The request would have succeeded, but the DryRun option is set.");
}

int kms_key_usable(call *c, const kms_key *k)
{
    if (!strcmp(k->state, "Enabled")) return 0;
    if (!strcmp(k->state, "Disabled"))
        return ferr_set(c->err, 400, "DisabledException", "%s is disabled.", k->arn);
    return ferr_set(c->err, 400, "KMSInvalidStateException", "%s is %s.", k->arn,
                    !strcmp(k->state, "PendingDeletion") ? "pending deletion" : k->state);
}

const char *kms_key_spec(const kms_key *k)
{
    const char *s = jstr(k->doc, "KeySpec");
    return s ? s : "SYMMETRIC_DEFAULT";
}

const char *kms_key_manager(const kms_key *k)
{
    const char *m = jstr(k->doc, "KeyManager");
    return m ? m : "CUSTOMER";
}

const char *kms_mac_algorithm(const char *spec)
{
    if (!strcmp(spec, "HMAC_224")) return "HMAC_SHA_224";
    if (!strcmp(spec, "HMAC_384")) return "HMAC_SHA_384";
    if (!strcmp(spec, "HMAC_512")) return "HMAC_SHA_512";
    return "HMAC_SHA_256";
}

const char *kms_key_usage(const kms_key *k)
{
    const char *u = jstr(k->doc, "KeyUsage");
    if (u) return u;
    return !strncmp(kms_key_spec(k), "HMAC_", 5) ? "GENERATE_VERIFY_MAC" : "ENCRYPT_DECRYPT";
}

int kms_key_for(call *c, const kms_key *k, const char *usage)
{
    if (!strcmp(kms_key_usage(k), usage)) return 0;
    return ferr_set(c->err, 400, "InvalidKeyUsageException",
                    "%s key usage is %s which is not valid for this operation.", k->arn,
                    kms_key_usage(k));
}

uint32_t kms_key_gen(const kms_key *k)
{
    size_t n = json_array_size(json_object_get(k->doc, "Materials"));
    return n ? (uint32_t)(n - 1) : 0;
}

/* Key material as unwrapped, keyed by the master key's hash, the key and its wrapped text
 * (which name it completely: a material never changes, a new one is wrapped with a new IV). Opening it under
 * the master key on every use was a tenth of an Encrypt. Wiped when dropped. */
typedef struct material {
    size_t len;
    unsigned char b[];
} material;

static void material_free(void *p)
{
    material *m = p;
    OPENSSL_cleanse(m->b, m->len);
    free(m);
}
static gencache_static materials = GENCACHE_STATIC(1024, material_free);

static void materials_forget(void)
{
    gencache_clear(gencache_of(&materials));
}

typedef struct material_out {
    arena *a;
    unsigned char *b;
    size_t len;
} material_out;

static void material_copy(const void *val, void *ud)
{
    const material *m = val;
    material_out *o = ud;
    if ((o->b = arena_alloc(o->a, m->len))) {
        memcpy(o->b, m->b, m->len);
        o->len = m->len;
    }
}

int kms_key_material(call *c, const kms_key *k, uint32_t gen, const unsigned char **m, size_t *len)
{
    const unsigned char *master;
    if (kms_master(c, &master)) return -1;
    const char *w = json_string_value(json_array_get(json_object_get(k->doc, "Materials"), gen));
    if (!w) return ferr_set(c->err, 400, "InvalidCiphertextException", "%s", "");
    gencache *cache = c->env ? gencache_of(&materials) : NULL;
    char mh[17];
    enc_hex64(hash_bytes(HASH_SEED, master, 32), mh);
    const char *ck = arena_printf(c->a, "%s\x1f%s\x1f%s", mh, k->arn, w);
    material_out o = {c->a, NULL, 0};
    if (ck && gencache_read(cache, ck, 0, material_copy, &o) && o.b) {
        *m = o.b;
        *len = o.len;
        return 0;
    }
    size_t n = 0;
    unsigned char *wrapped = enc_unb64(c->a, w, strlen(w), &n);
    unsigned char *out = n > KMSBLOB_GCM ? arena_alloc(c->a, n - KMSBLOB_GCM) : NULL;
    /* the material is bound to its key: a document's material copied to another key fails */
    if (!wrapped || !out || n > KMS_MAX_MATERIAL + KMSBLOB_GCM ||
        kmsblob_gcm_open(master, k->arn, strlen(k->arn), wrapped, n, out))
        return ferr_internal(c->err, "key material of %s does not open under the master key",
                             k->arn);
    *m = out;
    *len = n - KMSBLOB_GCM;
    material *keep = ck && cache ? malloc(sizeof(*keep) + *len) : NULL;
    if (keep) {
        keep->len = *len;
        memcpy(keep->b, out, *len);
        gencache_entry *ent = gencache_insert(cache, ck, 0, keep);
        if (ent)
            gencache_release(ent);
        else
            material_free(keep);
    }
    return 0;
}

/* Bytes of material per key spec: AES-256 for symmetric keys, HMAC keys as AWS sizes them */
static size_t material_len(const char *spec)
{
    static const struct {
        const char *spec;
        size_t len;
    } lens[] = {{"HMAC_224", 28}, {"HMAC_256", 32}, {"HMAC_384", 48}, {"HMAC_512", 64}};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        if (spec && !strcmp(spec, lens[i].spec)) return lens[i].len;
    return KMSBLOB_KEYLEN;
}

int kms_key_add_material(call *c, json_t *doc, const char *arn)
{
    const unsigned char *master;
    if (kms_master(c, &master)) return -1;
    const char *spec = jstr(doc, "KeySpec");
    size_t len = material_len(spec);
    unsigned char sym[64], *m = sym, *w;
    if (kms_asym_known(spec)) {
        /* the private key; its public half is no secret */
        const char *pub;
        if (kms_asym_generate(c, spec, &m, &len, &pub)) return -1;
        if (jset_str(doc, "PublicKey", pub)) return ferr_oom(c->err);
    } else {
        ids_random(sym, len);
    }
    w = arena_alloc(c->a, len + KMSBLOB_GCM);
    int rc = !w || kmsblob_gcm_seal(master, arn, strlen(arn), m, len, w);
    OPENSSL_cleanse(m, len);
    if (rc) return ferr_internal(c->err, "cannot wrap key material");
    json_t *mats = json_object_get(doc, "Materials");
    char *b = enc_b64(c->a, w, len + KMSBLOB_GCM);
    if (!b || !mats || json_array_append_new(mats, json_string(b))) return ferr_oom(c->err);
    return 0;
}

int kms_key_create(call *c, const char *id, const kms_key_spec_in *ks, kms_key *k)
{
    const char *arn = key_arn(c, c->account, id);
    json_t *doc = json_pack(
        "{s:s, s:s, s:f, s:s, s:s, s:s, s:[], s:o, s:b, s:s, s:s, s:s}", "KeyId", id, "Arn", arn,
        "CreationDate", clock_now(), "KeyState", "Enabled", "Description",
        ks->description ? ks->description : "", "Policy", ks->policy, "Materials", "Tags",
        ks->tags ? json_incref((json_t *)ks->tags) : json_array(), "RotationEnabled", ks->rotation,
        "KeySpec", ks->spec, "KeyUsage", ks->usage, "KeyManager", ks->manager);
    if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (ks->rotation && json_object_set_new(doc, "RotationPeriodInDays", json_integer(365)))
        return ferr_oom(c->err);
    if (kms_key_add_material(c, doc, arn)) return -1;
    store_key sk = {KMS_KEY_KIND, c->account, c->region, id};
    if (store_put(c->txn, &sk, doc, c->err)) return -1;
    if (kms_key_load(c, c->account, id, k) != 1) return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    return 0;
}

/* ---- key metadata ---- */

static json_t *metadata(const kms_key *k)
{
    json_t *d = k->doc;
    const char *spec = kms_key_spec(k);
    int hmac = !strncmp(spec, "HMAC_", 5);
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:O, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "AWSAccountId",
        k->account, "KeyId", k->id, "Arn", k->arn, "CreationDate",
        json_object_get(d, "CreationDate"), "Enabled", !strcmp(k->state, "Enabled"), "Description",
        jstr(d, "Description") ? jstr(d, "Description") : "", "KeyUsage", kms_key_usage(k),
        "KeyState", k->state, "Origin", "AWS_KMS", "KeyManager", kms_key_manager(k),
        "CustomerMasterKeySpec", spec, "KeySpec", spec, "MultiRegion", 0);
    json_t *dd = json_object_get(d, "DeletionDate");
    /* which algorithms the key does: SYMMETRIC_DEFAULT, HMAC_SHA_N for HMAC_N, or the
     * asymmetric key's encryption or signing algorithms */
    const char *member = hmac ? "MacAlgorithms" : "EncryptionAlgorithms";
    json_t *algs = kms_asym_known(spec) ? kms_asym_algorithms(spec, kms_key_usage(k), &member)
                   : hmac               ? json_pack("[s]", kms_mac_algorithm(spec))
                                        : json_pack("[s]", "SYMMETRIC_DEFAULT");
    if (m && (!algs || json_object_set_new(m, member, algs) ||
              (dd && json_object_set(m, "DeletionDate", dd)))) {
        json_decref(m);
        return NULL;
    }
    if (!m) json_decref(algs);
    return m;
}

static const char *default_policy(call *c)
{
    /* AWS's default key policy: the account's root may do everything, which lets the
     * account's IAM policies decide */
    return arena_printf(c->a,
                        "{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[{"
                        "\"Sid\":\"Enable IAM User Permissions\",\"Effect\":\"Allow\","
                        "\"Principal\":{\"AWS\":\"arn:%s:iam::%s:root\"},\"Action\":\"kms:*\","
                        "\"Resource\":\"*\"}]}",
                        arn_partition(c->region), c->account);
}

int kms_policy_check(call *c, const char *policy)
{
    ferr pe = {0};
    iam_policy *p = iam_policy_parse(policy, strlen(policy), IAM_KIND_RESOURCE, &pe);
    if (!p) return ferr_set(c->err, 400, "MalformedPolicyDocumentException", "%s", pe.message);
    iam_policy_free(p);
    return 0;
}

int kms_lockout_check(call *c, const char *arn, const char *account, const char *policy,
                      const json_t *in)
{
    if (jbool(in, "BypassPolicyLockoutSafetyCheck", 0)) return 0;
    /* AWS: the caller must be able to change the policy again under the new one */
    authz_req r = {.action = "kms:PutKeyPolicy",
                   .resource = arn,
                   .resource_account = account,
                   .resource_policy = policy,
                   .resource_policy_required = 1};
    if (!call_authorize_ex(c, &r)) return 0;
    if (ferr_isset(c->err) && c->err->status != 403) return -1;
    ferr_clear(c->err);
    return ferr_set(c->err, 400, "MalformedPolicyDocumentException", "%s",
                    "The new key policy will not allow you to update the key policy in the "
                    "future.");
}

int kms_op_create_key(call *c, json_t *in, json_t **out)
{
    const char *spec = jstr(in, "KeySpec");
    if (!spec) spec = jstr(in, "CustomerMasterKeySpec");
    if (!spec) spec = "SYMMETRIC_DEFAULT";
    int hmac = !strncmp(spec, "HMAC_", 5), asym = kms_asym_known(spec);
    if (strcmp(spec, "SYMMETRIC_DEFAULT") && !hmac && !asym)
        return ferr_set(c->err, 400, "UnsupportedOperationException",
                        "KeySpec %s is not supported by ferry yet", spec);
    /* AWS: symmetric keys encrypt; HMAC keys must say GENERATE_VERIFY_MAC; RSA keys encrypt
     * or sign, ECC keys sign (KeyUsage defaults to ENCRYPT_DECRYPT) */
    const char *usage = jstr(in, "KeyUsage");
    const char *want = hmac ? "GENERATE_VERIFY_MAC" : asym && usage ? usage : "ENCRYPT_DECRYPT";
    if (asym ? !kms_asym_usage_ok(spec, want) : (usage || hmac) && strcmp(usage ? usage : "", want))
        return kms_validation(c, "KeyUsage %s is not compatible with KeySpec %s",
                              usage ? usage : "ENCRYPT_DECRYPT", spec);
    const char *origin = jstr(in, "Origin");
    if (origin && strcmp(origin, "AWS_KMS"))
        return ferr_set(c->err, 400, "UnsupportedOperationException",
                        "Origin %s is not supported by ferry", origin);
    const char *policy = jstr(in, "Policy");
    if ((policy && kms_policy_check(c, policy)) || kms_tags_check(c, json_object_get(in, "Tags")))
        return -1;
    char id[37];
    ids_uuid(id);
    const char *given = c->caller == CALLER_INTERNAL ? jstr(in, KMS_CREATE_KEY_ID) : NULL;
    if (given) {
        kms_key old;
        int rc = strlen(given) == 36 && strspn(given, "0123456789abcdef-") == 36
                     ? kms_key_load(c, c->account, given, &old)
                     : kms_validation(c, "%s is not a key id", given);
        if (rc)
            return rc < 0 ? -1
                          : ferr_set(c->err, 400, "AlreadyExistsException", "Key %s already exists",
                                     given);
        memcpy(id, given, sizeof(id));
    }
    const char *arn = key_arn(c, c->account, id);
    call_resource(c, "AWS::KMS::Key", arn);
    if (call_authorize(c, "kms:CreateKey", "*") ||
        (policy && kms_lockout_check(c, arn, c->account, policy, in)))
        return -1;
    kms_key_spec_in ks = {.description = jstr(in, "Description"),
                          .policy = policy ? policy : default_policy(c),
                          .spec = spec,
                          .usage = want,
                          .tags = json_object_get(in, "Tags"),
                          .manager = "CUSTOMER"};
    kms_key k;
    if (kms_key_create(c, id, &ks, &k)) return -1;
    *out = svc_out(c, json_pack("{s:o*}", "KeyMetadata", metadata(&k)));
    return 0;
}

int kms_op_describe_key(call *c, json_t *in, json_t **out)
{
    kms_key k;
    kms_use u = {NULL, json_object_get(in, "GrantTokens"), NULL};
    if (kms_key_open_use(c, jstr(in, "KeyId"), 1, "kms:DescribeKey", &u, &k)) return -1;
    *out = svc_out(c, json_pack("{s:o*}", "KeyMetadata", metadata(&k)));
    return 0;
}

typedef struct collect {
    call *c;
    json_t *all;
    const char *target; /* ListAliases: only aliases of this key id */
} collect;

static int collect_key(void *ud, const store_key *k, json_t *doc)
{
    collect *cl = ud;
    if (kms_key_expired(doc)) return 0;
    return json_array_append_new(
               cl->all, json_pack("{s:s, s:s}", "KeyId", k->id, "KeyArn", jstr(doc, "Arn")))
               ? -1
               : 0;
}

int kms_page(call *c, json_t *in, json_t *all, const char *key, json_t **out)
{
    json_t *o = json_object();
    if (!o || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, all, jstr(in, "Marker"), jint(in, "Limit", 100), o, key, "NextMarker",
                 "InvalidMarkerException"))
        return -1;
    if (json_object_set_new(o, "Truncated", json_boolean(json_object_get(o, "NextMarker")))) {
        return ferr_oom(c->err);
    }
    *out = svc_out(c, json_incref(o));
    return 0;
}

int kms_op_list_keys(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "kms:ListKeys", "*")) return -1;
    collect cl = {c, json_array(), NULL};
    if (!cl.all || !arena_defer_json(c->a, cl.all)) return ferr_oom(c->err);
    if (store_list(c->txn, KMS_KEY_KIND, c->account, c->region, NULL, NULL, 0, collect_key, &cl,
                   c->err) < 0)
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    return kms_page(c, in, cl.all, "Keys", out);
}

/* ---- states ---- */

static int set_state(call *c, json_t *in, const char *action, const char *state)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, action, &k)) return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    if (jset_str(k.doc, "KeyState", state) || kms_key_save(c, &k))
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    return 0;
}

int kms_op_enable_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    return set_state(c, in, "kms:EnableKey", "Enabled");
}

int kms_op_disable_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    return set_state(c, in, "kms:DisableKey", "Disabled");
}

int kms_op_schedule_key_deletion(call *c, json_t *in, json_t **out)
{
    long long days = jint(in, "PendingWindowInDays", 30);
    if (days < 7 || days > 30)
        return kms_validation(c,
                              "1 validation error detected: Value '%lld' at 'pendingWindowInDays' "
                              "failed to satisfy constraint: Member must have value less than or "
                              "equal to 30 and greater than or equal to 7",
                              days);
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:ScheduleKeyDeletion", &k)) return -1;
    if (!strcmp(k.state, "PendingDeletion")) return kms_key_usable(c, &k);
    double when = clock_now() + (double)days * 86400.0;
    if (jset_str(k.doc, "KeyState", "PendingDeletion") ||
        json_object_set_new(k.doc, "DeletionDate", json_real(when)))
        return ferr_oom(c->err);
    if (kms_key_save(c, &k)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:f, s:s, s:I}", "KeyId", k.arn, "DeletionDate", when,
                                "KeyState", "PendingDeletion", "PendingWindowInDays", days));
    return 0;
}

int kms_op_cancel_key_deletion(call *c, json_t *in, json_t **out)
{
    kms_key k;
    if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:CancelKeyDeletion", &k)) return -1;
    if (strcmp(k.state, "PendingDeletion"))
        return ferr_set(c->err, 400, "KMSInvalidStateException", "%s is not pending deletion.",
                        k.arn);
    /* AWS: a key whose deletion is canceled is Disabled until enabled again */
    if (jset_str(k.doc, "KeyState", "Disabled") || json_object_del(k.doc, "DeletionDate"))
        return ferr_oom(c->err);
    if (kms_key_save(c, &k)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "KeyId", k.arn));
    return 0;
}

/* ---- aliases ---- */

static int alias_name_check(call *c, const char *name)
{
    if (!name || strncmp(name, "alias/", 6) || !name[6] ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-") !=
            strlen(name))
        return kms_validation(c, "Alias must start with the prefix \"alias/\". Please see "
                                 "https://docs.aws.amazon.com/kms/latest/developerguide/"
                                 "kms-alias.html");
    if (!strncmp(name, "alias/aws/", 10))
        return ferr_set(c->err, 400, "NotAuthorizedException",
                        "Cannot create, update or delete an alias with the reserved prefix "
                        "alias/aws/");
    return 0;
}

static const char *alias_arn(call *c, const char *name)
{
    return arena_printf(c->a, "arn:%s:kms:%s:%s:%s", arn_partition(c->region), c->region,
                        c->account, name);
}

/* The target of CreateAlias/UpdateAlias: a key of the caller's own account (AWS), usable
 * or disabled but not pending deletion. */
static int alias_key(call *c, json_t *in, const char *action, kms_key *k)
{
    if (kms_key_open(c, jstr(in, "TargetKeyId"), 0, action, k)) return -1;
    if (strcmp(k->account, c->account))
        return kms_not_found(c, arena_printf(c->a, "Key '%s'", k->arn));
    if (!strcmp(k->state, "PendingDeletion")) return kms_key_usable(c, k);
    return 0;
}

int kms_op_create_alias(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "AliasName");
    if (alias_name_check(c, name)) return -1;
    call_resource(c, "AWS::KMS::Alias", alias_arn(c, name));
    if (call_authorize(c, "kms:CreateAlias", alias_arn(c, name))) return -1;
    kms_key k;
    if (alias_key(c, in, "kms:CreateAlias", &k)) return -1;
    double now = clock_now();
    json_t *doc = json_pack("{s:s, s:s, s:f, s:f}", "AliasName", name, "TargetKeyId", k.id,
                            "CreationDate", now, "LastUpdatedDate", now);
    if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    store_key sk = {KMS_ALIAS_KIND, c->account, c->region, name};
    int rc = store_insert(c->txn, &sk, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "AlreadyExistsException",
                        "An alias with the name %s already exists", alias_arn(c, name));
    return 0;
}

static int load_alias(call *c, const char *name, const char *action, json_t **doc)
{
    if (alias_name_check(c, name)) return -1;
    const char *arn = alias_arn(c, name);
    call_resource(c, "AWS::KMS::Alias", arn);
    if (call_authorize(c, action, arn)) return -1;
    store_key sk = {KMS_ALIAS_KIND, c->account, c->region, name};
    int rc = store_get(c->txn, &sk, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return kms_not_found(c, arena_printf(c->a, "Alias %s", arn));
    return arena_defer_json(c->a, *doc) ? 0 : ferr_oom(c->err);
}

int kms_op_update_alias(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "AliasName");
    json_t *doc;
    if (load_alias(c, name, "kms:UpdateAlias", &doc)) return -1;
    kms_key k;
    if (alias_key(c, in, "kms:UpdateAlias", &k)) return -1;
    if (jset_str(doc, "TargetKeyId", k.id) ||
        json_object_set_new(doc, "LastUpdatedDate", json_real(clock_now())))
        return ferr_oom(c->err);
    store_key sk = {KMS_ALIAS_KIND, c->account, c->region, name};
    return store_put(c->txn, &sk, doc, c->err);
}

int kms_op_delete_alias(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "AliasName");
    json_t *doc;
    if (load_alias(c, name, "kms:DeleteAlias", &doc)) return -1;
    store_key sk = {KMS_ALIAS_KIND, c->account, c->region, name};
    return store_del(c->txn, &sk, c->err) < 0 ? -1 : 0;
}

static int collect_alias(void *ud, const store_key *k, json_t *doc)
{
    collect *cl = ud;
    const char *target = jstr(doc, "TargetKeyId");
    if (cl->target && (!target || strcmp(target, cl->target))) return 0;
    json_t *a =
        json_pack("{s:s, s:s, s:s*, s:O, s:O}", "AliasName", k->id, "AliasArn",
                  arena_printf(cl->c->a, "arn:%s:kms:%s:%s:%s", arn_partition(k->region), k->region,
                               k->account, k->id),
                  "TargetKeyId", target, "CreationDate", json_object_get(doc, "CreationDate"),
                  "LastUpdatedDate", json_object_get(doc, "LastUpdatedDate"));
    return json_array_append_new(cl->all, a) ? -1 : 0;
}

int kms_op_list_aliases(call *c, json_t *in, json_t **out)
{
    collect cl = {c, json_array(), NULL};
    if (!cl.all || !arena_defer_json(c->a, cl.all)) return ferr_oom(c->err);
    if (jstr(in, "KeyId")) {
        kms_key k;
        if (kms_key_open(c, jstr(in, "KeyId"), 0, "kms:ListAliases", &k)) return -1;
        cl.target = k.id;
    } else if (call_authorize(c, "kms:ListAliases", "*")) {
        return -1;
    }
    if (store_list(c->txn, KMS_ALIAS_KIND, c->account, c->region, NULL, NULL, 0, collect_alias, &cl,
                   c->err) < 0)
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    return kms_page(c, in, cl.all, "Aliases", out);
}
