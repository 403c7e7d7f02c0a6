#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

static int decode(arena *a, const char *scope, hreq *r, const proto_service **svc,
                  const proto_op **op, json_t **in, ferr *e)
{
    const proto_service *s = proto_route(a, r, scope, e);
    if (!s) return -1;
    if (svc) *svc = s;
    return decode_validated(a, s, r, op, in, e);
}

static void lambda_invoke(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *h[] = {"X-Amz-Invocation-Type: RequestResponse", "X-Amz-Log-Type: Tail",
                       "Content-Type: application/json", NULL};
    hreq *r = mkreq(a, "POST", "/2015-03-31/functions/my%3Afn/invocations?Qualifier=prod", h,
                    "{\"k\":1}", 7);
    /* unsigned: routed by path */
    assert_int_equal(decode(a, NULL, r, &s, &op, &in, &e), 0);
    assert_string_equal(s->signing_name, "lambda");
    assert_string_equal(op->name, "Invoke");
    assert_string_equal(json_string_value(json_object_get(in, "FunctionName")), "my:fn");
    assert_string_equal(json_string_value(json_object_get(in, "Qualifier")), "prod");
    assert_string_equal(json_string_value(json_object_get(in, "InvocationType")),
                        "RequestResponse");
    assert_string_equal(json_string_value(json_object_get(in, "Payload")), "eyJrIjoxfQ==");

    json_t *o =
        json_pack("{s:i,s:s,s:s,s:s,s:s}", "StatusCode", 200, "FunctionError", "Unhandled",
                  "LogResult", "bG9n", "Payload", "eyJvayI6dHJ1ZX0=", "ExecutedVersion", "$LATEST");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_int_equal(out.status, 200);
    assert_string_equal(buf_str(&out.body), "{\"ok\":true}");
    assert_string_equal(resp_header(&out, "X-Amz-Function-Error"), "Unhandled");
    assert_string_equal(resp_header(&out, "X-Amz-Executed-Version"), "$LATEST");
    assert_null(resp_header(&out, "x-amzn-RequestId")); /* the gateway adds it */
    json_decref(o);
    buf_dispose(&out.body);
    /* Event invocations answer 202 through the statusCode member */
    o = json_pack("{s:i}", "StatusCode", 202);
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_int_equal(out.status, 202);
    json_decref(o);
    buf_dispose(&out.body);

    /* bad percent-encoding in a label */
    r = mkreq(a, "POST", "/2015-03-31/functions/bad%zz/invocations", NULL, "", 0);
    ferr_clear(&e);
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), -1);
    assert_string_equal(e.code, "ValidationException");
    arena_free(a);
}

