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

/* ListOperations' filters: UPDATE_DATE BETWEEN two dates, the others EQ or IN. */
static int op_item(void *ud, const json_t *doc, json_t **item)
{
    const json_t *filters = ud;
    double updated;
    const char *status = op_status(doc, &updated);
    const json_t *targets = json_object_get(doc, "Targets");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        const char *name = jstr(f, "Name"), *value = NULL;
        if (!strcmp(name, "UPDATE_DATE")) {
            const json_t *vals = json_object_get(f, "Values");
            if (updated < json_number_value(json_array_get(vals, 0)) ||
                updated > json_number_value(json_array_get(vals, 1)))
                return 0;
            continue;
        }
        if (!strcmp(name, "NAMESPACE_ID"))
            value = jstr(targets, "NAMESPACE");
        else if (!strcmp(name, "SERVICE_ID"))
            value = jstr(targets, "SERVICE");
        else if (!strcmp(name, "STATUS"))
            value = status;
        else if (!strcmp(name, "TYPE"))
            value = jstr(doc, "Type");
        if (!sd_filter_match(f, value)) return 0;
    }
    *item = json_pack("{s:s, s:s, s:f}", "Id", jstr(doc, "Id"), "Status", status, "UpdateDate",
                      updated);
    return *item ? 0 : -1;
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
    json_t *filters = json_object_get(in, "Filters");
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        int date = !strcmp(jstr(f, "Name"), "UPDATE_DATE");
        if (sd_filter_check(c, f, date ? "BETWEEN" : "EQ IN")) return -1;
        /* the dates come as epoch seconds in text */
        json_t *vals = json_object_get(f, "Values");
        for (size_t j = 0; date && j < 2; j++)
            if (json_array_set_new(
                    vals, j, json_real(strtod(json_string_value(json_array_get(vals, j)), NULL))))
                return ferr_oom(c->err);
    }
    json_t *all = sd_collect(c, SD_OP_KIND, op_item, filters);
    if (!all) return -1;
    /* newest first, as AWS lists them */
    size_t n = json_array_size(all);
    json_t **items = arena_alloc(c->a, (n ? n : 1) * sizeof(*items));
    json_t *sorted = json_array();
    if (!items || !sorted || !arena_defer_json(c->a, sorted)) return ferr_oom(c->err);
    for (i = 0; i < n; i++) items[i] = json_array_get(all, i);
    qsort(items, n, sizeof(*items), by_date);
    for (i = 0; i < n; i++)
        if (json_object_del(items[i], "UpdateDate") || json_array_append(sorted, items[i]))
            return ferr_oom(c->err);
    return sd_page(c, in, sorted, "Operations", out);
}
