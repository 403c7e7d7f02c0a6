/* Model-driven input validation, worded as AWS's request validation words it:
 *   2 validation errors detected: Value 'a b' at 'roleName' failed to satisfy constraint:
 *   Member must satisfy regular expression pattern: [\w+=,.@-]+; Value null at
 *   'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null
 * Paths name members lowerCamel, list items "tags.1.member", map values by key. A list of
 * scalars whose items break their constraint is reported once at the list ("Member must
 * satisfy constraint: [...]"), a map's keys and values likewise ("Map keys must satisfy
 * constraint: [...]", "Map value must satisfy constraint: [...]"). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "proto/validate.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "proto/overlay.h"
#include "proto/pcommon.h"

/* How each service answers a request that fails validation: the code (NULL: by protocol
 * family, ValidationError for query, ValidationException for json and rest) and the
 * constraint kinds it checks itself with an answer of its own. */
enum { VS_LENGTH = 1, VS_RANGE = 2, VS_PATTERN = 4, VS_ENUM = 8 };
#define VS_ALL (VS_LENGTH | VS_RANGE | VS_PATTERN | VS_ENUM)
static const struct vpolicy {
    const char *service; /* signing name */
    const char *code;
    unsigned skip;          /* VS_*: what it checks itself */
    const char *value_code; /* a value no constraint allows (NULL: code) */
} policies[] = {
    /* SNS answers every bad parameter InvalidParameter, worded its own way ("Invalid
     * parameter: Tags Reason: ..."): its handlers check values, the model required members */
    {"sns", "InvalidParameter", VS_ALL, NULL},
    /* SQS names unknown attribute names InvalidAttributeName ("Unknown Attribute X."), and
     * answers a value with a character it refuses InvalidParameterValue */
    {"sqs", NULL, VS_ENUM, "InvalidParameterValue"},
    /* Organizations answers InvalidInputException with a reason of its own per member
     * ("You provided a role name that isn't valid."); its handlers check */
    {"organizations", NULL, VS_ALL, NULL},
    /* CloudTrail names a bad MaxResults or lookup attribute key with exceptions of its own
     * (InvalidMaxResultsException, InvalidLookupAttributesException) */
    {"cloudtrail", NULL, VS_RANGE | VS_ENUM, NULL},
    /* enums that have grown since botocore 1.29 (the constraint source, see README): Lambda
     * runtimes (python3.12), Access Analyzer policy types (RESOURCE_CONTROL_POLICY) */
    {"lambda", NULL, VS_ENUM, NULL},
    {"access-analyzer", NULL, VS_ENUM, NULL},
    /* CloudWatch Logs words its request validation the usual way under its own code */
    {"logs", "InvalidParameterException", 0, NULL},
    /* S3 has no validation layer of its own: a missing member is InvalidRequest, and its
     * handlers answer bad values with S3's codes (InvalidArgument, InvalidBucketName, ...);
     * the model's patterns (CopySource's \/.+\/.+) are not what S3 enforces */
    {"s3", "InvalidRequest", VS_ALL, "InvalidArgument"},
    /* API Gateway (v1 and v2, both signing as apigateway) answers bad input
     * BadRequestException */
    {"apigateway", "BadRequestException", 0, NULL},
    /* EC2 answers a value it cannot read InvalidParameterValue and checks values in its
     * handlers (its model states almost no constraints); a missing member is
     * MissingParameter (ec2_missing below) */
    {"ec2", "InvalidParameterValue", VS_ALL, NULL},
    /* Cloud Map answers bad input InvalidInput ("1 validation error detected: ...") */
    {"servicediscovery", "InvalidInput", 0, NULL},
    /* ECS answers bad parameters InvalidParameterException */
    {"ecs", "InvalidParameterException", 0, NULL},
    /* App Mesh's model has no ValidationException: it answers bad input BadRequestException */
    {"appmesh", "BadRequestException", 0, NULL},
};

static const struct vpolicy *policy_of(const proto_service *svc)
{
    for (size_t i = 0; svc && i < sizeof(policies) / sizeof(policies[0]); i++)
        if (!strcmp(policies[i].service, svc->signing_name)) return &policies[i];
    return NULL;
}

