/* Blob store front: ids, digests as the bytes stream, ranges and the sweep (blob.h); the
 * backend keeps the bytes. */
#include "blob.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "base/ids.h"

struct blob_store {
    const blob_backend *be;
    void *impl;
    int durable; /* STORE_SYNC_FULL */
};

/* MD5 runs at about half the speed of SHA-256 and below the disk's: on a large write a
 * helper thread of the writer hashes MD5 while the caller hashes SHA-256 and writes, so one
 * upload streams at the speed of the slower half instead of the sum of all. */
#define HELPER_MIN (256 * 1024)

typedef struct md5_helper {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const void *p; /* the piece to hash, NULL when done */
    size_t n;
    int quit;
} md5_helper;

struct blob_writer {
    blob_store *bs;
    void *w;
    char id[BLOB_ID_LEN + 1];
    unsigned flags;
    uint64_t size;
    EVP_MD_CTX *md5, *sha256;
    uint32_t crc32, crc32c;
    int md5_ok;         /* 0 once the helper's EVP_DigestUpdate failed */
    md5_helper *helper; /* started on the first large write; NULL: none (or none could start) */
    struct seal *seal;  /* NULL: plaintext */
};

struct blob_reader {
    blob_store *bs;
    void *r;
    uint64_t size, pos, end;
    struct seal *seal; /* NULL: plaintext */
};

/* At-rest sealing (blob.h): AES-256-GCM per BLOB_SEAL_CHUNK of plaintext, each chunk
 * followed by its tag. A writer holds one chunk until it knows whether it is the last; a
 * reader holds the chunk it last opened. Chunks are sealed and opened in place, in a buffer
 * no larger than the blob needs: most objects are far smaller than a chunk, and zeroing
 * and cleansing two whole chunks per request showed in profiles. */
#define CHUNK    BLOB_SEAL_CHUNK
#define TAG      16
#define SEALED_N (CHUNK + TAG)
#define BUF_MIN  4096

typedef struct seal {
    blob_key key;
    char id[BLOB_ID_LEN + 1];
    EVP_CIPHER_CTX *cx;
    uint64_t chunk;     /* writer: the next chunk's index; reader: the one in buf */
    size_t fill;        /* plaintext bytes in buf */
    int have;           /* reader: buf holds chunk, opened */
    unsigned char *buf; /* cap + TAG bytes: a chunk's plaintext, or sealed with its tag */
    size_t cap;         /* at most CHUNK */
} seal;

static void seal_free(seal *z)
{
    if (!z) return;
    EVP_CIPHER_CTX_free(z->cx);
    if (z->buf) OPENSSL_cleanse(z->buf, z->cap + TAG); /* plaintext */
    free(z->buf);
    OPENSSL_cleanse(z, sizeof(*z)); /* the data key */
    free(z);
}

/* buf holds at least need (<= CHUNK) plaintext bytes and a tag, keeping the fill it has */
static int seal_reserve(seal *z, size_t need, ferr *e)
{
    if (z->buf && need <= z->cap) return 0;
    size_t cap = z->cap * 2 > need ? z->cap * 2 : need;
    if (cap < BUF_MIN) cap = BUF_MIN;
    if (cap > CHUNK) cap = CHUNK;
    unsigned char *b = malloc(cap + TAG);
    if (!b) return ferr_oom(e);
    if (z->buf) {
        memcpy(b, z->buf, z->fill);
        OPENSSL_cleanse(z->buf, z->cap + TAG);
        free(z->buf);
    }
    z->buf = b;
    z->cap = cap;
    return 0;
}

static seal *seal_new(const blob_key *key, const char *id, ferr *e)
{
    seal *z = calloc(1, sizeof(*z));
    if (!z || !(z->cx = EVP_CIPHER_CTX_new())) {
        free(z);
        ferr_oom(e);
        return NULL;
    }
    z->key = *key;
    memcpy(z->id, id, sizeof(z->id));
    return z;
}

