/* cb_reports_ingest (src/svc/codebuild/reports.c) over a temporary store: a build's
 * `reports` entry read into a report of PROJECT-NAME (created when missing) or of a group
 * named by ARN (which must exist), its summary and test cases as the API then answers them,
 * INCOMPLETE when no file matches, a malformed entry refused, and the group's deletion with
 * its reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "svc/svc.h"
#include "fixture.h"
#include "svc/codebuild/reports.h"

static const char *const ACCT = "111122223333", *const REGION = "us-east-1";
static char dir[64], src[128];
static ferry_env env;
static principal who;

static void put(const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", src, rel);
    char *sl = strrchr(p, '/');
    *sl = 0;
    mkdir(p, 0755);
    *sl = '/';
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (fixture_env_open(&env, dir, sizeof(dir), "cb-reports")) return -1;
    snprintf(src, sizeof(src), "%s/src", dir);
    mkdir(src, 0755);
    put("reports/junit.xml",
        "<testsuite name=\"calc\"><testcase classname=\"calc.Add\" name=\"adds\" time=\"0.5\"/>"
        "<testcase classname=\"calc.Div\" name=\"divides\" time=\"0.25\">"
        "<failure message=\"expected 2\"/></testcase></testsuite>");
    put("reports/more.xml", "<testsuite name=\"s\"><testcase name=\"skips\"><skipped/>"
                            "</testcase></testsuite>");
    put("reports/broken.xml", "<testsuite>");
    put("cucumber/out.json", "[{\"name\":\"F\",\"elements\":[{\"name\":\"ok\",\"steps\":"
                             "[{\"result\":{\"status\":\"passed\",\"duration\":7}}]}]}]");
    memset(&who, 0, sizeof(who));
    who.kind = PRIN_ROOT;
    snprintf(who.account, sizeof(who.account), "%s", ACCT);
    snprintf(who.arn, sizeof(who.arn), "arn:aws:iam::%s:root", ACCT);
    snprintf(who.userid, sizeof(who.userid), "%s", ACCT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fixture_env_close(&env, dir);
}

/* Ingests name with spec (JSON text): the report's ARN (malloc'd) or NULL with e. */
static char *ingest(const char *name, const char *spec_text, ferr *e)
{
    json_t *spec = json_loads(spec_text, 0, NULL);
    assert_non_null(spec);
    cb_report_input in = {.account = ACCT,
                          .region = REGION,
                          .project = "proj",
                          .build_arn = "arn:aws:codebuild:us-east-1:111122223333:build/proj:b1",
                          .name = name,
                          .spec = spec,
                          .src_dir = src};
    char *arn = NULL;
    int rc = cb_reports_ingest(&env, &who, &in, &arn, e);
    json_decref(spec);
    assert_true(rc ? arn == NULL : arn != NULL);
    return arn;
}

/* service call through the internal path; asserts success */
static json_t *call_ok(const char *op, json_t *in)
{
    json_t *out = NULL;
    ferr e = {0};
    int rc = svc_invoke(&env, &who, REGION, "codebuild", op, in, &out, NULL, &e);
    if (rc) fail_msg("%s: %s %s", op, e.code, e.message);
    json_decref(in);
    return out;
}

static json_t *report(const char *arn)
{
    json_t *out = call_ok("BatchGetReports", json_pack("{s:[s]}", "reportArns", arn));
    json_t *r = json_incref(json_array_get(json_object_get(out, "reports"), 0));
    json_decref(out);
    assert_non_null(r);
    return r;
}

/* Ingests name with spec, which must succeed with a report of status (and type). */
static void expect_report(const char *name, const char *spec, const char *status, const char *type)
{
    ferr e = {0};
    char *arn = ingest(name, spec, &e);
    if (!arn) fail_msg("%s: %s %s", name, e.code, e.message);
    json_t *r = report(arn);
    assert_string_equal(json_string_value(json_object_get(r, "status")), status);
    assert_string_equal(json_string_value(json_object_get(r, "type")), type);
    json_decref(r);
    free(arn);
}