const char *proto_validation_code(const proto_service *svc)
{
    const struct vpolicy *p = policy_of(svc);
    if (p && p->code) return p->code;
    return svc && (svc->protocol == PROTO_QUERY || svc->protocol == PROTO_EC2)
               ? "ValidationError"
               : "ValidationException";
}

const char *proto_bad_value_code(const proto_service *svc)
{
    const struct vpolicy *p = policy_of(svc);
    if (p && p->value_code) return p->value_code;
    return proto_validation_code(svc);
}

/* ---- the service's constraint set and its compiled patterns ---- */

#define MAX_SETS 256 /* modelgen's limit on services */

static long cset_index(const proto_service *svc)
{
    for (size_t i = 0; i < proto_nservices && i < proto_ncsets; i++)
        if (proto_services[i] == svc) return (long)i;
    return -1;
}

const proto_constraint *proto_member_constraint(const proto_service *svc, const proto_member *m)
{
    long si = cset_index(svc);
    if (si < 0 || m < svc->members || m >= svc->members + svc->nmembers) return NULL;
    const proto_cset *cs = &proto_csets[si];
    int32_t ci = cs->member_con[m - svc->members].self;
    return ci < 0 ? NULL : &cs->cons[ci];
}

/* Compiled once per service on first use, kept for the life of the process. */
static pthread_mutex_t re_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(pcre2_code **) re_sets[MAX_SETS];

/* AWS models write patterns for java.util.regex, matched against the whole value:
 * \uXXXX escapes (PCRE2_ALT_BSUX), \p{...} classes and ranges over Unicode (UTF). */
static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0) return 0x10000; /* not four hex digits */
        v = v * 16 + (unsigned)d;
    }
    return v;
}

/* Java writes a character beyond the BMP as its UTF-16 surrogate pair (DynamoDB's
 * "\uD800\uDC00-\uDBFF\uDFFF"); PCRE2 in UTF mode wants the character: a pair becomes
 * its code point in UTF-8 (ALT_BSUX has no \x{...}); and \p{Print} is Java's printable
 * ASCII, which PCRE2 does not name. A new malloc'd pattern, or NULL when there is nothing to
 * rewrite (or no memory). */
