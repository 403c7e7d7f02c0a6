/* AWS managed policies: arn:aws:iam::aws:policy/NAME, the same in every account and
 * read-only. The ones people reference most, and the full/read-only pair of each service
 * ferry has or will have. Documents keep the essence of AWS's (the actions of services
 * ferry does not run are left out). Parsed once per process. */
#include <pthread.h>
#include <string.h>

#include "base/log.h"
#include "base/arn.h"
#include "iam_int.h"

#define V              "{\"Version\":\"2012-10-17\",\"Statement\":["
#define END            "]}"
#define ALLOW(actions) "{\"Effect\":\"Allow\",\"Action\":[" actions "],\"Resource\":\"*\"}"

/* AWSOrganizationsFullAccess: the service-linked role Organizations needs */
#define ORG_SLR \
    "{\"Effect\":\"Allow\",\"Action\":\"iam:CreateServiceLinkedRole\",\"Resource\":\"*\"," \
    "\"Condition\":{\"StringEquals\":{\"iam:AWSServiceName\":\"organizations.amazonaws.com\"}}}"

#define LAMBDA_LOGS "\"logs:CreateLogGroup\",\"logs:CreateLogStream\",\"logs:PutLogEvents\""

/* 2015-02-06T18:39:46Z, when AWS published the first managed policies */
#define T0 1423247986.0

