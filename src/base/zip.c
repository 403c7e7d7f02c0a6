/* Zip archives checked before extraction: see zip.h. */
#include "zip.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

enum { ENT_FILE, ENT_DIR, ENT_LINK };

typedef struct zent {
    char *name; /* normalised: no empty, "." or ".." components, no leading or trailing '/' */
    zip_uint64_t index;
    uint64_t size;
    int kind;
    int exec;
} zent;

struct zipar {
    zip_t *z;
    zent *ents;
    size_t n;
    uint64_t total;
};

static int unzip_error(ferr *e)
{
    return ferr_set(e, 400, "InvalidParameterValueException",
                    "Could not unzip uploaded file. Please check your file, then try to upload "
                    "again.");
}

/* The normalised path of name (malloc'd; "" for the archive's root), or NULL when it is
 * absolute or has a ".." component. */
static char *normalise(const char *name)
{
    if (name[0] == '/') return NULL;
    size_t n = strlen(name);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (const char *p = name; *p;) {
        size_t l = strcspn(p, "/");
        if (l == 2 && p[0] == '.' && p[1] == '.') {
            free(out);
            return NULL;
        }
        if (l && !(l == 1 && p[0] == '.')) {
            if (o) out[o++] = '/';
            memcpy(out + o, p, l);
            o += l;
        }
        p += l;
        if (*p) p++;
    }
    out[o] = 0;
    return out;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const zent *)a)->name, ((const zent *)b)->name);
}

/* A symlink target that cannot leave the tree: relative, no ".." component. */
static int safe_target(const char *t, size_t n)
{
    if (!n || t[0] == '/' || memchr(t, 0, n)) return 0;
    for (size_t i = 0; i < n;) {
        size_t l = 0;
        while (i + l < n && t[i + l] != '/') l++;
        if (l == 2 && t[i] == '.' && t[i + 1] == '.') return 0;
        i += l + 1;
    }
    return 1;
}

/* Reads entry ent's bytes, at most its declared size (a larger stream is refused). */
static int read_entry(zipar *z, const zent *ent, int (*sink)(void *, const void *, size_t),
                      void *ud, ferr *e)
{
    zip_file_t *f = zip_fopen_index(z->z, ent->index, 0);
    if (!f) return unzip_error(e);
    char b[65536];
    uint64_t got = 0;
    int rc = 0;
    for (;;) {
        zip_int64_t r = zip_fread(f, b, sizeof(b));
        if (r < 0 || (uint64_t)r > ent->size - got) {
            rc = unzip_error(e);
            break;
        }
        if (r == 0) break;
        got += (uint64_t)r;
        if (sink(ud, b, (size_t)r)) {
            rc = ferr_internal(e, "cannot extract %s: %s", ent->name, strerror(errno));
            break;
        }
    }
    zip_fclose(f);
    if (!rc && got != ent->size) rc = unzip_error(e);
    return rc;
}

