/* SQLite backend: one file in the data directory, WAL journal.
 *
 * Durability: in WAL mode a COMMIT has written the transaction to the WAL file before it
 * returns, so a success reply survives kill -9 of the server with --sync normal (the OS
 * holds the pages). --sync full also survives power loss, at the cost of an fsync per
 * commit. The files are opened through walbuf.c, which writes a commit's frames at once
 * when SQLite syncs them and reaches the disk then only under --sync full.
 *
 * Concurrency: connections are pooled; one writer at a time is enforced with a process
 * mutex (cheaper and fairer than SQLite's sleeping busy handler), readers run beside it on
 * their own snapshot. busy_timeout still covers other processes (ferry init on a live
 * data directory). */
#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "pool.h"
#include "trailbloom.h"
#include "walbuf.h"

enum {
    ST_BEGIN = ST_SHARED, /* after the shared ones (pool.h) */
    ST_BEGIN_WRITE,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_MEMBER,
    ST_MEMBER_RELEASE,
    ST_MEMBER_UNDO,
    ST_AUDIT_BLOCK,
    ST_AUDIT_BLOOM,
    ST_COUNT
};

/* The resources of event ev, a row each; a value that is not an array of objects gives
 * none (json_each and json_extract never see bad JSON). RES_VAL is a field of one as the
 * lookups compare it, text (as audit_res kept it before schema 6). */
#define AUDIT_RES_ARR(ev) \
    "json_each(CASE WHEN json_valid(" ev ".resources) THEN CASE json_type(" ev ".resources)" \
    " WHEN 'array' THEN " ev ".resources END END) AS j"
#define RES_VAL(field) \
    "CAST(json_extract(CASE j.type WHEN 'object' THEN j.value END, '$." field "') AS TEXT)"

/* a block's lookup values, in the order of trailbloom.h's attributes from column 1 */
#define RES_VALS RES_VAL("ResourceType") ", " RES_VAL("ResourceName")
#define AUDIT_BLOCK_SQL \
    "SELECT coalesce(a.account,''), a.event_id, a.operation, a.username, a.event_source," \
    " a.access_key, " RES_VALS \
    " FROM audit AS a LEFT JOIN " AUDIT_RES_ARR("a") " ON 1 WHERE a.seq BETWEEN ?1 AND ?2"

#define MQ_COLS "seq,id,grp,sent_at,visible_at,expires_at,receives,first_receive,receipt,doc"

static const char *const stmt_sql[ST_COUNT] = {
    /* transaction control is prepared too: parsing it again was visible in profiles */
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT sp",
    [ST_RELEASE] = "RELEASE sp",
    [ST_ROLLBACK_TO] = "ROLLBACK TO sp",
    /* a transaction that joins a group's open one (sq_begin) */
    [ST_MEMBER] = "SAVEPOINT member",
    [ST_MEMBER_RELEASE] = "RELEASE member",
    [ST_MEMBER_UNDO] = "ROLLBACK TO member",
    [ST_GET] = "SELECT doc FROM docs WHERE kind=?1 AND account=?2 AND region=?3 AND id=?4",
    [ST_PUT] = "INSERT OR REPLACE INTO docs(kind,account,region,id,doc) VALUES(?1,?2,?3,?4,?5)",
    [ST_INSERT] = "INSERT OR IGNORE INTO docs(kind,account,region,id,doc) VALUES(?1,?2,?3,?4,?5)",
    [ST_DEL] = "DELETE FROM docs WHERE kind=?1 AND account=?2 AND region=?3 AND id=?4",
    [ST_AUDIT] = "INSERT INTO audit(time,event_id,request_id,account,region,principal_arn,"
                 "principal_type,username,access_key,service,event_source,operation,source_ip,"
                 "user_agent,read_only,status,error_code,error_message,resources,extra) "
                 "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
    [ST_AUDIT_BLOCK] = AUDIT_BLOCK_SQL,
    [ST_AUDIT_BLOOM] = "INSERT OR REPLACE INTO audit_bloom(blk, bits) VALUES(?1, ?2)",
    [ST_MQ_PUT] =
        "INSERT INTO mq(queue,id,grp,sent_at,visible_at,expires_at,receives,first_receive,"
        "receipt,doc) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [ST_MQ_GET] = "SELECT " MQ_COLS " FROM mq WHERE seq=?2 AND queue=?1",
    [ST_MQ_UPDATE] = "UPDATE mq SET visible_at=?3, receives=?4, first_receive=?5, receipt=?6"
                     " WHERE seq=?2 AND queue=?1",
    [ST_MQ_DEL] = "DELETE FROM mq WHERE seq=?2 AND queue=?1",
    [ST_MQ_SCAN] = "SELECT " MQ_COLS " FROM mq WHERE queue=?1 AND visible_at<=?2"
                   " ORDER BY visible_at LIMIT ?3",
    /* FIFO-style groups: in order, skipping groups with an earlier message still hidden or
     * any message in flight (mq_order and mq_group are partial indexes on grouped rows; the
     * order index covers the filter, so a scan stops after `limit` eligible rows) */
    [ST_MQ_SCAN_GROUPS] = "SELECT " MQ_COLS " FROM mq AS m INDEXED BY mq_order WHERE queue=?1"
                          " AND grp<>''"
                          " AND visible_at<=?2 AND NOT EXISTS(SELECT 1 FROM mq AS o"
                          " WHERE o.queue=?1 AND o.grp=m.grp AND o.grp<>'' AND o.visible_at>?2"
                          " AND (o.receives>0 OR o.seq<m.seq)) ORDER BY seq LIMIT ?3",
    [ST_MQ_COUNT] = "SELECT coalesce(sum(visible_at<=?2 AND expires_at>?2),0),"
                    " coalesce(sum(visible_at>?2 AND receives>0 AND expires_at>?2),0),"
                    " coalesce(sum(visible_at>?2 AND receives=0 AND expires_at>?2),0)"
                    " FROM mq WHERE queue=?1",
    [ST_MQ_NEXT] = "SELECT min(visible_at) FROM mq WHERE queue=?1 AND visible_at>?2",
    [ST_MQ_PURGE] = "DELETE FROM mq WHERE queue=?1",
    [ST_MQ_PURGE_KEYS] = "DELETE FROM mq_keys WHERE queue=?1",
    [ST_MQ_KEY_GET] = "SELECT value,num FROM mq_keys WHERE queue=?1 AND key=?2 AND expires_at>?3",
    [ST_MQ_KEY_PUT] = "INSERT OR REPLACE INTO mq_keys(queue,key,expires_at,value,num)"
                      " VALUES(?1,?2,?3,?4,?5)",
    [ST_MQ_KEY_EXPIRE] = "DELETE FROM mq_keys WHERE queue=?1 AND expires_at<=?2",
};

/* audit_res rows (k 0 ResourceType, 1 ResourceName) of event ev's resources (the
 * migrations that kept them) */
#define AUDIT_RES_ROWS(ev, from) \
    "INSERT OR IGNORE INTO audit_res SELECT coalesce(" ev ".account, '')," \
    " coalesce(" ev ".region, ''), 0," \
    " json_extract(CASE j.type WHEN 'object' THEN j.value END, '$.ResourceType') AS v, " ev \
    ".time, " ev ".seq FROM " from \
    AUDIT_RES_ARR(ev) " WHERE v IS NOT NULL;" \
                      "INSERT OR IGNORE INTO audit_res SELECT coalesce(" ev ".account, '')," \
                      " coalesce(" ev ".region, ''), 1," \
                      " json_extract(CASE j.type WHEN 'object' THEN j.value END, " \
                      "'$.ResourceName') AS v, " ev ".time, " ev ".seq FROM " from \
                      AUDIT_RES_ARR(ev) " WHERE v IS NOT NULL;"

