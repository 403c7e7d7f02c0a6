/* Service-specific credentials (CodeCommit's HTTPS Git credentials): a user name and a
 * generated password for one service. They live in the user document
 * ("ServiceSpecificCredentials": [{ServiceSpecificCredentialId, ServiceName, ServiceUserName,
 * Status, CreateDate, Salt, PasswordDigest}]); the password is shown once, at creation or
 * reset, and kept as a salted digest like a login profile's. An index document (kind
 * "iam.ssc", global, id = the lowercased ServiceUserName) finds the user from the name git
 * sends: {Account, UserName, Id}. */
#include <stdio.h>
#include <string.h>

#include "auth/keys.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "iam_int.h"

#define SSC_KIND    "iam.ssc"
#define SSC_PER_SVC 2 /* AWS: two sets per supported service per user */

/* AWS: CodeCommit's (Keyspaces' is not in ferry). */
static int supported(call *c, const char *service)
{
    if (service && !strcmp(service, "codecommit.amazonaws.com")) return 0;
    return ferr_set(c->err, 404, "NotSupportedService",
                    "No such service %s is supported for Service-Specific Credentials",
                    service ? service : "");
}

static int load_user(call *c, const char *action, const json_t *in, json_t **u)
{
    const char *name;
    return iamsvc_user_name(c, in, &name) || iamsvc_load_auth(c, &iamsvc_user_t, action, name, u);
}

static int save_user(call *c, const json_t *u)
{
    call_resource(c, "AWS::IAM::User", jstr(u, "UserName"));
    return iamsvc_save(c, &iamsvc_user_t, c->account, u);
}

static json_t *creds_of(json_t *u)
{
    json_t *a = json_object_get(u, "ServiceSpecificCredentials");
    if (json_is_array(a)) return a;
    a = json_array();
    return json_object_set_new(u, "ServiceSpecificCredentials", a) ? NULL : a;
}

/* The metadata shape (no password); with pw, the ServiceSpecificCredential shape. */
static json_t *cred_view(const json_t *u, const json_t *cr, const char *pw)
{
    json_t *v = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "UserName",
                          json_object_get(u, "UserName"), "Status", json_object_get(cr, "Status"),
                          "ServiceUserName", json_object_get(cr, "ServiceUserName"), "CreateDate",
                          json_object_get(cr, "CreateDate"), "ServiceSpecificCredentialId",
                          json_object_get(cr, "ServiceSpecificCredentialId"), "ServiceName",
                          json_object_get(cr, "ServiceName"));
    if (v && pw && jset_str(v, "ServicePassword", pw)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* A new password: 32 random bytes in base64, 44 characters as AWS's. */
static const char *new_password(call *c)
{
    unsigned char raw[32];
    ids_random(raw, sizeof(raw));
    const char *pw = enc_b64(c->a, raw, sizeof(raw));
    if (!pw) ferr_oom(c->err);
    return pw;
}

int iam_op_create_service_specific_credential(call *c, json_t *in, json_t **out)
{
    const char *service = jstr(in, "ServiceName");
    json_t *u = NULL;
    if (load_user(c, "iam:CreateServiceSpecificCredential", in, &u)) return -1;
    int rc = -1;
    json_t *all = creds_of(u), *cr = NULL;
    if (!all) {
        ferr_oom(c->err);
        goto out;
    }
    if (supported(c, service)) goto out;
    size_t i, n = 0;
    json_t *v;
    int used[SSC_PER_SVC + 1] = {0};
    json_array_foreach(all, i, v) {
        if (strcmp(jstr(v, "ServiceName"), service)) continue;
        n++;
        long long slot = jint(v, "Slot", 0);
        if (slot >= 0 && slot <= SSC_PER_SVC) used[slot] = 1;
    }
    if (n >= SSC_PER_SVC) {
        ferr_set(c->err, 409, "LimitExceeded",
                 "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d",
                 SSC_PER_SVC);
        goto out;
    }
    int slot = used[0] ? 1 : 0;
    /* USER-at-ACCOUNT, the second USER+1-at-ACCOUNT (ferry's way to keep them apart) */
    const char *sun = slot
                          ? arena_printf(c->a, "%s+%d-at-%s", jstr(u, "UserName"), slot, c->account)
                          : arena_printf(c->a, "%s-at-%s", jstr(u, "UserName"), c->account);
    const char *pw = new_password(c);
    char id[32];
    iamsvc_new_id("ACCA", id);
    if (!sun || !pw) goto out;
    cr = json_pack("{s:s, s:s, s:s, s:s, s:f, s:i}", "ServiceSpecificCredentialId", id,
                   "ServiceName", service, "ServiceUserName", sun, "Status", "Active", "CreateDate",
                   (double)(long long)clock_now(), "Slot", slot);
    json_t *idx = json_pack("{s:s, s:s, s:s}", "Account", c->account, "UserName",
                            jstr(u, "UserName"), "Id", id);
    if (!cr || !idx || iamsvc_password_set(cr, pw) || json_array_append(all, cr)) {
        json_decref(idx);
        ferr_oom(c->err);
        goto out;
    }
    store_key k = {SSC_KIND, "", "", iamsvc_lower(c->a, sun)};
    rc = store_put(c->txn, &k, idx, c->err);
    json_decref(idx);
    if (!rc) rc = save_user(c, u);
    if (!rc)
        *out = svc_out(c, json_pack("{s:o}", "ServiceSpecificCredential", cred_view(u, cr, pw)));
out:
    json_decref(cr);
    json_decref(u);
    return rc;
}

int iam_op_list_service_specific_credentials(call *c, json_t *in, json_t **out)
{
    const char *service = jstr(in, "ServiceName");
    json_t *u = NULL;
    if (load_user(c, "iam:ListServiceSpecificCredentials", in, &u)) return -1;
    int rc = service ? supported(c, service) : 0;
    json_t *list = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(u, "ServiceSpecificCredentials"), i, v) {
        if (rc || (service && strcmp(jstr(v, "ServiceName"), service))) continue;
        if (json_array_append_new(list, cred_view(u, v, NULL))) rc = ferr_oom(c->err);
    }
    if (!rc) *out = svc_out(c, json_pack("{s:O}", "ServiceSpecificCredentials", list));
    json_decref(list);
    json_decref(u);
    return rc;
}

