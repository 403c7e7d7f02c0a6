/* store/ with the SQLite backend: documents, transactions, listing, audit, reset, reopen.
 * Each test gets a fresh store in its own directory and asserts only on the main thread
 * (cmocka's asserts longjmp, which a worker thread must never do). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "fixture.h"

static char dir[256];
static store *S; /* the current test's store */

static int setup(void **st)
{
    (void)st;
    S = fixture_store_open(dir, sizeof(dir), "store-test");
    return S ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_store_close(S, dir);
}

/* One committed write; 0 or -1. Safe on any thread. */
static int try_put(store *s, const char *acct, const char *id, int v)
{
    ferr e = {0};
    store_txn *t;
    if (store_begin(s, 1, &t, &e)) return -1;
    store_key k = {"thing", acct, "us-east-1", id};
    json_t *d = json_pack("{s:i}", "v", v);
    int rc = d ? store_put(t, &k, d, &e) : -1;
    json_decref(d);
    if (rc) {
        store_rollback(t);
        return -1;
    }
    return store_commit(t, &e);
}

static void put(store *s, const char *acct, const char *id, int v)
{
    assert_int_equal(try_put(s, acct, id, v), 0);
}

static void test_documents(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    put(s, "111111111111", "a", 1);
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    store_key k = {"thing", "111111111111", "us-east-1", "a"};
    json_t *d = NULL;
    assert_int_equal(store_get(t, &k, &d, &e), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "v")), 1);
    json_decref(d);
    json_t *n = json_pack("{s:i}", "v", 2);
    assert_int_equal(store_insert(t, &k, n, &e), 1); /* already there */
    store_key k2 = {"thing", "111111111111", "us-east-1", "b"};
    assert_int_equal(store_insert(t, &k2, n, &e), 0);
    json_decref(n);
    store_key other = {"thing", "222222222222", "us-east-1", "a"};
    assert_int_equal(store_get(t, &other, &d, &e), 0); /* accounts are keys */
    assert_int_equal(store_del(t, &k2, &e), 1);
    assert_int_equal(store_del(t, &k2, &e), 0);
    store_rollback(t);
    /* read-only transactions refuse writes */
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    json_t *x = json_object();
    assert_int_equal(store_put(t, &k, x, &e), -1);
    json_decref(x);
    store_rollback(t);
}

static void test_rollback_discards(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    store_key k = {"thing", "333333333333", "us-east-1", "gone"};
    json_t *d = json_object();
    assert_int_equal(store_put(t, &k, d, &e), 0);
    json_decref(d);
    store_rollback(t);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    assert_int_equal(store_get(t, &k, &d, &e), 0);
    store_rollback(t);
}

/* A read transaction's snapshot is taken at its first statement and held to its end (the
 * SQLite backend takes its connection there too); one that ran no statement commits and
 * rolls back as any other. */
static void test_read_snapshot(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    store_rollback(t);
    store_key k = {"thing", "444444444444", "us-east-1", "x"};
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    put(s, "444444444444", "x", 1); /* after the begin, before the first statement */
    json_t *d = NULL;
    assert_int_equal(store_get(t, &k, &d, &e), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "v")), 1);
    json_decref(d);
    put(s, "444444444444", "x", 2); /* after it: not seen */
    assert_int_equal(store_get(t, &k, &d, &e), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "v")), 1);
    json_decref(d);
    assert_int_equal(store_commit(t, &e), 0);
}

/* Savepoints undo or keep their own part of a write transaction; generations move only
 * when a commit wrote that kind. */
