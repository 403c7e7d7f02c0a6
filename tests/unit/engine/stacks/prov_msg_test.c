/* The SQS and SNS providers against a fake service layer: attribute mapping, tags (with
 * AWS's aws:cloudformation:* tags), Ref/GetAtt, in-place updates, policies and deletes. */
#include "prov_fake.h"

static const cfn_provider *P(const char *type)
{
    const cfn_provider *p = cfn_provider_find(type);
    assert_non_null(p);
    return p;
}

#define QURL "http://sqs.us-east-1.localhost:4566/111122223333/orders"
#define QARN "arn:aws:sqs:us-east-1:111122223333:orders"

static void queue_replies(fake *f)
{
    fake_reply(f, "sqs:CreateQueue", "{\"QueueUrl\": \"" QURL "\"}");
    fake_reply(f, "sqs:GetQueueAttributes", "{\"Attributes\": {\"QueueArn\": \"" QARN "\"}}");
}

static void test_queue_create(void **state)
{
    (void)state;
    const cfn_provider *qp = P("AWS::SQS::Queue");
    fake *f = fake_new("Orders");
    queue_replies(f);
    json_t *props = J("{\"DelaySeconds\": \"5\", \"VisibilityTimeout\": 60,"
                      " \"RedrivePolicy\": {\"deadLetterTargetArn\": "
                      "\"arn:aws:sqs:us-east-1:111122223333:dlq\","
                      "                     \"maxReceiveCount\": 3},"
                      " \"SqsManagedSseEnabled\": \"false\","
                      " \"Tags\": [{\"Key\": \"app\", \"Value\": \"shop\"}]}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(qp, &f->p, props, &res), 0);
    /* no QueueName: nothing to look for first */
    assert_string_equal(fake_ops(f), "sqs:CreateQueue sqs:GetQueueAttributes");
    const json_t *in = fake_in(f, 0);
    assert_int_equal(strncmp(jstr(in, "QueueName"), "mystack-Orders-", 15), 0);
    assert_int_equal(strlen(jstr(in, "QueueName")), 15 + 13);
    json_t *want = J("{\"DelaySeconds\": \"5\", \"VisibilityTimeout\": \"60\", "
                     "\"SqsManagedSseEnabled\": \"false\","
                     " \"RedrivePolicy\": "
                     "\"{\\\"deadLetterTargetArn\\\":\\\"arn:aws:sqs:us-east-1:111122223333:"
                     "dlq\\\",\\\"maxReceiveCount\\\":3}\"}");
    assert_true(json_equal(json_object_get(in, "Attributes"), want));
    json_decref(want);
    /* SQS tags are a map: the stack's, the queue's and AWS's aws:cloudformation:* */
    const json_t *tags = json_object_get(in, "tags");
    assert_int_equal(json_object_size(tags), 5);
    assert_string_equal(jstr(tags, "team"), "core");
    assert_string_equal(jstr(tags, "app"), "shop");
    assert_string_equal(jstr(tags, "aws:cloudformation:stack-name"), "mystack");
    assert_string_equal(jstr(tags, "aws:cloudformation:logical-id"), "Orders");
    assert_string_equal(jstr(tags, "aws:cloudformation:stack-id"), f->p.stack_id);
    want = J("[\"QueueArn\"]");
    assert_true(json_equal(json_object_get(fake_in(f, 1), "AttributeNames"), want));
    json_decref(want);
    /* Ref = QueueUrl; GetAtt Arn, QueueName, QueueUrl */
    assert_string_equal(jstr(res, "PhysicalResourceId"), QURL);
    const json_t *at = json_object_get(res, "Attributes");
    assert_string_equal(jstr(at, "Arn"), QARN);
    assert_string_equal(jstr(at, "QueueName"), "orders");
    assert_string_equal(jstr(at, "QueueUrl"), QURL);
    json_decref(res);
    json_decref(props);
    fake_free(f);
}

static void test_queue_fifo_and_named(void **state)
{
    (void)state;
    const cfn_provider *qp = P("AWS::SQS::Queue");
    fake *f = fake_new("Jobs");
    queue_replies(f);
    json_t *props = J("{\"FifoQueue\": true, \"ContentBasedDeduplication\": \"true\"}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(qp, &f->p, props, &res), 0);
    const json_t *in = fake_in(f, 0);
    const char *name = jstr(in, "QueueName");
    assert_string_equal(name + strlen(name) - 5, ".fifo"); /* generated FIFO names end in .fifo */
    assert_string_equal(jstr(json_object_get(in, "Attributes"), "FifoQueue"), "true");
    assert_string_equal(jstr(json_object_get(in, "Attributes"), "ContentBasedDeduplication"),
                        "true");
    json_decref(res);
    json_decref(props);
    fake_clear(f);
    /* FifoQueue false is not sent: SQS knows only FifoQueue=true */
    queue_replies(f);
    props = J("{\"FifoQueue\": false}");
    assert_int_equal(cfn_provider_create(qp, &f->p, props, &res), 0);
    assert_null(json_object_get(json_object_get(fake_in(f, 0), "Attributes"), "FifoQueue"));
    json_decref(res);
    json_decref(props);
    fake_clear(f);
    /* a named queue that exists already is not taken over */
    fake_reply(f, "sqs:GetQueueUrl", "{\"QueueUrl\": \"" QURL "\"}");
    props = J("{\"QueueName\": \"orders\"}");
    res = NULL;
    assert_int_equal(cfn_provider_create(qp, &f->p, props, &res), -1);
    assert_null(res);
    assert_string_equal(fake_ops(f), "sqs:GetQueueUrl");
    assert_string_equal(f->e.code, "AlreadyExists");
    assert_string_equal(
        f->e.message,
        "Resource of type 'AWS::SQS::Queue' with identifier 'orders' already exists.");
    fake_clear(f);
    /* ... and one that does not is made */
    fake_fail(f, "sqs:GetQueueUrl", 400, "AWS.SimpleQueueService.NonExistentQueue");
    queue_replies(f);
    assert_int_equal(cfn_provider_create(qp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "sqs:GetQueueUrl sqs:CreateQueue sqs:GetQueueAttributes");
    assert_string_equal(jstr(fake_in(f, 1), "QueueName"), "orders");
    assert_false(ferr_isset(&f->e));
    json_decref(res);
    fake_clear(f);
    /* a failure after CreateQueue deletes the queue again */
    fake_free(f);
    f = fake_new("Jobs");
    fake_fail(f, "sqs:GetQueueUrl", 400, "QueueDoesNotExist");
    fake_reply(f, "sqs:CreateQueue", "{\"QueueUrl\": \"" QURL "\"}");
    fake_fail(f, "sqs:GetQueueAttributes", 403, "AccessDenied");
    assert_int_equal(cfn_provider_create(qp, &f->p, props, &res), -1);
    assert_string_equal(fake_ops(f),
                        "sqs:GetQueueUrl sqs:CreateQueue sqs:GetQueueAttributes sqs:DeleteQueue");
    assert_string_equal(f->e.code, "AccessDenied");
    json_decref(props);
    fake_free(f);
}

static void test_queue_update_delete(void **state)
{
    (void)state;
    const cfn_provider *qp = P("AWS::SQS::Queue");
    fake *f = fake_new("Orders");
    fake_reply(f, "sqs:ListQueueTags",
               "{\"Tags\": {\"team\": \"core\", \"old\": \"1\","
               " \"aws:cloudformation:stack-name\": \"mystack\","
               " \"aws:cloudformation:stack-id\": \"x\","
               " \"aws:cloudformation:logical-id\": \"Orders\"}}");
    fake_reply(f, "sqs:GetQueueAttributes", "{\"Attributes\": {\"QueueArn\": \"" QARN "\"}}");
    json_t *old =
        J("{\"DelaySeconds\": 5, \"VisibilityTimeout\": 60, \"RedrivePolicy\": \"{\\\"a\\\":1}\","
          " \"SqsManagedSseEnabled\": true}");
    json_t *new = J("{\"DelaySeconds\": 10, \"MessageRetentionPeriod\": \"86400\","
                    " \"Tags\": [{\"Key\": \"app\", \"Value\": \"shop\"}]}");
    json_t *res = NULL;
    assert_int_equal(cfn_provider_update(qp, &f->p, QURL, old, new, &res), 0);
    assert_string_equal(fake_ops(f), "sqs:SetQueueAttributes sqs:ListQueueTags sqs:UntagQueue "
                                     "sqs:TagQueue sqs:GetQueueAttributes");
    /* changed ones set, removed ones back to SQS's defaults, FIFO-only ones left alone on a
     * standard queue, SqsManagedSseEnabled kept */
    json_t *want = J("{\"DelaySeconds\": \"10\", \"MessageRetentionPeriod\": \"86400\","
                     " \"VisibilityTimeout\": \"30\", \"RedrivePolicy\": \"\"}");
    assert_true(json_equal(json_object_get(fake_in(f, 0), "Attributes"), want));
    json_decref(want);
    want = J("[\"old\"]");
    assert_true(json_equal(json_object_get(fake_in(f, 2), "TagKeys"), want));
    json_decref(want);
    /* the stack-id tag differs from ours, the app tag is new */
    const json_t *set = json_object_get(fake_in(f, 3), "Tags");
    assert_string_equal(jstr(set, "app"), "shop");
    assert_string_equal(jstr(set, "aws:cloudformation:stack-id"), f->p.stack_id);
    assert_int_equal(json_object_size(set), 2);
    assert_string_equal(jstr(res, "PhysicalResourceId"), QURL);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Arn"), QARN);
    json_decref(res);
    fake_clear(f);

    /* nothing changed: no SetQueueAttributes */
    fake_reply(f, "sqs:ListQueueTags",
               "{\"Tags\": {\"team\": \"core\", \"aws:cloudformation:stack-name\": \"mystack\","
               " \"aws:cloudformation:stack-id\": \""
               "arn:aws:cloudformation:us-east-1:111122223333:stack/mystack/"
               "0a1b2c3d-0000-4000-8000-000000000000"
               "\","
               " \"aws:cloudformation:logical-id\": \"Orders\"}}");
    fake_reply(f, "sqs:GetQueueAttributes", "{\"Attributes\": {\"QueueArn\": \"" QARN "\"}}");
    json_t *same = J("{\"DelaySeconds\": \"5\"}"), *same2 = J("{\"DelaySeconds\": 5}");
    assert_int_equal(cfn_provider_update(qp, &f->p, QURL, same, same2, &res), 0);
    assert_string_equal(fake_ops(f), "sqs:ListQueueTags sqs:GetQueueAttributes");
    json_decref(res);
    fake_clear(f);
    /* FIFO: FIFO-only attributes removed go back to theirs */
    fake_reply(f, "sqs:GetQueueAttributes", "{\"Attributes\": {\"QueueArn\": \"" QARN "\"}}");
    json_t *fo = J("{\"FifoQueue\": true, \"DeduplicationScope\": \"messageGroup\","
                   " \"FifoThroughputLimit\": \"perMessageGroupId\"}");
    json_t *fn = J("{\"FifoQueue\": true}");
    assert_int_equal(cfn_provider_update(qp, &f->p, QURL, fo, fn, &res), 0);
    want = J("{\"DeduplicationScope\": \"queue\", \"FifoThroughputLimit\": \"perQueue\"}");
    assert_true(json_equal(json_object_get(fake_in(f, 0), "Attributes"), want));
    json_decref(want);
    json_decref(res);
    fake_clear(f);

    assert_int_equal(qp->del(&f->p, QURL, new), 0);
    assert_string_equal(fake_ops(f), "sqs:DeleteQueue");
    assert_string_equal(jstr(fake_in(f, 0), "QueueUrl"), QURL);
    fake_clear(f);
    fake_fail(f, "sqs:DeleteQueue", 400, "AWS.SimpleQueueService.NonExistentQueue");
    assert_int_equal(qp->del(&f->p, QURL, new), 0);
    json_decref(fo);
    json_decref(fn);
    json_decref(same);
    json_decref(same2);
    json_decref(old);
    json_decref(new);
    fake_free(f);
}

static void test_queue_policy(void **state)
{
    (void)state;
    const cfn_provider *pp = P("AWS::SQS::QueuePolicy");
    fake *f = fake_new("QPolicy");
    json_t *props = J(
               "{\"Queues\": [\"u1\", \"u2\"], \"PolicyDocument\": {\"Version\": \"2012-10-17\"}}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(pp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "sqs:SetQueueAttributes sqs:SetQueueAttributes");
    json_t *want = J("{\"QueueUrl\": \"u2\", \"Attributes\": {\"Policy\": "
                     "\"{\\\"Version\\\":\\\"2012-10-17\\\"}\"}}");
    assert_true(json_equal(fake_in(f, 1), want));
    json_decref(want);
    const char *id = jstr(res, "PhysicalResourceId");
    assert_int_equal(strncmp(id, "mystack-QPolicy-", 16), 0);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Id"), id);
    char *keep = strdup(id);
    json_decref(res);
    fake_clear(f);
    /* u1 leaves (its policy removed), u3 arrives; the document is the same */
    json_t *n1 = J("{\"Queues\": [\"u2\", \"u3\"], \"PolicyDocument\": "
                   "\"{\\\"Version\\\":\\\"2012-10-17\\\"}\"}");
    assert_int_equal(cfn_provider_update(pp, &f->p, keep, props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "sqs:SetQueueAttributes sqs:SetQueueAttributes");
    assert_string_equal(jstr(fake_in(f, 0), "QueueUrl"), "u3");
    assert_string_equal(jstr(fake_in(f, 1), "QueueUrl"), "u1");
    assert_string_equal(jstr(json_object_get(fake_in(f, 1), "Attributes"), "Policy"), "");
    assert_string_equal(jstr(res, "PhysicalResourceId"), keep);
    json_decref(res);
    fake_clear(f);
    fake_fail(f, "sqs:SetQueueAttributes", 400, "AWS.SimpleQueueService.NonExistentQueue");
    assert_int_equal(pp->del(&f->p, keep, n1), 0); /* queues already gone are fine */
    assert_string_equal(fake_ops(f), "sqs:SetQueueAttributes sqs:SetQueueAttributes");
    free(keep);
    json_decref(n1);
    json_decref(props);
    fake_free(f);
}

#define TARN "arn:aws:sns:us-east-1:111122223333:alerts"

static void test_topic_create(void **state)
{
    (void)state;
    const cfn_provider *tp = P("AWS::SNS::Topic");
    fake *f = fake_new("Alerts");
    fake_reply(f, "sns:CreateTopic", "{\"TopicArn\": \"" TARN "\"}");
    json_t *
        props = J(
           "{\"DisplayName\": \"Alerts\", \"KmsMasterKeyId\": \"alias/aws/sns\","
           " \"ArchivePolicy\": {\"MessageRetentionPeriod\": 30},"
           " \"DataProtectionPolicy\": {\"Name\": \"dp\"},"
           " \"DeliveryStatusLogging\": [{\"Protocol\": \"sqs\", \"SuccessFeedbackSampleRate\": 50,"
           "    \"FailureFeedbackRoleArn\": \"arn:aws:iam::111122223333:role/f\"}],"
           " \"Subscription\": [{\"Protocol\": \"sqs\", \"Endpoint\": "
           "\"arn:aws:sqs:us-east-1:111122223333:q\"},"
           "                  {\"Protocol\": \"email\", \"Endpoint\": \"ops@example.com\"}],"
           " \"Tags\": [{\"Key\": \"app\", \"Value\": \"x\"}]}"),
       *res = NULL;
    assert_int_equal(cfn_provider_create(tp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "sns:CreateTopic sns:Subscribe sns:Subscribe");
    const json_t *in = fake_in(f, 0);
    assert_int_equal(strncmp(jstr(in, "Name"), "mystack-Alerts-", 15), 0);
    json_t *want = J("{\"DisplayName\": \"Alerts\", \"KmsMasterKeyId\": \"alias/aws/sns\","
                     " \"ArchivePolicy\": \"{\\\"MessageRetentionPeriod\\\":30}\","
                     " \"SQSSuccessFeedbackSampleRate\": \"50\","
                     " \"SQSFailureFeedbackRoleArn\": \"arn:aws:iam::111122223333:role/f\"}");
    assert_true(json_equal(json_object_get(in, "Attributes"), want));
    json_decref(want);
    assert_string_equal(jstr(in, "DataProtectionPolicy"), "{\"Name\":\"dp\"}");
    const json_t *tags = json_object_get(in, "Tags");
    assert_int_equal(json_array_size(tags), 5);
    assert_string_equal(tag_of(tags, "app"), "x");
    assert_string_equal(tag_of(tags, "aws:cloudformation:logical-id"), "Alerts");
    assert_string_equal(jstr(fake_in(f, 2), "Protocol"), "email");
    assert_string_equal(jstr(fake_in(f, 2), "Endpoint"), "ops@example.com");
    assert_string_equal(jstr(fake_in(f, 2), "TopicArn"), TARN);
    /* Ref = TopicArn; GetAtt TopicArn, TopicName */
    assert_string_equal(jstr(res, "PhysicalResourceId"), TARN);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "TopicArn"), TARN);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "TopicName"), "alerts");
    json_decref(res);
    json_decref(props);
    fake_clear(f);

    /* named: looked for first, by its ARN */
    fake_reply(f, "sns:GetTopicAttributes", "{\"Attributes\": {}}");
    props = J("{\"TopicName\": \"alerts\"}");
    assert_int_equal(cfn_provider_create(tp, &f->p, props, &res), -1);
    assert_string_equal(f->e.code, "AlreadyExists");
    assert_string_equal(jstr(fake_in(f, 0), "TopicArn"), TARN);
    json_decref(props);
    fake_clear(f);
    /* FIFO */
    fake_reply(f, "sns:CreateTopic", "{\"TopicArn\": \"" TARN ".fifo\"}");
    props = J("{\"FifoTopic\": \"true\", \"ContentBasedDeduplication\": true}");
    assert_int_equal(cfn_provider_create(tp, &f->p, props, &res), 0);
    const char *name = jstr(fake_in(f, 0), "Name");
    assert_string_equal(name + strlen(name) - 5, ".fifo");
    assert_string_equal(jstr(json_object_get(fake_in(f, 0), "Attributes"), "FifoTopic"), "true");
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "TopicName"), "alerts.fifo");
    json_decref(res);
    json_decref(props);
    fake_clear(f);
    /* a bad subscription item */
    props = J("{\"Subscription\": [{\"Protocol\": \"sqs\"}]}");
    assert_int_equal(cfn_provider_create(tp, &f->p, props, &res), -1);
    assert_string_equal(f->e.message,
                        "Properties validation failed for resource Alerts with "
                        "message: #/Subscription/0: required key [Endpoint] not found");
    json_decref(props);
    fake_free(f);
}

