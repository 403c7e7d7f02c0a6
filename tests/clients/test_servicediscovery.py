"""AWS Cloud Map through boto3 and Debian's awscli (json 1.1): HTTP, private and public DNS
namespaces and their asynchronous operations (SUBMITTED -> PENDING -> SUCCESS, durable across
kill -9), services with DNS and health check configurations, instances, custom health,
DiscoverInstances with query, optional parameters and health filters, tags, and AWS's errors.

DiscoverInstances is an operation of AWS's data-servicediscovery endpoint: SDKs put "data-" in
front of the endpoint's host. ferry answers it on its one endpoint whatever the Host; a client
reaches it either with host prefix injection off, or with an endpoint URL whose host part
survives the prefix (http://ferry@127.0.0.1:PORT: the prefix lands in the user part)."""
import json
import time

import boto3
import pytest
from botocore.config import Config
from ferrytest import Ferry, acct, raises

OP_SECONDS = 0.6


@pytest.fixture(scope="module")
def ferry():
    f = Ferry().start(env={"FERRY_SERVICEDISCOVERY_OPERATION_SECONDS": str(OP_SECONDS)})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def sd(ferry):
    return ferry.client("servicediscovery", "dev")


@pytest.fixture(scope="module")
def data(ferry):
    """DiscoverInstances without the data- host prefix."""
    return ferry.client("servicediscovery", "dev", config=Config(inject_host_prefix=False))


