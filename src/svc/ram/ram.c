/* AWS RAM: resource shares, their resource and principal associations, tags, and the
 * client-token idempotency every write shares. See ram_int.h. */
#include <stdio.h>
#include <string.h>

#include "base/jtags.h"
#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "ram_int.h"
#include "svc/ec2/ec2.h"
#include "svc/organizations/organizations.h"

const svc_def svc_ram = {.name = "ram", .event_source = "ram.amazonaws.com"};

#define SHARE_TYPE "AWS::RAM::ResourceShare"
#define TAGS_MAX   50 /* AWS: tags per resource share */

static const char *share_arn(call *c, const char *id)
{
    return arena_printf(c->a, "arn:%s:ram:%s:%s:resource-share/%s", arn_partition(c->region),
                        c->region, c->account, id);
}

int ram_listed(const json_t *list, const char *s)
{
    size_t i;
    json_t *x;
    if (!json_array_size(list)) return 1;
    json_array_foreach(list, i, x) {
        if (s && json_is_string(x) && !strcmp(json_string_value(x), s)) return 1;
    }
    return 0;
}

int ram_malformed(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "MalformedArnException",
                    "The specified ARN %s is not valid. Verify the ARN and try again.", arn);
}

static int unknown_share(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "UnknownResourceException", "ResourceShare %s could not be found.",
                    arn);
}

/* The id of a resource share ARN (borrowed), its owner and region out; NULL: not one. */
static const char *share_id(const char *arn, char owner[13], char region[32])
{
    const char *rest = arn_rest(arn, "ram");
    if (!rest || ram_arn_owner(arn, owner, region)) return NULL;
    const char *id = strstr(rest, ":resource-share/");
    if (!id || !id[16] || strchr(id + 16, '/')) return NULL;
    return id + 16;
}

int ram_share_load(call *c, const char *action, const char *arn, json_t **share)
{
    char owner[13], region[32];
    const char *id = arn ? share_id(arn, owner, region) : NULL;
    if (!id) return ram_malformed(c, arn ? arn : "");
    /* another account's share is unknown to the caller (RAM looks in the caller's own) */
    if (strcmp(owner, c->account) || strcmp(region, c->region)) return unknown_share(c, arn);
    if (call_authorize(c, action, arn)) return -1;
    store_key k = call_key(c, RAM_SHARE_KIND, id);
    int rc = store_get(c->txn, &k, share, c->err);
    if (rc < 0) return -1;
    if (!rc) return unknown_share(c, arn);
    if (!arena_defer_json(c->a, *share)) return ferr_oom(c->err);
    call_resource(c, SHARE_TYPE, arn);
    return 0;
}

int ram_share_save(call *c, const json_t *share)
{
    char owner[13], region[32];
    const char *id = share_id(jstr(share, "resourceShareArn"), owner, region);
    if (!id) return ferr_internal(c->err, "resource share without an ARN");
    store_key k = {RAM_SHARE_KIND, owner, region, id};
    return store_put(c->txn, &k, share, c->err);
}

json_t *ram_share_view(const json_t *d)
{
    return json_pack("{s:O, s:O, s:O, s:O, s:O, s:s, s:O, s:O, s:O}", "resourceShareArn",
                     json_object_get(d, "resourceShareArn"), "name", json_object_get(d, "name"),
                     "owningAccountId", json_object_get(d, "owningAccountId"),
                     "allowExternalPrincipals", json_object_get(d, "allowExternalPrincipals"),
                     "status", json_object_get(d, "status"), "featureSet", "STANDARD", "tags",
                     json_object_get(d, "tags"), "creationTime", json_object_get(d, "creationTime"),
                     "lastUpdatedTime", json_object_get(d, "lastUpdatedTime"));
}

json_t *ram_resource_view(const json_t *share, const char *arn, const json_t *r)
{
    return json_pack("{s:s, s:O, s:O, s:s, s:O, s:O, s:s}", "arn", arn, "type",
                     json_object_get(r, "type"), "resourceShareArn",
                     json_object_get(share, "resourceShareArn"), "status", "AVAILABLE",
                     "creationTime", json_object_get(r, "creationTime"), "lastUpdatedTime",
                     json_object_get(r, "lastUpdatedTime"), "resourceRegionScope", "REGIONAL");
}

