/* Test result files into test cases (see testfiles.h). The XML formats are read with the one
 * XML reader (proto/xml.c: expat, bounded depth, no DTDs) into a tree, then walked. */
#include "testfiles.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/jval.h"
#include "proto/xml.h"

static const char *const formats[] = {"JUNITXML", "CUCUMBERJSON", "TESTNGXML",
                                      "NUNITXML", "NUNIT3XML",    "VISUALSTUDIOTRX"};

int cb_testfile_format_known(const char *format)
{
    for (size_t i = 0; format && i < sizeof(formats) / sizeof(formats[0]); i++)
        if (!strcmp(format, formats[i])) return 1;
    return 0;
}

static int bad_file(ferr *e, const char *format)
{
    return ferr_set(e, 400, "InvalidInputException", "the file is not valid %s", format);
}

/* The attribute name of el (a prefixed name matches on its local part), or NULL. */
static const char *attr(const proto_xnode *el, const char *name)
{
    for (const char **a = el->attrs; a && a[0]; a += 2) {
        const char *colon = strrchr(a[0], ':');
        if (!strcmp(colon ? colon + 1 : a[0], name)) return a[1];
    }
    return NULL;
}

static const proto_xnode *child(const proto_xnode *el, const char *name)
{
    for (const proto_xnode *c = el->child; c; c = c->next)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

/* The element's text, trimmed of surrounding blanks, or NULL when it has none. */
static const char *text_of(arena *a, const proto_xnode *el)
{
    if (!el || !el->text) return NULL;
    const char *s = el->text, *end = s + el->tlen;
    while (s < end && strchr(" \t\r\n", *s)) s++;
    while (end > s && strchr(" \t\r\n", end[-1])) end--;
    return s < end ? arena_strndup(a, s, (size_t)(end - s)) : NULL;
}

/* Seconds (a decimal, as JUnit's time="1.25") to nanoseconds; 0 when absent or nonsense. */
/* nanoseconds v (finite, >= 0) as a count, held under what a long long holds */
static long long clamp_ns(double v)
{
    return v > 9e18 ? 9000000000000000000LL : (long long)llround(v);
}

static long long secs_ns(const char *s, double scale)
{
    if (!s) return 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0) return 0;
    return clamp_ns(v * scale);
}

/* TRX's durations, hh:mm:ss.fffffff. */
static long long hms_ns(const char *s)
{
    if (!s) return 0;
    int h = 0, m = 0;
    double sec = 0;
    if (sscanf(s, "%d:%d:%lf", &h, &m, &sec) != 3 || h < 0 || m < 0 || h > 1000000 ||
        !isfinite(sec) || sec < 0)
        return 0;
    /* seconds past what a count of nanoseconds holds ("00:00:0022222...") are held there */
    return clamp_ns(((double)h * 3600 + (double)m * 60 + sec) * 1e9);
}

static int add_case(json_t *cases, const char *name, const char *prefix, const char *status,
                    long long ns, const char *message, ferr *e)
{
    json_t *c =
        json_pack("{s:s, s:s, s:s, s:I}", "name", name ? name : "", "prefix", prefix ? prefix : "",
                  "status", status, "durationInNanoSeconds", (json_int_t)ns);
    int rc = !c;
    if (c && message) rc = jset_str(c, "message", message);
    if (rc || json_array_append_new(cases, c))
        return rc ? json_decref(c), ferr_oom(e) : ferr_oom(e);
    return 0;
}

/* The message of a failure-like element: its message attribute, else its text. */
static const char *failure_message(arena *a, const proto_xnode *f)
{
    const char *m = attr(f, "message");
    return m ? m : text_of(a, f);
}

/* ---- JUnit: <testcase> anywhere under <testsuites>/<testsuite> ---- */

static int junit_walk(arena *a, const proto_xnode *el, const char *suite, json_t *cases, ferr *e)
{
    for (const proto_xnode *c = el->child; c; c = c->next) {
        if (!strcmp(c->name, "testsuite") || !strcmp(c->name, "testsuites")) {
            const char *n = attr(c, "name");
            if (junit_walk(a, c, n ? n : suite, cases, e)) return -1;
            continue;
        }
        if (strcmp(c->name, "testcase")) continue;
        const char *status = "SUCCEEDED", *msg = NULL;
        const proto_xnode *f;
        if ((f = child(c, "failure")))
            status = "FAILED", msg = failure_message(a, f);
        else if ((f = child(c, "error")))
            status = "ERROR", msg = failure_message(a, f);
        else if ((f = child(c, "skipped")))
            status = "SKIPPED", msg = failure_message(a, f);
        const char *cls = attr(c, "classname");
        if (add_case(cases, attr(c, "name"), cls ? cls : suite, status,
                     secs_ns(attr(c, "time"), 1e9), msg, e))
            return -1;
    }
    return 0;
}

