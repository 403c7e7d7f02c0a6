"""CodePipeline V2 stage onFailure through boto3 (raw JSON where Debian's botocore predates
V2 members): result ROLLBACK starts a rollback execution of the failed stage to the last
execution that succeeded in it (trigger AutomatedRollback, rollbackMetadata), in the same
transaction as the failure; no earlier success means no rollback; a rollback execution's
own failure is final; FAIL is the default; what this API version does not have is refused.
Reuses the fixtures and helpers of test_codepipeline.py."""
import io
import zipfile

from test_codepipeline import (REGION, approval, cp, decl, env, fx,  # noqa: F401 (fixtures)
                               latest, put_source, s3_source, uniq, wait_exec)
from test_codepipeline import raw as cp_raw


def raw(fx, op, body):
    return cp_raw(fx, "tools", op, body)


def s3_deploy(name, bucket, key, run_order=1):
    return {"name": name, "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
            "configuration": {"BucketName": bucket, "Extract": "false", "ObjectKey": key},
            "inputArtifacts": [{"name": "SourceOut"}], "runOrder": run_order}


def site_zip(fx, bucket, key):
    body = fx.client("s3", "tools", region=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    return zipfile.ZipFile(io.BytesIO(body)).read("index.html").decode()


def executions(fx, name):
    return raw(fx, "ListPipelineExecutions", {"pipelineName": name})["pipelineExecutionSummaries"]


def rollback_pipeline(fx, env, on_failure={"result": "ROLLBACK"}):
    """Source → Deploy (Site, then Mirror into the bucket the variable Mirror names): a
    start naming a missing bucket fails Deploy after Site deployed."""
    s3 = fx.client("s3", "tools", region=REGION)
    site, mirror = uniq("site"), uniq("mirror")
    s3.create_bucket(Bucket=site)
    s3.create_bucket(Bucket=mirror)
    key = uniq("web") + ".zip"
    put_source(fx, env, key, {"index.html": "v1"})
    name = uniq("autorb")
    deploy = {"name": "Deploy", "actions": [s3_deploy("Site", site, "site.zip"),
                                            s3_deploy("Mirror", "#{variables.Mirror}", "site.zip", 2)]}
    if on_failure:
        deploy["onFailure"] = on_failure
    p = dict(decl(env, [s3_source(env, key), deploy], name), pipelineType="V2",
             variables=[{"name": "Mirror", "defaultValue": mirror}])
    out = raw(fx, "CreatePipeline", {"pipeline": p})
    assert "__error" not in out, out
    return name, key, site, mirror


def test_failed_stage_rolls_back_to_last_success(fx, env, cp):
    name, key, site, mirror = rollback_pipeline(fx, env)
    got = raw(fx, "GetPipeline", {"name": name})["pipeline"]
    assert got["stages"][1]["onFailure"] == {"result": "ROLLBACK"}
    x1 = latest(cp, name)
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    put_source(fx, env, key, {"index.html": "v2"})
    x2 = raw(fx, "StartPipelineExecution", {"name": name, "variables": [
        {"name": "Mirror", "value": uniq("missing")}]})["pipelineExecutionId"]
    assert wait_exec(cp, name, x2)["status"] == "Failed"
    # the failure started the rollback, to x1's artifacts and variables
    runs = executions(fx, name)
    assert len(runs) == 3, runs
    xr = runs[0]["pipelineExecutionId"]
    assert runs[0]["executionType"] == "ROLLBACK"
    assert runs[0]["rollbackMetadata"] == {"rollbackTargetPipelineExecutionId": x1}
    assert wait_exec(cp, name, xr)["status"] == "Succeeded"
    x = raw(fx, "GetPipelineExecution", {"pipelineName": name, "pipelineExecutionId": xr})["pipelineExecution"]
    assert x["executionType"] == "ROLLBACK"
    assert x["trigger"] == {"triggerType": "AutomatedRollback", "triggerDetail": x2}
    assert x["rollbackMetadata"] == {"rollbackTargetPipelineExecutionId": x1}
    assert x["variables"] == [{"name": "Mirror", "resolvedValue": mirror}]
    assert site_zip(fx, site, "site.zip") == "v1" and site_zip(fx, mirror, "site.zip") == "v1"
    # only Deploy ran in the rollback
    acts = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": xr})["actionExecutionDetails"]
    assert sorted(a["actionName"] for a in acts) == ["Mirror", "Site"]
    # the failed execution stays failed
    assert cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=x2)[
        "pipelineExecution"]["status"] == "Failed"
    state = {s["stageName"]: s for s in cp.get_pipeline_state(name=name)["stageStates"]}
    assert state["Deploy"]["latestExecution"] == {"pipelineExecutionId": xr, "status": "Succeeded"}


