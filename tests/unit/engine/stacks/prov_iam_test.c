/* The IAM providers against a fake service layer: the requests they send, how replies
 * become Ref/GetAtt, what an update changes in place, and the order of deletes. */
#include "prov_fake.h"

static const cfn_provider *P(const char *type)
{
    const cfn_provider *p = cfn_provider_find(type);
    assert_non_null(p);
    return p;
}

#define TRUST \
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", " \
    "\"Principal\": {\"Service\": \"lambda.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"}]}"
#define ROLE_REPLY \
    "{\"Role\": {\"RoleName\": \"r\", \"RoleId\": \"AROAEXAMPLE0000000001\", " \
    "\"Arn\": \"arn:aws:iam::111122223333:role/app/r\"}}"

static void test_role_create(void **state)
{
    (void)state;
    fake *f = fake_new("AppRole");
    fake_reply(f, "iam:CreateRole", ROLE_REPLY);
    json_t *props = J("{\"AssumeRolePolicyDocument\": " TRUST ", \"Path\": \"/app/\","
                      " \"MaxSessionDuration\": \"7200\", \"Description\": \"d\","
                      " \"Tags\": [{\"Key\": \"app\", \"Value\": \"x\"}],"
                      " \"Policies\": [{\"PolicyName\": \"logs\", \"PolicyDocument\": "
                      "{\"Version\": \"2012-10-17\", \"Statement\": []}}],"
                      " \"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/ReadOnlyAccess\"]}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(P("AWS::IAM::Role"), &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreateRole iam:PutRolePolicy iam:AttachRolePolicy");
    const json_t *in = fake_in(f, 0);
    const char *name = jstr(in, "RoleName");
    /* no RoleName: CloudFormation's generated name */
    assert_int_equal(strncmp(name, "mystack-AppRole-", 16), 0);
    assert_int_equal(strlen(name), 16 + 13);
    /* the trust policy goes as JSON text; numbers in their API types */
    json_t *trust = J(jstr(in, "AssumeRolePolicyDocument")), *want = J(TRUST);
    assert_true(json_equal(trust, want));
    json_decref(trust);
    json_decref(want);
    assert_int_equal(jint(in, "MaxSessionDuration", 0), 7200);
    assert_string_equal(jstr(in, "Path"), "/app/");
    assert_string_equal(jstr(in, "Description"), "d");
    /* stack tags and the role's own; no aws:cloudformation tags on roles */
    const json_t *tags = json_object_get(in, "Tags");
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(tag_of(tags, "team"), "core");
    assert_string_equal(tag_of(tags, "app"), "x");
    assert_string_equal(jstr(fake_in(f, 1), "RoleName"), name);
    assert_string_equal(jstr(fake_in(f, 1), "PolicyName"), "logs");
    assert_string_equal(jstr(fake_in(f, 1), "PolicyDocument"),
                        "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
    assert_string_equal(jstr(fake_in(f, 2), "PolicyArn"), "arn:aws:iam::aws:policy/ReadOnlyAccess");
    /* Ref = RoleName; GetAtt Arn and RoleId */
    assert_string_equal(jstr(res, "PhysicalResourceId"), name);
    assert_null(json_object_get(res, "Ref"));
    const json_t *at = json_object_get(res, "Attributes");
    assert_string_equal(jstr(at, "Arn"), "arn:aws:iam::111122223333:role/app/r");
    assert_string_equal(jstr(at, "RoleId"), "AROAEXAMPLE0000000001");
    json_decref(res);
    json_decref(props);
    fake_free(f);
}

static void test_role_named_and_invalid(void **state)
{
    (void)state;
    fake *f = fake_new("AppRole");
    fake_reply(f, "iam:CreateRole", ROLE_REPLY);
    json_t *props = J("{\"AssumeRolePolicyDocument\": \"{\\\"Version\\\":\\\"2012-10-17\\\"}\", "
                      "\"RoleName\": \"given\"}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(P("AWS::IAM::Role"), &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreateRole");
    assert_string_equal(jstr(fake_in(f, 0), "RoleName"), "given");
    assert_string_equal(jstr(fake_in(f, 0), "AssumeRolePolicyDocument"),
                        "{\"Version\":\"2012-10-17\"}");
    assert_null(json_object_get(fake_in(f, 0), "Path"));
    assert_string_equal(jstr(res, "PhysicalResourceId"), "given");
    json_decref(res);
    json_decref(props);
    fake_clear(f);
    /* nothing is called for props CloudFormation would refuse */
    props = J("{\"RoleName\": \"x\"}");
    res = NULL;
    assert_int_equal(cfn_provider_create(P("AWS::IAM::Role"), &f->p, props, &res), -1);
    assert_null(res);
    assert_string_equal(f->e.code, "ValidationError");
    assert_string_equal(f->e.message,
                        "Properties validation failed for resource AppRole with "
                        "message: #: required key [AssumeRolePolicyDocument] not found");
    assert_string_equal(fake_ops(f), "");
    json_decref(props);
    /* the service's refusal is the error */
    fake_clear(f);
    fake_fail(f, "iam:CreateRole", 409, "EntityAlreadyExists");
    props = J("{\"AssumeRolePolicyDocument\": {}, \"RoleName\": \"x\"}");
    assert_int_equal(cfn_provider_create(P("AWS::IAM::Role"), &f->p, props, &res), -1);
    assert_string_equal(f->e.code, "EntityAlreadyExists");
    assert_string_equal(fake_ops(f), "iam:CreateRole");
    json_decref(props);
    fake_free(f);
}

/* A create that fails half-way takes back what it made and keeps the error. */
static void test_role_create_undo(void **state)
{
    (void)state;
    fake *f = fake_new("AppRole");
    fake_reply(f, "iam:CreateRole", ROLE_REPLY);
    fake_fail(f, "iam:AttachRolePolicy", 404, "NoSuchEntity");
    json_t *props = J("{\"AssumeRolePolicyDocument\": {}, \"RoleName\": \"r\","
                      " \"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": {}}],"
                      " \"ManagedPolicyArns\": [\"arn:aws:iam::111122223333:policy/missing\"]}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(P("AWS::IAM::Role"), &f->p, props, &res), -1);
    assert_null(res);
    assert_string_equal(f->e.code, "NoSuchEntity");
    assert_string_equal(fake_ops(f), "iam:CreateRole iam:PutRolePolicy iam:AttachRolePolicy "
                                     "iam:DeleteRolePolicy iam:DetachRolePolicy iam:DeleteRole");
    json_decref(props);
    fake_free(f);
}