static void test_topic_update_delete(void **state)
{
    (void)state;
    const cfn_provider *tp = P("AWS::SNS::Topic");
    fake *f = fake_new("Alerts");
    fake_reply(
        f, "sns:ListSubscriptionsByTopic",
        "{\"Subscriptions\": [{\"SubscriptionArn\": \"" TARN ":s1\", \"Protocol\": \"sqs\","
        " \"Endpoint\": \"arn:aws:sqs:us-east-1:111122223333:other\"}], \"NextToken\": \"t2\"}");
    fake_reply(f, "sns:ListSubscriptionsByTopic",
               "{\"Subscriptions\": [{\"SubscriptionArn\": \"" TARN ":s2\", \"Protocol\": \"sqs\","
               " \"Endpoint\": \"arn:aws:sqs:us-east-1:111122223333:q\"}]}");
    fake_reply(f, "sns:ListTagsForResource", "{\"Tags\": []}");
    json_t *old = J("{\"DisplayName\": \"A\", \"TracingConfig\": \"Active\","
                    " \"Subscription\": [{\"Protocol\": \"sqs\", \"Endpoint\": "
                    "\"arn:aws:sqs:us-east-1:111122223333:q\"}]}");
    json_t *new = J("{\"DisplayName\": \"B\", \"DataProtectionPolicy\": \"{}\","
                    " \"Subscription\": [{\"Protocol\": \"lambda\", \"Endpoint\": "
                    "\"arn:aws:lambda:us-east-1:111122223333:function:f\"}]}");
    json_t *res = NULL;
    assert_int_equal(cfn_provider_update(tp, &f->p, TARN, old, new, &res), 0);
    assert_string_equal(fake_ops(f),
                        "sns:SetTopicAttributes sns:SetTopicAttributes sns:PutDataProtectionPolicy "
                        "sns:Subscribe sns:ListSubscriptionsByTopic sns:ListSubscriptionsByTopic "
                        "sns:Unsubscribe sns:ListTagsForResource sns:TagResource");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeName"), "DisplayName");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeValue"), "B");
    assert_string_equal(jstr(fake_in(f, 1), "AttributeName"), "TracingConfig");
    assert_string_equal(jstr(fake_in(f, 1), "AttributeValue"), "PassThrough");
    assert_string_equal(jstr(fake_in(f, 5), "NextToken"), "t2");
    assert_string_equal(jstr(fake_in(f, 6), "SubscriptionArn"), TARN ":s2");
    /* the topic had lost its tags: all of them again */
    assert_int_equal(json_array_size(json_object_get(fake_in(f, 8), "Tags")), 4);
    assert_string_equal(jstr(res, "PhysicalResourceId"), TARN);
    json_decref(res);
    fake_clear(f);
    assert_int_equal(tp->del(&f->p, TARN, new), 0);
    assert_string_equal(fake_ops(f), "sns:DeleteTopic");
    fake_clear(f);
    fake_fail(f, "sns:DeleteTopic", 404, "NotFound");
    assert_int_equal(tp->del(&f->p, TARN, new), 0);
    json_decref(old);
    json_decref(new);
    fake_free(f);
}

