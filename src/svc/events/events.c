/* EventBridge (json 1.1, "AWSEvents"): the service, names and ARNs, event buses with their
 * resource policies (PutPermission / RemovePermission) and tags. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/jtags.h"
#include "events_int.h"

static void (*waker)(void);

static void written(void)
{
    events_kick();
}

const svc_def svc_events = {
    .name = "events", .event_source = "events.amazonaws.com", .written = written};

void events_set_waker(void (*w)(void))
{
    waker = w;
}

void events_kick(void)
{
    if (waker) waker();
}

double events_time_scale(void)
{
    const char *s = getenv("FERRY_EVENTS_TIME_SCALE");
    double v = s ? strtod(s, NULL) : 1.0;
    return v > 0 ? v : 1.0;
}

int events_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "ValidationException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int events_not_found(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "ResourceNotFoundException", "", fmt, ap);
    va_end(ap);
    return -1;
}

const char *events_bus_arn(arena *a, const char *region, const char *account, const char *bus)
{
    return arena_printf(a, "arn:%s:events:%s:%s:event-bus/%s", arn_partition(region), region,
                        account, bus);
}

const char *events_rule_arn(arena *a, const char *region, const char *account, const char *bus,
                            const char *rule)
{
    if (!strcmp(bus, "default"))
        return arena_printf(a, "arn:%s:events:%s:%s:rule/%s", arn_partition(region), region,
                            account, rule);
    return arena_printf(a, "arn:%s:events:%s:%s:rule/%s/%s", arn_partition(region), region, account,
                        bus, rule);
}

const char *events_rule_id(arena *a, const char *bus, const char *rule)
{
    return arena_printf(a, "%s|%s", bus, rule);
}

int events_bus_ref(call *c, const char *v, const char **account, const char **name)
{
    *account = c->account;
    *name = v && *v ? v : "default";
    if (!v || strncmp(v, "arn:", 4)) return 0;
    /* arn:aws:events:REGION:ACCOUNT:event-bus/NAME, in the call's region */
    size_t rl = strlen(c->region);
    const char *p = arn_rest(v, "events");
    if (!p || strncmp(p, c->region, rl) || p[rl] != ':' || strspn(p + rl + 1, "0123456789") != 12 ||
        strncmp(p + rl + 13, ":event-bus/", 11) || !p[rl + 24])
        return events_invalid(c,
                              "Parameter %s is not valid. Reason: Provided Arn is not in "
                              "correct format.",
                              v);
    *account = arena_strndup(c->a, p + rl + 1, 12);
    *name = arena_strdup(c->a, p + rl + 24);
    return *account && *name ? 0 : ferr_oom(c->err);
}

int events_bus_get(call *c, const char *account, const char *bus, json_t **doc)
{
    store_key k = {EVENTS_BUS_KIND, account, c->region, bus};
    *doc = NULL;
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 1 && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    if (rc == 0 && strcmp(bus, "default"))
        return events_not_found(c, "Event bus %s does not exist.", bus);
    return 0;
}

static int bus_save(call *c, const char *account, const char *bus, json_t *doc)
{
    store_key k = {EVENTS_BUS_KIND, account, c->region, bus};
    return store_put(c->txn, &k, doc, c->err);
}

/* The bus's document, made for the default bus when it has none yet (borrowed from c->a). */
static int bus_doc(call *c, const char *bus, json_t **doc)
{
    if (events_bus_get(c, c->account, bus, doc)) return -1;
    if (!*doc) {
        *doc = json_pack("{s:s, s:f}", "Name", bus, "CreationTime", clock_now());
        if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    }
    return 0;
}

static int bus_authorize(call *c, const char *action, const char *account, const char *bus)
{
    const char *arn = events_bus_arn(c->a, c->region, account, bus);
    if (!arn) return ferr_oom(c->err);
    call_resource(c, "AWS::Events::EventBus", arn);
    return call_authorize(c, action, arn);
}

/* AWS: a custom bus's name is [/\.\-_A-Za-z0-9]+, at most 256 characters; "/" belongs to
 * partner buses (aws.partner/...). */
