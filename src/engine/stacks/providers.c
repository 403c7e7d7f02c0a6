/* The resource provider registry, and the two things every provider needs: calling a
 * service as the stack (cfn_call) and CloudFormation's generated physical names. */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "prov_int.h"

extern const cfn_provider cfn_provider_iam_role, cfn_provider_iam_policy,
    cfn_provider_iam_managed_policy, cfn_provider_iam_user, cfn_provider_iam_access_key,
    cfn_provider_iam_group, cfn_provider_iam_instance_profile, cfn_provider_sns_topic,
    cfn_provider_sns_subscription, cfn_provider_sns_topic_policy, cfn_provider_sqs_queue,
    cfn_provider_sqs_queue_policy, cfn_provider_s3_bucket, cfn_provider_s3_bucket_policy,
    cfn_provider_kms_key, cfn_provider_kms_alias, cfn_provider_ssm_parameter,
    cfn_provider_secretsmanager_secret, cfn_provider_secretsmanager_policy,
    cfn_provider_dynamodb_table, cfn_provider_secretsmanager_rotation,
    cfn_provider_logs_log_group /* src/svc/logs/prov_log_group.c */;
/* Lambda's (src/svc/lambda/prov_lambda.c) */
extern const cfn_provider cfn_provider_lambda_function, cfn_provider_lambda_permission,
    cfn_provider_lambda_version, cfn_provider_lambda_alias, cfn_provider_lambda_layer_version,
    cfn_provider_lambda_layer_version_permission, cfn_provider_lambda_event_invoke_config;
/* src/svc/lambda/prov_esm.c */
extern const cfn_provider cfn_provider_lambda_event_source_mapping;
/* EventBridge's (src/svc/events/prov_events.c) */
extern const cfn_provider cfn_provider_events_rule, cfn_provider_events_event_bus,
    cfn_provider_events_event_bus_policy;
/* src/svc/apigatewayv2/prov_apigatewayv2.c */
extern const cfn_provider cfn_provider_apigatewayv2_api, cfn_provider_apigatewayv2_route,
    cfn_provider_apigatewayv2_integration, cfn_provider_apigatewayv2_stage;
/* API Gateway's (src/svc/apigateway/prov_apigateway.c) */
extern const cfn_provider cfn_provider_apigateway_restapi, cfn_provider_apigateway_resource,
    cfn_provider_apigateway_method, cfn_provider_apigateway_deployment,
    cfn_provider_apigateway_stage;
/* src/svc/apigateway/prov_apigateway_keys.c */
extern const cfn_provider cfn_provider_apigateway_authorizer, cfn_provider_apigateway_apikey,
    cfn_provider_apigateway_usageplan, cfn_provider_apigateway_usageplankey;
/* src/svc/apigatewayv2/prov_apigatewayv2.c */
extern const cfn_provider cfn_provider_apigatewayv2_authorizer;
/* src/svc/apigateway/prov_apigateway.c */
extern const cfn_provider cfn_provider_apigateway_gatewayresponse;
extern const cfn_provider cfn_provider_apigateway_model;
extern const cfn_provider cfn_provider_apigateway_requestvalidator;
extern const cfn_provider cfn_provider_apigateway_account;
/* src/svc/codecommit/prov_repository.c */
extern const cfn_provider cfn_provider_codecommit_repository;
/* src/svc/codebuild/prov_project.c */
extern const cfn_provider cfn_provider_codebuild_project;
/* src/svc/codebuild/prov_report_group.c */
extern const cfn_provider cfn_provider_codebuild_report_group;
/* src/svc/codepipeline/prov_pipeline.c */
extern const cfn_provider cfn_provider_codepipeline_pipeline;
/* src/svc/codestarnotifications/prov_rule.c */
extern const cfn_provider cfn_provider_codestarnotifications_rule;
extern const cfn_provider cfn_provider_ecr_repository; /* src/svc/ecr/prov_repository.c */
/* src/svc/route53/prov_route53.c */
extern const cfn_provider cfn_provider_route53_hosted_zone, cfn_provider_route53_record_set,
    cfn_provider_route53_record_set_group, cfn_provider_route53_health_check;
