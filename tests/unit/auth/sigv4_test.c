/* SigV4: AWS's published test-suite vectors, the S3 documentation examples, error
 * shapes, and a cross-check against requests signed by botocore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/sigv4.h"
#include "base/clock.h"
#include "base/enc.h"

#define AKID     "AKIDEXAMPLE"
#define SECRET   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3AKID   "AKIAIOSFODNN7EXAMPLE"
#define S3SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define MISMATCH_MSG \
    "The request signature we calculated does not match the signature you provided. " \
    "Check your AWS Secret Access Key and signing method. " \
    "Consult the service documentation for details."

/* The vector file and the botocore script sit next to this source file. */
static char g_dir[1024];
static const char *test_dir(void)
{
    if (!g_dir[0]) {
        snprintf(g_dir, sizeof(g_dir), "%s", __FILE__);
        char *sl = strrchr(g_dir, '/');
        if (sl)
            *sl = 0;
        else
            strcpy(g_dir, ".");
    }
    return g_dir;
}

/* ---- request builder ------------------------------------------------------ */

typedef struct treq {
    arena *a;
    hreq r;
    hdr h[32];
} treq;

/* headers: "name:value" strings, NULL-terminated; names lowercased like http/ does. */
static void tr_init(treq *t, arena *a, const char *method, const char *path, const char *query,
                    const char *const *headers, const char *body)
{
    memset(t, 0, sizeof(*t));
    t->a = a;
    t->r.method = method;
    t->r.raw_path = path;
    t->r.raw_query = query ? query : "";
    t->r.host = "";
    t->r.headers = t->h;
    for (size_t i = 0; headers && headers[i]; i++) {
        const char *c = strchr(headers[i], ':');
        char *n = arena_strndup(a, headers[i], (size_t)(c - headers[i]));
        for (char *p = n; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
        t->h[i].name = n;
        t->h[i].value = c + 1;
        t->r.nheaders = i + 1;
        if (strcmp(n, "host") == 0) t->r.host = c + 1;
    }
    t->r.body = (const unsigned char *)(body ? body : "");
    t->r.body_len = body ? strlen(body) : 0;
}

static void tr_add(treq *t, const char *name, const char *value)
{
    t->h[t->r.nheaders].name = name;
    t->h[t->r.nheaders].value = value;
    t->r.nheaders++;
}

static double amz_time(const char *s)
{
    double t = 0;
    assert_int_equal(clock_parse(s, &t), 0);
    return t;
}

/* parse + verify; returns verify's result, e filled */
static int check(treq *t, const char *secret, double now, ferr *e, sigv4_auth *out)
{
    sigv4_auth p;
    ferr_clear(e);
    int rc = sigv4_parse(t->a, &t->r, &p, e);
    if (rc) return rc;
    rc = sigv4_verify(t->a, &t->r, &p, secret, now, e);
    if (out) *out = p;
    return rc;
}

/* ---- AWS SigV4 test suite -------------------------------------------------- */

typedef struct vec {
    const char *name, *method, *path, *query;
    const char *headers[6];
    const char *body;
    const char *sig;
} vec;

#define H_HOST  "Host:example.amazonaws.com"
#define H_DATE  "X-Amz-Date:20150830T123600Z"
#define VANILLA "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

static const vec SUITE[] = {
    {"get-vanilla", "GET", "/", "", {H_HOST, H_DATE}, NULL, VANILLA},
    {"post-vanilla",
     "POST",
     "/",
     "",
     {H_HOST, H_DATE},
     NULL,
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/",
     "Param2=value2&Param1=value1",
     {H_HOST, H_DATE},
     NULL,
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-empty-query-key",
     "GET",
     "/",
     "Param1=value1",
     {H_HOST, H_DATE},
     NULL,
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query-unreserved",
     "GET",
     "/",
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
     "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     {H_HOST, H_DATE},
     NULL,
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query",
     "GET",
     "/",
     "%E1%88%B4=bar",
     {H_HOST, H_DATE},
     NULL,
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-header-key-duplicate",
     "GET",
     "/",
     "",
     {H_HOST, "My-Header1:value2", "My-Header1:value2", "My-Header1:value1", H_DATE},
     NULL,
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-order",
     "GET",
     "/",
     "",
     {H_HOST, "My-Header1:value4", "My-Header1:value1", "My-Header1:value3", "My-Header1:value2",
      H_DATE},
     NULL,
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"get-header-value-trim",
     "GET",
     "/",
     "",
     {H_HOST, "My-Header1: value1", "My-Header2: \"a   b   c\"", H_DATE},
     NULL,
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-unreserved",
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     "",
     {H_HOST, H_DATE},
     NULL,
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8",
     "GET",
     "/\xe1\x88\xb4",
     "",
     {H_HOST, H_DATE},
     NULL,
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-space",
     "GET",
     "/example space/",
     "",
     {H_HOST, H_DATE},
     NULL,
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"post-header-key-case",
     "POST",
     "/",
     "",
     {H_HOST, H_DATE},
     NULL,
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-header-key-sort",
     "POST",
     "/",
     "",
     {H_HOST, "My-Header1:value1", H_DATE},
     NULL,
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"post-header-value-case",
     "POST",
     "/",
     "",
     {H_HOST, "My-Header1:VALUE1", H_DATE},
     NULL,
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
    {"post-vanilla-query",
     "POST",
     "/",
     "Param1=value1",
     {H_HOST, H_DATE},
     NULL,
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
    {"post-x-www-form-urlencoded",
     "POST",
     "/",
     "",
     {"Content-Type:application/x-www-form-urlencoded", H_HOST, H_DATE},
     "Param1=value1",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"post-x-www-form-urlencoded-parameters",
     "POST",
     "/",
     "",
     {"Content-Type:application/x-www-form-urlencoded; charset=utf8", H_HOST, H_DATE},
     "Param1=value1",
     "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
    /* normalize-path */
    {"get-relative", "GET", "/example/..", "", {H_HOST, H_DATE}, NULL, VANILLA},
    {"get-relative-relative",
     "GET",
     "/example1/example2/../..",
     "",
     {H_HOST, H_DATE},
     NULL,
     VANILLA},
    {"get-slash", "GET", "//", "", {H_HOST, H_DATE}, NULL, VANILLA},
    {"get-slash-dot-slash", "GET", "/./", "", {H_HOST, H_DATE}, NULL, VANILLA},
    {"get-slash-pointless-dot",
     "GET",
     "/./example",
     "",
     {H_HOST, H_DATE},
     NULL,
     "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    {"get-slashes",
     "GET",
     "//example//",
     "",
     {H_HOST, H_DATE},
     NULL,
     "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
};

static void test_suite_vectors(void **state)
{
    (void)state;
    double now = amz_time("20150830T123600Z");
    for (size_t i = 0; i < sizeof(SUITE) / sizeof(SUITE[0]); i++) {
        const vec *v = &SUITE[i];
        arena *a = arena_new(0);
        treq t;
        tr_init(&t, a, v->method, v->path, v->query, v->headers, v->body);
        char *authz =
            sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "service", "20150830T123600Z", NULL);
        assert_non_null(authz);
        const char *sig = strstr(authz, "Signature=");
        assert_non_null(sig);
        if (strcmp(sig + 10, v->sig) != 0)
            fail_msg("%s: signed %s, want %s", v->name, sig + 10, v->sig);
        tr_add(&t, "authorization", authz);
        ferr e;
        sigv4_auth p;
        if (check(&t, SECRET, now, &e, &p) != 0) fail_msg("%s: %s %s", v->name, e.code, e.message);
        assert_string_equal(p.akid, AKID);
        assert_string_equal(p.region, "us-east-1");
        assert_string_equal(p.service, "service");
        assert_null(p.security_token);
        arena_free(a);
    }
}

static void test_canonical_request_text(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    const char *h[] = {H_HOST, "My-Header2: \"a   b   c\" ", H_DATE, NULL};
    tr_init(&t, a, "GET", "//a/./b/../c d/%2F~", "b=2&a=x+y&a=%7e&c", h, NULL);
    sigv4_auth p = {0};
    strcpy(p.service, "service");
    p.signed_headers = "host;my-header2;x-amz-date";
    char *cr;
    ferr e;
    assert_int_equal(sigv4_canonical_request(a, &t.r, &p, &cr, &e), 0);
    assert_string_equal(cr, "GET\n/a/c%20d/%252F~\na=x%20y&a=~&b=2&c=\n"
                            "host:example.amazonaws.com\nmy-header2:\"a b c\"\n"
                            "x-amz-date:20150830T123600Z\n\nhost;my-header2;x-amz-date\n"
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* s3: no normalisation, one encoding; %2F stays in its segment, raw $ and + encoded */
    strcpy(p.service, "s3");
    p.signed_headers = "host";
    tr_init(&t, a, "GET", "/b//a/./x%2Fy/$+%7E~%e2%82%ac", "", h, NULL);
    assert_int_equal(sigv4_canonical_request(a, &t.r, &p, &cr, &e), 0);
    assert_string_equal(cr,
                        "GET\n/b//a/./x%2Fy/%24%2B~~%E2%82%AC\n\nhost:example.amazonaws.com\n\n"
                        "host\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    arena_free(a);
}

/* ---- S3 documentation examples (examplebucket, 20130524) ------------------- */

#define S3HOST "Host:examplebucket.s3.amazonaws.com"
#define S3DATE "x-amz-date:20130524T000000Z"
#define S3EMPTY \
    "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_s3_doc_examples(void **state)
{
    (void)state;
    static const vec S3[] = {
        {"get-object-range",
         "GET",
         "/test.txt",
         "",
         {S3HOST, "Range:bytes=0-9", S3EMPTY, S3DATE},
         NULL,
         "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
        {"put-object",
         "PUT",
         "/test$file.text",
         "",
         {"Date:Fri, 24 May 2013 00:00:00 GMT", S3HOST,
          "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
          S3DATE, "x-amz-storage-class:REDUCED_REDUNDANCY"},
         "Welcome to Amazon S3.",
         "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
        {"get-lifecycle",
         "GET",
         "/",
         "lifecycle",
         {S3HOST, S3EMPTY, S3DATE},
         NULL,
         "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
        {"list-objects",
         "GET",
         "/",
         "max-keys=2&prefix=J",
         {S3HOST, S3EMPTY, S3DATE},
         NULL,
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
    };
    double now = amz_time("20130524T000000Z");
    for (size_t i = 0; i < sizeof(S3) / sizeof(S3[0]); i++) {
        arena *a = arena_new(0);
        treq t;
        tr_init(&t, a, S3[i].method, S3[i].path, S3[i].query, S3[i].headers, S3[i].body);
        char *authz =
            sigv4_sign(a, &t.r, S3AKID, S3SECRET, "us-east-1", "s3", "20130524T000000Z", NULL);
        assert_non_null(authz);
        if (strcmp(strstr(authz, "Signature=") + 10, S3[i].sig) != 0)
            fail_msg("%s: %s", S3[i].name, authz);
        tr_add(&t, "authorization", authz);
        ferr e;
        if (check(&t, S3SECRET, now, &e, NULL)) fail_msg("%s: %s", S3[i].name, e.message);
        arena_free(a);
    }
}

#define S3PRESIGNED \
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-" \
    "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-" \
    "SignedHeaders=host&X-Amz-Signature=" \
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

static void test_presigned(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    const char *h[] = {S3HOST, NULL};
    tr_init(&t, a, "GET", "/test.txt", S3PRESIGNED, h, NULL);
    double t0 = amz_time("20130524T000000Z");
    ferr e;
    sigv4_auth p;
    assert_int_equal(check(&t, S3SECRET, t0 + 3600, &e, &p), 0);
    assert_int_equal(p.presigned, 1);
    assert_int_equal(p.expires, 86400);
    assert_string_equal(p.signed_headers, "host");
    assert_string_equal(p.akid, S3AKID);
    /* a presigned URL outlives the 15-minute skew, up to X-Amz-Expires */
    assert_int_equal(check(&t, S3SECRET, t0 + 86400, &e, NULL), 0);
    assert_int_equal(check(&t, S3SECRET, t0 + 86401, &e, NULL), -1);
    assert_int_equal(e.status, 403);
    assert_string_equal(e.code, "AccessDenied");
    assert_string_equal(e.message, "Request has expired");
    assert_int_equal(check(&t, S3SECRET, t0 - 901, &e, NULL), -1);
    assert_string_equal(e.code, "AccessDenied");
    assert_string_equal(e.message, "Request is not valid yet");
    /* signature covers path and query, not the X-Amz-Signature itself */
    tr_init(&t, a, "GET", "/test.txt", S3PRESIGNED "&x-id=GetObject", h, NULL);
    assert_int_equal(check(&t, S3SECRET, t0, &e, NULL), -1);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    tr_init(&t, a, "GET", "/test2.txt", S3PRESIGNED, h, NULL);
    assert_int_equal(check(&t, S3SECRET, t0, &e, NULL), -1);
    assert_string_equal(e.message, MISMATCH_MSG);
    /* an s3 presigned URL ignores the body: UNSIGNED-PAYLOAD */
    tr_init(&t, a, "GET", "/test.txt", S3PRESIGNED, h, "some body");
    assert_int_equal(check(&t, S3SECRET, t0, &e, NULL), 0);
    /* over a week */
    tr_init(
        &t, a, "GET", "/test.txt",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
        "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-"
        "SignedHeaders=host&X-Amz-Signature=" VANILLA,
        h, NULL);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "AuthorizationQueryParametersError");
    assert_string_equal(e.message,
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800");
    /* zero: AWS wants at least 1 (it read as "no expiry" before) */
    tr_init(
        &t, a, "GET", "/test.txt",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
        "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=0&X-Amz-"
        "SignedHeaders=host&X-Amz-Signature=" VANILLA,
        h, NULL);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "AuthorizationQueryParametersError");
    assert_string_equal(e.message, "X-Amz-Expires must be at least 1");
    /* a NUL in an auth parameter: refused, not read cut (a token "t%00zz" read as "t") */
    tr_init(
        &t, a, "GET", "/test.txt",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
        "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-"
        "SignedHeaders=host&X-Amz-Security-Token=t%00zz&X-Amz-Signature=" VANILLA,
        h, NULL);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "IncompleteSignature");
    /* missing parameter */
    tr_init(
        &t, a, "GET", "/test.txt",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-"
        "east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host",
        h, NULL);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_string_equal(e.code, "AuthorizationQueryParametersError");
    tr_init(&t, a, "GET", "/",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20130524%2Fus-"
            "east-1%2Fsqs%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host",
            h, NULL);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_string_equal(e.code, "IncompleteSignature");
    assert_string_equal(e.message, "AWS query-string parameters must include 'X-Amz-Signature'. "
                                   "Re-examine the query-string parameters.");
    /* both forms at once */
    tr_init(&t, a, "GET", "/test.txt", S3PRESIGNED, h, NULL);
    tr_add(&t, "authorization", "AWS4-HMAC-SHA256 Credential=x");
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_string_equal(e.code, "InvalidArgument");
    arena_free(a);
}

/* ---- clock skew --------------------------------------------------------------- */

static void signed_get(treq *t, arena *a, const char *amz_date, const char *secret)
{
    static const char *h[] = {H_HOST, NULL};
    tr_init(t, a, "GET", "/", "Action=ListUsers", h, NULL);
    tr_add(t, "x-amz-date", amz_date);
    char *authz = sigv4_sign(a, &t->r, AKID, secret, "us-east-1", "iam", amz_date, NULL);
    assert_non_null(authz);
    tr_add(t, "authorization", authz);
}

static void test_skew(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    ferr e;
    double now = amz_time("20260101T003000Z");
    signed_get(&t, a, "20260101T000000Z", SECRET);
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    assert_int_equal(e.status, 403);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_string_equal(e.message, "Signature expired: 20260101T000000Z is now earlier than "
                                   "20260101T001500Z (20260101T003000Z - 15 min.)");
    signed_get(&t, a, "20260101T010000Z", SECRET);
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    assert_string_equal(e.message,
                        "Signature not yet current: 20260101T010000Z is still later than "
                        "20260101T004500Z (20260101T003000Z + 15 min.)");
    /* exactly 15 minutes either way is still fine */
    signed_get(&t, a, "20260101T001500Z", SECRET);
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    signed_get(&t, a, "20260101T004500Z", SECRET);
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    arena_free(a);
}

static void test_wrong_secret_and_tamper(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    ferr e;
    double now = amz_time("20260101T000000Z");
    signed_get(&t, a, "20260101T000000Z", SECRET);
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    /* same akid/day/region/service, other secret: the key cache must not answer */
    assert_int_equal(check(&t, "not-the-secret", now, &e, NULL), -1);
    assert_int_equal(e.status, 403);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_string_equal(e.message, MISMATCH_MSG);
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    /* tampering with anything signed fails; an unsigned header does not matter */
    t.r.raw_query = "Action=DeleteUser";
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    t.r.raw_query = "Action=ListUsers";
    t.r.method = "POST";
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    t.r.method = "GET";
    t.h[0].value = "evil.example.com";
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    t.h[0].value = "example.amazonaws.com";
    tr_add(&t, "user-agent", "curl");
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    t.r.body = (const unsigned char *)"x";
    t.r.body_len = 1;
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    arena_free(a);
}

/* ---- malformed auth ----------------------------------------------------------- */

static void expect_parse_error(const char *authz, int with_date, int status, const char *code,
                               const char *msg)
{
    arena *a = arena_new(0);
    treq t;
    const char *h[] = {H_HOST, NULL};
    tr_init(&t, a, "GET", "/", "", h, NULL);
    if (with_date) tr_add(&t, "x-amz-date", "20150830T123600Z");
    tr_add(&t, "authorization", authz);
    sigv4_auth p;
    ferr e;
    ferr_clear(&e);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_int_equal(e.status, status);
    assert_string_equal(e.code, code);
    if (msg) assert_string_equal(e.message, msg);
    arena_free(a);
}

#define CRED "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

static void test_malformed(void **state)
{
    (void)state;
    expect_parse_error("AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;x-amz-date", 0, 400,
                       "IncompleteSignature",
                       "Authorization header requires 'Signature' parameter. Authorization header "
                       "requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                       "Authorization=AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;x-amz-date");
    expect_parse_error("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" VANILLA, 1, 400,
                       "IncompleteSignature",
                       "Authorization header requires 'Credential' parameter. "
                       "Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" VANILLA);
    expect_parse_error("Bearer abc", 1, 400, "IncompleteSignature",
                       "Authorization header requires 'Credential' parameter. Authorization header "
                       "requires 'Signature' parameter. Authorization header requires "
                       "'SignedHeaders' parameter. Authorization=Bearer abc");
    expect_parse_error("AWS4-HMAC-SHA512 " CRED ", SignedHeaders=host, Signature=" VANILLA, 1, 400,
                       "IncompleteSignature", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'");
    expect_parse_error("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, "
                       "SignedHeaders=host, Signature=" VANILLA,
                       1, 400, "IncompleteSignature",
                       "Credential must have exactly 5 slash-delimited elements, e.g. "
                       "keyid/date/region/service/term, got "
                       "'AKIDEXAMPLE/20150830/us-east-1/service'");
    expect_parse_error("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4, "
                       "SignedHeaders=host, Signature=" VANILLA,
                       1, 400, "IncompleteSignature",
                       "Credential should be scoped with a valid terminator: 'aws4_request', not "
                       "'aws4'. ");
    expect_parse_error("AWS4-HMAC-SHA256 " CRED ", SignedHeaders=x-amz-date, Signature=" VANILLA, 1,
                       400, "IncompleteSignature",
                       "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    expect_parse_error("AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=abc", 1, 403,
                       "SignatureDoesNotMatch", MISMATCH_MSG);

    /* bad X-Amz-Date */
    arena *a = arena_new(0);
    treq t;
    const char *h[] = {H_HOST, "X-Amz-Date:2015-08-30T12:36:00Z", NULL};
    tr_init(&t, a, "GET", "/", "", h, NULL);
    tr_add(&t, "authorization",
           "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" VANILLA);
    sigv4_auth p;
    ferr e;
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_string_equal(e.code, "IncompleteSignature");
    assert_string_equal(e.message,
                        "Date must be in ISO-8601 'basic format'. Got "
                        "'2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");
    /* a Date header that is no date (clock_parse reads "nan" as epoch seconds) */
    const char *hn[] = {H_HOST, "Date:nan", NULL};
    tr_init(&t, a, "GET", "/", "", hn, NULL);
    tr_add(&t, "authorization",
           "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" VANILLA);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), -1);
    assert_string_equal(e.code, "IncompleteSignature");
    /* scope date must be the request's day */
    h[1] = "X-Amz-Date:20150831T000000Z";
    tr_init(&t, a, "GET", "/", "", h, NULL);
    tr_add(&t, "authorization",
           "AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=" VANILLA);
    assert_int_equal(check(&t, SECRET, amz_time("20150831T000000Z"), &e, NULL), -1);
    assert_int_equal(e.status, 403);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_string_equal(e.message, "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                                   "version of date from HTTP: '20150830' != '20150831', from "
                                   "'20150831T000000Z'.");
    arena_free(a);
}

static void test_no_auth(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    const char *h[] = {H_HOST, H_DATE, NULL};
    tr_init(&t, a, "GET", "/", "Action=ListQueues&X-Amz-Date=20150830T123600Z", h, NULL);
    sigv4_auth p;
    ferr e;
    ferr_clear(&e);
    assert_int_equal(sigv4_parse(a, &t.r, &p, &e), 1);
    assert_int_equal(ferr_isset(&e), 0);
    assert_int_equal(sigv4_missing(&e), -1);
    assert_int_equal(e.status, 403);
    assert_string_equal(e.code, "MissingAuthenticationToken");
    assert_string_equal(e.message, "Request is missing Authentication Token");
    arena_free(a);
}

/* ---- payload hash ---------------------------------------------------------------- */

static void test_payload(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    ferr e;
    double now = amz_time("20150830T123600Z");
    const char *hv[] = {H_HOST, H_DATE, "x-amz-content-sha256:UNSIGNED-PAYLOAD", NULL};
    tr_init(&t, a, "PUT", "/bkt/key", "", hv, "anything at all");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "s3", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    t.r.body = (const unsigned char *)"changed";
    t.r.body_len = 7;
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0); /* unsigned: body is free */

    hv[2] = "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    tr_init(&t, a, "PUT", "/bkt/key", "", hv, "5;chunk-signature=...");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "s3", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);

    /* a real hash must match the body */
    hv[2] = "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    tr_init(&t, a, "PUT", "/bkt/key", "", hv, "Welcome to Amazon S3.");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "s3", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    t.r.body = (const unsigned char *)"Welcome to Amazon S4.";
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    assert_int_equal(e.status, 400);
    assert_string_equal(e.code, "XAmzContentSHA256Mismatch");

    hv[2] = "x-amz-content-sha256:nope";
    tr_init(&t, a, "PUT", "/bkt/key", "", hv, "x");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "s3", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    assert_string_equal(e.code, "InvalidArgument");

    /* no header: the body is hashed */
    const char *hb[] = {H_HOST, H_DATE, "content-type:application/x-amz-json-1.0", NULL};
    tr_init(&t, a, "POST", "/", "", hb, "{\"TableName\":\"t\"}");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "dynamodb", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, now, &e, NULL), 0);
    t.r.body = (const unsigned char *)"{\"TableName\":\"u\"}";
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    arena_free(a);
}

/* sigv4_verify_headers: what a server can refuse before it reads the body. */
static int check_headers(treq *t, const char *secret, double now, ferr *e)
{
    sigv4_auth p;
    ferr_clear(e);
    int rc = sigv4_parse(t->a, &t->r, &p, e);
    return rc ? rc : sigv4_verify_headers(t->a, &t->r, &p, secret, now, e);
}

static void test_verify_from_headers(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    ferr e;
    double now = amz_time("20150830T123600Z");
    /* a signed body hash: the whole signature is checked without the body */
    const char *hv[] = {
        H_HOST, H_DATE,
        "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        NULL};
    tr_init(&t, a, "PUT", "/bkt/key", "", hv, "Welcome to Amazon S3.");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "s3", "20150830T123600Z", NULL));
    t.r.body = (const unsigned char *)"";
    t.r.body_len = 0;
    assert_int_equal(check_headers(&t, SECRET, now, &e), 0);
    assert_int_equal(check_headers(&t, "wrong", now, &e), -1);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    /* the clock is checked before anything else */
    assert_int_equal(check_headers(&t, SECRET, now + 3600, &e), -1);
    assert_string_equal(e.code, "SignatureDoesNotMatch");
    assert_non_null(strstr(e.message, "Signature expired"));
    /* the body is still held to the hash once it is in */
    assert_int_equal(check(&t, SECRET, now, &e, NULL), -1);
    assert_string_equal(e.code, "XAmzContentSHA256Mismatch");

    /* a signature over the body: nothing refused yet, even with the wrong secret */
    const char *hb[] = {H_HOST, H_DATE, "content-type:application/x-amz-json-1.0", NULL};
    tr_init(&t, a, "POST", "/", "", hb, "{\"TableName\":\"t\"}");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "dynamodb", "20150830T123600Z", NULL));
    assert_int_equal(check_headers(&t, "wrong", now, &e), 1);
    assert_int_equal(check_headers(&t, SECRET, now - 3600, &e), -1);
    assert_non_null(strstr(e.message, "Signature not yet current"));
    arena_free(a);
}

static void test_session_token_and_date_header(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    treq t;
    ferr e;
    sigv4_auth p;
    const char *h[] = {H_HOST, H_DATE, "X-Amz-Security-Token:FQoGZXIvYXdzE+tok/en==", NULL};
    tr_init(&t, a, "POST", "/", "", h, "Action=GetCallerIdentity&Version=2011-06-15");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "sts", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, amz_time("20150830T123600Z"), &e, &p), 0);
    assert_non_null(p.security_token);
    assert_string_equal(p.security_token, "FQoGZXIvYXdzE+tok/en==");
    assert_non_null(strstr(p.signed_headers, "x-amz-security-token"));

    /* Date header instead of X-Amz-Date (the old suite's form) */
    const char *hd[] = {H_HOST, "Date:Sun, 30 Aug 2015 12:36:00 GMT", NULL};
    tr_init(&t, a, "GET", "/", "", hd, NULL);
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "service", "20150830T123600Z", NULL));
    assert_int_equal(check(&t, SECRET, amz_time("20150830T123700Z"), &e, &p), 0);
    assert_string_equal(p.amz_date, "20150830T123600Z");
    assert_string_equal(p.date, "20150830");
    arena_free(a);
}

