/* Streamed bodies in and out of a handler (call_body_in, call_body_want, call_stream_blob in
 * svc.h): the handler names blobs; the server moves the bytes outside its transaction. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

const call_body *call_body_in(const call *c)
{
    return c->wait ? c->wait->body : NULL;
}

int call_body_want(call *c, const blob_key *key, const char *note)
{
    call_wait *w = c->wait;
    if (!w || w->body || w->body_failed)
        return ferr_internal(c->err, "%s cannot take a streamed body here", c->op);
    w->body_wanted = 1;
    w->body_sealed = key != NULL;
    if (key) w->body_key = *key;
    w->body_note = note ? arena_strdup(c->a, note) : NULL;
    if (note && !w->body_note) return ferr_oom(c->err);
    /* svc_exec turns this into SVC_BODY: the server reads the body and runs the call again */
    return ferr_internal(c->err, "%s waits for its body", c->op);
}

struct call_stream {
    blob_store *bs;
    call_segment *segs; /* ids copied after the array */
    size_t n, idx;
    uint64_t skip, left; /* into segs[idx]; bytes still to give */
    blob_reader *r;
    int taken; /* the server has it: the arena must not free it */
};

void call_stream_free(call_stream *s)
{
    if (!s) return;
    blob_reader_free(s->r);
    for (size_t i = 0; i < s->n; i++) OPENSSL_cleanse(&s->segs[i].key, sizeof(blob_key));
    free(s->segs);
    free(s);
}

static void stream_release(void *p)
{
    call_stream *s = p;
    if (!s->taken) call_stream_free(s);
}

uint64_t call_stream_len(const call_stream *s)
{
    return s->left;
}

/* Opens the segment the stream is at (skipping empty ones): 0, or -1 with e. */
static int open_next(call_stream *s, ferr *e)
{
    while (s->idx < s->n && s->skip >= s->segs[s->idx].size) {
        s->skip -= s->segs[s->idx].size;
        s->idx++;
    }
    if (s->idx == s->n) return ferr_internal(e, "the object's parts end before its size");
    const call_segment *g = &s->segs[s->idx];
    uint64_t want = g->size - s->skip < s->left ? g->size - s->skip : s->left;
    int rc =
        blob_reader_new(s->bs, g->id, g->sealed ? &g->key : NULL, g->off + s->skip, want, &s->r, e);
    if (rc == 0) return ferr_internal(e, "the bytes of this object are missing");
    return rc < 0 ? -1 : 0;
}

int call_stream_read(call_stream *s, void *p, size_t n, size_t *got, ferr *e)
{
    *got = 0;
    while (s->left && !*got) {
        if (!s->r && open_next(s, e)) return -1;
        if (blob_read(s->r, p, n < s->left ? n : (size_t)s->left, got, e)) return -1;
        if (!*got) { /* this segment is done: on to the next */
            blob_reader_free(s->r);
            s->r = NULL;
            s->skip = 0;
            s->idx++;
        }
    }
    s->left -= *got;
    return 0;
}

int call_stream_blobs(call *c, const call_segment *segs, size_t n, uint64_t off, uint64_t len)
{
    if (!c->env->blobs) return ferr_internal(c->err, "this server keeps no object bytes");
    call_stream *s = calloc(1, sizeof(*s));
    size_t ids = 0;
    for (size_t i = 0; i < n; i++) ids += strlen(segs[i].id) + 1;
    if (s) s->segs = malloc(n * sizeof(*segs) + ids + 1);
    if (!s || !s->segs || arena_defer(c->a, stream_release, s)) {
        if (s) free(s->segs);
        free(s);
        return ferr_oom(c->err);
    }
    char *p = (char *)(s->segs + n);
    for (size_t i = 0; i < n; i++) {
        s->segs[i] = segs[i];
        s->segs[i].id = strcpy(p, segs[i].id);
        p += strlen(p) + 1;
    }
    s->bs = c->env->blobs;
    s->n = n;
    s->skip = off;
    s->left = len;
    /* the first part is opened now, inside the transaction that saw the object */
    if (len && open_next(s, c->err)) return -1;
    c->stream = s;
    return 0;
}

call_stream *call_stream_take(call *c)
{
    call_stream *s = c->stream;
    if (s) s->taken = 1;
    c->stream = NULL;
    return s;
}
