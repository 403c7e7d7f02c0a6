/* PostgreSQL backend: `ferry serve --store postgresql://…` (libpq takes the URI as is).
 *
 * Durability: every session runs with synchronous_commit=on, so a COMMIT has reached the
 * server's WAL on disk before it returns and a success reply survives kill -9 of ferry and
 * of the database server.
 *
 * Concurrency: as with SQLite, one writer at a time: a process mutex orders this process's
 * writers (store.c moves its generations between a commit and the next writer), and each
 * write transaction also takes a transaction-scoped advisory lock, so writers of several
 * processes on one database are serialized the same way. Write transactions run on one
 * connection; readers take a pooled connection each and read a REPEATABLE READ snapshot
 * beside the writer.
 *
 * Failures: a lost connection answers 503 ServiceUnavailable (retryable) for the work in
 * hand; the connection is reset before its next use, so the store recovers by itself once
 * the server is back. Connections keep TCP keepalives and a user timeout, so a dead peer
 * gives an error rather than a hang. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/log.h"
#include "pgnews.h"
#include "pool.h"

/* pg_advisory_lock keys: schema migrations (session lock) and writers (transaction lock) */
#define LOCK_MIGRATE 0x66657272790001LL
#define LOCK_WRITE   0x66657272790002LL

enum { ST_COUNT = ST_SHARED }; /* only the shared statements (pool.h) */

#define MQ_COLS "seq,id,grp,sent_at,visible_at,expires_at,receives,first_receive,receipt,doc"

/* Prepared on a connection at first use; parameters are sent as text and typed here. */
static const char *const stmt_sql[ST_COUNT] = {
    [ST_GET] = "SELECT doc FROM docs WHERE kind=$1 AND account=$2 AND region=$3 AND id=$4",
    [ST_PUT] = "INSERT INTO docs(kind,account,region,id,doc) VALUES($1,$2,$3,$4,$5)"
               " ON CONFLICT(kind,account,region,id) DO UPDATE SET doc=excluded.doc",
    [ST_INSERT] = "INSERT INTO docs(kind,account,region,id,doc) VALUES($1,$2,$3,$4,$5)"
                  " ON CONFLICT DO NOTHING",
    [ST_DEL] = "DELETE FROM docs WHERE kind=$1 AND account=$2 AND region=$3 AND id=$4",
    /* the event and its resources' rows in one statement ($20: the resources as JSON when
     * they parse, else NULL; audit_res serves ResourceType and ResourceName lookups; $21:
     * the seq to keep, else NULL) */
    [ST_AUDIT] =
        "WITH a AS (INSERT INTO audit(seq,time,event_id,request_id,account,region,"
        "principal_arn,principal_type,username,access_key,service,event_source,operation,"
        "source_ip,user_agent,read_only,status,error_code,error_message,resources,extra)"
        " VALUES(coalesce($21::bigint, nextval('audit_seq_seq')),$1::float8,"
        "$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15::int,$16::int,$17,$18,$19,$22)"
        " RETURNING seq,time,account,region)"
        " INSERT INTO audit_res SELECT coalesce(a.account,''), coalesce(a.region,''), r.k,"
        " r.v, a.time, a.seq FROM a, (SELECT k, j->>n AS v FROM"
        " jsonb_array_elements(CASE jsonb_typeof($20::jsonb) WHEN 'array' THEN $20::jsonb"
        " ELSE '[]'::jsonb END) AS j, (VALUES (0,'ResourceType'),(1,'ResourceName')) AS x(k,n)"
        " WHERE jsonb_typeof(j)='object' AND j->>n IS NOT NULL) AS r ON CONFLICT DO NOTHING",
    /* $11: the seq to keep (store copy), else NULL: the next one */
    [ST_MQ_PUT] = "INSERT INTO mq(seq,queue,id,grp,sent_at,visible_at,expires_at,receives,"
                  "first_receive,receipt,doc) VALUES(coalesce($11::bigint, nextval('mq_seq_seq')),"
                  "$1,$2,$3,$4::float8,$5::float8,$6::float8,$7::int,$8::float8,$9,$10)"
                  " RETURNING seq",
    [ST_MQ_GET] = "SELECT " MQ_COLS " FROM mq WHERE seq=$2::bigint AND queue=$1",
    [ST_MQ_UPDATE] = "UPDATE mq SET visible_at=$3::float8, receives=$4::int,"
                     " first_receive=$5::float8, receipt=$6 WHERE seq=$2::bigint AND queue=$1",
    [ST_MQ_DEL] = "DELETE FROM mq WHERE seq=$2::bigint AND queue=$1",
    [ST_MQ_SCAN] = "SELECT " MQ_COLS " FROM mq WHERE queue=$1 AND visible_at<=$2::float8"
                   " ORDER BY visible_at LIMIT $3::int",
    /* FIFO-style groups: in order, skipping groups with an earlier message still hidden or
     * any message in flight (as sqlite.c) */
    [ST_MQ_SCAN_GROUPS] = "SELECT " MQ_COLS " FROM mq AS m WHERE queue=$1 AND grp<>''"
                          " AND visible_at<=$2::float8 AND NOT EXISTS(SELECT 1 FROM mq AS o"
                          " WHERE o.queue=$1 AND o.grp=m.grp AND o.grp<>''"
                          " AND o.visible_at>$2::float8 AND (o.receives>0 OR o.seq<m.seq))"
                          " ORDER BY seq LIMIT $3::int",
    [ST_MQ_COUNT] =
        "SELECT coalesce(sum((visible_at<=$2::float8 AND expires_at>$2::float8)::int),0),"
        " coalesce(sum((visible_at>$2::float8 AND receives>0 AND expires_at>$2::float8)::int),0),"
        " coalesce(sum((visible_at>$2::float8 AND receives=0 AND expires_at>$2::float8)::int),0)"
        " FROM mq WHERE queue=$1",
    [ST_MQ_NEXT] = "SELECT min(visible_at) FROM mq WHERE queue=$1 AND visible_at>$2::float8",
    [ST_MQ_PURGE] = "DELETE FROM mq WHERE queue=$1",
    [ST_MQ_PURGE_KEYS] = "DELETE FROM mq_keys WHERE queue=$1",
    [ST_MQ_KEY_GET] = "SELECT value,num FROM mq_keys WHERE queue=$1 AND key=$2"
                      " AND expires_at>$3::float8",
    [ST_MQ_KEY_PUT] = "INSERT INTO mq_keys(queue,key,expires_at,value,num)"
                      " VALUES($1,$2,$3::float8,$4,$5::bigint) ON CONFLICT(queue,key) DO UPDATE"
                      " SET expires_at=excluded.expires_at, value=excluded.value,"
                      " num=excluded.num",
    [ST_MQ_KEY_EXPIRE] = "DELETE FROM mq_keys WHERE queue=$1 AND expires_at<=$2::float8",
};

