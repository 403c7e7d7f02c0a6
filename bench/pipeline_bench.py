#!/usr/bin/python3
"""CodePipeline figures (issue 14), in one run on one ferry (the engine at its default
interval, FERRY_PIPELINE_INTERVAL unset: 1 s between polls of actions that wait on another
service, a stack or a build, the fallback: the end of a build or a stack operation wakes the
engine, as every other transition does):

1. Engine overhead per action, beyond the action's own work. A pipeline Source (S3) →
   Gate whose BENCH_ACTIONS (default 10) actions run one after another (runOrder 1..N):
   a. Lambda invoke actions: the function reads the clock as it starts, then calls
      PutJobSuccessResult. Per action: the engine's turnaround (the previous action's end
      → this action's start, from ListActionExecutions, ferry's clock) and the time from
      the function's start to the action's end (the Lambda invocation and the job protocol,
      which are the action's own work, shown beside it).
   b. Manual approval actions: this process polls GetPipelineState and approves each as soon
      as its token shows. Per action: the turnaround (previous action's end → next start).
2. A three-stage pipeline CodeCommit → CodeBuild (`echo`) → CloudFormation (one SNS topic),
   started by the EventBridge rule on the push: `git push` started → execution Succeeded,
   BENCH_E2E_RUNS (default 3) pushes, each changing the topic's display name; medians.
   Beside it, where the time went: the `git push` command itself (its credential helper is
   the aws CLI), push → execution started (the EventBridge rule), each action's start → end
   and the gaps between them, the CodeBuild build itself (its startTime → endTime) and the
   stack update (its first event → last); then each action's idle time: its duration
   beyond that work.
3. BENCH_PARALLEL (default 50) pipelines Source (S3) → Deploy (CloudFormation, one SNS
   topic each) started at once: time until all have finished, how many succeeded, ferry's
   RSS before and its peak (VmHWM) meanwhile.

Prints a markdown section for bench/RESULTS.md."""
import concurrent.futures
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from ferrytest import Ferry, git_env, zipped  # noqa: E402

REGION = "us-east-1"
ACTIONS = int(os.environ.get("BENCH_ACTIONS", "10"))
E2E_RUNS = int(os.environ.get("BENCH_E2E_RUNS", "3"))
PARALLEL = int(os.environ.get("BENCH_PARALLEL", "50"))
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TOPIC = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {DisplayName: '%s'}
"""
FUNCTION = """import time
import boto3
cp = boto3.client("codepipeline")
def handler(event, context):
    t = time.time()
    cp.put_job_success_result(jobId=event["CodePipeline.job"]["id"], outputVariables={"t": repr(t)})
