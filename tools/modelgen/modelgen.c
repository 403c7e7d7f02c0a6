/* ferry-modelgen <apis-dir> <services.list> <out.c> <botocore-data-dir> <constraints.c>
 * ferry-modelgen --ops <apis-dir> <services.list> <svc-dir> <out.c> <nm> <objects...>
 *
 * Turns the aws-sdk apis/<stem>.min.json models listed in services.list into const C
 * tables (see src/proto/model.h); with --ops, into the operation tables of the services
 * ferry implements (see "operation tables" below and src/svc/svc.h). Inline shapes are flattened into the service's
 * shape table and de-duplicated by their canonical JSON (traits stripped); traits
 * live on the member refs, merged shape-level-then-ref as botocore resolves them.
 * Output is deterministic: operations sorted by name, shapes in discovery order. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "ferry-modelgen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) die("out of memory", NULL);
    return p;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) die("out of memory", NULL);
    return d;
}

/* ---- tiny string -> int hash map ---- */
typedef struct hent {
    char *key;
    int val;
    struct hent *next;
} hent;
typedef struct {
    hent *b[4096];
} hmap;

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}
static int hget(hmap *m, const char *k)
{
    for (hent *e = m->b[hash(k) & 4095]; e; e = e->next)
        if (!strcmp(e->key, k)) return e->val;
    return -1;
}
static void hput(hmap *m, const char *k, int v)
{
    hent *e = xrealloc(NULL, sizeof(*e));
    uint32_t h = hash(k) & 4095;
    e->key = xstrdup(k);
    e->val = v;
    e->next = m->b[h];
    m->b[h] = e;
}
static void hclear(hmap *m)
{
    for (int i = 0; i < 4096; i++) {
        hent *e = m->b[i];
        while (e) {
            hent *n = e->next;
            free(e->key);
            free(e);
            e = n;
        }
        m->b[i] = NULL;
    }
}

/* ---- per-service tables ---- */
typedef struct {
    const char *name, *loc_name, *xmlns, *xmlns_prefix, *query_name;
    int shape, location, tsfmt, flags;
} mem;
typedef struct {
    int type, flags, payload, nmembers, first;
} shp;

static mem *mems;
static int nmems, capmems;
static shp *shps;
static int nshps, capshps;
static json_t *named; /* the model's "shapes" */
static hmap named_idx, inline_idx;
static json_t *empty; /* {} : a string shape */

static const char *const shape_keys[] = {"type",     "members",   "member",  "key",
                                         "value",    "required",  "payload", "union",
                                         "document", "exception", NULL};

static int is_shape_key(const char *k)
{
    for (int i = 0; shape_keys[i]; i++)
        if (!strcmp(k, shape_keys[i])) return 1;
    return 0;
}

static int type_of(const char *t)
{
    if (!t || !strcmp(t, "string") || !strcmp(t, "character")) return 0;
    if (!strcmp(t, "integer") || !strcmp(t, "short") || !strcmp(t, "byte")) return 1;
    if (!strcmp(t, "long")) return 2;
    if (!strcmp(t, "boolean")) return 3;
    if (!strcmp(t, "float")) return 4;
    if (!strcmp(t, "double") || !strcmp(t, "bigdecimal")) return 5;
    if (!strcmp(t, "timestamp")) return 6;
    if (!strcmp(t, "blob")) return 7;
    if (!strcmp(t, "structure")) return 8;
    if (!strcmp(t, "list")) return 9;
    if (!strcmp(t, "map")) return 10;
    die("unknown shape type", t);
    return 0;
}

static int new_shape(void)
{
    if (nshps == capshps) {
        capshps = capshps ? capshps * 2 : 256;
        shps = xrealloc(shps, sizeof(*shps) * (size_t)capshps);
    }
    memset(&shps[nshps], 0, sizeof(shp));
    shps[nshps].payload = -1;
    return nshps++;
}

static int intern_def(json_t *def, const char *named_as);

/* Merged traits: the target shape's own (if named), then the ref's. */
static void apply_traits(mem *m, json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (!strcmp(k, "locationName") && json_is_string(v)) {
            m->loc_name = json_string_value(v);
        } else if (!strcmp(k, "queryName") && json_is_string(v)) {
            m->query_name = json_string_value(v);
        } else if (!strcmp(k, "location") && json_is_string(v)) {
            const char *l = json_string_value(v);
            m->location = !strcmp(l, "header")        ? 1
                          : !strcmp(l, "headers")     ? 2
                          : !strcmp(l, "querystring") ? 3
                          : !strcmp(l, "uri")         ? 4
                          : !strcmp(l, "statusCode")  ? 5
                                                      : 0;
        } else if (!strcmp(k, "xmlNamespace")) {
            if (json_is_string(v)) {
                m->xmlns = json_string_value(v);
            } else if (json_is_object(v)) {
                m->xmlns = json_string_value(json_object_get(v, "uri"));
                m->xmlns_prefix = json_string_value(json_object_get(v, "prefix"));
            }
        } else if (!strcmp(k, "timestampFormat") && json_is_string(v)) {
            const char *f = json_string_value(v);
            m->tsfmt = !strcmp(f, "iso8601")         ? 1
                       : !strcmp(f, "rfc822")        ? 2
                       : !strcmp(f, "unixTimestamp") ? 3
                                                     : 0;
        } else if (json_is_true(v)) {
            if (!strcmp(k, "flattened"))
                m->flags |= 1 << 1;
            else if (!strcmp(k, "xmlAttribute"))
                m->flags |= 1 << 2;
            else if (!strcmp(k, "jsonvalue"))
                m->flags |= 1 << 3;
            else if (!strcmp(k, "idempotencyToken"))
                m->flags |= 1 << 4;
            else if (!strcmp(k, "hostLabel"))
                m->flags |= 1 << 5;
            else if (!strcmp(k, "streaming"))
                m->flags |= 1 << 6;
            else if (!strcmp(k, "eventstream"))
                m->flags |= 1 << 7;
        }
    }
}

