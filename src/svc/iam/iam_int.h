/* Private to src/svc/iam: what the IAM service's modules share (names, storage, paging,
 * documents, managed policies). Not for use outside this folder: other parts of ferry use
 * iam.h. */
#ifndef FERRY_SVC_IAM_INT_H
#define FERRY_SVC_IAM_INT_H
#include <jansson.h>

#include "base/jtags.h"
#include "iam/policy.h"
#include "svc/iam/iam.h"

/* One principal-like entity type: users, groups and roles share storage habits. */
typedef struct iamsvc_etype {
    const char *kind;              /* store kind, "iam.user" */
    const char *noun;              /* "user": ARN resource type and messages */
    const char *Noun;              /* "User": "User with name X already exists." */
    const char *name_key;          /* "UserName" */
    const char *id_key;            /* "UserId" */
    const char *id_prefix;         /* "AIDA" */
    const char *member;            /* "userName": validation messages */
    size_t name_max;               /* 64 or 128 */
    size_t inline_quota;           /* aggregate inline policy size */
    const char *inline_quota_name; /* "UserPolicySize" */
    const char *cfn_type;          /* audit resource type "AWS::IAM::User" */
} iamsvc_etype;

extern const iamsvc_etype iamsvc_user_t, iamsvc_group_t, iamsvc_role_t;

/* ---- names and input (common.c); each returns 0 or -1 with c->err set ---- */
/* Tags beyond the model's constraints (proto/validate.c checks names, paths, lengths,
 * patterns): keys not "aws:", unique regardless of case, at most 50 with existing. */
int iamsvc_check_tags(call *c, const json_t *tags, const json_t *existing);
/* Tags are merged and removed by base/jtags.h (a failed merge leaves doc half-merged: do
 * not save it). */

/* TagX, UntagX and ListXTags once X is loaded and authorized (tags.c): merges in's
 * "Tags" (checked as iamsvc_check_tags), removes its "TagKeys", or pages the tags into
 * *out. save stores doc (tag and untag). Takes doc's reference. */
typedef enum { IAMSVC_TAG, IAMSVC_UNTAG, IAMSVC_LIST_TAGS } iamsvc_tag_verb;
typedef int (*iamsvc_saver)(call *c, const json_t *doc);
int iamsvc_tags_op(call *c, iamsvc_tag_verb verb, json_t *doc, const json_t *in, json_t **out,
                   iamsvc_saver save);

/* Lowercased copy of name (ids are case-insensitive). Arena-owned. */
char *iamsvc_lower(arena *a, const char *name);
/* arn:PARTITION:iam::ACCT:NOUN/PATH-WITHOUT-SLASHES.../NAME, arena-owned; IAM is global, its
 * ARNs carry the partition of the endpoint (region) of the call. */
char *iamsvc_arn(call *c, const char *account, const char *noun, const char *path,
                 const char *name);
/* Fills a new AWS id: prefix + 17 uppercase chars (out: 22 bytes). */
void iamsvc_new_id(const char *prefix, char out[32]);
/* The document text as AWS returns it: URL-encoded. Arena-owned. */
char *iamsvc_url(arena *a, const char *text);

/* Stores pw in doc as a salted SHA-256 ("Salt", "PasswordDigest"): login profiles and
 * service-specific credentials (users.c). 0, or -1 out of memory. */
int iamsvc_password_set(json_t *doc, const char *pw);
/* 1 when pw is the password iamsvc_password_set stored in doc, else 0 (constant time). */
int iamsvc_password_check(const json_t *doc, const char *pw);

/* Console passwords against the account's password policy (account.c): pw meets the
 * policy (AWS's default without one: 8 characters), else PasswordPolicyViolation. */
int iamsvc_password_policy_check(call *c, const char *pw);
/* PasswordPolicyViolation when pw is the current or one of the remembered passwords of a
 * login profile the policy's PasswordReusePrevention covers. */
int iamsvc_password_reuse_check(call *c, const json_t *profile, const char *pw);
/* Sets a login profile's password, remembering the one it replaces. */
int iamsvc_password_rotate(call *c, json_t *profile, const char *pw);

/* The documents of kind in the call's account whose "UserName" is user (signing
 * certificates, SSH keys: creds.c), a new array; NULL on error. */
json_t *iamsvc_user_docs(call *c, const char *kind, const char *user);

/* 1 when role (a role document) is service-linked (slr.c): only its service deletes it. */
int iamsvc_is_service_linked(const json_t *role);