"""


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ms(x):
    return f"{x * 1000:.1f} ms"


def rss_kb(pid, field="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def role(iam, name, service):
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps(ALL))
    return arn


class Bench:
    def __init__(self, f):
        self.f = f
        self.cp = f.client("codepipeline", "tools", region=REGION)
        self.s3 = f.client("s3", "tools", region=REGION)
        iam = f.client("iam", "tools")
        self.account = f.client("sts", "tools").get_caller_identity()["Account"]
        self.pipe_role = role(iam, "bench-pipeline", "codepipeline.amazonaws.com")
        self.build_role = role(iam, "bench-build", "codebuild.amazonaws.com")
        self.cfn_role = role(iam, "bench-cfn", "cloudformation.amazonaws.com")
        self.fn_role = role(iam, "bench-fn", "lambda.amazonaws.com")
        self.events_role = role(iam, "bench-events", "events.amazonaws.com")
        self.bucket = f"bench-artifacts-{self.account}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})

    def source(self, key):
        return {"name": "Source", "actions": [{
            "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"S3Bucket": self.bucket, "S3ObjectKey": key, "PollForSourceChanges": "false"},
            "outputArtifacts": [{"name": "Src"}]}]}

    def decl(self, name, stages):
        return {"name": name, "roleArn": self.pipe_role,
                "artifactStore": {"type": "S3", "location": self.bucket}, "stages": stages}

    def wait(self, name, xid, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            x = self.cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=xid)["pipelineExecution"]
            if x["status"] not in ("InProgress", "Stopping"):
                return x["status"]
            time.sleep(0.02)
        raise RuntimeError(f"{name} {xid} did not finish")

    def gate_actions(self, name):
        xid = self.cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][0][
            "pipelineExecutionId"]
        acts = [a for a in self.cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xid})[
            "actionExecutionDetails"] if a["stageName"] == "Gate"]
        return sorted(acts, key=lambda a: a["startTime"])

    @staticmethod
    def turnarounds(acts):
        return [(b["startTime"] - a["lastUpdateTime"]).total_seconds() for a, b in zip(acts, acts[1:])]

    def lambda_overhead(self):
        lam = self.f.client("lambda", "tools", region=REGION)
        lam.create_function(FunctionName="bench-gate", Runtime="python3.12", Role=self.fn_role,
                            Handler="index.handler", Code={"ZipFile": zipped({"index.py": FUNCTION})}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName="bench-gate", WaiterConfig={"Delay": 1})
        self.s3.put_object(Bucket=self.bucket, Key="gate.zip", Body=zipped({"a.txt": "a"}))
        acts = [{"name": f"invoke{i}", "actionTypeId": {"category": "Invoke", "owner": "AWS", "provider": "Lambda",
                                                       "version": "1"},
                 "configuration": {"FunctionName": "bench-gate"}, "runOrder": i + 1, "namespace": f"n{i}"}
                for i in range(ACTIONS)]
        self.cp.create_pipeline(pipeline=self.decl("bench-lambda", [self.source("gate.zip"),
                                                                    {"name": "Gate", "actions": acts}]))
        xid = self.cp.list_pipeline_executions(pipelineName="bench-lambda")["pipelineExecutionSummaries"][0][
            "pipelineExecutionId"]
        assert self.wait("bench-lambda", xid) == "Succeeded"
        acts = self.gate_actions("bench-lambda")
        own = [a["lastUpdateTime"].timestamp() - float(a["output"]["outputVariables"]["t"]) for a in acts]
        total = [(a["lastUpdateTime"] - a["startTime"]).total_seconds() for a in acts]
        return self.turnarounds(acts), own, total

    def approval_overhead(self):
        acts = [{"name": f"approve{i}", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual",
                                                        "version": "1"}, "runOrder": i + 1}
                for i in range(ACTIONS)]
        self.cp.create_pipeline(pipeline=self.decl("bench-approval", [self.source("gate.zip"),
                                                                      {"name": "Gate", "actions": acts}]))
        xid = self.cp.list_pipeline_executions(pipelineName="bench-approval")["pipelineExecutionSummaries"][0][
            "pipelineExecutionId"]
        done = 0
        while done < ACTIONS:
            st = {s["stageName"]: s for s in self.cp.get_pipeline_state(name="bench-approval")["stageStates"]}["Gate"]
            for a in st["actionStates"]:
                le = a.get("latestExecution", {})
                if le.get("status") == "InProgress" and le.get("token"):
                    self.cp.put_approval_result(pipelineName="bench-approval", stageName="Gate",
                                                actionName=a["actionName"], token=le["token"],
                                                result={"summary": "ok", "status": "Approved"})
                    done += 1
        assert self.wait("bench-approval", xid) == "Succeeded"
        return self.turnarounds(self.gate_actions("bench-approval"))

    def end_to_end(self, tmp):
        cc = self.f.client("codecommit", "tools", region=REGION)
        repo = cc.create_repository(repositoryName="bench-e2e")["repositoryMetadata"]
        cb = self.f.client("codebuild", "tools", region=REGION)
        cb.create_project(name="bench-echo", source={"type": "CODEPIPELINE", "buildspec": (
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello\n"
            "artifacts:\n  files:\n    - template.yaml\n")},
            artifacts={"type": "CODEPIPELINE"}, serviceRole=self.build_role,
            environment={"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL",
                         "image": "aws/codebuild/standard:7.0"})
        stages = [
            {"name": "Source", "actions": [{
                "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit",
                                                   "version": "1"},
                "configuration": {"RepositoryName": "bench-e2e", "BranchName": "main", "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "Src"}]}]},
            {"name": "Build", "actions": [{
                "name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild",
                                                  "version": "1"},
                "configuration": {"ProjectName": "bench-echo"}, "inputArtifacts": [{"name": "Src"}],
                "outputArtifacts": [{"name": "Built"}]}]},
            {"name": "Deploy", "actions": [{
                "name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation",
                                                   "version": "1"},
                "configuration": {"ActionMode": "CREATE_UPDATE", "StackName": "bench-e2e",
                                  "TemplatePath": "Built::template.yaml", "RoleArn": self.cfn_role},
                "inputArtifacts": [{"name": "Built"}]}]}]
        # created before the first push: its first execution fails on the empty repository
        self.cp.create_pipeline(pipeline=self.decl("bench-e2e", stages))
        first = self.cp.list_pipeline_executions(pipelineName="bench-e2e")["pipelineExecutionSummaries"][0]
        self.wait("bench-e2e", first["pipelineExecutionId"])
        ev = self.f.client("events", "tools", region=REGION)
        ev.put_rule(Name="bench-push", EventPattern=json.dumps({
            "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repo["Arn"]], "detail": {"referenceName": ["main"]}}))
        ev.put_targets(Rule="bench-push", Targets=[{
            "Id": "p", "Arn": f"arn:aws:codepipeline:{REGION}:{self.account}:bench-e2e", "RoleArn": self.events_role}])
        e = git_env(self.f, tmp)
        work = os.path.join(tmp, "e2e")
        subprocess.run(["git", "clone", "-q", repo["cloneUrlHttp"], work], env=e, check=True, capture_output=True)
        runs, builds, stacks, idle, parts = [], [], [], [], {}
        for i in range(E2E_RUNS):
            with open(os.path.join(work, "template.yaml"), "w") as fh:
                fh.write(TOPIC % f"run {i}")
            subprocess.run(["git", "add", "."], env=e, cwd=work, check=True)
            subprocess.run(["git", "commit", "-qm", f"run {i}"], env=e, cwd=work, check=True)
            n = len(self.cp.list_pipeline_executions(pipelineName="bench-e2e")["pipelineExecutionSummaries"])
            t0 = time.time()
            subprocess.run(["git", "push", "-q", "origin", "HEAD:main"], env=e, cwd=work, check=True,
                           capture_output=True)
            parts.setdefault("`git push` itself (client, aws CLI credential helper)", []).append(time.time() - t0)
            while True:
                xs = self.cp.list_pipeline_executions(pipelineName="bench-e2e")["pipelineExecutionSummaries"]
                if len(xs) > n:
                    break
                time.sleep(0.02)
            status = self.wait("bench-e2e", xs[0]["pipelineExecutionId"])
            runs.append(time.time() - t0)
            assert status == "Succeeded", status
            x = self.cp.list_pipeline_executions(pipelineName="bench-e2e")["pipelineExecutionSummaries"][0]
            parts.setdefault("push → execution started", []).append(x["startTime"].timestamp() - t0)
            details = sorted(self.cp.list_action_executions(pipelineName="bench-e2e", filter={
                "pipelineExecutionId": x["pipelineExecutionId"]})["actionExecutionDetails"],
                key=lambda a: a["startTime"])
            prev, prev_name = x["startTime"], "execution started"
            for a in details:
                parts.setdefault(f"{prev_name} → {a['stageName']} action started", []).append(
                    (a["startTime"] - prev).total_seconds())
                parts.setdefault(f"{a['stageName']} action (start → end)", []).append(
                    (a["lastUpdateTime"] - a["startTime"]).total_seconds())
                prev, prev_name = a["lastUpdateTime"], f"{a['stageName']} action ended"
            parts.setdefault(f"{prev_name} → execution Succeeded", []).append(
                (x["lastUpdateTime"] - prev).total_seconds())
            b = cb.batch_get_builds(ids=cb.list_builds_for_project(projectName="bench-echo")["ids"][:1])["builds"][0]
            builds.append((b["endTime"] - b["startTime"]).total_seconds())
            stacks.append(self.stack_op("bench-e2e"))
            acts = {a["stageName"]: (a["lastUpdateTime"] - a["startTime"]).total_seconds()
                    for a in self.cp.list_action_executions(pipelineName="bench-e2e", filter={
                        "pipelineExecutionId": x["pipelineExecutionId"]})["actionExecutionDetails"]}
            idle.append((acts["Build"] - builds[-1], acts["Deploy"] - stacks[-1]))
        return runs, builds, stacks, idle, parts

    def stack_op(self, name):
        """The stack's latest operation, its first event → its last (the stack's own work)."""
        cfn = self.f.client("cloudformation", "tools", region=REGION)
        evs = cfn.describe_stack_events(StackName=name)["StackEvents"]  # newest first
        mine = [e for e in evs if e["LogicalResourceId"] == name]
        end = mine[0]["Timestamp"]
        start = next(e["Timestamp"] for e in mine if e["ResourceStatus"].endswith("_IN_PROGRESS")
                     and "CLEANUP" not in e["ResourceStatus"])
        return (end - start).total_seconds()

    def parallel(self):
        self.s3.put_object(Bucket=self.bucket, Key="topic.zip", Body=zipped({"template.yaml": TOPIC % "parallel"}))
        names = [f"bench-par-{i}" for i in range(PARALLEL)]
        for n in names:
            self.cp.create_pipeline(pipeline=self.decl(n, [self.source("topic.zip"), {"name": "Deploy", "actions": [{
                "name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation",
                                                   "version": "1"},
                "configuration": {"ActionMode": "CREATE_UPDATE", "StackName": n, "TemplatePath": "Src::template.yaml",
                                  "RoleArn": self.cfn_role},
                "inputArtifacts": [{"name": "Src"}]}]}]))
        # their creation started them: let those finish, then measure a second start of all
        for n in names:
            xid = self.cp.list_pipeline_executions(pipelineName=n)["pipelineExecutionSummaries"][0]["pipelineExecutionId"]
            self.wait(n, xid)
        self.s3.put_object(Bucket=self.bucket, Key="topic.zip", Body=zipped({"template.yaml": TOPIC % "again"}))
        pid = self.f.proc.pid
        rss0 = rss_kb(pid)
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as fh:
                fh.write("5")  # resets VmHWM
        except OSError:
            pass
        peak = [rss0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kb(pid))
                time.sleep(0.05)
        th = threading.Thread(target=sample)
        th.start()
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(10) as ex:
            xids = list(ex.map(lambda n: self.cp.start_pipeline_execution(name=n)["pipelineExecutionId"], names))
            statuses = list(ex.map(lambda nx: self.wait(*nx), zip(names, xids)))
        elapsed = time.time() - t0
        stop.set()
        th.join()
        return elapsed, statuses.count("Succeeded"), rss0, max(peak[0], rss_kb(pid, "VmHWM"))


def main():
    org = "management: {name: tools, email: tools@example.com}\nregion: us-east-1\n"
    f = Ferry(config=org).start()
    f.init()
    load0 = os.getloadavg()[0]
    tmp = tempfile.mkdtemp(prefix="pipeline-bench-")
    try:
        b = Bench(f)
        lam_turn, lam_own, lam_total = b.lambda_overhead()
        appr_turn = b.approval_overhead()
        e2e, builds, stacks, idle, parts = b.end_to_end(tmp)
        par = b.parallel()
    finally:
        f.close()
    load1 = os.getloadavg()[0]
    rev = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    print(f"## {time.strftime('%Y-%m-%d')}: CodePipeline (issue 14)\n")
    print(f"`bench/pipeline_bench.py` (also run by `bench/run.sh`), {time.strftime('%H:%M')} UTC, at {rev}, "
          f"{platform.machine()}, {os.cpu_count()} cores; load average {load0:.2f} before the run, "
          f"{load1:.2f} after. The script's docstring says how each figure is taken; all come from one ferry "
          f"in one run, at the engine's default interval (1 s between polls of a waiting build or stack, the fallback: "
          f"a build's or stack operation's end wakes the engine).\n")
    print(f"| engine overhead per action ({ACTIONS} actions in sequence) | median | max |")
    print("|---|---|---|")
    print(f"| Lambda invoke: previous action's end → next action's start | {ms(med(lam_turn))} | {ms(max(lam_turn))} |")
    print(f"| Lambda invoke: the action's own work (start → end) | {ms(med(lam_total))} | {ms(max(lam_total))} |")
    print(f"| Lambda invoke: function's PutJobSuccessResult → action Succeeded | {ms(med(lam_own))} | {ms(max(lam_own))} |")
    print(f"| manual approval: previous action's end → next action's start | {ms(med(appr_turn))} | {ms(max(appr_turn))} |")
    print()
    print(f"| CodeCommit → CodeBuild (`echo`) → CloudFormation (one SNS topic), {E2E_RUNS} pushes | median | runs |")
    print("|---|---|---|")
    print(f"| `git push` → execution Succeeded | {med(e2e):.2f} s | {', '.join(f'{x:.2f}' for x in e2e)} s |")
    for k, v in parts.items():
        print(f"| of which: {k} | {med(v):.2f} s | {', '.join(f'{x:.2f}' for x in v)} s |")
    print(f"| of which: the CodeBuild build (start → end) | {med(builds):.2f} s | {', '.join(f'{x:.2f}' for x in builds)} s |")
    print(f"| of which: the stack update (its first event → last) | {med(stacks):.2f} s | {', '.join(f'{x:.2f}' for x in stacks)} s |")
    print()
    print("| idle per action: the action's time beyond its own work (the build, the stack) | median | runs |")
    print("|---|---|---|")
    for i, what in enumerate(("Build (CodeBuild)", "Deploy (CloudFormation)")):
        v = [x[i] for x in idle]
        print(f"| {what} | {ms(med(v))} | {', '.join(ms(x) for x in v)} |")
    print()
    elapsed, ok, rss0, peak = par
    print(f"| {PARALLEL} pipelines (S3 → CloudFormation, one topic each) started at once | value |")
    print("|---|---|")
    print(f"| all finished after | {elapsed:.2f} s |")
    print(f"| succeeded | {ok} of {PARALLEL} |")
    print(f"| ferry RSS before → peak | {rss0 / 1024:.1f} MiB → {peak / 1024:.1f} MiB |")


if __name__ == "__main__":
    main()