/* Resolves a ref ({"shape":"S4", traits} or an inline definition) into a member
 * record (not yet placed in the members table). */
static mem resolve_ref(json_t *ref, const char *name)
{
    mem m = {0};
    m.name = name;
    json_t *sname = json_object_get(ref, "shape");
    if (json_is_string(sname)) {
        json_t *def = json_object_get(named, json_string_value(sname));
        if (!json_is_object(def)) die("dangling shape ref", json_string_value(sname));
        m.shape = intern_def(def, json_string_value(sname));
        apply_traits(&m, def);
    } else {
        m.shape = intern_def(ref, NULL);
    }
    apply_traits(&m, ref);
    return m;
}

static int push_mem(const mem *m)
{
    if (nmems == capmems) {
        capmems = capmems ? capmems * 2 : 1024;
        mems = xrealloc(mems, sizeof(*mems) * (size_t)capmems);
    }
    mems[nmems] = *m;
    return nmems++;
}

static int intern_def(json_t *def, const char *named_as)
{
    int idx;
    if (named_as) {
        if ((idx = hget(&named_idx, named_as)) >= 0) return idx;
        idx = new_shape();
        hput(&named_idx, named_as, idx);
    } else {
        /* canonical key: the shape part only, sorted, compact */
        json_t *c = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(def, k, v)
            if (is_shape_key(k)) json_object_set(c, k, v);
        char *key = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
        json_decref(c);
        if (!key) die("out of memory", NULL);
        if ((idx = hget(&inline_idx, key)) >= 0) {
            free(key);
            return idx;
        }
        idx = new_shape();
        hput(&inline_idx, key, idx);
        free(key);
    }
    int type = type_of(json_string_value(json_object_get(def, "type")));
    /* a structure without "type" never happens; "{}" is a string */
    if (!json_object_get(def, "type") && json_object_get(def, "members")) type = 8;
    int flags = 0;
    if (json_is_true(json_object_get(def, "union"))) flags |= 1;
    if (json_is_true(json_object_get(def, "document"))) flags |= 2;
    if (json_is_true(json_object_get(def, "exception"))) flags |= 4;

    size_t cap = 2 + json_object_size(json_object_get(def, "members"));
    mem *local = xrealloc(NULL, sizeof(mem) * cap);
    int n = 0, payload = -1;
    if (type == 8) {
        json_t *members = json_object_get(def, "members");
        json_t *req = json_object_get(def, "required");
        const char *pl = json_string_value(json_object_get(def, "payload"));
        const char *k;
        json_t *v;
        json_object_foreach(members, k, v) {
            local[n] = resolve_ref(v, k);
            size_t i;
            json_t *r;
            json_array_foreach(req, i, r)
                if (json_is_string(r) && !strcmp(json_string_value(r), k)) local[n].flags |= 1;
            if (pl && !strcmp(pl, k)) payload = n;
            n++;
        }
    } else if (type == 9) {
        json_t *m = json_object_get(def, "member");
        local[n++] = resolve_ref(m ? m : empty, NULL);
    } else if (type == 10) {
        json_t *kk = json_object_get(def, "key"), *vv = json_object_get(def, "value");
        local[n++] = resolve_ref(kk ? kk : empty, "key");
        local[n++] = resolve_ref(vv ? vv : empty, "value");
    }
    int first = nmems;
    for (int i = 0; i < n; i++) push_mem(&local[i]);
    free(local);
    shp *s = &shps[idx];
    s->type = type;
    s->flags = flags;
    s->payload = payload;
    s->nmembers = n;
    s->first = first;
    return idx;
}

