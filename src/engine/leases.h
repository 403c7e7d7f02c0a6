/* Node leases, for several nodes on one PostgreSQL store: every second each node writes
 * its lease (document "ferry.node", id = the node's id: {"Until": now + LEASES_SECONDS}).
 * A node whose lease has run out is dead, and the background work it owned is the first
 * live node's to take: each tick, after the lease is renewed, the registered takeover
 * functions run (SNS deliveries: engine/delivery.c; stack operations: engine/stacks/engine.c;
 * stack set operations: engine/stacks/stackset.c; pipeline executions:
 * svc/codepipeline/run.c; builds: engine/builds.c; asynchronous invocations:
 * engine/lambda_async.c; event source mappings: engine/esm.c). Secret rotations are claimed
 * when each starts (svc/secretsmanager/rotation.c), by whichever node's sweep finds them. On
 * a store with one process (SQLite) nothing runs: that process owns everything. */
#ifndef FERRY_ENGINE_LEASES_H
#define FERRY_ENGINE_LEASES_H
#include "engines.h"

#define LEASES_SECONDS 3.0 /* a lease lasts; renewed every second */
#define LEASES_KIND    "ferry.node"

extern const engine_def leases_engine;

/* This node's id when several nodes share the store (work names it as its owner), "" on a
 * store of one process, which owns every piece of work. Borrowed. */
const char *leases_self(ferry_env *env);

/* 1 when work owned by node (its id as the work's document names it) is still its owner's:
 * node is this one's, or its lease (read in t) lasts beyond now; 0 when it is another's to
 * take (no lease, or one run out, or no owner named); -1 on a store error. */
int leases_held(store_txn *t, const char *self, const char *node, double now, ferr *e);

/* Whether the work doc describes (its owner node named by doc's field) is self's to run,
 * read in a write transaction t: 2 when it was another node's whose lease has run out (or no
 * node's): field now names self and the caller writes doc in t; 1 when it is self's own and
 * at_start (a node resuming its work under a --node-id kept across restarts); 0 when it is
 * not to be run here (a live node's, or self's own while running); -1 on a store error. The
 * previous owner is copied into was (n bytes). */
int leases_take(store_txn *t, const char *self, json_t *doc, const char *field, int at_start,
                double now, char *was, size_t n, ferr *e);

/* leases_take on the document k names, read in a write transaction of its own (begun once
 * the writers before it have committed) that writes it when taken: leases_take's answer, 0
 * also when there is no such document or is_work (when given) says it is no work any more;
 * was names the previous owner. *doc (when doc is not NULL and the answer > 0) is the
 * document as read, its field set when taken; the caller owns it. On a store of one process
 * (self "") nothing is written and the answer is 1 for work found. -1: e says why. */
int leases_claim(store *st, const store_key *k, const char *self, const char *field, int at_start,
                 int (*is_work)(const json_t *doc), char *was, size_t n, json_t **doc, ferr *e);

/* fn(env) runs after each renewal on the leases thread (at most 8 registrations); off
 * removes it and returns once it is not running (an engine's stop, before it frees). */
void leases_on_tick(void (*fn)(ferry_env *env));
void leases_off_tick(void (*fn)(ferry_env *env));

#endif
