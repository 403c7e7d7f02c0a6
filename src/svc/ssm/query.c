/* Finding parameters: GetParametersByPath and DescribeParameters (filters, keyset pages in
 * name order), and the public parameters under /aws/service/ that templates reference. */
#include <stdio.h>
#include <string.h>

#include "base/enc.h"
#include "ssm_int.h"

/* ---- public parameters ---------------------------------------------------------------
 * AWS publishes these in every region and changes them as images are released. ferry
 * answers a fixed table of the ones templates reference most, with plausible values: an
 * AMI id here names no image anywhere. */
static const struct {
    const char *name, *value;
} public_params[] = {
    {"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
     "ami-0f1f3b2d9c8e7a6b5"},
    {"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
     "ami-0a3c3a20c09d6f377"},
    {"/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64",
     "ami-0c1b2d3e4f5a6b7c8"},
    {"/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-arm64-gp2", "ami-0d5e6f7a8b9c0d1e2"},
    {"/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2", "ami-0b5eea76982371e91"},
    {"/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
     "ami-0e731c8a588258d0d"},
    {"/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
     "ami-0be0e902919675894"},
    {"/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
     "ami-0557a15b87f6559cf"},
    {"/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id", "ami-0fe5f366c083f59ca"},
    {"/aws/service/global-infrastructure/regions/eu-central-1", "eu-central-1"},
    {"/aws/service/global-infrastructure/regions/eu-central-1/longName", "Europe (Frankfurt)"},
    {"/aws/service/global-infrastructure/regions/eu-west-1", "eu-west-1"},
    {"/aws/service/global-infrastructure/regions/eu-west-1/longName", "Europe (Ireland)"},
    {"/aws/service/global-infrastructure/regions/us-east-1", "us-east-1"},
    {"/aws/service/global-infrastructure/regions/us-east-1/longName", "US East (N. Virginia)"},
    {"/aws/service/global-infrastructure/regions/us-east-2", "us-east-2"},
    {"/aws/service/global-infrastructure/regions/us-east-2/longName", "US East (Ohio)"},
    {"/aws/service/global-infrastructure/regions/us-west-2", "us-west-2"},
    {"/aws/service/global-infrastructure/regions/us-west-2/longName", "US West (Oregon)"},
    {"/aws/service/global-infrastructure/services/ssm", "ssm"},
};
#define NPUBLIC (sizeof(public_params) / sizeof(public_params[0]))

static json_t *public_out(call *c, size_t i)
{
    const char *arn = ssm_arn(c, "", public_params[i].name);
    json_t *p =
        arn ? json_pack("{s:s, s:s, s:s, s:i, s:f, s:s, s:s}", "Name", public_params[i].name,
                        "Type", "String", "Value", public_params[i].value, "Version", 1,
                        "LastModifiedDate", 1704067200.0, "ARN", arn, "DataType", "text")
            : NULL;
    if (!p) ferr_oom(c->err);
    return p;
}

int ssm_public_get(call *c, const char *name, json_t **out)
{
    for (size_t i = 0; i < NPUBLIC; i++) {
        if (strcmp(public_params[i].name, name)) continue;
        *out = public_out(c, i);
        return *out ? 1 : -1;
    }
    return 0;
}

/* ---- filters -------------------------------------------------------------------------- */

typedef struct pfilter {
    const char *key, *option;
    const json_t *values;
} pfilter;

static int in_values(const json_t *values, const char *s)
{
    size_t i;
    json_t *v;
    if (!s) return 0;
    json_array_foreach(values, i, v) {
        if (!strcmp(json_string_value(v), s)) return 1;
    }
    return 0;
}

/* name lies under path (recursive: at any depth, else one level down). */
static int under(const char *name, const char *path, int recursive)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    if (n == 1 && path[0] == '/') n = 0;
    if (strncmp(name, path, n) || name[n] != '/') return 0;
    return recursive || !strchr(name + n + 1, '/');
}

static int has_label(const json_t *v, const json_t *values)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(v, "Labels"), i, l) {
        if (in_values(values, json_string_value(l))) return 1;
    }
    return 0;
}