/* src/svc/ram/prov_share.c */
extern const cfn_provider cfn_provider_ram_resource_share;
/* src/svc/servicediscovery/prov_servicediscovery.c */
extern const cfn_provider cfn_provider_sd_http_namespace, cfn_provider_sd_private_dns_namespace,
    cfn_provider_sd_public_dns_namespace, cfn_provider_sd_service, cfn_provider_sd_instance;
/* src/svc/elbv2/prov_elbv2.c */
extern const cfn_provider cfn_provider_elbv2_load_balancer, cfn_provider_elbv2_target_group,
    cfn_provider_elbv2_listener, cfn_provider_elbv2_listener_rule;
/* src/svc/ecs/prov_ecs.c */
extern const cfn_provider cfn_provider_ecs_cluster, cfn_provider_ecs_task_definition,
    cfn_provider_ecs_service;
/* src/svc/appmesh/prov_appmesh.c */
extern const cfn_provider cfn_provider_appmesh_mesh, cfn_provider_appmesh_virtual_node,
    cfn_provider_appmesh_virtual_service, cfn_provider_appmesh_virtual_router,
    cfn_provider_appmesh_route, cfn_provider_appmesh_virtual_gateway,
    cfn_provider_appmesh_gateway_route;
/* the stack engine's own (src/engine/stacks/stack_*.c) */
extern const cfn_provider cfn_provider_cfn_stack, cfn_provider_cfn_waithandle,
    cfn_provider_cfn_waitcondition;

/* EC2 networking (src/svc/ec2/prov_ec2.c, prov_sg.c) */
extern const cfn_provider cfn_provider_ec2_vpc, cfn_provider_ec2_subnet,
    cfn_provider_ec2_route_table, cfn_provider_ec2_route,
    cfn_provider_ec2_subnet_route_table_association, cfn_provider_ec2_internet_gateway,
    cfn_provider_ec2_vpc_gateway_attachment, cfn_provider_ec2_nat_gateway, cfn_provider_ec2_eip,
    cfn_provider_ec2_security_group, cfn_provider_ec2_security_group_ingress,
    cfn_provider_ec2_security_group_egress, cfn_provider_ec2_vpc_endpoint;
