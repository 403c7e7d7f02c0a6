#include "pcommon.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/enc.h"

/* Year 1..9999: what the wire formats can express (and what time_t casts survive). */
#define TS_MIN (-62135596800.0)
#define TS_MAX (253402300799.0)

void proto_vctx_init(proto_vctx *v, const proto_service *svc)
{
    v->svc = svc;
    v->n = 0;
    buf_init(&v->msg, 16384);
    v->plen = 0;
    v->path[0] = 0;
    v->malformed = 0;
    v->oom = 0;
    v->nul = 0;
}

int proto_vnul(proto_vctx *v, const char *s, size_t n)
{
    if (!memchr(s, 0, n)) return 0;
    v->nul = 1;
    proto_verr_value(v, s, n, "Member must not contain null characters");
    return 1;
}

void proto_vset(proto_vctx *v, json_t *obj, const char *k, json_t *x)
{
    if (x && json_object_set_new(obj, k, x)) v->oom = 1;
}

void proto_vappend(proto_vctx *v, json_t *arr, json_t *x)
{
    if (x && json_array_append_new(arr, x)) v->oom = 1;
}

json_t *proto_vmade(proto_vctx *v, json_t *x)
{
    if (!x) v->oom = 1;
    return x;
}

void proto_vctx_dispose(proto_vctx *v)
{
    buf_dispose(&v->msg);
}

static size_t path_append(proto_vctx *v, const char *s, size_t n, int lower_first)
{
    size_t old = v->plen;
    size_t room = sizeof(v->path) - 1 - v->plen;
    size_t dot = v->plen ? 1 : 0;
    if (n + dot > room) return old; /* overlong paths are truncated, never overflow */
    if (dot) v->path[v->plen++] = '.';
    memcpy(v->path + v->plen, s, n);
    if (lower_first && n) v->path[v->plen] = (char)tolower((unsigned char)s[0]);
    v->plen += n;
    v->path[v->plen] = 0;
    return old;
}

size_t proto_path_member(proto_vctx *v, const char *name)
{
    return path_append(v, name, strlen(name), 1);
}

size_t proto_path_index(proto_vctx *v, size_t i1)
{
    char t[40];
    int n = snprintf(t, sizeof(t), "%zu.member", i1);
    return path_append(v, t, (size_t)n, 0);
}

size_t proto_path_key(proto_vctx *v, const char *key)
{
    return path_append(v, key, strlen(key), 0);
}

static void verr_sep(proto_vctx *v)
{
    if (v->n++) buf_puts(&v->msg, "; ");
}

void proto_verr_null(proto_vctx *v)
{
    verr_sep(v);
    buf_printf(&v->msg, "Value null at '%s' failed to satisfy constraint: Member must not be null",
               v->path);
}

void proto_verr_value(proto_vctx *v, const char *val, size_t n, const char *what)
{
    verr_sep(v);
    if (!val) { /* a sensitive value is not echoed */
        buf_printf(&v->msg, "Value at '%s' failed to satisfy constraint: %s", v->path, what);
        return;
    }
    if (n > 256) n = 256; /* AWS echoes the value; keep the message bounded */
    buf_puts(&v->msg, "Value '");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)val[i];
        buf_putc(&v->msg, c < 32 ? '?' : (char)c);
    }
    buf_printf(&v->msg, "' at '%s' failed to satisfy constraint: %s", v->path, what);
}

int proto_vctx_finish(proto_vctx *v, ferr *e)
{
    if (v->oom) return ferr_oom(e);
    if (!v->n) return 0;
    ferr_set(e, 400, v->nul ? proto_bad_value_code(v->svc) : proto_validation_code(v->svc),
             "%d validation error%s detected: %s", v->n, v->n == 1 ? "" : "s", buf_str(&v->msg));
    return -1;
}

json_t *proto_ts_json(double t)
{
    if (t == floor(t) && fabs(t) < 9e15) return json_integer((json_int_t)t);
    return json_real(t);
}

int proto_ts_value(const json_t *v, double *t)
{
    if (json_is_integer(v))
        *t = (double)json_integer_value(v);
    else if (json_is_real(v))
        *t = json_real_value(v);
    else if (json_is_string(v)) {
        if (clock_parse(json_string_value(v), t)) return -1;
    } else
        return -1;
    if (!(*t >= TS_MIN && *t <= TS_MAX)) return -1;
    return 0;
}

json_t *proto_scalar_parse(proto_vctx *v, const proto_shape *sh, const char *s, size_t n)
{
    char tmp[128];
    switch (sh->type) {
    case PT_STRING:
    case PT_BLOB:
        if (!enc_utf8_valid(s, n)) {
            proto_verr_value(v, "", 0, "Member must be valid UTF-8");
            return NULL;
        }
        if (sh->type == PT_STRING && proto_vnul(v, s, n)) return NULL;
        return proto_vmade(v, json_stringn(s, n));
    case PT_BOOLEAN:
        if (n == 4 && !strncasecmp(s, "true", 4)) return json_true();
        if (n == 5 && !strncasecmp(s, "false", 5)) return json_false();
        proto_verr_value(v, s, n, "Member must be a boolean");
        return NULL;
    default: break;
    }
    /* numbers and timestamps: trimmed, bounded copy */
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n == 0 || n >= sizeof(tmp) || memchr(s, 0, n)) goto bad;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    switch (sh->type) {
    case PT_INTEGER:
    case PT_LONG: {
        long long x = strtoll(tmp, &end, 10);
        if (*end || errno) goto bad;
        if (sh->type == PT_INTEGER && (x < INT_MIN || x > INT_MAX)) goto bad;
        return proto_vmade(v, json_integer((json_int_t)x));
    }
    case PT_FLOAT:
    case PT_DOUBLE: {
        double d = strtod(tmp, &end);
        if (*end || !isfinite(d)) goto bad; /* jansson cannot carry NaN/Infinity */
        return proto_vmade(v, json_real(d));
    }
    case PT_TIMESTAMP: {
        double t;
        if (clock_parse(tmp, &t) || !(t >= TS_MIN && t <= TS_MAX)) goto bad;
        return proto_vmade(v, proto_ts_json(t));
    }
    default: break;
    }
