/* The SAM transform (src/engine/stacks/sam*.c) as a pure function: the logical ids and shapes
 * of the API, HttpApi, Schedule, DynamoDB stream and S3 events (whose providers the client
 * tests cannot always deploy), Globals merging, layer renames, and SAM's errors (ctest
 * replays the fuzz corpus, fuzz/corpus/sam_fuzz). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/jval.h"
#include "engine/stacks/sam.h"
#include "engine/stacks/template.h"

static json_t *expand(const char *yaml, ferr *e)
{
    memset(e, 0, sizeof(*e));
    json_t *t = cfn_template_parse(yaml, strlen(yaml), e);
    assert_non_null(t);
    int rc = sam_transform(&t, NULL, e);
    if (rc < 0) {
        json_decref(t);
        return NULL;
    }
    assert_int_equal(rc, 1);
    return t;
}

static json_t *res(json_t *t, const char *id)
{
    return json_object_get(json_object_get(t, "Resources"), id);
}

/* The one resource whose id starts with prefix (and is prefix + 10 hex digits). */
static const char *hashed(json_t *t, const char *prefix)
{
    const char *k, *found = NULL;
    json_t *v;
    json_object_foreach(json_object_get(t, "Resources"), k, v) {
        if (strncmp(k, prefix, strlen(prefix)) || strlen(k) != strlen(prefix) + 10) continue;
        assert_null(found);
        found = k;
    }
    assert_non_null(found);
    return found;
}

static const char *type_of(json_t *t, const char *id)
{
    return jstr(res(t, id), "Type");
}

static const char *const APP =
    "Transform: AWS::Serverless-2016-10-31\n"
    "Parameters:\n"
    "  Stage: {Type: String, Default: dev}\n"
    "Globals:\n"
    "  Function: {Runtime: python3.12, Handler: i.h, InlineCode: x, Layers: [g1]}\n"
    "  Api: {Cors: \"'*'\"}\n"
    "Resources:\n"
    "  Bucket: {Type: AWS::S3::Bucket}\n"
    "  Lib: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: s3://b/l.zip}}\n"
    "  Bookings:\n"
    "    Type: AWS::Serverless::Api\n"
    "    Properties: {StageName: !Ref Stage}\n"
    "  Fn:\n"
    "    Type: AWS::Serverless::Function\n"
    "    Properties:\n"
    "      Layers: [!Ref Lib]\n"
    "      AutoPublishAlias: !Ref Stage\n"
    "      Events:\n"
    "        List: {Type: Api, Properties: {Path: '/b/{id}', Method: get}}\n"
    "        Make: {Type: Api, Properties: {Path: /b, Method: post, RestApiId: !Ref Bookings}}\n"
    "        Http: {Type: HttpApi}\n"
    "        Tick: {Type: Schedule, Properties: {Schedule: rate(5 minutes), Enabled: false}}\n"
    "        Rows: {Type: DynamoDB, Properties: {Stream: arn:s, StartingPosition: LATEST}}\n"
    "        Up: {Type: S3, Properties: {Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}}\n"
    "Outputs:\n"
    "  Url: {Value: !Sub "
    "'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/'}\n"
    "  Layer: {Value: !Ref Lib}\n";

