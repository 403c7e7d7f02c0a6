/* Server certificates: an X.509 certificate, its chain and its private key, uploaded for
 * load balancers and CloudFront. Stored as kind "iam.servercert", id = lowercased name; the
 * private key is kept (the data planes need it) but never returned, logged or audited. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

#include "base/checked.h"
#include "base/clock.h"
#include "iam_int.h"

static const iamsvc_etype cert_t = {"iam.servercert",
                                    "server-certificate",
                                    "Server Certificate",
                                    "ServerCertificateName",
                                    "ServerCertificateId",
                                    "ASCA",
                                    "serverCertificateName",
                                    128,
                                    0,
                                    NULL,
                                    "AWS::IAM::ServerCertificate"};

static int no_cert(call *c, const char *name)
{
    return ferr_set(c->err, 404, "NoSuchEntity",
                    "The Server Certificate with name %s cannot be found.", name ? name : "");
}

static int load_cert(call *c, const char *action, const char *name, json_t **doc)
{
    *doc = NULL;
    int rc = iamsvc_fetch(c->txn, &cert_t, c->account, name ? name : "", doc, c->err);
    if (rc < 0) return -1;
    const char *arn =
        rc ? jstr(*doc, "Arn") : iamsvc_arn(c, c->account, cert_t.noun, "/", name ? name : "");
    if (iamsvc_authorize(c, action, arn) || (!rc && no_cert(c, name))) {
        json_decref(*doc);
        *doc = NULL;
        return -1;
    }
    return 0;
}

static int save_cert(call *c, const json_t *doc)
{
    call_resource(c, cert_t.cfn_type, jstr(doc, "ServerCertificateName"));
    return iamsvc_save(c, &cert_t, c->account, doc);
}

/* The first certificate of a PEM text, or NULL. */
static X509 *read_cert(const char *pem)
{
    BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    ERR_clear_error();
    return x;
}

/* Every certificate of a chain parses, and there is at least one. */
static int chain_ok(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    int n = 0;
    X509 *x;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        X509_free(x);
        n++;
    }
    BIO_free(b);
    ERR_clear_error();
    return n > 0;
}

static double not_after(X509 *x)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1) return 0;
    return (double)timegm(&tm);
}

/* The ServerCertificateMetadata shape: never the key. */
static json_t *meta_view(const json_t *d)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "Path", json_object_get(d, "Path"),
                     "ServerCertificateName", json_object_get(d, "ServerCertificateName"),
                     "ServerCertificateId", json_object_get(d, "ServerCertificateId"), "Arn",
                     json_object_get(d, "Arn"), "UploadDate", json_object_get(d, "UploadDate"),
                     "Expiration", json_object_get(d, "Expiration"));
}

int iam_op_upload_server_certificate(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "ServerCertificateName"), *path = jstr(in, "Path");
    const char *body = jstr(in, "CertificateBody"), *key = jstr(in, "PrivateKey");
    const char *chain = jstr(in, "CertificateChain");
    json_t *tags = json_object_get(in, "Tags");
    if (!path) path = "/";
    const char *arn = iamsvc_arn(c, c->account, cert_t.noun, path, name);
    if (iamsvc_authorize(c, "iam:UploadServerCertificate", arn)) return -1;
    if (tags && iamsvc_check_tags(c, tags, NULL)) return -1;
    X509 *x = read_cert(body);
    if (!x)
        return ferr_set(c->err, 400, "MalformedCertificate",
                        "Unable to parse certificate. "
                        "Please ensure the certificate is "
                        "in PEM format.");
    BIO *kb = key ? BIO_new_mem_buf(key, -1) : NULL;
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    BIO_free(kb);
    ERR_clear_error();
    int rc = 0;
    if (!pk)
        rc = ferr_set(c->err, 400, "MalformedCertificate",
                      "Unable to parse private key. Please ensure the private key is in PEM "
                      "format.");
    else if (X509_check_private_key(x, pk) != 1)
        rc = ferr_set(c->err, 400, "KeyPairMismatch",
                      "The public key certificate and the private key do not match.");
    else if (chain && !chain_ok(chain))
        rc = ferr_set(c->err, 400, "MalformedCertificate",
                      "Unable to parse certificate chain. Please ensure the chain is in PEM "
                      "format.");
    double expires = rc ? 0 : not_after(x);
    ERR_clear_error();
    EVP_PKEY_free(pk);
    X509_free(x);
    if (rc) return -1;
    char id[32];
    iamsvc_new_id(cert_t.id_prefix, id);
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:[]}", "ServerCertificateName",
                          name, "ServerCertificateId", id, "Arn", arn, "Path", path, "UploadDate",
                          (double)(long long)clock_now(), "Expiration", expires, "CertificateBody",
                          body, "PrivateKey", key, "Tags");
    if (!d || (chain && jset_str(d, "CertificateChain", chain)) || (tags && jtags_merge(d, tags))) {
        json_decref(d);
        return ferr_oom(c->err);
    }
    store_key k = {cert_t.kind, c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    rc = store_insert(c->txn, &k, d, c->err);
    if (rc == 1)
        rc = ferr_set(c->err, 409, "EntityAlreadyExists",
                      "The Server Certificate with name %s already exists.", name);
    if (!rc) {
        call_resource(c, cert_t.cfn_type, name);
        json_t *o = json_pack("{s:o}", "ServerCertificateMetadata", meta_view(d));
        int bad = !o;
        if (o && json_array_size(json_object_get(d, "Tags")))
            bad |= json_object_set(o, "Tags", json_object_get(d, "Tags"));
        *out = svc_out(c, jdone(o, bad));
    }
    json_decref(d);
    return rc;
}

