"""App Mesh's data plane: a real HAProxy that ferry configures from the mesh. Two small local
HTTP servers are the cells ("You have hit cell-1"/"cell-2"); requests through the virtual
gateway and through the mesh listener (by the virtual service's name in Host) split by the
route's weights, then follow `aws appmesh update-route --cli-input-json`; a configuration
haproxy refuses never replaces the running one; kill -9 of ferry leaves no haproxy behind."""
import http.server
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from ferrytest import Ferry, acct

R = "us-east-1"
N = 1000


class Cell(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.server.msg.encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-path", self.path)
        self.send_header("x-host", self.headers.get("host", ""))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def cells():
    servers = []
    for i in (1, 2):
        s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Cell)
        s.msg = f"You have hit cell-{i}"
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    yield [s.server_address[1] for s in servers]
    for s in servers:
        s.shutdown()


def endpoints(ferry):
    return ferry.view("mesh")


def listener(ferry, kind, name, timeout=5):
    return ferry.view_item("mesh", "endpoints", lambda ep: ep["kind"] == kind and ep["name"] == name, timeout)


def get(port, path="/", host=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host} if host else {})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode(), dict(r.headers)


def served(port, path, timeout=10, times=3):
    """get(), once the proxy serves the path times running: the mesh's configuration
    reaches the proxy a reload after the API call (App Mesh's propagation is eventual too),
    later under load, and every new connection a moment after that (haproxy's workers of
    the previous configuration stop accepting)."""
    deadline = time.time() + timeout
    while True:
        try:
            for _ in range(times):
                r = get(port, path)
            return r
        except urllib.error.HTTPError as e:
            if e.code != 404 or time.time() > deadline:
                raise
        time.sleep(0.05)


def split(port, n, path="/", host=None):
    counts = {}
    for _ in range(n):
        body, _ = get(port, path, host)
        counts[body] = counts.get(body, 0) + 1
    return counts


def route_json(tmp_path, owner, w1, w2, extra_match=None):
    match = {"prefix": "/"}
    if extra_match:
        match.update(extra_match)
    doc = {"meshName": "dp", "meshOwner": owner, "virtualRouterName": "router-b", "routeName": "route-b",
           "spec": {"httpRoute": {"match": match, "action": {"weightedTargets": [
               {"virtualNode": "cell-1", "weight": w1}, {"virtualNode": "cell-2", "weight": w2}]}}}}
    p = tmp_path / f"route-{w1}-{w2}.json"
    p.write_text(json.dumps(doc))
    return f"file://{p}"


@pytest.fixture(scope="module")
def mesh(ferry, cells):
    am = ferry.client("appmesh", "dev", region=R)
    am.create_mesh(meshName="dp")
    for i, port in enumerate(cells, 1):
        am.create_virtual_node(meshName="dp", virtualNodeName=f"cell-{i}", spec={
            "listeners": [{"portMapping": {"port": port, "protocol": "http"}}],
            "serviceDiscovery": {"dns": {"hostname": "127.0.0.1" if i == 1 else "localhost"}}})
    am.create_virtual_router(meshName="dp", virtualRouterName="router-b", spec={
        "listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]})
    am.create_route(meshName="dp", virtualRouterName="router-b", routeName="route-b", spec={
        "httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": [
            {"virtualNode": "cell-1", "weight": 50}, {"virtualNode": "cell-2", "weight": 50}]}}})
    am.create_virtual_service(meshName="dp", virtualServiceName="serviceb.internal-domain1.com",
                              spec={"provider": {"virtualRouter": {"virtualRouterName": "router-b"}}})
    am.create_virtual_gateway(meshName="dp", virtualGatewayName="gw", spec={
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]})
    am.create_gateway_route(meshName="dp", virtualGatewayName="gw", gatewayRouteName="to-b", spec={
        "httpRoute": {"match": {"prefix": "/serviceb"}, "action": {
            "target": {"virtualService": {"virtualServiceName": "serviceb.internal-domain1.com"}}}}})
    return am


def test_weighted_split_then_update_route(ferry, mesh, tmp_path):
    gw = listener(ferry, "virtualGateway", "gw")
    assert gw["listenerPort"] == 8080 and gw["address"] == "127.0.0.1"
    ms = listener(ferry, "mesh", "dp")
    # the gateway rewrites its matched prefix to "/" and the Host to the virtual service's name
    body, headers = served(gw["port"], "/serviceb/hello")
    assert body.startswith("You have hit cell-")
    assert headers["x-path"] == "/hello" and headers["x-host"] == "serviceb.internal-domain1.com"
    c = split(gw["port"], N, "/serviceb/")
    assert set(c) == {"You have hit cell-1", "You have hit cell-2"}
    assert abs(c["You have hit cell-1"] - N / 2) <= N * 0.05, c
    # the mesh listener routes by the virtual service's name; another name has no route
    c = split(ms["port"], 200, "/", "serviceb.internal-domain1.com")
    assert abs(c["You have hit cell-1"] - 100) <= 10, c
    with pytest.raises(urllib.error.HTTPError) as e:
        get(ms["port"], "/", "nobody.example")
    assert e.value.code == 404

    # the seed's weight change, through the CLI: all traffic to cell-2, within a second or so
    t0 = time.time()
    ferry.aws("appmesh", "update-route", "--cli-input-json",
              route_json(tmp_path, acct(ferry, "dev"), 0, 100), "--region", R, profile="dev")
    while time.time() - t0 < 10:
        if split(gw["port"], 10, "/serviceb/") == {"You have hit cell-2": 10}:
            break
        time.sleep(0.01)
    print(f"weight change visible {time.time() - t0:.3f} s after the CLI started")
    assert split(gw["port"], N, "/serviceb/") == {"You have hit cell-2": N}