/* Versioned migrations: index i brings the schema from version i to i+1. Never edit a
 * released step; append a new one. Keys compare as bytes (COLLATE "C"), as SQLite's
 * BINARY order does: listings and ranges page in the same order on both backends. */
static const char *const migrations[] = {
    "CREATE TABLE docs(kind text COLLATE \"C\" NOT NULL, account text COLLATE \"C\" NOT NULL,"
    " region text COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, doc text NOT NULL,"
    " PRIMARY KEY(kind, account, region, id));"
    "CREATE TABLE audit(seq bigserial PRIMARY KEY, time float8 NOT NULL,"
    " event_id text, request_id text, account text, region text, principal_arn text,"
    " principal_type text, username text, access_key text, service text, event_source text,"
    " operation text, source_ip text, user_agent text, read_only int, status int,"
    " error_code text, error_message text, resources text);"
    "CREATE INDEX audit_time ON audit(account, region, time);"
    "CREATE INDEX audit_event ON audit(account, region, event_id);"
    "CREATE INDEX audit_name ON audit(account, region, operation, time);"
    "CREATE INDEX audit_ro ON audit(account, region, read_only, time);"
    "CREATE INDEX audit_user ON audit(account, region, username, time);"
    "CREATE INDEX audit_source ON audit(account, region, event_source, time);"
    "CREATE INDEX audit_key ON audit(account, region, access_key, time);"
    /* k: 0 ResourceType, 1 ResourceName; rows go with their event (audit_append, trim) */
    "CREATE TABLE audit_res(account text NOT NULL, region text NOT NULL, k int NOT NULL,"
    " v text NOT NULL, time float8 NOT NULL, seq bigint NOT NULL,"
    " PRIMARY KEY(account, region, k, v, time, seq));"
    "CREATE INDEX audit_res_seq ON audit_res(seq);"
    /* message queues (store_mq_*): seq is the arrival order and never reused */
    "CREATE TABLE mq(seq bigserial PRIMARY KEY, queue text NOT NULL, id text NOT NULL,"
    " grp text NOT NULL, sent_at float8 NOT NULL, visible_at float8 NOT NULL,"
    " expires_at float8 NOT NULL, receives int NOT NULL, first_receive float8 NOT NULL,"
    " receipt text NOT NULL, doc text NOT NULL);"
    "CREATE INDEX mq_visible ON mq(queue, visible_at);"
    "CREATE INDEX mq_order ON mq(queue, seq) WHERE grp<>'';"
    "CREATE INDEX mq_group ON mq(queue, grp, visible_at) WHERE grp<>'';"
    "CREATE TABLE mq_keys(queue text NOT NULL, key text NOT NULL, expires_at float8 NOT NULL,"
    " value text, num bigint, PRIMARY KEY(queue, key));"
    "CREATE INDEX mq_keys_expiry ON mq_keys(queue, expires_at);",
    /* 1 -> 2: an event's additionalEventData (the policy decision of a refusal) */
    "ALTER TABLE audit ADD COLUMN extra text;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

typedef struct pconn {
    PGconn *pg;
    unsigned char prepared[ST_COUNT];
} pconn;

typedef struct pgs {
    char url[2048];
    char desc[2100];
    pthread_mutex_t write_mu;
    store_pool pool; /* readers' idle connections */
    pconn *writer;   /* under write_mu */
    /* audit retention runs here, a batch per write transaction */
    store_ticker bg;
    int bg_failing; /* the last retention step failed (logged once) */
    pgnews *news;   /* several nodes: the listener (store_listen), or NULL */
} pgs;

typedef struct pgtxn {
    pconn *c;
    int write;
} pgtxn;

static void quiet(void *arg, const char *msg)
{
    (void)arg, (void)msg; /* NOTICEs ("already exists, skipping") are not ferry's news */
}

/* The error of a failed call on c: 503 when the connection is gone (the client retries,
 * the connection is reset before its next use), 500 otherwise. */
static int pgerr(ferr *e, PGconn *pg, const char *what)
{
    const char *msg = pg ? PQerrorMessage(pg) : "no connection";
    char m[512];
    snprintf(m, sizeof(m), "%s", msg && *msg ? msg : "failed");
    size_t n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' ')) m[--n] = 0;
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        /* the client learns to retry; where the database is stays in the log */
        log_warn("store unavailable: %s: %s", what, m);
        return ferr_set(e, 503, "ServiceUnavailable",
                        "the store is unavailable for the moment; retry");
    }
    return ferr_internal(e, "store: %s: %s", what, m);
}

/* A session as ferry opens them (pgnews.c's too). */
static PGconn *connect_url(const char *url)
{
    /* defaults first: the URL's own settings (dbname is expanded last) override them */
    static const char *const keys[] = {
        "connect_timeout",     "keepalives",       "keepalives_idle",
        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "application_name",    "dbname",           NULL};
    const char *vals[] = {"10", "1", "10", "5", "3", "15000", "ferry", url, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (pg && PQstatus(pg) == CONNECTION_OK) PQsetNoticeProcessor(pg, quiet, NULL);
    return pg;
}

static int exec(PGconn *pg, const char *sql, ferr *e)
{
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pgerr(e, pg, "exec");
    PQclear(r);
    return rc;
}

static void conn_free(pconn *c)
{
    if (!c) return;
    PQfinish(c->pg);
    free(c);
}

static void conn_free_v(void *c)
{
    conn_free(c);
}

static pconn *conn_open(pgs *s, ferr *e)
{
    pconn *c = calloc(1, sizeof(*c));
    if (!c) {
        ferr_oom(e);
        return NULL;
    }
    c->pg = connect_url(s->url);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        pgerr(e, NULL, c->pg ? PQerrorMessage(c->pg) : "connect");
        conn_free(c);
        return NULL;
    }
    /* a success reply means committed: never let a server default weaken it */
    if (exec(c->pg, "SET synchronous_commit=on; SET client_min_messages=warning", e)) {
        conn_free(c);
        return NULL;
    }
    return c;
}

/* Before a connection's next transaction: one that lost its server is reset (prepared
 * statements go with the old session). 0 or -1 (503). */
static int conn_ready(pconn *c, ferr *e)
{
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE) return 0;
    PQreset(c->pg);
    memset(c->prepared, 0, sizeof(c->prepared));
    if (PQstatus(c->pg) != CONNECTION_OK) return pgerr(e, c->pg, "reconnect");
    PQsetNoticeProcessor(c->pg, quiet, NULL);
    return exec(c->pg, "SET synchronous_commit=on; SET client_min_messages=warning", e);
}

/* Statement which prepared on c (once per connection), its name in name[16]. 0 or -1. */
static int prepare(pconn *c, int which, char *name, ferr *e)
{
    snprintf(name, 16, "s%d", which);
    if (c->prepared[which]) return 0;
    PGresult *p = PQprepare(c->pg, name, stmt_sql[which], 0, NULL);
    int ok = PQresultStatus(p) == PGRES_COMMAND_OK;
    PQclear(p);
    if (!ok) return pgerr(e, c->pg, "prepare");
    c->prepared[which] = 1;
    return 0;
}

