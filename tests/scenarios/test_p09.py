"""P09 ("Deploying AWS Lambda layers automatically across multiple Regions"): the seed's CDK
stack as a template (examples/p09/layers.yaml). The repository lambda-layer-source starts
from a zip in S3 (the CDK asset); the pipeline LambdaLayerBuilderPipeline builds layer.zip
with CodeBuild and its Distribute stage invokes the distributor function four times in
parallel, one action per Region, each publishing sample-layer there with the job's
artifact credentials and sharing the version with the consumer account. As in the seed:
the pipeline has run once at creation; `aws codepipeline start-pipeline-execution` runs it
again; committing a new package.json publishes a new version in all four Regions."""
import io
import json
import os
import urllib.request
import zipfile

import pytest

from ferrytest import AWS_BIN, Ferry, git_env, pipeline_next_execution, pipeline_wait, zipped
from ferrytest import run_ok as run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
EX = os.path.join(ROOT, "examples", "p09")
SRC = os.path.join(EX, "layer-source")
REGION = "us-east-1"
REGIONS = ["eu-central-1", "eu-west-1", "us-west-1", "us-east-1"]
PIPELINE = "LambdaLayerBuilderPipeline"

ORG = """
management: {name: tools, email: tools@example.com}
accounts:
  - {name: consumer, email: consumer@example.com}
region: us-east-1
"""

# a function in the consumer account that requires the shared layer's library
USES_LAYER = {"index.js": "const g = require('greeting');\n"
                          "exports.handler = async (e) => ({greeting: g.greet(e.who)});\n"}


@pytest.fixture(scope="module")
def org():
    f = Ferry(config=ORG).start(env={"FERRY_PIPELINE_INTERVAL": "0.1"})
    f.init()
    yield f
    f.close()