static void test_role_update(void **state)
{
    (void)state;
    fake *f = fake_new("AppRole");
    fake_reply(f, "iam:ListRoleTags",
               "{\"Tags\": [{\"Key\": \"team\", \"Value\": \"core\"},"
               " {\"Key\": \"gone\", \"Value\": \"1\"}]}");
    fake_reply(f, "iam:GetRole", ROLE_REPLY);
    json_t *old =
        J("{\"AssumeRolePolicyDocument\": {\"Version\": \"2012-10-17\"},"
          " \"Description\": \"d\", \"MaxSessionDuration\": 7200,"
          " \"PermissionsBoundary\": \"arn:aws:iam::111122223333:policy/b\","
          " \"Policies\": [{\"PolicyName\": \"keep\", \"PolicyDocument\": {\"a\": 1}},"
          "              {\"PolicyName\": \"change\", \"PolicyDocument\": {\"a\": 1}},"
          "              {\"PolicyName\": \"drop\", \"PolicyDocument\": {}}],"
          " \"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/A\", \"arn:aws:iam::aws:policy/B\"],"
          " \"Tags\": [{\"Key\": \"gone\", \"Value\": \"1\"}]}");
    json_t *new =
        J("{\"AssumeRolePolicyDocument\": \"{\\\"Version\\\": \\\"2012-10-17\\\"}\","
          " \"Policies\": [{\"PolicyName\": \"keep\", \"PolicyDocument\": \"{\\\"a\\\":1}\"},"
          "              {\"PolicyName\": \"change\", \"PolicyDocument\": {\"a\": 2}},"
          "              {\"PolicyName\": \"add\", \"PolicyDocument\": {}}],"
          " \"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/B\", \"arn:aws:iam::aws:policy/C\"],"
          " \"Tags\": [{\"Key\": \"new\", \"Value\": \"2\"}]}");
    json_t *res = NULL;
    assert_int_equal(cfn_provider_update(P("AWS::IAM::Role"), &f->p, "r", old, new, &res), 0);
    /* the same trust policy as text is no change; description and session length go back
     * to their defaults; boundary removed; policies and attachments diffed */
    assert_string_equal(
        fake_ops(f), "iam:UpdateRole iam:DeleteRolePermissionsBoundary iam:PutRolePolicy "
                     "iam:PutRolePolicy iam:DeleteRolePolicy iam:AttachRolePolicy "
                     "iam:DetachRolePolicy iam:ListRoleTags iam:UntagRole iam:TagRole iam:GetRole");
    const json_t *ur = fake_in(f, 0);
    assert_string_equal(jstr(ur, "Description"), "");
    assert_int_equal(jint(ur, "MaxSessionDuration", 0), 3600);
    assert_string_equal(jstr(fake_in(f, 2), "PolicyName"), "change");
    assert_string_equal(jstr(fake_in(f, 3), "PolicyName"), "add");
    assert_string_equal(jstr(fake_in(f, 4), "PolicyName"), "drop");
    assert_string_equal(jstr(fake_in(f, 5), "PolicyArn"), "arn:aws:iam::aws:policy/C");
    assert_string_equal(jstr(fake_in(f, 6), "PolicyArn"), "arn:aws:iam::aws:policy/A");
    json_t *want = J("[\"gone\"]");
    assert_true(json_equal(json_object_get(fake_in(f, 8), "TagKeys"), want));
    json_decref(want);
    want = J("[{\"Key\": \"new\", \"Value\": \"2\"}]");
    assert_true(json_equal(json_object_get(fake_in(f, 9), "Tags"), want));
    json_decref(want);
    assert_string_equal(jstr(res, "PhysicalResourceId"), "r");
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "RoleId"),
                        "AROAEXAMPLE0000000001");
    json_decref(res);
    fake_clear(f);
    /* a new trust policy */
    fake_reply(f, "iam:GetRole", ROLE_REPLY);
    fake_reply(f, "iam:ListRoleTags", "{\"Tags\": [{\"Key\": \"team\", \"Value\": \"core\"}]}");
    json_t *n2 = J("{\"AssumeRolePolicyDocument\": {\"Version\": \"2008-10-17\"}}");
    json_t *o2 = J("{\"AssumeRolePolicyDocument\": {\"Version\": \"2012-10-17\"}}");
    assert_int_equal(cfn_provider_update(P("AWS::IAM::Role"), &f->p, "r", o2, n2, &res), 0);
    assert_string_equal(fake_ops(f), "iam:UpdateAssumeRolePolicy iam:ListRoleTags iam:GetRole");
    assert_string_equal(jstr(fake_in(f, 0), "PolicyDocument"), "{\"Version\":\"2008-10-17\"}");
    json_decref(res);
    json_decref(n2);
    json_decref(o2);
    json_decref(old);
    json_decref(new);
    fake_free(f);
}

