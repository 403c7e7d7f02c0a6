/* The HAProxy driver: see proxy.h. */
#include "engine/proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/jval.h"
#include "base/log.h"
#include "engine/proc.h"

extern char **environ;

#define CONF_MAX (16u << 20) /* a rendered configuration; far above any mesh's */

/* ---- rendering --------------------------------------------------------------------- */

/* haproxy names: letters, digits and "_.:-" (its own rule for proxy and server names). */
static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 100) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_.:-", *s)))
            return 0;
    return 1;
}

/* A word in double quotes, with what haproxy's quoting treats specially escaped: the
 * backslash, the quote and "$" (environment variables). Control characters cannot be
 * written at all: a value holding one is refused. */
static int put_quoted(buf *b, const char *s, ferr *e)
{
    buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f)
            return ferr_set(e, 400, "BadRequestException",
                            "A value holds a control character the proxy cannot take");
        if (ch == '\\' || ch == '"' || ch == '$') buf_putc(b, '\\');
        buf_putc(b, (char)ch);
    }
    return buf_putc(b, '"');
}

/* A literal as a regular expression (the rewrite's prefix). */
static int put_regex_literal(buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr(".^$|()[]{}*+?\\/", s[i])) buf_putc(b, '\\');
        buf_putc(b, s[i]);
    }
    return 0;
}

