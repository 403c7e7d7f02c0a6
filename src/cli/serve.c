/* ferry serve: one process for every service, account and region. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/regions.h"
#include "auth/saml.h"
#include "base/clock.h"
#include "base/log.h"
#include "cli.h"
#include "engine/engines.h"
#include "engine/waiters.h"
#include "http/server.h"

const char *cli_default_data_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_DATA_HOME");
    if (x && *x)
        snprintf(out, n, "%s/ferry", x);
    else
        snprintf(out, n, "%s/.local/share/ferry", getenv("HOME") ? getenv("HOME") : ".");
    return out;
}

struct store *cli_store_open(const char *cmd, const char *where, const char *data, int sync)
{
    ferr e = {0};
    if (!where || !*where) where = getenv("FERRY_STORE");
    if (where && *where && !store_is_url(where)) {
        fprintf(stderr,
                "ferry %s: --store (or FERRY_STORE) wants a postgresql://… URI; the SQLite "
                "store is the data directory (--data)\n",
                cmd);
        return NULL;
    }
    if (where && *where && store_data_dir(data, &e)) {
        fprintf(stderr, "ferry %s: %s\n", cmd, e.message);
        return NULL;
    }
    store *st = store_open(where && *where ? where : data, (store_sync)sync, &e);
    if (!st) fprintf(stderr, "ferry %s: %s\n", cmd, e.message);
    return st;
}

int cli_add_regions(const char *cmd, const char *list)
{
    /* regions beyond the partitions' that requests may be signed for */
    ferr e = {0};
    if (!regions_add(list, &e)) return 0;
    fprintf(stderr, "ferry %s: --regions: %s\n", cmd, e.message);
    return 2;
}

static void wake_polls(void *ud, const char *key)
{
    waiters_notify(ud, key);
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: ferry serve [--listen ADDR:PORT] [--data DIR] [--store URI] [--auth strict|open]\n"
        "                   [--default-account ID] [--sync normal|full] [--threads N]\n"
        "                   [--port-file FILE] [--max-body BYTES] [--log-level LEVEL]\n"
        "                   [--body-budget BYTES] [--header-timeout S] [--body-timeout S]\n"
        "                   [--max-conns N] [--max-conns-per-ip N] [--regions R1,R2,...]\n"
        "                   [--audit-retention-days DAYS] [--audit-max-events N]\n"
        "                   [--s3-host SUFFIX] [--dns ADDR:PORT] [--node-id ID]\n"
        "  --store URI            the store on PostgreSQL (postgresql://user@host:port/db, also\n"
        "                         FERRY_STORE) instead of SQLite in DIR; DIR keeps the key\n"
        "                         files and blobs (shared by every node)\n"
        "  --node-id ID           this node's name among several on one database (also\n"
        "                         FERRY_NODE_ID; default HOST-PID), in GET /_ferry/health\n"
        "  --s3-host SUFFIX       BUCKET.SUFFIX[:port] addresses bucket BUCKET (virtual-hosted\n"
        "                         S3, beside BUCKET.localhost and BUCKET.s3.localhost)\n"
        "  --dns ADDR:PORT        answer Route 53 zones over UDP and TCP there (public zones),\n"
        "                         and at each VPC's resolver 127.53.X.Y:PORT (GET /_ferry/dns)\n"
        "Limits before authentication (a signature that does not need the body is checked\n"
        "from the headers, and a request refused by them is answered without its body):\n"
        "  --body-budget BYTES    bodies held in all until their signature is checked\n"
        "                         (default 160 MiB; beyond it 503 SlowDown)\n"
        "  --header-timeout S     to send complete headers (default 10)\n"
        "  --body-timeout S       to send a body not yet authenticated (default 60)\n"
        "  --max-conns N          connections in all (default 8192, at most the descriptor\n"
        "                         limit, raised to its hard limit, less 128); near it the\n"
        "                         oldest that never sent a request, then idle ones, close\n"
        "  --max-conns-per-ip N   connections per client address (default 256)\n"
        "  --max-body BYTES       a request body (default 16 MiB; beyond it 413)\n"
        "  --regions R1,R2,...    regions served beyond the aws, aws-cn and aws-us-gov ones\n"
        "Audit trail (the oldest events go first, in the background; 0 turns a bound off):\n"
        "  --audit-retention-days DAYS  events kept (default 90, CloudTrail's event history)\n"
        "  --audit-max-events N   events kept at most (default 1000000, about 0.8 KB each)\n");
}

