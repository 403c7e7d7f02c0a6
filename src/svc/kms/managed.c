/* AWS managed keys (alias/aws/<service>): made the first time their service encrypts with
 * them for an account. Their key policy lets any principal of the account use them through
 * that service only (kms:ViaService), and the account read their metadata; it grants no
 * one PutKeyPolicy, DisableKey, ScheduleKeyDeletion, rotation or tagging, so AWS's
 * refusals follow from the policy, as they do in AWS. */
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "kms_int.h"

typedef struct managed_svc {
    const char *alias; /* after alias/aws/ */
    const char *via;   /* the kms:ViaService prefix: <via>.<region>.amazonaws.com */
    const char *what;  /* "Default key that protects my <what> when no other key is defined" */
} managed_svc;

static const managed_svc services[] = {
    {"s3", "s3", "S3 objects"},
    {"ssm", "ssm", "SSM parameters"},
    {"secretsmanager", "secretsmanager", "Secrets Manager data"},
    {"lambda", "lambda", "Lambda functions"},
    {"sns", "sns", "SNS data"},
    {"sqs", "sqs", "SQS data"},
    {"dynamodb", "dynamodb", "DynamoDB data"},
    {"ebs", "ec2", "EBS volumes"},
    {"rds", "rds", "RDS database volumes"},
    {"logs", "logs", "CloudWatch Logs data"},
};

static const managed_svc *service_of(const char *alias)
{
    if (strncmp(alias, "alias/aws/", 10)) return NULL;
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (!strcmp(alias + 10, services[i].alias)) return &services[i];
    return NULL;
}

static const char *managed_policy(call *c, const managed_svc *s, const char *via)
{
    return arena_printf(
        c->a,
        "{\"Version\":\"2012-10-17\",\"Id\":\"auto-%s-2\",\"Statement\":["
        "{\"Sid\":\"Allow access through %s for all principals in the account that are "
        "authorized to use %s\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
        "\"Action\":[\"kms:Encrypt\",\"kms:Decrypt\",\"kms:ReEncrypt*\",\"kms:GenerateDataKey*\","
        "\"kms:CreateGrant\",\"kms:DescribeKey\"],\"Resource\":\"*\",\"Condition\":{"
        "\"StringEquals\":{\"kms:CallerAccount\":\"%s\",\"kms:ViaService\":\"%s\"}}},"
        "{\"Sid\":\"Allow direct access to key metadata to the account\",\"Effect\":\"Allow\","
        "\"Principal\":{\"AWS\":\"arn:%s:iam::%s:root\"},\"Action\":[\"kms:Describe*\","
        "\"kms:Get*\",\"kms:List*\",\"kms:RevokeGrant\"],\"Resource\":\"*\"}]}",
        s->alias, s->what, s->via, c->account, via, arn_partition(c->region), c->account);
}

int kms_managed_create(call *c, const char *alias, const char **id)
{
    const managed_svc *s = service_of(alias);
    if (!s || !c->txn || !store_txn_is_write(c->txn)) return 0;
    /* only the service itself makes its key, on the first call it makes on its behalf */
    const char *via = arena_printf(c->a, "%s.%s.amazonaws.com", s->via, c->region);
    const char *said = jstr(c->context, "kms:ViaService");
    if (!via) return ferr_oom(c->err);
    if (!said || strcmp(said, via)) return 0;
    char kid[37];
    ids_uuid(kid);
    kms_key_spec_in ks = {
        .description = arena_printf(
            c->a, "Default key that protects my %s when no other key is defined", s->what),
        .policy = managed_policy(c, s, via),
        .spec = "SYMMETRIC_DEFAULT",
        .usage = "ENCRYPT_DECRYPT",
        .manager = "AWS",
        .rotation = 1, /* AWS rotates its managed keys every year */
    };
    if (!ks.description || !ks.policy) return ferr_oom(c->err);
    kms_key k;
    if (kms_key_create(c, kid, &ks, &k)) return -1;
    double now = clock_now();
    json_t *doc = json_pack("{s:s, s:s, s:f, s:f}", "AliasName", alias, "TargetKeyId", k.id,
                            "CreationDate", now, "LastUpdatedDate", now);
    if (!doc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    store_key sk = {KMS_ALIAS_KIND, c->account, c->region, alias};
    if (store_put(c->txn, &sk, doc, c->err)) return -1;
    *id = k.id;
    return 1;
}
