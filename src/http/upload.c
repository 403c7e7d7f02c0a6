/* The low-level SHA calls (deprecated in OpenSSL 3) cost no provider fetch per chunk, as in
 * sigv4.c. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "upload.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/enc.h"
#include "proto/chunked.h"

/* The blob writer hashes MD5 on a helper thread for pieces this large: the network's
 * small pieces are gathered first, in a buffer grown as they come (most bodies are far
 * smaller than a piece). */
#define PIECE            (256 * 1024)
#define PIECE_MIN        (16 * 1024)
#define MAX_TRAILER_TEXT 2048

typedef enum { CK_NONE, CK_CRC32, CK_CRC32C, CK_SHA1, CK_SHA256 } ck_alg;
static const char *const ck_names[] = {NULL, "CRC32", "CRC32C", "SHA1", "SHA256"};

struct upload {
    blob_store *bs;
    blob_writer *w;
    unsigned char *piece;
    size_t plen, pcap;
    /* framing */
    awschunk *chunks; /* NULL: the body is the payload */
    int signed_chunks, trailer_expected;
    sigv4_chain chain;
    SHA256_CTX chunk_sha;
    char chunk_sig[65];
    uint64_t decoded_length; /* x-amz-decoded-content-length, or UINT64_MAX */
    char trailer_text[MAX_TRAILER_TEXT];
    size_t tlen;
    int trailer_signed;
    /* what the payload must hash to */
    int have_sha256;
    unsigned char want_sha256[32];
    int have_md5;
    unsigned char want_md5[16];
    ck_alg alg;
    char *want_ck; /* base64 as sent (header now, or the trailer later) */
    SHA_CTX sha1;
    int failed;
};

static int bad_digest(ferr *e, const char *what)
{
    return ferr_set(e, 400, "BadDigest",
                    "The %s you specified did not match the calculated checksum.", what);
}

static ck_alg alg_of(const char *name)
{
    for (int i = CK_CRC32; i <= CK_SHA256; i++)
        if (!strcasecmp(name, ck_names[i])) return (ck_alg)i;
    return CK_NONE;
}

/* "x-amz-checksum-crc32" -> CK_CRC32 */
static ck_alg alg_of_header(const char *h)
{
    static const char p[] = "x-amz-checksum-";
    return strncasecmp(h, p, sizeof(p) - 1) ? CK_NONE : alg_of(h + sizeof(p) - 1);
}

static int payload(upload *u, const void *p, size_t n, ferr *e)
{
    if (u->alg == CK_SHA1) SHA1_Update(&u->sha1, p, n);
    const unsigned char *b = p;
    while (n) {
        if (!u->plen && n >= PIECE) return blob_write(u->w, b, n, e);
        size_t take = PIECE - u->plen < n ? PIECE - u->plen : n;
        if (u->plen + take > u->pcap) {
            size_t cap = u->pcap * 2 > u->plen + take ? u->pcap * 2 : u->plen + take;
            if (cap < PIECE_MIN) cap = PIECE_MIN;
            if (cap > PIECE) cap = PIECE;
            unsigned char *np = realloc(u->piece, cap);
            if (!np) return ferr_oom(e);
            u->piece = np;
            u->pcap = cap;
        }
        memcpy(u->piece + u->plen, b, take);
        u->plen += take;
        b += take;
        n -= take;
        if (u->plen == PIECE) {
            if (blob_write(u->w, u->piece, u->plen, e)) return -1;
            u->plen = 0;
        }
    }
    return 0;
}

/* ---- aws-chunked callbacks ---- */

static int on_chunk(void *ud, uint64_t size, const char *sig, ferr *e)
{
    (void)size;
    upload *u = ud;
    if (u->signed_chunks) {
        if (!sig)
            return ferr_set(e, 403, "SignatureDoesNotMatch",
                            "A chunk of a signed streaming upload carries no chunk-signature.");
        memcpy(u->chunk_sig, sig, 65);
        SHA256_Init(&u->chunk_sha);
    }
    return 0;
}

static int on_data(void *ud, const void *p, size_t n, ferr *e)
{
    upload *u = ud;
    if (u->signed_chunks) SHA256_Update(&u->chunk_sha, p, n);
    return payload(u, p, n, e);
}

static int on_chunk_end(void *ud, ferr *e)
{
    upload *u = ud;
    if (!u->signed_chunks) return 0;
    unsigned char d[32];
    SHA256_Final(d, &u->chunk_sha);
    return sigv4_chain_chunk(&u->chain, d, u->chunk_sig, e);
}