@pytest.fixture(scope="module")
def vpc(ferry):
    """dev's default VPC (a made-up id while ferry has no EC2)."""
    try:
        vpcs = ferry.client("ec2", "dev").describe_vpcs(
            Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        return vpcs[0]["VpcId"]
    except Exception:
        return "vpc-0123456789abcdef0"


def wait_op(sd, op_id, want="SUCCESS"):
    for _ in range(100):
        o = sd.get_operation(OperationId=op_id)["Operation"]
        if o["Status"] not in ("SUBMITTED", "PENDING"):
            assert o["Status"] == want, o
            return o
        time.sleep(0.05)
    raise AssertionError("operation did not finish")


def http_ns(sd, name, **kw):
    op = sd.create_http_namespace(Name=name, **kw)["OperationId"]
    o = wait_op(sd, op)
    return o["Targets"]["NAMESPACE"]


def test_operation_status_flow(sd):
    op = sd.create_http_namespace(Name="flow", Description="d")["OperationId"]
    o = sd.get_operation(OperationId=op)["Operation"]
    assert o["Status"] == "SUBMITTED" and o["Type"] == "CREATE_NAMESPACE"
    nsid = o["Targets"]["NAMESPACE"]
    assert nsid.startswith("ns-")
    time.sleep(OP_SECONDS / 2 + 0.05)
    assert sd.get_operation(OperationId=op)["Operation"]["Status"] == "PENDING"
    o = wait_op(sd, op)
    assert o["UpdateDate"] > o["CreateDate"]
    ops = sd.list_operations(Filters=[{"Name": "NAMESPACE_ID", "Values": [nsid]}])["Operations"]
    assert ops == [{"Id": op, "Status": "SUCCESS"}]
    ops = sd.list_operations(Filters=[{"Name": "TYPE", "Values": ["CREATE_NAMESPACE"]},
                                      {"Name": "STATUS", "Values": ["SUCCESS"]}])["Operations"]
    assert {"Id": op, "Status": "SUCCESS"} in ops
    raises(sd.get_operation, "OperationNotFound", OperationId="nope")
    raises(sd.list_operations, "InvalidInput",
           Filters=[{"Name": "UPDATE_DATE", "Values": ["1"], "Condition": "BETWEEN"}])


def test_http_namespace_get_list_update_delete(ferry, sd):
    dev = acct(ferry, "dev")
    nsid = http_ns(sd, "shop", Description="the shop", Tags=[{"Key": "team", "Value": "a"}])
    ns = sd.get_namespace(Id=nsid)["Namespace"]
    assert ns["Name"] == "shop" and ns["Type"] == "HTTP" and ns["Description"] == "the shop"
    assert ns["Arn"] == f"arn:aws:servicediscovery:{sd.meta.region_name}:{dev}:namespace/{nsid}"
    assert ns["Properties"]["HttpProperties"] == {"HttpName": "shop"}
    assert ns["ServiceCount"] == 0 and ns["CreatorRequestId"]
    assert sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"] == [{"Key": "team", "Value": "a"}]
    sd.tag_resource(ResourceARN=ns["Arn"], Tags=[{"Key": "env", "Value": "dev"}])
    sd.untag_resource(ResourceARN=ns["Arn"], TagKeys=["team"])
    assert sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"] == [{"Key": "env", "Value": "dev"}]
    names = [n["Name"] for n in sd.list_namespaces(
        Filters=[{"Name": "TYPE", "Values": ["HTTP"], "Condition": "EQ"}])["Namespaces"]]
    assert "shop" in names
    got = sd.list_namespaces(Filters=[{"Name": "NAME", "Values": ["sho"],
                                       "Condition": "BEGINS_WITH"}])["Namespaces"]
    assert [n["Id"] for n in got] == [nsid] and "CreatorRequestId" not in got[0]
    got = sd.list_namespaces(Filters=[{"Name": "HTTP_NAME", "Values": ["shop"]}])["Namespaces"]
    assert [n["Id"] for n in got] == [nsid]
    op = sd.update_http_namespace(Id=nsid, Namespace={"Description": "new"})["OperationId"]
    assert wait_op(sd, op)["Type"] == "UPDATE_NAMESPACE"
    assert sd.get_namespace(Id=nsid)["Namespace"]["Description"] == "new"
    # paging
    first = sd.list_namespaces(MaxResults=1)
    assert len(first["Namespaces"]) == 1 and first["NextToken"]
    op = sd.delete_namespace(Id=nsid)["OperationId"]
    assert wait_op(sd, op)["Type"] == "DELETE_NAMESPACE"
    raises(sd.get_namespace, "NamespaceNotFound", Id=nsid)
    raises(sd.delete_namespace, "NamespaceNotFound", Id=nsid)


def test_duplicate_namespace_and_creator_request_id(sd):
    op = sd.create_http_namespace(Name="dup.example", CreatorRequestId="req-1")["OperationId"]
    # a retry with the same CreatorRequestId is the same operation
    assert sd.create_http_namespace(Name="dup.example", CreatorRequestId="req-1")["OperationId"] == op
    nsid = wait_op(sd, op)["Targets"]["NAMESPACE"]
    with pytest.raises(sd.exceptions.NamespaceAlreadyExists) as ex:
        sd.create_http_namespace(Name="dup.example", CreatorRequestId="req-2")
    err = ex.value.response
    assert err["NamespaceId"] == nsid and err["CreatorRequestId"] == "req-1"
    # DNS names do not differ by case
    raises(sd.create_public_dns_namespace, "NamespaceAlreadyExists", Name="DUP.example")
    # a public DNS namespace name is a domain name
    raises(sd.create_public_dns_namespace, "InvalidInput", Name="no_domain")
    raises(sd.create_http_namespace, "InvalidInput", Name="")


def test_private_and_public_dns_namespaces(ferry, sd, vpc):
    op = sd.create_private_dns_namespace(Name="internal-Domain2.com", Vpc=vpc,
                                         Properties={"DnsProperties": {"SOA": {"TTL": 60}}})["OperationId"]
    o = wait_op(sd, op)
    ns = sd.get_namespace(Id=o["Targets"]["NAMESPACE"])["Namespace"]
    assert ns["Type"] == "DNS_PRIVATE"
    assert ns["Properties"]["DnsProperties"]["SOA"] == {"TTL": 60}
    assert ns["Properties"]["HttpProperties"] == {"HttpName": "internal-Domain2.com"}
    op = sd.update_private_dns_namespace(
        Id=ns["Id"], Namespace={"Properties": {"DnsProperties": {"SOA": {"TTL": 30}}}})["OperationId"]
    wait_op(sd, op)
    assert sd.get_namespace(Id=ns["Id"])["Namespace"]["Properties"]["DnsProperties"]["SOA"] == {"TTL": 30}
    raises(sd.update_http_namespace, "InvalidInput", Id=ns["Id"], Namespace={"Description": "x"})
    pub = wait_op(sd, sd.create_public_dns_namespace(Name="example.org")["OperationId"])
    assert sd.get_namespace(Id=pub["Targets"]["NAMESPACE"])["Namespace"]["Type"] == "DNS_PUBLIC"
    # the seed's query of the hosted zone id, through Debian's awscli
    r = ferry.aws("servicediscovery", "list-namespaces", "--query",
                  "Namespaces[?Name == 'internal-Domain2.com'].Id", profile="dev")
    assert r.json == [ns["Id"]]
    r = ferry.aws("servicediscovery", "get-operation", "--operation-id", op, profile="dev")
    assert r.json["Operation"]["Status"] == "SUCCESS"


def test_services(ferry, sd, vpc):
    nsid = wait_op(sd, sd.create_private_dns_namespace(Name="svc.local", Vpc=vpc)["OperationId"])["Targets"]["NAMESPACE"]
    s = sd.create_service(Name="web", NamespaceId=nsid, Description="front",
                          DnsConfig={"RoutingPolicy": "WEIGHTED",
                                     "DnsRecords": [{"Type": "A", "TTL": 60}, {"Type": "SRV", "TTL": 60}]},
                          HealthCheckCustomConfig={"FailureThreshold": 3},
                          Tags=[{"Key": "k", "Value": "v"}])["Service"]
    assert s["Id"].startswith("srv-") and s["NamespaceId"] == nsid and s["Type"] == "DNS_HTTP"
    assert s["DnsConfig"]["RoutingPolicy"] == "WEIGHTED" and s["DnsConfig"]["NamespaceId"] == nsid
    assert s["HealthCheckCustomConfig"] == {"FailureThreshold": 1}
    assert sd.get_service(Id=s["Id"])["Service"]["Name"] == "web"
    assert sd.get_namespace(Id=nsid)["Namespace"]["ServiceCount"] == 1
    assert sd.list_tags_for_resource(ResourceARN=s["Arn"])["Tags"] == [{"Key": "k", "Value": "v"}]
    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [nsid]}])["Services"]
    assert [x["Id"] for x in listed] == [s["Id"]]
    # duplicate name in the namespace
    with pytest.raises(sd.exceptions.ServiceAlreadyExists) as ex:
        sd.create_service(Name="web", NamespaceId=nsid)
    assert ex.value.response["ServiceId"] == s["Id"]
    # AWS's rules for DNS configurations and health checks
    raises(sd.create_service, "InvalidInput", Name="c", NamespaceId=nsid,
           DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "CNAME", "TTL": 60}]})
    raises(sd.create_service, "InvalidInput", Name="c", NamespaceId=nsid,
           DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 60}, {"Type": "A", "TTL": 30}]})
    raises(sd.create_service, "InvalidInput", Name="c", NamespaceId=nsid,
           HealthCheckConfig={"Type": "HTTP", "ResourcePath": "/"})
    raises(sd.create_service, "NamespaceNotFound", Name="c", NamespaceId="ns-nope")
    raises(sd.create_service, "InvalidInput", Name="c", NamespaceId=nsid,
           DnsConfig={"DnsRecords": [{"Type": "TXT", "TTL": 60}]})
    # UpdateService: TTLs and description
    op = sd.update_service(Id=s["Id"], Service={"Description": "new", "DnsConfig": {
        "DnsRecords": [{"Type": "A", "TTL": 10}, {"Type": "SRV", "TTL": 10}]}})["OperationId"]
    assert wait_op(sd, op)["Targets"] == {"SERVICE": s["Id"]}
    got = sd.get_service(Id=s["Id"])["Service"]
    assert got["Description"] == "new" and got["DnsConfig"]["DnsRecords"][0]["TTL"] == 10
    raises(sd.update_service, "InvalidInput", Id=s["Id"],
           Service={"DnsConfig": {"DnsRecords": [{"Type": "AAAA", "TTL": 10}]}})
    # a namespace with services cannot go
    raises(sd.delete_namespace, "ResourceInUse", Id=nsid)
    sd.delete_service(Id=s["Id"])
    raises(sd.get_service, "ServiceNotFound", Id=s["Id"])
    wait_op(sd, sd.delete_namespace(Id=nsid)["OperationId"])


