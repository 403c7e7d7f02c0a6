/* Users' X.509 signing certificates (the SOAP-era APIs' credentials). Kind "iam.signcert"
 * in the account, id = the certificate id: {"UserName", "CertificateId",
 * "CertificateBody", "Status", "UploadDate"}. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "base/checked.h"
#include "base/clock.h"
#include "base/ids.h"
#include "iam_int.h"

#define CERTS_PER_USER 2

/* The certificates of user (lowercased name compared), a new array. NULL on error. */

static int load_user(call *c, const char *action, const json_t *in, json_t **u)
{
    const char *name;
    return iamsvc_user_name(c, in, &name) || iamsvc_load_auth(c, &iamsvc_user_t, action, name, u);
}

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

static json_t *cert_view(const json_t *d)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O}", "UserName", json_object_get(d, "UserName"),
                     "CertificateId", json_object_get(d, "CertificateId"), "CertificateBody",
                     json_object_get(d, "CertificateBody"), "Status", json_object_get(d, "Status"),
                     "UploadDate", json_object_get(d, "UploadDate"));
}

int iam_op_upload_signing_certificate(call *c, json_t *in, json_t **out)
{
    const char *body = jstr(in, "CertificateBody");
    json_t *u;
    if (load_user(c, "iam:UploadSigningCertificate", in, &u)) return -1;
    const char *user = arena_strdup(c->a, jstr(u, "UserName"));
    json_decref(u);
    char fp[65];
    if (fingerprint(body, fp))
        return ferr_set(c->err, 400, "MalformedCertificate",
                        "Unable to parse certificate. Please ensure the certificate is in PEM "
                        "format.");
    json_t *mine = iamsvc_user_docs(c, "iam.signcert", user);
    if (!mine) return -1;
    int rc = 0;
    size_t i;
    json_t *d;
    json_array_foreach(mine, i, d) {
        if (!rc && !strcmp(jstr(d, "Fingerprint"), fp))
            rc = ferr_set(c->err, 409, "DuplicateCertificate",
                          "The request was rejected because the same certificate is associated "
                          "with an IAM user in the account.");
    }
    if (!rc && json_array_size(mine) >= CERTS_PER_USER)
        rc = ferr_set(c->err, 409, "LimitExceeded",
                      "Cannot exceed quota for SigningCertificatesPerUser: %d", CERTS_PER_USER);
    json_decref(mine);
    if (rc) return -1;
    char id[40];
    ids_aws("", 32, id);
    d = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "UserName", user, "CertificateId", id,
                  "CertificateBody", body, "Status", "Active", "UploadDate",
                  (double)(long long)clock_now(), "Fingerprint", fp);
    store_key k = {"iam.signcert", c->account, IAMSVC_REGION, id};
    rc = d ? store_put(c->txn, &k, d, c->err) : ferr_oom(c->err);
    if (!rc) *out = svc_out(c, json_pack("{s:o}", "Certificate", cert_view(d)));
    call_resource(c, "AWS::IAM::User", user);
    json_decref(d);
    return rc;
}

/* The user's certificate id, or NoSuchEntity. */
static int load_cert(call *c, const char *user, const char *id, json_t **d)
{
    store_key k = {"iam.signcert", c->account, IAMSVC_REGION, id ? id : ""};
    int rc = store_get(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc && !strcasecmp(jstr(*d, "UserName"), user)) return 0;
    json_decref(*d);
    *d = NULL;
    return ferr_set(c->err, 404, "NoSuchEntity", "The Certificate with id %s cannot be found.",
                    id ? id : "");
}

int iam_op_update_signing_certificate(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *u, *d;
    if (load_user(c, "iam:UpdateSigningCertificate", in, &u)) return -1;
    int rc = load_cert(c, jstr(u, "UserName"), jstr(in, "CertificateId"), &d);
    json_decref(u);
    if (rc) return -1;
    store_key k = {"iam.signcert", c->account, IAMSVC_REGION, jstr(in, "CertificateId")};
    rc = jset_str(d, "Status", jstr(in, "Status")) ? ferr_oom(c->err)
                                                   : store_put(c->txn, &k, d, c->err);
    json_decref(d);
    return rc;
}

int iam_op_delete_signing_certificate(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *u, *d;
    if (load_user(c, "iam:DeleteSigningCertificate", in, &u)) return -1;
    int rc = load_cert(c, jstr(u, "UserName"), jstr(in, "CertificateId"), &d);
    json_decref(u);
    json_decref(d);
    if (rc) return -1;
    store_key k = {"iam.signcert", c->account, IAMSVC_REGION, jstr(in, "CertificateId")};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int iam_op_list_signing_certificates(call *c, json_t *in, json_t **out)
{
    json_t *u;
    if (load_user(c, "iam:ListSigningCertificates", in, &u)) return -1;
    json_t *mine = iamsvc_user_docs(c, "iam.signcert", jstr(u, "UserName"));
    json_decref(u);
    if (!mine) return -1;
    int rc = 0;
    size_t i;
    json_t *d;
    json_array_foreach(mine, i, d) rc |= json_array_set_new(mine, i, cert_view(d));
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, mine, in, *out, "Certificates");
    json_decref(mine);
    return rc;
}
