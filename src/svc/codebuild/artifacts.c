/* Artifacts selection and zip (see artifacts.h).
 *
 * The tree under the base directory is walked once (without following symlinked
 * directories: they could loop or lead outside), and every regular file's path relative to
 * the base is matched against the globs: `*`, `?` and `[...]` inside one path component (as
 * fnmatch with FNM_PATHNAME), `**` as a whole component matching any number of them. A
 * symlink to a file is taken only when its target, resolved, lies inside src_dir. */
#include "artifacts.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/zip.h"

#define CB_MAX_DEPTH 64       /* directories below the base directory */
#define CB_MAX_FILES 1000000u /* files selected; a build's tree larger than that is refused */

/* AWS words a malformed section as the buildspec parser does: YAML_FILE_ERROR and the key. */
static int yaml_error(ferr *e, const char *fmt, const char *key)
{
    ferr_set(e, 400, "YAML_FILE_ERROR", fmt, key);
    return -1;
}

#define CB_MAX_PARTS (CB_MAX_DEPTH + 2)

/* Matches path components p[0..np) against pattern components g[0..ng), both at most
 * CB_MAX_PARTS: m[i][j] says whether g[i..] matches p[j..], filled from the end, so a
 * pattern of many `**` costs ng * np component matches, never a backtracking search. */
static int match_parts(char **g, size_t ng, char **p, size_t np)
{
    unsigned char m[CB_MAX_PARTS + 1][CB_MAX_PARTS + 1];
    for (size_t j = 0; j <= np; j++) m[ng][j] = j == np;
    for (size_t i = ng; i-- > 0;)
        for (size_t j = np + 1; j-- > 0;)
            m[i][j] = !strcmp(g[i], "**") ? m[i + 1][j] || (j < np && m[i][j + 1])
                                          : j < np && m[i + 1][j + 1] && !fnmatch(g[i], p[j], 0);
    return m[0][0];
}

/* Splits s (modified in place) on '/', dropping empty and "." components. *n parts in
 * parts[max]; -1 when there are more, or a ".." (a glob never leaves its base). */
static int split(char *s, char **parts, size_t max, size_t *n)
{
    *n = 0;
    for (char *save = NULL, *t = strtok_r(s, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) continue;
        if (!strcmp(t, "..") || *n == max) return -1;
        parts[(*n)++] = t;
    }
    return 0;
}

/* 1 when rel (a path relative to the base) matches glob. */
static int glob_match(const char *glob, const char *rel)
{
    char *gs = strdup(glob), *ps = strdup(rel);
    char *g[CB_MAX_PARTS], *p[CB_MAX_PARTS];
    size_t ng, np;
    int m = gs && ps && !split(gs, g, CB_MAX_PARTS, &ng) && !split(ps, p, CB_MAX_PARTS, &np) &&
            ng && match_parts(g, ng, p, np);
    free(gs), free(ps);
    return m;
}

/* A list of strings from spec[key]: a sequence of strings (a lone string is one). NULL and
 * *n 0 when absent; -1 when it is something else. */
static int str_list(const json_t *spec, const char *key, const char *label, const json_t **arr,
                    size_t *n, ferr *e)
{
    const json_t *v = json_object_get(spec, key);
    *arr = NULL, *n = 0;
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v)) {
        *arr = v, *n = 1;
        return 0;
    }
    if (!json_is_array(v)) return yaml_error(e, "Expected %s to be of type string array", label);
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i)))
            return yaml_error(e, "Expected %s to be of type string array", label);
    *arr = v, *n = json_array_size(v);
    return 0;
}

static const char *list_at(const json_t *arr, size_t i)
{
    return json_is_string(arr) ? json_string_value(arr) : json_string_value(json_array_get(arr, i));
}

typedef struct walk {
    const char *real_src; /* src_dir resolved */
    size_t real_len;
    const json_t *files, *excl;
    size_t nfiles, nexcl;
    int discard;
    cb_files *out;
    size_t cap;
    ferr *e;
} walk;

static int inside(const walk *w, const char *real)
{
    return !strncmp(real, w->real_src, w->real_len) &&
           (real[w->real_len] == '/' || real[w->real_len] == 0);
}