/* The sample fetch a condition reads. */
static int put_fetch(buf *b, const json_t *m, const char *what, ferr *e)
{
    const char *name = jstr(m, "name");
    if (!strcmp(what, "host")) return buf_puts(b, "req.hdr(host),field(1,:),lower");
    if (!strcmp(what, "path")) return buf_puts(b, "path");
    if (!strcmp(what, "method")) return buf_puts(b, "method");
    if (!strcmp(what, "header") || !strcmp(what, "query")) {
        if (!name || !*name ||
            strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789-_.~!#%&*+^`|") != strlen(name))
            return ferr_set(e, 400, "BadRequestException", "Invalid %s name '%s'", what,
                            name ? name : "");
        return buf_printf(b, "%s(%s)", !strcmp(what, "header") ? "req.hdr" : "url_param", name);
    }
    return ferr_set(e, 400, "BadRequestException", "Unknown match target '%s'", what);
}

/* One condition as an anonymous ACL, " {...}" or " !{...}". */
static int put_cond(buf *b, const json_t *m, ferr *e)
{
    const char *what = jstr(m, "what"), *how = jstr(m, "how"), *value = jstr(m, "value");
    if (!what || !how) return ferr_set(e, 400, "BadRequestException", "A match needs what and how");
    buf_puts(b, json_is_true(json_object_get(m, "invert")) ? " !{ " : " { ");
    if (put_fetch(b, m, what, e)) return -1;
    if (!strcmp(how, "present")) return buf_puts(b, " -m found }");
    if (!strcmp(how, "range")) {
        long long lo = jint(m, "lo", 0), hi = jint(m, "hi", 0);
        if (hi <= lo) return ferr_set(e, 400, "BadRequestException", "Empty range");
        return buf_printf(b, " -m int %lld:%lld }", lo, hi - 1);
    }
    static const struct {
        const char *how, *flag;
    } kinds[] = {{"exact", "str"}, {"prefix", "beg"}, {"suffix", "end"}, {"regex", "reg"}};
    const char *flag = NULL;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(how, kinds[i].how)) flag = kinds[i].flag;
    if (!flag || !value) return ferr_set(e, 400, "BadRequestException", "Unknown match '%s'", how);
    buf_printf(b, " -m %s ", flag);
    if (!strcmp(what, "host") && strcmp(how, "regex")) {
        /* hosts are compared lower-cased (the fetch lowers them) */
        char *low = strdup(value);
        if (!low) return ferr_oom(e);
        for (char *p = low; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        int rc = put_quoted(b, low, e);
        free(low);
        if (rc) return -1;
    } else if (put_quoted(b, value, e))
        return -1;
    return buf_puts(b, " }");
}

static int put_conds(buf *b, const json_t *match, ferr *e)
{
    size_t i;
    const json_t *m;
    json_array_foreach(match, i, m) {
        if (put_cond(b, m, e)) return -1;
    }
    return 0;
}

static int render_frontend(buf *b, const json_t *fe, ferr *e)
{
    const char *name = jstr(fe, "name"), *addr = jstr(fe, "addr");
    long long port = jint(fe, "port", 0);
    if (!name_ok(name) || !addr || port < 1 || port > 65535 ||
        strspn(addr, "0123456789.:[]abcdefABCDEF") != strlen(addr))
        return ferr_set(e, 400, "BadRequestException", "Invalid frontend '%s'", name ? name : "");
    buf_printf(b, "\nfrontend f_%s\n    bind %s:%lld\n", name, addr, port);
    const json_t *sels = json_object_get(fe, "selectors"), *s;
    size_t i;
    /* pick: the first selector whose match holds */
    json_array_foreach(sels, i, s) {
        buf_printf(b, "    http-request set-var(txn.sel) int(%zu) if !{ var(txn.sel) -m found }",
                   i + 1);
        if (put_conds(b, json_object_get(s, "match"), e)) return -1;
        buf_putc(b, '\n');
    }
    /* rewrite: what the picked selector changes, before its rules look */
    json_array_foreach(sels, i, s) {
        const json_t *rw = json_object_get(s, "rewrite"), *pre = json_object_get(rw, "prefix");
        const char *path = jstr(rw, "path"), *host = jstr(rw, "host");
        if (json_array_size(pre) == 2) {
            const char *from = json_string_value(json_array_get(pre, 0)),
                       *to = json_string_value(json_array_get(pre, 1));
            if (!from || !to || *from != '/' || *to != '/')
                return ferr_set(e, 400, "BadRequestException", "Invalid prefix rewrite");
            size_t fl = strlen(from);
            buf rx;
            buf_init(&rx, 4096);
            buf_putc(&rx, '^');
            /* "/a/" and "/a" both take what follows them, without doubling its slash */
            put_regex_literal(&rx, from, from[fl - 1] == '/' ? fl - 1 : fl);
            buf_puts(&rx, "/?(.*)");
            buf repl;
            buf_init(&repl, 4096);
            buf_puts(&repl, to);
            if (to[strlen(to) - 1] != '/') buf_putc(&repl, '/');
            buf_puts(&repl, "\\1");
            buf_puts(b, "    http-request replace-path ");
            int rc = put_quoted(b, buf_str(&rx), e) || (buf_putc(b, ' '), 0) ||
                     put_quoted(b, buf_str(&repl), e);
            buf_dispose(&rx);
            buf_dispose(&repl);
            if (rc) return -1;
            buf_printf(b, " if { var(txn.sel) -m int %zu }\n", i + 1);
        }
        if (path) {
            buf_puts(b, "    http-request set-path ");
            if (put_quoted(b, path, e)) return -1;
            buf_printf(b, " if { var(txn.sel) -m int %zu }\n", i + 1);
        }
        if (host) {
            buf_puts(b, "    http-request set-header host ");
            if (put_quoted(b, host, e)) return -1;
            buf_printf(b, " if { var(txn.sel) -m int %zu }\n", i + 1);
        }
    }
    json_array_foreach(sels, i, s) {
        size_t j;
        const json_t *r;
        json_array_foreach(json_object_get(s, "rules"), j, r) {
            const char *be = jstr(r, "backend");
            if (!name_ok(be))
                return ferr_set(e, 400, "BadRequestException", "Invalid backend name '%s'",
                                be ? be : "");
            buf_printf(b, "    use_backend b_%s if { var(txn.sel) -m int %zu }", be, i + 1);
            if (put_conds(b, json_object_get(r, "match"), e)) return -1;
            buf_putc(b, '\n');
        }
    }
    return buf_puts(b, "    default_backend x_noroute\n");
}

/* A redirect's parts as a log-format string: a literal (its "%" doubled) or
 * {"fetch": "host" (without port) | "port" (the one the client reached) | "path" (without
 * its leading slash) | "query"}. */
static int put_parts(buf *b, const json_t *parts, ferr *e)
{
    static const struct {
        const char *name, *expr;
    } fetches[] = {{"host", "%[req.hdr(host),field(1,:)]"},
                   {"port", "%[dst_port]"},
                   {"path", "%[path,bytes(1)]"},
                   {"query", "%[query]"}};
    size_t i;
    const json_t *v;
    json_array_foreach(parts, i, v) {
        const char *lit = json_string_value(v), *f = jstr(v, "fetch"), *expr = NULL;
        if (lit) {
            for (; *lit; lit++) buf_puts(b, *lit == '%' ? "%%" : (char[]){*lit, 0});
            continue;
        }
        for (size_t k = 0; f && k < sizeof(fetches) / sizeof(fetches[0]); k++)
            if (!strcmp(f, fetches[k].name)) expr = fetches[k].expr;
        if (!expr) return ferr_set(e, 400, "BadRequestException", "Invalid redirect part");
        buf_puts(b, expr);
    }
    return 0;
}

/* A backend's redirect: with "?" and the query when the request has one (or the query is
 * all literal), else without. */
static int render_redirect(buf *b, const json_t *rd, ferr *e)
{
    long long code = jint(rd, "code", 302);
    if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308)
        return ferr_set(e, 400, "BadRequestException", "Invalid redirect code %lld", code);
    const json_t *query = json_object_get(rd, "query"), *v;
    size_t i;
    int fetched = 0; /* a query made of literals is always there */
    json_array_foreach(query, i, v) fetched |= !json_is_string(v);
    for (int q = json_array_size(query) ? 1 : 0; q >= 0; q--) {
        buf loc;
        buf_init(&loc, 4096);
        int rc = put_parts(&loc, json_object_get(rd, "location"), e);
        if (!rc && q) {
            buf_putc(&loc, '?');
            rc = put_parts(&loc, query, e);
        }
        if (!rc && loc.failed) rc = ferr_oom(e);
        if (!rc) {
            buf_puts(b, "    http-request redirect location ");
            rc = put_quoted(b, buf_str(&loc), e);
        }
        buf_dispose(&loc);
        if (rc) return -1;
        buf_printf(b, " code %lld%s\n", code, q && fetched ? " if { query -m len 1: }" : "");
        if (q && !fetched) break;
    }
    return 0;
}

