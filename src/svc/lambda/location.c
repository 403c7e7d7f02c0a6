/* GetFunction's Code.Location: a URL that downloads the package for ten minutes, as AWS's
 * presigned S3 URL does. It names the blob, when it expires and an HMAC of both under a key
 * of this process (a restart invalidates the URLs, as their expiry would). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "lambda_int.h"
#include "proto/codec.h"
#include "proto/pcommon.h"

#define LOCATION_TTL 600 /* AWS: the presigned URL is valid for 10 minutes */
#define LOCATION_MAX (LAMBDA_UNZIPPED_MAX + 1)

static unsigned char key[32];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    ids_random(key, sizeof(key));
}

static void sign(const char *blob, long long expires, char out[65])
{
    pthread_once(&key_once, make_key);
    char msg[96];
    int n = snprintf(msg, sizeof(msg), "%s|%lld", blob, expires);
    unsigned char mac[32];
    enc_hmac_sha256(key, sizeof(key), msg, (size_t)n, mac);
    enc_hex(mac, sizeof(mac), out);
}

const char *lambda_code_location(call *c, const json_t *config)
{
    const char *blob = jstr(config, "_Blob");
    if (!blob) return NULL;
    long long expires = (long long)clock_now() + LOCATION_TTL;
    char sig[65];
    sign(blob, expires, sig);
    return arena_printf(c->a, "%s/_ferry/lambda/code/%s?Expires=%lld&Signature=%s",
                        c->env->endpoint, blob, expires, sig);
}

static void text(proto_response *resp, int status, const char *body)
{
    buf_dispose(&resp->body);
    proto_response_init(resp);
    resp->status = status;
    resp->content_type = "text/plain";
    buf_puts(&resp->body, body);
}

int lambda_code_serve(ferry_env *env, arena *a, const svc_request *r, proto_response *resp)
{
    proto_response_init(resp);
    const char *blob = r->rest, *exp = proto_qs_param(a, r->query, "Expires");
    const char *given = proto_qs_param(a, r->query, "Signature");
    char sig[65];
    long long expires = exp ? atoll(exp) : 0;
    if (strlen(blob) != BLOB_ID_LEN || !given || strlen(given) != 64) {
        text(resp, 403, "AccessDenied\n");
        return 1;
    }
    sign(blob, expires, sig);
    if (!enc_ct_equal(sig, given) || expires < (long long)clock_now()) {
        text(resp, 403, "AccessDenied: the URL is not valid or has expired\n");
        return 1;
    }
    blob_reader *rd = NULL;
    ferr e = {0};
    int rc = env->blobs ? blob_reader_new(env->blobs, blob, NULL, 0, BLOB_TO_END, &rd, &e) : 0;
    if (rc <= 0) {
        text(resp, rc < 0 ? 500 : 404, rc < 0 ? "InternalFailure\n" : "NoSuchKey\n");
        return 1;
    }
    char b[65536];
    size_t got = 1;
    rc = 0;
    while (got && !rc) {
        if (blob_read(rd, b, sizeof(b), &got, &e) || buf_put(&resp->body, b, got)) rc = -1;
    }
    blob_reader_free(rd);
    if (rc)
        text(resp, 500, "InternalFailure\n");
    else
        resp->content_type = "application/zip";
    return 1;
}
