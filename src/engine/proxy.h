/* A real proxy for the data planes ferry serves (App Mesh today, ELBv2 next): HAProxy from
 * Debian, configured from a description and reloaded in place.
 *
 * The description is a JSON document, so that any engine can build it and tests can read it:
 *   {"frontends": [{"name", "addr", "port", "selectors": [SELECTOR...]}],
 *    "backends":  [{"name", "servers": [{"addr", "port", "weight", "track"}],
 *                   "check": {"http", "path", "interval", "timeout", "rise", "fall"},
 *                   "retries", "retryOn": ["conn-failure", "503", ...]}]}
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
#include <sys/types.h>

#include "base/buf.h"
#include "base/err.h"

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

#endif