static int render_backend(buf *b, const json_t *be, ferr *e)
{
    const char *name = jstr(be, "name");
    if (!name_ok(name))
        return ferr_set(e, 400, "BadRequestException", "Invalid backend name '%s'",
                        name ? name : "");
    buf_printf(b, "\nbackend b_%s\n    balance roundrobin\n", name);
    if (json_object_get(be, "redirect"))
        return render_redirect(b, json_object_get(be, "redirect"), e);
    const json_t *ret = json_object_get(be, "return");
    if (ret) {
        /* answered here (a load balancer's fixed response): haproxy takes 200..599 */
        long long st = jint(ret, "status", 0);
        const char *ct = jstr(ret, "contentType"), *body = jstr(ret, "body");
        if (st < 200 || st > 599 || !ct || !body)
            return ferr_set(e, 400, "BadRequestException", "Invalid response in backend '%s'",
                            name);
        buf_printf(b, "    http-request return status %lld content-type ", st);
        if (put_quoted(b, ct, e)) return -1;
        buf_puts(b, " string ");
        if (put_quoted(b, body, e)) return -1;
        return buf_putc(b, '\n');
    }
    const json_t *check = json_object_get(be, "check");
    int checked = json_is_object(check);
    if (checked && json_is_true(json_object_get(check, "http"))) {
        const char *path = jstr(check, "path");
        buf_puts(b, "    option httpchk\n    http-check send meth GET uri ");
        if (put_quoted(b, path && *path == '/' ? path : "/", e)) return -1;
        buf_puts(b, "\n");
    }
    if (checked) buf_printf(b, "    timeout check %lldms\n", jint(check, "timeout", 2000));
    long long retries = jint(be, "retries", 0);
    if (retries > 0) {
        buf_printf(b, "    retries %lld\n    option redispatch\n    retry-on", retries);
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(be, "retryOn"), i, v) {
            const char *w = json_string_value(v);
            if (!w || !*w || strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(w))
                return ferr_set(e, 400, "BadRequestException", "Invalid retry event");
            buf_printf(b, " %s", w);
        }
        if (!json_array_size(json_object_get(be, "retryOn"))) buf_puts(b, " conn-failure");
        buf_putc(b, '\n');
    }
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(be, "servers"), i, s) {
        const char *addr = jstr(s, "addr"), *track = jstr(s, "track");
        long long port = jint(s, "port", 0), w = jint(s, "weight", 1);
        if (!addr || !*addr || strspn(addr, "0123456789.") != strlen(addr) || port < 1 ||
            port > 65535 || w < 0 || w > 256)
            return ferr_set(e, 400, "BadRequestException", "Invalid server in backend '%s'", name);
        buf_printf(b, "    server s%zu %s:%lld weight %lld", i + 1, addr, port, w);
        if (track) {
            const char *slash = strchr(track, '/');
            char bn[128];
            if (!slash || (size_t)(slash - track) >= sizeof(bn))
                return ferr_set(e, 400, "BadRequestException", "Invalid track '%s'", track);
            memcpy(bn, track, (size_t)(slash - track));
            bn[slash - track] = 0;
            if (!name_ok(bn) || !name_ok(slash + 1))
                return ferr_set(e, 400, "BadRequestException", "Invalid track '%s'", track);
            buf_printf(b, " track b_%s/%s", bn, slash + 1);
        } else if (checked)
            buf_printf(b, " check inter %lldms rise %lld fall %lld", jint(check, "interval", 5000),
                       jint(check, "rise", 2), jint(check, "fall", 2));
        buf_putc(b, '\n');
    }
    return 0;
}

