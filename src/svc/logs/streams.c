/* Log streams: create, delete, describe. */
#include <stdlib.h>
#include <string.h>

#include "logs_int.h"

static const char *stream_id(call *c, const char *group, const char *stream)
{
    const char *id = arena_printf(c->a, "%s:%s", group, stream);
    if (!id) ferr_oom(c->err);
    return id;
}

int logs_op_create_log_stream(call *c, json_t *in, json_t **out)
{
    const char *group = jstr(in, "logGroupName"), *name = jstr(in, "logStreamName");
    json_t *g;
    if (logs_authorize(c, "logs:CreateLogStream", c->account, group, name) ||
        logs_group_need(c, c->account, group, &g))
        return -1;
    const char *id = stream_id(c, group, name);
    json_t *doc = json_pack("{s:s, s:I, s:I}", "name", name, "creationTime",
                            (json_int_t)logs_now_ms(), "storedBytes", (json_int_t)0);
    if (!id || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (logs_create(c, LOGS_STREAM_KIND, id, doc, "log stream")) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int logs_op_delete_log_stream(call *c, json_t *in, json_t **out)
{
    const char *group = jstr(in, "logGroupName"), *name = jstr(in, "logStreamName");
    json_t *g;
    if (logs_authorize(c, "logs:DeleteLogStream", c->account, group, name) ||
        logs_group_need(c, c->account, group, &g))
        return -1;
    const char *id = stream_id(c, group, name), *prefix = logs_prefix(c, group, name);
    if (!id || !prefix) return -1;
    store_key k = {LOGS_STREAM_KIND, c->account, c->region, id};
    int rc = store_del(c->txn, &k, c->err);
    if (rc < 0) return -1;
    if (!rc) return logs_not_found(c, "log stream");
    /* its batches, and their bytes off the group's count */
    long long bytes = 0;
    if (logs_batches_drop(c->txn, c->account, c->region, prefix, 0, 0, &bytes, c->err) < 0)
        return -1;
    long long stored = jint(g, "storedBytes", 0) - bytes;
    if (json_object_set_new(g, "storedBytes", json_integer(stored > 0 ? stored : 0)))
        return ferr_oom(c->err);
    if (logs_group_save(c, group, g)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

typedef struct dls {
    call *c;
    const char *group, *account;
    size_t skip; /* the id's "GROUP:" */
    json_t *all;
    int oom;
} dls;

static int stream_one(void *ud, const store_key *k, json_t *doc)
{
    dls *d = ud;
    const char *name = k->id + d->skip;
    const char *arn = logs_group_arn(d->c, d->account, d->group);
    json_t *s = arn ? json_pack("{s:s, s:I, s:s, s:I}", "logStreamName", name, "creationTime",
                                (json_int_t)jint(doc, "creationTime", 0), "arn",
                                arena_printf(d->c->a, "%s:log-stream:%s", arn, name), "storedBytes",
                                (json_int_t)0)
                    : NULL;
    static const char *const times[] = {"firstEventTimestamp", "lastEventTimestamp",
                                        "lastIngestionTime"};
    int rc = !s;
    for (size_t i = 0; !rc && i < 3; i++)
        if (json_object_get(doc, times[i]))
            rc = json_object_set(s, times[i], json_object_get(doc, times[i]));
    if (json_array_append_new(d->all, jdone(s, rc))) d->oom = 1;
    return d->oom;
}

static long long last_event(const json_t *s)
{
    const json_t *t = json_object_get(s, "lastEventTimestamp");
    return t ? json_integer_value(t) : -1;
}

static int by_last_event(const void *a, const void *b)
{
    long long x = last_event(*(json_t *const *)a), y = last_event(*(json_t *const *)b);
    return x < y ? -1 : x > y;
}

int logs_op_describe_log_streams(call *c, json_t *in, json_t **out)
{
    const char *group, *account, *prefix = jstr(in, "logStreamNamePrefix");
    const char *order = jstr(in, "orderBy");
    int by_time = order && !strcmp(order, "LastEventTime");
    json_t *g;
    if (logs_group_ref(c, in, &account, &group) ||
        logs_authorize(c, "logs:DescribeLogStreams", account, group, "*") ||
        logs_group_need(c, account, group, &g))
        return -1;
    if (by_time && prefix)
        return logs_invalid(c, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    dls d = {c, group, account, strlen(group) + 1, json_array(), 0};
    if (!arena_defer_json(c->a, d.all)) return ferr_oom(c->err);
    const char *p = arena_printf(c->a, "%s:%s", group, prefix ? prefix : "");
    if (!p) return ferr_oom(c->err);
    if (store_list(c->txn, LOGS_STREAM_KIND, account, c->region, p, NULL, 0, stream_one, &d,
                   c->err) < 0)
        return -1;
    if (d.oom) return ferr_oom(c->err);
    size_t n = json_array_size(d.all);
    json_t **items = n ? arena_alloc(c->a, n * sizeof(*items)) : NULL;
    if (n && !items) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) items[i] = json_array_get(d.all, i);
    if (by_time && n) qsort(items, n, sizeof(*items), by_last_event);
    json_t *sorted = json_array(), *o = json_object();
    if (!arena_defer_json(c->a, sorted) || !arena_defer_json(c->a, o)) return ferr_oom(c->err);
    int desc = jbool(in, "descending", 0);
    for (size_t i = 0; i < n; i++)
        if (json_array_append(sorted, items[desc ? n - 1 - i : i])) return ferr_oom(c->err);
    if (svc_page(c, sorted, jstr(in, "nextToken"), jint(in, "limit", 50), o, "logStreams",
                 "nextToken", "InvalidParameterException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}
