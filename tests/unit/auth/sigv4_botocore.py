#!/usr/bin/python3
"""Signs a handful of requests with botocore (the signer awscli and boto3 use) and
prints them as JSON, so sigv4_test.c can check the C verifier accepts them.
The requests go through real botocore clients (serializers included) and are
captured at 'before-send', so path and query are exactly what would hit the wire.
Usage: sigv4_botocore.py [--fixed]   (--fixed pins the clock, for the stored file)"""
import base64
import datetime
import json
import sys
from urllib.parse import urlsplit

import botocore.auth
import botocore.session
from botocore.config import Config

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzE+Session/Token=="
ENDPOINT = "http://127.0.0.1:4566"

if "--fixed" in sys.argv:
    class _Fixed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return cls(2026, 1, 15, 12, 0, 0)
    botocore.auth.datetime.datetime = _Fixed


class Captured(Exception):
    pass


out = []


def record(name, service, presigned, method, url, headers, body, token=None):
    parts = urlsplit(url)
    hs = [[k.lower(), v.decode() if isinstance(v, bytes) else v] for k, v in headers.items()]
    if not any(k == "host" for k, _ in hs):
        hs.append(["host", parts.netloc])  # urllib3 sends the netloc as Host
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    elif hasattr(body, "read"):
        pos = body.tell()
        data = body.read()
        body.seek(pos)
        body = data
    out.append({"name": name, "service": service, "presigned": presigned, "method": method,
                "path": parts.path, "query": parts.query, "headers": hs,
                "body": base64.b64encode(body).decode(), "secret": SECRET, "token": token})


def client(service, name, token=None, **cfg):
    sess = botocore.session.get_session()
    c = sess.create_client(service, region_name="us-east-1", endpoint_url=ENDPOINT,
                           aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                           aws_session_token=token, config=Config(**cfg))

    def grab(request, **kw):
        record(name[0], service if service != "s3" else "s3", False, request.method, request.url,
               request.headers, request.body, token)
        raise Captured()
    c.meta.events.register("before-send", grab)
    return c


def call(service, name, op, token=None, cfg=None, **args):
    c = client(service, [name], token, **(cfg or {}))
    try:
        getattr(c, op)(**args)
    except Captured:
        return
    raise SystemExit("no request captured for " + name)


def presign(name, method, args, token=None, expires=3600):
    sess = botocore.session.get_session()
    c = sess.create_client("s3", region_name="us-east-1", endpoint_url=ENDPOINT,
                           aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                           aws_session_token=token,
                           config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = c.generate_presigned_url(method, Params=args, ExpiresIn=expires)
    record(name, "s3", True, "GET" if method == "get_object" else "PUT", url, {}, b"", token)


s3cfg = {"signature_version": "s3v4", "s3": {"addressing_style": "path"}}
# query protocol, POST form body
call("sqs", "sqs-sendmessage-form", "send_message",
     QueueUrl=ENDPOINT + "/000000000000/q", MessageBody="hello wörld & <x> + ~ 100%")
call("sns", "sns-publish-form-token", "publish", token=TOKEN,
     TopicArn="arn:aws:sns:us-east-1:000000000000:t", Message="a b+c=d&e")
# json 1.0 body
call("dynamodb", "dynamodb-putitem-json", "put_item", TableName="tbl",
     Item={"pk": {"S": "ключ ü 😀"}})
# rest-json: path labels with ':' (encoded on the wire, encoded again when signed), query
call("lambda", "lambda-invoke-arn-path", "invoke",
     FunctionName="arn:aws:lambda:us-east-1:000000000000:function:f:prod", Payload=b'{"k": 1}')
call("lambda", "lambda-list-query", "list_functions", Marker="a b/ü+~*", MaxItems=5)
# rest-xml s3: keys with special characters, GET with a query of spaces and unicode
call("s3", "s3-put-special-key", "put_object", cfg=s3cfg, Bucket="bkt",
     Key="dir/a b+c~d!'()*$&=@:,;é€.txt", Body=b"payload bytes\x00\xff")
call("s3", "s3-get-key-slashes", "get_object", cfg=s3cfg, Bucket="bkt", Key="a//b/./c/../d %2F")
call("s3", "s3-list-query", "list_objects_v2", cfg=s3cfg, Bucket="bkt",
     Prefix="sp ace/ünï+c~ode*", Delimiter="/", StartAfter="x=y&z")
# generic SigV4Auth with a params dict: GET with spaces and unicode in the query
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
req = AWSRequest(method="GET", url=ENDPOINT + "/some%20path/%C3%BCn%C3%AF/./x//y",
                 params={"q": "a b", "ünï": "çödé", "empty": "", "Z": "1", "a": "~*'"})
botocore.auth.SigV4Auth(Credentials(AKID, SECRET), "execute-api", "us-east-1").add_auth(req)
p = req.prepare()
record("execute-api-get-query", "execute-api", False, "GET", p.url, p.headers, p.body)
# presigned non-s3 (the EKS token shape: STS GetCallerIdentity, an extra signed header)
req = AWSRequest(method="GET", url="https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
                 headers={"x-k8s-aws-id": "my-cluster"})
botocore.auth.SigV4QueryAuth(Credentials(AKID, SECRET, TOKEN), "sts", "us-east-1", expires=60).add_auth(req)
p = req.prepare()
record("sts-presigned-eks-token", "sts", True, "GET", p.url, {"x-k8s-aws-id": "my-cluster"}, b"", TOKEN)
# presigned S3 URLs
presign("s3-presigned-get", "get_object", {"Bucket": "bkt", "Key": "dir/ä b+c.txt"})
presign("s3-presigned-get-token", "get_object", {"Bucket": "bkt", "Key": "k"}, token=TOKEN)
presign("s3-presigned-put", "put_object", {"Bucket": "bkt", "Key": "up load"}, expires=60)

json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