/* ---- output ---- */
static void lit(FILE *f, const char *s)
{
    if (!s) {
        fputs("NULL", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 32 || c >= 127)
            fprintf(f, "\\%03o", c);
        else if (c == '?')
            fputs("\\?", f); /* no trigraphs */
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* ---- input constraints (botocore service-2.json) ----
 * The aws-sdk v2 .min.json models drop min/max/pattern/enum; botocore's service-2.json
 * (Debian python3-botocore) keeps them. Its shape names differ from the minified ones,
 * so constraints are matched by walking both models from each operation's input in
 * step, member by member, and attached to ferry's member-table entries (a member of a
 * structure, a list's item, a map's key or value). A member table entry reached from
 * botocore shapes with different constraints gets none: never stricter than AWS.
 * Written to a second generated file read by src/proto/validate.c. */
enum { CON_UNSEEN = -3, CON_CONFLICT = -2 };
/* per member, three constraint indexes (-1 none, CON_*): its value's; and when it is a list
 * or map, its items' (map: keys') and its map values'. The items' are kept on the member
 * that refers to the list because the minified models share one list shape among lists
 * whose items botocore constrains differently (a list of enum values is a list of strings). */
static int (*mcon)[3];
static json_t *bshapes; /* botocore "shapes" */
static json_t *cons;    /* distinct constraints, as JSON objects */
static hmap cons_idx, walked;

static int con_of(json_t *bdef)
{
    static const char *const keys[] = {"min", "max", "pattern", "enum", "sensitive", NULL};
    json_t *c = json_object();
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(bdef, keys[i]);
        if (v && !(json_is_false(v))) json_object_set(c, keys[i], v);
    }
    if (!json_object_size(c)) {
        json_decref(c);
        return -1;
    }
    char *key = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
    if (!key) die("out of memory", NULL);
    int idx = hget(&cons_idx, key);
    if (idx < 0) {
        idx = (int)json_array_size(cons);
        hput(&cons_idx, key, idx);
        json_array_append(cons, c);
    }
    free(key);
    json_decref(c);
    return idx;
}

static void con_walk(int shape, const char *bname, int depth);

static void con_set(int mi, int slot, int ci)
{
    if (mcon[mi][slot] == CON_UNSEEN)
        mcon[mi][slot] = ci;
    else if (mcon[mi][slot] != ci)
        mcon[mi][slot] = CON_CONFLICT;
}

/* The constraint of the botocore shape bref refers to, when it has ferry's type. */
static int con_ref(json_t *bref, int type)
{
    const char *bn = json_string_value(json_object_get(bref, "shape"));
    json_t *bdef = bn ? json_object_get(bshapes, bn) : NULL;
    const char *bt = json_string_value(json_object_get(bdef, "type"));
    if (!bt || type_of(bt) != type) return CON_CONFLICT; /* the models disagree */
    return type != 8 ? con_of(bdef) : -1;                /* structures have none */
}

/* The botocore ref bref describes ferry's member mi. */
static void con_attach(int mi, json_t *bref, int depth)
{
    const char *bn = json_string_value(json_object_get(bref, "shape"));
    json_t *bdef = bn ? json_object_get(bshapes, bn) : NULL;
    if (!json_is_object(bdef)) return;
    const shp *s = &shps[mems[mi].shape];
    int ci = con_ref(bref, s->type);
    if (ci == CON_CONFLICT) return; /* check nothing */
    con_set(mi, 0, ci);
    if (s->type == 9 && json_object_get(bdef, "member")) {
        con_set(mi, 1, con_ref(json_object_get(bdef, "member"), shps[mems[s->first].shape].type));
    } else if (s->type == 10) {
        if (json_object_get(bdef, "key"))
            con_set(mi, 1, con_ref(json_object_get(bdef, "key"), shps[mems[s->first].shape].type));
        if (json_object_get(bdef, "value"))
            con_set(mi, 2,
                    con_ref(json_object_get(bdef, "value"), shps[mems[s->first + 1].shape].type));
    }
    if (s->type >= 8) con_walk(mems[mi].shape, bn, depth + 1);
}

static void con_walk(int shape, const char *bname, int depth)
{
    char key[512];
    snprintf(key, sizeof(key), "%d/%s", shape, bname);
    if (depth > 64 || hget(&walked, key) >= 0) return;
    hput(&walked, key, 1);
    json_t *bdef = json_object_get(bshapes, bname);
    shp *s = &shps[shape];
    if (s->type == 8) {
        json_t *bm = json_object_get(bdef, "members");
        for (int i = 0; i < s->nmembers; i++) {
            json_t *bref = json_object_get(bm, mems[s->first + i].name);
            if (bref) con_attach(s->first + i, bref, depth);
        }
    } else if (s->type == 9) {
        json_t *bref = json_object_get(bdef, "member");
        if (bref) con_attach(s->first, bref, depth);
    } else if (s->type == 10) {
        json_t *bk = json_object_get(bdef, "key"), *bv = json_object_get(bdef, "value");
        if (bk) con_attach(s->first, bk, depth);
        if (bv) con_attach(s->first + 1, bv, depth);
    }
}

