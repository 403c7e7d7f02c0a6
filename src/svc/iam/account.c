/* Account-wide IAM settings: the password policy (and ChangePassword, which it governs), the
 * account alias, GetAccountSummary.
 *
 * Storage: kind "iam.account" in the account, ids "passwordpolicy" (the PasswordPolicy
 * shape as given) and "alias" ({"AccountAlias"}); aliases are unique across all accounts,
 * so each is also claimed under kind "iam.alias", account "" (id = the alias, {"Account"}),
 * in the same transaction. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "iam_int.h"

#define POLICY_ID "passwordpolicy"
#define ALIAS_ID  "alias"

static int account_get(call *c, const char *id, json_t **doc)
{
    store_key k = {"iam.account", c->account, IAMSVC_REGION, id};
    return store_get(c->txn, &k, doc, c->err);
}

/* ---- password policy ---- */

/* AWS's "symbols": the only characters RequireSymbols counts. */
static int is_symbol(int ch)
{
    return ch && strchr("!@#$%^&*()_+-=[]{}|'", ch) != NULL;
}

int iamsvc_password_policy_check(call *c, const char *pw)
{
    json_t *pol = NULL;
    if (account_get(c, POLICY_ID, &pol) < 0) return -1;
    /* without a policy, AWS's default: at least 8 characters */
    long long min = pol ? jint(pol, "MinimumPasswordLength", 6) : 8;
    int upper = 0, lower = 0, digit = 0, sym = 0;
    size_t n = pw ? strlen(pw) : 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)pw[i];
        upper |= ch >= 'A' && ch <= 'Z';
        lower |= ch >= 'a' && ch <= 'z';
        digit |= ch >= '0' && ch <= '9';
        sym |= is_symbol(ch);
    }
    const char *why = NULL;
    if ((long long)n < min)
        why = NULL; /* reported with its number below */
    else if (jbool(pol, "RequireLowercaseCharacters", 0) && !lower)
        why = "Password should have at least one lowercase letter";
    else if (jbool(pol, "RequireUppercaseCharacters", 0) && !upper)
        why = "Password should have at least one uppercase letter";
    else if (jbool(pol, "RequireNumbers", 0) && !digit)
        why = "Password should have at least one number";
    else if (jbool(pol, "RequireSymbols", 0) && !sym)
        why = "Password should have at least one symbol";
    json_decref(pol);
    if ((long long)n < min)
        return ferr_set(c->err, 400, "PasswordPolicyViolation",
                        "Password should have a minimum length of %lld", min);
    return why ? ferr_set(c->err, 400, "PasswordPolicyViolation", "%s", why) : 0;
}

int iamsvc_password_reuse_check(call *c, const json_t *profile, const char *pw)
{
    json_t *pol = NULL;
    if (account_get(c, POLICY_ID, &pol) < 0) return -1;
    long long keep = jint(pol, "PasswordReusePrevention", 0);
    json_decref(pol);
    if (keep <= 0) return 0;
    int used = iamsvc_password_check(profile, pw);
    json_t *prev = json_object_get(profile, "PreviousPasswords");
    for (size_t i = 0; !used && i < json_array_size(prev) && (long long)i + 1 < keep; i++)
        used = iamsvc_password_check(json_array_get(prev, i), pw);
    if (used)
        return ferr_set(c->err, 400, "PasswordPolicyViolation",
                        "Password should not be one of your last %lld passwords", keep);
    return 0;
}

int iamsvc_password_rotate(call *c, json_t *profile, const char *pw)
{
    /* the digest being replaced joins the history ChangePassword checks reuse against
     * (PasswordReusePrevention is at most 24) */
    json_t *prev = json_object_get(profile, "PreviousPasswords");
    if (!prev) {
        prev = json_array();
        if (!prev || json_object_set_new(profile, "PreviousPasswords", prev))
            return ferr_oom(c->err);
    }
    if (jstr(profile, "PasswordDigest") &&
        json_array_insert_new(prev, 0,
                              json_pack("{s:O, s:O}", "Salt", json_object_get(profile, "Salt"),
                                        "PasswordDigest",
                                        json_object_get(profile, "PasswordDigest"))))
        return ferr_oom(c->err);
    while (json_array_size(prev) > 24) json_array_remove(prev, json_array_size(prev) - 1);
    return iamsvc_password_set(profile, pw) ? ferr_oom(c->err) : 0;
}