@pytest.fixture(scope="module")
def shop(sd):
    nsid = http_ns(sd, "orders")
    s = sd.create_service(Name="api", NamespaceId=nsid,
                          HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
    plain = sd.create_service(Name="plain", NamespaceId=nsid)["Service"]
    return nsid, s["Id"], plain["Id"]


def test_instances_and_discovery(ferry, sd, data, shop):
    nsid, sid, plain = shop
    ops = []
    for i, (color, stage) in enumerate([("blue", "prod"), ("green", "prod"), ("blue", "beta")]):
        ops.append(sd.register_instance(ServiceId=sid, InstanceId=f"i-{i}", CreatorRequestId=f"c{i}",
                                        Attributes={"AWS_INSTANCE_IPV4": f"10.0.0.{i + 1}",
                                                    "AWS_INSTANCE_PORT": "8080",
                                                    "color": color, "stage": stage})["OperationId"])
    o = wait_op(sd, ops[0])
    assert o["Type"] == "REGISTER_INSTANCE" and o["Targets"] == {"SERVICE": sid, "INSTANCE": "i-0"}
    got = sd.get_instance(ServiceId=sid, InstanceId="i-1")["Instance"]
    assert got == {"Id": "i-1", "CreatorRequestId": "c1",
                   "Attributes": {"AWS_INSTANCE_IPV4": "10.0.0.2", "AWS_INSTANCE_PORT": "8080",
                                  "color": "green", "stage": "prod"}}
    assert [i["Id"] for i in sd.list_instances(ServiceId=sid)["Instances"]] == ["i-0", "i-1", "i-2"]
    page = sd.list_instances(ServiceId=sid, MaxResults=2)
    assert len(page["Instances"]) == 2 and page["NextToken"]
    assert sd.get_service(Id=sid)["Service"]["InstanceCount"] == 3

    r = data.discover_instances(NamespaceName="orders", ServiceName="api")
    assert {i["InstanceId"] for i in r["Instances"]} == {"i-0", "i-1", "i-2"}
    one = next(i for i in r["Instances"] if i["InstanceId"] == "i-0")
    assert one["NamespaceName"] == "orders" and one["ServiceName"] == "api"
    assert one["HealthStatus"] == "HEALTHY" and one["Attributes"]["color"] == "blue"
    # (InstancesRevision is newer than Debian's botocore: the JS test reads it)
    # query parameters must all match; optional ones narrow only when something matches
    ids = lambda r: sorted(i["InstanceId"] for i in r["Instances"])  # noqa: E731
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       QueryParameters={"color": "blue"})) == ["i-0", "i-2"]
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       QueryParameters={"color": "blue"},
                                       OptionalParameters={"stage": "beta"})) == ["i-2"]
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       QueryParameters={"color": "blue"},
                                       OptionalParameters={"stage": "none"})) == ["i-0", "i-2"]
    assert len(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       MaxResults=1)["Instances"]) == 1

    # custom health
    sd.update_instance_custom_health_status(ServiceId=sid, InstanceId="i-1", Status="UNHEALTHY")
    assert sd.get_instances_health_status(ServiceId=sid)["Status"] == {
        "i-0": "HEALTHY", "i-1": "UNHEALTHY", "i-2": "HEALTHY"}
    assert sd.get_instances_health_status(ServiceId=sid, Instances=["i-1"])["Status"] == {"i-1": "UNHEALTHY"}
    raises(sd.get_instances_health_status, "InstanceNotFound", ServiceId=sid, Instances=["i-9"])
    r = data.discover_instances(NamespaceName="orders", ServiceName="api")
    assert ids(r) == ["i-0", "i-2"]  # HEALTHY by default
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       HealthStatus="UNHEALTHY")) == ["i-1"]
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       HealthStatus="ALL")) == ["i-0", "i-1", "i-2"]
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       HealthStatus="HEALTHY_OR_ELSE_ALL")) == ["i-0", "i-2"]
    for i in ("i-0", "i-2"):
        sd.update_instance_custom_health_status(ServiceId=sid, InstanceId=i, Status="UNHEALTHY")
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       HealthStatus="HEALTHY")) == []
    assert ids(data.discover_instances(NamespaceName="orders", ServiceName="api",
                                       HealthStatus="HEALTHY_OR_ELSE_ALL")) == ["i-0", "i-1", "i-2"]
    raises(sd.update_instance_custom_health_status, "InstanceNotFound", ServiceId=sid,
           InstanceId="i-9", Status="HEALTHY")

    # a service without health checks ignores the filter and says UNKNOWN
    sd.register_instance(ServiceId=plain, InstanceId="p", Attributes={"k": "v"})
    r = data.discover_instances(NamespaceName="orders", ServiceName="plain", HealthStatus="UNHEALTHY")
    assert [(i["InstanceId"], i["HealthStatus"]) for i in r["Instances"]] == [("p", "UNKNOWN")]
    raises(sd.update_instance_custom_health_status, "CustomHealthNotFound", ServiceId=plain,
           InstanceId="p", Status="HEALTHY")

    # deregistration, and the service and namespace that then may go
    raises(sd.delete_service, "ResourceInUse", Id=plain)
    o = wait_op(sd, sd.deregister_instance(ServiceId=plain, InstanceId="p")["OperationId"])
    assert o["Type"] == "DEREGISTER_INSTANCE"
    raises(sd.get_instance, "InstanceNotFound", ServiceId=plain, InstanceId="p")
    raises(sd.deregister_instance, "InstanceNotFound", ServiceId=plain, InstanceId="p")
    assert sd.list_instances(ServiceId=plain)["Instances"] == []
    sd.delete_service(Id=plain)