int proxy_render(const json_t *conf, buf *out, ferr *e)
{
    buf_puts(out, "# written by ferry (engine/proxy.c); replaced as a whole on each change\n"
                  "global\n"
                  "    maxconn 4096\n"
                  "    hard-stop-after 5s\n"
                  "\ndefaults\n"
                  "    mode http\n"
                  "    timeout connect 5s\n"
                  "    timeout client 60s\n"
                  "    timeout server 60s\n"
                  "    timeout http-request 10s\n"
                  "\nbackend x_noroute\n"
                  "    http-request return status 404 content-type text/plain "
                  "string \"ferry proxy: no route matches this request\"\n");
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(conf, "frontends"), i, v) {
        if (render_frontend(out, v, e)) return -1;
    }
    json_array_foreach(json_object_get(conf, "backends"), i, v) {
        if (render_backend(out, v, e)) return -1;
    }
    if (out->failed) return ferr_oom(e);
    return 0;
}

/* ---- the process -------------------------------------------------------------------- */

struct proxy {
    char root[PATH_MAX + 64];
    char cfg[PATH_MAX + 96], next[PATH_MAX + 96], sock[PATH_MAX + 96], pidf[PATH_MAX + 96],
        log[PATH_MAX + 96], check_log[PATH_MAX + 96];
    const char *bin;
    pid_t guard; /* the process guard leading haproxy's tree, 0: not running */
    int life_fd; /* the guard's lifeline (closing it ends the tree) */
    unsigned long gen;
};

/* one work root per process, shared by every proxy; made once, under the lock, since the
 * mesh and load balancer engines each make their proxy on their own thread */
static int roots_made;
static char px_root[PATH_MAX];
static pthread_mutex_t roots_mu = PTHREAD_MUTEX_INITIALIZER;

