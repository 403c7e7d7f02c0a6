/* Route 53 (rest-xml, global, signed for us-east-1): the service, ids, names, zone
 * documents and changes. See route53_int.h for what lives where. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "route53_int.h"

int route53_dns_route(ferry_env *env, arena *a, const svc_request *r, proto_response *resp);

static const svc_route routes[] = {{"GET", NULL, "/_ferry/dns", route53_dns_route}};

const svc_def svc_route53 = {
    .name = "route53", .event_source = "route53.amazonaws.com", .routes = routes, .nroutes = 1};

int route53_invalid_input(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidInput", "", fmt, ap);
    va_end(ap);
    return -1;
}

void route53_id(const char *prefix, char out[24])
{
    /* 20 characters, as AWS's zone ids: "/hostedzone/" and the id fit the model's 32 */
    ids_aws(prefix, 19, out);
}

const char *route53_arn(call *c, const char *type, const char *id)
{
    const char *a =
        arena_printf(c->a, "arn:%s:route53:::%s/%s", arn_partition(c->region), type, id);
    if (!a) c->oom = 1;
    return a ? a : "*";
}

const char *route53_bare_id(const char *id)
{
    if (!id) return "";
    const char *s = strrchr(id, '/');
    return s ? s + 1 : id;
}

const char *route53_norm_name(call *c, const char *name)
{
    size_t n = strlen(name);
    if (n > 1 && name[n - 1] == '.') n--;
    if (!n || n > 253 * 4) {
        route53_invalid_input(c, "Invalid domain name: '%s'", name);
        return NULL;
    }
    char *out = arena_alloc(c->a, n * 4 + 3);
    if (!out) {
        ferr_oom(c->err);
        return NULL;
    }
    size_t o = 0, label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (n == 1 && ch == '.') break; /* the root */
        if (ch == '.') {
            if (!label) {
                route53_invalid_input(c, "Invalid domain name: '%s'", name);
                return NULL;
            }
            label = 0;
            out[o++] = '.';
            continue;
        }
        label++;
        if (label > 63) {
            route53_invalid_input(c, "Invalid domain name: '%s'", name);
            return NULL;
        }
        if (ch == '\\' && i + 3 < n + 1 && isdigit((unsigned char)name[i + 1]) &&
            isdigit((unsigned char)name[i + 2]) && isdigit((unsigned char)name[i + 3])) {
            memcpy(out + o, name + i, 4); /* an escape, kept as written */
            o += 4, i += 3;
            continue;
        }
        if (ch == '*' || ch <= ' ' || ch >= 127) {
            /* AWS keeps what is not a letter, digit, - or _ as an octal escape: *.x is \052.x */
            o += (size_t)snprintf(out + o, 5, "\\%03o", ch);
            continue;
        }
        out[o++] = (char)tolower(ch);
    }
    out[o++] = '.';
    out[o] = 0;
    return out;
}

int route53_in_zone(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    if (n < z || strcasecmp(name + n - z, zone)) return 0;
    return n == z || name[n - z - 1] == '.';
}

/* the label of s ending before end (exclusive), scanning back; *start set */
static size_t prev_label(const char *s, size_t end, size_t *start)
{
    size_t i = end;
    while (i > 0 && s[i - 1] != '.') i--;
    *start = i;
    return end - i;
}

int route53_name_cmp(const char *a, const char *b)
{
    size_t ea = strlen(a), eb = strlen(b);
    if (ea && a[ea - 1] == '.') ea--;
    if (eb && b[eb - 1] == '.') eb--;
    for (;;) {
        if (!ea || !eb) return ea ? 1 : eb ? -1 : 0;
        size_t sa, sb, la = prev_label(a, ea, &sa), lb = prev_label(b, eb, &sb);
        size_t m = la < lb ? la : lb;
        int r = strncasecmp(a + sa, b + sb, m);
        if (r) return r;
        if (la != lb) return la < lb ? -1 : 1;
        ea = sa ? sa - 1 : 0;
        eb = sb ? sb - 1 : 0;
        if (!sa && !sb) return 0;
        if (!sa) return -1;
        if (!sb) return 1;
    }
}

typedef struct find_ud {
    const char *id;
    json_t *doc;
    char owner[13];
} find_ud;

static int find_cb(void *ud, const store_key *k, json_t *doc)
{
    find_ud *f = ud;
    if (strcmp(k->id, f->id)) return 0;
    f->doc = json_incref(doc);
    snprintf(f->owner, sizeof(f->owner), "%s", k->account);
    return 1;
}

