"""Seed 004 (multi-account service discovery with App Mesh), end to end, as its README runs it:
`aws ram enable-sharing-with-aws-organization`, then its 15 `aws cloudformation deploy
--no-fail-on-empty-changeset` commands in order across two profiles (acct1-domain1,
acct2-domain2) with the seed's --parameter-overrides and lookups (`describe-stacks --query`,
`ec2 describe-vpcs --filters Name=owner-id,...`, `servicediscovery list-namespaces --query`),
and between them the seed's CLI steps a-g: account 2's private DNS namespace
internal-Domain2.com, its hosted zone associated with account 1's shared VPC through a
cross-account authorization, `get-change` until INSYNC. Templates: examples/seed004.

ECS runs no containers, so the scenario starts the cells itself: small local HTTP servers
answering as the seed's Flask apps do ("You have hit Domain-1-Service-A-Cell-1 ..."), A's and
B's calling their backend virtual service through the mesh (ferry's HAProxy data plane, by
the virtual service's name as Host), each registered in its Cloud Map service as an ECS task
would be (`register-instance` with AWS_INSTANCE_IPV4/AWS_INSTANCE_PORT). Then the figures:
`dig` answers Domain2-ServiceX-Cell1.internal-Domain2.com at account 1's VPC resolver and not
at an unassociated VPC's; A -> B -> X over HTTP through the mesh; 1,000 requests split 50/50
between X's cells; the seed's `appmesh update-route --cli-input-json` (meshOwner filled in)
moves them 0/100; the virtual gateway of step 11 serves /servicea, /serviceb, /servicex.

Run with -s to follow the steps."""
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from ferrytest import AWS_BIN, Ferry

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TPL = os.path.join(ROOT, "examples", "seed004")
R = "us-east-1"
A1, A2 = "acct1-domain1", "acct2-domain2"
N = 1000

ORG = """
management: {name: acct1-domain1, email: acct1@example.com}
accounts:
  - {name: acct2-domain2, email: acct2@example.com}
region: us-east-1
"""


