/* SQS messages: send (single and batch, with AWS's MD5s), receive (visibility, long polls
 * that hold no thread, FIFO groups and deduplication, dead-letter redrive), delete, change
 * visibility, and message move tasks.
 *
 * A message is a row of the store's message queue under the queue's key; its document
 * holds what the store does not: {"Body", "Md5", "Attrs" (user attributes), "Md5Attrs",
 * "Sys" (system attributes), "Md5Sys", "Sender", "Group", "Dedup", "Src" (the queue a
 * dead-lettered message came from)}. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/checked.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "sqs_int.h"

#define RECEIPT_PREFIX "fr1:"
#define MOVE_KIND      "sqs.movetask"

/* ---------- helpers ---------- */

static void notify_cb(void *p)
{
    void **v = p;
    svc_notify(v[0], v[1]);
}

/* Wakes the long polls on arn. Now (their retry takes the store's write lock, so it runs
 * after this transaction commits) and again once the request is over (for backends where
 * a reader could look before the commit). */
static void wake_pollers(call *c, const char *arn)
{
    svc_notify(c->env, arn);
    void **v = arena_alloc(c->a, 2 * sizeof(void *));
    char *key = arena_strdup(c->a, arn);
    if (v && key) {
        v[0] = c->env;
        v[1] = key;
        arena_own(c->a, notify_cb, v); /* without memory for the hook: the wake runs now */
    }
}

static const char *sender_id(call *c)
{
    if (c->who->kind == PRIN_SERVICE) return c->who->service;
    return c->who->userid[0] ? c->who->userid : c->who->account;
}

static char *seq_number(call *c, int64_t seq)
{
    /* AWS: a large number, increasing within a message group */
    return arena_printf(c->a, "1%019lld", (long long)seq);
}

static const char *receipt_handle(call *c, const sqs_queue *q, int64_t seq, const char *nonce)
{
    char *raw = arena_printf(c->a, RECEIPT_PREFIX "%s:%lld:%s", q->key, (long long)seq, nonce);
    return raw ? enc_b64(c->a, (unsigned char *)raw, strlen(raw)) : NULL;
}

/* 0 and *seq when handle is one of this queue's receipt handles, else -1 (no error set). */
static int receipt_parse(call *c, const sqs_queue *q, const char *handle, int64_t *seq)
{
    size_t n = 0;
    if (!handle || !*handle || strlen(handle) > 1024) return -1;
    unsigned char *raw = enc_unb64(c->a, handle, strlen(handle), &n);
    size_t pl = strlen(RECEIPT_PREFIX), kl = strlen(q->key);
    if (!raw || n < pl + kl + 3 || memcmp(raw, RECEIPT_PREFIX, pl) || memchr(raw, 0, n)) return -1;
    const char *p = (const char *)raw + pl;
    if (strncmp(p, q->key, kl) || p[kl] != ':') return -1;
    char *end;
    long long s = strtoll(p + kl + 1, &end, 10);
    if (end == p + kl + 1 || *end != ':' || s <= 0) return -1;
    *seq = s;
    return 0;
}

static int bad_receipt(ferr *e, const char *handle)
{
    return ferr_set(e, 400, "ReceiptHandleIsInvalid",
                    "The input receipt handle \"%.256s\" is not a valid receipt handle.",
                    handle ? handle : "");
}

/* AWS batch entry ids: alphanumerics, hyphens and underscores, at most 80 characters. */
static int batch_check(call *c, const json_t *entries, const char *op)
{
    size_t n = json_array_size(entries);
    if (n == 0)
        return ferr_set(c->err, 400, "EmptyBatchRequest",
                        "There should be at least one %sRequestEntry in the request.", op);
    if (n > SQS_MAX_BATCH)
        return ferr_set(c->err, 400, "TooManyEntriesInBatchRequest",
                        "Maximum number of entries per request are %d. You have sent %zu.",
                        SQS_MAX_BATCH, n);
    for (size_t i = 0; i < n; i++) {
        const char *id = jstr(json_array_get(entries, i), "Id");
        size_t l = id ? strlen(id) : 0;
        if (!l || l > 80 ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != l)
            return ferr_set(c->err, 400, "InvalidBatchEntryId",
                            "A batch entry id can only contain alphanumeric characters, hyphens "
                            "and underscores. It can be at most 80 letters long.");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(id, jstr(json_array_get(entries, j), "Id")))
                return ferr_set(c->err, 400, "BatchEntryIdsNotDistinct", "Id %s repeated.", id);
    }
    return 0;
}

static json_t *failed_entry(const char *id, const ferr *e)
{
    return json_pack("{s:s, s:b, s:s, s:s}", "Id", id, "SenderFault", e->sender ? 1 : 0, "Code",
                     e->code, "Message", e->message);
}

static json_t *batch_result(void)
{
    return json_pack("{s:[], s:[]}", "Successful", "Failed");
}

/* One entry's outcome in a batch result: rc 0 puts ok (taken; NULL: just the Id) in
 * Successful, else e goes in Failed; a server error (5xx: the store failed) fails the whole
 * request instead. 0, or -1 with c->err set. */
static int batch_add(call *c, json_t *out, const char *id, int rc, const ferr *e, json_t *ok)
{
    if (!rc) {
        if (!ok)
            ok = json_pack("{s:s}", "Id", id);
        else if (jset_str(ok, "Id", id)) {
            json_decref(ok);
            return ferr_oom(c->err);
        }
        return json_array_append_new(json_object_get(out, "Successful"), ok) ? ferr_oom(c->err) : 0;
    }
    json_decref(ok);
    if (e->status >= 500) {
        *c->err = *e;
        return -1;
    }
    return json_array_append_new(json_object_get(out, "Failed"), failed_entry(id, e))
               ? ferr_oom(c->err)
               : 0;
}

/* Randomness in one call for a whole batch (a call per message id showed up in profiles):
 * n version-4 UUIDs, or n 16-hex-digit receipt nonces. */
