"""Amazon ECR's control plane through boto3 (json): repositories (create, describe with
pagination, delete with force), images recorded by PutImage (digest = sha256 of the
manifest, tags moving between images, immutable tags), BatchGetImage, DescribeImages,
ListImages, BatchDeleteImage, authorization tokens, repository policies (another account's
pull allowed only through one), tags, AWS's errors; the "ECR Image Action" event on
EventBridge; and CodePipeline's ECR source action (imageDetail.json and its output variables
read by a Lambda invoke action), started by an EventBridge rule on the push."""
import base64
import hashlib
import json
import time
import uuid

import pytest
from ferrytest import Ferry, acct, raises

REGION = "us-east-1"


@pytest.fixture(scope="module")
def fx():
    f = Ferry().start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    f.init()
    yield f
    f.close()


@pytest.fixture(scope="module")
def ecr(fx):
    return fx.client("ecr", "tools", region=REGION)


@pytest.fixture(scope="module")
def tools(fx):
    return acct(fx, "tools")


def uniq(p="repo"):
    return f"{p}-{uuid.uuid4().hex[:8]}"


def manifest(n):
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 100,
                                  "digest": "sha256:" + "0" * 64},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                   "size": 1000 + n, "digest": "sha256:" + f"{n:064x}"}]})


def digest(m):
    return "sha256:" + hashlib.sha256(m.encode()).hexdigest()


def test_repositories(ecr, tools):
    name = uniq("team/app")
    r = ecr.create_repository(repositoryName=name, tags=[{"Key": "team", "Value": "a"}])["repository"]
    assert r["repositoryArn"] == f"arn:aws:ecr:{REGION}:{tools}:repository/{name}"
    assert r["repositoryUri"] == f"{tools}.dkr.ecr.{REGION}.amazonaws.com/{name}"
    assert r["registryId"] == tools and r["imageTagMutability"] == "MUTABLE"
    assert r["encryptionConfiguration"] == {"encryptionType": "AES256"}
    raises(ecr.create_repository, "RepositoryAlreadyExistsException",
           f"The repository with name '{name}' already exists in the registry with id '{tools}'",
           repositoryName=name)
    raises(ecr.create_repository, "ValidationException", repositoryName="Upper_Case")
    raises(ecr.describe_repositories, "RepositoryNotFoundException",
           f"The repository with name 'nope' does not exist in the registry with id '{tools}'",
           repositoryNames=["nope"])
    got = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert [x["repositoryName"] for x in got] == [name]
    others = [uniq() for _ in range(2)]
    for o in others:
        ecr.create_repository(repositoryName=o)
    names = [x["repositoryName"] for x in ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": 1}).build_full_result()["repositories"]]
    assert set(others + [name]) <= set(names)
    arn = r["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "env", "Value": "dev"}])
    ecr.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "env", "Value": "dev"}]
    for o in others:
        ecr.delete_repository(repositoryName=o)
    raises(ecr.delete_repository, "RepositoryNotFoundException", repositoryName=others[0])


def test_images_tags_and_delete(ecr, tools):
    name = uniq()
    ecr.create_repository(repositoryName=name)
    m1, m2 = manifest(1), manifest(2)
    img = ecr.put_image(repositoryName=name, imageManifest=m1, imageTag="latest")["image"]
    assert img["imageId"] == {"imageDigest": digest(m1), "imageTag": "latest"}
    raises(ecr.put_image, "ImageAlreadyExistsException", repositoryName=name, imageManifest=m1, imageTag="latest")
    ecr.put_image(repositoryName=name, imageManifest=m1, imageTag="v1")
    raises(ecr.put_image, "InvalidParameterException", repositoryName=name, imageManifest="{nope")
    raises(ecr.put_image, "ImageDigestDoesNotMatchException", repositoryName=name, imageManifest=m2,
           imageDigest=digest(m1))
    # the tag moves to the new image; the old one keeps its other tag
    ecr.put_image(repositoryName=name, imageManifest=m2, imageTag="latest")
    d = {x["imageDigest"]: x for x in ecr.describe_images(repositoryName=name)["imageDetails"]}
    assert sorted(d[digest(m1)]["imageTags"]) == ["v1"] and d[digest(m2)]["imageTags"] == ["latest"]
    assert d[digest(m2)]["imageSizeInBytes"] == 1102 and d[digest(m2)]["registryId"] == tools
    one = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "latest"}])["imageDetails"]
    assert [x["imageDigest"] for x in one] == [digest(m2)]
    raises(ecr.describe_images, "ImageNotFoundException",
           f"The image with imageId {{imageDigest:'null', imageTag:'gone'}} does not exist within the "
           f"repository with name '{name}' in the registry with id '{tools}'",
           repositoryName=name, imageIds=[{"imageTag": "gone"}])
    got = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}, {"imageTag": "gone"}])
    assert got["images"][0]["imageManifest"] == m1 and got["images"][0]["imageId"]["imageTag"] == "v1"
    assert got["failures"][0]["failureCode"] == "ImageNotFound"
    ids = ecr.list_images(repositoryName=name)["imageIds"]
    assert sorted((i["imageDigest"], i.get("imageTag")) for i in ids) == sorted(
        [(digest(m1), "v1"), (digest(m2), "latest")])
    # untagging the last tag deletes the image; ListImages' filter
    ecr.put_image(repositoryName=name, imageManifest=manifest(3))
    assert [i["imageDigest"] for i in ecr.list_images(repositoryName=name, filter={"tagStatus": "UNTAGGED"})[
        "imageIds"]] == [digest(manifest(3))]
    out = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "v1"}, {"imageTag": "gone"}])
    assert out["imageIds"] == [{"imageDigest": digest(m1), "imageTag": "v1"}]
    assert out["failures"][0]["failureCode"] == "ImageNotFound"
    assert len(ecr.describe_images(repositoryName=name)["imageDetails"]) == 2
    raises(ecr.delete_repository, "RepositoryNotEmptyException", repositoryName=name)
    ecr.delete_repository(repositoryName=name, force=True)
    raises(ecr.describe_images, "RepositoryNotFoundException", repositoryName=name)


