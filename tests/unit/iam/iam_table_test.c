/* Table-driven IAM evaluation and validation cases: tests/data/iam/eval_cases.json.
 * Each case gives the caller, the request, the policies (as JSON documents) and the
 * expected decision, deciding policy kind and, optionally, AWS's message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "iam/eval.h"
#include "iam/policy.h"

#ifndef FERRY_TEST_DATA
#define FERRY_TEST_DATA "tests/data"
#endif

static json_t *load_cases(void)
{
    json_error_t je;
    json_t *j = json_load_file(FERRY_TEST_DATA "/iam/eval_cases.json", 0, &je);
    if (!j) fprintf(stderr, "eval_cases.json: %s line %d\n", je.text, je.line);
    assert_non_null(j);
    return j;
}

/* "user:ACCT:NAME", "role:ACCT:ROLE:SESSION", "root:ACCT", "service:NAME", "anonymous" */
static int make_principal(const char *spec, principal *p)
{
    char buf[256];
    memset(p, 0, sizeof(*p));
    snprintf(buf, sizeof(buf), "%s", spec);
    char *f[4] = {0};
    int n = 0;
    for (char *s = buf, *t; n < 4 && (t = strsep(&s, ":"));) f[n++] = t;
    if (!strcmp(f[0], "anonymous")) return 0;
    if (!strcmp(f[0], "service") && n == 2) {
        p->kind = PRIN_SERVICE;
        snprintf(p->service, sizeof(p->service), "%s", f[1]);
        return 0;
    }
    if (n < 2) return -1;
    snprintf(p->account, sizeof(p->account), "%s", f[1]);
    if (!strcmp(f[0], "root")) {
        p->kind = PRIN_ROOT;
        snprintf(p->arn, sizeof(p->arn), "arn:aws:iam::%s:root", f[1]);
        snprintf(p->userid, sizeof(p->userid), "%s", f[1]);
        return 0;
    }
    if (!strcmp(f[0], "user") && n == 3) {
        p->kind = PRIN_USER;
        snprintf(p->arn, sizeof(p->arn), "arn:aws:iam::%s:user/%s", f[1], f[2]);
        snprintf(p->name, sizeof(p->name), "%s", f[2]);
        snprintf(p->userid, sizeof(p->userid), "AIDAEXAMPLE%s", f[2]);
        return 0;
    }
    if (!strcmp(f[0], "role") && n == 4) {
        p->kind = PRIN_ASSUMED_ROLE;
        p->temporary = 1;
        snprintf(p->arn, sizeof(p->arn), "arn:aws:sts::%s:assumed-role/%s/%s", f[1], f[2], f[3]);
        snprintf(p->role_arn, sizeof(p->role_arn), "arn:aws:iam::%s:role/%s", f[1], f[2]);
        snprintf(p->name, sizeof(p->name), "%s", f[2]);
        snprintf(p->session, sizeof(p->session), "%s", f[3]);
        snprintf(p->userid, sizeof(p->userid), "AROAEXAMPLE:%s", f[3]);
        return 0;
    }
    return -1;
}

typedef struct loaded {
    iam_policy *v[64];
    size_t n;
} loaded;

/* A policy is a document object, or an array of statements (Version 2012-10-17). */
static iam_policy *load_policy(json_t *doc, int kind, loaded *all, const char *cname)
{
    json_t *d = doc;
    if (json_is_array(doc)) d = json_pack("{s:s,s:O}", "Version", "2012-10-17", "Statement", doc);
    char *txt = json_dumps(d, JSON_COMPACT);
    if (d != doc) json_decref(d);
    ferr e = {0};
    iam_policy *p = iam_policy_parse(txt, strlen(txt), kind, &e);
    if (!p) fprintf(stderr, "case %s: policy rejected: %s (%s)\n", cname, e.message, txt);
    free(txt);
    assert_non_null(p);
    assert_true(all->n < 64);
    all->v[all->n++] = p;
    char name[32];
    snprintf(name, sizeof(name), "p%zu", all->n);
    if (!iam_policy_name(p)[0]) iam_policy_set_name(p, name);
    return p;
}