static void lambda_create_and_list(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *body =
        "{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\",\"Role\":\"arn:aws:iam::123456789012:"
        "role/r\","
        "\"Handler\":\"h.main\",\"Code\":{\"ZipFile\":\"UEsDBA==\"},\"Timeout\":3,\"Publish\":true,"
        "\"Environment\":{\"Variables\":{\"AB\":\"1\"}},\"Tags\":{\"t\":\"v\"}}";
    hreq *r = mkreq(a, "POST", "/2015-03-31/functions", NULL, body, strlen(body));
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "CreateFunction");
    assert_string_equal(json_string_value(json_object_get(json_object_get(in, "Code"), "ZipFile")),
                        "UEsDBA==");
    assert_true(json_is_true(json_object_get(in, "Publish")));
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(in, "Environment"), "Variables"), "AB")),
        "1");
    /* validation */
    body = "{\"FunctionName\":\"f\",\"Code\":{\"ZipFile\":\"!!\"}}";
    r = mkreq(a, "POST", "/2015-03-31/functions", NULL, body, strlen(body));
    ferr_clear(&e);
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), -1);
    assert_string_equal(e.code, "ValidationException");
    /* a value the codec cannot read stops the request before the model's constraints */
    assert_string_equal(
        e.message, "1 validation error detected: Value '!!' at 'code.zipFile' failed to satisfy "
                   "constraint: Member must be valid base64");
    body = "{\"FunctionName\":\"f\",\"Code\":{\"ZipFile\":\"UEsDBA==\"}}";
    r = mkreq(a, "POST", "/2015-03-31/functions", NULL, body, strlen(body));
    ferr_clear(&e);
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), -1);
    assert_string_equal(e.message,
                        "1 validation error detected: Value null at 'role' failed to satisfy "
                        "constraint: Member must not be null");
    /* malformed JSON */
    r = mkreq(a, "POST", "/2015-03-31/functions", NULL, "{nope", 5);
    ferr_clear(&e);
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), -1);
    assert_string_equal(e.code, "SerializationException");

    r = mkreq(a, "GET", "/2015-03-31/functions/?MaxItems=5&Marker=abc", NULL, NULL, 0);
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "ListFunctions");
    assert_int_equal(json_integer_value(json_object_get(in, "MaxItems")), 5);
    assert_string_equal(json_string_value(json_object_get(in, "Marker")), "abc");
    r = mkreq(a, "GET", "/2015-03-31/functions/?MaxItems=lots", NULL, NULL, 0);
    ferr_clear(&e);
    assert_int_equal(decode(a, "lambda", r, &s, &op, &in, &e), -1);
    assert_non_null(strstr(e.message, "Value 'lots' at 'maxItems'"));

    json_t *o =
        json_pack("{s:[{s:s,s:s,s:i,s:s}]}", "Functions", "FunctionName", "f", "Runtime",
                  "python3.12", "Timeout", 3, "LastModified", "2024-01-01T00:00:00.000+0000");
    proto_response out;
    op = proto_op_by_name(s, "ListFunctions");
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(out.content_type, "application/json");
    assert_string_equal(buf_str(&out.body),
                        "{\"Functions\":[{\"FunctionName\":\"f\",\"Runtime\":\"python3.12\","
                        "\"Timeout\":3,\"LastModified\":\"2024-01-01T00:00:00.000+0000\"}]}");
    json_decref(o);
    buf_dispose(&out.body);

    /* 204 with no body */
    op = proto_op_by_name(s, "DeleteFunction");
    assert_int_equal(proto_encode(a, s, op, NULL, "rid", &out), 0);
    assert_int_equal(out.status, 204);
    assert_int_equal(out.body.len, 0);
    buf_dispose(&out.body);

    ferr_set(&e, 404, "ResourceNotFoundException", "Function not found: arn");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_int_equal(out.status, 404);
    assert_string_equal(resp_header(&out, "x-amzn-ErrorType"), "ResourceNotFoundException");
    assert_string_equal(
        buf_str(&out.body),
        "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Function not found: arn\"}");
    assert_string_equal(out.content_type, "application/json");
    buf_dispose(&out.body);
    arena_free(a);
}

static void s3_put_get_object(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *h[] = {"Content-Type: text/plain",
                       "X-Amz-Meta-Owner: alice",
                       "x-amz-meta-Team: core",
                       "Content-Length: 5",
                       "Expires: Wed, 21 Oct 2015 07:28:00 GMT",
                       NULL};
    hreq *r = mkreq(a, "PUT", "/bkt/dir/sub%20dir/file.txt", h, "hello", 5);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "PutObject");
    assert_string_equal(json_string_value(json_object_get(in, "Bucket")), "bkt");
    assert_string_equal(json_string_value(json_object_get(in, "Key")), "dir/sub dir/file.txt");
    assert_string_equal(json_string_value(json_object_get(in, "ContentType")), "text/plain");
    assert_int_equal(json_integer_value(json_object_get(in, "ContentLength")), 5);
    assert_int_equal(json_integer_value(json_object_get(in, "Expires")), 1445412480);
    /* a streaming payload is never decoded: the server streams it (call_body_in) */
    assert_null(json_object_get(in, "Body"));
    json_t *md = json_object_get(in, "Metadata");
    assert_string_equal(json_string_value(json_object_get(md, "owner")), "alice");
    assert_string_equal(json_string_value(json_object_get(md, "team")), "core");

    /* same path with x-amz-copy-source is CopyObject */
    const char *hc[] = {"x-amz-copy-source: /src/k", NULL};
    r = mkreq(a, "PUT", "/bkt/k", hc, NULL, 0);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "CopyObject");
    /* and ?partNumber&uploadId is UploadPart */
    r = mkreq(a, "PUT", "/bkt/k?partNumber=1&uploadId=u", NULL, "x", 1);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "UploadPart");
    assert_int_equal(json_integer_value(json_object_get(in, "PartNumber")), 1);

    r = mkreq(a, "GET", "/bkt/a/b.txt", NULL, NULL, 0);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "GetObject");
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:i,s:{s:s}}", "Body", "aGVsbG8=", "ContentType",
                          "text/plain", "ContentLength", 5, "ETag", "\"5d41\"", "LastModified",
                          1445412480, "Metadata", "owner", "alice");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.body.len, 5);
    assert_memory_equal(out.body.p, "hello", 5);
    assert_string_equal(out.content_type, "text/plain");
    assert_string_equal(resp_header(&out, "Last-Modified"), "Wed, 21 Oct 2015 07:28:00 GMT");
    assert_string_equal(resp_header(&out, "ETag"), "\"5d41\"");
    assert_null(resp_header(&out, "Content-Length")); /* the server frames the body */
    assert_string_equal(resp_header(&out, "x-amz-meta-owner"), "alice");
    assert_string_equal(resp_header(&out, "x-amz-request-id"), "rid");
    json_decref(o);
    buf_dispose(&out.body);
    arena_free(a);
}