def step(msg):
    print(f"[seed004 {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---- the cells: what the seed's Flask apps do ------------------------------------------------

class Cell(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        s = self.server
        if self.path == "/ping":
            body = b"pong"
        else:
            text = f"You have hit {s.cell} from node {socket.gethostname()}"
            if s.backend:  # A calls B, B calls X: by the virtual service's name, through the mesh
                try:
                    text += " | " + mesh_get(s.mesh["port"], s.backend)
                except Exception as e:  # the caller sees what failed, as the Flask app would
                    text += f" | {s.backend} failed: {e}"
            body = text.encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def mesh_get(port, host, path="/"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


@pytest.fixture(scope="module")
def cells():
    mesh = {}  # the mesh listener's port, known once the mesh exists
    backends = {"A": "serviceb.internal-Domain1.com", "B": "servicex.internal-Domain2.com", "X": None}
    out = {}
    for dom, svc in (("1", "A"), ("1", "B"), ("2", "X")):
        for cell in (1, 2):
            s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Cell)
            s.daemon_threads = True
            s.cell = f"Domain-{dom}-Service-{svc}-Cell-{cell}"
            s.backend, s.mesh = backends[svc], mesh
            threading.Thread(target=s.serve_forever, daemon=True).start()
            out[s.cell] = s
    yield out, mesh
    for s in out.values():
        s.shutdown()
        s.server_close()


@pytest.fixture(scope="module")
def org():
    f = Ferry(config=ORG, extra=["--dns", "127.0.0.1:0"]).start(env={
        "FERRY_ROUTE53_SYNC_SECONDS": "0.3", "FERRY_SERVICEDISCOVERY_OPERATION_SECONDS": "0.3",
        "FERRY_ELBV2_HEALTH_INTERVAL": "0.2"})
    f.init()
    yield f
    f.close()


# ---- the CLI as the seed uses it -------------------------------------------------------------

def aws(f, profile, *args, check=True):
    cmd = [AWS_BIN, "--endpoint-url", f.endpoint, "--profile", profile, "--region", R] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, env=f.env(), timeout=120)
    if check:
        assert r.returncode == 0, f"{' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


def text(f, profile, *args):
    return aws(f, profile, *args, "--output", "text").stdout.strip()


def deploy(f, profile, stack, tpl, *overrides, caps="CAPABILITY_IAM"):
    step(f"deploy {stack} ({tpl}) as {profile}")
    args = ["cloudformation", "deploy", "--no-fail-on-empty-changeset", "--stack-name", stack,
            "--template-file", os.path.join(TPL, tpl)]
    if overrides:
        args += ["--parameter-overrides", *overrides]
    args += ["--capabilities", caps]
    r = aws(f, profile, *args, check=False)
    if r.returncode:
        ev = aws(f, profile, "cloudformation", "describe-stack-events", "--stack-name", stack, "--query",
                 "StackEvents[?contains(ResourceStatus, 'FAILED')].[LogicalResourceId,ResourceStatusReason]",
                 "--output", "text", check=False)
        raise AssertionError(f"deploy {stack}: {r.stdout}\n{r.stderr}\n{ev.stdout}")
    return r


def output(f, profile, stack, key):
    # the seed's own query, equals-sign form included
    r = aws(f, profile, "cloudformation", "describe-stacks", f"--stack-name={stack}",
            f"--query=Stacks[0].Outputs[?OutputKey=='{key}'].OutputValue", "--output=text")
    return r.stdout.strip()


def until(what, fn, timeout=20, every=0.1):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.time() < deadline, f"{what}: not within {timeout} s"
        time.sleep(every)


def register(f, profile, stack, cell):
    """What ECS would do when the cell's task starts: its address in the cell's Cloud Map
    service (the seed's templates name the service in ServiceRegistries)."""
    sid = output(f, profile, stack, "CloudMapServiceId")
    port = cell.server_address[1]
    op = text(f, profile, "servicediscovery", "register-instance", "--service-id", sid,
              "--instance-id", f"{cell.cell}-task", "--attributes",
              f"AWS_INSTANCE_IPV4=127.0.0.1,AWS_INSTANCE_PORT={port}", "--query", "OperationId")
    until(f"register {cell.cell}", lambda: text(f, profile, "servicediscovery", "get-operation",
                                                 "--operation-id", op, "--query", "Operation.Status")
          == "SUCCESS")
    step(f"  {cell.cell} listens on 127.0.0.1:{port}, registered in Cloud Map service {sid}")


def dig(addr, port, name):
    r = subprocess.run(["dig", "@" + addr, "-p", str(port), "+time=2", "+tries=1", name],
                       capture_output=True, text=True, timeout=10)
    status = re.search(r"status: (\w+)", r.stdout)
    answers = [l.split()[-1] for l in r.stdout.split("\n") if l and not l.startswith(";")
               and "\tIN\tA\t" in l.replace(" ", "\t")]
    return (status.group(1) if status else r.stdout + r.stderr), answers


def resolvers(f):
    info = json.loads(urllib.request.urlopen(f.endpoint + "/_ferry/dns").read())
    return {r["VpcId"]: (r["Address"], r["Port"]) for r in info["Resolvers"]}


def mesh_endpoint(f, kind, name):
    def find():
        st, _, body = f.http("GET", "/_ferry/mesh")
        assert st == 200, body
        for ep in json.loads(body)["endpoints"]:
            if ep["kind"] == kind and ep["name"] == name:
                return ep
        return None
    return until(f"{kind} {name} in /_ferry/mesh", find)


def hit(port, path):
    """The service's page through a proxy on port, or None while the proxy answers an HTTP
    error: a listener is up before the routes behind it are applied."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            body = r.read().decode()
    except urllib.error.HTTPError:
        return None
    return body if "You have hit" in body else None


def who(body, svc):
    m = re.search(rf"You have hit (Domain-\d-Service-{svc}-Cell-\d)", body)
    return m.group(1) if m else body


def split(port, host, n, path="/"):
    counts = {}
    for _ in range(n):
        c = who(mesh_get(port, host, path), "X")
        counts[c] = counts.get(c, 0) + 1
    return counts


def route_change(f, tmp_path, name, owner):
    """The seed's AppMesh-Router-*-config-change.json with meshOwner filled in, as its README
    tells the reader to."""
    doc = json.load(open(os.path.join(TPL, name)))
    doc["meshOwner"] = owner
    p = tmp_path / name
    p.write_text(json.dumps(doc, indent=4))
    return f"file://{p}"


# ---- the scenario ----------------------------------------------------------------------------

DONE = {}  # what the end-to-end test leaves for the load balancers' test


def test_seed004_end_to_end(org, cells, tmp_path):
    cell, mesh = cells
    f = org
    a1 = text(f, A1, "sts", "get-caller-identity", "--query", "Account")
    a2 = text(f, A2, "sts", "get-caller-identity", "--query", "Account")
    assert a1 != a2 and len(a1) == 12
    step(f"account 1 (acct1-domain1) is {a1}, account 2 (acct2-domain2) is {a2}")

    step("aws ram enable-sharing-with-aws-organization (management account)")
    assert text(f, A1, "ram", "enable-sharing-with-aws-organization", "--query", "returnValue") == "True"

    deploy(f, A1, "appmesh-vpc-subnet-infra", "1_infra_account_1.yaml")
    vpc = output(f, A1, "appmesh-vpc-subnet-infra", "VPC")
    assert vpc.startswith("vpc-")
    deploy(f, A1, "appmesh-resources-account-1", "2_appmesh_resources.yaml", f"MeshOwner={a1}")
    deploy(f, A1, "mesh-and-vpc-share", "3_mesh_and_vpc_share.yaml", f"Account2AccountId={a2}")
    deploy(f, A1, "common-infra-account-1", "4_common_infra_account_1.yaml", caps="CAPABILITY_NAMED_IAM")
    deploy(f, A1, "ALB-for-Service-A", "5_ALB-for-Service-A.yaml")
    for stack, tpl in (("Domain-1-Service-B-Cell-1", "7a_Domain-1-Service-B-Cell-1.yaml"),
                       ("Domain-1-Service-B-Cell-2", "7b_Domain-1-Service-B-Cell-2.yaml"),
                       ("Domain-1-Service-A-Cell-1", "6a_Domain-1-Service-A-Cell-1.yaml"),
                       ("Domain-1-Service-A-Cell-2", "6b_Domain-1-Service-A-Cell-2.yaml")):
        deploy(f, A1, stack, tpl, f"MeshOwner={a1}")
        register(f, A1, stack, cell[stack])

    # step 8's VPC is what account 2 sees of account 1's VPCs: the one shared through RAM
    shared = text(f, A2, "ec2", "describe-vpcs", "--filters", f"Name=owner-id,Values={a1}",
                  "--query", "Vpcs[*].VpcId")
    assert shared == vpc, shared
    deploy(f, A2, "common-infra-account-2", "8_common_infra_account_2.yaml", f"MeshOwner={a1}", f"VPC={shared}",
           caps="CAPABILITY_NAMED_IAM")
    deploy(f, A2, "appmesh-resources-account-2", "9_appmesh_resources_account_2.yaml", f"MeshOwner={a1}")

    step("a. account 2's own VPC (describe-vpcs --filters Name=owner-id,Values=<account 2>)")
    own = text(f, A2, "ec2", "describe-vpcs", "--filters", f"Name=owner-id,Values={a2}",
               "--query", "Vpcs[*].VpcId").split()
    if not own:
        own = [text(f, A2, "ec2", "create-vpc", "--cidr-block", "192.168.0.0/28", "--query", "Vpc.VpcId")]
    own = own[0]
    step(f"b. create-private-dns-namespace internal-Domain2.com --vpc {own}, get-operation until SUCCESS")
    op = text(f, A2, "servicediscovery", "create-private-dns-namespace", "--name", "internal-Domain2.com",
              "--vpc", own, "--query", "OperationId")
    until("namespace operation", lambda: text(f, A2, "servicediscovery", "get-operation", "--operation-id", op,
                                              "--query", "Operation.Status") == "SUCCESS", every=0.3)
    step("c. list-namespaces: the namespace's hosted zone")
    zone = text(f, A2, "servicediscovery", "list-namespaces", "--query",
                "Namespaces[?Name == 'internal-Domain2.com'].Properties.DnsProperties.HostedZoneId")
    assert re.fullmatch(r"Z[0-9A-Z]+", zone), zone
    step("d. describe-vpcs --filters Name=owner-id,Values=<account 1>: the shared VPC")
    assert text(f, A2, "ec2", "describe-vpcs", "--filters", f"Name=owner-id,Values={a1}",
                "--query", "Vpcs[*].VpcId") == vpc
    step(f"e. create-vpc-association-authorization {zone} -> {vpc} (account 2)")
    aws(f, A2, "route53", "create-vpc-association-authorization", "--hosted-zone-id", zone,
        "--vpc", f"VPCRegion={R},VPCId={vpc}", "--region", R)
    step("f. associate-vpc-with-hosted-zone (account 1)")
    change = text(f, A1, "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", zone,
                  "--vpc", f"VPCRegion={R},VPCId={vpc}", "--region", R, "--query", "ChangeInfo.Id")
    assert change.startswith("/change/C"), change
    step(f"g. get-change {change} until INSYNC (account 2)")
    until("INSYNC", lambda: text(f, A2, "route53", "get-change", "--id", change, "--region", R,
                                 "--query", "ChangeInfo.Status") == "INSYNC", every=0.3)

    ns = text(f, A2, "servicediscovery", "list-namespaces", "--query",
              "Namespaces[?Name == 'internal-Domain2.com'].Id")
    assert ns.startswith("ns-"), ns
    subnets = [output(f, A1, "appmesh-vpc-subnet-infra", k) for k in ("PrivateSubnet1", "PrivateSubnet2")]
    x = [f"MeshOwner={a1}", f"VPC={vpc}", f"PrivateSubnet1={subnets[0]}", f"PrivateSubnet2={subnets[1]}",
         f"NameSpaceId2={ns}"]
    deploy(f, A2, "Domain-2-Service-X-Cell-1", "10a_Domain-2-Service-X-Cell-1.yaml", *x)
    register(f, A2, "Domain-2-Service-X-Cell-1", cell["Domain-2-Service-X-Cell-1"])
    deploy(f, A2, "Domain-2-Service-X-Cell-2", "10b_Domain-2-Service-X-Cell-2.yaml", *x)
    register(f, A2, "Domain-2-Service-X-Cell-2", cell["Domain-2-Service-X-Cell-2"])
    assert output(f, A2, "Domain-2-Service-X-Cell-1", "Placement") == f"{vpc},{subnets[0]},{subnets[1]}"

    # -- figure: account 2's name answered at account 1's VPC resolver, and only where associated
    name = "Domain2-ServiceX-Cell1.internal-Domain2.com"
    other = text(f, A1, "ec2", "create-vpc", "--cidr-block", "10.77.0.0/16", "--query", "Vpc.VpcId")
    res = until("resolvers listed", lambda: (lambda r: r if vpc in r and other in r else None)(resolvers(f)))
    addr, port = res[vpc]
    step(f"dig @{addr} -p {port} {name} (account 1's VPC {vpc})")
    got = until("the name in account 1's VPC", lambda: (lambda d: d if d[1] else None)(dig(addr, port, name)))
    step(f"  {got[0]}: {got[1]}")
    assert got == ("NOERROR", ["127.0.0.1"]), got
    assert dig(*res[own], name) == ("NOERROR", ["127.0.0.1"])  # account 2's own VPC, the namespace's
    unassoc = dig(*res[other], name)
    step(f"dig @{res[other][0]} (unassociated VPC {other}): {unassoc[0]}")
    assert unassoc[1] == [] and unassoc[0] in ("REFUSED", "NXDOMAIN"), unassoc

    # -- figure: A -> B -> X over HTTP through the mesh
    mesh.update(mesh_endpoint(f, "mesh", "appmesh-mesh"))
    step(f"the mesh's listener is 127.0.0.1:{mesh['port']} (HAProxy; virtual services by Host)")
    xs = "servicex.internal-Domain2.com"
    until("X's cells behind the mesh", lambda: len(split(mesh["port"], xs, 20)) == 2, timeout=10)
    for a in ("Domain-1-Service-A-Cell-1", "Domain-1-Service-A-Cell-2"):
        # the ALB of step 5 would hand the request to A's cell: ask the cell directly
        body = urllib.request.urlopen(f"http://127.0.0.1:{cell[a].server_address[1]}/", timeout=10).read().decode()
        chain = [who(body, s) for s in "ABX"]
        step(f"  A -> B -> X: {' -> '.join(chain)}")
        assert chain[0] == a and chain[1].startswith("Domain-1-Service-B-Cell-") and \
            chain[2].startswith("Domain-2-Service-X-Cell-"), body

    # -- figure: the weights, 50/50, then the seed's update-route, 0/100
    c = split(mesh["port"], xs, N)
    step(f"{N} requests to {xs} through the mesh: {c}")
    assert set(c) == {"Domain-2-Service-X-Cell-1", "Domain-2-Service-X-Cell-2"}, c
    assert abs(c["Domain-2-Service-X-Cell-1"] - N / 2) <= N * 0.05, c
    step("aws appmesh update-route --cli-input-json file://AppMesh-Router-B-config-change.json (account 1)")
    aws(f, A1, "appmesh", "update-route", "--cli-input-json",
        route_change(f, tmp_path, "AppMesh-Router-B-config-change.json", a1))
    step("aws appmesh update-route --cli-input-json file://AppMesh-Router-X-config-change.json (account 2)")
    aws(f, A2, "appmesh", "update-route", "--cli-input-json",
        route_change(f, tmp_path, "AppMesh-Router-X-config-change.json", a1))
    until("the new weights", lambda: split(mesh["port"], xs, 10) == {"Domain-2-Service-X-Cell-2": 10}, timeout=10)
    c = split(mesh["port"], xs, N)
    step(f"{N} requests to {xs} after the change: {c}")
    assert c == {"Domain-2-Service-X-Cell-2": N}, c
    body = urllib.request.urlopen(
        f"http://127.0.0.1:{cell['Domain-1-Service-A-Cell-1'].server_address[1]}/", timeout=10).read().decode()
    assert [who(body, s) for s in "BX"] == ["Domain-1-Service-B-Cell-2", "Domain-2-Service-X-Cell-2"], body

    # -- the last, optional step: the virtual gateway and its front end
    deploy(f, A1, "AppMesh-Virtual-Gateway-resources", "11_Virtual-Gateway-AppMesh-resources.yaml", f"MeshOwner={a1}")
    deploy(f, A1, "Virtual-Gateway-Load-Balancer", "12_FrontEnd-ECS-Task-and-Service-for-Virtual-Gateway.yaml")
    gw = mesh_endpoint(f, "virtualGateway", "frontend-gateway")
    DONE["gateway"] = gw
    step(f"the virtual gateway frontend-gateway listens on 127.0.0.1:{gw['port']}")
    for path, svc in (("/servicea", "A"), ("/serviceb", "B"), ("/servicex", "X")):
        body = until(f"{path} through the gateway", lambda: hit(gw["port"], path))
        chain = [who(body, s) for s in "ABX"["ABX".index(svc):]]
        step(f"  GET {path}: {' -> '.join(chain)}")
        assert chain[0].startswith(f"Domain-") and f"Service-{svc}-" in chain[0], body
        assert chain[-1] == "Domain-2-Service-X-Cell-2", body

    # every stack is complete, in its account
    for profile, n in ((A1, 11), (A2, 4)):
        r = text(f, profile, "cloudformation", "list-stacks", "--stack-status-filter", "CREATE_COMPLETE",
                 "--query", "StackSummaries[].StackName")
        assert len(r.split()) == n, r
    assert output(f, A1, "ALB-for-Service-A", "ALBDNS").endswith(".us-east-1.elb.amazonaws.com")
    # account 2 does not see account 1's stacks
    r = aws(f, A2, "cloudformation", "describe-stacks", "--stack-name", "appmesh-vpc-subnet-infra", check=False)
    assert r.returncode != 0 and "Stack with id appmesh-vpc-subnet-infra does not exist" in r.stderr
    # re-running a deploy with nothing changed succeeds (--no-fail-on-empty-changeset)
    r = deploy(f, A1, "appmesh-vpc-subnet-infra", "1_infra_account_1.yaml")
    assert "No changes to deploy" in r.stdout
    r = deploy(f, A2, "Domain-2-Service-X-Cell-1", "10a_Domain-2-Service-X-Cell-1.yaml", *x)
    assert "No changes to deploy" in r.stdout
    # named IAM roles need CAPABILITY_NAMED_IAM, as in the seed
    r = aws(f, A1, "cloudformation", "deploy", "--stack-name", "named-check", "--template-file",
            os.path.join(TPL, "4_common_infra_account_1.yaml"), "--capabilities", "CAPABILITY_IAM", check=False)
    assert r.returncode != 0 and "Requires capabilities : [CAPABILITY_NAMED_IAM]" in r.stderr
    step("seed 004 ran end to end")


def elb_listener(f, lb_arn):
    return f.view_item("elb", "listeners", lambda ls: ls["loadBalancerArn"] == lb_arn and ls["port"] == 80, 20, poll=0.1)


def register_target(f, tg, port):
    """What the ECS service's LoadBalancers would do for its task: an ip target."""
    aws(f, A1, "elbv2", "register-targets", "--target-group-arn", tg, "--targets", f"Id=127.0.0.1,Port={port}")


def test_seed004_load_balancers(org, cells):
    """The seed's last words: "grab the ALB DNS from the output of ALB-for-Service-A and test",
    then the front-end load balancer of step 12 with /servicea, /serviceb, /servicex. Needs
    ELBv2's data plane (GET /_ferry/elb)."""
    f = org
    cell, _ = cells
    if "gateway" not in DONE:
        pytest.skip("the end-to-end test did not get to the virtual gateway")
    if f.http("GET", "/_ferry/elb")[0] != 200:
        pytest.skip("ELBv2 serves no traffic in this tree yet (no GET /_ferry/elb)")
    # step 5's ALB: A's cells are its targets, one target group each
    for n in (1, 2):
        tg = output(f, A1, "ALB-for-Service-A", f"TargetGroupCell{n}")
        register_target(f, tg, cell[f"Domain-1-Service-A-Cell-{n}"].server_address[1])
    dns = output(f, A1, "ALB-for-Service-A", "ALBDNS")
    arn = text(f, A1, "elbv2", "describe-load-balancers", "--names", "ALB-for-Service-A",
               "--query", "LoadBalancers[0].LoadBalancerArn")
    ls = elb_listener(f, arn)
    assert ls["dnsName"] == dns
    step(f"ALB {dns} listens on 127.0.0.1:{ls['proxyPort']}")

    seen = set()
    for _ in range(40):
        body = until("A through the ALB", lambda: hit(ls["proxyPort"], "/"))
        chain = [who(body, s) for s in "ABX"]
        assert chain[1:] == ["Domain-1-Service-B-Cell-2", "Domain-2-Service-X-Cell-2"], body
        seen.add(chain[0])
    step(f"  GET / through the ALB: A's cells {sorted(seen)}, each -> B-Cell-2 -> X-Cell-2")
    assert seen == {"Domain-1-Service-A-Cell-1", "Domain-1-Service-A-Cell-2"}
    body = until("/cell2/ rule", lambda: hit(ls["proxyPort"], "/cell2/x"))
    assert who(body, "A") == "Domain-1-Service-A-Cell-2", body

    # step 12's front-end load balancer: its target is the gateway's Envoy task (here the
    # virtual gateway's listener)
    tg = text(f, A1, "elbv2", "describe-target-groups", "--names", "virtual-gateway",
              "--query", "TargetGroups[0].TargetGroupArn")
    register_target(f, tg, DONE["gateway"]["port"])
    arn = text(f, A1, "elbv2", "describe-load-balancers", "--names", "Virtual-Gateway-LB",
               "--query", "LoadBalancers[0].LoadBalancerArn")
    fe = elb_listener(f, arn)
    assert fe["dnsName"] == output(f, A1, "Virtual-Gateway-Load-Balancer", "FrontEndDNS")
    for path, svc in (("/servicea", "A"), ("/serviceb", "B"), ("/servicex", "X")):
        body = until(f"{path} through the front end", lambda: hit(fe["proxyPort"], path))
        chain = [who(body, s) for s in "ABX"["ABX".index(svc):]]
        step(f"  GET {fe['dnsName']}{path}: {' -> '.join(chain)}")
        assert f"Service-{svc}-" in chain[0] and chain[-1] == "Domain-2-Service-X-Cell-2", body
