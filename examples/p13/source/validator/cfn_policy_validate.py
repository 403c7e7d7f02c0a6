#!/usr/bin/env python3
"""P13's policy validator, the scenario's own stand-in for cfn-policy-validator: it reads a
CloudFormation template (JSON) and its template configuration file, resolves the intrinsic
functions and pseudo parameters the policies use into plain values (a resource's ARN from
its type's ARN pattern, named after its logical id as the seed describes), and runs every
IAM policy of the template through `aws accessanalyzer validate-policy`. It prints the
findings as the seed's tool does, {BlockingFindings, NonBlockingFindings}, and exits 1 when
there is a blocking one (ERROR or SECURITY_WARNING), so the pipeline stops.

Usage: cfn_policy_validate.py --template-path template.json --region REGION
       [--template-configuration-file template-configuration.json]"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

BLOCKING = ("ERROR", "SECURITY_WARNING")

# ARN patterns of the resource types a policy may reference (Fn::GetAtt X.Arn, ${X.Arn}, Ref)
ARNS = {
    "AWS::SQS::Queue": "arn:{p}:sqs:{r}:{a}:{n}",
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{n}",
    "AWS::S3::Bucket": "arn:{p}:s3:::{n}",
    "AWS::IAM::Role": "arn:{p}:iam::{a}:role/{n}",
    "AWS::Lambda::Function": "arn:{p}:lambda:{r}:{a}:function:{n}",
    "AWS::DynamoDB::Table": "arn:{p}:dynamodb:{r}:{a}:table/{n}",
    "AWS::KMS::Key": "arn:{p}:kms:{r}:{a}:key/{n}",
}
# what Ref returns when it is not the resource's name
REF_IS_ARN = {"AWS::SNS::Topic", "AWS::IAM::ManagedPolicy"}
REF_IS_URL = {"AWS::SQS::Queue"}


class Resolver:
    def __init__(self, template, params, region, account, partition):
        self.res = template.get("Resources", {})
        self.region, self.account, self.partition = region, account, partition
        self.params = {}
        for name, p in template.get("Parameters", {}).items():
            if name in params:
                self.params[name] = params[name]
            elif "Default" in p:
                self.params[name] = p["Default"]
            else:
                sys.exit(f"parameter {name} has no value: give it in the template configuration file")
        self.pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": partition,
                       "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "validation",
                       "AWS::NoValue": None}

    def name(self, logical):
        return logical  # the seed: "typically defaults it to the name of the CloudFormation resource"

    def arn(self, logical):
        t = self.res[logical]["Type"]
        pat = ARNS.get(t)
        if not pat:
            sys.exit(f"cannot resolve the ARN of {logical} ({t})")
        return pat.format(p=self.partition, r=self.region, a=self.account, n=self.name(logical))

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name not in self.res:
            sys.exit(f"Ref to unknown {name}")
        t = self.res[name]["Type"]
        if t in REF_IS_ARN:
            return self.arn(name)
        if t in REF_IS_URL:
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.name(name)}"
        return self.name(name)

    def getatt(self, logical, attr):
        if attr == "Arn":
            return self.arn(logical)
        if attr in ("QueueName", "TopicName", "RoleId"):
            return self.name(logical)
        sys.exit(f"cannot resolve {logical}.{attr}")

    def sub(self, text, local):
        def one(m):
            v = m.group(1)
            if v.startswith("!"):
                return "${" + v[1:] + "}"
            if v in local:
                return str(self.value(local[v]))
            if "." in v and not v.startswith("AWS::"):
                return str(self.getatt(*v.split(".", 1)))
            return str(self.ref(v))
        return re.sub(r"\$\{([^}]+)\}", one, text)

    def value(self, v):
        if isinstance(v, list):
            return [self.value(x) for x in v if x != {"Ref": "AWS::NoValue"}]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (k, arg), = v.items()
            if k == "Ref":
                return self.ref(arg)
            if k == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.getatt(*parts)
            if k == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else arg
                return self.sub(text, local)
            if k == "Fn::Join":
                return arg[0].join(str(x) for x in self.value(arg[1]))
            if k == "Fn::Select":
                return self.value(arg[1])[int(self.value(arg[0]))]
        return {k: self.value(x) for k, x in v.items()}


def policies(template, r):
    """(resource, policy name, policy type, resource type for ValidatePolicy, document)."""
    for logical, res in template.get("Resources", {}).items():
        t, props = res["Type"], res.get("Properties", {})
        if t == "AWS::IAM::Role":
            if "AssumeRolePolicyDocument" in props:
                yield (logical, "TrustPolicy", "RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument",
                       r.value(props["AssumeRolePolicyDocument"]))
            for p in props.get("Policies", []):
                yield logical, r.value(p["PolicyName"]), "IDENTITY_POLICY", None, r.value(p["PolicyDocument"])
        elif t in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            name = r.value(props.get("PolicyName", props.get("ManagedPolicyName", logical)))
            yield logical, name, "IDENTITY_POLICY", None, r.value(props["PolicyDocument"])
        elif t in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            # reported under the queue or topic it is attached to, as the seed's output shows
            on = (props.get("Queues") or props.get("Topics") or [{}])[0]
            owner = on["Ref"] if isinstance(on, dict) and "Ref" in on else logical
            yield owner, logical, "RESOURCE_POLICY", None, r.value(props["PolicyDocument"])
        elif t == "AWS::S3::BucketPolicy":
            yield logical, logical, "RESOURCE_POLICY", "AWS::S3::Bucket", r.value(props["PolicyDocument"])


def aws(*args):
    """The aws CLI, started (its output read by done())."""
    return subprocess.Popen(["aws", *args, "--output", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def done(p):
    out, err = p.communicate()
    if p.returncode:
        sys.exit(f"aws failed: {err.strip()}")
    return json.loads(out)


def identity():
    """(account, partition) the validation runs as: in CodeBuild, the build's ARN names them
    (no call); elsewhere, sts get-caller-identity."""
    arn = os.environ.get("CODEBUILD_BUILD_ARN") or done(aws("sts", "get-caller-identity"))["Arn"]
    parts = arn.split(":")
    return parts[4], parts[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template-path", required=True)
    ap.add_argument("--template-configuration-file")
    ap.add_argument("--region", required=True)
    o = ap.parse_args()
    template = json.load(open(o.template_path))
    params = {}
    if o.template_configuration_file:
        params = json.load(open(o.template_configuration_file)).get("Parameters", {})
    account, partition = identity()
    r = Resolver(template, params, o.region, account, partition)
    blocking, other, running = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        # one validate-policy per policy, all started at once
        for i, (logical, name, ptype, rtype, doc) in enumerate(policies(template, r)):
            path = os.path.join(tmp, f"{i}.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            args = ["accessanalyzer", "validate-policy", "--region", o.region, "--policy-type", ptype,
                    "--policy-document", f"file://{path}"]
            if rtype:
                args += ["--validate-policy-resource-type", rtype]
            running.append((logical, name, aws(*args)))
        for logical, name, p in running:
            for x in done(p)["findings"]:
                out = {"findingType": x["findingType"], "code": x["issueCode"], "message": x["findingDetails"],
                       "resourceName": logical, "policyName": name, "details": x}
                (blocking if x["findingType"] in BLOCKING else other).append(out)
    print(json.dumps({"BlockingFindings": blocking, "NonBlockingFindings": other}, indent=4))
    sys.exit(1 if blocking else 0)


if __name__ == "__main__":
    main()
