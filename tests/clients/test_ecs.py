"""Amazon ECS as records through boto3 and the aws CLI (json 1.1): clusters, task
definitions (families, revisions, deregistration), services (FARGATE, awsvpc network
configuration, load balancers, service registries, deployments, desiredCount followed by
runningCount at once: no container runs), tags and AWS's errors."""
import signal

import pytest
from ferrytest import acct, raises

REGION = "us-east-1"
NET = {}  # the dev account's default subnet and security group (set by the ecs fixture)


@pytest.fixture(scope="module")
def ecs(ferry):
    ec2 = ferry.client("ec2", "dev", region=REGION)
    NET["awsvpcConfiguration"] = {
        "subnets": [ec2.describe_subnets()["Subnets"][0]["SubnetId"]],
        "securityGroups": [ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]],
        "assignPublicIp": "DISABLED"}
    return ferry.client("ecs", "dev", region=REGION)


def fargate_td(ecs, family, image="python:3.12", **kw):
    return ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "app", "image": image,
                                             "portMappings": [{"containerPort": 8080}]}],
        **kw)["taskDefinition"]


def test_clusters(ferry, ecs):
    dev = acct(ferry, "dev")
    c = ecs.create_cluster(clusterName="cells", tags=[{"key": "team", "value": "a"}])["cluster"]
    assert c["clusterArn"] == f"arn:aws:ecs:{REGION}:{dev}:cluster/cells"
    assert c["status"] == "ACTIVE" and c["activeServicesCount"] == 0
    assert ecs.create_cluster(clusterName="cells")["cluster"]["clusterArn"] == c["clusterArn"]
    d = ecs.create_cluster()["cluster"]
    assert d["clusterName"] == "default"
    got = ecs.describe_clusters(clusters=["cells", c["clusterArn"], "nope"], include=["TAGS"])
    assert [x["clusterName"] for x in got["clusters"]] == ["cells", "cells"]
    assert got["clusters"][0]["tags"] == [{"key": "team", "value": "a"}]
    assert got["failures"] == [{"arn": f"arn:aws:ecs:{REGION}:{dev}:cluster/nope",
                                "reason": "MISSING"}]
    assert "tags" not in ecs.describe_clusters(clusters=["cells"])["clusters"][0]
    assert ecs.describe_clusters()["clusters"][0]["clusterName"] == "default"
    assert sorted(ecs.list_clusters()["clusterArns"]) == sorted([c["clusterArn"],
                                                                  d["clusterArn"]])
    p = ecs.list_clusters(maxResults=1)
    assert len(p["clusterArns"]) == 1 and p["nextToken"]
    raises(lambda: ecs.create_cluster(clusterName="bad name"), "InvalidParameterException")
    raises(lambda: ecs.delete_cluster(cluster="nope"), "ClusterNotFoundException",
           "Cluster not found.")
    assert ecs.delete_cluster(cluster="default")["cluster"]["status"] == "INACTIVE"
    assert ecs.describe_clusters(clusters=["default"])["failures"][0]["reason"] == "MISSING"


def test_task_definitions(ecs):
    t1 = fargate_td(ecs, "web", tags=[{"key": "k", "value": "v"}])
    assert t1["revision"] == 1 and t1["family"] == "web" and t1["status"] == "ACTIVE"
    assert t1["taskDefinitionArn"].endswith(":task-definition/web:1")
    assert t1["compatibilities"] == ["EC2", "FARGATE"]
    pm = t1["containerDefinitions"][0]["portMappings"][0]
    assert pm == {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}
    t2 = fargate_td(ecs, "web", image="python:3.13")
    assert t2["revision"] == 2
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"][
        "revision"] == 2
    got = ecs.describe_task_definition(taskDefinition="web:1", include=["TAGS"])
    assert got["taskDefinition"]["containerDefinitions"][0]["image"] == "python:3.12"
    assert got["tags"] == [{"key": "k", "value": "v"}]
    assert ecs.describe_task_definition(taskDefinition=t1["taskDefinitionArn"])[
        "taskDefinition"]["revision"] == 1
    raises(lambda: ecs.describe_task_definition(taskDefinition="web:9"), "ClientException",
           "Unable to describe task definition.")
    raises(lambda: ecs.register_task_definition(
        family="f", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "a", "image": "x"}]), "ClientException",
        "Fargate only supports network mode 'awsvpc'.")
    raises(lambda: ecs.register_task_definition(family="f", containerDefinitions=[]),
           "ClientException")
    raises(lambda: ecs.register_task_definition(family="bad family", containerDefinitions=[
        {"name": "a", "image": "x"}]), "InvalidParameterException")
    ecs.register_task_definition(family="worker", containerDefinitions=[
        {"name": "w", "image": "busybox", "memory": 128}])

    assert ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"] == [
        t1["taskDefinitionArn"], t2["taskDefinitionArn"]]
    assert ecs.list_task_definitions(familyPrefix="web", sort="DESC")[
        "taskDefinitionArns"][0] == t2["taskDefinitionArn"]
    assert ecs.list_task_definition_families()["families"] == ["web", "worker"]

    out = ecs.deregister_task_definition(taskDefinition="web:2")["taskDefinition"]
    assert out["status"] == "INACTIVE" and "deregisteredAt" in out
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 1
    assert ecs.list_task_definitions(familyPrefix="web", status="INACTIVE")[
        "taskDefinitionArns"] == [t2["taskDefinitionArn"]]
    # a revision number is never given again
    assert fargate_td(ecs, "web")["revision"] == 3
    raises(lambda: ecs.deregister_task_definition(taskDefinition="web:99"), "ClientException")