def test_no_success_yet_means_no_rollback(fx, env, cp):
    name, key, site, mirror = rollback_pipeline(fx, env)
    assert wait_exec(cp, name, latest(cp, name))["status"] == "Succeeded"
    # a failing execution of a new pipeline version: the earlier success ran another structure
    p = raw(fx, "GetPipeline", {"name": name})["pipeline"]
    p["variables"][0]["defaultValue"] = uniq("missing")
    assert "__error" not in raw(fx, "UpdatePipeline", {"pipeline": p})
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait_exec(cp, name, x2)["status"] == "Failed"
    assert len(executions(fx, name)) == 2


def test_rollback_that_fails_is_final_and_fail_is_default(fx, env, cp):
    name, key, site, mirror = rollback_pipeline(fx, env)
    x1 = latest(cp, name)
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    # Mirror's bucket goes away: x2 fails, and so does its rollback (to x1's bucket)
    s3 = fx.client("s3", "tools", region=REGION)
    s3.delete_object(Bucket=mirror, Key="site.zip")
    s3.delete_bucket(Bucket=mirror)
    x2 = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    assert wait_exec(cp, name, x2)["status"] == "Failed"
    runs = executions(fx, name)
    assert runs[0]["executionType"] == "ROLLBACK"
    assert wait_exec(cp, name, runs[0]["pipelineExecutionId"])["status"] == "Failed"
    assert len(executions(fx, name)) == 3
    # FAIL: the execution fails, nothing more
    name, key, site, mirror = rollback_pipeline(fx, env, {"result": "FAIL"})
    assert wait_exec(cp, name, latest(cp, name))["status"] == "Succeeded"
    x2 = raw(fx, "StartPipelineExecution", {"name": name, "variables": [
        {"name": "Mirror", "value": uniq("missing")}]})["pipelineExecutionId"]
    assert wait_exec(cp, name, x2)["status"] == "Failed"
    assert len(executions(fx, name)) == 2


def test_on_failure_validation(fx, env):
    def err(stages, ptype="V2"):
        p = dict(decl(env, stages), pipelineType=ptype)
        return raw(fx, "CreatePipeline", {"pipeline": p}).get("__error", {})
    gate = approval(env)
    e = err([s3_source(env, "x.zip"), dict(gate, onFailure={"result": "ROLLBACK"})], "V1")
    assert e["__type"].endswith("ValidationException") and "V2" in e["message"], e
    e = err([s3_source(env, "x.zip"), dict(gate, onFailure={"result": "RETRY"})])
    assert e["__type"].endswith("ValidationException") and "RETRY" in e["message"], e
    e = err([dict(s3_source(env, "x.zip"), onFailure={"result": "ROLLBACK"}), gate])
    assert e["__type"].endswith("InvalidStructureException") and "source stage" in e["message"], e


# ---- stage conditions ----

def rule(name, provider, **cfg):
    return {"name": name, "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": provider, "version": "1"},
            "configuration": cfg}


def condition_pipeline(fx, env, stage_extra, variables):
    s3 = fx.client("s3", "tools", region=REGION)
    site = uniq("site")
    s3.create_bucket(Bucket=site)
    key = uniq("web") + ".zip"
    put_source(fx, env, key, {"index.html": "v1"})
    name = uniq("cond")
    deploy = dict({"name": "Deploy", "actions": [s3_deploy("Site", site, "site.zip")]}, **stage_extra)
    p = dict(decl(env, [s3_source(env, key), deploy], name), pipelineType="V2", variables=variables)
    out = raw(fx, "CreatePipeline", {"pipeline": p})
    assert "__error" not in out, out
    return name, key, site


