/* The provider registry, generated names and the helpers every provider uses (reading
 * Properties with CloudFormation's types, documents, tags, ARNs). */
#include "prov_fake.h"
#include "svc/sns/documents.h"

#include <ctype.h>

static void test_registry(void **state)
{
    (void)state;
    static const char *const types[] = {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::User",
        "AWS::IAM::AccessKey",
        "AWS::IAM::Group",
        "AWS::IAM::InstanceProfile",
        "AWS::SNS::Topic",
        "AWS::SNS::Subscription",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        const cfn_provider *p = cfn_provider_find(types[i]);
        assert_non_null(p);
        assert_string_equal(p->type, types[i]);
        assert_true(p->shape || p->create);
        assert_true(cfn_provider_can_update(p));
        assert_non_null(p->del);
    }
    /* the stack engine's own types are found here too */
    assert_non_null(cfn_provider_find("AWS::CloudFormation::Stack"));
    assert_non_null(cfn_provider_find("AWS::CloudFormation::WaitConditionHandle"));
    assert_non_null(cfn_provider_find("AWS::CloudFormation::WaitCondition"));
    assert_null(cfn_provider_find("AWS::SQS::Nope"));
    assert_null(cfn_provider_find("aws::sqs::queue")); /* types are case-sensitive */
    assert_null(cfn_provider_find(NULL));
}

static int replaces(const cfn_provider *p, const char *prop)
{
    for (const char *const *r = p->replace_on; r && *r; r++)
        if (!strcmp(*r, prop)) return 1;
    return 0;
}

/* Update requires: Replacement, as the AWS resource schemas' createOnlyProperties say. */
static void test_replacement_rules(void **state)
{
    (void)state;
    const cfn_provider *role = cfn_provider_find("AWS::IAM::Role");
    assert_true(replaces(role, "RoleName") && replaces(role, "Path"));
    assert_false(replaces(role, "AssumeRolePolicyDocument") || replaces(role, "Policies") ||
                 replaces(role, "Tags") || replaces(role, "MaxSessionDuration"));
    const cfn_provider *q = cfn_provider_find("AWS::SQS::Queue");
    assert_true(replaces(q, "QueueName") && replaces(q, "FifoQueue"));
    assert_false(replaces(q, "VisibilityTimeout") || replaces(q, "RedrivePolicy"));
    const cfn_provider *t = cfn_provider_find("AWS::SNS::Topic");
    assert_true(replaces(t, "TopicName") && replaces(t, "FifoTopic"));
    assert_false(replaces(t, "Subscription") || replaces(t, "DisplayName"));
    const cfn_provider *s = cfn_provider_find("AWS::SNS::Subscription");
    assert_true(replaces(s, "TopicArn") && replaces(s, "Protocol") && replaces(s, "Endpoint"));
    assert_false(replaces(s, "FilterPolicy") || replaces(s, "RawMessageDelivery"));
    const cfn_provider *mp = cfn_provider_find("AWS::IAM::ManagedPolicy");
    assert_true(replaces(mp, "ManagedPolicyName") && replaces(mp, "Path") &&
                replaces(mp, "Description"));
    assert_false(replaces(mp, "PolicyDocument") || replaces(mp, "Roles"));
    const cfn_provider *u = cfn_provider_find("AWS::IAM::User");
    assert_true(replaces(u, "UserName"));
    assert_false(replaces(u, "Path") || replaces(u, "Groups"));
    const cfn_provider *k = cfn_provider_find("AWS::IAM::AccessKey");
    assert_true(replaces(k, "UserName") && replaces(k, "Serial"));
    assert_false(replaces(k, "Status"));
    const cfn_provider *g = cfn_provider_find("AWS::IAM::Group");
    assert_true(replaces(g, "GroupName"));
    assert_false(replaces(g, "Path"));
    const cfn_provider *ip = cfn_provider_find("AWS::IAM::InstanceProfile");
    assert_true(replaces(ip, "InstanceProfileName") && replaces(ip, "Path"));
    assert_false(replaces(ip, "Roles"));
    assert_null(cfn_provider_find("AWS::IAM::Policy")->replace_on);
    assert_null(cfn_provider_find("AWS::SQS::QueuePolicy")->replace_on);
    assert_null(cfn_provider_find("AWS::SNS::TopicPolicy")->replace_on);
    /* the name properties and AWS's length limits */
    assert_string_equal(role->name_property, "RoleName");
    assert_int_equal(role->name_max, 64);
    assert_int_equal(q->name_max, 80);
    assert_int_equal(t->name_max, 256);
    assert_int_equal(mp->name_max, 128);
    assert_int_equal(g->name_max, 128);
    assert_int_equal(ip->name_max, 128);
    assert_int_equal(u->name_max, 64);
    /* generated FIFO names end in .fifo */
    assert_string_equal(q->fifo_property, "FifoQueue");
    assert_string_equal(t->fifo_property, "FifoTopic");
    assert_null(role->fifo_property);
}

