"""ferry serve --dns: Route 53 zones answered over UDP and TCP, asked with dig and with
hand-made queries: record types, NXDOMAIN/NODATA with the SOA, CNAME chasing, aliases,
weighted answers in proportion to their weights, multivalue, failover on a real health
check, malformed queries dropped without harm."""
import http.server
import json
import random
import socket
import struct
import subprocess
import threading
import time
import urllib.request
import uuid

import pytest

from ferrytest import Ferry

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33}


@pytest.fixture(scope="module")
def ferry():
    f = Ferry(extra=["--dns", "127.0.0.1:0"]).start(env={
        "FERRY_ROUTE53_SYNC_SECONDS": "0", "FERRY_ROUTE53_HEALTH_INTERVAL": "0.2"})
    f.init()
    info = json.loads(urllib.request.urlopen(f.endpoint + "/_ferry/dns").read())
    f.dns = (info["Address"], info["Port"])
    yield f
    f.close()


def query(name, typ, qid=None):
    qid = random.randrange(65536) if qid is None else qid
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", TYPES[typ], 1)


def skip_name(m, i):
    while True:
        n = m[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += n + 1


def read_name(m, i):
    labels = []
    while True:
        n = m[i]
        if n == 0:
            return ".".join(labels) + "."
        if n & 0xC0 == 0xC0:
            i = ((n & 0x3F) << 8) | m[i + 1]
            continue
        labels.append(m[i + 1:i + 1 + n].decode())
        i += n + 1


def parse(m):
    """(rcode, answers [(type, value)], authority types)"""
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", m[:12])
    i = 12
    for _ in range(qd):
        i = skip_name(m, i) + 4
    out = []
    auth = []
    for k in range(an + ns):
        i = skip_name(m, i)
        typ, _, _, rdlen = struct.unpack(">HHIH", m[i:i + 10])
        i += 10
        rd = m[i:i + rdlen]
        if typ == 1:
            v = socket.inet_ntoa(rd)
        elif typ == 28:
            v = socket.inet_ntop(socket.AF_INET6, rd)
        elif typ == 5:
            v = read_name(m, i)
        elif typ == 33:
            p, w, port = struct.unpack(">HHH", rd[:6])
            v = f"{p} {w} {port} {read_name(m, i + 6)}"
        elif typ == 16:
            v = rd[1:1 + rd[0]].decode()
        else:
            v = rd
        (out if k < an else auth).append((typ, v))
        i += rdlen
    return flags & 0xF, out, [t for t, _ in auth]


def udp(addr, name, typ):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(query(name, typ), addr)
        return parse(s.recv(4096))
    finally:
        s.close()


def tcp(addr, name, typ):
    with socket.create_connection(addr, timeout=2) as s:
        q = query(name, typ)
        s.sendall(struct.pack(">H", len(q)) + q)
        n = struct.unpack(">H", s.recv(2))[0]
        m = b""
        while len(m) < n:
            m += s.recv(n - len(m))
        return parse(m)


def dig(addr, *args):
    r = subprocess.run(["dig", "@" + addr[0], "-p", str(addr[1]), "+short", "+time=2",
                        "+tries=1"] + list(args), capture_output=True, text=True, timeout=10)
    return r.stdout.split("\n")[:-1] if r.stdout else []


def change(action, name, typ, values=None, ttl=60, **kw):
    rrs = {"Name": name, "Type": typ, **kw}
    if values is not None:
        rrs["TTL"] = ttl
        rrs["ResourceRecords"] = [{"Value": v} for v in values]
    return {"Action": action, "ResourceRecordSet": rrs}


def zone(r53, name, *changes):
    zid = r53.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]
    if changes:
        r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": list(changes)})
    return zid