static void events_and_apis(void **st)
{
    (void)st;
    ferr e;
    json_t *t = expand(APP, &e);
    assert_non_null(t);
    assert_null(json_object_get(t, "Transform"));
    assert_null(json_object_get(t, "Globals"));
    assert_int_equal(cfn_template_check(t, &e), 0);
    assert_string_equal(type_of(t, "Fn"), "AWS::Lambda::Function");
    assert_string_equal(type_of(t, "FnRole"), "AWS::IAM::Role");
    /* a Ref to a parameter names the alias and the stage, as SAM resolves it */
    assert_string_equal(type_of(t, "FnAliasdev"), "AWS::Lambda::Alias");
    hashed(t, "FnVersion");
    /* the implicit REST API, its deployment and Prod stage; the declared one with its stage */
    assert_string_equal(type_of(t, "ServerlessRestApi"), "AWS::ApiGateway::RestApi");
    assert_string_equal(type_of(t, hashed(t, "ServerlessRestApiDeployment")),
                        "AWS::ApiGateway::Deployment");
    json_t *stage = json_object_get(res(t, "ServerlessRestApiProdStage"), "Properties");
    assert_string_equal(jstr(stage, "StageName"), "Prod");
    assert_string_equal(jstr(json_object_get(stage, "DeploymentId"), "Ref"),
                        hashed(t, "ServerlessRestApiDeployment"));
    assert_string_equal(type_of(t, "Bookings"), "AWS::ApiGateway::RestApi");
    assert_string_equal(type_of(t, "BookingsdevStage"), "AWS::ApiGateway::Stage");
    hashed(t, "BookingsDeployment");
    assert_string_equal(type_of(t, "FnListPermissionProd"), "AWS::Lambda::Permission");
    assert_string_equal(type_of(t, "FnMakePermissiondev"), "AWS::Lambda::Permission");
    /* the route: aws_proxy to the function, and the CORS preflight from Globals */
    json_t *paths = json_object_get(
        json_object_get(json_object_get(res(t, "ServerlessRestApi"), "Properties"), "Body"),
        "paths");
    json_t *get = json_object_get(json_object_get(paths, "/b/{id}"), "get");
    json_t *integ = json_object_get(get, "x-amazon-apigateway-integration");
    assert_string_equal(jstr(integ, "type"), "aws_proxy");
    assert_string_equal(jstr(integ, "httpMethod"), "POST");
    assert_non_null(strstr(jstr(json_object_get(integ, "uri"), "Fn::Sub"), "${FnAliasdev}"));
    assert_non_null(json_object_get(json_object_get(paths, "/b/{id}"), "options"));
    assert_null(json_object_get(paths, "/b")); /* that one is on Bookings */
    json_t *src = json_object_get(
        json_object_get(json_object_get(res(t, "FnListPermissionProd"), "Properties"), "SourceArn"),
        "Fn::Sub");
    assert_non_null(strstr(json_string_value(json_array_get(src, 0)), "/GET/b/*"));
    /* HTTP API: $default stage, any method on $default */
    assert_string_equal(type_of(t, "ServerlessHttpApi"), "AWS::ApiGatewayV2::Api");
    json_t *hs = json_object_get(res(t, "ServerlessHttpApiApiGatewayDefaultStage"), "Properties");
    assert_string_equal(jstr(hs, "StageName"), "$default");
    assert_true(json_is_true(json_object_get(hs, "AutoDeploy")));
    assert_string_equal(type_of(t, "FnHttpPermission"), "AWS::Lambda::Permission");
    /* schedule, stream, S3 */
    json_t *rule = json_object_get(res(t, "FnTick"), "Properties");
    assert_string_equal(type_of(t, "FnTick"), "AWS::Events::Rule");
    assert_string_equal(jstr(rule, "State"), "DISABLED");
    assert_string_equal(jstr(rule, "ScheduleExpression"), "rate(5 minutes)");
    assert_string_equal(type_of(t, "FnTickPermission"), "AWS::Lambda::Permission");
    assert_string_equal(type_of(t, "FnRows"), "AWS::Lambda::EventSourceMapping");
    json_t *lc = json_array_get(
        json_object_get(json_object_get(json_object_get(res(t, "Bucket"), "Properties"),
                                        "NotificationConfiguration"),
                        "LambdaConfigurations"),
        0);
    assert_string_equal(jstr(lc, "Event"), "s3:ObjectCreated:*");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(res(t, "Bucket"), "DependsOn"), 0)),
        "FnUpPermission");
    /* the layer's hashed id, followed by Refs; Globals' list comes first */
    const char *lib = hashed(t, "Lib");
    json_t *layers = json_object_get(json_object_get(res(t, "Fn"), "Properties"), "Layers");
    assert_int_equal(json_array_size(layers), 2);
    assert_string_equal(json_string_value(json_array_get(layers, 0)), "g1");
    assert_string_equal(jstr(json_array_get(layers, 1), "Ref"), lib);
    assert_string_equal(
        jstr(json_object_get(json_object_get(t, "Outputs"), "Layer"), "Value") ? "" : lib, lib);
    /* the stream needs its managed policy on the role */
    json_t *arns =
        json_object_get(json_object_get(res(t, "FnRole"), "Properties"), "ManagedPolicyArns");
    assert_int_equal(json_array_size(arns), 2);
    assert_non_null(
        strstr(jstr(json_array_get(arns, 1), "Fn::Sub"), "AWSLambdaDynamoDBExecutionRole"));
    json_decref(t);
}

static void deployment_follows_the_definition(void **st)
{
    (void)st;
    ferr e;
    const char *a = "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
                    "    Type: AWS::Serverless::Function\n    Properties:\n"
                    "      Runtime: python3.12\n      Handler: i.h\n      InlineCode: x\n"
                    "      Events: {G: {Type: Api, Properties: {Path: /a, Method: get}}}\n";
    char b[1024];
    snprintf(b, sizeof(b), "%s", a);
    *strstr(b, "/a") = 'X'; /* another path */
    json_t *ta = expand(a, &e), *ta2 = expand(a, &e), *tb = expand(b, &e);
    assert_string_equal(hashed(ta, "ServerlessRestApiDeployment"),
                        hashed(ta2, "ServerlessRestApiDeployment"));
    assert_string_not_equal(hashed(ta, "ServerlessRestApiDeployment"),
                            hashed(tb, "ServerlessRestApiDeployment"));
    json_decref(ta);
    json_decref(ta2);
    json_decref(tb);
}

static void errors(void **st)
{
    (void)st;
    ferr e;
    /* the object form names the transform too */
    json_t *ok = expand("Transform: {Name: AWS::Serverless-2016-10-31}\nResources: {}\n", &e);
    assert_non_null(ok);
    json_decref(ok);
    assert_null(expand("Transform: AWS::Serverless-2016-10-31\nGlobals: {Queue: {}}\n"
                       "Resources: {}\n",
                       &e));
    assert_string_equal(e.code, "ValidationError");
    assert_non_null(strstr(e.message, "Number of errors found: 1. 'Globals' section is invalid. "
                                      "'Queue' is not supported."));
    assert_null(expand("Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
                       "    Type: AWS::Serverless::Function\n    Properties:\n"
                       "      Runtime: python3.12\n      Handler: i.h\n      InlineCode: x\n"
                       "      Events: {G: {Type: Api, Properties: {Path: /a, Method: get, "
                       "RestApiId: Nope}}}\n",
                       &e));
    assert_non_null(strstr(e.message, "Resource with id [F] is invalid. Event with id [G] is "
                                      "invalid. RestApiId must be a valid reference to an "
                                      "'AWS::Serverless::Api' resource in same template."));
    assert_null(expand("Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
                       "    Type: AWS::Serverless::Function\n    Properties:\n"
                       "      Handler: i.h\n      Policies: [{NoSuchPolicy: {}}, "
                       "{DynamoDBCrudPolicy: {}}]\n",
                       &e));
    assert_non_null(strstr(e.message, "Number of errors found: 1. Resource with id [F] is "
                                      "invalid. Either 'InlineCode' or 'CodeUri' must be set."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_and_apis),
        cmocka_unit_test(deployment_follows_the_definition),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