static int random_part_ok(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) return 0;
    return 1;
}

static void test_physical_name(void **state)
{
    (void)state;
    fake *f = fake_new("MyQueue");
    char *n = cfn_physical_name(&f->p, 80, 0);
    assert_int_equal(strncmp(n, "mystack-MyQueue-", 16), 0);
    assert_true(random_part_ok(n + 16, 13));
    char *n2 = cfn_physical_name(&f->p, 80, 0);
    assert_string_not_equal(n, n2); /* random each time */
    free(n);
    free(n2);
    n = cfn_physical_name(&f->p, 80, 1);
    assert_int_equal(strlen(n), 16 + 13 + 5);
    assert_string_equal(n + strlen(n) - 5, ".fifo");
    free(n);
    /* too long: stack name and logical id shortened, the longer first; the limit holds */
    f->p.stack_name = "a-very-long-stack-name-for-the-production-account";
    f->p.logical_id = "ProcessingRoleForTheNightlyJobs";
    n = cfn_physical_name(&f->p, 64, 0);
    assert_int_equal(strlen(n), 64);
    char *d1 = strchr(n, '-');
    assert_non_null(d1);
    const char *rnd = n + strlen(n) - 13;
    assert_true(random_part_ok(rnd, 13));
    assert_int_equal(rnd[-1], '-');
    free(n);
    n = cfn_physical_name(&f->p, 80, 1);
    assert_int_equal(strlen(n), 80);
    assert_string_equal(n + 75, ".fifo");
    free(n);
    /* short stack name, long logical id: the logical id gives way */
    f->p.stack_name = "s";
    n = cfn_physical_name(&f->p, 30, 0);
    assert_int_equal(strlen(n), 30);
    assert_int_equal(strncmp(n, "s-ProcessingRole-", 17), 0);
    free(n);
    fake_free(f);
}

static const prov_prop schema[] = {
    {"Name", PT_STR, 0},          {"Count", PT_INT, 0},
    {"On", PT_BOOL, 0},           {"Doc", PT_JSON, 1},
    {"List", PT_STRLIST, 0},      {"Tags", PT_TAGS, 0},
    {"Policies", PT_POLICIES, 0}, {NULL, 0, 0},
};

static void expect_invalid(fake *f, const char *props, const char *msg)
{
    json_t *in = J(props), *out = (json_t *)1;
    ferr_clear(&f->e);
    assert_int_equal(prov_props(&f->p, in, schema, &out), -1);
    assert_null(out);
    assert_string_equal(f->e.code, "ValidationError");
    assert_int_equal(f->e.status, 400);
    char want[512];
    snprintf(want, sizeof(want), "Properties validation failed for resource R with message: %s",
             msg);
    assert_string_equal(f->e.message, want);
    json_decref(in);
}

