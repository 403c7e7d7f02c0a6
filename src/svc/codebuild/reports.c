/* Report groups, reports and test cases (see reports.h).
 *
 * Documents: a report group under CB_GROUP_KIND by name, its ReportGroup shape; a report
 * under CB_REPORT_KIND by "GROUP:UUID" (its ARN's resource, so a group's reports are one
 * prefix), its Report shape; each test case under CB_CASE_KIND by "GROUP:UUID|NNNNNNNN", its
 * TestCase shape. Report group names are letters, digits, '-' and '_' (no ':' or '/'), so
 * the prefixes never overlap. */
#include "reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "testfiles.h"

#define CB_GROUP_KIND  "codebuild.reportgroup"
#define CB_REPORT_KIND "codebuild.report"
#define CB_CASE_KIND   "codebuild.testcase"

#define CB_REPORT_DAYS 30     /* AWS keeps a report's results 30 days ("expired") */
#define CB_MAX_CASES   100000 /* test cases kept per report; beyond, truncated */
#define CB_GROUPS_MAX  1000   /* AWS quota: report groups per account and region */

static const char *const statuses[] = {"SUCCEEDED", "FAILED", "SKIPPED", "ERROR", "UNKNOWN"};

static int invalid(call *c, const char *fmt, const char *what)
{
    ferr_set(c->err, 400, "InvalidInputException", fmt, what);
    return -1;
}

static int not_found(call *c, const char *fmt, const char *what)
{
    ferr_set(c->err, 400, "ResourceNotFoundException", fmt, what);
    return -1;
}

/* AWS documents 2 to 128 characters and no pattern; ferry keeps names to what project names
 * allow (letters, digits, '-' and '_', a letter or digit first), so that ':' and '/' never
 * make an ARN or a document id ambiguous. */
static int name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 2 || len > 128) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = n[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || (ch != '-' && ch != '_'))) return 0;
    }
    return 1;
}

static const char *group_arn(call *c, const char *name)
{
    return arena_printf(c->a, "arn:%s:codebuild:%s:%s:report-group/%s", arn_partition(c->region),
                        c->region, c->account, name);
}

/* The resource part of a codebuild ARN of this account and region after "TYPE/", or NULL. */
static const char *arn_resource(call *c, const char *arn, const char *type)
{
    const char *p = arn;
    if (!p || strncmp(p, "arn:", 4)) return NULL;
    p = strchr(p + 4, ':'); /* after the partition */
    if (!p || strncmp(p, ":codebuild:", 11)) return NULL;
    p += 11;
    size_t rl = strlen(c->region), al = strlen(c->account), tl = strlen(type);
    if (strncmp(p, c->region, rl) || p[rl] != ':') return NULL;
    p += rl + 1;
    if (strncmp(p, c->account, al) || p[al] != ':') return NULL;
    p += al + 1;
    if (strncmp(p, type, tl) || p[tl] != '/') return NULL;
    return p + tl + 1;
}

