/* AWS IAM (query protocol, global: the region of the request does not matter). One
 * module per family of operations; this table routes to them. */
#include "iam_int.h"

/* Every operation that changes IAM state also moves the account's generation, so the
 * identities authorization memoized for it are gathered again (identity.c). */
#define WRITE(fn) \
    static int w_##fn(call *c, json_t *in, json_t **out) \
    { \
        int rc = iam_op_##fn(c, in, out); \
        return rc ? rc : iamsvc_bump(c, c->account); \
    }
WRITE(add_role_to_instance_profile)
WRITE(update_group)
WRITE(delete_login_profile)
WRITE(update_login_profile)
WRITE(create_login_profile)
WRITE(add_user_to_group)
WRITE(attach_group_policy)
WRITE(attach_role_policy)
WRITE(attach_user_policy)
WRITE(create_access_key)
WRITE(create_group)
WRITE(create_instance_profile)
WRITE(create_policy)
WRITE(create_policy_version)
WRITE(create_role)
WRITE(create_user)
WRITE(delete_access_key)
WRITE(delete_group)
WRITE(delete_group_policy)
WRITE(delete_instance_profile)
WRITE(delete_policy)
WRITE(delete_policy_version)
WRITE(delete_role)
WRITE(delete_role_permissions_boundary)
WRITE(delete_role_policy)
WRITE(delete_user)
WRITE(delete_user_permissions_boundary)
WRITE(delete_user_policy)
WRITE(detach_group_policy)
WRITE(detach_role_policy)
WRITE(detach_user_policy)
WRITE(put_group_policy)
WRITE(put_role_permissions_boundary)
WRITE(put_role_policy)
WRITE(put_user_permissions_boundary)
WRITE(put_user_policy)
WRITE(remove_role_from_instance_profile)
WRITE(remove_user_from_group)
WRITE(set_default_policy_version)
WRITE(tag_role)
WRITE(tag_user)
WRITE(untag_role)
WRITE(untag_user)
WRITE(update_access_key)
WRITE(update_assume_role_policy)
WRITE(update_role)
WRITE(update_role_description)
WRITE(update_user)