int route53_zone_load(call *c, const char *id, json_t **doc, const char **owner)
{
    id = route53_bare_id(id);
    *doc = NULL;
    if (!*id || strlen(id) > 32) goto none;
    if (owner) {
        /* zone ids are unique across accounts: another account's zone is found, and the
         * caller's rights over it are the caller's to check */
        find_ud f = {.id = id};
        if (store_list(c->txn, R53_ZONE_KIND, NULL, "", id, NULL, 0, find_cb, &f, c->err) < 0)
            return -1;
        if (!f.doc) goto none;
        *doc = arena_defer_json(c->a, f.doc);
        *owner = arena_strdup(c->a, f.owner);
        if (!*doc || !*owner) return ferr_oom(c->err);
        return 1;
    }
    store_key k = {R53_ZONE_KIND, c->account, "", id};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 0) goto none;
    if (!arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 1;
none:
    ferr_set(c->err, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s", id);
    return 0;
}

int route53_zone_save(call *c, const char *owner, json_t *doc)
{
    store_key k = {R53_ZONE_KIND, owner, "", jstr(doc, "Id")};
    return store_put(c->txn, &k, doc, c->err);
}

json_t *route53_zone_shape(call *c, const json_t *doc)
{
    json_t *cfg = json_pack("{s:b}", "PrivateZone", jbool(doc, "Private", 0));
    if (cfg && jstr(doc, "Comment") && jset_str(cfg, "Comment", jstr(doc, "Comment"))) {
        json_decref(cfg);
        cfg = NULL;
    }
    json_t *z =
        cfg ? json_pack("{s:s+, s:s, s:s, s:o, s:I}", "Id", "/hostedzone/", jstr(doc, "Id"), "Name",
                        jstr(doc, "Name"), "CallerReference", jstr(doc, "CallerReference"),
                        "Config", cfg, "ResourceRecordSetCount",
                        (json_int_t)json_array_size(json_object_get(doc, "Records")))
            : NULL;
    json_t *ls = json_object_get(doc, "LinkedService");
    if (z && ls && json_object_set(z, "LinkedService", ls)) {
        json_decref(z);
        z = NULL;
    }
    if (!z) {
        c->oom = 1;
        return NULL;
    }
    return arena_defer_json(c->a, z);
}

static double sync_seconds(void)
{
    const char *s = getenv("FERRY_ROUTE53_SYNC_SECONDS");
    double v = s ? atof(s) : 2.0; /* AWS: usually within 60 s; ours are answered at once */
    return v >= 0 ? v : 0;
}

json_t *route53_change_new(call *c, const char *comment)
{
    return route53_change_new_in(c, c->account, comment);
}

json_t *route53_change_new_in(call *c, const char *zone_owner, const char *comment)
{
    char id[24], ts[32];
    route53_id("C", id);
    double now = clock_now();
    clock_iso8601(now, 1, ts);
    json_t *doc = json_pack("{s:s, s:f, s:s}", "SubmittedAt", ts, "SyncAt", now + sync_seconds(),
                            "Owner", c->account);
    if (!doc || (comment && jset_str(doc, "Comment", comment)) ||
        (strcmp(zone_owner, c->account) && jset_str(doc, "ZoneOwner", zone_owner))) {
        json_decref(doc);
        ferr_oom(c->err);
        return NULL;
    }
    store_key k = {R53_CHANGE_KIND, "", "", id};
    int rc = store_put(c->txn, &k, doc, c->err);
    json_decref(doc);
    if (rc) return NULL;
    json_t *ci =
        json_pack("{s:s+, s:s, s:s}", "Id", "/change/", id, "Status", "PENDING", "SubmittedAt", ts);
    if (ci && comment && jset_str(ci, "Comment", comment)) {
        json_decref(ci);
        ci = NULL;
    }
    if (!ci || !arena_defer_json(c->a, ci)) {
        ferr_oom(c->err);
        return NULL;
    }
    return ci;
}

int route53_op_get_change(call *c, json_t *in, json_t **out)
{
    const char *id = route53_bare_id(jstr(in, "Id"));
    json_t *doc = NULL;
    store_key k = {R53_CHANGE_KIND, "", "", id};
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    const char *zo = jstr(doc, "ZoneOwner");
    if (!rc || (strcmp(jstr(doc, "Owner") ? jstr(doc, "Owner") : "", c->account) &&
                (!zo || strcmp(zo, c->account)))) {
        json_decref(doc);
        return ferr_set(c->err, 404, "NoSuchChange",
                        "A change with the specified change ID "
                        "does not exist.");
    }
    if (!arena_defer_json(c->a, doc)) return ferr_oom(c->err);
    if (call_authorize(c, "route53:GetChange", route53_arn(c, "change", id))) return -1;
    int insync = clock_now() >= json_real_value(json_object_get(doc, "SyncAt"));
    json_t *ci = json_pack("{s:s+, s:s, s:s}", "Id", "/change/", id, "Status",
                           insync ? "INSYNC" : "PENDING", "SubmittedAt", jstr(doc, "SubmittedAt"));
    if (ci && jstr(doc, "Comment") && jset_str(ci, "Comment", jstr(doc, "Comment"))) {
        json_decref(ci);
        ci = NULL;
    }
    *out = svc_out(c, ci ? json_pack("{s:o}", "ChangeInfo", ci) : NULL);
    return 0;
}