/* The version of doc that f selects (the latest, or for Label the labeled one), or NULL. */
static const json_t *filter_match(const json_t *doc, const pfilter *f, size_t nf)
{
    const json_t *vs = json_object_get(doc, "Versions");
    const json_t *v = json_array_get(vs, json_array_size(vs) - 1);
    const char *name = jstr(doc, "Name");
    for (size_t i = 0; v && i < nf; i++) {
        const char *k = f[i].key, *opt = f[i].option;
        const json_t *vals = f[i].values;
        if (!strcmp(k, "Type") || !strcmp(k, "KeyId") || !strcmp(k, "Tier") ||
            !strcmp(k, "DataType")) {
            if (!in_values(vals, jstr(v, k))) v = NULL;
        } else if (!strcmp(k, "Label")) {
            size_t j;
            json_t *o;
            const json_t *hit = NULL;
            json_array_foreach(vs, j, o) {
                if (has_label(o, vals)) hit = o;
            }
            v = hit;
        } else if (!strcmp(k, "Name")) {
            size_t j;
            json_t *x;
            int ok = 0;
            json_array_foreach(vals, j, x) {
                const char *s = json_string_value(x);
                /* AWS matches names with or without their leading slash */
                const char *bare = name[0] == '/' && s[0] != '/' ? name + 1 : name;
                if (!strcmp(opt, "BeginsWith"))
                    ok |= !strncmp(bare, s, strlen(s));
                else if (!strcmp(opt, "Contains"))
                    ok |= strstr(name, s) != NULL;
                else
                    ok |= !strcmp(bare, s);
            }
            if (!ok) v = NULL;
        } else if (!strcmp(k, "Path")) {
            size_t j;
            json_t *x;
            int ok = 0;
            json_array_foreach(vals, j, x) {
                ok |= under(name, json_string_value(x), !strcmp(opt, "Recursive"));
            }
            if (!ok) v = NULL;
        } else if (!strncmp(k, "tag:", 4)) {
            size_t j;
            json_t *t;
            int ok = 0;
            json_array_foreach(json_object_get(doc, "Tags"), j, t) {
                if (!strcmp(jstr(t, "Key"), k + 4))
                    ok = !json_array_size(vals) || in_values(vals, jstr(t, "Value"));
            }
            if (!ok) v = NULL;
        }
    }
    return v;
}

/* opt is one of the words of the list "A, B, C". */
static int word_in(const char *list, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = list; (p = strstr(p, opt)) != NULL; p++)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || !p[n])) return 1;
    return 0;
}

/* Reads ParameterFilters into f (at most nmax), checking keys against valid (the keys the
 * operation takes, "tag:" for tag filters) with AWS's errors. *nf the count. */
static int filters_read(call *c, const json_t *list, const char *const *valid, const char *keys,
                        pfilter *f, size_t nmax, size_t *nf)
{
    size_t i;
    json_t *x;
    *nf = 0;
    json_array_foreach(list, i, x) {
        const char *k = jstr(x, "Key"), *opt = jstr(x, "Option");
        int ok = 0;
        for (const char *const *p = valid; *p; p++)
            ok |= !strcmp(*p, k) || (!strcmp(*p, "tag:") && !strncmp(k, "tag:", 4) && k[4]);
        if (!ok)
            return ferr_set(c->err, 400, "InvalidFilterKey",
                            "The following filter key is not valid: %s. Valid filter keys "
                            "include: [%s].",
                            k, keys);
        const char *opts = !strcmp(k, "Name")   ? "BeginsWith, Equals, Contains"
                           : !strcmp(k, "Path") ? "Recursive, OneLevel"
                                                : "Equals";
        if (!opt) opt = !strcmp(k, "Path") ? "OneLevel" : "Equals";
        if (!word_in(opts, opt))
            return ferr_set(c->err, 400, "InvalidFilterOption",
                            "The following filter option is not valid: %s. Valid options "
                            "include: [%s].",
                            opt, opts);
        const json_t *vals = json_object_get(x, "Values");
        if (!json_array_size(vals) && strncmp(k, "tag:", 4))
            return ferr_set(c->err, 400, "InvalidFilterValue",
                            "The following filter values are missing : null for filter key %s.", k);
        if (*nf == nmax)
            return ssm_validation(c, "Too many filters: at most %zu are supported.", nmax);
        f[(*nf)++] = (pfilter){k, opt, vals};
    }
    return 0;
}

/* ---- pages ------------------------------------------------------------------------------
 * Keyset pages in name order: the token is the last name given, so a page costs the
 * parameters it looks at, not its position. */
