#!/usr/bin/python3
"""Lambda functions benchmark (issue 11's figures). Prints a markdown section.

- The physical floor: `python3 -c pass` and `node -e 0` start times (the interpreters ferry
  runs, median of 20).
- Cold start: a fresh trivial Python and Node function each time (a new function, so a new
  execution environment), the client's Invoke latency and the REPORT line's Init Duration;
  the cold cost is the cold Invoke minus the warm Invoke of the same function.
- Warm RequestResponse Invoke of a trivial handler: one Invoke request SigV4-signed by
  botocore before the run and replayed by wrk (signatures stay valid for 15 minutes) at 8
  connections and at 1; requests/s, p50, p99, ferry's CPU per invoke (utime+stime of the
  server and its threads; the function processes are not ferry's children in /proc/PID/stat
  terms, they run in their own groups) and of the function processes.
- The latency ferry adds over the handler: the Invoke's p50 at 1 connection minus the
  handler's own run time (the REPORT Duration, from the runtime taking the event off /next
  to its response arriving: the handler plus the runtime loop's own HTTP round trip), and
  beside it a signed sts:GetCallerIdentity p50 at 1 connection (what any signed request
  costs on this machine).
- 100 functions deployed and invoked once each, then idle: the PSS of every process of the
  environments (from /proc/PID/smaps_rollup), per environment.

BENCH_SECONDS (default 8) per wrk row; BENCH_FUNCTIONS (default 100)."""
import base64
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
from ferrytest import Ferry, zipped  # noqa: E402
from server_bench import wrk_script  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402

DURATION = os.environ.get("BENCH_SECONDS", "8")
NFUNCS = int(os.environ.get("BENCH_FUNCTIONS", "100"))
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
PY = {"index.py": "def handler(event, context):\n    return event\n"}
NODE = {"index.js": "exports.handler = async (event) => event;\n"}


def floor(cmd, runs=20):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


def cpu_ticks(pid):
    """utime+stime of every thread of pid, in clock ticks."""
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])


def group_pids(ferry_pid):
    """The function environments' processes: every process whose group leader is a child
    of ferry (the guards lead their groups)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pgrp = int(f[2])
        if pgrp == ferry_pid or pgrp == int(d) and int(f[1]) != ferry_pid:
            continue
        try:
            leader = open(f"/proc/{pgrp}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(leader[1]) == ferry_pid:
            out.append(int(d))
    return out


def group_cpu_ticks(ferry_pid):
    return sum(cpu_ticks(p) for p in group_pids(ferry_pid) if os.path.exists(f"/proc/{p}"))


def pss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def wrk(port, script, conns, path):
    out = subprocess.run(["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d", DURATION + "s",
                          "--latency", "-s", script, f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True).stdout
    rps = float(out.split("Requests/sec:")[1].split()[0])
    total = int(re.search(r"(\d+) requests in", out).group(1))
    lat = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            lat[parts[0]] = parts[1]
    return rps, total, lat.get("50%", "?"), lat.get("99%", "?"), "Non-2xx" in out


def ms(s):
    """wrk's latency ("812.00us", "1.20ms") in ms."""
    m = re.match(r"([\d.]+)(us|ms|s)$", s)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v


