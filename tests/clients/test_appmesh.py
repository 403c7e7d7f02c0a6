"""App Mesh (rest-json) through boto3 and the aws CLI: meshes, virtual nodes, services, routers,
routes, virtual gateways and gateway routes; versions, tags, AWS's errors (ConflictException,
NotFoundException, BadRequestException for weights, ResourceInUseException for what is still
referenced), `update-route --cli-input-json file://`, durability across kill -9, and shared
meshes: a mesh shared through RAM is usable by the participant, which owns what it creates."""
import json
import os
import signal

import pytest
from botocore.config import Config
from ferrytest import Ferry, acct, raises

R = "us-east-1"


def node_spec(port=8080, host="127.0.0.1", hc=False):
    listener = {"portMapping": {"port": port, "protocol": "http"}}
    if hc:
        listener["healthCheck"] = {"protocol": "http", "path": "/health", "healthyThreshold": 2,
                                   "unhealthyThreshold": 2, "intervalMillis": 5000,
                                   "timeoutMillis": 2000}
    return {"listeners": [listener], "serviceDiscovery": {"dns": {"hostname": host}}}


def route_spec(*weights, prefix="/"):
    return {"httpRoute": {"match": {"prefix": prefix}, "action": {"weightedTargets": [
        {"virtualNode": n, "weight": w} for n, w in weights]}}}


@pytest.fixture(scope="module")
def am(ferry):
    # the server's checks, not botocore's
    return ferry.client("appmesh", "dev", region=R, config=Config(parameter_validation=False))


def test_mesh_lifecycle(ferry, am):
    m = am.create_mesh(meshName="life", spec={"egressFilter": {"type": "DROP_ALL"}},
                       tags=[{"key": "team", "value": "a"}])["mesh"]
    me = acct(ferry, "dev")
    md = m["metadata"]
    assert md["arn"] == f"arn:aws:appmesh:{R}:{me}:mesh/life"
    assert md["meshOwner"] == md["resourceOwner"] == me and md["version"] == 1
    assert m["status"]["status"] == "ACTIVE"
    assert m["spec"]["egressFilter"]["type"] == "DROP_ALL"
    raises(lambda: am.create_mesh(meshName="life"), "ConflictException", status=409)
    u = am.update_mesh(meshName="life", spec={"egressFilter": {"type": "ALLOW_ALL"}})["mesh"]
    assert u["metadata"]["version"] == 2 and u["spec"]["egressFilter"]["type"] == "ALLOW_ALL"
    assert am.describe_mesh(meshName="life")["mesh"]["metadata"]["version"] == 2
    names = [x["meshName"] for x in am.list_meshes()["meshes"]]
    assert "life" in names
    assert am.list_tags_for_resource(resourceArn=md["arn"])["tags"] == [{"key": "team", "value": "a"}]
    am.tag_resource(resourceArn=md["arn"], tags=[{"key": "env", "value": "dev"}])
    am.untag_resource(resourceArn=md["arn"], tagKeys=["team"])
    assert am.list_tags_for_resource(resourceArn=md["arn"])["tags"] == [{"key": "env", "value": "dev"}]
    d = am.delete_mesh(meshName="life")["mesh"]
    assert d["status"]["status"] == "DELETED"
    raises(lambda: am.describe_mesh(meshName="life"), "NotFoundException", status=404)
    # another region has none
    other = ferry.client("appmesh", "dev", region="eu-west-1")
    assert other.list_meshes()["meshes"] == []


