/* The durable store. Services see documents (JSON objects) keyed by
 * (kind, account, region, id) inside one transaction per request; they never see
 * SQL, so a PostgreSQL backend can replace SQLite without touching them.
 * Global things (accounts, access keys) use account "" and region "". */
#ifndef FERRY_STORE_H
#define FERRY_STORE_H
#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

typedef struct store store;
typedef struct store_txn store_txn;

typedef enum { STORE_SYNC_NORMAL = 0, STORE_SYNC_FULL = 1 } store_sync;

/* location: a data directory (the SQLite file "ferry.db" inside it), or a PostgreSQL URI
 * (postgresql://… or postgres://…, as libpq takes it). Caller owns. */
store *store_open(const char *location, store_sync sync, ferr *e);
/* 1 when location names a PostgreSQL database rather than a data directory. */
int store_is_url(const char *location);
/* Makes the data directory (key files, blobs) owner-only as a SQLite store's own: for a
 * store elsewhere (PostgreSQL), which does not make it. 0 or -1. */
int store_data_dir(const char *dir, ferr *e);
void store_close(store *s);
const char *store_describe(
    const store *s); /* "sqlite:/path/ferry.db", "postgresql://host:port/db" */
int store_schema_version(store *s);

/* A write transaction excludes other writers for its duration; reads see a snapshot.
 * write: 0 read, 1 write, STORE_WRITE_GROUP a write to be ended by store_commit_group (or a
 * rollback). */
#define STORE_WRITE_GROUP 2
int store_begin(store *s, int write, store_txn **out, ferr *e);
int store_commit(store_txn *t, ferr *e); /* frees t, also on failure */
/* store_commit for a transaction begun with STORE_WRITE_GROUP by a caller that holds
 * nothing another writer could need (a client's request): the commit may be shared with
 * STORE_WRITE_GROUP transactions that begin while it waits (one COMMIT, one sync, each page
 * written once for them all), and returns when that is durable, or fails with it. Those see
 * what it wrote before it is committed, and to them its kinds count as touched
 * (store_txn_touched); any other writer begins after the group has committed. */
int store_commit_group(store_txn *t, ferr *e);
void store_rollback(store_txn *t); /* frees t; NULL is a no-op */
int store_txn_is_write(const store_txn *t);
/* 1 when t has written something (perhaps undone by a savepoint since), else 0. */
int store_txn_wrote(const store_txn *t);

/* Savepoints inside a write transaction, for running several independent pieces of work in
 * one commit: store_savepoint marks, store_savepoint_end(t, 1) keeps what was written since,
 * store_savepoint_end(t, 0) undoes it. They nest. */
int store_savepoint(store_txn *t, ferr *e);
int store_savepoint_end(store_txn *t, int keep, ferr *e); /* on failure the commit fails too */

/* A counter that changes with each commit (by this process) that wrote documents of kind,
 * before another write transaction can begin; kinds can share a counter, so it may also
 * change for others. Caches of documents (base/gencache.h) keep values at the generation
 * read before reading them: a later commit that writes the kind makes them stale. Inside a
 * write transaction it matches what is committed, except for what the transaction itself
 * wrote, or those whose commit it shares (store_commit_group) did: store_txn_touched says
 * whether they wrote kind (or may have). */
uint64_t store_generation(store *s, const char *kind);
int store_txn_touched(const store_txn *t, const char *kind);
/* What documents of kind read in t may be cached under: 1 + store_generation(kind), or 0
 * when they may not be (t wrote kind, or may have; t is a write transaction on a store
 * that several nodes share (store_listen), where another node's last commit may not have
 * been heard yet; t is a read transaction, and a commit that moved a generation came since
 * it began, so its snapshot may be older than the generation). Take it before reading
 * them. */
uint64_t store_txn_generation(const store_txn *t, const char *kind);

typedef struct store_key {
    const char *kind, *account, *region, *id;
} store_key;

/* 1 found (*out: new reference, caller decrefs), 0 absent, -1 error (*out NULL then). */
int store_get(store_txn *t, const store_key *k, json_t **out, ferr *e);
/* Insert or replace. */
int store_put(store_txn *t, const store_key *k, const json_t *doc, ferr *e);
/* Insert only: 0 inserted, 1 already there, -1 error. */
int store_insert(store_txn *t, const store_key *k, const json_t *doc, ferr *e);
/* 1 deleted, 0 absent, -1 error. */
int store_del(store_txn *t, const store_key *k, ferr *e);

/* Lists ids of (kind, account, region) in id order, starting after `after` (NULL: from the
 * start), ids beginning with prefix (NULL: all). Calls cb for each until it returns non-zero
 * or limit (0: unlimited) rows were given. account/region NULL = any. Returns the number of
 * rows given, or -1. */
typedef int (*store_list_cb)(void *ud, const store_key *k, json_t *doc);
int store_list(store_txn *t, const char *kind, const char *account, const char *region,
               const char *prefix, const char *after, int limit, store_list_cb cb, void *ud,
               ferr *e);
