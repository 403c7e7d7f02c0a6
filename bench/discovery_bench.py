#!/usr/bin/python3
"""Service discovery benchmark (issue 17's figures), all from one ferry in one run.

- DNS queries/s against `ferry serve --dns`: a public zone's A record asked over UDP by a
  load generator in this process that keeps BENCH_DNS_WINDOW queries in flight on one socket
  for BENCH_SECONDS (dnsperf's way; dnsperf is not packaged in Debian 12), and the same
  name asked by `dig -f` (one dig process, queries one after another) for the dig-driven
  figure. ferry's CPU time over the window says whether the server or the generator was
  the limit.
- Proxied vs direct HTTP: two nginx workers answer `return 200 "You have hit cell-N"` (the
  cells); wrk at 1 and 64 connections straight to a cell, then through the App Mesh data
  plane (the mesh listener, Host = the virtual service's name, a route split 50/50 between
  the two cells) and through an ALB listener (forward to a target group of both cells).
- A weight change's delay: the route alternates 100/0 and 0/100 (UpdateRoute through boto3)
  BENCH_FLIPS times while a probe thread sends requests through the mesh listener on new
  connections without pause; the figure is the time from sending UpdateRoute to the first
  response from the new cell, and to the last response from the old one.

Prints a markdown section for bench/RESULTS.md."""
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)
from ferrytest import Ferry  # noqa: E402
from server_bench import free_port, wrk_parse  # noqa: E402

DURATION = float(os.environ.get("BENCH_SECONDS", "8"))
WINDOW = int(os.environ.get("BENCH_DNS_WINDOW", "64"))
FLIPS = int(os.environ.get("BENCH_FLIPS", "10"))
R = "us-east-1"
NAME = "svc.bench.example.com"
VS = "serviceb.bench.local"


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def dns_query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def dns_load(addr, seconds, window):
    """(answers/s, lost) keeping window queries in flight; a query unanswered for 1 s is lost
    and replaced."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(addr)
    s.settimeout(1.0)
    base = dns_query(NAME, 0)
    pkts = [struct.pack(">H", i) + base[2:] for i in range(65536)]
    qid, got, lost = 0, 0, 0
    for _ in range(window):
        s.send(pkts[qid])
        qid = (qid + 1) & 0xFFFF
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        try:
            m = s.recv(512)
            if m[3] & 0x0F == 0 and m[7] > 0:  # NOERROR with an answer
                got += 1
        except socket.timeout:
            lost += window  # all in flight were lost: start the window again
        if time.perf_counter() >= end:
            break
        s.send(pkts[qid])
        qid = (qid + 1) & 0xFFFF
    elapsed = time.perf_counter() - t0
    s.close()
    return got / elapsed, lost


def dig_rate(addr, n, tmp):
    path = os.path.join(tmp, "dig.txt")
    open(path, "w").write(f"{NAME} A\n" * n)
    t0 = time.perf_counter()
    out = subprocess.run(["dig", f"@{addr[0]}", "-p", str(addr[1]), "+tries=1", "+time=2",
                          "+short", "-f", path], capture_output=True, text=True).stdout
    el = time.perf_counter() - t0
    answered = sum(1 for line in out.splitlines() if line.strip() == "127.0.0.7")
    return answered / el, answered


def nginx_cells(tmp):
    ports = [free_port(), free_port()]
    servers = "".join(
        f'server {{ listen 127.0.0.1:{p}; location / {{ return 200 "You have hit cell-{i}"; }} }}\n'
        for i, p in enumerate(ports, 1))
    conf = os.path.join(tmp, "nginx.conf")
    open(conf, "w").write(f"""worker_processes 2; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000; {servers} }}
""")
    p = subprocess.Popen(["nginx", "-c", conf, "-p", tmp, "-g", "daemon off;"],
                         stderr=subprocess.DEVNULL)
    for port in ports:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.01)
    return p, ports


def wrk(port, conns, host=None):
    cmd = ["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d", f"{DURATION:g}s", "--latency"]
    if host:
        cmd += ["-H", f"Host: {host}"]
    out = subprocess.run(cmd + [f"http://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
    return wrk_parse(out)


def mesh_endpoint(f, kind, name, timeout=10):
    return f.view_item("mesh", "endpoints", lambda ep: ep["kind"] == kind and ep["name"] == name,
                       timeout, poll=0.05)["port"]


def elb_endpoint(f, lb_arn, timeout=30):
    return f.view_item("elb", "listeners",
                       lambda ls: ls["loadBalancerArn"] == lb_arn and ls.get("proxyPort"),
                       timeout, poll=0.05)["proxyPort"]


def set_weights(am, w1, w2):
    am.update_route(meshName="bench", virtualRouterName="router", routeName="route", spec={
        "httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": [
            {"virtualNode": "cell-1", "weight": w1}, {"virtualNode": "cell-2", "weight": w2}]}}})


def setup_mesh(f, ports):
    am = f.client("appmesh", "dev", region=R)
    am.create_mesh(meshName="bench")
    for i, port in enumerate(ports, 1):
        am.create_virtual_node(meshName="bench", virtualNodeName=f"cell-{i}", spec={
            "listeners": [{"portMapping": {"port": port, "protocol": "http"}}],
            "serviceDiscovery": {"dns": {"hostname": "127.0.0.1"}}})
    am.create_virtual_router(meshName="bench", virtualRouterName="router", spec={
        "listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]})
    am.create_route(meshName="bench", virtualRouterName="router", routeName="route", spec={
        "httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": [
            {"virtualNode": "cell-1", "weight": 50}, {"virtualNode": "cell-2", "weight": 50}]}}})
    am.create_virtual_service(meshName="bench", virtualServiceName=VS,
                              spec={"provider": {"virtualRouter": {"virtualRouterName": "router"}}})
    return am, mesh_endpoint(f, "mesh", "bench")


def setup_alb(f, ports):
    ec2 = f.client("ec2", "dev", region=R)
    elb = f.client("elbv2", "dev", region=R)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="cells", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": p} for p in ports])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    return elb_endpoint(f, lb["LoadBalancerArn"])


class Probe(threading.Thread):
    """Requests through the mesh on new connections, without pause: (time, cell) each."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.seen, self.stop = port, [], False

    def run(self):
        while not self.stop:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/", headers={"Host": VS, "Connection": "close"})
                body = c.getresponse().read().decode()
                c.close()
                self.seen.append((time.perf_counter(), body[-1:]))
            except OSError:
                self.seen.append((time.perf_counter(), "x"))