static void test_savepoints_and_generations(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_key a = {"spkind", "444444444444", "us-east-1", "a"},
              b = {"spkind", "444444444444", "us-east-1", "b"};
    uint64_t g0 = store_generation(s, "spkind");
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    json_t *d = json_object();
    assert_false(store_txn_touched(t, "spkind"));
    assert_int_equal(store_savepoint(t, &e), 0);
    assert_int_equal(store_put(t, &a, d, &e), 0);
    assert_true(store_txn_touched(t, "spkind"));
    assert_int_equal(store_savepoint(t, &e), 0); /* nested */
    assert_int_equal(store_put(t, &b, d, &e), 0);
    assert_int_equal(store_savepoint_end(t, 0, &e), 0); /* b undone */
    assert_int_equal(store_savepoint_end(t, 1, &e), 0); /* a kept */
    json_decref(d);
    assert_int_equal(store_generation(s, "spkind"), g0); /* not before the commit */
    assert_int_equal(store_commit(t, &e), 0);
    uint64_t g1 = store_generation(s, "spkind");
    assert_true(g1 != g0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    json_t *x = NULL;
    assert_int_equal(store_get(t, &a, &x, &e), 1);
    json_decref(x);
    assert_int_equal(store_get(t, &b, &x, &e), 0);
    assert_int_equal(store_savepoint(t, &e), -1); /* read-only */
    store_rollback(t);
    /* a rolled-back write and a read do not move it */
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    d = json_object();
    assert_int_equal(store_put(t, &b, d, &e), 0);
    json_decref(d);
    store_rollback(t);
    assert_int_equal(store_generation(s, "spkind"), g1);
    put(s, "444444444444", "other-kind", 1);
    assert_int_equal(store_generation(s, "spkind"), g1);
}

typedef struct seen {
    char ids[16][16];
    int n;
} seen;

static int collect(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    seen *s = ud;
    snprintf(s->ids[s->n++], 16, "%s", k->id);
    return 0;
}

static void test_list(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    const char *ids[] = {"q-1", "q-2", "q-3", "r-1", "z"};
    for (int i = 0; i < 5; i++) put(s, "444444444444", ids[i], i);
    put(s, "555555555555", "q-9", 9);
    store_txn *t;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    seen sn = {0};
    assert_int_equal(
        store_list(t, "thing", "444444444444", "us-east-1", "q-", NULL, 0, collect, &sn, &e), 3);
    assert_string_equal(sn.ids[0], "q-1");
    assert_string_equal(sn.ids[2], "q-3");
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(
        store_list(t, "thing", "444444444444", "us-east-1", NULL, "q-2", 2, collect, &sn, &e), 2);
    assert_string_equal(sn.ids[0], "q-3");
    assert_string_equal(sn.ids[1], "r-1");
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(store_list(t, "thing", NULL, NULL, "q-", NULL, 0, collect, &sn, &e), 4);
    store_rollback(t);
}

/* The documents a listing gave, as their compact text, each followed by a space. */
typedef struct texts {
    char s[1024];
} texts;

static int collect_text(void *ud, const store_key *k, json_t *doc)
{
    texts *x = ud;
    char *d = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    size_t at = strlen(x->s);
    snprintf(x->s + at, sizeof(x->s) - at, "%s=%s ", k->id, d ? d : "?");
    free(d);
    return 0;
}

/* A listing of some fields gives each document's values of them as they are (reals and
 * escaped strings to the letter), perhaps without the rest; a name that is not a plain
 * identifier lists whole documents. */
static void test_list_fields(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    const char *docs[] = {
        "{\"LastModified\":1796539048.123456,\"ETag\":\"\\\"abc\\\"\",\"Size\":12345678901,"
        "\"Extra\":{\"deep\":[1,2]},\"Tags\":\"é\\u0001\"}",
        "{\"Size\":0}", "{\"Size\":null,\"Other\":true}"};
    for (int i = 0; i < 3; i++) {
        store_key k = {"fld", "666666666666", "us-east-1", i == 0 ? "a" : i == 1 ? "b" : "c"};
        json_t *d = json_loads(docs[i], 0, NULL);
        assert_non_null(d);
        assert_int_equal(store_put(t, &k, d, &e), 0);
        json_decref(d);
    }
    assert_int_equal(store_commit(t, &e), 0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    const char *want[] = {"LastModified", "ETag", "Size", "Tags", NULL};
    texts x = {""};
    assert_int_equal(store_list_fields(t, "fld", "666666666666", "us-east-1", NULL, NULL, 0, want,
                                       collect_text, &x, &e),
                     3);
    /* each field as stored, the others perhaps gone, a null or absent one perhaps null */
    json_t *a = NULL;
    char *sp = strchr(x.s, ' ');
    assert_non_null(sp);
    *sp = 0;
    a = json_loads(x.s + 2, 0, NULL);
    assert_non_null(a);
    assert_true(json_real_value(json_object_get(a, "LastModified")) == 1796539048.123456);
    assert_string_equal(json_string_value(json_object_get(a, "ETag")), "\"abc\"");
    assert_int_equal(json_integer_value(json_object_get(a, "Size")), 12345678901LL);
    assert_string_equal(json_string_value(json_object_get(a, "Tags")), "é\x01");
    json_decref(a);
    assert_non_null(strstr(sp + 1, "b={"));
    assert_non_null(strstr(sp + 1, "c={"));
    /* not a plain name: whole documents */
    const char *odd[] = {"Size", "a.b", NULL};
    memset(&x, 0, sizeof(x));
    assert_int_equal(store_list_fields(t, "fld", "666666666666", "us-east-1", "a", NULL, 0, odd,
                                       collect_text, &x, &e),
                     1);
    assert_non_null(strstr(x.s, "\"Extra\":{\"deep\":[1,2]}"));
    /* more names than one statement holds: whole documents, not a cut statement */
    static char names[400][16];
    const char *many[401];
    for (int i = 0; i < 400; i++) {
        snprintf(names[i], sizeof(names[i]), "Field%d", i);
        many[i] = names[i];
    }
    many[400] = NULL;
    memset(&x, 0, sizeof(x));
    assert_int_equal(store_list_fields(t, "fld", "666666666666", "us-east-1", "a", NULL, 0, many,
                                       collect_text, &x, &e),
                     1);
    assert_non_null(strstr(x.s, "\"Extra\":{\"deep\":[1,2]}"));
    store_rollback(t);
}

/* The ids a listing gave, each followed by a space. */
typedef struct joined {
    char s[256];
} joined;

static int join_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    joined *j = ud;
    size_t n = strlen(j->s);
    snprintf(j->s + n, sizeof(j->s) - n, "%s ", k->id);
    return 0;
}

static const char *listed(store_txn *t, const char *acct, const char *region, const char *prefix,
                          const char *after, int limit, joined *j)
{
    ferr e = {0};
    memset(j->s, 0, sizeof(j->s));
    int n = store_list(t, "thing", acct, region, prefix, after, limit, join_cb, j, &e);
    assert_true(n >= 0);
    return j->s;
}

/* A prefix and an `after` are an id range: the same rows as a byte-prefix test, at every
 * edge of the bound computed from the prefix (0xff bytes, multibyte UTF-8, empty). */
/* The UTF-8 edges on every backend: prefixes and `after` bounds past a prefix ("b/\xff", as
 * S3 skips a common prefix), with multibyte characters and the last code point. */
static void test_list_utf8_bounds(void **st)
{
    (void)st;
    const char *ids[] = {"b",
                         "b/",
                         "b/c",
                         "b0",
                         "c",
                         "\xc3\xa9",
                         "\xc3\xa9z",
                         "\xc3\xaa",
                         "\xf4\x8f\xbf\xbf",
                         "\xf4\x8f\xbf\xbfz"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) put(S, "444444444444", ids[i], 1);
    ferr e = {0};
    store_txn *t;
    joined j = {0};
    const char *A = "444444444444", *R = "us-east-1";
    assert_int_equal(store_begin(S, 0, &t, &e), 0);
    assert_string_equal(listed(t, A, R, NULL, "b/\xff", 3, &j), "b0 c \xc3\xa9 ");
    assert_string_equal(listed(t, A, R, "b", "b/\xff", 0, &j), "b0 ");
    assert_string_equal(listed(t, A, R, "\xc3\xa9", NULL, 0, &j), "\xc3\xa9 \xc3\xa9z ");
    assert_string_equal(listed(t, A, R, NULL, "\xc3\xa9\xff", 0, &j),
                        "\xc3\xaa \xf4\x8f\xbf\xbf \xf4\x8f\xbf\xbfz ");
    assert_string_equal(listed(t, A, R, "\xf4\x8f\xbf\xbf", NULL, 0, &j),
                        "\xf4\x8f\xbf\xbf \xf4\x8f\xbf\xbfz ");
    assert_string_equal(listed(t, A, R, NULL, "\xf4\x8f\xbf\xbf\xff", 0, &j), "");
    store_rollback(t);
}

static void test_list_ranges(void **st)
{
    (void)st;
    if (fixture_pg()) skip(); /* ids that are not UTF-8: PostgreSQL's text refuses them */
    const char *ids[] = {"a",        "a\xff", "a\xff\xff", "a\xffz",   "b",
                         "b/",       "b/c",   "b0",        "\xc3\xa9", "\xc3\xa9z",
                         "\xc3\xaa", "\xff",  "\xff\xff",  "\xffz",    "c"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) put(S, "444444444444", ids[i], 1);
    put(S, "555555555555", "b/x", 1);
    ferr e = {0};
    store_txn *t;
    joined j = {0};
    const char *A = "444444444444", *R = "us-east-1";
    assert_int_equal(store_begin(S, 0, &t, &e), 0);
    assert_string_equal(
        listed(t, A, R, "", NULL, 0, &j),
        "a a\xff a\xffz a\xff\xff b b/ b/c b0 c \xc3\xa9 \xc3\xa9z \xc3\xaa \xff \xffz \xff\xff ");
    assert_string_equal(listed(t, A, R, "a\xff", NULL, 0, &j), "a\xff a\xffz a\xff\xff ");
    assert_string_equal(listed(t, A, R, "a\xff\xff", NULL, 0, &j), "a\xff\xff ");
    assert_string_equal(listed(t, A, R, "\xff", NULL, 0, &j), "\xff \xffz \xff\xff ");
    assert_string_equal(listed(t, A, R, "\xff\xff", NULL, 0, &j), "\xff\xff ");
    assert_string_equal(listed(t, A, R, "\xc3\xa9", NULL, 0, &j), "\xc3\xa9 \xc3\xa9z ");
    /* a prefix ending inside a UTF-8 character is bytes too (SQLite's substr counted characters) */
    assert_string_equal(listed(t, A, R, "\xc3", NULL, 0, &j), "\xc3\xa9 \xc3\xa9z \xc3\xaa ");
    assert_string_equal(listed(t, A, R, "b/", NULL, 0, &j), "b/ b/c ");
    assert_string_equal(listed(t, A, R, "zz", NULL, 0, &j), "");
    /* after below the prefix: from the prefix; inside it: after it; beyond it: nothing */
    assert_string_equal(listed(t, A, R, "b", "a\xff", 0, &j), "b b/ b/c b0 ");
    assert_string_equal(listed(t, A, R, "b", "b/", 0, &j), "b/c b0 ");
    assert_string_equal(listed(t, A, R, "b", "b/\xff", 0, &j), "b0 ");
    assert_string_equal(listed(t, A, R, "b", "b0", 0, &j), "");
    assert_string_equal(listed(t, A, R, "b", "c", 0, &j), "");
    assert_string_equal(listed(t, A, R, "\xff", "\xff", 0, &j), "\xffz \xff\xff ");
    assert_string_equal(listed(t, A, R, NULL, "\xc3\xaa", 0, &j), "\xff \xffz \xff\xff ");
    assert_string_equal(listed(t, A, R, "", "c", 2, &j), "\xc3\xa9 \xc3\xa9z ");
    /* any account or region: ordered by account, then id */
    assert_string_equal(listed(t, NULL, NULL, "b/", NULL, 0, &j), "b/ b/c b/x ");
    assert_string_equal(listed(t, NULL, R, "b/", "b/", 0, &j), "b/c b/x ");
    assert_string_equal(listed(t, A, NULL, "b/", NULL, 0, &j), "b/ b/c ");
    assert_string_equal(listed(t, A, "eu-west-1", "b/", NULL, 0, &j), "");
    store_rollback(t);
}

/* store_range: bounds open or closed on each side, both directions, a limit. */
static void test_range(void **st)
{
    (void)st;
    const char *ids[] = {"t/a", "t/b", "t/c", "t/d", "u/a"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) put(S, "444444444444", ids[i], 1);
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, 0, &t, &e), 0);
    joined j = {0};
    store_range_q q = {.lo = "t/b", .hi = "t/d", .lo_incl = 1};
    assert_int_equal(store_range(t, "thing", "444444444444", "us-east-1", &q, join_cb, &j, &e), 2);
    assert_string_equal(j.s, "t/b t/c ");
    memset(&j, 0, sizeof(j));
    q = (store_range_q){.lo = "t/", .hi = "t/c", .hi_incl = 1, .desc = 1, .limit = 2};
    assert_int_equal(store_range(t, "thing", "444444444444", "us-east-1", &q, join_cb, &j, &e), 2);
    assert_string_equal(j.s, "t/c t/b ");
    memset(&j, 0, sizeof(j));
    q = (store_range_q){.lo = "t/d"};
    assert_int_equal(store_range(t, "thing", NULL, NULL, &q, join_cb, &j, &e), 1);
    assert_string_equal(j.s, "u/a ");
    store_rollback(t);
}