/* As store_list, for a caller that reads only the top-level fields named in fields (NULL
 * ended; letters, digits and '_'): each document given holds at least those of them it
 * has, but perhaps nothing else (a backend may give whole documents), and one that is
 * null may be absent. Parsing whole documents was two thirds of a ListObjectsV2 page. */
int store_list_fields(store_txn *t, const char *kind, const char *account, const char *region,
                      const char *prefix, const char *after, int limit, const char *const *fields,
                      store_list_cb cb, void *ud, ferr *e);

/* Range listing: documents of (kind, account, region) whose ids lie between lo and hi
 * (either NULL: open; *_incl: the bound itself included), in id order (byte order),
 * descending when desc, at most limit (0: unlimited). cb as store_list's. Returns the number
 * given, or -1. A key that orders as its ids do (DynamoDB's sort keys) is a range query. */
typedef struct store_range_q {
    const char *lo, *hi;
    int lo_incl, hi_incl;
    int desc;
    int limit;
} store_range_q;
int store_range(store_txn *t, const char *kind, const char *account, const char *region,
                const store_range_q *q, store_list_cb cb, void *ud, ferr *e);

/* Audit trail: append-only, queried by account and time. */
typedef struct audit_rec {
    double time;
    const char *event_id, *request_id;
    const char *account, *region;
    const char *principal_arn, *principal_type, *username, *access_key;
    const char *service, *event_source, *operation;
    const char *source_ip, *user_agent;
    int read_only;
    int status;
    const char *error_code, *error_message;
    const char *resources; /* JSON array text of {"ResourceType","ResourceName"} or NULL */
    /* The same resources' ResourceType and ResourceName strings, each NUL-ended, in order
     * (resource_names_len bytes), so the trail need not parse the text; NULL: not given. */
    const char *resource_names;
    size_t resource_names_len;
    const char *extra; /* CloudTrail's additionalEventData: JSON object text, or NULL */
} audit_rec;

int store_audit_append(store_txn *t, const audit_rec *r, ferr *e);
/* As store_audit_append for r[0..n-1], in one exchange with the database where the backend
 * can (the trail's group commit). On failure the transaction must be rolled back. */
int store_audit_append_many(store_txn *t, const audit_rec *const *r, size_t n, ferr *e);

typedef struct audit_query {
    const char *account;
    const char *region;   /* NULL = every region */
    double start, end;    /* inclusive; 0 = open */
    const char *attr_key; /* LookupAttribute key, or NULL */
    const char *attr_value;
    /* pagination: rows after (before_time, before_seq) in the listing's order, i.e. the
     * last row of the previous page; before_seq 0 = from the newest */
    double before_time;
    int64_t before_seq;
    int limit;
} audit_query;
typedef int (*store_audit_cb)(void *ud, int64_t seq, const audit_rec *r);
/* Newest first (time, then seq, descending). Every lookup attribute and the time range are
 * read through an index, a page at a time: cost follows the page, not the trail's size. */
int store_audit_query(store_txn *t, const audit_query *q, store_audit_cb cb, void *ud, ferr *e);

/* Retention: deletes up to limit of the oldest events (arrival order) that are older than
 * before (epoch seconds; 0: no age bound) or beyond the newest max_events (0: none).
 * Returns the number deleted (fewer than limit: nothing more to delete now), or -1. */
long long store_audit_trim(store_txn *t, double before, long long max_events, int limit, ferr *e);

/* What the store keeps of the audit trail, enforced in the background in small batches
 * between writers (the freed pages are reused: the file stops growing, it does not
 * shrink). A store keeps everything until this is called. */
typedef struct store_retention {
    double max_age;       /* seconds; 0 = no age bound */
    long long max_events; /* 0 = no count bound */
} store_retention;
void store_audit_retention(store *s, const store_retention *r);

/* ---- Message queues ----
 * Ordered messages with visibility times, for queue services. A queue is a key the service
 * chooses (an id it keeps in its own document); each message has the store's arrival
 * sequence, an optional ordering group, times, a receive count and the service's own
 * document, which the store never looks into. Strings are borrowed: in callbacks they live
 * until the callback returns. */
typedef struct store_msg {
    int64_t seq;       /* assigned by store_mq_put: increasing, never reused */
    const char *id;    /* the service's message id */
    const char *group; /* ordering group, "" = none */
    double sent_at;
    double visible_at;    /* hidden before (a delay, or in flight after a hand-out) */
    double expires_at;    /* retention: never handed out at or after */
    int receives;         /* times handed out */
    double first_receive; /* 0 = never */
    const char *receipt;  /* token of the latest hand-out, "" = none */
    const char *doc;      /* the service's document (JSON text) */
} store_msg;

typedef int (*store_mq_cb)(void *ud, const store_msg *m);

