#!/usr/bin/python3
"""S3 and KMS benchmark (issue 10's figures), ferry and moto_server in one run.

- PUT and GET of 4 KiB objects at 16 connections, each request SigV4-signed in the
  Authorization header as botocore signs it over http (x-amz-content-sha256 = the body's
  SHA-256, which the server checks). Signing in Python per request would be the bottleneck,
  so BENCH_KEYS requests (distinct keys) are signed before the run and replayed by wrk from
  a Lua table, each wrk thread from its own offset; keys are overwritten when wrk wraps.
  Signatures stay valid for 15 minutes, longer than a run.
- SSE-KMS PUT and GET of 4 KiB the same way (x-amz-server-side-encryption: aws:kms with a
  customer key): the cost of encryption against the plain rows.
- One 1 GiB object PUT and GET streamed by curl through presigned URLs, the server's peak RSS
  over each transfer (VmHWM reset through /proc/PID/clear_refs, and VmRSS sampled every
  10 ms), beside `dd` to the same disk (write with fdatasync; read of the written file).
- ListObjectsV2 pages of 1,000 keys from a bucket of BENCH_LIST_KEYS (1 million) keys, at one
  connection: p50/p99 of wrk replaying a signed request. The keys are loaded through the
  store directly: one empty object is PUT through the API, ferry is stopped, its document is
  copied to 1M ids in one SQLite transaction (and its blob's reference count raised to
  match), ferry is started again. 1M signed PUTs would take minutes and test PUT, not list.
  moto_server keeps objects in memory and has no such door: its row lists the bucket the
  4 KiB PUT row filled.
- KMS Encrypt+Decrypt pairs at 16 connections (one request of each, alternately, signed).

Prints a markdown section for bench/RESULTS.md. BENCH_SECONDS (default 8) per wrk row.
BENCH_ROWS (default all: "small,sse,kms,big,list,moto") runs only the rows named, e.g.
BENCH_ROWS=small,kms to measure one change's CPU per request."""
import concurrent.futures
import glob
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import botocore.auth
import botocore.config
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
from ferrytest import Ferry  # noqa: E402
from server_bench import rss_kb, start_moto  # noqa: E402

DURATION = os.environ.get("BENCH_SECONDS", "8")
NKEYS = int(os.environ.get("BENCH_KEYS", "20000"))
NGET = min(NKEYS, 2000)
LIST_KEYS = int(os.environ.get("BENCH_LIST_KEYS", "1000000"))
BIG_MIB = int(os.environ.get("BENCH_BIG_MIB", "1024"))
ROWS = set(os.environ.get("BENCH_ROWS", "small,sse,kms,big,list,moto").split(","))
CONNS = 16
V4 = botocore.config.Config(signature_version="s3v4")  # Debian's boto3 presigns with SigV2
REGION = "us-east-1"
BODY = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=4096))


def signed(creds, service, method, url, body=b"", headers=None):
    """The headers of url signed now (S3: x-amz-content-sha256 of the body, as over http)."""
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                         headers=dict(headers or {}))
    cls = botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth
    cls(creds, service, REGION).add_auth(req)
    return dict(req.headers)


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_requests(tmp, name, reqs):
    """A wrk script replaying reqs [(method, path, headers, body)], each thread from its own
    offset. Bodies are shared by index to keep the table small."""
    bodies, lines = [], []
    for m, path, hdrs, body in reqs:
        if body not in bodies:
            bodies.append(body)
        h = ",".join(f"[{lua_str(k)}]={lua_str(v)}" for k, v in hdrs.items()
                     if k.lower() not in ("content-length", "host"))
        lines.append(f"{{{lua_str(m)},{lua_str(path)},{{{h}}},{bodies.index(body) + 1}}},")
    path = os.path.join(tmp, f"{name}.lua")
    with open(path, "w") as f:
        f.write("local B = {" + ",".join(lua_str(b.decode() if isinstance(b, bytes) else b)
                                         for b in bodies) + "}\n")
        f.write("local R = {\n" + "\n".join(lines) + "\n}\n")
        f.write("""local n = #R
local i = 0
local tid = 0
setup = function(thread) thread:set("off", tid * 7919); tid = tid + 1 end
init = function(args) i = (off or 0) % n end
request = function()
  i = i % n + 1
  local r = R[i]
  local b = B[r[4]]
  if b == "" then b = nil end
  return wrk.format(r[1], r[2], r[3], b)
end
""")
    return path


