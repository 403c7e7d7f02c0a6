/* AWS Lambda (rest-json): the service, and what its operations share (names, ARNs,
 * documents, code packages, configurations). See lambda_int.h for what lives where. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/gencache.h"
#include "base/ids.h"
#include "base/zip.h"
#include "documents.h"
#include "svc/iam/iam.h"
#include "svc/session.h"
#include "lambda_int.h"

static const svc_route routes[] = {{"GET", NULL, "/_ferry/lambda/code/", lambda_code_serve}};

/* AWS's cap on a code upload's request (a 50 MB zip in base64 and its JSON), above the
 * server's --max-body */
static const svc_body_limit body_limits[] = {{"CreateFunction", 70167211},
                                             {"UpdateFunctionCode", 70167211},
                                             {"PublishLayerVersion", 70167211}};

static void functions_forget(void);

const svc_def svc_lambda = {.name = "lambda",
                            .event_source = "lambda.amazonaws.com",
                            .reset = functions_forget,
                            .routes = routes,
                            .nroutes = sizeof(routes) / sizeof(routes[0]),
                            .body_limits = body_limits,
                            .nbody_limits = sizeof(body_limits) / sizeof(body_limits[0])};

int lambda_invalid(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 400, "InvalidParameterValueException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int lambda_not_found(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 404, "ResourceNotFoundException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int lambda_conflict(call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ferr_vset(c->err, 409, "ResourceConflictException", "", fmt, ap);
    va_end(ap);
    return -1;
}

int lambda_precondition(call *c, const char *what)
{
    return ferr_set(c->err, 412, "PreconditionFailedException",
                    "The Revision Id provided does not match the latest Revision Id. Call the "
                    "%s API to retrieve the latest Revision Id",
                    what);
}

long long lambda_max_items(const json_t *in)
{
    long long n = jint(in, "MaxItems", 50);
    return n > 50 ? 50 : n;
}

int lambda_check_revision(call *c, const json_t *in, const json_t *have, const char *what)
{
    const char *want = jstr(in, "RevisionId"), *is = jstr(have, "RevisionId");
    if (want && (!is || strcmp(want, is))) return lambda_precondition(c, what);
    return 0;
}

static int valid_name(const char *s, size_t n)
{
    if (!n || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", s[i]))
            return 0;
    return 1;
}

int lambda_ref_parse(call *c, const char *fn, const char *qualifier, lambda_ref *r)
{
    memset(r, 0, sizeof(*r));
    r->account = c->account;
    const char *p = fn;
    if (!strncmp(p, "arn:", 4)) {
        /* arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] */
        const char *rest = arn_rest(p, "lambda");
        const char *colon = rest ? strchr(rest, ':') : NULL;
        if (!colon) return lambda_invalid(c, "Invalid function name: %s", fn);
        size_t rl = (size_t)(colon - rest);
        if (rl != strlen(c->region) || strncmp(rest, c->region, rl))
            return lambda_invalid(c,
                                  "Functions from '%.*s' are not reachable in this region "
                                  "('%s')",
                                  (int)rl, rest, c->region);
        p = colon + 1;
    }
    if (strlen(p) > 21 && strspn(p, "0123456789") == 12 && !strncmp(p + 12, ":function:", 10)) {
        r->account = arena_strndup(c->a, p, 12);
        p += 22;
    } else if (p != fn) {
        return lambda_invalid(c, "Invalid function name: %s", fn);
    }
    const char *colon = strchr(p, ':');
    size_t nl = colon ? (size_t)(colon - p) : strlen(p);
    if (!valid_name(p, nl)) return lambda_invalid(c, "Invalid function name: %s", fn);
    r->name = arena_strndup(c->a, p, nl);
    if (colon) {
        r->qualifier = arena_strdup(c->a, colon + 1);
        if (!r->qualifier) return ferr_oom(c->err);
        if (qualifier && strcmp(qualifier, r->qualifier))
            return lambda_invalid(c, "The derived qualifier from the function name does not "
                                     "match the specified qualifier.");
    } else if (qualifier) {
        r->qualifier = qualifier;
    }
    if (r->qualifier && !strcmp(r->qualifier, "$LATEST")) r->qualifier = NULL;
    if (!r->name || !r->account) return ferr_oom(c->err);
    return 0;
}

const char *lambda_fn_arn(call *c, const char *account, const char *name)
{
    return arena_printf(c->a, "arn:%s:lambda:%s:%s:function:%s", arn_partition(c->region),
                        c->region, account, name);
}

/* Functions' documents as last read, for Invoke (lambda_open_shared): parsing the whole
 * document (every version and alias) on each invocation was a tenth of its work. */
static gencache_static fn_cache = SVC_DOC_CACHE(4096);

static void functions_forget(void)
{
    gencache_clear(gencache_of(&fn_cache));
}

static int load(call *c, const lambda_ref *r, json_t **doc, int shared)
{
    store_key k = {LAMBDA_FN_KIND, r->account, c->region, r->name};
    int rc = shared ? call_doc_shared(c, c->env ? gencache_of(&fn_cache) : NULL, &k, doc)
                    : store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (rc == 0) {
        const char *arn = lambda_fn_arn(c, r->account, r->name);
        if (!arn) return ferr_oom(c->err);
        lambda_not_found(c, "Function not found: %s%s%s", arn, r->qualifier ? ":" : "",
                         r->qualifier ? r->qualifier : "");
        return 0;
    }
    if (!shared && !arena_defer_json(c->a, *doc)) return ferr_oom(c->err);
    return 1;
}

int lambda_load(call *c, const lambda_ref *r, json_t **doc)
{
    return load(c, r, doc, 0);
}

int lambda_save(call *c, const char *name, json_t *doc)
{
    store_key k = {LAMBDA_FN_KIND, c->account, c->region, name};
    lambda_reserved_forget();
    return store_put(c->txn, &k, doc, c->err);
}

json_t *lambda_config(call *c, json_t *doc, const lambda_ref *r, json_t **alias)
{
    if (alias) *alias = NULL;
    if (!r->qualifier) return json_object_get(doc, "Latest");
    json_t *v = json_object_get(json_object_get(doc, "Versions"), r->qualifier);
    if (!v) {
        json_t *al = json_object_get(json_object_get(doc, "Aliases"), r->qualifier);
        const char *to = jstr(al, "FunctionVersion");
        if (to) {
            if (alias) *alias = al;
            v = !strcmp(to, "$LATEST") ? json_object_get(doc, "Latest")
                                       : json_object_get(json_object_get(doc, "Versions"), to);
        }
    }
    if (!v) {
        const char *arn = lambda_fn_arn(c, r->account, r->name);
        if (!arn)
            ferr_oom(c->err);
        else
            lambda_not_found(c, "Function not found: %s:%s", arn, r->qualifier);
    }
    return v;
}

double lambda_settle_seconds(void)
{
    /* a test seam: how long a create stays Pending and an update InProgress (AWS: about a
     * second; ferry has nothing to wait for, so 0 unless a test asks) */
    const char *v = getenv("FERRY_LAMBDA_SETTLE_SECONDS");
    return v && *v ? atof(v) : 0;
}

/* 1 when config's Pending/InProgress has lasted its settle time */
static int settled(const json_t *config)
{
    json_t *at = json_object_get(config, "_ReadyAt");
    return !(at && json_number_value(at) > clock_now());
}

const char *lambda_state(const json_t *config)
{
    const char *st = jstr(config, "State");
    if (st && !strcmp(st, "Pending") && settled(config)) return "Active";
    return st ? st : "";
}

void lambda_settle(json_t *config)
{
    if (!settled(config)) return;
    const char *st = jstr(config, "State"), *lu = jstr(config, "LastUpdateStatus");
    int bad = 0;
    if (st && !strcmp(st, "Pending")) bad |= jset_str(config, "State", "Active");
    if (lu && !strcmp(lu, "InProgress")) bad |= jset_str(config, "LastUpdateStatus", "Successful");
    (void)bad; /* out of memory: it settles on the next read */
}

json_t *lambda_render(call *c, const json_t *config)
{
    json_t *out = json_deep_copy(config);
    if (!out) {
        c->oom = 1;
        return NULL;
    }
    lambda_settle(out);
    return out;
}

int lambda_busy(call *c, const json_t *config)
{
    json_t *at = json_object_get(config, "_ReadyAt");
    if (!at || json_number_value(at) <= clock_now()) return 0;
    lambda_conflict(c,
                    "The operation cannot be performed at this time. An update is in progress "
                    "for resource: %s",
                    jstr(config, "FunctionArn"));
    return 1;
}

void lambda_timestamp(double t, char out[40])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[24];
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%03d+0000", b, (int)((t - (double)s) * 1000) % 1000);
}

int lambda_touch(call *c, json_t *config, int update)
{
    char rev[37], lm[40];
    ids_uuid(rev);
    double now = clock_now();
    lambda_timestamp(now, lm);
    double settle = lambda_settle_seconds();
    int bad = jset_str(config, "RevisionId", rev) || jset_str(config, "LastModified", lm);
    if (update) {
        bad = bad || jset_str(config, "LastUpdateStatus", "InProgress");
    } else {
        bad = bad || jset_str(config, "State", "Pending") ||
              jset_str(config, "LastUpdateStatus", "Successful");
    }
    bad = bad || json_object_set_new(config, "_ReadyAt", json_real(now + settle));
    return bad ? ferr_oom(c->err) : 0;
}

int lambda_authorize(call *c, const json_t *doc, const lambda_ref *r, const char *action,
                     const char *resource)
{
    /* AWS: an event source mapping's poller invokes as Lambda itself (esm.c checked the
     * mapping); no principal's permission is asked */
    if (c->arg == lambda_trusted_invoke && c->caller == CALLER_INTERNAL) return 0;
    /* the function's policy and, for a qualifier, that qualifier's (AddPermission
     * --qualifier): their statements together are the resource policy */
    const json_t *pols = json_object_get(doc, "Policies");
    const json_t *fp = json_object_get(pols, ""),
                 *qp = r->qualifier ? json_object_get(pols, r->qualifier) : NULL;
    char *text = NULL;
    if (fp || qp) {
        json_t *all = json_pack("{s:s, s:[]}", "Version", "2012-10-17", "Statement");
        json_t *st = json_object_get(all, "Statement");
        if (!all || (fp && json_array_extend(st, json_object_get(fp, "Statement"))) ||
            (qp && json_array_extend(st, json_object_get(qp, "Statement"))) ||
            !(text = json_dumps(all, JSON_COMPACT))) {
            json_decref(all);
            return ferr_oom(c->err);
        }
        json_decref(all);
    }
    authz_req q = {.action = action,
                   .resource = resource,
                   .resource_account = r->account,
                   .resource_policy = text,
                   .denied_code = "AccessDeniedException"};
    int rc = call_authorize_ex(c, &q);
    free(text);
    return rc;
}

static int open_fn(call *c, const char *fn, const char *qualifier, const char *action,
                   lambda_ref *r, json_t **doc, const char **res, int shared)
{
    if (lambda_ref_parse(c, fn, qualifier, r)) return -1;
    const char *arn = lambda_fn_arn(c, r->account, r->name);
    *res = arn && r->qualifier ? arena_printf(c->a, "%s:%s", arn, r->qualifier) : arn;
    if (!*res) return ferr_oom(c->err);
    int rc = load(c, r, doc, shared);
    if (rc <= 0) {
        /* AWS: a caller not allowed to act on it is refused, found or not */
        ferr nf = *c->err;
        if (call_authorize(c, action, *res)) return -1;
        *c->err = nf;
        return -1;
    }
    return lambda_authorize(c, *doc, r, action, *res);
}

int lambda_open(call *c, const char *fn, const char *qualifier, const char *action, lambda_ref *r,
                json_t **doc, const char **res)
{
    return open_fn(c, fn, qualifier, action, r, doc, res, 0);
}

int lambda_open_shared(call *c, const char *fn, const char *qualifier, const char *action,
                       lambda_ref *r, json_t **doc, const char **res)
{
    return open_fn(c, fn, qualifier, action, r, doc, res, 1);
}

int lambda_open_unqualified(call *c, const json_t *in, const char *action, lambda_ref *r,
                            json_t **doc, const char **arn)
{
    if (lambda_open(c, jstr(in, "FunctionName"), NULL, action, r, doc, arn)) return -1;
    if (r->qualifier) return lambda_invalid(c, "Unsupported qualifier: %s", r->qualifier);
    return 0;
}

int lambda_sid_taken(call *c, const json_t *policy, const char *sid)
{
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(policy, "Statement"), i, st)
        if (!strcmp(jstr(st, "Sid"), sid))
            return lambda_conflict(c,
                                   "The statement id (%s) provided already exists. Please "
                                   "provide a new statement id, or remove the existing "
                                   "statement.",
                                   sid);
    return 0;
}