/* The report group named by arn: 1 and *doc (the arena's), 0 when there is none, -1. */
static int group_get(call *c, const char *arn, json_t **doc)
{
    const char *name = arn_resource(c, arn, "report-group");
    *doc = NULL;
    if (!name || !name_ok(name)) return 0;
    store_key k = call_key(c, CB_GROUP_KIND, name);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

/* As group_get, authorized for action first, not-found as ResourceNotFoundException. */
static int group_load(call *c, const char *action, const char *arn, json_t **doc)
{
    if (call_authorize(c, action, arn)) return -1;
    int rc = group_get(c, arn, doc);
    if (rc < 0) return -1;
    if (!rc) return not_found(c, "Report group %s does not exist", arn);
    call_resource(c, "AWS::CodeBuild::ReportGroup", jstr(*doc, "name"));
    return 0;
}

static int group_save(call *c, const json_t *doc)
{
    store_key k = call_key(c, CB_GROUP_KIND, jstr(doc, "name"));
    return store_put(c->txn, &k, doc, c->err);
}

/* The report's document id ("GROUP:UUID") from its ARN, or NULL. */
static const char *report_id(call *c, const char *arn)
{
    const char *id = arn_resource(c, arn, "report");
    const char *colon = id ? strchr(id, ':') : NULL;
    return colon && colon > id && colon[1] && !strchr(colon + 1, '|') ? id : NULL;
}

static int report_get(call *c, const char *arn, json_t **doc)
{
    const char *id = report_id(c, arn);
    *doc = NULL;
    if (!id) return 0;
    store_key k = call_key(c, CB_REPORT_KIND, id);
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return rc;
}

/* exportConfig as AWS checks it: S3 needs a bucket. */
static int export_ok(call *c, const json_t *ec)
{
    if (!ec) return 0;
    const char *t = jstr(ec, "exportConfigType");
    const json_t *s3 = json_object_get(ec, "s3Destination");
    if (t && !strcmp(t, "S3") && !jstr(s3, "bucket"))
        return invalid(c, "%s", "Invalid export config: S3 bucket is required");
    return 0;
}

/* ---- collecting documents ---- */

typedef struct collect {
    json_t *arr;
    const char *status; /* a report filter, or NULL */
    int oom;
} collect;

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *col = ud;
    const char *st = jstr(doc, "status");
    if (col->status && (!st || strcmp(st, col->status))) return 0;
    if (json_array_append(col->arr, doc)) col->oom = 1;
    return col->oom;
}

/* Documents of kind (with id prefix, NULL: all) into a new array in the arena, or NULL. */
static json_t *docs(call *c, const char *kind, const char *prefix, const char *status)
{
    collect col = {.arr = arena_defer_json(c->a, json_array()), .status = status};
    if (!col.arr) return ferr_oom(c->err), NULL;
    if (store_list(c->txn, kind, c->account, c->region, prefix, NULL, 0, collect_cb, &col, c->err) <
        0)
        return NULL;
    if (col.oom) return ferr_oom(c->err), NULL;
    return col.arr;
}

typedef struct sort_by {
    const char *field;
    int desc;
} sort_by;

static int cmp_docs(const void *pa, const void *pb, void *ud)
{
    const sort_by *sb = ud;
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    const json_t *va = json_object_get(a, sb->field), *vb = json_object_get(b, sb->field);
    int r;
    if (json_is_string(va) && json_is_string(vb)) {
        r = strcmp(json_string_value(va), json_string_value(vb));
    } else {
        double x = json_number_value(va), y = json_number_value(vb);
        r = x < y ? -1 : x > y;
    }
    if (!r) r = strcmp(jstr(a, "arn") ? jstr(a, "arn") : "", jstr(b, "arn") ? jstr(b, "arn") : "");
    return sb->desc ? -r : r;
}

/* arr's documents sorted by field (descending when desc): a new array in the arena, or
 * NULL. */
static json_t *sorted(call *c, const json_t *arr, const char *field, int desc)
{
    size_t n = json_array_size(arr);
    json_t **v = malloc((n ? n : 1) * sizeof(*v));
    json_t *res = arena_defer_json(c->a, json_array());
    int rc = !v || !res;
    for (size_t i = 0; i < n && !rc; i++) v[i] = json_array_get(arr, i);
    sort_by sb = {field, desc};
    if (!rc) qsort_r(v, n, sizeof(*v), cmp_docs, &sb);
    for (size_t i = 0; i < n && !rc; i++) rc = json_array_append(res, v[i]);
    free(v);
    if (rc) return ferr_oom(c->err), NULL;
    return res;
}

/* Sorts arr by field (in the input's sortOrder, else dflt_order) and answers the page of
 * their ARNs as out[key]. */