typedef char uuid_s[37];
typedef char nonce_s[17];

static void uuids(uuid_s *out, size_t n)
{
    unsigned char r[16 * SQS_MAX_BATCH];
    static const char hex[] = "0123456789abcdef";
    if (n > SQS_MAX_BATCH) n = SQS_MAX_BATCH;
    ids_random(r, 16 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned char *b = r + 16 * i;
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        char *o = out[i];
        for (int k = 0; k < 16; k++) {
            if (k == 4 || k == 6 || k == 8 || k == 10) *o++ = '-';
            *o++ = hex[b[k] >> 4];
            *o++ = hex[b[k] & 15];
        }
        *o = 0;
    }
}

static void nonces(nonce_s *out, size_t n)
{
    unsigned char r[8 * SQS_MAX_BATCH];
    if (n > SQS_MAX_BATCH) n = SQS_MAX_BATCH;
    ids_random(r, 8 * n);
    for (size_t i = 0; i < n; i++) enc_hex(r + 8 * i, 8, out[i]);
}

/* AWS: MessageGroupId, MessageDeduplicationId and ReceiveRequestAttemptId are 1-128
 * characters from the printable ASCII set (33-126). */
static int token_valid(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > 128) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126) return 0;
    return 1;
}

/* ---------- send ---------- */

/* 8 bytes none of which JSON escapes (no '"', '\\' or control character): each test
 * finds a byte below a bound, or equal to one, by the borrow into its high bit. */
static int unescaped8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t ctl = w - 0x20 * ones, quote = (w ^ 0x22 * ones) - ones,
             bslash = (w ^ 0x5C * ones) - ones;
    return !((ctl | quote | bslash) & ~w & 0x80 * ones);
}

/* Appends s as a JSON string, escaped as json_dumps escapes it. Runs between escapes are
 * found a word at a time and gathered in out (a buf_put per run showed in profiles). */
static void put_jstr(buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)s;
    char out[1024];
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0;;) {
        size_t j = i;
        while (j + 8 <= n && unescaped8(u + j)) j += 8;
        while (j < n && u[j] >= 0x20 && u[j] != '"' && u[j] != '\\') j++;
        /* keeps room in out for an escape (6) and the closing quote */
        if (o + (j - i) > sizeof(out) - 7) {
            buf_put(b, out, o);
            o = 0;
        }
        if (j - i > sizeof(out) - 7) {
            buf_put(b, s + i, j - i);
        } else {
            memcpy(out + o, s + i, j - i);
            o += j - i;
        }
        if (j == n) break;
        unsigned char ch = u[j];
        out[o++] = '\\';
        switch (ch) {
        case '"':
        case '\\': out[o++] = (char)ch; break;
        case '\b': out[o++] = 'b'; break;
        case '\f': out[o++] = 'f'; break;
        case '\n': out[o++] = 'n'; break;
        case '\r': out[o++] = 'r'; break;
        case '\t': out[o++] = 't'; break;
        default: /* the other control characters */
            memcpy(out + o, "u00", 3);
            out[o + 3] = hex[ch >> 4];
            out[o + 4] = hex[ch & 15];
            o += 5;
        }
        i = j + 1;
    }
    out[o++] = '"';
    buf_put(b, out, o);
}

/* ,"key": (keys are plain ASCII) */
static void put_key(buf *b, const char *key)
{
    buf_put(b, ",\"", 2);
    buf_puts(b, key);
    buf_put(b, "\":", 2);
}

static void put_member(buf *b, const char *key, const char *v)
{
    put_key(b, key);
    put_jstr(b, v, strlen(v));
}

static int dump_cb(const char *p, size_t n, void *b)
{
    return buf_put(b, p, n);
}

/* The stored message document as the text json_dumps(JSON_COMPACT) makes of it, written
 * directly into doc: building the object and dumping it was most of a send's CPU after
 * the store's. md5a and md5s are NULL when there is no digest. */
static int message_doc(buf *doc, const char *body, size_t blen, const char *md5, const char *sender,
                       const json_t *attrs, const char *md5a, const json_t *sys, const char *md5s,
                       const char *group, const char *dedup)
{
    buf_reset(doc);
    buf_puts(doc, "{\"Body\":");
    put_jstr(doc, body, blen);
    put_member(doc, "Md5", md5);
    put_member(doc, "Sender", sender);
    if (json_object_size(attrs)) {
        put_key(doc, "Attrs");
        if (json_dump_callback(attrs, dump_cb, doc, JSON_COMPACT)) return -1;
        if (md5a) put_member(doc, "Md5Attrs", md5a);
    }
    if (json_object_size(sys)) {
        put_key(doc, "Sys");
        if (json_dump_callback(sys, dump_cb, doc, JSON_COMPACT)) return -1;
        if (md5s) put_member(doc, "Md5Sys", md5s);
    }
    if (group) put_member(doc, "Group", group);
    if (dedup) put_member(doc, "Dedup", dedup);
    buf_putc(doc, '}');
    return doc->failed ? -1 : 0;
}

/* Validates and stores one message (SendMessage or one batch entry), its document written
 * in doc (scratch space a batch reuses). Errors go to e; *res gets the result fields. */
