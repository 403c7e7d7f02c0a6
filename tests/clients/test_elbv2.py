"""Elastic Load Balancing v2 through boto3 and the aws CLI (query protocol): load balancers,
attributes, target groups, targets, listeners with forward / weighted / fixed-response /
redirect actions, rules and priorities, tags, AWS's errors, and health checks performed for
real against a local HTTP server that goes up and down (FERRY_ELBV2_HEALTH_INTERVAL seam)."""
import http.server
import json
import signal
import threading
import time

import pytest
from ferrytest import Ferry, acct, code, message, raises

REGION = "us-east-1"
# the dev account's default VPC in REGION, its first two subnets and default security group
# (set by the elb fixture from EC2)
SUBNETS, VPC, SG = [], None, None


@pytest.fixture(scope="module")
def srv():
    f = Ferry().start(env={"FERRY_ELBV2_HEALTH_INTERVAL": "0.2"})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def elb(srv):
    global SUBNETS, VPC, SG
    ec2 = srv.client("ec2", "dev", region=REGION)
    subs = sorted(ec2.describe_subnets()["Subnets"], key=lambda x: x["AvailabilityZone"])
    SUBNETS[:] = [x["SubnetId"] for x in subs[:2]]
    VPC = subs[0]["VpcId"]
    SG = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    return srv.client("elbv2", "dev", region=REGION)


def mk_lb(elb, name, **kw):
    kw.setdefault("Subnets", SUBNETS)
    return elb.create_load_balancer(Name=name, **kw)["LoadBalancers"][0]


def mk_tg(elb, name, **kw):
    kw.setdefault("Protocol", "HTTP")
    kw.setdefault("Port", 80)
    kw.setdefault("VpcId", VPC)
    return elb.create_target_group(Name=name, **kw)["TargetGroups"][0]