def test_discover_defaults_and_errors(ferry, sd, data, shop):
    raises(data.discover_instances, "NamespaceNotFound", NamespaceName="nope", ServiceName="api")
    raises(data.discover_instances, "ServiceNotFound", NamespaceName="orders", ServiceName="nope")
    raises(data.discover_instances, "InvalidInput", NamespaceName="orders", ServiceName="api",
           HealthStatus="SICK")
    raises(sd.list_instances, "ServiceNotFound", ServiceId="srv-nope")
    raises(sd.register_instance, "ServiceNotFound", ServiceId="srv-nope", InstanceId="x",
           Attributes={"a": "b"})
    raises(sd.get_instance, "InstanceNotFound", ServiceId=shop[1], InstanceId="nope")
    # the SDK's default: "data-" before the endpoint's host. An endpoint whose host part
    # survives the prefix reaches ferry with the SDK unchanged.
    k = ferry.keys("dev")
    c = boto3.client("servicediscovery", endpoint_url=f"http://ferry@127.0.0.1:{ferry.port}",
                     region_name=sd.meta.region_name, aws_access_key_id=k[0],
                     aws_secret_access_key=k[1])
    assert len(c.discover_instances(NamespaceName="orders", ServiceName="api",
                                    HealthStatus="ALL")["Instances"]) == 3
    # Debian's awscli the same way
    r = ferry.aws("--endpoint-url", f"http://ferry@127.0.0.1:{ferry.port}",
                  "servicediscovery", "discover-instances", "--namespace-name", "orders",
                  "--service-name", "api", "--health-status", "ALL", "--query",
                  "Instances[].InstanceId", profile="dev")
    assert sorted(r.json) == ["i-0", "i-1", "i-2"]