static void s3_list_objects_v2(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    hreq *r =
        mkreq(a, "GET", "/bkt?list-type=2&prefix=a%2F&max-keys=2&delimiter=%2F&fetch-owner=true",
              NULL, NULL, 0);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "ListObjectsV2");
    assert_string_equal(json_string_value(json_object_get(in, "Prefix")), "a/");
    assert_int_equal(json_integer_value(json_object_get(in, "MaxKeys")), 2);
    assert_true(json_is_true(json_object_get(in, "FetchOwner")));
    r = mkreq(a, "GET", "/bkt", NULL, NULL, 0);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "ListObjects");
    r = mkreq(a, "GET", "/", NULL, NULL, 0);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "ListBuckets");

    op = proto_op_by_name(s, "ListObjectsV2");
    json_t *o =
        json_pack("{s:s,s:s,s:i,s:b,s:[{s:s,s:i,s:s,s:i,s:s},{s:s,s:i}],s:[{s:s}]}", "Name", "bkt",
                  "Prefix", "a/", "KeyCount", 2, "IsTruncated", 0, "Contents", "Key", "a/1",
                  "LastModified", 0, "ETag", "\"e\"", "Size", 3, "StorageClass", "STANDARD", "Key",
                  "a/<2>", "Size", 0, "CommonPrefixes", "Prefix", "a/b/");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(out.content_type, "application/xml");
    assert_string_equal(
        buf_str(&out.body),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>false"
        "</IsTruncated><Contents><Key>a/1</Key><LastModified>1970-01-01T00:00:00Z</LastModified>"
        "<ETag>&quot;e&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>"
        "<Contents><Key>a/&lt;2&gt;</Key><Size>0</Size></Contents><Name>bkt</Name><Prefix>a/</"
        "Prefix>"
        "<CommonPrefixes><Prefix>a/b/</Prefix></CommonPrefixes><KeyCount>2</KeyCount></"
        "ListBucketResult>");
    json_decref(o);
    buf_dispose(&out.body);
    arena_free(a);
}