/* ---- botocore cross-check ------------------------------------------------------------- */

/* Verifies every request in a JSON array written by sigv4_botocore.py; returns the count. */
static int verify_botocore_json(json_t *root, int fixed_clock)
{
    size_t i;
    json_t *v;
    int n = 0;
    assert_true(json_is_array(root));
    json_array_foreach(root, i, v) {
        arena *a = arena_new(0);
        treq t;
        memset(&t, 0, sizeof(t));
        t.a = a;
        const char *name = json_string_value(json_object_get(v, "name"));
        t.r.method = json_string_value(json_object_get(v, "method"));
        t.r.raw_path = json_string_value(json_object_get(v, "path"));
        t.r.raw_query = json_string_value(json_object_get(v, "query"));
        t.r.host = "";
        t.r.headers = t.h;
        json_t *hs = json_object_get(v, "headers"), *hv;
        size_t j;
        json_array_foreach(hs, j, hv) {
            if (t.r.nheaders >= 32) break;
            t.h[t.r.nheaders].name = json_string_value(json_array_get(hv, 0));
            t.h[t.r.nheaders].value = json_string_value(json_array_get(hv, 1));
            t.r.nheaders++;
        }
        const char *b64 = json_string_value(json_object_get(v, "body"));
        size_t blen = 0;
        t.r.body = enc_unb64(a, b64, strlen(b64), &blen);
        assert_non_null(t.r.body);
        t.r.body_len = blen;
        const char *secret = json_string_value(json_object_get(v, "secret"));
        const char *token = json_string_value(json_object_get(v, "token"));
        sigv4_auth p;
        ferr e;
        ferr_clear(&e);
        if (sigv4_parse(a, &t.r, &p, &e) != 0)
            fail_msg("%s: parse: %s %s", name, e.code, e.message);
        assert_string_equal(p.service, json_string_value(json_object_get(v, "service")));
        assert_int_equal(p.presigned, json_is_true(json_object_get(v, "presigned")));
        if (token) {
            assert_non_null(p.security_token);
            assert_string_equal(p.security_token, token);
        }
        (void)fixed_clock;
        if (sigv4_verify(a, &t.r, &p, secret, p.request_time + 1, &e) != 0) {
            char *cr = NULL;
            sigv4_canonical_request(a, &t.r, &p, &cr, &e);
            fail_msg("%s: verify: %s %s\ncanonical:\n%s", name, e.code, e.message, cr);
        }
        /* and a wrong secret is refused */
        assert_int_equal(sigv4_verify(a, &t.r, &p, "wrong", p.request_time + 1, &e), -1);
        n++;
        arena_free(a);
    }
    return n;
}