static int bus_name_ok(const char *n)
{
    size_t len = strlen(n);
    return len >= 1 && len <= 256 &&
           strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

int events_op_create_event_bus(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name");
    if (bus_authorize(c, "events:CreateEventBus", c->account, name)) return -1;
    if (jstr(in, "EventSourceName"))
        return events_invalid(c, "Partner event sources are not supported.");
    if (!bus_name_ok(name)) return events_invalid(c, "Event bus name must not contain '/'.");
    json_t *doc = json_pack("{s:s, s:f}", "Name", name, "CreationTime", clock_now());
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    const json_t *tags = json_object_get(in, "Tags");
    if (tags && jtags_merge(doc, tags)) return ferr_oom(c->err);
    store_key k = {EVENTS_BUS_KIND, c->account, c->region, name};
    int rc = strcmp(name, "default") ? store_insert(c->txn, &k, doc, c->err) : 1;
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "ResourceAlreadyExistsException",
                        "Event bus %s already exists.", name);
    *out = svc_out(
        c, json_pack("{s:s}", "EventBusArn", events_bus_arn(c->a, c->region, c->account, name)));
    return 0;
}

typedef struct ids_of {
    arena *a;
    const char **v;
    size_t n, cap;
    int oom;
} ids_of;

static int collect_id(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    ids_of *x = ud;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        const char **v = arena_alloc(x->a, cap * sizeof(*v));
        if (!v) return x->oom = 1;
        if (x->n) memcpy(v, x->v, x->n * sizeof(*v));
        x->v = v;
        x->cap = cap;
    }
    if (!(x->v[x->n++] = arena_strdup(x->a, k->id))) x->oom = 1;
    return x->oom;
}

int events_op_delete_event_bus(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name");
    if (bus_authorize(c, "events:DeleteEventBus", c->account, name)) return -1;
    if (!strcmp(name, "default")) return events_invalid(c, "Cannot delete event bus default.");
    store_key k = {EVENTS_BUS_KIND, c->account, c->region, name};
    if (store_del(c->txn, &k, c->err) < 0) return -1;
    /* its rules (and their schedules) go with it */
    ids_of x = {.a = c->a};
    const char *prefix = arena_printf(c->a, "%s|", name);
    if (!prefix) return ferr_oom(c->err);
    if (store_list(c->txn, EVENTS_RULE_KIND, c->account, c->region, prefix, NULL, 0, collect_id, &x,
                   c->err) < 0)
        return -1;
    if (x.oom) return ferr_oom(c->err);
    for (size_t i = 0; i < x.n; i++) {
        store_key r = {EVENTS_RULE_KIND, c->account, c->region, x.v[i]};
        store_key s = {EVENTS_SCHEDULE_KIND, c->account, c->region, x.v[i]};
        if (store_del(c->txn, &r, c->err) < 0 || store_del(c->txn, &s, c->err) < 0) return -1;
    }
    *out = svc_out(c, json_object());
    return 0;
}