/* botocore's model of stem's service at the aws-sdk model's apiVersion, or exits. */
static json_t *botocore_model(const char *bdir, const char *stem, const char *api_version)
{
    char name[256], path[4096];
    size_t n = strlen(stem);
    if (n < 12 || n - 11 >= sizeof(name)) die("unexpected model stem", stem);
    memcpy(name, stem, n - 11); /* "iam-2010-05-08" -> "iam" */
    name[n - 11] = 0;
    /* the few aws-sdk stems botocore names otherwise */
    static const char *const renamed[][2] = {{"streams.dynamodb", "dynamodbstreams"},
                                             {"elasticloadbalancingv2", "elbv2"}};
    for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
        if (!strcmp(name, renamed[i][0])) snprintf(name, sizeof(name), "%s", renamed[i][1]);
    snprintf(path, sizeof(path), "%s/%s/%s/service-2.json", bdir, name, api_version);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        fprintf(stderr,
                "ferry-modelgen: the constraint source has no %s model for apiVersion %s (%s);"
                " install python3-botocore or set FERRY_BOTOCORE_DIR to a botocore data"
                " directory holding it\n",
                name, api_version, path);
        exit(1);
    }
    return root;
}

static void gen_constraints(FILE *f, int si, const char *bdir, const char *stem, json_t *md,
                            const char **names, size_t nops, const int *in)
{
    json_t *broot =
        botocore_model(bdir, stem, json_string_value(json_object_get(md, "apiVersion")));
    bshapes = json_object_get(broot, "shapes");
    json_t *bops = json_object_get(broot, "operations");
    cons = json_array();
    mcon = xrealloc(NULL, sizeof(*mcon) * (size_t)(nmems + 1));
    for (int j = 0; j < nmems; j++) mcon[j][0] = mcon[j][1] = mcon[j][2] = CON_UNSEEN;
    for (size_t i = 0; i < nops; i++) {
        const char *bn = json_string_value(
            json_object_get(json_object_get(json_object_get(bops, names[i]), "input"), "shape"));
        if (in[i] >= 0 && bn && json_is_object(json_object_get(bshapes, bn)))
            con_walk(mems[in[i]].shape, bn, 0);
    }
    fprintf(f, "\n/* %s */\n", stem);
    size_t ci;
    json_t *c;
    json_array_foreach(cons, ci, c) {
        json_t *en = json_object_get(c, "enum");
        if (!json_is_array(en)) continue;
        fprintf(f, "static const char *const e%d_%zu[] = {", si, ci);
        size_t k;
        json_t *v;
        json_array_foreach(en, k, v) {
            lit(f, json_string_value(v) ? json_string_value(v) : "");
            fputc(',', f);
        }
        fputs("};\n", f);
    }
    fprintf(f, "static const proto_constraint c%d[] = {\n", si);
    json_array_foreach(cons, ci, c) {
        json_t *mn = json_object_get(c, "min"), *mx = json_object_get(c, "max");
        json_t *en = json_object_get(c, "enum");
        int flags = (json_is_number(mn) ? 1 : 0) | (json_is_number(mx) ? 2 : 0) |
                    (json_is_true(json_object_get(c, "sensitive")) ? 4 : 0);
        fprintf(f, "  {%.17g,%.17g,%d,", json_number_value(mn), json_number_value(mx), flags);
        lit(f, json_string_value(json_object_get(c, "pattern")));
        if (json_is_array(en))
            fprintf(f, ",e%d_%zu,%zu},\n", si, ci, json_array_size(en));
        else
            fputs(",NULL,0},\n", f);
    }
    if (!json_array_size(cons)) fputs("  {0},\n", f);
    fprintf(f, "};\nstatic const proto_mcon mc%d[] = {", si);
    for (int j = 0; j < nmems; j++) {
        fputs(j % 8 ? "{" : "\n  {", f);
        for (int k = 0; k < 3; k++)
            fprintf(f, "%d%s", mcon[j][k] >= 0 ? mcon[j][k] : -1, k < 2 ? "," : "},");
    }
    if (!nmems) fputs("{-1,-1,-1}", f);
    fprintf(f, "\n};\n");
    free(mcon);
    mcon = NULL;
    hclear(&cons_idx);
    hclear(&walked);
    json_decref(cons);
    json_decref(broot);
}

static int opcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Members AWS added to a model after the pinned aws-sdk's (2.1693.0, the last release of
 * v2: its models no longer move), which current SDKs (@aws-sdk/client-*) send or read:
 * {stem, operation, member, where}. where "output": a string member of the operation's
 * output structure (a shared one: every operation returning it); otherwise the HTTP header
 * of an input member (a string). */
static const char *const additions[][4] = {
    {"lambda-2015-03-31", "GetEventSourceMapping", "EventSourceMappingArn", "output"},
    /* S3's conditional writes (2024-2025): If-Match replaces only the object with that ETag,
     * If-None-Match "*" only creates */
    {"s3-2006-03-01", "PutObject", "IfMatch", "If-Match"},
    {"s3-2006-03-01", "CompleteMultipartUpload", "IfMatch", "If-Match"},
    {"s3-2006-03-01", "CopyObject", "IfMatch", "If-Match"},
    {"s3-2006-03-01", "CopyObject", "IfNoneMatch", "If-None-Match"},
};