def start(fx, name, **variables):
    return raw(fx, "StartPipelineExecution", {"name": name, "variables": [
        {"name": k, "value": v} for k, v in variables.items()]})["pipelineExecutionId"]


def stage_state(fx, name, stage="Deploy"):
    return {s["stageName"]: s for s in raw(fx, "GetPipelineState", {"name": name})["stageStates"]}[stage]


def test_before_entry_variable_check_skips_the_stage(fx, env, cp):
    gate = {"beforeEntry": {"conditions": [{"result": "SKIP", "rules": [
        rule("OnlyProd", "VariableCheck", Variable="#{variables.Env}", Value="prod", Operator="EQ")]}]}}
    name, key, site = condition_pipeline(fx, env, gate, [{"name": "Env", "defaultValue": "dev"}])
    x1 = latest(cp, name)
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    st = stage_state(fx, name)
    assert st["latestExecution"] == {"pipelineExecutionId": x1, "status": "Skipped"}
    cs = st["beforeEntryConditionState"]
    assert cs["latestExecution"]["status"] == "Failed"
    [rs] = cs["conditionStates"][0]["ruleStates"]
    assert rs["ruleName"] == "OnlyProd" and rs["latestExecution"]["status"] == "Failed"
    assert "'dev'" in rs["latestExecution"]["summary"]
    assert "Contents" not in fx.client("s3", "tools", region=REGION).list_objects_v2(Bucket=site)
    # Env=prod: the rule holds and the stage runs
    x2 = start(fx, name, Env="prod")
    assert wait_exec(cp, name, x2)["status"] == "Succeeded"
    assert site_zip(fx, site, "site.zip") == "v1"
    assert stage_state(fx, name)["beforeEntryConditionState"]["latestExecution"]["status"] == "Succeeded"
    det = raw(fx, "ListRuleExecutions", {"pipelineName": name, "filter": {"pipelineExecutionId": x2}})[
        "ruleExecutionDetails"]
    [d] = det
    assert (d["stageName"], d["ruleName"], d["status"], d["pipelineExecutionId"]) == (
        "Deploy", "OnlyProd", "Succeeded", x2)
    assert d["input"]["ruleTypeId"]["provider"] == "VariableCheck"
    assert d["input"]["configuration"]["Variable"] == "#{variables.Env}"
    assert d["input"]["resolvedConfiguration"]["Variable"] == "prod"
    assert len(raw(fx, "ListRuleExecutions", {"pipelineName": name})["ruleExecutionDetails"]) == 2
    # nothing in progress to override
    e = raw(fx, "OverrideStageCondition", {"pipelineName": name, "stageName": "Deploy",
                                           "pipelineExecutionId": x2, "conditionType": "BEFORE_ENTRY"})["__error"]
    assert e["__type"].endswith("ConditionNotOverridableException"), e


def test_before_entry_deployment_window_fails_outside(fx, env, cp):
    closed = {"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [
        rule("Window", "DeploymentWindow", Cron="0 0 0 1 JAN ? 2199", TimeZone="+02:00")]}]}}
    name, key, site = condition_pipeline(fx, env, closed, [{"name": "X", "defaultValue": "x"}])
    x1 = latest(cp, name)
    x = wait_exec(cp, name, x1)
    assert x["status"] == "Failed"
    assert stage_state(fx, name)["latestExecution"]["status"] == "Failed"
    assert "outside" in stage_state(fx, name)["beforeEntryConditionState"]["conditionStates"][0][
        "ruleStates"][0]["latestExecution"]["summary"]
    # every minute of every day: open
    always = {"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [
        rule("Window", "DeploymentWindow", Cron="0 * * ? * * *")]}]}}
    name, key, site = condition_pipeline(fx, env, always, [{"name": "X", "defaultValue": "x"}])
    assert wait_exec(cp, name, latest(cp, name))["status"] == "Succeeded"
    assert site_zip(fx, site, "site.zip") == "v1"


