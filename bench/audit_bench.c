/* Audit trail benchmark (issue 9, item 8): LookupEvents' first page by each lookup attribute
 * and by time range over a large trail, the cost of the lookup indexes on inserts, and the
 * write-lock time of one retention step.
 *
 *   build/audit_bench [--events N] [--dir DIR] [--keep]
 *
 * Fills a fresh store (a temporary directory unless --dir) with N events (default 10
 * million) through store_audit_append, 1,000 per transaction as the audit writer groups
 * them: 10 accounts, 3 regions, 20 operations, 5 users and 20 access keys per account,
 * time-ordered event ids (UUID v7, as ferry makes them), resources on a
 * third of them, times spread over 90 days. Then times the first page (50 events, as
 * LookupEvents asks) of each lookup through store_audit_query, the next page through its
 * cursor, and a retention step through store_audit_trim. The insert cost of the schemas is
 * measured on the side: the same events into schema 5 (an index per lookup attribute) and
 * into this one (the time index; a filter per block of events), plain SQL both, 200,000
 * each, with the 32 MiB cache the store's writer has. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "store/store.h"

#define ACCOUNTS 10
#define PAGE     50

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const ops[] = {
    "GetCallerIdentity", "SendMessage", "ReceiveMessage", "DeleteMessage", "Publish",
    "CreateQueue",       "ListQueues",  "GetQueueUrl",    "CreateUser",    "ListUsers",
    "AssumeRole",        "CreateTopic", "Subscribe",      "ListTopics",    "PutUserPolicy",
    "CreateStack",       "DeleteQueue", "TagQueue",       "CreateRole",    "DescribeStacks"};
static const char *const sources[] = {"sts.amazonaws.com", "sqs.amazonaws.com", "sns.amazonaws.com",
                                      "iam.amazonaws.com", "cloudformation.amazonaws.com"};
static const char *const regions[] = {"us-east-1", "eu-west-1", "ap-south-1"};

typedef struct gen {
    char event_id[64], request_id[40], account[13], arn[80], user[16], key[21], res[160];
    audit_rec r;
} gen;

static double t0, span = 90 * 86400.0;
static long long nevents = 10000000, raw_events = 200000, api_events = 200000;

/* Event i: deterministic, so queries can name values that exist. */
static void make(gen *g, long long i)
{
    unsigned long long h = (unsigned long long)i * 0x9E3779B97F4A7C15ull;
    int op = (int)(h >> 7) % 20, acct = (int)(h >> 17) % ACCOUNTS, u = (int)(h >> 23) % 50;
    int rg = (int)((h >> 31) % 10), k = (int)(h >> 37) % 200;
    double when = t0 + span * (double)i / (double)nevents;
    unsigned long long ms = (unsigned long long)(when * 1000);
    /* a UUID v7 as ferry makes them (ids_uuid7): time first */
    snprintf(g->event_id, sizeof(g->event_id), "%08llx-%04llx-7%03llx-8000-%012llx", ms >> 16,
             ms & 0xffff, (h >> 52) & 0xfff, (unsigned long long)i);
    snprintf(g->request_id, sizeof(g->request_id), "%08llx-1111-4000-8000-%012llx", h >> 32, i);
    snprintf(g->account, sizeof(g->account), "1000000000%02d", acct);
    /* an account's own users and keys (5 and 20 of them), as in a real organization */
    u = acct * 5 + u % 5;
    k = acct * 20 + k % 20;
    snprintf(g->user, sizeof(g->user), "user-%02d", u);
    snprintf(g->arn, sizeof(g->arn), "arn:aws:iam::%s:user/%s", g->account, g->user);
    snprintf(g->key, sizeof(g->key), "AKIA%016d", k);
    int has_res = i % 3 == 0;
    if (has_res)
        snprintf(g->res, sizeof(g->res),
                 "[{\"ResourceType\":\"AWS::SQS::Queue\",\"ResourceName\":\"queue-%lld\"}]",
                 (long long)(h >> 41) % 1000);
    g->r = (audit_rec){.time = when,
                       .event_id = g->event_id,
                       .request_id = g->request_id,
                       .account = g->account,
                       .region = regions[rg < 7   ? 0
                                         : rg < 9 ? 1
                                                  : 2],
                       .principal_arn = g->arn,
                       .principal_type = "IAMUser",
                       .username = g->user,
                       .access_key = g->key,
                       .service = sources[op % 5],
                       .event_source = sources[op % 5],
                       .operation = ops[op],
                       .source_ip = "10.0.0.7",
                       .user_agent = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5",
                       .read_only = op % 4 != 1,
                       .status = 200,
                       .resources = has_res ? g->res : NULL};
}