int ram_page(call *c, const json_t *in, json_t *all, const char *key, json_t **out)
{
    long long max = jint(in, "maxResults", 500);
    if (max < 1 || max > 500)
        return ferr_set(c->err, 400, "InvalidMaxResultsException",
                        "The specified value for MaxResults is not valid: %lld.", max);
    *out = svc_out(c, json_object());
    if (!*out || !all) return ferr_oom(c->err);
    return svc_page(c, all, jstr(in, "nextToken"), max, *out, key, "nextToken",
                    "InvalidNextTokenException");
}

json_t *ram_shares(call *c, const char *account, const char *region)
{
    return call_doc_list_in(c, RAM_SHARE_KIND, account, region, NULL);
}

/* ---- client tokens ---- */

static store_key token_key(call *c, const char *token)
{
    const char *id = arena_printf(c->a, "%s/%s", c->op, token);
    return call_key(c, RAM_TOKEN_KIND, id ? id : "");
}

static json_t *without_token(const json_t *in)
{
    json_t *v = json_deep_copy(in);
    if (v) json_object_del(v, "clientToken");
    return v;
}

int ram_token_seen(call *c, const json_t *in, json_t **out)
{
    const char *token = jstr(in, "clientToken");
    if (!token) return 0;
    if (!*token || strlen(token) > 64)
        return ferr_set(c->err, 400, "InvalidClientTokenException",
                        "The client token %s is not valid.", token);
    store_key k = token_key(c, token);
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    if (rc <= 0) return rc;
    if (!arena_defer_json(c->a, d)) return ferr_oom(c->err);
    json_t *mine = arena_defer_json(c->a, without_token(in));
    if (!mine) return ferr_oom(c->err);
    if (!json_equal(mine, json_object_get(d, "in")))
        return ferr_set(c->err, 400, "IdempotentParameterMismatchException",
                        "The client token %s was already used with different parameters.", token);
    *out = svc_out(c, json_deep_copy(json_object_get(d, "out")));
    return *out ? 1 : -1;
}

int ram_token_keep(call *c, const json_t *in, json_t *out)
{
    const char *token = jstr(in, "clientToken");
    if (!token) return 0;
    if (jset_str(out, "clientToken", token)) return ferr_oom(c->err);
    json_t *d =
        json_pack("{s:o, s:O, s:f}", "in", without_token(in), "out", out, "time", clock_now());
    if (!arena_defer_json(c->a, d)) return ferr_oom(c->err);
    store_key k = token_key(c, token);
    return store_put(c->txn, &k, d, c->err);
}

/* ---- resources ---- */

const char *ram_resource_type(call *c, const char *arn)
{
    char owner[13], region[32];
    if (ram_arn_owner(arn, owner, region)) return NULL;
    const char *svc = arn_rest(arn, NULL);
    if (!svc) return NULL;
    const char *colon = strchr(svc, ':');
    if (colon == svc) return NULL; /* no service */
    /* the resource part: after SERVICE:REGION:ACCOUNT: (both checked above) */
    const char *res = colon + 1 + strlen(region) + 1 + 12 + 1;
    size_t n = strcspn(res, "/:");
    if (!n) return NULL;
    if (!strncmp(svc, "ec2:", 4) && n == 6 && !strncmp(res, "subnet", 6)) return "ec2:Subnet";
    if (!strncmp(svc, "appmesh:", 8) && n == 4 && !strncmp(res, "mesh", 4)) return "appmesh:Mesh";
    /* others as RAM names them: service:ResourceType from the ARN's resource-type */
    char *t = arena_alloc(c->a, (size_t)(colon - svc) + n + 2);
    if (!t) return NULL;
    size_t o = (size_t)(colon - svc) + 1;
    memcpy(t, svc, o);
    int up = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = res[i];
        if (ch == '-' || ch == '_') {
            up = 1;
            continue;
        }
        t[o++] = up && ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
        up = 0;
    }
    t[o] = 0;
    return t;
}