static int check(zipar *z, uint64_t max_size, ferr *e)
{
    zip_int64_t n = zip_get_num_entries(z->z, 0);
    if (n < 0 || n > ZIPAR_MAX_ENTRIES) return unzip_error(e);
    z->ents = calloc((size_t)n + 1, sizeof(*z->ents));
    if (!z->ents) return ferr_oom(e);
    for (zip_uint64_t i = 0; i < (zip_uint64_t)n; i++) {
        zip_stat_t st;
        if (zip_stat_index(z->z, i, 0, &st) ||
            (st.valid & (ZIP_STAT_NAME | ZIP_STAT_SIZE)) != (ZIP_STAT_NAME | ZIP_STAT_SIZE))
            return unzip_error(e);
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
            return unzip_error(e);
        zent *ent = &z->ents[z->n];
        ent->name = normalise(st.name);
        if (!ent->name) return unzip_error(e);
        z->n++;
        ent->index = i;
        ent->size = st.size;
        size_t nl = strlen(st.name);
        ent->kind = nl && st.name[nl - 1] == '/' ? ENT_DIR : ENT_FILE;
        zip_uint8_t os;
        zip_uint32_t attr;
        if (!zip_file_get_external_attributes(z->z, i, 0, &os, &attr) && os == ZIP_OPSYS_UNIX) {
            mode_t m = (mode_t)(attr >> 16);
            if (S_ISLNK(m))
                ent->kind = ENT_LINK;
            else if (S_ISDIR(m))
                ent->kind = ENT_DIR;
            ent->exec = (m & 0111) != 0;
        }
        if (ent->kind == ENT_DIR && ent->size) return unzip_error(e);
        if (!ent->name[0]) {
            /* "./" or "/": the root itself, nothing to make */
            if (ent->kind != ENT_DIR) return unzip_error(e);
            free(ent->name);
            z->n--;
            continue;
        }
        if (ent->size >= max_size - z->total) { /* z->total < max_size */
            return ferr_set(e, 400, "InvalidParameterValueException",
                            "Unzipped size must be smaller than %llu bytes",
                            (unsigned long long)max_size);
        }
        z->total += ent->size;
        if (ent->kind == ENT_LINK) {
            /* the target is the entry's content: a few bytes, checked now */
            char t[4096];
            zip_file_t *f = ent->size < sizeof(t) ? zip_fopen_index(z->z, i, 0) : NULL;
            zip_int64_t r = f ? zip_fread(f, t, sizeof(t)) : -1;
            if (f) zip_fclose(f);
            if (r < 0 || (uint64_t)r != ent->size) return unzip_error(e);
            if (!safe_target(t, (size_t)r)) {
                free(ent->name);
                z->n--; /* neutralised: not extracted */
            }
        }
    }
    qsort(z->ents, z->n, sizeof(*z->ents), by_name);
    for (size_t i = 1; i < z->n; i++)
        if (!strcmp(z->ents[i - 1].name, z->ents[i].name)) return unzip_error(e);
    return 0;
}

static int open_checked(zip_t *zz, uint64_t max_size, zipar **out, ferr *e)
{
    zipar *z = calloc(1, sizeof(*z));
    if (!z) {
        zip_discard(zz);
        return ferr_oom(e);
    }
    z->z = zz;
    if (check(z, max_size, e)) {
        zipar_free(z);
        return -1;
    }
    *out = z;
    return 0;
}

int zipar_open_mem(const void *p, size_t n, uint64_t max_size, zipar **out, ferr *e)
{
    *out = NULL;
    if (!n) return unzip_error(e);
    void *copy = malloc(n);
    if (!copy) return ferr_oom(e);
    memcpy(copy, p, n);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(copy, n, 1, &ze);
    if (!src) {
        free(copy);
        zip_error_fini(&ze);
        return ferr_oom(e);
    }
    zip_t *zz = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    int code = zip_error_code_zip(&ze);
    zip_error_fini(&ze);
    if (!zz) {
        zip_source_free(src); /* frees copy */
        return code == ZIP_ER_MEMORY ? ferr_oom(e) : unzip_error(e);
    }
    return open_checked(zz, max_size, out, e);
}

int zipar_open_file(const char *path, uint64_t max_size, zipar **out, ferr *e)
{
    *out = NULL;
    int code = 0;
    zip_t *zz = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!zz) {
        if (code == ZIP_ER_MEMORY) return ferr_oom(e);
        if (code == ZIP_ER_OPEN || code == ZIP_ER_READ)
            return ferr_internal(e, "cannot read %s", path);
        return unzip_error(e);
    }
    return open_checked(zz, max_size, out, e);
}

void zipar_free(zipar *z)
{
    if (!z) return;
    for (size_t i = 0; i < z->n; i++) free(z->ents[i].name);
    free(z->ents);
    if (z->z) zip_discard(z->z);
    free(z);
}

uint64_t zipar_size(const zipar *z)
{
    return z->total;
}

size_t zipar_count(const zipar *z)
{
    return z->n;
}

int zipar_has_file(const zipar *z, const char *path)
{
    char *norm = normalise(path);
    if (!norm) return 0;
    zent key = {.name = norm};
    const zent *f = bsearch(&key, z->ents, z->n, sizeof(*z->ents), by_name);
    free(norm);
    return f && f->kind == ENT_FILE;
}

