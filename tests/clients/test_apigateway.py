"""API Gateway REST APIs (v1): the control plane through boto3 and the aws CLI (APIs,
resources, methods, integrations, responses, deployments snapshotting the API, stages with
variables, tags, AWS's errors), and the data plane serving deployed stages at both URL forms
(API_ID.execute-api.localhost and /_ferry/execute-api/API_ID): Lambda proxy integrations
(the REST proxy event, response mapping, 502 on malformed output, 500 without the
function's permission), MOCK integrations, AWS_IAM authorization, import from Swagger and
CloudFormation stacks."""
import base64
import json
import urllib.request

import pytest
from ferrytest import acct, raises, zipped

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def apigw(ferry):
    return ferry.client("apigateway", "dev")


def root_of(apigw, api):
    return next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")


def test_rest_api_lifecycle(apigw, ferry):
    a = apigw.create_rest_api(name="one", description="first", tags={"team": "x"})
    assert len(a["id"]) == 10 and a["id"].isalnum() and a["id"].islower() or a["id"].isdigit()
    assert a["name"] == "one" and a["apiKeySource"] == "HEADER"  # (rootResourceId: newer botocore)
    assert a["endpointConfiguration"] == {"types": ["EDGE"]}
    got = apigw.get_rest_api(restApiId=a["id"])
    assert got["description"] == "first" and got["tags"] == {"team": "x"}
    assert a["id"] in [x["id"] for x in apigw.get_rest_apis()["items"]]
    up = apigw.update_rest_api(restApiId=a["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "two"},
        {"op": "replace", "path": "/description", "value": "second"}])
    assert up["name"] == "two" and up["description"] == "second"
    res = apigw.get_resources(restApiId=a["id"])["items"]
    assert [r["path"] for r in res] == ["/"] and "parentId" not in res[0]
    apigw.delete_rest_api(restApiId=a["id"])
    raises(apigw.get_rest_api, "NotFoundException",
           f"Invalid API identifier specified {acct(ferry, 'dev')}:{a['id']}", 404, restApiId=a["id"])
    raises(apigw.delete_rest_api, "NotFoundException", status=404, restApiId=a["id"])


def test_resources_methods_integrations(apigw):
    api = apigw.create_rest_api(name="res")["id"]
    root = root_of(apigw, api)
    users = apigw.create_resource(restApiId=api, parentId=root, pathPart="users")
    assert users["path"] == "/users" and users["parentId"] == root
    uid = apigw.create_resource(restApiId=api, parentId=users["id"], pathPart="{id}")
    assert uid["path"] == "/users/{id}"
    raises(apigw.create_resource, "ConflictException",
           "Another resource with the same parent already has this name: users", 409,
           restApiId=api, parentId=root, pathPart="users")
    raises(apigw.create_resource, "NotFoundException", "Invalid Resource identifier specified", 404,
           restApiId=api, parentId="nope123456", pathPart="x")
    raises(apigw.create_resource, "BadRequestException", status=400,
           restApiId=api, parentId=root, pathPart="a b")
    proxy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")
    raises(apigw.create_resource, "BadRequestException", status=400,
           restApiId=api, parentId=proxy["id"], pathPart="x")

    m = apigw.put_method(restApiId=api, resourceId=uid["id"], httpMethod="GET",
                         authorizationType="NONE", apiKeyRequired=False)
    assert m["httpMethod"] == "GET" and m["authorizationType"] == "NONE" and m["apiKeyRequired"] is False
    raises(apigw.put_method, "ConflictException", "Method already exists for this resource", 409,
           restApiId=api, resourceId=uid["id"], httpMethod="GET", authorizationType="NONE")
    raises(apigw.get_method, "NotFoundException", "Invalid Method identifier specified", 404,
           restApiId=api, resourceId=uid["id"], httpMethod="POST")
    raises(apigw.get_integration, "NotFoundException", "No integration defined for method", 404,
           restApiId=api, resourceId=uid["id"], httpMethod="GET")
    uri = ("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
           "arn:aws:lambda:us-east-1:123456789012:function:f/invocations")
    i = apigw.put_integration(restApiId=api, resourceId=uid["id"], httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri)
    assert i["type"] == "AWS_PROXY" and i["uri"] == uri and i["httpMethod"] == "POST"
    assert i["timeoutInMillis"] == 29000 and i["passthroughBehavior"] == "WHEN_NO_MATCH"
    raises(apigw.put_integration, "BadRequestException", status=400, restApiId=api,
           resourceId=uid["id"], httpMethod="GET", type="HTTP", integrationHttpMethod="GET", uri="ftp://x")
    apigw.put_method_response(restApiId=api, resourceId=uid["id"], httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=uid["id"], httpMethod="GET",
                                   statusCode="200", responseTemplates={"application/json": ""})
    got = apigw.get_method(restApiId=api, resourceId=uid["id"], httpMethod="GET")
    assert got["methodResponses"] == {"200": {"statusCode": "200"}}
    assert got["methodIntegration"]["integrationResponses"]["200"]["statusCode"] == "200"
    embedded = apigw.get_resources(restApiId=api, embed=["methods"])["items"]
    assert next(r for r in embedded if r["id"] == uid["id"])["resourceMethods"]["GET"]["methodIntegration"]
    plain = apigw.get_resources(restApiId=api)["items"]
    assert next(r for r in plain if r["id"] == uid["id"])["resourceMethods"] == {"GET": {}}
    apigw.delete_integration(restApiId=api, resourceId=uid["id"], httpMethod="GET")
    apigw.delete_method(restApiId=api, resourceId=uid["id"], httpMethod="GET")
    apigw.delete_resource(restApiId=api, resourceId=users["id"])
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api)["items"])
    assert paths == ["/", "/{proxy+}"]