def test_immutable_tags(ecr):
    name = uniq()
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    ecr.put_image(repositoryName=name, imageManifest=manifest(1), imageTag="v1")
    raises(ecr.put_image, "ImageTagAlreadyExistsException",
           f"The image tag 'v1' already exists in the '{name}' repository and cannot be overwritten "
           "because the repository is immutable.",
           repositoryName=name, imageManifest=manifest(2), imageTag="v1")
    ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE")
    ecr.put_image(repositoryName=name, imageManifest=manifest(2), imageTag="v1")


def test_authorization_token(ecr, tools):
    d = ecr.get_authorization_token()["authorizationData"][0]
    user, _, pw = base64.b64decode(d["authorizationToken"]).decode().partition(":")
    assert user == "AWS" and pw
    assert d["proxyEndpoint"] == f"https://{tools}.dkr.ecr.{REGION}.amazonaws.com"


def test_repository_policy_cross_account(fx, ecr, tools):
    name = uniq()
    ecr.create_repository(repositoryName=name)
    ecr.put_image(repositoryName=name, imageManifest=manifest(1), imageTag="latest")
    dev = fx.client("ecr", "dev", region=REGION)
    raises(dev.describe_images, "AccessDeniedException", registryId=tools, repositoryName=name)
    raises(ecr.get_repository_policy, "RepositoryPolicyNotFoundException", repositoryName=name)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "pull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct(fx, 'dev')}:root"},
        "Action": ["ecr:DescribeImages", "ecr:BatchGetImage"]}]})
    ecr.set_repository_policy(repositoryName=name, policyText=policy)
    assert json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"]) == json.loads(policy)
    got = dev.describe_images(registryId=tools, repositoryName=name)["imageDetails"]
    assert got[0]["imageTags"] == ["latest"]
    raises(dev.put_image, "AccessDeniedException", registryId=tools, repositoryName=name,
           imageManifest=manifest(9), imageTag="evil")
    raises(ecr.set_repository_policy, "InvalidParameterException", repositoryName=name, policyText="{}")
    ecr.delete_repository_policy(repositoryName=name)
    raises(dev.describe_images, "AccessDeniedException", registryId=tools, repositoryName=name)


def test_push_event_on_eventbridge(fx, ecr, tools):
    name = uniq()
    ecr.create_repository(repositoryName=name)
    sqs, ev = fx.client("sqs", "tools", region=REGION), fx.client("events", "tools", region=REGION)
    url = sqs.create_queue(QueueName=uniq("q"))["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": qarn}]})})
    rule = uniq("push")
    ev.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
                                                    "detail": {"repository-name": [name]}}))
    ev.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
    m = manifest(5)
    ecr.put_image(repositoryName=name, imageManifest=m, imageTag="v5")
    ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": digest(m)}])
    seen, deadline = [], time.time() + 15
    while time.time() < deadline and len(seen) < 2:
        for msg in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            seen.append(json.loads(msg["Body"]))
    push = [e for e in seen if e["detail"]["action-type"] == "PUSH"][0]
    assert push["source"] == "aws.ecr" and push["account"] == tools and push["region"] == REGION
    assert push["detail"] == {"result": "SUCCESS", "repository-name": name, "image-digest": digest(m),
                              "action-type": "PUSH", "image-tag": "v5"}
    assert [e["detail"]["action-type"] for e in seen] == ["PUSH", "DELETE"]