proxy *proxy_new(const char *name, ferr *e)
{
    if (!name_ok(name) || strchr(name, '.') || strchr(name, ':')) {
        ferr_internal(e, "invalid proxy name");
        return NULL;
    }
    pthread_mutex_lock(&roots_mu);
    /* the marker lets a later ferry kill a haproxy a killed one left (engine/proc.c) */
    int made = roots_made || !proc_root_init("px", "FERRY_PX_ROOT", px_root, sizeof(px_root), e);
    roots_made = made;
    pthread_mutex_unlock(&roots_mu);
    if (!made) return NULL;
    proxy *p = calloc(1, sizeof(*p));
    if (!p) {
        ferr_oom(e);
        return NULL;
    }
    p->life_fd = -1;
    if (snprintf(p->root, sizeof(p->root), "%s/%s", px_root, name) >= (int)sizeof(p->root) ||
        (mkdir(p->root, 0700) && errno != EEXIST)) {
        ferr_internal(e, "cannot create %s: %s", p->root, strerror(errno));
        free(p);
        return NULL;
    }
    snprintf(p->cfg, sizeof(p->cfg), "%s/haproxy.cfg", p->root);
    snprintf(p->next, sizeof(p->next), "%s/haproxy.cfg.next", p->root);
    snprintf(p->sock, sizeof(p->sock), "%s/master.sock", p->root);
    snprintf(p->pidf, sizeof(p->pidf), "%s/haproxy.pid", p->root);
    snprintf(p->log, sizeof(p->log), "%s/haproxy.log", p->root);
    snprintf(p->check_log, sizeof(p->check_log), "%s/check.log", p->root);
    /* FERRY_HAPROXY: another build of haproxy (a test seam too) */
    p->bin = getenv("FERRY_HAPROXY") && *getenv("FERRY_HAPROXY") ? getenv("FERRY_HAPROXY")
                                                                 : "/usr/sbin/haproxy";
    return p;
}