static int page_arns(call *c, const json_t *in, json_t *arr, const char *field,
                     const char *dflt_order, const char *key, json_t **out)
{
    const char *order = jstr(in, "sortOrder");
    json_t *s = sorted(c, arr, field, !strcmp(order ? order : dflt_order, "DESCENDING"));
    json_t *arns = arena_defer_json(c->a, json_array());
    if (!s || !arns) return ferr_oom(c->err);
    size_t i;
    json_t *d;
    json_array_foreach(s, i, d)
        if (json_array_append(arns, json_object_get(d, "arn"))) return ferr_oom(c->err);
    *out = svc_out(c, json_object());
    if (!*out) return -1;
    return svc_page(c, arns, jstr(in, "nextToken"), jint(in, "maxResults", 100), *out, key,
                    "nextToken", "InvalidInputException");
}

/* ---- report groups ---- */

static int count_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    ++*(int *)ud;
    return 0;
}

/* Creates the group (type, exportConfig, tags: borrowed) in the call's transaction: 0 and
 * *doc (the arena's), or -1 (ResourceAlreadyExistsException when it exists). */
static int group_create(call *c, const char *name, const char *type, const json_t *ec,
                        const json_t *tags, json_t **doc)
{
    if (!name_ok(name)) return invalid(c, "Invalid report group name: %s", name);
    if (export_ok(c, ec)) return -1;
    int n = 0;
    if (store_list(c->txn, CB_GROUP_KIND, c->account, c->region, NULL, NULL, 0, count_cb, &n,
                   c->err) < 0)
        return -1;
    if (n >= CB_GROUPS_MAX)
        return ferr_set(c->err, 400, "AccountLimitExceededException",
                        "Cannot have more than %d report groups", CB_GROUPS_MAX);
    const char *arn = group_arn(c, name);
    double now = clock_now();
    json_t *d = arena_defer_json(
        c->a,
        json_pack("{s:s, s:s, s:s, s:o, s:f, s:f, s:o, s:s}", "arn", arn ? arn : "", "name", name,
                  "type", type, "exportConfig",
                  ec ? json_deep_copy(ec) : json_pack("{s:s}", "exportConfigType", "NO_EXPORT"),
                  "created", now, "lastModified", now, "tags",
                  tags ? json_deep_copy(tags) : json_array(), "status", "ACTIVE"));
    if (!d || !arn) return ferr_oom(c->err);
    store_key k = call_key(c, CB_GROUP_KIND, name);
    int rc = store_insert(c->txn, &k, d, c->err);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "ResourceAlreadyExistsException",
                        "Report group %s already exists", arn);
    call_resource(c, "AWS::CodeBuild::ReportGroup", name);
    *doc = d;
    return 0;
}

int codebuild_op_create_report_group(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "name");
    const char *arn = group_arn(c, name);
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "codebuild:CreateReportGroup", arn)) return -1;
    json_t *d;
    if (group_create(c, name, jstr(in, "type"), json_object_get(in, "exportConfig"),
                     json_object_get(in, "tags"), &d))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "reportGroup", d));
    return 0;
}

int codebuild_op_update_report_group(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (group_load(c, "codebuild:UpdateReportGroup", jstr(in, "arn"), &d)) return -1;
    const json_t *ec = json_object_get(in, "exportConfig"), *tags = json_object_get(in, "tags");
    if (export_ok(c, ec)) return -1;
    /* AWS: what is given replaces what was there (tags too: the list is the new set) */
    if ((ec && json_object_set(d, "exportConfig", (json_t *)ec)) ||
        (tags && json_object_set(d, "tags", (json_t *)tags)) ||
        json_object_set_new(d, "lastModified", json_real(clock_now())))
        return ferr_oom(c->err);
    if (group_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "reportGroup", d));
    return 0;
}