/* The UserName of in, or the calling IAM user's when absent (AWS), else ValidationError. */
int iamsvc_user_name(call *c, const json_t *in, const char **name);

/* ---- storage ---- */
/* 1 found (*doc new reference), 0 absent, -1 error. */
int iamsvc_fetch(store_txn *t, const iamsvc_etype *et, const char *account, const char *name,
                 json_t **doc, ferr *e);
/* As iamsvc_fetch for the call's account, absent = NoSuchEntity with AWS's message. */
int iamsvc_load(call *c, const iamsvc_etype *et, const char *name, json_t **doc);
/* As iamsvc_load in account. */
int iamsvc_load_in(call *c, const iamsvc_etype *et, const char *account, const char *name,
                   json_t **doc);
/* AWS's NoSuchEntity for et named name (NULL: ""); returns -1. */
int iamsvc_no_such(call *c, const iamsvc_etype *et, const char *name);
/* Loads name for an operation: authorizes action on its ARN first (the ARN without a path
 * when it does not exist, as AWS), then NoSuchEntity. */
int iamsvc_load_auth(call *c, const iamsvc_etype *et, const char *action, const char *name,
                     json_t **doc);
int iamsvc_save(call *c, const iamsvc_etype *et, const char *account, const json_t *doc);
/* The call's own account (IAM is global: region ""). */
#define IAMSVC_REGION ""

/* Lists every document of kind in account into a new array (sorted by id). NULL on error. */
json_t *iamsvc_list_all(call *c, const char *kind, const char *account);
/* Keeps items whose "Path" starts with prefix (NULL: all). ValidationError on a bad prefix. */
int iamsvc_filter_path(call *c, json_t *items, const char *prefix);
/* IAM paging: Marker/MaxItems in, out[key] + IsTruncated (+ Marker) out. */
int iamsvc_page(call *c, json_t *all, const json_t *in, json_t *out, const char *key);

/* ---- policy documents ---- */
/* Parses doc as kind (iam_kind); MalformedPolicyDocument on failure, LimitExceeded
 * "Cannot exceed quota for QUOTA_NAME: N" when its size passes quota. */
int iamsvc_check_doc(call *c, const char *doc, int kind, size_t quota, const char *quota_name);

/* ---- managed policies (policies.c, awsmanaged.c) ---- */
/* AWS managed policy table. */
typedef struct iamsvc_awspol {
    const char *name, *id, *version, *description, *document;
    double created, updated;
} iamsvc_awspol;
const iamsvc_awspol *iamsvc_aws_policy(const char *arn);
const iamsvc_awspol *iamsvc_aws_policy_at(size_t i); /* NULL past the end */
/* The parsed document of an AWS managed policy: parsed once, process lifetime. */
const iam_policy *iamsvc_aws_policy_parsed(const iamsvc_awspol *p);

/* Resolves a managed policy ARN for account: AWS managed (*doc a synthesized Policy with
 * "Document") or the customer's own. 1 found, 0 absent, -1 error. */
int iamsvc_policy_fetch(store_txn *t, const char *account, const char *arn, json_t **doc, ferr *e);
/* The document text of version vid (NULL: the default) of a policy doc as
 * iamsvc_policy_fetch gives it: a new reference to a JSON string, or NULL (absent, or an
 * error in e). */
json_t *iamsvc_policy_text(store_txn *t, const char *account, const json_t *pol, const char *vid,
                           ferr *e);
/* Policy doc as the Policy shape (AttachmentCount filled by caller). New reference. */
json_t *iamsvc_policy_view(const json_t *pol);

/* Attachment and boundary counts of the call's account: {arn: n} objects (new references). */
int iamsvc_policy_usage(call *c, json_t **counts, json_t **bcounts);
/* Rebuilds ent's "PolicyRefs" {arn: "PolicyId|DefaultVersionId"} for the customer managed
 * policies it has attached or as its boundary (read by authorization instead of the
 * policies). Call before saving an entity whose attachments or boundary changed. */
int iamsvc_refresh_refs(call *c, const char *account, json_t *ent);
/* Attach/detach a managed policy to an entity (no authorization). */
int iamsvc_attach(call *c, const iamsvc_etype *et, const char *account, const char *name,
                  const char *arn);
int iamsvc_detach(call *c, const iamsvc_etype *et, const char *account, const char *name,
                  const char *arn);
/* Inline policy put (no authorization). */
int iamsvc_put_inline(call *c, const iamsvc_etype *et, const char *account, const char *name,
                      const char *policy_name, const char *document);