def test_load_balancers(srv, elb):
    dev = acct(srv, "dev")
    lb = mk_lb(elb, "web", SecurityGroups=[SG],
               Tags=[{"Key": "team", "Value": "a"}])
    assert lb["LoadBalancerArn"].startswith(
        f"arn:aws:elasticloadbalancing:{REGION}:{dev}:loadbalancer/app/web/")
    host, _, rest = lb["DNSName"].partition(".")
    assert host.startswith("web-") and host[4:].isdigit() and len(host[4:]) == 10
    assert rest == f"{REGION}.elb.amazonaws.com"
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert lb["State"]["Code"] == "provisioning"
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    assert [z["SubnetId"] for z in lb["AvailabilityZones"]] == SUBNETS
    assert [z["ZoneName"] for z in lb["AvailabilityZones"]] == [f"{REGION}a", f"{REGION}b"]
    assert lb["SecurityGroups"] == [SG]
    assert lb["VpcId"] == VPC

    got = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    assert got["State"]["Code"] == "active" and got["DNSName"] == lb["DNSName"]
    assert elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])[
        "LoadBalancers"][0]["LoadBalancerName"] == "web"
    elb.get_waiter("load_balancer_available").wait(Names=["web"])

    # AWS: the same name and settings answer the existing one; other settings are refused
    again = mk_lb(elb, "web", SecurityGroups=[SG])
    assert again["LoadBalancerArn"] == lb["LoadBalancerArn"]
    raises(lambda: mk_lb(elb, "web", Scheme="internal"), "DuplicateLoadBalancerName",
           "A load balancer with the same name 'web' exists, but with different settings")

    internal = mk_lb(elb, "inner", Scheme="internal")
    assert internal["DNSName"].startswith("internal-inner-")

    raises(lambda: elb.describe_load_balancers(Names=["nope"]), "LoadBalancerNotFound")
    raises(lambda: elb.describe_load_balancers(
        LoadBalancerArns=[lb["LoadBalancerArn"][:-3] + "abc"]), "LoadBalancerNotFound")
    raises(lambda: mk_lb(elb, "one", Subnets=SUBNETS[:1]), "ValidationError",
           "At least two subnets in two different Availability Zones must be specified")
    raises(lambda: mk_lb(elb, "-bad"), "ValidationError")
    raises(lambda: mk_lb(elb, "internal-x"), "ValidationError")
    raises(lambda: mk_lb(elb, "badsub", Subnets=[SUBNETS[0], "subnet-0123456789abcdef0"]),
           "SubnetNotFound", "The subnet ID 'subnet-0123456789abcdef0' is not valid")
    raises(lambda: mk_lb(elb, "twice", Subnets=[SUBNETS[0], SUBNETS[0]]), "ValidationError")
    raises(lambda: mk_lb(elb, "badsg", SecurityGroups=["sg-0123456789abcdef0"]),
           "InvalidSecurityGroup")
    # a security group of another VPC, a subnet of another account
    ec2 = srv.client("ec2", "dev", region=REGION)
    other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    other_sg = ec2.create_security_group(GroupName="o", Description="o",
                                         VpcId=other_vpc)["GroupId"]
    raises(lambda: mk_lb(elb, "badsg", SecurityGroups=[other_sg]), "InvalidConfigurationRequest")
    qa_sub = srv.client("ec2", "qa", region=REGION).describe_subnets()["Subnets"][0]["SubnetId"]
    raises(lambda: mk_lb(elb, "qa", Subnets=[SUBNETS[0], qa_sub]), "SubnetNotFound")
    # another account's security group is not the caller's to attach
    qa_ec2 = srv.client("ec2", "qa", region=REGION)
    qa_sg = qa_ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    raises(lambda: mk_lb(elb, "qasg", SecurityGroups=[qa_sg]), "InvalidSecurityGroup")

    # paging
    names = sorted(x["LoadBalancerName"]
                   for x in elb.describe_load_balancers()["LoadBalancers"])
    assert names == ["inner", "web"]
    p1 = elb.describe_load_balancers(PageSize=1)
    assert len(p1["LoadBalancers"]) == 1 and p1["NextMarker"]
    p2 = elb.describe_load_balancers(PageSize=1, Marker=p1["NextMarker"])
    assert len(p2["LoadBalancers"]) == 1 and "NextMarker" not in p2
    pages = elb.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(p["LoadBalancers"]) for p in pages) == 2

    # attributes, deletion protection
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["deletion_protection.enabled"] == "false"
    assert attrs["idle_timeout.timeout_seconds"] == "60"
    out = elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Attributes=[{"Key": "deletion_protection.enabled", "Value": "true"},
                    {"Key": "idle_timeout.timeout_seconds", "Value": "120"}])
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "120"} in out["Attributes"]
    raises(lambda: elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "nope", "Value": "1"}]),
        "ValidationError")
    raises(lambda: elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"]),
           "OperationNotPermitted")
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])

    # another account sees none of it
    other = srv.client("elbv2", "qa", region=REGION)
    assert other.describe_load_balancers()["LoadBalancers"] == []
    raises(lambda: other.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]]),
           "LoadBalancerNotFound")

    elb.delete_load_balancer(LoadBalancerArn=internal["LoadBalancerArn"])
    elb.delete_load_balancer(LoadBalancerArn=internal["LoadBalancerArn"])  # gone: succeeds
    raises(lambda: elb.describe_load_balancers(Names=["inner"]), "LoadBalancerNotFound")


