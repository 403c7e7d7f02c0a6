/* What an endpoint receives: SNS's JSON envelope, signed as AWS signs it, the raw
 * message, or a Lambda event. */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/checked.h"
#include "base/enc.h"
#include "base/jval.h"
#include "delivery_int.h"

_Atomic unsigned long long delivery_signatures;

msgctx *msgctx_new(json_t *doc)
{
    msgctx *m = calloc(1, sizeof(*m));
    if (!m) {
        json_decref(doc);
        return NULL;
    }
    m->refs = 1;
    m->doc = doc;
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

msgctx *msgctx_ref(msgctx *m)
{
    if (m) m->refs++;
    return m;
}

void msgctx_unref(msgctx *m)
{
    if (!m || --m->refs > 0) return;
    for (int i = 0; i < MV_COUNT; i++) free(m->sig[i]);
    pthread_mutex_destroy(&m->mu);
    json_decref(m->doc);
    free(m);
}

const char *delivery_text(const json_t *msg, const char *proto, json_t **structured)
{
    const char *text = json_string_value(json_object_get(msg, "Message"));
    const char *st = json_string_value(json_object_get(msg, "MessageStructure"));
    if (!st || strcmp(st, "json")) return text;
    if (!*structured) {
        json_error_t je;
        *structured = json_loads(text ? text : "", 0, &je);
    }
    const char *t = json_string_value(json_object_get(*structured, proto));
    if (!t) t = json_string_value(json_object_get(*structured, "default"));
    return t ? t : text;
}

static int variant(const json_t *msg, const char *proto)
{
    if (!json_object_get(msg, "MessageStructure")) return MV_DEFAULT;
    if (!strcmp(proto, "sqs")) return MV_SQS;
    if (!strcmp(proto, "http")) return MV_HTTP;
    if (!strcmp(proto, "https")) return MV_HTTPS;
    if (!strcmp(proto, "lambda")) return MV_LAMBDA;
    return MV_DEFAULT;
}

static void url_for(buf *b, const char *base, const char *path, const char *k1, const char *v1,
                    const char *k2, const char *v2)
{
    arena *a = arena_new(1024);
    buf_printf(b, "%s%s", base, path);
    if (a && v1) buf_printf(b, "&%s=%s", k1, enc_url_encode(a, v1, strlen(v1), 0));
    if (a && v2) buf_printf(b, "&%s=%s", k2, enc_url_encode(a, v2, strlen(v2), 0));
    arena_free(a);
}

/* SubscribeURL of a confirmation message: confirms when fetched. */
static char *subscribe_url(const char *base, const json_t *msg)
{
    buf b;
    buf_init(&b, 0);
    url_for(&b, base, "/_ferry/sns/confirm?Action=ConfirmSubscription", "TopicArn",
            jstr(msg, "TopicArn"), "Token", jstr(msg, "Token"));
    return b.failed ? (buf_dispose(&b), NULL) : buf_take(&b);
}

static char *unsubscribe_url(const char *base, const char *sub_arn)
{
    buf b;
    buf_init(&b, 0);
    url_for(&b, base, "/_ferry/sns/unsubscribe?Action=Unsubscribe", "SubscriptionArn", sub_arn,
            NULL, NULL);
    return b.failed ? (buf_dispose(&b), NULL) : buf_take(&b);
}

/* The signature of m for text variant v, made once. fields: what is signed. */
static const char *signature(const delivery_signer *sg, msgctx *m, int v, const json_t *fields)
{
    pthread_mutex_lock(&m->mu);
    if (!m->sig[v]) {
        char *sts = delivery_string_to_sign(fields);
        const char *ver = jstr(m->doc, "SignatureVersion");
        if (sts) m->sig[v] = delivery_sign(sg, ver && !strcmp(ver, "2") ? 2 : 1, sts, strlen(sts));
        delivery_signatures++;
        free(sts);
    }
    const char *sig = m->sig[v];
    pthread_mutex_unlock(&m->mu);
    return sig ? sig : "";
}

/* s as a JSON string (UTF-8 kept as is, as jansson writes it). */
static void json_str(buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        buf_put(b, run, (size_t)(p - run));
        run = p + 1;
        switch (ch) {
        case '"': buf_puts(b, "\\\""); break;
        case '\\': buf_puts(b, "\\\\"); break;
        case '\n': buf_puts(b, "\\n"); break;
        case '\r': buf_puts(b, "\\r"); break;
        case '\t': buf_puts(b, "\\t"); break;
        case '\b': buf_puts(b, "\\b"); break;
        case '\f': buf_puts(b, "\\f"); break;
        default: {
            char u[7] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15], 0};
            buf_puts(b, u);
        }
        }
    }
    buf_puts(b, run);
    buf_putc(b, '"');
}

