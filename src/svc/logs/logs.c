/* CloudWatch Logs (json 1.1): the service, and what its operations share (names, ARNs,
 * documents, authorization). See logs_int.h for what lives where. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "logs_int.h"

const svc_def svc_logs = {.name = "logs", .event_source = "logs.amazonaws.com"};

long long logs_now_ms(void)
{
    return (long long)(clock_now() * 1000.0);
}

int logs_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidParameterException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int logs_not_found(call *c, const char *what)
{
    return ferr_set(c->err, 400, "ResourceNotFoundException", "The specified %s does not exist.",
                    what);
}

const char *logs_group_arn(call *c, const char *account, const char *name)
{
    return arena_printf(c->a, "arn:%s:logs:%s:%s:log-group:%s", arn_partition(c->region), c->region,
                        account, name);
}

int logs_parse_group_arn(call *c, const char *arn, const char **account, const char **name)
{
    /* arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*] */
    size_t rl = strlen(c->region);
    const char *p = arn_rest(arn, "logs");
    if (!p || strncmp(p, c->region, rl) || p[rl] != ':' || strspn(p + rl + 1, "0123456789") != 12 ||
        strncmp(p + rl + 13, ":log-group:", 11))
        return logs_invalid(c, "Invalid resource arn: %s", arn);
    *account = arena_strndup(c->a, p + rl + 1, 12);
    const char *n = p + rl + 24;
    size_t len = strlen(n);
    if (len >= 2 && !strcmp(n + len - 2, ":*")) len -= 2;
    *name = arena_strndup(c->a, n, len);
    if (!*account || !*name) return ferr_oom(c->err);
    if (!len || strchr(*name, ':')) return logs_invalid(c, "Invalid resource arn: %s", arn);
    return 0;
}

int logs_group_ref(call *c, const json_t *in, const char **account, const char **name)
{
    const char *n = jstr(in, "logGroupName"), *id = jstr(in, "logGroupIdentifier");
    *account = c->account;
    if (n && id)
        return logs_invalid(c, "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    if (!n && !id) return logs_invalid(c, "Should provide either name or ARN of the log group.");
    if (n || strncmp(id, "arn:", 4)) {
        *name = n ? n : id;
        return 0;
    }
    return logs_parse_group_arn(c, id, account, name);
}

int logs_authorize(call *c, const char *action, const char *account, const char *group,
                   const char *stream)
{
    const char *arn = logs_group_arn(c, account, group);
    if (arn) call_resource(c, "AWS::Logs::LogGroup", arn);
    if (arn && stream) arn = arena_printf(c->a, "%s:log-stream:%s", arn, stream);
    if (!arn) return ferr_oom(c->err);
    /* log groups carry no resource policy: another account's is always refused */
    return call_authorize(c, action, arn);
}

int logs_group_need(call *c, const char *account, const char *name, json_t **doc)
{
    store_key k = {LOGS_GROUP_KIND, account, c->region, name};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return logs_not_found(c, "log group");
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 0;
}

int logs_stream_need(call *c, const char *account, const char *group, const char *stream,
                     json_t **doc, const char **id)
{
    *id = arena_printf(c->a, "%s:%s", group, stream);
    if (!*id) return ferr_oom(c->err);
    store_key k = {LOGS_STREAM_KIND, account, c->region, *id};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc) return logs_not_found(c, "log stream");
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 0;
}

int logs_create(call *c, const char *kind, const char *id, const json_t *doc, const char *what)
{
    store_key k = {kind, c->account, c->region, id};
    int rc = store_insert(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "ResourceAlreadyExistsException",
                        "The specified %s already exists", what);
    return 0;
}

typedef struct idlist {
    arena *a;
    size_t skip;
    long long min_last;
    const char **ids;
    size_t n, cap;
    int oom;
} idlist;

static int collect_id(void *ud, const store_key *k, json_t *doc)
{
    idlist *l = ud;
    if (l->min_last != LLONG_MIN) {
        const json_t *last = json_object_get(doc, "lastEventTimestamp");
        if (!last || json_integer_value(last) < l->min_last) return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        const char **ids = arena_alloc(l->a, cap * sizeof(*ids));
        if (!ids) return l->oom = 1;
        if (l->n) memcpy(ids, l->ids, l->n * sizeof(*ids));
        l->ids = ids;
        l->cap = cap;
    }
    if (!(l->ids[l->n++] = arena_strdup(l->a, k->id + l->skip))) return l->oom = 1;
    return 0;
}

int logs_list_ids(call *c, const char *kind, const char *account, const char *prefix, size_t skip,
                  long long min_last, const char ***ids, size_t *n)
{
    idlist l = {.a = c->a, .skip = skip, .min_last = min_last};
    if (store_list(c->txn, kind, account, c->region, prefix, NULL, 0, collect_id, &l, c->err) < 0)
        return -1;
    if (l.oom) return ferr_oom(c->err);
    *ids = l.ids;
    *n = l.n;
    return 0;
}

int logs_group_save(call *c, const char *name, json_t *doc)
{
    store_key k = {LOGS_GROUP_KIND, c->account, c->region, name};
    return store_put(c->txn, &k, doc, c->err);
}

int logs_retention_ok(long long days)
{
    static const int allowed[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                  365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (allowed[i] == days) return 1;
    return 0;
}

const char *logs_prefix(call *c, const char *group, const char *stream)
{
    const char *p =
        stream ? arena_printf(c->a, "%s:%s:", group, stream) : arena_printf(c->a, "%s:", group);
    if (!p) ferr_oom(c->err);
    return p;
}

typedef struct droplist {
    long long before;
    int limit;
    char **ids;
    size_t n, cap;
    long long bytes;
    int oom;
} droplist;

static int drop_pick(void *ud, const store_key *k, json_t *doc)
{
    droplist *d = ud;
    if (d->before && jint(doc, "l", 0) >= d->before) return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        char **ids = realloc(d->ids, cap * sizeof(*ids));
        if (!ids) return d->oom = 1;
        d->ids = ids;
        d->cap = cap;
    }
    if (!(d->ids[d->n] = strdup(k->id))) return d->oom = 1;
    d->n++;
    d->bytes += jint(doc, "b", 0);
    return d->limit && d->n >= (size_t)d->limit;
}

long long logs_batches_drop(store_txn *t, const char *account, const char *region,
                            const char *prefix, long long before, int limit, long long *bytes,
                            ferr *e)
{
    droplist d = {.before = before, .limit = limit};
    long long rc =
        store_list(t, LOGS_BATCH_KIND, account, region, prefix, NULL, 0, drop_pick, &d, e) < 0 ? -1
                                                                                               : 0;
    if (!rc && d.oom) rc = ferr_oom(e);
    for (size_t i = 0; i < d.n; i++) {
        store_key k = {LOGS_BATCH_KIND, account, region, d.ids[i]};
        if (!rc && store_del(t, &k, e) < 0) rc = -1;
        free(d.ids[i]);
    }
    free(d.ids);
    if (rc) return -1;
    *bytes += d.bytes;
    return (long long)d.n;
}