/* Versioned migrations: index i brings the schema from version i to i+1. Never edit a
 * released step; append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE docs(kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,"
    " id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(kind, account, region, id)) WITHOUT ROWID;"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
    " event_id TEXT, request_id TEXT, account TEXT, region TEXT, principal_arn TEXT,"
    " principal_type TEXT, username TEXT, access_key TEXT, service TEXT, event_source TEXT,"
    " operation TEXT, source_ip TEXT, user_agent TEXT, read_only INTEGER, status INTEGER,"
    " error_code TEXT, error_message TEXT, resources TEXT);"
    "CREATE INDEX audit_account_time ON audit(account, time);",
    /* 1 -> 2: message queues (store_mq_*). seq is the arrival order and never reused. */
    "CREATE TABLE mq(seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,"
    " id TEXT NOT NULL, grp TEXT NOT NULL, sent_at REAL NOT NULL, visible_at REAL NOT NULL,"
    " expires_at REAL NOT NULL, receives INTEGER NOT NULL, first_receive REAL NOT NULL,"
    " receipt TEXT NOT NULL, doc TEXT NOT NULL);"
    "CREATE INDEX mq_visible ON mq(queue, visible_at);"
    "CREATE INDEX mq_order ON mq(queue, seq, visible_at, grp) WHERE grp<>'';"
    "CREATE INDEX mq_group ON mq(queue, grp, visible_at) WHERE grp<>'';"
    "CREATE TABLE mq_keys(queue TEXT NOT NULL, key TEXT NOT NULL, expires_at REAL NOT NULL,"
    " value TEXT, num INTEGER, PRIMARY KEY(queue, key)) WITHOUT ROWID;"
    "CREATE INDEX mq_keys_expiry ON mq_keys(queue, expires_at);",
    /* 2 -> 3: LookupEvents by each attribute and time without a scan. Events are listed
     * newest first per account and region: each index is (account, region, attribute,
     * time), seq (the rowid) following, so a page is a range read in order, whatever the
     * size of the trail. Resources (a JSON array per event) get rows of their own, kept by
     * triggers, so the trail's writers and its retention need not know. */
    "DROP INDEX audit_account_time;"
    "CREATE INDEX audit_time ON audit(account, region, time);"
    "CREATE INDEX audit_event ON audit(account, region, event_id);"
    "CREATE INDEX audit_name ON audit(account, region, operation, time);"
    "CREATE INDEX audit_ro ON audit(account, region, read_only, time);"
    "CREATE INDEX audit_user ON audit(account, region, username, time);"
    "CREATE INDEX audit_source ON audit(account, region, event_source, time);"
    "CREATE INDEX audit_key ON audit(account, region, access_key, time);"
    /* k: 0 ResourceType, 1 ResourceName */
    "CREATE TABLE audit_res(account TEXT, region TEXT, k INTEGER NOT NULL, v TEXT NOT NULL,"
    " time REAL NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY(account, region, k, v, time, seq)) WITHOUT ROWID;"
    "CREATE INDEX audit_res_seq ON audit_res(seq);"
    "CREATE TRIGGER audit_res_add AFTER INSERT ON audit WHEN new.resources IS NOT NULL "
    "BEGIN " AUDIT_RES_ROWS(
        "new", "") " END;"
                   "CREATE TRIGGER audit_res_del AFTER DELETE ON audit BEGIN"
                   " DELETE FROM audit_res WHERE seq=old.seq; END;" AUDIT_RES_ROWS("a",
                                                                                   "audit AS a, "),
    /* 3 -> 4: an event's additionalEventData (the policy decision of a refusal) */
    "ALTER TABLE audit ADD COLUMN extra TEXT;",
    /* 4 -> 5: an event's resource rows are written by sq_audit_append (the trigger's two
     * JSON parses, its subprogram and statement journal were a third of an event's insert) */
    "DROP TRIGGER audit_res_add;",
    /* 5 -> 6: one index (account, region, time) and a Bloom filter per block of events
     * (trailbloom.h) instead of an index per lookup attribute and the resource rows: an
     * event was 12 B-tree inserts, a third of a write's CPU. Blocks written before get their
     * filters at open (backfill). */
    "DROP INDEX audit_event; DROP INDEX audit_name; DROP INDEX audit_ro;"
    " DROP INDEX audit_user; DROP INDEX audit_source; DROP INDEX audit_key;"
    "DROP TRIGGER audit_res_del; DROP TABLE audit_res;"
    "CREATE TABLE audit_bloom(blk INTEGER PRIMARY KEY, bits BLOB NOT NULL);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* sq_list's statements, one for each set of filters given (see list_sql) */
#define LIST_VARIANTS 24

/* transactions a group commits at most at once: a member waits for those after it */
#define GROUP_MAX 16

/* The filter of the trail's block being appended, built as its events are appended (on
 * the writer's connection): summarize read a whole block back from the table for it, a
 * tenth of the trail writer's work. Only a block whose every event was seen, in order, is
 * written from it; any other is summarized from the table as before. */
typedef struct bloom_acc {
    int64_t next; /* the seq the next event must have */
    int ok;       /* bits holds every event of the block up to next */
    unsigned char bits[TRAIL_BLOOM_BYTES];
} bloom_acc;

typedef struct conn {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    sqlite3_stmt *list_st[LIST_VARIANTS]; /* prepared on first use */
    bloom_acc *acc;                       /* the writer's, made on its first event */
} conn;

typedef struct sq {
    char path[4096];
    char desc[4200];
    store_sync sync;
    pthread_mutex_t write_mu;
    store_pool pool; /* readers' idle connections */
    /* every write transaction runs on this one connection (under write_mu): SQLite drops a
     * connection's page cache when another connection has written, so a single writer
     * keeps its cache warm instead of re-reading each page it touches */
    conn *writer;
    /* WAL checkpoints run here, not inside a COMMIT that holds write_mu (their fsync
     * stalled every writer for 5-13 ms) */
    store_ticker ckpt;
    conn *ckpt_conn; /* the checkpointer's own (it also reads ahead for retention) */
    _Atomic int ckpt_running;
    /* Group commit (store_commit_group): a write transaction that ends while others wait
     * for the write lock may leave its work uncommitted in the writer's open transaction
     * and wait; the next ones join it, each inside a savepoint of its own, and the first
     * to end with nobody waiting (or the GROUP_MAX-th) commits them all at once. Under
     * write_mu, except group_seq/group_rc, read under group_mu by those waiting. */
    _Atomic int want; /* threads waiting in sq_begin for write_mu */
    int open;         /* the writer has a transaction open, with members or not */
    int members;      /* ended transactions in it, waiting for its commit */
    void (*committed[GROUP_MAX])(void *);
    void *committed_arg[GROUP_MAX];
    pthread_mutex_t group_mu;
    pthread_cond_t group_cv;
    uint64_t group_seq; /* moves with each end of an open transaction */
    int group_told;     /* group_seq moved and those waiting are not woken yet (write_mu) */
    int group_rc;
    char group_err[sizeof(((ferr *)0)->message)];
} sq;

typedef struct sqtxn {
    sq *s;
    conn *c; /* a read's is taken at its first statement (reader) */
    int write;
    int member; /* joined an open group: its work is in the savepoint "member" */
    int group;  /* begun as STORE_WRITE_GROUP */
} sqtxn;

/* Releases write_mu, then wakes the members of a group committed under it: woken before,
 * they took the CPU from the thread still holding the lock (a 2-core machine held it
 * half as long again as its work took). They read group_seq under group_mu, so a wake
 * after its change is never lost. */
static void write_unlock(sq *s)
{
    int told = s->group_told;
    s->group_told = 0;
    pthread_mutex_unlock(&s->write_mu);
    if (told) pthread_cond_broadcast(&s->group_cv);
}

static void write_lock(sq *s);
static void trail_maybe_fn(sqlite3_context *cx, int argc, sqlite3_value **argv);
static int summarize(conn *c, int64_t blk, ferr *e);
static int seq_range(sqlite3 *db, long long *lo, long long *hi, ferr *e);

static int sqerr(ferr *e, sqlite3 *db, const char *what)
{
    return ferr_internal(e, "store: %s: %s", what, db ? sqlite3_errmsg(db) : "no connection");
}

static void conn_free(conn *c)
{
    if (!c) return;
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(c->st[i]);
    for (int i = 0; i < LIST_VARIANTS; i++) sqlite3_finalize(c->list_st[i]);
    sqlite3_close(c->db);
    free(c->acc);
    free(c);
}

static void conn_free_v(void *c)
{
    conn_free(c);
}

static int step_ctl(conn *c, int which, ferr *e)
{
    sqlite3_stmt *st = c->st[which];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    return ferr_internal(e, "store: %s: %s", stmt_sql[which], sqlite3_errmsg(c->db));
}

static int exec(sqlite3 *db, const char *sql, ferr *e)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ferr_internal(e, "store: %s", msg ? msg : "exec failed");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Before SQLite initializes: no allocation statistics (nothing reads them), whose global
 * mutex every one of SQLite's allocations took. Too late (SQLite already in use) is
 * harmless: the call fails and statistics stay on. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static conn *conn_open(sq *s, ferr *e)
{
    pthread_once(&sqlite_once, sqlite_setup);
    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        ferr_oom(e);
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const char *vfs = walbuf_vfs(s->sync == STORE_SYNC_FULL);
    if (sqlite3_open_v2(s->path, &c->db, flags, vfs) != SQLITE_OK) {
        sqerr(e, c->db, "open");
        conn_free(c);
        return NULL;
    }
    sqlite3_busy_timeout(c->db, 10000);
    if (sqlite3_create_function_v2(c->db, "trail_maybe", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   NULL, trail_maybe_fn, NULL, NULL, NULL) != SQLITE_OK) {
        sqerr(e, c->db, "trail_maybe");
        conn_free(c);
        return NULL;
    }
    /* the checkpointer thread does checkpoints; commits must not */
    if (s->ckpt_running) sqlite3_wal_autocheckpoint(c->db, 0);
    char pragmas[256];
    /* with the WAL shim every commit syncs: the shim writes the commit's frames then, and
     * reaches the disk only as --sync asks (walbuf.c) */
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
             "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;%s",
             vfs || s->sync == STORE_SYNC_FULL ? "FULL" : "NORMAL",
             vfs ? " PRAGMA checkpoint_fullfsync=ON;" : "");
    if (exec(c->db, pragmas, e)) {
        conn_free(c);
        return NULL;
    }
    return c;
}

