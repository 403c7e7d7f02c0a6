/* The audit trail in the SQLite store: LookupEvents' listing (every attribute, time ranges,
 * keyset pages), retention by age and by count (one step at a time and in the background),
 * an event's additionalEventData, and the migration of a trail written by the schema before
 * its indexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "store/store.h"
#include "fixture.h"

#define ACCT "111111111111"

static char dir[256];
static store *S;

static long long filters(const char *where);

static int setup(void **st)
{
    (void)st;
    S = fixture_store_open(dir, sizeof(dir), "audit-test");
    return S ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    return fixture_store_close(S, dir);
}

/* Event i of a synthetic trail: attributes cycle with different periods, and times repeat
 * in pairs (two events per time), so a page boundary falls inside a run of equal times. */
static audit_rec event(int i, double t0, char *idbuf, char *resbuf)
{
    static const char *ops[] = {"SendMessage", "CreateQueue", "GetCallerIdentity"};
    static const char *users[] = {"alice", "bob"};
    static const char *srcs[] = {"sqs.amazonaws.com", "sts.amazonaws.com"};
    static const char *keys[] = {"AKIAAAAAAAAAAAAAAAAA", "AKIABBBBBBBBBBBBBBBB",
                                 "AKIACCCCCCCCCCCCCCCC"};
    sprintf(idbuf, "ev-%d", i);
    /* every third event names two resources, one of them twice (it is one match) */
    if (i % 3 == 0)
        sprintf(resbuf,
                "[{\"ResourceType\":\"AWS::SQS::Queue\",\"ResourceName\":\"q%d\"},"
                "{\"ResourceType\":\"AWS::SQS::Queue\",\"ResourceName\":\"q%d\"},"
                "{\"ResourceType\":\"AWS::IAM::User\",\"ResourceName\":\"shared\"}]",
                i % 4, i % 4);
    /* most give them as names too (as svc_audit does), after the text in resbuf; every
     * ninth only as text, which no filter is built from: its block is read back */
    char *names = NULL;
    size_t nl = 0;
    if (i % 3 == 0 && (i % 9 || i < 256 || i >= 512)) {
        names = resbuf + strlen(resbuf) + 1;
        char q[8];
        sprintf(q, "q%d", i % 4);
        const char *parts[] = {"AWS::SQS::Queue", q,       "AWS::SQS::Queue", q,
                               "AWS::IAM::User",  "shared"};
        for (int k = 0; k < 6; k++) {
            memcpy(names + nl, parts[k], strlen(parts[k]) + 1);
            nl += strlen(parts[k]) + 1;
        }
    }
    return (audit_rec){.time = t0 + i / 2,
                       .event_id = idbuf,
                       .account = i % 5 == 4 ? "222222222222" : ACCT,
                       .region = i % 7 == 6 ? "eu-west-1" : "us-east-1",
                       .username = users[i % 2],
                       .access_key = keys[i % 3],
                       .event_source = srcs[i % 2],
                       .operation = ops[i % 3],
                       .read_only = i % 4 == 0,
                       .status = 200,
                       .resources = i % 3 == 0 ? resbuf : NULL,
                       .resource_names = names,
                       .resource_names_len = nl};
}

/* Events from..to-1 in one transaction: in runs of up to 97 alternately one at a time and
 * as one store_audit_append_many (the trail's group commit), so every listing below sees
 * both paths' rows. */
static void append(store *s, int from, int to, double t0)
{
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    static char ids[97][32], res[97][300];
    audit_rec recs[97];
    const audit_rec *ptrs[97];
    for (int i = from, run = 0; i < to; run++) {
        int n = 0;
        for (; n < 97 && i < to; n++, i++) {
            recs[n] = event(i, t0, ids[n], res[n]);
            ptrs[n] = &recs[n];
            if (run % 2 == 0) assert_int_equal(store_audit_append(t, &recs[n], &e), 0);
        }
        if (run % 2) assert_int_equal(store_audit_append_many(t, ptrs, (size_t)n, &e), 0);
    }
    assert_int_equal(store_commit(t, &e), 0);
}

typedef struct seen {
    int n;
    int64_t seq[8192];
    double time[8192];
} seen;