int iam_op_update_account_password_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    if (iamsvc_authorize(c, "iam:UpdateAccountPasswordPolicy", "*")) return -1;
    /* AWS: parameters not given take their defaults (not the previous policy's values) */
    long long age = jint(in, "MaxPasswordAge", 0), reuse = jint(in, "PasswordReusePrevention", 0);
    json_t *pol =
        json_pack("{s:I, s:b, s:b, s:b, s:b, s:b, s:b}", "MinimumPasswordLength",
                  (json_int_t)jint(in, "MinimumPasswordLength", 6), "RequireSymbols",
                  jbool(in, "RequireSymbols", 0), "RequireNumbers", jbool(in, "RequireNumbers", 0),
                  "RequireUppercaseCharacters", jbool(in, "RequireUppercaseCharacters", 0),
                  "RequireLowercaseCharacters", jbool(in, "RequireLowercaseCharacters", 0),
                  "AllowUsersToChangePassword", jbool(in, "AllowUsersToChangePassword", 0),
                  "ExpirePasswords", age > 0);
    int rc = pol ? 0 : -1;
    if (pol && age > 0) rc |= json_object_set_new(pol, "MaxPasswordAge", json_integer(age));
    if (pol && reuse > 0)
        rc |= json_object_set_new(pol, "PasswordReusePrevention", json_integer(reuse));
    if (pol && json_object_get(in, "HardExpiry"))
        rc |= json_object_set_new(pol, "HardExpiry", json_boolean(jbool(in, "HardExpiry", 0)));
    if (rc) {
        json_decref(pol);
        return ferr_oom(c->err);
    }
    store_key k = {"iam.account", c->account, IAMSVC_REGION, POLICY_ID};
    rc = store_put(c->txn, &k, pol, c->err);
    json_decref(pol);
    call_resource(c, "AWS::IAM::AccountPasswordPolicy", c->account);
    return rc;
}

static int no_policy(call *c)
{
    return ferr_set(c->err, 404, "NoSuchEntity",
                    "The Password Policy with domain name %s cannot be found.", c->account);
}

int iam_op_get_account_password_policy(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (iamsvc_authorize(c, "iam:GetAccountPasswordPolicy", "*")) return -1;
    json_t *pol = NULL;
    int rc = account_get(c, POLICY_ID, &pol);
    if (rc < 0) return -1;
    if (!rc) return no_policy(c);
    *out = svc_out(c, json_pack("{s:o}", "PasswordPolicy", pol));
    return 0;
}

int iam_op_delete_account_password_policy(call *c, json_t *in, json_t **out)
{
    (void)in, (void)out;
    if (iamsvc_authorize(c, "iam:DeleteAccountPasswordPolicy", "*")) return -1;
    store_key k = {"iam.account", c->account, IAMSVC_REGION, POLICY_ID};
    int rc = store_del(c->txn, &k, c->err);
    if (rc < 0) return -1;
    call_resource(c, "AWS::IAM::AccountPasswordPolicy", c->account);
    return rc ? 0 : no_policy(c);
}

/* AWS: only an IAM user changes its own password; the account's policy setting
 * AllowUsersToChangePassword grants it to every user, else iam:ChangePassword must. */
int iam_op_change_password(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *old = jstr(in, "OldPassword"), *pw = jstr(in, "NewPassword");
    if (c->who->kind != PRIN_USER)
        return ferr_set(c->err, 400, "InvalidUserType",
                        "Only IAM Users can change their own password.");
    json_t *pol = NULL, *u = NULL;
    if (account_get(c, POLICY_ID, &pol) < 0) return -1;
    int allowed = jbool(pol, "AllowUsersToChangePassword", 0);
    json_decref(pol);
    const char *name = c->who->name;
    int rc = iamsvc_fetch(c->txn, &iamsvc_user_t, c->account, name, &u, c->err);
    if (rc < 0) return -1;
    if (!allowed &&
        iamsvc_authorize(c, "iam:ChangePassword",
                         rc ? jstr(u, "Arn") : iamsvc_arn(c, c->account, "user", "/", name))) {
        json_decref(u);
        return -1;
    }
    json_t *p = json_object_get(u, "LoginProfile");
    if (!rc || !p) {
        json_decref(u);
        return ferr_set(c->err, 404, "NoSuchEntity", "Login Profile for User %s cannot be found.",
                        name);
    }
    rc = -1;
    if (!iamsvc_password_check(p, old))
        ferr_set(c->err, 403, "AccessDenied", "The old password is incorrect.");
    else if (!iamsvc_password_policy_check(c, pw) && !iamsvc_password_reuse_check(c, p, pw) &&
             !iamsvc_password_rotate(c, p, pw)) {
        /* a forced reset is satisfied by the change */
        if (json_object_set_new(p, "PasswordResetRequired", json_false())) {
            ferr_oom(c->err);
        } else {
            call_resource(c, "AWS::IAM::User", jstr(u, "UserName"));
            rc = iamsvc_save(c, &iamsvc_user_t, c->account, u);
        }
    }
    json_decref(u);
    return rc;
}