typedef struct nest {
    store_txn *t;
    int outer, inner;
} nest;

static int count_one(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    (void)doc;
    (*(int *)ud)++;
    return 0;
}

static int nest_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    (void)doc;
    nest *n = ud;
    ferr e = {0};
    n->outer++;
    return store_list(n->t, "thing", "444444444444", "us-east-1", "q-", NULL, 0, count_one,
                      &n->inner, &e) != 3;
}

/* A callback may list again, with the same filters, while its listing is stepping. */
static void test_list_nested(void **st)
{
    (void)st;
    for (int i = 0; i < 3; i++) put(S, "444444444444", i ? i > 1 ? "q-3" : "q-2" : "q-1", i);
    ferr e = {0};
    nest n = {0};
    assert_int_equal(store_begin(S, 0, &n.t, &e), 0);
    assert_int_equal(
        store_list(n.t, "thing", "444444444444", "us-east-1", "q-", NULL, 0, nest_cb, &n, &e), 3);
    assert_int_equal(n.outer, 3);
    assert_int_equal(n.inner, 9);
    store_rollback(n.t);
}

static int count_cb(void *ud, int64_t seq, const audit_rec *r)
{
    (void)seq;
    int *n = ud;
    (*n)++;
    assert_non_null(r->operation);
    return 0;
}