static int unknown_resource(call *c, const char *arn)
{
    return ferr_set(c->err, 400, "UnknownResourceException", "Resource %s could not be found.",
                    arn);
}

/* A resource the caller may share: an ARN in the caller's account and region that exists
 * (subnets: in EC2; meshes and others by their ARN's shape). *type its RAM type. */
static int resource_check(call *c, const char *arn, const char **type)
{
    char owner[13], region[32];
    if (!arn || ram_arn_owner(arn, owner, region) || !(*type = ram_resource_type(c, arn)))
        return ram_malformed(c, arn ? arn : "");
    /* AWS: only the resource's owner shares it, from the resource's region */
    if (strcmp(owner, c->account) || strcmp(region, c->region)) return unknown_resource(c, arn);
    const char *res = strrchr(arn, ':') + 1;
    if (!strcmp(*type, "ec2:Subnet")) {
        const char *id = strchr(res, '/');
        if (!id || strncmp(id + 1, "subnet-", 7)) return ram_malformed(c, arn);
        char sub_owner[13];
        int rc = ec2_subnet_find(c->txn, c->region, id + 1, sub_owner, NULL, c->err);
        if (rc < 0) return -1;
        if (!rc || strcmp(sub_owner, c->account)) return unknown_resource(c, arn);
    } else if (!strcmp(*type, "appmesh:Mesh")) {
        const char *name = strchr(res, '/');
        if (!name || !name[1] || strchr(name + 1, '/')) return ram_malformed(c, arn);
    }
    return 0;
}

/* ---- associations ---- */

static int no_org_share(call *c)
{
    return ferr_set(c->err, 400, "OperationNotPermittedException",
                    "The resource you are attempting to share can only be shared within your AWS "
                    "Organization. This error may also occur if you have not enabled sharing "
                    "with your AWS organization, or that onboarding process is still in "
                    "progress.");
}

/* How a principal joins share: *status ASSOCIATED (inside the organization with sharing
 * enabled) or ASSOCIATING (an invitation, *invite = its account), *external. */
static int principal_check(call *c, const json_t *share, const char *p, const char **status,
                           int *external, const char **invite)
{
    *invite = NULL;
    *external = 0;
    int enabled = ram_org_sharing(c->txn, c->err);
    if (enabled < 0) return -1;
    const char *org_rest = arn_rest(p, "organizations");
    if (org_rest) {
        json_t *org = NULL;
        int rc = org_get(c->txn, &org, c->err);
        if (rc < 0) return -1;
        arena_defer_json(c->a, org);
        const char *what = strchr(org_rest, ':');
        what = what ? strchr(what + 1, ':') : NULL;
        if (!what) goto malformed_p;
        what++;
        if (!strncmp(what, "organization/", 13)) {
            if (!rc || strcmp(p, jstr(org, "Arn")))
                return ferr_set(c->err, 400, "UnknownResourceException",
                                "Organization %s could not be found.", what + 13);
        } else if (!strncmp(what, "ou/", 3)) {
            const char *ou = strchr(what + 3, '/');
            if (!ou || strncmp(ou + 1, "ou-", 3)) goto malformed_p;
            json_t *d = NULL;
            store_key k = {"ou", "", "", ou + 1};
            int found = rc ? store_get(c->txn, &k, &d, c->err) : 0;
            json_decref(d);
            if (found < 0) return -1;
            if (!found || strncmp(what + 3, jstr(org, "Id"), strlen(jstr(org, "Id"))))
                return ferr_set(c->err, 400, "UnknownResourceException",
                                "OrganizationalUnit %s could not be found.", ou + 1);
        } else
            goto malformed_p;
        /* AWS: organization and OU principals only with sharing enabled, by a member */
        int member = ram_org_member(c->txn, c->account, c->err);
        if (member < 0) return -1;
        if (!enabled || !member) return no_org_share(c);
        *status = "ASSOCIATED";
        return 0;
    }
    const char *account = NULL;
    size_t n = strlen(p);
    if (n == 12 && strspn(p, "0123456789") == 12)
        account = p;
    else {
        const char *iam = arn_rest(p, "iam");
        if (iam && !strncmp(iam, "::", 2) && strspn(iam + 2, "0123456789") == 12 &&
            iam[14] == ':' && (!strncmp(iam + 15, "role/", 5) || !strncmp(iam + 15, "user/", 5)))
            account = arena_strndup(c->a, iam + 2, 12);
    }
    if (!account) goto malformed_p;
    if (!strcmp(account, c->account))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "The resource share owner %s cannot be a principal of it.", p);
    int member = ram_org_member(c->txn, account, c->err),
        self = member < 0 ? 0 : ram_org_member(c->txn, c->account, c->err);
    if (member < 0 || self < 0) return -1;
    if (member && self && enabled) {
        *status = "ASSOCIATED";
        return 0;
    }
    if (!jbool(share, "allowExternalPrincipals", 1)) return no_org_share(c);
    *external = !(member && self);
    *status = "ASSOCIATING";
    *invite = account;
    return 0;