def test_resources_and_errors(ferry, am):
    am.create_mesh(meshName="res")
    raises(lambda: am.create_virtual_node(meshName="nomesh", virtualNodeName="a", spec=node_spec()),
           "NotFoundException", status=404)
    n = am.create_virtual_node(meshName="res", virtualNodeName="a", spec=node_spec(hc=True),
                               tags=[{"key": "k", "value": "v"}])["virtualNode"]
    assert n["metadata"]["arn"].endswith(":mesh/res/virtualNode/a")
    assert n["spec"]["listeners"][0]["healthCheck"]["path"] == "/health"
    am.create_virtual_node(meshName="res", virtualNodeName="b", spec=node_spec(8081))
    raises(lambda: am.create_virtual_node(meshName="res", virtualNodeName="a", spec=node_spec()),
           "ConflictException", status=409)
    raises(lambda: am.create_virtual_node(
        meshName="res", virtualNodeName="c",
        spec={"listeners": [{"portMapping": {"port": 1, "protocol": "http"},
                             "healthCheck": {"protocol": "http", "healthyThreshold": 2,
                                             "unhealthyThreshold": 2, "intervalMillis": 5000,
                                             "timeoutMillis": 2000}}]}),
           "BadRequestException", status=400)
    am.create_virtual_router(meshName="res", virtualRouterName="r",
                             spec={"listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]})
    # routes: AWS's weight rules
    raises(lambda: am.create_route(meshName="res", virtualRouterName="r", routeName="z",
                                   spec=route_spec(("a", 0), ("b", 0))), "BadRequestException", status=400)
    raises(lambda: am.create_route(meshName="res", virtualRouterName="r", routeName="z",
                                   spec=route_spec(("a", 101))), "BadRequestException", status=400)
    raises(lambda: am.create_route(meshName="res", virtualRouterName="r", routeName="z",
                                   spec=route_spec(*[("a", 1)] * 11)), "BadRequestException", status=400)
    raises(lambda: am.create_route(meshName="res", virtualRouterName="r", routeName="z",
                                   spec={"httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": []}}}),
           "BadRequestException", status=400)
    raises(lambda: am.create_route(meshName="res", virtualRouterName="r", routeName="z",
                                   spec=route_spec(("ghost", 1))), "NotFoundException", status=404)
    raises(lambda: am.create_route(meshName="res", virtualRouterName="nor", routeName="z",
                                   spec=route_spec(("a", 1))), "NotFoundException", status=404)
    rt = am.create_route(meshName="res", virtualRouterName="r", routeName="main",
                         spec={**route_spec(("a", 50), ("b", 50)), "priority": 10})["route"]
    assert rt["virtualRouterName"] == "r" and rt["metadata"]["arn"].endswith(
        ":mesh/res/virtualRouter/r/route/main")
    up = am.update_route(meshName="res", virtualRouterName="r", routeName="main",
                         spec=route_spec(("a", 0), ("b", 100)))["route"]
    assert up["metadata"]["version"] == 2
    assert up["spec"]["httpRoute"]["action"]["weightedTargets"][1]["weight"] == 100
    assert [x["routeName"] for x in am.list_routes(meshName="res", virtualRouterName="r")["routes"]] == ["main"]
    raises(lambda: am.create_virtual_service(meshName="res", virtualServiceName="s.local", spec={
        "provider": {"virtualRouter": {"virtualRouterName": "nope"}}}), "NotFoundException", status=404)
    am.create_virtual_service(meshName="res", virtualServiceName="s.local",
                              spec={"provider": {"virtualRouter": {"virtualRouterName": "r"}}})
    am.create_virtual_gateway(meshName="res", virtualGatewayName="gw", spec={
        "listeners": [{"portMapping": {"port": 8080, "protocol": "http"}}]})
    raises(lambda: am.create_gateway_route(meshName="res", virtualGatewayName="gw", gatewayRouteName="g", spec={
        "httpRoute": {"match": {"prefix": "/s"}, "action": {"target": {"virtualService": {"virtualServiceName": "zz"}}}}}),
        "NotFoundException", status=404)
    g = am.create_gateway_route(meshName="res", virtualGatewayName="gw", gatewayRouteName="g", spec={
        "httpRoute": {"match": {"prefix": "/s"}, "action": {
            "target": {"virtualService": {"virtualServiceName": "s.local"}},
            "rewrite": {"prefix": {"value": "/v2/"}}}}})["gatewayRoute"]
    assert g["metadata"]["arn"].endswith(":mesh/res/virtualGateway/gw/gatewayRoute/g")
    assert [x["gatewayRouteName"] for x in am.list_gateway_routes(
        meshName="res", virtualGatewayName="gw")["gatewayRoutes"]] == ["g"]
    assert sorted(x["virtualNodeName"] for x in am.list_virtual_nodes(meshName="res")["virtualNodes"]) == ["a", "b"]
    assert am.list_virtual_nodes(meshName="res", limit=1)["nextToken"]

    # what is referenced stays (ResourceInUseException, naming the referrers)
    e = raises(lambda: am.delete_virtual_node(meshName="res", virtualNodeName="a"),
               "ResourceInUseException", status=409)
    assert "ROUTE: [r/main]" in e
    raises(lambda: am.delete_virtual_router(meshName="res", virtualRouterName="r"), "ResourceInUseException")
    e = raises(lambda: am.delete_virtual_service(meshName="res", virtualServiceName="s.local"),
               "ResourceInUseException")
    assert "GATEWAY_ROUTE: [gw/g]" in e
    raises(lambda: am.delete_virtual_gateway(meshName="res", virtualGatewayName="gw"), "ResourceInUseException")
    raises(lambda: am.delete_mesh(meshName="res"), "ResourceInUseException", status=409)
    # then, in order, everything goes
    am.delete_gateway_route(meshName="res", virtualGatewayName="gw", gatewayRouteName="g")
    am.delete_virtual_gateway(meshName="res", virtualGatewayName="gw")
    am.delete_virtual_service(meshName="res", virtualServiceName="s.local")
    am.delete_route(meshName="res", virtualRouterName="r", routeName="main")
    am.delete_virtual_router(meshName="res", virtualRouterName="r")
    for n in ("a", "b"):
        assert am.delete_virtual_node(meshName="res", virtualNodeName=n)["virtualNode"]["status"]["status"] == "DELETED"
    am.delete_mesh(meshName="res")
    raises(lambda: am.describe_virtual_node(meshName="res", virtualNodeName="a"), "NotFoundException")