def mock_api(apigw, name="mock", body='{"ok": true}'):
    api = apigw.create_rest_api(name=name)["id"]
    root = root_of(apigw, api)
    r = apigw.create_resource(restApiId=api, parentId=root, pathPart="ping")
    apigw.put_method(restApiId=api, resourceId=r["id"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=r["id"], httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=r["id"], httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=r["id"], httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": body})
    return api, r["id"]


def test_deployments_and_stages(apigw):
    api = apigw.create_rest_api(name="dep")["id"]
    raises(apigw.create_deployment, "BadRequestException", "The REST API doesn't contain any methods",
           400, restApiId=api, stageName="x")
    api, rid = mock_api(apigw)
    d = apigw.create_deployment(restApiId=api, stageName="prod", description="v1",
                                variables={"color": "blue"})
    assert d["description"] == "v1" and d["apiSummary"] == {"/ping": {"GET": {
        "authorizationType": "NONE", "apiKeyRequired": False}}}
    assert apigw.get_deployment(restApiId=api, deploymentId=d["id"])["id"] == d["id"]
    assert [x["id"] for x in apigw.get_deployments(restApiId=api)["items"]] == [d["id"]]
    s = apigw.get_stage(restApiId=api, stageName="prod")
    assert s["deploymentId"] == d["id"] and s["variables"] == {"color": "blue"}
    raises(apigw.create_stage, "ConflictException", "Stage already exists", 409,
           restApiId=api, stageName="prod", deploymentId=d["id"])
    raises(apigw.get_stage, "NotFoundException", "Invalid Stage identifier specified", 404,
           restApiId=api, stageName="nope")
    apigw.create_stage(restApiId=api, stageName="dev", deploymentId=d["id"], variables={"a": "1"})
    up = apigw.update_stage(restApiId=api, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/variables/b", "value": "2"},
        {"op": "remove", "path": "/variables/a"},
        {"op": "replace", "path": "/description", "value": "dev stage"}])
    assert up["variables"] == {"b": "2"} and up["description"] == "dev stage"
    assert sorted(s["stageName"] for s in apigw.get_stages(restApiId=api)["item"]) == ["dev", "prod"]
    arn = f"arn:aws:apigateway:{apigw.meta.region_name}::/restapis/{api}/stages/dev"
    apigw.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"k": "v"}
    raises(apigw.delete_deployment, "BadRequestException", status=400, restApiId=api, deploymentId=d["id"])
    apigw.delete_stage(restApiId=api, stageName="dev")
    raises(apigw.get_deployment, "NotFoundException", "Invalid Deployment identifier specified", 404,
           restApiId=api, deploymentId="zzzzzzzzzz")


def test_cli_lists_rest_apis(ferry, apigw):
    api = apigw.create_rest_api(name="cli-api")["id"]
    r = ferry.aws("apigateway", "get-rest-apis", profile="dev")
    assert api in [x["id"] for x in r.json["items"]]