/* ---- code ---- */

typedef struct usage_ud {
    const char *except;
    lambda_usage *u;
} usage_ud;

static int usage_one(void *ud, const store_key *k, json_t *doc)
{
    usage_ud *s = ud;
    const char *v;
    json_t *cfg;
    if (!strcmp(k->kind, LAMBDA_LAYER_KIND)) {
        json_object_foreach(json_object_get(doc, "Versions"), v, cfg)
            s->u->code += jint(json_object_get(cfg, "Content"), "CodeSize", 0);
        return 0;
    }
    s->u->functions++;
    s->u->code += jint(json_object_get(doc, "Latest"), "CodeSize", 0);
    json_object_foreach(json_object_get(doc, "Versions"), v, cfg)
        s->u->code += jint(cfg, "CodeSize", 0);
    if (!s->except || strcmp(k->id, s->except)) s->u->reserved += jint(doc, "Concurrency", 0);
    return 0;
}

int lambda_account_usage(call *c, const char *except, lambda_usage *u)
{
    memset(u, 0, sizeof(*u));
    usage_ud s = {except, u};
    if (store_list(c->txn, LAMBDA_FN_KIND, c->account, c->region, NULL, NULL, 0, usage_one, &s,
                   c->err) < 0 ||
        store_list(c->txn, LAMBDA_LAYER_KIND, c->account, c->region, NULL, NULL, 0, usage_one, &s,
                   c->err) < 0)
        return -1;
    return 0;
}