static const iamsvc_awspol aws_policies[] = {
    {"AWSCloudFormationFullAccess", "ANPAUJZDEGXDNCF32EPF3", "v1",
     "Provides full access to AWS CloudFormation.", V ALLOW("\"cloudformation:*\"") END,
     1563840000.0, 1563840000.0},
    {"AWSCloudFormationReadOnlyAccess", "ANPADHODZDOCIS2JHTLGM", "v3",
     "Provides access to AWS CloudFormation via the AWS Management Console.",
     V ALLOW("\"cloudformation:Describe*\",\"cloudformation:EstimateTemplateCost\","
             "\"cloudformation:Get*\",\"cloudformation:List*\",\"cloudformation:ValidateTemplate\","
             "\"cloudformation:Detect*\"") END,
     T0, 1587072000.0},
    {"AWSCloudTrail_ReadOnlyAccess", "ANPAXGEDN73U55XTPLPFT", "v1",
     "Provides read only access to AWS CloudTrail.",
     V ALLOW("\"cloudtrail:Get*\",\"cloudtrail:Describe*\",\"cloudtrail:List*\","
             "\"cloudtrail:LookupEvents\",\"s3:GetObject\",\"s3:ListAllMyBuckets\","
             "\"kms:ListAliases\",\"lambda:ListFunctions\"") END,
     1630454400.0, 1630454400.0},
    {"AWSOrganizationsFullAccess", "ANPA7V4SEH2KVJ72CEUVW", "v6",
     "Provides full access to AWS Organizations.",
     V ALLOW("\"organizations:*\",\"account:*\"") "," ORG_SLR END, 1478044800.0, 1701216000.0},
    {"AWSOrganizationsReadOnlyAccess", "ANPA75EFR6EDT4SYWB5WK", "v7",
     "Provides read-only access to AWS Organizations.",
     V ALLOW("\"organizations:Describe*\",\"organizations:List*\",\"account:GetAlternateContact\","
             "\"account:GetContactInformation\",\"account:ListRegions\","
             "\"account:GetRegionOptStatus\",\"account:GetPrimaryEmail\"") END,
     1478044800.0, 1701216000.0},
    {"AdministratorAccess", "ANPAH7DNSIPZZ7FK4ZRI3", "v1",
     "Provides full access to AWS services and resources.", V ALLOW("\"*\"") END, T0, T0},
    {"AmazonSNSFullAccess", "ANPAR2WYOJFLJOOA7LQSA", "v2",
     "Provides full access to Amazon SNS via the AWS Management Console.",
     V ALLOW("\"sns:*\",\"sms-voice:*\"") END, T0, 1683763200.0},
    {"AmazonSNSReadOnlyAccess", "ANPAJ2XUID5ZZZZG6ZDME", "v2",
     "Provides read only access to Amazon SNS via the AWS Management Console.",
     V ALLOW("\"sns:GetTopicAttributes\",\"sns:List*\",\"sns:CheckIfPhoneNumberIsOptedOut\","
             "\"sns:GetEndpointAttributes\",\"sns:GetDataProtectionPolicy\","
             "\"sns:GetPlatformApplicationAttributes\",\"sns:GetSMSAttributes\","
             "\"sns:GetSMSSandboxAccountStatus\",\"sns:GetSubscriptionAttributes\"") END,
     T0, 1683763200.0},
    {"AmazonSQSFullAccess", "ANPAN4KHVDGAJGXBENYJQ", "v2",
     "Provides full access to Amazon SQS via the AWS Management Console.", V ALLOW("\"sqs:*\"") END,
     T0, 1716574560.0},
    {"AmazonSQSReadOnlyAccess", "ANPAWX6HH7566TFJGVQ6K", "v4",
     "Provides read only access to Amazon SQS via the AWS Management Console.",
     V ALLOW("\"sqs:GetQueueAttributes\",\"sqs:GetQueueUrl\",\"sqs:ListDeadLetterSourceQueues\","
             "\"sqs:ListQueues\",\"sqs:ListMessageMoveTasks\",\"sqs:ListQueueTags\"") END,
     T0, 1716574560.0},
    {"IAMFullAccess", "ANPABNXJBTFQXKWOVOMPZ", "v2",
     "Provides full access to IAM via the AWS "
     "Management Console.",
     V ALLOW("\"iam:*\",\"organizations:DescribeAccount\",\"organizations:DescribeOrganization\","
             "\"organizations:DescribeOrganizationalUnit\",\"organizations:DescribePolicy\","
             "\"organizations:ListChildren\",\"organizations:ListParents\","
             "\"organizations:ListPoliciesForTarget\",\"organizations:ListRoots\","
             "\"organizations:ListPolicies\",\"organizations:ListTargetsForPolicy\"") END,
     T0, 1560211200.0},
    {"IAMReadOnlyAccess", "ANPAOM7WBBR6QMW4WXFOG", "v4",
     "Provides read only access to IAM via "
     "the AWS Management Console.",
     V ALLOW("\"iam:GenerateCredentialReport\",\"iam:GenerateServiceLastAccessedDetails\","
             "\"iam:Get*\",\"iam:List*\",\"iam:SimulateCustomPolicy\","
             "\"iam:SimulatePrincipalPolicy\"") END,
     T0, 1560211200.0},
    {"PowerUserAccess", "ANPAO6MVN6A6WFHYM6L3V", "v7",
     "Provides full access to AWS services and resources, but does not allow management of "
     "Users and groups.",
     V "{\"Effect\":\"Allow\",\"NotAction\":[\"iam:*\",\"organizations:*\",\"account:*\"],"
       "\"Resource\":\"*\"}," ALLOW(
           "\"account:GetAccountInformation\",\"account:GetPrimaryEmail\","
           "\"account:ListRegions\",\"iam:CreateServiceLinkedRole\","
           "\"iam:DeleteServiceLinkedRole\",\"iam:ListRoles\","
           "\"organizations:DescribeEffectivePolicy\",\"organizations:DescribeOrganization\"") END,
     T0, 1745953620.0},
    {"ReadOnlyAccess", "ANPAFZ5ZFKKIBJ5J6WJIB", "v110",
     "Provides read-only access to AWS services and resources.",
     V ALLOW("\"access-analyzer:Get*\",\"access-analyzer:List*\","
             "\"access-analyzer:ValidatePolicy\",\"account:Get*\",\"account:List*\","
             "\"cloudformation:Describe*\",\"cloudformation:Detect*\","
             "\"cloudformation:Estimate*\",\"cloudformation:Get*\",\"cloudformation:List*\","
             "\"cloudformation:ValidateTemplate\",\"cloudtrail:Describe*\",\"cloudtrail:Get*\","
             "\"cloudtrail:List*\",\"cloudtrail:LookupEvents\",\"codebuild:BatchGet*\","
             "\"codebuild:Describe*\",\"codebuild:List*\",\"codepipeline:Get*\","
             "\"codepipeline:List*\",\"dynamodb:BatchGet*\",\"dynamodb:Describe*\","
             "\"dynamodb:Get*\",\"dynamodb:List*\",\"dynamodb:Query\",\"dynamodb:Scan\","
             "\"iam:Generate*\",\"iam:Get*\",\"iam:List*\",\"iam:Simulate*\",\"kms:Describe*\","
             "\"kms:Get*\",\"kms:List*\",\"lambda:Get*\",\"lambda:List*\","
             "\"organizations:Describe*\",\"organizations:List*\",\"s3:Describe*\",\"s3:Get*\","
             "\"s3:List*\",\"servicediscovery:Discover*\",\"servicediscovery:Get*\","
             "\"servicediscovery:List*\",\"sns:Check*\",\"sns:Get*\",\"sns:List*\","
             "\"sqs:Get*\",\"sqs:List*\",\"sqs:Receive*\",\"ssm:Describe*\",\"ssm:Get*\","
             "\"ssm:List*\",\"sts:GetAccessKeyInfo\",\"sts:GetCallerIdentity\","
             "\"sts:GetSessionToken\"") END,
     T0, 1714521600.0},
    /* the execution roles of Lambda functions (SAM gives every function the first; the
     * others with their event sources): NAME is PATH/NAME under /service-role/. Sorted by
     * name, as the whole table (found by binary search) */
    {"service-role/AWSLambdaBasicExecutionRole", "ANPAJNCQGXC42545SKXIK", "v1",
     "Provides write permissions to CloudWatch Logs.", V ALLOW(LAMBDA_LOGS) END, T0, T0},
    {"service-role/AWSLambdaDynamoDBExecutionRole", "ANPAIP7WNAGMIPYNW4WQG", "v1",
     "Provides list and read access to DynamoDB streams and write permissions to CloudWatch "
     "logs.",
     V ALLOW("\"dynamodb:DescribeStream\",\"dynamodb:GetRecords\",\"dynamodb:GetShardIterator\","
             "\"dynamodb:ListStreams\"," LAMBDA_LOGS) END,
     T0, T0},
    {"service-role/AWSLambdaKinesisExecutionRole", "ANPAJHOLKJPXV4GBRMJUQ", "v2",
     "Provides list and read access to Kinesis streams and write permissions to CloudWatch "
     "logs.",
     V ALLOW("\"kinesis:DescribeStream\",\"kinesis:DescribeStreamSummary\",\"kinesis:GetRecords\","
             "\"kinesis:GetShardIterator\",\"kinesis:ListShards\",\"kinesis:ListStreams\","
             "\"kinesis:SubscribeToShard\"," LAMBDA_LOGS) END,
     T0, T0},
    {"service-role/AWSLambdaSQSQueueExecutionRole", "ANPAJFWJZI6JNND4TSELK", "v2",
     "Provides receive message, delete message, and read attribute access to SQS queues, and "
     "write permissions to CloudWatch logs.",
     V ALLOW("\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\",\"sqs:GetQueueAttributes\"," LAMBDA_LOGS)
         END,
     T0, T0},
};