pid_t proxy_pid(const proxy *p)
{
    if (!p || !p->guard) return 0;
    FILE *f = fopen(p->pidf, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    return (pid_t)pid;
}

const char *proxy_config_path(const proxy *p)
{
    return p->cfg;
}

unsigned long proxy_generation(const proxy *p)
{
    return p->gen;
}

/* Offers conf (stolen; NULL: building it failed with e) to the slot's proxy, named name:
 * 1 when it equals the last one offered (nothing done), else stops haproxy when conf has no
 * frontend or applies it (making the proxy the first time): 0, or -1 with e, kept in
 * last_error and logged. */
static int slot_offer(proxy_slot *s, const char *name, json_t *conf, ferr *e)
{
    if (conf && s->last_conf && json_equal(conf, s->last_conf)) {
        /* nothing changed since the last attempt (applied, or refused: said once) */
        json_decref(conf);
        return 1;
    }
    int rc = conf ? 0 : -1;
    json_decref(s->last_conf);
    s->last_conf = conf;
    if (!rc && !json_array_size(json_object_get(conf, "frontends")))
        proxy_stop(s->px); /* nothing to serve: no proxy running */
    else if (!rc) {
        if (!s->px) s->px = proxy_new(name, e);
        rc = s->px ? proxy_apply(s->px, conf, e) : -1;
    }
    if (rc) {
        snprintf(s->last_error, sizeof(s->last_error), "%s", e->message);
        log_error("%s: %s", name, e->message);
    } else
        s->last_error[0] = 0;
    return rc;
}

int proxy_slot_current(proxy_slot *s, uint64_t gen)
{
    pthread_mutex_lock(&s->mu);
    int same = s->rendered && gen == s->gen;
    pthread_mutex_unlock(&s->mu);
    return same;
}

/* The route's view of the slot (holding mu): its listing and the proxy's state now. */
static void update_view(proxy_slot *s)
{
    const proxy *p = s->px;
    json_t *v = json_pack("{s:O?, s:{s:b, s:i, s:I, s:s?, s:s?}}", "listing", s->listing, "proxy",
                          "running", p && proxy_pid(p) > 0, "pid", p ? (int)proxy_pid(p) : 0,
                          "generation", p ? (json_int_t)proxy_generation(p) : 0, "config",
                          p ? proxy_config_path(p) : NULL, "lastError",
                          s->last_error[0] ? s->last_error : NULL);
    if (!v) return; /* out of memory: the route answers the view before */
    pthread_mutex_lock(&s->view_mu);
    json_t *old = s->view;
    s->view = v;
    pthread_mutex_unlock(&s->view_mu);
    json_decref(old);
}

/* After an offer that returned rc (holding mu): gen is rendered, and listing (borrowed)
 * becomes what the route answers when the offer was applied (rc 0); the route's view of
 * the proxy (pid, generation, last error) is brought up to date either way. */
static void slot_rendered(proxy_slot *s, uint64_t gen, int rc, json_t *listing)
{
    s->gen = gen;
    s->rendered = 1;
    if (!rc) {
        json_decref(s->listing);
        s->listing = json_incref(listing);
    }
    update_view(s);
}

int proxy_slot_serve(proxy_slot *s, const char *key, proto_response *resp)
{
    pthread_mutex_lock(&s->view_mu);
    json_t *v = json_incref(s->view);
    pthread_mutex_unlock(&s->view_mu);
    const json_t *list = json_object_get(v, "listing"), *px = json_object_get(v, "proxy");
    json_t *o =
        json_pack("{s:o, s:o}", key, list ? json_incref((json_t *)list) : json_array(), "proxy",
                  px ? json_incref((json_t *)px)
                     : json_pack("{s:b, s:i, s:i, s:n, s:n}", "running", 0, "pid", 0, "generation",
                                 0, "config", "lastError"));
    json_decref(v);
    proto_response_init(resp);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    resp->status = text ? 200 : 500;
    buf_puts(&resp->body, text ? text : "{}");
    resp->content_type = "application/json";
    free(text);
    return 1;
}

#define PORTS_KIND "proxy.ports"

int proxy_slot_load_ports(proxy_slot *s, store_txn *t, const char *name, ferr *e)
{
    if (s->ports) return 0;
    json_t *doc = NULL;
    store_key k = {PORTS_KIND, "", "", name};
    if (store_get(t, &k, &doc, e) < 0) return -1;
    s->ports = json_is_object(doc) ? doc : json_object();
    if (s->ports != doc) json_decref(doc);
    json_decref(s->saved_ports);
    s->saved_ports = s->ports ? json_deep_copy(s->ports) : NULL;
    return s->ports ? 0 : ferr_oom(e);
}

/* Writes the ports when they changed since loaded or saved (a write transaction of its own):
 * 0, or -1 logged. */
static int save_ports(proxy_slot *s, store *st, const char *name)
{
    if (!s->ports || (s->saved_ports && json_equal(s->ports, s->saved_ports))) return 0;
    json_t *copy = json_deep_copy(s->ports);
    store_txn *t = NULL;
    ferr e = {0};
    store_key k = {PORTS_KIND, "", "", name};
    int rc = copy ? store_begin(st, 1, &t, &e) : ferr_oom(&e);
    if (!rc && store_put(t, &k, copy, &e)) {
        store_rollback(t);
        rc = -1;
    } else if (!rc) {
        rc = store_commit(t, &e);
    }
    if (rc) {
        log_warn("%s: cannot keep the listener ports: %s", name, e.message);
        json_decref(copy);
        return -1;
    }
    json_decref(s->saved_ports);
    s->saved_ports = copy;
    return 0;
}

int proxy_slot_publish(proxy_slot *s, store *st, const char *name, uint64_t gen, json_t *conf,
                       json_t *listing, ferr *e)
{
    if (conf && save_ports(s, st, name)) {
        json_decref(conf); /* not rendered: the next sweep tries again */
        return -1;
    }
    int rc = slot_offer(s, name, conf, e);
    slot_rendered(s, gen, rc, listing);
    return rc;
}

void proxy_slot_clear(proxy_slot *s)
{
    pthread_mutex_lock(&s->mu);
    proxy_free(s->px);
    s->px = NULL;
    json_decref(s->last_conf);
    s->last_conf = NULL;
    s->last_error[0] = 0;
    json_decref(s->listing);
    s->listing = NULL;
    json_decref(s->ports);
    s->ports = NULL;
    json_decref(s->saved_ports);
    s->saved_ports = NULL;
    s->rendered = 0;
    pthread_mutex_lock(&s->view_mu);
    json_decref(s->view);
    s->view = NULL;
    pthread_mutex_unlock(&s->view_mu);
    pthread_mutex_unlock(&s->mu);
}

int proxy_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int port = 0;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
        !getsockname(fd, (struct sockaddr *)&sa, &sl))
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