static int conn_prepare(conn *c, ferr *e)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                               NULL) != SQLITE_OK)
            return sqerr(e, c->db, "prepare");
    }
    return 0;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

static int migrate(sqlite3 *db, ferr *e)
{
    if (exec(db, "BEGIN IMMEDIATE", e)) return -1;
    int v = user_version(db);
    if (v > NMIGRATIONS) {
        exec(db, "ROLLBACK", NULL);
        return ferr_internal(e, "store schema version %d is newer than this ferry (%d)", v,
                             NMIGRATIONS);
    }
    for (; v < NMIGRATIONS; v++) {
        char sql[64];
        if (exec(db, migrations[v], e)) goto fail;
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
        if (exec(db, sql, e)) goto fail;
    }
    return exec(db, "COMMIT", e);
fail:
    exec(db, "ROLLBACK", NULL);
    return -1;
}

static int mkdirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* At rest the store holds every account's secret keys, session secrets and the SNS signing
 * key; its only protection is the file system, so the data directory is 0700 and its files
 * 0600 whatever the umask (SQLite gives -wal and -shm the mode of the database file). */
static const char *const store_files[] = {"ferry.db",         "ferry.db-wal",   "ferry.db-shm",
                                          "ferry.db-journal", "kms-master.key", "s3-master.key"};

static int ours(const char *name)
{
    for (size_t i = 0; i < sizeof(store_files) / sizeof(store_files[0]); i++)
        if (!strcmp(name, store_files[i])) return 1;
    /* the blob store's directory (store/blob_files.c keeps it 0700 itself) */
    return !strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "blobs");
}

/* 1 when dir holds nothing but the store's files, 0 when it holds others, -1 unreadable. */
static int only_ours(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int only = 1;
    for (struct dirent *de; only && (de = readdir(d));) only = ours(de->d_name);
    closedir(d);
    return only;
}

/* A data directory others can read is made 0700 (saying so) when it is ferry's own: owned by
 * us, not sticky, holding only the store's files (the common `mkdir d && ferry serve --data
 * d`). A directory that also holds other things (a home directory, /tmp) is refused rather
 * than changed under its other users. */
static int secure_dir(const char *dir, ferr *e)
{
    struct stat sb;
    if (stat(dir, &sb)) return ferr_internal(e, "data directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return ferr_internal(e, "data directory %s: not a directory", dir);
    if (!(sb.st_mode & 077)) return 0;
    unsigned mode = (unsigned)(sb.st_mode & 07777);
    if (sb.st_uid != geteuid() || (sb.st_mode & S_ISVTX) || only_ours(dir) != 1)
        return ferr_internal(e,
                             "data directory %s is open to other users (mode %04o) and is not "
                             "ferry's alone: it would expose every account's secret keys; "
                             "chmod 700 it or use a directory of its own",
                             dir, mode);
    if (chmod(dir, 0700))
        return ferr_internal(e, "data directory %s: chmod 700: %s", dir, strerror(errno));
    log_warn("data directory %s was mode %04o, open to other users: now 0700 (it holds every "
             "account's secret keys)",
             dir, mode);
    return 0;
}

/* Creates ferry.db 0600 before SQLite does (SQLite's default is 0644 less the umask), and
 * takes group and other access from store files an older ferry left. */
static int secure_files(const char *dir, ferr *e)
{
    char path[4200];
    for (size_t i = 0; i < sizeof(store_files) / sizeof(store_files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, store_files[i]);
        struct stat sb;
        if (!lstat(path, &sb)) {
            if (!S_ISREG(sb.st_mode))
                return ferr_internal(e, "store file %s: not a regular file", path);
            if ((sb.st_mode & 077) && chmod(path, 0600))
                return ferr_internal(e, "store file %s: chmod 600: %s", path, strerror(errno));
            if (sb.st_mode & 077)
                log_warn("store file %s was mode %04o: now 0600", path,
                         (unsigned)(sb.st_mode & 07777));
        } else if (i == 0) {
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (fd < 0 && errno != EEXIST)
                return ferr_internal(e, "store file %s: %s", path, strerror(errno));
            if (fd >= 0) close(fd); /* an empty file is an empty SQLite database */
        }
    }
    return 0;
}

int store_data_dir(const char *dir, ferr *e)
{
    if (mkdirs(dir))
        return ferr_internal(e, "cannot create data directory %s: %s", dir, strerror(errno));
    return secure_dir(dir, e);
}

#define WAL_RESTART_FRAMES 8192 /* about 32 MiB of WAL */

static long long trim(sqlite3 *db, double before, long long max_events, int limit, ferr *e);

/* events per retention step: 500 held the write lock 0.9 ms on a million events
 * (audit_bench; 64 ms with an index per lookup attribute, when this was 64), 256 about half
 * of that. 60 steps per 200 ms tick: about 75,000 events a second, more than the server
 * takes in (at 64, 15,000 a second: 26,000 KMS calls a second grew a trail past its bound
 * of 50,000 by 20,000 a second; now it stays within 10 %). */
#define TRIM_BATCH 256
#define TRIM_STEPS 60

/* Reads, on the checkpointer's own connection and outside the write lock, the pages a step
 * is about to delete from: on a large trail the oldest events' pages are cold, and a step
 * that read them from disk under the lock held it for a second (audit_bench, 10 million
 * events: 1.3 s for 500). */
static void prefetch(sqlite3 *db)
{
    static const char sql[] =
        "SELECT (SELECT 1 FROM audit AS x INDEXED BY audit_time WHERE x.account IS a.account"
        " AND x.region IS a.region AND x.time=a.time AND x.seq=a.seq)"
        " FROM (SELECT * FROM audit ORDER BY seq LIMIT ?1) AS a";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return; /* only a hint */
    sqlite3_bind_int(st, 1, TRIM_BATCH);
    while (sqlite3_step(st) == SQLITE_ROW) {
    }
    sqlite3_finalize(st);
}

/* One tick of audit retention on the writer connection, a step per write transaction, the
 * write lock released (and the thread paused) between steps so requests interleave. */
static void retain(sq *s, sqlite3 *reader, const store_retention *r)
{
    for (int i = 0; i < TRIM_STEPS; i++) {
        ferr e = {0};
        prefetch(reader);
        write_lock(s);
        long long n = -1;
        if (!step_ctl(s->writer, ST_BEGIN_WRITE, &e)) {
            double before = r->max_age > 0 ? clock_now() - r->max_age : 0;
            n = trim(s->writer->db, before, r->max_events, TRIM_BATCH, &e);
            if (n < 0 || step_ctl(s->writer, ST_COMMIT, &e)) {
                step_ctl(s->writer, ST_ROLLBACK, NULL);
                n = -1;
            }
        }
        write_unlock(s);
        if (n < 0) log_error("audit retention: %s", e.message);
        if (n < TRIM_BATCH || store_ticker_stopping(&s->ckpt)) return;
        nanosleep(&(struct timespec){0, 2 * 1000000L}, NULL);
    }
}

static void checkpoint(void *ud, const store_retention *r)
{
    sq *s = ud;
    conn *c = s->ckpt_conn;
    if (r->max_age > 0 || r->max_events > 0) retain(s, c->db, r);
    /* PASSIVE: copies what no reader needs, never waits for or blocks writers */
    int nlog = 0;
    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, NULL);
    if (nlog > WAL_RESTART_FRAMES) {
        /* Under a steady load some reader always holds a WAL snapshot, so the WAL never
         * starts over by itself and grows without bound (1 GB in a 6 s benchmark), every
         * new frame a fresh file page. RESTART, with writers held off, waits for the
         * (short) readers and makes the next commit write from the WAL's start. */
        write_lock(s);
        sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        write_unlock(s);
    }
}

/* Writes the filters whole blocks of the trail lack: blocks written before them (schema 5),
 * or one whose last event's transaction rolled back. At open, before anything else runs,
 * 256 blocks a transaction (a million events: about a second, once). */
static int backfill(conn *c, ferr *e)
{
    long long lo, hi, have = 0;
    if (seq_range(c->db, &lo, &hi, e)) return -1;
    int64_t first = lo / TRAIL_BLOCK, last = (hi + 1) / TRAIL_BLOCK - 1; /* the last whole */
    if (!hi || last < first) return 0;
    sqlite3_stmt *count, *has;
    if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM audit_bloom WHERE blk BETWEEN ?1 AND ?2",
                           -1, &count, NULL))
        return sqerr(e, c->db, "audit backfill");
    sqlite3_bind_int64(count, 1, first);
    sqlite3_bind_int64(count, 2, last);
    if (sqlite3_step(count) == SQLITE_ROW) have = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    if (have == last - first + 1) return 0;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM audit_bloom WHERE blk=?1", -1, &has, NULL))
        return sqerr(e, c->db, "audit backfill");
    int rc = 0, open = 0, done = 0;
    for (int64_t blk = last; blk >= first && !rc; blk--) {
        sqlite3_bind_int64(has, 1, blk);
        int found = sqlite3_step(has) == SQLITE_ROW;
        sqlite3_reset(has);
        if (found) continue;
        if (!open && !(rc = step_ctl(c, ST_BEGIN_WRITE, e))) open = 1;
        if (!rc) rc = summarize(c, blk, e);
        if (!rc && ++done % 256 == 0) {
            rc = step_ctl(c, ST_COMMIT, e);
            open = 0;
        }
    }
    sqlite3_finalize(has);
    if (open && (rc || step_ctl(c, ST_COMMIT, e))) {
        step_ctl(c, ST_ROLLBACK, NULL);
        rc = -1;
    }
    if (done) log_info("audit trail: lookup filters written for %d blocks of events", done);
    return rc;
}