static void test_botocore_stored(void **state)
{
    (void)state;
    json_error_t je;
    char path[1200];
    snprintf(path, sizeof(path), "%s/sigv4_botocore_vectors.json", test_dir());
    json_t *root = json_load_file(path, 0, &je);
    if (!root) fail_msg("cannot load stored vectors: %s", je.text);
    int n = verify_botocore_json(root, 1);
    print_message("botocore stored vectors verified: %d\n", n);
    assert_true(n >= 10);
    json_decref(root);
}

static void test_botocore_live(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0) skip();
    char cmd[1300];
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/sigv4_botocore.py' 2>/dev/null", test_dir());
    FILE *f = popen(cmd, "r");
    if (!f) skip();
    json_error_t je;
    json_t *root = json_loadf(f, 0, &je);
    int rc = pclose(f);
    if (!root || rc != 0) { /* no botocore here */
        json_decref(root);
        print_message("botocore not available, live cross-check skipped\n");
        skip();
    }
    int n = verify_botocore_json(root, 0);
    print_message("botocore live vectors verified: %d\n", n);
    json_decref(root);
}

/* ---- concurrency and timing --------------------------------------------------------- */

static void *verify_thread(void *arg)
{
    long id = (long)arg;
    char akid[32], secret[32];
    snprintf(akid, sizeof(akid), "AKIDTHREAD%ld", id % 3);
    snprintf(secret, sizeof(secret), "secret-%ld", id % 3);
    arena *a = arena_new(0);
    const char *h[] = {H_HOST, H_DATE, NULL};
    long bad = 0;
    for (int i = 0; i < 2000; i++) {
        treq t;
        tr_init(&t, a, "POST", "/", "", h, "Action=X");
        tr_add(&t, "authorization",
               sigv4_sign(a, &t.r, akid, secret, i % 2 ? "us-east-1" : "eu-west-1", "sqs",
                          "20150830T123600Z", NULL));
        sigv4_auth p;
        ferr e;
        if (sigv4_parse(a, &t.r, &p, &e) || sigv4_verify(a, &t.r, &p, secret, 1440938160.0, &e))
            bad++;
        if (!sigv4_verify(a, &t.r, &p, "other", 1440938160.0, &e)) bad++;
        if (i % 64 == 0) {
            arena_free(a);
            a = arena_new(0);
        }
    }
    arena_free(a);
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t th[6];
    for (long i = 0; i < 6; i++) pthread_create(&th[i], NULL, verify_thread, (void *)i);
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_int_equal((long)r, 0);
    }
}