static void s3_create_bucket_and_errors(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    const char *h[] = {"x-amz-acl: private", "x-amz-bucket-object-lock-enabled: true", NULL};
    hreq *r = mkreq(a, "PUT", "/newbkt", h, body, strlen(body));
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "CreateBucket");
    assert_string_equal(json_string_value(json_object_get(in, "ACL")), "private");
    assert_true(json_is_true(json_object_get(in, "ObjectLockEnabledForBucket")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(in, "CreateBucketConfiguration"),
                                          "LocationConstraint")),
        "eu-west-1");
    proto_response out;
    json_t *o = json_pack("{s:s}", "Location", "/newbkt");
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(resp_header(&out, "Location"), "/newbkt");
    assert_int_equal(out.body.len, 0);
    json_decref(o);
    buf_dispose(&out.body);

    /* PutBucketTagging: payload structure with a non-flattened list */
    body = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</"
           "Value></Tag></TagSet></Tagging>";
    r = mkreq(a, "PUT", "/bkt?tagging", NULL, body, strlen(body));
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "PutBucketTagging");
    json_t *ts = json_object_get(json_object_get(in, "Tagging"), "TagSet");
    assert_int_equal(json_array_size(ts), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ts, 1), "Key")), "b");
    op = proto_op_by_name(s, "GetBucketTagging");
    assert_int_equal(proto_encode(a, s, op, json_object_get(in, "Tagging"), "rid", &out), 0);
    assert_string_equal(buf_str(&out.body), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging "
                                            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                            "<TagSet><Tag><Key>a</Key><Value>1</Value></"
                                            "Tag><Tag><Key>b</Key><Value>2</Value></Tag></TagSet>"
                                            "</Tagging>");
    buf_dispose(&out.body);
    /* missing required in the XML body */
    body = "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>";
    r = mkreq(a, "PUT", "/bkt?tagging", NULL, body, strlen(body));
    ferr_clear(&e);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), -1);
    assert_string_equal(
        e.message,
        "1 validation error detected: Value null at 'tagging.tagSet.1.member.value' failed "
        "to satisfy constraint: Member must not be null");

    /* malformed XML, DTDs */
    r = mkreq(a, "PUT", "/newbkt", NULL, "<CreateBucketConfiguration><x>", 30);
    ferr_clear(&e);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), -1);
    assert_string_equal(e.code, "MalformedXML");
    const char *bomb =
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
        "<CreateBucketConfiguration><LocationConstraint>&b;</LocationConstraint></"
        "CreateBucketConfiguration>";
    r = mkreq(a, "PUT", "/newbkt", NULL, bomb, strlen(bomb));
    ferr_clear(&e);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), -1);
    assert_string_equal(e.code, "MalformedXML");

    ferr_set(&e, 404, "NoSuchBucket", "The specified bucket does not exist");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_int_equal(out.status, 404);
    assert_string_equal(
        buf_str(&out.body),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
        "<Message>The specified bucket does not exist</Message><RequestId>rid"
        "</RequestId></Error>");
    buf_dispose(&out.body);

    /* the bucket's region comes beside the error, never out of its message */
    ferr_set(&e, 400, "AuthorizationHeaderMalformed",
             "The authorization header is malformed; the region 'a' is wrong; expecting 'b'");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_null(strstr(buf_str(&out.body), "<Region>"));
    assert_int_equal(out.nheaders, 1); /* x-amz-request-id */
    buf_dispose(&out.body);
    snprintf(e.region, sizeof(e.region), "eu-west-1");
    proto_encode_error(a, s, &e, "rid", &out);
    assert_non_null(strstr(buf_str(&out.body), "</Message><Region>eu-west-1</Region><RequestId>"));
    const char *hdr = NULL;
    for (size_t i = 0; i < out.nheaders; i++)
        if (!strcmp(out.headers[i].name, "x-amz-bucket-region")) hdr = out.headers[i].value;
    assert_non_null(hdr);
    assert_string_equal(hdr, "eu-west-1");
    buf_dispose(&out.body);
    /* a new error forgets the region */
    ferr_set(&e, 404, "NoSuchBucket", "The specified bucket does not exist");
    assert_string_equal(e.region, "");
    arena_free(a);
}