def tree_zip(root):
    """The files under root as a zip (what the CDK asset uploads)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for d, _, files in os.walk(root):
            for f in files:
                p = os.path.join(d, f)
                z.write(p, os.path.relpath(p, root))
    return buf.getvalue()


def wait_execution(cp, xid):
    """The execution must succeed (else: the failing action and its message)."""
    status, why = pipeline_wait(cp, PIPELINE, xid, timeout=90)
    assert status == "Succeeded", why


def actions(cp, xid):
    return cp.list_action_executions(pipelineName=PIPELINE, filter={"pipelineExecutionId": xid})[
        "actionExecutionDetails"]


def layer_files(url):
    with urllib.request.urlopen(url) as r:
        z = zipfile.ZipFile(io.BytesIO(r.read()))
    return {n: z.read(n) for n in z.namelist() if not n.endswith("/")}


def check_published(org, cp, xid, version, package_json, consumer, overlap=False):
    """sample-layer `version` in all four Regions: the content built from package_json,
    shared with the consumer account, published by the four actions of one runOrder, which
    overlapped in time when `overlap` (the first run, whose four invocations each start an
    execution environment: warm ones can answer faster than the engine starts the next
    action, so later runs prove nothing by their times)."""
    dist = [a for a in actions(cp, xid) if a["stageName"] == "Distribute"]
    assert sorted(a["actionName"] for a in dist) == sorted(f"distribute-{r}" for r in REGIONS)
    shas, built = set(), None
    for region in REGIONS:
        lam = org.client("lambda", "tools", region=region)
        v = lam.get_layer_version(LayerName="sample-layer", VersionNumber=version)
        assert v["LayerVersionArn"].startswith(f"arn:aws:lambda:{region}:")
        assert v["CompatibleRuntimes"] == ["nodejs12.x", "nodejs14.x"]
        files = layer_files(v["Content"]["Location"])
        assert files["nodejs/package.json"] == package_json, region
        assert b"from sample-layer" in files["nodejs/node_modules/greeting/index.js"]
        assert set(files) == {"nodejs/package.json", "nodejs/node_modules/greeting/package.json",
                              "nodejs/node_modules/greeting/index.js"}, files.keys()
        shas.add(v["Content"]["CodeSha256"])
        assert built in (None, files)
        built = files
        # no newer version than this run's
        latest = lam.list_layer_versions(LayerName="sample-layer")["LayerVersions"][0]
        assert latest["Version"] == version
        policy = json.loads(lam.get_layer_version_policy(LayerName="sample-layer", VersionNumber=version)["Policy"])
        [st] = policy["Statement"]
        assert st["Action"] == "lambda:GetLayerVersion" and consumer in json.dumps(st["Principal"]), st
        # the consumer account reads it by ARN; the seed's "shared"
        assert org.client("lambda", "consumer", region=region).get_layer_version_by_arn(
            Arn=v["LayerVersionArn"])["Version"] == version
        a = next(a for a in dist if a["actionName"] == f"distribute-{region}")
        assert a["output"]["outputVariables"]["LayerVersionArn"] == v["LayerVersionArn"]
    # one layer.zip, published four times
    assert len(shas) == 1
    # parallel: every distribute action started before any of them ended
    assert not overlap or max(a["startTime"] for a in dist) < min(a["lastUpdateTime"] for a in dist), [
        (a["actionName"], a["startTime"], a["lastUpdateTime"]) for a in dist]
    return shas.pop()


def test_p09_layers_in_four_regions(org, tmp_path):
    tools = org.client("sts", "tools").get_caller_identity()["Account"]
    consumer = org.client("sts", "consumer").get_caller_identity()["Account"]
    # the CDK asset: the repository's initial content in S3
    s3 = org.client("s3", "tools", region=REGION)
    assets = f"p09-assets-{tools}"
    s3.create_bucket(Bucket=assets)
    s3.put_object(Bucket=assets, Key="res.zip", Body=tree_zip(SRC))
    run([AWS_BIN, "--endpoint-url", org.endpoint, "--region", REGION, "--profile", "tools",
         "cloudformation", "deploy", "--stack-name", "lambda-layer-pipeline", "--template-file",
         os.path.join(EX, "layers.yaml"), "--capabilities", "CAPABILITY_IAM", "--parameter-overrides",
         f"LayerPrincipal={consumer}", f"SourceBucket={assets}", "SourceKey=res.zip"], org.env())
    cfn = org.client("cloudformation", "tools", region=REGION)
    out = {o["OutputKey"]: o["OutputValue"] for o in
           cfn.describe_stacks(StackName="lambda-layer-pipeline")["Stacks"][0]["Outputs"]}
    assert out["Pipeline"] == PIPELINE
    cp = org.client("codepipeline", "tools", region=REGION)
    stages = cp.get_pipeline(name=PIPELINE)["pipeline"]["stages"]
    assert [st["name"] for st in stages] == ["Source", "Build", "Distribute"]
    assert {(a["name"], a.get("runOrder", 1)) for a in stages[2]["actions"]} == {
        (f"distribute-{r}", 1) for r in REGIONS}
    package_json = open(os.path.join(SRC, "package.json"), "rb").read()

    # "The pipeline has been started once already and published a first version"
    [first] = cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"]
    wait_execution(cp, first["pipelineExecutionId"])
    sha1 = check_published(org, cp, first["pipelineExecutionId"], 1, package_json, consumer, overlap=True)

    # a manual start: the head of main again, rebuilt (a new zip: its files' times differ),
    # a new immutable version
    x = json.loads(run([AWS_BIN, "--endpoint-url", org.endpoint, "--region", REGION, "--profile", "tools",
                        "codepipeline", "start-pipeline-execution", "--name", PIPELINE], org.env()))
    wait_execution(cp, x["pipelineExecutionId"])
    sha2 = check_published(org, cp, x["pipelineExecutionId"], 2, package_json, consumer)

    # a function in the consumer account uses the shared layer (us-west-1)
    lam = org.client("lambda", "consumer", region="us-west-1")
    iam = org.client("iam", "consumer")
    role = iam.create_role(RoleName="layer-user", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    arn = f"arn:aws:lambda:us-west-1:{tools}:layer:sample-layer:2"
    lam.create_function(FunctionName="uses-layer", Runtime="nodejs20.x", Role=role, Handler="index.handler",
                        Code={"ZipFile": zipped(USES_LAYER)}, Layers=[arn])
    lam.get_waiter("function_active_v2").wait(FunctionName="uses-layer", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    r = lam.invoke(FunctionName="uses-layer", Payload=json.dumps({"who": "consumer"}))
    assert json.loads(r["Payload"].read()) == {"greeting": "hello consumer from sample-layer"}

    # the seed's test: commit a package.json with one more dependency; the push starts the
    # pipeline and version 3 is published in all four Regions
    home = str(tmp_path)
    e = git_env(org, home, name="Layer Maintainer", email="layers@example.com")
    work = os.path.join(home, "lambda-layer-source")
    run(["git", "clone", out["CloneUrl"], work], e)
    pj = json.loads(package_json)
    pj["dependencies"]["aws-xray-sdk"] = "latest"
    new = (json.dumps(pj, indent=4) + "\n").encode()
    with open(os.path.join(work, "package.json"), "wb") as f:
        f.write(new)
    run(["git", "commit", "-am", "Add the AWS X-Ray SDK to the layer"], e, cwd=work)
    n = len(cp.list_pipeline_executions(pipelineName=PIPELINE)["pipelineExecutionSummaries"])
    run(["git", "push", "origin", "HEAD:main"], e, cwd=work)
    xid = pipeline_next_execution(cp, PIPELINE, n, timeout=30)
    wait_execution(cp, xid)
    head = run(["git", "rev-parse", "HEAD"], e, cwd=work).strip()
    x = cp.get_pipeline_execution(pipelineName=PIPELINE, pipelineExecutionId=xid)["pipelineExecution"]
    assert x["artifactRevisions"][0]["revisionId"] == head
    assert check_published(org, cp, xid, 3, new, consumer) not in (sha1, sha2)
    # version 2 is unchanged: layer versions are immutable
    v2 = org.client("lambda", "tools", region="eu-west-1").get_layer_version(LayerName="sample-layer", VersionNumber=2)
    assert v2["Content"]["CodeSha256"] == sha2