static void test_audit(void **st)
{
    (void)st;
    store *s = S;
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    for (int i = 0; i < 5; i++) {
        audit_rec r = {.time = 1000 + i,
                       .event_id = "e",
                       .account = "666666666666",
                       .region = i < 4 ? "us-east-1" : "eu-west-1",
                       .operation = i % 2 ? "ListAccounts" : "GetCallerIdentity",
                       .read_only = 1,
                       .status = 200,
                       .resources =
                           i == 3 ? "[{\"ResourceType\":\"T\",\"ResourceName\":\"n\"}]" : NULL};
        assert_int_equal(store_audit_append(t, &r, &e), 0);
    }
    assert_int_equal(store_commit(t, &e), 0);
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    int n = 0;
    audit_query q = {.account = "666666666666", .region = "us-east-1"};
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 4);
    q.attr_key = "EventName";
    q.attr_value = "ListAccounts";
    n = 0;
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 2);
    q.attr_key = "ResourceName";
    q.attr_value = "n";
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 1);
    q.attr_key = NULL;
    q.start = 1001;
    q.end = 1002;
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), 2);
    q.attr_key = "Bogus";
    q.attr_value = "x";
    assert_int_equal(store_audit_query(t, &q, count_cb, &n, &e), -1);
    assert_string_equal(e.code, "InvalidLookupAttributesException");
    store_rollback(t);
}

