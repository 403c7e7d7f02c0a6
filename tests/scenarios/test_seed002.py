"""Seed 002 (a Lambda API deployed cross-account from a tools account): the target account's
two roles, then what the seed's buildspec does as the assumed CodePipelineAssumeRole —
package the service and deploy it with CloudFormation as CFExecutionRole — and the seed's
two HTTP calls with curl: POST /product/create, GET /product/find/1001. The seed's
serverless.yml is written as a SAM template (examples/seed002); the pipeline that runs these
steps from a git push is issue 14's."""
import json
import os
import subprocess

import pytest

from ferrytest import AWS_BIN, Ferry, curl

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TPL = os.path.join(ROOT, "examples", "seed002")

ORG = """
management: {name: tools, email: tools@example.com}
accounts:
  - {name: dev, email: dev@example.com}
region: us-east-1
"""
PRODUCT = {"id": "1001", "title": "Amazon Echo", "description": "Amazon Echo", "price": "89.99"}


@pytest.fixture(scope="module")
def org():
    f = Ferry(config=ORG).start()
    f.init()
    yield f
    f.close()


def aws(f, *args, profile=None, env=None, check=True):
    cmd = [AWS_BIN, "--endpoint-url", f.endpoint, "--region", "us-east-1"]
    if profile:
        cmd += ["--profile", profile]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env or f.env(), timeout=300)
    if check:
        assert r.returncode == 0, f"{' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


def test_seed002_product_catalog(org, tmp_path):
    tools = aws(org, "sts", "get-caller-identity", "--query", "Account", "--output", "text",
                profile="tools").stdout.strip()
    dev_env = org.env()
    # the target account's administrator creates the two roles
    aws(org, "cloudformation", "deploy", "--stack-name", "serverless-roles", "--template-file",
        os.path.join(TPL, "target-roles.yaml"), "--capabilities", "CAPABILITY_NAMED_IAM",
        "--parameter-overrides", f"ToolsAccountID={tools}", profile="dev")
    roles = {o["OutputKey"]: o["OutputValue"] for o in json.loads(aws(
        org, "cloudformation", "describe-stacks", "--stack-name", "serverless-roles", "--query",
        "Stacks[0].Outputs", profile="dev").stdout)}
    # aws-profile-setup.sh: the build makes the cross-account role its default credentials
    c = json.loads(aws(org, "sts", "assume-role", "--role-arn", roles["CodePipelineAssumeRoleArn"],
                       "--role-session-name", "codebuild", "--query", "Credentials",
                       profile="tools").stdout)
    dev_env.update(AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"],
                   AWS_SESSION_TOKEN=c["SessionToken"])
    dev = roles["CFExecutionRoleArn"].split(":")[4]
    assert dev != tools
    bucket = f"serverless-deployments-{dev}"
    aws(org, "s3", "mb", f"s3://{bucket}", env=dev_env)
    out = tmp_path / "packaged.yaml"
    aws(org, "cloudformation", "package", "--template-file", os.path.join(TPL, "product-catalog.yaml"),
        "--s3-bucket", bucket, "--output-template-file", str(out), env=org.package_env(dev_env))
    aws(org, "cloudformation", "deploy", "--stack-name", "product-catalog-service-DEV",
        "--template-file", str(out), "--role-arn", roles["CFExecutionRoleArn"],
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", env=dev_env)
    outs = {o["OutputKey"]: o["OutputValue"] for o in json.loads(aws(
        org, "cloudformation", "describe-stacks", "--stack-name", "product-catalog-service-DEV",
        "--query", "Stacks[0].Outputs", env=dev_env).stdout)}
    api = outs["ServiceApiId"]
    assert outs["ServiceEndpoint"] == f"https://{api}.execute-api.us-east-1.amazonaws.com/Prod"
    # the pipeline's role may not do more than its policy says (no DynamoDB)
    r = aws(org, "dynamodb", "list-tables", env=dev_env, check=False)
    assert r.returncode != 0 and "AccessDenied" in r.stderr

    # the seed's calls, on the API's own host name and on the path form
    host = f"http://{api}.execute-api.localhost:{org.port}/Prod"
    code, body = curl("-X", "POST", f"{host}/product/create", "-H", "Content-Type: application/json",
                      "-d", json.dumps(PRODUCT))
    assert code == 200, body
    code, body = curl(f"{host}/product/find/1001")
    assert code == 200 and json.loads(body) == PRODUCT, body
    code, body = curl(f"{org.endpoint}/_ferry/execute-api/{api}/Prod/product/find/1001")
    assert code == 200 and json.loads(body) == PRODUCT, body
    code, body = curl(f"{host}/product/find/2002")
    assert code == 404 and "not found" in body
    # the item is in the target account's table
    item = org.client("dynamodb", "dev").get_item(TableName="product-catalog-DEV", Key={"id": {"S": "1001"}})
    assert item["Item"]["title"] == {"S": "Amazon Echo"}