const char *zipar_file_name(const zipar *z, size_t i)
{
    return i < z->n && z->ents[i].kind == ENT_FILE ? z->ents[i].name : NULL;
}

typedef struct mem_sink {
    unsigned char *p;
    size_t n;
} mem_sink;

static int mem_put(void *ud, const void *p, size_t n)
{
    mem_sink *m = ud;
    memcpy(m->p + m->n, p, n);
    m->n += n;
    return 0;
}

int zipar_read(zipar *z, const char *path, unsigned char **out, size_t *len, ferr *e)
{
    char *norm = normalise(path);
    if (!norm) return ferr_oom(e);
    zent key = {.name = norm};
    const zent *f = bsearch(&key, z->ents, z->n, sizeof(*z->ents), by_name);
    free(norm);
    if (!f || f->kind != ENT_FILE) return 1;
    mem_sink m = {malloc(f->size + 1), 0};
    if (!m.p) return ferr_oom(e);
    if (read_entry(z, f, mem_put, &m, e)) {
        free(m.p);
        return -1;
    }
    m.p[m.n] = 0;
    *out = m.p;
    *len = m.n;
    return 0;
}

/* mkdir -p of rel's parent directories under root (rel has no "..", and the tree holds no
 * symlink yet, so nothing resolves outside root). */