static int junit(arena *a, const proto_xnode *root, json_t *cases, ferr *e)
{
    if (strcmp(root->name, "testsuites") && strcmp(root->name, "testsuite"))
        return bad_file(e, "JUNITXML");
    proto_xnode top = {.child = (proto_xnode *)root};
    return junit_walk(a, &top, NULL, cases, e);
}

/* ---- TestNG: <testng-results><suite><test><class name><test-method status> ---- */

static int testng_walk(arena *a, const proto_xnode *el, const char *cls, json_t *cases, ferr *e)
{
    for (const proto_xnode *c = el->child; c; c = c->next) {
        if (!strcmp(c->name, "class")) {
            if (testng_walk(a, c, attr(c, "name"), cases, e)) return -1;
        } else if (!strcmp(c->name, "test-method")) {
            const char *cfg = attr(c, "is-config");
            if (cfg && !strcasecmp(cfg, "true")) continue; /* @Before/@After: not tests */
            const char *st = attr(c, "status"), *status = "UNKNOWN", *msg = NULL;
            if (st && !strcmp(st, "PASS"))
                status = "SUCCEEDED";
            else if (st && !strcmp(st, "FAIL"))
                status = "FAILED";
            else if (st && !strcmp(st, "SKIP"))
                status = "SKIPPED";
            const proto_xnode *ex = child(c, "exception");
            if (ex) msg = text_of(a, child(ex, "message"));
            if (add_case(cases, attr(c, "name"), cls, status, secs_ns(attr(c, "duration-ms"), 1e6),
                         msg, e))
                return -1;
        } else if (testng_walk(a, c, cls, cases, e)) {
            return -1;
        }
    }
    return 0;
}

/* ---- NUnit 2 (<test-results>) and 3 (<test-run>): <test-case result> ---- */

static const char *nunit_status(const char *r, const char *executed)
{
    if (!r) return executed && !strcasecmp(executed, "False") ? "SKIPPED" : "UNKNOWN";
    if (!strcasecmp(r, "Passed") || !strcasecmp(r, "Success")) return "SUCCEEDED";
    if (!strcasecmp(r, "Failed") || !strcasecmp(r, "Failure")) return "FAILED";
    if (!strcasecmp(r, "Error")) return "ERROR";
    if (!strcasecmp(r, "Skipped") || !strcasecmp(r, "Ignored") || !strcasecmp(r, "NotRunnable") ||
        !strcasecmp(r, "Inconclusive"))
        return "SKIPPED";
    return "UNKNOWN";
}

static int nunit_walk(arena *a, const proto_xnode *el, const char *fixture, json_t *cases, ferr *e)
{
    for (const proto_xnode *c = el->child; c; c = c->next) {
        if (!strcmp(c->name, "test-suite")) {
            const char *t = attr(c, "type");
            const char *f = t && !strcmp(t, "TestFixture") ? attr(c, "fullname") : NULL;
            if (t && !f && !strcmp(t, "TestFixture")) f = attr(c, "name");
            if (nunit_walk(a, c, f ? f : fixture, cases, e)) return -1;
        } else if (!strcmp(c->name, "test-case")) {
            const char *status = nunit_status(attr(c, "result"), attr(c, "executed")), *msg = NULL;
            const proto_xnode *f = child(c, "failure");
            if (!f) f = child(c, "reason");
            if (f) msg = text_of(a, child(f, "message"));
            const char *cls = attr(c, "classname"), *dur = attr(c, "duration");
            if (add_case(cases, attr(c, "name"), cls ? cls : fixture, status,
                         secs_ns(dur ? dur : attr(c, "time"), 1e9), msg, e))
                return -1;
        } else if (nunit_walk(a, c, fixture, cases, e)) {
            return -1;
        }
    }
    return 0;
}

/* ---- Visual Studio TRX: <TestRun><Results><UnitTestResult outcome> ---- */

