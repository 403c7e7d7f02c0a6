"""ELBv2's data plane: the same HAProxy driver as App Mesh's, configured from every active
Application Load Balancer. Small local HTTP servers are ip targets (127.0.0.1:PORT); a
listener forwarding 50/50 over two target groups splits 1,000 requests by the weights, then
follows modify-listener; a path-pattern rule answers a fixed response; a target failing its
health check leaves the rotation (FERRY_ELBV2_HEALTH_INTERVAL seam); deleting the load
balancer removes its listener; kill -9 of ferry leaves no haproxy behind, and a restart
serves each listener on the port it had."""
import http.client
import http.server
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest
from ferrytest import Ferry

R = "us-east-1"
N = 1000


class Cell(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            status, body = self.server.health, b"ok"
        else:
            status, body = 200, self.server.msg.encode()
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def cells():
    servers = []
    for i in (1, 2, 3):
        s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Cell)
        s.msg, s.health = f"You have hit cell-{i}", 200
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    yield servers
    for s in servers:
        s.shutdown()


@pytest.fixture(scope="module")
def srv():
    f = Ferry().start(env={"FERRY_ELBV2_HEALTH_INTERVAL": "0.1"})
    f.init()
    yield f
    f.close()


def client(f):
    return f.client("elbv2", "dev", region=R)


def network(f):
    ec2 = f.client("ec2", "dev", region=R)
    subs = sorted(ec2.describe_subnets()["Subnets"], key=lambda x: x["AvailabilityZone"])
    return [x["SubnetId"] for x in subs[:2]], subs[0]["VpcId"]


def mk_tg(elb, vpc, name, *cells):
    tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath="/health", HealthyThresholdCount=2,
                                 UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[
        {"Id": "127.0.0.1", "Port": c.server_address[1]} for c in cells])
    return tg


def forward(*weighted):
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": a, "Weight": w} for a, w in weighted]}}]


def state(f):
    return f.view("elb")


def listener(f, lb_arn, port, timeout=5):
    return f.view_item("elb", "listeners", lambda ls: ls["loadBalancerArn"] == lb_arn and ls["port"] == port, timeout)


def get(port, path="/"):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def split(port, n, path="/"):
    counts = {}
    for _ in range(n):
        body = get(port, path)[1]
        counts[body] = counts.get(body, 0) + 1
    return counts