int iam_op_get_server_certificate(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_cert(c, "iam:GetServerCertificate", jstr(in, "ServerCertificateName"), &d)) return -1;
    json_t *v = json_pack("{s:o, s:O}", "ServerCertificateMetadata", meta_view(d),
                          "CertificateBody", json_object_get(d, "CertificateBody"));
    int bad = !v;
    if (v && jstr(d, "CertificateChain"))
        bad |= json_object_set(v, "CertificateChain", json_object_get(d, "CertificateChain"));
    if (v && json_array_size(json_object_get(d, "Tags")))
        bad |= json_object_set(v, "Tags", json_object_get(d, "Tags"));
    v = jdone(v, bad);
    json_decref(d);
    if (!v) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:o}", "ServerCertificate", v));
    return 0;
}

int iam_op_list_server_certificates(call *c, json_t *in, json_t **out)
{
    if (iamsvc_authorize(c, "iam:ListServerCertificates", "*")) return -1;
    json_t *all = iamsvc_list_all(c, cert_t.kind, c->account);
    if (!all) return -1;
    int rc = iamsvc_filter_path(c, all, jstr(in, "PathPrefix"));
    size_t i;
    json_t *d;
    json_array_foreach(all, i, d) rc |= json_array_set_new(all, i, meta_view(d));
    if (rc) rc = ferr_oom(c->err);
    *out = svc_out(c, json_object());
    if (!rc) rc = iamsvc_page(c, all, in, *out, "ServerCertificateMetadataList");
    json_decref(all);
    return rc;
}

int iam_op_update_server_certificate(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "ServerCertificateName");
    const char *nname = jstr(in, "NewServerCertificateName"), *npath = jstr(in, "NewPath");
    json_t *d;
    if (load_cert(c, "iam:UpdateServerCertificate", name, &d)) return -1;
    if (!nname) nname = jstr(d, "ServerCertificateName");
    if (!npath) npath = jstr(d, "Path");
    const char *arn = iamsvc_arn(c, c->account, cert_t.noun, npath, nname);
    int rc = iamsvc_authorize(c, "iam:UpdateServerCertificate", arn);
    store_key old = {cert_t.kind, c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    store_key k = {cert_t.kind, c->account, IAMSVC_REGION, iamsvc_lower(c->a, nname)};
    if (!rc && (jset_str(d, "ServerCertificateName", nname) || jset_str(d, "Path", npath) ||
                jset_str(d, "Arn", arn)))
        rc = ferr_oom(c->err);
    if (!rc && strcmp(old.id, k.id)) {
        rc = store_insert(c->txn, &k, d, c->err);
        if (rc == 1)
            rc = ferr_set(c->err, 409, "EntityAlreadyExists",
                          "The Server Certificate with name %s already exists.", nname);
        if (!rc) rc = store_del(c->txn, &old, c->err) < 0 ? -1 : 0;
        call_resource(c, cert_t.cfn_type, nname);
    } else if (!rc) {
        rc = save_cert(c, d);
    }
    json_decref(d);
    return rc;
}

int iam_op_delete_server_certificate(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *name = jstr(in, "ServerCertificateName");
    json_t *d;
    if (load_cert(c, "iam:DeleteServerCertificate", name, &d)) return -1;
    store_key k = {cert_t.kind, c->account, IAMSVC_REGION, iamsvc_lower(c->a, name)};
    call_resource(c, cert_t.cfn_type, jstr(d, "ServerCertificateName"));
    json_decref(d);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int iam_op_tag_server_certificate(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_cert(c, "iam:TagServerCertificate", jstr(in, "ServerCertificateName"), &d)) return -1;
    return iamsvc_tags_op(c, IAMSVC_TAG, d, in, out, save_cert);
}

int iam_op_untag_server_certificate(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_cert(c, "iam:UntagServerCertificate", jstr(in, "ServerCertificateName"), &d))
        return -1;
    return iamsvc_tags_op(c, IAMSVC_UNTAG, d, in, out, save_cert);
}

int iam_op_list_server_certificate_tags(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (load_cert(c, "iam:ListServerCertificateTags", jstr(in, "ServerCertificateName"), &d))
        return -1;
    return iamsvc_tags_op(c, IAMSVC_LIST_TAGS, d, in, out, NULL);
}