static char *java_pairs(const char *pattern)
{
    if (!strstr(pattern, "\\uD") && !strstr(pattern, "\\ud") && !strstr(pattern, "\\p{Print}"))
        return NULL;
    size_t n = strlen(pattern);
    char *out = malloc(2 * n + 1), *w = out;
    if (!out) return NULL;
    for (const char *r = pattern; *r;) {
        if (!strncmp(r, "\\p{Print}", 9)) { /* Java's POSIX class: printable ASCII */
            memcpy(w, "[\\x20-\\x7E]", 11);
            w += 11;
            r += 9;
            continue;
        }
        unsigned hi = r[0] == '\\' && r[1] == 'u' ? hex4(r + 2) : 0x10000;
        unsigned lo =
            hi >= 0xD800 && hi <= 0xDBFF && r[6] == '\\' && r[7] == 'u' ? hex4(r + 8) : 0x10000;
        if (lo >= 0xDC00 && lo <= 0xDFFF) { /* 12 characters become 4 bytes of UTF-8 */
            unsigned cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
            *w++ = (char)(0xF0 | (cp >> 18));
            *w++ = (char)(0x80 | ((cp >> 12) & 0x3F));
            *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *w++ = (char)(0x80 | (cp & 0x3F));
            r += 12;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
    return out;
}

static pcre2_code *re_compile_quiet(const char *pattern, int *err, size_t *off)
{
    PCRE2_SIZE o = 0;
    char *rewritten = java_pairs(pattern);
    pcre2_code *re = pcre2_compile(
        (PCRE2_SPTR)(rewritten ? rewritten : pattern), PCRE2_ZERO_TERMINATED,
        PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_ANCHORED | PCRE2_ENDANCHORED, err, &o, NULL);
    free(rewritten);
    *off = (size_t)o;
    return re;
}

/* NULL with *oom set when memory ran out (try again next time), else NULL for a pattern
 * that does not compile (logged, never checked). */
static pcre2_code *re_compile(const char *stem, const char *pattern, int *oom)
{
    int err;
    size_t off;
    pcre2_code *re = re_compile_quiet(pattern, &err, &off);
    if (!re && err == PCRE2_ERROR_HEAP_FAILED) {
        *oom = 1;
    } else if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(err, msg, sizeof(msg));
        log_warn("validate: %s pattern %s not checked: %s at %zu", stem, pattern, (char *)msg, off);
    }
    return re;
}

int proto_pattern_compiles(const char *pattern)
{
    int err;
    size_t off;
    pcre2_code *re = re_compile_quiet(pattern, &err, &off);
    pcre2_code_free(re);
    return re != NULL;
}

static pcre2_code **re_set(long si)
{
    pcre2_code **set = atomic_load_explicit(&re_sets[si], memory_order_acquire);
    if (set) return set;
    pthread_mutex_lock(&re_mu);
    set = atomic_load_explicit(&re_sets[si], memory_order_relaxed);
    const proto_cset *cs = &proto_csets[si];
    if (!set && (set = calloc(cs->ncons ? cs->ncons : 1, sizeof(*set)))) {
        int oom = 0;
        for (size_t i = 0; i < cs->ncons && !oom; i++)
            if (cs->cons[i].pattern) set[i] = re_compile(cs->stem, cs->cons[i].pattern, &oom);
        if (oom) { /* this request fails; the next one compiles them again */
            for (size_t i = 0; i < cs->ncons; i++) pcre2_code_free(set[i]);
            free(set);
            set = NULL;
        } else {
            atomic_store_explicit(&re_sets[si], set, memory_order_release);
        }
    }
    pthread_mutex_unlock(&re_mu);
    return set;
}

/* ---- checking one value against one constraint ---- */

enum { F_MAXLEN = 1, F_MINLEN = 2, F_MAXVAL = 4, F_MINVAL = 8, F_PATTERN = 16, F_ENUM = 32 };

typedef struct vwalk {
    const proto_service *svc;
    const proto_cset *cs;
    pcre2_code **re;
    unsigned skip;
    proto_vctx v;
    int oom;
} vwalk;

/* String length as Java counts it: UTF-16 code units. */
static size_t utf16_len(const char *s, size_t n)
{
    size_t l = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80) l += c >= 0xF0 ? 2 : 1;
    }
    return l;
}

/* slot: 0 the member's value, 1 its items (map: keys), 2 its map values */
static const proto_constraint *con_of(const vwalk *w, const proto_member *m, int slot)
{
    const proto_mcon *mc = &w->cs->member_con[m - w->svc->members];
    int32_t ci = slot == 0 ? mc->self : slot == 1 ? mc->item : mc->value;
    return ci < 0 ? NULL : &w->cs->cons[ci];
}

/* The F_* the value breaks (0 when it keeps them all, or is of another type). */
static unsigned con_fails(vwalk *w, const proto_constraint *k, const proto_shape *sh,
                          const json_t *val)
{
    unsigned f = 0;
    double n = -1;
    switch (sh->type) {
    case PT_STRING:
        if (!json_is_string(val)) return 0;
        n = (double)utf16_len(json_string_value(val), json_string_length(val));
        break;
    case PT_LIST: n = json_is_array(val) ? (double)json_array_size(val) : -1; break;
    case PT_MAP: n = json_is_object(val) ? (double)json_object_size(val) : -1; break;
    case PT_INTEGER:
    case PT_LONG:
    case PT_FLOAT:
    case PT_DOUBLE:
        if (!json_is_number(val) || (w->skip & VS_RANGE)) return 0;
        if ((k->flags & PC_MAX) && json_number_value(val) > k->max) f |= F_MAXVAL;
        if ((k->flags & PC_MIN) && json_number_value(val) < k->min) f |= F_MINVAL;
        return f;
    default: return 0;
    }
    if (n < 0) return 0;
    if ((k->flags & PC_MAX) && n > k->max && !(w->skip & VS_LENGTH)) f |= F_MAXLEN;
    if ((k->flags & PC_MIN) && n < k->min && !(w->skip & VS_LENGTH)) f |= F_MINLEN;
    if (sh->type != PT_STRING) return f;
    const char *s = json_string_value(val);
    if (k->nenums && !(w->skip & VS_ENUM)) {
        size_t i = 0;
        while (i < k->nenums && strcmp(k->enums[i], s)) i++;
        if (i == k->nenums) f |= F_ENUM;
    }
    pcre2_code *re = k->pattern && !(w->skip & VS_PATTERN) ? w->re[k - w->cs->cons] : NULL;
    if (re) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        if (!md) {
            w->oom = 1;
            return f;
        }
        int rc = pcre2_match(re, (PCRE2_SPTR)s, json_string_length(val), 0, 0, md, NULL);
        pcre2_match_data_free(md);
        if (rc == PCRE2_ERROR_NOMATCH) f |= F_PATTERN; /* other errors: not checked */
    }
    return f;
}