static int send_one(call *c, sqs_queue *q, const json_t *in, const char *id, double now, ferr *e,
                    json_t **res, buf *doc)
{
    const json_t *bj = json_object_get(in, "MessageBody");
    const char *body = json_string_value(bj);
    size_t blen = json_string_length(bj);
    if (!body || !blen)
        return ferr_set(e, 400, "MissingParameter",
                        "The request must contain the parameter MessageBody.");
    unsigned bad;
    if (sqs_body_check(body, blen, &bad))
        return ferr_set(e, 400, "InvalidMessageContents",
                        "Invalid binary character '#x%X' was found in the message body, the set "
                        "of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | "
                        "[#xE000-#xFFFD] | [#x10000-#x10FFFF].",
                        bad);
    const json_t *dj = json_object_get(in, "DelaySeconds");
    long long delay = q->delay;
    if (dj) {
        delay = json_integer_value(dj);
        /* AWS: FIFO queues take a delay per queue only */
        if (q->fifo)
            return ferr_set(e, 400, "InvalidParameterValue",
                            "Value %lld for parameter DelaySeconds is invalid. Reason: The request "
                            "include parameter that is not valid for this queue type.",
                            delay);
        if (delay < 0 || delay > 900)
            return ferr_set(e, 400, "InvalidParameterValue",
                            "Value %lld for parameter DelaySeconds is invalid. Reason: "
                            "DelaySeconds must be >= 0 and <= 900.",
                            delay);
    }
    const json_t *attrs = json_object_get(in, "MessageAttributes");
    const json_t *sys = json_object_get(in, "MessageSystemAttributes");
    size_t size = blen;
    if (sqs_attrs_check(attrs, 0, &size, e) || sqs_attrs_check(sys, 1, NULL, e)) return -1;
    if (size > (size_t)q->max_size)
        return ferr_set(e, 400, "InvalidParameterValue",
                        "One or more parameters are invalid. Reason: Message must be shorter than "
                        "%d bytes.",
                        q->max_size);
    const char *group = jstr(in, "MessageGroupId"), *dedup = jstr(in, "MessageDeduplicationId");
    if (group && !token_valid(group))
        return ferr_set(e, 400, "InvalidParameterValue",
                        "Value %.200s for parameter MessageGroupId is invalid. Reason: "
                        "MessageGroupId can only include alphanumeric and punctuation "
                        "characters. 1 to 128 in length.",
                        group);
    char hash[65];
    if (q->fifo) {
        if (!group)
            return ferr_set(e, 400, "MissingParameter",
                            "The request must contain the parameter MessageGroupId.");
        if (dedup && !token_valid(dedup))
            return ferr_set(e, 400, "InvalidParameterValue",
                            "Value %.200s for parameter MessageDeduplicationId is invalid. Reason: "
                            "MessageDeduplicationId can only include alphanumeric and punctuation "
                            "characters. 1 to 128 in length.",
                            dedup);
        if (!dedup && !q->content_dedup)
            return ferr_set(e, 400, "InvalidParameterValue",
                            "The queue should either have ContentBasedDeduplication enabled or "
                            "MessageDeduplicationId provided explicitly");
        if (!dedup) { /* AWS: content-based deduplication is the SHA-256 of the body */
            enc_sha256_hex(body, blen, hash);
            dedup = hash;
        }
    } else if (dedup) {
        return ferr_set(e, 400, "InvalidParameterValue",
                        "Value %.200s for parameter MessageDeduplicationId is invalid. Reason: The "
                        "request includes a parameter that is not valid for this queue type.",
                        dedup);
    }
    char md5[33], md5a[33], md5s[33];
    enc_md5_hex(body, blen, md5);
    int has_a = json_object_size(attrs) && !sqs_attrs_md5(attrs, md5a);
    int has_s = json_object_size(sys) && !sqs_attrs_md5(sys, md5s);

    *res = json_object();
    if (!*res || jset_str(*res, "MD5OfMessageBody", md5) ||
        (has_a && jset_str(*res, "MD5OfMessageAttributes", md5a)) ||
        (has_s && jset_str(*res, "MD5OfMessageSystemAttributes", md5s)))
        return ferr_oom(e);

    const char *dkey = NULL;
    if (q->fifo) {
        /* AWS: a message with a deduplication id seen in the last 5 minutes is accepted
         * and not delivered again (per group with DeduplicationScope messageGroup) */
        dkey = q->dedup_by_group ? arena_printf(c->a, "d:%s\n%s", group, dedup)
                                 : arena_printf(c->a, "d:%s", dedup);
        char *orig = NULL;
        int64_t oseq = 0;
        int hit = store_mq_key_get(c->txn, q->key, dkey, now, &orig, &oseq, e);
        if (hit < 0) return -1;
        if (hit) {
            int rc = jset_str(*res, "MessageId", orig ? orig : "") ||
                     jset_str(*res, "SequenceNumber", seq_number(c, oseq));
            free(orig);
            return rc ? ferr_oom(e) : 0;
        }
    }
    if (message_doc(doc, body, blen, md5, sender_id(c), attrs, has_a ? md5a : NULL, sys,
                    has_s ? md5s : NULL, group, q->fifo ? dedup : NULL))
        return ferr_oom(e);
    store_msg m = {.id = id,
                   .group = q->fifo ? group : "",
                   .sent_at = now,
                   .visible_at = now + (double)delay,
                   .expires_at = now + q->retention,
                   .receipt = "",
                   .doc = doc->p};
    if (store_mq_put(c->txn, q->key, &m, e)) return -1;
    if (dkey && store_mq_key_put(c->txn, q->key, dkey, now, now + SQS_DEDUP_WINDOW, id, m.seq, e))
        return -1;
    if (jset_str(*res, "MessageId", id) ||
        (q->fifo && jset_str(*res, "SequenceNumber", seq_number(c, m.seq))))
        return ferr_oom(e);
    return 0;
}

int sqs_op_send_message(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    if (sqs_queue_open_ro(c, in, "sqs:SendMessage", &q)) return -1;
    uuid_s id;
    uuids(&id, 1);
    buf doc;
    buf_init(&doc, 0);
    int rc = send_one(c, &q, in, id, clock_now(), c->err, out, &doc);
    buf_dispose(&doc);
    if (rc) return -1;
    wake_pollers(c, q.arn);
    return 0;
}