def until(fn, timeout=5, times=5):
    """fn() true times running: a change reaches every new connection once haproxy's
    workers of the previous configuration have stopped accepting, a moment after the new
    one serves (on AWS too, a rule's change is eventual)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(fn() for _ in range(times)):
            return
        time.sleep(0.02)
    assert fn()


def healthy(elb, tg, n):
    hs = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return sum(h["TargetHealth"]["State"] == "healthy" for h in hs) == n


@pytest.fixture(scope="module")
def lb(srv, cells):
    elb = client(srv)
    subnets, vpc = network(srv)
    arn = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    tga, tgb = mk_tg(elb, vpc, "cell-a", cells[0]), mk_tg(elb, vpc, "cell-b", cells[1])
    ls = elb.create_listener(LoadBalancerArn=arn["LoadBalancerArn"], Protocol="HTTP", Port=80,
                             DefaultActions=forward((tga, 50), (tgb, 50)))["Listeners"][0]
    until(lambda: healthy(elb, tga, 1) and healthy(elb, tgb, 1))
    return {"elb": elb, "vpc": vpc, "lb": arn, "tga": tga, "tgb": tgb,
            "listener": ls["ListenerArn"]}


def test_weighted_split_then_modify_listener(srv, lb):
    ep = listener(srv, lb["lb"]["LoadBalancerArn"], 80)
    assert ep["account"] and ep["region"] == R and ep["address"] == "127.0.0.1"
    assert ep["dnsName"] == lb["lb"]["DNSName"] and ep["proxyPort"] > 0
    counts = split(ep["proxyPort"], N)
    assert set(counts) == {"You have hit cell-1", "You have hit cell-2"}
    assert abs(counts["You have hit cell-1"] - N / 2) <= N * 0.05, counts
    lb["elb"].modify_listener(ListenerArn=lb["listener"],
                              DefaultActions=forward((lb["tga"], 0), (lb["tgb"], 100)))
    until(lambda: split(ep["proxyPort"], 20) == {"You have hit cell-2": 20})
    assert split(ep["proxyPort"], 200) == {"You have hit cell-2": 200}
    # the listener keeps its port across the change
    assert listener(srv, lb["lb"]["LoadBalancerArn"], 80)["proxyPort"] == ep["proxyPort"]


def test_fixed_response_rule(srv, lb):
    lb["elb"].create_rule(ListenerArn=lb["listener"], Priority=10, Conditions=[
        {"Field": "path-pattern", "Values": ["/fixed/*", "/also-fixed"]}], Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "403", "ContentType": "text/plain", "MessageBody": "not here"}}])
    port = listener(srv, lb["lb"]["LoadBalancerArn"], 80)["proxyPort"]
    until(lambda: get(port, "/fixed/x") == (403, "not here"))
    assert get(port, "/also-fixed") == (403, "not here")
    assert get(port, "/also-fixed/no")[0] == 200
    assert get(port, "/other")[0] == 200


def test_host_and_header_rules(srv, lb):
    elb, port = lb["elb"], listener(srv, lb["lb"]["LoadBalancerArn"], 80)["proxyPort"]
    elb.create_rule(ListenerArn=lb["listener"], Priority=5, Conditions=[
        {"Field": "host-header", "Values": ["*.Example.com"]},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Cell",
                                                      "Values": ["one", "un?"]}}], Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "200", "ContentType": "text/plain", "MessageBody": "cell one"}}])

    def ask(host, cell):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": host, "X-Cell": cell})
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode()
    until(lambda: ask("a.example.com", "one") == "cell one")
    assert ask("B.EXAMPLE.COM:80", "UNO") == "cell one"
    assert ask("example.com", "one") != "cell one"
    assert ask("a.example.com", "two") != "cell one"


def location(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.getheader("location")


def test_redirect_rule(srv, lb):
    lb["elb"].create_rule(ListenerArn=lb["listener"], Priority=20, Conditions=[
        {"Field": "path-pattern", "Values": ["/old/*"]}], Actions=[
        {"Type": "redirect", "RedirectConfig": {"Path": "/new/#{path}", "StatusCode": "HTTP_301"}}])
    port = listener(srv, lb["lb"]["LoadBalancerArn"], 80)["proxyPort"]
    until(lambda: location(port, "/old/x")[0] == 301)
    assert location(port, "/old/x") == (301, f"http://127.0.0.1:{port}/new/old/x")
    assert location(port, "/old/x?a=1&b=%25") == (301, f"http://127.0.0.1:{port}/new/old/x?a=1&b=%25")
    lb["elb"].create_rule(ListenerArn=lb["listener"], Priority=21, Conditions=[
        {"Field": "path-pattern", "Values": ["/away"]}], Actions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Host": "example.com",
                                                "Port": "443", "Query": "from=elb",
                                                "StatusCode": "HTTP_302"}}])
    until(lambda: location(port, "/away")[0] == 302)
    assert location(port, "/away?q=1") == (302, "https://example.com:443/away?from=elb")
    assert location(port, "/away") == (302, "https://example.com:443/away?from=elb")


def test_unhealthy_target_leaves_rotation(srv, lb, cells):
    elb = lb["elb"]
    tg = mk_tg(elb, lb["vpc"], "cells-13", cells[0], cells[2])
    elb.create_listener(LoadBalancerArn=lb["lb"]["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                        DefaultActions=forward((tg, 1)))
    until(lambda: healthy(elb, tg, 2))
    port = listener(srv, lb["lb"]["LoadBalancerArn"], 8080)["proxyPort"]
    until(lambda: len(split(port, 10)) == 2)
    cells[2].health = 500
    try:
        until(lambda: healthy(elb, tg, 1))
        until(lambda: split(port, 20) == {"You have hit cell-1": 20})
        assert split(port, 100) == {"You have hit cell-1": 100}
    finally:
        cells[2].health = 200


def test_delete_load_balancer_removes_listener(srv, lb):
    arn = lb["lb"]["LoadBalancerArn"]
    port = listener(srv, arn, 80)["proxyPort"]
    lb["elb"].delete_load_balancer(LoadBalancerArn=arn)
    until(lambda: not [x for x in state(srv)["listeners"] if x["loadBalancerArn"] == arn])
    # the last listener gone: no proxy runs
    until(lambda: not state(srv)["proxy"]["running"])
    with pytest.raises(OSError):
        get(port)


def test_kill9_leaves_no_haproxy_and_ports_survive(cells):
    f = Ferry().start(env={"FERRY_ELBV2_HEALTH_INTERVAL": "0.1"})
    try:
        f.init()
        elb = client(f)
        subnets, vpc = network(f)
        arn = elb.create_load_balancer(Name="k", Subnets=subnets)["LoadBalancers"][0][
            "LoadBalancerArn"]
        tg = mk_tg(elb, vpc, "k", cells[0])
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                            DefaultActions=forward((tg, 1)))
        port = listener(f, arn, 80)["proxyPort"]
        until(lambda: get(port) == (200, "You have hit cell-1"))
        pid = state(f)["proxy"]["pid"]
        assert pid > 0 and os.path.exists(f"/proc/{pid}")
        f.stop(signal.SIGKILL)
        deadline = time.time() + 5
        while time.time() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.02)
        assert not os.path.exists(f"/proc/{pid}"), "haproxy outlived ferry"
        with pytest.raises(OSError):
            get(port)
        # started again on the same data, the listener is served on the port it had
        f.start(env={"FERRY_ELBV2_HEALTH_INTERVAL": "0.1"})
        assert listener(f, arn, 80)["proxyPort"] == port
        until(lambda: get(port) == (200, "You have hit cell-1"))
    finally:
        f.close()


def test_served_once_provisioning_ends():
    """A load balancer is served when it turns active, with no other write to wake the engine:
    the sweep renders again when the first provisioning one is due."""
    f = Ferry().start(env={"FERRY_ELBV2_PROVISION_SECONDS": "1.5"})
    try:
        f.init()
        elb = client(f)
        subnets, _ = network(f)
        arn = elb.create_load_balancer(Name="slow", Subnets=subnets)["LoadBalancers"][0][
            "LoadBalancerArn"]
        elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "fixed-response",
             "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "ready"}}])
        assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0][
            "State"]["Code"] == "provisioning"
        assert not [x for x in state(f)["listeners"] if x["loadBalancerArn"] == arn]
        port = listener(f, arn, 80, timeout=10)["proxyPort"]
        until(lambda: get(port) == (200, "ready"))
    finally:
        f.close()