static int add_file(walk *w, const char *path, const char *rel)
{
    int hit = 0;
    for (size_t i = 0; i < w->nfiles && !hit; i++) hit = glob_match(list_at(w->files, i), rel);
    for (size_t i = 0; i < w->nexcl && hit; i++) hit = !glob_match(list_at(w->excl, i), rel);
    if (!hit) return 0;
    const char *name = rel;
    if (w->discard) {
        const char *sl = strrchr(rel, '/');
        if (sl) name = sl + 1;
        /* AWS: with discard-paths, a later file of the same name replaces an earlier one */
        for (size_t i = 0; i < w->out->n; i++)
            if (!strcmp(w->out->names[i], name)) {
                char *p = strdup(path);
                if (!p) return ferr_oom(w->e);
                free(w->out->paths[i]);
                w->out->paths[i] = p;
                return 0;
            }
    }
    if (w->out->n >= CB_MAX_FILES)
        return ferr_set(w->e, 400, "CLIENT_ERROR", "too many artifact files (more than %u)",
                        CB_MAX_FILES);
    if (w->out->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        char **p = realloc(w->out->paths, cap * sizeof(*p));
        if (!p) return ferr_oom(w->e);
        w->out->paths = p;
        char **q = realloc(w->out->names, cap * sizeof(*q));
        if (!q) return ferr_oom(w->e);
        w->out->names = q;
        w->cap = cap;
    }
    char *p = strdup(path), *q = strdup(name);
    if (!p || !q) {
        free(p), free(q);
        return ferr_oom(w->e);
    }
    w->out->paths[w->out->n] = p, w->out->names[w->out->n++] = q;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks dir (rel: its path relative to the base, "" for the base) in name order. */
static int walk_dir(walk *w, const char *dir, const char *rel, int depth)
{
    if (depth > CB_MAX_DEPTH) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0; /* unreadable: nothing selected from it, as a missing one */
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof(*p));
            if (!p) {
                rc = ferr_oom(w->e);
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = ferr_oom(w->e);
            break;
        }
        n++;
    }
    closedir(d);
    if (!rc) qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n && !rc; i++) {
        char *path = NULL, *r = NULL;
        if (asprintf(&path, "%s/%s", dir, names[i]) < 0) path = NULL;
        if (asprintf(&r, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0) r = NULL;
        struct stat st;
        if (!path || !r)
            rc = ferr_oom(w->e);
        else if (lstat(path, &st))
            ;
        else if (S_ISDIR(st.st_mode))
            rc = walk_dir(w, path, r, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = add_file(w, path, r);
        else if (S_ISLNK(st.st_mode)) {
            char real[PATH_MAX];
            /* a link to a file inside the source directory only: never outside it */
            if (realpath(path, real) && inside(w, real) && !stat(real, &st) && S_ISREG(st.st_mode))
                rc = add_file(w, real, r);
        }
        free(path), free(r);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* yes/no as the buildspec has it (YAML 1.2 leaves yes a string), or a boolean. */
static int yes_no(const json_t *spec, const char *key, const char *label, int *out, ferr *e)
{
    const json_t *v = json_object_get(spec, key);
    *out = 0;
    if (!v || json_is_null(v)) return 0;
    if (json_is_boolean(v)) return *out = json_is_true(v), 0;
    const char *s = json_string_value(v);
    if (s && (!strcasecmp(s, "yes") || !strcasecmp(s, "true"))) return *out = 1, 0;
    if (s && (!strcasecmp(s, "no") || !strcasecmp(s, "false"))) return 0;
    return yaml_error(e, "Expected %s to be of type yes/no", label);
}

/* The base directories base (a glob relative to src) names, walked in turn. */
static int walk_bases(walk *w, const char *src, const char *base)
{
    char *b = strdup(base), *parts[CB_MAX_PARTS];
    size_t np;
    if (!b) return ferr_oom(w->e);
    int bad = split(b, parts, CB_MAX_PARTS, &np);
    if (bad || base[0] == '/') {
        free(b);
        return ferr_set(w->e, 400, "CLIENT_ERROR",
                        "invalid base-directory %s: it must lie inside the source directory", base);
    }
    int glob = strpbrk(base, "*?[") != NULL, rc = 0;
    if (!glob) {
        char *dir = NULL;
        size_t len = strlen(src) + 1;
        for (size_t i = 0; i < np; i++) len += strlen(parts[i]) + 1;
        if ((dir = malloc(len))) {
            strcpy(dir, src);
            for (size_t i = 0; i < np; i++) strcat(strcat(dir, "/"), parts[i]);
            char real[PATH_MAX];
            /* a base directory reached through a symlink must still be inside */
            if (realpath(dir, real) && inside(w, real)) rc = walk_dir(w, dir, "", 0);
        } else {
            rc = ferr_oom(w->e);
        }
        free(dir), free(b);
        return rc;
    }
    free(b);
    /* a glob: every directory under src it matches (symlinked directories not followed) */
    typedef struct {
        char *path, *rel;
    } ent;
    ent *stack = NULL;
    size_t ns = 0, cs = 0;
    char *root = strdup(src);
    if (!root) return ferr_oom(w->e);
    stack = malloc(sizeof(*stack)), cs = 1;
    if (!stack) return free(root), ferr_oom(w->e);
    stack[ns++] = (ent){root, strdup("")};
    while (ns && !rc) {
        ent cur = stack[--ns];
        if (!cur.rel) {
            free(cur.path);
            rc = ferr_oom(w->e);
            break;
        }
        if (*cur.rel && glob_match(base, cur.rel)) rc = walk_dir(w, cur.path, "", 0);
        DIR *d = !rc && strlen(cur.rel) < PATH_MAX / 2 ? opendir(cur.path) : NULL;
        for (struct dirent *de; d && !rc && (de = readdir(d));) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char *p = NULL, *r = NULL;
            struct stat st;
            if (asprintf(&p, "%s/%s", cur.path, de->d_name) < 0) p = NULL;
            if (asprintf(&r, "%s%s%s", cur.rel, *cur.rel ? "/" : "", de->d_name) < 0) r = NULL;
            if (!p || !r || lstat(p, &st) || !S_ISDIR(st.st_mode)) {
                if (!p || !r) rc = ferr_oom(w->e);
                free(p), free(r);
                continue;
            }
            if (ns == cs) {
                ent *s2 = realloc(stack, (cs *= 2) * sizeof(*s2));
                if (!s2) {
                    free(p), free(r);
                    rc = ferr_oom(w->e);
                    break;
                }
                stack = s2;
            }
            stack[ns++] = (ent){p, r};
        }
        if (d) closedir(d);
        free(cur.path), free(cur.rel);
    }
    while (ns) free(stack[ns - 1].path), free(stack[ns - 1].rel), ns--;
    free(stack);
    return rc;
}

int cb_artifacts_select(const char *src_dir, const json_t *spec, cb_files *out, ferr *e)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(spec)) return yaml_error(e, "Expected %s to be of type map", "artifacts");
    walk w = {.out = out, .e = e};
    if (str_list(spec, "files", "Files", &w.files, &w.nfiles, e) ||
        str_list(spec, "exclude-paths", "ExcludePaths", &w.excl, &w.nexcl, e) ||
        yes_no(spec, "discard-paths", "DiscardPaths", &w.discard, e))
        return -1;
    const json_t *bd = json_object_get(spec, "base-directory");
    if (bd && !json_is_null(bd) && !json_is_string(bd))
        return yaml_error(e, "Expected %s to be of type string", "BaseDirectory");
    if (!w.nfiles) return yaml_error(e, "%s is required in artifacts", "files");
    char real[PATH_MAX];
    if (!realpath(src_dir, real))
        return ferr_set(e, 400, "CLIENT_ERROR", "source directory %s: %s", src_dir,
                        strerror(errno));
    w.real_src = real, w.real_len = strlen(real);
    const char *base = json_string_value(bd);
    int rc = base && *base ? walk_bases(&w, real, base) : walk_dir(&w, real, "", 0);
    if (!rc && !out->n) rc = ferr_set(e, 400, "CLIENT_ERROR", "no matching artifact paths found");
    if (rc) cb_files_clear(out);
    return rc;
}

void cb_files_clear(cb_files *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->paths[i]), free(f->names[i]);
    free(f->paths), free(f->names);
    f->n = 0, f->paths = f->names = NULL;
}

int cb_artifacts_zip(const cb_files *f, const char *zip_path, ferr *e)
{
    return zipar_write_files((const char *const *)f->paths, (const char *const *)f->names, f->n,
                             zip_path, e);
}