int sqs_op_send_message_batch(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    const json_t *entries = json_object_get(in, "Entries");
    /* AWS authorizes SendMessageBatch as sqs:SendMessage */
    if (sqs_queue_open_ro(c, in, "sqs:SendMessage", &q) ||
        batch_check(c, entries, "SendMessageBatch"))
        return -1;
    size_t total = 0, i;
    json_t *ent;
    json_array_foreach(entries, i, ent) {
        total += json_string_length(json_object_get(ent, "MessageBody"));
        ferr ignore = {0};
        sqs_attrs_check(json_object_get(ent, "MessageAttributes"), 0, &total, &ignore);
    }
    if (total > SQS_MAX_MESSAGE)
        return ferr_set(c->err, 400, "BatchRequestTooLong",
                        "Batch requests cannot be longer than %d bytes. You have sent %zu bytes.",
                        SQS_MAX_MESSAGE, total);
    *out = batch_result();
    if (!*out) return ferr_oom(c->err);
    double now = clock_now();
    int sent = 0;
    uuid_s ids[SQS_MAX_BATCH];
    uuids(ids, json_array_size(entries));
    buf doc;
    buf_init(&doc, 0);
    json_array_foreach(entries, i, ent) {
        ferr e = {0};
        json_t *res = NULL;
        int rc = send_one(c, &q, ent, ids[i], now, &e, &res, &doc);
        if (batch_add(c, *out, jstr(ent, "Id"), rc, &e, res)) {
            buf_dispose(&doc);
            return -1;
        }
        sent += !rc;
    }
    buf_dispose(&doc);
    if (sent) wake_pollers(c, q.arn);
    return 0;
}

/* ---------- receive ---------- */

typedef struct cand {
    store_msg m; /* strings copied into the call's arena */
} cand;

typedef struct cands {
    call *c;
    cand *v;
    int n, cap;
} cands;

static int collect(void *ud, const store_msg *m)
{
    cands *l = ud;
    if (l->n == l->cap) return 1;
    cand *x = &l->v[l->n];
    x->m = *m;
    x->m.id = arena_strdup(l->c->a, m->id);
    x->m.group = arena_strdup(l->c->a, m->group);
    x->m.receipt = arena_strdup(l->c->a, m->receipt);
    x->m.doc = arena_strdup(l->c->a, m->doc);
    if (!x->m.id || !x->m.group || !x->m.receipt || !x->m.doc) return 1;
    l->n++;
    return 0;
}

/* The message as ReceiveMessage answers it, with the attributes the caller asked for. */
static json_t *message_view(call *c, const sqs_queue *q, const store_msg *m, const char *handle,
                            const json_t *sysnames, const json_t *attrnames)
{
    json_t *doc = json_loads(m->doc, 0, NULL);
    if (!doc) return NULL;
    json_t *v =
        json_pack("{s:s, s:s, s:O, s:O}", "MessageId", m->id, "ReceiptHandle", handle, "MD5OfBody",
                  json_object_get(doc, "Md5"), "Body", json_object_get(doc, "Body"));
    if (!v) {
        json_decref(doc);
        return NULL;
    }
    /* system attributes: AttributeNames and MessageSystemAttributeNames together */
    json_t *sa = json_object();
    const json_t *sys = json_object_get(doc, "Sys");
    int rc = !sa; /* any failure below: out of memory, the view is dropped */
#define WANT(n) (sqs_attr_selected(sysnames, n))
    if (WANT("SenderId")) rc |= jset_str(sa, "SenderId", jstr(doc, "Sender"));
    if (WANT("SentTimestamp"))
        rc |= json_object_set_new(sa, "SentTimestamp",
                                  json_sprintf("%lld", (long long)(m->sent_at * 1000)));
    if (WANT("ApproximateReceiveCount"))
        rc |= json_object_set_new(sa, "ApproximateReceiveCount", json_sprintf("%d", m->receives));
    if (WANT("ApproximateFirstReceiveTimestamp"))
        rc |= json_object_set_new(sa, "ApproximateFirstReceiveTimestamp",
                                  json_sprintf("%lld", (long long)(m->first_receive * 1000)));
    if (WANT("MessageGroupId")) rc |= jset_str(sa, "MessageGroupId", jstr(doc, "Group"));
    if (q->fifo && WANT("MessageDeduplicationId"))
        rc |= jset_str(sa, "MessageDeduplicationId", jstr(doc, "Dedup"));
    if (q->fifo && WANT("SequenceNumber"))
        rc |= jset_str(sa, "SequenceNumber", seq_number(c, m->seq));
    if (WANT("AWSTraceHeader"))
        rc |= jset_str(sa, "AWSTraceHeader",
                       jstr(json_object_get(sys, "AWSTraceHeader"), "StringValue"));
    if (WANT("DeadLetterQueueSourceArn"))
        rc |= jset_str(sa, "DeadLetterQueueSourceArn", jstr(doc, "Src"));
#undef WANT
    if (json_object_size(sa)) rc |= json_object_set(v, "Attributes", sa);
    json_decref(sa);
    /* user attributes the caller named; the MD5 covers the ones returned */
    const json_t *attrs = json_object_get(doc, "Attrs");
    json_t *ua = json_object();
    rc |= !ua;
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)attrs, k, a) {
        if (sqs_attr_selected(attrnames, k)) rc |= json_object_set(ua, k, a);
    }
    char md5[33];
    if (json_object_size(ua) && !sqs_attrs_md5(ua, md5))
        rc |= json_object_set(v, "MessageAttributes", ua) |
              jset_str(v, "MD5OfMessageAttributes", md5);
    json_decref(ua);
    json_decref(doc);
    return jdone(v, rc);
}

/* Moves m from q to its dead-letter queue (AWS: when its receive count reaches the
 * RedrivePolicy's maxReceiveCount, the next receive moves it instead of returning it).
 * 1 moved, 0 no dead-letter queue to move to, -1 error. */