static void load_set(json_t *arr, int kind, loaded *all, const iam_policy **slots, size_t *n,
                     const char *cname)
{
    *n = 0;
    size_t i;
    json_t *v;
    if (!arr) return;
    if (!json_is_array(arr) || (json_array_size(arr) && !json_is_object(json_array_get(arr, 0)) &&
                                !json_is_array(json_array_get(arr, 0)))) {
        fail_msg("case %s: policy list expected", cname);
    }
    /* a list of statements is one policy; a list of documents is several */
    if (json_array_size(arr) && json_is_object(json_array_get(arr, 0)) &&
        json_object_get(json_array_get(arr, 0), "Effect")) {
        slots[(*n)++] = load_policy(arr, kind, all, cname);
        return;
    }
    json_array_foreach(arr, i, v) slots[(*n)++] = load_policy(v, kind, all, cname);
}

static const char *decision_name(int d)
{
    return d == IAM_ALLOW ? "allow" : d == IAM_EXPLICIT_DENY ? "explicit" : "deny";
}

static const char *by_name(int by)
{
    static const char *names[] = {"none",    "identity", "resource", "boundary",
                                  "session", "scp",      "root"};
    return by >= 0 && by <= IAM_BY_ROOT ? names[by] : "?";
}

static int run_case(json_t *c)
{
    const char *cname = json_string_value(json_object_get(c, "name"));
    arena *a = arena_new(0);
    loaded all = {0};
    principal pr;
    iam_request r = {0};
    const char *pspec = json_string_value(json_object_get(c, "principal"));
    assert_int_equal(make_principal(pspec ? pspec : "user:111122223333:bob", &pr), 0);
    if (!pspec || strcmp(pspec, "anonymous")) r.principal = &pr;
    r.is_root = pr.kind == PRIN_ROOT || json_is_true(json_object_get(c, "is_root"));
    r.action = json_string_value(json_object_get(c, "action"));
    r.resource = json_string_value(json_object_get(c, "resource"));
    r.resource_account = json_string_value(json_object_get(c, "resource_account"));
    r.federated = json_string_value(json_object_get(c, "federated"));
    r.org_id = json_string_value(json_object_get(c, "org_id"));
    r.scp_exempt = json_is_true(json_object_get(c, "scp_exempt"));
    r.require_resource_policy = json_is_true(json_object_get(c, "require_resource_policy"));

    iam_tag tags[16];
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(c, "tags"), k, v) {
        assert_true(r.nprincipal_tags < 16);
        tags[r.nprincipal_tags++] = (iam_tag){k, json_string_value(v)};
    }
    r.principal_tags = tags;
    json_object_foreach(json_object_get(c, "context"), k, v) {
        const char *vals[16];
        size_t n = 0, i;
        json_t *x;
        if (json_is_array(v)) {
            json_array_foreach(v, i, x) vals[n++] = json_string_value(x);
        } else {
            vals[n++] = json_string_value(v);
        }
        assert_int_equal(iam_request_add_key(&r, a, k, vals, n), 0);
    }

    const iam_policy *idp[16], *bp[16], *sp[16], *layers[8][16];
    iam_policy_set scp[8];
    load_set(json_object_get(c, "identity"), IAM_KIND_IDENTITY, &all, idp, &r.identity.n, cname);
    r.identity.v = idp;
    load_set(json_object_get(c, "boundary"), IAM_KIND_BOUNDARY, &all, bp, &r.boundary.n, cname);
    r.boundary.v = bp;
    load_set(json_object_get(c, "session"), IAM_KIND_SESSION, &all, sp, &r.session.n, cname);
    r.session.v = sp;
    json_t *rp = json_object_get(c, "resource_policy");
    if (rp) r.resource_policy = load_policy(rp, IAM_KIND_RESOURCE, &all, cname);
    size_t li;
    json_t *layer;
    json_array_foreach(json_object_get(c, "scp"), li, layer) {
        load_set(layer, IAM_KIND_SCP, &all, layers[li], &scp[li].n, cname);
        scp[li].v = layers[li];
        r.nscp_layers = li + 1;
    }
    r.scp_layers = scp;

    iam_result res;
    iam_evaluate(&r, &res);
    int bad = 0;
    const char *want = json_string_value(json_object_get(c, "expect"));
    if (strcmp(want, decision_name(res.decision))) {
        fprintf(stderr, "FAIL %s: decision %s, want %s\n", cname, decision_name(res.decision),
                want);
        bad = 1;
    }
    const char *wby = json_string_value(json_object_get(c, "by"));
    if (wby && strcmp(wby, by_name(res.by))) {
        fprintf(stderr, "FAIL %s: by %s, want %s\n", cname, by_name(res.by), wby);
        bad = 1;
    }
    const char *wsid = json_string_value(json_object_get(c, "sid"));
    if (wsid && (res.nrefs == 0 || strcmp(wsid, res.refs[0].sid))) {
        fprintf(stderr, "FAIL %s: sid %s, want %s\n", cname, res.nrefs ? res.refs[0].sid : "(none)",
                wsid);
        bad = 1;
    }
    const char *wmsg = json_string_value(json_object_get(c, "message"));
    if (wmsg) {
        char msg[1024];
        iam_denied_message(&r, &res, msg, sizeof(msg));
        if (strcmp(msg, wmsg)) {
            fprintf(stderr, "FAIL %s: message\n  got  %s\n  want %s\n", cname, msg, wmsg);
            bad = 1;
        }
    }
    for (size_t i = 0; i < all.n; i++) iam_policy_free(all.v[i]);
    arena_free(a);
    return bad;
}