static void *sq_open(const char *location, store_sync sync, ferr *e)
{
    sq *s = calloc(1, sizeof(*s));
    if (!s) {
        ferr_oom(e);
        return NULL;
    }
    if (mkdirs(location)) {
        ferr_internal(e, "cannot create data directory %s: %s", location, strerror(errno));
        free(s);
        return NULL;
    }
    if (secure_dir(location, e) || secure_files(location, e)) {
        free(s);
        return NULL;
    }
    snprintf(s->path, sizeof(s->path), "%s/ferry.db", location);
    snprintf(s->desc, sizeof(s->desc), "sqlite:%s", s->path);
    s->sync = sync;
    conn *c = conn_open(s, e);
    if (!c || migrate(c->db, e) || conn_prepare(c, e)) {
        conn_free(c);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_mutex_init(&s->group_mu, NULL);
    pthread_cond_init(&s->group_cv, NULL);
    store_pool_init(&s->pool);
    s->writer = c;
    ferr be = {0};
    if (backfill(c, &be)) /* lookups stay right without them, only slower */
        log_warn("audit trail: lookup filters not written: %s", be.message);
    /* the audit trail's lookup indexes each take a page per event: with SQLite's default
     * 2 MB cache a batch of events spilled dirty pages mid transaction and re-read them; the
     * writer keeps more (memory is used as the file grows) */
    exec(c->db, "PRAGMA cache_size=-32768", NULL);
    ferr ce = {0};
    s->ckpt_conn = conn_open(s, &ce);
    s->ckpt_running = s->ckpt_conn && !store_ticker_start(&s->ckpt, 0.2, checkpoint, s);
    if (s->ckpt_running) sqlite3_wal_autocheckpoint(c->db, 0);
    return s;
}

static void sq_close(void *impl)
{
    sq *s = impl;
    if (s->ckpt_conn) store_ticker_stop(&s->ckpt);
    write_lock(s); /* nobody waits in a group now: the store is closing */
    write_unlock(s);
    conn_free(s->ckpt_conn);
    store_pool_dispose(&s->pool, conn_free_v);
    conn_free(s->writer);
    pthread_mutex_destroy(&s->write_mu);
    pthread_mutex_destroy(&s->group_mu);
    pthread_cond_destroy(&s->group_cv);
    free(s);
}

static void sq_audit_retention(void *impl, const store_retention *r)
{
    sq *s = impl;
    if (s->ckpt_conn)
        store_ticker_retention(&s->ckpt, r);
    else
        log_warn("audit retention: no background thread, not enforced");
}

static const char *sq_describe(void *impl)
{
    return ((sq *)impl)->desc;
}

static int sq_schema_version(void *impl)
{
    (void)impl;
    return NMIGRATIONS;
}

static conn *pool_get(sq *s, ferr *e)
{
    conn *c = store_pool_take(&s->pool);
    if (c) return c;
    c = conn_open(s, e);
    if (c && conn_prepare(c, e)) {
        conn_free(c);
        c = NULL;
    }
    return c;
}

static void pool_put(sq *s, conn *c)
{
    store_pool_give(&s->pool, c, conn_free_v);
}

/* Commits the writer's open transaction (the group: every member's work) and tells the
 * members how it went; committed callbacks run before anyone else can begin. Under
 * write_mu. 0, or -1 with e (the group's work is gone then). */
static int group_commit(sq *s, ferr *e)
{
    if (!s->open) return 0;
    ferr ge = {0};
    int rc = 0;
    if (sqlite3_get_autocommit(s->writer->db))
        /* an error (I/O, disk full) rolled the whole transaction back under a member */
        rc = ferr_internal(&ge, "store: the transaction was rolled back by an error");
    else if (step_ctl(s->writer, ST_COMMIT, &ge)) {
        step_ctl(s->writer, ST_ROLLBACK, NULL);
        rc = -1;
    }
    for (int i = 0; !rc && i < s->members; i++)
        if (s->committed[i]) s->committed[i](s->committed_arg[i]);
    s->open = 0;
    s->members = 0;
    pthread_mutex_lock(&s->group_mu);
    s->group_rc = rc;
    snprintf(s->group_err, sizeof(s->group_err), "%s", rc ? ge.message : "");
    s->group_seq++;
    pthread_mutex_unlock(&s->group_mu);
    s->group_told = 1; /* woken by write_unlock */
    if (rc && e) ferr_internal(e, "%s", ge.message);
    return rc;
}

/* A group committed by a thread that keeps write_mu for work of its own (retention, a
 * checkpoint, a writer outside groups) is told at once: its members need not wait for that
 * work. */
static void commit_open_group(sq *s)
{
    group_commit(s, NULL);
    if (s->group_told) {
        s->group_told = 0;
        pthread_cond_broadcast(&s->group_cv);
    }
}

/* write_mu for work outside a transaction of sq_begin's (retention, checkpoints, reset):
 * a group left open is committed first */
static void write_lock(sq *s)
{
    pthread_mutex_lock(&s->write_mu);
    commit_open_group(s);
}

/* A read transaction's connection, in its transaction, at its first statement: a read
 * that found all it needed in the process's caches (a KMS call, mostly) never takes
 * one. SQLite's BEGIN is deferred anyway (the snapshot is taken at the first read), so
 * the transaction sees what it saw when BEGIN came first. 0, or -1 with e. */
static int reader(sqtxn *t, ferr *e)
{
    if (t->c) return 0;
    t->c = pool_get(t->s, e);
    if (t->c && !step_ctl(t->c, ST_BEGIN, e)) return 0;
    if (t->c) pool_put(t->s, t->c);
    t->c = NULL;
    return -1;
}

static void *sq_begin(void *impl, int write, ferr *e)
{
    sq *s = impl;
    sqtxn *t = calloc(1, sizeof(*t));
    if (!t) {
        ferr_oom(e);
        return NULL;
    }
    t->s = s;
    t->write = write != 0;
    t->group = write == STORE_WRITE_GROUP;
    if (!write) return t; /* its connection and BEGIN wait for its first statement */
    atomic_fetch_add(&s->want, 1);
    pthread_mutex_lock(&s->write_mu);
    atomic_fetch_sub(&s->want, 1);
    t->c = s->writer;
    /* only those that commit as a group share one; a group that failed under it ends */
    if (s->open && (write != STORE_WRITE_GROUP || sqlite3_get_autocommit(t->c->db)))
        commit_open_group(s);
    t->member = s->open;
    if (step_ctl(t->c, t->member ? ST_MEMBER : ST_BEGIN_WRITE, e)) {
        if (t->member) group_commit(s, NULL);
        write_unlock(s);
        free(t);
        return NULL;
    }
    s->open = 1;
    return t;
}

/* The end of write transaction t (its savepoint, if a member, released or undone already):
 * joined (committed given, or NULL) or not (rolled back), it commits the group unless it
 * may leave that to those waiting for the lock (group: store_commit_group, and a group
 * with room). Releases write_mu and frees t. 0, or -1 with e when the group that held
 * what t wrote failed to commit. */
static int write_end(sq *s, sqtxn *t, int joined, int group, void (*committed)(void *), void *arg,
                     ferr *e)
{
    group = group && t->group;
    free(t);
    if (joined) {
        s->committed[s->members] = committed;
        s->committed_arg[s->members] = arg;
        s->members++;
    }
    if (!s->members) { /* nothing of anyone's to keep: t was alone and rolled back */
        step_ctl(s->writer, ST_ROLLBACK, NULL);
        s->open = 0;
    } else if (!group || !atomic_load(&s->want) || s->members == GROUP_MAX) {
        int rc = group_commit(s, joined ? e : NULL);
        write_unlock(s);
        return joined ? rc : 0;
    } else if (joined) { /* the next writer carries it on: wait for the group's commit */
        pthread_mutex_lock(&s->group_mu);
        uint64_t seq = s->group_seq;
        write_unlock(s);
        while (s->group_seq == seq) pthread_cond_wait(&s->group_cv, &s->group_mu);
        int rc = s->group_rc ? ferr_internal(e, "%s", s->group_err) : 0;
        pthread_mutex_unlock(&s->group_mu);
        return rc;
    }
    write_unlock(s);
    return 0;
}

/* undoes a member's work, and only its own */
static void member_undo(sqtxn *t)
{
    step_ctl(t->c, ST_MEMBER_UNDO, NULL);
    step_ctl(t->c, ST_MEMBER_RELEASE, NULL);
}

static int sq_commit(void *impl, void *txn, const char *news, void (*committed)(void *), void *arg,
                     int group, ferr *e)
{
    (void)news; /* one process per file: no other node to tell */
    sq *s = impl;
    sqtxn *t = txn;
    if (!t->write) {
        int rc = t->c ? step_ctl(t->c, ST_COMMIT, e) : 0;
        if (rc) step_ctl(t->c, ST_ROLLBACK, NULL);
        if (t->c) pool_put(s, t->c);
        free(t);
        return rc;
    }
    if (t->member && step_ctl(t->c, ST_MEMBER_RELEASE, e)) {
        member_undo(t);
        write_end(s, t, 0, group, NULL, NULL, NULL);
        return -1;
    }
    return write_end(s, t, 1, group, committed, arg, e);
}

static void sq_rollback(void *impl, void *txn)
{
    sq *s = impl;
    sqtxn *t = txn;
    if (!t->write) {
        if (t->c) {
            step_ctl(t->c, ST_ROLLBACK, NULL);
            pool_put(s, t->c);
        }
        free(t);
        return;
    }
    if (t->member) member_undo(t);
    write_end(s, t, 0, 1, NULL, NULL, NULL);
}

static int sq_savepoint(void *txn, int op, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    if (op == 0) return step_ctl(t->c, ST_SAVEPOINT, e);
    if (op == 2 && step_ctl(t->c, ST_ROLLBACK_TO, e)) return -1;
    return step_ctl(t->c, ST_RELEASE, e);
}

static void bind_key(sqlite3_stmt *st, const store_key *k)
{
    sqlite3_bind_text(st, 1, k->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k->account ? k->account : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, k->region ? k->region : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, k->id, -1, SQLITE_STATIC);
}

static void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Loads the document in column col: 1 with *doc, 0 when it does not parse (corrupt), -1 out
 * of memory (SQLite gives no text for a value, or jansson fails with no error text, which
 * is how it reports a failed allocation). */
static int doc_load(sqlite3_stmt *st, int col, json_t **doc)
{
    int type = sqlite3_column_type(st, col);
    const char *text = (const char *)sqlite3_column_text(st, col);
    *doc = NULL;
    if (!text && type != SQLITE_NULL) return -1;
    json_error_t je;
    *doc = json_loads(text ? text : "null", JSON_DECODE_ANY, &je);
    if (*doc) return 1;
    return je.text[0] ? 0 : -1;
}

static int sq_get(void *txn, const store_key *k, json_t **out, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_GET];
    bind_key(st, k);
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        int lr = doc_load(st, 0, out);
        ret = lr > 0   ? 1
              : lr < 0 ? ferr_oom(e)
                       : ferr_internal(e, "store: corrupt document %s/%s", k->kind, k->id);
    } else if (rc != SQLITE_DONE) {
        ret = sqerr(e, t->c->db, "get");
    }
    stmt_done(st);
    return ret;
}

