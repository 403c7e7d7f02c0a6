/* Operations: what CreateXNamespace, DeleteNamespace, UpdateX, RegisterInstance and
 * DeregisterInstance answer. The change itself is made (and committed) by the request; its
 * operation then reads SUBMITTED for the first half of its delay, PENDING for the second,
 * and its outcome (SUCCESS, or FAIL with ErrorCode and ErrorMessage) after, computed from
 * the stored CreateDate, so the status survives a restart with nothing to run. The delay is
 * FERRY_SERVICEDISCOVERY_OPERATION_SECONDS (default 1; 0: done at once), recorded in each
 * operation when it is made. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "servicediscovery_int.h"

static double op_delay(void)
{
    const char *s = getenv("FERRY_SERVICEDISCOVERY_OPERATION_SECONDS");
    double d = s && *s ? strtod(s, NULL) : 1.0;
    return d > 0 && d < 3600 ? d : 0;
}

int sd_op_new(call *c, const char *type, json_t *targets, const char *fail_code,
              const char *fail_message, const char **id)
{
    char a[33], b[10];
    ids_lower_alnum(a, 32);
    ids_lower_alnum(b, 9);
    *id = arena_printf(c->a, "%s-%s", a, b);
    json_t *doc = json_pack("{s:s, s:s, s:f, s:f, s:o, s:s}", "Id", *id ? *id : "", "Type", type,
                            "CreateDate", clock_now(), "Delay", op_delay(), "Targets", targets,
                            "Outcome", fail_code ? "FAIL" : "SUCCESS");
    int rc = !*id || !doc;
    if (!rc && fail_code)
        rc = jset_str(doc, "ErrorCode", fail_code) ||
             jset_str(doc, "ErrorMessage", fail_message ? fail_message : "");
    if (rc || !arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    return sd_put(c, SD_OP_KIND, *id, doc);
}

/* The status of op now, and when it last changed. */
static const char *op_status(const json_t *op, double *updated)
{
    double t0 = json_number_value(json_object_get(op, "CreateDate"));
    double d = json_number_value(json_object_get(op, "Delay")), age = clock_now() - t0;
    if (age < d / 2) {
        *updated = t0;
        return "SUBMITTED";
    }
    if (age < d) {
        *updated = t0 + d / 2;
        return "PENDING";
    }
    *updated = t0 + d;
    return jstr(op, "Outcome");
}

static json_t *op_out(const json_t *op)
{
    double updated;
    const char *status = op_status(op, &updated);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:O, s:f, s:O}", "Id", jstr(op, "Id"), "Type", jstr(op, "Type"),
                  "Status", status, "CreateDate", json_object_get(op, "CreateDate"), "UpdateDate",
                  updated, "Targets", json_object_get(op, "Targets"));
    int rc = !o;
    if (!rc && !strcmp(status, "FAIL"))
        rc = jset_str(o, "ErrorCode", jstr(op, "ErrorCode")) ||
             jset_str(o, "ErrorMessage", jstr(op, "ErrorMessage"));
    return jdone(o, rc);
}

int servicediscovery_op_get_operation(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "OperationId");
    if (call_authorize(c, "servicediscovery:GetOperation", "*")) return -1;
    json_t *op;
    int rc = sd_get(c, SD_OP_KIND, id, &op);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "OperationNotFound", "No operation found with ID: %s", id);
    json_t *o = op_out(op);
    *out = svc_out(c, o ? json_pack("{s:o}", "Operation", o) : NULL);
    return 0;
}

typedef struct op_list {
    call *c;
    const json_t *filters;
    json_t *all;
    int rc;
} op_list;

