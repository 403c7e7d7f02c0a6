/* Streamed bodies in and out of a handler (call_body_in, call_body_want, call_stream_blob in
 * svc.h): the handler names blobs; the server moves the bytes outside its transaction. */
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

static void stream_free(void *p)
{
    call_stream *s = p;
    blob_reader_free(s->r);
}

int call_stream_blob(call *c, const char *id, const blob_key *key, uint64_t off, uint64_t len)
{
    if (!c->env->blobs) return ferr_internal(c->err, "this server keeps no object bytes");
    call_stream *s = arena_alloc(c->a, sizeof(*s));
    if (!s || arena_defer(c->a, stream_free, s)) return ferr_oom(c->err);
    int rc = blob_reader_new(c->env->blobs, id, key, off, len, &s->r, c->err);
    if (rc == 0) return ferr_internal(c->err, "the bytes of this object are missing");
    if (rc < 0) return -1;
    s->len = blob_reader_remaining(s->r);
    c->stream = s;
    return 0;
}