static void add_members(json_t *root, const char *stem)
{
    json_t *shapes = json_object_get(root, "shapes");
    for (size_t i = 0; i < sizeof(additions) / sizeof(additions[0]); i++) {
        if (strcmp(additions[i][0], stem)) continue;
        json_t *op = json_object_get(json_object_get(root, "operations"), additions[i][1]);
        int out = !strcmp(additions[i][3], "output");
        json_t *side = json_object_get(op, out ? "output" : "input");
        const char *sn = json_string_value(json_object_get(side, "shape"));
        json_t *members = json_object_get(sn ? json_object_get(shapes, sn) : side, "members");
        if (!members) die("no structure to add a member to", additions[i][1]);
        if (json_object_get(members, additions[i][2])) continue; /* the model has it now */
        /* a shape name no minified model uses ("S2c" style) */
        char name[256];
        snprintf(name, sizeof(name), "Ferry%s", additions[i][2]);
        json_object_set_new(shapes, name, json_pack("{s:s}", "type", "string"));
        json_object_set_new(members, additions[i][2],
                            out ? json_pack("{s:s}", "shape", name)
                                : json_pack("{s:s, s:s, s:s}", "shape", name, "location", "header",
                                            "locationName", additions[i][3]));
    }
}

static void gen_service(FILE *f, FILE *cf, int si, const char *dir, const char *bdir,
                        const char *stem)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.min.json", dir, stem);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) die("cannot load model", path);
    add_members(root, stem);
    named = json_object_get(root, "shapes");
    json_t *md = json_object_get(root, "metadata");
    json_t *ops = json_object_get(root, "operations");
    nmems = nshps = 0;

    size_t nops = json_object_size(ops), i = 0;
    const char **names = xrealloc(NULL, sizeof(char *) * (nops + 1));
    const char *k;
    json_t *v;
    json_object_foreach(ops, k, v) names[i++] = k;
    qsort(names, nops, sizeof(char *), opcmp);

    int *in = xrealloc(NULL, sizeof(int) * (nops + 1)),
        *out = xrealloc(NULL, sizeof(int) * (nops + 1));
    for (i = 0; i < nops; i++) {
        json_t *op = json_object_get(ops, names[i]);
        json_t *ji = json_object_get(op, "input"), *jo = json_object_get(op, "output");
        in[i] = -1;
        out[i] = -1;
        if (json_is_object(ji)) {
            mem m = resolve_ref(ji, NULL);
            in[i] = push_mem(&m);
        }
        if (json_is_object(jo)) {
            mem m = resolve_ref(jo, NULL);
            out[i] = push_mem(&m);
        }
    }

    fprintf(f, "\n/* %s */\nstatic const proto_member m%d[] = {\n", stem, si);
    for (int j = 0; j < nmems; j++) {
        mem *m = &mems[j];
        fputs("  {", f);
        lit(f, m->name);
        fputc(',', f);
        lit(f, m->loc_name);
        fputc(',', f);
        lit(f, m->xmlns);
        fputc(',', f);
        lit(f, m->xmlns_prefix);
        fprintf(f, ",%d,%d,%d,%d,", m->shape, m->location, m->tsfmt, m->flags);
        lit(f, m->query_name);
        fputs("},\n", f);
    }
    if (!nmems) fputs("  {0},\n", f);
    fprintf(f, "};\nstatic const proto_shape s%d[] = {\n", si);
    for (int j = 0; j < nshps; j++)
        fprintf(f, "  {%d,%d,%d,%d,%d},\n", shps[j].type, shps[j].flags, shps[j].payload,
                shps[j].nmembers, shps[j].first);
    fprintf(f, "};\nstatic const proto_op o%d[] = {\n", si);
    for (i = 0; i < nops; i++) {
        json_t *op = json_object_get(ops, names[i]);
        json_t *http = json_object_get(op, "http");
        const char *method = json_string_value(json_object_get(http, "method"));
        const char *uri = json_string_value(json_object_get(http, "requestUri"));
        json_t *rc = json_object_get(http, "responseCode");
        json_t *jo = json_object_get(op, "output");
        fputs("  {", f);
        lit(f, names[i]);
        fputc(',', f);
        lit(f, method ? method : "POST");
        fputc(',', f);
        lit(f, uri ? uri : "/");
        fputc(',', f);
        lit(f, json_string_value(json_object_get(jo, "resultWrapper")));
        fprintf(f, ",%d,%d,%d,%d},\n", in[i], out[i],
                json_is_integer(rc) ? (int)json_integer_value(rc) : 200,
                json_is_true(json_object_get(op, "deprecated")));
    }
    const char *proto = json_string_value(json_object_get(md, "protocol"));
    int pnum = !proto                        ? 0
               : !strcmp(proto, "query")     ? 0
               : !strcmp(proto, "ec2")       ? 1
               : !strcmp(proto, "json")      ? 2
               : !strcmp(proto, "rest-json") ? 3
               : !strcmp(proto, "rest-xml")  ? 4
                                             : -1;
    if (pnum < 0) die("unknown protocol", proto);
    const char *ep = json_string_value(json_object_get(md, "endpointPrefix"));
    const char *sn = json_string_value(json_object_get(md, "signingName"));
    fprintf(f, "};\nstatic const proto_service svc%d = {", si);
    lit(f, stem);
    fputc(',', f);
    lit(f, ep);
    fputc(',', f);
    lit(f, sn ? sn : ep);
    fputc(',', f);
    lit(f, json_string_value(json_object_get(md, "targetPrefix")));
    fputc(',', f);
    lit(f, json_string_value(json_object_get(md, "jsonVersion")));
    fputc(',', f);
    lit(f, json_string_value(json_object_get(md, "apiVersion")));
    fputc(',', f);
    lit(f, json_string_value(json_object_get(md, "xmlNamespace")));
    fputc(',', f);
    lit(f, json_string_value(json_object_get(md, "serviceId")));
    fprintf(f, ",%d,%d,o%d,%zu,s%d,%d,m%d,%d};\n", pnum,
            json_object_get(md, "awsQueryCompatible") ? 1 : 0, si, nops, si, nshps, si, nmems);
    gen_constraints(cf, si, bdir, stem, md, names, nops, in);
    free(names);
    free(in);
    free(out);
    hclear(&named_idx);
    hclear(&inline_idx);
    json_decref(root);
}