/* AWS: EQ (the default) and IN compare values; BETWEEN takes two dates (UPDATE_DATE). */
static int filter_match(const json_t *f, const char *value, double date)
{
    const char *cond = jstr(f, "Condition");
    const json_t *vals = json_object_get(f, "Values");
    if (cond && !strcmp(cond, "BETWEEN")) {
        double lo = json_number_value(json_array_get(vals, 0)),
               hi = json_number_value(json_array_get(vals, 1));
        return date >= lo && date <= hi;
    }
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v) {
        if (value && !strcmp(json_string_value(v) ? json_string_value(v) : "", value)) return 1;
    }
    return 0;
}

static int op_each(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    op_list *l = ud;
    double updated;
    const char *status = op_status(doc, &updated);
    const json_t *targets = json_object_get(doc, "Targets");
    size_t i;
    json_t *f;
    json_array_foreach(l->filters, i, f) {
        const char *name = jstr(f, "Name"), *value = NULL;
        if (!strcmp(name, "NAMESPACE_ID"))
            value = jstr(targets, "NAMESPACE");
        else if (!strcmp(name, "SERVICE_ID"))
            value = jstr(targets, "SERVICE");
        else if (!strcmp(name, "STATUS"))
            value = status;
        else if (!strcmp(name, "TYPE"))
            value = jstr(doc, "Type");
        if (!filter_match(f, value, updated)) return 0;
    }
    l->rc |= json_array_append_new(l->all, json_pack("{s:s, s:s, s:f}", "Id", jstr(doc, "Id"),
                                                     "Status", status, "UpdateDate", updated));
    return 0;
}

static int by_date(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "UpdateDate")),
           y = json_number_value(json_object_get(*(json_t *const *)b, "UpdateDate"));
    return x < y ? 1 : x > y ? -1 : 0;
}

int servicediscovery_op_list_operations(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "servicediscovery:ListOperations", "*")) return -1;
    const json_t *filters = json_object_get(in, "Filters");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        const char *name = jstr(f, "Name"), *cond = jstr(f, "Condition");
        size_t nv = json_array_size(json_object_get(f, "Values"));
        int date = !strcmp(name, "UPDATE_DATE");
        if (date ? !cond || strcmp(cond, "BETWEEN") || nv != 2
                 : (cond && strcmp(cond, "EQ") && strcmp(cond, "IN")) ||
                       (nv != 1 && (!cond || strcmp(cond, "IN"))))
            return sd_invalid(c, "The filter %s does not support that condition or those values.",
                              name);
        if (date) {
            /* the dates come as epoch seconds in text */
            json_t *vals = json_object_get(f, "Values");
            for (size_t j = 0; j < 2; j++)
                if (json_array_set_new(
                        vals, j,
                        json_real(strtod(json_string_value(json_array_get(vals, j)), NULL))))
                    return ferr_oom(c->err);
        }
    }
    op_list l = {c, filters, json_array(), 0};
    if (!l.all || !arena_defer_json(c->a, l.all)) return ferr_oom(c->err);
    if (store_list(c->txn, SD_OP_KIND, c->account, c->region, NULL, NULL, 0, op_each, &l, c->err) <
        0)
        return -1;
    if (l.rc) return ferr_oom(c->err);
    /* newest first, as AWS lists them */
    size_t n = json_array_size(l.all);
    json_t **items = arena_alloc(c->a, (n ? n : 1) * sizeof(*items));
    if (!items) return ferr_oom(c->err);
    for (i = 0; i < n; i++) items[i] = json_array_get(l.all, i);
    qsort(items, n, sizeof(*items), by_date);
    json_t *sorted = json_array(), *o = json_object();
    int rc = !sorted || !o || !arena_defer_json(c->a, sorted);
    for (i = 0; !rc && i < n; i++)
        rc = json_object_del(items[i], "UpdateDate") || json_array_append(sorted, items[i]);
    if (rc) {
        json_decref(o);
        return ferr_oom(c->err);
    }
    if (svc_page(c, sorted, jstr(in, "NextToken"), jint(in, "MaxResults", 100), o, "Operations",
                 "NextToken", "InvalidInput")) {
        json_decref(o);
        return -1;
    }
    *out = o;
    return 0;
}