/* Runs statement `which` with n text parameters (NULL: SQL NULL). The result, or NULL with
 * e set. */
static PGresult *run(pconn *c, int which, int n, const char *const *params, ferr *e)
{
    char name[16];
    if (prepare(c, which, name, e)) return NULL;
    PGresult *r = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    pgerr(e, c->pg, stmt_sql[which]);
    PQclear(r);
    return NULL;
}

/* As run, for SQL made per call. */
static PGresult *run_sql(pconn *c, const char *sql, int n, const char *const *params, ferr *e)
{
    PGresult *r = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
    pgerr(e, c->pg, sql);
    PQclear(r);
    return NULL;
}

static long long changes(PGresult *r)
{
    return atoll(PQcmdTuples(r));
}

static const char *val(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

typedef char num[32];

static const char *fmt_d(num b, double v)
{
    snprintf(b, sizeof(num), "%.17g", v);
    return b;
}

static const char *fmt_i(num b, long long v)
{
    snprintf(b, sizeof(num), "%lld", v);
    return b;
}

static int migrate(PGconn *pg, ferr *e)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", LOCK_MIGRATE);
    if (exec(pg, sql, e)) return -1;
    int rc = exec(pg, "CREATE TABLE IF NOT EXISTS ferry_schema(version int NOT NULL)", e);
    int v = -1;
    if (!rc) {
        PGresult *r = PQexec(pg, "SELECT version FROM ferry_schema");
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            rc = pgerr(e, pg, "schema version");
        else if (PQntuples(r) == 0)
            rc = exec(pg, "INSERT INTO ferry_schema VALUES(0)", e), v = 0;
        else
            v = atoi(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    if (!rc && v > NMIGRATIONS)
        rc = ferr_internal(e, "store schema version %d is newer than this ferry (%d)", v,
                           NMIGRATIONS);
    for (; !rc && v < NMIGRATIONS; v++) {
        rc = exec(pg, "BEGIN", e);
        if (!rc) rc = exec(pg, migrations[v], e);
        snprintf(sql, sizeof(sql), "UPDATE ferry_schema SET version=%d", v + 1);
        if (!rc) rc = exec(pg, sql, e);
        if (!rc) rc = exec(pg, "COMMIT", e);
        if (rc) exec(pg, "ROLLBACK", NULL);
    }
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)", LOCK_MIGRATE);
    exec(pg, sql, NULL);
    return rc;
}

/* ---- audit retention ---- */

static long long trim(pconn *c, double before, long long max_events, int limit, ferr *e);

#define TRIM_BATCH 256 /* events per step (write transaction) */
#define TRIM_STEPS 60  /* steps per 200 ms tick at most */

static int ctl(pconn *c, const char *sql, ferr *e)
{
    return exec(c->pg, sql, e);
}

static const char *begin_write_sql(void)
{
    static char sql[96];
    if (!sql[0])
        snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%lld)", LOCK_WRITE);
    return sql;
}

static void retain(pgs *s, const store_retention *r)
{
    for (int i = 0; i < TRIM_STEPS; i++) {
        ferr e = {0};
        long long n = -1;
        pthread_mutex_lock(&s->write_mu);
        if (!conn_ready(s->writer, &e) && !ctl(s->writer, begin_write_sql(), &e)) {
            double before = r->max_age > 0 ? clock_now() - r->max_age : 0;
            n = trim(s->writer, before, r->max_events, TRIM_BATCH, &e);
            if (n < 0 || ctl(s->writer, "COMMIT", &e)) {
                ctl(s->writer, "ROLLBACK", NULL);
                n = -1;
            }
        }
        pthread_mutex_unlock(&s->write_mu);
        /* said once per outage, not every tick while the database is away */
        if (n < 0 && !s->bg_failing) log_error("audit retention: %s", e.message);
        s->bg_failing = n < 0;
        if (n < TRIM_BATCH || store_ticker_stopping(&s->bg)) return;
        nanosleep(&(struct timespec){0, 2 * 1000000L}, NULL);
    }
}

static void upkeep(void *ud, const store_retention *r)
{
    if (r->max_age > 0 || r->max_events > 0) retain(ud, r);
}

/* ---- open, close, transactions ---- */

static void *pg_open(const char *location, store_sync sync, ferr *e)
{
    (void)sync; /* synchronous_commit=on either way: PostgreSQL fsyncs its WAL per commit */
    pgs *s = calloc(1, sizeof(*s));
    if (!s) {
        ferr_oom(e);
        return NULL;
    }
    if (strlen(location) >= sizeof(s->url)) {
        free(s);
        ferr_internal(e, "store location too long");
        return NULL;
    }
    snprintf(s->url, sizeof(s->url), "%s", location);
    pconn *c = conn_open(s, e);
    if (!c || migrate(c->pg, e)) {
        conn_free(c);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->write_mu, NULL);
    store_pool_init(&s->pool);
    s->writer = c;
    /* the description names the server and database, never the password */
    const char *host = PQhost(c->pg), *port = PQport(c->pg), *db = PQdb(c->pg);
    snprintf(s->desc, sizeof(s->desc), "postgresql://%s%s%s/%s",
             host && *host != '/' ? host : "localhost", port && *port ? ":" : "", port ? port : "",
             db ? db : "");
    store_ticker_start(&s->bg, 0.2, upkeep, s);
    return s;
}

static void pg_close(void *impl)
{
    pgs *s = impl;
    pgnews_stop(s->news);
    store_ticker_stop(&s->bg);
    store_pool_dispose(&s->pool, conn_free_v);
    conn_free(s->writer);
    pthread_mutex_destroy(&s->write_mu);
    free(s);
}

static void pg_audit_retention(void *impl, const store_retention *r)
{
    store_ticker_retention(&((pgs *)impl)->bg, r);
}

static const char *pg_describe(void *impl)
{
    return ((pgs *)impl)->desc;
}

static int pg_schema_version(void *impl)
{
    (void)impl;
    return NMIGRATIONS;
}

static pconn *pool_get(pgs *s, ferr *e)
{
    pconn *c = store_pool_take(&s->pool);
    if (!c) return conn_open(s, e);
    if (conn_ready(c, e)) {
        conn_free(c); /* the next one connects afresh */
        return NULL;
    }
    return c;
}

static void pool_put(pgs *s, pconn *c)
{
    store_pool_give(&s->pool, c, conn_free_v);
}

static void txn_end(pgs *s, pgtxn *t)
{
    if (t->write)
        pthread_mutex_unlock(&s->write_mu);
    else
        pool_put(s, t->c);
    free(t);
}