def test_bad_config_never_replaces_good(ferry, mesh, tmp_path):
    gw = listener(ferry, "virtualGateway", "gw")
    before = endpoints(ferry)["proxy"]
    assert before["running"] and before["lastError"] is None
    good = open(before["config"]).read()
    # a header regex haproxy cannot compile: App Mesh accepts it, haproxy -c refuses it
    bad = route_json(tmp_path, acct(ferry, "dev"), 100, 0,
                     {"headers": [{"name": "x-cell", "match": {"regex": "(["}}]})
    ferry.aws("appmesh", "update-route", "--cli-input-json", bad, "--region", R, profile="dev")
    deadline = time.time() + 5
    while time.time() < deadline and not endpoints(ferry)["proxy"]["lastError"]:
        time.sleep(0.02)
    now = endpoints(ferry)["proxy"]
    assert "haproxy refused" in now["lastError"]
    assert now["pid"] == before["pid"] and now["generation"] == before["generation"]
    assert open(now["config"]).read() == good
    # the running proxy still serves the last good configuration
    assert split(gw["port"], 50, "/serviceb/") == {"You have hit cell-2": 50}
    # a good change after it applies, and clears the error
    ferry.aws("appmesh", "update-route", "--cli-input-json",
              route_json(tmp_path, acct(ferry, "dev"), 100, 0), "--region", R, profile="dev")
    deadline = time.time() + 5
    while time.time() < deadline and endpoints(ferry)["proxy"]["lastError"]:
        time.sleep(0.02)
    assert endpoints(ferry)["proxy"]["lastError"] is None
    assert split(gw["port"], 50, "/serviceb/") == {"You have hit cell-1": 50}


def test_kill9_leaves_no_haproxy_and_ports_survive(cells):
    f = Ferry().start()
    try:
        f.init()
        am = f.client("appmesh", "dev", region=R)
        am.create_mesh(meshName="k")
        am.create_virtual_node(meshName="k", virtualNodeName="n", spec={
            "listeners": [{"portMapping": {"port": cells[0], "protocol": "http"}}],
            "serviceDiscovery": {"dns": {"hostname": "127.0.0.1"}}})
        am.create_virtual_service(meshName="k", virtualServiceName="k.local",
                                  spec={"provider": {"virtualNode": {"virtualNodeName": "n"}}})
        ep = listener(f, "mesh", "k")
        assert get(ep["port"], "/", "k.local")[0] == "You have hit cell-1"
        pid = endpoints(f)["proxy"]["pid"]
        assert pid > 0 and os.path.exists(f"/proc/{pid}")
        f.stop(signal.SIGKILL)
        deadline = time.time() + 5
        while time.time() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.02)
        assert not os.path.exists(f"/proc/{pid}"), "haproxy outlived ferry"
        with pytest.raises(OSError):
            get(ep["port"], "/", "k.local")
        # started again on the same data, the listener is served on the port it had, unless
        # another process (the suites beside this one) took that port while ferry was down
        f.start()
        port = listener(f, "mesh", "k")["port"]
        if port != ep["port"]:
            with pytest.raises(OSError):
                socket.create_server(("127.0.0.1", ep["port"])).close()
        assert get(port, "/", "k.local")[0] == "You have hit cell-1"
    finally:
        f.close()


def test_cloud_map_instances(ferry, cells):
    """A virtual node discovered through Cloud Map: its registered instances serve it, and a
    deregistered one leaves the proxy."""
    sd = ferry.client("servicediscovery", "dev", region=R)
    op = sd.create_http_namespace(Name="cm.local")["OperationId"]
    deadline = time.time() + 10
    while sd.get_operation(OperationId=op)["Operation"]["Status"] != "SUCCESS" and time.time() < deadline:
        time.sleep(0.05)
    ns = [n["Id"] for n in sd.list_namespaces()["Namespaces"] if n["Name"] == "cm.local"][0]
    svc = sd.create_service(Name="cells", NamespaceId=ns)["Service"]["Id"]
    sd.register_instance(ServiceId=svc, InstanceId="i-1", Attributes={
        "AWS_INSTANCE_IPV4": "127.0.0.1", "AWS_INSTANCE_PORT": str(cells[1])})
    am = ferry.client("appmesh", "dev", region=R)
    am.create_mesh(meshName="cm")
    am.create_virtual_node(meshName="cm", virtualNodeName="n", spec={
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}],
        "serviceDiscovery": {"awsCloudMap": {"namespaceName": "cm.local", "serviceName": "cells"}}})
    am.create_virtual_service(meshName="cm", virtualServiceName="cm.svc",
                              spec={"provider": {"virtualNode": {"virtualNodeName": "n"}}})
    ep = listener(ferry, "mesh", "cm")
    deadline = time.time() + 5
    body = None
    while time.time() < deadline:
        try:
            body = get(ep["port"], "/", "cm.svc")[0]
            break
        except urllib.error.HTTPError:
            time.sleep(0.05)
    assert body == "You have hit cell-2"
    sd.deregister_instance(ServiceId=svc, InstanceId="i-1")
    deadline = time.time() + 5
    code = 200
    while time.time() < deadline and code == 200:
        try:
            get(ep["port"], "/", "cm.svc")
        except urllib.error.HTTPError as e:
            code = e.code
        time.sleep(0.05)
    assert code == 503