static void test_ingest_by_name(void **state)
{
    (void)state;
    ferr e = {0};
    char *arn = ingest("unit",
                       "{\"files\":[\"*.xml\"],\"base-directory\":\"reports\","
                       "\"file-format\":\"JUNITXML\"}",
                       &e);
    assert_non_null(arn);
    assert_non_null(strstr(arn, ":report/proj-unit:"));
    json_t *r = report(arn);
    /* broken.xml could not be read: the report is INCOMPLETE, with what the others held */
    assert_string_equal(json_string_value(json_object_get(r, "status")), "INCOMPLETE");
    assert_string_equal(json_string_value(json_object_get(r, "reportGroupArn")),
                        "arn:aws:codebuild:us-east-1:111122223333:report-group/proj-unit");
    assert_string_equal(json_string_value(json_object_get(r, "executionId")),
                        "arn:aws:codebuild:us-east-1:111122223333:build/proj:b1");
    json_t *ts = json_object_get(r, "testSummary");
    assert_int_equal(json_integer_value(json_object_get(ts, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(ts, "durationInNanoSeconds")), 750000000);
    json_t *sc = json_object_get(ts, "statusCounts");
    assert_int_equal(json_integer_value(json_object_get(sc, "SUCCEEDED")), 1);
    assert_int_equal(json_integer_value(json_object_get(sc, "FAILED")), 1);
    assert_int_equal(json_integer_value(json_object_get(sc, "SKIPPED")), 1);
    json_decref(r);

    json_t *out = call_ok("DescribeTestCases", json_pack("{s:s, s:{s:s}}", "reportArn", arn,
                                                         "filter", "status", "FAILED"));
    json_t *cases = json_object_get(out, "testCases");
    assert_int_equal(json_array_size(cases), 1);
    json_t *tc = json_array_get(cases, 0);
    assert_string_equal(json_string_value(json_object_get(tc, "name")), "divides");
    assert_string_equal(json_string_value(json_object_get(tc, "prefix")), "calc.Div");
    assert_string_equal(json_string_value(json_object_get(tc, "message")), "expected 2");
    assert_string_equal(json_string_value(json_object_get(tc, "reportArn")), arn);
    assert_non_null(strstr(json_string_value(json_object_get(tc, "testRawDataPath")), "junit.xml"));
    json_decref(out);
    out = call_ok("DescribeTestCases",
                  json_pack("{s:s, s:{s:s}}", "reportArn", arn, "filter", "keyword", "calc"));
    assert_int_equal(json_array_size(json_object_get(out, "testCases")), 2);
    json_decref(out);

    /* a second build reuses the group: two reports, newest first */
    char *arn2 =
        ingest("unit", "{\"files\":[\"reports/junit.xml\"],\"discard-paths\":\"yes\"}", &e);
    assert_non_null(arn2);
    r = report(arn2);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "FAILED");
    json_decref(r);
    out = call_ok("ListReportsForReportGroup",
                  json_pack("{s:s}", "reportGroupArn",
                            "arn:aws:codebuild:us-east-1:111122223333:report-group/proj-unit"));
    assert_int_equal(json_array_size(json_object_get(out, "reports")), 2);
    json_decref(out);
    out = call_ok("GetReportGroupTrend",
                  json_pack("{s:s, s:s}", "reportGroupArn",
                            "arn:aws:codebuild:us-east-1:111122223333:report-group/proj-unit",
                            "trendField", "TOTAL"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "stats"), "max")),
                        "3");
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "stats"), "min")),
                        "2");
    json_decref(out);

    /* the group cannot go while it has reports, unless they go with it */
    json_t *del = json_pack("{s:s}", "arn",
                            "arn:aws:codebuild:us-east-1:111122223333:report-group/proj-unit");
    json_t *o2 = NULL;
    assert_int_equal(
        svc_invoke(&env, &who, REGION, "codebuild", "DeleteReportGroup", del, &o2, NULL, &e), -1);
    assert_string_equal(e.code, "InvalidInputException");
    assert_int_equal(json_object_set_new(del, "deleteReports", json_true()), 0);
    json_decref(call_ok("DeleteReportGroup", del));
    out = call_ok("BatchGetReports", json_pack("{s:[s,s]}", "reportArns", arn, arn2));
    assert_int_equal(json_array_size(json_object_get(out, "reportsNotFound")), 2);
    json_decref(out);
    free(arn), free(arn2);
}

static void test_ingest_formats_and_errors(void **state)
{
    (void)state;
    ferr e = {0};
    expect_report("bdd", "{\"files\":[\"**/*.json\"],\"file-format\":\"CUCUMBERJSON\"}",
                  "SUCCEEDED", "TEST");
    /* nothing matches: the report is made, INCOMPLETE and empty */
    expect_report("none", "{\"files\":[\"nothing/*\"]}", "INCOMPLETE", "TEST");
    /* coverage formats are recorded as CODE_COVERAGE reports */
    expect_report("cov", "{\"files\":[\"reports/junit.xml\"],\"file-format\":\"JACOCOXML\"}",
                  "SUCCEEDED", "CODE_COVERAGE");

    assert_null(ingest("x", "{\"files\":[\"*\"],\"file-format\":\"EXCEL\"}", &e));
    assert_string_equal(e.code, "YAML_FILE_ERROR");
    assert_null(ingest("x", "{\"files\":{\"a\":1}}", &e));
    assert_string_equal(e.code, "YAML_FILE_ERROR");
    assert_null(ingest("arn:aws:codebuild:us-east-1:111122223333:report-group/absent",
                       "{\"files\":[\"*\"]}", &e));
    assert_string_equal(e.code, "CLIENT_ERROR");

    /* a group named by ARN is used as it is */
    json_decref(call_ok("CreateReportGroup",
                        json_pack("{s:s, s:s, s:{s:s}}", "name", "shared", "type", "TEST",
                                  "exportConfig", "exportConfigType", "NO_EXPORT")));
    expect_report("arn:aws:codebuild:us-east-1:111122223333:report-group/shared",
                  "{\"files\":[\"reports/more.xml\"]}", "SUCCEEDED", "TEST");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_by_name),
        cmocka_unit_test(test_ingest_formats_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