int cli_serve(int argc, char **argv)
{
    const char *listen = "127.0.0.1:4566", *data = NULL, *port_file = NULL, *dns = NULL;
    const char *where = NULL, *node = getenv("FERRY_NODE_ID");
    ferry_env env = {.default_account = "000000000000"};
    server_opts so = {0};
    store_sync sync = STORE_SYNC_NORMAL;
    /* CloudTrail's event history keeps 90 days; the count bound keeps a busy server's data
     * directory bounded (about 1 KiB an event with its indexes) */
    store_retention retention = {.max_age = 90 * 86400.0, .max_events = 1000000};
    static const struct option opts[] = {{"listen", required_argument, 0, 'l'},
                                         {"data", required_argument, 0, 'd'},
                                         {"store", required_argument, 0, 'O'},
                                         {"auth", required_argument, 0, 'a'},
                                         {"default-account", required_argument, 0, 'A'},
                                         {"sync", required_argument, 0, 's'},
                                         {"threads", required_argument, 0, 't'},
                                         {"port-file", required_argument, 0, 'p'},
                                         {"max-body", required_argument, 0, 'm'},
                                         {"log-level", required_argument, 0, 'L'},
                                         {"body-budget", required_argument, 0, 'B'},
                                         {"header-timeout", required_argument, 0, 'H'},
                                         {"body-timeout", required_argument, 0, 'T'},
                                         {"max-conns", required_argument, 0, 'C'},
                                         {"max-conns-per-ip", required_argument, 0, 'P'},
                                         {"regions", required_argument, 0, 'R'},
                                         {"audit-retention-days", required_argument, 0, 'D'},
                                         {"audit-max-events", required_argument, 0, 'E'},
                                         {"s3-host", required_argument, 0, 'S'},
                                         {"dns", required_argument, 0, 'N'},
                                         {"node-id", required_argument, 0, 'I'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'l': listen = optarg; break;
        case 'd': data = optarg; break;
        case 'O': where = optarg; break;
        case 'a':
            if (!strcmp(optarg, "open"))
                env.auth_open = 1;
            else if (strcmp(optarg, "strict")) {
                usage();
                return 2;
            }
            break;
        case 'A':
            if (strlen(optarg) != 12 || strspn(optarg, "0123456789") != 12) {
                fprintf(stderr, "ferry serve: --default-account wants 12 digits\n");
                return 2;
            }
            snprintf(env.default_account, sizeof(env.default_account), "%s", optarg);
            break;
        case 's': sync = !strcmp(optarg, "full") ? STORE_SYNC_FULL : STORE_SYNC_NORMAL; break;
        case 't': so.threads = (unsigned)atoi(optarg); break;
        case 'p': port_file = optarg; break;
        case 'R':
            if (cli_add_regions("serve", optarg)) return 2;
            break;
        case 'm': so.max_body = strtoull(optarg, NULL, 10); break;
        case 'B': so.body_budget = strtoull(optarg, NULL, 10); break;
        case 'N': dns = optarg; break;
        case 'I': node = optarg; break;
        case 'S': snprintf(env.s3_host, sizeof(env.s3_host), "%s", optarg); break;
        case 'H': so.header_timeout = (unsigned)atoi(optarg); break;
        case 'T': so.body_timeout = (unsigned)atoi(optarg); break;
        case 'C': so.max_conns = (unsigned)atoi(optarg); break;
        case 'P': so.max_conns_per_ip = (unsigned)atoi(optarg); break;
        case 'L':
            log_set_level(!strcmp(optarg, "error")   ? LOG_ERROR
                          : !strcmp(optarg, "warn")  ? LOG_WARN
                          : !strcmp(optarg, "debug") ? LOG_DEBUG
                                                     : LOG_INFO);
            break;
        case 'D':
        case 'E': {
            char *end;
            errno = 0;
            double v = strtod(optarg, &end);
            if (*end || errno || !(v >= 0 && v <= 1e15)) {
                fprintf(stderr, "ferry serve: --%s wants a number >= 0 (0: no bound)\n",
                        ch == 'D' ? "audit-retention-days" : "audit-max-events");
                return 2;
            }
            if (ch == 'D')
                retention.max_age = v * 86400.0;
            else
                retention.max_events = (long long)v;
            break;
        }
        default: usage(); return 2;
        }
    }
    char datadir[4096];
    if (!data) data = cli_default_data_dir(datadir, sizeof(datadir));

    /* Signals are taken by sigwait below: block them before any thread starts. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* xmlsec (AssumeRoleWithSAML's signatures) starts once, before any thread */
    if (saml_init()) log_warn("xmlsec did not start: SAML signatures will be refused");

    ferr e = {0};
    env.started = clock_now();
    env.st = cli_store_open("serve", where, data, sync);
    env.data_dir = data;
    if (!env.st) return 1;
    store_audit_retention(env.st, &retention);
    /* object bytes beside the documents: <data>/blobs (owner-only, like the store) */
    char blobs[4200];
    snprintf(blobs, sizeof(blobs), "%s/blobs", data);
    env.blobs = blob_store_open(NULL, blobs, sync, &e);
    if (!env.blobs) {
        fprintf(stderr, "ferry serve: %s\n", e.message);
        store_close(env.st);
        return 1;
    }
    /* Listen first so the endpoint (and its port) is known before the engines resume work
     * that names it (queue URLs, SNS confirmation links); a request arriving before they
     * start is answered, and its background work waits in the store for them. */
    gateway *g = gateway_new(&env, &e);
    /* several nodes on one database: hear the others' writes and long-poll wakes */
    if (g && store_listen(env.st, node && *node ? node : NULL, &e)) {
        gateway_free(g);
        g = NULL;
    }
    if (g) store_on_wake(env.st, wake_polls, env.waits);
    so.listen = listen;
    so.waits = env.waits;
    server *srv = g ? server_new(g, &so, &e) : NULL;
    if (srv) {
        char host[256];
        snprintf(host, sizeof(host), "%s", listen);
        char *colon = strrchr(host, ':');
        if (colon) *colon = 0;
        snprintf(env.endpoint, sizeof(env.endpoint), "http://%.200s:%d", host, server_port(srv));
    }
    env.dns = dns;
    if (!srv || engines_start(&env, &e)) {
        fprintf(stderr, "ferry serve: %s\n", e.message);
        server_free(srv);
        store_on_wake(env.st, NULL, NULL);
        gateway_free(g);
        blob_store_close(env.blobs);
        store_close(env.st);
        return 1;
    }
    log_info("ferry listening on %s (node %s, store %s, auth %s)", env.endpoint, store_node(env.st),
             store_describe(env.st), env.auth_open ? "open" : "strict");
    if (port_file) {
        char tmp[4200];
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%d\n", server_port(srv));
            fclose(f);
            rename(tmp, port_file);
        }
    }
    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("signal %d: finishing requests in flight and stopping", sig);
    server_free(srv);
    engines_stop(&env);
    store_on_wake(env.st, NULL, NULL); /* the waiters go with the gateway */
    gateway_free(g);
    blob_store_close(env.blobs);
    store_close(env.st);
    log_info("stopped");
    return 0;
}