static const svc_op ops[] = {
    {"AddRoleToInstanceProfile", w_add_role_to_instance_profile, 0},
    {"AddUserToGroup", w_add_user_to_group, 0},
    {"AttachGroupPolicy", w_attach_group_policy, 0},
    {"AttachRolePolicy", w_attach_role_policy, 0},
    {"AttachUserPolicy", w_attach_user_policy, 0},
    {"CreateAccessKey", w_create_access_key, 0},
    {"CreateGroup", w_create_group, 0},
    {"CreateInstanceProfile", w_create_instance_profile, 0},
    {"CreateLoginProfile", w_create_login_profile, 0},
    {"CreatePolicy", w_create_policy, 0},
    {"CreatePolicyVersion", w_create_policy_version, 0},
    {"CreateRole", w_create_role, 0},
    {"CreateUser", w_create_user, 0},
    {"DeleteAccessKey", w_delete_access_key, 0},
    {"DeleteGroup", w_delete_group, 0},
    {"DeleteGroupPolicy", w_delete_group_policy, 0},
    {"DeleteInstanceProfile", w_delete_instance_profile, 0},
    {"DeleteLoginProfile", w_delete_login_profile, 0},
    {"DeletePolicy", w_delete_policy, 0},
    {"DeletePolicyVersion", w_delete_policy_version, 0},
    {"DeleteRole", w_delete_role, 0},
    {"DeleteRolePermissionsBoundary", w_delete_role_permissions_boundary, 0},
    {"DeleteRolePolicy", w_delete_role_policy, 0},
    {"DeleteUser", w_delete_user, 0},
    {"DeleteUserPermissionsBoundary", w_delete_user_permissions_boundary, 0},
    {"DeleteUserPolicy", w_delete_user_policy, 0},
    {"DetachGroupPolicy", w_detach_group_policy, 0},
    {"DetachRolePolicy", w_detach_role_policy, 0},
    {"DetachUserPolicy", w_detach_user_policy, 0},
    {"GetAccountAuthorizationDetails", iam_op_get_account_authorization_details, SVC_READ},
    {"GetGroup", iam_op_get_group, SVC_READ},
    {"GetGroupPolicy", iam_op_get_group_policy, SVC_READ},
    {"GetInstanceProfile", iam_op_get_instance_profile, SVC_READ},
    {"GetLoginProfile", iam_op_get_login_profile, SVC_READ},
    {"GetPolicy", iam_op_get_policy, SVC_READ},
    {"GetPolicyVersion", iam_op_get_policy_version, SVC_READ},
    {"GetRole", iam_op_get_role, SVC_READ},
    {"GetRolePolicy", iam_op_get_role_policy, SVC_READ},
    {"GetUser", iam_op_get_user, SVC_READ},
    {"GetUserPolicy", iam_op_get_user_policy, SVC_READ},
    {"ListAccessKeys", iam_op_list_access_keys, SVC_READ},
    {"ListAttachedGroupPolicies", iam_op_list_attached_group_policies, SVC_READ},
    {"ListAttachedRolePolicies", iam_op_list_attached_role_policies, SVC_READ},
    {"ListAttachedUserPolicies", iam_op_list_attached_user_policies, SVC_READ},
    {"ListEntitiesForPolicy", iam_op_list_entities_for_policy, SVC_READ},
    {"ListGroupPolicies", iam_op_list_group_policies, SVC_READ},
    {"ListGroups", iam_op_list_groups, SVC_READ},
    {"ListGroupsForUser", iam_op_list_groups_for_user, SVC_READ},
    {"ListInstanceProfiles", iam_op_list_instance_profiles, SVC_READ},
    {"ListInstanceProfilesForRole", iam_op_list_instance_profiles_for_role, SVC_READ},
    {"ListPolicies", iam_op_list_policies, SVC_READ},
    {"ListPolicyVersions", iam_op_list_policy_versions, SVC_READ},
    {"ListRolePolicies", iam_op_list_role_policies, SVC_READ},
    {"ListRoleTags", iam_op_list_role_tags, SVC_READ},
    {"ListRoles", iam_op_list_roles, SVC_READ},
    {"ListUserPolicies", iam_op_list_user_policies, SVC_READ},
    {"ListUserTags", iam_op_list_user_tags, SVC_READ},
    {"ListUsers", iam_op_list_users, SVC_READ},
    {"PutGroupPolicy", w_put_group_policy, 0},
    {"PutRolePermissionsBoundary", w_put_role_permissions_boundary, 0},
    {"PutRolePolicy", w_put_role_policy, 0},
    {"PutUserPermissionsBoundary", w_put_user_permissions_boundary, 0},
    {"PutUserPolicy", w_put_user_policy, 0},
    {"RemoveRoleFromInstanceProfile", w_remove_role_from_instance_profile, 0},
    {"RemoveUserFromGroup", w_remove_user_from_group, 0},
    {"SetDefaultPolicyVersion", w_set_default_policy_version, 0},
    {"SimulateCustomPolicy", iam_op_simulate_custom_policy, SVC_READ},
    {"SimulatePrincipalPolicy", iam_op_simulate_principal_policy, SVC_READ},
    {"TagRole", w_tag_role, 0},
    {"TagUser", w_tag_user, 0},
    {"UntagRole", w_untag_role, 0},
    {"UntagUser", w_untag_user, 0},
    {"UpdateAccessKey", w_update_access_key, 0},
    {"UpdateAssumeRolePolicy", w_update_assume_role_policy, 0},
    {"UpdateGroup", w_update_group, 0},
    {"UpdateLoginProfile", w_update_login_profile, 0},
    {"UpdateRole", w_update_role, 0},
    {"UpdateRoleDescription", w_update_role_description, 0},
    {"UpdateUser", w_update_user, 0},
};

const svc_def svc_iam = {"iam", "iam.amazonaws.com", ops, sizeof(ops) / sizeof(ops[0]), NULL, NULL};