def invoke_script(tmp, port, akid, secret, name):
    path = f"/2015-03-31/functions/{name}/invocations"
    req = botocore.awsrequest.AWSRequest(method="POST", url=f"http://127.0.0.1:{port}{path}",
                                         data=b"{}", headers={"X-Amz-Invocation-Type": "RequestResponse"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(akid, secret), "lambda",
                            "us-east-1").add_auth(req)
    lua = ['wrk.method = "POST"', "wrk.body = '{}'"]
    for k, v in req.headers.items():
        lua.append(f'wrk.headers["{k}"] = "{v}"')
    p = os.path.join(tmp, f"invoke-{name}.lua")
    open(p, "w").write("\n".join(lua) + "\n")
    return p, path


def report(lam, name):
    """The Duration and Init Duration (ms) of an Invoke with LogType Tail."""
    t0 = time.perf_counter()
    r = lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    wall = (time.perf_counter() - t0) * 1000
    tail = base64.b64decode(r["LogResult"]).decode()
    d = re.search(r"\tDuration: ([\d.]+) ms", tail)
    i = re.search(r"Init Duration: ([\d.]+) ms", tail)
    return wall, float(d.group(1)) if d else None, float(i.group(1)) if i else None


def main():
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="ferry-fnbench-")
    py_floor = floor(["/usr/bin/python3", "-c", "pass"])
    node_floor = floor(["/usr/bin/node", "-e", "0"])

    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    f.init()
    akid, secret = f.keys("dev")
    lam = f.client("lambda", "dev")
    role = f.client("iam", "dev").create_role(
        RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]

    def create(name, runtime, files):
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler="index.handler",
                            Code={"ZipFile": zipped(files)})
        lam.get_waiter("function_active_v2").wait(FunctionName=name,
                                                  WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})

    # cold starts: a new function each run
    cold = {}
    for rt, runtime, files in (("python", "python3.12", PY), ("node", "nodejs20.x", NODE)):
        walls, inits, warms = [], [], []
        for i in range(7):
            name = f"cold-{rt}-{i}"
            create(name, runtime, files)
            wall, _, init = report(lam, name)
            walls.append(wall)
            inits.append(init or 0)
            warms.append(min(report(lam, name)[0] for _ in range(5)))
        cold[rt] = (statistics.median(walls), statistics.median(inits), statistics.median(warms))

    # warm invokes
    create("warm", "python3.12", PY)
    create("warm-node", "nodejs20.x", NODE)
    report(lam, "warm")
    report(lam, "warm-node")
    durations = sorted(report(lam, "warm")[1] for _ in range(200))
    handler_p50 = durations[len(durations) // 2]
    rows = []
    for name, rt in (("warm", "Python"), ("warm-node", "Node")):
        script, path = invoke_script(tmp, f.port, akid, secret, name)
        global DURATION
        d, DURATION = DURATION, "2"
        wrk(f.port, script, 8, path)  # warm-up: the 8 environments start
        DURATION = d
        for conns in (8, 1):
            t0, g0 = cpu_ticks(f.proc.pid), group_cpu_ticks(f.proc.pid)
            r = wrk(f.port, script, conns, path)
            t1, g1 = cpu_ticks(f.proc.pid), group_cpu_ticks(f.proc.pid)
            tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
            rows.append((f"{rt} Invoke RequestResponse, trivial handler", conns) + r[:1] + r[2:4] +
                        ((t1 - t0) * tick_us / max(r[1], 1), (g1 - g0) * tick_us / max(r[1], 1), r[4]))
    sts = wrk_script(tmp, f.port, akid, secret)
    s1 = wrk(f.port, sts, 1, "/")
    rows.append(("signed sts:GetCallerIdentity (any signed request)", 1, s1[0], s1[2], s1[3], None, None, s1[4]))

    f.close()

    # 100 functions, idle and warm, on a server of their own
    f = Ferry(extra=["--log-level", "error"] + os.environ.get("FERRY_ARGS", "").split()).start()
    f.init()
    lam = f.client("lambda", "dev")
    role = f.client("iam", "dev").create_role(
        RoleName="bench", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    for i in range(NFUNCS):
        create(f"many-{i}", "python3.12", PY)
    t0 = time.perf_counter()
    for i in range(NFUNCS):
        lam.invoke(FunctionName=f"many-{i}", Payload=b"{}")
    first_invokes = time.perf_counter() - t0
    time.sleep(1)
    pids = group_pids(f.proc.pid)
    envs = len({int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[2]) for p in pids})
    total_pss = sum(pss_kb(p) for p in pids)
    ferry_pss = pss_kb(f.proc.pid)
    f.close()
    load1 = os.getloadavg()

    print(f"### Lambda functions ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.node()}, {os.cpu_count()} cores, {platform.machine()}, wrk {DURATION}s per row, "
          f"load average {load0[0]:.1f} before, {load1[0]:.1f} after)\n")
    print(f"- floor: `python3 -c pass` {py_floor:.1f} ms, `node -e 0` {node_floor:.1f} ms (median of 20)")
    for rt, fl in (("python", py_floor), ("node", node_floor)):
        w, init, warm = cold[rt]
        print(f"- cold start, {rt} (new function, median of 7): Invoke {w:.1f} ms, warm Invoke of the same "
              f"function {warm:.1f} ms, cold cost {w - warm:.1f} ms = floor + {w - warm - fl:.1f} ms; "
              f"REPORT Init Duration {init:.1f} ms")
    print()
    print("| workload | connections | invokes/s | p50 | p99 | ferry CPU µs/invoke | function CPU µs/invoke |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        fc = f"{r[5]:,.0f}" if r[5] is not None else "-"
        gc = f"{r[6]:,.0f}" if r[6] is not None else "-"
        print(f"| {r[0]} | {r[1]} | {r[2]:,.0f} | {r[3]} | {r[4]} | {fc} | {gc} |")
        if r[7]:
            print(f"| (non-2xx answers in the row above) | | | | | | |")
    print()
    p1 = next(r for r in rows if r[0].startswith("Python") and r[1] == 1)
    print(f"- latency ferry adds over the handler (Python, 1 connection): Invoke p50 {ms(p1[3]):.3f} ms "
          f"- REPORT Duration p50 {handler_p50:.3f} ms = {ms(p1[3]) - handler_p50:.3f} ms "
          f"(a signed GetCallerIdentity alone: p50 {ms(s1[2]):.3f} ms)")
    print(f"- {NFUNCS} functions deployed, each invoked once ({first_invokes:.1f} s for the {NFUNCS} cold "
          f"invokes), then idle: {envs} environments, {len(pids)} processes, PSS {total_pss / 1024:.1f} MB "
          f"in all, {total_pss / max(envs, 1) / 1024:.1f} MB per environment; ferry itself PSS "
          f"{ferry_pss / 1024:.1f} MB")


if __name__ == "__main__":
    main()
