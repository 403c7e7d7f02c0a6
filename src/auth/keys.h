/* Access keys and the principals they stand for. A key document (kind "accesskey",
 * global) holds the secret; it is never logged, audited or returned after creation. */
#ifndef FERRY_KEYS_H
#define FERRY_KEYS_H
#include "auth/principal.h"
#include "base/err.h"
#include "store/store.h"

typedef struct key_info {
    char akid[64];
    char secret[64];
    char session_token[1024]; /* "" for long-term keys */
    int active;
    principal who;
} key_info;

/* Creates a long-term key for a principal (root or user) and stores it. */
int keys_create(store_txn *t, const principal *who, key_info *out, ferr *e);
/* Creates temporary credentials (ASIA...) with a session token, valid until expires. */
int keys_create_session(store_txn *t, const principal *who, double expires, key_info *out, ferr *e);
/* As keys_create_session, keeping the members of extra (may be NULL) on the key document
 * beside the key's own: STS stores "SessionPolicy" (JSON text), "SessionPolicyArns" [arn],
 * "SessionTags" [{Key,Value}], "TransitiveTagKeys" [key], "SourceIdentity" there. */
int keys_create_session_ex(store_txn *t, const principal *who, double expires, const json_t *extra,
                           key_info *out, ferr *e);
/* 1 found, 0 unknown key, -1 error. */
int keys_lookup(store_txn *t, const char *akid, key_info *out, ferr *e);
/* keys_lookup through a small cache of recent keys (one store read per request was 7% of
 * a busy server's time). An entry is used while store_generation("accesskey") is unchanged,
 * so a key deleted, deactivated or created by this process is seen at once. */
int keys_lookup_cached(store *st, const char *akid, key_info *out, ferr *e);
/* Fills a root principal for an account. */
void keys_root_principal(const char *account, principal *out);
/* Presents p in the partition of region: IAM is global, and a caller's ARNs (its own and its
 * role's) carry the partition of the endpoint it called, as in AWS. */
void keys_principal_in(principal *p, const char *region);

#endif