static int ops_main(int argc, char **argv);

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--ops")) return ops_main(argc - 1, argv + 1);
    if (argc != 6) {
        fprintf(stderr, "usage: ferry-modelgen <apis-dir> <services.list> <out.c> "
                        "<botocore-data-dir> <constraints-out.c>\n");
        return 2;
    }
    empty = json_object();
    FILE *lf = fopen(argv[2], "r");
    if (!lf) die("cannot open", argv[2]);
    char *stems[256];
    int n = 0;
    char line[512];
    while (fgets(line, sizeof(line), lf)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || !*p) continue;
        size_t l = strcspn(p, " \t\r\n");
        p[l] = 0;
        if (n == 256) die("too many services", NULL);
        stems[n++] = xstrdup(p);
    }
    fclose(lf);

    char tmp[4096], ctmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[3]);
    snprintf(ctmp, sizeof(ctmp), "%s.tmp", argv[5]);
    FILE *f = fopen(tmp, "w");
    if (!f) die("cannot write", tmp);
    FILE *cf = fopen(ctmp, "w");
    if (!cf) die("cannot write", ctmp);
    fputs("/* Generated by ferry-modelgen from the aws-sdk API models. Do not edit. */\n"
          "#include \"proto/model.h\"\n#include <stddef.h>\n",
          f);
    fputs("/* Generated by ferry-modelgen: input constraints from botocore's service-2.json,\n"
          " * indexed like the members of build/gen/models.c. Do not edit. */\n"
          "#include \"proto/validate.h\"\n#include <stddef.h>\n",
          cf);
    for (int i = 0; i < n; i++) gen_service(f, cf, i, argv[1], argv[4], stems[i]);
    fputs("\nconst proto_service *const proto_services[] = {\n", f);
    for (int i = 0; i < n; i++) fprintf(f, "  &svc%d,\n", i);
    if (!n) fputs("  NULL,\n", f);
    fprintf(f, "};\nconst size_t proto_nservices = %d;\n", n);
    fputs("\nconst proto_cset proto_csets[] = {\n", cf);
    for (int i = 0; i < n; i++) {
        fputs("  {", cf);
        lit(cf, stems[i]);
        fprintf(cf, ",c%d,sizeof(c%d)/sizeof(c%d[0]),mc%d,sizeof(mc%d)/sizeof(mc%d[0])},\n", i, i,
                i, i, i, i);
    }
    if (!n) fputs("  {0},\n", cf);
    fprintf(cf, "};\nconst size_t proto_ncsets = %d;\n", n);
    for (int i = 0; i < n; i++) free(stems[i]);
    free(mems);
    free(shps);
    json_decref(empty);
    if (fclose(f)) die("write failed", tmp);
    if (fclose(cf)) die("write failed", ctmp);
    if (rename(tmp, argv[3])) die("rename failed", argv[3]);
    if (rename(ctmp, argv[5])) die("rename failed", argv[5]);
    return 0;
}

/* ==== operation tables (--ops) ====
 *
 * For each line of services.list that names a folder (`<stem> <folder>`), one table with
 * every operation of the model, sorted by name: {"SendMessage", sqs_op_send_message, flags}.
 * Handlers are found in the compiled objects of src/svc/<folder>/ (nm), not in the source
 * text, so that handlers defined by macros count too:
 *   - an operation without a handler gets NULL (the gateway answers 501 NotImplemented);
 *   - a <folder>_op_* function that names no operation of the model fails the build, and
 *     so does a static one (the table could not reach it).
 * Flags: SVC_READ by the rule of src/svc/svc.h (the operation name starts with a read
 * verb), overridden by src/svc/<folder>/flags.list ("<Operation> read|write" lines);
 * SVC_UNSIGNED from "<Operation> unsigned" lines, SVC_TRAIL from "<Operation> trail". */

typedef struct {
    char *stem, *folder;
    json_t *model;
    const char **ops; /* sorted */
    char **snake;     /* <snake_case> of ops[i] */
    char **handler;   /* found handler symbol or NULL */
    unsigned *read;
    unsigned *unsig; /* flags.list "unsigned": served without a signature */
    unsigned *trail; /* flags.list "trail": reads the audit trail */
    size_t nops;
} optab;