static void *pg_begin(void *impl, int write, ferr *e)
{
    pgs *s = impl;
    pgtxn *t = calloc(1, sizeof(*t));
    if (!t) {
        ferr_oom(e);
        return NULL;
    }
    t->write = write;
    if (write) {
        pthread_mutex_lock(&s->write_mu);
        t->c = s->writer;
        if (conn_ready(t->c, e)) {
            pthread_mutex_unlock(&s->write_mu);
            free(t);
            return NULL;
        }
    } else if (!(t->c = pool_get(s, e))) {
        free(t);
        return NULL;
    }
    if (ctl(t->c, write ? begin_write_sql() : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            e)) {
        ctl(t->c, "ROLLBACK", NULL);
        txn_end(s, t);
        return NULL;
    }
    return t;
}

static int pg_commit(void *impl, void *txn, const char *news, void (*committed)(void *), void *arg,
                     int group, ferr *e)
{
    (void)group; /* not grouped here: each commits alone, in its round trip */
    pgtxn *t = txn;
    /* the news goes out with the commit, in one round trip: NOTIFY is delivered when, and
     * only when, the transaction commits (store.c words it: no quotes in it) */
    char sql[512];
    if (news && strlen(news) < sizeof(sql) - 64 && !strchr(news, '\''))
        snprintf(sql, sizeof(sql), "NOTIFY " PGNEWS_CHANNEL ", '%s'; COMMIT", news);
    else
        snprintf(sql, sizeof(sql), "COMMIT");
    PGresult *r = PQexec(t->c->pg, sql);
    /* a COMMIT of a transaction that failed answers ROLLBACK: not committed */
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT")
                 ? 0
                 : (PQresultStatus(r) == PGRES_COMMAND_OK
                        ? ferr_internal(e, "store: transaction failed and was rolled back")
                        : pgerr(e, t->c->pg, "commit"));
    PQclear(r);
    if (rc)
        ctl(t->c, "ROLLBACK", NULL);
    else if (committed)
        committed(arg);
    txn_end(impl, t);
    return rc;
}

static int pg_listen(void *impl, const store_listener *l, ferr *e)
{
    pgs *s = impl;
    if (s->news) return 0;
    s->news = pgnews_start(s->url, connect_url, l, e);
    return s->news ? 0 : -1;
}

static void pg_announce(void *impl, const char *news)
{
    pgnews_announce(((pgs *)impl)->news, news);
}

static void pg_rollback(void *impl, void *txn)
{
    pgtxn *t = txn;
    ctl(t->c, "ROLLBACK", NULL);
    txn_end(impl, t);
}

static int pg_savepoint(void *txn, int op, ferr *e)
{
    pgtxn *t = txn;
    if (op == 0) return ctl(t->c, "SAVEPOINT sp", e);
    if (op == 2 && ctl(t->c, "ROLLBACK TO SAVEPOINT sp", e)) return -1;
    return ctl(t->c, "RELEASE SAVEPOINT sp", e);
}

/* ---- documents ---- */

/* Loads a document's text: 1 with *doc, 0 when it does not parse (corrupt), -1 out of
 * memory (jansson fails with no error text). */
static int doc_load(const char *text, json_t **doc)
{
    json_error_t je;
    *doc = json_loads(text ? text : "null", JSON_DECODE_ANY, &je);
    if (*doc) return 1;
    return je.text[0] ? 0 : -1;
}

static int pg_get(void *txn, const store_key *k, json_t **out, ferr *e)
{
    pgtxn *t = txn;
    const char *p[] = {k->kind, k->account ? k->account : "", k->region ? k->region : "", k->id};
    PGresult *r = run(t->c, ST_GET, 4, p, e);
    if (!r) return -1;
    int ret = 0;
    if (PQntuples(r) > 0) {
        int lr = doc_load(val(r, 0, 0), out);
        ret = lr > 0   ? 1
              : lr < 0 ? ferr_oom(e)
                       : ferr_internal(e, "store: corrupt document %s/%s", k->kind, k->id);
    }
    PQclear(r);
    return ret;
}

static int pg_put(void *txn, const store_key *k, const char *doc, int insert_only, ferr *e)
{
    pgtxn *t = txn;
    const char *p[] = {k->kind, k->account ? k->account : "", k->region ? k->region : "", k->id,
                       doc};
    PGresult *r = run(t->c, insert_only ? ST_INSERT : ST_PUT, 5, p, e);
    if (!r) return -1;
    int ret = insert_only && changes(r) == 0 ? 1 : 0;
    PQclear(r);
    return ret;
}

static int pg_del(void *txn, const store_key *k, ferr *e)
{
    pgtxn *t = txn;
    const char *p[] = {k->kind, k->account ? k->account : "", k->region ? k->region : "", k->id};
    PGresult *r = run(t->c, ST_DEL, 4, p, e);
    if (!r) return -1;
    int ret = changes(r) > 0;
    PQclear(r);
    return ret;
}

/* The smallest string above every string that begins with prefix, in byte order, as valid
 * UTF-8 (PostgreSQL refuses other text): the prefix with its last code point moved up by
 * one (past the surrogates; one past U+10FFFF drops it and moves the one before). UTF-8's
 * byte order is its code points' order, so it bounds exactly the strings with the prefix.
 * 0 with *out malloc'ed, 0 with *out NULL when there is none, -1 out of memory. */
static int prefix_upper(const char *prefix, char **out)
{
    *out = NULL;
    size_t n = strlen(prefix);
    while (n) {
        size_t i = n - 1;
        while (i && ((unsigned char)prefix[i] & 0xc0) == 0x80) i--;
        const unsigned char *p = (const unsigned char *)prefix + i;
        unsigned cp = p[0] < 0x80   ? p[0]
                      : p[0] < 0xe0 ? (p[0] & 0x1fu)
                      : p[0] < 0xf0 ? (p[0] & 0x0fu)
                                    : (p[0] & 0x07u);
        for (size_t j = i + 1; j < n; j++) cp = cp << 6 | (prefix[j] & 0x3f);
        cp++;
        if (cp == 0xd800) cp = 0xe000;
        if (cp > 0x10ffff) {
            n = i;
            continue;
        }
        char *u = malloc(i + 5);
        if (!u) return -1;
        memcpy(u, prefix, i);
        char *q = u + i;
        if (cp < 0x80) {
            *q++ = (char)cp;
        } else if (cp < 0x800) {
            *q++ = (char)(0xc0 | cp >> 6);
            *q++ = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            *q++ = (char)(0xe0 | cp >> 12);
            *q++ = (char)(0x80 | (cp >> 6 & 0x3f));
            *q++ = (char)(0x80 | (cp & 0x3f));
        } else {
            *q++ = (char)(0xf0 | cp >> 18);
            *q++ = (char)(0x80 | (cp >> 12 & 0x3f));
            *q++ = (char)(0x80 | (cp >> 6 & 0x3f));
            *q++ = (char)(0x80 | (cp & 0x3f));
        }
        *q = 0;
        *out = u;
        return 0;
    }
    return 0;
}