def test_record_types(ferry):
    r53 = ferry.client("route53")
    zone(r53, "dns.example.com",
         change("CREATE", "www.dns.example.com", "A", ["192.0.2.1", "192.0.2.2"]),
         change("CREATE", "www.dns.example.com", "AAAA", ["2001:db8::1"]),
         change("CREATE", "web.dns.example.com", "CNAME", ["www.dns.example.com"]),
         change("CREATE", "_http._tcp.dns.example.com", "SRV", ["1 10 8080 www.dns.example.com"]),
         change("CREATE", "dns.example.com", "TXT", ['"hello world"']),
         change("CREATE", "dns.example.com", "MX", ["10 mail.dns.example.com"]),
         change("CREATE", "*.wild.dns.example.com", "A", ["192.0.2.99"]))
    a = ferry.dns
    assert sorted(dig(a, "www.dns.example.com", "A")) == ["192.0.2.1", "192.0.2.2"]
    assert dig(a, "www.dns.example.com", "AAAA") == ["2001:db8::1"]
    assert dig(a, "web.dns.example.com", "A")[0] == "www.dns.example.com."
    assert sorted(dig(a, "web.dns.example.com", "A")[1:]) == ["192.0.2.1", "192.0.2.2"]
    assert dig(a, "_http._tcp.dns.example.com", "SRV") == ["1 10 8080 www.dns.example.com."]
    assert dig(a, "dns.example.com", "TXT") == ['"hello world"']
    assert dig(a, "dns.example.com", "MX") == ["10 mail.dns.example.com."]
    assert dig(a, "+tcp", "www.dns.example.com", "A") != []
    assert dig(a, "anything.wild.dns.example.com", "A") == ["192.0.2.99"]
    # the same through hand-made queries, over UDP and TCP
    rc, ans, _ = udp(a, "www.dns.example.com", "A")
    assert rc == 0 and sorted(v for _, v in ans) == ["192.0.2.1", "192.0.2.2"]
    rc, ans, _ = tcp(a, "_http._tcp.dns.example.com", "SRV")
    assert ans == [(33, "1 10 8080 www.dns.example.com.")]
    rc, ans, _ = tcp(a, "web.dns.example.com", "A")
    assert ans[0] == (5, "www.dns.example.com.") and len(ans) == 3
    # NXDOMAIN and NODATA carry the zone's SOA; a name no zone holds is refused
    assert udp(a, "nope.dns.example.com", "A") == (3, [], [6])
    assert udp(a, "www.dns.example.com", "MX") == (0, [], [6])
    assert udp(a, "www.elsewhere.org", "A")[0] == 5


def test_change_answered_next_query(ferry):
    r53 = ferry.client("route53")
    zid = zone(r53, "live.example.com")
    assert udp(ferry.dns, "n.live.example.com", "A")[0] == 3
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
        change("CREATE", "n.live.example.com", "A", ["192.0.2.50"])]})
    assert udp(ferry.dns, "n.live.example.com", "A")[1] == [(1, "192.0.2.50")]


def test_alias_and_multivalue(ferry):
    r53 = ferry.client("route53")
    zid = zone(r53, "al.example.com",
               change("CREATE", "target.al.example.com", "A", ["192.0.2.10"]))
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
        change("CREATE", "al.example.com", "A", AliasTarget={
            "HostedZoneId": zid.split("/")[-1], "DNSName": "target.al.example.com",
            "EvaluateTargetHealth": False})] + [
        change("CREATE", "mv.al.example.com", "A", [f"192.0.2.{i}"], SetIdentifier=f"m{i}",
               MultiValueAnswer=True) for i in range(1, 11)]})
    assert udp(ferry.dns, "al.example.com", "A")[1] == [(1, "192.0.2.10")]
    rc, ans, _ = udp(ferry.dns, "mv.al.example.com", "A")
    assert rc == 0 and len(ans) == 8 and len(set(ans)) == 8


def test_weighted_split(ferry):
    r53 = ferry.client("route53")
    zone(r53, "wt.example.com",
         change("CREATE", "svc.wt.example.com", "A", ["192.0.2.1"], SetIdentifier="a", Weight=1),
         change("CREATE", "svc.wt.example.com", "A", ["192.0.2.2"], SetIdentifier="b", Weight=3),
         change("CREATE", "svc.wt.example.com", "A", ["192.0.2.3"], SetIdentifier="z", Weight=0))
    counts = {}
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for i in range(1000):
        s.sendto(query("svc.wt.example.com", "A", i), ferry.dns)
        _, ans, _ = parse(s.recv(4096))
        assert len(ans) == 1
        counts[ans[0][1]] = counts.get(ans[0][1], 0) + 1
    s.close()
    assert "192.0.2.3" not in counts
    assert abs(counts["192.0.2.1"] - 250) <= 50, counts
    assert abs(counts["192.0.2.2"] - 750) <= 50, counts


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def test_failover_on_health_check(ferry):
    r53 = ferry.client("route53")
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    hc = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "Type": "HTTP", "IPAddress": "127.0.0.1", "Port": port, "ResourcePath": "/",
        "FailureThreshold": 2})["HealthCheck"]["Id"]
    zone(r53, "fo.example.com",
         change("CREATE", "app.fo.example.com", "A", ["192.0.2.1"], SetIdentifier="p",
                Failover="PRIMARY", HealthCheckId=hc),
         change("CREATE", "app.fo.example.com", "A", ["192.0.2.2"], SetIdentifier="s",
                Failover="SECONDARY"))
    assert udp(ferry.dns, "app.fo.example.com", "A")[1] == [(1, "192.0.2.1")]
    srv.shutdown()
    srv.server_close()
    deadline = time.time() + 10
    while udp(ferry.dns, "app.fo.example.com", "A")[1] != [(1, "192.0.2.2")]:
        assert time.time() < deadline, "the secondary was never answered"
        time.sleep(0.1)
    status = r53.get_health_check_status(HealthCheckId=hc)["HealthCheckObservations"][0]
    assert status["StatusReport"]["Status"].startswith("Failure")