/* AWS: CodeStorageExceededException past the region's 75 GB (FERRY_LAMBDA_CODE_STORAGE, in
 * bytes, is a test seam). */
static int check_storage(call *c, size_t len)
{
    const char *v = getenv("FERRY_LAMBDA_CODE_STORAGE");
    long long max = v && *v ? atoll(v) : LAMBDA_CODE_STORAGE;
    lambda_usage u;
    if (lambda_account_usage(c, NULL, &u)) return -1;
    if (u.code + (long long)len > max)
        return ferr_set(c->err, 400, "CodeStorageExceededException",
                        "Code storage limit exceeded.");
    return 0;
}

int lambda_blobref(call *c, const char *blob, int on)
{
    store_key k = {LAMBDA_BLOBREF_KIND, "", "", blob};
    if (!on) return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
    json_t *d = json_pack("{s:s}", "Account", c->account);
    if (!d) return ferr_oom(c->err);
    int rc = store_put(c->txn, &k, d, c->err);
    json_decref(d);
    return rc;
}

static int names_blob(const json_t *config, const char *blob)
{
    const char *b = jstr(config, "_Blob");
    return b && !strcmp(b, blob);
}

int lambda_blob_release(call *c, const json_t *doc, const char *blob)
{
    if (!blob) return 0;
    if (doc) {
        if (names_blob(json_object_get(doc, "Latest"), blob)) return 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)json_object_get(doc, "Versions"), k, v)
            if (names_blob(v, blob)) return 0;
    }
    /* the blob sweep removes the bytes once nothing names them */
    return lambda_blobref(c, blob, 0);
}