static int on_trailer(void *ud, const char *name, const char *value, ferr *e)
{
    upload *u = ud;
    if (!strcmp(name, "x-amz-trailer-signature")) {
        if (!u->signed_chunks) return 0;
        u->trailer_signed = 1;
        return sigv4_chain_trailer(&u->chain, u->trailer_text, u->tlen, value, e);
    }
    int n = snprintf(u->trailer_text + u->tlen, sizeof(u->trailer_text) - u->tlen, "%s:%s\n", name,
                     value);
    if (n < 0 || (size_t)n >= sizeof(u->trailer_text) - u->tlen)
        return ferr_set(e, 400, "MalformedTrailerError", "The request trailer is too long.");
    u->tlen += (size_t)n;
    ck_alg a = alg_of_header(name);
    if (a == CK_NONE) return 0;
    if (a != u->alg || u->want_ck)
        return ferr_set(e, 400, "MalformedTrailerError",
                        "The request contained trailing data that was not well-formed or did not "
                        "conform to our published schema.");
    u->want_ck = strdup(value);
    return u->want_ck ? 0 : ferr_oom(e);
}

/* ---- set-up from the headers ---- */

static int decode_b64(const char *v, unsigned char *out, size_t want)
{
    arena *a = arena_new(256);
    size_t n = 0;
    unsigned char *raw = a ? enc_unb64(a, v, strlen(v), &n) : NULL;
    int ok = raw && n == want;
    if (ok) memcpy(out, raw, want);
    arena_free(a);
    return ok ? 0 : -1;
}

