/* What a storage backend provides. store.c dispatches to it; sqlite.c is the embedded
 * default, a PostgreSQL backend implements the same table. */
#ifndef FERRY_STORE_BACKEND_H
#define FERRY_STORE_BACKEND_H
#include "store.h"

/* One row of a store, for store_copy: a document, a message (its seq kept), a queue key or
 * an audit event (its seq kept). */
typedef struct store_row {
    enum { STORE_ROW_DOC, STORE_ROW_MSG, STORE_ROW_KEY, STORE_ROW_AUDIT } type;
    store_key k;       /* DOC */
    const char *doc;   /* DOC */
    const char *queue; /* MSG, KEY */
    store_msg m;       /* MSG */
    const char *key;   /* KEY */
    const char *value; /* KEY */
    double expires_at; /* KEY */
    int64_t num;       /* KEY */
    int64_t seq;       /* AUDIT */
    audit_rec a;       /* AUDIT */
} store_row;
typedef int (*store_row_cb)(void *ud, const store_row *r);

/* What a listening backend tells store.c, on its listener thread. */
typedef struct store_listener {
    void (*heard)(void *ud, const char *news); /* a commit's or an announcement's news */
    void (*relisten)(void *ud);                /* listening (again): anything may have changed */
    /* every news committed before at (clock_mono_ns) has been heard; 0: listening stopped */
    void (*confirmed)(void *ud, uint64_t at);
    void *ud;
} store_listener;

typedef struct store_backend {
    const char *name;
    void *(*open)(const char *location, store_sync sync, ferr *e);
    void (*close)(void *impl);
    const char *(*describe)(void *impl);
    int (*schema_version)(void *impl);
    void *(*begin)(void *impl, int write, ferr *e);
    /* committed(arg), when given, runs after a successful commit and before another
     * writer can begin: store_generation moves there, so a writer sees counters that
     * match what is committed. news (NULL: none) is for the other nodes, sent in the
     * commit, so that they hear it when and only when it commits. group (store_commit_group):
     * the commit may be shared with write transactions that begin while this one waits for
     * it; committed then runs at that shared commit, and until it has, the kinds this
     * transaction touched count as touched by every write transaction (store.c). */
    int (*commit)(void *impl, void *txn, const char *news, void (*committed)(void *), void *arg,
                  int group, ferr *e);
    int groups; /* commit may group: store.c tracks what open groups touched */
    /* Several nodes (NULL: one process per store): listen starts hearing news (store_listener),
     * announce sends news outside any transaction, soon; reachable says whether the
     * database answered lately. */
    int (*listen)(void *impl, const struct store_listener *l, ferr *e);
    void (*announce)(void *impl, const char *news);
    void (*rollback)(void *impl, void *txn);
    int (*savepoint)(void *txn, int op, ferr *e); /* op: 0 mark, 1 release, 2 undo and release */
    int (*get)(void *txn, const store_key *k, json_t **out, ferr *e);
    int (*put)(void *txn, const store_key *k, const char *doc, int insert_only, ferr *e);
    int (*del)(void *txn, const store_key *k, ferr *e);
    int (*list)(void *txn, const char *kind, const char *account, const char *region,
                const char *prefix, const char *after, int limit, store_list_cb cb, void *ud,
                ferr *e);
    /* store_list_fields; NULL: store_list's whole documents */
    int (*list_fields)(void *txn, const char *kind, const char *account, const char *region,
                       const char *prefix, const char *after, int limit, const char *const *fields,
                       store_list_cb cb, void *ud, ferr *e);
    int (*range)(void *txn, const char *kind, const char *account, const char *region,
                 const store_range_q *q, store_list_cb cb, void *ud, ferr *e);
    int (*audit_append)(void *txn, const audit_rec *r, ferr *e);
    /* optional: n events at once, all or none (NULL: audit_append each) */
    int (*audit_append_many)(void *txn, const audit_rec *const *r, size_t n, ferr *e);
    int (*audit_query)(void *txn, const audit_query *q, store_audit_cb cb, void *ud, ferr *e);
    long long (*audit_trim)(void *txn, double before, long long max_events, int limit, ferr *e);
    /* the backend enforces r in the background from now on (a copy is kept) */
    void (*audit_retention)(void *impl, const store_retention *r);
    int (*reset)(void *impl, ferr *e);
    /* message queues (store.h) */
    int (*mq_put)(void *txn, const char *queue, store_msg *m, ferr *e);
    int (*mq_get)(void *txn, const char *queue, int64_t seq, store_mq_cb cb, void *ud, ferr *e);
    int (*mq_update)(void *txn, const char *queue, const store_msg *m, ferr *e);
    int (*mq_del)(void *txn, const char *queue, int64_t seq, ferr *e);
    int (*mq_scan)(void *txn, const char *queue, const store_mq_scan_opts *o, store_mq_cb cb,
                   void *ud, ferr *e);
    int (*mq_count)(void *txn, const char *queue, double now, store_mq_counts *out, ferr *e);
    int (*mq_next_visible)(void *txn, const char *queue, double now, double *at, ferr *e);
    long long (*mq_purge)(void *txn, const char *queue, int keys, ferr *e);
    int (*mq_key_get)(void *txn, const char *queue, const char *key, double now, char **value,
                      int64_t *num, ferr *e);
    int (*mq_key_put)(void *txn, const char *queue, const char *key, double now, double expires_at,
                      const char *value, int64_t num, ferr *e);
    /* store_copy: dump gives every row (documents, messages in seq order, keys, audit in seq
     * order) until cb fails; load writes one, keeping seq, and load(txn, NULL) ends a copy
     * (sequences move past what was loaded). NULL: this backend cannot be that end. */
    int (*dump)(void *txn, store_row_cb cb, void *ud, ferr *e);
    int (*load)(void *txn, const store_row *r, ferr *e);
} store_backend;

extern const store_backend store_sqlite_backend;
extern const store_backend store_postgres_backend;

#endif