/* ---- the parsed-policy cache and the identity memo (identity.c) ---- */
/* Every write to an account's IAM state calls this in the same transaction: identities
 * memoized before it are no longer used. */
int iamsvc_bump(call *c, const char *account);
/* A parsed policy shared across calls, released when c's arena is freed. key identifies
 * the document text uniquely (e.g. PolicyId/VersionId), or NULL to key on the text. */
const iam_policy *iamsvc_cached_policy(call *c, const char *key, const char *name, const char *text,
                                       int kind);
/* The cached policy under key, or NULL when it is not (yet) there. */
const iam_policy *iamsvc_cached_lookup(call *c, const char *key, int kind);
/* A managed policy by ARN (AWS managed or account's own), compiled and cached; NULL when
 * gone. doc: the entity using it, whose "PolicyRefs" names the compiled policy to use
 * without reading it (NULL: read it). */
const iam_policy *iamsvc_managed_policy(call *c, store_txn *t, const char *account, const char *arn,
                                        const json_t *doc, int kind);

/* ---- an entity's policies (entpol.c) ---- */
/* The user, group or role an IAM ARN of the call's account names: 1 (*et, *name
 * arena-owned), 0 when it names none of them (another account, another resource type). */
int iamsvc_arn_entity(call *c, const char *arn, const iamsvc_etype **et, const char **name);
/* One identity policy of an entity, as ListPoliciesGrantingServiceAccess reports it. */
typedef struct iamsvc_entpol {
    const char *name;       /* PolicyName */
    const char *arn;        /* managed: its ARN; inline: NULL */
    int aws_managed;        /* an AWS managed policy */
    const char *owner_type; /* "USER", "GROUP", "ROLE": the entity holding it */
    const char *owner;      /* its name */
    const iam_policy *p;    /* compiled (cached for the call) */
} iamsvc_entpol;
/* The inline and attached policies of doc (an entity of type et) and, for a user, of its
 * groups: an arena array in *out. A document that no longer compiles is left out. 0 or -1. */
int iamsvc_entity_policies(call *c, const iamsvc_etype *et, const json_t *doc, iamsvc_entpol **out,
                           size_t *n);

