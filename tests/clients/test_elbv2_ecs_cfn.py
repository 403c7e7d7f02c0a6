"""CloudFormation with Elastic Load Balancing v2 and ECS: an ALB, target groups, a
listener with a weighted forward, a listener rule, an ECS cluster, a Fargate task
definition and a service behind the target group; Ref and Fn::GetAtt as AWS documents them,
in-place updates (weights, desired count, health checks), replacement of the task
definition, and deletion of everything."""
import json

import pytest
from ferrytest import acct, stack_wait

REGION = "us-east-1"

TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Subnet1:
    Type: String
  Subnet2:
    Type: String
  Sg:
    Type: String
  Vpc:
    Type: String
  Weight:
    Type: Number
    Default: 50
  Desired:
    Type: Number
    Default: 2
  Image:
    Type: String
    Default: python:3.12
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Name: cfn-alb
      Subnets: [!Ref Subnet1, !Ref Subnet2]
      SecurityGroups: [!Ref Sg]
      LoadBalancerAttributes:
        - Key: idle_timeout.timeout_seconds
          Value: '30'
      Tags:
        - Key: app
          Value: cells
  Cell1:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Protocol: HTTP
      Port: 8080
      VpcId: !Ref Vpc
      TargetType: ip
      HealthCheckPath: /health
      HealthCheckIntervalSeconds: 10
      Targets:
        - Id: 127.0.0.1
          Port: 18081
  Cell2:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Name: cfn-cell2
      Protocol: HTTP
      Port: 8080
      VpcId: !Ref Vpc
      TargetType: ip
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: forward
          ForwardConfig:
            TargetGroups:
              - TargetGroupArn: !Ref Cell1
                Weight: !Ref Weight
              - TargetGroupArn: !Ref Cell2
                Weight: '50'
  ApiRule:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Listener
      Priority: 10
      Conditions:
        - Field: path-pattern
          PathPatternConfig:
            Values: [/api/*]
      Actions:
        - Type: fixed-response
          FixedResponseConfig:
            StatusCode: 200
            MessageBody: api
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterName: cfn-cells
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: cell
      Cpu: 256
      Memory: 512
      NetworkMode: awsvpc
      RequiresCompatibilities: [FARGATE]
      ContainerDefinitions:
        - Name: app
          Image: !Ref Image
          PortMappings:
            - ContainerPort: '8080'
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: /ecs/cell
  Service:
    Type: AWS::ECS::Service
    DependsOn: Listener
    Properties:
      Cluster: !Ref Cluster
      ServiceName: cell-svc
      TaskDefinition: !Ref TaskDef
      DesiredCount: !Ref Desired
      LaunchType: FARGATE
      NetworkConfiguration:
        AwsvpcConfiguration:
          Subnets: [!Ref Subnet1]
          SecurityGroups: [!Ref Sg]
      LoadBalancers:
        - TargetGroupArn: !Ref Cell1
          ContainerName: app
          ContainerPort: 8080
Outputs:
  AlbArn: {Value: !Ref Alb}
  DnsName: {Value: !GetAtt Alb.DNSName}
  ZoneId: {Value: !GetAtt Alb.CanonicalHostedZoneID}
  FullName: {Value: !GetAtt Alb.LoadBalancerFullName}
  LbName: {Value: !GetAtt Alb.LoadBalancerName}
  LbSgs: {Value: !Join [',', !GetAtt Alb.SecurityGroups]}
  Cell1: {Value: !Ref Cell1}
  Cell1Full: {Value: !GetAtt Cell1.TargetGroupFullName}
  Cell1Name: {Value: !GetAtt Cell1.TargetGroupName}
  ListenerArn: {Value: !GetAtt Listener.ListenerArn}
  RuleArn: {Value: !GetAtt ApiRule.RuleArn}
  ClusterRef: {Value: !Ref Cluster}
  ClusterArn: {Value: !GetAtt Cluster.Arn}
  TaskDef: {Value: !Ref TaskDef}
  ServiceRef: {Value: !Ref Service}
  ServiceName: {Value: !GetAtt Service.Name}
"""


def outputs(cfn, name):
    s = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in s.get("Outputs", [])}


def params(**kw):
    return [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in kw.items()]


def test_stack(ferry):
    cfn = ferry.client("cloudformation", "dev", region=REGION)
    elb = ferry.client("elbv2", "dev", region=REGION)
    ecs = ferry.client("ecs", "dev", region=REGION)
    dev = acct(ferry, "dev")
    ec2 = ferry.client("ec2", "dev", region=REGION)
    subs = sorted(ec2.describe_subnets()["Subnets"], key=lambda x: x["AvailabilityZone"])
    sg = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    net = dict(Subnet1=subs[0]["SubnetId"], Subnet2=subs[1]["SubnetId"], Sg=sg,
               Vpc=subs[0]["VpcId"])
    cfn.create_stack(StackName="cells", TemplateBody=TEMPLATE, Parameters=params(**net))
    s = stack_wait(cfn, "cells")
    assert s["StackStatus"] == "CREATE_COMPLETE", cfn.describe_stack_events(
        StackName="cells")["StackEvents"][:3]
    out = outputs(cfn, "cells")

    lb = elb.describe_load_balancers(Names=["cfn-alb"])["LoadBalancers"][0]
    assert out["AlbArn"] == lb["LoadBalancerArn"] and out["DnsName"] == lb["DNSName"]
    assert out["ZoneId"] == "Z35SXDOTRQ7X7K" and out["LbName"] == "cfn-alb"
    assert out["FullName"] == lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    assert out["FullName"].startswith("app/cfn-alb/")
    assert out["LbSgs"] == sg
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "30"
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert {"Key": "app", "Value": "cells"} in tags

    assert out["Cell1Name"].startswith("cells-Cell1-")
    assert out["Cell1Full"] == "targetgroup/" + out["Cell1"].split(":targetgroup/")[1]
    tg = elb.describe_target_groups(TargetGroupArns=[out["Cell1"]])["TargetGroups"][0]
    assert tg["HealthCheckPath"] == "/health" and tg["LoadBalancerArns"] == [out["AlbArn"]]
    th = elb.describe_target_health(TargetGroupArn=out["Cell1"])["TargetHealthDescriptions"]
    assert th[0]["Target"] == {"Id": "127.0.0.1", "Port": 18081}

    ls = elb.describe_listeners(ListenerArns=[out["ListenerArn"]])["Listeners"][0]
    assert [g["Weight"] for g in ls["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]] == [
        50, 50]
    rule = elb.describe_rules(RuleArns=[out["RuleArn"]])["Rules"][0]
    assert rule["Priority"] == "10"
    assert rule["Actions"][0]["FixedResponseConfig"]["StatusCode"] == "200"

    assert out["ClusterRef"] == "cfn-cells"
    assert out["ClusterArn"] == f"arn:aws:ecs:{REGION}:{dev}:cluster/cfn-cells"
    assert out["TaskDef"].endswith(":task-definition/cell:1")
    td = ecs.describe_task_definition(taskDefinition="cell")["taskDefinition"]
    c = td["containerDefinitions"][0]
    assert c["portMappings"][0]["containerPort"] == 8080 and td["cpu"] == "256"
    assert c["logConfiguration"]["options"] == {"awslogs-group": "/ecs/cell"}
    assert out["ServiceRef"] == f"arn:aws:ecs:{REGION}:{dev}:service/cfn-cells/cell-svc"
    assert out["ServiceName"] == "cell-svc"
    svc = ecs.describe_services(cluster="cfn-cells", services=["cell-svc"])["services"][0]
    assert svc["desiredCount"] == 2 and svc["runningCount"] == 2
    assert svc["loadBalancers"][0]["targetGroupArn"] == out["Cell1"]
    assert svc["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == [net["Subnet1"]]

    # weights, desired count in place; a new image replaces the task definition
    cfn.update_stack(StackName="cells", TemplateBody=TEMPLATE,
                     Parameters=params(Weight=0, Desired=3, Image="python:3.13", **net))
    s = stack_wait(cfn, "cells")
    assert s["StackStatus"] == "UPDATE_COMPLETE", cfn.describe_stack_events(
        StackName="cells")["StackEvents"][:3]
    out2 = outputs(cfn, "cells")
    assert out2["ListenerArn"] == out["ListenerArn"] and out2["AlbArn"] == out["AlbArn"]
    ls = elb.describe_listeners(ListenerArns=[out["ListenerArn"]])["Listeners"][0]
    assert [g["Weight"] for g in ls["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]] == [
        0, 50]
    assert out2["TaskDef"].endswith(":task-definition/cell:2")
    assert ecs.describe_task_definition(taskDefinition=out["TaskDef"])["taskDefinition"][
        "status"] == "INACTIVE"
    svc = ecs.describe_services(cluster="cfn-cells", services=["cell-svc"])["services"][0]
    assert svc["desiredCount"] == 3 and svc["taskDefinition"] == out2["TaskDef"]

    cfn.delete_stack(StackName="cells")
    assert stack_wait(cfn, "cells") is None
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
    assert ecs.describe_clusters(clusters=["cfn-cells"])["failures"][0]["reason"] == "MISSING"
    assert ecs.list_task_definitions(familyPrefix="cell")["taskDefinitionArns"] == []