static int token_read(call *c, const json_t *in, const char **after)
{
    const char *t = jstr(in, "NextToken");
    *after = NULL;
    if (!t) return 0;
    size_t n = 0;
    unsigned char *raw = enc_unb64(c->a, t, strlen(t), &n);
    if (!raw || n < 3 || memcmp(raw, "n1:", 3) || memchr(raw, 0, n))
        return ferr_set(c->err, 400, "InvalidNextToken", "The specified token isn't valid.");
    *after = arena_strndup(c->a, (char *)raw + 3, n - 3);
    return *after ? 0 : ferr_oom(c->err);
}

static int token_set(call *c, json_t *out, const char *last)
{
    const char *raw = arena_printf(c->a, "n1:%s", last);
    const char *t = raw ? enc_b64(c->a, (const unsigned char *)raw, strlen(raw)) : NULL;
    return !t || jset_str(out, "NextToken", t) ? ferr_oom(c->err) : 0;
}

typedef struct scan {
    call *c;
    const char *path; /* NULL: any */
    int recursive;
    const pfilter *f;
    size_t nf;
    long long max;
    json_t *hits; /* [[doc, version]] */
    int more, oom;
} scan;

static int scan_cb(void *ud, const store_key *k, json_t *doc)
{
    scan *s = ud;
    (void)k;
    if (s->path && !under(jstr(doc, "Name"), s->path, s->recursive)) return 0;
    const json_t *v = filter_match(doc, s->f, s->nf);
    if (!v) return 0;
    if ((long long)json_array_size(s->hits) == s->max) {
        s->more = 1;
        return 1;
    }
    s->oom |= json_array_append_new(s->hits, json_pack("[O, O]", doc, v));
    return s->oom;
}

static int scan_run(call *c, scan *s, const char *prefix, const char *after)
{
    s->c = c;
    s->hits = arena_defer_json(c->a, json_array());
    if (!s->hits) return ferr_oom(c->err);
    if (store_list(c->txn, SSM_PARAM_KIND, c->account, c->region, prefix, after, 0, scan_cb, s,
                   c->err) < 0)
        return -1;
    return s->oom ? ferr_oom(c->err) : 0;
}

static int path_check(call *c, const char *path)
{
    size_t n = strlen(path);
    if (path[0] != '/' ||
        strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/") != n ||
        strstr(path, "//"))
        return ssm_validation(
            c, "The parameter doesn't meet the parameter name requirements. The parameter name "
               "must begin with a forward slash \"/\". It can't be prefixed with \\\"aws\\\" or "
               "\\\"ssm\\\" (case-insensitive). It must use only letters, numbers, or the "
               "following symbols: . (period), - (hyphen), _ (underscore). Special characters "
               "are not allowed. All sub-paths, if specified, must use the forward slash symbol "
               "\"/\". Valid example: /get/parameters2-/by1./path0_.");
    return 0;
}

static int public_by_path(call *c, const char *path, int recursive, const char *after,
                          long long max, json_t *list, json_t *out)
{
    const char *last = NULL;
    for (size_t i = 0; i < NPUBLIC; i++) {
        const char *name = public_params[i].name;
        if (!under(name, path, recursive) || (after && strcmp(name, after) <= 0)) continue;
        if ((long long)json_array_size(list) == max) return token_set(c, out, last);
        json_t *p = public_out(c, i);
        if (!p || json_array_append_new(list, p)) return ferr_oom(c->err);
        last = name;
    }
    return 0;
}