/* Deletes the report's document and its test cases. */
static int report_drop(call *c, const char *id)
{
    const char *prefix = arena_printf(c->a, "%s|", id);
    json_t *cases = prefix ? docs(c, CB_CASE_KIND, prefix, NULL) : NULL;
    if (!cases) return prefix ? -1 : ferr_oom(c->err);
    for (size_t i = 0; i < json_array_size(cases); i++) {
        char cid[300];
        snprintf(cid, sizeof(cid), "%s%08zu", prefix, i);
        store_key k = call_key(c, CB_CASE_KIND, cid);
        if (store_del(c->txn, &k, c->err) < 0) return -1;
    }
    store_key k = call_key(c, CB_REPORT_KIND, id);
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int codebuild_op_delete_report_group(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "arn");
    if (call_authorize(c, "codebuild:DeleteReportGroup", arn)) return -1;
    json_t *d;
    int rc = group_get(c, arn, &d);
    if (rc < 0) return -1;
    if (!rc) return invalid(c, "Report group %s does not exist", arn);
    const char *name = jstr(d, "name"), *prefix = arena_printf(c->a, "%s:", name);
    json_t *reports = prefix ? docs(c, CB_REPORT_KIND, prefix, NULL) : NULL;
    if (!reports) return prefix ? -1 : ferr_oom(c->err);
    if (json_array_size(reports) && !jbool(in, "deleteReports", 0))
        return invalid(c,
                       "Cannot delete report group %s before its reports are deleted; delete "
                       "them first or set deleteReports",
                       arn);
    for (size_t i = 0; i < json_array_size(reports); i++) {
        const char *id = report_id(c, jstr(json_array_get(reports, i), "arn"));
        if (id && report_drop(c, id)) return -1;
    }
    store_key k = call_key(c, CB_GROUP_KIND, name);
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    call_resource(c, "AWS::CodeBuild::ReportGroup", name);
    *out = svc_out(c, json_object());
    return 0;
}

/* BatchGetReportGroups and BatchGetReports: each ARN found (get) or not; the action is
 * authorized on the ARN itself, or with auth_member on that member of what was found (a
 * report's group: AWS authorizes report actions on the group). */
static int batch_get(call *c, const json_t *arns, int (*get)(call *, const char *, json_t **),
                     const char *action, const char *auth_member, const char *found_key,
                     const char *missing_key, json_t **out)
{
    json_t *found = arena_defer_json(c->a, json_array()),
           *missing = arena_defer_json(c->a, json_array());
    if (!found || !missing) return ferr_oom(c->err);
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a) {
        const char *arn = json_string_value(a);
        if (!auth_member && call_authorize(c, action, arn)) return -1;
        json_t *d;
        int rc = get(c, arn, &d);
        if (rc < 0) return -1;
        if (rc && auth_member && call_authorize(c, action, jstr(d, auth_member))) return -1;
        if (json_array_append(rc ? found : missing, rc ? d : a)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_object());
    if (!*out) return -1;
    if ((json_array_size(found) && json_object_set(*out, found_key, found)) ||
        (json_array_size(missing) && json_object_set(*out, missing_key, missing)))
        return ferr_oom(c->err);
    return 0;
}

int codebuild_op_batch_get_report_groups(call *c, json_t *in, json_t **out)
{
    return batch_get(c, json_object_get(in, "reportGroupArns"), group_get,
                     "codebuild:BatchGetReportGroups", NULL, "reportGroups", "reportGroupsNotFound",
                     out);
}

int codebuild_op_list_report_groups(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codebuild:ListReportGroups", "*")) return -1;
    json_t *all = docs(c, CB_GROUP_KIND, NULL, NULL);
    if (!all) return -1;
    const char *by = jstr(in, "sortBy"), *field = "created";
    if (by && !strcmp(by, "NAME")) field = "name";
    if (by && !strcmp(by, "LAST_MODIFIED_TIME")) field = "lastModified";
    return page_arns(c, in, all, field, "ASCENDING", "reportGroups", out);
}

/* ---- reports ---- */