static int sq_put(void *txn, const store_key *k, const char *doc, int insert_only, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[insert_only ? ST_INSERT : ST_PUT];
    bind_key(st, k);
    sqlite3_bind_text(st, 5, doc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : sqerr(e, t->c->db, "put");
    if (!ret && insert_only && sqlite3_changes(t->c->db) == 0) ret = 1;
    stmt_done(st);
    return ret;
}

static int sq_del(void *txn, const store_key *k, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_DEL];
    bind_key(st, k);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? (sqlite3_changes(t->c->db) > 0) : sqerr(e, t->c->db, "del");
    stmt_done(st);
    return ret;
}

/* The smallest string above every string that begins with prefix (n bytes), in SQLite's
 * BINARY order (memcmp): the prefix without its trailing 0xff bytes, last byte plus one.
 * Returns 0 with *out malloc'ed, 0 with *out NULL when there is none (the prefix is empty or
 * all 0xff), -1 out of memory. */
static int prefix_upper(const char *prefix, size_t n, char **out)
{
    *out = NULL;
    while (n && (unsigned char)prefix[n - 1] == 0xff) n--;
    if (!n) return 0;
    char *u = malloc(n + 1);
    if (!u) return -1;
    memcpy(u, prefix, n);
    u[n - 1] = (char)((unsigned char)u[n - 1] + 1);
    u[n] = 0;
    *out = u;
    return 0;
}

/* the longest document column list_stmt takes (fields_column keeps to it) */
#define FIELDS_SQL_MAX 4096

enum { LIST_ACCOUNT = 1, LIST_REGION = 2, LIST_UPPER = 4, LIST_GT = 8, LIST_GE = 16 };

/* A listing with account, region and id bounds bound only when given: nullable filters
 * ("?2 IS NULL OR account=?2", "substr(id,...)=?4") cannot become an index range, and a
 * bucket's page of 1,000 keys scanned every key of the kind. With equalities on the leading
 * key columns and at most one lower and one upper bound on id, the primary key (kind,
 * account, region, id) gives the range directly. */
static sqlite3_stmt *list_stmt(conn *c, int flags, const char *column, int *fresh)
{
    int i = (flags & 7) + (flags & LIST_GT ? 8 : flags & LIST_GE ? 16 : 0);
    *fresh = 0;
    /* a callback may list again on this connection while the cached one is stepping */
    if (!column && c->list_st[i] && !sqlite3_stmt_busy(c->list_st[i])) return c->list_st[i];
    char sql[FIELDS_SQL_MAX + 256];
    snprintf(sql, sizeof(sql),
             "SELECT account, region, id, %s FROM docs WHERE kind=?1%s%s%s%s"
             " ORDER BY account, region, id",
             column ? column : "doc", flags & LIST_ACCOUNT ? " AND account=?2" : "",
             flags & LIST_REGION ? " AND region=?3" : "",
             flags & LIST_GT   ? " AND id>?4"
             : flags & LIST_GE ? " AND id>=?4"
                               : "",
             flags & LIST_UPPER ? " AND id<?5" : "");
    sqlite3_stmt *st = NULL;
    if (column || c->list_st[i]) { /* a projection's is prepared for the call */
        *fresh = 1;
        return sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK ? st : NULL;
    }
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;
    c->list_st[i] = st;
    return st;
}

/* The document column of a listing that reads only fields: SQLite's own JSON functions
 * pick them out (its parser does not allocate a node per value, as jansson's does), as
 * their JSON text unchanged (->), into an object jansson then parses. A document SQLite
 * does not take for JSON is NULL, skipped as a corrupt one is. NULL: whole documents (no
 * fields, or a name that is not a plain identifier, or too many). */