malformed_p:
    return ferr_set(c->err, 400, "InvalidParameterException",
                    "Principal ID %s is malformed. Verify the ID and try again.", p);
}

/* AWS: VPC subnets are shared only inside the organization (no invitations). */
static int subnets_stay_inside(call *c, const json_t *share)
{
    const char *k;
    json_t *v;
    int subnets = 0;
    json_object_foreach(json_object_get(share, "resources"), k, v) {
        const char *st = jstr(v, "status");
        subnets |= !strcmp(jstr(v, "type"), "ec2:Subnet") && st && strcmp(st, "DISASSOCIATED");
    }
    if (!subnets) return 0;
    json_object_foreach(json_object_get(share, "principals"), k, v) {
        const char *st = jstr(v, "status");
        if (jbool(v, "external", 0) || (st && !strcmp(st, "ASSOCIATING"))) return no_org_share(c);
    }
    return 0;
}

static json_t *assoc_view(const json_t *share, const char *entity, const char *type,
                          const json_t *a, const char *status)
{
    json_t *v = json_pack("{s:O, s:O, s:s, s:s, s:s, s:O, s:O}", "resourceShareArn",
                          json_object_get(share, "resourceShareArn"), "resourceShareName",
                          json_object_get(share, "name"), "associatedEntity", entity,
                          "associationType", type, "status", status ? status : jstr(a, "status"),
                          "creationTime", json_object_get(a, "creationTime"), "lastUpdatedTime",
                          json_object_get(a, "lastUpdatedTime"));
    int rc = 0;
    if (v && !strcmp(type, "PRINCIPAL"))
        rc = json_object_set_new(v, "external", json_boolean(jbool(a, "external", 0)));
    if (v && jstr(a, "statusMessage"))
        rc |= json_object_set(v, "statusMessage", json_object_get(a, "statusMessage"));
    return jdone(v, rc);
}

static int assoc_add(call *c, json_t *list, const json_t *share, const char *entity,
                     const char *type, const json_t *a, const char *status)
{
    return json_array_append_new(list, assoc_view(share, entity, type, a, status))
               ? ferr_oom(c->err)
               : 0;
}

/* Adds in's resourceArns and principals to share (saved), listing the associations made in
 * made (AWS answers them ASSOCIATING). */