static int seen_cb(void *ud, int64_t seq, const audit_rec *r)
{
    seen *s = ud;
    if (s->n < 8192) {
        s->seq[s->n] = seq;
        s->time[s->n] = r->time;
    }
    s->n++;
    return 0;
}

/* Every event of q in pages of `page`, each page starting below the last row of the one
 * before; checks the order is strictly descending by (time, seq). Returns the count. */
static int page_through(store *s, audit_query q, int page)
{
    ferr e = {0};
    store_txn *t;
    static seen all;
    all.n = 0;
    q.limit = page;
    assert_int_equal(store_begin(s, 0, &t, &e), 0);
    for (;;) {
        seen p = {0};
        int n = store_audit_query(t, &q, seen_cb, &p, &e);
        assert_int_equal(n, p.n);
        assert_true(all.n + n <= 8192);
        for (int i = 0; i < n; i++) {
            all.seq[all.n] = p.seq[i];
            all.time[all.n++] = p.time[i];
        }
        if (n < page) break;
        q.before_seq = p.seq[n - 1];
        q.before_time = p.time[n - 1];
    }
    store_rollback(t);
    for (int i = 1; i < all.n; i++)
        assert_true(all.time[i] < all.time[i - 1] ||
                    (all.time[i] == all.time[i - 1] && all.seq[i] < all.seq[i - 1]));
    return all.n;
}

/* What the listing of events from..n-1 must hold: the same filter, by brute force. */
static int expected_from(int from, int n, double t0, const audit_query *q)
{
    int count = 0;
    for (int i = from; i < n; i++) {
        char id[32], res[300];
        audit_rec r = event(i, t0, id, res);
        if (strcmp(r.account, q->account) || (q->region && strcmp(r.region, q->region))) continue;
        if ((q->start && r.time < q->start) || (q->end && r.time > q->end)) continue;
        const char *k = q->attr_key, *v = q->attr_value;
        int match = !k || (!strcmp(k, "EventId") && !strcmp(r.event_id, v)) ||
                    (!strcmp(k, "EventName") && !strcmp(r.operation, v)) ||
                    (!strcmp(k, "ReadOnly") && r.read_only == !strcmp(v, "true")) ||
                    (!strcmp(k, "Username") && !strcmp(r.username, v)) ||
                    (!strcmp(k, "EventSource") && !strcmp(r.event_source, v)) ||
                    (!strcmp(k, "AccessKeyId") && !strcmp(r.access_key, v));
        if (r.resources &&
            (!strcmp(k ? k : "", "ResourceType") || !strcmp(k ? k : "", "ResourceName"))) {
            char needle[100];
            snprintf(needle, sizeof(needle), "\"%s\":\"%s\"", k, v);
            match = strstr(r.resources, needle) != NULL;
        }
        count += match;
    }
    return count;
}

static int expected(int n, double t0, const audit_query *q)
{
    return expected_from(0, n, t0, q);
}

static void test_lookup_pages_every_attribute(void **st)
{
    (void)st;
    const int n = 400;
    const double t0 = 1.7e9;
    append(S, 0, n, t0);
    static const char *const attrs[][2] = {
        {NULL, NULL},
        {"EventId", "ev-42"},
        {"EventName", "CreateQueue"},
        {"ReadOnly", "true"},
        {"ReadOnly", "false"},
        {"Username", "bob"},
        {"EventSource", "sts.amazonaws.com"},
        {"AccessKeyId", "AKIACCCCCCCCCCCCCCCC"},
        {"ResourceType", "AWS::SQS::Queue"},
        {"ResourceType", "AWS::IAM::User"},
        {"ResourceName", "q2"},
        {"ResourceName", "shared"},
        {"EventName", "NoSuchThing"},
    };
    for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
        audit_query q = {.account = ACCT,
                         .region = "us-east-1",
                         .attr_key = attrs[a][0],
                         .attr_value = attrs[a][1]};
        int want = expected(n, t0, &q);
        assert_true(want > 0 || a == sizeof(attrs) / sizeof(attrs[0]) - 1);
        for (int page = 1; page <= 50; page += 7) assert_int_equal(page_through(S, q, page), want);
        /* a time range, its ends inclusive */
        q.start = t0 + 20;
        q.end = t0 + 120;
        assert_int_equal(page_through(S, q, 7), expected(n, t0, &q));
        q.start = 0;
        assert_int_equal(page_through(S, q, 9), expected(n, t0, &q));
        /* every region of the account (not what LookupEvents asks, but the store allows it) */
        q.region = NULL;
        assert_int_equal(page_through(S, q, 11), expected(n, t0, &q));
    }
}