static void test_props(void **state)
{
    (void)state;
    fake *f = fake_new("R");
    json_t *in = J("{\"Name\": 12, \"Count\": \"30\", \"On\": \"True\", \"Doc\": {\"a\": 1},"
                   " \"List\": [\"x\", 2, true], \"Tags\": [{\"Key\": \"k\", \"Value\": 5}],"
                   " \"Policies\": [{\"PolicyName\": \"p\", \"PolicyDocument\": \"{}\"}],"
                   " \"Skip\": null}");
    json_t *out;
    assert_int_equal(prov_props(&f->p, in, schema, &out), 0);
    assert_string_equal(jstr(out, "Name"), "12");
    assert_int_equal(jint(out, "Count", 0), 30);
    assert_true(json_is_true(json_object_get(out, "On")));
    assert_true(json_is_object(json_object_get(out, "Doc")));
    json_t *want = J("[\"x\", \"2\", \"true\"]");
    assert_true(json_equal(json_object_get(out, "List"), want));
    json_decref(want);
    assert_string_equal(tag_of(json_object_get(out, "Tags"), "k"), "5");
    assert_null(json_object_get(out, "Skip"));
    json_decref(out);
    json_decref(in);
    /* a real number that is whole is an integer; 1.5 is not */
    in = J("{\"Doc\": \"{}\", \"Count\": 4.0}");
    assert_int_equal(prov_props(&f->p, in, schema, &out), 0);
    assert_int_equal(jint(out, "Count", 0), 4);
    json_decref(out);
    json_decref(in);

    expect_invalid(f, "{}", "#: required key [Doc] not found");
    expect_invalid(f, "{\"Doc\": {}, \"Extra\": 1}", "#: extraneous key [Extra] is not permitted");
    expect_invalid(f, "{\"Doc\": {}, \"Count\": \"ten\"}",
                   "#/Count: expected type: Integer, found: String");
    expect_invalid(f, "{\"Doc\": {}, \"Count\": 1.5}",
                   "#/Count: expected type: Integer, found: Number");
    expect_invalid(f, "{\"Doc\": {}, \"On\": \"yes\"}",
                   "#/On: expected type: Boolean, found: String");
    expect_invalid(f, "{\"Doc\": [1]}", "#/Doc: expected type: JSONObject, found: JSONArray");
    expect_invalid(f, "{\"Doc\": {}, \"Name\": {}}",
                   "#/Name: expected type: String, found: JSONObject");
    expect_invalid(f, "{\"Doc\": {}, \"List\": \"x\"}",
                   "#/List: expected type: JSONArray, found: String");
    expect_invalid(f, "{\"Doc\": {}, \"List\": [\"a\", {}]}",
                   "#/List/1: expected type: String, found: JSONObject");
    expect_invalid(f, "{\"Doc\": {}, \"Tags\": [{\"Key\": \"a\"}]}",
                   "#/Tags/0: required key [Value] not found");
    expect_invalid(f, "{\"Doc\": {}, \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\", \"X\": 1}]}",
                   "#/Tags/0: extraneous key [X] is not permitted");
    expect_invalid(f, "{\"Doc\": {}, \"Policies\": [{\"PolicyName\": \"a\"}]}",
                   "#/Policies/0: required key [PolicyDocument] not found");
    expect_invalid(f,
                   "{\"Doc\": {}, \"Policies\": [{\"PolicyName\": \"a\", \"PolicyDocument\": 3}]}",
                   "#/Policies/0/PolicyDocument: expected type: JSONObject, found: Integer");
    /* props that are not an object at all */
    in = J("[]");
    assert_int_equal(prov_props(&f->p, in, schema, &out), -1);
    json_decref(in);
    /* NULL props are no props */
    ferr_clear(&f->e);
    assert_int_equal(prov_props(&f->p, NULL, schema, &out), -1);
    assert_string_equal(f->e.message, "Properties validation failed for resource R with message: "
                                      "#: required key [Doc] not found");
    /* for deletes, anything goes */
    in = J("{\"Count\": \"ten\"}");
    out = prov_props_old(&f->p, in, schema);
    assert_ptr_equal(out, in);
    assert_false(ferr_isset(&f->e));
    json_decref(out);
    json_decref(in);
    out = prov_props_old(&f->p, NULL, schema);
    assert_true(json_is_object(out));
    json_decref(out);
    fake_free(f);
}

