/* CloudFormation's stored documents: see documents.h. */
#include "documents.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "svc/events/events.h"
#include "svc/svc.h"

int cfn_status_busy(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 12 && !strcmp(s + n - 12, "_IN_PROGRESS") && strcmp(s, "REVIEW_IN_PROGRESS");
}

int cfn_stack_find(store_txn *t, const char *account, const char *region, const char *name_or_id,
                   json_t **stack, ferr *e)
{
    char uuid[64] = "";
    if (!name_or_id || !*name_or_id) return 0;
    if (!strncmp(name_or_id, "arn:", 4)) {
        /* arn:aws:cloudformation:REGION:ACCT:stack/NAME/UUID */
        const char *last = strrchr(name_or_id, '/');
        if (!last || strlen(last + 1) >= sizeof(uuid)) return 0;
        snprintf(uuid, sizeof(uuid), "%s", last + 1);
    } else {
        store_key nk = {CFN_KIND_NAME, account, region, name_or_id};
        json_t *n = NULL;
        int rc = store_get(t, &nk, &n, e);
        if (rc <= 0) return rc;
        snprintf(uuid, sizeof(uuid), "%s", json_string_value(json_object_get(n, "Id")));
        json_decref(n);
    }
    store_key k = {CFN_KIND_STACK, account, region, uuid};
    int rc = store_get(t, &k, stack, e);
    if (rc == 1 && !strncmp(name_or_id, "arn:", 4) &&
        strcmp(json_string_value(json_object_get(*stack, "StackId")), name_or_id)) {
        json_decref(*stack);
        *stack = NULL;
        return 0;
    }
    return rc;
}

int cfn_stack_put(store_txn *t, const json_t *stack, ferr *e)
{
    const char *acct = jstr(stack, "_account"), *region = jstr(stack, "_region");
    store_key k = {CFN_KIND_STACK, acct, region, jstr(stack, "_uuid")};
    return store_put(t, &k, stack, e);
}

static atomic_uint evseq;

/* A stack's own status, as AWS puts it on the account's default bus: "CloudFormation Stack
 * Status Change", in the transaction that records it. */
static int status_event(store_txn *t, const json_t *stack, const char *status, const char *reason,
                        const char *token, ferr *e)
{
    const char *id = jstr(stack, "StackId");
    json_t *d = json_pack("{s:s, s:{s:s, s:s}, s:s}", "stack-id", id, "status-details", "status",
                          status, "status-reason", reason ? reason : "", "client-request-token",
                          token ? token : "");
    json_t *res = json_pack("[s]", id);
    int rc = !d || !res ? ferr_oom(e)
                        : events_emit(t, jstr(stack, "_account"), jstr(stack, "_region"),
                                      "aws.cloudformation", "CloudFormation Stack Status Change", d,
                                      res, e);
    json_decref(d);
    json_decref(res);
    return rc;
}

json_t *cfn_event_add(store_txn *t, const json_t *stack, const char *logical, const char *physical,
                      const char *type, const char *status, const char *reason, const json_t *props,
                      ferr *e)
{
    double now = clock_now();
    char id[128], eid[40];
    unsigned seq = atomic_fetch_add(&evseq, 1);
    snprintf(id, sizeof(id), "%s/%016llx%08x", jstr(stack, "_uuid"),
             (unsigned long long)(now * 1e6), seq);
    ids_uuid(eid);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s}", "StackId", jstr(stack, "StackId"),
                           "EventId", eid, "StackName", jstr(stack, "StackName"),
                           "LogicalResourceId", logical ? logical : jstr(stack, "StackName"),
                           "ResourceType", type ? type : "AWS::CloudFormation::Stack", "Timestamp",
                           now, "ResourceStatus", status);
    if (!ev) {
        ferr_oom(e);
        return NULL;
    }
    const char *phys = logical ? physical : jstr(stack, "StackId");
    int rc = json_object_set_new(ev, "PhysicalResourceId", json_string(phys ? phys : ""));
    if (reason && *reason)
        rc |= json_object_set_new(ev, "ResourceStatusReason", json_string(reason));
    if (props) {
        char *p = json_dumps(props, JSON_COMPACT);
        rc |= json_object_set_new(ev, "ResourceProperties", p ? json_string(p) : NULL);
        free(p);
    }
    const char *tok = jstr(json_object_get(stack, "_op"), "Token");
    if (tok) rc |= json_object_set_new(ev, "ClientRequestToken", json_string(tok));
    if (rc) {
        json_decref(ev);
        ferr_oom(e);
        return NULL;
    }
    store_key k = {CFN_KIND_EVENT, jstr(stack, "_account"), jstr(stack, "_region"), id};
    if (store_put(t, &k, ev, e) || (!logical && status_event(t, stack, status, reason, tok, e))) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