/* S3's virtual-hosted addressing is path addressing as the codec sees it. */
static void s3_virtual_hosts(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    ferr e = {0};
    hreq *r = mkreq(a, "GET", "/k/x", NULL, NULL, 0);
    const proto_service *s = proto_route(a, r, "s3", &e);
    assert_non_null(s);
    static const struct {
        const char *host, *suffix, *path;
    } cases[] = {
        {"bkt.localhost:4566", "", "/bkt/k/x"},
        {"bkt.s3.localhost", "", "/bkt/k/x"},
        {"my.bkt.s3.amazonaws.com", "", "/my.bkt/k/x"},
        {"s3.localhost:4566", "", "/k/x"}, /* path style */
        {"localhost:4566", "", "/k/x"},
        {"bkt.s3.example.test", "", "/k/x"},
        {"bkt.s3.example.test:80", "s3.example.test", "/bkt/k/x"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r->host = cases[i].host;
        const hreq *v = proto_request_view(a, s, r, cases[i].suffix, &e);
        assert_non_null(v);
        assert_string_equal(v->raw_path, cases[i].path);
        assert_string_equal(r->raw_path, "/k/x"); /* what the signature covers is kept */
    }
    /* other services are addressed by path only */
    r->host = "bkt.localhost";
    const proto_service *sqs = proto_route(a, r, "sqs", &e);
    assert_non_null(sqs);
    assert_ptr_equal(proto_request_view(a, sqs, r, "", &e), r);
    arena_free(a);
}

static void s3_flattened_and_attributes(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_service *s = NULL;
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    const char *body =
        "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a</Key></Object>"
        "<Object><Key>b</Key><VersionId>1</VersionId></Object><Quiet>true</Quiet></Delete>";
    hreq *r = mkreq(a, "POST", "/bkt?delete", NULL, body, strlen(body));
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "DeleteObjects");
    json_t *d = json_object_get(in, "Delete");
    assert_int_equal(json_array_size(json_object_get(d, "Objects")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(d, "Objects"), 1), "VersionId")),
                        "1");
    assert_true(json_is_true(json_object_get(d, "Quiet")));
    /* flattened output: <Deleted> repeated */
    json_t *o = json_pack("{s:[{s:s},{s:s}],s:[{s:s,s:s,s:s}]}", "Deleted", "Key", "a", "Key", "b",
                          "Errors", "Key", "c", "Code", "AccessDenied", "Message", "no");
    proto_response out;
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_non_null(
        strstr(buf_str(&out.body),
               "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Deleted>"
               "<Key>a</Key></Deleted><Deleted><Key>b</Key></Deleted><Error><Key>c</Key>"
               "<Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"));
    json_decref(o);
    buf_dispose(&out.body);
    /* xsi:type attribute on Grantee */
    op = proto_op_by_name(s, "GetBucketAcl");
    o = json_pack("{s:{s:s},s:[{s:{s:s,s:s},s:s}]}", "Owner", "ID", "o1", "Grants", "Grantee",
                  "Type", "CanonicalUser", "ID", "o1", "Permission", "FULL_CONTROL");
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_non_null(strstr(buf_str(&out.body),
                           "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                           "<Owner><ID>o1</ID></Owner><AccessControlList><Grant><Grantee "
                           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                           "xsi:type=\"CanonicalUser\"><ID>o1</ID></Grantee>"));
    json_decref(o);
    buf_dispose(&out.body);
    /* and the attribute is read back */
    body = "<AccessControlPolicy><AccessControlList><Grant><Grantee "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
           "xsi:type=\"Group\"><URI>u</URI></Grantee><Permission>READ</Permission></Grant></"
           "AccessControlList>"
           "</AccessControlPolicy>";
    r = mkreq(a, "PUT", "/bkt?acl", NULL, body, strlen(body));
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "PutBucketAcl");
    json_t *grants = json_object_get(json_object_get(in, "AccessControlPolicy"), "Grants");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(grants, 0), "Grantee"), "Type")),
                        "Group");
    /* HEAD */
    r = mkreq(a, "HEAD", "/bkt/k", NULL, NULL, 0);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), 0);
    assert_string_equal(op->name, "HeadObject");
    o = json_pack("{s:i,s:s}", "ContentLength", 12345, "ContentType", "image/png");
    assert_int_equal(proto_encode(a, s, op, o, "rid", &out), 0);
    assert_string_equal(resp_header(&out, "Content-Length"), "12345");
    assert_string_equal(out.content_type, "image/png");
    assert_int_equal(out.body.len, 0);
    json_decref(o);
    buf_dispose(&out.body);
    /* unknown method */
    r = mkreq(a, "PATCH", "/bkt/k", NULL, NULL, 0);
    ferr_clear(&e);
    assert_int_equal(decode(a, "s3", r, &s, &op, &in, &e), -1);
    assert_int_equal(e.status, 405);
    arena_free(a);
}

/* A NUL in a path segment, a query value or name, a string payload or an XML body is
 * refused, never cut (issue 9). */
static void nul_bytes(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    const proto_op *op;
    json_t *in;
    ferr e = {0};
    hreq *r = mkreq(a, "GET", "/2015-03-31/functions/bad%00name", NULL, "", 0);
    assert_int_equal(decode(a, "lambda", r, NULL, &op, &in, &e), -1);
    assert_string_equal(e.code, "ValidationException");
    assert_non_null(strstr(e.message, "null characters"));
    ferr_clear(&e);
    r = mkreq(a, "GET", "/bkt?list-type=2&prefix=a%00b", NULL, "", 0);
    assert_int_equal(decode(a, "s3", r, NULL, &op, &in, &e), -1);
    assert_non_null(strstr(e.message, "'a?b' at 'prefix'"));
    ferr_clear(&e);
    const char *body = "<Tagging><TagSet><Tag><Key>a&#0;b</Key><Value>1</Value></Tag></TagSet>"
                       "</Tagging>";
    r = mkreq(a, "PUT", "/bkt?tagging", NULL, body, strlen(body));
    assert_int_equal(decode(a, "s3", r, NULL, &op, &in, &e), -1);
    assert_int_equal(e.status, 400);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lambda_invoke),
        cmocka_unit_test(lambda_create_and_list),
        cmocka_unit_test(s3_put_get_object),
        cmocka_unit_test(s3_list_objects_v2),
        cmocka_unit_test(s3_create_bucket_and_errors),
        cmocka_unit_test(s3_virtual_hosts),
        cmocka_unit_test(s3_flattened_and_attributes),
        cmocka_unit_test(nul_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
