/* AWS Secrets Manager: secrets are documents "secretsmanager.secret" keyed by account,
 * region and name, each holding its versions (their values sealed under KMS data keys,
 * never in the clear) and which staging labels point at which version.
 *
 * Internal to src/svc/secretsmanager/: secret.c (finding a secret by name or ARN, its
 * authorization, the KMS envelope of its values), stages.c (versions and staging labels),
 * password.c (GetRandomPassword), rotation.c (RotateSecret, CancelRotateSecret and the
 * rotation engine's side), secretsmanager.c (the other operations). */
#ifndef FERRY_SVC_SECRETSMANAGER_INT_H
#define FERRY_SVC_SECRETSMANAGER_INT_H
#include <jansson.h>
#include <stddef.h>

#include "svc/svc.h"

#define SM_KIND         "secretsmanager.secret"
/* AWS: at most about 100 versions are kept; the oldest unlabeled ones go first */
#define SM_MAX_VERSIONS 100
/* AWS: SecretString and SecretBinary hold at most 65,536 bytes */
#define SM_MAX_VALUE    65536

/* A loaded secret. doc and the strings belong to the call's arena. */
typedef struct sm_secret {
    json_t *doc;
    const char *account, *name, *arn;
} sm_secret;

/* ---- secret.c ---- */
int sm_invalid_param(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sm_invalid_request(call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sm_not_found(call *c);
/* Finds SecretId (a name, a full ARN or a partial ARN without the 6 random characters) and
 * authorizes action on it with its resource policy: 0, or -1 with ResourceNotFoundException
 * (also for a secret whose recovery window is over), AccessDeniedException, ...
 * live=1 also refuses a secret scheduled for deletion (InvalidRequestException). */
int sm_open(call *c, const char *secret_id, const char *action, int live, sm_secret *s);
int sm_save(call *c, const sm_secret *s);
/* Loads account's secret name without authorizing (the service's own engine): 1 found, 0 not
 * (or its recovery window is over), -1 error. */
int sm_load(call *c, const char *account, const char *name, sm_secret *s);
/* 1 when the secret is scheduled for deletion. */
int sm_deleted(const sm_secret *s);
/* Seals value (n bytes) as version vid of s under a new data key from KMS, asked as the
 * caller: sets v's Value, DataKey and KmsKeyArn. 0, or -1 with c->err. */
int sm_seal(call *c, const sm_secret *s, const char *vid, const unsigned char *value, size_t n,
            json_t *v);
/* The value of version vid (v): *value (NUL-terminated, in the arena) and *n. The data key is
 * opened by KMS Decrypt as the caller, so the key policy decides too. 0, or -1. */
int sm_open_value(call *c, const sm_secret *s, const char *vid, const json_t *v,
                  unsigned char **value, size_t *n);
/* A resource policy: 0, or -1 with MalformedPolicyDocumentException. */
int sm_policy_check(call *c, const char *policy);
/* 1 when policy grants access to everyone (a "*" principal without a condition). */
int sm_policy_public(const char *policy);

/* ---- stages.c ---- (versions: {VersionId: {"Stages": [...], "CreatedDate": ...}}) */
/* The version that holds stage, or NULL. */
const char *sm_stage_holder(const json_t *versions, const char *stage);
/* Attaches stage to version vid, taking it from whichever version held it. 0 or -1 (OOM). */
int sm_stage_move(json_t *versions, const char *stage, const char *vid);
/* Removes stage from version vid (nothing when it has none). 0 or -1 (OOM). */
int sm_stage_remove(json_t *versions, const char *vid, const char *stage);
/* Adds version vid (v, stolen) with stages (NULL: AWSCURRENT) as PutSecretValue does: a new
 * AWSCURRENT makes the previous AWSCURRENT version AWSPREVIOUS. Versions beyond
 * SM_MAX_VERSIONS that hold no stage are dropped, oldest first. 0 or -1 (OOM). */
int sm_version_add(json_t *versions, const char *vid, json_t *v, const json_t *stages);
/* {VersionId: [stages]} of the versions that have stages (VersionIdsToStages). NULL: OOM. */
json_t *sm_version_stages(const json_t *versions);

/* ---- rotation.c ---- */
/* Adds DescribeSecret's rotation members of doc to o. 0 or -1 (OOM). */
int sm_rotation_describe(const json_t *doc, json_t *o);

/* ---- password.c ---- */
typedef struct sm_password_opts {
    long long length; /* 1..4096 */
    const char *exclude;
    int no_numbers, no_punctuation, no_upper, no_lower, space, each_type;
} sm_password_opts;
/* A random password (out has o->length + 1 bytes): 0, or -1 with a reason in *why when the
 * options leave no characters or fewer characters than required types. */
int sm_password(const sm_password_opts *o, char *out, const char **why);

#endif