static const char *kind_names[] = {"identity", "resource", "trust",  "scp",
                                   "boundary", "session",  "managed"};

static int kind_of(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (s && !strcmp(s, kind_names[i])) return i;
    return IAM_KIND_IDENTITY;
}

static int run_parse_case(json_t *c)
{
    const char *cname = json_string_value(json_object_get(c, "name"));
    json_t *doc = json_object_get(c, "doc");
    char *txt =
        json_is_string(doc) ? strdup(json_string_value(doc)) : json_dumps(doc, JSON_COMPACT);
    ferr e = {0};
    iam_policy *p = iam_policy_parse(txt, strlen(txt),
                                     kind_of(json_string_value(json_object_get(c, "kind"))), &e);
    const char *want = json_string_value(json_object_get(c, "error"));
    int bad = 0;
    if (want && p) {
        fprintf(stderr, "FAIL %s: accepted, want error \"%s\"\n", cname, want);
        bad = 1;
    } else if (want && (strcmp(e.message, want) || strcmp(e.code, "MalformedPolicyDocument") ||
                        e.status != 400)) {
        fprintf(stderr, "FAIL %s: error %s \"%s\", want \"%s\"\n", cname, e.code, e.message, want);
        bad = 1;
    } else if (!want && !p) {
        fprintf(stderr, "FAIL %s: rejected: %s\n", cname, e.message);
        bad = 1;
    }
    iam_policy_free(p);
    free(txt);
    return bad;
}

static void test_eval_table(void **state)
{
    (void)state;
    json_t *j = load_cases();
    json_t *cases = json_object_get(j, "eval");
    size_t i, failed = 0;
    json_t *c;
    json_array_foreach(cases, i, c) failed += (size_t)run_case(c);
    fprintf(stderr, "iam eval table: %zu cases, %zu failed\n", json_array_size(cases), failed);
    assert_true(json_array_size(cases) >= 150);
    json_decref(j);
    assert_int_equal(failed, 0);
}

static void test_parse_table(void **state)
{
    (void)state;
    json_t *j = load_cases();
    json_t *cases = json_object_get(j, "parse");
    size_t i, failed = 0;
    json_t *c;
    json_array_foreach(cases, i, c) failed += (size_t)run_parse_case(c);
    fprintf(stderr, "iam parse table: %zu cases, %zu failed\n", json_array_size(cases), failed);
    json_decref(j);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_table),
        cmocka_unit_test(test_parse_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