static int s3_code(call *c, const json_t *code, const unsigned char **zip, size_t *len)
{
    const char *bucket = jstr(code, "S3Bucket"), *key = jstr(code, "S3Key");
    if (!bucket || !key) return lambda_invalid(c, "Please provide a source for function code.");
    const char *url = call_s3_url(c, bucket, key, jstr(code, "S3ObjectVersion"));
    if (!url) return ferr_oom(c->err);
    const char *body;
    int rc = call_fetch(c, url, LAMBDA_UNZIPPED_MAX, &body, len);
    if (rc < 0) return -1;
    if (rc == 1)
        return lambda_invalid(c, "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 "
                                 "Error Message: The specified key does not exist.");
    *zip = (const unsigned char *)body;
    return 0;
}

int lambda_code_store(call *c, const json_t *code, json_t *config)
{
    const char *b64 = jstr(code, "ZipFile");
    const unsigned char *zip = NULL;
    size_t len = 0;
    if (jstr(code, "ImageUri"))
        return lambda_invalid(c, "Please don't provide ImageUri when updating a function with "
                                 "packageType Zip.");
    if (b64) {
        if (jstr(code, "S3Bucket") || jstr(code, "S3Key"))
            return lambda_invalid(c, "Please do not provide other FunctionCode properties when "
                                     "providing a ZipFile");
        zip = enc_unb64(c->a, b64, strlen(b64), &len);
        if (!zip) return ferr_oom(c->err);
        if (len > LAMBDA_ZIPPED_MAX)
            return ferr_set(c->err, 413, "RequestEntityTooLargeException",
                            "Zipped size must be smaller than %llu bytes", LAMBDA_ZIPPED_MAX);
    } else if (s3_code(c, code, &zip, &len)) {
        return -1;
    }
    zipar *z;
    if (zipar_open_mem(zip, len, LAMBDA_UNZIPPED_MAX, &z, c->err)) return -1;
    json_int_t unzipped = (json_int_t)zipar_size(z);
    zipar_free(z);
    if (check_storage(c, len)) return -1;
    if (!c->env->blobs) return ferr_internal(c->err, "this server keeps no code");
    blob_writer *w;
    blob_info info;
    if (blob_writer_new(c->env->blobs, BLOB_SHA256, NULL, &w, c->err)) return -1;
    if (blob_write(w, zip, len, c->err)) {
        blob_writer_abort(w);
        return -1;
    }
    if (blob_writer_commit(w, &info, c->err)) return -1;
    char hex[65];
    enc_hex(info.sha256, 32, hex);
    const char *sha = enc_b64(c->a, info.sha256, 32);
    if (!sha) return ferr_oom(c->err);
    if (jset_str(config, "_Blob", info.id) || jset_str(config, "_Sha", hex) ||
        jset_str(config, "CodeSha256", sha) ||
        json_object_set_new(config, "CodeSize", json_integer((json_int_t)len)) ||
        json_object_set_new(config, "_Unzipped", json_integer(unzipped)))
        return ferr_oom(c->err);
    return lambda_blobref(c, info.id, 1);
}