static void test_role_delete(void **state)
{
    (void)state;
    fake *f = fake_new("AppRole");
    fake_fail(f, "iam:DetachRolePolicy", 404, "NoSuchEntity");
    json_t *props = J("{\"AssumeRolePolicyDocument\": {},"
                      " \"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": {}}],"
                      " \"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/A\"]}");
    assert_int_equal(P("AWS::IAM::Role")->del(&f->p, "r", props), 0);
    assert_string_equal(fake_ops(f), "iam:DeleteRolePolicy iam:DetachRolePolicy iam:DeleteRole");
    assert_false(ferr_isset(&f->e));
    fake_clear(f);
    /* already gone is deleted */
    fake_fail(f, "iam:DeleteRole", 404, "NoSuchEntity");
    assert_int_equal(P("AWS::IAM::Role")->del(&f->p, "r", NULL), 0);
    fake_clear(f);
    /* anything else stops the delete */
    fake_fail(f, "iam:DeleteRole", 409, "DeleteConflict");
    assert_int_equal(P("AWS::IAM::Role")->del(&f->p, "r", NULL), -1);
    assert_string_equal(f->e.code, "DeleteConflict");
    json_decref(props);
    fake_free(f);
}

static void test_policy(void **state)
{
    (void)state;
    const cfn_provider *pp = P("AWS::IAM::Policy");
    fake *f = fake_new("AppPolicy");
    json_t *props = J("{\"PolicyName\": \"p\", \"PolicyDocument\": {\"Version\": \"2012-10-17\"},"
                      " \"Roles\": [\"r1\", \"r2\"], \"Users\": [\"u\"], \"Groups\": [\"g\"]}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(pp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:PutRolePolicy iam:PutRolePolicy iam:PutUserPolicy "
                                     "iam:PutGroupPolicy");
    assert_string_equal(jstr(fake_in(f, 1), "RoleName"), "r2");
    assert_string_equal(jstr(fake_in(f, 2), "UserName"), "u");
    assert_string_equal(jstr(fake_in(f, 3), "GroupName"), "g");
    assert_string_equal(jstr(fake_in(f, 3), "PolicyDocument"), "{\"Version\":\"2012-10-17\"}");
    const char *id = jstr(res, "PhysicalResourceId");
    assert_int_equal(strncmp(id, "mystack-AppPolicy-", 18), 0);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Id"), id);
    char *keep = strdup(id);
    json_decref(res);
    fake_clear(f);

    /* same name and document, r2 leaves and r3 arrives: only those two change */
    json_t *n1 =
        J("{\"PolicyName\": \"p\", \"PolicyDocument\": \"{\\\"Version\\\":\\\"2012-10-17\\\"}\","
          " \"Roles\": [\"r1\", \"r3\"], \"Users\": [\"u\"], \"Groups\": [\"g\"]}");
    assert_int_equal(cfn_provider_update(pp, &f->p, keep, props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "iam:PutRolePolicy iam:DeleteRolePolicy");
    assert_string_equal(jstr(fake_in(f, 0), "RoleName"), "r3");
    assert_string_equal(jstr(fake_in(f, 1), "RoleName"), "r2");
    assert_string_equal(jstr(res, "PhysicalResourceId"), keep); /* in place */
    json_decref(res);
    fake_clear(f);

    /* renamed: the new name goes on everywhere, then the old one comes off */
    json_t *n2 = J("{\"PolicyName\": \"q\", \"PolicyDocument\": {}, \"Roles\": [\"r1\"]}");
    assert_int_equal(cfn_provider_update(pp, &f->p, keep, n1, n2, &res), 0);
    assert_string_equal(fake_ops(f), "iam:PutRolePolicy iam:DeleteRolePolicy iam:DeleteRolePolicy "
                                     "iam:DeleteUserPolicy iam:DeleteGroupPolicy");
    assert_string_equal(jstr(fake_in(f, 0), "PolicyName"), "q");
    assert_string_equal(jstr(fake_in(f, 1), "PolicyName"), "p");
    json_decref(res);
    fake_clear(f);

    /* delete: off every identity, gone ones included */
    fake_fail(f, "iam:DeleteRolePolicy", 404, "NoSuchEntity");
    assert_int_equal(pp->del(&f->p, keep, n2), 0);
    assert_string_equal(fake_ops(f), "iam:DeleteRolePolicy");
    fake_clear(f);

    /* no identity at all */
    json_t *bad = J("{\"PolicyName\": \"q\", \"PolicyDocument\": {}, \"Roles\": []}");
    assert_int_equal(cfn_provider_create(pp, &f->p, bad, &res), -1);
    assert_string_equal(f->e.message,
                        "Properties validation failed for resource AppPolicy with "
                        "message: At least one of [Groups,Roles,Users] must be non-empty.");
    assert_string_equal(fake_ops(f), "");
    json_decref(bad);
    free(keep);
    json_decref(n1);
    json_decref(n2);
    json_decref(props);
    fake_free(f);
}

#define POLICY_REPLY \
    "{\"Policy\": {\"PolicyName\": \"mp\", \"PolicyId\": \"ANPAEXAMPLE\", " \
    "\"Arn\": \"arn:aws:iam::111122223333:policy/mp\", \"DefaultVersionId\": \"v1\", " \
    "\"AttachmentCount\": 2, \"IsAttachable\": true, \"PermissionsBoundaryUsageCount\": 0, " \
    "\"CreateDate\": 1700000000, \"UpdateDate\": 1700000000}}"

static void test_managed_policy(void **state)
{
    (void)state;
    const cfn_provider *mp = P("AWS::IAM::ManagedPolicy");
    fake *f = fake_new("Shared");
    fake_reply(f, "iam:CreatePolicy",
               "{\"Policy\": {\"Arn\": \"arn:aws:iam::111122223333:policy/mp\"}}");
    fake_reply(f, "iam:GetPolicy", POLICY_REPLY);
    json_t *props = J("{\"PolicyDocument\": {\"Version\": \"2012-10-17\"}, \"Path\": \"/x/\","
                      " \"Description\": \"shared\", \"Roles\": [\"r\"], \"Groups\": [\"g\"]}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(mp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreatePolicy iam:AttachRolePolicy iam:AttachGroupPolicy "
                                     "iam:GetPolicy");
    const json_t *in = fake_in(f, 0);
    assert_int_equal(strncmp(jstr(in, "PolicyName"), "mystack-Shared-", 15), 0);
    assert_string_equal(jstr(in, "Path"), "/x/");
    assert_string_equal(jstr(in, "Description"), "shared");
    assert_string_equal(jstr(fake_in(f, 1), "PolicyArn"), "arn:aws:iam::111122223333:policy/mp");
    /* Ref = the ARN */
    assert_string_equal(jstr(res, "PhysicalResourceId"), "arn:aws:iam::111122223333:policy/mp");
    const json_t *at = json_object_get(res, "Attributes");
    assert_string_equal(jstr(at, "PolicyArn"), "arn:aws:iam::111122223333:policy/mp");
    assert_string_equal(jstr(at, "PolicyId"), "ANPAEXAMPLE");
    assert_string_equal(jstr(at, "DefaultVersionId"), "v1");
    assert_int_equal(jint(at, "AttachmentCount", -1), 2);
    assert_true(jbool(at, "IsAttachable", 0));
    assert_string_equal(jstr(at, "CreateDate"), "2023-11-14T22:13:20Z");
    json_decref(res);
    fake_clear(f);

    /* a new document: a new default version, the oldest non-default one making room */
    fake_reply(f, "iam:ListPolicyVersions",
               "{\"Versions\": [{\"VersionId\": \"v3\", \"IsDefaultVersion\": true},"
               " {\"VersionId\": \"v7\", \"IsDefaultVersion\": false},"
               " {\"VersionId\": \"v4\", \"IsDefaultVersion\": false},"
               " {\"VersionId\": \"v5\", \"IsDefaultVersion\": false},"
               " {\"VersionId\": \"v6\", \"IsDefaultVersion\": false}]}");
    fake_reply(f, "iam:GetPolicy", POLICY_REPLY);
    json_t *n1 = J("{\"PolicyDocument\": {\"Version\": \"2008-10-17\"}, \"Path\": \"/x/\","
                   " \"Description\": \"shared\", \"Roles\": [\"r2\"], \"Groups\": [\"g\"]}");
    assert_int_equal(
        cfn_provider_update(mp, &f->p, "arn:aws:iam::111122223333:policy/mp", props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "iam:ListPolicyVersions iam:DeletePolicyVersion "
                                     "iam:CreatePolicyVersion iam:AttachRolePolicy "
                                     "iam:DetachRolePolicy iam:GetPolicy");
    assert_string_equal(jstr(fake_in(f, 1), "VersionId"), "v4");
    assert_string_equal(jstr(fake_in(f, 2), "PolicyDocument"), "{\"Version\":\"2008-10-17\"}");
    assert_true(jbool(fake_in(f, 2), "SetAsDefault", 0));
    assert_string_equal(jstr(fake_in(f, 3), "RoleName"), "r2");
    assert_string_equal(jstr(fake_in(f, 4), "RoleName"), "r");
    json_decref(res);
    fake_clear(f);

    /* delete: detach, the non-default versions, then the policy */
    fake_reply(f, "iam:ListPolicyVersions",
               "{\"Versions\": [{\"VersionId\": \"v2\", \"IsDefaultVersion\": true},"
               " {\"VersionId\": \"v1\", \"IsDefaultVersion\": false}]}");
    assert_int_equal(mp->del(&f->p, "arn:aws:iam::111122223333:policy/mp", n1), 0);
    assert_string_equal(fake_ops(f),
                        "iam:DetachRolePolicy iam:DetachGroupPolicy "
                        "iam:ListPolicyVersions iam:DeletePolicyVersion iam:DeletePolicy");
    assert_string_equal(jstr(fake_in(f, 3), "VersionId"), "v1");
    fake_clear(f);
    /* a policy already gone */
    fake_fail(f, "iam:ListPolicyVersions", 404, "NoSuchEntity");
    assert_int_equal(mp->del(&f->p, "arn:aws:iam::111122223333:policy/mp", NULL), 0);
    json_decref(n1);
    json_decref(props);
    fake_free(f);
}

static void test_user(void **state)
{
    (void)state;
    const cfn_provider *up = P("AWS::IAM::User");
    fake *f = fake_new("Deployer");
    fake_reply(
        f, "iam:CreateUser",
        "{\"User\": {\"UserName\": \"u\", \"Arn\": \"arn:aws:iam::111122223333:user/ci/u\"}}");
    json_t *
        props = J(
           "{\"UserName\": \"u\", \"Path\": \"/ci/\", \"Groups\": [\"devs\"],"
           " \"LoginProfile\": {\"Password\": \"pw-1234567\", \"PasswordResetRequired\": \"true\"},"
           " \"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": {}}],"
           " \"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/A\"],"
           " \"PermissionsBoundary\": \"arn:aws:iam::111122223333:policy/b\"}"),
       *res = NULL;
    assert_int_equal(cfn_provider_create(up, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreateUser iam:CreateLoginProfile iam:AddUserToGroup "
                                     "iam:PutUserPolicy iam:AttachUserPolicy");
    const json_t *in = fake_in(f, 0);
    assert_string_equal(jstr(in, "Path"), "/ci/");
    assert_string_equal(jstr(in, "PermissionsBoundary"), "arn:aws:iam::111122223333:policy/b");
    assert_string_equal(tag_of(json_object_get(in, "Tags"), "team"), "core");
    assert_true(jbool(fake_in(f, 1), "PasswordResetRequired", 0));
    assert_string_equal(jstr(fake_in(f, 2), "GroupName"), "devs");
    assert_string_equal(jstr(res, "PhysicalResourceId"), "u");
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Arn"),
                        "arn:aws:iam::111122223333:user/ci/u");
    json_decref(res);
    fake_clear(f);

    /* Path in place (UpdateUser), login profile dropped, groups swapped */
    fake_reply(f, "iam:GetUser", "{\"User\": {\"Arn\": \"arn:aws:iam::111122223333:user/u\"}}");
    fake_reply(f, "iam:ListUserTags", "{\"Tags\": [{\"Key\": \"team\", \"Value\": \"core\"}]}");
    json_t *n1 = J("{\"UserName\": \"u\", \"Groups\": [\"ops\"],"
                   " \"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": {}}],"
                   " \"ManagedPolicyArns\": [\"arn:aws:iam::aws:policy/A\"],"
                   " \"PermissionsBoundary\": \"arn:aws:iam::111122223333:policy/b\"}");
    assert_int_equal(cfn_provider_update(up, &f->p, "u", props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "iam:UpdateUser iam:DeleteLoginProfile iam:AddUserToGroup "
                                     "iam:RemoveUserFromGroup iam:ListUserTags iam:GetUser");
    assert_string_equal(jstr(fake_in(f, 0), "NewPath"), "/");
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Arn"),
                        "arn:aws:iam::111122223333:user/u");
    json_decref(res);
    fake_clear(f);

    /* delete: groups, login profile, policies, then the user */
    assert_int_equal(up->del(&f->p, "u", props), 0);
    assert_string_equal(fake_ops(f), "iam:RemoveUserFromGroup iam:DeleteLoginProfile "
                                     "iam:DeleteUserPolicy iam:DetachUserPolicy iam:DeleteUser");
    fake_clear(f);
    json_t *bad = J("{\"LoginProfile\": {\"PasswordResetRequired\": true}}");
    assert_int_equal(cfn_provider_create(up, &f->p, bad, &res), -1);
    assert_string_equal(f->e.message, "Properties validation failed for resource Deployer with "
                                      "message: #/LoginProfile: required key [Password] not found");
    json_decref(bad);
    json_decref(n1);
    json_decref(props);
    fake_free(f);
}