/* The template document which of the stack: 1 (*d), or -1 (missing is an error). */
static int template_doc(store_txn *t, const json_t *stack, const char *which, json_t **d, ferr *e)
{
    char id[128];
    snprintf(id, sizeof(id), "%s/%s", jstr(stack, "_uuid"), which);
    store_key k = {CFN_KIND_TPL, jstr(stack, "_account"), jstr(stack, "_region"), id};
    int rc = store_get(t, &k, d, e);
    if (rc == 0) ferr_internal(e, "stack template %s missing", id);
    return rc <= 0 ? -1 : 1;
}

char *cfn_template_body(store_txn *t, const json_t *stack, const char *which, ferr *e)
{
    json_t *d = NULL;
    if (template_doc(t, stack, which, &d, e) < 0) return NULL;
    char *s = strdup(jstr(d, "Body") ? jstr(d, "Body") : "");
    json_decref(d);
    return s;
}

char *cfn_template_original(store_txn *t, const json_t *stack, const char *which, ferr *e)
{
    json_t *d = NULL;
    if (template_doc(t, stack, which, &d, e) < 0) return NULL;
    const char *o = jstr(d, "Original") ? jstr(d, "Original") : jstr(d, "Body");
    char *s = strdup(o ? o : "");
    json_decref(d);
    return s;
}

int cfn_template_store_orig(store_txn *t, const json_t *stack, const char *which, const char *body,
                            const char *original, ferr *e)
{
    char id[128];
    snprintf(id, sizeof(id), "%s/%s", jstr(stack, "_uuid"), which);
    store_key k = {CFN_KIND_TPL, jstr(stack, "_account"), jstr(stack, "_region"), id};
    if (!body) return store_del(t, &k, e) < 0 ? -1 : 0;
    json_t *d = json_pack("{s:s}", "Body", body);
    if (d && original && jset_str(d, "Original", original)) {
        json_decref(d);
        d = NULL;
    }
    int rc = d ? store_put(t, &k, d, e) : ferr_oom(e);
    json_decref(d);
    return rc;
}

int cfn_template_store(store_txn *t, const json_t *stack, const char *which, const char *body,
                       ferr *e)
{
    return cfn_template_store_orig(t, stack, which, body, NULL, e);
}

int cfn_template_promote(store_txn *t, const json_t *stack, const char *from, const char *to,
                         ferr *e)
{
    json_t *d = NULL;
    if (template_doc(t, stack, from, &d, e) < 0) return -1;
    int rc = cfn_template_store_orig(t, stack, to, jstr(d, "Body") ? jstr(d, "Body") : "",
                                     jstr(d, "Original"), e);
    json_decref(d);
    return rc;
}

typedef struct collect {
    json_t *arr;
    const char *stack_uuid;
    int oom;
} collect;

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *col = ud;
    const char *su = json_string_value(json_object_get(doc, "_stack_uuid"));
    if (col->stack_uuid && (!su || strcmp(su, col->stack_uuid))) return 0;
    col->oom |= json_array_append(col->arr, doc);
    return 0;
}

int cfn_docs_list(store_txn *t, const char *kind, const char *account, const char *region,
                  const char *prefix, const char *stack_uuid, json_t **arr, ferr *e)
{
    collect col = {json_array(), stack_uuid, 0};
    *arr = NULL;
    if (!col.arr ||
        store_list(t, kind, account, region, prefix, NULL, 0, collect_cb, &col, e) < 0 || col.oom) {
        if (!col.arr || col.oom) ferr_oom(e);
        json_decref(col.arr);
        return -1;
    }
    *arr = col.arr;
    return 0;
}

int cfn_export_value(store_txn *t, const char *account, const char *region, const char *name,
                     char **value, ferr *e)
{
    store_key k = {CFN_KIND_EXPORT, account, region, name};
    json_t *d = NULL;
    int rc = store_get(t, &k, &d, e);
    if (rc == 1) {
        *value = strdup(jstr(d, "Value") ? jstr(d, "Value") : "");
        json_decref(d);
        if (!*value) return ferr_oom(e);
    }
    return rc;
}