const char *lambda_code_dir(call *c, const json_t *config)
{
    const char *sha = jstr(config, "_Sha"), *blob = jstr(config, "_Blob");
    if (!c->env->data_dir || !c->env->blobs || !sha || !blob) {
        ferr_internal(c->err, "this server keeps no code");
        return NULL;
    }
    const char *top = arena_printf(c->a, "%s/lambda", c->env->data_dir);
    const char *codes = arena_printf(c->a, "%s/lambda/code", c->env->data_dir);
    const char *dir = arena_printf(c->a, "%s/lambda/code/%s", c->env->data_dir, sha);
    const char *tmp = arena_printf(c->a, "%s/lambda/code/%s.zip.XXXXXX", c->env->data_dir, sha);
    if (!top || !codes || !dir || !tmp) {
        ferr_oom(c->err);
        return NULL;
    }
    struct stat sb;
    if (!stat(dir, &sb)) return dir;
    mkdir(top, 0700);
    mkdir(codes, 0755);
    /* once per code hash: the package is copied out of the blob store and unzipped */
    char *path = (char *)tmp;
    int fd = mkstemp(path);
    if (fd < 0) {
        ferr_internal(c->err, "cannot unpack the function's code");
        return NULL;
    }
    blob_reader *r = NULL;
    int rc = blob_reader_new(c->env->blobs, blob, NULL, 0, BLOB_TO_END, &r, c->err);
    if (rc == 0) ferr_internal(c->err, "the function's code is gone");
    char b[65536];
    size_t got = 1;
    while (rc == 1 && got) {
        if (blob_read(r, b, sizeof(b), &got, c->err))
            rc = -1;
        else if (got && write(fd, b, got) != (ssize_t)got)
            rc = ferr_internal(c->err, "short write");
    }
    blob_reader_free(r);
    close(fd);
    zipar *z = NULL;
    if (rc == 1 && !zipar_open_file(path, LAMBDA_UNZIPPED_MAX, &z, c->err) &&
        !zipar_extract(z, dir, c->err))
        rc = 0;
    else if (rc == 1)
        rc = -1;
    zipar_free(z);
    unlink(path);
    return rc ? NULL : dir;
}

int lambda_check_unzipped(call *c, const json_t *config)
{
    long long total = jint(config, "_Unzipped", 0);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(config, "Layers"), i, l) total += jint(l, "_Unzipped", 0);
    if (total > (long long)LAMBDA_UNZIPPED_MAX)
        return lambda_invalid(c,
                              "Function code combined with layers exceeds the maximum allowed "
                              "size of %llu bytes. The actual size is %lld bytes.",
                              LAMBDA_UNZIPPED_MAX, total);
    return 0;
}