def weight_change(am, port):
    set_weights(am, 100, 0)
    time.sleep(1.5)
    probe = Probe(port)
    probe.start()
    first, last, calls, errors = [], [], [], 0
    want = "2"
    for _ in range(FLIPS):
        time.sleep(0.5)
        start = len(probe.seen)
        t0 = time.perf_counter()
        set_weights(am, 100 if want == "1" else 0, 100 if want == "2" else 0)
        calls.append(time.perf_counter() - t0)
        time.sleep(2.0)
        after = [(t, c) for t, c in probe.seen[start:] if t > t0]
        errors += sum(1 for _, c in after if c == "x")
        new = [t for t, c in after if c == want]
        old = [t for t, c in after if c not in (want, "x")]
        first.append((new[0] - t0) * 1000 if new else float("inf"))
        last.append((old[-1] - t0) * 1000 if old else 0.0)
        want = "1" if want == "2" else "2"
    probe.stop = True
    probe.join()
    return first, last, calls, errors, len(probe.seen)


def p90(xs):
    return sorted(xs)[max(0, int(len(xs) * 0.9 + 0.5) - 1)]


def main():
    tmp = tempfile.mkdtemp(prefix="ferry-bench-")
    f = Ferry(extra=["--dns", "127.0.0.1:0", "--log-level", "error"]).start(
        env={"FERRY_ROUTE53_SYNC_SECONDS": "0"})
    f.init()
    info = json.loads(urllib.request.urlopen(f.endpoint + "/_ferry/dns").read())
    addr = (info["Address"], info["Port"])
    r53 = f.client("route53", "dev")
    zone = r53.create_hosted_zone(Name="bench.example.com", CallerReference="bench")["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "CREATE", "ResourceRecordSet": {"Name": NAME, "Type": "A", "TTL": 60,
                                                  "ResourceRecords": [{"Value": "127.0.0.7"}]}}]})
    deadline = time.time() + 10
    while time.time() < deadline and dig_rate(addr, 1, tmp)[1] < 1:
        time.sleep(0.1)

    cpu0 = cpu_seconds(f.proc.pid)
    t0 = time.perf_counter()
    qps, lost = dns_load(addr, DURATION, WINDOW)
    server_cpu = (cpu_seconds(f.proc.pid) - cpu0) / (time.perf_counter() - t0)
    dig_qps, dig_n = dig_rate(addr, 2000, tmp)

    ngx, ports = nginx_cells(tmp)
    try:
        am, mesh_port = setup_mesh(f, ports)
        alb_port = setup_alb(f, ports)
        rows = []
        for c in (1, 64):
            rows.append(("direct to a cell (nginx)", c) + wrk(ports[0], c))
            rows.append(("through the mesh listener (HAProxy, 50/50 route)", c) +
                        wrk(mesh_port, c, VS))
            rows.append(("through the ALB listener (HAProxy, target group of both)", c) +
                        wrk(alb_port, c))
        first, last, calls, errors, probes = weight_change(am, mesh_port)
    finally:
        ngx.send_signal(15)
        ngx.wait()
        f.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"## {time.strftime('%Y-%m-%d')}: service discovery (issue 17)\n")
    print(f"`bench/discovery_bench.py`, {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} after the run.\n")
    print("| DNS, one A record of a public zone over UDP | queries/s | note |\n|---|---|---|")
    print(f"| load generator, {WINDOW} in flight, {DURATION:g} s | **{qps:,.0f}** | ferry used "
          f"{server_cpu:.2f} CPU cores meanwhile; {lost} lost |")
    print(f"| `dig -f` (2,000 queries, one after another) | {dig_qps:,.0f} | {dig_n} answered |\n")
    print("| HTTP GET / | connections | requests/s | p50 | p99 | non-2xx |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:,.0f} | {r[3]} | {r[4]} | {'yes' if r[5] else 'no'} |")
    direct = {r[1]: r[2] for r in rows if r[0].startswith("direct")}
    meshr = {r[1]: r[2] for r in rows if r[0].startswith("through the mesh")}
    albr = {r[1]: r[2] for r in rows if r[0].startswith("through the ALB")}
    print(f"\nProxied / direct: mesh {meshr[1] / direct[1]:.2f} at 1 connection, "
          f"{meshr[64] / direct[64]:.2f} at 64; ALB {albr[1] / direct[1]:.2f} and "
          f"{albr[64] / direct[64]:.2f}.\n")
    print(f"| weight change, {FLIPS} flips (probe: {probes:,} requests on new connections, "
          f"{errors} failed) | median | p90 | max |\n|---|---|---|---|")
    for label, xs in (("UpdateRoute call", [c * 1000 for c in calls]),
                      ("first response from the new cell", first),
                      ("last response from the old cell", last)):
        print(f"| {label} (ms after sending UpdateRoute) | {statistics.median(xs):.0f} | "
              f"{p90(xs):.0f} | {max(xs):.0f} |")


if __name__ == "__main__":
    random.seed(1)
    main()