static char *fields_column(const char *const *fields)
{
    buf b;
    buf_init(&b, 4096);
    buf_puts(&b, "CASE WHEN json_valid(doc) THEN json_object(");
    int n = 0;
    for (; fields && fields[n]; n++) {
        const char *f = fields[n];
        if (!*f || strspn(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                       strlen(f)) {
            buf_dispose(&b);
            return NULL;
        }
        buf_printf(&b, "%s'%s', doc->'$.%s'", n ? ", " : "", f, f);
    }
    buf_puts(&b, ") END");
    if (!n || b.failed || b.len > FIELDS_SQL_MAX) { /* too many: the statement would be cut */
        buf_dispose(&b);
        return NULL;
    }
    return buf_take(&b);
}

static int list_impl(void *txn, const char *kind, const char *account, const char *region,
                     const char *prefix, const char *after, int limit, const char *const *fields,
                     store_list_cb cb, void *ud, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    char *upper = NULL;
    size_t plen = prefix ? strlen(prefix) : 0;
    if (prefix_upper(prefix ? prefix : "", plen, &upper)) return ferr_oom(e);
    /* one lower bound: the prefix, unless `after` is at or above it */
    const char *lower = after;
    int flags = (account ? LIST_ACCOUNT : 0) | (region ? LIST_REGION : 0) |
                (upper ? LIST_UPPER : 0) | (after ? LIST_GT : 0);
    if (plen && (!after || strcmp(after, prefix) < 0)) {
        lower = prefix;
        flags = (flags & ~LIST_GT) | LIST_GE;
    }
    int fresh;
    char *column = fields_column(fields);
    sqlite3_stmt *st = list_stmt(t->c, flags, column, &fresh);
    free(column);
    if (!st) {
        free(upper);
        return sqerr(e, t->c->db, "list");
    }
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    if (account) sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
    if (region) sqlite3_bind_text(st, 3, region, -1, SQLITE_STATIC);
    if (flags & (LIST_GT | LIST_GE)) sqlite3_bind_text(st, 4, lower, -1, SQLITE_STATIC);
    if (upper) sqlite3_bind_text(st, 5, upper, -1, SQLITE_STATIC);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_key k = {kind, (const char *)sqlite3_column_text(st, 0),
                       (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2)};
        if (sqlite3_column_type(st, 3) == SQLITE_NULL) continue; /* no document */
        json_t *doc;
        int lr = doc_load(st, 3, &doc);
        if (lr < 0) { /* a listing with a document missing is no answer */
            n = ferr_oom(e);
            rc = SQLITE_DONE; /* reported: not a SQLite error */
            break;
        }
        if (!lr) continue; /* a corrupt document is skipped */
        int stop = cb(ud, &k, doc);
        json_decref(doc);
        n++;
        if (stop || (limit > 0 && n >= limit)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) n = sqerr(e, t->c->db, "list");
    if (fresh)
        sqlite3_finalize(st);
    else
        stmt_done(st);
    free(upper);
    return n;
}

static int sq_list(void *txn, const char *kind, const char *account, const char *region,
                   const char *prefix, const char *after, int limit, store_list_cb cb, void *ud,
                   ferr *e)
{
    return list_impl(txn, kind, account, region, prefix, after, limit, NULL, cb, ud, e);
}

static int sq_list_fields(void *txn, const char *kind, const char *account, const char *region,
                          const char *prefix, const char *after, int limit,
                          const char *const *fields, store_list_cb cb, void *ud, ferr *e)
{
    return list_impl(txn, kind, account, region, prefix, after, limit, fields, cb, ud, e);
}

/* Prepared per call (not cached): ranges are few per request, and a callback may start
 * another while this one steps. */
static int sq_range(void *txn, const char *kind, const char *account, const char *region,
                    const store_range_q *q, store_list_cb cb, void *ud, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    char sql[320];
    snprintf(sql, sizeof(sql),
             "SELECT account, region, id, doc FROM docs WHERE kind=?1%s%s%s%s"
             " ORDER BY account %s, region %s, id %s",
             account ? " AND account=?2" : "", region ? " AND region=?3" : "",
             !q->lo       ? ""
             : q->lo_incl ? " AND id>=?4"
                          : " AND id>?4",
             !q->hi       ? ""
             : q->hi_incl ? " AND id<=?5"
                          : " AND id<?5",
             q->desc ? "DESC" : "ASC", q->desc ? "DESC" : "ASC", q->desc ? "DESC" : "ASC");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(t->c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sqerr(e, t->c->db, "range");
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    if (account) sqlite3_bind_text(st, 2, account, -1, SQLITE_STATIC);
    if (region) sqlite3_bind_text(st, 3, region, -1, SQLITE_STATIC);
    if (q->lo) sqlite3_bind_text(st, 4, q->lo, -1, SQLITE_STATIC);
    if (q->hi) sqlite3_bind_text(st, 5, q->hi, -1, SQLITE_STATIC);
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_key k = {kind, (const char *)sqlite3_column_text(st, 0),
                       (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2)};
        if (sqlite3_column_type(st, 3) == SQLITE_NULL) continue;
        json_t *doc;
        int lr = doc_load(st, 3, &doc);
        if (lr < 0) {
            n = ferr_oom(e);
            rc = SQLITE_DONE;
            break;
        }
        if (!lr) continue;
        int stop = cb(ud, &k, doc);
        json_decref(doc);
        n++;
        if (stop || (q->limit > 0 && n >= q->limit)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) n = sqerr(e, t->c->db, "range");
    sqlite3_finalize(st);
    return n;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Adds event seq (r) to the writer's filter of its block. */
static void bloom_accumulate(conn *c, int64_t seq, const audit_rec *r)
{
    if (!c->acc && !(c->acc = calloc(1, sizeof(*c->acc)))) return;
    bloom_acc *a = c->acc;
    if (seq % TRAIL_BLOCK == 0) { /* a block begins (again, after a rollback) */
        memset(a->bits, 0, sizeof(a->bits));
        a->next = seq;
        a->ok = 1;
    }
    /* an event missed (written before this process), or a rollback that gave seqs back */
    if (!a->ok || seq != a->next) {
        a->ok = 0;
        return;
    }
    const char *account = r->account ? r->account : "";
    const char *vals[] = {r->event_id, r->operation, r->username, r->event_source, r->access_key};
    for (int i = 0; i < 5; i++) trail_bloom_add(a->bits, TRAIL_EVENT_ID + i, account, vals[i]);
    if (r->resources && !r->resource_names) { /* only SQL may read the text: the table's */
        a->ok = 0;
        return;
    }
    /* pairs of NUL-ended strings: the text's ResourceType and ResourceName */
    const char *names = r->resource_names;
    for (size_t i = 0, at = 0; names && at < r->resource_names_len; i++) {
        trail_bloom_add(a->bits, i % 2 ? TRAIL_RESOURCE_NAME : TRAIL_RESOURCE_TYPE, account,
                        names + at);
        at += strlen(names + at) + 1;
    }
    a->next = seq + 1;
}

static int write_bloom(conn *c, int64_t blk, const unsigned char *bits, ferr *e)
{
    sqlite3_stmt *st = c->st[ST_AUDIT_BLOOM];
    sqlite3_bind_int64(st, 1, blk);
    sqlite3_bind_blob(st, 2, bits, TRAIL_BLOOM_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : sqerr(e, c->db, "audit block");
}

/* Writes the filter of block blk from its events as c's transaction sees them. */
static int summarize(conn *c, int64_t blk, ferr *e)
{
    unsigned char bits[TRAIL_BLOOM_BYTES] = {0};
    sqlite3_stmt *st = c->st[ST_AUDIT_BLOCK];
    sqlite3_bind_int64(st, 1, blk * TRAIL_BLOCK);
    sqlite3_bind_int64(st, 2, blk * TRAIL_BLOCK + TRAIL_BLOCK - 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *account = (const char *)sqlite3_column_text(st, 0);
        for (int a = TRAIL_EVENT_ID; a <= TRAIL_RESOURCE_NAME; a++)
            trail_bloom_add(bits, a, account, (const char *)sqlite3_column_text(st, a + 1));
    }
    stmt_done(st);
    if (rc != SQLITE_DONE) return sqerr(e, c->db, "audit block");
    return write_bloom(c, blk, bits, e);
}

static int sq_audit_append(void *txn, const audit_rec *r, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_AUDIT];
    sqlite3_bind_double(st, 1, r->time);
    const char *texts[] = {r->event_id,      r->request_id,     r->account,   r->region,
                           r->principal_arn, r->principal_type, r->username,  r->access_key,
                           r->service,       r->event_source,   r->operation, r->source_ip,
                           r->user_agent};
    for (int i = 0; i < 13; i++) bind_opt(st, i + 2, texts[i]);
    sqlite3_bind_int(st, 15, r->read_only);
    sqlite3_bind_int(st, 16, r->status);
    bind_opt(st, 17, r->error_code);
    bind_opt(st, 18, r->error_message);
    bind_opt(st, 19, r->resources);
    bind_opt(st, 20, r->extra);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : sqerr(e, t->c->db, "audit");
    stmt_done(st);
    if (ret) return ret;
    /* seqs only grow (AUTOINCREMENT): the last of a block makes it whole, and its filter is
     * written in the same transaction (rolled back with it, the block gets one at open) */
    int64_t seq = sqlite3_last_insert_rowid(t->c->db);
    bloom_accumulate(t->c, seq, r);
    if ((seq + 1) % TRAIL_BLOCK) return 0;
    bloom_acc *a = t->c->acc;
    return a && a->ok && a->next == seq + 1 ? write_bloom(t->c, seq / TRAIL_BLOCK, a->bits, e)
                                            : summarize(t->c, seq / TRAIL_BLOCK, e);
}

/* LookupAttribute key -> its attribute in the block filters (-1: none, ReadOnly has two
 * values) and the condition on ?5 */
static const struct {
    const char *key;
    int attr;
    const char *cond;
} lookup_attrs[] = {
    {"EventId", TRAIL_EVENT_ID, "event_id=?5"},
    {"EventName", TRAIL_EVENT_NAME, "operation=?5"},
    {"ReadOnly", -1, "read_only=?5"},
    {"Username", TRAIL_USERNAME, "username=?5"},
    {"EventSource", TRAIL_EVENT_SOURCE, "event_source=?5"},
    {"AccessKeyId", TRAIL_ACCESS_KEY, "access_key=?5"},
    {"ResourceType", TRAIL_RESOURCE_TYPE,
     "EXISTS(SELECT 1 FROM " AUDIT_RES_ARR("audit") " WHERE " RES_VAL("ResourceType") "=?5)"},
    {"ResourceName", TRAIL_RESOURCE_NAME,
     "EXISTS(SELECT 1 FROM " AUDIT_RES_ARR("audit") " WHERE " RES_VAL("ResourceName") "=?5)"},
};

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

#define AUDIT_COLS(t) \
    t "seq," t "time," t "event_id," t "request_id," t "account," t "region," t "principal_arn," t \
      "principal_type," t "username," t "access_key," t "service," t "event_source," t \
      "operation," t "source_ip," t "user_agent," t "read_only," t "status," t "error_code," t \
      "error_message," t "resources," t "extra"

/* The event in a row of AUDIT_COLS (seq is column 0). */
static audit_rec audit_row(sqlite3_stmt *st)
{
    return (audit_rec){
        .time = sqlite3_column_double(st, 1),
        .event_id = col(st, 2),
        .request_id = col(st, 3),
        .account = col(st, 4),
        .region = col(st, 5),
        .principal_arn = col(st, 6),
        .principal_type = col(st, 7),
        .username = col(st, 8),
        .access_key = col(st, 9),
        .service = col(st, 10),
        .event_source = col(st, 11),
        .operation = col(st, 12),
        .source_ip = col(st, 13),
        .user_agent = col(st, 14),
        .read_only = sqlite3_column_int(st, 15),
        .status = sqlite3_column_int(st, 16),
        .error_code = col(st, 17),
        .error_message = col(st, 18),
        .resources = col(st, 19),
        .extra = col(st, 20),
    };
}

/* The trail's oldest and newest seq (0 and 0 when empty). Two subqueries: with both
 * aggregates in one SELECT SQLite cannot read each from an end of the rowid B-tree, and
 * scans a whole index of the trail instead (tens of ms on a million events). */
static int seq_range(sqlite3 *db, long long *lo, long long *hi, ferr *e)
{
    sqlite3_stmt *st;
    *lo = *hi = 0;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT min(seq) FROM audit), (SELECT max(seq) FROM audit)",
                           -1, &st, NULL))
        return sqerr(e, db, "audit range");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sqerr(e, db, "audit range");
}