/* ---- configuration ---- */

static const char *const runtimes[] = {
    "nodejs18.x", "nodejs20.x",   "nodejs22.x",      "python3.9", "python3.10",
    "python3.11", "python3.12",   "python3.13",      "java8.al2", "java11",
    "java17",     "java21",       "dotnet8",         "ruby3.2",   "ruby3.3",
    "ruby3.4",    "provided.al2", "provided.al2023", "provided",  "dotnet6",
};
/* AWS: deprecated runtimes can no longer be used to create or update functions */
static const char *const deprecated[] = {
    "python2.7",     "python3.6",      "python3.7",     "python3.8",  "nodejs",
    "nodejs4.3",     "nodejs4.3-edge", "nodejs6.10",    "nodejs8.10", "nodejs10.x",
    "nodejs12.x",    "nodejs14.x",     "nodejs16.x",    "java8",      "dotnetcore1.0",
    "dotnetcore2.0", "dotnetcore2.1",  "dotnetcore3.1", "dotnet7",    "go1.x",
    "ruby2.5",       "ruby2.7",
};

static int check_runtime(call *c, const char *rt)
{
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
        if (!strcmp(rt, runtimes[i])) return 0;
    for (size_t i = 0; i < sizeof(deprecated) / sizeof(deprecated[0]); i++)
        if (!strcmp(rt, deprecated[i]))
            return lambda_invalid(c,
                                  "The runtime parameter of %s is no longer supported for "
                                  "creating or updating AWS Lambda functions. We recommend you "
                                  "use a supported runtime while creating or updating functions.",
                                  rt);
    return lambda_invalid(c,
                          "Value %s at 'runtime' failed to satisfy constraint: Member must "
                          "satisfy enum value set: [nodejs18.x, nodejs20.x, nodejs22.x, "
                          "python3.9, python3.10, python3.11, python3.12, python3.13, "
                          "java8.al2, java11, java17, java21, dotnet8, ruby3.2, ruby3.3, "
                          "ruby3.4, provided.al2, provided.al2023] or be a valid ARN",
                          rt);
}