#define SARN TARN ":6f1b5e5c-0000-4000-8000-000000000001"

static void test_subscription(void **state)
{
    (void)state;
    const cfn_provider *sp = P("AWS::SNS::Subscription");
    fake *f = fake_new("Sub");
    fake_reply(f, "sns:Subscribe", "{\"SubscriptionArn\": \"" SARN "\"}");
    json_t *props = J("{\"TopicArn\": \"" TARN
                      "\", \"Protocol\": \"sqs\", \"Endpoint\": \"arn:aws:sqs:eu-west-1:1:q\","
                      " \"RawMessageDelivery\": \"true\", \"FilterPolicy\": {\"kind\": [\"a\"]},"
                      " \"FilterPolicyScope\": \"MessageAttributes\", \"Region\": \"us-east-1\"}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(sp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "sns:Subscribe");
    json_t *want =
        J("{\"TopicArn\": \"" TARN
          "\", \"Protocol\": \"sqs\", \"Endpoint\": \"arn:aws:sqs:eu-west-1:1:q\","
          " \"ReturnSubscriptionArn\": true, \"Attributes\": {\"RawMessageDelivery\": \"true\","
          " \"FilterPolicy\": \"{\\\"kind\\\":[\\\"a\\\"]}\", \"FilterPolicyScope\": "
          "\"MessageAttributes\"}}");
    assert_true(json_equal(fake_in(f, 0), want));
    json_decref(want);
    assert_string_equal(jstr(res, "PhysicalResourceId"), SARN); /* Ref = the subscription ARN */
    json_decref(res);
    fake_clear(f);

    /* FilterPolicy removed: an empty body; raw delivery off */
    json_t *n1 =
        J("{\"TopicArn\": \"" TARN
          "\", \"Protocol\": \"sqs\", \"Endpoint\": \"arn:aws:sqs:eu-west-1:1:q\","
          " \"RedrivePolicy\": {\"deadLetterTargetArn\": \"arn:aws:sqs:us-east-1:1:dlq\"}}");
    assert_int_equal(cfn_provider_update(sp, &f->p, SARN, props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "sns:SetSubscriptionAttributes sns:SetSubscriptionAttributes "
                                     "sns:SetSubscriptionAttributes");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeName"), "FilterPolicy");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeValue"), "{}");
    assert_string_equal(jstr(fake_in(f, 1), "AttributeName"), "RawMessageDelivery");
    assert_string_equal(jstr(fake_in(f, 1), "AttributeValue"), "false");
    assert_string_equal(jstr(fake_in(f, 2), "AttributeName"), "RedrivePolicy");
    assert_string_equal(jstr(res, "PhysicalResourceId"), SARN);
    json_decref(res);
    fake_clear(f);

    /* a new scope with a new policy: the old policy goes first */
    json_t *n2 = J("{\"TopicArn\": \"" TARN
                   "\", \"Protocol\": \"sqs\", \"FilterPolicyScope\": \"MessageBody\","
                   " \"FilterPolicy\": {\"detail\": {\"kind\": [\"a\"]}}}");
    assert_int_equal(cfn_provider_update(sp, &f->p, SARN, props, n2, &res), 0);
    assert_string_equal(fake_ops(f), "sns:SetSubscriptionAttributes sns:SetSubscriptionAttributes "
                                     "sns:SetSubscriptionAttributes sns:SetSubscriptionAttributes");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeValue"), "{}");
    assert_string_equal(jstr(fake_in(f, 1), "AttributeName"), "FilterPolicyScope");
    assert_string_equal(jstr(fake_in(f, 2), "AttributeName"), "FilterPolicy");
    assert_string_equal(jstr(fake_in(f, 2), "AttributeValue"), "{\"detail\":{\"kind\":[\"a\"]}}");
    assert_string_equal(jstr(fake_in(f, 3), "AttributeName"), "RawMessageDelivery");
    json_decref(res);
    fake_clear(f);

    /* Region unset and the stack's region are the same place; another is not */
    json_t *n3 = json_deep_copy(props);
    json_object_del(n3, "Region");
    assert_int_equal(cfn_provider_update(sp, &f->p, SARN, props, n3, &res), 0);
    assert_string_equal(fake_ops(f), "");
    json_decref(res);
    json_object_set_new(n3, "Region", json_string("eu-west-1"));
    assert_int_equal(cfn_provider_update(sp, &f->p, SARN, props, n3, &res), -1);
    assert_string_equal(f->e.code, "ValidationError");
    fake_clear(f);

    /* a cross-region subscription is made and removed in the topic's region */
    fake_reply(f, "sns:Subscribe",
               "{\"SubscriptionArn\": \"arn:aws:sns:eu-west-1:111122223333:t:1\"}");
    assert_int_equal(cfn_provider_create(sp, &f->p, n3, &res), 0);
    assert_string_equal(jstr(json_array_get(f->calls, 0), "region"), "eu-west-1");
    json_decref(res);
    assert_int_equal(sp->del(&f->p, "arn:aws:sns:eu-west-1:111122223333:t:1", n3), 0);
    assert_string_equal(fake_ops(f), "sns:Subscribe sns:Unsubscribe");
    assert_string_equal(jstr(json_array_get(f->calls, 1), "region"), "eu-west-1");
    fake_clear(f);
    fake_fail(f, "sns:Unsubscribe", 404, "NotFound");
    assert_int_equal(sp->del(&f->p, SARN, props), 0);
    /* one still pending confirmation has nothing to unsubscribe */
    fake_clear(f);
    assert_int_equal(sp->del(&f->p, "pending confirmation", props), 0);
    assert_string_equal(fake_ops(f), "");
    json_decref(n1);
    json_decref(n2);
    json_decref(n3);
    json_decref(props);
    fake_free(f);
}