def test_target_groups(srv, elb):
    tg = mk_tg(elb, "tg-a", Tags=[{"Key": "k", "Value": "v"}])
    assert tg["TargetGroupArn"].split(":")[-1].startswith("targetgroup/tg-a/")
    assert tg["HealthCheckPath"] == "/" and tg["HealthCheckPort"] == "traffic-port"
    assert tg["HealthCheckIntervalSeconds"] == 30 and tg["HealthCheckTimeoutSeconds"] == 5
    assert tg["HealthyThresholdCount"] == 5 and tg["UnhealthyThresholdCount"] == 2
    assert tg["Matcher"] == {"HttpCode": "200"} and tg["TargetType"] == "instance"
    assert tg["LoadBalancerArns"] == [] and tg["ProtocolVersion"] == "HTTP1"
    assert mk_tg(elb, "tg-a")["TargetGroupArn"] == tg["TargetGroupArn"]
    raises(lambda: mk_tg(elb, "tg-a", Port=81), "DuplicateTargetGroupName",
           "A target group with the same name 'tg-a' exists, but with different settings")

    raises(lambda: elb.create_target_group(Name="x", Protocol="HTTP", Port=80),
           "ValidationError", "A VPC ID must be specified")
    raises(lambda: mk_tg(elb, "x", VpcId="vpc-0123456789abcdef0"), "ValidationError",
           "The VPC ID 'vpc-0123456789abcdef0' is not found")
    # another account's VPC (not shared with the caller) is not found either
    qa_vpc = srv.client("ec2", "qa", region=REGION).describe_vpcs()["Vpcs"][0]["VpcId"]
    raises(lambda: mk_tg(elb, "x", VpcId=qa_vpc), "ValidationError",
           f"The VPC ID '{qa_vpc}' is not found")
    raises(lambda: elb.create_target_group(Name="x", Protocol="HTTP", VpcId=VPC),
           "ValidationError", "A port must be specified")
    raises(lambda: elb.create_target_group(Name="x", TargetType="lambda", Port=80),
           "ValidationError")
    raises(lambda: mk_tg(elb, "x", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=5),
           "ValidationError", "Health check timeout '5' must be smaller than the interval '5'")
    lam = elb.create_target_group(Name="fn", TargetType="lambda")["TargetGroups"][0]
    assert "Port" not in lam and lam["HealthCheckEnabled"] is False

    got = elb.describe_target_groups(Names=["tg-a", "fn"])["TargetGroups"]
    assert [g["TargetGroupName"] for g in got] == ["tg-a", "fn"]
    raises(lambda: elb.describe_target_groups(Names=["nope"]), "TargetGroupNotFound")
    raises(lambda: elb.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"] + "0"]),
           "TargetGroupNotFound")

    mod = elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckPath="/ping",
                                  Matcher={"HttpCode": "200-299"},
                                  HealthyThresholdCount=3)["TargetGroups"][0]
    assert mod["HealthCheckPath"] == "/ping" and mod["Matcher"]["HttpCode"] == "200-299"
    assert mod["HealthyThresholdCount"] == 3
    raises(lambda: elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"],
                                           HealthCheckPath="ping"), "ValidationError")

    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "300"
    assert attrs["stickiness.enabled"] == "false"
    elb.modify_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"],
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}])
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "10"

    # targets of type instance; an instance id that is not one is refused
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                         Targets=[{"Id": "i-0123456789abcdef0"}, {"Id": "i-0123456789abcdef1",
                                                                   "Port": 8080}])
    th = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])[
        "TargetHealthDescriptions"]
    assert [(t["Target"]["Id"], t["Target"]["Port"]) for t in th] == [
        ("i-0123456789abcdef0", 80), ("i-0123456789abcdef1", 8080)]
    assert th[0]["TargetHealth"] == {
        "State": "unused", "Reason": "Target.NotInUse",
        "Description": "Target group is not configured to receive traffic from the load balancer"}
    assert th[1]["HealthCheckPort"] == "8080"
    raises(lambda: elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                                        Targets=[{"Id": "10.0.0.1"}]), "InvalidTarget")
    # not in use: deregistered at once
    elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"],
                           Targets=[{"Id": "i-0123456789abcdef1", "Port": 8080}])
    th = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"],
                                    Targets=[{"Id": "i-0123456789abcdef1", "Port": 8080}])
    assert th["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"] == "Target.NotRegistered"
    raises(lambda: elb.deregister_targets(TargetGroupArn=tg["TargetGroupArn"],
                                          Targets=[{"Id": "i-0123456789abcdef9"}]),
           "InvalidTarget")

    elb.delete_target_group(TargetGroupArn=lam["TargetGroupArn"])
    elb.delete_target_group(TargetGroupArn=lam["TargetGroupArn"])  # gone: succeeds
    raises(lambda: elb.describe_target_groups(Names=["fn"]), "TargetGroupNotFound")