READER = {"index.py": """import io, json, zipfile, boto3
def handler(event, context):
    job = event["CodePipeline.job"]
    d = job["data"]
    c = d["artifactCredentials"]
    s3 = boto3.client("s3", aws_access_key_id=c["accessKeyId"], aws_secret_access_key=c["secretAccessKey"],
                      aws_session_token=c["sessionToken"])
    loc = d["inputArtifacts"][0]["location"]["s3Location"]
    body = s3.get_object(Bucket=loc["bucketName"], Key=loc["objectKey"])["Body"].read()
    detail = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("imageDetail.json"))
    boto3.client("codepipeline").put_job_success_result(jobId=job["id"], outputVariables={
        "uri": detail["ImageURI"], "tags": ",".join(detail["ImageTags"]), "size": detail["ImageSizeInBytes"],
        "param": d["actionConfiguration"]["configuration"]["UserParameters"]})
"""}


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def allow(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def test_pipeline_ecr_source_started_by_push(fx, ecr, tools):
    """The ECR source resolves ImageTag latest as the pipeline's role, writes imageDetail.json
    and its output variables; a Lambda invoke action reads the artifact; an EventBridge rule on
    the push starts the pipeline. Before any push the source fails with ECR's error."""
    from ferrytest import zipped
    repo = uniq()
    ecr.create_repository(repositoryName=repo)
    iam, lam = fx.client("iam", "tools"), fx.client("lambda", "tools", region=REGION)
    bucket = uniq("artifacts")
    fx.client("s3", "tools", region=REGION).create_bucket(Bucket=bucket)
    svc = iam.create_role(RoleName=uniq("cp"), AssumeRolePolicyDocument=trust(
        {"Service": "codepipeline.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=svc.split("/")[-1], PolicyName="p", PolicyDocument=allow(
        "s3:*", "ecr:DescribeImages", "lambda:InvokeFunction"))
    fnrole = iam.create_role(RoleName=uniq("fn"), AssumeRolePolicyDocument=trust(
        {"Service": "lambda.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=fnrole.split("/")[-1], PolicyName="p", PolicyDocument=allow(
        "codepipeline:PutJobSuccessResult", "codepipeline:PutJobFailureResult", "logs:*"))
    fn = uniq("reader")
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=fnrole, Handler="index.handler",
                        Code={"ZipFile": zipped(READER)}, Timeout=30)
    lam.get_waiter("function_active_v2").wait(FunctionName=fn, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    cp = fx.client("codepipeline", "tools", region=REGION)
    name = uniq("ecr")
    bad = {"name": name, "roleArn": svc, "artifactStore": {"type": "S3", "location": bucket}, "stages": [
        {"name": "Source", "actions": [{
            "name": "Image", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
            "configuration": {"ImageTag": "v1"}, "outputArtifacts": [{"name": "ImageOut"}]}]},
        {"name": "Read", "actions": [{
            "name": "Read", "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
            "configuration": {"FunctionName": fn}, "inputArtifacts": [{"name": "ImageOut"}]}]}]}
    raises(cp.create_pipeline, "InvalidActionDeclarationException",
           "Action configuration for action 'Image' is missing required configuration 'RepositoryName'",
           pipeline=bad)
    cp.create_pipeline(pipeline={"name": name, "roleArn": svc, "artifactStore": {"type": "S3", "location": bucket},
                                 "stages": [
        {"name": "Source", "actions": [{
            "name": "Image", "namespace": "SourceVariables",
            "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
            "configuration": {"RepositoryName": repo}, "outputArtifacts": [{"name": "ImageOut"}]}]},
        {"name": "Read", "actions": [{
            "name": "Read", "namespace": "Read",
            "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda", "version": "1"},
            "configuration": {"FunctionName": fn, "UserParameters": "#{SourceVariables.ImageDigest}"},
            "inputArtifacts": [{"name": "ImageOut"}]}]}]})

    def runs():
        return cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]

    def settled(n):
        deadline = time.time() + 60
        while time.time() < deadline:
            r = runs()
            if len(r) >= n and r[0]["status"] in ("Succeeded", "Failed", "Stopped"):
                return r[0]
            time.sleep(0.2)
        raise AssertionError(runs())

    # created: the first execution finds no image tagged latest
    assert settled(1)["status"] == "Failed"
    err = cp.get_pipeline_state(name=name)["stageStates"][0]["actionStates"][0]["latestExecution"]["errorDetails"]
    assert "imageTag:'latest'" in err["message"], err

    role = iam.create_role(RoleName=uniq("events"), AssumeRolePolicyDocument=trust(
        {"Service": "events.amazonaws.com"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.split("/")[-1], PolicyName="p",
                        PolicyDocument=allow("codepipeline:StartPipelineExecution"))
    ev = fx.client("events", "tools", region=REGION)
    rule = uniq("ecr-push")
    rule_arn = ev.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.ecr"], "detail-type": ["ECR Image Action"],
        "detail": {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": [repo],
                   "image-tag": ["latest"]}}))["RuleArn"]
    ev.put_targets(Rule=rule, Targets=[{"Id": "p", "Arn": f"arn:aws:codepipeline:{REGION}:{tools}:{name}",
                                        "RoleArn": role}])
    m = manifest(7)
    ecr.put_image(repositoryName=repo, imageManifest=m, imageTag="latest")
    x = settled(2)
    assert x["status"] == "Succeeded", cp.get_pipeline_state(name=name)
    assert x["trigger"] == {"triggerType": "CloudWatchEvent", "triggerDetail": rule_arn}
    uri = f"{tools}.dkr.ecr.{REGION}.amazonaws.com/{repo}@{digest(m)}"
    acts = {a["actionName"]: a for a in cp.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": x["pipelineExecutionId"]})["actionExecutionDetails"]}
    assert acts["Image"]["output"]["outputVariables"] == {
        "RegistryId": tools, "RepositoryName": repo, "ImageTag": "latest", "ImageDigest": digest(m), "ImageURI": uri}
    assert acts["Read"]["output"]["outputVariables"] == {"uri": uri, "tags": "latest", "size": "1107",
                                                         "param": digest(m)}


REPO_TEMPLATE = """
Parameters:
  Mutability: {Type: String, Default: MUTABLE}
Conditions:
  Open: !Equals [!Ref Mutability, MUTABLE]
Resources:
  Repo:
    Type: AWS::ECR::Repository
    Properties:
      ImageTagMutability: !Ref Mutability
      EmptyOnDelete: true
      RepositoryPolicyText: !If
        - Open
        - {Version: "2012-10-17", Statement: [{Sid: pull, Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: ["ecr:BatchGetImage"]}]}
        - !Ref AWS::NoValue
      Tags: [{Key: team, Value: !Ref Mutability}]
Outputs:
  Name: {Value: !Ref Repo}
  Arn: {Value: !GetAtt Repo.Arn}
  Uri: {Value: !GetAtt Repo.RepositoryUri}
"""


def test_cloudformation_repository(fx, ecr, tools):
    from ferrytest import stack_wait
    cfn = fx.client("cloudformation", "tools", region=REGION)
    stack = uniq("ecrstack")
    cfn.create_stack(StackName=stack, TemplateBody=REPO_TEMPLATE)
    s = stack_wait(cfn, stack)
    assert s["StackStatus"] == "CREATE_COMPLETE", s
    out = {o["OutputKey"]: o["OutputValue"] for o in s["Outputs"]}
    name = out["Name"]
    assert name.startswith(stack + "-repo-") and name == name.lower()
    assert out["Arn"] == f"arn:aws:ecr:{REGION}:{tools}:repository/{name}"
    assert out["Uri"] == f"{tools}.dkr.ecr.{REGION}.amazonaws.com/{name}"
    assert "BatchGetImage" in ecr.get_repository_policy(repositoryName=name)["policyText"]
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=out["Arn"])["tags"]}
    assert tags["team"] == "MUTABLE" and tags["aws:cloudformation:logical-id"] == "Repo"
    ecr.put_image(repositoryName=name, imageManifest=manifest(1), imageTag="v1")
    cfn.update_stack(StackName=stack, TemplateBody=REPO_TEMPLATE,
                     Parameters=[{"ParameterKey": "Mutability", "ParameterValue": "IMMUTABLE"}])
    s = stack_wait(cfn, stack)
    assert s["StackStatus"] == "UPDATE_COMPLETE", s
    assert ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
    raises(ecr.get_repository_policy, "RepositoryPolicyNotFoundException", repositoryName=name)
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=out["Arn"])["tags"]}
    assert tags["team"] == "IMMUTABLE"
    # EmptyOnDelete: the stack's delete takes the images with it
    cfn.delete_stack(StackName=stack)
    assert stack_wait(cfn, stack) is None or stack_wait(cfn, stack)["StackStatus"] == "DELETE_COMPLETE"
    raises(ecr.describe_repositories, "RepositoryNotFoundException", repositoryNames=[name])