/* The blocks of the trail that may hold (attr, account, value): those whose filter says so,
 * and those without one (the newest, not whole yet). */
static int lookup_blocks(sqlite3 *db, int attr, const char *account, const char *value,
                         trail_blocks *b, ferr *e)
{
    long long lo, hi;
    if (seq_range(db, &lo, &hi, e)) return -1;
    int64_t first = lo / TRAIL_BLOCK, n = hi / TRAIL_BLOCK - first + 1;
    if (trail_blocks_init(b, first, n)) return ferr_oom(e);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT blk, bits FROM audit_bloom WHERE blk BETWEEN ?1 AND ?2", -1,
                           &st, NULL))
        return sqerr(e, db, "audit blocks");
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, first + n - 1);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *bits = sqlite3_column_blob(st, 1);
        if (sqlite3_column_bytes(st, 1) == TRAIL_BLOOM_BYTES &&
            !trail_bloom_may(bits, attr, account, value))
            trail_blocks_clear(b, sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sqerr(e, db, "audit blocks");
}

/* trail_maybe(blocks, seq): whether seq's block is in the set lookup_blocks made (a blob;
 * NULL: every block). Only lookups by an attribute with filters call it. */
static void trail_maybe_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *blob = sqlite3_value_blob(argv[0]);
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    sqlite3_result_int(cx, trail_blocks_may(blob, len, sqlite3_value_int64(argv[1])));
}

/* Newest first: (time, seq) descending, a page starting below the cursor (keyset, never
 * OFFSET), read from the index (account, region, time) whatever the attribute: its events
 * in the blocks that cannot hold the value are passed over on the index entry, before
 * their row is read. Time bounds are bound as plain ranges (an "?2=0 OR" form would keep
 * SQLite from using them). */
static int sq_audit_query(void *txn, const audit_query *q, store_audit_cb cb, void *ud, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    const char *cond = "1";
    trail_blocks blocks = {0};
    if (q->attr_key) {
        size_t i = 0, n = sizeof(lookup_attrs) / sizeof(lookup_attrs[0]);
        while (i < n && strcmp(lookup_attrs[i].key, q->attr_key)) i++;
        if (i == n)
            return ferr_set(e, 400, "InvalidLookupAttributesException",
                            "Unsupported lookup attribute %s", q->attr_key);
        cond = lookup_attrs[i].cond;
        if (lookup_attrs[i].attr >= 0 &&
            lookup_blocks(t->c->db, lookup_attrs[i].attr, q->account, q->attr_value, &blocks, e)) {
            trail_blocks_free(&blocks);
            return -1;
        }
    }
    /* a page below the cursor ends at its time: rows at that same time are filtered by seq */
    double hi = q->end > 0 ? q->end : 1e308;
    if (q->before_seq > 0 && q->before_time < hi) hi = q->before_time;
    char sql[1200];
    snprintf(sql, sizeof(sql),
             "SELECT " AUDIT_COLS("") " FROM audit INDEXED BY audit_time WHERE account=?1 AND %s"
                                      " AND time>=?2 AND time<=?3 AND (?4=0 OR time<?3 OR seq<?4)"
                                      " AND %s AND %s ORDER BY time DESC, seq DESC LIMIT ?6",
             q->region ? "region=?7" : "1", blocks.bytes ? "trail_maybe(?8, seq)" : "1", cond);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(t->c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        trail_blocks_free(&blocks);
        return sqerr(e, t->c->db, "audit query");
    }
    sqlite3_bind_text(st, 1, q->account, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, q->start > 0 ? q->start : -1e308);
    sqlite3_bind_double(st, 3, hi);
    /* the cursor filters by seq only when the page starts at its time */
    sqlite3_bind_int64(st, 4, q->before_seq > 0 && hi == q->before_time ? q->before_seq : 0);
    if (q->attr_key && !strcmp(q->attr_key, "ReadOnly"))
        sqlite3_bind_int(st, 5, q->attr_value && !strcmp(q->attr_value, "true"));
    else
        bind_opt(st, 5, q->attr_value);
    sqlite3_bind_int(st, 6, q->limit > 0 ? q->limit : 50);
    bind_opt(st, 7, q->region);
    if (blocks.bytes) sqlite3_bind_blob(st, 8, blocks.bytes, (int)blocks.len, SQLITE_STATIC);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        audit_rec r = audit_row(st);
        n++;
        if (cb(ud, sqlite3_column_int64(st, 0), &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) n = sqerr(e, t->c->db, "audit query");
    sqlite3_finalize(st);
    trail_blocks_free(&blocks);
    return n;
}

/* Deletes up to limit of the oldest events (arrival order) that are older than before (0:
 * no age bound) or beyond the newest max_events (0: no count bound); returns how many. Age
 * is judged in arrival order: the oldest event still young enough ends a step even if a
 * later one has an earlier time (a clock stepped back), so a step reads one short range of
 * seq and never scans by time. */
static long long trim(sqlite3 *db, double before, long long max_events, int limit, ferr *e)
{
    sqlite3_stmt *st;
    long long lo, hi;
    int rc;
    if (seq_range(db, &lo, &hi, e)) return -1;
    if (!hi) return 0;
    long long upto = lo + limit, cut = lo; /* delete seq < cut */
    /* seq only grows and events leave oldest first, so max-min+1 counts them (a reset
     * empties the table) without a count(*) over millions of rows */
    if (max_events > 0 && hi - lo + 1 > max_events) cut = hi - max_events + 1;
    if (before > 0 && cut < upto) {
        if (sqlite3_prepare_v2(db,
                               "SELECT seq FROM audit WHERE seq>=?1 AND seq<?2 AND time>=?3"
                               " ORDER BY seq LIMIT 1",
                               -1, &st, NULL))
            return sqerr(e, db, "audit trim");
        sqlite3_bind_int64(st, 1, cut);
        sqlite3_bind_int64(st, 2, upto);
        sqlite3_bind_double(st, 3, before);
        rc = sqlite3_step(st);
        cut = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : upto;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqerr(e, db, "audit trim");
    }
    if (cut > upto) cut = upto;
    if (cut <= lo) return 0;
    if (sqlite3_prepare_v2(db, "DELETE FROM audit WHERE seq<?1", -1, &st, NULL))
        return sqerr(e, db, "audit trim");
    sqlite3_bind_int64(st, 1, cut);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sqerr(e, db, "audit trim");
    long long n = sqlite3_changes64(db);
    /* the filters of the blocks now wholly gone */
    if (sqlite3_prepare_v2(db, "DELETE FROM audit_bloom WHERE blk<?1", -1, &st, NULL))
        return sqerr(e, db, "audit trim");
    sqlite3_bind_int64(st, 1, cut / TRAIL_BLOCK);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? n : sqerr(e, db, "audit trim");
}

static long long sq_audit_trim(void *txn, double before, long long max_events, int limit, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    return trim(t->c->db, before, max_events, limit > 0 ? limit : 1, e);
}

static int sq_reset(void *impl, ferr *e)
{
    sq *s = impl;
    write_lock(s);
    conn *c = s->writer;
    int rc = exec(c->db,
                  "BEGIN IMMEDIATE; DELETE FROM docs; DELETE FROM audit; DELETE FROM audit_bloom;"
                  " DELETE FROM mq;"
                  " DELETE FROM mq_keys; COMMIT;",
                  e);
    if (rc) exec(c->db, "ROLLBACK", NULL);
    write_unlock(s);
    return rc;
}

/* ---- message queues ---- */

/* The message in a row of MQ_COLS. */
static store_msg msg_row(sqlite3_stmt *st)
{
    store_msg m = {
        .seq = sqlite3_column_int64(st, 0),
        .id = col(st, 1),
        .group = col(st, 2),
        .sent_at = sqlite3_column_double(st, 3),
        .visible_at = sqlite3_column_double(st, 4),
        .expires_at = sqlite3_column_double(st, 5),
        .receives = sqlite3_column_int(st, 6),
        .first_receive = sqlite3_column_double(st, 7),
        .receipt = col(st, 8),
        .doc = col(st, 9),
    };
    if (!m.id) m.id = "";
    if (!m.group) m.group = "";
    if (!m.receipt) m.receipt = "";
    if (!m.doc) m.doc = "{}";
    return m;
}

static int mq_row(sqlite3_stmt *st, store_mq_cb cb, void *ud)
{
    store_msg m = msg_row(st);
    return cb(ud, &m);
}

static int sq_mq_put(void *txn, const char *queue, store_msg *m, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_MQ_PUT];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->id ? m->id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->group ? m->group : "", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, m->sent_at);
    sqlite3_bind_double(st, 5, m->visible_at);
    sqlite3_bind_double(st, 6, m->expires_at);
    sqlite3_bind_int(st, 7, m->receives);
    sqlite3_bind_double(st, 8, m->first_receive);
    sqlite3_bind_text(st, 9, m->receipt ? m->receipt : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, m->doc ? m->doc : "{}", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : sqerr(e, t->c->db, "mq put");
    if (!ret) m->seq = sqlite3_last_insert_rowid(t->c->db);
    stmt_done(st);
    return ret;
}