bad:
    proto_verr_value(v, s, n,
                     sh->type == PT_TIMESTAMP ? "Member must be a valid timestamp"
                     : sh->type == PT_INTEGER ? "Member must be a valid integer"
                     : sh->type == PT_LONG    ? "Member must be a valid long"
                                              : "Member must be a number");
    return NULL;
}

void proto_fmt_double(double d, char out[40])
{
    if (!isfinite(d)) {
        snprintf(out, 40, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    /* shortest of %.15g / %.17g that round-trips */
    snprintf(out, 40, "%.15g", d);
    if (strtod(out, NULL) != d) snprintf(out, 40, "%.17g", d);
    if (!strpbrk(out, ".eEn")) strcat(out, ".0");
}

int proto_scalar_format(buf *b, const proto_shape *sh, const json_t *v, int tsfmt)
{
    char t[48];
    switch (sh->type) {
    case PT_TIMESTAMP: {
        double d;
        if (proto_ts_value(v, &d)) return -1;
        if (tsfmt == TS_RFC822)
            clock_http(d, t);
        else if (tsfmt == TS_UNIX) {
            if (d == floor(d))
                snprintf(t, sizeof(t), "%.0f", d);
            else
                snprintf(t, sizeof(t), "%.3f", d);
        } else
            clock_iso8601(d, d != floor(d), t);
        return buf_puts(b, t);
    }
    default: break;
    }
    switch (json_typeof(v)) {
    case JSON_STRING: return buf_put(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        if (sh->type == PT_FLOAT || sh->type == PT_DOUBLE) {
            proto_fmt_double((double)json_integer_value(v), t);
            return buf_puts(b, t);
        }
        return buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        if (sh->type == PT_INTEGER || sh->type == PT_LONG) {
            double d = json_real_value(v);
            if (!(d >= -9.2e18 && d <= 9.2e18)) return -1;
            return buf_printf(b, "%lld", (long long)d);
        }
        proto_fmt_double(json_real_value(v), t);
        return buf_puts(b, t);
    case JSON_TRUE: return buf_puts(b, "true");
    case JSON_FALSE: return buf_puts(b, "false");
    default: return -1;
    }
}

json_t *proto_json_text(const char *s)
{
    size_t n = strlen(s);
    if (enc_utf8_valid(s, n)) return json_stringn(s, n);
    char *t = strdup(s);
    if (!t) return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] >= 0x80) t[i] = '?';
    json_t *j = json_stringn(t, n);
    free(t);
    return j;
}

int proto_xml_escape(buf *b, const char *s, size_t n)
{
    size_t run = 0;
    /* a message cut mid-character (or bad input echoed) must not break the document */
    int ascii_only = !enc_utf8_valid(s, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char num[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        case '\r': rep = "&#13;"; break;
        case '\n': rep = "&#10;"; break;
        case '\t': rep = "&#9;"; break;
        default:
            if (c < 32 || (ascii_only && c >= 0x80)) { /* not representable in XML 1.0: '?' */
                snprintf(num, sizeof(num), "?");
                rep = num;
            }
        }
        if (rep) {
            if (run) buf_put(b, s + i - run, run);
            run = 0;
            buf_puts(b, rep);
        } else
            run++;
    }
    if (run) buf_put(b, s + n - run, run);
    return b->failed ? -1 : 0;
}

const char *proto_member_wire_name(const proto_member *m)
{
    return m->loc_name ? m->loc_name : m->name;
}

/* s[0..n) percent-decoded into the arena; NULL with e (when given) set: a bad escape is
 * MalformedQueryString, a failed allocation out of memory. */
static const char *qs_decode(arena *a, const char *s, size_t n, size_t *len, ferr *e)
{
    char *out = arena_alloc(a, n + 1);
    if (!out) {
        if (e) ferr_oom(e);
        return NULL;
    }
    if (enc_url_decode_into(out, s, n, 1, len)) {
        if (e)
            ferr_set(e, 400, "MalformedQueryString", "The query string or form body is malformed");
        return NULL;
    }
    return out;
}

int proto_qs_next(arena *a, const char *s, size_t n, size_t *i, const char **k, size_t *klen,
                  const char **v, size_t *vlen, ferr *e)
{
    while (*i < n) {
        size_t b = *i, j = b;
        while (j < n && s[j] != '&') j++;
        *i = j + 1;
        if (j == b) continue;
        const char *eq = memchr(s + b, '=', j - b);
        size_t kl = eq ? (size_t)(eq - (s + b)) : j - b;
        *k = qs_decode(a, s + b, kl, klen, e);
        if (!*k) return -1;
        *vlen = 0;
        *v = eq ? qs_decode(a, eq + 1, j - b - kl - 1, vlen, e) : "";
        return *v ? 1 : -1;
    }
    return 0;
}

const char *proto_qs_param(arena *a, const char *q, const char *name)
{
    size_t i = 0, n = q ? strlen(q) : 0, kl, vl, nl = strlen(name);
    const char *k, *v;
    while (proto_qs_next(a, q, n, &i, &k, &kl, &v, &vl, NULL) > 0)
        if (kl == nl && !memcmp(k, name, nl)) return memchr(v, 0, vl) ? NULL : v;
    return NULL;
}