def test_cli_update_route_input_json(ferry, am, tmp_path):
    am.create_mesh(meshName="cli")
    for n in ("c1", "c2"):
        am.create_virtual_node(meshName="cli", virtualNodeName=n, spec=node_spec())
    am.create_virtual_router(meshName="cli", virtualRouterName="rb",
                             spec={"listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]})
    am.create_route(meshName="cli", virtualRouterName="rb", routeName="rt",
                    spec=route_spec(("c1", 50), ("c2", 50)))
    me = acct(ferry, "dev")
    doc = {"meshName": "cli", "meshOwner": me, "virtualRouterName": "rb", "routeName": "rt",
           "spec": {"priority": 1, "httpRoute": {"match": {"prefix": "/"}, "action": {"weightedTargets": [
               {"virtualNode": "c1", "weight": 0}, {"virtualNode": "c2", "weight": 100}]},
               "retryPolicy": {"maxRetries": 2, "perRetryTimeout": {"unit": "s", "value": 1},
                               "httpRetryEvents": ["server-error"], "tcpRetryEvents": ["connection-error"]}}}}
    path = tmp_path / "route.json"
    path.write_text(json.dumps(doc))
    out = json.loads(ferry.aws("appmesh", "update-route", "--cli-input-json", f"file://{path}",
                               "--region", R, profile="dev").stdout)
    assert out["route"]["metadata"]["version"] == 2
    assert [t["weight"] for t in out["route"]["spec"]["httpRoute"]["action"]["weightedTargets"]] == [0, 100]
    # a bad weight through the CLI: AWS's error
    doc["spec"]["httpRoute"]["action"]["weightedTargets"] = [{"virtualNode": "c1", "weight": 0}]
    path.write_text(json.dumps(doc))
    r = ferry.aws("appmesh", "update-route", "--cli-input-json", f"file://{path}", "--region", R,
                  profile="dev", check=False)
    assert r.returncode != 0 and "BadRequestException" in r.stderr


def test_shared_mesh(ferry):
    """dev shares its mesh with qa through RAM (inside the organization): qa creates nodes in
    it with meshOwner, owns them, and cannot change dev's; an unshared mesh is not found."""
    dev, qa = acct(ferry, "dev"), acct(ferry, "qa")
    a_dev = ferry.client("appmesh", "dev", region=R)
    a_qa = ferry.client("appmesh", "qa", region=R)
    a_dev.create_mesh(meshName="shared")
    a_dev.create_virtual_node(meshName="shared", virtualNodeName="owner-node", spec=node_spec())
    arn = f"arn:aws:appmesh:{R}:{dev}:mesh/shared"
    # not shared yet: the participant does not see it
    raises(lambda: a_qa.describe_mesh(meshName="shared", meshOwner=dev), "NotFoundException", status=404)
    raises(lambda: a_qa.create_virtual_node(meshName="shared", meshOwner=dev, virtualNodeName="x",
                                            spec=node_spec()), "NotFoundException", status=404)
    ferry.client("ram", "management", region=R).enable_sharing_with_aws_organization()
    ferry.client("ram", "dev", region=R).create_resource_share(
        name="mesh-share", resourceArns=[arn], principals=[qa])
    assert a_qa.describe_mesh(meshName="shared", meshOwner=dev)["mesh"]["metadata"]["meshOwner"] == dev
    assert "shared" in [m["meshName"] for m in a_qa.list_meshes()["meshes"]]
    n = a_qa.create_virtual_node(meshName="shared", meshOwner=dev, virtualNodeName="qa-node",
                                 spec=node_spec())["virtualNode"]
    assert n["metadata"]["meshOwner"] == dev and n["metadata"]["resourceOwner"] == qa
    assert n["metadata"]["arn"] == f"{arn}/virtualNode/qa-node"
    # both see both; each changes only its own
    names = {x["virtualNodeName"]: x["resourceOwner"] for x in
             a_dev.list_virtual_nodes(meshName="shared")["virtualNodes"]}
    assert names == {"owner-node": dev, "qa-node": qa}
    raises(lambda: a_qa.update_virtual_node(meshName="shared", meshOwner=dev, virtualNodeName="owner-node",
                                            spec=node_spec(9000)), "ForbiddenException", status=403)
    raises(lambda: a_dev.delete_virtual_node(meshName="shared", virtualNodeName="qa-node"),
           "ForbiddenException", status=403)
    a_qa.update_virtual_node(meshName="shared", meshOwner=dev, virtualNodeName="qa-node", spec=node_spec(9001))
    # the mesh stays the owner's
    raises(lambda: a_qa.delete_mesh(meshName="shared"), "NotFoundException")
    a_qa.delete_virtual_node(meshName="shared", meshOwner=dev, virtualNodeName="qa-node")


def test_survives_kill9():
    f = Ferry().start()
    try:
        f.init()
        am = f.client("appmesh", "dev", region=R)
        am.create_mesh(meshName="durable")
        am.create_virtual_node(meshName="durable", virtualNodeName="n", spec=node_spec())
        am.update_virtual_node(meshName="durable", virtualNodeName="n", spec=node_spec(9090))
        f.stop(signal.SIGKILL)
        f.start()
        n = f.client("appmesh", "dev", region=R).describe_virtual_node(
            meshName="durable", virtualNodeName="n")["virtualNode"]
        assert n["metadata"]["version"] == 2
        assert n["spec"]["listeners"][0]["portMapping"]["port"] == 9090
    finally:
        f.close()


TEMPLATE = """
Parameters:
  MeshOwner: {Type: String}
  W1: {Type: Number, Default: 50}
  W2: {Type: Number, Default: 50}
Resources:
  Mesh:
    Type: AWS::AppMesh::Mesh
    Properties:
      MeshName: cfn-mesh
      Spec: {EgressFilter: {Type: ALLOW_ALL}}
      Tags: [{Key: app, Value: seed}]
  NodeCell1:
    Type: AWS::AppMesh::VirtualNode
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      MeshOwner: !Ref MeshOwner
      VirtualNodeName: cell-1
      Spec:
        Listeners:
          - PortMapping: {Port: 8080, Protocol: http}
            HealthCheck: {Protocol: http, Path: /ping, HealthyThreshold: 2, UnhealthyThreshold: 2,
                          TimeoutMillis: 2000, IntervalMillis: 5000}
        ServiceDiscovery:
          DNS: {Hostname: 127.0.0.1}
  NodeCell2:
    Type: AWS::AppMesh::VirtualNode
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      MeshOwner: !Ref MeshOwner
      VirtualNodeName: cell-2
      Spec:
        Listeners: [{PortMapping: {Port: 8081, Protocol: http}}]
        ServiceDiscovery:
          AWSCloudMap: {NamespaceName: internal-Domain1.com, ServiceName: serviceb}
  Router:
    Type: AWS::AppMesh::VirtualRouter
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      VirtualRouterName: router-b
      Spec: {Listeners: [{PortMapping: {Port: 8080, Protocol: http}}]}
  Route:
    Type: AWS::AppMesh::Route
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      VirtualRouterName: !GetAtt Router.VirtualRouterName
      RouteName: route-b
      Spec:
        HttpRoute:
          Match: {Prefix: /}
          Action:
            WeightedTargets:
              - {VirtualNode: !GetAtt NodeCell1.VirtualNodeName, Weight: !Ref W1}
              - {VirtualNode: !GetAtt NodeCell2.VirtualNodeName, Weight: !Ref W2}
  Service:
    Type: AWS::AppMesh::VirtualService
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      VirtualServiceName: serviceb.internal-Domain1.com
      Spec: {Provider: {VirtualRouter: {VirtualRouterName: !GetAtt Router.VirtualRouterName}}}
  Gateway:
    Type: AWS::AppMesh::VirtualGateway
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      VirtualGatewayName: gw
      Spec: {Listeners: [{PortMapping: {Port: 9080, Protocol: http}}]}
  GatewayRoute:
    Type: AWS::AppMesh::GatewayRoute
    Properties:
      MeshName: !GetAtt Mesh.MeshName
      VirtualGatewayName: !GetAtt Gateway.VirtualGatewayName
      GatewayRouteName: to-b
      Spec:
        HttpRoute:
          Match: {Prefix: /serviceb}
          Action: {Target: {VirtualService: {VirtualServiceName: !GetAtt Service.VirtualServiceName}}}
Outputs:
  MeshArn: {Value: !Ref Mesh}
  MeshUid: {Value: !GetAtt Mesh.Uid}
  NodeArn: {Value: !Ref NodeCell1}
  NodeOwner: {Value: !GetAtt NodeCell1.ResourceOwner}
  RouteName: {Value: !GetAtt Route.RouteName}
  RouteRouter: {Value: !GetAtt Route.VirtualRouterName}
  GatewayRouteArn: {Value: !GetAtt GatewayRoute.Arn}
  ServiceMeshOwner: {Value: !GetAtt Service.MeshOwner}
"""


def test_cloudformation(ferry):
    from ferrytest import stack_wait
    me = acct(ferry, "dev")
    cfn = ferry.client("cloudformation", "dev", region=R)
    am = ferry.client("appmesh", "dev", region=R)
    params = [{"ParameterKey": "MeshOwner", "ParameterValue": me}]
    cfn.create_stack(StackName="mesh", TemplateBody=TEMPLATE, Parameters=params)
    s = stack_wait(cfn, "mesh")
    assert s["StackStatus"] == "CREATE_COMPLETE", [e.get("ResourceStatusReason") for e in cfn.describe_stack_events(StackName="mesh")["StackEvents"] if e.get("ResourceStatusReason")]
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    base = f"arn:aws:appmesh:{R}:{me}:mesh/cfn-mesh"
    assert out["MeshArn"] == base and len(out["MeshUid"]) == 36
    assert out["NodeArn"] == f"{base}/virtualNode/cell-1" and out["NodeOwner"] == me
    assert out["RouteName"] == "route-b" and out["RouteRouter"] == "router-b"
    assert out["GatewayRouteArn"] == f"{base}/virtualGateway/gw/gatewayRoute/to-b"
    assert out["ServiceMeshOwner"] == me
    n = am.describe_virtual_node(meshName="cfn-mesh", virtualNodeName="cell-2")["virtualNode"]
    assert n["spec"]["serviceDiscovery"]["awsCloudMap"]["namespaceName"] == "internal-Domain1.com"
    n1 = am.describe_virtual_node(meshName="cfn-mesh", virtualNodeName="cell-1")["virtualNode"]
    assert n1["spec"]["serviceDiscovery"]["dns"]["hostname"] == "127.0.0.1"
    assert n1["spec"]["listeners"][0]["healthCheck"]["path"] == "/ping"
    # the weights change in place
    cfn.update_stack(StackName="mesh", TemplateBody=TEMPLATE, Parameters=params + [
        {"ParameterKey": "W1", "ParameterValue": "0"}, {"ParameterKey": "W2", "ParameterValue": "100"}])
    assert stack_wait(cfn, "mesh")["StackStatus"] == "UPDATE_COMPLETE"
    r = am.describe_route(meshName="cfn-mesh", virtualRouterName="router-b", routeName="route-b")["route"]
    assert [t["weight"] for t in r["spec"]["httpRoute"]["action"]["weightedTargets"]] == [0, 100]
    assert r["metadata"]["version"] == 2
    cfn.delete_stack(StackName="mesh")
    assert stack_wait(cfn, "mesh") is None or True
    raises(lambda: am.describe_mesh(meshName="cfn-mesh"), "NotFoundException")