static int associate(call *c, json_t *share, const json_t *in, json_t *made)
{
    double now = clock_now();
    json_t *res = json_object_get(share, "resources"), *prs = json_object_get(share, "principals");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(in, "resourceArns"), i, x) {
        const char *arn = json_string_value(x), *type;
        if (resource_check(c, arn, &type)) return -1;
        json_t *a = json_object_get(res, arn);
        if (a && !strcmp(jstr(a, "status"), "ASSOCIATED")) continue;
        a = json_pack("{s:s, s:s, s:f, s:f}", "type", type, "status", "ASSOCIATED", "creationTime",
                      now, "lastUpdatedTime", now);
        if (json_object_set_new(res, arn, a) || !a) return ferr_oom(c->err);
        if (assoc_add(c, made, share, arn, "RESOURCE", a, "ASSOCIATING")) return -1;
    }
    json_array_foreach(json_object_get(in, "principals"), i, x) {
        const char *p = json_string_value(x), *status, *invite;
        int external;
        if (!p) continue;
        json_t *a = json_object_get(prs, p);
        const char *st = jstr(a, "status");
        if (st && (!strcmp(st, "ASSOCIATED") || !strcmp(st, "ASSOCIATING"))) continue;
        if (principal_check(c, share, p, &status, &external, &invite)) return -1;
        a = json_pack("{s:s, s:b, s:f, s:f}", "status", status, "external", external,
                      "creationTime", now, "lastUpdatedTime", now);
        if (json_object_set_new(prs, p, a) || !a) return ferr_oom(c->err);
        if (invite && ram_invite(c, share, invite)) return -1;
        if (assoc_add(c, made, share, p, "PRINCIPAL", a, "ASSOCIATING")) return -1;
    }
    if (subnets_stay_inside(c, share)) return -1;
    /* each resource type the share holds gets RAM's default permission for it */
    json_t *perms = json_object_get(share, "permissions");
    const char *k;
    json_object_foreach(res, k, x) {
        const char *perm = ram_default_permission(jstr(x, "type"));
        int have = 0;
        json_t *y;
        json_array_foreach(perms, i, y) have |= perm && !strcmp(json_string_value(y), perm);
        if (perm && !have && json_array_append_new(perms, json_string(perm)))
            return ferr_oom(c->err);
    }
    if (json_array_size(made) &&
        json_object_set_new(share, "lastUpdatedTime", json_real(clock_now())))
        return ferr_oom(c->err);
    return ram_share_save(c, share);
}

static int tags_check(call *c, const json_t *tags)
{
    size_t i;
    json_t *t;
    if (json_array_size(tags) > TAGS_MAX)
        return ferr_set(c->err, 400, "TagLimitExceededException",
                        "This request would exceed the limit for tags for your account.");
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "key");
        if (!k || !*k || strlen(k) > 128 || strlen(jstr(t, "value") ? jstr(t, "value") : "") > 256)
            return ferr_set(c->err, 400, "InvalidParameterException",
                            "The tag key or value is not valid.");
        if (!strncmp(k, "aws:", 4) && c->caller != CALLER_INTERNAL)
            return ferr_set(c->err, 400, "TagPolicyViolationException",
                            "The specified tag key %s is a reserved word and can't be used.", k);
    }
    return 0;
}

/* Sets tags ([{key, value}]) on share: a key already there takes the new value. */
static int tags_merge(call *c, json_t *share, const json_t *tags)
{
    if (jtags_merge_named(share, &jtags_lower, tags)) return ferr_oom(c->err);
    return tags_check(c, json_object_get(share, "tags"));
}

int ram_op_create_resource_share(call *c, json_t *in, json_t **out)
{
    int seen = ram_token_seen(c, in, out);
    if (seen) return seen < 0 ? -1 : 0;
    char id[37];
    ids_uuid(id);
    const char *arn = share_arn(c, id), *name = jstr(in, "name");
    if (!arn) return ferr_oom(c->err);
    if (call_authorize(c, "ram:CreateResourceShare", arn)) return -1;
    json_t *tags = json_object_get(in, "tags");
    if (tags && tags_check(c, tags)) return -1;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(in, "permissionArns"), i, p) {
        if (!arn_rest(json_string_value(p), "ram")) return ram_malformed(c, json_string_value(p));
    }
    double now = clock_now();
    json_t *d = json_pack(
        "{s:s, s:s, s:s, s:b, s:s, s:s, s:f, s:f, s:o, s:{}, s:{}, s:[]}", "resourceShareArn", arn,
        "name", name, "owningAccountId", c->account, "allowExternalPrincipals",
        jbool(in, "allowExternalPrincipals", 1), "status", "ACTIVE", "featureSet", "STANDARD",
        "creationTime", now, "lastUpdatedTime", now, "tags",
        tags ? json_deep_copy(tags) : json_array(), "resources", "principals", "permissions");
    if (!arena_defer_json(c->a, d)) return ferr_oom(c->err);
    json_t *made = arena_defer_json(c->a, json_array());
    if (!made) return ferr_oom(c->err);
    json_array_foreach(json_object_get(in, "permissionArns"), i, p) {
        if (json_array_append(json_object_get(d, "permissions"), p)) return ferr_oom(c->err);
    }
    if (associate(c, d, in, made)) return -1;
    call_resource(c, SHARE_TYPE, arn);
    *out = svc_out(c, json_pack("{s:o}", "resourceShare", ram_share_view(d)));
    return *out ? ram_token_keep(c, in, *out) : -1;
}