/* ---- account alias ---- */

/* AWS: 3-63 of lowercase letters, digits and hyphens, starting and ending with a letter or
 * digit, no two hyphens in a row. */
static int check_alias(call *c, const char *alias)
{
    size_t n = alias ? strlen(alias) : 0;
    int ok = n >= 3 && n <= 63 && alias[0] != '-' && alias[n - 1] != '-';
    for (size_t i = 0; ok && i < n; i++) {
        char ch = alias[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
             (ch == '-' && alias[i + 1] != '-');
    }
    if (ok) return 0;
    return ferr_validation(c->err,
                           "1 validation error detected: Value '%s' at 'accountAlias' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
                           alias ? alias : "");
}

int iam_op_create_account_alias(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *alias = jstr(in, "AccountAlias");
    if (iamsvc_authorize(c, "iam:CreateAccountAlias", "*") || check_alias(c, alias)) return -1;
    json_t *cur = NULL;
    int rc = account_get(c, ALIAS_ID, &cur);
    if (rc < 0) return -1;
    const char *had = rc ? jstr(cur, "AccountAlias") : NULL;
    if (had && !strcmp(had, alias)) {
        json_decref(cur);
        return 0; /* already this account's: nothing changes */
    }
    json_decref(cur);
    if (had)
        return ferr_set(c->err, 409, "LimitExceeded",
                        "Cannot exceed quota for AccountAliasesPerAccount: 1");
    json_t *claim = json_pack("{s:s}", "Account", c->account);
    json_t *doc = json_pack("{s:s, s:f}", "AccountAlias", alias, "CreateDate",
                            (double)(long long)clock_now());
    store_key g = {"iam.alias", "", "", alias};
    store_key k = {"iam.account", c->account, IAMSVC_REGION, ALIAS_ID};
    rc = claim && doc ? store_insert(c->txn, &g, claim, c->err) : ferr_oom(c->err);
    if (rc == 1)
        rc = ferr_set(c->err, 409, "EntityAlreadyExists", "The account alias %s already exists.",
                      alias);
    if (!rc) rc = store_put(c->txn, &k, doc, c->err);
    json_decref(claim);
    json_decref(doc);
    call_resource(c, "AWS::IAM::AccountAlias", alias);
    return rc;
}

int iam_op_delete_account_alias(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *alias = jstr(in, "AccountAlias");
    if (iamsvc_authorize(c, "iam:DeleteAccountAlias", "*")) return -1;
    json_t *cur = NULL;
    int rc = account_get(c, ALIAS_ID, &cur);
    if (rc < 0) return -1;
    if (!rc || !alias || strcmp(jstr(cur, "AccountAlias"), alias)) {
        json_decref(cur);
        return ferr_set(c->err, 404, "NoSuchEntity", "The account alias %s does not exist.",
                        alias ? alias : "");
    }
    json_decref(cur);
    store_key g = {"iam.alias", "", "", alias};
    store_key k = {"iam.account", c->account, IAMSVC_REGION, ALIAS_ID};
    call_resource(c, "AWS::IAM::AccountAlias", alias);
    return store_del(c->txn, &g, c->err) < 0 || store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int iam_op_list_account_aliases(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListAccountAliases", "*")) return -1;
    json_t *cur = NULL;
    int rc = account_get(c, ALIAS_ID, &cur);
    if (rc < 0) return -1;
    json_t *all = rc ? json_pack("[O]", json_object_get(cur, "AccountAlias")) : json_array();
    json_decref(cur);
    if (!all) return ferr_oom(c->err);
    *out = svc_out(c, json_object());
    rc = iamsvc_page(c, all, in, *out, "AccountAliases");
    json_decref(all);
    return rc;
}

/* ---- STS token preferences: which tokens the global STS endpoint issues; reported as
 * GetAccountSummary's GlobalEndpointTokenVersion ---- */

int iam_op_set_security_token_service_preferences(call *c, json_t *in, json_t **out)
{
    (void)out;
    if (iamsvc_authorize(c, "iam:SetSecurityTokenServicePreferences", "*")) return -1;
    const char *v = jstr(in, "GlobalEndpointTokenVersion");
    json_t *doc = json_pack("{s:i}", "Version", v && !strcmp(v, "v2Token") ? 2 : 1);
    store_key k = {"iam.account", c->account, IAMSVC_REGION, "stsprefs"};
    int rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    return rc;
}

/* ---- GetAccountSummary ---- */

typedef struct tally {
    json_int_t n, extra; /* documents; extra: those carrying member what */
    const char *what;
} tally;

static int tally_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    tally *t = ud;
    t->n++;
    if (t->what && json_object_get(doc, t->what)) t->extra++;
    return 0;
}

static int count(call *c, const char *kind, const char *what, json_int_t *n, json_int_t *extra)
{
    tally t = {0, 0, what};
    if (store_list(c->txn, kind, c->account, IAMSVC_REGION, NULL, NULL, 0, tally_cb, &t, c->err) <
        0)
        return -1;
    *n = t.n;
    if (extra) *extra = t.extra;
    return 0;
}

int iam_op_get_account_summary(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (iamsvc_authorize(c, "iam:GetAccountSummary", "*")) return -1;
    json_int_t users, groups, roles, pols, versions, profiles, mfa = 0, mfa_used = 0, certs = 0,
                                                               oidc = 0, saml = 0;
    if (count(c, "iam.user", NULL, &users, NULL) || count(c, "iam.group", NULL, &groups, NULL) ||
        count(c, "iam.role", NULL, &roles, NULL) || count(c, "iam.policy", NULL, &pols, NULL) ||
        count(c, "iam.policyversion", NULL, &versions, NULL) ||
        count(c, "iam.profile", NULL, &profiles, NULL) ||
        count(c, "iam.mfa", "User", &mfa, &mfa_used) ||
        count(c, "iam.servercert", NULL, &certs, NULL) || count(c, "iam.oidc", NULL, &oidc, NULL) ||
        count(c, "iam.saml", NULL, &saml, NULL))
        return -1;
    /* AWS's default quotas (ferry's own limits where it enforces one: the inline policy
     * sizes come from the entity types) */
    json_t *m = json_pack(
        "{s:I, s:i, s:I, s:i, s:I, s:i, s:I, s:i, s:I, s:i, s:I, s:i, s:I, s:i, s:I, s:I, s:I, "
        "s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}",
        "Users", users, "UsersQuota", 5000, "Groups", groups, "GroupsQuota", 300, "Roles", roles,
        "RolesQuota", 1000, "Policies", pols, "PoliciesQuota", 1500, "PolicyVersionsInUse",
        versions, "PolicyVersionsInUseQuota", 10000, "InstanceProfiles", profiles,
        "InstanceProfilesQuota", 1000, "ServerCertificates", certs, "ServerCertificatesQuota", 20,
        "MFADevices", mfa, "MFADevicesInUse", mfa_used, "Providers", oidc + saml,
        "AccountMFAEnabled", 0, "AccountAccessKeysPresent", 0, "AccountSigningCertificatesPresent",
        0, "UserPolicySizeQuota", (int)iamsvc_user_t.inline_quota, "GroupPolicySizeQuota",
        (int)iamsvc_group_t.inline_quota, "RolePolicySizeQuota", (int)iamsvc_role_t.inline_quota,
        "PolicySizeQuota", 6144, "AssumeRolePolicySizeQuota", 2048, "VersionsPerPolicyQuota", 5,
        "GroupsPerUserQuota", 10, "SigningCertificatesPerUserQuota", 2, "AccessKeysPerUserQuota", 2,
        "AttachedPoliciesPerUserQuota", 10, "AttachedPoliciesPerGroupQuota", 10,
        "AttachedPoliciesPerRoleQuota", 10, "GlobalEndpointTokenVersion", 1);
    json_t *prefs = NULL;
    if (m && account_get(c, "stsprefs", &prefs) < 0) {
        json_decref(m);
        return -1;
    }
    if (m && prefs &&
        json_object_set(m, "GlobalEndpointTokenVersion", json_object_get(prefs, "Version"))) {
        json_decref(m);
        m = NULL;
    }
    json_decref(prefs);
    if (!m) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:o}", "SummaryMap", m));
    return 0;
}