static int fill(store *s, long long from, long long to)
{
    ferr e = {0};
    gen g;
    for (long long i = from; i < to;) {
        store_txn *t;
        if (store_begin(s, 1, &t, &e)) goto fail;
        for (long long end = i + 1000 < to ? i + 1000 : to; i < end; i++) {
            make(&g, i);
            if (store_audit_append(t, &g.r, &e)) {
                store_rollback(t);
                goto fail;
            }
        }
        if (store_commit(t, &e)) goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "audit_bench: %s\n", e.message);
    return -1;
}

static int count_cb(void *ud, int64_t seq, const audit_rec *r)
{
    struct last {
        int n;
        int64_t seq;
        double time;
    } *l = ud;
    l->n++;
    l->seq = seq;
    l->time = r->time;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define RUNS 21

static void lookup_per(store *s, const char *label, const char *key, const char *value, int per,
                       double start, double end);

static void lookup(store *s, const char *label, const char *key, const char *value, double start,
                   double end)
{
    lookup_per(s, label, key, value, 0, start, end);
}

/* First page and the page after it: median and worst of RUNS, in ms. */
static void lookup_per(store *s, const char *label, const char *key, const char *value, int per,
                       double start, double end)
{
    double first[RUNS], next[RUNS];
    int n1 = 0, n2 = 0;
    for (int run = 0; run < RUNS; run++) {
        ferr e = {0};
        store_txn *t;
        if (store_begin(s, 0, &t, &e)) return;
        /* a different account each run: no run reads pages a previous one left cached */
        char acct[13];
        snprintf(acct, sizeof(acct), "1000000000%02d", run % ACCOUNTS);
        char v[64]; /* per > 0: value is a format of the account's own user or key */
        if (value) snprintf(v, sizeof(v), value, (run % ACCOUNTS) * per + 2);
        audit_query q = {.account = acct,
                         .region = "us-east-1",
                         .attr_key = key,
                         .attr_value = value ? v : NULL,
                         .start = start,
                         .end = end,
                         .limit = PAGE};
        struct {
            int n;
            int64_t seq;
            double time;
        } l = {0};
        double a = mono();
        int rc = store_audit_query(t, &q, count_cb, &l, &e);
        first[run] = (mono() - a) * 1e3;
        n1 = l.n;
        q.before_seq = l.seq;
        q.before_time = l.time;
        l.n = 0;
        a = mono();
        if (rc >= 0 && n1 == PAGE) rc = store_audit_query(t, &q, count_cb, &l, &e);
        next[run] = (mono() - a) * 1e3;
        n2 = l.n;
        store_rollback(t);
        if (rc < 0) {
            fprintf(stderr, "audit_bench: %s: %s\n", label, e.message);
            return;
        }
    }
    qsort(first, RUNS, sizeof(double), cmp);
    qsort(next, RUNS, sizeof(double), cmp);
    printf("| %-34s | %2d | %7.3f | %7.3f | %7.3f | %7.3f |\n", label, n1, first[RUNS / 2],
           first[RUNS - 1], n2 ? next[RUNS / 2] : 0, n2 ? next[RUNS - 1] : 0);
}

static long long file_size(const char *path);

/* Schema 5, the store's before the block filters: the time index and an index per lookup
 * attribute (its resource rows not included) */
#define SCHEMA5 \
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL," \
    " event_id TEXT, request_id TEXT, account TEXT, region TEXT, principal_arn TEXT," \
    " principal_type TEXT, username TEXT, access_key TEXT, service TEXT," \
    " event_source TEXT, operation TEXT, source_ip TEXT, user_agent TEXT," \
    " read_only INTEGER, status INTEGER, error_code TEXT, error_message TEXT," \
    " resources TEXT); CREATE INDEX audit_time ON audit(account, region, time);" \
    "CREATE INDEX audit_event ON audit(account, region, event_id);" \
    "CREATE INDEX audit_name ON audit(account, region, operation, time);" \
    "CREATE INDEX audit_ro ON audit(account, region, read_only, time);" \
    "CREATE INDEX audit_user ON audit(account, region, username, time);" \
    "CREATE INDEX audit_source ON audit(account, region, event_source, time);" \
    "CREATE INDEX audit_key ON audit(account, region, access_key, time);"