static int count_docs(void *ud, const store_key *k, json_t *doc)
{
    (void)k, (void)doc;
    (*(int *)ud)++;
    return 0;
}

static int count_things(store *s, const char *acct)
{
    ferr e = {0};
    store_txn *t;
    int n = 0;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    int rc = store_list(t, "thing", acct, NULL, NULL, NULL, 0, count_docs, &n, &e);
    store_rollback(t);
    assert_int_equal(rc, n);
    return n;
}

typedef struct worker {
    store *s;
    int id;
    int failed; /* out: writes that did not commit (the main thread asserts) */
} worker;

static void *writer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof(id), "w%d-%d", w->id, i);
        if (try_put(w->s, "777777777777", id, i)) w->failed++;
    }
    return NULL;
}

static void test_concurrent_writers(void **st)
{
    (void)st;
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){S, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 4; i++) assert_int_equal(w[i].failed, 0);
    assert_int_equal(count_things(S, "777777777777"), 200); /* every write landed */
}

/* ---- group commit (store_commit_group) ---- */
typedef struct grouped {
    store *s;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stage; /* 1: the first writer holds the lock, "a" written; 2: it may commit */
    int rc;    /* its store_commit_group's */
} grouped;

static void stage_set(grouped *g, int stage)
{
    pthread_mutex_lock(&g->mu);
    g->stage = stage;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void stage_wait(grouped *g, int stage)
{
    pthread_mutex_lock(&g->mu);
    while (g->stage < stage) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static const store_key ga = {"grp", "555555555555", "us-east-1", "a"},
                       gb = {"grp", "555555555555", "us-east-1", "b"};

static void *first_writer(void *arg)
{
    grouped *g = arg;
    ferr e = {0};
    store_txn *t;
    g->rc = -1;
    if (store_begin(g->s, STORE_WRITE_GROUP, &t, &e)) {
        stage_set(g, 2);
        return NULL;
    }
    json_t *d = json_object();
    int rc = store_put(t, &ga, d, &e);
    json_decref(d);
    stage_set(g, 1);
    stage_wait(g, 2);
    if (rc)
        store_rollback(t);
    else
        g->rc = store_commit_group(t, &e);
    return NULL;
}

/* lets the first writer commit once the main thread waits for the write lock */
static void *releaser(void *arg)
{
    usleep(100 * 1000);
    stage_set(arg, 2);
    return NULL;
}

static int visible(store *s, const store_key *k)
{
    ferr e = {0};
    store_txn *t;
    json_t *x = NULL;
    if (store_begin(s, 0, &t, &e)) return -1;
    int rc = store_get(t, k, &x, &e);
    json_decref(x);
    store_rollback(t);
    return rc;
}

/* A writer that ends while another waits for the lock leaves its work to be committed with
 * that one's if it too commits as a group (STORE_WRITE_GROUP): the next sees it (and counts
 * its kind as touched) before it is committed, a reader does not, and the next one's
 * rollback undoes only its own work. Any other writer begins after the group's commit. */
static void group_commit_with(int mode)
{
    grouped g = {.s = S, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    ferr e = {0};
    store_txn *t;
    json_t *x = NULL, *d = json_object();
    assert_int_equal(store_begin(S, 1, &t, &e), 0); /* a clean start: neither exists */
    assert_true(store_del(t, &ga, &e) >= 0 && store_del(t, &gb, &e) >= 0);
    assert_int_equal(store_commit(t, &e), 0);
    uint64_t g0 = store_generation(S, "grp");
    pthread_t w, r;
    assert_int_equal(pthread_create(&w, NULL, first_writer, &g), 0);
    stage_wait(&g, 1);
    assert_int_equal(pthread_create(&r, NULL, releaser, &g), 0);
    assert_int_equal(store_begin(S, mode, &t, &e), 0); /* waits for the first writer's end */
    assert_int_equal(store_get(t, &ga, &x, &e), 1);
    json_decref(x);
    int shared = mode == STORE_WRITE_GROUP && !fixture_pg(); /* PostgreSQL commits each */
    assert_int_equal(store_txn_touched(t, "grp"), shared);
    assert_int_equal(visible(S, &ga), !shared);
    assert_int_equal(store_generation(S, "grp") == g0, shared);
    assert_int_equal(store_put(t, &gb, d, &e), 0);
    json_decref(d);
    store_rollback(t); /* nobody waits now: the group commits */
    assert_int_equal(pthread_join(w, NULL), 0);
    assert_int_equal(pthread_join(r, NULL), 0);
    assert_int_equal(g.rc, 0);
    assert_int_equal(visible(S, &ga), 1);
    assert_int_equal(visible(S, &gb), 0);
    assert_true(store_generation(S, "grp") != g0);
}

static void test_group_commit(void **st)
{
    (void)st;
    group_commit_with(STORE_WRITE_GROUP);
    group_commit_with(1);
    /* with nobody waiting a group commit is a commit */
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, STORE_WRITE_GROUP, &t, &e), 0);
    assert_false(store_txn_touched(t, "grp"));
    json_t *d = json_object();
    assert_int_equal(store_put(t, &gb, d, &e), 0);
    json_decref(d);
    assert_int_equal(store_commit_group(t, &e), 0);
    assert_int_equal(visible(S, &gb), 1);
}

#define GROUPERS   8
#define GROUP_TXNS 100

static void *grouper(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < GROUP_TXNS; i++) {
        ferr e = {0};
        store_txn *t;
        char id[32];
        snprintf(id, sizeof(id), "g%d-%d", w->id, i);
        store_key k = {"thing", "666666666666", "us-east-1", id};
        /* one writer in four does not group: it begins after any open group commits */
        if (store_begin(w->s, w->id % 4 ? STORE_WRITE_GROUP : 1, &t, &e)) {
            w->failed++;
            continue;
        }
        json_t *d = json_pack("{s:i}", "v", i);
        int rc = d ? store_put(t, &k, d, &e) : -1;
        json_decref(d);
        if (rc || i % 5 == 4) { /* every fifth is undone, inside whatever group it is in */
            store_rollback(t);
            w->failed += rc != 0;
            continue;
        }
        /* what a group commit returned for is there for any reader at once */
        if (store_commit_group(t, &e) || visible(w->s, &k) != 1) w->failed++;
    }
    return NULL;
}