/* nonce = prefix || i, AAD = id || i || final: chunks cannot move, swap blobs or be cut */
static int seal_init(seal *z, uint64_t i, int final, int enc)
{
    unsigned char iv[12], aad[BLOB_ID_LEN + 9];
    memcpy(iv, z->key.nonce_prefix, 4);
    memcpy(aad, z->id, BLOB_ID_LEN);
    for (int b = 0; b < 8; b++)
        iv[4 + b] = aad[BLOB_ID_LEN + b] = (unsigned char)(i >> (56 - 8 * b));
    aad[BLOB_ID_LEN + 8] = (unsigned char) final;
    int len;
    return EVP_CipherInit_ex(z->cx, enc_evp_aes_256_gcm(), NULL, z->key.key, iv, enc) == 1 &&
           EVP_CipherUpdate(z->cx, NULL, &len, aad, sizeof(aad)) == 1;
}

/* seals buf[0, fill) in place as chunk z->chunk, its tag after it */
static int seal_chunk(seal *z, int final, ferr *e)
{
    int len;
    if (!seal_init(z, z->chunk, final, 1) ||
        (z->fill && EVP_CipherUpdate(z->cx, z->buf, &len, z->buf, (int)z->fill) != 1) ||
        EVP_CipherFinal_ex(z->cx, z->buf + z->fill, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(z->cx, EVP_CTRL_GCM_GET_TAG, TAG, z->buf + z->fill) != 1)
        return ferr_internal(e, "blob sealing failed");
    return 0;
}

/* opens buf[0, n + TAG) in place as chunk i: n plaintext bytes in buf */
static int open_chunk(seal *z, uint64_t i, size_t n, int final, ferr *e)
{
    int len;
    z->have = 0;
    if (!seal_init(z, i, final, 0) ||
        (n && EVP_CipherUpdate(z->cx, z->buf, &len, z->buf, (int)n) != 1) ||
        EVP_CIPHER_CTX_ctrl(z->cx, EVP_CTRL_GCM_SET_TAG, TAG, z->buf + n) != 1 ||
        EVP_CipherFinal_ex(z->cx, z->buf + n, &len) != 1)
        return ferr_internal(e, "blob failed authentication (wrong key, or altered at rest)");
    z->chunk = i;
    z->fill = n;
    z->have = 1;
    return 0;
}

/* the plaintext size of a sealed blob of stored bytes: every chunk carries a tag and there
 * is always a last one, empty for an empty blob; -1 for a size no sealed blob has */
static int64_t sealed_plain_size(uint64_t stored)
{
    uint64_t chunks = (stored + SEALED_N - 1) / SEALED_N;
    if (!chunks || stored - (chunks - 1) * SEALED_N < TAG) return -1;
    return (int64_t)(stored - chunks * TAG);
}

/* CRC32 (zlib's, reflected 0xEDB88320) and CRC32C (Castagnoli, 0x82F63B78), slice-by-8:
 * zlib is not linked, and byte-at-a-time tables run well below the disk's speed. */
static uint32_t crc_tab[2][8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    static const uint32_t poly[2] = {0xEDB88320u, 0x82F63B78u};
    for (int k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int j = 0; j < 8; j++) c = (c & 1) ? (c >> 1) ^ poly[k] : c >> 1;
            crc_tab[k][0][i] = c;
        }
        for (int i = 0; i < 256; i++)
            for (int s = 1; s < 8; s++)
                crc_tab[k][s][i] =
                    (crc_tab[k][s - 1][i] >> 8) ^ crc_tab[k][0][crc_tab[k][s - 1][i] & 0xff];
    }
}

static uint32_t crc_run(int k, uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    uint32_t(*t)[256] = crc_tab[k];
    const unsigned char *b = p;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo = c ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                           (uint32_t)b[3] << 24);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]];
        b += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ *b++) & 0xff];
    return ~c;
}

uint32_t blob_crc32(uint32_t crc, const void *p, size_t n)
{
    return crc_run(0, crc, p, n);
}

