# ferry's Python runtime loop: the Lambda Runtime API (2018-06-01) over one kept-alive
# HTTP/1.1 connection on a raw socket (urllib opened a connection, and ferry a thread, for
# every request, and its own overhead was larger than a trivial handler's).
# Written into each execution environment by engine/functions.c; runs the handler named by
# _HANDLER from LAMBDA_TASK_ROOT with the event and context objects AWS's runtime gives.
import importlib
import json
import os
import socket
import sys
import time

HOST, _, PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].rpartition(":")
PREFIX = "/2018-06-01/runtime"


class Api:
    sock = None
    rest = b""

    def connect(self):
        self.sock = socket.create_connection((HOST, int(PORT)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rest = b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def recv(self):
        b = self.sock.recv(65536)
        if not b:
            raise ConnectionError("the Runtime API closed the connection")
        self.rest += b

    def response(self):
        while b"\r\n\r\n" not in self.rest:
            self.recv()
        head, self.rest = self.rest.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers.get("content-length", "0"))
        while len(self.rest) < n:
            self.recv()
        body, self.rest = self.rest[:n], self.rest[n:]
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body, headers

    def call(self, method, path, body=b"", headers=None):
        head = "%s %s%s HTTP/1.1\r\nHost: %s\r\n" % (method, PREFIX, path, HOST)
        if method == "POST":
            head += "Content-Length: %d\r\n" % len(body)
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        msg = head.encode("latin-1") + b"\r\n" + body
        for attempt in (0, 1):
            if self.sock is None:
                self.connect()
            try:
                self.sock.sendall(msg)
                status, data, h = self.response()
                break
            except ConnectionError:
                # a kept-alive connection the server closed meanwhile: once more on a new one
                self.close()
                if attempt:
                    raise
        # a refused response (413: too large) ends that invocation, not the runtime
        if status >= 500 or (method == "GET" and status >= 300):
            raise RuntimeError("Runtime API %s %s: %d %s" % (method, path, status, data[:200]))
        return data, h


API = Api()
call = API.call


def error_doc(exc, etype=None, rid=None):
    import traceback
    tb = traceback.extract_tb(exc.__traceback__)
    # the runtime's own frames are not the function's
    tb = [f for f in tb if not f.filename.endswith("/bootstrap.py")]
    doc = {"errorMessage": str(exc), "errorType": etype or type(exc).__name__}
    if rid:
        doc["requestId"] = rid
    doc["stackTrace"] = traceback.format_list(tb)
    return doc


def post_error(path, doc):
    body = json.dumps(doc).encode()
    call("POST", path, body, {"Lambda-Runtime-Function-Error-Type": doc["errorType"],
                              "Content-Type": "application/json"})


class Context:
    def __init__(self, rid, deadline_ms, arn):
        self.aws_request_id = rid
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)


class RequestIdFilter:
    rid = ""

    def filter(self, record):
        record.aws_request_id = RequestIdFilter.rid
        return True


def setup_logging(logging):
    h = logging.StreamHandler(sys.stdout)
    h.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S"))
    h.formatter.converter = time.gmtime
    h.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(h)


def install_logging():
    """AWS's root logger handler, set up when the function first imports logging: importing
    it costs every cold start (a third of the runtime loop's own start) and most handlers
    never log through it. after_import is in ferry's sitecustomize, first on PYTHONPATH."""
    from sitecustomize import after_import
    after_import("logging", setup_logging)


def load_handler():
    name = os.environ.get("_HANDLER", "")
    task = os.environ.get("LAMBDA_TASK_ROOT", ".")
    sys.path.insert(0, task)
    if "." not in name:
        raise InitError("Runtime.MalformedHandlerName",
                        "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % name)
    mod_name, fn_name = name.rsplit(".", 1)
    mod_name = mod_name.replace("/", ".")
    try:
        mod = importlib.import_module(mod_name)
    except SyntaxError as e:
        raise InitError("Runtime.UserCodeSyntaxError",
                        "Syntax error in module '%s': %s" % (mod_name, e)) from e
    except ImportError as e:
        raise InitError("Runtime.ImportModuleError",
                        "Unable to import module '%s': %s" % (mod_name, e)) from e
    fn = getattr(mod, fn_name, None)
    if fn is None:
        raise InitError("Runtime.HandlerNotFound",
                        "Handler '%s' missing on module '%s'" % (fn_name, mod_name))
    return fn


class InitError(Exception):
    def __init__(self, etype, msg):
        super().__init__(msg)
        self.etype = etype


def main():
    install_logging()
    try:
        handler = load_handler()
    except InitError as e:
        doc = error_doc(e, e.etype)
        if e.__cause__ is not None:
            doc["stackTrace"] = error_doc(e.__cause__)["stackTrace"]
        print("[ERROR] %s: %s" % (e.etype, e), flush=True)
        post_error("/init/error", doc)
        sys.exit(1)
    except Exception as e:
        print("[ERROR] %s: %s" % (type(e).__name__, e), flush=True)
        post_error("/init/error", error_doc(e))
        sys.exit(1)
    while True:
        body, h = call("GET", "/invocation/next")
        rid = h.get("lambda-runtime-aws-request-id")
        RequestIdFilter.rid = rid
        if h.get("lambda-runtime-trace-id"):
            os.environ["_X_AMZN_TRACE_ID"] = h.get("lambda-runtime-trace-id")
        ctx = Context(rid, int(h.get("lambda-runtime-deadline-ms", "0")),
                      h.get("lambda-runtime-invoked-function-arn"))
        try:
            event = json.loads(body) if body else None
            result = handler(event, ctx)
        except Exception as e:
            doc = error_doc(e, None, rid)
            print("[ERROR] %s: %s" % (doc["errorType"], doc["errorMessage"]), flush=True)
            post_error("/invocation/%s/error" % rid, doc)
            continue
        try:
            out = json.dumps(result).encode()
        except Exception as e:
            post_error("/invocation/%s/error" % rid,
                       {"errorMessage": "Unable to marshal response: %s" % e,
                        "errorType": "Runtime.MarshalError", "requestId": rid, "stackTrace": []})
            continue
        call("POST", "/invocation/%s/response" % rid, out)


main()
