/* The organization model, shared by the Organizations API and `ferry init`.
 * One organization per ferry store. Documents (global: account "" region ""):
 *   org/"org", account/<id>, ou/<id>, car/<id> (create-account status); beside them
 *   orgpolicy/ (scp.h), orgaccess/ and orgdelegate/ (trusted.c), orgrespolicy/ (respolicy.c),
 *   handshake/ (handshakes.c) and orgformer/<id> (what a departed account was called). */
#ifndef FERRY_SVC_ORGANIZATIONS_H
#define FERRY_SVC_ORGANIZATIONS_H
#include <jansson.h>

#include "base/arena.h"
#include "base/err.h"
#include "store/store.h"

/* 1 and *org (new ref) when the organization exists, 0 when not, -1 error. */
int org_get(store_txn *t, json_t **org, ferr *e);
/* Room for any organization ARN ferry builds: partition, 12-digit ids, o-/ou-/p- ids and a
 * policy type's name (arn:aws-us-gov:organizations::123456789012:policy/o-.../... is < 128). */
#define ORG_ARN_MAX 256
/* Creates the organization with mgmt as management account (and its account document), in
 * the partition of region. */
int org_create(store_txn *t, const char *region, const char *mgmt_id, const char *mgmt_name,
               const char *mgmt_email, json_t **org, ferr *e);
/* The organization's partition (from its ARN), in out or a constant; "aws" when unreadable. */
const char *org_partition(const json_t *org, char out[16]);
/* Creates a member account under parent_id (root or OU). account_id NULL = generate.
 * *acct gets a new reference. */
int org_add_account(store_txn *t, const json_t *org, const char *name, const char *email,
                    const char *parent_id, const char *account_id, json_t **acct, ferr *e);
/* 1 found (new ref), 0 not, -1 error. */
int org_get_account(store_txn *t, const char *id, json_t **acct, ferr *e);
/* Finds an account by name; 1 found (new ref), 0 not. */
int org_find_account_by_name(store_txn *t, const char *name, json_t **acct, ferr *e);
/* Creates an OU under parent_id; DuplicateOrganizationalUnitException when the name exists. */
int org_add_ou(store_txn *t, const json_t *org, const char *parent_id, const char *name,
               json_t **ou, ferr *e);
/* Finds an OU by name under a parent; 1 found (new ref), 0 not. */
int org_find_ou(store_txn *t, const char *parent_id, const char *name, json_t **ou, ferr *e);
/* 1 when parent_id is the root or an existing OU. */
int org_parent_exists(store_txn *t, const json_t *org, const char *parent_id, ferr *e);

#define ORG_ACCESS_ROLE "OrganizationAccountAccessRole"
/* AWS: an account created in an organization gets a role (OrganizationAccountAccessRole
 * unless named otherwise) that the management account's principals may assume, with
 * AdministratorAccess attached. Creates it in account when missing, through IAM's
 * operations (svc_invoke_in inside t, arena a) as the account's root on behalf of
 * organizations.amazonaws.com: authorized and audited in the member's trail. 0 or -1. */
typedef struct ferry_env ferry_env;
int org_access_role(ferry_env *env, store_txn *t, arena *a, const char *region, const char *mgmt,
                    const char *account, const char *role_name, ferr *e);

#endif
