/* AWS KMS: customer keys (documents "kms.key" keyed by account, region and key id) whose
 * material is stored only wrapped under the installation's master key, aliases (documents
 * "kms.alias" keyed by account, region and alias name), and the cryptographic operations.
 *
 * Internal to src/svc/kms/: blob.c (the ciphertext format and AES-256-GCM), master.c (the
 * master key file), keys.c (keys, states and aliases), crypto.c (Encrypt, Decrypt, ...),
 * manage.c (key policies, tags, rotation), mac.c (GenerateMac, VerifyMac), managed.c (AWS
 * managed keys), asym.c (RSA and ECC keys), grants.c (grants: documents "kms.grant" keyed by the key's account, region
 * and "<key id>/<grant id>"), kms.c (the service). */
#ifndef FERRY_SVC_KMS_INT_H
#define FERRY_SVC_KMS_INT_H
#include <jansson.h>

#include "blob.h"
#include "svc/svc.h"

#define KMS_KEY_KIND      "kms.key"
#define KMS_ALIAS_KIND    "kms.alias"
#define KMS_MAX_PLAINTEXT 4096
#define KMS_MAX_MATERIAL  4096 /* an RSA_4096 private key (DER) is about 2,400 bytes */

/* A loaded key. Strings and doc belong to the call's arena; in a read transaction doc is
 * shared with other calls (kms_key_load) and must not be changed. */
typedef struct kms_key {
    json_t *doc;
    const char *account, *region, *id, *arn;
    const char *state; /* Enabled, Disabled, PendingDeletion */
    const char *policy;
} kms_key;

/* ---- master.c ---- */
/* The installation's master key: the file kms-master.key in the data directory (0600,
 * created on first use), or a key of this process's own when there is no data directory.
 * 0 and *key, or -1 with c->err. */
int kms_master(call *c, const unsigned char **key);

/* ---- manage.c ---- */
/* Tags a client may set ([{TagKey, TagValue}]): 0, or -1 with TagException (aws: prefix). */
int kms_tags_check(call *c, const json_t *tags);

