#!/usr/bin/python3
"""Server benchmark: a signed STS GetCallerIdentity (valid for 15 minutes) replayed by wrk
at 1 and 64 connections against ferry, nginx answering `return 200` (the physical ceiling
of an HTTP request on this machine) and moto_server where installed; ferry's cold start to
the first answered request; idle and loaded RSS. Prints a markdown section."""
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry, FERRY_BIN  # noqa: E402

DURATION = os.environ.get("BENCH_SECONDS", "8")
BODY = "Action=GetCallerIdentity&Version=2011-06-15"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def signed_request(port, akid, secret, service, body, target=None,
                   json_type="application/x-amz-json-1.1"):
    """A POST of body to port signed for service in us-east-1 (a form body, or JSON of
    json_type for target): its headers stay valid for 15 minutes."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if target:
        headers = {"Content-Type": json_type, "X-Amz-Target": target}
    req = botocore.awsrequest.AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/",
                                         data=body, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(akid, secret), service,
                            "us-east-1").add_auth(req)
    return req


def wrk_script(tmp, port, akid, secret, service="sts", body=BODY, target=None):
    req = signed_request(port, akid, secret, service, body, target)
    lua = ['wrk.method = "POST"', f'wrk.body = "{body}"' if '"' not in body else f"wrk.body = '{body}'"]
    for k, v in req.headers.items():
        lua.append(f'wrk.headers["{k}"] = "{v}"')
    path = os.path.join(tmp, f"req-{port}-{service}.lua")
    open(path, "w").write("\n".join(lua) + "\n")
    return path


def wrk_parse(out):
    """wrk --latency's output: (requests/s, p50, p99, whether any answer was not 2xx)."""
    rps = float(out.split("Requests/sec:")[1].split()[0])
    lat = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            lat[parts[0]] = parts[1]
    return rps, lat.get("50%", "?"), lat.get("99%", "?"), "Non-2xx" in out


def wrk(port, script, conns):
    threads = min(conns, 2)
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(conns), "-d", DURATION + "s",
                          "--latency", "-s", script, f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True).stdout
    return wrk_parse(out)


def start_moto():
    """moto_server on a free port, answering: (process, port), or (None, None) when it is not
    installed or does not answer (shared by the benchmarks that run it beside ferry)."""
    moto_bin = shutil.which("moto_server") or "/root/.pyenv/shims/moto_server"
    if not os.path.exists(moto_bin):
        return None, None
    port = free_port()
    p = subprocess.Popen([moto_bin, "-p", str(port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(400):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return p, port
        except Exception:
            time.sleep(0.05)
    p.kill()
    return None, None


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cold_start(tmp, runs=15):
    times = []
    for i in range(runs):
        data = os.path.join(tmp, f"cold{i}")
        port = free_port()
        t0 = time.perf_counter()
        p = subprocess.Popen([FERRY_BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data", data,
                              "--log-level", "error"], stderr=subprocess.DEVNULL)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /_ferry/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if s.recv(12).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                time.sleep(0.0005)
        times.append((time.perf_counter() - t0) * 1000)
        p.send_signal(signal.SIGTERM)
        p.wait()
    return statistics.median(times), min(times)


def main():
    tmp = tempfile.mkdtemp(prefix="ferry-bench-")
    rows, notes = [], []
    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    f.init()
    akid, secret = f.keys("dev")
    idle = rss_kb(f.proc.pid)
    script = wrk_script(tmp, f.port, akid, secret)
    res = {}
    for c in (1, 64):
        res[c] = wrk(f.port, script, c)
        rows.append(("ferry, signed sts:GetCallerIdentity", c) + res[c][:3])
        if res[c][3]:
            notes.append(f"ferry answered non-2xx responses at {c} connections")
    # an operation that goes through authorization (root: policy engine + org lookup)
    script_org = wrk_script(tmp, f.port, akid, secret, service="organizations", body="{}",
                            target="AWSOrganizationsV20161128.DescribeOrganization")
    org64 = wrk(f.port, script_org, 64)
    rows.append(("ferry, signed organizations:DescribeOrganization (authorized)", 64) + org64[:3])
    loaded = rss_kb(f.proc.pid)
    f.close()

    ngx = None
    if shutil.which("nginx"):
        port = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        open(conf, "w").write(f"""worker_processes 2; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; server {{ listen 127.0.0.1:{port}; location / {{ return 200 "ok"; }} }} }}
""")
        p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp, "-g", "daemon off;"],
                             stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        s = wrk_script(tmp, port, akid, secret)
        ngx = {c: wrk(port, s, c) for c in (1, 64)}
        for c in (1, 64):
            rows.append(("nginx `return 200` (ceiling)", c) + ngx[c][:3])
        p.send_signal(signal.SIGQUIT)
        p.wait()

    moto = None
    p, port = start_moto()
    if p:
        s = wrk_script(tmp, port, "AKIAIOSFODNN7EXAMPLE", "x" * 40)
        moto = {c: wrk(port, s, c) for c in (1, 64)}
        for c in (1, 64):
            rows.append(("moto_server (same signed request)", c) + moto[c][:3])
        p.send_signal(signal.SIGTERM)
        p.wait()

    cold_med, cold_min = cold_start(tmp)
    shutil.rmtree(tmp, ignore_errors=True)

    print(f"### Server ({time.strftime('%Y-%m-%d')}, {platform.node()}, {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, wrk {DURATION}s per row)\n")
    print("| workload | connections | requests/s | p50 | p99 |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:,.0f} | {r[3]} | {r[4]} |")
    print()
    if ngx:
        print(f"- ferry / nginx at 64 connections: {res[64][0] / ngx[64][0]:.2f}; "
              f"at 1 connection: {res[1][0] / ngx[1][0]:.2f}")
    if moto:
        print(f"- ferry / moto_server at 64 connections: {res[64][0] / moto[64][0]:.1f}x; "
              f"at 1: {res[1][0] / moto[1][0]:.1f}x")
    print(f"- authorization cost (DescribeOrganization vs GetCallerIdentity at 64 conns, "
          f"includes the store read of the organization): {(1 - org64[0] / res[64][0]) * 100:.1f}% fewer requests/s")
    print(f"- cold start to first answered request: median {cold_med:.1f} ms, best {cold_min:.1f} ms")
    print(f"- RSS: idle {idle / 1024:.1f} MB, after the load {loaded / 1024:.1f} MB")
    for n in notes:
        print(f"- note: {n}")


if __name__ == "__main__":
    main()