/* 1 when share matches GetResourceShares' filters in in. */
static int share_matches(const json_t *s, const json_t *in)
{
    const json_t *arns = json_object_get(in, "resourceShareArns");
    const char *status = jstr(in, "resourceShareStatus"), *name = jstr(in, "name"),
               *perm = jstr(in, "permissionArn");
    size_t i, j;
    json_t *x;
    if (!ram_listed(arns, jstr(s, "resourceShareArn"))) return 0;
    if (status && strcmp(status, jstr(s, "status"))) return 0;
    if (name && strcmp(name, jstr(s, "name"))) return 0;
    if (perm) {
        int hit = 0;
        json_array_foreach(json_object_get(s, "permissions"), i, x)
            hit |= !strcmp(json_string_value(x), perm);
        if (!hit) return 0;
    }
    json_array_foreach(json_object_get(in, "tagFilters"), i, x) {
        const char *key = jstr(x, "tagKey");
        const json_t *vals = json_object_get(x, "tagValues"), *t;
        int hit = 0;
        json_array_foreach(json_object_get(s, "tags"), j, t) {
            if (!key || strcmp(key, jstr(t, "key"))) continue;
            if (!json_array_size(vals)) hit = 1;
            size_t k;
            json_t *v;
            json_array_foreach(vals, k, v) hit |= json_equal(v, json_object_get(t, "value"));
        }
        if (!hit) return 0;
    }
    return 1;
}

int ram_owner_check(call *c, const char *owner)
{
    if (!owner || (strcmp(owner, "SELF") && strcmp(owner, "OTHER-ACCOUNTS")))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "resourceOwner must be SELF or OTHER-ACCOUNTS.");
    return 0;
}

/* The shares the caller sees as resourceOwner says: its own, or (OTHER-ACCOUNTS) those of
 * other accounts in the region that reach it. Arena array. */
static json_t *visible_shares(call *c, const char *owner)
{
    int self = !strcmp(owner, "SELF");
    json_t *all = ram_shares(c, self ? c->account : NULL, c->region), *v, *s;
    if (!all || self) return all;
    v = arena_defer_json(c->a, json_array());
    if (!v) return ferr_oom(c->err), NULL;
    size_t i;
    json_array_foreach(all, i, s) {
        if (!strcmp(jstr(s, "owningAccountId"), c->account)) continue;
        int rc = ram_share_reaches(c->txn, s, c->account, c->err);
        if (rc < 0) return NULL;
        if (rc && json_array_append(v, s)) return ferr_oom(c->err), NULL;
    }
    return v;
}

int ram_op_get_resource_shares(call *c, json_t *in, json_t **out)
{
    const char *owner = jstr(in, "resourceOwner");
    if (ram_owner_check(c, owner) || call_authorize(c, "ram:GetResourceShares", "*")) return -1;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(in, "resourceShareArns"), i, x) {
        char o[13], r[32];
        if (!share_id(json_string_value(x), o, r)) return ram_malformed(c, json_string_value(x));
    }
    json_t *all = visible_shares(c, owner), *list = arena_defer_json(c->a, json_array()), *s;
    if (!all) return -1;
    if (!list) return ferr_oom(c->err);
    json_array_foreach(all, i, s) {
        if (share_matches(s, in) && json_array_append_new(list, ram_share_view(s)))
            return ferr_oom(c->err);
    }
    return ram_page(c, in, list, "resourceShares", out);
}