/* CreateSAMLProvider -> create_saml_provider, GetAccountAuthorizationDetails ->
 * get_account_authorization_details: a word starts at an upper-case letter after a lower
 * case letter or digit, or at the last capital of a run followed by lower case. */
static char *snake_case(const char *s)
{
    size_t n = strlen(s);
    char *o = xrealloc(NULL, 2 * n + 1), *p = o;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int up = c >= 'A' && c <= 'Z';
        if (up && i > 0) {
            char prev = s[i - 1], next = s[i + 1];
            int prev_low = (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9');
            int prev_up = prev >= 'A' && prev <= 'Z';
            if (prev_low || (prev_up && next >= 'a' && next <= 'z')) *p++ = '_';
        }
        *p++ = up ? (char)(c - 'A' + 'a') : c;
    }
    *p = 0;
    return o;
}

/* The read-only rule of src/svc/svc.h: the name starts with one of these verbs. */
static int read_verb(const char *op)
{
    static const char *const verbs[] = {"Get",      "List",     "Describe", "Lookup", "Head",
                                        "BatchGet", "Simulate", "Validate", NULL};
    for (int i = 0; verbs[i]; i++) {
        size_t l = strlen(verbs[i]);
        if (!strncmp(op, verbs[i], l) && (op[l] == 0 || (op[l] >= 'A' && op[l] <= 'Z'))) return 1;
    }
    return 0;
}

static void optab_load(optab *t, const char *apis)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.min.json", apis, t->stem);
    json_error_t je;
    t->model = json_load_file(path, 0, &je);
    if (!t->model) die("cannot load model", path);
    json_t *ops = json_object_get(t->model, "operations");
    t->nops = json_object_size(ops);
    t->ops = xrealloc(NULL, sizeof(char *) * (t->nops + 1));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(ops, k, v) t->ops[i++] = k;
    qsort(t->ops, t->nops, sizeof(char *), opcmp);
    t->snake = xrealloc(NULL, sizeof(char *) * (t->nops + 1));
    t->handler = xrealloc(NULL, sizeof(char *) * (t->nops + 1));
    t->read = xrealloc(NULL, sizeof(unsigned) * (t->nops + 1));
    t->unsig = xrealloc(NULL, sizeof(unsigned) * (t->nops + 1));
    t->trail = xrealloc(NULL, sizeof(unsigned) * (t->nops + 1));
    for (i = 0; i < t->nops; i++) {
        t->snake[i] = snake_case(t->ops[i]);
        t->handler[i] = NULL;
        t->read[i] = (unsigned)read_verb(t->ops[i]);
        t->unsig[i] = 0;
        t->trail[i] = 0;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->snake[i], t->snake[j]))
                die("two operations have one handler name", t->snake[i]);
    }
}

static long optab_find(const optab *t, const char *op)
{
    for (size_t i = 0; i < t->nops; i++)
        if (!strcmp(t->ops[i], op)) return (long)i;
    return -1;
}

/* src/svc/<folder>/flags.list: "<Operation> read|write|unsigned|trail", '#' comments. */
static void optab_flags(optab *t, const char *svcdir)
{
    char path[4096], line[512];
    snprintf(path, sizeof(path), "%s/%s/flags.list", svcdir, t->folder);
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof(line), f)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char op[256], flag[64];
        int n = sscanf(line, "%255s %63s", op, flag);
        if (n <= 0) continue;
        long i = n == 2 ? optab_find(t, op) : -1;
        if (i < 0) {
            fprintf(stderr, "ferry-modelgen: %s: '%s' is not an operation of %s\n", path, op,
                    t->stem);
            exit(1);
        }
        if (!strcmp(flag, "read"))
            t->read[i] = 1;
        else if (!strcmp(flag, "write"))
            t->read[i] = 0;
        else if (!strcmp(flag, "unsigned"))
            t->unsig[i] = 1;
        else if (!strcmp(flag, "trail"))
            t->trail[i] = 1;
        else
            die("flags.list: the flag is read, write, unsigned or trail", flag);
    }
    fclose(f);
}

/* One nm symbol: a <folder>_op_* function either is an operation's handler or fails. */
static void optab_symbol(optab *tabs, int ntabs, const char *sym, char type)
{
    optab *t = NULL;
    size_t best = 0;
    for (int i = 0; i < ntabs; i++) {
        size_t l = strlen(tabs[i].folder);
        if (!strncmp(sym, tabs[i].folder, l) && !strncmp(sym + l, "_op_", 4) && l > best) {
            t = &tabs[i];
            best = l;
        }
    }
    if (!t) return;
    if (type != 'T' && type != 't') return; /* a reference, or data */
    const char *rest = sym + best + 4;
    long found = -1;
    for (size_t i = 0; i < t->nops && found < 0; i++)
        if (!strcmp(t->snake[i], rest)) found = (long)i;
    if (found < 0) {
        fprintf(stderr,
                "ferry-modelgen: src/svc/%s defines %s, but %s has no such operation "
                "(a handler is %s_op_<snake_case of an operation of the model>)\n",
                t->folder, sym, t->stem, t->folder);
        exit(1);
    }
    if (type == 't') {
        fprintf(stderr, "ferry-modelgen: src/svc/%s: handler %s must not be static\n", t->folder,
                sym);
        exit(1);
    }
    if (!t->handler[found]) t->handler[found] = xstrdup(sym);
}

