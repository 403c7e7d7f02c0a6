/* Versions (immutable snapshots of $LATEST) and aliases (a name for a version, optionally
 * sharing traffic with a second one by weight). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "lambda_int.h"

/* What makes two configurations the same function for PublishVersion. */
static json_t *essence(const json_t *cfg)
{
    json_t *e = json_deep_copy(cfg);
    const char *drop[] = {"Version",          "FunctionArn", "RevisionId",  "LastModified", "State",
                          "LastUpdateStatus", "_ReadyAt",    "Description", "_Blob"};
    for (size_t i = 0; e && i < sizeof(drop) / sizeof(drop[0]); i++)
        if (json_object_del(e, drop[i])) {
        }
    return e;
}

static json_t *newest_version(json_t *doc)
{
    long long best = 0;
    json_t *found = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "Versions"), k, v) {
        long long n = atoll(k);
        if (n > best) best = n, found = v;
    }
    return found;
}

int lambda_publish(call *c, json_t *doc, const char *description, json_t **out)
{
    json_t *latest = json_object_get(doc, "Latest"), *prev = newest_version(doc);
    if (prev) {
        /* AWS: nothing changed since the last version: that version is the answer */
        json_t *a = essence(latest), *b = essence(prev);
        int same = a && b && json_equal(a, b);
        json_decref(a);
        json_decref(b);
        if (same) {
            *out = svc_out(c, lambda_render(c, prev));
            return 0;
        }
    }
    long long n = jint(doc, "NextVersion", 1);
    char num[24];
    snprintf(num, sizeof(num), "%lld", n);
    const char *arn = arena_printf(c->a, "%s:%s", jstr(latest, "FunctionArn"), num);
    json_t *v = json_deep_copy(latest);
    if (!arn || !v || json_object_set_new(json_object_get(doc, "Versions"), num, v) ||
        jset_str(v, "Version", num) || jset_str(v, "FunctionArn", arn) ||
        (description && jset_str(v, "Description", description)) ||
        json_object_set_new(doc, "NextVersion", json_integer(n + 1)))
        return ferr_oom(c->err);
    if (lambda_touch(c, v, 0)) return -1;
    *out = svc_out(c, lambda_render(c, v));
    return 0;
}

static int own(call *c, const lambda_ref *r)
{
    if (strcmp(r->account, c->account))
        return ferr_set(c->err, 403, "AccessDeniedException",
                        "Cross-account changes of functions are not supported");
    return 0;
}

int lambda_op_publish_version(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (lambda_open_unqualified(c, in, "lambda:PublishVersion", &r, &doc, &arn) || own(c, &r))
        return -1;
    call_resource(c, "AWS::Lambda::Function", arn);
    json_t *latest = json_object_get(doc, "Latest");
    if (lambda_busy(c, latest) || lambda_check_revision(c, in, latest, "GetFunction/GetAlias"))
        return -1;
    const char *sha = jstr(in, "CodeSha256");
    if (sha && strcmp(sha, jstr(latest, "CodeSha256")))
        return lambda_invalid(c,
                              "CodeSHA256 (%s) is different from current CodeSHA256 in "
                              "$LATEST (%s). Please try again.",
                              sha, jstr(latest, "CodeSha256"));
    lambda_settle(latest);
    if (lambda_publish(c, doc, jstr(in, "Description"), out)) return -1;
    return lambda_save(c, r.name, doc);
}

/* Versions sorted by number, $LATEST first. */
static int by_version(const void *a, const void *b)
{
    const char *x = jstr(*(json_t *const *)a, "Version"), *y = jstr(*(json_t *const *)b, "Version");
    long long m = strcmp(x, "$LATEST") ? atoll(x) : 0, n = strcmp(y, "$LATEST") ? atoll(y) : 0;
    return (m > n) - (m < n);
}

static int page_sorted(call *c, json_t *items, const json_t *in, const char *key, json_t **out)
{
    size_t n = json_array_size(items);
    json_t **v = malloc((n + 1) * sizeof(*v));
    if (!v) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(items, i);
    if (!strcmp(key, "Versions")) qsort(v, n, sizeof(*v), by_version);
    json_t *sorted = json_array(), *o = json_object();
    int bad = !sorted || !o || !arena_defer_json(c->a, o);
    for (size_t i = 0; !bad && i < n; i++) bad = json_array_append(sorted, v[i]);
    free(v);
    if (bad) {
        json_decref(sorted);
        return ferr_oom(c->err);
    }
    int rc = svc_page(c, sorted, jstr(in, "Marker"), lambda_max_items(in), o, key, "NextMarker",
                      "InvalidParameterValueException");
    json_decref(sorted);
    if (rc) return -1;
    *out = svc_out(c, json_incref(o));
    return 0;
}

int lambda_op_list_versions_by_function(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (lambda_open_unqualified(c, in, "lambda:ListVersionsByFunction", &r, &doc, &arn)) return -1;
    json_t *all = json_array();
    if (!all || !arena_defer_json(c->a, all)) return ferr_oom(c->err);
    if (json_array_append_new(all, lambda_render(c, json_object_get(doc, "Latest"))))
        return ferr_oom(c->err);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "Versions"), k, v)
        if (json_array_append_new(all, lambda_render(c, v))) return ferr_oom(c->err);
    return page_sorted(c, all, in, "Versions", out);
}

/* ---- aliases ---- */