def test_listeners_and_rules(elb):
    lb = mk_lb(elb, "rules")
    arn = lb["LoadBalancerArn"]
    a = mk_tg(elb, "blue", TargetType="ip")
    b = mk_tg(elb, "green", TargetType="ip")
    ls = elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                             DefaultActions=[{"Type": "forward",
                                              "TargetGroupArn": a["TargetGroupArn"]}])[
        "Listeners"][0]
    assert ls["ListenerArn"].startswith(arn.replace(":loadbalancer/", ":listener/") + "/")
    act = ls["DefaultActions"][0]
    assert act["TargetGroupArn"] == a["TargetGroupArn"]
    assert act["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": a["TargetGroupArn"],
                                                     "Weight": 1}]
    assert elb.describe_target_groups(Names=["blue"])["TargetGroups"][0][
        "LoadBalancerArns"] == [arn]
    assert [g["TargetGroupName"] for g in elb.describe_target_groups(
        LoadBalancerArn=arn)["TargetGroups"]] == ["blue"]
    raises(lambda: elb.delete_target_group(TargetGroupArn=a["TargetGroupArn"]), "ResourceInUse")

    raises(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                                       DefaultActions=[{"Type": "forward",
                                                        "TargetGroupArn": a["TargetGroupArn"]}]),
           "DuplicateListener")
    raises(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol="TCP", Port=81,
                                       DefaultActions=[{"Type": "forward",
                                                        "TargetGroupArn": a["TargetGroupArn"]}]),
           "UnsupportedProtocol")
    raises(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=82,
                                       DefaultActions=[{"Type": "forward",
                                                        "TargetGroupArn": a["TargetGroupArn"]
                                                        + "0"}]),
           "TargetGroupNotFound")
    raises(lambda: elb.create_listener(LoadBalancerArn=arn + "0", Protocol="HTTP", Port=83,
                                       DefaultActions=[{"Type": "fixed-response",
                                                        "FixedResponseConfig": {
                                                            "StatusCode": "200"}}]),
           "LoadBalancerNotFound")

    fixed = elb.create_listener(
        LoadBalancerArn=arn, Protocol="HTTP", Port=8080,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "nothing"}}])[
        "Listeners"][0]
    redirect = elb.create_listener(
        LoadBalancerArn=arn, Protocol="HTTP", Port=8081,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": {
            "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])["Listeners"][0]
    assert redirect["DefaultActions"][0]["RedirectConfig"] == {
        "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
        "Query": "#{query}", "StatusCode": "HTTP_301"}
    raises(lambda: elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=8082,
                                       DefaultActions=[{"Type": "fixed-response",
                                                        "FixedResponseConfig": {
                                                            "StatusCode": "302"}}]),
           "ValidationError")
    got = elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    assert sorted(x["Port"] for x in got) == [80, 8080, 8081]
    assert elb.describe_listeners(ListenerArns=[fixed["ListenerArn"]])["Listeners"][0][
        "DefaultActions"][0]["FixedResponseConfig"]["MessageBody"] == "nothing"

    # weighted forward, then rules
    mod = elb.modify_listener(ListenerArn=ls["ListenerArn"], DefaultActions=[{
        "Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": a["TargetGroupArn"], "Weight": 80},
            {"TargetGroupArn": b["TargetGroupArn"], "Weight": 20}]}}])["Listeners"][0]
    fc = mod["DefaultActions"][0]
    assert "TargetGroupArn" not in fc
    assert [g["Weight"] for g in fc["ForwardConfig"]["TargetGroups"]] == [80, 20]
    raises(lambda: elb.modify_listener(ListenerArn=ls["ListenerArn"], Port=8080),
           "DuplicateListener")

    r1 = elb.create_rule(ListenerArn=ls["ListenerArn"], Priority=10, Conditions=[
        {"Field": "path-pattern", "Values": ["/api/*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": b["TargetGroupArn"]}])["Rules"][0]
    assert r1["Priority"] == "10" and r1["IsDefault"] is False
    assert r1["Conditions"][0]["PathPatternConfig"] == {"Values": ["/api/*"]}
    r2 = elb.create_rule(ListenerArn=ls["ListenerArn"], Priority=5, Conditions=[
        {"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Cell",
                                                      "Values": ["2"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}])[
        "Rules"][0]
    raises(lambda: elb.create_rule(ListenerArn=ls["ListenerArn"], Priority=10, Conditions=[
        {"Field": "path-pattern", "Values": ["/x"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": b["TargetGroupArn"]}]), "PriorityInUse",
        "Priority '10' is currently in use")
    raises(lambda: elb.create_rule(ListenerArn=ls["ListenerArn"], Priority=11, Conditions=[
        {"Field": "cookie", "Values": ["/x"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": b["TargetGroupArn"]}]), "ValidationError")
    raises(lambda: elb.create_rule(ListenerArn=ls["ListenerArn"], Priority=12, Conditions=[
        {"Field": "http-header", "HttpHeaderConfig": {"Values": ["x"]}}], Actions=[
        {"Type": "forward", "TargetGroupArn": b["TargetGroupArn"]}]), "ValidationError")
    raises(lambda: elb.create_rule(ListenerArn=ls["ListenerArn"] + "0", Priority=13, Conditions=[
        {"Field": "path-pattern", "Values": ["/x"]}], Actions=[
        {"Type": "forward", "TargetGroupArn": b["TargetGroupArn"]}]), "ListenerNotFound")

    rules = elb.describe_rules(ListenerArn=ls["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["5", "10", "default"]
    default = rules[-1]
    assert default["IsDefault"] is True and default["Conditions"] == []
    assert default["Actions"] == mod["DefaultActions"]
    assert elb.describe_rules(RuleArns=[r2["RuleArn"]])["Rules"][0]["Conditions"][1][
        "HttpHeaderConfig"] == {"HttpHeaderName": "X-Cell", "Values": ["2"]}

    raises(lambda: elb.set_rule_priorities(RulePriorities=[
        {"RuleArn": r1["RuleArn"], "Priority": 5}]), "PriorityInUse")
    assert elb.describe_rules(RuleArns=[r1["RuleArn"]])["Rules"][0]["Priority"] == "10"
    out = elb.set_rule_priorities(RulePriorities=[{"RuleArn": r1["RuleArn"], "Priority": 5},
                                                  {"RuleArn": r2["RuleArn"], "Priority": 10}])
    assert {r["RuleArn"]: r["Priority"] for r in out["Rules"]} == {r1["RuleArn"]: "5",
                                                                    r2["RuleArn"]: "10"}
    raises(lambda: elb.set_rule_priorities(RulePriorities=[
        {"RuleArn": default["RuleArn"], "Priority": 1}]), "OperationNotPermitted")

    m = elb.modify_rule(RuleArn=r1["RuleArn"], Conditions=[
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/v2/*"]}}])["Rules"][0]
    assert m["Conditions"][0]["Values"] == ["/v2/*"]
    md = elb.modify_rule(RuleArn=default["RuleArn"], Actions=[
        {"Type": "forward", "TargetGroupArn": b["TargetGroupArn"]}])["Rules"][0]
    assert md["IsDefault"] is True
    assert elb.describe_listeners(ListenerArns=[ls["ListenerArn"]])["Listeners"][0][
        "DefaultActions"][0]["TargetGroupArn"] == b["TargetGroupArn"]
    raises(lambda: elb.delete_rule(RuleArn=default["RuleArn"]), "OperationNotPermitted")
    elb.delete_rule(RuleArn=r2["RuleArn"])
    raises(lambda: elb.delete_rule(RuleArn=r2["RuleArn"]), "RuleNotFound")

    elb.delete_listener(ListenerArn=fixed["ListenerArn"])
    raises(lambda: elb.describe_listeners(ListenerArns=[fixed["ListenerArn"]]),
           "ListenerNotFound")
    # deleting the load balancer deletes its listeners and rules; its groups are free
    elb.delete_load_balancer(LoadBalancerArn=arn)
    raises(lambda: elb.describe_rules(RuleArns=[r1["RuleArn"]]), "RuleNotFound")
    raises(lambda: elb.describe_listeners(ListenerArns=[ls["ListenerArn"]]), "ListenerNotFound")
    elb.delete_target_group(TargetGroupArn=a["TargetGroupArn"])
    elb.delete_target_group(TargetGroupArn=b["TargetGroupArn"])


def test_tags(elb):
    lb = mk_lb(elb, "tagged", Tags=[{"Key": "a", "Value": "1"}])
    tg = mk_tg(elb, "tagged")
    arns = [lb["LoadBalancerArn"], tg["TargetGroupArn"]]
    elb.add_tags(ResourceArns=arns, Tags=[{"Key": "b", "Value": "2"}])
    got = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]}
           for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"]}
    assert got == {arns[0]: {"a": "1", "b": "2"}, arns[1]: {"b": "2"}}
    elb.remove_tags(ResourceArns=arns, TagKeys=["a", "b"])
    assert all(d["Tags"] == [] for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"])
    raises(lambda: elb.add_tags(ResourceArns=arns, Tags=[{"Key": f"k{i}", "Value": "v"}
                                                        for i in range(51)]), "TooManyTags")
    raises(lambda: elb.describe_tags(ResourceArns=[arns[0] + "0"]), "LoadBalancerNotFound")
    raises(lambda: elb.describe_tags(ResourceArns=[arns[1] + "0"]), "TargetGroupNotFound")
    ls = elb.create_listener(LoadBalancerArn=arns[0], Protocol="HTTP", Port=80,
                             DefaultActions=[{"Type": "forward",
                                              "TargetGroupArn": arns[1]}],
                             Tags=[{"Key": "l", "Value": "1"}])["Listeners"][0]
    assert elb.describe_tags(ResourceArns=[ls["ListenerArn"]])["TagDescriptions"][0][
        "Tags"] == [{"Key": "l", "Value": "1"}]
    elb.delete_load_balancer(LoadBalancerArn=arns[0])
    elb.delete_target_group(TargetGroupArn=arns[1])


class Backend:
    """A local HTTP server whose health answer the test sets (200, 500) or that is stopped."""

    def __init__(self):
        self.status = 200
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"ok" if outer.status == 200 else b"sick"
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_state(elb, tg_arn, target, want, timeout=15):
    deadline = time.time() + timeout
    while True:
        h = elb.describe_target_health(TargetGroupArn=tg_arn, Targets=[target])[
            "TargetHealthDescriptions"][0]["TargetHealth"]
        if h["State"] == want:
            return h
        if time.time() > deadline:
            raise AssertionError(f"target stayed {h} (wanted {want})")
        time.sleep(0.1)


def test_health_checks(elb):
    up = Backend()
    try:
        lb = mk_lb(elb, "health")
        tg = mk_tg(elb, "health", TargetType="ip", Port=up.port, HealthCheckPath="/health",
                   HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                   HealthyThresholdCount=2, UnhealthyThresholdCount=2)
        arn = tg["TargetGroupArn"]
        target = {"Id": "127.0.0.1", "Port": up.port}
        elb.register_targets(TargetGroupArn=arn, Targets=[target])
        assert wait_state(elb, arn, target, "unused")["Reason"] == "Target.NotInUse"
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
        h = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"][0]
        assert h["TargetHealth"]["State"] in ("initial", "healthy")
        assert h["HealthCheckPort"] == str(up.port)
        wait_state(elb, arn, target, "healthy")
        elb.get_waiter("target_in_service").wait(TargetGroupArn=arn, Targets=[target])

        up.status = 500
        h = wait_state(elb, arn, target, "unhealthy")
        assert h == {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch",
                     "Description": "Health checks failed with these codes: [500]"}
        up.status = 200
        wait_state(elb, arn, target, "healthy")
        # a matcher that wants 500 makes the healthy answer a failure
        elb.modify_target_group(TargetGroupArn=arn, Matcher={"HttpCode": "500"})
        wait_state(elb, arn, target, "unhealthy")
        elb.modify_target_group(TargetGroupArn=arn, Matcher={"HttpCode": "200-299"})
        wait_state(elb, arn, target, "healthy")

        up.stop()
        h = wait_state(elb, arn, target, "unhealthy")
        assert h["Reason"] == "Target.FailedHealthChecks"

        # deregistration drains for the group's delay, then the target is gone
        elb.modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "1"}])
        elb.deregister_targets(TargetGroupArn=arn, Targets=[target])
        h = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"][0]
        assert h["TargetHealth"]["State"] == "draining"
        assert h["TargetHealth"]["Reason"] == "Target.DeregistrationInProgress"
        deadline = time.time() + 10
        while elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]:
            assert time.time() < deadline
            time.sleep(0.1)
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    finally:
        try:
            up.stop()
        except Exception:
            pass


def test_cli(srv, elb):
    tg = srv.aws("elbv2", "create-target-group", "--name", "cli-tg", "--protocol", "HTTP",
                 "--port", "8080", "--vpc-id", VPC, "--target-type", "ip", profile="dev",
                 region=REGION).json["TargetGroups"][0]
    assert tg["TargetGroupName"] == "cli-tg" and tg["TargetType"] == "ip"
    lb = srv.aws("elbv2", "create-load-balancer", "--name", "cli-lb", "--subnets", *SUBNETS,
                 profile="dev", region=REGION).json["LoadBalancers"][0]
    assert lb["DNSName"].startswith("cli-lb-")
    r = srv.aws("elbv2", "describe-load-balancers", "--names", "missing", profile="dev",
                region=REGION, check=False)
    assert r.returncode != 0 and "LoadBalancerNotFound" in r.stderr


def test_survives_kill(srv, elb):
    lb = mk_lb(elb, "durable")
    tg = mk_tg(elb, "durable", TargetType="ip")
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                         Targets=[{"Id": "127.0.0.1", "Port": 9}])
    srv.stop(signal.SIGKILL)
    srv.start(env={"FERRY_ELBV2_HEALTH_INTERVAL": "0.2"})
    elb2 = srv.client("elbv2", "dev", region=REGION)
    assert elb2.describe_load_balancers(Names=["durable"])["LoadBalancers"][0][
        "LoadBalancerArn"] == lb["LoadBalancerArn"]
    th = elb2.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
    assert th["TargetHealthDescriptions"][0]["Target"] == {"Id": "127.0.0.1", "Port": 9}
