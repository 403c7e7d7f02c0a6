/* SAM policy templates: a name and its one parameter become IAM statements. Each entry is
 * the parameter, the variable SAM substitutes it as, and the statements as JSON; in them a
 * Resource string with "${var}" becomes {"Fn::Sub": [text, {var: value}]} and "$VALUE" the
 * value itself, so intrinsic functions in the value reach the engine untouched. */
#include <string.h>

#include "sam_int.h"

typedef struct ptpl {
    const char *name, *param, *var, *stmts;
} ptpl;

#define DDB_RES \
    "\"Resource\": [\"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:" \
    "table/${tableName}\", \"arn:${AWS::Partition}:dynamodb:${AWS::Region}:" \
    "${AWS::AccountId}:table/${tableName}/index/*\"]"
#define S3_RES \
    "\"Resource\": [\"arn:${AWS::Partition}:s3:::${bucketName}\", " \
    "\"arn:${AWS::Partition}:s3:::${bucketName}/*\"]"
#define SQS_RES \
    "\"Resource\": \"arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}\""

static const ptpl table[] = {
    {"DynamoDBCrudPolicy", "TableName", "tableName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"dynamodb:GetItem\", \"dynamodb:DeleteItem\", "
     "\"dynamodb:PutItem\", \"dynamodb:Scan\", \"dynamodb:Query\", \"dynamodb:UpdateItem\", "
     "\"dynamodb:BatchWriteItem\", \"dynamodb:BatchGetItem\", \"dynamodb:DescribeTable\", "
     "\"dynamodb:ConditionCheckItem\"], " DDB_RES "}]"},
    {"DynamoDBReadPolicy", "TableName", "tableName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"dynamodb:GetItem\", \"dynamodb:Scan\", "
     "\"dynamodb:Query\", \"dynamodb:BatchGetItem\", \"dynamodb:DescribeTable\"], " DDB_RES "}]"},
    {"DynamoDBWritePolicy", "TableName", "tableName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"dynamodb:PutItem\", \"dynamodb:UpdateItem\", "
     "\"dynamodb:BatchWriteItem\"], " DDB_RES "}]"},
    {"SNSPublishMessagePolicy", "TopicName", "topicName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"sns:Publish\"], \"Resource\": "
     "\"arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}\"}]"},
    {"SQSPollerPolicy", "QueueName", "queueName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"sqs:ChangeMessageVisibility\", "
     "\"sqs:ChangeMessageVisibilityBatch\", \"sqs:DeleteMessage\", \"sqs:DeleteMessageBatch\", "
     "\"sqs:GetQueueAttributes\", \"sqs:ReceiveMessage\"], " SQS_RES "}]"},
    {"SQSSendMessagePolicy", "QueueName", "queueName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"sqs:SendMessage*\"], " SQS_RES "}]"},
    {"S3ReadPolicy", "BucketName", "bucketName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:ListBucket\", "
     "\"s3:GetBucketLocation\", \"s3:GetObjectVersion\", \"s3:GetLifecycleConfiguration\"], " S3_RES
     "}]"},
    {"S3CrudPolicy", "BucketName", "bucketName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:ListBucket\", "
     "\"s3:GetBucketLocation\", \"s3:GetObjectVersion\", \"s3:PutObject\", \"s3:PutObjectAcl\", "
     "\"s3:GetLifecycleConfiguration\", \"s3:PutLifecycleConfiguration\", "
     "\"s3:DeleteObject\"], " S3_RES "}]"},
    {"LambdaInvokePolicy", "FunctionName", "functionName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"lambda:InvokeFunction\"], \"Resource\": "
     "\"arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*\"}"
     "]"},
    {"AWSSecretsManagerGetSecretValuePolicy", "SecretArn", "secretArn",
     "[{\"Effect\": \"Allow\", \"Action\": [\"secretsmanager:GetSecretValue\"], \"Resource\": "
     "\"$VALUE\"}]"},
    {"SSMParameterReadPolicy", "ParameterName", "parameterName",
     "[{\"Effect\": \"Allow\", \"Action\": [\"ssm:DescribeParameters\"], \"Resource\": \"*\"}, "
     "{\"Effect\": \"Allow\", \"Action\": [\"ssm:GetParameters\", \"ssm:GetParameter\", "
     "\"ssm:GetParametersByPath\"], \"Resource\": "
     "\"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}\"}]"},
    {"KMSDecryptPolicy", "KeyId", "keyId",
     "[{\"Effect\": \"Allow\", \"Action\": \"kms:Decrypt\", \"Resource\": "
     "\"arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}\"}]"},
};

/* A Resource value of a template with the parameter's value put in (new reference). */
static json_t *fill(const json_t *r, const ptpl *t, const json_t *val)
{
    if (json_is_array(r)) {
        json_t *a = json_array();
        int rc = !a;
        size_t i;
        json_t *v;
        json_array_foreach(r, i, v) rc |= json_array_append_new(a, fill(v, t, val));
        return jdone(a, rc);
    }
    const char *s = json_string_value(r);
    if (s && !strcmp(s, "$VALUE")) return json_deep_copy(val);
    if (s && strstr(s, "${")) return sam_sub(s, t->var, val);
    return json_deep_copy(r);
}

int sam_policy_template(const char *name, const json_t *args, json_t **stmts, const char **missing)
{
    *stmts = NULL;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const ptpl *t = &table[i];
        if (strcmp(t->name, name)) continue;
        const json_t *val = json_object_get(args, t->param);
        if (!val) {
            *missing = t->param;
            return -1;
        }
        json_t *tpl = json_loads(t->stmts, 0, NULL);
        json_t *out = json_array();
        int rc = !tpl || !out;
        size_t j;
        json_t *st;
        json_array_foreach(tpl, j, st) {
            json_t *c = json_deep_copy(st);
            rc |= !c ||
                  json_object_set_new(c, "Resource", fill(json_object_get(st, "Resource"), t, val));
            rc |= json_array_append_new(out, c);
        }
        json_decref(tpl);
        *stmts = jdone(out, rc); /* NULL: out of memory, said by the caller */
        return 1;
    }
    return 0;
}
