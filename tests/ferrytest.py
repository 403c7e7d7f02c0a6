"""Shared test harness: a fresh ferry on a random loopback port with a temporary data
directory, an organization made by `ferry init`, and real clients pointed at it."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

FERRY_BIN = os.environ.get("FERRY_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "build", "ferry")
RUNTIMES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "engine", "runtimes")
# Debian's awscli (not whatever else is on PATH), through the fork server that saves each
# command Python's start-up (tests/aws, tests/aws_zygote.py); FERRY_AWS_FORK=0 runs
# /usr/bin/aws itself
if os.environ.get("FERRY_AWS_FORK", "1") != "0":
    AWS_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws")
    os.environ["FERRY_AWS_ZYGOTE"] = os.path.join(tempfile.gettempdir(),
                                                  f"ferry-aws-{os.getpid()}.sock")
    os.environ["FERRY_AWS_ZYGOTE_OWNER"] = str(os.getpid())
else:
    AWS_BIN = "/usr/bin/aws"
PGCLUSTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pgcluster.sh")


class PgCluster:
    """A throwaway PostgreSQL cluster (tests/pgcluster.sh), one per test process: each
    server gets a database of its own (FERRY_TEST_STORE=postgresql)."""
    _shared = None

    def __init__(self):
        out = subprocess.run([PGCLUSTER, "start"], check=True, capture_output=True,
                             text=True).stdout.split()
        self.dir, self.url = out[0], out[1]
        self.n = 0

    @classmethod
    def shared(cls):
        if cls._shared is None:
            import atexit
            cls._shared = cls()
            atexit.register(cls._shared.stop)
        return cls._shared

    def psql(self, sql):
        subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", self.url, "-c", sql],
                       check=True, capture_output=True, text=True)

    def create_db(self):
        """The URL of a fresh database."""
        self.n += 1
        name = f"ferry_{os.getpid()}_{self.n}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url.rsplit("/", 1)[0] + "/" + name, name

    def drop_db(self, name):
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def pause(self):
        """Stops the database server (its clients lose their connections)."""
        subprocess.run([PGCLUSTER, "pause", self.dir], check=True, capture_output=True)

    def resume(self):
        subprocess.run([PGCLUSTER, "resume", self.dir], check=True, capture_output=True)

    def stop(self):
        subprocess.run([PGCLUSTER, "stop", self.dir], capture_output=True)


def store_kind():
    """"postgresql" when the client suites run with ferry on PostgreSQL."""
    return os.environ.get("FERRY_TEST_STORE", "sqlite")


class Ferry:
    def __init__(self, auth="strict", config=None, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="ferry-test-")
        self.data = os.path.join(self.tmp, "data")
        self.awsdir = os.path.join(self.tmp, "aws")
        self.auth = auth
        self.config = config
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.log = os.path.join(self.tmp, "ferry.log")
        # FERRY_TEST_STORE=postgresql: this server's store is a fresh database of the
        # process's cluster, the data directory keeps the key files and blobs
        self.store_url = self.store_db = None
        if store_kind() == "postgresql":
            self.store_url, self.store_db = PgCluster.shared().create_db()

    def store_args(self):
        """--store URI when this server is on PostgreSQL (for serve, init)."""
        return ["--store", self.store_url] if self.store_url else []

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, env=None):
        """env: variables added to this process's environment for the server (test seams)."""
        port_file = os.path.join(self.tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        listen = f"127.0.0.1:{self.port or 0}"
        self.proc = subprocess.Popen(
            [FERRY_BIN, "serve", "--listen", listen, "--data", self.data,
             "--auth", self.auth, "--port-file", port_file] + self.store_args() + self.extra,
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"),
            env={**os.environ, **env} if env else None)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.exists(port_file):
                self.port = int(open(port_file).read())
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("ferry exited: " + open(self.log).read()[-2000:])
            time.sleep(0.01)
        raise RuntimeError("ferry did not start")

    def init(self, config=None):
        args = [FERRY_BIN, "init", "--data", self.data, "--aws-config", self.awsdir,
                "--endpoint-url", self.endpoint] + self.store_args()
        cfg = config or self.config
        if cfg:
            path = os.path.join(self.tmp, "org.yaml")
            with open(path, "w") as f:
                f.write(cfg)
            args += ["--config", path]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def report_state(self):
        state = "running" if self.proc and self.proc.poll() is None else \
            f"exited with {self.proc.returncode if self.proc else None}"
        try:
            tail = open(self.log, errors="replace").read()[-4000:]
        except FileNotFoundError:
            tail = ""
        print(f"ferry on port {self.port}: {state}; the end of its log:\n{tail}", file=sys.stderr)

    def sanitizer_report(self):
        """The first sanitizer report in the server log, or None (ASan/UBSan builds)."""
        try:
            log = open(self.log, errors="replace").read()
        except FileNotFoundError:
            return None
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            i = log.find(marker)
            if i >= 0:
                return log[max(0, i - 200):i + 3000]
        return None

    def close(self):
        # Closed while a test fails (close() in its finally): say what the server did, so a
        # failure in CI that did not happen here can be read (did it die? with what?).
        if sys.exc_info()[0] is not None:
            self.report_state()
        self.stop()
        report = self.sanitizer_report()
        if not os.environ.get("FERRY_TEST_KEEP"): shutil.rmtree(self.tmp, ignore_errors=True)
        if self.store_db:
            PgCluster.shared().drop_db(self.store_db)
        if report:
            raise AssertionError("sanitizer report in the ferry log:\n" + report)

    # --- clients -------------------------------------------------------------
    def env(self):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("AWS_"):
                del e[k]
        e["AWS_CONFIG_FILE"] = os.path.join(self.awsdir, "config")
        e["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(self.awsdir, "credentials")
        e["AWS_PAGER"] = ""
        return e

    def package_env(self, env=None):
        """env (default self.env()) for Debian's `aws cloudformation package`, whose S3 client
        ignores --endpoint-url: ferry's sitecustomize points it at AWS_ENDPOINT_URL."""
        e = dict(env or self.env())
        e["AWS_ENDPOINT_URL"] = self.endpoint
        e["PYTHONPATH"] = RUNTIMES
        return e

    def session(self, profile, region=None):
        import boto3
        import botocore.session
        bs = botocore.session.Session()
        bs.set_config_variable("config_file", os.path.join(self.awsdir, "config"))
        bs.set_config_variable("credentials_file", os.path.join(self.awsdir, "credentials"))
        bs.set_config_variable("profile", profile)
        return boto3.session.Session(botocore_session=bs, region_name=region)

    def client(self, service, profile="management", region=None, **kw):
        # Debian's boto3 1.26 does not read endpoint_url from profiles: pass it.
        return self.session(profile, region).client(service, endpoint_url=self.endpoint, **kw)

    def user_client(self, service, profile, user, policy, region=None):
        """A client signed by a new IAM user of profile's account whose only policy is policy."""
        import boto3
        iam = self.client("iam", profile)
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        return boto3.client(service, endpoint_url=self.endpoint,
                            region_name=region or self.client(service, profile).meta.region_name,
                            aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])

    def aws(self, *args, profile="management", region=None, check=True):
        cmd = [AWS_BIN, "--endpoint-url", self.endpoint, "--profile", profile, "--output", "json"]
        if region:
            cmd += ["--region", region]
        r = subprocess.run(cmd + list(args), capture_output=True, text=True, env=self.env())
        if check and r.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {r.stderr}")
        if r.returncode == 0 and r.stdout.strip():
            r.json = json.loads(r.stdout)
        else:
            r.json = None
        return r

    def http(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.endpoint + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def signed_http(self, method, path, profile, service="sts", region="us-east-1", body=None):
        """An HTTP request to ferry signed with profile's key, or with the (access key,
        secret) pair profile is (for ferry's own URLs)."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        req = botocore.awsrequest.AWSRequest(method=method, url=self.endpoint + path, data=body)
        keys = self.keys(profile) if isinstance(profile, str) else profile
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(*keys),
                                service, region).add_auth(req)
        return self.http(method, path, body=body, headers=dict(req.headers))

    def health(self, profile=None):
        """GET /_ferry/health as JSON; signed with profile's key when given (signed callers
        also see server internals such as parked_polls)."""
        if profile:
            status, _, body = self.signed_http("GET", "/_ferry/health", profile)
        else:
            status, _, body = self.http("GET", "/_ferry/health")
        assert status == 200, body
        return json.loads(body)

    def view(self, name):
        """ferry's own view of a data plane, GET /_ferry/NAME (mesh, elb, dns) as JSON."""
        status, _, body = self.http("GET", f"/_ferry/{name}")
        assert status == 200, body
        return json.loads(body)

    def view_item(self, name, key, match, timeout=10, poll=0.02):
        """Waits for the first item of view(name)[key] that match(item) accepts (a listener
        the data plane has opened) and returns it."""
        deadline = time.time() + timeout
        while True:
            found = next((x for x in self.view(name).get(key, []) if match(x)), None)
            if found is not None:
                return found
            if time.time() >= deadline:
                raise AssertionError(f"nothing matching in /_ferry/{name} {key}: {self.view(name)}")
            time.sleep(poll)

    def wait_parked(self, n, profile="management", timeout=10):
        """Waits until at least n requests are parked as long polls (proves a poller waits)."""
        deadline = time.time() + timeout
        while True:
            parked = self.health(profile)["parked_polls"]
            if parked >= n:
                return parked
            assert time.time() < deadline, f"{parked} parked polls, wanted {n}"
            time.sleep(0.02)

    def keys(self, profile):
        """(access key, secret) of a profile from the written credentials file."""
        import configparser
        cp = configparser.ConfigParser()
        cp.read(os.path.join(self.awsdir, "credentials"))
        return cp[profile]["aws_access_key_id"], cp[profile]["aws_secret_access_key"]


# --- helpers the client tests share ----------------------------------------------------

def code(excinfo):
    """The AWS error code of a pytest.raises(ClientError) result."""
    return excinfo.value.response["Error"]["Code"]


def message(excinfo):
    """The AWS error message of a pytest.raises(ClientError) result."""
    return excinfo.value.response["Error"]["Message"]


def status(excinfo):
    """The HTTP status of a pytest.raises(ClientError) result."""
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def acct(ferry, profile):
    """The account id a profile's credentials act in."""
    return ferry.client("sts", profile).get_caller_identity()["Account"]


def stackset_roles(ferry, admin, targets):
    """The self-managed StackSet roles: AWSCloudFormationStackSetAdministrationRole in the
    admin profile's account, allowed to assume AWSCloudFormationStackSetExecutionRole, made
    (AdministratorAccess, trusting admin's account) in each target profile's account."""
    mgmt = acct(ferry, admin)
    iam = ferry.client("iam", admin)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "cloudformation.amazonaws.com"}}]}
    iam.create_role(RoleName="AWSCloudFormationStackSetAdministrationRole", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="AWSCloudFormationStackSetAdministrationRole", PolicyName="AssumeExecution",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Action": "sts:AssumeRole",
                            "Resource": "arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole"}]}))
    for p in targets:
        t = ferry.client("iam", p)
        t.create_role(RoleName="AWSCloudFormationStackSetExecutionRole", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"}}]}))
        t.attach_role_policy(RoleName="AWSCloudFormationStackSetExecutionRole",
                             PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def stored_blobs(ferry):
    """{name: stored bytes} of every blob in ferry's blob store: a file of its own (name: its
    path) or a slot of a segment file under blobs/seg (name: "<segment path>#<slot>"; the
    bytes after the slot's 64-byte header)."""
    root = os.path.join(ferry.data, "blobs")
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            if os.path.basename(d) != "seg":
                with open(path, "rb") as f:
                    out[path] = f.read()
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                pos = 0
                while True:
                    try:
                        at = os.lseek(fd, pos, os.SEEK_DATA)
                    except OSError:  # ENXIO: no more data
                        break
                    at -= at % 65536
                    pos = at + 65536
                    head = os.pread(fd, 64, at)
                    if head[:8] == b"ferryslt":
                        size = int.from_bytes(head[40:48], "little")
                        out[f"{path}#{at // 65536}"] = os.pread(fd, size, at + 64)
            finally:
                os.close(fd)
    return out


def zipped(files):
    """A Lambda package: a zip of {name: text} (a str value) or {name: (text, unix mode)}."""
    import io
    import zipfile
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, v in files.items():
            text, mode = v if isinstance(v, tuple) else (v, 0o100644)
            zi = zipfile.ZipInfo(name)
            zi.external_attr = mode << 16
            zi.create_system = 3
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, text)
    return b.getvalue()


def raises(fn, code, msg=None, status=None, **kw):
    """Calls fn(**kw), which must fail with the AWS error code (and the exact message and
    HTTP status when given); returns the message."""
    import botocore.exceptions
    import pytest
    with pytest.raises(botocore.exceptions.ClientError) as ex:
        fn(**kw)
    e = ex.value.response
    assert e["Error"]["Code"] == code, e["Error"]
    if msg is not None:
        assert e["Error"]["Message"] == msg, e["Error"]["Message"]
    if status is not None:
        assert e["ResponseMetadata"]["HTTPStatusCode"] == status
    return e["Error"]["Message"]


def stack_wait(cfn, name):
    """Waits for a stack to leave its *_IN_PROGRESS status: the stack, or None once it is
    deleted (a name no longer finds it)."""
    import time
    from botocore.exceptions import ClientError
    for _ in range(300):
        try:
            s = cfn.describe_stacks(StackName=name)["Stacks"][0]
        except ClientError:
            return None
        if not s["StackStatus"].endswith("IN_PROGRESS"):
            return s
        time.sleep(0.1)
    raise AssertionError("stack did not settle")


def totp(seed, step):
    """The RFC 6238 code (HMAC-SHA1, 6 digits) of a virtual MFA device's base32 seed at a
    30-second step."""
    import base64
    import hashlib
    import hmac
    import struct
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def run_ok(cmd, env, cwd=None):
    """cmd's stdout; it must succeed (its output in the assertion otherwise)."""
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert r.returncode == 0, f"{' '.join(cmd)}: {r.stdout}\n{r.stderr}"
    return r.stdout


def org_ferry(config_path, env=None):
    """A started, initialised Ferry of the organization file at config_path (a scenario's)."""
    with open(config_path) as fh:
        f = Ferry(config=fh.read()).start(env=env or {})
    f.init()
    return f


def git_env(ferry, home, name="DevOps", email="devops@example.com", profile="tools"):
    """git as profile's engineer (HOME=home), through the AWS CLI credential helper."""
    e = {k: v for k, v in ferry.env().items() if not k.startswith("GIT_")}
    e.update({"HOME": home, "AWS_PROFILE": profile, "AWS_DEFAULT_REGION": "us-east-1",
              "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
              "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
              "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email})
    for k, v in (("credential.helper", "!f() { [ \"$1\" = get ] && aws codecommit "
                  "credential-helper --ignore-host-check get; }; f"),
                 ("credential.UseHttpPath", "true")):
        run_ok(["git", "config", "--global", k, v], e)
    return e


def curl(*args):
    """(HTTP status, body) of curl with args."""
    r = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}"] + list(args), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def pipeline_next_execution(cp, name, before, timeout=60):
    """The pipeline execution started after the `before` executions there were (by a push)."""
    deadline = time.time() + timeout
    while True:
        runs = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
        if len(runs) > before:
            return runs[0]["pipelineExecutionId"]
        assert time.time() < deadline, f"no execution of {name} after the push: {runs}"
        time.sleep(0.1)


def pipeline_wait(cp, name, xid, timeout=240):
    """A pipeline execution's final status and, when it failed, (stage, action, its error
    message)."""
    deadline = time.time() + timeout
    while True:
        x = cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=xid)["pipelineExecution"]
        if x["status"] not in ("InProgress", "Stopping"):
            break
        assert time.time() < deadline, json.dumps(cp.get_pipeline_state(name=name), default=str)
        time.sleep(0.2)
    if x["status"] == "Succeeded":
        return x["status"], None
    for a in cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})[
            "actionExecutionDetails"]:
        if a["status"] == "Failed":
            return x["status"], (a["stageName"], a["actionName"],
                                 pipeline_action_error(cp, name, a["stageName"], a["actionName"]).get("message"))
    return x["status"], None


def pipeline_action_error(cp, name, stage, action):
    for s in cp.get_pipeline_state(name=name)["stageStates"]:
        if s["stageName"] == stage:
            for a in s["actionStates"]:
                if a["actionName"] == action:
                    return a["latestExecution"].get("errorDetails", {})
    return {}


def queue_for_topic(sqs, sns, topic, name, raw=False):
    """A new queue that allows topic to send to it, subscribed to topic; its URL."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": arn,
                       "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true" if raw else "false"})
    return url