/* ListReports' filter (its status is an enum the model checks). */
static const char *status_filter(const json_t *in)
{
    return jstr(json_object_get(in, "filter"), "status");
}

int codebuild_op_list_reports(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "codebuild:ListReports", "*")) return -1;
    json_t *all = docs(c, CB_REPORT_KIND, NULL, status_filter(in));
    return all ? page_arns(c, in, all, "created", "DESCENDING", "reports", out) : -1;
}

int codebuild_op_list_reports_for_report_group(call *c, json_t *in, json_t **out)
{
    json_t *g;
    if (group_load(c, "codebuild:ListReportsForReportGroup", jstr(in, "reportGroupArn"), &g))
        return -1;
    const char *prefix = arena_printf(c->a, "%s:", jstr(g, "name"));
    if (!prefix) return ferr_oom(c->err);
    json_t *all = docs(c, CB_REPORT_KIND, prefix, status_filter(in));
    return all ? page_arns(c, in, all, "created", "DESCENDING", "reports", out) : -1;
}

int codebuild_op_batch_get_reports(call *c, json_t *in, json_t **out)
{
    return batch_get(c, json_object_get(in, "reportArns"), report_get, "codebuild:BatchGetReports",
                     "reportGroupArn", "reports", "reportsNotFound", out);
}

int codebuild_op_delete_report(call *c, json_t *in, json_t **out)
{
    json_t *d;
    int rc = report_get(c, jstr(in, "arn"), &d);
    if (rc < 0) return -1;
    if (rc) {
        if (call_authorize(c, "codebuild:DeleteReport", jstr(d, "reportGroupArn"))) return -1;
        if (report_drop(c, report_id(c, jstr(d, "arn")))) return -1;
    } else if (call_authorize(c, "codebuild:DeleteReport", "*")) {
        return -1;
    }
    *out = svc_out(c, json_object());
    return 0;
}