static const cfn_provider *const registry[] = {
    &cfn_provider_cfn_stack,
    &cfn_provider_cfn_waitcondition,
    &cfn_provider_cfn_waithandle,
    &cfn_provider_iam_access_key,
    &cfn_provider_iam_group,
    &cfn_provider_iam_instance_profile,
    &cfn_provider_iam_managed_policy,
    &cfn_provider_iam_policy,
    &cfn_provider_iam_role,
    &cfn_provider_iam_user,
    &cfn_provider_sns_subscription,
    &cfn_provider_sns_topic,
    &cfn_provider_sns_topic_policy,
    &cfn_provider_sqs_queue,
    &cfn_provider_sqs_queue_policy,
    &cfn_provider_s3_bucket,
    &cfn_provider_s3_bucket_policy,
    &cfn_provider_kms_key,
    &cfn_provider_kms_alias,
    &cfn_provider_ssm_parameter,
    &cfn_provider_secretsmanager_secret,
    &cfn_provider_secretsmanager_policy,
    &cfn_provider_secretsmanager_rotation,
    &cfn_provider_logs_log_group,
    &cfn_provider_dynamodb_table,
    &cfn_provider_lambda_function,
    &cfn_provider_lambda_permission,
    &cfn_provider_lambda_version,
    &cfn_provider_lambda_alias,
    &cfn_provider_lambda_layer_version,
    &cfn_provider_lambda_layer_version_permission,
    &cfn_provider_lambda_event_invoke_config,
    &cfn_provider_lambda_event_source_mapping,
    &cfn_provider_events_rule,
    &cfn_provider_events_event_bus,
    &cfn_provider_events_event_bus_policy,
    &cfn_provider_apigatewayv2_api,
    &cfn_provider_apigatewayv2_route,
    &cfn_provider_apigatewayv2_integration,
    &cfn_provider_apigatewayv2_stage,
    &cfn_provider_apigateway_restapi,
    &cfn_provider_apigateway_resource,
    &cfn_provider_apigateway_method,
    &cfn_provider_apigateway_deployment,
    &cfn_provider_apigateway_stage,
    &cfn_provider_apigateway_authorizer,
    &cfn_provider_apigateway_apikey,
    &cfn_provider_apigateway_usageplan,
    &cfn_provider_apigateway_usageplankey,
    &cfn_provider_apigatewayv2_authorizer,
    &cfn_provider_apigateway_gatewayresponse,
    &cfn_provider_apigateway_model,
    &cfn_provider_apigateway_requestvalidator,
    &cfn_provider_apigateway_account,
    &cfn_provider_codecommit_repository,
    &cfn_provider_codebuild_project,
    &cfn_provider_codebuild_report_group,
    &cfn_provider_codepipeline_pipeline,
    &cfn_provider_codestarnotifications_rule,
    &cfn_provider_ecr_repository,
    &cfn_provider_route53_hosted_zone,
    &cfn_provider_route53_record_set,
    &cfn_provider_route53_record_set_group,
    &cfn_provider_route53_health_check,
    &cfn_provider_ec2_vpc,
    &cfn_provider_ec2_subnet,
    &cfn_provider_ec2_route_table,
    &cfn_provider_ec2_route,
    &cfn_provider_ec2_subnet_route_table_association,
    &cfn_provider_ec2_internet_gateway,
    &cfn_provider_ec2_vpc_gateway_attachment,
    &cfn_provider_ec2_nat_gateway,
    &cfn_provider_ec2_eip,
    &cfn_provider_ec2_security_group,
    &cfn_provider_ec2_security_group_ingress,
    &cfn_provider_ec2_security_group_egress,
    &cfn_provider_ec2_vpc_endpoint,
    &cfn_provider_ram_resource_share,
    &cfn_provider_sd_http_namespace,
    &cfn_provider_sd_private_dns_namespace,
    &cfn_provider_sd_public_dns_namespace,
    &cfn_provider_sd_service,
    &cfn_provider_sd_instance,
    &cfn_provider_elbv2_load_balancer,
    &cfn_provider_elbv2_target_group,
    &cfn_provider_elbv2_listener,
    &cfn_provider_elbv2_listener_rule,
    &cfn_provider_ecs_cluster,
    &cfn_provider_ecs_task_definition,
    &cfn_provider_ecs_service,
    &cfn_provider_appmesh_mesh,
    &cfn_provider_appmesh_virtual_node,
    &cfn_provider_appmesh_virtual_service,
    &cfn_provider_appmesh_virtual_router,
    &cfn_provider_appmesh_route,
    &cfn_provider_appmesh_virtual_gateway,
    &cfn_provider_appmesh_gateway_route,
};

const cfn_provider *cfn_provider_find(const char *type)
{
    if (!type) return NULL;
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
        if (!strcmp(registry[i]->type, type)) return registry[i];
    return NULL;
}

/* Only unit tests set this (prov_set_hook); production calls go to svc_invoke. */
static prov_hook_fn hook;
static void *hook_ud;

void prov_set_hook(prov_hook_fn fn, void *ud)
{
    hook = fn;
    hook_ud = ud;
}

/* service:op, or the service's internal entry point fn with arg (op: its name), as the
 * stack acts. */