static int share_active(call *c, const json_t *share)
{
    if (!strcmp(jstr(share, "status"), "ACTIVE")) return 0;
    return ferr_set(c->err, 400, "InvalidStateTransitionException", "Resource share %s is %s.",
                    jstr(share, "resourceShareArn"), jstr(share, "status"));
}

int ram_op_update_resource_share(call *c, json_t *in, json_t **out)
{
    int seen = ram_token_seen(c, in, out);
    if (seen) return seen < 0 ? -1 : 0;
    json_t *d;
    if (ram_share_load(c, "ram:UpdateResourceShare", jstr(in, "resourceShareArn"), &d) ||
        share_active(c, d))
        return -1;
    const char *name = jstr(in, "name");
    json_t *ext = json_object_get(in, "allowExternalPrincipals");
    if ((name && jset_str(d, "name", name)) ||
        (json_is_boolean(ext) && json_object_set(d, "allowExternalPrincipals", ext)) ||
        json_object_set_new(d, "lastUpdatedTime", json_real(clock_now())))
        return ferr_oom(c->err);
    if (ram_share_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:o}", "resourceShare", ram_share_view(d)));
    return *out ? ram_token_keep(c, in, *out) : -1;
}

/* Sets every association of kind ("resources", "principals") in list (NULL: all) to
 * DISASSOCIATED, listing them in made (as DISASSOCIATING). */
static int disassociate(call *c, json_t *share, const char *kind, const json_t *list, json_t *made)
{
    json_t *all = json_object_get(share, kind), *a;
    const char *type = !strcmp(kind, "resources") ? "RESOURCE" : "PRINCIPAL";
    double now = clock_now();
    if (list) {
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x) {
            const char *e = json_string_value(x);
            a = e ? json_object_get(all, e) : NULL;
            if (!a || !strcmp(jstr(a, "status"), "DISASSOCIATED"))
                return ferr_set(c->err, 400, "UnknownResourceException",
                                "%s is not associated with resource share %s.", e ? e : "",
                                jstr(share, "resourceShareArn"));
        }
    }
    const char *e;
    json_object_foreach(all, e, a) {
        if (!strcmp(jstr(a, "status"), "DISASSOCIATED")) continue;
        int hit = !list;
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x) hit |= !strcmp(json_string_value(x), e);
        if (!hit) continue;
        if (!strcmp(kind, "principals") && !strcmp(jstr(a, "status"), "ASSOCIATING") &&
            ram_invites_withdraw(c, share, e))
            return -1;
        if (jset_str(a, "status", "DISASSOCIATED") ||
            json_object_set_new(a, "lastUpdatedTime", json_real(now)))
            return ferr_oom(c->err);
        if (made && assoc_add(c, made, share, e, type, a, "DISASSOCIATING")) return -1;
    }
    return 0;
}

int ram_op_delete_resource_share(call *c, json_t *in, json_t **out)
{
    int seen = ram_token_seen(c, in, out);
    if (seen) return seen < 0 ? -1 : 0;
    json_t *d;
    if (ram_share_load(c, "ram:DeleteResourceShare", jstr(in, "resourceShareArn"), &d) ||
        share_active(c, d))
        return -1;
    if (disassociate(c, d, "resources", NULL, NULL) ||
        disassociate(c, d, "principals", NULL, NULL) || ram_invites_withdraw(c, d, NULL))
        return -1;
    if (jset_str(d, "status", "DELETED") ||
        json_object_set_new(d, "lastUpdatedTime", json_real(clock_now())))
        return ferr_oom(c->err);
    if (ram_share_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:b}", "returnValue", 1));
    return *out ? ram_token_keep(c, in, *out) : -1;
}