static int dead_letter(call *c, const sqs_queue *q, const store_msg *m, double now)
{
    const char *region, *account, *name;
    sqs_queue dlq;
    if (sqs_parse_arn(c, q->dlq_arn, &region, &account, &name)) return 0;
    int rc = sqs_queue_load(c, region, account, name, &dlq);
    if (rc <= 0) return rc;
    json_t *doc = json_loads(m->doc, 0, NULL);
    if (!doc) return ferr_internal(c->err, "corrupt message %s", m->id);
    char *text = jset_str(doc, "Src", q->arn) ? NULL : json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) return ferr_oom(c->err);
    /* AWS: a standard queue's message keeps its original enqueue time for retention; a FIFO
     * queue's starts again in the dead-letter queue */
    store_msg d = {.id = m->id,
                   .group = m->group,
                   .sent_at = m->sent_at,
                   .visible_at = now,
                   .expires_at = (q->fifo ? now : m->sent_at) + dlq.retention,
                   .receipt = "",
                   .doc = text};
    rc = store_mq_put(c->txn, dlq.key, &d, c->err);
    free(text);
    if (rc || store_mq_del(c->txn, q->key, m->seq, c->err) < 0) return -1;
    wake_pollers(c, dlq.arn);
    return 1;
}

/* Hands out up to max messages of q; appends their views to msgs. */
static int take(call *c, sqs_queue *q, int max, int vis, double now, const json_t *sysnames,
                const json_t *attrnames, json_t *msgs, json_t *attempt)
{
    int got = 0;
    for (int round = 0; round < 8 && got < max; round++) {
        cands l = {c, arena_alloc(c->a, (size_t)max * sizeof(cand)), 0, max};
        if (!l.v) return ferr_oom(c->err);
        store_mq_scan_opts o = {.now = now, .limit = max - got, .ordered_groups = q->fifo};
        int n = store_mq_scan(c->txn, q->key, &o, collect, &l, c->err);
        if (n < 0) return -1;
        int dropped = 0;
        nonce_s nonce[SQS_MAX_BATCH];
        nonces(nonce, (size_t)l.n);
        for (int i = 0; i < l.n; i++) {
            store_msg *m = &l.v[i].m;
            if (m->expires_at <= now) { /* AWS: gone after MessageRetentionPeriod */
                if (store_mq_del(c->txn, q->key, m->seq, c->err) < 0) return -1;
                dropped++;
                continue;
            }
            if (q->dlq_arn && q->max_receives > 0 && m->receives >= q->max_receives) {
                int rc = dead_letter(c, q, m, now);
                if (rc < 0) return -1;
                if (rc) {
                    dropped++;
                    continue;
                }
            }
            m->receives++;
            if (!m->first_receive) m->first_receive = now;
            m->visible_at = now + vis;
            m->receipt = nonce[i];
            if (store_mq_update(c->txn, q->key, m, c->err) < 0) return -1;
            const char *handle = receipt_handle(c, q, m->seq, nonce[i]);
            json_t *v = handle ? message_view(c, q, m, handle, sysnames, attrnames) : NULL;
            if (!v || json_array_append_new(msgs, v) ||
                (attempt &&
                 json_array_append_new(attempt, json_pack("[I, s]", (json_int_t)m->seq, nonce[i]))))
                return ferr_oom(c->err);
            got++;
        }
        if (!dropped || l.n < o.limit) break; /* nothing more to find */
    }
    return got;
}

/* FIFO ReceiveRequestAttemptId: a retried receive gets the same messages and receipt
 * handles while they are still in flight from that attempt (AWS: for 5 minutes). */
typedef struct again {
    call *c;
    const sqs_queue *q;
    const char *nonce;
    double now;
    const json_t *sysnames, *attrnames;
    json_t *msgs;
} again;

static int again_cb(void *ud, const store_msg *m)
{
    again *a = ud;
    if (strcmp(m->receipt, a->nonce) || m->visible_at <= a->now) return 0;
    const char *handle = receipt_handle(a->c, a->q, m->seq, a->nonce);
    json_t *v = handle ? message_view(a->c, a->q, m, handle, a->sysnames, a->attrnames) : NULL;
    if (!v || json_array_append_new(a->msgs, v)) {
        a->c->oom = 1; /* the receive fails rather than leave a message out */
        return 1;
    }
    return 0;
}