static void test_timing(void **state)
{
    (void)state;
    arena *a = arena_new(0);
    const char *h[] = {H_HOST, "content-type:application/x-www-form-urlencoded; charset=utf-8",
                       "user-agent:aws-cli/2.15 Python/3.11", H_DATE, NULL};
    treq t;
    tr_init(
        &t, a, "POST", "/", "", h,
        "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%2F000000000000%2Fq&MessageBody=hello");
    tr_add(&t, "authorization",
           sigv4_sign(a, &t.r, AKID, SECRET, "us-east-1", "sqs", "20150830T123600Z", NULL));
    const int N = 20000;
    uint64_t t0 = clock_mono_ns();
    for (int i = 0; i < N; i++) {
        arena *ra = arena_new(4096);
        sigv4_auth p;
        ferr e;
        if (sigv4_parse(ra, &t.r, &p, &e) || sigv4_verify(ra, &t.r, &p, SECRET, 1440938160.0, &e))
            fail_msg("timing verify failed: %s", e.message);
        arena_free(ra);
    }
    uint64_t dt = clock_mono_ns() - t0;
    print_message("sigv4 parse+verify (cached key, 5 headers, 84-byte body): %.2f us/call\n",
                  (double)dt / N / 1000.0);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite_vectors),
        cmocka_unit_test(test_canonical_request_text),
        cmocka_unit_test(test_s3_doc_examples),
        cmocka_unit_test(test_presigned),
        cmocka_unit_test(test_skew),
        cmocka_unit_test(test_wrong_secret_and_tamper),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_no_auth),
        cmocka_unit_test(test_payload),
        cmocka_unit_test(test_verify_from_headers),
        cmocka_unit_test(test_session_token_and_date_header),
        cmocka_unit_test(test_botocore_stored),
        cmocka_unit_test(test_botocore_live),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