def test_register_checks_dns_attributes(sd, vpc):
    nsid = wait_op(sd, sd.create_private_dns_namespace(Name="attrs.local", Vpc=vpc)["OperationId"])["Targets"]["NAMESPACE"]
    s = sd.create_service(Name="db", NamespaceId=nsid, DnsConfig={
        "DnsRecords": [{"Type": "A", "TTL": 30}, {"Type": "SRV", "TTL": 30}]})["Service"]
    raises(sd.register_instance, "InvalidInput", ServiceId=s["Id"], InstanceId="x",
           Attributes={"AWS_INSTANCE_PORT": "5432"})
    raises(sd.register_instance, "InvalidInput", ServiceId=s["Id"], InstanceId="x",
           Attributes={"AWS_INSTANCE_IPV4": "10.0.0.300", "AWS_INSTANCE_PORT": "5432"})
    raises(sd.register_instance, "InvalidInput", ServiceId=s["Id"], InstanceId="x",
           Attributes={"AWS_INSTANCE_IPV4": "10.0.0.3"})
    raises(sd.register_instance, "InvalidInput", ServiceId=s["Id"], InstanceId="x",
           Attributes={"AWS_INSTANCE_IPV4": "10.0.0.3", "AWS_INSTANCE_PORT": "70000"})
    wait_op(sd, sd.register_instance(ServiceId=s["Id"], InstanceId="x", Attributes={
        "AWS_INSTANCE_IPV4": "10.0.0.3", "AWS_INSTANCE_PORT": "5432"})["OperationId"])
    # registering again replaces the attributes, the count stays
    sd.register_instance(ServiceId=s["Id"], InstanceId="x", Attributes={
        "AWS_INSTANCE_IPV4": "10.0.0.4", "AWS_INSTANCE_PORT": "5432"})
    assert sd.get_instance(ServiceId=s["Id"], InstanceId="x")["Instance"]["Attributes"]["AWS_INSTANCE_IPV4"] == "10.0.0.4"
    assert sd.get_service(Id=s["Id"])["Service"]["InstanceCount"] == 1


def test_accounts_are_separate(ferry, sd, shop):
    other = ferry.client("servicediscovery", "prod", config=Config(inject_host_prefix=False))
    raises(other.get_namespace, "NamespaceNotFound", Id=shop[0])
    raises(other.discover_instances, "NamespaceNotFound", NamespaceName="orders", ServiceName="api")
    assert all(n["Name"] != "orders" for n in other.list_namespaces()["Namespaces"])


def test_survives_kill9(ferry, sd, data):
    op = sd.create_http_namespace(Name="durable")["OperationId"]
    nsid = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    s = sd.create_service(Name="svc", NamespaceId=nsid)["Service"]
    sd.register_instance(ServiceId=s["Id"], InstanceId="a", Attributes={"x": "1"})
    ferry.stop(sig=9)
    ferry.start(env={"FERRY_SERVICEDISCOVERY_OPERATION_SECONDS": str(OP_SECONDS)})
    sd2 = ferry.client("servicediscovery", "dev")
    d2 = ferry.client("servicediscovery", "dev", config=Config(inject_host_prefix=False))
    assert wait_op(sd2, op)["Targets"] == {"NAMESPACE": nsid}
    r = d2.discover_instances(NamespaceName="durable", ServiceName="svc")
    assert [i["InstanceId"] for i in r["Instances"]] == ["a"]