/* Every F_* that k states for a value of shape sh. */
static unsigned con_all(const proto_constraint *k, const proto_shape *sh, unsigned skip)
{
    int num = sh->type >= PT_INTEGER && sh->type <= PT_DOUBLE && sh->type != PT_BOOLEAN;
    unsigned f = 0;
    if ((k->flags & PC_MAX) && !(skip & (num ? VS_RANGE : VS_LENGTH)))
        f |= num ? F_MAXVAL : F_MAXLEN;
    if ((k->flags & PC_MIN) && !(skip & (num ? VS_RANGE : VS_LENGTH)))
        f |= num ? F_MINVAL : F_MINLEN;
    if (sh->type == PT_STRING && k->pattern && !(skip & VS_PATTERN)) f |= F_PATTERN;
    if (sh->type == PT_STRING && k->nenums && !(skip & VS_ENUM)) f |= F_ENUM;
    return f;
}

static void put_num(buf *b, double d)
{
    if (d == (double)(long long)d) {
        buf_printf(b, "%lld", (long long)d);
    } else {
        char t[40];
        proto_fmt_double(d, t);
        buf_puts(b, t);
    }
}

/* "Member must ..." for each F_* in f, ", "-separated. */
static void put_descs(buf *b, const proto_constraint *k, unsigned f)
{
    int first = 1;
    for (unsigned bit = 1; bit <= F_ENUM; bit <<= 1) {
        if (!(f & bit)) continue;
        if (!first) buf_puts(b, ", ");
        first = 0;
        switch (bit) {
        case F_MAXLEN:
            buf_puts(b, "Member must have length less than or equal to ");
            put_num(b, k->max);
            break;
        case F_MINLEN:
            buf_puts(b, "Member must have length greater than or equal to ");
            put_num(b, k->min);
            break;
        case F_MAXVAL:
            buf_puts(b, "Member must have value less than or equal to ");
            put_num(b, k->max);
            break;
        case F_MINVAL:
            buf_puts(b, "Member must have value greater than or equal to ");
            put_num(b, k->min);
            break;
        case F_PATTERN:
            buf_printf(b, "Member must satisfy regular expression pattern: %s", k->pattern);
            break;
        case F_ENUM:
            buf_puts(b, "Member must satisfy enum value set: [");
            for (size_t i = 0; i < k->nenums; i++)
                buf_printf(b, "%s%s", i ? ", " : "", k->enums[i]);
            buf_putc(b, ']');
            break;
        }
    }
}