static int count_all(store *s, const char *attr, const char *value)
{
    audit_query q = {.account = ACCT, .region = "us-east-1", .attr_key = attr, .attr_value = value};
    return page_through(s, q, 50);
}

static long long trim(store *s, double before, long long max_events, int limit)
{
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(s, 1, &t, &e), 0);
    long long n = store_audit_trim(t, before, max_events, limit, &e);
    assert_true(n >= 0);
    assert_int_equal(store_commit(t, &e), 0);
    return n;
}

static void test_retention_by_age(void **st)
{
    (void)st;
    double now = clock_now(), old = now - 100 * 86400.0;
    append(S, 0, 300, old); /* 100 days old (times old .. old+150 s) */
    int aged = count_all(S, NULL, NULL);
    append(S, 300, 600, now - 300); /* five minutes old */
    int before = count_all(S, NULL, NULL), res = count_all(S, "ResourceName", "shared");
    assert_true(res > 0);
    /* one step deletes at most limit events, oldest first */
    assert_int_equal(trim(S, now - 90 * 86400.0, 0, 120), 120);
    assert_int_equal(trim(S, now - 90 * 86400.0, 0, 120), 120);
    assert_int_equal(trim(S, now - 90 * 86400.0, 0, 120), 60);
    assert_int_equal(trim(S, now - 90 * 86400.0, 0, 120), 0);
    assert_int_equal(count_all(S, NULL, NULL), before - aged);
    /* the resource rows of deleted events went with them */
    audit_query q = {.account = ACCT,
                     .region = "us-east-1",
                     .attr_key = "ResourceName",
                     .attr_value = "shared",
                     .start = now - 3600};
    assert_int_equal(count_all(S, "ResourceName", "shared"), page_through(S, q, 50));
    assert_true(count_all(S, "ResourceName", "shared") < res);
}

static void test_retention_by_count(void **st)
{
    (void)st;
    append(S, 0, 1000, clock_now() - 600);
    assert_int_equal(trim(S, 0, 250, 500), 500);
    assert_int_equal(trim(S, 0, 250, 500), 250);
    assert_int_equal(trim(S, 0, 250, 500), 0);
    /* the newest 250 stay: events 750..999 */
    audit_query q = {.account = ACCT,
                     .region = "us-east-1",
                     .attr_key = "EventId",
                     .attr_value = "ev-745"}; /* deleted (749 is another account's) */
    assert_int_equal(page_through(S, q, 5), 0);
    q.attr_value = "ev-750";
    assert_int_equal(page_through(S, q, 5), 1);
    q.attr_value = "ev-998"; /* (999 is another account's) */
    assert_int_equal(page_through(S, q, 5), 1);
}

/* The store enforces the retention by itself: prove the bound is reached (no sleep is
 * asserted: the deadline is only a guard against a retention that never runs). */
static void test_background_retention(void **st)
{
    (void)st;
    store_audit_retention(S, &(store_retention){.max_age = 90 * 86400.0, .max_events = 300});
    double t0 = clock_now() - 60;
    for (int i = 0; i < 10; i++) append(S, i * 500, i * 500 + 500, t0);
    /* the newest 300 of all accounts and regions stay; this account's us-east-1 has some */
    audit_query all = {.account = ACCT, .region = "us-east-1"};
    int want = expected_from(5000 - 300, 5000, t0, &all), n;
    double deadline = clock_now() + 60;
    while ((n = count_all(S, NULL, NULL)) > want && clock_now() < deadline)
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    assert_int_equal(n, want);
    /* and old events go by age (arrival order: the old ones first, as a clock makes them) */
    ferr e = {0};
    assert_int_equal(store_reset(S, &e), 0);
    store_audit_retention(S, &(store_retention){.max_age = 3600});
    append(S, 0, 50, clock_now() - 7200);
    append(S, 50, 100, clock_now() - 100);
    audit_query old = {.account = ACCT, .region = "us-east-1", .end = clock_now() - 3600};
    deadline = clock_now() + 60;
    while ((n = page_through(S, old, 50)) > 0 && clock_now() < deadline)
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    assert_int_equal(n, 0);
    assert_int_equal(count_all(S, NULL, NULL), expected_from(50, 100, clock_now() - 100, &all));
}