static int make_parents(const char *root, const char *rel, ferr *e)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", root, rel) < 0) return ferr_oom(e);
    char *start = p + strlen(root) + 1;
    for (char *s = strchr(start, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

static int fd_sink(void *ud, const void *p, size_t n)
{
    int fd = *(int *)ud;
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

typedef struct lbuf {
    char t[4096];
    size_t n;
} lbuf;

static int link_sink(void *ud, const void *p, size_t n)
{
    lbuf *l = ud;
    if (n > sizeof(l->t) - 1 - l->n) return -1;
    memcpy(l->t + l->n, p, n);
    l->n += n;
    return 0;
}

static int extract_one(zipar *z, const char *root, const zent *ent, ferr *e)
{
    if (make_parents(root, ent->name, e)) return ferr_isset(e) ? -1 : unzip_error(e);
    char *path = NULL;
    if (asprintf(&path, "%s/%s", root, ent->name) < 0) return ferr_oom(e);
    int rc = 0;
    if (ent->kind == ENT_DIR) {
        if (mkdir(path, 0755) && errno != EEXIST) rc = unzip_error(e);
    } else if (ent->kind == ENT_LINK) {
        lbuf l = {.n = 0};
        rc = read_entry(z, ent, link_sink, &l, e);
        if (!rc) {
            l.t[l.n] = 0;
            if (symlink(l.t, path)) rc = unzip_error(e);
        }
    } else {
        /* O_EXCL|O_NOFOLLOW: a name made twice (a file and a directory of one name) fails */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      ent->exec ? 0755 : 0644);
        if (fd < 0)
            rc = unzip_error(e);
        else {
            rc = read_entry(z, ent, fd_sink, &fd, e);
            if (close(fd) && !rc) rc = ferr_internal(e, "cannot write %s", ent->name);
            /* the umask may have taken bits the package asked for */
            if (!rc && chmod(path, ent->exec ? 0755 : 0644))
                rc = ferr_internal(e, "cannot chmod %s", ent->name);
        }
    }
    free(path);
    return rc;
}

int zipar_write_mem(const char *const *names, const char *const *texts, size_t n,
                    unsigned char **out, size_t *len, ferr *e)
{
    zipar_entry *ents = calloc(n ? n : 1, sizeof(*ents));
    if (!ents) return ferr_oom(e);
    for (size_t i = 0; i < n; i++)
        ents[i] = (zipar_entry){names[i], texts[i], strlen(texts[i]), 0100644};
    int rc = zipar_write_entries(ents, n, out, len, e);
    free(ents);
    return rc;
}

int zipar_write_entries(const zipar_entry *ents, size_t n, unsigned char **out, size_t *len,
                        ferr *e)
{
    *out = NULL;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    zip_error_fini(&ze);
    if (!z) {
        zip_source_free(src);
        return ferr_oom(e);
    }
    zip_source_keep(src); /* read back after zip_close */
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        zip_source_t *f = zip_source_buffer(z, ents[i].data, ents[i].len, 0);
        zip_int64_t idx = f ? zip_file_add(z, ents[i].name, f, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            zip_source_free(f);
            rc = -1;
        } else if (zip_file_set_external_attributes(z, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                                    (zip_uint32_t)ents[i].mode << 16)) {
            rc = -1;
        }
    }
    if (rc)
        zip_discard(z);
    else if (zip_close(z)) {
        zip_discard(z);
        rc = -1;
    }
    zip_stat_t st;
    if (!rc && (zip_source_stat(src, &st) || zip_source_open(src)))
        rc = -1;
    else if (!rc) {
        *out = malloc(st.size ? st.size : 1);
        zip_int64_t got = *out ? zip_source_read(src, *out, st.size) : -1;
        zip_source_close(src);
        if (got < 0 || (zip_uint64_t)got != st.size)
            rc = -1;
        else
            *len = (size_t)st.size;
    }
    zip_source_free(src);
    if (rc) {
        free(*out);
        *out = NULL;
        return ferr_internal(e, "cannot write a zip archive");
    }
    return 0;
}

int zipar_write_files(const char *const *paths, const char *const *names, size_t n,
                      const char *zip_path, ferr *e)
{
    int zerr = 0;
    zip_t *z = zip_open(zip_path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!z) return ferr_internal(e, "cannot create %s (libzip error %d)", zip_path, zerr);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat st;
        if (stat(paths[i], &st) || !S_ISREG(st.st_mode)) {
            rc = ferr_internal(e, "cannot read %s", paths[i]);
            break;
        }
        zip_source_t *f = zip_source_file(z, paths[i], 0, -1);
        zip_int64_t idx =
            f ? zip_file_add(z, names[i], f, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) : -1;
        if (idx < 0) {
            zip_source_free(f);
            rc = ferr_internal(e, "cannot add %s to %s", names[i], zip_path);
        } else if (zip_file_set_external_attributes(z, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                                    (zip_uint32_t)(S_IFREG | (st.st_mode & 07777))
                                                        << 16)) {
            rc = ferr_internal(e, "cannot set the mode of %s", names[i]);
        }
    }
    if (rc) {
        zip_discard(z);
        return -1;
    }
    if (zip_close(z)) {
        rc = ferr_internal(e, "cannot write %s: %s", zip_path, zip_strerror(z));
        zip_discard(z);
    }
    return rc;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

int zipar_rmtree(const char *path, ferr *e)
{
    struct stat st;
    if (lstat(path, &st)) return errno == ENOENT ? 0 : ferr_internal(e, "cannot remove %s", path);
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS))
        return ferr_internal(e, "cannot remove %s: %s", path, strerror(errno));
    return 0;
}

int zipar_extract(zipar *z, const char *dir, ferr *e)
{
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp.XXXXXX", dir) < 0) return ferr_oom(e);
    if (!mkdtemp(tmp)) {
        int err = errno;
        free(tmp);
        return ferr_internal(e, "cannot create a directory beside %s: %s", dir, strerror(err));
    }
    int rc = chmod(tmp, 0755) ? ferr_internal(e, "cannot chmod %s", tmp) : 0;
    /* every file and directory first, then the links: none is written through */
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < z->n && !rc; i++)
            if ((z->ents[i].kind == ENT_LINK) == pass) rc = extract_one(z, tmp, &z->ents[i], e);
    if (!rc && rename(tmp, dir)) {
        if (errno == EEXIST || errno == ENOTEMPTY) {
            ferr ignored;
            zipar_rmtree(tmp, &ignored); /* another extraction won: its tree is the same */
        } else {
            rc = ferr_internal(e, "cannot rename into %s: %s", dir, strerror(errno));
        }
    }
    if (rc) {
        ferr ignored;
        zipar_rmtree(tmp, &ignored);
    }
    free(tmp);
    return rc;
}