int ram_op_associate_resource_share(call *c, json_t *in, json_t **out)
{
    int seen = ram_token_seen(c, in, out);
    if (seen) return seen < 0 ? -1 : 0;
    json_t *d, *made = arena_defer_json(c->a, json_array());
    if (!made) return ferr_oom(c->err);
    if (ram_share_load(c, "ram:AssociateResourceShare", jstr(in, "resourceShareArn"), &d) ||
        share_active(c, d) || associate(c, d, in, made))
        return -1;
    *out = svc_out(c, json_pack("{s:O}", "resourceShareAssociations", made));
    return *out ? ram_token_keep(c, in, *out) : -1;
}

int ram_op_disassociate_resource_share(call *c, json_t *in, json_t **out)
{
    int seen = ram_token_seen(c, in, out);
    if (seen) return seen < 0 ? -1 : 0;
    json_t *d, *made = arena_defer_json(c->a, json_array());
    if (!made) return ferr_oom(c->err);
    const json_t *res = json_object_get(in, "resourceArns"),
                 *prs = json_object_get(in, "principals");
    if (ram_share_load(c, "ram:DisassociateResourceShare", jstr(in, "resourceShareArn"), &d) ||
        share_active(c, d) ||
        (json_array_size(res) && disassociate(c, d, "resources", res, made)) ||
        (json_array_size(prs) && disassociate(c, d, "principals", prs, made)))
        return -1;
    if (json_object_set_new(d, "lastUpdatedTime", json_real(clock_now()))) return ferr_oom(c->err);
    if (ram_share_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:O}", "resourceShareAssociations", made));
    return *out ? ram_token_keep(c, in, *out) : -1;
}

int ram_op_get_resource_share_associations(call *c, json_t *in, json_t **out)
{
    const char *type = jstr(in, "associationType"), *res = jstr(in, "resourceArn"),
               *pr = jstr(in, "principal"), *status = jstr(in, "associationStatus");
    if (call_authorize(c, "ram:GetResourceShareAssociations", "*")) return -1;
    if (!type || (strcmp(type, "RESOURCE") && strcmp(type, "PRINCIPAL")))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "associationType must be RESOURCE or PRINCIPAL.");
    int by_res = !strcmp(type, "RESOURCE");
    if ((by_res && pr) || (!by_res && res))
        return ferr_set(c->err, 400, "InvalidParameterException",
                        "%s cannot be given for %s associations.",
                        by_res ? "principal" : "resourceArn", type);
    const json_t *arns = json_object_get(in, "resourceShareArns");
    json_t *all = ram_shares(c, c->account, c->region),
           *list = arena_defer_json(c->a, json_array()), *s;
    if (!all) return -1;
    if (!list) return ferr_oom(c->err);
    size_t i;
    json_array_foreach(all, i, s) {
        if (!ram_listed(arns, jstr(s, "resourceShareArn"))) continue;
        const char *e;
        json_t *a;
        json_object_foreach(json_object_get(s, by_res ? "resources" : "principals"), e, a) {
            if ((res && strcmp(res, e)) || (pr && strcmp(pr, e)) ||
                (status && strcmp(status, jstr(a, "status"))))
                continue;
            if (assoc_add(c, list, s, e, type, a, NULL)) return -1;
        }
    }
    return ram_page(c, in, list, "resourceShareAssociations", out);
}

/* ---- tags ---- */

int ram_op_tag_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *arn = jstr(in, "resourceShareArn");
    if (!arn)
        return ferr_set(c->err, 400, "MissingRequiredParameterException",
                        "resourceShareArn is required.");
    if (ram_share_load(c, "ram:TagResource", arn, &d) ||
        tags_merge(c, d, json_object_get(in, "tags")) || ram_share_save(c, d))
        return -1;
    *out = svc_out(c, json_object());
    return 0;
}

int ram_op_untag_resource(call *c, json_t *in, json_t **out)
{
    json_t *d;
    const char *arn = jstr(in, "resourceShareArn");
    if (!arn)
        return ferr_set(c->err, 400, "MissingRequiredParameterException",
                        "resourceShareArn is required.");
    if (ram_share_load(c, "ram:UntagResource", arn, &d)) return -1;
    jtags_remove_named(d, &jtags_lower, json_object_get(in, "tagKeys"));
    if (ram_share_save(c, d)) return -1;
    *out = svc_out(c, json_object());
    return 0;
}