static const char *const reserved_env[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

static int check_environment(call *c, const json_t *env)
{
    const json_t *vars = json_object_get(env, "Variables");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)vars, k, v)
        for (size_t i = 0; i < sizeof(reserved_env) / sizeof(reserved_env[0]); i++)
            if (!strcmp(k, reserved_env[i]))
                return lambda_invalid(c,
                                      "Lambda was unable to configure your environment "
                                      "variables because the environment variables you have "
                                      "provided contains reserved keys that are currently not "
                                      "supported for modification. Reserved keys used in this "
                                      "request: %s",
                                      k);
    char *s = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
    size_t n = s ? strlen(s) : 0;
    if (n > 4096) {
        lambda_invalid(c,
                       "Lambda was unable to configure your environment variables because "
                       "the environment variables you have provided exceeded the 4KB limit. "
                       "String measured: %.900s",
                       s);
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

/* AWS: the role must exist and Lambda must be able to assume it (its trust policy names
 * lambda.amazonaws.com); the caller needs iam:PassRole on it. */
static int check_role(call *c, const char *role_arn)
{
    char acct[13], name[160];
    const char *bad = "The role defined for the function cannot be assumed by Lambda.";
    if (iamsvc_role_from_arn(role_arn, acct, sizeof(acct), name, sizeof(name)))
        return lambda_invalid(c, "%s", bad);
    if (call_authorize(c, "iam:PassRole", role_arn)) return -1;
    json_t *role = NULL;
    int rc = iamsvc_get_role(c->txn, acct, name, &role, c->err);
    if (rc < 0) return -1;
    const char *trust = rc ? jstr(role, "AssumeRolePolicyDocument") : NULL;
    if (!rc || strcmp(jstr(role, "Arn"), role_arn) || !trust) {
        json_decref(role);
        return lambda_invalid(c, "%s", bad);
    }
    /* the trust policy evaluated as Lambda's service principal would be */
    principal svc;
    session_service_principal(&svc, "lambda.amazonaws.com", acct);
    call as = *c;
    ferr ignored = {0};
    as.who = &svc;
    as.err = &ignored;
    as.account = acct;
    authz_req q = {.action = "sts:AssumeRole",
                   .resource = role_arn,
                   .resource_account = acct,
                   .resource_policy = trust,
                   .resource_policy_required = 1};
    rc = call_authorize_ex(&as, &q);
    json_decref(role);
    if (as.oom) c->oom = 1;
    if (rc) return ignored.status >= 500 ? (*c->err = ignored, -1) : lambda_invalid(c, "%s", bad);
    return 0;
}

int lambda_apply_config(call *c, const json_t *in, json_t *config, int create)
{
    const char *rt = jstr(in, "Runtime"), *handler = jstr(in, "Handler"), *role = jstr(in, "Role");
    if (create && (!rt || !handler))
        return lambda_invalid(c, "Runtime and Handler are mandatory parameters for functions "
                                 "created with deployment packages.");
    if (rt && check_runtime(c, rt)) return -1;
    if (role && check_role(c, role)) return -1;
    const json_t *env = json_object_get(in, "Environment");
    if (env && check_environment(c, env)) return -1;
    /* AWS: a dead-letter queue is an SQS queue or an SNS topic */
    const char *dlq = jstr(json_object_get(in, "DeadLetterConfig"), "TargetArn");
    if (dlq && *dlq && !arn_rest(dlq, "sqs") && !arn_rest(dlq, "sns"))
        return lambda_invalid(c,
                              "The provided DeadLetterConfig TargetArn %s is not an SQS queue "
                              "or an SNS topic.",
                              dlq);
    /* AWS: the role must be allowed to send there before the configuration is taken */
    const char *eff_role = role ? role : jstr(config, "Role");
    if (dlq && *dlq && eff_role && lambda_role_may_send(c, eff_role, dlq)) return -1;
    const json_t *layers = json_object_get(in, "Layers");
    if (json_array_size(layers) > 5)
        return lambda_invalid(c, "Cannot reference more than 5 layers.");
    int bad = 0;
    if (rt) bad |= jset_str(config, "Runtime", rt);
    if (handler) bad |= jset_str(config, "Handler", handler);
    if (role) bad |= jset_str(config, "Role", role);
    const char *copy[] = {"Description",   "Timeout",          "MemorySize",       "Architectures",
                          "TracingConfig", "DeadLetterConfig", "EphemeralStorage", "KMSKeyArn"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(in, copy[i]);
        if (v) bad |= json_object_set(config, copy[i], v);
    }
    if (env) {
        json_t *vars = json_object_get(env, "Variables");
        bad |= json_object_set_new(config, "Environment",
                                   json_pack("{s:O}", "Variables", vars ? vars : json_object()));
    }
    if (layers) {
        json_t *ls = json_array();
        size_t i;
        json_t *l;
        json_array_foreach(layers, i, l) {
            json_t *item;
            if (lambda_layer_resolve(c, json_string_value(l), &item)) {
                json_decref(ls);
                return -1;
            }
            bad |= json_array_append_new(ls, item);
        }
        bad |= json_object_set_new(config, "Layers", ls);
    }
    if (create) {
        const char *name = jstr(config, "FunctionName");
        if (!json_object_get(config, "Timeout"))
            bad |= json_object_set_new(config, "Timeout", json_integer(3));
        if (!json_object_get(config, "MemorySize"))
            bad |= json_object_set_new(config, "MemorySize", json_integer(128));
        if (!json_object_get(config, "Architectures"))
            bad |= json_object_set_new(config, "Architectures", json_pack("[s]", "x86_64"));
        if (!json_object_get(config, "Description")) bad |= jset_str(config, "Description", "");
        if (!json_object_get(config, "TracingConfig"))
            bad |= json_object_set_new(config, "TracingConfig",
                                       json_pack("{s:s}", "Mode", "PassThrough"));
        if (!json_object_get(config, "EphemeralStorage"))
            bad |= json_object_set_new(config, "EphemeralStorage", json_pack("{s:i}", "Size", 512));
        bad |= jset_str(config, "PackageType", "Zip") || jset_str(config, "Version", "$LATEST") ||
               json_object_set_new(
                   config, "SnapStart",
                   json_pack("{s:s, s:s}", "ApplyOn", "None", "OptimizationStatus", "Off")) ||
               json_object_set_new(
                   config, "LoggingConfig",
                   json_pack("{s:s, s:s+}", "LogFormat", "Text", "LogGroup", "/aws/lambda/", name));
    }
    return bad ? ferr_oom(c->err) : 0;
}