static void optab_scan(optab *tabs, int ntabs, const char *nm, int nobj, char **objs)
{
    size_t cap = strlen(nm) + 32;
    for (int i = 0; i < nobj; i++) cap += strlen(objs[i]) + 3;
    char *cmd = xrealloc(NULL, cap), *p = cmd;
    p += sprintf(p, "'%s' -P", nm);
    for (int i = 0; i < nobj; i++) {
        if (strchr(objs[i], '\'')) die("object path with a quote", objs[i]);
        p += sprintf(p, " '%s'", objs[i]);
    }
    FILE *f = popen(cmd, "r");
    if (!f) die("cannot run", nm);
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        char sym[1024], type[8];
        if (sscanf(line, "%1023s %7s", sym, type) != 2 || strlen(type) != 1) continue;
        optab_symbol(tabs, ntabs, sym, type[0]);
    }
    if (pclose(f) != 0) die("nm failed", cmd);
    free(cmd);
}

static int ops_main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: ferry-modelgen --ops <apis-dir> <services.list> <svc-dir> <out.c> "
                        "<nm> <objects...>\n");
        return 2;
    }
    const char *apis = argv[1], *list = argv[2], *svcdir = argv[3], *outp = argv[4];
    FILE *lf = fopen(list, "r");
    if (!lf) die("cannot open", list);
    optab tabs[256];
    int n = 0;
    char line[512];
    while (fgets(line, sizeof(line), lf)) {
        char stem[256], folder[256];
        /* "<stem>" alone: routed and decoded, not implemented */
        if (sscanf(line, "%255s %255s", stem, folder) != 2 || stem[0] == '#' || folder[0] == '#')
            continue;
        for (const char *c = folder; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
                die("a folder name is [a-z0-9]+", folder);
        if (n == 256) die("too many services", NULL);
        memset(&tabs[n], 0, sizeof(tabs[n]));
        tabs[n].stem = xstrdup(stem);
        tabs[n].folder = xstrdup(folder);
        optab_load(&tabs[n], apis);
        optab_flags(&tabs[n], svcdir);
        n++;
    }
    fclose(lf);
    optab_scan(tabs, n, argv[5], argc - 6, argv + 6);

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", outp);
    FILE *f = fopen(tmp, "w");
    if (!f) die("cannot write", tmp);
    fputs("/* Generated by ferry-modelgen --ops from src/proto/services.list, the aws-sdk models\n"
          " * and the handlers compiled from src/svc/<folder>/. Do not edit. */\n"
          "#include \"svc/svc.h\"\n",
          f);
    for (int i = 0; i < n; i++) {
        optab *t = &tabs[i];
        fprintf(f, "\n/* %s: %s */\nextern const svc_def svc_%s;\n", t->folder, t->stem, t->folder);
        for (size_t j = 0; j < t->nops; j++)
            if (t->handler[j])
                fprintf(f, "int %s(call *c, json_t *in, json_t **out);\n", t->handler[j]);
        fprintf(f, "static const svc_op ops_%s[] = {\n", t->folder);
        for (size_t j = 0; j < t->nops; j++) {
            fputs("    {", f);
            lit(f, t->ops[j]);
            fprintf(f, ", %s, %s%s%s},\n", t->handler[j] ? t->handler[j] : "NULL",
                    t->read[j] ? "SVC_READ" : "0", t->unsig[j] ? " | SVC_UNSIGNED" : "",
                    t->trail[j] ? " | SVC_TRAIL" : "");
        }
        if (!t->nops) fputs("    {NULL, NULL, 0},\n", f);
        fputs("};\n", f);
    }
    fputs("\nconst svc_table svc_tables[] = {\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "    {&svc_%s, ", tabs[i].folder);
        lit(f, tabs[i].stem);
        fprintf(f, ", ops_%s, %zu},\n", tabs[i].folder, tabs[i].nops);
    }
    if (!n) fputs("    {NULL, NULL, NULL, 0},\n", f);
    fprintf(f, "};\nconst size_t svc_ntables = %d;\n", n);
    if (fclose(f)) die("write failed", tmp);
    if (rename(tmp, outp)) die("rename failed", outp);
    for (int i = 0; i < n; i++) {
        optab *t = &tabs[i];
        for (size_t j = 0; j < t->nops; j++) {
            free(t->snake[j]);
            free(t->handler[j]);
        }
        free(t->snake);
        free(t->handler);
        free(t->read);
        free(t->unsig);
        free(t->trail);
        free(t->ops);
        json_decref(t->model);
        free(t->stem);
        free(t->folder);
    }
    return 0;
}