int ssm_op_get_parameters_by_path(call *c, json_t *in, json_t **out)
{
    const char *path = jstr(in, "Path"), *after;
    int recursive = jbool(in, "Recursive", 0), decrypt = jbool(in, "WithDecryption", 0);
    static const char *const valid[] = {"Type", "KeyId", "Label", NULL};
    pfilter f[16];
    size_t nf;
    if (path_check(c, path) ||
        filters_read(c, json_object_get(in, "ParameterFilters"), valid, "Type, KeyId, Label", f, 16,
                     &nf) ||
        token_read(c, in, &after))
        return -1;
    int public = !strncmp(path, "/aws/", 5) || !strcmp(path, "/aws");
    if (ssm_authorize(c, "ssm:GetParametersByPath", public ? "" : c->account, path)) return -1;
    long long max = jint(in, "MaxResults", 10);
    json_t *list = json_array();
    json_t *res = svc_out(c, json_pack("{s:o}", "Parameters", list));
    *out = res;
    if (!res) return -1;
    if (public) return public_by_path(c, path, recursive, after, max, list, res);
    scan s = {.path = path, .recursive = recursive, .f = f, .nf = nf, .max = max};
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    const char *prefix = n <= 1 ? "/" : arena_printf(c->a, "%.*s/", (int)n, path);
    if (!prefix) return ferr_oom(c->err);
    if (scan_run(c, &s, prefix, after)) return -1;
    size_t i;
    json_t *h;
    const char *last = NULL;
    json_array_foreach(s.hits, i, h) {
        json_t *doc = json_array_get(h, 0), *v = json_array_get(h, 1);
        json_t *p = ssm_param_out(c, c->account, doc, v, NULL, decrypt);
        if (!p) return -1;
        if (json_array_append_new(list, p)) return ferr_oom(c->err);
        last = jstr(doc, "Name");
    }
    return s.more ? token_set(c, res, last) : 0;
}

static json_t *metadata(call *c, const json_t *doc, const json_t *v)
{
    const char *name = jstr(doc, "Name");
    const char *arn = ssm_arn(c, c->account, name);
    json_t *m = arn ? json_pack("{s:s, s:s, s:s, s:O, s:s, s:I, s:s, s:[], s:s}", "Name", name,
                                "ARN", arn, "Type", jstr(v, "Type"), "LastModifiedDate",
                                json_object_get(v, "LastModifiedDate"), "LastModifiedUser",
                                jstr(v, "LastModifiedUser") ? jstr(v, "LastModifiedUser") : "",
                                "Version", (json_int_t)jint(v, "Version", 1), "Tier",
                                jstr(v, "Tier") ? jstr(v, "Tier") : "Standard", "Policies",
                                "DataType", jstr(v, "DataType") ? jstr(v, "DataType") : "text")
                    : NULL;
    if (m && (jset_str(m, "KeyId", jstr(v, "KeyId")) ||
              jset_str(m, "Description", jstr(v, "Description")) ||
              jset_str(m, "AllowedPattern", jstr(v, "AllowedPattern")))) {
        json_decref(m);
        m = NULL;
    }
    if (!m) ferr_oom(c->err);
    return m;
}

int ssm_op_describe_parameters(call *c, json_t *in, json_t **out)
{
    static const char *const valid[] = {"Name", "Type",     "KeyId", "Path",
                                        "Tier", "DataType", "tag:",  NULL};
    const json_t *legacy = json_object_get(in, "Filters"),
                 *pf = json_object_get(in, "ParameterFilters");
    if (json_array_size(legacy) && json_array_size(pf))
        return ssm_validation(c, "You can use either Filters or ParameterFilters in a single "
                                 "request.");
    pfilter f[16];
    size_t nf = 0;
    const char *after;
    if (call_authorize(c, "ssm:DescribeParameters", "*") ||
        filters_read(c, pf, valid, "Name, Type, KeyId, Path, Tier, DataType, tag", f, 16, &nf) ||
        token_read(c, in, &after))
        return -1;
    size_t i;
    json_t *x;
    json_array_foreach(legacy, i, x) {
        /* the older Filters: Name (begins with), Type, KeyId */
        if (nf == 16) return ssm_validation(c, "Too many filters: at most 16 are supported.");
        const char *k = jstr(x, "Key");
        f[nf++] = (pfilter){k, !strcmp(k, "Name") ? "BeginsWith" : "Equals",
                            json_object_get(x, "Values")};
    }
    scan s = {.f = f, .nf = nf, .max = jint(in, "MaxResults", 10)};
    if (scan_run(c, &s, NULL, after)) return -1;
    json_t *list = json_array();
    json_t *res = svc_out(c, json_pack("{s:o}", "Parameters", list));
    *out = res;
    if (!res) return -1;
    json_t *h;
    const char *last = NULL;
    json_array_foreach(s.hits, i, h) {
        json_t *m = metadata(c, json_array_get(h, 0), json_array_get(h, 1));
        if (!m || json_array_append_new(list, m)) return ferr_oom(c->err);
        last = jstr(json_array_get(h, 0), "Name");
    }
    return s.more ? token_set(c, res, last) : 0;
}
