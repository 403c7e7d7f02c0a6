"""Seed 004 (multi-account service discovery with App Mesh): its 15 `aws cloudformation
deploy --no-fail-on-empty-changeset` commands, in the README's order, across two profiles
(acct1-domain1, acct2-domain2), with the seed's --parameter-overrides and its
`describe-stacks --query` lookups of account 1's outputs from account 2. Templates:
examples/seed004 (ferry's resource types; see its README). Where the seed asks EC2 or Cloud
Map for an id (describe-vpcs, list-namespaces), which ferry does not have yet, the test asks
the stack that stands for them."""
import os
import subprocess

import pytest

from ferrytest import AWS_BIN, Ferry

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
TPL = os.path.join(ROOT, "examples", "seed004")

ORG = """
management: {name: acct1-domain1, email: acct1@example.com}
accounts:
  - {name: acct2-domain2, email: acct2@example.com}
region: us-east-1
"""


@pytest.fixture(scope="module")
def org():
    f = Ferry(config=ORG).start()
    f.init()
    yield f
    f.close()


def aws(f, profile, *args, check=True):
    cmd = [AWS_BIN, "--endpoint-url", f.endpoint, "--profile", profile, "--region", "us-east-1"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, env=f.env(), timeout=120)
    if check:
        assert r.returncode == 0, f"{' '.join(args)}: {r.stdout}\n{r.stderr}"
    return r


def deploy(f, profile, stack, tpl, *overrides, caps="CAPABILITY_IAM"):
    args = ["cloudformation", "deploy", "--no-fail-on-empty-changeset", "--stack-name", stack,
            "--template-file", os.path.join(TPL, tpl)]
    if overrides:
        args += ["--parameter-overrides", *overrides]
    args += ["--capabilities", caps]
    return aws(f, profile, *args)


def output(f, profile, stack, key):
    # the seed's own query, equals-sign form included
    r = aws(f, profile, "cloudformation", "describe-stacks", f"--stack-name={stack}",
            f"--query=Stacks[0].Outputs[?OutputKey=='{key}'].OutputValue", "--output=text")
    return r.stdout.strip()


def test_seed004_deploy_sequence(org):
    a1 = aws(org, "acct1-domain1", "sts", "get-caller-identity", "--query", "Account", "--output", "text").stdout.strip()
    a2 = aws(org, "acct2-domain2", "sts", "get-caller-identity", "--query", "Account", "--output", "text").stdout.strip()
    assert a1 != a2 and len(a1) == 12
    A1, A2 = "acct1-domain1", "acct2-domain2"
    deploy(org, A1, "appmesh-vpc-subnet-infra", "1_infra_account_1.yaml")
    deploy(org, A1, "appmesh-resources-account-1", "2_appmesh_resources.yaml", f"MeshOwner={a1}")
    deploy(org, A1, "mesh-and-vpc-share", "3_mesh_and_vpc_share.yaml", f"Account2AccountId={a2}")
    deploy(org, A1, "common-infra-account-1", "4_common_infra_account_1.yaml", caps="CAPABILITY_NAMED_IAM")
    deploy(org, A1, "ALB-for-Service-A", "5_ALB-for-Service-A.yaml")
    deploy(org, A1, "Domain-1-Service-B-Cell-1", "7a_Domain-1-Service-B-Cell-1.yaml", f"MeshOwner={a1}")
    deploy(org, A1, "Domain-1-Service-B-Cell-2", "7b_Domain-1-Service-B-Cell-2.yaml", f"MeshOwner={a1}")
    deploy(org, A1, "Domain-1-Service-A-Cell-1", "6a_Domain-1-Service-A-Cell-1.yaml", f"MeshOwner={a1}")
    deploy(org, A1, "Domain-1-Service-A-Cell-2", "6b_Domain-1-Service-A-Cell-2.yaml", f"MeshOwner={a1}")
    vpc = output(org, A1, "appmesh-vpc-subnet-infra", "VPC")
    assert vpc.startswith("vpc-")
    deploy(org, A2, "common-infra-account-2", "8_common_infra_account_2.yaml", f"MeshOwner={a1}", f"VPC={vpc}",
           caps="CAPABILITY_NAMED_IAM")
    deploy(org, A2, "appmesh-resources-account-2", "9_appmesh_resources_account_2.yaml", f"MeshOwner={a1}")
    ns = output(org, A2, "common-infra-account-2", "NameSpaceId2")
    subnets = [output(org, A1, "appmesh-vpc-subnet-infra", k) for k in ("PrivateSubnet1", "PrivateSubnet2")]
    x = [f"MeshOwner={a1}", f"VPC={vpc}", f"PrivateSubnet1={subnets[0]}", f"PrivateSubnet2={subnets[1]}",
         f"NameSpaceId2={ns}"]
    deploy(org, A2, "Domain-2-Service-X-Cell-1", "10a_Domain-2-Service-X-Cell-1.yaml", *x)
    deploy(org, A2, "Domain-2-Service-X-Cell-2", "10b_Domain-2-Service-X-Cell-2.yaml", *x)
    deploy(org, A1, "AppMesh-Virtual-Gateway-resources", "11_Virtual-Gateway-AppMesh-resources.yaml", f"MeshOwner={a1}")
    deploy(org, A1, "Virtual-Gateway-Load-Balancer", "12_FrontEnd-ECS-Task-and-Service-for-Virtual-Gateway.yaml")

    # every stack is complete, in its account
    for profile, n in ((A1, 11), (A2, 4)):
        r = aws(org, profile, "cloudformation", "list-stacks", "--stack-status-filter", "CREATE_COMPLETE",
                "--query", "StackSummaries[].StackName", "--output", "text")
        assert len(r.stdout.split()) == n, r.stdout
    assert output(org, A2, "Domain-2-Service-X-Cell-1", "Placement") == f"{vpc},{subnets[0]},{subnets[1]}"
    assert output(org, A1, "ALB-for-Service-A", "ALBDNS").endswith(".us-east-1.elb.amazonaws.com")
    # account 2 does not see account 1's stacks
    r = aws(org, A2, "cloudformation", "describe-stacks", "--stack-name", "appmesh-vpc-subnet-infra", check=False)
    assert r.returncode != 0 and "Stack with id appmesh-vpc-subnet-infra does not exist" in r.stderr
    # re-running a deploy with nothing changed succeeds (--no-fail-on-empty-changeset)
    r = deploy(org, A1, "appmesh-vpc-subnet-infra", "1_infra_account_1.yaml")
    assert "No changes to deploy" in r.stdout
    r = deploy(org, A2, "Domain-2-Service-X-Cell-1", "10a_Domain-2-Service-X-Cell-1.yaml", *x)
    assert "No changes to deploy" in r.stdout
    # named IAM roles need CAPABILITY_NAMED_IAM, as in the seed
    r = aws(org, A1, "cloudformation", "deploy", "--stack-name", "named-check", "--template-file",
            os.path.join(TPL, "4_common_infra_account_1.yaml"), "--capabilities", "CAPABILITY_IAM", check=False)
    assert r.returncode != 0 and "Requires capabilities : [CAPABILITY_NAMED_IAM]" in r.stderr