static int sq_mq_get(void *txn, const char *queue, int64_t seq, store_mq_cb cb, void *ud, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_MQ_GET];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    int rc = sqlite3_step(st), ret = 0;
    if (rc == SQLITE_ROW) {
        mq_row(st, cb, ud);
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = sqerr(e, t->c->db, "mq get");
    }
    stmt_done(st);
    return ret;
}

static int sq_mq_update(void *txn, const char *queue, const store_msg *m, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_MQ_UPDATE];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, m->seq);
    sqlite3_bind_double(st, 3, m->visible_at);
    sqlite3_bind_int(st, 4, m->receives);
    sqlite3_bind_double(st, 5, m->first_receive);
    sqlite3_bind_text(st, 6, m->receipt ? m->receipt : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? (sqlite3_changes(t->c->db) > 0) : sqerr(e, t->c->db, "mq update");
    stmt_done(st);
    return ret;
}

static int sq_mq_del(void *txn, const char *queue, int64_t seq, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_MQ_DEL];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    int rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? (sqlite3_changes(t->c->db) > 0) : sqerr(e, t->c->db, "mq del");
    stmt_done(st);
    return ret;
}

static int sq_mq_scan(void *txn, const char *queue, const store_mq_scan_opts *o, store_mq_cb cb,
                      void *ud, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[o->ordered_groups ? ST_MQ_SCAN_GROUPS : ST_MQ_SCAN];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 2, o->now);
    sqlite3_bind_int(st, 3, o->limit > 0 ? o->limit : 1);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if (mq_row(st, cb, ud)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) n = sqerr(e, t->c->db, "mq scan");
    stmt_done(st);
    return n;
}

/* Runs one of the statements that ask a queue something as of now; its row, if any, is
 * in *st until stmt_done. */
static int mq_ask(sqtxn *t, int which, const char *queue, double now, sqlite3_stmt **st)
{
    *st = t->c->st[which];
    sqlite3_bind_text(*st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_double(*st, 2, now);
    return sqlite3_step(*st);
}

static int sq_mq_count(void *txn, const char *queue, double now, store_mq_counts *out, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st;
    int rc = mq_ask(t, ST_MQ_COUNT, queue, now, &st), ret = 0;
    if (rc == SQLITE_ROW) {
        out->visible = sqlite3_column_int64(st, 0);
        out->inflight = sqlite3_column_int64(st, 1);
        out->delayed = sqlite3_column_int64(st, 2);
    } else {
        ret = sqerr(e, t->c->db, "mq count");
    }
    stmt_done(st);
    return ret;
}

static int sq_mq_next_visible(void *txn, const char *queue, double now, double *at, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st;
    int rc = mq_ask(t, ST_MQ_NEXT, queue, now, &st), ret = 0;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *at = sqlite3_column_double(st, 0);
            ret = 1;
        }
    } else {
        ret = sqerr(e, t->c->db, "mq next");
    }
    stmt_done(st);
    return ret;
}

static long long sq_mq_purge(void *txn, const char *queue, int keys, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_MQ_PURGE];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    long long n = rc == SQLITE_DONE ? sqlite3_changes(t->c->db) : sqerr(e, t->c->db, "mq purge");
    stmt_done(st);
    if (n >= 0 && keys) {
        st = t->c->st[ST_MQ_PURGE_KEYS];
        sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) n = sqerr(e, t->c->db, "mq purge keys");
        stmt_done(st);
    }
    return n;
}

static int sq_mq_key_get(void *txn, const char *queue, const char *key, double now, char **value,
                         int64_t *num, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st = t->c->st[ST_MQ_KEY_GET];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, now);
    int rc = sqlite3_step(st), ret = 0;
    if (value) *value = NULL;
    if (rc == SQLITE_ROW) {
        ret = 1;
        const char *v = col(st, 0);
        if (value && v && !(*value = strdup(v))) ret = ferr_oom(e);
        if (num) *num = sqlite3_column_int64(st, 1);
    } else if (rc != SQLITE_DONE) {
        ret = sqerr(e, t->c->db, "mq key get");
    }
    stmt_done(st);
    return ret;
}

static int sq_mq_key_put(void *txn, const char *queue, const char *key, double now,
                         double expires_at, const char *value, int64_t num, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    sqlite3_stmt *st;
    int rc = mq_ask(t, ST_MQ_KEY_EXPIRE, queue, now, &st);
    stmt_done(st);
    if (rc != SQLITE_DONE) return sqerr(e, t->c->db, "mq key expire");
    st = t->c->st[ST_MQ_KEY_PUT];
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, expires_at);
    bind_opt(st, 4, value);
    sqlite3_bind_int64(st, 5, num);
    rc = sqlite3_step(st);
    int ret = rc == SQLITE_DONE ? 0 : sqerr(e, t->c->db, "mq key put");
    stmt_done(st);
    return ret;
}

/* Every row, for store_copy: one query per table, each in the order it was written. */
static int sq_dump(void *txn, store_row_cb cb, void *ud, ferr *e)
{
    sqtxn *t = txn;
    if (reader(t, e)) return -1;
    static const char *const sql[] = {
        "SELECT kind, account, region, id, doc FROM docs ORDER BY kind, account, region, id",
        "SELECT " MQ_COLS ", queue FROM mq ORDER BY seq",
        "SELECT queue, key, expires_at, value, num FROM mq_keys ORDER BY queue, key",
        "SELECT " AUDIT_COLS("") " FROM audit ORDER BY seq",
    };
    for (int i = 0; i < 4; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(t->c->db, sql[i], -1, &st, NULL) != SQLITE_OK)
            return sqerr(e, t->c->db, "dump");
        int rc, ret = 0;
        while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            store_row r = {.type = i};
            if (i == STORE_ROW_DOC) {
                r.k = (store_key){col(st, 0), col(st, 1), col(st, 2), col(st, 3)};
                r.doc = col(st, 4);
            } else if (i == STORE_ROW_MSG) {
                r.queue = col(st, 10);
                r.m = msg_row(st);
            } else if (i == STORE_ROW_KEY) {
                r.queue = col(st, 0);
                r.key = col(st, 1);
                r.expires_at = sqlite3_column_double(st, 2);
                r.value = col(st, 3);
                r.num = sqlite3_column_int64(st, 4);
            } else {
                r.seq = sqlite3_column_int64(st, 0);
                r.a = audit_row(st);
            }
            ret = cb(ud, &r);
        }
        if (!ret && rc != SQLITE_DONE) ret = sqerr(e, t->c->db, "dump");
        sqlite3_finalize(st);
        if (ret) return -1;
    }
    return 0;
}

const store_backend store_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .describe = sq_describe,
    .schema_version = sq_schema_version,
    .begin = sq_begin,
    .commit = sq_commit,
    .groups = 1,
    .rollback = sq_rollback,
    .get = sq_get,
    .put = sq_put,
    .del = sq_del,
    .list = sq_list,
    .list_fields = sq_list_fields,
    .range = sq_range,
    .audit_append = sq_audit_append,
    .audit_query = sq_audit_query,
    .audit_trim = sq_audit_trim,
    .audit_retention = sq_audit_retention,
    .reset = sq_reset,
    .savepoint = sq_savepoint,
    .mq_put = sq_mq_put,
    .mq_get = sq_mq_get,
    .mq_update = sq_mq_update,
    .mq_del = sq_mq_del,
    .mq_scan = sq_mq_scan,
    .mq_count = sq_mq_count,
    .mq_next_visible = sq_mq_next_visible,
    .mq_purge = sq_mq_purge,
    .mq_key_get = sq_mq_key_get,
    .mq_key_put = sq_mq_key_put,
    .dump = sq_dump,
};