/* Appends m to queue; sets m->seq. */
int store_mq_put(store_txn *t, const char *queue, store_msg *m, ferr *e);
/* 1 and cb called when seq is in queue, 0 absent, -1 error. */
int store_mq_get(store_txn *t, const char *queue, int64_t seq, store_mq_cb cb, void *ud, ferr *e);
/* Writes m's visible_at, receives, first_receive and receipt (by m->seq). 1 updated, 0 gone. */
int store_mq_update(store_txn *t, const char *queue, const store_msg *m, ferr *e);
/* 1 deleted, 0 absent. */
int store_mq_del(store_txn *t, const char *queue, int64_t seq, ferr *e);

typedef struct store_mq_scan_opts {
    double now;
    int limit; /* at most this many (> 0) */
    /* Ordered groups: messages in seq order, and none from a group that has an earlier
     * message still hidden or any message handed out and not yet visible again (FIFO
     * message groups). Otherwise: visible messages, longest visible first. */
    int ordered_groups;
} store_mq_scan_opts;
/* Messages visible at o->now (expired ones included: the caller drops them). Calls cb for
 * each until it returns non-zero. Returns the number given, or -1. Read them all before
 * changing any: cb must not write to the store. */
int store_mq_scan(store_txn *t, const char *queue, const store_mq_scan_opts *o, store_mq_cb cb,
                  void *ud, ferr *e);

typedef struct store_mq_counts {
    long long visible;  /* visible at now, not expired */
    long long inflight; /* handed out, hidden until their visibility ends */
    long long delayed;  /* never handed out, hidden until their delay ends */
} store_mq_counts;
int store_mq_count(store_txn *t, const char *queue, double now, store_mq_counts *out, ferr *e);
/* The earliest visible_at after now among the queue's messages: 1 and *at, 0 none. */
int store_mq_next_visible(store_txn *t, const char *queue, double now, double *at, ferr *e);
/* Deletes every message of queue (and with keys, its keys too). Returns the count, or -1. */
long long store_mq_purge(store_txn *t, const char *queue, int keys, ferr *e);

/* Short-lived keys per queue (deduplication ids, request attempt ids). get: 1 when key is
 * there and expires after now (*value: a new malloc'd string or NULL; *num), 0 not, -1
 * error. put replaces; it also drops the queue's keys that expired by expires_at's now. */
int store_mq_key_get(store_txn *t, const char *queue, const char *key, double now, char **value,
                     int64_t *num, ferr *e);
int store_mq_key_put(store_txn *t, const char *queue, const char *key, double now,
                     double expires_at, const char *value, int64_t num, ferr *e);

/* ---- Several nodes on one store (PostgreSQL) ----
 * Every commit that writes documents tells the other nodes which generations it moved, in
 * the commit itself; a node that listens (store_listen) moves them on hearing it. Its
 * generations are trusted only while it has heard everything committed up to 100 ms ago
 * (the listener confirms it every 25 ms); past that, store_generation changes every 50 ms,
 * so no cached value outlives 100 ms. A backend with one process per store (SQLite) needs
 * none of it: these calls do nothing there. */

/* Starts listening as node (letters, digits, '.', '_', '-'; at most 63). 0 or -1. */
int store_listen(store *s, const char *node, ferr *e);
/* This node's id (store_listen's, else "HOST-PID"). Borrowed. */
const char *store_node(const store *s);
/* fn(ud, key) runs (on the listener's thread, quickly) for each key another node announced;
 * fn NULL stops it (before what ud points to goes away). */
void store_on_wake(store *s, void (*fn)(void *ud, const char *key), void *ud);
/* Tells the other nodes of key (a long poll's key: svc_notify), soon and outside any
 * transaction; lost if the database is away. */
void store_announce(store *s, const char *key);

typedef struct store_health {
    const char *kind; /* "sqlite", "postgresql" */
    int shared;       /* several nodes may serve it (its caches listen) */
    int reachable;    /* the store answered lately (SQLite: always) */
    double news_age;  /* shared: seconds since everything other nodes wrote was heard, or -1 */
} store_health;
void store_health_get(store *s, store_health *h);

/* Copies everything from holds into to (an empty store, e.g. a fresh PostgreSQL database)
 * in one transaction of each: documents, message queues (their sequence numbers kept, so
 * the services' references hold), queue keys and the audit trail. counts[4]: documents,
 * messages, keys, audit events copied. 0 or -1 (then nothing was written). */
int store_copy(store *from, store *to, long long counts[4], ferr *e);

/* Empties every table (ferry serve --auth open, POST /_ferry/reset). Moves the epoch first,
 * so that no fenced work begun before it writes after it. */
int store_reset(store *s, ferr *e);

/* Reset fence. Background work (a stack operation, an engine's sweep or job) enters the
 * store's epoch when it begins, on each thread it runs on; a transaction such a thread
 * begins then fails to commit (503 ServiceUnavailable, nothing written) once a reset has
 * happened since. The check is made at commit, under the write lock the reset also needs,
 * so a write either precedes the reset's wipe or does not happen. Request threads are not
 * fenced (epoch 0). Such a thread's store_begin fails likewise, so the work stops at its
 * next step. */
uint64_t store_epoch(store *s);
void store_fence_enter(uint64_t epoch); /* this thread's fence; 0 leaves it */
uint64_t store_fence_current(void);

#endif