static int trx(arena *a, const proto_xnode *root, json_t *cases, ferr *e)
{
    const proto_xnode *defs = child(root, "TestDefinitions"), *res = child(root, "Results");
    /* the class is on the test's definition, found by its id */
    json_t *cls_of = json_object();
    if (!cls_of) return ferr_oom(e);
    int rc = 0;
    for (const proto_xnode *d = defs ? defs->child : NULL; d && !rc; d = d->next) {
        const char *did = attr(d, "id");
        const proto_xnode *m = child(d, "TestMethod");
        const char *cn = m ? attr(m, "className") : NULL;
        if (did && cn && json_object_set_new(cls_of, did, json_string(cn))) rc = ferr_oom(e);
    }
    for (const proto_xnode *r = res ? res->child : NULL; r && !rc; r = r->next) {
        if (strcmp(r->name, "UnitTestResult")) continue;
        const char *o = attr(r, "outcome"), *status = "UNKNOWN", *msg = NULL;
        if (o && !strcmp(o, "Passed"))
            status = "SUCCEEDED";
        else if (o && !strcmp(o, "Failed"))
            status = "FAILED";
        else if (o && (!strcmp(o, "NotExecuted") || !strcmp(o, "Inconclusive")))
            status = "SKIPPED";
        else if (o && (!strcmp(o, "Error") || !strcmp(o, "Timeout") || !strcmp(o, "Aborted")))
            status = "ERROR";
        const char *id = attr(r, "testId");
        const char *cls = id ? jstr(cls_of, id) : NULL;
        const proto_xnode *out = child(r, "Output"), *ei = out ? child(out, "ErrorInfo") : NULL;
        if (ei) msg = text_of(a, child(ei, "Message"));
        rc = add_case(cases, attr(r, "testName"), cls, status, hms_ns(attr(r, "duration")), msg, e);
    }
    json_decref(cls_of);
    return rc;
}

/* ---- Cucumber JSON: features with elements (scenarios) whose steps have results ---- */

static int cucumber(const char *text, size_t n, json_t *cases, ferr *e)
{
    json_error_t je;
    json_t *doc = json_loadb(text, n, 0, &je);
    if (!doc) return jload_oom(&je) ? ferr_oom(e) : bad_file(e, "CUCUMBERJSON");
    int rc = json_is_array(doc) ? 0 : bad_file(e, "CUCUMBERJSON");
    size_t i, j, k;
    json_t *feat, *el, *step;
    json_array_foreach(rc ? NULL : doc, i, feat) {
        const char *prefix = jstr(feat, "name");
        if (!prefix || !*prefix) prefix = jstr(feat, "uri");
        json_array_foreach(json_object_get(feat, "elements"), j, el) {
            const char *type = jstr(el, "type");
            if (type && !strcmp(type, "background")) continue; /* its steps run per scenario */
            int failed = 0, skipped = 0, steps = 0;
            long long ns = 0;
            const char *msg = NULL;
            json_array_foreach(json_object_get(el, "steps"), k, step) {
                const json_t *r = json_object_get(step, "result");
                const char *st = jstr(r, "status");
                long long d = jint(r, "duration", 0);
                if (d > 0 && ns < 9000000000000000000LL - d) ns += d;
                steps++;
                if (st && !strcmp(st, "failed")) {
                    failed = 1;
                    if (!msg) msg = jstr(r, "error_message");
                } else if (!st || strcmp(st, "passed")) {
                    skipped = 1; /* skipped, pending, undefined, ambiguous */
                }
            }
            const char *status = failed ? "FAILED" : skipped || !steps ? "SKIPPED" : "SUCCEEDED";
            if ((rc = add_case(cases, jstr(el, "name"), prefix, status, ns, msg, e))) break;
        }
        if (rc) break;
    }
    json_decref(doc);
    return rc;
}

int cb_testfile_parse(const char *format, const char *text, size_t n, json_t *cases, ferr *e)
{
    if (!format) format = "JUNITXML";
    if (!strcmp(format, "CUCUMBERJSON")) return cucumber(text, n, cases, e);
    if (!cb_testfile_format_known(format))
        return ferr_set(e, 400, "InvalidInputException", "unknown report file-format %s", format);
    arena *a = arena_new(0);
    if (!a) return ferr_oom(e);
    int rc = 0;
    proto_xnode *root = proto_xml_parse(a, text, n, "InvalidInputException", e);
    if (!root)
        rc = ferr_isset(e) && !strcmp(e->code, "InternalFailure") ? -1 : bad_file(e, format);
    else if (!strcmp(format, "JUNITXML"))
        rc = junit(a, root, cases, e);
    else if (!strcmp(format, "TESTNGXML"))
        rc = strcmp(root->name, "testng-results") ? bad_file(e, format)
                                                  : testng_walk(a, root, NULL, cases, e);
    else if (!strcmp(format, "VISUALSTUDIOTRX"))
        rc = strcmp(root->name, "TestRun") ? bad_file(e, format) : trx(a, root, cases, e);
    else /* NUNITXML, NUNIT3XML */
        rc = strcmp(root->name, "test-results") && strcmp(root->name, "test-run")
                 ? bad_file(e, format)
                 : nunit_walk(a, root, NULL, cases, e);
    arena_free(a);
    return rc;
}