/* A data directory written before the audit indexes (schema 2) migrates: its events are
 * found by every attribute, its resources included. */
static void test_migrates_old_trail(void **st)
{
    (void)st;
    if (fixture_pg()) skip(); /* SQLite's own history */
    store_close(S);
    S = NULL;
    char path[300];
    snprintf(path, sizeof(path), "%s/ferry.db", dir);
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* schema 2 as released, written out (not taken from sqlite.c: this is what old data
     * directories hold, whatever the migrations become) */
    const char *v2 =
        "CREATE TABLE docs(kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,"
        " id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(kind, account, region, id))"
        " WITHOUT ROWID;"
        "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
        " event_id TEXT, request_id TEXT, account TEXT, region TEXT, principal_arn TEXT,"
        " principal_type TEXT, username TEXT, access_key TEXT, service TEXT, event_source TEXT,"
        " operation TEXT, source_ip TEXT, user_agent TEXT, read_only INTEGER, status INTEGER,"
        " error_code TEXT, error_message TEXT, resources TEXT);"
        "CREATE INDEX audit_account_time ON audit(account, time);"
        "CREATE TABLE mq(seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,"
        " id TEXT NOT NULL, grp TEXT NOT NULL, sent_at REAL NOT NULL, visible_at REAL NOT NULL,"
        " expires_at REAL NOT NULL, receives INTEGER NOT NULL, first_receive REAL NOT NULL,"
        " receipt TEXT NOT NULL, doc TEXT NOT NULL);"
        "CREATE INDEX mq_visible ON mq(queue, visible_at);"
        "CREATE INDEX mq_order ON mq(queue, seq, visible_at, grp) WHERE grp<>'';"
        "CREATE INDEX mq_group ON mq(queue, grp, visible_at) WHERE grp<>'';"
        "CREATE TABLE mq_keys(queue TEXT NOT NULL, key TEXT NOT NULL, expires_at REAL NOT NULL,"
        " value TEXT, num INTEGER, PRIMARY KEY(queue, key)) WITHOUT ROWID;"
        "CREATE INDEX mq_keys_expiry ON mq_keys(queue, expires_at);"
        "INSERT INTO audit(time, event_id, account, region, operation, read_only, resources)"
        " VALUES(1000, 'a', '" ACCT "', 'us-east-1', 'CreateQueue', 0,"
        " '[{\"ResourceType\":\"AWS::SQS::Queue\",\"ResourceName\":\"old\"}]'),"
        " (1001, 'b', '" ACCT "', 'us-east-1', 'ListQueues', 1, 'not json'),"
        " (1002, 'c', '" ACCT "', 'us-east-1', 'ListQueues', 1, '[1, \"x\", {}]');"
        "PRAGMA user_version=2;";
    assert_int_equal(sqlite3_exec(db, v2, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ferr e = {0};
    S = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(S);
    assert_int_equal(store_schema_version(S), 6);
    assert_int_equal(count_all(S, NULL, NULL), 3);
    assert_int_equal(count_all(S, "ResourceName", "old"), 1);
    assert_int_equal(count_all(S, "ResourceType", "AWS::SQS::Queue"), 1);
    assert_int_equal(count_all(S, "ReadOnly", "true"), 2);
    /* a new event whose resources are not an array of objects is still recorded */
    ferr e2 = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, 1, &t, &e2), 0);
    audit_rec r = {.time = 1003,
                   .account = ACCT,
                   .region = "us-east-1",
                   .operation = "X",
                   .resources = "{\"ResourceName\":\"x\"}"};
    assert_int_equal(store_audit_append(t, &r, &e2), 0);
    r.resources = "[[1], null, \"s\"";
    assert_int_equal(store_audit_append(t, &r, &e2), 0);
    /* values as json_extract gave them to the trigger that wrote these rows before schema 5 */
    r.resources = "[{\"ResourceType\":\"T\",\"ResourceName\":12},{\"ResourceName\":null},"
                  "{\"ResourceName\":\"y\"}]";
    assert_int_equal(store_audit_append(t, &r, &e2), 0);
    assert_int_equal(store_commit(t, &e2), 0);
    assert_int_equal(count_all(S, "EventName", "X"), 3);
    assert_int_equal(count_all(S, "ResourceName", "x"), 0);
    assert_int_equal(count_all(S, "ResourceName", "12"), 1);
    assert_int_equal(count_all(S, "ResourceName", "y"), 1);
    assert_int_equal(count_all(S, "ResourceType", "T"), 1);
    /* the same once their block is whole and has its filter (values as the lookups compare
     * them: the number 12 as the text "12") */
    assert_int_equal(store_begin(S, 1, &t, &e2), 0);
    audit_rec filler = {.time = 1004, .account = ACCT, .region = "us-east-1", .operation = "F"};
    for (int i = 0; i < 300; i++) assert_int_equal(store_audit_append(t, &filler, &e2), 0);
    assert_int_equal(store_commit(t, &e2), 0);
    assert_int_equal(filters("WHERE blk=0"), 1);
    assert_int_equal(count_all(S, "ResourceName", "old"), 1);
    assert_int_equal(count_all(S, "ResourceName", "x"), 0);
    assert_int_equal(count_all(S, "ResourceName", "12"), 1);
    assert_int_equal(count_all(S, "ResourceName", "y"), 1);
    assert_int_equal(count_all(S, "ResourceType", "T"), 1);
    assert_int_equal(count_all(S, "EventName", "X"), 3);
}