static void test_documents(void **state)
{
    (void)state;
    json_t *o = J("{\"Version\": \"2012-10-17\", \"Statement\": []}");
    char *t = prov_doc_text(o);
    assert_string_equal(t, "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
    json_t *s = json_string(t);
    free(t);
    t = prov_doc_text(s);
    assert_string_equal(t, "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
    free(t);
    assert_null(prov_doc_text(NULL));
    assert_true(prov_doc_equal(o, s)); /* the same document as text and as object */
    json_t *o2 = J("{\"Statement\": [], \"Version\": \"2012-10-17\"}");
    assert_true(prov_doc_equal(o, o2));
    json_t *o3 = J("{\"Version\": \"2008-10-17\", \"Statement\": []}");
    assert_false(prov_doc_equal(o, o3));
    assert_false(prov_doc_equal(o, NULL));
    assert_true(prov_doc_equal(NULL, NULL));
    json_decref(o);
    json_decref(o2);
    json_decref(o3);
    json_decref(s);

    json_t *v = json_integer(30);
    t = prov_attr_text(v);
    assert_string_equal(t, "30");
    free(t);
    json_decref(v);
    t = prov_attr_text(json_true());
    assert_string_equal(t, "true");
    free(t);
    v = json_real(0.1); /* as the template wrote it, not 0.10000000000000001 */
    t = prov_attr_text(v);
    assert_string_equal(t, "0.1");
    free(t);
    json_decref(v);
    v = J("{\"deadLetterTargetArn\": \"arn:aws:sqs:us-east-1:1:dlq\", \"maxReceiveCount\": 5}");
    t = prov_attr_text(v);
    assert_string_equal(
        t, "{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:1:dlq\",\"maxReceiveCount\":5}");
    free(t);
    json_decref(v);
}

static void test_lists(void **state)
{
    (void)state;
    json_t *a = J("[\"x\", \"y\", \"z\", \"x\"]"), *b = J("[\"y\"]");
    json_t *d = prov_strlist_minus(a, b), *want = J("[\"x\", \"z\"]");
    assert_true(json_equal(d, want));
    json_decref(d);
    d = prov_strlist_minus(NULL, b);
    assert_int_equal(json_array_size(d), 0);
    json_decref(d);
    d = prov_strlist_minus(a, NULL);
    assert_int_equal(json_array_size(d), 3);
    json_decref(d);
    assert_true(prov_strlist_has(a, "z"));
    assert_false(prov_strlist_has(a, "w"));
    json_t *pols = J("[{\"PolicyName\": \"a\", \"PolicyDocument\": {}}, {\"PolicyName\": \"b\"}]");
    assert_non_null(prov_policy_find(pols, "b"));
    assert_null(prov_policy_find(pols, "c"));
    assert_null(prov_policy_find(NULL, "a"));
    json_decref(pols);
    json_decref(a);
    json_decref(b);
    json_decref(want);
}

static void test_tags(void **state)
{
    (void)state;
    fake *f = fake_new("Q");
    json_t *own =
        J("[{\"Key\": \"team\", \"Value\": \"edge\"}, {\"Key\": \"app\", \"Value\": \"a\"}]");
    json_t *t = prov_tags(&f->p, own, 0);
    assert_int_equal(json_array_size(t), 2);
    assert_string_equal(tag_of(t, "team"), "edge"); /* the resource's tag wins */
    assert_string_equal(tag_of(t, "app"), "a");
    json_decref(t);
    t = prov_tags(&f->p, NULL, 1);
    assert_int_equal(json_array_size(t), 4);
    assert_string_equal(tag_of(t, "team"), "core");
    assert_string_equal(tag_of(t, "aws:cloudformation:stack-name"), "mystack");
    assert_string_equal(tag_of(t, "aws:cloudformation:stack-id"), f->p.stack_id);
    assert_string_equal(tag_of(t, "aws:cloudformation:logical-id"), "Q");
    json_t *m = prov_tags_map(t);
    assert_string_equal(jstr(m, "team"), "core");
    json_t *back = prov_tags_list(m);
    assert_int_equal(json_array_size(back), 4);
    assert_string_equal(tag_of(back, "aws:cloudformation:logical-id"), "Q");
    json_decref(m);
    json_decref(back);

    json_t *cur =
        J("[{\"Key\": \"team\", \"Value\": \"core\"}, {\"Key\": \"old\", \"Value\": \"1\"},"
          " {\"Key\": \"aws:cloudformation:stack-name\", \"Value\": \"mystack\"},"
          " {\"Key\": \"app\", \"Value\": \"b\"}]");
    json_t *set, *unset;
    prov_tags_diff(cur, own, &set, &unset);
    json_t *want_set =
        J("[{\"Key\": \"team\", \"Value\": \"edge\"}, {\"Key\": \"app\", \"Value\": \"a\"}]");
    json_t *want_unset = J("[\"old\"]"); /* aws: tags stay */
    assert_true(json_equal(set, want_set));
    assert_true(json_equal(unset, want_unset));
    json_decref(set);
    json_decref(unset);
    json_decref(want_set);
    json_decref(want_unset);
    prov_tags_diff(NULL, NULL, &set, &unset);
    assert_int_equal(json_array_size(set) + json_array_size(unset), 0);
    json_decref(set);
    json_decref(unset);
    json_decref(cur);
    json_decref(t);
    json_decref(own);
    fake_free(f);
}

static void test_arns_dates_ids(void **state)
{
    (void)state;
    char b[128];
    assert_int_equal(prov_arn_part("arn:aws:sns:eu-west-1:111122223333:orders", 3, b, sizeof(b)),
                     0);
    assert_string_equal(b, "eu-west-1");
    assert_int_equal(prov_arn_part("arn:aws:sns:eu-west-1:111122223333:orders", 4, b, sizeof(b)),
                     0);
    assert_string_equal(b, "111122223333");
    assert_int_equal(prov_arn_part("arn:aws:iam::111122223333:role/a/b:c", 5, b, sizeof(b)), 0);
    assert_string_equal(b, "role/a/b:c");
    assert_int_equal(prov_arn_part("arn:aws:iam::111122223333:role/x", 3, b, sizeof(b)), 0);
    assert_string_equal(b, "");
    assert_int_equal(prov_arn_part("https://queue", 3, b, sizeof(b)), -1);
    assert_int_equal(prov_arn_part("arn:aws:sns", 4, b, sizeof(b)), -1);
    assert_int_equal(prov_arn_part(NULL, 4, b, sizeof(b)), -1);

    json_t *t = json_integer(1700000000);
    json_t *d = prov_date(t);
    assert_string_equal(json_string_value(d), "2023-11-14T22:13:20Z");
    json_decref(d);
    json_decref(t);

    fake *f = fake_new("MyPolicy");
    char *id = prov_generated_id(&f->p);
    assert_int_equal(strncmp(id, "mystack-MyPolicy-", 17), 0);
    assert_true(random_part_ok(id + 17, 13));
    free(id);
    char *dp = sns_default_policy("arn:aws:sns:us-east-1:111122223333:orders", "111122223333");
    json_t *doc = J(dp);
    assert_string_equal(jstr(doc, "Id"), "__default_policy_ID");
    json_t *st = json_array_get(json_object_get(doc, "Statement"), 0);
    assert_string_equal(jstr(st, "Resource"), "arn:aws:sns:us-east-1:111122223333:orders");
    assert_string_equal(
        jstr(json_object_get(json_object_get(st, "Condition"), "StringEquals"), "AWS:SourceOwner"),
        "111122223333");
    assert_int_equal(json_array_size(json_object_get(st, "Action")), 8);
    json_decref(doc);
    free(dp);
    fake_free(f);
}

/* The error a service gives passes through; gone-ok calls take "not there" as done. */
static void test_calls(void **state)
{
    (void)state;
    fake *f = fake_new("R");
    fake_fail(f, "iam:DeleteRole", 404, "NoSuchEntity");
    assert_int_equal(
        prov_call_gone_ok(&f->p, NULL, "iam", "DeleteRole", json_pack("{s:s}", "RoleName", "x")),
        0);
    assert_false(ferr_isset(&f->e));
    fake_fail(f, "iam:DeleteRole", 409, "DeleteConflict");
    assert_int_equal(
        prov_call_gone_ok(&f->p, NULL, "iam", "DeleteRole", json_pack("{s:s}", "RoleName", "x")),
        -1);
    assert_string_equal(f->e.code, "DeleteConflict");
    ferr_clear(&f->e);
    fake_fail(f, "sqs:DeleteQueue", 400, "AWS.SimpleQueueService.NonExistentQueue");
    assert_int_equal(prov_call_gone_ok(&f->p, NULL, "sqs", "DeleteQueue", json_object()), 0);
    fake_fail(f, "sqs:DeleteQueue", 400, "QueueDoesNotExist");
    assert_int_equal(prov_call_gone_ok(&f->p, NULL, "sqs", "DeleteQueue", json_object()), 0);
    fake_fail(f, "sns:DeleteTopic", 404, "NotFound");
    assert_int_equal(prov_call_gone_ok(&f->p, "eu-west-1", "sns", "DeleteTopic", json_object()), 0);
    assert_string_equal(jstr(json_array_get(f->calls, 4), "region"), "eu-west-1");
    assert_string_equal(jstr(json_array_get(f->calls, 0), "region"), "us-east-1");
    /* NULL input is out of memory, not a call */
    size_t n = json_array_size(f->calls);
    assert_int_equal(prov_call(&f->p, "iam", "GetRole", NULL, NULL), -1);
    assert_int_equal(json_array_size(f->calls), n);
    /* cfn_call: the reply comes back */
    fake_reply(f, "iam:GetRole", "{\"Role\": {\"RoleName\": \"r\"}}");
    json_t *in = json_pack("{s:s}", "RoleName", "r"), *out = NULL;
    assert_int_equal(cfn_call(&f->p, "iam", "GetRole", in, &out), 0);
    assert_string_equal(jstr(json_object_get(out, "Role"), "RoleName"), "r");
    json_decref(out);
    json_decref(in);
    fake_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),      cmocka_unit_test(test_replacement_rules),
        cmocka_unit_test(test_physical_name), cmocka_unit_test(test_props),
        cmocka_unit_test(test_documents),     cmocka_unit_test(test_lists),
        cmocka_unit_test(test_tags),          cmocka_unit_test(test_arns_dates_ids),
        cmocka_unit_test(test_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