def test_on_success_condition_rolls_back(fx, env, cp):
    check = {"onSuccess": {"conditions": [{"result": "ROLLBACK", "rules": [
        rule("Healthy", "VariableCheck", Variable="#{variables.Healthy}", Value="yes", Operator="EQ")]}]}}
    name, key, site = condition_pipeline(fx, env, check, [{"name": "Healthy", "defaultValue": "yes"}])
    x1 = latest(cp, name)
    assert wait_exec(cp, name, x1)["status"] == "Succeeded"
    put_source(fx, env, key, {"index.html": "v2"})
    x2 = start(fx, name, Healthy="no")
    assert wait_exec(cp, name, x2)["status"] == "Failed"
    runs = executions(fx, name)
    assert runs[0]["executionType"] == "ROLLBACK" and runs[0]["rollbackMetadata"] == {
        "rollbackTargetPipelineExecutionId": x1}
    assert wait_exec(cp, name, runs[0]["pipelineExecutionId"])["status"] == "Succeeded"
    assert site_zip(fx, site, "site.zip") == "v1"


def test_condition_validation_and_rule_types(fx, env):
    def err(extra):
        p = dict(decl(env, [s3_source(env, "x.zip"), dict(approval(env), **extra)]), pipelineType="V2")
        return raw(fx, "CreatePipeline", {"pipeline": p}).get("__error", {})

    def cond(result, *rules):
        return {"conditions": [{"result": result, "rules": list(rules)}]}
    ok = rule("V", "VariableCheck", Variable="a", Value="a", Operator="EQ")
    e = err({"beforeEntry": cond("FAIL", rule("L", "LambdaInvoke", FunctionName="f"))})
    assert e["__type"].endswith("ValidationException") and "LambdaInvoke" in e["message"], e
    e = err({"onSuccess": cond("FAIL", rule("A", "CloudWatchAlarm", AlarmName="a"))})
    assert e["__type"].endswith("ValidationException") and "CloudWatchAlarm" in e["message"], e
    e = err({"beforeEntry": cond("ROLLBACK", ok)})
    assert e["__type"].endswith("InvalidStructureException") and "ROLLBACK" in e["message"], e
    e = err({"beforeEntry": cond("FAIL", rule("V", "VariableCheck", Variable="a", Value="a"))})
    assert e["__type"].endswith("InvalidStructureException") and "'Operator'" in e["message"], e
    e = err({"beforeEntry": cond("FAIL", rule("W", "DeploymentWindow", Cron="0 0 25 ? * * *"))})
    assert e["__type"].endswith("InvalidStructureException") and "Cron" in e["message"], e
    e = err({"beforeEntry": cond("FAIL", rule("W", "DeploymentWindow", Cron="0 0 9 ? * MON *",
                                              TimeZone="Europe/Paris"))})
    assert e["__type"].endswith("ValidationException") and "TimeZone" in e["message"], e
    e = err({"onFailure": dict(cond("ROLLBACK", ok), result="ROLLBACK")})
    assert e["__type"].endswith("ValidationException") and "onFailure conditions" in e["message"], e
    types = raw(fx, "ListRuleTypes", {})["ruleTypes"]
    assert sorted(t["id"]["provider"] for t in types) == ["DeploymentWindow", "VariableCheck"]
    assert raw(fx, "ListRuleTypes", {"ruleOwnerFilter": "Custom"})["ruleTypes"] == []


def test_list_rule_executions_errors(fx, env):
    e = raw(fx, "ListRuleExecutions", {"pipelineName": uniq("nope")})["__error"]
    assert e["__type"].endswith("PipelineNotFoundException"), e
    name = rollback_pipeline(fx, env)[0]
    e = raw(fx, "ListRuleExecutions", {"pipelineName": name, "filter": {
        "pipelineExecutionId": "00000000-0000-0000-0000-000000000000"}})["__error"]
    assert e["__type"].endswith("PipelineExecutionNotFoundException"), e
    assert raw(fx, "ListRuleExecutions", {"pipelineName": name})["ruleExecutionDetails"] == []