/* The length of s's longest prefix that is valid UTF-8 (whole code points). */
static size_t valid_prefix(const char *s)
{
    size_t i = 0, n = strlen(s);
    while (i < n) {
        unsigned char b = (unsigned char)s[i];
        size_t len = b < 0x80                ? 1
                     : b >= 0xc2 && b < 0xe0 ? 2
                     : b >= 0xe0 && b < 0xf0 ? 3
                     : b >= 0xf0 && b < 0xf5 ? 4
                                             : 0;
        if (!len || i + len > n || !enc_utf8_valid(s + i, len)) break;
        i += len;
    }
    return i;
}

/* Gives the rows (account, region, id, doc) of r to cb, as sqlite.c's listings do: a
 * corrupt document is skipped. The number given or -1. */
static int give_rows(PGresult *r, const char *kind, int limit, store_list_cb cb, void *ud, ferr *e)
{
    int n = 0, rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        store_key k = {kind, val(r, i, 0), val(r, i, 1), val(r, i, 2)};
        json_t *doc;
        int lr = doc_load(val(r, i, 3), &doc);
        if (lr < 0) return ferr_oom(e);
        if (!lr) continue;
        int stop = cb(ud, &k, doc);
        json_decref(doc);
        n++;
        if (stop || (limit > 0 && n >= limit)) break;
    }
    return n;
}

/* Listings bind only the filters given, so the primary key (kind, account, region, id)
 * serves them as one range (see sqlite.c). The whole page is read before the callbacks,
 * which may use the connection again. */
static int pg_list(void *txn, const char *kind, const char *account, const char *region,
                   const char *prefix, const char *after, int limit, store_list_cb cb, void *ud,
                   ferr *e)
{
    pgtxn *t = txn;
    char *upper = NULL, *above = NULL;
    size_t plen = prefix ? strlen(prefix) : 0;
    if (prefix && valid_prefix(prefix) < plen) return 0; /* no (UTF-8) id begins with it */
    if (prefix_upper(prefix ? prefix : "", &upper)) return ferr_oom(e);
    /* one lower bound: the prefix, unless `after` is at or above it */
    const char *lower = after;
    int incl = 0;
    if (plen && (!after || strcmp(after, prefix) < 0)) {
        lower = prefix;
        incl = 1;
    } else if (after && after[valid_prefix(after)]) {
        /* A bound past every id with a prefix (S3 skips a common prefix with "dir/\xff"):
         * a byte above every UTF-8 lead byte after valid text P orders after every id
         * beginning with P, so "id > P\xff..." is "id >= the bound above P". */
        size_t i = valid_prefix(after);
        if ((unsigned char)after[i] < 0xf5) {
            free(upper);
            return ferr_internal(e, "store: ids are UTF-8 on PostgreSQL");
        }
        char *pre = strndup(after, i);
        if (!pre || prefix_upper(pre, &above)) {
            free(pre);
            free(upper);
            return ferr_oom(e);
        }
        free(pre);
        if (!above) { /* nothing orders after it */
            free(upper);
            return 0;
        }
        lower = above;
        incl = 1;
    }
    num lim;
    const char *p[] = {kind, account, region, lower, upper, fmt_i(lim, limit > 0 ? limit : 0)};
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT account, region, id, doc FROM docs WHERE kind=$1%s%s%s%s"
             " ORDER BY account, region, id%s",
             account ? " AND account=$2" : " AND $2::text IS NULL",
             region ? " AND region=$3" : " AND $3::text IS NULL",
             !lower ? " AND $4::text IS NULL"
             : incl ? " AND id>=$4"
                    : " AND id>$4",
             upper ? " AND id<$5" : " AND $5::text IS NULL", " LIMIT NULLIF($6::int, 0)");
    PGresult *r = run_sql(t->c, sql, 6, p, e);
    free(upper);
    free(above);
    if (!r) return -1;
    int n = give_rows(r, kind, limit, cb, ud, e);
    PQclear(r);
    return n;
}

static int pg_range(void *txn, const char *kind, const char *account, const char *region,
                    const store_range_q *q, store_list_cb cb, void *ud, ferr *e)
{
    pgtxn *t = txn;
    const char *dir = q->desc ? "DESC" : "ASC";
    char sql[400];
    snprintf(sql, sizeof(sql),
             "SELECT account, region, id, doc FROM docs WHERE kind=$1%s%s%s%s"
             " ORDER BY account %s, region %s, id %s%s",
             account ? " AND account=$2" : " AND $2::text IS NULL",
             region ? " AND region=$3" : " AND $3::text IS NULL",
             !q->lo       ? " AND $4::text IS NULL"
             : q->lo_incl ? " AND id>=$4"
                          : " AND id>$4",
             !q->hi       ? " AND $5::text IS NULL"
             : q->hi_incl ? " AND id<=$5"
                          : " AND id<$5",
             dir, dir, dir, " LIMIT NULLIF($6::int, 0)");
    num lim;
    const char *p[] = {kind,  account, region,
                       q->lo, q->hi,   fmt_i(lim, q->limit > 0 ? q->limit : 0)};
    PGresult *r = run_sql(t->c, sql, 6, p, e);
    if (!r) return -1;
    int n = give_rows(r, kind, q->limit, cb, ud, e);
    PQclear(r);
    return n;
}

/* ---- audit trail ---- */

/* Text PostgreSQL takes: headers (User-Agent) may carry bytes that are not UTF-8, which a
 * text column refuses; those bytes become '?'. v itself when it is valid (or NULL). */
static const char *clean(const char *v, char **owned)
{
    *owned = NULL;
    if (!v || enc_utf8_valid(v, strlen(v))) return v;
    char *c = strdup(v);
    if (!c) return "";
    for (unsigned char *p = (unsigned char *)c; *p; p++)
        if (*p >= 0x80) *p = '?';
    return *owned = c;
}

/* ST_AUDIT's parameters for r with sequence number seq (0: the next one); the cleaned
 * copies it makes go with audit_params_free. */
typedef struct {
    const char *p[22];
    char *owned[17];
    num tm, ro, stt, sq;
} audit_params;

static void audit_params_make(audit_params *a, const audit_rec *r, int64_t seq)
{
    const char *texts[] = {r->event_id,      r->request_id,     r->account,       r->region,
                           r->principal_arn, r->principal_type, r->username,      r->access_key,
                           r->service,       r->event_source,   r->operation,     r->source_ip,
                           r->user_agent,    r->error_code,     r->error_message, r->resources,
                           r->extra};
    const char *c[17];
    for (int i = 0; i < 17; i++) c[i] = clean(texts[i], &a->owned[i]);
    /* the resources' rows only from JSON that parses (PostgreSQL's jsonb would refuse the
     * event otherwise) */
    const char *res = NULL;
    if (c[15]) {
        json_t *j = json_loads(c[15], 0, NULL);
        if (j) res = c[15];
        json_decref(j);
    }
    const char *p[] = {fmt_d(a->tm, r->time),
                       c[0],
                       c[1],
                       c[2],
                       c[3],
                       c[4],
                       c[5],
                       c[6],
                       c[7],
                       c[8],
                       c[9],
                       c[10],
                       c[11],
                       c[12],
                       fmt_i(a->ro, r->read_only),
                       fmt_i(a->stt, r->status),
                       c[13],
                       c[14],
                       c[15],
                       res,
                       seq ? fmt_i(a->sq, seq) : NULL,
                       c[16]};
    memcpy(a->p, p, sizeof(p));
}