static int call_as_stack(cfn_pctx *p, const char *region, const char *service, const char *op,
                         const svc_op *fn, const void *arg, const json_t *in, json_t **out)
{
    json_t *res = NULL;
    if (out) *out = NULL;
    if (!region) region = p->region;
    int rc;
    if (hook) {
        rc = hook(hook_ud, region, service, op, in, &res, p->e);
    } else {
        /* A service principal acts in the stack's account; users and role sessions act in
         * their own, which is the stack's (svc_invoke takes the account from who). */
        principal as = *p->as;
        if (p->account && as.kind == PRIN_SERVICE && strcmp(as.account, p->account))
            snprintf(as.account, sizeof(as.account), "%s", p->account);
        /* AWS: CloudFormation acting with the caller's credentials adds aws:CalledVia
         * ["cloudformation.amazonaws.com"]; with a service role (RoleARN) it calls as the
         * role's own session ("AWSCloudFormation"), and the key is absent. */
        int service_role = as.kind == PRIN_ASSUMED_ROLE && !strcmp(as.session, "AWSCloudFormation");
        json_t *ctx = service_role ? NULL
                                   : json_pack("{s:[s], s:s, s:s}", "aws:CalledVia",
                                               "cloudformation.amazonaws.com", "aws:CalledViaFirst",
                                               "cloudformation.amazonaws.com", "aws:CalledViaLast",
                                               "cloudformation.amazonaws.com");
        if (!service_role && !ctx) return ferr_oom(p->e);
        rc = fn ? svc_invoke_fn_in(NULL, NULL, p->env, &as, region, service, fn, arg, in, &res, ctx,
                                   p->e)
                : svc_invoke(p->env, &as, region, service, op, in, &res, ctx, p->e);
        json_decref(ctx);
    }
    if (rc) {
        json_decref(res);
        if (!ferr_isset(p->e)) ferr_internal(p->e, "%s:%s failed", service, op);
        return -1;
    }
    if (out)
        *out = res ? res : json_object();
    else
        json_decref(res);
    return 0;
}

int prov_call_in(cfn_pctx *p, const char *region, const char *service, const char *op,
                 const json_t *in, json_t **out)
{
    return call_as_stack(p, region, service, op, NULL, NULL, in, out);
}

int prov_call_fn(cfn_pctx *p, const char *service, const svc_op *fn, const void *arg, json_t *in,
                 json_t **out)
{
    if (!in) return ferr_oom(p->e);
    int rc = call_as_stack(p, NULL, service, fn->name, fn, arg, in, out);
    json_decref(in);
    return rc;
}

int cfn_intent(cfn_pctx *p, const char *id)
{
    return p->intent ? p->intent(p, id) : 0;
}

int cfn_call(cfn_pctx *p, const char *service, const char *op, const json_t *in, json_t **out)
{
    return prov_call_in(p, NULL, service, op, in, out);
}

/* AWS: "{stack name}-{logical id}-{random}", the random part 13 uppercase letters and
 * digits; when too long for the type, the stack name and the logical id are shortened
 * (the longer one first), and a FIFO name keeps its ".fifo". */
char *cfn_physical_name(const cfn_pctx *p, int max, int fifo)
{
    static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const char *stack = p->stack_name ? p->stack_name : "";
    const char *logical = p->logical_id ? p->logical_id : "";
    size_t ls = strlen(stack), ll = strlen(logical);
    size_t suffix = fifo ? 5 : 0;
    size_t fixed = 2 + 13 + suffix;
    size_t room = max > 0 && (size_t)max > fixed ? (size_t)max - fixed : 0;
    if (max <= 0) room = ls + ll;
    while (ls + ll > room) {
        if (ls >= ll)
            ls--;
        else
            ll--;
    }
    unsigned char r[13];
    ids_random(r, sizeof(r));
    char rnd[14];
    for (int i = 0; i < 13; i++) rnd[i] = alnum[r[i] % 36];
    rnd[13] = 0;
    size_t n = ls + ll + fixed + 1;
    char *out = malloc(n);
    if (!out) return NULL;
    snprintf(out, n, "%.*s-%.*s-%s%s", (int)ls, stack, (int)ll, logical, rnd, fifo ? ".fifo" : "");
    return out;
}