def test_iam_refusal(ferry):
    c = ferry.user_client("servicediscovery", "dev", "sd-reader", {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "servicediscovery:List*", "Resource": "*"}]})
    c.list_namespaces()
    raises(c.create_http_namespace, "AccessDeniedException", Name="denied")
    json.dumps({})


CFN_TEMPLATE = """
Parameters:
  Color: {Type: String, Default: blue}
  Vpc: {Type: String}
Resources:
  Http:
    Type: AWS::ServiceDiscovery::HttpNamespace
    Properties:
      Name: cfn-http
      Description: from a stack
      Tags: [{Key: team, Value: mesh}]
  Private:
    Type: AWS::ServiceDiscovery::PrivateDnsNamespace
    Properties:
      Name: cfn.internal
      Vpc: !Ref Vpc
      Properties: {DnsProperties: {SOA: {TTL: "100"}}}
  Svc:
    Type: AWS::ServiceDiscovery::Service
    Properties:
      Name: backend
      NamespaceId: !Ref Private
      DnsConfig:
        RoutingPolicy: MULTIVALUE
        DnsRecords: [{Type: A, TTL: "60"}]
      HealthCheckCustomConfig: {FailureThreshold: 1}
  HttpSvc:
    Type: AWS::ServiceDiscovery::Service
    Properties:
      NamespaceId: !GetAtt Http.Id
      Description: unnamed
  Inst:
    Type: AWS::ServiceDiscovery::Instance
    Properties:
      ServiceId: !Ref Svc
      InstanceId: cell-1
      InstanceAttributes: {AWS_INSTANCE_IPV4: 10.1.0.5, AWS_INSTANCE_PORT: 80, color: !Ref Color}
Outputs:
  HttpId: {Value: !Ref Http}
  HttpArn: {Value: !GetAtt Http.Arn}
  PrivateId: {Value: !GetAtt Private.Id}
  Zone: {Value: !GetAtt Private.HostedZoneId}
  SvcId: {Value: !Ref Svc}
  SvcArn: {Value: !GetAtt Svc.Arn}
  SvcName: {Value: !GetAtt Svc.Name}
  HttpSvcName: {Value: !GetAtt HttpSvc.Name}
  Inst: {Value: !Ref Inst}
"""