#define NPOL (sizeof(aws_policies) / sizeof(aws_policies[0]))

static iam_policy *parsed[NPOL];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void parse_all(void)
{
    for (size_t i = 0; i < NPOL; i++) {
        const iamsvc_awspol *p = &aws_policies[i];
        ferr e = {0};
        parsed[i] = iam_policy_parse(p->document, strlen(p->document), IAM_KIND_IDENTITY, &e);
        if (!parsed[i]) {
            log_error("iam: AWS managed policy %s does not parse: %s", p->name, e.message);
            continue;
        }
        if (iam_policy_set_name(parsed[i], p->name)) {
            iam_policy_free(parsed[i]);
            parsed[i] = NULL;
        }
    }
}

const iamsvc_awspol *iamsvc_aws_policy_at(size_t i)
{
    return i < NPOL ? &aws_policies[i] : NULL;
}

const iamsvc_awspol *iamsvc_aws_policy(const char *arn)
{
    /* arn:PARTITION:iam::aws:policy/NAME: the same policies in every partition */
    static const char pfx[] = ":aws:policy/";
    const char *rest = arn_rest(arn, "iam");
    if (!rest || strncmp(rest, pfx, sizeof(pfx) - 1)) return NULL;
    const char *name = rest + sizeof(pfx) - 1;
    for (size_t i = 0; i < NPOL; i++)
        if (!strcmp(aws_policies[i].name, name)) return &aws_policies[i];
    return NULL;
}

const iam_policy *iamsvc_aws_policy_parsed(const iamsvc_awspol *p)
{
    pthread_once(&once, parse_all);
    size_t i = (size_t)(p - aws_policies);
    return i < NPOL ? parsed[i] : NULL;
}