static void test_topic_policy(void **state)
{
    (void)state;
    const cfn_provider *pp = P("AWS::SNS::TopicPolicy");
    fake *f = fake_new("TPolicy");
    json_t *props = J("{\"Topics\": [\"" TARN "\", \"arn:aws:sns:eu-west-1:444455556666:x\"],"
                      " \"PolicyDocument\": {\"Version\": \"2012-10-17\"}}"),
           *res = NULL;
    assert_int_equal(cfn_provider_create(pp, &f->p, props, &res), 0);
    assert_string_equal(fake_ops(f), "sns:SetTopicAttributes sns:SetTopicAttributes");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeName"), "Policy");
    assert_string_equal(jstr(fake_in(f, 0), "AttributeValue"), "{\"Version\":\"2012-10-17\"}");
    /* each topic in its own region */
    assert_string_equal(jstr(json_array_get(f->calls, 1), "region"), "eu-west-1");
    const char *id = jstr(res, "PhysicalResourceId");
    assert_int_equal(strncmp(id, "mystack-TPolicy-", 16), 0);
    assert_string_equal(jstr(json_object_get(res, "Attributes"), "Id"), id);
    char *keep = strdup(id);
    json_decref(res);
    fake_clear(f);
    /* one topic leaves: it gets SNS's default policy back */
    json_t *n1 =
        J("{\"Topics\": [\"" TARN "\"], \"PolicyDocument\": {\"Version\": \"2012-10-17\"}}");
    assert_int_equal(cfn_provider_update(pp, &f->p, keep, props, n1, &res), 0);
    assert_string_equal(fake_ops(f), "sns:SetTopicAttributes");
    json_t *doc = J(jstr(fake_in(f, 0), "AttributeValue"));
    assert_string_equal(jstr(doc, "Id"), "__default_policy_ID");
    const json_t *st = json_array_get(json_object_get(doc, "Statement"), 0);
    assert_string_equal(jstr(st, "Resource"), "arn:aws:sns:eu-west-1:444455556666:x");
    json_decref(doc);
    json_decref(res);
    fake_clear(f);
    /* delete: the default policy again */
    assert_int_equal(pp->del(&f->p, keep, n1), 0);
    assert_string_equal(fake_ops(f), "sns:SetTopicAttributes");
    doc = J(jstr(fake_in(f, 0), "AttributeValue"));
    assert_string_equal(jstr(doc, "Version"), "2008-10-17");
    json_decref(doc);
    fake_clear(f);
    fake_fail(f, "sns:SetTopicAttributes", 404, "NotFound");
    assert_int_equal(pp->del(&f->p, keep, n1), 0);
    fake_clear(f);
    json_t *bad = J("{\"Topics\": [\"alerts\"], \"PolicyDocument\": {}}");
    assert_int_equal(cfn_provider_create(pp, &f->p, bad, &res), -1);
    assert_string_equal(f->e.code, "ValidationError");
    json_decref(bad);
    free(keep);
    json_decref(n1);
    json_decref(props);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_create),        cmocka_unit_test(test_queue_fifo_and_named),
        cmocka_unit_test(test_queue_update_delete), cmocka_unit_test(test_queue_policy),
        cmocka_unit_test(test_topic_create),        cmocka_unit_test(test_topic_update_delete),
        cmocka_unit_test(test_subscription),        cmocka_unit_test(test_topic_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