def cpu_s(pid):
    """CPU seconds (user + system) pid has used: per request, a figure the other load on a
    shared machine changes far less than requests/s."""
    if not pid:
        return 0.0
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


PIDS = {}  # port -> server pid, for cpu_s


def wrk(port, script, conns, duration=DURATION):
    pid = PIDS.get(port)
    c0 = cpu_s(pid)
    out = subprocess.run(["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d", f"{duration}s",
                          "--latency", "-s", script, f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True).stdout
    rps = float(out.split("Requests/sec:")[1].split()[0])
    lat = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            lat[parts[0]] = parts[1]
    bad = 0
    for line in out.splitlines():
        if "Non-2xx" in line:
            bad = int(line.split(":")[1])
    n = int(out.split(" requests in ")[0].split()[-1])
    cpu = (cpu_s(pid) - c0) / n * 1e6 if pid and n else None
    return {"rps": rps, "p50": lat.get("50%", "?"), "p99": lat.get("99%", "?"), "bad": bad,
            "cpu_us": cpu}


def check(port, req):
    """Sends one request of a replayed set; its status (the run is worthless if not 2xx)."""
    m, path, hdrs, body = req
    r = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=m,
                               data=(body.encode() if isinstance(body, str) else body) or None,
                               headers=hdrs)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as e:
        print(f"check {m} {path}: {e.code} {e.read()[:300]!r}", file=sys.stderr)
        return e.code