/* The first lines of what `haproxy -c` said, for the error. */
static void check_message(const char *path, char *out, size_t n)
{
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t len = fread(out, 1, n - 1, f);
    fclose(f);
    out[len] = 0;
    for (char *c = out; *c; c++)
        if (*c == '\n') *c = ' ';
}

/* `haproxy -c -f FILE`: 0 valid, -1 (e) not. */
static int validate(proxy *p, const char *file, ferr *e)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, p->check_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {(char *)p->bin, "-c", "-q", "-f", (char *)file, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, p->bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return ferr_internal(e, "cannot run %s: %s", p->bin, strerror(rc));
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    char msg[1024];
    check_message(p->check_log, msg, sizeof(msg));
    if (!msg[0]) /* said nothing: how it ended is all there is to tell */
        snprintf(msg, sizeof(msg), "%s %d", WIFSIGNALED(st) ? "killed by signal" : "exit status",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return ferr_set(e, 400, "BadRequestException", "haproxy refused the configuration: %s", msg);
}

typedef struct exec_arg {
    char *const *argv;
    char *const *envp;
} exec_arg;

static void exec_haproxy(const void *arg)
{
    const exec_arg *a = arg;
    execve(a->argv[0], a->argv, a->envp);
    _exit(127);
}

/* Sends cmd on the master's socket; what it answered in out (NUL-terminated). 0, or -1
 * (no master listening). */
static int master_cmd(proxy *p, const char *cmd, char *out, size_t n)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t sl = strlen(p->sock), len = 0;
    if (sl < sizeof(sa.sun_path)) memcpy(sa.sun_path, p->sock, sl + 1);
    if (fd < 0 || sl >= sizeof(sa.sun_path) || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
        write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    /* the master answers and closes once it sees the end of the request */
    shutdown(fd, SHUT_WR);
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    ssize_t got;
    while (poll(&pf, 1, 2000) > 0 && (got = read(fd, out + len, n - 1 - len)) > 0) {
        len += (size_t)got;
        if (len == n - 1) break;
    }
    out[len] = 0;
    close(fd);
    return 0;
}

/* The current workers' pids (those of the latest configuration: 0 reloads), at most max. */
static int current_workers(proxy *p, long *pids, int max)
{
    char out[16384];
    if (master_cmd(p, "show proc\n", out, sizeof(out))) return -1;
    int n = 0;
    char *sv = NULL;
    for (char *line = strtok_r(out, "\n", &sv); line; line = strtok_r(NULL, "\n", &sv)) {
        long pid, reloads;
        char type[32];
        if (line[0] == '#' || sscanf(line, "%ld %31s %ld", &pid, type, &reloads) != 3) continue;
        if (!strcmp(type, "worker") && reloads == 0 && n < max) pids[n++] = pid;
    }
    return n;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&ts, NULL);
}

/* Waits (3 s at most) until a worker that is not one of old[0..nold) serves: the master
 * bound the listeners before forking it, so a request made after this reaches the new
 * configuration. */
static void wait_new_worker(proxy *p, const long *old, int nold)
{
    for (int i = 0; i < 300; i++) {
        long pids[16];
        int n = current_workers(p, pids, 16);
        for (int j = 0; j < n; j++) {
            int seen = 0;
            for (int k = 0; k < nold; k++) seen |= pids[j] == old[k];
            if (!seen) return;
        }
        pause_ms(10);
    }
}

