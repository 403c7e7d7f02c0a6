/* A real proxy for the data planes ferry serves (App Mesh today, ELBv2 next): HAProxy from
 * Debian, configured from a description and reloaded in place.
 *
 * The description is a JSON document, so that any engine can build it and tests can read it:
 *   {"frontends": [{"name", "addr", "port", "selectors": [SELECTOR...]}],
 *    "backends":  [{"name", "servers": [{"addr", "port", "weight", "track"}],
 *                   "check": {"http", "path", "interval", "timeout", "rise", "fall"},
 *                   "retries", "retryOn": ["conn-failure", "503", ...],
 *                   "return": {"status", "contentType", "body"},
 *                   "redirect": {"code", "location": [PART...], "query": [PART...]}}]}
 * A backend with "return" answers every request it gets itself, with that response; one
 * with "redirect" sends it to location (followed by "?" and query when the request has a
 * query string or query is all literals), a PART being a literal or {"fetch": "host"
 * (without its port), "port" (the one the client reached), "path" (without its leading
 * slash), "query"}.
 * A frontend tries its selectors in order; the first whose "match" holds picks the request,
 * rewrites it ("rewrite": {"prefix": [FROM, TO], "path": P, "host": H}), then its "rules"
 * ({"match", "backend"}) are tried in order on the rewritten request. A request no rule
 * takes gets 404. A match is a list of conditions that must all hold, each
 *   {"what": "host"|"path"|"header"|"method"|"query", "name" (header or query parameter),
 *    "how": "exact"|"prefix"|"suffix"|"regex"|"range"|"present", "value", "lo", "hi"
 *    (range: lo <= v < hi), "invert"}.
 * Server weights are 0..256 (0: no traffic). A server with "track": "BACKEND/SERVER" takes
 * the health of that checked server (one health backend per set of instances).
 *
 * proxy_apply renders, writes the text to a temporary file, validates it with `haproxy -c`,
 * renames it into place and starts haproxy (master-worker, `-W -S`) or reloads it through
 * the master socket. A configuration haproxy refuses never replaces the one in place: the
 * running proxy keeps serving it. haproxy runs under the process guard (engine/proc.h): it
 * dies with ferry, kill -9 included. */
#ifndef FERRY_ENGINE_PROXY_H
#define FERRY_ENGINE_PROXY_H
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/codec.h"
#include "store/store.h"

typedef struct proxy proxy;

/* The configuration text for conf (above). 0, or -1 with a message naming what is wrong
 * (a name or value haproxy could not take). */
int proxy_render(const json_t *conf, buf *out, ferr *e);

/* A proxy named name (letters and digits) whose files live in a work directory of its own
 * under $TMPDIR/ferry-px-UID/PID. Nothing runs until the first proxy_apply. NULL: e. */
proxy *proxy_new(const char *name, ferr *e);
/* Puts conf in place and makes the running haproxy serve it (starting it the first time).
 * 0; -1 with e when haproxy refuses it (the previous configuration stays) or cannot run. */
int proxy_apply(proxy *p, const json_t *conf, ferr *e);
/* Stops haproxy (its whole tree); the next proxy_apply starts it again. */
void proxy_stop(proxy *p);
/* Stops it and frees p. NULL is a no-op. */
void proxy_free(proxy *p);
/* The master's process id, 0 when not running. */
pid_t proxy_pid(const proxy *p);
/* The file holding the configuration in place (for `ferry` users who want to read it). */
const char *proxy_config_path(const proxy *p);
/* How many times a configuration was put in place (starts and reloads). */
unsigned long proxy_generation(const proxy *p);

/* What an engine serving one proxy keeps (engine/mesh.c, engine/lb.c): the proxy, the
 * description last offered, the last error, the listing its /_ferry route answers, the
 * listener ports it keeps between renders and the store generation it last rendered. The
 * engine's sweep holds mu while it builds and offers (seconds, when haproxy checks and
 * reloads); the route reads view, what the last render left, under view_mu only, so it is
 * never held up by a reload. */
typedef struct proxy_slot {
    pthread_mutex_t mu;
    pthread_mutex_t view_mu;
    json_t *view; /* {"listing": [...], "proxy": {...}} */
    proxy *px;
    json_t *last_conf;
    char last_error[1024];
    json_t *listing;
    json_t *ports;
    json_t *saved_ports; /* what the store holds of ports */
    uint64_t gen;
    int rendered;
} proxy_slot;
#define PROXY_SLOT_INIT \
    { \
        .mu = PTHREAD_MUTEX_INITIALIZER, .view_mu = PTHREAD_MUTEX_INITIALIZER \
    }

/* 1 when the store generation gen is the one rendered last (nothing to do). Takes mu. */
int proxy_slot_current(proxy_slot *s, uint64_t gen);
/* Answers {key: the listing (or []), "proxy": {"running", "pid", "generation", "config",
 * "lastError"}} as JSON (a /_ferry route of the engine) from the view. Returns 1. */
int proxy_slot_serve(proxy_slot *s, const char *key, proto_response *resp);
/* Listener ports outlive the process (a client that keeps one keeps working after a restart):
 * load reads the slot's ports (kind "proxy.ports", id name) with t when it has none yet
 * (holding mu); publish saves them. */
int proxy_slot_load_ports(proxy_slot *s, store_txn *t, const char *name, ferr *e);
/* A sweep's end, holding mu: conf (taken; NULL when the build failed) is offered to the
 * slot's proxy, named name (1: equal to the last one offered, nothing done; else haproxy
 * is stopped when conf has no frontend or given it: 0, or -1 with e, kept in last_error
 * and logged), and the render is recorded with listing (borrowed; what the route answers
 * once applied). The ports are saved first, so that a port shown is a port kept across
 * kill -9; when they cannot be, nothing is offered or recorded (the next sweep tries again)
 * and -1 is returned. */
int proxy_slot_publish(proxy_slot *s, store *st, const char *name, uint64_t gen, json_t *conf,
                       json_t *listing, ferr *e);
/* Stops and frees the proxy, forgets everything the slot holds. Takes mu. */
void proxy_slot_clear(proxy_slot *s);
/* A loopback TCP port free now, for a frontend an engine keeps on it; 0 when none. */
int proxy_free_port(void);

#endif