static int framing(upload *u, const hreq *r, const sigv4_chain *chain, ferr *e)
{
    const char *cs = hreq_header(r, "x-amz-content-sha256");
    int chunked = 0;
    if (!cs || !strcmp(cs, "UNSIGNED-PAYLOAD")) {
        /* nothing to hash against (presigned URLs, open mode) */
    } else if (!strcmp(cs, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") ||
               !strcmp(cs, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")) {
        chunked = u->signed_chunks = 1;
        u->trailer_expected = cs[34] == '-';
        if (chain)
            u->chain = *chain;
        else /* open mode takes any signature: the chunks' are not checked either */
            u->signed_chunks = 0;
    } else if (!strcmp(cs, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")) {
        chunked = u->trailer_expected = 1;
    } else if (!enc_unhex(cs, u->want_sha256, 32)) {
        u->have_sha256 = 1;
    } else {
        return ferr_set(e, 400, "InvalidArgument",
                        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING- value or a "
                        "SHA-256 digest in hexadecimal.");
    }
    u->decoded_length = UINT64_MAX;
    if (chunked) {
        const char *dl = hreq_header(r, "x-amz-decoded-content-length");
        if (!dl || !*dl || strspn(dl, "0123456789") != strlen(dl))
            return ferr_set(e, 411, "MissingContentLength",
                            "You must provide the Content-Length HTTP header.");
        u->decoded_length = strtoull(dl, NULL, 10);
        static const awschunk_cb cb = {on_chunk, on_data, on_chunk_end, on_trailer};
        u->chunks = awschunk_new(&cb, u);
        if (!u->chunks) return ferr_oom(e);
    }
    return 0;
}

static int checks(upload *u, const hreq *r, ferr *e)
{
    const char *md5 = hreq_header(r, "content-md5");
    if (md5) {
        if (decode_b64(md5, u->want_md5, 16))
            return ferr_set(e, 400, "InvalidDigest", "The Content-MD5 you specified was invalid.");
        u->have_md5 = 1;
    }
    const char *tr = hreq_header(r, "x-amz-trailer");
    if (tr) {
        if (!u->trailer_expected || (u->alg = alg_of_header(tr)) == CK_NONE)
            return ferr_set(e, 400, "InvalidRequest",
                            "The value specified in the x-amz-trailer header is not supported");
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        ck_alg a = alg_of_header(r->headers[i].name);
        if (a == CK_NONE) continue;
        if (u->alg != CK_NONE)
            return ferr_set(
                e, 400, "InvalidRequest",
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are "
                "not allowed.");
        u->alg = a;
        u->want_ck = strdup(r->headers[i].value);
        if (!u->want_ck) return ferr_oom(e);
    }
    if (u->alg == CK_SHA1) SHA1_Init(&u->sha1);
    return 0;
}

upload *upload_new(blob_store *bs, const hreq *r, const blob_key *key, const sigv4_chain *chain,
                   ferr *e)
{
    upload *u = calloc(1, sizeof(*u));
    if (!u) {
        ferr_oom(e);
        return NULL;
    }
    u->bs = bs;
    if (framing(u, r, chain, e) || checks(u, r, e)) {
        upload_abort(u);
        return NULL;
    }
    unsigned flags = u->alg == CK_CRC32    ? BLOB_CRC32
                     : u->alg == CK_CRC32C ? BLOB_CRC32C
                     : u->alg == CK_SHA256 ? BLOB_SHA256
                                           : 0;
    if (u->have_sha256) flags |= BLOB_SHA256;
    if (blob_writer_new(bs, flags, key, &u->w, e)) {
        upload_abort(u);
        return NULL;
    }
    return u;
}

int upload_write(upload *u, const void *p, size_t n, ferr *e)
{
    if (u->failed) return ferr_internal(e, "upload already failed");
    int rc = u->chunks ? awschunk_feed(u->chunks, p, n, e) : payload(u, p, n, e);
    if (rc) u->failed = 1;
    if (!rc && u->decoded_length != UINT64_MAX && awschunk_decoded(u->chunks) > u->decoded_length) {
        u->failed = 1;
        rc = ferr_set(e, 400, "IncompleteBody",
                      "You did not provide the number of bytes specified by the "
                      "x-amz-decoded-content-length HTTP header.");
    }
    return rc;
}

/* The checksum of info's payload, base64, in a (arena). */
static const char *checksum_of(upload *u, const blob_info *info, arena *a)
{
    unsigned char d[32];
    size_t n = 4;
    uint32_t v = 0;
    switch (u->alg) {
    case CK_CRC32: v = info->crc32; break;
    case CK_CRC32C: v = info->crc32c; break;
    case CK_SHA1:
        SHA1_Final(d, &u->sha1);
        n = 20;
        break;
    case CK_SHA256:
        memcpy(d, info->sha256, 32);
        n = 32;
        break;
    default: return NULL;
    }
    if (n == 4) {
        d[0] = (unsigned char)(v >> 24), d[1] = (unsigned char)(v >> 16);
        d[2] = (unsigned char)(v >> 8), d[3] = (unsigned char)v;
    }
    return enc_b64(a, d, n);
}

static int verify(upload *u, const blob_info *info, call_body *out, arena *a, ferr *e)
{
    if (u->chunks) {
        if (awschunk_finish(u->chunks, e)) return -1;
        if (awschunk_decoded(u->chunks) != u->decoded_length)
            return ferr_set(e, 400, "IncompleteBody",
                            "You did not provide the number of bytes specified by the "
                            "x-amz-decoded-content-length HTTP header.");
        if (u->signed_chunks && u->trailer_expected && u->tlen && !u->trailer_signed)
            return ferr_set(e, 403, "SignatureDoesNotMatch",
                            "The trailer of a signed streaming upload carries no signature.");
    }
    if (u->have_sha256 && memcmp(u->want_sha256, info->sha256, 32))
        return ferr_set(e, 400, "XAmzContentSHA256Mismatch",
                        "The provided 'x-amz-content-sha256' header does not match what was "
                        "computed.");
    if (u->have_md5 && memcmp(u->want_md5, info->md5, 16))
        return ferr_set(e, 400, "BadDigest",
                        "The Content-MD5 you specified did not match what we received.");
    if (u->alg != CK_NONE) {
        if (!u->want_ck)
            return ferr_set(e, 400, "MalformedTrailerError",
                            "The request contained trailing data that was not well-formed or did "
                            "not conform to our published schema.");
        const char *got = checksum_of(u, info, a);
        if (!got) return ferr_oom(e);
        if (strcmp(got, u->want_ck)) {
            char what[48];
            snprintf(what, sizeof(what), "x-amz-checksum-%s", ck_names[u->alg]);
            for (char *p = what; *p; p++)
                if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
            return bad_digest(e, what);
        }
        out->checksum_alg = ck_names[u->alg];
        out->checksum = got;
    }
    return 0;
}

int upload_finish(upload *u, call_body *out, arena *a, ferr *e)
{
    memset(out, 0, sizeof(*out));
    int rc = -1;
    if (u->failed) {
        ferr_internal(e, "upload already failed");
    } else if (u->plen && blob_write(u->w, u->piece, u->plen, e)) {
    } else {
        u->plen = 0;
        blob_info info;
        blob_writer *w = u->w;
        u->w = NULL;
        if (!blob_writer_commit(w, &info, e)) {
            out->info = info;
            rc = verify(u, &info, out, a, e);
            if (rc) {
                ferr ignored = {0};
                blob_delete(u->bs, info.id, &ignored);
            }
        }
    }
    upload_abort(u);
    return rc;
}

void upload_abort(upload *u)
{
    if (!u) return;
    blob_writer_abort(u->w);
    awschunk_free(u->chunks);
    free(u->want_ck);
    free(u->piece);
    OPENSSL_cleanse(&u->chain, sizeof(u->chain));
    free(u);
}
