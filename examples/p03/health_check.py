"""P03's gate: the Lambda function the pipeline's aws-health-check stage invokes. It asks AWS
Health (whose global endpoint is us-east-1) for open issues in the Region the pipeline deploys
to, and answers CodePipeline: an open issue fails the job with "Incident In Progress", none
lets the deployment go on."""
import os

import boto3

REGION = os.environ.get("DEPLOY_REGION", "us-east-1")

codepipeline = boto3.client("codepipeline")
health = boto3.client("health", region_name="us-east-1")


def open_issues():
    """The open Issue events in REGION (scheduled maintenance and account notifications are
    not reasons to stop a deployment; closed events are over)."""
    pages = health.get_paginator("describe_events").paginate(filter={
        "regions": [REGION],
        "eventStatusCodes": ["open"],
        "eventTypeCategories": ["issue"],
    })
    return [e for p in pages for e in p["events"]]


def handler(event, context):
    job_id = event["CodePipeline.job"]["id"]
    try:
        issues = open_issues()
    except Exception as e:
        codepipeline.put_job_failure_result(
            jobId=job_id, failureDetails={"type": "JobFailed", "message": f"{type(e).__name__}: {e}"})
        raise
    if issues:
        print("open AWS Health issues:", [e["arn"] for e in issues])
        codepipeline.put_job_failure_result(
            jobId=job_id, failureDetails={"type": "JobFailed", "message": "Incident In Progress"})
    else:
        codepipeline.put_job_success_result(
            jobId=job_id, executionDetails={"summary": f"no open AWS Health issue in {REGION}"})