/* Inserts per second of raw_events events into a file with schema sql, plain SQL; *written:
 * bytes written to the WAL per event. */
static double raw_rate(const char *path, const char *schema, double *written)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 0;
    /* as the store's writer: its cache, and checkpoints left to another thread (here: after
     * the run, so the WAL's size says how many bytes the inserts wrote) */
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;"
                 " PRAGMA wal_autocheckpoint=0;",
                 0, 0, 0);
    if (schema && sqlite3_exec(db, schema, 0, 0, 0) != SQLITE_OK) {
        fprintf(stderr, "audit_bench: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return 0;
    }
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "INSERT INTO audit(time,event_id,request_id,account,region,principal_arn,"
                       "principal_type,username,access_key,service,event_source,operation,"
                       "source_ip,user_agent,read_only,status,error_code,error_message,"
                       "resources) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
                       "?16,?17,?18,?19)",
                       -1, &st, NULL);
    gen g;
    double a = mono();
    const long long n = raw_events;
    for (long long i = 0; i < n; i++) {
        if (i % 1000 == 0) sqlite3_exec(db, i ? "COMMIT; BEGIN" : "BEGIN", 0, 0, 0);
        make(&g, i);
        const audit_rec *r = &g.r;
        sqlite3_bind_double(st, 1, r->time);
        const char *texts[] = {r->event_id,      r->request_id,     r->account,   r->region,
                               r->principal_arn, r->principal_type, r->username,  r->access_key,
                               r->service,       r->event_source,   r->operation, r->source_ip,
                               r->user_agent};
        for (int j = 0; j < 13; j++) sqlite3_bind_text(st, j + 2, texts[j], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 15, r->read_only);
        sqlite3_bind_int(st, 16, r->status);
        sqlite3_bind_null(st, 17);
        sqlite3_bind_null(st, 18);
        if (r->resources)
            sqlite3_bind_text(st, 19, r->resources, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 19);
        if (sqlite3_step(st) != SQLITE_DONE) fprintf(stderr, "%s\n", sqlite3_errmsg(db));
        sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", 0, 0, 0);
    double rate = (double)n / (mono() - a);
    char wal[4200];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    *written = (double)file_size(wal) / (double)n;
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rate;
}

static long long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long long n = ftell(f);
    fclose(f);
    return n;
}

static int sqlx(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, 0, 0, &msg) == SQLITE_OK) return 0;
    fprintf(stderr, "audit_bench: %s: %.200s\n", msg ? msg : "?", sql);
    sqlite3_free(msg);
    return -1;
}

