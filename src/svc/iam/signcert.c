/* Users' X.509 signing certificates (the SOAP-era APIs' credentials). Kind "iam.signcert"
 * in the account, id = the certificate id: {"UserName", "CertificateId",
 * "CertificateBody", "Status", "UploadDate", "Fingerprint"}. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "base/ids.h"
#include "iam_int.h"
#include "usercred.h"

static const char *const fields[] = {"UserName", "CertificateId", "CertificateBody",
                                     "Status",   "UploadDate",    NULL};
static const usercred_kind certs = {
    .kind = "iam.signcert",
    .id_member = "CertificateId",
    .noun = "Certificate",
    .fields = fields,
    .per_user = 2,
    .quota = "SigningCertificatesPerUser",
    .dup_status = 409,
    .dup_code = "DuplicateCertificate",
    .dup_message = "The request was rejected because the same certificate is associated with "
                   "an IAM user in the account."};

/* The certificate's DER digest: AWS refuses the same certificate twice. */
static int fingerprint(const char *pem, char out[65])
{
    BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    unsigned char md[32];
    unsigned int n = 0;
    int ok = x && X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32;
    X509_free(x);
    ERR_clear_error();
    if (!ok) return -1;
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int iam_op_upload_signing_certificate(call *c, json_t *in, json_t **out)
{
    const char *body = jstr(in, "CertificateBody"), *user;
    if (usercred_user(c, "iam:UploadSigningCertificate", in, &user)) return -1;
    char fp[65];
    if (fingerprint(body, fp))
        return ferr_set(c->err, 400, "MalformedCertificate",
                        "Unable to parse certificate. Please ensure the certificate is in PEM "
                        "format.");
    char id[40];
    ids_aws("", 32, id);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "UserName", user, "CertificateId", id,
                          "CertificateBody", body, "Status", "Active", "UploadDate",
                          (double)(long long)clock_now(), "Fingerprint", fp);
    return usercred_add(c, &certs, user, id, d, "Certificate", out);
}

int iam_op_update_signing_certificate(call *c, json_t *in, json_t **out)
{
    (void)out;
    return usercred_set_status(c, &certs, "iam:UpdateSigningCertificate", in);
}

int iam_op_delete_signing_certificate(call *c, json_t *in, json_t **out)
{
    (void)out;
    return usercred_delete(c, &certs, "iam:DeleteSigningCertificate", in);
}

int iam_op_list_signing_certificates(call *c, json_t *in, json_t **out)
{
    return usercred_list(c, &certs, "iam:ListSigningCertificates", in, fields, "Certificates", out);
}