static int start(proxy *p, ferr *e)
{
    unlink(p->sock);
    unlink(p->pidf);
    int out = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int life[2] = {-1, -1};
    if (out < 0 || pipe2(life, O_CLOEXEC)) {
        if (out >= 0) close(out);
        return ferr_internal(e, "cannot start haproxy: %s", strerror(errno));
    }
    char marker[PATH_MAX + 128];
    snprintf(marker, sizeof(marker), "FERRY_PX_ROOT=%s/", p->root);
    char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", marker, NULL};
    /* -W master-worker: reloads keep the listening sockets; -S: the master's socket */
    char *argv[] = {(char *)p->bin, "-W", "-S", p->sock, "-p", p->pidf, "-f", p->cfg, NULL};
    exec_arg ea = {argv, envp};
    pid_t pid = fork();
    if (pid == 0) proc_guard_exec(out, life[0], exec_haproxy, &ea);
    close(out);
    close(life[0]);
    if (pid < 0) {
        close(life[1]);
        return ferr_internal(e, "cannot fork: %s", strerror(errno));
    }
    p->guard = pid;
    p->life_fd = life[1];
    /* serve before answering: wait (3 s at most) for the master and its first worker */
    for (int i = 0; i < 300; i++) {
        long pids[4];
        if (current_workers(p, pids, 4) > 0) return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            p->guard = 0;
            close(p->life_fd);
            p->life_fd = -1;
            return ferr_internal(e, "haproxy exited at start (see %s)", p->log);
        }
        pause_ms(10);
    }
    return 0;
}

/* The master re-reads the configuration ("reload" on its socket, else SIGUSR2); returns
 * once a worker of the new configuration is up. */
static int reload(proxy *p, ferr *e)
{
    long old[16];
    int nold = current_workers(p, old, 16);
    char tmp[256];
    if (master_cmd(p, "reload\n", tmp, sizeof(tmp))) {
        pid_t master = proxy_pid(p);
        if (master <= 0 || kill(master, SIGUSR2))
            return ferr_internal(e, "cannot reload haproxy: %s", strerror(errno));
    }
    wait_new_worker(p, old, nold < 0 ? 0 : nold);
    return 0;
}

int proxy_apply(proxy *p, const json_t *conf, ferr *e)
{
    buf text;
    buf_init(&text, CONF_MAX);
    if (proxy_render(conf, &text, e)) {
        buf_dispose(&text);
        return -1;
    }
    FILE *f = fopen(p->next, "w");
    int rc = 0;
    if (!f || fwrite(text.p, 1, text.len, f) != text.len) rc = -1;
    if (f && fclose(f)) rc = -1;
    buf_dispose(&text);
    if (rc) {
        unlink(p->next);
        return ferr_internal(e, "cannot write %s: %s", p->next, strerror(errno));
    }
    /* a configuration haproxy refuses never takes the place of the one in use */
    if (validate(p, p->next, e)) {
        log_warn("proxy %s: %s", p->root, e->message);
        return -1;
    }
    if (rename(p->next, p->cfg)) return ferr_internal(e, "cannot rename: %s", strerror(errno));
    /* a guard that ended (haproxy died) is started again */
    int status;
    if (p->guard && waitpid(p->guard, &status, WNOHANG) == p->guard) {
        p->guard = 0;
        close(p->life_fd);
        p->life_fd = -1;
    }
    rc = p->guard ? reload(p, e) : start(p, e);
    if (!rc) p->gen++;
    return rc;
}

void proxy_stop(proxy *p)
{
    if (!p || !p->guard) return;
    /* the guard kills the whole tree (master and workers) when its lifeline ends */
    close(p->life_fd);
    p->life_fd = -1;
    int st;
    while (waitpid(p->guard, &st, 0) < 0 && errno == EINTR) {
    }
    p->guard = 0;
}

void proxy_free(proxy *p)
{
    if (!p) return;
    proxy_stop(p);
    free(p);
}