/* Appends "operation|extra;" of each event listed. */
static int extra_cb(void *ud, int64_t seq, const audit_rec *r)
{
    (void)seq;
    size_t n = strlen(ud);
    snprintf((char *)ud + n, 300 - n, "%s|%s;", r->operation, r->extra ? r->extra : "(null)");
    return 0;
}

/* additionalEventData (a refusal's policy decision) is kept with its event, and read back. */
static void test_extra_round_trips(void **st)
{
    (void)st;
    ferr e = {0};
    store_txn *t;
    audit_rec refused = {.time = 1000,
                         .account = ACCT,
                         .region = "us-east-1",
                         .operation = "Refused",
                         .status = 403,
                         .error_code = "AccessDenied",
                         .extra = "{\"ferry:decision\":{\"type\":\"implicitDeny\"}}"},
              allowed = {.time = 1001, .account = ACCT, .region = "us-east-1", .operation = "Ok"};
    assert_int_equal(store_begin(S, 1, &t, &e), 0);
    assert_int_equal(store_audit_append(t, &refused, &e), 0);
    assert_int_equal(store_audit_append(t, &allowed, &e), 0);
    assert_int_equal(store_commit(t, &e), 0);
    char got[300] = "";
    audit_query q = {.account = ACCT, .limit = 5};
    assert_int_equal(store_begin(S, 0, &t, &e), 0);
    assert_int_equal(store_audit_query(t, &q, extra_cb, got, &e), 2);
    store_rollback(t);
    assert_string_equal(got, "Ok|(null);Refused|{\"ferry:decision\":{\"type\":\"implicitDeny\"}};");
}