int sqs_op_receive_message(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:ReceiveMessage", &q)) return -1;
    json_t *mj = json_object_get(in, "MaxNumberOfMessages");
    json_t *vj = json_object_get(in, "VisibilityTimeout");
    json_t *wj = json_object_get(in, "WaitTimeSeconds");
    long long max = mj ? json_integer_value(mj) : 1;
    long long vis = vj ? json_integer_value(vj) : q.visibility;
    long long wait = wj ? json_integer_value(wj) : q.wait;
    if (max < 1 || max > SQS_MAX_BATCH)
        return sqs_invalid_param(c,
                                 "Value %lld for parameter MaxNumberOfMessages is invalid. "
                                 "Reason: Must be between 1 and 10, if provided.",
                                 max);
    if (vis < 0 || vis > 43200)
        return sqs_invalid_param(c,
                                 "Value %lld for parameter VisibilityTimeout is invalid. "
                                 "Reason: Must be between 0 and 43200, if provided.",
                                 vis);
    if (wait < 0 || wait > 20)
        return sqs_invalid_param(c,
                                 "Value %lld for parameter WaitTimeSeconds is invalid. "
                                 "Reason: Must be >= 0 and <= 20, if provided.",
                                 wait);
    /* AttributeNames (older) and MessageSystemAttributeNames (newer) ask the same */
    json_t *sysnames = arena_defer_json(c->a, json_array());
    if (!sysnames) return ferr_oom(c->err);
    if ((json_object_get(in, "AttributeNames") &&
         json_array_extend(sysnames, json_object_get(in, "AttributeNames"))) ||
        (json_object_get(in, "MessageSystemAttributeNames") &&
         json_array_extend(sysnames, json_object_get(in, "MessageSystemAttributeNames"))))
        return ferr_oom(c->err);
    const json_t *attrnames = json_object_get(in, "MessageAttributeNames");
    const char *attempt_id = jstr(in, "ReceiveRequestAttemptId");
    if (attempt_id && !token_valid(attempt_id))
        return sqs_invalid_param(c,
                                 "Value %.200s for parameter ReceiveRequestAttemptId is "
                                 "invalid. Reason: It can only include alphanumeric and "
                                 "punctuation characters. 1 to 128 in length.",
                                 attempt_id);
    /* A long poll's deadline lives in the request's wait record between runs; callers that
     * cannot park (internal ones) answer at once. */
    double now = clock_now();
    call_wait *w = c->wait;
    if (w && !w->resumed) w->until = now + (double)wait;
    double deadline = w ? w->until : now;
    *out = svc_out(c, json_object());
    json_t *msgs = json_array();
    if (!*out || !msgs) {
        json_decref(msgs);
        return ferr_oom(c->err);
    }
    if (json_object_set_new(*out, "Messages", msgs)) return ferr_oom(c->err);

    const char *akey = q.fifo && attempt_id ? arena_printf(c->a, "a:%s", attempt_id) : NULL;
    if (akey) {
        char *prev = NULL;
        int hit = store_mq_key_get(c->txn, q.key, akey, now, &prev, NULL, c->err);
        if (hit < 0) return -1;
        json_t *pairs = hit && prev ? json_loads(prev, 0, NULL) : NULL;
        free(prev);
        size_t i;
        json_t *p;
        json_array_foreach(pairs, i, p) {
            again a = {c,         &q,  json_string_value(json_array_get(p, 1)), now, sysnames,
                       attrnames, msgs};
            if (a.nonce && store_mq_get(c->txn, q.key, json_integer_value(json_array_get(p, 0)),
                                        again_cb, &a, c->err) < 0) {
                json_decref(pairs);
                return -1;
            }
        }
        json_decref(pairs);
        if (json_array_size(msgs)) goto done;
    }
    json_t *attempt = akey ? json_array() : NULL;
    if (akey && !attempt) return ferr_oom(c->err); /* the retry id would not be honoured */
    int got = take(c, &q, (int)max, (int)vis, now, sysnames, attrnames, msgs, attempt);
    if (got > 0 && attempt) {
        char *t = json_dumps(attempt, JSON_COMPACT);
        int rc =
            t ? store_mq_key_put(c->txn, q.key, akey, now, now + SQS_DEDUP_WINDOW, t, 0, c->err)
              : ferr_oom(c->err);
        free(t);
        if (rc) got = -1;
    }
    json_decref(attempt);
    if (got < 0) return -1;
    if (got == 0 && now < deadline && !w->final) { /* now < deadline: w is set */
        /* Long poll: park until a send on this queue, or the deadline, or the moment a
         * hidden message becomes visible again, whichever comes first. */
        double next = 0;
        int has = store_mq_next_visible(c->txn, q.key, now, &next, c->err);
        if (has < 0) return -1;
        json_decref(*out);
        *out = NULL;
        return call_park(c, q.arn, has && next < deadline ? next : deadline);
    }
done:
    if (json_array_size(msgs) == 0) json_object_del(*out, "Messages");
    return 0;
}

/* ---------- delete and visibility ---------- */

static int delete_one(call *c, const sqs_queue *q, const char *handle, ferr *e)
{
    int64_t seq;
    if (receipt_parse(c, q, handle, &seq)) return bad_receipt(e, handle);
    /* AWS: deleting with an older receipt handle of the message works too, and deleting a
     * message already gone succeeds */
    return store_mq_del(c->txn, q->key, seq, e) < 0 ? -1 : 0;
}

int sqs_op_delete_message(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    if (sqs_queue_open(c, in, "sqs:DeleteMessage", &q)) return -1;
    return delete_one(c, &q, jstr(in, "ReceiptHandle"), c->err);
}

int sqs_op_delete_message_batch(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    const json_t *entries = json_object_get(in, "Entries");
    if (sqs_queue_open(c, in, "sqs:DeleteMessage", &q) ||
        batch_check(c, entries, "DeleteMessageBatch"))
        return -1;
    *out = batch_result();
    if (!*out) return ferr_oom(c->err);
    size_t i;
    json_t *ent;
    json_array_foreach(entries, i, ent) {
        ferr e = {0};
        int rc = delete_one(c, &q, jstr(ent, "ReceiptHandle"), &e);
        if (batch_add(c, *out, jstr(ent, "Id"), rc, &e, NULL)) return -1;
    }
    return 0;
}

typedef struct found {
    call *c;
    store_msg m;
} found;

static int found_cb(void *ud, const store_msg *m)
{
    found *f = ud;
    f->m = *m;
    f->m.receipt = arena_strdup(f->c->a, m->receipt);
    f->m.id = f->m.group = f->m.doc = NULL; /* not needed */
    return 0;
}

static int visibility_one(call *c, const sqs_queue *q, const char *handle, const json_t *vj,
                          double now, ferr *e, int *woke)
{
    long long vis = json_integer_value(vj);
    if (!vj)
        return ferr_set(e, 400, "MissingParameter",
                        "The request must contain the parameter VisibilityTimeout.");
    if (vis < 0 || vis > 43200)
        return ferr_set(e, 400, "InvalidParameterValue",
                        "Value %lld for parameter VisibilityTimeout is invalid. Reason: Must be "
                        "between 0 and 43200, if provided.",
                        vis);
    int64_t seq;
    if (receipt_parse(c, q, handle, &seq)) return bad_receipt(e, handle);
    found f = {c, {0}};
    int rc = store_mq_get(c->txn, q->key, seq, found_cb, &f, e);
    if (rc < 0) return -1;
    /* AWS: only a message in flight (received, not yet visible again) can change */
    if (!rc || !f.m.receives || f.m.visible_at <= now)
        return ferr_set(e, 400, "InvalidParameterValue",
                        "Value %.256s for parameter ReceiptHandle is invalid. Reason: Message does "
                        "not exist or is not available for visibility timeout change.",
                        handle);
    f.m.visible_at = now + (double)vis;
    if (store_mq_update(c->txn, q->key, &f.m, e) < 0) return -1;
    if (vis == 0) *woke = 1;
    return 0;
}