static void test_group_commit_concurrent(void **st)
{
    (void)st;
    pthread_t th[GROUPERS];
    worker w[GROUPERS];
    for (int i = 0; i < GROUPERS; i++) {
        w[i] = (worker){S, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, grouper, &w[i]), 0);
    }
    for (int i = 0; i < GROUPERS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < GROUPERS; i++) assert_int_equal(w[i].failed, 0);
    assert_int_equal(count_things(S, "666666666666"), GROUPERS * GROUP_TXNS * 4 / 5);
}

static void test_reopen_and_reset(void **st)
{
    (void)st;
    ferr e = {0};
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof(id), "r-%d", i);
        put(S, "888888888888", id, i);
    }
    assert_int_equal(count_things(S, "888888888888"), 20);
    store_close(S);
    S = store_open(fixture_location(dir), STORE_SYNC_FULL, &e); /* durable across close/open */
    assert_non_null(S);
    assert_true(store_schema_version(S) >= 1);
    assert_non_null(strstr(store_describe(S), fixture_pg() ? "postgresql://" : "sqlite:"));
    assert_int_equal(count_things(S, "888888888888"), 20);
    assert_int_equal(store_reset(S, &e), 0);
    assert_int_equal(count_things(S, NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_documents),
        T(test_rollback_discards),
        T(test_read_snapshot),
        T(test_list),
        T(test_list_fields),
        T(test_list_ranges),
        T(test_list_utf8_bounds),
        T(test_range),
        T(test_list_nested),
        T(test_audit),
        T(test_concurrent_writers),
        T(test_group_commit),
        T(test_group_commit_concurrent),
        T(test_reopen_and_reset),
        T(test_savepoints_and_generations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