/* The block filters of the SQLite trail (trailbloom.h), read from its file */
static long long filters(const char *where)
{
    char path[300], sql[200];
    snprintf(path, sizeof(path), "%s/ferry.db", dir);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_bloom %s", where ? where : "");
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The filter of block blk as stored, into bits (TRAIL_BLOOM_BYTES, 512) */
static void filter_of(long long blk, unsigned char *bits)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/ferry.db", dir);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT bits FROM audit_bloom WHERE blk=?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, blk);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 0), 512);
    memcpy(bits, sqlite3_column_blob(st, 0), 512);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Every attribute of every event finds it, whether its block has a filter (written with the
 * block's last event, or at open for blocks that lack one) or not (the newest). */
static void check_each_event(int n, double t0)
{
    for (int i = 0; i < n; i++) {
        char id[32], res[300], name[8];
        audit_rec r = event(i, t0, id, res);
        if (strcmp(r.account, ACCT) || strcmp(r.region, "us-east-1")) continue;
        audit_query q = {.account = ACCT, .region = "us-east-1", .start = r.time, .end = r.time};
        const char *const checks[][2] = {{"EventId", id},
                                         {"EventName", r.operation},
                                         {"Username", r.username},
                                         {"EventSource", r.event_source},
                                         {"AccessKeyId", r.access_key},
                                         {"ResourceName", i % 3 ? NULL : name}};
        snprintf(name, sizeof(name), "q%d", i % 4);
        for (size_t c = 0; c < sizeof(checks) / sizeof(checks[0]); c++) {
            if (!checks[c][1]) continue;
            q.attr_key = checks[c][0];
            q.attr_value = checks[c][1];
            assert_true(page_through(S, q, 10) >= 1);
            assert_int_equal(page_through(S, q, 10), expected(n, t0, &q));
        }
    }
}

static void test_block_filters(void **st)
{
    (void)st;
    if (fixture_pg()) skip(); /* SQLite's own */
    const int n = 3 * 256 + 40;
    const double t0 = 1.7e9;
    /* a transaction that would write the first block's filter rolls back: nothing of it stays */
    ferr e = {0};
    store_txn *t;
    assert_int_equal(store_begin(S, 1, &t, &e), 0);
    for (int i = 0; i < 300; i++) {
        char id[32], res[300];
        audit_rec r = event(i, t0, id, res);
        assert_int_equal(store_audit_append(t, &r, &e), 0);
    }
    store_rollback(t);
    assert_int_equal(filters(NULL), 0);
    append(S, 0, n, t0);
    /* seqs 1..808: blocks 0, 1 and 2 are whole (seq 255, 511 and 767 closed them) */
    assert_int_equal(filters(NULL), 3);
    check_each_event(n, t0);
    /* a value in no event: each filter says so (or rarely lies), and nothing is found */
    audit_query q = {.account = ACCT, .attr_key = "EventName", .attr_value = "Nope"};
    assert_int_equal(page_through(S, q, 10), 0);
    /* block 2 was seen whole by the writer, which built its filter as its events came; block
     * 0 (its first events in the rolled-back transaction) and block 1 (events whose resources
     * came as text alone) were read back */
    unsigned char seen[3][512], read_back[512];
    for (int b = 0; b < 3; b++) filter_of(b, seen[b]);
    /* a data directory from before the filters: the store's open writes them */
    char path[300];
    snprintf(path, sizeof(path), "%s/ferry.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM audit_bloom WHERE blk<>0", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(filters(NULL), 1);
    check_each_event(n, t0);
    store_close(S);
    S = store_open(dir, STORE_SYNC_NORMAL, &e);
    assert_non_null(S);
    assert_int_equal(filters(NULL), 3);
    check_each_event(n, t0);
    /* ... and the filters read back from the table are the very same bits */
    for (int b = 0; b < 3; b++) {
        filter_of(b, read_back);
        assert_memory_equal(read_back, seen[b], 512);
    }
    /* retention takes the filters of the blocks it empties, and only those */
    assert_int_equal(trim(S, 0, n - 300, 1000), 300); /* seqs 1..300 */
    assert_int_equal(filters(NULL), 2);
    assert_int_equal(filters("WHERE blk=0"), 0);
    assert_int_equal(trim(S, 0, n - 512, 1000), 212); /* to seq 512: block 1 wholly gone */
    assert_int_equal(filters("WHERE blk<2"), 0);
    assert_int_equal(count_all(S, "EventName", "CreateQueue"),
                     expected_from(512, n, t0,
                                   &(audit_query){.account = ACCT,
                                                  .region = "us-east-1",
                                                  .attr_key = "EventName",
                                                  .attr_value = "CreateQueue"}));
    /* a reset empties them */
    assert_int_equal(store_reset(S, &e), 0);
    assert_int_equal(filters(NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_lookup_pages_every_attribute),
        T(test_retention_by_age),
        T(test_retention_by_count),
        T(test_background_retention),
        T(test_migrates_old_trail),
        T(test_extra_round_trips),
        T(test_block_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