int sqs_op_change_message_visibility(call *c, json_t *in, json_t **out)
{
    (void)out;
    sqs_queue q;
    int woke = 0;
    if (sqs_queue_open(c, in, "sqs:ChangeMessageVisibility", &q) ||
        visibility_one(c, &q, jstr(in, "ReceiptHandle"), json_object_get(in, "VisibilityTimeout"),
                       clock_now(), c->err, &woke))
        return -1;
    if (woke) wake_pollers(c, q.arn);
    return 0;
}

int sqs_op_change_message_visibility_batch(call *c, json_t *in, json_t **out)
{
    sqs_queue q;
    const json_t *entries = json_object_get(in, "Entries");
    if (sqs_queue_open(c, in, "sqs:ChangeMessageVisibility", &q) ||
        batch_check(c, entries, "ChangeMessageVisibilityBatch"))
        return -1;
    *out = batch_result();
    if (!*out) return ferr_oom(c->err);
    double now = clock_now();
    int woke = 0;
    size_t i;
    json_t *ent;
    json_array_foreach(entries, i, ent) {
        ferr e = {0};
        int rc = visibility_one(c, &q, jstr(ent, "ReceiptHandle"),
                                json_object_get(ent, "VisibilityTimeout"), now, &e, &woke);
        if (batch_add(c, *out, jstr(ent, "Id"), rc, &e, NULL)) return -1;
    }
    if (woke) wake_pollers(c, q.arn);
    return 0;
}

/* ---------- message move tasks (dead-letter queue redrive) ----------
 * ferry moves the messages at once: a task is COMPLETED when StartMessageMoveTask returns. */

static int queue_by_arn(call *c, const char *arn, const char *action, sqs_queue *q)
{
    const char *region, *account, *name;
    if (sqs_parse_arn(c, arn, &region, &account, &name) || strcmp(region, c->region))
        return sqs_invalid_param(c,
                                 "Value %.512s for parameter SourceArn is invalid. Reason: "
                                 "Not a queue ARN in this region.",
                                 arn ? arn : "");
    int rc = sqs_queue_load(c, region, account, name, q);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "The resource that you specified for the %s parameter doesn't exist.",
                        "SourceArn");
    call_resource(c, "AWS::SQS::Queue", q->arn);
    return sqs_authorize(c, q, action);
}

typedef struct is_dlq {
    const char *arn;
    int found;
} is_dlq;

static int is_dlq_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    is_dlq *d = ud;
    const char *rp = jstr(json_object_get(doc, "Attributes"), "RedrivePolicy");
    json_t *j = rp ? json_loads(rp, 0, NULL) : NULL;
    const char *t = jstr(j, "deadLetterTargetArn");
    if (t && !strcmp(t, d->arn)) d->found = 1;
    json_decref(j);
    return d->found;
}

static int move_all(call *c, sqs_queue *src, sqs_queue *dst_fixed, double now, long long *moved)
{
    *moved = 0;
    for (int round = 0; round < 100000; round++) {
        cands l = {c, arena_alloc(c->a, 100 * sizeof(cand)), 0, 100};
        if (!l.v) return ferr_oom(c->err);
        store_mq_scan_opts o = {.now = now, .limit = 100, .ordered_groups = 0};
        if (store_mq_scan(c->txn, src->key, &o, collect, &l, c->err) < 0) return -1;
        int progressed = 0;
        for (int i = 0; i < l.n; i++) {
            store_msg *m = &l.v[i].m;
            json_t *doc = json_loads(m->doc, 0, NULL);
            sqs_queue back, *dst = dst_fixed;
            const char *region, *account, *name;
            if (!dst && sqs_parse_arn(c, jstr(doc, "Src"), &region, &account, &name) == 0 &&
                sqs_queue_load(c, region, account, name, &back) == 1)
                dst = &back;
            if (!doc || !dst) { /* nowhere to go: it stays */
                json_decref(doc);
                continue;
            }
            json_object_del(doc, "Src");
            char *text = json_dumps(doc, JSON_COMPACT);
            json_decref(doc);
            if (!text) return ferr_oom(c->err);
            store_msg d = {.id = m->id,
                           .group = dst->fifo ? m->group : "",
                           .sent_at = m->sent_at,
                           .visible_at = now,
                           .expires_at = now + dst->retention,
                           .receipt = "",
                           .doc = text};
            int rc = store_mq_put(c->txn, dst->key, &d, c->err);
            free(text);
            if (rc || store_mq_del(c->txn, src->key, m->seq, c->err) < 0) return -1;
            wake_pollers(c, dst->arn);
            (*moved)++;
            progressed = 1;
        }
        if (!progressed || l.n < 100) break;
    }
    return 0;
}