static void audit_params_free(audit_params *a)
{
    for (int i = 0; i < 17; i++) free(a->owned[i]);
}

/* Appends r with sequence number seq (0: the next one). */
static int audit_insert(pgtxn *t, const audit_rec *r, int64_t seq, ferr *e)
{
    audit_params a;
    audit_params_make(&a, r, seq);
    PGresult *q = run(t->c, ST_AUDIT, 22, a.p, e);
    audit_params_free(&a);
    if (!q) return -1;
    PQclear(q);
    return 0;
}

static int pg_audit_append(void *txn, const audit_rec *r, ferr *e)
{
    return audit_insert(txn, r, 0, e);
}

/* The trail's group commit: every insert sent in libpq's pipeline mode, then their results
 * read, one round trip for the batch. One insert at a time waited a round trip each, and
 * that pace capped the trail's writer and, through its queue, every read of a node. */
static int pg_audit_append_many(void *txn, const audit_rec *const *r, size_t n, ferr *e)
{
    pgtxn *t = txn;
    PGconn *pg = t->c->pg;
    char name[16];
    if (n == 1) return audit_insert(t, r[0], 0, e);
    if (prepare(t->c, ST_AUDIT, name, e)) return -1;
    if (!PQenterPipelineMode(pg)) return pgerr(e, pg, "audit");
    int rc = 0;
    size_t sent = 0;
    for (; sent < n; sent++) {
        audit_params a;
        audit_params_make(&a, r[sent], 0);
        int ok = PQsendQueryPrepared(pg, name, 22, a.p, NULL, NULL, 0);
        audit_params_free(&a);
        if (!ok) {
            rc = pgerr(e, pg, "audit");
            break;
        }
    }
    if (!PQpipelineSync(pg) && !rc) rc = pgerr(e, pg, "audit");
    /* each insert's result, then NULL; an insert after a failed one answers
     * PGRES_PIPELINE_ABORTED. No result at all: the connection is gone. */
    for (size_t i = 0; i < sent; i++) {
        PGresult *q;
        int got = 0;
        while ((q = PQgetResult(pg))) {
            got = 1;
            ExecStatusType st = PQresultStatus(q);
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !rc) {
                const char *m = PQresultErrorMessage(q);
                rc = st == PGRES_PIPELINE_ABORTED || !m || !*m
                         ? pgerr(e, pg, "audit")
                         : ferr_internal(e, "store: audit: %.400s", m);
            }
            PQclear(q);
        }
        if (!got) {
            if (!rc) rc = pgerr(e, pg, "audit");
            break;
        }
    }
    PGresult *q = PQgetResult(pg);
    if (PQresultStatus(q) != PGRES_PIPELINE_SYNC && !rc) rc = pgerr(e, pg, "audit");
    PQclear(q);
    if (!PQexitPipelineMode(pg) && !rc) rc = pgerr(e, pg, "audit");
    return rc;
}

/* LookupAttribute key -> the condition on $5. ResourceType and ResourceName read audit_res
 * (k 0 and 1). */
static const struct {
    const char *key, *cond;
    int res;
} lookup_attrs[] = {
    {"EventId", "event_id=$5", 0},           {"EventName", "operation=$5", 0},
    {"ReadOnly", "read_only=$5::int", 0},    {"Username", "username=$5", 0},
    {"EventSource", "event_source=$5", 0},   {"AccessKeyId", "access_key=$5", 0},
    {"ResourceType", "r.k=0 AND r.v=$5", 1}, {"ResourceName", "r.k=1 AND r.v=$5", 1},
};

#define AUDIT_COLS(t) \
    t "seq," t "time," t "event_id," t "request_id," t "account," t "region," t "principal_arn," t \
      "principal_type," t "username," t "access_key," t "service," t "event_source," t \
      "operation," t "source_ip," t "user_agent," t "read_only," t "status," t "error_code," t \
      "error_message," t "resources," t "extra"

/* Newest first: (time, seq) descending, a page starting below the cursor (keyset), as
 * sqlite.c. */
static int pg_audit_query(void *txn, const audit_query *q, store_audit_cb cb, void *ud, ferr *e)
{
    pgtxn *t = txn;
    const char *cond = "$5::text IS NULL";
    int res = 0;
    if (q->attr_key) {
        size_t i = 0, n = sizeof(lookup_attrs) / sizeof(lookup_attrs[0]);
        while (i < n && strcmp(lookup_attrs[i].key, q->attr_key)) i++;
        if (i == n)
            return ferr_set(e, 400, "InvalidLookupAttributesException",
                            "Unsupported lookup attribute %s", q->attr_key);
        cond = lookup_attrs[i].cond;
        res = lookup_attrs[i].res;
    }
    double hi = q->end > 0 ? q->end : 1e308;
    if (q->before_seq > 0 && q->before_time < hi) hi = q->before_time;
    char sql[1400];
    if (res)
        snprintf(sql, sizeof(sql),
                 "SELECT " AUDIT_COLS("a.") " FROM audit_res AS r JOIN audit AS a ON a.seq=r.seq"
                                            " WHERE r.account=$1 AND %s AND %s"
                                            " AND r.time>=$2::float8 AND r.time<=$3::float8"
                                            " AND ($4::bigint=0 OR r.time<$3::float8 OR"
                                            " r.seq<$4::bigint)"
                                            " ORDER BY r.time DESC, r.seq DESC LIMIT $6::int",
                 q->region ? "r.region=$7" : "$7::text IS NULL", cond);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT " AUDIT_COLS("") " FROM audit WHERE account=$1 AND %s"
                                          " AND %s AND time>=$2::float8 AND time<=$3::float8"
                                          " AND ($4::bigint=0 OR time<$3::float8 OR"
                                          " seq<$4::bigint)"
                                          " ORDER BY time DESC, seq DESC LIMIT $6::int",
                 q->region ? "region=$7" : "$7::text IS NULL", cond);
    num b2, b3, b4, b5, b6;
    const char *v5 = q->attr_key ? q->attr_value : NULL;
    if (q->attr_key && !strcmp(q->attr_key, "ReadOnly"))
        v5 = fmt_i(b5, q->attr_value && !strcmp(q->attr_value, "true"));
    char *owned;
    v5 = clean(v5, &owned);
    const char *p[] = {q->account,
                       fmt_d(b2, q->start > 0 ? q->start : -1e308),
                       fmt_d(b3, hi),
                       fmt_i(b4, q->before_seq > 0 && hi == q->before_time ? q->before_seq : 0),
                       v5,
                       fmt_i(b6, q->limit > 0 ? q->limit : 50),
                       q->region};
    PGresult *r = run_sql(t->c, sql, 7, p, e);
    free(owned);
    if (!r) return -1;
    int n = 0, rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        audit_rec a = {
            .time = strtod(PQgetvalue(r, i, 1), NULL),
            .event_id = val(r, i, 2),
            .request_id = val(r, i, 3),
            .account = val(r, i, 4),
            .region = val(r, i, 5),
            .principal_arn = val(r, i, 6),
            .principal_type = val(r, i, 7),
            .username = val(r, i, 8),
            .access_key = val(r, i, 9),
            .service = val(r, i, 10),
            .event_source = val(r, i, 11),
            .operation = val(r, i, 12),
            .source_ip = val(r, i, 13),
            .user_agent = val(r, i, 14),
            .read_only = atoi(PQgetvalue(r, i, 15)),
            .status = atoi(PQgetvalue(r, i, 16)),
            .error_code = val(r, i, 17),
            .error_message = val(r, i, 18),
            .resources = val(r, i, 19),
            .extra = val(r, i, 20),
        };
        n++;
        if (cb(ud, atoll(PQgetvalue(r, i, 0)), &a)) break;
    }
    PQclear(r);
    return n;
}

