/* Users' SSH public keys (CodeCommit's SSH access). Kind "iam.sshkey" in the account, id =
 * the key id (APKA...): {"UserName", "SSHPublicKeyId", "Fingerprint", "SSHPublicKeyBody",
 * "Status", "UploadDate"}. */
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "iam_int.h"
#include "sshkey.h"

#define KEYS_PER_USER 5

static int load_user(call *c, const char *action, const json_t *in, json_t **u)
{
    const char *name;
    return iamsvc_user_name(c, in, &name) || iamsvc_load_auth(c, &iamsvc_user_t, action, name, u);
}

static json_t *key_view(const json_t *d)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "UserName", json_object_get(d, "UserName"),
                     "SSHPublicKeyId", json_object_get(d, "SSHPublicKeyId"), "Fingerprint",
                     json_object_get(d, "Fingerprint"), "SSHPublicKeyBody",
                     json_object_get(d, "SSHPublicKeyBody"), "Status", json_object_get(d, "Status"),
                     "UploadDate", json_object_get(d, "UploadDate"));
}

int iam_op_upload_ssh_public_key(call *c, json_t *in, json_t **out)
{
    const char *body = jstr(in, "SSHPublicKeyBody");
    json_t *u;
    if (load_user(c, "iam:UploadSSHPublicKey", in, &u)) return -1;
    const char *user = arena_strdup(c->a, jstr(u, "UserName"));
    json_decref(u);
    char fp[48];
    int rc = sshkey_parse(c->a, body ? body : "", body ? strlen(body) : 0, fp);
    if (rc == SSHKEY_ENCODING)
        return ferr_set(c->err, 400, "UnrecognizedPublicKeyEncoding",
                        "The public key encoding format is unsupported or unrecognized.");
    if (rc)
        return ferr_set(c->err, 400, "InvalidPublicKey",
                        "The public key is not valid: an RSA key of at least 2048 bits is "
                        "required.");
    json_t *mine = iamsvc_user_docs(c, "iam.sshkey", user);
    if (!mine) return -1;
    size_t i;
    json_t *d;
    json_array_foreach(mine, i, d) {
        if (!rc && !strcmp(jstr(d, "Fingerprint"), fp))
            rc = ferr_set(c->err, 400, "DuplicateSSHPublicKey",
                          "The SSH public key is already associated with the specified IAM "
                          "user.");
    }
    if (!rc && json_array_size(mine) >= KEYS_PER_USER)
        rc = ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for PublicKeysPerUser: %d",
                      KEYS_PER_USER);
    json_decref(mine);
    if (rc) return -1;
    char id[32];
    iamsvc_new_id("APKA", id);
    d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "UserName", user, "SSHPublicKeyId", id,
                  "Fingerprint", fp, "SSHPublicKeyBody", body, "Status", "Active", "UploadDate",
                  (double)(long long)clock_now());
    store_key k = {"iam.sshkey", c->account, IAMSVC_REGION, id};
    rc = d ? store_put(c->txn, &k, d, c->err) : ferr_oom(c->err);
    if (!rc) *out = svc_out(c, json_pack("{s:o}", "SSHPublicKey", key_view(d)));
    call_resource(c, "AWS::IAM::User", user);
    json_decref(d);
    return rc;
}

/* The user's key, or NoSuchEntity. */
static int load_key(call *c, const char *action, const json_t *in, json_t **d)
{
    json_t *u;
    *d = NULL;
    if (load_user(c, action, in, &u)) return -1;
    const char *id = jstr(in, "SSHPublicKeyId");
    store_key k = {"iam.sshkey", c->account, IAMSVC_REGION, id ? id : ""};
    int rc = store_get(c->txn, &k, d, c->err);
    if (rc > 0 && !strcasecmp(jstr(*d, "UserName"), jstr(u, "UserName")))
        rc = 0;
    else if (rc >= 0)
        rc = ferr_set(c->err, 404, "NoSuchEntity", "The Public Key with id %s cannot be found.",
                      id ? id : "");
    json_decref(u);
    if (rc) {
        json_decref(*d);
        *d = NULL;
    }
    return rc;
}

int iam_op_get_ssh_public_key(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_key(c, "iam:GetSSHPublicKey", in, &d)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "SSHPublicKey", key_view(d)));
    json_decref(d);
    return 0;
}

int iam_op_update_ssh_public_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    if (load_key(c, "iam:UpdateSSHPublicKey", in, &d)) return -1;
    store_key k = {"iam.sshkey", c->account, IAMSVC_REGION, jstr(d, "SSHPublicKeyId")};
    int rc = jset_str(d, "Status", jstr(in, "Status")) ? ferr_oom(c->err)
                                                       : store_put(c->txn, &k, d, c->err);
    json_decref(d);
    return rc;
}

int iam_op_delete_ssh_public_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    if (load_key(c, "iam:DeleteSSHPublicKey", in, &d)) return -1;
    store_key k = {"iam.sshkey", c->account, IAMSVC_REGION, jstr(d, "SSHPublicKeyId")};
    int rc = store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    json_decref(d);
    return rc;
}

int iam_op_list_ssh_public_keys(call *c, json_t *in, json_t **out)
{
    json_t *u;
    if (load_user(c, "iam:ListSSHPublicKeys", in, &u)) return -1;
    json_t *mine = iamsvc_user_docs(c, "iam.sshkey", jstr(u, "UserName"));
    json_decref(u);
    if (!mine) return -1;
    int rc = 0;
    size_t i;
    json_t *d;
    json_array_foreach(mine, i, d) {
        /* AWS: the list leaves out the body and fingerprint */
        rc |= json_array_set_new(mine, i,
                                 json_pack("{s:O, s:O, s:O, s:O}", "UserName",
                                           json_object_get(d, "UserName"), "SSHPublicKeyId",
                                           json_object_get(d, "SSHPublicKeyId"), "Status",
                                           json_object_get(d, "Status"), "UploadDate",
                                           json_object_get(d, "UploadDate")));
    }
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, mine, in, *out, "SSHPublicKeys");
    json_decref(mine);
    return rc;
}