int sqs_op_start_message_move_task(call *c, json_t *in, json_t **out)
{
    sqs_queue src, dst;
    const char *dest = jstr(in, "DestinationArn");
    if (queue_by_arn(c, jstr(in, "SourceArn"), "sqs:StartMessageMoveTask", &src)) return -1;
    is_dlq d = {src.arn, 0};
    if (store_list(c->txn, SQS_KIND, src.account, src.region, NULL, NULL, 0, is_dlq_cb, &d,
                   c->err) < 0)
        return -1;
    /* AWS: the source must be some queue's dead-letter queue */
    if (!d.found)
        return sqs_invalid_param(c,
                                 "Value %s for parameter SourceArn is invalid. Reason: Source "
                                 "queue must be configured as a Dead Letter Queue.",
                                 src.arn);
    if (dest) {
        const char *region, *account, *name;
        if (sqs_parse_arn(c, dest, &region, &account, &name) ||
            sqs_queue_load(c, region, account, name, &dst) != 1)
            return ferr_set(c->err, 400, "ResourceNotFoundException",
                            "The resource that you specified for the DestinationArn parameter "
                            "doesn't exist.");
        if (sqs_authorize(c, &dst, "sqs:SendMessage")) return -1;
    }
    json_t *rate = json_object_get(in, "MaxNumberOfMessagesPerSecond");
    if (rate && (json_integer_value(rate) < 1 || json_integer_value(rate) > 500))
        return sqs_invalid_param(c,
                                 "Value %lld for parameter MaxNumberOfMessagesPerSecond is "
                                 "invalid. Reason: Must be between 1 and 500.",
                                 (long long)json_integer_value(rate));
    double now = clock_now();
    long long moved = 0;
    if (move_all(c, &src, dest ? &dst : NULL, now, &moved)) return -1;
    char tid[37];
    ids_uuid(tid);
    char *hraw = arena_printf(c->a, "{\"taskId\":\"%s\",\"sourceArn\":\"%s\"}", tid, src.arn);
    const char *handle = hraw ? enc_b64(c->a, (unsigned char *)hraw, strlen(hraw)) : NULL;
    if (!handle) return ferr_oom(c->err);
    json_t *task = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "TaskHandle", handle, "Status",
                             "COMPLETED", "SourceArn", src.arn, "ApproximateNumberOfMessagesMoved",
                             (json_int_t)moved, "ApproximateNumberOfMessagesToMove",
                             (json_int_t)moved, "StartedTimestamp", (json_int_t)(now * 1000));
    if (!task) return ferr_oom(c->err);
    store_key k = {MOVE_KIND, src.account, src.region, tid};
    int rc = (dest && jset_str(task, "DestinationArn", dst.arn)) ||
                     (rate && json_object_set(task, "MaxNumberOfMessagesPerSecond", rate))
                 ? ferr_oom(c->err)
                 : store_put(c->txn, &k, task, c->err);
    json_decref(task);
    if (rc) return -1;
    *out = svc_out(c, json_pack("{s:s}", "TaskHandle", handle));
    return *out ? 0 : ferr_oom(c->err);
}

typedef struct tasks {
    const char *src;
    json_t *arr;
    int oom;
} tasks;

static int tasks_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    tasks *t = ud;
    const char *s = jstr(doc, "SourceArn");
    if (s && !strcmp(s, t->src) && json_array_append(t->arr, doc)) {
        t->oom = 1;
        return 1;
    }
    return 0;
}

static int by_start_desc(const void *a, const void *b)
{
    long long x = jint(*(json_t *const *)a, "StartedTimestamp", 0);
    long long y = jint(*(json_t *const *)b, "StartedTimestamp", 0);
    return x < y ? 1 : x > y ? -1 : 0;
}

int sqs_op_list_message_move_tasks(call *c, json_t *in, json_t **out)
{
    sqs_queue src;
    if (queue_by_arn(c, jstr(in, "SourceArn"), "sqs:ListMessageMoveTasks", &src)) return -1;
    json_t *mj = json_object_get(in, "MaxResults");
    long long max = mj ? json_integer_value(mj) : 1;
    if (max < 1 || max > 10)
        return sqs_invalid_param(c,
                                 "Value %lld for parameter MaxResults is invalid. Reason: Must "
                                 "be between 1 and 10, if provided.",
                                 max);
    tasks t = {src.arn, json_array(), 0};
    if (!t.arr) return ferr_oom(c->err);
    if (store_list(c->txn, MOVE_KIND, src.account, src.region, NULL, NULL, 0, tasks_cb, &t,
                   c->err) < 0 ||
        (t.oom && ferr_oom(c->err))) {
        json_decref(t.arr);
        return -1;
    }
    size_t n = json_array_size(t.arr);
    json_t **v = calloc(n ? n : 1, sizeof(*v));
    if (!v) {
        json_decref(t.arr);
        return ferr_oom(c->err);
    }
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(t.arr, i);
    qsort(v, n, sizeof(*v), by_start_desc);
    json_t *res = json_array();
    int bad = 0;
    for (size_t i = 0; i < n && (long long)i < max; i++) {
        json_t *x = json_deep_copy(v[i]);
        if (x && strcmp(jstr(x, "Status"), "RUNNING")) json_object_del(x, "TaskHandle");
        bad |= json_array_append_new(res, x);
    }
    if (bad) {
        json_decref(res);
        res = NULL; /* the pack below fails: out of memory */
    }
    free(v);
    json_decref(t.arr);
    *out = svc_out(c, json_pack("{s:o}", "Results", res));
    return *out ? 0 : ferr_oom(c->err);
}

int sqs_op_cancel_message_move_task(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *handle = jstr(in, "TaskHandle");
    size_t n = 0;
    unsigned char *raw = handle ? enc_unb64(c->a, handle, strlen(handle), &n) : NULL;
    json_t *h = raw ? json_loadb((const char *)raw, n, 0, NULL) : NULL;
    const char *tid = jstr(h, "taskId"), *src = jstr(h, "sourceArn");
    sqs_queue q;
    int rc = -1;
    if (!tid || !src) {
        ferr_set(c->err, 400, "ResourceNotFoundException",
                 "The resource that you specified for the TaskHandle parameter doesn't exist.");
    } else if (!queue_by_arn(c, src, "sqs:CancelMessageMoveTask", &q)) {
        store_key k = {MOVE_KIND, q.account, q.region, tid};
        json_t *task = NULL;
        int found = store_get(c->txn, &k, &task, c->err);
        if (found == 0)
            ferr_set(c->err, 400, "ResourceNotFoundException",
                     "The resource that you specified for the TaskHandle parameter doesn't exist.");
        else if (found == 1)
            /* AWS: only a RUNNING task can be cancelled; ferry's finish as they start */
            ferr_set(c->err, 400, "UnsupportedOperation",
                     "Only a task in the RUNNING state can be cancelled; this one is %s.",
                     jstr(task, "Status"));
        json_decref(task);
    }
    json_decref(h);
    return rc;
}