def test_malformed_queries_dropped(ferry):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    for junk in [b"", b"\x00", b"\xff" * 11, query("x.example.com", "A")[:15],
                 query("x.example.com", "A")[:12] + b"\xc0\x0c\x00\x01\x00\x01",
                 bytes(random.randrange(256) for _ in range(300))]:
        s.sendto(junk, ferry.dns)
        try:
            m = s.recv(4096)
            assert m[:2] == junk[:2]  # an answer (FORMERR) is for that query, never a crash
        except socket.timeout:
            pass
    s.close()
    with socket.create_connection(ferry.dns, timeout=2) as c:
        c.sendall(b"\x00\x05abc")  # a short message, then the peer goes away
    assert udp(ferry.dns, "www.dns.example.com", "A")[0] == 0


def resolvers(ferry, want, timeout=5):
    deadline = time.time() + timeout
    while True:
        info = json.loads(urllib.request.urlopen(ferry.endpoint + "/_ferry/dns").read())
        got = {r["VpcId"]: (r["Address"], r["Port"]) for r in info["Resolvers"]}
        if all(v in got for v in want):
            return got
        assert time.time() < deadline, f"resolvers {got} never listed {want}"
        time.sleep(0.05)


def test_private_zone_per_vpc_resolver(ferry):
    def vpc(profile, cidr):
        try:
            return ferry.client("ec2", profile, region="us-east-1").create_vpc(
                CidrBlock=cidr)["Vpc"]["VpcId"]
        except Exception as e:  # EC2 lands in its own branch
            if "NotImplemented" in str(e) or "UnknownService" in str(e):
                pytest.skip("EC2 VPCs are not there yet")
            raise
    r53 = ferry.client("route53")
    v1, v2, v3 = vpc("management", "10.1.0.0/16"), vpc("management", "10.2.0.0/16"), vpc("dev", "10.3.0.0/16")
    zid = r53.create_hosted_zone(Name="svc.internal", CallerReference=str(uuid.uuid4()),
                                 VPC={"VPCRegion": "us-east-1", "VPCId": v1})["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [
        change("CREATE", "x.svc.internal", "A", ["10.1.0.5"])]})
    res = resolvers(ferry, [v1, v2, v3])
    assert len({res[v1][0], res[v2][0], res[v3][0]}) == 3
    assert udp(res[v1], "x.svc.internal", "A") == (0, [(1, "10.1.0.5")], [])
    assert tcp(res[v1], "x.svc.internal", "A")[1] == [(1, "10.1.0.5")]
    assert dig(res[v1], "x.svc.internal") == ["10.1.0.5"]
    # another VPC's resolver and the public address do not answer the private zone
    assert udp(res[v2], "x.svc.internal", "A")[0] == 5
    assert udp(ferry.dns, "x.svc.internal", "A")[0] == 5
    # public zones are answered at every resolver
    zone(r53, "pubv.example.com", change("CREATE", "www.pubv.example.com", "A", ["192.0.2.8"]))
    assert udp(res[v2], "www.pubv.example.com", "A")[1] == [(1, "192.0.2.8")]
    # a cross-account association makes the zone answer at the other account's VPC
    r53.create_vpc_association_authorization(HostedZoneId=zid, VPC={"VPCRegion": "us-east-1",
                                                                     "VPCId": v3})
    ferry.client("route53", "dev").associate_vpc_with_hosted_zone(
        HostedZoneId=zid, VPC={"VPCRegion": "us-east-1", "VPCId": v3})
    assert udp(res[v3], "x.svc.internal", "A")[1] == [(1, "10.1.0.5")]


def test_load_balancer_names(ferry):
    """An ALB's DNSName (and its dualstack. form) is answered with the data plane's address,
    directly and through a Route 53 alias to the load balancer's CanonicalHostedZoneId; a
    deleted load balancer's name is no longer answered."""
    ec2 = ferry.client("ec2", "dev", region="us-east-1")
    elb = ferry.client("elbv2", "dev", region="us-east-1")
    subnets = [s["SubnetId"] for s in sorted(ec2.describe_subnets()["Subnets"],
                                             key=lambda s: s["AvailabilityZone"])[:2]]
    lb = elb.create_load_balancer(Name="dns-lb", Subnets=subnets)["LoadBalancers"][0]
    name = lb["DNSName"]
    assert name.endswith(".us-east-1.elb.amazonaws.com")
    assert dig(ferry.dns, name, "A") == ["127.0.0.1"]
    rc, ans, _ = udp(ferry.dns, "dualstack." + name, "A")
    assert rc == 0 and ans == [(1, "127.0.0.1")]
    r53 = ferry.client("route53", "dev")
    zone(r53, "lb.example.com", change("CREATE", "www.lb.example.com", "A", AliasTarget={
        "HostedZoneId": lb["CanonicalHostedZoneId"], "DNSName": "dualstack." + name,
        "EvaluateTargetHealth": True}))
    assert dig(ferry.dns, "www.lb.example.com", "A") == ["127.0.0.1"]
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert dig(ferry.dns, name, "A") == []
    assert udp(ferry.dns, "www.lb.example.com", "A")[1] == []