/* "  "Key" : "value"" lines, AWS's layout. */
static void kv(buf *b, int *first, const char *k, const char *v)
{
    if (!v) return;
    buf_printf(b, "%s  \"%s\" : ", *first ? "" : ",\n", k);
    json_str(b, v);
    *first = 0;
}

/* {name: one(attribute)} over msg's MessageAttributes; NULL when there are none or when
 * out of memory (one answers NULL then). */
static json_t *attributes_map(const json_t *msg, json_t *(*one)(const json_t *v))
{
    json_t *attrs = json_object_get(msg, "MessageAttributes");
    if (!json_object_size(attrs)) return NULL;
    json_t *out = json_object();
    const char *k;
    json_t *v;
    int rc = !out;
    json_object_foreach(attrs, k, v) rc |= json_object_set_new(out, k, one(v));
    return jdone(out, rc);
}

/* {"Type": DataType, "Value": value}, an attribute as SNS shows it */
static json_t *envelope_attribute(const json_t *v)
{
    const char *val = jstr(v, "StringValue") ? jstr(v, "StringValue") : jstr(v, "BinaryValue");
    return json_pack("{s:s, s:s}", "Type", jstr(v, "DataType") ? jstr(v, "DataType") : "String",
                     "Value", val ? val : "");
}

/* {"name": {"Type": DataType, "Value": value}} as SNS shows message attributes; NULL when
 * there are none, or (*bad set) when out of memory. */
static json_t *envelope_attributes(const json_t *msg, int *bad)
{
    json_t *out = attributes_map(msg, envelope_attribute);
    *bad |= !out && json_object_size(json_object_get(msg, "MessageAttributes"));
    return out;
}

char *delivery_body(const delivery_signer *sg, const char *base, dlv *d, int *is_raw)
{
    const json_t *msg = d->mc->doc;
    const char *type = jstr(msg, "Type");
    int notification = type && !strcmp(type, "Notification");
    json_t *structured = NULL;
    const char *text = delivery_text(msg, d->proto, &structured);
    *is_raw = 0;
    if (notification && d->raw) {
        *is_raw = 1;
        char *r = strdup(text ? text : "");
        json_decref(structured);
        return r;
    }
    buf b;
    buf_init(&b, 0);
    int first = 1;
    char *cert = NULL, *unsub = NULL, *suburl = NULL;
    buf cb;
    buf_init(&cb, 0);
    buf_printf(&cb, "%s%s", base, DELIVERY_CERT_PATH);
    cert = cb.failed ? NULL : buf_take(&cb);
    json_t *fields =
        json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "Type", type, "MessageId",
                  jstr(msg, "MessageId"), "TopicArn", jstr(msg, "TopicArn"), "Message", text,
                  "Timestamp", jstr(msg, "Timestamp"), "Subject", jstr(msg, "Subject"));
    buf_puts(&b, "{\n");
    kv(&b, &first, "Type", type);
    kv(&b, &first, "MessageId", jstr(msg, "MessageId"));
    if (notification) {
        unsub = unsubscribe_url(base, d->sub_arn);
        kv(&b, &first, "SequenceNumber", jstr(msg, "SequenceNumber"));
        kv(&b, &first, "TopicArn", jstr(msg, "TopicArn"));
        kv(&b, &first, "Subject", jstr(msg, "Subject"));
        kv(&b, &first, "Message", text);
        kv(&b, &first, "Timestamp", jstr(msg, "Timestamp"));
        kv(&b, &first, "SignatureVersion", jstr(msg, "SignatureVersion"));
        kv(&b, &first, "Signature", signature(sg, d->mc, variant(msg, d->proto), fields));
        kv(&b, &first, "SigningCertURL", cert);
        kv(&b, &first, "UnsubscribeURL", unsub);
        int bad = 0;
        json_t *attrs = envelope_attributes(msg, &bad);
        if (attrs) {
            char *enc = json_dumps(attrs, JSON_COMPACT | JSON_PRESERVE_ORDER);
            bad |= !enc;
            buf_printf(&b, ",\n  \"MessageAttributes\" : %s", enc ? enc : "{}");
            free(enc);
            json_decref(attrs);
        }
        if (bad) b.failed = 1; /* out of memory: no body, the delivery is retried */
    } else {
        suburl = subscribe_url(base, msg);
        if (json_object_set_new(fields, "Token",
                                json_string(jstr(msg, "Token") ? jstr(msg, "Token") : "")) ||
            json_object_set_new(fields, "SubscribeURL", json_string(suburl ? suburl : "")))
            b.failed = 1; /* the signature would not cover them */
        json_object_del(fields, "Subject");
        kv(&b, &first, "Token", jstr(msg, "Token"));
        kv(&b, &first, "TopicArn", jstr(msg, "TopicArn"));
        kv(&b, &first, "Message", text);
        kv(&b, &first, "SubscribeURL", suburl);
        kv(&b, &first, "Timestamp", jstr(msg, "Timestamp"));
        kv(&b, &first, "SignatureVersion", jstr(msg, "SignatureVersion"));
        kv(&b, &first, "Signature", signature(sg, d->mc, variant(msg, d->proto), fields));
        kv(&b, &first, "SigningCertURL", cert);
    }
    buf_puts(&b, "\n}");
    json_decref(fields);
    json_decref(structured);
    free(cert);
    free(unsub);
    free(suburl);
    if (b.failed) {
        buf_dispose(&b);
        return NULL;
    }
    return buf_take(&b);
}