/* ---- keys.c ---- */
int kms_not_found(call *c, const char *what);
int kms_validation(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Resolves KeyId as AWS accepts it (key id, key ARN, alias name, alias ARN; aliases=0
 * refuses the alias forms), loads the key, records it for the trail and authorizes action
 * with the key policy. 0, or -1 with NotFoundException / AccessDenied / ... in c->err. */
int kms_key_open(call *c, const char *key_id, int aliases, const char *action, kms_key *k);
/* action on k, as its key policy and the caller's identity policies allow it. */
int kms_key_authorize(call *c, const kms_key *k, const char *action);
/* What a request brings to the key's authorization (all may be NULL). */
typedef struct kms_use {
    const json_t *context; /* its encryption context: kms:EncryptionContext:*, grant constraints */
    const json_t *tokens;  /* its GrantTokens: each must be a grant token (grants.c) */
    const json_t *cond;    /* more condition keys, e.g. CreateGrant's kms:GranteePrincipal */
} kms_use;
int kms_key_open_use(call *c, const char *key_id, int aliases, const char *action, const kms_use *u,
                     kms_key *k);
int kms_key_authorize_use(call *c, const kms_key *k, const char *action, const kms_use *u);
/* A page of all as member key of the answer, Limit (1..1000, default 100) and Marker as
 * the KMS list operations take them. */
int kms_page(call *c, json_t *in, json_t *all, const char *key, json_t **out);
/* A key policy document: 0, or -1 with MalformedPolicyDocumentException. */
int kms_policy_check(call *c, const char *policy);
/* The policy lockout safety check of CreateKey and PutKeyPolicy: unless in says
 * BypassPolicyLockoutSafetyCheck, policy must let the caller put the key's policy again:
 * 0, or -1 with MalformedPolicyDocumentException. */
int kms_lockout_check(call *c, const char *arn, const char *account, const char *policy,
                      const json_t *in);
/* A key document whose deletion date has passed: the key is gone. */
int kms_key_expired(const json_t *doc);
/* Loads account's key id in the call's region: 1 found, 0 not (or deleted: past its
 * DeletionDate), -1 error. */
int kms_key_load(call *c, const char *account, const char *id, kms_key *k);
int kms_key_save(call *c, kms_key *k);
/* Drops the key documents kms_key_load keeps (after a store reset). */
void kms_keys_forget(void);
/* The bytes of a Message member (base64, 1..4,096 bytes), or NULL with ValidationException. */
unsigned char *kms_message(call *c, const char *b64, size_t *n);
/* DryRun: after the checks, before the work: -1 with DryRunOperationException (412) when
 * in asks for a dry run, else 0. */
int kms_dry_run(call *c, const json_t *in);
/* The key may be used for cryptography: DisabledException / KMSInvalidStateException. */
int kms_key_usable(call *c, const kms_key *k);
/* The plaintext material of generation gen (*len bytes in the arena). 0, or -1 with c->err
 * (InvalidCiphertextException when there is no such generation). */
int kms_key_material(call *c, const kms_key *k, uint32_t gen, const unsigned char **m, size_t *len);
/* What a new key is made of (strings borrowed). */
typedef struct kms_key_spec_in {
    const char *description, *policy, *spec, *usage;
    const char *manager; /* CUSTOMER, or AWS for a managed key */
    const json_t *tags;  /* [{TagKey, TagValue}] or NULL */
    int rotation;        /* rotated yearly (AWS managed keys) */
} kms_key_spec_in;
/* Creates key id in the caller's account and region, with fresh material, and loads it
 * into *k. 0 or -1 with c->err. */
int kms_key_create(call *c, const char *id, const kms_key_spec_in *ks, kms_key *k);
/* CUSTOMER or AWS. */
const char *kms_key_manager(const kms_key *k);
/* The key's KeySpec (SYMMETRIC_DEFAULT, HMAC_256, ...). */
const char *kms_key_spec(const kms_key *k);
/* ENCRYPT_DECRYPT, SIGN_VERIFY or GENERATE_VERIFY_MAC. */
const char *kms_key_usage(const kms_key *k);
/* The one MAC algorithm of an HMAC key spec: HMAC_256 -> HMAC_SHA_256. */
const char *kms_mac_algorithm(const char *spec);
/* The key is for usage (ENCRYPT_DECRYPT or GENERATE_VERIFY_MAC): 0, or -1 with
 * InvalidKeyUsageException. */
int kms_key_for(call *c, const kms_key *k, const char *usage);
/* New material for the key of doc (arn), wrapped under the master key, appended to doc's
 * Materials: new ciphertexts use it, older ones keep theirs. 0 or -1 with c->err. */
int kms_key_add_material(call *c, json_t *doc, const char *arn);
/* The current material generation (new ciphertexts use it). */
uint32_t kms_key_gen(const kms_key *k);

/* ---- grants.c ---- */
#define KMS_GRANT_KIND "kms.grant"
/* A grant on k lets the caller do action ("kms:Decrypt") with encryption context ctx:
 * 1 yes, 0 no, -1 error. */
int kms_grant_allows(call *c, const kms_key *k, const char *action, const json_t *ctx);
/* GrantTokens: 0, or -1 with InvalidGrantTokenException for one that is not a token. */
int kms_grant_tokens_check(call *c, const json_t *tokens);

/* ---- asym.c ---- */
/* spec is an asymmetric key spec ferry makes (RSA_*, ECC_*). */
int kms_asym_known(const char *spec);
/* usage (ENCRYPT_DECRYPT, SIGN_VERIFY) is one AWS allows for spec. */
int kms_asym_usage_ok(const char *spec, const char *usage);
/* The algorithms of such a key (a new array), and the metadata member that lists them. */
json_t *kms_asym_algorithms(const char *spec, const char *usage, const char **member);
/* A new private key of spec: its DER (*der, *n in the arena) and its public key (DER
 * SubjectPublicKeyInfo, base64). 0 or -1 with c->err. */
int kms_asym_generate(call *c, const char *spec, unsigned char **der, size_t *n,
                      const char **pub_b64);
/* Encrypt and Decrypt with an RSA key (in's EncryptionAlgorithm): the raw OAEP ciphertext,
 * as AWS returns it. 0 or -1 with c->err. */
int kms_asym_encrypt(call *c, const kms_key *k, const json_t *in, const unsigned char *pt, size_t n,
                     const char **b64);
int kms_asym_decrypt(call *c, const kms_key *k, const json_t *in, unsigned char **pt, size_t *n);

/* ---- managed.c ---- */
/* alias/aws/<service> names no key yet: when the call runs in a write transaction on that
 * service's behalf (kms:ViaService in its context), creates the AWS managed key and its
 * alias: 1 and *id; 0 when it may not (the caller answers NotFoundException); -1 error. */
int kms_managed_create(call *c, const char *alias, const char **id);

#endif