def test_services(ecs):
    ecs.create_cluster(clusterName="svc")
    td = fargate_td(ecs, "svc-app")
    tg = ("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/"
          "0123456789abcdef")
    reg = "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-0123456789abcdef"
    s = ecs.create_service(
        cluster="svc", serviceName="api", taskDefinition="svc-app", desiredCount=2,
        launchType="FARGATE", networkConfiguration=NET,
        loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}],
        serviceRegistries=[{"registryArn": reg}], tags=[{"key": "a", "value": "1"}])["service"]
    assert s["serviceArn"].endswith(":service/svc/api")
    assert s["status"] == "ACTIVE" and s["desiredCount"] == 2 and s["runningCount"] == 2
    assert s["launchType"] == "FARGATE" and s["platformVersion"] == "LATEST"
    assert s["taskDefinition"] == td["taskDefinitionArn"]
    assert s["networkConfiguration"] == NET
    assert s["loadBalancers"][0]["targetGroupArn"] == tg
    assert s["serviceRegistries"] == [{"registryArn": reg}]
    [dep] = s["deployments"]
    assert dep["status"] == "PRIMARY" and dep["rolloutState"] == "COMPLETED"
    assert dep["runningCount"] == 2 and dep["id"].startswith("ecs-svc/")
    assert "steady state" in s["events"][0]["message"]
    ecs.get_waiter("services_stable").wait(cluster="svc", services=["api"])

    raises(lambda: ecs.create_service(cluster="svc", serviceName="api", taskDefinition="svc-app",
                                      launchType="FARGATE", networkConfiguration=NET),
           "InvalidParameterException", "Creation of service was not idempotent.")
    raises(lambda: ecs.create_service(cluster="nope", serviceName="x", taskDefinition="svc-app"),
           "ClusterNotFoundException")
    raises(lambda: ecs.create_service(cluster="svc", serviceName="x", taskDefinition="svc-app",
                                      launchType="FARGATE"), "InvalidParameterException",
           "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    bad = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
    raises(lambda: ecs.create_service(cluster="svc", serviceName="x", taskDefinition="svc-app",
                                      launchType="FARGATE", networkConfiguration=bad),
           "InvalidParameterException")
    raises(lambda: ecs.create_service(cluster="svc", serviceName="x", taskDefinition="nope:1",
                                      launchType="FARGATE", networkConfiguration=NET),
           "InvalidParameterException")
    worker = ecs.register_task_definition(family="svc-worker", containerDefinitions=[
        {"name": "w", "image": "busybox", "memory": 128}])["taskDefinition"]
    raises(lambda: ecs.create_service(cluster="svc", serviceName="x",
                                      taskDefinition=worker["taskDefinitionArn"],
                                      launchType="FARGATE"), "InvalidParameterException",
           "Task definition does not support launch_type FARGATE.")
    raises(lambda: ecs.create_service(
        cluster="svc", serviceName="x", taskDefinition="svc-app", launchType="FARGATE",
        networkConfiguration=NET, loadBalancers=[{"targetGroupArn": tg, "containerName": "zz",
                                                  "containerPort": 1}]),
        "InvalidParameterException", "The container zz does not exist in the task definition.")

    got = ecs.describe_services(cluster="svc", services=["api", "ghost"], include=["TAGS"])
    assert got["services"][0]["tags"] == [{"key": "a", "value": "1"}]
    assert got["failures"][0]["reason"] == "MISSING"
    assert ecs.list_services(cluster="svc")["serviceArns"] == [s["serviceArn"]]
    assert ecs.list_services(cluster="svc", launchType="EC2")["serviceArns"] == []
    c = ecs.describe_clusters(clusters=["svc"])["clusters"][0]
    assert c["activeServicesCount"] == 1 and c["runningTasksCount"] == 2

    u = ecs.update_service(cluster="svc", service="api", desiredCount=5)["service"]
    assert u["runningCount"] == 5 and u["deployments"][0]["id"] == dep["id"]
    assert u["deployments"][0]["desiredCount"] == 5
    td2 = fargate_td(ecs, "svc-app", image="python:3.13")
    u = ecs.update_service(cluster="svc", service=s["serviceArn"],
                           taskDefinition=td2["taskDefinitionArn"])["service"]
    assert u["taskDefinition"] == td2["taskDefinitionArn"]
    assert len(u["deployments"]) == 1 and u["deployments"][0]["id"] != dep["id"]
    assert u["deployments"][0]["taskDefinition"] == td2["taskDefinitionArn"]
    u2 = ecs.update_service(cluster="svc", service="api", forceNewDeployment=True)["service"]
    assert u2["deployments"][0]["id"] != u["deployments"][0]["id"]
    raises(lambda: ecs.update_service(cluster="svc", service="ghost", desiredCount=1),
           "ServiceNotFoundException", "Service not found.")

    raises(lambda: ecs.delete_cluster(cluster="svc"), "ClusterContainsServicesException")
    raises(lambda: ecs.delete_service(cluster="svc", service="api"),
           "InvalidParameterException",
           "The service cannot be stopped while it is scaled above 0.")
    d = ecs.delete_service(cluster="svc", service="api", force=True)["service"]
    assert d["status"] == "DRAINING" and d["desiredCount"] == 0
    assert ecs.describe_services(cluster="svc", services=["api"])["services"][0][
        "status"] == "INACTIVE"
    assert ecs.list_services(cluster="svc")["serviceArns"] == []
    raises(lambda: ecs.update_service(cluster="svc", service="api", desiredCount=1),
           "ServiceNotActiveException")
    # the name is free again
    again = ecs.create_service(cluster="svc", serviceName="api", taskDefinition="svc-app",
                               desiredCount=0, launchType="FARGATE",
                               networkConfiguration=NET)["service"]
    assert again["status"] == "ACTIVE"
    ecs.delete_service(cluster="svc", service="api")
    ecs.delete_cluster(cluster="svc")


def test_tags(ecs):
    c = ecs.create_cluster(clusterName="tagged")["cluster"]
    td = fargate_td(ecs, "tagged")
    for arn in (c["clusterArn"], td["taskDefinitionArn"]):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "x", "value": "1"},
                                                {"key": "y", "value": "2"}])
        ecs.untag_resource(resourceArn=arn, tagKeys=["x"])
        assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "y",
                                                                        "value": "2"}]
    raises(lambda: ecs.list_tags_for_resource(resourceArn=c["clusterArn"] + "x"),
           "ClusterNotFoundException")
    raises(lambda: ecs.tag_resource(resourceArn=c["clusterArn"],
                                    tags=[{"key": f"k{i}", "value": "v"} for i in range(51)]),
           "InvalidParameterException")


def test_cli_and_durability(ferry, ecs):
    r = ferry.aws("ecs", "create-cluster", "--cluster-name", "cli", profile="dev", region=REGION)
    assert r.json["cluster"]["clusterName"] == "cli"
    r = ferry.aws("ecs", "describe-services", "--cluster", "ghost", "--services", "x",
                  profile="dev", region=REGION, check=False)
    assert r.returncode != 0 and "ClusterNotFoundException" in r.stderr
    ferry.stop(signal.SIGKILL)
    ferry.start()
    e2 = ferry.client("ecs", "dev", region=REGION)
    assert e2.describe_clusters(clusters=["cli"])["clusters"][0]["status"] == "ACTIVE"
