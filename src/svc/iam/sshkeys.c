/* Users' SSH public keys (CodeCommit's SSH access). Kind "iam.sshkey" in the account, id =
 * the key id (APKA...): {"UserName", "SSHPublicKeyId", "Fingerprint", "SSHPublicKeyBody",
 * "Status", "UploadDate"}. */
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "iam_int.h"
#include "sshkey.h"
#include "usercred.h"

static const char *const fields[] = {
    "UserName", "SSHPublicKeyId", "Fingerprint", "SSHPublicKeyBody", "Status", "UploadDate", NULL};
/* AWS's list leaves out the body and fingerprint */
static const char *const list_fields[] = {"UserName", "SSHPublicKeyId", "Status", "UploadDate",
                                          NULL};
static const usercred_kind keys = {
    .kind = "iam.sshkey",
    .id_member = "SSHPublicKeyId",
    .noun = "Public Key",
    .fields = fields,
    .per_user = 5,
    .quota = "PublicKeysPerUser",
    .dup_status = 400,
    .dup_code = "DuplicateSSHPublicKey",
    .dup_message = "The SSH public key is already associated with the specified IAM user."};

int iam_op_upload_ssh_public_key(call *c, json_t *in, json_t **out)
{
    const char *body = jstr(in, "SSHPublicKeyBody"), *user;
    if (usercred_user(c, "iam:UploadSSHPublicKey", in, &user)) return -1;
    char fp[48];
    int rc = sshkey_parse(c->a, body ? body : "", body ? strlen(body) : 0, fp);
    if (rc == SSHKEY_ENCODING)
        return ferr_set(c->err, 400, "UnrecognizedPublicKeyEncoding",
                        "The public key encoding format is unsupported or unrecognized.");
    if (rc)
        return ferr_set(c->err, 400, "InvalidPublicKey",
                        "The public key is not valid: an RSA key of at least 2048 bits is "
                        "required.");
    char id[32];
    iamsvc_new_id("APKA", id);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "UserName", user, "SSHPublicKeyId", id,
                          "Fingerprint", fp, "SSHPublicKeyBody", body, "Status", "Active",
                          "UploadDate", (double)(long long)clock_now());
    return usercred_add(c, &keys, user, id, d, "SSHPublicKey", out);
}

int iam_op_get_ssh_public_key(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (usercred_load(c, &keys, "iam:GetSSHPublicKey", in, &d)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "SSHPublicKey", usercred_view(d, fields)));
    json_decref(d);
    return 0;
}

int iam_op_update_ssh_public_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    return usercred_set_status(c, &keys, "iam:UpdateSSHPublicKey", in);
}

int iam_op_delete_ssh_public_key(call *c, json_t *in, json_t **out)
{
    (void)out;
    return usercred_delete(c, &keys, "iam:DeleteSSHPublicKey", in);
}

int iam_op_list_ssh_public_keys(call *c, json_t *in, json_t **out)
{
    return usercred_list(c, &keys, "iam:ListSSHPublicKeys", in, list_fields, "SSHPublicKeys", out);
}