/* The value as AWS echoes it (Java's toString): text, [a, b], {k=v}. */
static void put_value(buf *b, const json_t *v, int depth)
{
    if (depth > 8 || b->len > 256) return; /* the message echoes 256 bytes at most */
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        buf_put(b, json_string_value(v), n > 257 ? 257 : n);
    } else if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        put_num(b, json_real_value(v));
    } else if (json_is_boolean(v)) {
        buf_puts(b, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *x;
        buf_putc(b, '[');
        json_array_foreach(v, i, x) {
            if (i) buf_puts(b, ", ");
            put_value(b, x, depth + 1);
        }
        buf_putc(b, ']');
    } else if (json_is_object(v)) {
        const char *key;
        json_t *x;
        int i = 0;
        buf_putc(b, '{');
        json_object_foreach((json_t *)v, key, x) {
            buf_printf(b, "%s%s=", i++ ? ", " : "", key);
            put_value(b, x, depth + 1);
        }
        buf_putc(b, '}');
    }
}

/* One failure at the current path: "Value '<val>' at ... failed to satisfy constraint:
 * <prefix>[<descs>]" (prefix NULL: the descriptions alone). */
static void report(vwalk *w, const proto_constraint *k, const json_t *val, const char *prefix,
                   unsigned f)
{
    buf what, value;
    buf_init(&what, 0);
    buf_init(&value, 0);
    if (prefix) buf_printf(&what, "%s[", prefix);
    put_descs(&what, k, f);
    if (prefix) buf_putc(&what, ']');
    if (!(k->flags & PC_SENSITIVE)) put_value(&value, val, 0);
    if (what.failed || value.failed) w->oom = 1;
    /* a value longer than the buffer is echoed cut, as proto_verr_value cuts it anyway */
    proto_verr_value(&w->v, k->flags & PC_SENSITIVE ? NULL : buf_str(&value),
                     strlen(buf_str(&value)), buf_str(&what));
    buf_dispose(&what);
    buf_dispose(&value);
}

static void check_struct(vwalk *w, const proto_shape *sh, const json_t *obj, int depth);

/* Checks val, the value of member m (the path names it already). */
static void check_value(vwalk *w, const proto_member *m, const json_t *val, int depth)
{
    if (depth > PROTO_MAX_DEPTH) return;
    const proto_shape *sh = proto_member_shape(w->svc, m);
    const proto_constraint *k = con_of(w, m, 0);
    if (sh->type == PT_STRING && !json_is_string(val)) {
        /* the codecs refuse these from clients; an internal caller (a template's property)
         * gets the same answer, and handlers may rely on strings being strings */
        buf value;
        buf_init(&value, 0);
        put_value(&value, val, 0);
        if (value.failed) w->oom = 1;
        proto_verr_value(&w->v, buf_str(&value), strlen(buf_str(&value)),
                         "Member must be a string");
        buf_dispose(&value);
        return;
    }
    if (k) {
        unsigned f = con_fails(w, k, sh, val);
        /* each broken constraint is an error of its own, as AWS counts them */
        for (unsigned bit = 1; bit <= F_ENUM; bit <<= 1)
            if (f & bit) report(w, k, val, NULL, bit);
    }
    if (sh->type == PT_STRUCTURE && json_is_object(val)) {
        check_struct(w, sh, val, depth + 1);
    } else if (sh->type == PT_LIST && json_is_array(val)) {
        const proto_member *im = proto_shape_member(w->svc, sh, 0);
        const proto_shape *ish = proto_member_shape(w->svc, im);
        const proto_constraint *ik = con_of(w, m, 1);
        size_t i;
        const json_t *x;
        if (ish->type < PT_STRUCTURE) {
            json_array_foreach(val, i, x)
                if (ik && con_fails(w, ik, ish, x)) {
                    report(w, ik, val,
                           "Member must satisfy constraint: ", con_all(ik, ish, w->skip));
                    break;
                }
            return;
        }
        json_array_foreach(val, i, x) {
            size_t old = proto_path_index(&w->v, i + 1);
            check_value(w, im, x, depth + 1);
            proto_path_pop(&w->v, old);
        }
    } else if (sh->type == PT_MAP && json_is_object(val)) {
        const proto_member *km = proto_shape_member(w->svc, sh, 0);
        const proto_member *vm = proto_shape_member(w->svc, sh, 1);
        const proto_shape *ksh = proto_member_shape(w->svc, km);
        const proto_shape *vsh = proto_member_shape(w->svc, vm);
        const proto_constraint *kk = con_of(w, m, 1), *vk = con_of(w, m, 2);
        const char *key;
        json_t *x;
        if (kk) {
            json_object_foreach((json_t *)val, key, x) {
                json_t *ks = json_string(key);
                unsigned f = ks ? con_fails(w, kk, ksh, ks) : 0;
                json_decref(ks);
                if (!ks) w->oom = 1;
                if (f) {
                    report(w, kk, val,
                           "Map keys must satisfy constraint: ", con_all(kk, ksh, w->skip));
                    break;
                }
            }
        }
        if (vsh->type < PT_STRUCTURE) {
            if (vk) {
                json_object_foreach((json_t *)val, key, x)
                    if (con_fails(w, vk, vsh, x)) {
                        report(w, vk, val,
                               "Map value must satisfy constraint: ", con_all(vk, vsh, w->skip));
                        break;
                    }
            }
            return;
        }
        json_object_foreach((json_t *)val, key, x) {
            size_t old = proto_path_key(&w->v, key);
            check_value(w, vm, x, depth + 1);
            proto_path_pop(&w->v, old);
        }
    }
}