/* ---- operations, by module (the table is generated from the model: src/svc/svc.h) ---- */
#define IAMSVC_OP(n) int n(call *c, json_t *in, json_t **out)
/* roles.c */
IAMSVC_OP(iam_op_create_role);
IAMSVC_OP(iam_op_get_role);
IAMSVC_OP(iam_op_list_roles);
IAMSVC_OP(iam_op_delete_role);
IAMSVC_OP(iam_op_update_role);
IAMSVC_OP(iam_op_update_role_description);
IAMSVC_OP(iam_op_update_assume_role_policy);
IAMSVC_OP(iam_op_tag_role);
IAMSVC_OP(iam_op_untag_role);
IAMSVC_OP(iam_op_list_role_tags);
/* users.c */
IAMSVC_OP(iam_op_create_user);
IAMSVC_OP(iam_op_get_user);
IAMSVC_OP(iam_op_list_users);
IAMSVC_OP(iam_op_delete_user);
IAMSVC_OP(iam_op_update_user);
IAMSVC_OP(iam_op_tag_user);
IAMSVC_OP(iam_op_untag_user);
IAMSVC_OP(iam_op_list_user_tags);
IAMSVC_OP(iam_op_create_access_key);
IAMSVC_OP(iam_op_list_access_keys);
IAMSVC_OP(iam_op_delete_access_key);
IAMSVC_OP(iam_op_update_access_key);
IAMSVC_OP(iam_op_create_login_profile);
IAMSVC_OP(iam_op_get_login_profile);
IAMSVC_OP(iam_op_update_login_profile);
IAMSVC_OP(iam_op_delete_login_profile);
/* groups.c */
IAMSVC_OP(iam_op_create_group);
IAMSVC_OP(iam_op_get_group);
IAMSVC_OP(iam_op_list_groups);
IAMSVC_OP(iam_op_delete_group);
IAMSVC_OP(iam_op_add_user_to_group);
IAMSVC_OP(iam_op_remove_user_from_group);
IAMSVC_OP(iam_op_list_groups_for_user);
IAMSVC_OP(iam_op_update_group);
/* policies.c */
IAMSVC_OP(iam_op_create_policy);
IAMSVC_OP(iam_op_get_policy);
IAMSVC_OP(iam_op_delete_policy);
IAMSVC_OP(iam_op_list_policies);
IAMSVC_OP(iam_op_create_policy_version);
IAMSVC_OP(iam_op_get_policy_version);
IAMSVC_OP(iam_op_list_policy_versions);
IAMSVC_OP(iam_op_set_default_policy_version);
IAMSVC_OP(iam_op_delete_policy_version);
IAMSVC_OP(iam_op_list_entities_for_policy);
/* attach.c */
IAMSVC_OP(iam_op_attach_user_policy);
IAMSVC_OP(iam_op_attach_group_policy);
IAMSVC_OP(iam_op_attach_role_policy);
IAMSVC_OP(iam_op_detach_user_policy);
IAMSVC_OP(iam_op_detach_group_policy);
IAMSVC_OP(iam_op_detach_role_policy);
IAMSVC_OP(iam_op_list_attached_user_policies);
IAMSVC_OP(iam_op_list_attached_group_policies);
IAMSVC_OP(iam_op_list_attached_role_policies);
IAMSVC_OP(iam_op_put_user_permissions_boundary);
IAMSVC_OP(iam_op_put_role_permissions_boundary);
IAMSVC_OP(iam_op_delete_user_permissions_boundary);
IAMSVC_OP(iam_op_delete_role_permissions_boundary);
/* inline.c */
IAMSVC_OP(iam_op_put_user_policy);
IAMSVC_OP(iam_op_put_group_policy);
IAMSVC_OP(iam_op_put_role_policy);
IAMSVC_OP(iam_op_get_user_policy);
IAMSVC_OP(iam_op_get_group_policy);
IAMSVC_OP(iam_op_get_role_policy);
IAMSVC_OP(iam_op_delete_user_policy);
IAMSVC_OP(iam_op_delete_group_policy);
IAMSVC_OP(iam_op_delete_role_policy);
IAMSVC_OP(iam_op_list_user_policies);
IAMSVC_OP(iam_op_list_group_policies);
IAMSVC_OP(iam_op_list_role_policies);
/* profiles.c */
IAMSVC_OP(iam_op_create_instance_profile);
IAMSVC_OP(iam_op_get_instance_profile);
IAMSVC_OP(iam_op_delete_instance_profile);
IAMSVC_OP(iam_op_list_instance_profiles);
IAMSVC_OP(iam_op_add_role_to_instance_profile);
IAMSVC_OP(iam_op_remove_role_from_instance_profile);
IAMSVC_OP(iam_op_list_instance_profiles_for_role);
/* details.c */
IAMSVC_OP(iam_op_get_account_authorization_details);
/* simulate.c */
IAMSVC_OP(iam_op_simulate_principal_policy);
IAMSVC_OP(iam_op_simulate_custom_policy);
/* policyinfo.c */
IAMSVC_OP(iam_op_get_context_keys_for_custom_policy);
IAMSVC_OP(iam_op_get_context_keys_for_principal_policy);
IAMSVC_OP(iam_op_list_policies_granting_service_access);
/* lastaccess.c */
IAMSVC_OP(iam_op_generate_service_last_accessed_details);
IAMSVC_OP(iam_op_get_service_last_accessed_details);
IAMSVC_OP(iam_op_get_service_last_accessed_details_with_entities);
IAMSVC_OP(iam_op_generate_organizations_access_report);
IAMSVC_OP(iam_op_get_organizations_access_report);

/* The Role shape as AWS returns it (trust policy URL-encoded); full: as GetRole, with
 * boundary, tags and RoleLastUsed. New reference. */
json_t *iamsvc_role_view(call *c, const json_t *role, int full);
/* Instance profiles naming a role (profiles.c), for DeleteRole and ListInstanceProfilesForRole.
 * New array of profile docs, NULL on error. */
json_t *iamsvc_profiles_for_role(call *c, const char *account, const char *role_name);
/* Authorization context for attach/boundary calls: {"iam:PolicyARN": arn}. New reference. */
json_t *iamsvc_ctx(const char *key, const char *value);
/* call_authorize for IAM operations: AWS managed policy ARNs count as the caller's own,
 * and a refusal names the resource as IAM does ("role NAME", "policy ARN"). key/value: one
 * condition key for the request context (iam:PolicyARN, iam:PermissionsBoundary) or NULL. */
int iamsvc_authorize_ctx(call *c, const char *action, const char *resource, const char *key,
                         const char *value);
int iamsvc_authorize(call *c, const char *action, const char *resource);

#endif