class RssWatch:
    """Peak RSS of pid while in the with-block: VmHWM reset at entry where the kernel lets
    us, and VmRSS sampled every 10 ms (kept either way)."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, False
        self.reset = False

    def __enter__(self):
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
            self.reset = True
        except OSError:
            pass
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()
        return self

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.01)

    def __exit__(self, *a):
        self.stop = True
        self.t.join()
        if self.reset:
            for line in open(f"/proc/{self.pid}/status"):
                if line.startswith("VmHWM:"):
                    self.peak = max(self.peak, int(line.split()[1]))


def small_objects(tmp, name, port, creds, bucket, extra=None):
    """PUT then GET rows for NKEYS signed 4 KiB objects; returns (put, get) wrk results."""
    base = f"http://127.0.0.1:{port}"
    puts, gets = [], []
    hdr = {"Content-Type": "application/octet-stream", **(extra or {})}
    for i in range(NKEYS):
        path = f"/{bucket}/obj/{i:06d}"
        puts.append(("PUT", path, signed(creds, "s3", "PUT", base + path, BODY.encode(), hdr),
                     BODY))
        gets.append(("GET", path, signed(creds, "s3", "GET", base + path), ""))
    assert check(port, puts[0]) == 200, f"{name}: signed PUT refused"
    put = wrk(port, wrk_requests(tmp, f"{name}-put", puts), CONNS)
    # GET replays the first NGET keys, made sure to exist whatever the PUT row reached
    with concurrent.futures.ThreadPoolExecutor(CONNS) as ex:
        assert set(ex.map(lambda r: check(port, r), puts[:NGET])) == {200}
    assert check(port, gets[0]) == 200, f"{name}: signed GET refused"
    get = wrk(port, wrk_requests(tmp, f"{name}-get", gets[:NGET]), CONNS)
    return put, get


def big_object(tmp, name, port, pid, client, bucket, src):
    """Streams src up and down through presigned URLs: (MB/s up, MB/s down, peak RSS KiB)."""
    size = os.path.getsize(src)
    up = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "big"},
                                       ExpiresIn=3600)
    down = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "big"},
                                         ExpiresIn=3600)
    res = {}
    with RssWatch(pid) as w_up:
        t0 = time.perf_counter()
        # the header is not signed (a presigned PUT's payload is UNSIGNED-PAYLOAD); ferry
        # refuses a presigned PUT without it (InvalidRequest), AWS does not: see RESULTS.md
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                              "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-T", src, up],
                             capture_output=True, text=True)
        res["up"] = size / (time.perf_counter() - t0) / 1e6
    assert out.stdout == "200", f"{name}: 1 GiB PUT answered {out.stdout} {out.stderr}"
    with RssWatch(pid) as w_down:
        t0 = time.perf_counter()
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                              down], capture_output=True, text=True)
        res["down"] = size / (time.perf_counter() - t0) / 1e6
    assert out.stdout == f"200 {size}", f"{name}: 1 GiB GET answered {out.stdout} {out.stderr}"
    res["rss_up"], res["rss_down"] = w_up.peak, w_down.peak
    return res


def dd_ceiling(tmp):
    path = os.path.join(tmp, "dd.bin")
    t0 = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={BIG_MIB}",
                    "conv=fdatasync"], check=True, capture_output=True)
    w = BIG_MIB * 1048576 / (time.perf_counter() - t0) / 1e6
    t0 = time.perf_counter()
    subprocess.run(["dd", f"if={path}", "of=/dev/null", "bs=1M"], check=True, capture_output=True)
    r = BIG_MIB * 1048576 / (time.perf_counter() - t0) / 1e6
    os.unlink(path)
    return w, r


def make_src(tmp):
    path = os.path.join(tmp, "big.bin")
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for _ in range(BIG_MIB):
            f.write(block)
    return path


def list_rows(tmp, name, port, creds, bucket, mid, pre):
    """wrk at one connection on ListObjectsV2 pages: first, from the key mid on (start-after)
    and under prefix pre. Returns [(label, result)]."""
    base = f"http://127.0.0.1:{port}"
    rows = []
    for label, q in (("first page", "list-type=2"),
                     ("page from the middle (start-after)", f"list-type=2&start-after={mid}"),
                     (f"prefix `{pre}`", f"list-type=2&prefix={pre}")):
        path = f"/{bucket}?{q}"
        req = ("GET", path, signed(creds, "s3", "GET", base + path), "")
        assert check(port, req) == 200, f"{name}: list refused"
        rows.append((label, wrk(port, wrk_requests(tmp, f"{name}-list{len(rows)}", [req]), 1,
                                duration=min(int(DURATION), 5))))
    return rows


def load_keys(f, bucket, n):
    """Copies bucket's object "seed" to keys k0000000.. in the stopped ferry's store."""
    db = [p for p in glob.glob(os.path.join(f.data, "**", "*.db"), recursive=True)
          if sqlite3.connect(p).execute(
              "SELECT count(*) FROM sqlite_master WHERE name='docs'").fetchone()[0]]
    assert len(db) == 1, db
    c = sqlite3.connect(db[0])
    acct, region, doc = c.execute("SELECT account, region, doc FROM docs WHERE kind='s3.object'"
                                  " AND id=?", (f"{bucket}/seed",)).fetchone()
    d = json.loads(doc)
    t0 = time.perf_counter()
    with c:
        c.executemany("INSERT INTO docs(kind,account,region,id,doc) VALUES('s3.object',?,?,?,?)",
                      ((acct, region, f"{bucket}/k{i:07d}",
                        json.dumps({**d, "Key": f"k{i:07d}"}) if "Key" in d else doc)
                       for i in range(n)))
        if d.get("Blob"):
            c.execute("UPDATE docs SET doc=json_set(doc,'$.Refs',json_extract(doc,'$.Refs')+?)"
                      " WHERE kind='s3.blobref' AND id=?", (n, d["Blob"]))
    c.close()
    return time.perf_counter() - t0


def kms_rows(tmp, name, port, creds, client):
    key = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=key, Plaintext=b"x" * 64)["CiphertextBlob"]
    import base64
    base = f"http://127.0.0.1:{port}/"
    reqs = []
    for op, body in (("Encrypt", {"KeyId": key, "Plaintext": base64.b64encode(b"x" * 64).decode()}),
                     ("Decrypt", {"CiphertextBlob": base64.b64encode(blob).decode()})):
        b = json.dumps(body)
        h = signed(creds, "kms", "POST", base, b.encode(),
                   {"Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": f"TrentService.{op}"})
        reqs.append(("POST", "/", h, b))
        assert check(port, reqs[-1]) == 200, f"{name}: kms {op} refused"
    r = wrk(port, wrk_requests(tmp, f"{name}-kms", reqs), CONNS)
    r["pairs"] = r["rps"] / 2
    return r


def fmt(r):
    bad = f" ({r['bad']} non-2xx)" if r["bad"] else ""
    cpu = f"{r['cpu_us']:,.0f}" if r.get("cpu_us") else "?"
    return f"{r['rps']:,.0f}{bad} | {r['p50']} | {r['p99']} | {cpu}"


def main():
    import boto3
    tmp = tempfile.mkdtemp(prefix="ferry-s3bench-")
    rows, notes, big, lists = [], [], {}, {}
    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    try:
        f.init()
        PIDS[f.port] = f.proc.pid
        creds = botocore.credentials.Credentials(*f.keys("dev"))
        s3 = f.client("s3", profile="dev", region=REGION, config=V4)
        kms = f.client("kms", profile="dev", region=REGION)
        ferry_rss = None
        if "small" in ROWS:
            s3.create_bucket(Bucket="bench")
            put, get = small_objects(tmp, "ferry", f.port, creds, "bench")
            rows += [("ferry", "PUT 4 KiB, signed", put), ("ferry", "GET 4 KiB, signed", get)]
        if "sse" in ROWS:
            key = kms.create_key()["KeyMetadata"]["Arn"]
            s3.create_bucket(Bucket="bench-kms")
            sput, sget = small_objects(tmp, "ferry-sse", f.port, creds, "bench-kms",
                                       {"x-amz-server-side-encryption": "aws:kms",
                                        "x-amz-server-side-encryption-aws-kms-key-id": key})
            head = s3.head_object(Bucket="bench-kms", Key="obj/000000")
            if head.get("ServerSideEncryption") != "aws:kms":
                notes.append("TODO(sse-kms): this ferry does not encrypt with SSE-KMS yet; "
                             "the SSE-KMS rows are plain objects")
            rows += [("ferry", "PUT 4 KiB, signed, SSE-KMS", sput),
                     ("ferry", "GET 4 KiB, signed, SSE-KMS", sget)]
        if "kms" in ROWS:
            kr = kms_rows(tmp, "ferry", f.port, creds, kms)
            rows.append(("ferry", "KMS Encrypt+Decrypt (requests/s; pairs/s = half)", kr))

        if "big" in ROWS or "moto" in ROWS:
            src = make_src(tmp)
        if "big" in ROWS:
            s3.create_bucket(Bucket="big")
            # a fresh process: its RSS is not the 16-connection rows' heap
            f.stop()
            f.start()
            PIDS[f.port] = f.proc.pid
            big["ferry_start_rss"] = rss_kb(f.proc.pid)
            big["ferry"] = big_object(tmp, "ferry", f.port, f.proc.pid, s3, "big", src)
            s3.delete_object(Bucket="big", Key="big")
            big["dd"] = dd_ceiling(tmp)

        if "list" in ROWS:
            s3.create_bucket(Bucket="list")
            s3.put_object(Bucket="list", Key="seed", Body=b"")
            f.stop()
            load_s = load_keys(f, "list", LIST_KEYS)
            f.start()
            PIDS[f.port] = f.proc.pid
            lists = {"ferry": (LIST_KEYS, list_rows(tmp, "ferry", f.port, creds, "list",
                                                    f"k{LIST_KEYS // 2:07d}", "k05"))}
            notes.append(f"{LIST_KEYS:,} keys copied into ferry's store in {load_s:.1f} s "
                         "(one SQLite transaction, server stopped)")
        ferry_rss = rss_kb(f.proc.pid)
    finally:
        f.close()

    moto, mport = start_moto() if "moto" in ROWS else (None, None)
    if moto:
        PIDS[mport] = moto.pid
        try:
            mc = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "x" * 40)
            ms3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{mport}", region_name=REGION,
                               config=V4,
                               aws_access_key_id=mc.access_key, aws_secret_access_key=mc.secret_key)
            mkms = boto3.client("kms", endpoint_url=f"http://127.0.0.1:{mport}",
                                region_name=REGION, aws_access_key_id=mc.access_key,
                                aws_secret_access_key=mc.secret_key)
            ms3.create_bucket(Bucket="bench")
            put, get = small_objects(tmp, "moto", mport, mc, "bench")
            rows += [("moto_server", "PUT 4 KiB, signed", put),
                     ("moto_server", "GET 4 KiB, signed", get)]
            key = mkms.create_key()["KeyMetadata"]["Arn"]
            ms3.create_bucket(Bucket="bench-kms")
            sput, sget = small_objects(tmp, "moto-sse", mport, mc, "bench-kms",
                                       {"x-amz-server-side-encryption": "aws:kms",
                                        "x-amz-server-side-encryption-aws-kms-key-id": key})
            rows += [("moto_server", "PUT 4 KiB, signed, SSE-KMS", sput),
                     ("moto_server", "GET 4 KiB, signed, SSE-KMS", sget)]
            rows.append(("moto_server", "KMS Encrypt+Decrypt (requests/s; pairs/s = half)",
                         kms_rows(tmp, "moto", mport, mc, mkms)))
            ms3.create_bucket(Bucket="big")
            big["moto"] = big_object(tmp, "moto", mport, moto.pid, ms3, "big", src)
            ms3.delete_object(Bucket="big", Key="big")
            keys = [o["Key"] for p in ms3.get_paginator("list_objects_v2").paginate(
                Bucket="bench") for o in p.get("Contents", [])]
            # obj/000000.. are there (the GET rows' keys); the rest is where wrk's PUTs reached
            lists["moto"] = (len(keys), list_rows(tmp, "moto", mport, mc, "bench",
                                                  keys[len(keys) // 2 - 500], "obj/00"))
        finally:
            moto.terminate()
            moto.wait()
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"### S3 and KMS ({time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} "
          f"cores, {platform.processor() or platform.machine()}, wrk {DURATION}s per row, "
          f"{CONNS} connections, {NKEYS:,} pre-signed requests replayed)\n")
    print("| server | workload | requests/s | p50 | p99 | server CPU µs/request |")
    print("|---|---|---|---|---|---|")
    for srv, what, r in rows:
        print(f"| {srv} | {what} | {fmt(r)} |")
    print()
    for srv, (n, lr) in lists.items():
        for label, r in lr:
            cpu = f", {r['cpu_us'] / 1000:.1f} ms of server CPU per page" if r.get("cpu_us") else ""
            print(f"- {srv}: ListObjectsV2 of 1,000 keys from a bucket of {n:,}, {label}: "
                  f"p50 {r['p50']}, p99 {r['p99']} ({r['rps']:,.0f} pages/s at 1 connection{cpu})")
    for srv, b in big.items():
        if srv in ("dd", "ferry_start_rss"):
            continue
        print(f"- {srv}: {BIG_MIB} MiB object, curl with presigned URLs: PUT {b['up']:,.0f} MB/s, "
              f"GET {b['down']:,.0f} MB/s; peak server RSS {b['rss_up'] / 1024:.1f} MB during "
              f"the PUT, {b['rss_down'] / 1024:.1f} MB during the GET")
    if "ferry_start_rss" in big:
        print(f"- ferry was restarted for the 1 GiB object: RSS "
              f"{big['ferry_start_rss'] / 1024:.1f} MB before its PUT")
        print(f"- ceiling, `dd` on the same disk: write (fdatasync) {big['dd'][0]:,.0f} MB/s, "
              f"read back {big['dd'][1]:,.0f} MB/s (page cache)")
    print(f"- ferry RSS after all of it: {ferry_rss / 1024:.1f} MB")
    for n in notes:
        print(f"- note: {n}")


if __name__ == "__main__":
    main()