static void check_struct(vwalk *w, const proto_shape *sh, const json_t *obj, int depth)
{
    for (size_t i = 0; i < sh->nmembers; i++) {
        const proto_member *m = proto_shape_member(w->svc, sh, i);
        const json_t *c = json_object_get(obj, m->name);
        int absent = !c || json_is_null(c);
        /* the path only for what is checked: DynamoDB's AttributeValue has ten members, one
         * of them set, and its Items hundreds of values */
        if (absent && !(m->flags & PM_REQUIRED)) continue;
        size_t old = proto_path_member(&w->v, m->name);
        if (absent) {
            if (m->flags & PM_REQUIRED) proto_verr_null(&w->v);
        } else {
            check_value(w, m, c, depth);
        }
        proto_path_pop(&w->v, old);
    }
}

/* EC2: "The request must contain the parameter VpcId", by the member's wire name. */
static int ec2_missing(const proto_service *svc, const proto_shape *ish, const json_t *in, ferr *e)
{
    for (size_t i = 0; i < ish->nmembers; i++) {
        const proto_member *m = proto_shape_member(svc, ish, i);
        const json_t *c = json_object_get(in, m->name);
        /* an empty value ("VpcId=") is missing too */
        if (!(m->flags & PM_REQUIRED) ||
            (c && !json_is_null(c) && !(json_is_string(c) && !*json_string_value(c))))
            continue;
        const char *n = m->query_name ? m->query_name : proto_member_wire_name(m);
        return ferr_set(e, 400, "MissingParameter", "The request must contain the parameter %c%s",
                        n[0] >= 'a' && n[0] <= 'z' ? n[0] - 'a' + 'A' : n[0], n + 1);
    }
    return 0;
}

int proto_validate(const proto_service *svc, const proto_op *op, const json_t *in, ferr *e)
{
    /* a query view (proto/overlay.h) is checked against its model, answered as itself */
    const proto_service *ms = proto_overlay_is_view(svc) ? proto_service_by_stem(svc->stem) : svc;
    const proto_op *mop = ms == svc ? op : ms ? proto_op_by_name(ms, op->name) : NULL;
    long si = ms ? cset_index(ms) : -1;
    const proto_shape *ish = mop ? proto_op_input(ms, mop) : NULL;
    if (si < 0 || si >= MAX_SETS || !ish || ish->type != PT_STRUCTURE || !json_is_object(in))
        return 0;
    if (ms->protocol == PROTO_EC2 && ec2_missing(ms, ish, in, e)) return -1;
    const struct vpolicy *p = policy_of(svc);
    vwalk w = {.svc = ms, .cs = &proto_csets[si], .re = re_set(si), .skip = p ? p->skip : 0};
    if (!w.re) return ferr_oom(e);
    proto_vctx_init(&w.v, svc);
    check_struct(&w, ish, in, 0);
    int rc = w.oom ? ferr_oom(e) : proto_vctx_finish(&w.v, e);
    proto_vctx_dispose(&w.v);
    return rc;
}