def test_cloudformation(ferry, sd, data, vpc):
    from ferrytest import stack_wait
    cfn = ferry.client("cloudformation", "dev")
    cfn.create_stack(StackName="sd", TemplateBody=CFN_TEMPLATE,
                     Parameters=[{"ParameterKey": "Vpc", "ParameterValue": vpc}])
    st = stack_wait(cfn, "sd")
    assert st["StackStatus"] == "CREATE_COMPLETE", cfn.describe_stack_events(StackName="sd")["StackEvents"][:3]
    out = {o["OutputKey"]: o["OutputValue"] for o in st["Outputs"]}
    ns = sd.get_namespace(Id=out["HttpId"])["Namespace"]
    assert ns["Name"] == "cfn-http" and ns["Arn"] == out["HttpArn"] and ns["Description"] == "from a stack"
    tags = {t["Key"]: t["Value"] for t in sd.list_tags_for_resource(ResourceARN=ns["Arn"])["Tags"]}
    assert tags["team"] == "mesh" and tags["aws:cloudformation:stack-name"] == "sd"
    priv = sd.get_namespace(Id=out["PrivateId"])["Namespace"]
    assert priv["Type"] == "DNS_PRIVATE" and priv["Properties"]["DnsProperties"]["SOA"] == {"TTL": 100}
    assert out["Zone"] == priv["Properties"]["DnsProperties"].get("HostedZoneId", "")
    s = sd.get_service(Id=out["SvcId"])["Service"]
    assert s["Arn"] == out["SvcArn"] and out["SvcName"] == "backend"
    assert s["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 60}]
    assert out["HttpSvcName"].startswith("sd-HttpSvc-")
    assert out["Inst"] == "cell-1"
    r = data.discover_instances(NamespaceName="cfn.internal", ServiceName="backend")
    assert r["Instances"][0]["Attributes"] == {"AWS_INSTANCE_IPV4": "10.1.0.5",
                                               "AWS_INSTANCE_PORT": "80", "color": "blue"}
    # an update re-registers the instance in place
    cfn.update_stack(StackName="sd", TemplateBody=CFN_TEMPLATE,
                     Parameters=[{"ParameterKey": "Color", "ParameterValue": "green"},
                                 {"ParameterKey": "Vpc", "UsePreviousValue": True}])
    assert stack_wait(cfn, "sd")["StackStatus"] == "UPDATE_COMPLETE"
    r = data.discover_instances(NamespaceName="cfn.internal", ServiceName="backend")
    assert r["Instances"][0]["Attributes"]["color"] == "green"
    cfn.delete_stack(StackName="sd")
    assert stack_wait(cfn, "sd") is None
    raises(sd.get_namespace, "NamespaceNotFound", Id=out["HttpId"])
    raises(sd.get_namespace, "NamespaceNotFound", Id=out["PrivateId"])
    raises(sd.get_service, "ServiceNotFound", Id=out["SvcId"])


@pytest.fixture(scope="module")
def r53(ferry):
    c = ferry.client("route53", "dev")
    try:
        c.list_hosted_zones()
    except Exception as e:  # a ferry without Route 53 yet
        pytest.skip(f"no Route 53: {e}")
    return c


def records(r53, zone):
    rrs = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return sorted(((r["Name"], r["Type"], r.get("SetIdentifier"), r.get("Weight"),
                    r.get("MultiValueAnswer"), r.get("TTL"),
                    tuple(v["Value"] for v in r.get("ResourceRecords", [])))
                   for r in rrs if r["Type"] not in ("SOA", "NS")), key=str)


def test_dns_namespace_hosted_zone_and_records(ferry, sd, r53, vpc):
    o = wait_op(sd, sd.create_private_dns_namespace(Name="mesh.internal", Vpc=vpc)["OperationId"])
    ns = sd.get_namespace(Id=o["Targets"]["NAMESPACE"])["Namespace"]
    zone = ns["Properties"]["DnsProperties"]["HostedZoneId"]
    assert zone
    hz = r53.get_hosted_zone(Id=zone)
    assert hz["HostedZone"]["Name"] == "mesh.internal." and hz["HostedZone"]["Config"]["PrivateZone"]
    assert [v["VPCId"] for v in hz["VPCs"]] == [vpc]
    # the seed's way to the zone id
    r = ferry.aws("servicediscovery", "list-namespaces", "--query",
                  "Namespaces[?Name == 'mesh.internal'].Properties.DnsProperties.HostedZoneId",
                  profile="dev")
    assert r.json == [zone]

    multi = sd.create_service(Name="b", NamespaceId=ns["Id"], DnsConfig={
        "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 30}, {"Type": "SRV", "TTL": 30}]})["Service"]
    for i in (1, 2):
        wait_op(sd, sd.register_instance(ServiceId=multi["Id"], InstanceId=f"cell{i}", Attributes={
            "AWS_INSTANCE_IPV4": f"10.0.1.{i}", "AWS_INSTANCE_PORT": "8080"})["OperationId"])
    got = records(r53, zone)
    assert ("b.mesh.internal.", "A", "cell1", None, True, 30, ("10.0.1.1",)) in got
    assert ("b.mesh.internal.", "A", "cell2", None, True, 30, ("10.0.1.2",)) in got
    assert ("b.mesh.internal.", "SRV", "cell1", None, True, 30,
            ("1 1 8080 cell1.b.mesh.internal",)) in got or \
           ("b.mesh.internal.", "SRV", "cell1", None, True, 30,
            ("1 1 8080 cell1.b.mesh.internal.",)) in got
    assert any(r[0] == "cell1.b.mesh.internal." and r[1] == "A" for r in got)

    weighted = sd.create_service(Name="x", NamespaceId=ns["Id"], DnsConfig={
        "RoutingPolicy": "WEIGHTED", "DnsRecords": [{"Type": "CNAME", "TTL": 60}]})["Service"]
    wait_op(sd, sd.register_instance(ServiceId=weighted["Id"], InstanceId="lb", Attributes={
        "AWS_INSTANCE_CNAME": "lb.example.com"})["OperationId"])
    got = records(r53, zone)
    assert any(r[:4] == ("x.mesh.internal.", "CNAME", "lb", 1) for r in got)

    # a custom health check's UNHEALTHY takes the instance out of DNS until it is healthy
    hs = sd.create_service(Name="h", NamespaceId=ns["Id"], HealthCheckCustomConfig={"FailureThreshold": 1},
                           DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
    wait_op(sd, sd.register_instance(ServiceId=hs["Id"], InstanceId="h1",
                                     Attributes={"AWS_INSTANCE_IPV4": "10.0.2.1"})["OperationId"])
    assert any(r[:3] == ("h.mesh.internal.", "A", "h1") for r in records(r53, zone))
    sd.update_instance_custom_health_status(ServiceId=hs["Id"], InstanceId="h1", Status="UNHEALTHY")
    assert not any(r[0] == "h.mesh.internal." for r in records(r53, zone))
    sd.update_instance_custom_health_status(ServiceId=hs["Id"], InstanceId="h1", Status="HEALTHY")
    assert any(r[:3] == ("h.mesh.internal.", "A", "h1") for r in records(r53, zone))
    sd.update_instance_custom_health_status(ServiceId=hs["Id"], InstanceId="h1", Status="UNHEALTHY")
    wait_op(sd, sd.deregister_instance(ServiceId=hs["Id"], InstanceId="h1")["OperationId"])
    sd.delete_service(Id=hs["Id"])

    # deregistering takes the records away; then the namespace and its zone can go
    wait_op(sd, sd.deregister_instance(ServiceId=multi["Id"], InstanceId="cell1")["OperationId"])
    got = records(r53, zone)
    assert not any(r[2] == "cell1" for r in got) and any(r[2] == "cell2" for r in got)
    for sid, iid in ((multi["Id"], "cell2"), (weighted["Id"], "lb")):
        wait_op(sd, sd.deregister_instance(ServiceId=sid, InstanceId=iid)["OperationId"])
        sd.delete_service(Id=sid)
    assert records(r53, zone) == []
    wait_op(sd, sd.delete_namespace(Id=ns["Id"])["OperationId"])
    with pytest.raises(Exception):
        r53.get_hosted_zone(Id=zone)


def test_dns_namespace_zone_refused(sd, r53):
    # Route 53 refuses a private zone for a VPC that is not there: the operation fails
    op = sd.create_private_dns_namespace(Name="novpc.internal", Vpc="vpc-0000000000000dead")["OperationId"]
    o = wait_op(sd, op, want="FAIL")
    assert o["ErrorCode"] == "CANNOT_CREATE_HOSTED_ZONE" and o["ErrorMessage"]
    raises(sd.get_namespace, "NamespaceNotFound", Id=o["Targets"]["NAMESPACE"])
    assert all(n["Name"] != "novpc.internal" for n in sd.list_namespaces()["Namespaces"])


def test_dns_answers_registered_instances():
    """End to end: a private DNS namespace's instances answered by ferry's DNS server at the
    VPC's resolver, an UNHEALTHY one left out, a deregistered one gone."""
    import subprocess
    import urllib.request
    f = Ferry(extra=["--dns", "127.0.0.1:0"]).start(env={
        "FERRY_SERVICEDISCOVERY_OPERATION_SECONDS": "0", "FERRY_ROUTE53_SYNC_SECONDS": "0"})
    try:
        f.init()
        try:
            f.client("route53", "dev").list_hosted_zones()
            vpc_id = f.client("ec2", "dev").describe_vpcs(
                Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        except Exception as e:
            pytest.skip(f"no Route 53 or EC2: {e}")
        sd = f.client("servicediscovery", "dev")
        o = wait_op(sd, sd.create_private_dns_namespace(Name="internal-Domain1.com", Vpc=vpc_id)["OperationId"])
        s = sd.create_service(Name="Domain1-ServiceB-Cell1", NamespaceId=o["Targets"]["NAMESPACE"],
                              HealthCheckCustomConfig={"FailureThreshold": 1},
                              DnsConfig={"RoutingPolicy": "MULTIVALUE",
                                         "DnsRecords": [{"Type": "A", "TTL": 5}]})["Service"]
        for i in (1, 2):
            sd.register_instance(ServiceId=s["Id"], InstanceId=f"t{i}",
                                 Attributes={"AWS_INSTANCE_IPV4": f"10.9.0.{i}"})
        res = None
        for _ in range(100):
            info = json.loads(urllib.request.urlopen(f.endpoint + "/_ferry/dns").read())
            res = {r["VpcId"]: (r["Address"], r["Port"]) for r in info["Resolvers"]}.get(vpc_id)
            if res:
                break
            time.sleep(0.05)
        assert res, info

        def dig():
            out = subprocess.run(["dig", f"@{res[0]}", "-p", str(res[1]), "+short", "+tries=1",
                                  "+time=2", "Domain1-ServiceB-Cell1.internal-Domain1.com", "A"],
                                 capture_output=True, text=True, check=True).stdout
            return sorted(out.split())
        assert dig() == ["10.9.0.1", "10.9.0.2"]
        sd.update_instance_custom_health_status(ServiceId=s["Id"], InstanceId="t1", Status="UNHEALTHY")
        assert dig() == ["10.9.0.2"]
        sd.deregister_instance(ServiceId=s["Id"], InstanceId="t2")
        sd.update_instance_custom_health_status(ServiceId=s["Id"], InstanceId="t1", Status="HEALTHY")
        assert dig() == ["10.9.0.1"]
    finally:
        f.close()