int codebuild_op_describe_test_cases(call *c, json_t *in, json_t **out)
{
    const char *arn = jstr(in, "reportArn");
    json_t *d;
    int rc = report_get(c, arn, &d);
    if (rc < 0) return -1;
    if (!rc) return not_found(c, "Report %s does not exist", arn);
    if (call_authorize(c, "codebuild:DescribeTestCases", jstr(d, "reportGroupArn"))) return -1;
    const json_t *f = json_object_get(in, "filter");
    const char *st = jstr(f, "status"), *kw = jstr(f, "keyword");
    if (st) {
        int ok = 0;
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
            ok |= !strcmp(st, statuses[i]);
        if (!ok)
            return invalid(c,
                           "Invalid test case status filter: %s. Valid values are SUCCEEDED, "
                           "FAILED, ERROR, SKIPPED and UNKNOWN",
                           st);
    }
    const char *prefix = arena_printf(c->a, "%s|", report_id(c, arn));
    json_t *all = prefix ? docs(c, CB_CASE_KIND, prefix, st) : NULL;
    if (!all) return prefix ? -1 : ferr_oom(c->err);
    json_t *keep = arena_defer_json(c->a, json_array());
    if (!keep) return ferr_oom(c->err);
    size_t i;
    json_t *tc;
    json_array_foreach(all, i, tc) {
        /* AWS: the keyword is a substring of the test case's name or prefix */
        const char *n = jstr(tc, "name"), *p = jstr(tc, "prefix");
        if (kw && !(n && strstr(n, kw)) && !(p && strstr(p, kw))) continue;
        if (json_array_append(keep, tc)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_object());
    if (!*out) return -1;
    return svc_page(c, keep, jstr(in, "nextToken"), jint(in, "maxResults", 50), *out, "testCases",
                    "nextToken", "InvalidInputException");
}

/* One report's value for a trend field, or -1 when it has none. */
static double trend_value(const json_t *r, const char *field)
{
    const json_t *ts = json_object_get(r, "testSummary"),
                 *cc = json_object_get(r, "codeCoverageSummary");
    if (!strcmp(field, "PASS_RATE") && ts) {
        double total = (double)jint(ts, "total", 0);
        long long ok = jint(json_object_get(ts, "statusCounts"), "SUCCEEDED", 0);
        return total > 0 ? 100.0 * (double)ok / total : 0;
    }
    if (!strcmp(field, "DURATION") && ts) return (double)jint(ts, "durationInNanoSeconds", 0);
    if (!strcmp(field, "TOTAL") && ts) return (double)jint(ts, "total", 0);
    static const char *const cov[][2] = {{"LINE_COVERAGE", "lineCoveragePercentage"},
                                         {"LINES_COVERED", "linesCovered"},
                                         {"LINES_MISSED", "linesMissed"},
                                         {"BRANCH_COVERAGE", "branchCoveragePercentage"},
                                         {"BRANCHES_COVERED", "branchesCovered"},
                                         {"BRANCHES_MISSED", "branchesMissed"}};
    for (size_t i = 0; cc && i < sizeof(cov) / sizeof(cov[0]); i++)
        if (!strcmp(field, cov[i][0])) return json_number_value(json_object_get(cc, cov[i][1]));
    return -1;
}

static const char *num_text(call *c, double v)
{
    return v == (double)(long long)v ? arena_printf(c->a, "%lld", (long long)v)
                                     : arena_printf(c->a, "%.2f", v);
}

int codebuild_op_get_report_group_trend(call *c, json_t *in, json_t **out)
{
    json_t *g;
    if (group_load(c, "codebuild:GetReportGroupTrend", jstr(in, "reportGroupArn"), &g)) return -1;
    const char *field = jstr(in, "trendField"),
               *prefix = arena_printf(c->a, "%s:", jstr(g, "name"));
    json_t *found = prefix ? docs(c, CB_REPORT_KIND, prefix, NULL) : NULL;
    json_t *all = found ? sorted(c, found, "created", 0) : NULL;
    if (!all) return prefix && found ? ferr_oom(c->err) : prefix ? -1 : ferr_oom(c->err);
    /* the newest numOfReports (AWS: 100 by default) with a value for the field */
    long long want = jint(in, "numOfReports", 100);
    json_t *raw = arena_defer_json(c->a, json_array());
    if (!raw) return ferr_oom(c->err);
    double sum = 0, mx = 0, mn = 0;
    size_t n = 0;
    for (size_t i = json_array_size(all); i-- > 0 && (long long)n < want;) {
        const json_t *r = json_array_get(all, i);
        double v = trend_value(r, field);
        if (v < 0) continue;
        const char *t = num_text(c, v);
        if (!t || json_array_append_new(raw, json_pack("{s:O, s:s}", "reportArn",
                                                       json_object_get(r, "arn"), "data", t)))
            return ferr_oom(c->err);
        sum += v, mx = n ? (v > mx ? v : mx) : v, mn = n ? (v < mn ? v : mn) : v, n++;
    }
    json_t *stats = json_object();
    int rc = !stats;
    if (n && stats) {
        const char *avg = num_text(c, sum / (double)n), *smax = num_text(c, mx),
                   *smin = num_text(c, mn);
        rc = !avg || !smax || !smin || jset_str(stats, "average", avg) ||
             jset_str(stats, "max", smax) || jset_str(stats, "min", smin);
    }
    if (rc) {
        json_decref(stats);
        return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:o, s:O}", "stats", stats, "rawData", raw));
    return 0;
}

/* ---- ingest: a build's `reports` entry into a report ---- */

static const char *const coverage_formats[] = {"CLOVERXML", "COBERTURAXML", "JACOCOXML",
                                               "SIMPLECOV"};

/* Reads the files into cases (each with testRawDataPath); 0 when every file was read. */
static int read_files(const cb_files *f, const char *format, json_t *cases, int *truncated)
{
    int incomplete = 0;
    for (size_t i = 0; i < f->n; i++) {
        FILE *fp = fopen(f->paths[i], "rb");
        char *text = NULL;
        size_t n = 0;
        if (fp && !fseek(fp, 0, SEEK_END)) {
            long len = ftell(fp);
            if (len >= 0 && (unsigned long)len <= CB_TESTFILE_MAX && !fseek(fp, 0, SEEK_SET) &&
                (text = malloc((size_t)len + 1)))
                n = fread(text, 1, (size_t)len, fp);
            if (text && n != (size_t)len) free(text), text = NULL;
        }
        if (fp) fclose(fp);
        if (!text) {
            incomplete = 1;
            continue;
        }
        json_t *mine = json_array();
        ferr e = {0};
        if (!mine || cb_testfile_parse(format, text, n, mine, &e)) incomplete = 1;
        free(text);
        size_t k;
        json_t *tc;
        json_array_foreach(mine, k, tc) {
            if (json_array_size(cases) >= CB_MAX_CASES) {
                *truncated = 1;
                break;
            }
            if (jset_str(tc, "testRawDataPath", f->paths[i]) || json_array_append(cases, tc))
                incomplete = 1;
        }
        json_decref(mine);
    }
    return incomplete;
}

static int ingest(call *c, json_t *in, json_t **out)
{
    (void)in;
    const cb_report_input *r = c->arg;
    const json_t *spec = r->spec;
    if (!json_is_object(spec))
        return ferr_set(c->err, 400, "YAML_FILE_ERROR", "Expected reports.%s to be of type map",
                        r->name);
    const char *format = jstr(spec, "file-format");
    const json_t *ff = json_object_get(spec, "file-format");
    if (ff && !json_is_string(ff))
        return ferr_set(c->err, 400, "YAML_FILE_ERROR", "Invalid report file format in %s",
                        r->name);
    if (!format) format = "JUNITXML";
    int coverage = 0;
    for (size_t i = 0; i < sizeof(coverage_formats) / sizeof(coverage_formats[0]); i++)
        coverage |= !strcmp(format, coverage_formats[i]);
    if (!coverage && !cb_testfile_format_known(format))
        return ferr_set(c->err, 400, "YAML_FILE_ERROR", "Invalid report file format: %s", format);
    const char *type = coverage ? "CODE_COVERAGE" : "TEST";

    /* the group: an ARN must name one; a name is PROJECT-NAME, made when missing */
    json_t *g = NULL;
    int rc;
    if (!strncmp(r->name, "arn:", 4)) {
        if ((rc = group_get(c, r->name, &g)) < 0) return -1;
        if (!rc)
            return ferr_set(c->err, 400, "CLIENT_ERROR", "report group %s does not exist", r->name);
    } else {
        const char *name = arena_printf(c->a, "%s-%s", r->project, r->name);
        const char *arn = name ? group_arn(c, name) : NULL;
        if (!arn) return ferr_oom(c->err);
        store_key k = call_key(c, CB_GROUP_KIND, name);
        if ((rc = store_get(c->txn, &k, &g, c->err)) < 0) return -1;
        if (rc && !arena_defer_json(c->a, g)) return ferr_oom(c->err);
        if (!rc && (call_authorize(c, "codebuild:CreateReportGroup", arn) ||
                    group_create(c, name, type, NULL, NULL, &g)))
            return -1;
    }
    const char *garn = jstr(g, "arn"), *gname = jstr(g, "name");
    if (call_authorize(c, "codebuild:CreateReport", garn) ||
        call_authorize(c, "codebuild:BatchPutTestCases", garn))
        return -1;

    /* the files; none matching leaves the report INCOMPLETE, a malformed spec fails */
    cb_files f = {0};
    int incomplete = 0, truncated = 0;
    json_t *cases = arena_defer_json(c->a, json_array());
    if (!cases) return ferr_oom(c->err);
    if (cb_artifacts_select(r->src_dir, spec, &f, c->err)) {
        if (strcmp(c->err->code, "CLIENT_ERROR")) return -1;
        ferr_clear(c->err);
        incomplete = 1;
    } else if (!coverage) {
        incomplete = read_files(&f, format, cases, &truncated);
    }
    cb_files_clear(&f);

    char uuid[37];
    ids_uuid(uuid);
    const char *id = arena_printf(c->a, "%s:%s", gname, uuid);
    const char *arn = id ? arena_printf(c->a, "arn:%s:codebuild:%s:%s:report/%s",
                                        arn_partition(c->region), c->region, c->account, id)
                         : NULL;
    if (!arn) return ferr_oom(c->err);
    double now = clock_now(), expired = now + CB_REPORT_DAYS * 86400.0;
    long long counts[5] = {0}, total_ns = 0;
    size_t i;
    json_t *tc;
    json_array_foreach(cases, i, tc) {
        const char *st = jstr(tc, "status");
        for (size_t s = 0; s < 5; s++)
            if (!strcmp(st, statuses[s])) counts[s]++;
        long long d = jint(tc, "durationInNanoSeconds", 0);
        if (total_ns < 9000000000000000000LL - d) total_ns += d;
        char cid[300];
        snprintf(cid, sizeof(cid), "%s|%08zu", id, i);
        store_key k = call_key(c, CB_CASE_KIND, cid);
        if (jset_str(tc, "reportArn", arn) ||
            json_object_set_new(tc, "expired", json_real(expired)))
            return ferr_oom(c->err);
        if (store_put(c->txn, &k, tc, c->err)) return -1;
    }
    const char *status = incomplete               ? "INCOMPLETE"
                         : counts[1] || counts[3] ? "FAILED"
                                                  : "SUCCEEDED";
    json_t *rep = arena_defer_json(
        c->a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:O, s:b}", "arn", arn, "type",
                        type, "name", gname, "reportGroupArn", garn, "executionId",
                        r->build_arn ? r->build_arn : "", "status", status, "created", now,
                        "expired", expired, "exportConfig", json_object_get(g, "exportConfig"),
                        "truncated", truncated));
    if (!rep) return ferr_oom(c->err);
    if (!coverage) {
        json_t *sc =
            json_pack("{s:I, s:I, s:I, s:I, s:I}", statuses[0], (json_int_t)counts[0], statuses[1],
                      (json_int_t)counts[1], statuses[2], (json_int_t)counts[2], statuses[3],
                      (json_int_t)counts[3], statuses[4], (json_int_t)counts[4]);
        if (json_object_set_new(rep, "testSummary",
                                json_pack("{s:I, s:o, s:I}", "total",
                                          (json_int_t)json_array_size(cases), "statusCounts", sc,
                                          "durationInNanoSeconds", (json_int_t)total_ns)))
            return ferr_oom(c->err);
    }
    store_key k = call_key(c, CB_REPORT_KIND, id);
    if (store_put(c->txn, &k, rep, c->err)) return -1;
    call_resource(c, "AWS::CodeBuild::Report", id);
    *out = svc_out(c, json_pack("{s:s}", "reportArn", arn));
    return 0;
}

/* Recorded in the trail as CreateReport, the action AWS asks of the build's role. */
static const svc_op ingest_op = {"CreateReport", ingest, 0};

int cb_reports_ingest(ferry_env *env, const principal *who, const cb_report_input *r,
                      char **report_arn, ferr *e)
{
    *report_arn = NULL;
    json_t *out = NULL;
    if (svc_invoke_fn(env, who, r->region, "codebuild", &ingest_op, r, NULL, &out, e)) return -1;
    const char *arn = jstr(out, "reportArn");
    *report_arn = arn ? strdup(arn) : NULL;
    json_decref(out);
    return *report_arn ? 0 : ferr_oom(e);
}
