/* What the IAM providers share. Roles, users and groups carry inline policies and managed
 * policy attachments the same way; kind is the API's noun ("Role", "User", "Group"), which
 * names the operations (PutRolePolicy, AttachUserPolicy...) and the name field (RoleName). */
#ifndef FERRY_PROV_IAM_H
#define FERRY_PROV_IAM_H
#include <jansson.h>

#include "prov_int.h"

/* Inline policies: puts those new or changed in new_list, then deletes those only in
 * old_list (NULL on create). Lists are normalized PT_POLICIES values. */
int prov_iam_policies(cfn_pctx *p, const char *kind, const char *name, const json_t *old_list,
                      const json_t *new_list);
/* Links of an entity (name under key) to the items of a string list (each under
 * item_key): add_op for the items new_list has and old_list not, drop_op (already gone is
 * fine) for the reverse; drop_first does the removals first. */
typedef struct prov_iam_link {
    const char *key, *item_key, *add_op, *drop_op;
    int drop_first;
} prov_iam_link;
int prov_iam_relink(cfn_pctx *p, const prov_iam_link *l, const char *name, const json_t *old_list,
                    const json_t *new_list);
/* The identity lists of IAM::Policy and IAM::ManagedPolicy ("Roles"...) with the noun of
 * their operations ("Role"...). */
typedef struct prov_iam_target {
    const char *prop, *kind;
} prov_iam_target;
#define PROV_IAM_NTARGETS 3
extern const prov_iam_target prov_iam_targets[PROV_IAM_NTARGETS];

/* Managed policies: attaches ARNs new in new_arns, then detaches those only in old_arns. */
int prov_iam_attachments(cfn_pctx *p, const char *kind, const char *name, const json_t *old_arns,
                         const json_t *new_arns);
/* Both of the above from normalized properties: their "Policies" and "ManagedPolicyArns"
 * brought from old_props (NULL on create) to new_props. */
int prov_iam_sync_policies(cfn_pctx *p, const char *kind, const char *name, const json_t *old_props,
                           const json_t *new_props);
/* Permissions boundary (Role, User): puts or deletes when it changed. */
int prov_iam_boundary(cfn_pctx *p, const char *kind, const char *name, const char *old_arn,
                      const char *new_arn);
/* Brings the identity's tags to desired ([{Key,Value}]), reading the current ones with
 * List{Kind}Tags (old_desired stands in if that is unavailable). */
int prov_iam_tags(cfn_pctx *p, const char *kind, const char *name, const json_t *old_desired,
                  const json_t *desired);
/* Before deleting an identity: deletes the inline policies and detaches the managed
 * policies props (normalized) gave it; already gone counts as done. */
int prov_iam_strip(cfn_pctx *p, const char *kind, const char *name, const json_t *props);

/* ---- Entities CloudFormation names: Role, User, Group, InstanceProfile ----------------
 * Made with Create{Kind} ({Kind}Name, the members listed in copy, tags), read with
 * Get{Kind}; Ref is the name, the attributes are fields of the {Kind} in those replies.
 * prov_iam_make, _finish, _change and _attrs are the prov_shape parts of an entity given
 * as the shape's data. */
typedef struct prov_iam_entity {
    const char *kind;               /* "InstanceProfile" */
    int name_max;                   /* AWS's limit for {Kind}Name */
    const char *const *attrs;       /* fields given as attributes (NULL-terminated) */
    const char *const *copy;        /* properties passed to Create{Kind} as they are */
    int path_in_place;              /* Path changes by Update{Kind} (else it replaces) */
    int policies, boundary, tagged; /* has Policies+ManagedPolicyArns, PermissionsBoundary, Tags */
    /* More of Create{Kind}'s input (the role's trust policy), or NULL. */
    int (*request)(cfn_pctx *p, const json_t *pr, json_t *in);
    /* Its links (groups, roles, login profile...) from op (NULL on create) to np; before
     * deletion np is NULL. NULL: none. */
    int (*links)(cfn_pctx *p, const char *name, const json_t *op, const json_t *np);
} prov_iam_entity;
int prov_iam_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **name, json_t **attrs);
int prov_iam_finish(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *pr);
int prov_iam_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                    const json_t *np);
int prov_iam_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs);
/* Deletes the entity: links, inline and managed policies first (AWS refuses otherwise). */
int prov_iam_delete(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *props);
/* The prov_shape of an entity: its schema, check (NULL: none), the parts above, the
 * provider's del (calling prov_iam_delete with this shape) and the prov_iam_entity. */
#define PROV_IAM_SHAPE(schema_, check_, del_, entity_) \
    { \
        .schema = (schema_), .check = (check_), .make = prov_iam_make, .finish = prov_iam_finish, \
        .change = prov_iam_change, .attrs = prov_iam_attrs, .del = (del_), .data = (entity_), \
    }

#endif