static int check_target(call *c, json_t *doc, const char *version, const json_t *routing)
{
    json_t *versions = json_object_get(doc, "Versions");
    if (strcmp(version, "$LATEST") && !json_object_get(versions, version))
        return lambda_not_found(c, "Function not found: %s:%s",
                                jstr(json_object_get(doc, "Latest"), "FunctionArn"), version);
    const json_t *w = json_object_get(routing, "AdditionalVersionWeights");
    if (json_object_size(w) > 1)
        return lambda_invalid(c, "Number of items in AdditionalVersionWeights cannot be greater "
                                 "than 1");
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)w, k, x) {
        if (!strcmp(version, "$LATEST"))
            return lambda_invalid(c, "$LATEST is not supported for an alias pointing to more "
                                     "than 1 version");
        if (!strcmp(k, version))
            return lambda_invalid(c,
                                  "Invalid function version %s. Function version %s is "
                                  "already included in routing configuration.",
                                  k, k);
        if (!json_object_get(versions, k))
            return lambda_invalid(c, "Function version %s does not exist.", k);
        double d = json_number_value(x);
        if (!json_is_number(x) || d < 0 || d > 1)
            return lambda_invalid(c,
                                  "Invalid weight %g for version %s: must be between 0.0 and "
                                  "1.0",
                                  d, k);
    }
    return 0;
}

static int open_alias(call *c, const json_t *in, const char *action, lambda_ref *r, json_t **doc,
                      json_t **alias)
{
    const char *arn;
    if (lambda_open_unqualified(c, in, action, r, doc, &arn)) return -1;
    const char *name = jstr(in, "Name");
    *alias = json_object_get(json_object_get(*doc, "Aliases"), name);
    if (!*alias) return lambda_not_found(c, "Alias not found: %s:%s", arn, name);
    return 0;
}

int lambda_op_create_alias(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (lambda_open_unqualified(c, in, "lambda:CreateAlias", &r, &doc, &arn) || own(c, &r))
        return -1;
    const char *name = jstr(in, "Name"), *version = jstr(in, "FunctionVersion");
    const char *aarn = arena_printf(c->a, "%s:%s", arn, name);
    if (!aarn) return ferr_oom(c->err);
    call_resource(c, "AWS::Lambda::Alias", aarn);
    if (strspn(name, "0123456789") == strlen(name) || !strcmp(name, "$LATEST"))
        return lambda_invalid(c, "Alias name cannot be a version number or $LATEST: %s", name);
    json_t *aliases = json_object_get(doc, "Aliases");
    if (json_object_get(aliases, name)) return lambda_conflict(c, "Alias already exists: %s", aarn);
    const json_t *routing = json_object_get(in, "RoutingConfig");
    if (check_target(c, doc, version, routing)) return -1;
    char rev[37];
    ids_uuid(rev);
    json_t *al = json_pack(
        "{s:s, s:s, s:s, s:s, s:s}", "AliasArn", aarn, "Name", name, "FunctionVersion", version,
        "Description", jstr(in, "Description") ? jstr(in, "Description") : "", "RevisionId", rev);
    if (!al || (routing && json_object_set(al, "RoutingConfig", (json_t *)routing)) ||
        json_object_set_new(aliases, name, al))
        return ferr_oom(c->err);
    *out = svc_out(c, json_incref(al));
    return lambda_save(c, r.name, doc);
}

int lambda_op_get_alias(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc, *al;
    if (open_alias(c, in, "lambda:GetAlias", &r, &doc, &al)) return -1;
    *out = svc_out(c, json_incref(al));
    return 0;
}

int lambda_op_update_alias(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc, *al;
    if (open_alias(c, in, "lambda:UpdateAlias", &r, &doc, &al) || own(c, &r)) return -1;
    call_resource(c, "AWS::Lambda::Alias", jstr(al, "AliasArn"));
    if (lambda_check_revision(c, in, al, "GetFunction/GetAlias")) return -1;
    const char *version = jstr(in, "FunctionVersion");
    const json_t *routing = json_object_get(in, "RoutingConfig");
    if (!version) version = jstr(al, "FunctionVersion");
    if (!routing) routing = json_object_get(al, "RoutingConfig");
    if (check_target(c, doc, version, routing)) return -1;
    char rev[37];
    ids_uuid(rev);
    int bad = jset_str(al, "FunctionVersion", version) || jset_str(al, "RevisionId", rev);
    if (jstr(in, "Description")) bad = bad || jset_str(al, "Description", jstr(in, "Description"));
    if (json_object_get(in, "RoutingConfig"))
        bad = bad || json_object_set(al, "RoutingConfig", json_object_get(in, "RoutingConfig"));
    if (bad) return ferr_oom(c->err);
    *out = svc_out(c, json_incref(al));
    return lambda_save(c, r.name, doc);
}

int lambda_op_delete_alias(call *c, json_t *in, json_t **out)
{
    (void)out;
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (lambda_open_unqualified(c, in, "lambda:DeleteAlias", &r, &doc, &arn) || own(c, &r))
        return -1;
    const char *name = jstr(in, "Name");
    /* AWS: deleting an alias that is not there succeeds */
    if (json_object_del(json_object_get(doc, "Aliases"), name)) return 0;
    if (json_object_del(json_object_get(doc, "Policies"), name)) {
    }
    return lambda_save(c, r.name, doc);
}

int lambda_op_list_aliases(call *c, json_t *in, json_t **out)
{
    lambda_ref r;
    json_t *doc;
    const char *arn;
    if (lambda_open_unqualified(c, in, "lambda:ListAliases", &r, &doc, &arn)) return -1;
    const char *fv = jstr(in, "FunctionVersion");
    json_t *all = json_array();
    if (!all || !arena_defer_json(c->a, all)) return ferr_oom(c->err);
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(doc, "Aliases"), k, v)
        if ((!fv || !strcmp(fv, jstr(v, "FunctionVersion"))) && json_array_append(all, v))
            return ferr_oom(c->err);
    return page_sorted(c, all, in, "Aliases", out);
}