uint32_t blob_crc32c(uint32_t crc, const void *p, size_t n)
{
    return crc_run(1, crc, p, n);
}

/* Ids come from outside (documents, requests): only our own shape reaches a backend, so a
 * path-building backend never sees "../". */
static int id_ok(const char *id)
{
    if (!id || strlen(id) != BLOB_ID_LEN) return 0;
    for (const char *c = id; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return 0;
    return 1;
}

blob_store *blob_store_open(const blob_backend *backend, const char *location, store_sync sync,
                            ferr *e)
{
    blob_store *bs = calloc(1, sizeof(*bs));
    if (!bs) {
        ferr_oom(e);
        return NULL;
    }
    bs->be = backend ? backend : &blob_files_backend;
    bs->durable = sync == STORE_SYNC_FULL;
    bs->impl = bs->be->open(location, e);
    if (!bs->impl) {
        free(bs);
        return NULL;
    }
    return bs;
}

void blob_store_close(blob_store *bs)
{
    if (!bs) return;
    bs->be->close(bs->impl);
    free(bs);
}

static void *md5_helper_main(void *arg)
{
    blob_writer *w = arg;
    md5_helper *h = w->helper;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->p && !h->quit) pthread_cond_wait(&h->cv, &h->mu);
        if (h->quit) break;
        const void *p = h->p;
        size_t n = h->n;
        pthread_mutex_unlock(&h->mu);
        if (!EVP_DigestUpdate(w->md5, p, n)) w->md5_ok = 0;
        pthread_mutex_lock(&h->mu);
        h->p = NULL;
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

/* 0 started, -1 not (the writer hashes MD5 itself then) */
static int md5_helper_start(blob_writer *w)
{
    md5_helper *h = calloc(1, sizeof(*h));
    if (!h) return -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    w->helper = h;
    if (pthread_create(&h->th, NULL, md5_helper_main, w) != 0) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        free(h);
        w->helper = NULL;
        return -1;
    }
    return 0;
}