static void test_access_key(void **state)
{
    (void)state;
    const cfn_provider *kp = P("AWS::IAM::AccessKey");
    fake *f = fake_new("Key");
    fake_reply(
        f, "iam:CreateAccessKey",
        "{\"AccessKey\": {\"UserName\": \"u\", \"AccessKeyId\": "
        "\"AKIAEXAMPLE000000001\", \"SecretAccessKey\": \"s3cr3t\", \"Status\": \"Active\"}}");
    json_t *props = J("{\"UserName\": \"u\", \"Status\": \"Inactive\", \"Serial\": \"1\"}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(kp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreateAccessKey iam:UpdateAccessKey");
    assert_string_equal(jstr(fake_in(f, 1), "Status"), "Inactive");
    /* Ref = AccessKeyId; GetAtt SecretAccessKey */
    assert_string_equal(jstr(res, "PhysicalResourceId"), "AKIAEXAMPLE000000001");
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "SecretAccessKey"), "s3cr3t");
    json_decref(res);
    fake_clear(f);
    json_t *n1 = J("{\"UserName\": \"u\", \"Serial\": 1}");
    assert_int_equal(cfn_provider_update(kp, &f->p, "AKIAEXAMPLE000000001", props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "iam:UpdateAccessKey");
    assert_string_equal(jstr(fake_in(f, 0), "Status"), "Active");
    /* the secret cannot be read again: no Attributes, the engine keeps create's */
    assert_null(json_object_get(res, "Attributes"));
    json_decref(res);
    fake_clear(f);
    assert_int_equal(kp->del(&f->p, "AKIAEXAMPLE000000001", n1), 0);
    assert_string_equal(fake_ops(f), "iam:DeleteAccessKey");
    assert_string_equal(jstr(fake_in(f, 0), "UserName"), "u");
    fake_clear(f);
    json_t *bad = J("{\"UserName\": \"u\", \"Status\": \"Off\"}");
    assert_int_equal(cfn_provider_create(kp, &f->p, bad, &res), -1);
    assert_string_equal(f->e.message, "Properties validation failed for resource Key with "
                                      "message: #/Status: Off is not a valid enum value");
    json_decref(bad);
    json_decref(n1);
    json_decref(props);
    fake_free(f);
}