/* Events from..to-1 by SQL, with the values make() gives (same domains and times). */
static int bulk(const char *path, long long from, long long to)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    int rc = sqlx(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;"
                      " PRAGMA temp_store=FILE;");
    /* the lookup indexes and the resource trigger, kept to be made again */
    sqlite3_stmt *st;
    char *saved[32];
    int nsaved = 0;
    sqlite3_prepare_v2(db,
                       "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN"
                       " ('audit') AND type IN ('index','trigger') AND sql IS NOT NULL",
                       -1, &st, NULL);
    char drops[2048] = "";
    while (sqlite3_step(st) == SQLITE_ROW && nsaved < 32) {
        saved[nsaved++] = strdup((const char *)sqlite3_column_text(st, 2));
        snprintf(drops + strlen(drops), sizeof(drops) - strlen(drops), "DROP %s %s;",
                 (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    char sql[8192];
    snprintf(
        sql, sizeof(sql),
        "CREATE TEMP TABLE ops(k INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO ops VALUES(0,'GetCallerIdentity'),(1,'SendMessage'),(2,'ReceiveMessage'),"
        "(3,'DeleteMessage'),(4,'Publish'),(5,'CreateQueue'),(6,'ListQueues'),(7,'GetQueueUrl'),"
        "(8,'CreateUser'),(9,'ListUsers'),(10,'AssumeRole'),(11,'CreateTopic'),(12,'Subscribe'),"
        "(13,'ListTopics'),(14,'PutUserPolicy'),(15,'CreateStack'),(16,'DeleteQueue'),"
        "(17,'TagQueue'),(18,'CreateRole'),(19,'DescribeStacks');"
        "CREATE TEMP TABLE srcs(k INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO srcs VALUES(0,'sts.amazonaws.com'),(1,'sqs.amazonaws.com'),"
        "(2,'sns.amazonaws.com'),(3,'iam.amazonaws.com'),(4,'cloudformation.amazonaws.com');"
        "%s BEGIN;"
        "WITH RECURSIVE c(i) AS (SELECT %lld UNION ALL SELECT i+1 FROM c WHERE i<%lld),"
        " g AS (SELECT i, (i*2654435761) %% 4294967296 AS h,"
        " %.6f + %.1f*i/%lld AS t FROM c),"
        " v AS (SELECT i, h, t, (h>>7)%%20 AS op, (h>>17)%%10 AS acct, (h>>3)%%10 AS rg,"
        " CAST(t*1000 AS INTEGER) AS ms FROM g)"
        " INSERT INTO audit(time,event_id,request_id,account,region,principal_arn,principal_type,"
        "username,access_key,service,event_source,operation,source_ip,user_agent,read_only,"
        "status,resources) SELECT t,"
        " printf('%%08x-%%04x-7%%03x-8000-%%012x', ms>>16, ms&65535, h&4095, i),"
        " printf('%%08x-1111-4000-8000-%%012x', h, i), printf('1000000000%%02d', acct),"
        " CASE WHEN rg<7 THEN 'us-east-1' WHEN rg<9 THEN 'eu-west-1' ELSE 'ap-south-1' END,"
        " printf('arn:aws:iam::1000000000%%02d:user/user-%%02d', acct, acct*5+(h>>23)%%5),"
        " 'IAMUser', printf('user-%%02d', acct*5+(h>>23)%%5),"
        " printf('AKIA%%016d', acct*20+(h>>11)%%20), srcs.name, srcs.name, ops.name,"
        " '10.0.0.7', 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5', op%%4<>1, 200,"
        " CASE WHEN i%%3=0 THEN printf('[{\"ResourceType\":\"AWS::SQS::Queue\","
        "\"ResourceName\":\"queue-%%d\"}]', (h>>13)%%1000) END"
        " FROM v JOIN ops ON ops.k=v.op JOIN srcs ON srcs.k=v.op%%5;"
        "COMMIT;",
        drops, from, to - 1, t0, span, nevents);
    if (!rc) rc = sqlx(db, sql);
    for (int i = 0; i < nsaved; i++) {
        if (!rc) rc = sqlx(db, saved[i]);
        free(saved[i]);
    }
    if (!rc) rc = sqlx(db, "PRAGMA wal_checkpoint(TRUNCATE);");
    sqlite3_close(db);
    return rc;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc)
            nevents = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else {
            fprintf(stderr, "usage: audit_bench [--events N] [--dir DIR] [--keep]\n");
            return 2;
        }
    }
    if (nevents < 2 * api_events) nevents = 2 * api_events;
    char tmp[] = "/tmp/ferry-audit-bench-XXXXXX";
    if (!dir && !(dir = mkdtemp(tmp))) return 1;
    t0 = clock_now() - span;
    char path[4200], cmd[4300];

    /* the insert cost of the indexes, plain SQL on both sides */
    snprintf(path, sizeof(path), "%s/old.db", dir);
    double old_w, new_w;
    double old_rate = raw_rate(path, SCHEMA5, &old_w);
    long long old_size = file_size(path);
    snprintf(path, sizeof(path), "%s/new", dir);
    ferr e = {0};
    store *s = store_open(path, STORE_SYNC_NORMAL, &e);
    if (!s) {
        fprintf(stderr, "audit_bench: %s\n", e.message);
        return 1;
    }
    store_close(s);
    snprintf(path, sizeof(path), "%s/new/ferry.db", dir);
    double new_rate = raw_rate(path, NULL, &new_w);
    long long new_size = file_size(path);
    snprintf(cmd, sizeof(cmd), "rm -rf %s/old.db* %s/new", dir, dir);
    if (system(cmd)) return 1;
    printf("inserts, %lld events in transactions of 1,000 (plain SQL, WAL, "
           "synchronous=NORMAL):\n",
           raw_events);
    printf("  schema 5 (an index per lookup attribute): %8.0f events/s, %5.0f bytes/event on "
           "disk, %6.0f bytes/event written\n",
           old_rate, (double)old_size / (double)raw_events, old_w);
    printf("  schema 6 (time index; a block's filter not included): %8.0f events/s, %5.0f "
           "bytes/event on disk, %6.0f bytes/event written (%.2fx schema 5's rate)\n\n",
           new_rate, (double)new_size / (double)raw_events, new_w, new_rate / old_rate);

    /* the trail: the first events through store_audit_append (its rate is measured), the
     * rest in bulk by SQL with the time index dropped and made again after, the block filters
     * then written by the store's open (timed): 10 million events through the API would
     * take hours on this machine) */
    snprintf(path, sizeof(path), "%s/trail", dir);
    s = store_open(path, STORE_SYNC_NORMAL, &e);
    if (!s) {
        fprintf(stderr, "audit_bench: %s\n", e.message);
        return 1;
    }
    double a = mono();
    if (fill(s, 0, api_events)) return 1;
    double api_s = mono() - a;
    store_close(s);
    printf("store_audit_append, %lld events in transactions of 1,000 into the empty trail: "
           "%.0f events/s\n",
           api_events, (double)api_events / api_s);
    snprintf(path, sizeof(path), "%s/trail/ferry.db", dir);
    a = mono();
    if (bulk(path, api_events, nevents)) return 1;
    printf("bulk fill to %lld events by SQL: %.0f s, %.0f bytes/event on disk\n\n", nevents,
           mono() - a, (double)file_size(path) / (double)nevents);
    snprintf(path, sizeof(path), "%s/trail", dir);
    a = mono();
    s = store_open(path, STORE_SYNC_NORMAL, &e);
    if (!s) {
        fprintf(stderr, "audit_bench: %s\n", e.message);
        return 1;
    }
    printf("the store's open, writing the filters of the blocks filled by SQL: %.1f s\n\n",
           mono() - a);

    printf("first page (%d events) and the next one through NextToken, ms, median / worst of "
           "%d runs (each in another account):\n\n",
           PAGE, RUNS);
    printf("| lookup | events | first page | worst | next page | worst |\n|---|---|---|---|---|"
           "---|\n");
    double mid = t0 + span / 2;
    lookup(s, "none (newest events)", NULL, NULL, 0, 0);
    lookup(s, "time range (1 hour, 45 days ago)", NULL, NULL, mid, mid + 3600);
    gen g0;
    make(&g0, 0); /* the oldest event, in the first account */
    lookup(s, "EventId", "EventId", g0.event_id, 0, 0);
    lookup(s, "EventName (common)", "EventName", "GetCallerIdentity", 0, 0);
    lookup(s, "EventName + time range", "EventName", "Publish", mid, mid + 86400);
    lookup(s, "EventName (absent)", "EventName", "NoSuchOperation", 0, 0);
    lookup(s, "ReadOnly false", "ReadOnly", "false", 0, 0);
    lookup_per(s, "Username", "Username", "user-%02d", 5, 0, 0);
    lookup(s, "EventSource", "EventSource", "iam.amazonaws.com", 0, 0);
    lookup_per(s, "AccessKeyId", "AccessKeyId", "AKIA%016d", 20, 0, 0);
    lookup(s, "ResourceType", "ResourceType", "AWS::SQS::Queue", 0, 0);
    lookup(s, "ResourceName", "ResourceName", "queue-17", 0, 0);
    lookup(s, "ResourceName + time range", "ResourceName", "queue-17", mid, mid + 86400 * 3);

    /* one retention step: how long it holds the write lock */
    double steps[RUNS];
    for (int run = 0; run < RUNS; run++) {
        store_txn *t;
        if (store_begin(s, 1, &t, &e)) return 1;
        a = mono();
        long long n = store_audit_trim(t, 0, nevents - 500LL * (run + 1), 500, &e);
        int rc = n == 500 ? store_commit(t, &e) : (store_rollback(t), -1);
        steps[run] = (mono() - a) * 1e3;
        if (rc) {
            fprintf(stderr, "audit_bench: trim: %s\n", e.message);
            return 1;
        }
    }
    qsort(steps, RUNS, sizeof(double), cmp);
    printf("\nretention step (500 oldest events deleted and committed): median %.2f ms, worst "
           "%.2f ms\n",
           steps[RUNS / 2], steps[RUNS - 1]);
    store_close(s);
    if (!keep) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s/trail", dir);
        if (system(cmd)) return 1;
        if (dir == tmp) rmdir(tmp);
    }
    return 0;
}