static void md5_helper_post(md5_helper *h, const void *p, size_t n)
{
    pthread_mutex_lock(&h->mu);
    h->p = p;
    h->n = n;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void md5_helper_wait(md5_helper *h)
{
    pthread_mutex_lock(&h->mu);
    while (h->p) pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void md5_helper_stop(md5_helper *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->quit = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static void writer_free(blob_writer *w)
{
    md5_helper_stop(w->helper);
    seal_free(w->seal);
    EVP_MD_CTX_free(w->md5);
    EVP_MD_CTX_free(w->sha256);
    free(w);
}

int blob_writer_new(blob_store *bs, unsigned flags, const blob_key *key, blob_writer **out, ferr *e)
{
    *out = NULL;
    blob_writer *w = calloc(1, sizeof(*w));
    if (!w) return ferr_oom(e);
    w->bs = bs;
    w->flags = flags;
    w->md5_ok = 1;
    w->md5 = EVP_MD_CTX_new();
    w->sha256 = flags & BLOB_SHA256 ? EVP_MD_CTX_new() : NULL;
    if (!w->md5 || !EVP_DigestInit_ex(w->md5, enc_evp_md5(), NULL) ||
        ((flags & BLOB_SHA256) &&
         (!w->sha256 || !EVP_DigestInit_ex(w->sha256, enc_evp_sha256(), NULL)))) {
        writer_free(w);
        return ferr_internal(e, "blob digests unavailable");
    }
    ids_hex(w->id, BLOB_ID_LEN);
    w->w = bs->be->create(bs->impl, w->id, e); /* first: it may choose the id sealing binds */
    if (!w->w) {
        writer_free(w);
        return -1;
    }
    if (key && !(w->seal = seal_new(key, w->id, e))) {
        blob_writer_abort(w);
        return -1;
    }
    *out = w;
    return 0;
}

/* seals what the writer holds as its next chunk and passes it on */
static int seal_flush(blob_writer *w, int final, ferr *e)
{
    seal *z = w->seal;
    if (seal_reserve(z, 0, e) < 0 || seal_chunk(z, final, e) < 0 ||
        w->bs->be->write(w->w, z->buf, z->fill + TAG, e) < 0)
        return -1;
    z->chunk++;
    z->fill = 0;
    return 0;
}

static int seal_feed(blob_writer *w, const void *p, size_t n, ferr *e)
{
    seal *z = w->seal;
    const unsigned char *b = p;
    while (n) {
        /* a full chunk is sealed only when more bytes show it is not the last */
        if (z->fill == CHUNK && seal_flush(w, 0, e) < 0) return -1;
        size_t k = CHUNK - z->fill < n ? CHUNK - z->fill : n;
        if (seal_reserve(z, z->fill + k, e) < 0) return -1;
        memcpy(z->buf + z->fill, b, k);
        z->fill += k;
        b += k;
        n -= k;
    }
    return 0;
}

int blob_write(blob_writer *w, const void *p, size_t n, ferr *e)
{
    if (!n) return 0;
    int helped = n >= HELPER_MIN && (w->helper || md5_helper_start(w) == 0);
    if (helped)
        md5_helper_post(w->helper, p, n);
    else if (!EVP_DigestUpdate(w->md5, p, n))
        w->md5_ok = 0;
    int ok = !w->sha256 || EVP_DigestUpdate(w->sha256, p, n);
    if (w->flags & BLOB_CRC32) w->crc32 = blob_crc32(w->crc32, p, n);
    if (w->flags & BLOB_CRC32C) w->crc32c = blob_crc32c(w->crc32c, p, n);
    int rc = w->seal ? seal_feed(w, p, n, e) : w->bs->be->write(w->w, p, n, e);
    if (helped) md5_helper_wait(w->helper); /* p is the caller's again when we return */
    if (rc < 0) return -1;
    if (!ok || !w->md5_ok) return ferr_internal(e, "blob digest failed");
    w->size += n;
    return 0;
}

int blob_writer_commit(blob_writer *w, blob_info *info, ferr *e)
{
    memset(info, 0, sizeof(*info));
    if (!w->md5_ok || !EVP_DigestFinal_ex(w->md5, info->md5, NULL) ||
        (w->sha256 && !EVP_DigestFinal_ex(w->sha256, info->sha256, NULL))) {
        blob_writer_abort(w);
        return ferr_internal(e, "blob digest failed");
    }
    if (w->seal && seal_flush(w, 1, e) < 0) {
        blob_writer_abort(w);
        return -1;
    }
    int rc = w->bs->be->commit(w->bs->impl, w->w, w->bs->durable, e);
    if (rc == 0) {
        memcpy(info->id, w->id, sizeof(info->id));
        info->size = w->size;
        info->crc32 = w->crc32;
        info->crc32c = w->crc32c;
    }
    writer_free(w);
    return rc;
}

void blob_writer_abort(blob_writer *w)
{
    if (!w) return;
    w->bs->be->abort(w->bs->impl, w->w);
    writer_free(w);
}

int blob_reader_new(blob_store *bs, const char *id, const blob_key *key, uint64_t off, uint64_t len,
                    blob_reader **out, ferr *e)
{
    *out = NULL;
    if (!id_ok(id)) return 0;
    blob_reader *r = calloc(1, sizeof(*r));
    if (!r) return ferr_oom(e);
    r->bs = bs;
    int rc = bs->be->open_read(bs->impl, id, &r->r, &r->size, e);
    if (rc <= 0) {
        free(r);
        return rc;
    }
    if (key) {
        int64_t plain = sealed_plain_size(r->size);
        if (plain < 0 || !(r->seal = seal_new(key, id, e))) {
            if (plain < 0) ferr_internal(e, "blob %s is not sealed", id);
            blob_reader_free(r);
            return -1;
        }
        r->size = (uint64_t)plain;
    }
    /* AWS: a first byte past the end is 416 InvalidRange; an empty object has no range */
    if (off > r->size || (off == r->size && len > 0 && !(off == 0 && len == BLOB_TO_END))) {
        blob_reader_free(r);
        return ferr_set(e, 416, "InvalidRange", "The requested range is not satisfiable");
    }
    r->pos = off;
    r->end = len > r->size - off ? r->size : off + len;
    *out = r;
    return 1;
}

uint64_t blob_reader_size(const blob_reader *r)
{
    return r->size;
}

uint64_t blob_reader_remaining(const blob_reader *r)
{
    return r->end - r->pos;
}

/* exactly n bytes at off, or an error: the size was known when the reader opened */
static int read_full(blob_reader *r, void *p, size_t n, uint64_t off, ferr *e)
{
    for (size_t have = 0, got; have < n; have += got) {
        if (r->bs->be->pread(r->r, (char *)p + have, n - have, off + have, &got, e) < 0) return -1;
        if (!got) return ferr_internal(e, "blob shorter than its size"); /* it shrank */
    }
    return 0;
}

int blob_read(blob_reader *r, void *p, size_t n, size_t *got, ferr *e)
{
    *got = 0;
    if (n > r->end - r->pos) n = (size_t)(r->end - r->pos);
    if (!n) return 0;
    seal *z = r->seal;
    if (!z) {
        if (r->bs->be->pread(r->r, p, n, r->pos, got, e) < 0) return -1;
        if (*got == 0) return ferr_internal(e, "blob shorter than its size");
        r->pos += *got;
        return 0;
    }
    /* sealed: the chunk holding pos, opened once, then copied out from */
    uint64_t i = r->pos / CHUNK, last = r->size ? (r->size - 1) / CHUNK : 0;
    if (!z->have || z->chunk != i) {
        size_t len = i == last ? (size_t)(r->size - i * CHUNK) : CHUNK;
        if (seal_reserve(z, len, e) < 0 || read_full(r, z->buf, len + TAG, i * SEALED_N, e) < 0 ||
            open_chunk(z, i, len, i == last, e) < 0)
            return -1;
    }
    size_t at = (size_t)(r->pos - i * CHUNK);
    if (n > z->fill - at) n = z->fill - at;
    memcpy(p, z->buf + at, n);
    *got = n;
    r->pos += n;
    return 0;
}

void blob_reader_free(blob_reader *r)
{
    if (!r) return;
    r->bs->be->close_read(r->r);
    seal_free(r->seal);
    free(r);
}

int blob_delete(blob_store *bs, const char *id, ferr *e)
{
    if (!id_ok(id)) return 0;
    return bs->be->remove(bs->impl, id, 0, e);
}

typedef struct sweep_ctx {
    blob_store *bs;
    double cutoff;
    blob_ref_cb referenced;
    void *ud;
    blob_sweep_stats st;
} sweep_ctx;

static int sweep_one(void *ud, const char *id, int temporary, double mtime, ferr *e)
{
    sweep_ctx *c = ud;
    if (!id_ok(id) || mtime > c->cutoff) { /* not ours, or maybe still in someone's hands */
        c->st.kept++;
        return 0;
    }
    if (!temporary) {
        int ref = 1;
        if (c->referenced(c->ud, id, &ref, e) < 0) return -1;
        if (ref) {
            c->st.kept++;
            return 0;
        }
    }
    int rc = c->bs->be->remove(c->bs->impl, id, temporary, e);
    if (rc < 0) return -1;
    if (rc > 0 && temporary)
        c->st.temporaries++;
    else if (rc > 0)
        c->st.unreferenced++;
    return 0;
}

int blob_sweep(blob_store *bs, double now, double grace, blob_ref_cb referenced, void *ud,
               blob_sweep_stats *stats, ferr *e)
{
    sweep_ctx c = {.bs = bs, .cutoff = now - grace, .referenced = referenced, .ud = ud};
    int rc = bs->be->scan(bs->impl, sweep_one, &c, e);
    if (stats) *stats = c.st;
    return rc < 0 ? -1 : 0;
}
