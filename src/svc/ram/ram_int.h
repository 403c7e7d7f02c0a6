/* AWS Resource Access Manager (rest-json). A resource share is a document "ram.share" keyed
 * by its owner's account, its region and its id (the ARN's last part):
 *   {resourceShareArn, name, owningAccountId, allowExternalPrincipals, status, featureSet,
 *    creationTime, lastUpdatedTime, tags [{key, value}],
 *    resources {ARN: {type, status, creationTime, lastUpdatedTime}},
 *    principals {principal: {status, external, creationTime, lastUpdatedTime}},
 *    permissions [permission ARN]}
 * Invitations are "ram.inv" documents keyed by the receiver's account, the region and the
 * invitation's id; "ram.org" (global) says whether sharing with the organization is on;
 * "ram.token" remembers client tokens (idempotent retries) per account and region.
 *
 * Internal to src/svc/ram/: ram.c (shares, associations, tags), shared.c (who a share
 * reaches: ram.h), invite.c (invitations, EnableSharingWithAwsOrganization), perms.c
 * (managed permissions, resource types, ListResources, ListPrincipals), prov_share.c. */
#ifndef FERRY_SVC_RAM_INT_H
#define FERRY_SVC_RAM_INT_H
#include <jansson.h>

#include "svc/ram/ram.h"
#include "svc/svc.h"

#define RAM_SHARE_KIND "ram.share"
#define RAM_INV_KIND   "ram.inv"
#define RAM_ORG_KIND   "ram.org"
#define RAM_TOKEN_KIND "ram.token"

/* ---- shared.c ---- */
/* 1 when principal (an account id, an organization or OU ARN, an IAM role or user ARN)
 * names account or an organization unit holding it, 0 when not, -1 error. */
int ram_principal_covers(store_txn *t, const char *principal, const char *account, ferr *e);
/* 1 when account is a member of the organization, 0 when not (or there is none), -1. */
int ram_org_member(store_txn *t, const char *account, ferr *e);
/* 1 when sharing with the organization is enabled, 0 when not, -1 error. */
int ram_org_sharing(store_txn *t, ferr *e);
/* 1 when share (ACTIVE) reaches account through an ASSOCIATED principal, 0 when not, -1. */
int ram_share_reaches(store_txn *t, const json_t *share, const char *account, ferr *e);
/* Owner account and region of an ARN copied into owner[13] and region[32] (either may be
 * NULL); 0, or -1 when it is not an ARN with both. */
int ram_arn_owner(const char *arn, char owner[13], char region[32]);

/* ---- ram.c ---- */
/* The share ARN's document (in the arena), the caller authorized for action on it and
 * owning it: 0, or -1 with MalformedArnException / UnknownResourceException. */
int ram_share_load(call *c, const char *action, const char *arn, json_t **share);
int ram_share_save(call *c, const json_t *share);
/* AWS's ResourceShare shape of a share document (new reference, NULL out of memory). */
json_t *ram_share_view(const json_t *share);
/* AWS's Resource shape of share's resource arn (r its association); new ref or NULL. */
json_t *ram_resource_view(const json_t *share, const char *arn, const json_t *r);
/* *out = {key: a page of all} by in's nextToken and maxResults. 0 or -1. */
int ram_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out);
/* Idempotent retries: 1 when in's clientToken was used for op before with the same input
 * (*out: the reply then), 0 to go on, -1 (IdempotentParameterMismatchException...). */
int ram_token_seen(call *c, const json_t *in, json_t **out);
/* Remembers in's clientToken with the reply (and adds clientToken to it). 0 or -1. */
int ram_token_keep(call *c, const json_t *in, json_t *out);
/* Every share document of (account, region) (NULL: any) into a new array in the arena. */
json_t *ram_shares(call *c, const char *account, const char *region);
/* The RAM resource type of an ARN ("ec2:Subnet", "appmesh:Mesh", others by the ARN's
 * service and resource type), in the arena; NULL when it is not an ARN. */
const char *ram_resource_type(call *c, const char *arn);

/* MalformedArnException as AWS words it; -1. */
int ram_malformed(call *c, const char *arn);
/* resourceOwner is SELF or OTHER-ACCOUNTS: 0, else -1 (InvalidParameterException). */
int ram_owner_check(call *c, const char *owner);
/* 1 when s is in list (a list of strings) or list is empty or absent. */
int ram_listed(const json_t *list, const char *s);

/* ---- invite.c ---- */
/* Sends share's invitation to account (principal) unless one is pending. 0 or -1. */
int ram_invite(call *c, const json_t *share, const char *account);
/* Share's pending invitations are withdrawn (the share was deleted, or account, NULL for
 * all, left it). 0 or -1. */
int ram_invites_withdraw(call *c, const json_t *share, const char *account);

/* ---- perms.c ---- */
/* The managed permission's ARN of a resource type (RAM's default), or NULL when RAM has
 * none ferry knows. */
const char *ram_default_permission(const char *resource_type);

#endif