/* The user's credential named by in's ServiceSpecificCredentialId, or NoSuchEntity. */
static int find_cred(call *c, const char *action, const json_t *in, json_t **u, json_t **cr,
                     size_t *pos)
{
    const char *id = jstr(in, "ServiceSpecificCredentialId");
    if (load_user(c, action, in, u)) return -1;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(*u, "ServiceSpecificCredentials"), i, v) {
        if (!strcmp(jstr(v, "ServiceSpecificCredentialId"), id)) {
            *cr = v;
            *pos = i;
            return 0;
        }
    }
    json_decref(*u);
    *u = NULL;
    return ferr_set(c->err, 404, "NoSuchEntity", "No such credential %s exists", id);
}

int iam_op_reset_service_specific_credential(call *c, json_t *in, json_t **out)
{
    json_t *u, *cr;
    size_t pos;
    if (find_cred(c, "iam:ResetServiceSpecificCredential", in, &u, &cr, &pos)) return -1;
    const char *pw = new_password(c);
    int rc = !pw ? -1 : iamsvc_password_set(cr, pw) ? ferr_oom(c->err) : save_user(c, u);
    if (!rc)
        *out = svc_out(c, json_pack("{s:o}", "ServiceSpecificCredential", cred_view(u, cr, pw)));
    json_decref(u);
    return rc;
}

int iam_op_update_service_specific_credential(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *u, *cr;
    size_t pos;
    if (find_cred(c, "iam:UpdateServiceSpecificCredential", in, &u, &cr, &pos)) return -1;
    int rc = jset_str(cr, "Status", jstr(in, "Status")) ? ferr_oom(c->err) : save_user(c, u);
    json_decref(u);
    return rc;
}

int iam_op_delete_service_specific_credential(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *u, *cr;
    size_t pos;
    if (find_cred(c, "iam:DeleteServiceSpecificCredential", in, &u, &cr, &pos)) return -1;
    store_key k = {SSC_KIND, "", "", iamsvc_lower(c->a, jstr(cr, "ServiceUserName"))};
    int rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    if (!rc && json_array_remove(json_object_get(u, "ServiceSpecificCredentials"), pos))
        rc = ferr_oom(c->err);
    if (!rc) rc = save_user(c, u);
    json_decref(u);
    return rc;
}

int iamsvc_ssc_principal(store_txn *t, const char *service, const char *user, const char *password,
                         principal *who, ferr *e)
{
    char lower[256];
    size_t n = strlen(user);
    if (!n || n >= sizeof(lower)) return 0;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)(user[i] >= 'A' && user[i] <= 'Z' ? user[i] + 32 : user[i]);
    store_key k = {SSC_KIND, "", "", lower};
    json_t *idx = NULL, *u = NULL;
    int rc = store_get(t, &k, &idx, e);
    if (rc == 1)
        rc = iamsvc_fetch(t, &iamsvc_user_t, jstr(idx, "Account"), jstr(idx, "UserName"), &u, e);
    int ok = 0;
    size_t i;
    json_t *v;
    json_array_foreach(rc == 1 ? json_object_get(u, "ServiceSpecificCredentials") : NULL, i, v) {
        if (strcmp(jstr(v, "ServiceSpecificCredentialId"), jstr(idx, "Id")) ||
            strcmp(jstr(v, "ServiceName"), service) || strcmp(jstr(v, "Status"), "Active"))
            continue;
        ok = iamsvc_password_check(v, password);
        break;
    }
    if (ok) {
        memset(who, 0, sizeof(*who));
        who->kind = PRIN_USER;
        snprintf(who->account, sizeof(who->account), "%s", jstr(idx, "Account"));
        snprintf(who->arn, sizeof(who->arn), "%s", jstr(u, "Arn"));
        snprintf(who->userid, sizeof(who->userid), "%s", jstr(u, "UserId"));
        snprintf(who->name, sizeof(who->name), "%s", jstr(u, "UserName"));
    }
    json_decref(idx);
    json_decref(u);
    return rc < 0 ? -1 : ok;
}