char *delivery_lambda_event(const delivery_signer *sg, const char *base, dlv *d)
{
    const json_t *msg = d->mc->doc;
    json_t *structured = NULL;
    const char *text = delivery_text(msg, "lambda", &structured);
    json_t *fields =
        json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "Type", jstr(msg, "Type"), "MessageId",
                  jstr(msg, "MessageId"), "TopicArn", jstr(msg, "TopicArn"), "Message", text,
                  "Timestamp", jstr(msg, "Timestamp"), "Subject", jstr(msg, "Subject"));
    char *unsub = unsubscribe_url(base, d->sub_arn);
    buf cb;
    buf_init(&cb, 0);
    buf_printf(&cb, "%s%s", base, DELIVERY_CERT_PATH);
    int bad = 0;
    json_t *attrs = envelope_attributes(msg, &bad);
    json_t *sns =
        bad ? NULL
            : json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:s?, s:o}", "Type",
                        jstr(msg, "Type"), "MessageId", jstr(msg, "MessageId"), "TopicArn",
                        jstr(msg, "TopicArn"), "Subject", jstr(msg, "Subject"), "Message", text,
                        "Timestamp", jstr(msg, "Timestamp"), "SignatureVersion",
                        jstr(msg, "SignatureVersion"), "Signature",
                        signature(sg, d->mc, variant(msg, "lambda"), fields), "SigningCertUrl",
                        buf_str(&cb), "UnsubscribeUrl", unsub, "MessageAttributes",
                        attrs ? attrs : json_object());
    if (sns && !json_object_get(sns, "Subject") &&
        json_object_set_new(sns, "Subject", json_null())) {
        json_decref(sns);
        sns = NULL; /* the pack below fails: no event */
    }
    json_t *ev = json_pack("{s:[{s:s, s:s, s:s, s:o}]}", "Records", "EventSource", "aws:sns",
                           "EventVersion", "1.0", "EventSubscriptionArn", d->sub_arn, "Sns", sns);
    char *out = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(ev);
    json_decref(fields);
    json_decref(structured);
    buf_dispose(&cb);
    free(unsub);
    return out;
}

/* {"DataType": ..., "StringValue" or "BinaryValue": ...}, an attribute as SQS takes it */
static json_t *sqs_attribute(const json_t *v)
{
    const char *t = jstr(v, "DataType");
    json_t *a = json_pack("{s:s}", "DataType", t ? t : "String");
    const char *which = jstr(v, "BinaryValue") ? "BinaryValue" : "StringValue";
    return jdone(a, !a || json_object_set(a, which, json_object_get(v, which)));
}

json_t *delivery_sqs_attributes(const json_t *msg)
{
    return attributes_map(msg, sqs_attribute);
}