static json_t *bus_out(call *c, const char *account, const char *name, const json_t *doc)
{
    json_t *o = json_pack("{s:s, s:s}", "Name", name, "Arn",
                          events_bus_arn(c->a, c->region, account, name));
    if (o && jset_str(o, "Policy", jstr(doc, "Policy"))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int events_op_describe_event_bus(call *c, json_t *in, json_t **out)
{
    const char *account, *name;
    json_t *doc;
    if (events_bus_ref(c, jstr(in, "Name"), &account, &name) ||
        bus_authorize(c, "events:DescribeEventBus", account, name) ||
        events_bus_get(c, account, name, &doc))
        return -1;
    *out = svc_out(c, bus_out(c, account, name, doc));
    return 0;
}

typedef struct lbus {
    call *c;
    json_t *all;
    const char *prefix;
    int oom;
} lbus;

static int list_bus(void *ud, const store_key *k, json_t *doc)
{
    lbus *l = ud;
    if (!strcmp(k->id, "default")) return 0; /* listed first */
    if (json_array_append_new(l->all, bus_out(l->c, k->account, k->id, doc))) l->oom = 1;
    return l->oom;
}

int events_op_list_event_buses(call *c, json_t *in, json_t **out)
{
    const char *prefix = jstr(in, "NamePrefix");
    if (bus_authorize(c, "events:ListEventBuses", c->account, "*")) return -1;
    lbus l = {c, json_array(), prefix, 0};
    if (!arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    if (!prefix || !strncmp("default", prefix, strlen(prefix))) {
        json_t *doc;
        if (events_bus_get(c, c->account, "default", &doc)) return -1;
        if (json_array_append_new(l.all, bus_out(c, c->account, "default", doc)))
            return ferr_oom(c->err);
    }
    if (store_list(c->txn, EVENTS_BUS_KIND, c->account, c->region, prefix, NULL, 0, list_bus, &l,
                   c->err) < 0)
        return -1;
    if (l.oom) return ferr_oom(c->err);
    json_t *o = json_object();
    if (!arena_defer_json(c->a, o)) return ferr_oom(c->err);
    if (svc_page(c, l.all, jstr(in, "NextToken"), jint(in, "Limit", 100), o, "EventBuses",
                 "NextToken", "ValidationException"))
        return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

/* ---- permissions: the bus's resource policy ---- */

static json_t *policy_of(const json_t *doc)
{
    const char *p = jstr(doc, "Policy");
    json_t *pol = p ? json_loads(p, 0, NULL) : NULL;
    if (!json_is_object(pol)) {
        json_decref(pol);
        pol = json_pack("{s:s, s:[]}", "Version", "2012-10-17", "Statement");
    }
    return pol;
}

static int policy_set(call *c, json_t *doc, json_t *pol)
{
    json_t *st = json_object_get(pol, "Statement");
    if (!json_array_size(st)) {
        json_object_del(doc, "Policy");
        return 0;
    }
    char *text = json_dumps(pol, JSON_COMPACT);
    int rc = !text || json_object_set_new(doc, "Policy", json_string(text));
    free(text);
    return rc ? ferr_oom(c->err) : 0;
}

int events_op_put_permission(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "EventBusName") ? jstr(in, "EventBusName") : "default";
    json_t *doc;
    if (bus_authorize(c, "events:PutPermission", c->account, name) || bus_doc(c, name, &doc))
        return -1;
    const char *arn = events_bus_arn(c->a, c->region, c->account, name);
    const char *text = jstr(in, "Policy");
    if (text) {
        json_t *p = json_loads(text, 0, NULL);
        int ok = json_is_object(p);
        json_decref(p);
        if (!ok) return events_invalid(c, "Parameter Policy is not valid.");
        if (jset_str(doc, "Policy", text)) return ferr_oom(c->err);
    } else {
        const char *action = jstr(in, "Action"), *who = jstr(in, "Principal"),
                   *sid = jstr(in, "StatementId");
        if (!action || !who || !sid)
            return events_invalid(c, "Parameter(s) Action, Principal and StatementId must be "
                                     "specified.");
        if (strcmp(action, "events:PutEvents"))
            return events_invalid(c, "Provided value in parameter 'action' is not supported.");
        const json_t *cond = json_object_get(in, "Condition");
        if (!strcmp(who, "*") ? 0 : strspn(who, "0123456789") != 12 || strlen(who) != 12)
            return events_invalid(c, "Parameter Principal is not valid.");
        json_t *pol = policy_of(doc), *st = json_object_get(pol, "Statement");
        size_t i;
        json_t *s;
        json_array_foreach(st, i, s) {
            if (!strcmp(jstr(s, "Sid") ? jstr(s, "Sid") : "", sid)) {
                json_decref(pol);
                return ferr_set(c->err, 400, "ResourceAlreadyExistsException",
                                "Statement with the provided id already exists.");
            }
        }
        json_t *stmt =
            json_pack("{s:s, s:s, s:o, s:s, s:s}", "Sid", sid, "Effect", "Allow", "Principal",
                      !strcmp(who, "*") ? json_string("*")
                                        : json_pack("{s:s}", "AWS",
                                                    arena_printf(c->a, "arn:%s:iam::%s:root",
                                                                 arn_partition(c->region), who)),
                      "Action", action, "Resource", arn);
        if (stmt && cond &&
            json_object_set_new(
                stmt, "Condition",
                json_pack("{s:{s:s}}", jstr(cond, "Type"), jstr(cond, "Key"), jstr(cond, "Value"))))
            json_decref(stmt), stmt = NULL;
        int rc =
            !stmt || json_array_append_new(st, stmt) ? ferr_oom(c->err) : policy_set(c, doc, pol);
        json_decref(pol);
        if (rc) return -1;
    }
    if (bus_save(c, c->account, name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int events_op_remove_permission(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "EventBusName") ? jstr(in, "EventBusName") : "default";
    const char *sid = jstr(in, "StatementId");
    json_t *doc;
    if (bus_authorize(c, "events:RemovePermission", c->account, name) || bus_doc(c, name, &doc))
        return -1;
    if (jbool(in, "RemoveAllPermissions", 0)) {
        json_object_del(doc, "Policy");
    } else {
        if (!sid)
            return events_invalid(c, "Parameter StatementId or RemoveAllPermissions must be "
                                     "specified.");
        if (!jstr(doc, "Policy")) return events_not_found(c, "EventBus does not have a policy.");
        json_t *pol = policy_of(doc), *st = json_object_get(pol, "Statement");
        size_t i, found = (size_t)-1;
        json_t *s;
        json_array_foreach(st, i, s) {
            if (!strcmp(jstr(s, "Sid") ? jstr(s, "Sid") : "", sid)) found = i;
        }
        int rc = found == (size_t)-1
                     ? events_not_found(c, "Statement with the provided id does not exist.")
                 : json_array_remove(st, found) ? ferr_oom(c->err)
                                                : policy_set(c, doc, pol);
        json_decref(pol);
        if (rc) return -1;
    }
    if (bus_save(c, c->account, name, doc)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

/* ---- tags, on rules and buses by ARN ---- */

/* The document an ARN names, with its store key (in c->a). */
static int tagged(call *c, const char *arn, const char *action, store_key *k, json_t **doc)
{
    const char *pfx =
        arena_printf(c->a, "arn:%s:events:%s:%s:", arn_partition(c->region), c->region, c->account);
    if (!pfx) return ferr_oom(c->err);
    size_t n = strlen(pfx);
    if (strncmp(arn, pfx, n)) return events_not_found(c, "Resource %s does not exist.", arn);
    const char *rest = arn + n;
    k->account = c->account;
    k->region = c->region;
    if (!strncmp(rest, "event-bus/", 10)) {
        k->kind = EVENTS_BUS_KIND;
        k->id = rest + 10;
    } else if (!strncmp(rest, "rule/", 5)) {
        const char *slash = strchr(rest + 5, '/');
        k->kind = EVENTS_RULE_KIND;
        k->id = slash ? arena_printf(c->a, "%.*s|%s", (int)(slash - rest - 5), rest + 5, slash + 1)
                      : events_rule_id(c->a, "default", rest + 5);
        if (!k->id) return ferr_oom(c->err);
    } else {
        return events_not_found(c, "Resource %s does not exist.", arn);
    }
    if (call_authorize(c, action, arn)) return -1;
    int rc = store_get(c->txn, k, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 0 && !strcmp(k->kind, EVENTS_BUS_KIND) && !strcmp(k->id, "default")) {
        *doc = json_pack("{s:s, s:f}", "Name", "default", "CreationTime", clock_now());
        rc = *doc ? 1 : ferr_oom(c->err);
    }
    if (rc == 0) return events_not_found(c, "Resource %s does not exist.", arn);
    return arena_defer_json(c->a, *doc) ? 0 : ferr_oom(c->err);
}

int events_op_tag_resource(call *c, json_t *in, json_t **out)
{
    store_key k;
    json_t *doc;
    if (tagged(c, jstr(in, "ResourceARN"), "events:TagResource", &k, &doc)) return -1;
    if (jtags_merge(doc, json_object_get(in, "Tags"))) return ferr_oom(c->err);
    if (json_array_size(json_object_get(doc, "Tags")) > 50)
        return ferr_set(c->err, 400, "LimitExceededException",
                        "The requested resource exceeds the maximum number allowed.");
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int events_op_untag_resource(call *c, json_t *in, json_t **out)
{
    store_key k;
    json_t *doc;
    if (tagged(c, jstr(in, "ResourceARN"), "events:UntagResource", &k, &doc)) return -1;
    jtags_remove(doc, json_object_get(in, "TagKeys"));
    if (store_put(c->txn, &k, doc, c->err)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int events_op_list_tags_for_resource(call *c, json_t *in, json_t **out)
{
    store_key k;
    json_t *doc;
    if (tagged(c, jstr(in, "ResourceARN"), "events:ListTagsForResource", &k, &doc)) return -1;
    const json_t *tags = json_object_get(doc, "Tags");
    *out = svc_out(c, tags ? json_pack("{s:O}", "Tags", tags) : json_pack("{s:[]}", "Tags"));
    return 0;
}