static void test_group_and_profile(void **state)
{
    (void)state;
    fake *f = fake_new("Devs");
    fake_reply(f, "iam:CreateGroup",
               "{\"Group\": {\"Arn\": \"arn:aws:iam::111122223333:group/devs\"}}");
    json_t *props = J("{\"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": {}}]}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(P("AWS::IAM::Group"), &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreateGroup iam:PutGroupPolicy");
    assert_null(json_object_get(fake_in(f, 0), "Tags")); /* IAM groups have none */
    assert_int_equal(strncmp(jstr(res, "PhysicalResourceId"), "mystack-Devs-", 13), 0);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Arn"),
                        "arn:aws:iam::111122223333:group/devs");
    json_decref(res);
    fake_clear(f);
    fake_reply(f, "iam:GetGroup",
               "{\"Group\": {\"Arn\": \"arn:aws:iam::111122223333:group/p/devs\"}}");
    json_t *n1 = J("{\"Path\": \"/p/\"}");
    assert_int_equal(cfn_provider_update(P("AWS::IAM::Group"), &f->p, "devs", props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "iam:UpdateGroup iam:DeleteGroupPolicy iam:GetGroup");
    assert_string_equal(jstr(fake_in(f, 0), "NewPath"), "/p/");
    json_decref(res);
    fake_clear(f);
    assert_int_equal(P("AWS::IAM::Group")->del(&f->p, "devs", n1), 0);
    assert_string_equal(fake_ops(f), "iam:DeleteGroup");
    fake_clear(f);
    json_decref(n1);
    json_decref(props);

    const cfn_provider *ip = P("AWS::IAM::InstanceProfile");
    fake_reply(
        f, "iam:CreateInstanceProfile",
        "{\"InstanceProfile\": {\"Arn\": \"arn:aws:iam::111122223333:instance-profile/ip\"}}");
    props = J("{\"InstanceProfileName\": \"ip\", \"Roles\": [\"r1\"]}");
    assert_int_equal(cfn_provider_create(ip, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "iam:CreateInstanceProfile iam:AddRoleToInstanceProfile");
    assert_string_equal(jstr(res, "PhysicalResourceId"), "ip");
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Arn"),
                        "arn:aws:iam::111122223333:instance-profile/ip");
    json_decref(res);
    fake_clear(f);
    fake_reply(
        f, "iam:GetInstanceProfile",
        "{\"InstanceProfile\": {\"Arn\": \"arn:aws:iam::111122223333:instance-profile/ip\"}}");
    n1 = J("{\"InstanceProfileName\": \"ip\", \"Roles\": [\"r2\"]}");
    assert_int_equal(cfn_provider_update(ip, &f->p, "ip", props, n1, &res), 0);
    /* one role at a time: the old one leaves first */
    assert_string_equal(fake_ops(f),
                        "iam:RemoveRoleFromInstanceProfile iam:AddRoleToInstanceProfile "
                        "iam:GetInstanceProfile");
    assert_string_equal(jstr(fake_in(f, 0), "RoleName"), "r1");
    json_decref(res);
    fake_clear(f);
    assert_int_equal(ip->del(&f->p, "ip", n1), 0);
    assert_string_equal(fake_ops(f), "iam:RemoveRoleFromInstanceProfile iam:DeleteInstanceProfile");
    fake_clear(f);
    json_t *bad = J("{\"Roles\": [\"a\", \"b\"]}");
    assert_int_equal(cfn_provider_create(ip, &f->p, bad, &res), -1);
    assert_string_equal(f->e.message, "Properties validation failed for resource Devs with "
                                      "message: #/Roles: expected maximum item count: 1, found: 2");
    json_decref(bad);
    json_decref(n1);
    json_decref(props);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_create),      cmocka_unit_test(test_role_named_and_invalid),
        cmocka_unit_test(test_role_create_undo), cmocka_unit_test(test_role_update),
        cmocka_unit_test(test_role_delete),      cmocka_unit_test(test_policy),
        cmocka_unit_test(test_managed_policy),   cmocka_unit_test(test_user),
        cmocka_unit_test(test_access_key),       cmocka_unit_test(test_group_and_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
