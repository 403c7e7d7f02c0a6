/* What the IAM operations share: AWS's input rules and messages, storage of users, groups
 * and roles, paging, policy document checks. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/arn.h"
#include "base/enc.h"
#include "base/ids.h"
#include "iam_int.h"

const iamsvc_etype iamsvc_user_t = {"iam.user",
                                    "user",
                                    "User",
                                    "UserName",
                                    "UserId",
                                    "AIDA",
                                    "userName",
                                    64,
                                    IAM_QUOTA_USER_INLINE,
                                    "UserPolicySize",
                                    "AWS::IAM::User"};
const iamsvc_etype iamsvc_group_t = {"iam.group",
                                     "group",
                                     "Group",
                                     "GroupName",
                                     "GroupId",
                                     "AGPA",
                                     "groupName",
                                     128,
                                     IAM_QUOTA_GROUP_INLINE,
                                     "GroupPolicySize",
                                     "AWS::IAM::Group"};
const iamsvc_etype iamsvc_role_t = {"iam.role",
                                    "role",
                                    "Role",
                                    "RoleName",
                                    "RoleId",
                                    "AROA",
                                    "roleName",
                                    64,
                                    IAM_QUOTA_ROLE_INLINE,
                                    "RolePolicySize",
                                    "AWS::IAM::Role"};

int iamsvc_check_tags(call *c, const json_t *tags, const json_t *existing)
{
    size_t i, j;
    json_t *t;
    json_array_foreach(tags, i, t) {
        /* lengths and characters are the model's (proto/validate.c) */
        const char *k = jstr(t, "Key");
        if (!k) /* only an internal caller can send a key that is not a string */
            return ferr_validation(c->err,
                                   "1 validation error detected: Value null at "
                                   "'tags.%zu.member.key' failed to satisfy constraint: "
                                   "Member must not be null",
                                   i + 1);
        if (!strncasecmp(k, "aws:", 4))
            return ferr_set(c->err, 400, "InvalidInput",
                            "Tag keys starting with 'aws:' are reserved for AWS use.");
        for (j = 0; j < i; j++)
            if (!strcasecmp(jstr(json_array_get(tags, j), "Key"), k))
                return ferr_set(c->err, 400, "InvalidInput",
                                "Duplicate tag keys found. Please note that Tag keys are case "
                                "insensitive.");
    }
    /* AWS: at most 50 tags per entity, counting those it already has. */
    size_t total = json_array_size(tags);
    json_t *e;
    json_array_foreach(existing, i, e) {
        int dup = 0;
        json_array_foreach(tags, j, t) dup |= !strcmp(jstr(t, "Key"), jstr(e, "Key"));
        total += !dup;
    }
    if (total > 50)
        return ferr_set(c->err, 409, "LimitExceeded",
                        "The number of tags has reached the maximum limit.");
    return 0;
}

char *iamsvc_lower(arena *a, const char *name)
{
    char *s = arena_strdup(a, name ? name : "");
    for (char *p = s; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    return s;
}

char *iamsvc_arn(call *c, const char *account, const char *noun, const char *path, const char *name)
{
    return arena_printf(c->a, "arn:%s:iam::%s:%s%s%s", arn_partition(c->region), account, noun,
                        path && *path ? path : "/", name);
}

void iamsvc_new_id(const char *prefix, char out[32])
{
    ids_aws(prefix, 17, out);
}

char *iamsvc_url(arena *a, const char *text)
{
    return text ? enc_url_encode(a, text, strlen(text), 0) : NULL;
}

int iamsvc_fetch(store_txn *t, const iamsvc_etype *et, const char *account, const char *name,
                 json_t **doc, ferr *e)
{
    char id[160];
    *doc = NULL;
    size_t n = strlen(name);
    if (n >= sizeof(id)) return 0;
    for (size_t i = 0; i <= n; i++) id[i] = (char)tolower((unsigned char)name[i]);
    store_key k = {et->kind, account, IAMSVC_REGION, id};
    return store_get(t, &k, doc, e);
}

int iamsvc_no_such(call *c, const iamsvc_etype *et, const char *name)
{
    return ferr_set(c->err, 404, "NoSuchEntity", "The %s with name %s cannot be found.", et->noun,
                    name ? name : "");
}

int iamsvc_load_in(call *c, const iamsvc_etype *et, const char *account, const char *name,
                   json_t **doc)
{
    int rc = iamsvc_fetch(c->txn, et, account, name ? name : "", doc, c->err);
    if (rc < 0) return -1;
    return rc ? 0 : iamsvc_no_such(c, et, name);
}

int iamsvc_load(call *c, const iamsvc_etype *et, const char *name, json_t **doc)
{
    return iamsvc_load_in(c, et, c->account, name, doc);
}

int iamsvc_save(call *c, const iamsvc_etype *et, const char *account, const json_t *doc)
{
    store_key k = {et->kind, account, IAMSVC_REGION, iamsvc_lower(c->a, jstr(doc, et->name_key))};
    return store_put(c->txn, &k, doc, c->err);
}

static int collect_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append(ud, doc);
}