/* As sqlite.c's trim: up to limit of the oldest events (arrival order) older than before
 * or beyond the newest max_events, judged over one short range of seq. Rollbacks leave gaps
 * in PostgreSQL's sequences, so max-min+1 may count a few events more than there are: the
 * count bound then keeps a few fewer. */
static long long trim(pconn *c, double before, long long max_events, int limit, ferr *e)
{
    PGresult *r = run_sql(c, "SELECT min(seq), max(seq) FROM audit", 0, NULL, e);
    if (!r) return -1;
    long long lo = 0, hi = 0;
    if (PQntuples(r) && !PQgetisnull(r, 0, 0)) {
        lo = atoll(PQgetvalue(r, 0, 0));
        hi = atoll(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    if (!hi) return 0;
    long long upto = lo + limit, cut = lo;
    if (max_events > 0 && hi - lo + 1 > max_events) cut = hi - max_events + 1;
    num b1, b2, b3;
    if (before > 0 && cut < upto) {
        const char *p[] = {fmt_i(b1, cut), fmt_i(b2, upto), fmt_d(b3, before)};
        r = run_sql(c,
                    "SELECT seq FROM audit WHERE seq>=$1::bigint AND seq<$2::bigint"
                    " AND time>=$3::float8 ORDER BY seq LIMIT 1",
                    3, p, e);
        if (!r) return -1;
        cut = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : upto;
        PQclear(r);
    }
    if (cut > upto) cut = upto;
    if (cut <= lo) return 0;
    const char *p[] = {fmt_i(b1, cut)};
    r = run_sql(c, "DELETE FROM audit_res WHERE seq<$1::bigint", 1, p, e);
    if (!r) return -1;
    PQclear(r);
    r = run_sql(c, "DELETE FROM audit WHERE seq<$1::bigint", 1, p, e);
    if (!r) return -1;
    long long n = changes(r);
    PQclear(r);
    return n;
}

static long long pg_audit_trim(void *txn, double before, long long max_events, int limit, ferr *e)
{
    pgtxn *t = txn;
    return trim(t->c, before, max_events, limit > 0 ? limit : 1, e);
}

static int pg_reset(void *impl, ferr *e)
{
    pgs *s = impl;
    pthread_mutex_lock(&s->write_mu);
    pconn *c = s->writer;
    int rc = conn_ready(c, e);
    if (!rc) rc = ctl(c, begin_write_sql(), e);
    if (!rc)
        rc = ctl(c,
                 "DELETE FROM docs; DELETE FROM audit_res; DELETE FROM audit; DELETE FROM mq;"
                 " DELETE FROM mq_keys; COMMIT",
                 e);
    if (rc) ctl(c, "ROLLBACK", NULL);
    pthread_mutex_unlock(&s->write_mu);
    return rc;
}

/* ---- message queues ---- */

static int mq_rows(PGresult *r, store_mq_cb cb, void *ud)
{
    int n = 0, rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        store_msg m = {
            .seq = atoll(PQgetvalue(r, i, 0)),
            .id = PQgetvalue(r, i, 1),
            .group = PQgetvalue(r, i, 2),
            .sent_at = strtod(PQgetvalue(r, i, 3), NULL),
            .visible_at = strtod(PQgetvalue(r, i, 4), NULL),
            .expires_at = strtod(PQgetvalue(r, i, 5), NULL),
            .receives = atoi(PQgetvalue(r, i, 6)),
            .first_receive = strtod(PQgetvalue(r, i, 7), NULL),
            .receipt = PQgetvalue(r, i, 8),
            .doc = PQgetvalue(r, i, 9),
        };
        n++;
        if (cb(ud, &m)) break;
    }
    return n;
}

/* Appends m (with its own seq when keep, else the next one, set in m->seq). */
static int mq_insert(pgtxn *t, const char *queue, store_msg *m, int keep, ferr *e)
{
    num b4, b5, b6, b7, b8, b11;
    const char *p[] = {queue,
                       m->id ? m->id : "",
                       m->group ? m->group : "",
                       fmt_d(b4, m->sent_at),
                       fmt_d(b5, m->visible_at),
                       fmt_d(b6, m->expires_at),
                       fmt_i(b7, m->receives),
                       fmt_d(b8, m->first_receive),
                       m->receipt ? m->receipt : "",
                       m->doc ? m->doc : "{}",
                       keep ? fmt_i(b11, m->seq) : NULL};
    PGresult *r = run(t->c, ST_MQ_PUT, 11, p, e);
    if (!r) return -1;
    m->seq = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static int pg_mq_put(void *txn, const char *queue, store_msg *m, ferr *e)
{
    return mq_insert(txn, queue, m, 0, e);
}

static int pg_mq_get(void *txn, const char *queue, int64_t seq, store_mq_cb cb, void *ud, ferr *e)
{
    pgtxn *t = txn;
    num b;
    const char *p[] = {queue, fmt_i(b, seq)};
    PGresult *r = run(t->c, ST_MQ_GET, 2, p, e);
    if (!r) return -1;
    int n = mq_rows(r, cb, ud) > 0;
    PQclear(r);
    return n;
}

static int pg_mq_update(void *txn, const char *queue, const store_msg *m, ferr *e)
{
    pgtxn *t = txn;
    num b2, b3, b4, b5;
    const char *p[] = {queue,
                       fmt_i(b2, m->seq),
                       fmt_d(b3, m->visible_at),
                       fmt_i(b4, m->receives),
                       fmt_d(b5, m->first_receive),
                       m->receipt ? m->receipt : ""};
    PGresult *r = run(t->c, ST_MQ_UPDATE, 6, p, e);
    if (!r) return -1;
    int n = changes(r) > 0;
    PQclear(r);
    return n;
}

static int pg_mq_del(void *txn, const char *queue, int64_t seq, ferr *e)
{
    pgtxn *t = txn;
    num b;
    const char *p[] = {queue, fmt_i(b, seq)};
    PGresult *r = run(t->c, ST_MQ_DEL, 2, p, e);
    if (!r) return -1;
    int n = changes(r) > 0;
    PQclear(r);
    return n;
}

static int pg_mq_scan(void *txn, const char *queue, const store_mq_scan_opts *o, store_mq_cb cb,
                      void *ud, ferr *e)
{
    pgtxn *t = txn;
    num b2, b3;
    const char *p[] = {queue, fmt_d(b2, o->now), fmt_i(b3, o->limit > 0 ? o->limit : 1)};
    PGresult *r = run(t->c, o->ordered_groups ? ST_MQ_SCAN_GROUPS : ST_MQ_SCAN, 3, p, e);
    if (!r) return -1;
    int n = mq_rows(r, cb, ud);
    PQclear(r);
    return n;
}

/* Runs one of the statements that ask a queue something as of now. */
static PGresult *mq_ask(pgtxn *t, int which, const char *queue, double now, ferr *e)
{
    num b;
    const char *p[] = {queue, fmt_d(b, now)};
    return run(t->c, which, 2, p, e);
}

static int pg_mq_count(void *txn, const char *queue, double now, store_mq_counts *out, ferr *e)
{
    PGresult *r = mq_ask(txn, ST_MQ_COUNT, queue, now, e);
    if (!r) return -1;
    out->visible = atoll(PQgetvalue(r, 0, 0));
    out->inflight = atoll(PQgetvalue(r, 0, 1));
    out->delayed = atoll(PQgetvalue(r, 0, 2));
    PQclear(r);
    return 0;
}

static int pg_mq_next_visible(void *txn, const char *queue, double now, double *at, ferr *e)
{
    PGresult *r = mq_ask(txn, ST_MQ_NEXT, queue, now, e);
    if (!r) return -1;
    int ret = 0;
    if (PQntuples(r) && !PQgetisnull(r, 0, 0)) {
        *at = strtod(PQgetvalue(r, 0, 0), NULL);
        ret = 1;
    }
    PQclear(r);
    return ret;
}

static long long pg_mq_purge(void *txn, const char *queue, int keys, ferr *e)
{
    pgtxn *t = txn;
    const char *p[] = {queue};
    PGresult *r = run(t->c, ST_MQ_PURGE, 1, p, e);
    if (!r) return -1;
    long long n = changes(r);
    PQclear(r);
    if (keys) {
        if (!(r = run(t->c, ST_MQ_PURGE_KEYS, 1, p, e))) return -1;
        PQclear(r);
    }
    return n;
}

static int pg_mq_key_get(void *txn, const char *queue, const char *key, double now, char **value,
                         int64_t *num_out, ferr *e)
{
    pgtxn *t = txn;
    num b;
    const char *p[] = {queue, key, fmt_d(b, now)};
    if (value) *value = NULL;
    PGresult *r = run(t->c, ST_MQ_KEY_GET, 3, p, e);
    if (!r) return -1;
    int ret = 0;
    if (PQntuples(r)) {
        ret = 1;
        const char *v = val(r, 0, 0);
        if (value && v && !(*value = strdup(v))) ret = ferr_oom(e);
        if (num_out) *num_out = PQgetisnull(r, 0, 1) ? 0 : atoll(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return ret;
}

static int pg_mq_key_put(void *txn, const char *queue, const char *key, double now,
                         double expires_at, const char *value, int64_t n, ferr *e)
{
    pgtxn *t = txn;
    PGresult *r = mq_ask(t, ST_MQ_KEY_EXPIRE, queue, now, e);
    if (!r) return -1;
    PQclear(r);
    num b3, b5;
    const char *p[] = {queue, key, fmt_d(b3, expires_at), value, fmt_i(b5, n)};
    if (!(r = run(t->c, ST_MQ_KEY_PUT, 5, p, e))) return -1;
    PQclear(r);
    return 0;
}

/* store copy into this database: rows keep their sequence numbers, and the sequences move
 * past them at the end. */
static int pg_load(void *txn, const store_row *r, ferr *e)
{
    pgtxn *t = txn;
    PGresult *q;
    if (!r) {
        q = run_sql(t->c,
                    "SELECT setval('mq_seq_seq', greatest((SELECT max(seq) FROM mq), 1)),"
                    " setval('audit_seq_seq', greatest((SELECT max(seq) FROM audit), 1))",
                    0, NULL, e);
        if (!q) return -1;
        PQclear(q);
        return 0;
    }
    switch (r->type) {
    case STORE_ROW_DOC: return pg_put(txn, &r->k, r->doc, 0, e);
    case STORE_ROW_MSG: {
        store_msg m = r->m;
        return mq_insert(t, r->queue, &m, 1, e);
    }
    case STORE_ROW_KEY: {
        num b3, b5;
        const char *p[] = {r->queue, r->key, fmt_d(b3, r->expires_at), r->value, fmt_i(b5, r->num)};
        if (!(q = run(t->c, ST_MQ_KEY_PUT, 5, p, e))) return -1;
        PQclear(q);
        return 0;
    }
    case STORE_ROW_AUDIT: return audit_insert(t, &r->a, r->seq, e);
    }
    return ferr_internal(e, "store copy: unknown row");
}

const store_backend store_postgres_backend = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .describe = pg_describe,
    .schema_version = pg_schema_version,
    .begin = pg_begin,
    .commit = pg_commit,
    .listen = pg_listen,
    .announce = pg_announce,
    .rollback = pg_rollback,
    .get = pg_get,
    .put = pg_put,
    .del = pg_del,
    .list = pg_list,
    .range = pg_range,
    .audit_append = pg_audit_append,
    .audit_append_many = pg_audit_append_many,
    .audit_query = pg_audit_query,
    .audit_trim = pg_audit_trim,
    .audit_retention = pg_audit_retention,
    .reset = pg_reset,
    .savepoint = pg_savepoint,
    .mq_put = pg_mq_put,
    .mq_get = pg_mq_get,
    .mq_update = pg_mq_update,
    .mq_del = pg_mq_del,
    .mq_scan = pg_mq_scan,
    .mq_count = pg_mq_count,
    .mq_next_visible = pg_mq_next_visible,
    .mq_purge = pg_mq_purge,
    .mq_key_get = pg_mq_key_get,
    .mq_key_put = pg_mq_key_put,
    .load = pg_load,
};