json_t *iamsvc_list_all(call *c, const char *kind, const char *account)
{
    json_t *arr = json_array();
    if (!arr) {
        ferr_oom(c->err);
        return NULL;
    }
    if (store_list(c->txn, kind, account, IAMSVC_REGION, NULL, NULL, 0, collect_cb, arr, c->err) <
        0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int iamsvc_filter_path(call *c, json_t *items, const char *prefix)
{
    (void)c; /* the prefix's form is the model's (proto/validate.c): nothing to refuse */
    if (!prefix) return 0;
    size_t n = strlen(prefix);
    for (size_t i = json_array_size(items); i-- > 0;) {
        const char *p = jstr(json_array_get(items, i), "Path");
        if (!p || strncmp(p, prefix, n)) json_array_remove(items, i);
    }
    return 0;
}

int iamsvc_page(call *c, json_t *all, const json_t *in, json_t *out, const char *key)
{
    /* AWS: MaxItems defaults to 100 (1..1000: the model's) */
    if (svc_page(c, all, jstr(in, "Marker"), jint(in, "MaxItems", 100), out, key, "Marker",
                 "ValidationError"))
        return -1;
    if (json_object_set_new(out, "IsTruncated",
                            json_boolean(json_object_get(out, "Marker") != NULL)))
        return ferr_oom(c->err);
    return 0;
}

int iamsvc_check_doc(call *c, const char *doc, int kind, size_t quota, const char *quota_name)
{
    if (!doc) doc = "";
    size_t len = strlen(doc);
    /* AWS: the document must be 1..131072 characters of printable text */
    if (len > IAM_POLICY_PARSE_MAX)
        return ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for %s: %zu", quota_name,
                        quota);
    iam_policy *p = iam_policy_parse(doc, len, kind, c->err);
    if (!p) return -1;
    iam_policy_free(p);
    if (quota && iam_policy_size(doc, len) > quota)
        return ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for %s: %zu", quota_name,
                        quota);
    return 0;
}

json_t *iamsvc_ctx(const char *key, const char *value)
{
    return json_pack("{s:s}", key, value);
}

/* How IAM names its resources in AccessDenied messages: "role NAME", "user NAME",
 * "group NAME", "instance-profile NAME", "policy ARN"; anything else as given. */
static const char *display(call *c, const char *arn)
{
    const char *rest = arn_rest(arn, "iam");
    if (!rest || *rest != ':') return arn;
    const char *res = strchr(rest + 1, ':');
    const char *slash = res ? strchr(res, '/') : NULL;
    if (!slash) return arn;
    const char *type = arena_strndup(c->a, res + 1, (size_t)(slash - res - 1));
    if (type && !strcmp(type, "policy")) return arena_printf(c->a, "policy %s", arn);
    if (type && (!strcmp(type, "role") || !strcmp(type, "user") || !strcmp(type, "group") ||
                 !strcmp(type, "instance-profile")))
        return arena_printf(c->a, "%s %s", type, strrchr(arn, '/') + 1);
    return arn;
}

int iamsvc_authorize_ctx(call *c, const char *action, const char *resource, const char *key,
                         const char *value)
{
    json_t *ctx = key ? iamsvc_ctx(key, value ? value : "") : NULL;
    /* AWS managed policies live in no account: reading them is the caller's own business */
    const char *rest = arn_rest(resource, "iam");
    int aws = rest && !strncmp(rest, ":aws:", 5);
    authz_req r = {.action = action,
                   .resource = resource,
                   .context = ctx,
                   .resource_account = aws ? c->account : NULL};
    int rc = call_authorize_ex(c, &r);
    json_decref(ctx);
    if (rc && !strcmp(c->err->code, "AccessDenied") && resource) {
        /* AWS: "... is not authorized to perform: iam:GetRole on resource: role NAME ..." */
        char *at = arena_printf(c->a, "on resource: %s", resource);
        char *hit = at ? strstr(c->err->message, at) : NULL;
        const char *shown = display(c, resource);
        if (hit && shown != resource) {
            char *msg = arena_printf(c->a, "%.*son resource: %s%s", (int)(hit - c->err->message),
                                     c->err->message, shown, hit + strlen(at));
            if (msg) snprintf(c->err->message, sizeof(c->err->message), "%s", msg);
        }
    }
    return rc;
}

int iamsvc_authorize(call *c, const char *action, const char *resource)
{
    return iamsvc_authorize_ctx(c, action, resource, NULL, NULL);
}

int iamsvc_load_auth(call *c, const iamsvc_etype *et, const char *action, const char *name,
                     json_t **doc)
{
    *doc = NULL;
    if (!name) name = "";
    int rc = iamsvc_fetch(c->txn, et, c->account, name, doc, c->err);
    if (rc < 0) return -1;
    const char *arn = rc ? jstr(*doc, "Arn") : iamsvc_arn(c, c->account, et->noun, "/", name);
    if (iamsvc_authorize(c, action, arn)) goto fail;
    if (!rc) {
        iamsvc_no_such(c, et, name);
        goto fail;
    }
    return 0;
fail:
    json_decref(*doc);
    *doc = NULL;
    return -1;
}
