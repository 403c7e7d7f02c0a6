/* Publish and PublishBatch: validate, match each confirmed subscription's filter policy,
 * and write the message with one pending delivery per match in the request's
 * transaction; the delivery engine takes it from there once it has committed. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "engine/delivery.h"
#include "filter.h"
#include "sns_int.h"

#define DEDUP_WINDOW 300.0 /* AWS: "the five-minute deduplication interval" */
#define MAX_BATCH    10

static int bad_value(call *c, const char *fmt, const char *name, const char *type)
{
    char msg[600];
    snprintf(msg, sizeof(msg), fmt, name, type);
    return ferr_set(c->err, 400, "ParameterValueInvalid", "%s", msg);
}

static int valid_attr_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 1 || len > 256 || n[0] == '.' || n[len - 1] == '.' || strstr(n, "..")) return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)n[i]) && n[i] != '_' && n[i] != '-' && n[i] != '.') return 0;
    return 1;
}

/* AWS's rules for message attributes; adds their size (names, types, values) to *size. */
static int check_attributes(call *c, const json_t *attrs, size_t *size)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)attrs, name, v) {
        const char *type = jstr(v, "DataType");
        const char *sv = jstr(v, "StringValue"), *bv = jstr(v, "BinaryValue");
        if (!valid_attr_name(name))
            return bad_value(
                c,
                "The message attribute name '%s' is invalid. Attribute name can contain "
                "A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters.%s",
                name, "");
        if (!type || !*type)
            return bad_value(c,
                             "The message attribute '%s' must contain non-empty message attribute "
                             "value.%s",
                             name, "");
        const char *dot = strchr(type, '.');
        size_t base = dot ? (size_t)(dot - type) : strlen(type);
        int is_str = base == 6 && !strncmp(type, "String", 6);
        int is_num = base == 6 && !strncmp(type, "Number", 6);
        int is_bin = base == 6 && !strncmp(type, "Binary", 6);
        if (!is_str && !is_num && !is_bin)
            return bad_value(
                c,
                "The message attribute '%s' has an invalid message attribute type, the "
                "set of supported type prefixes is Binary, Number, and String.%s",
                name, "");
        if (is_bin ? !bv || !*bv : !sv || !*sv)
            return bad_value(c,
                             "The message attribute '%s' must contain non-empty message attribute "
                             "value for message attribute type '%s'.",
                             name, type);
        if (is_num) {
            char *end = NULL;
            double d = strtod(sv, &end);
            if (!end || end == sv || *end || !isfinite(d))
                return bad_value(c, "Could not cast message attribute '%s' value to number.%s",
                                 name, "");
        }
        if (!strcmp(type, "String.Array")) {
            json_error_t je;
            json_t *arr = json_loads(sv, 0, &je);
            int ok = json_is_array(arr);
            size_t i;
            json_t *x;
            json_array_foreach(arr, i, x) ok &= !json_is_object(x) && !json_is_array(x);
            json_decref(arr);
            if (!ok)
                return bad_value(
                    c,
                    "The message attribute '%s' with type '%s' must have a value that is "
                    "a JSON array of strings, numbers, true, false or null.",
                    name, type);
        }
        *size += strlen(name) + strlen(type) + (is_bin ? strlen(bv) * 3 / 4 : strlen(sv));
    }
    return 0;
}

/* The message each protocol gets. AWS: with MessageStructure json, "the message must be a
 * JSON object with a default key" whose other keys name protocols. */
static int check_structure(call *c, const char *message, const char *structure)
{
    if (!structure) return 0;
    if (strcmp(structure, "json")) return sns_invalid(c, "MessageStructure");
    json_error_t je;
    json_t *m = json_loads(message, 0, &je);
    int ok = json_is_object(m), has_default = json_is_string(json_object_get(m, "default"));
    const char *k;
    json_t *v;
    json_object_foreach(m, k, v) ok &= json_is_string(v);
    json_decref(m);
    if (!ok) return sns_invalid(c, "Message Structure - JSON message body failed to parse");
    if (!has_default)
        return sns_invalid(c, "Message Structure - No default entry in JSON message body");
    return 0;
}

/* Validates one message (Publish or a batch entry). */
static int check_message(call *c, const json_t *topic, const json_t *e)
{
    const char *message = jstr(e, "Message"), *subject = jstr(e, "Subject");
    if (!message || !*message) return sns_invalid(c, "Empty message");
    size_t size = strlen(message);
    if (subject) {
        /* AWS: "Subjects must be ASCII text that begins with a letter, number, or
         * punctuation mark; must not include line breaks or control characters; and must
         * be less than 100 characters long." */
        size_t n = strlen(subject);
        int ok = n > 0 && n < 100 && !isspace((unsigned char)subject[0]);
        for (size_t i = 0; i < n && ok; i++) ok = subject[i] >= 0x20 && subject[i] < 0x7f;
        if (!ok) return sns_invalid(c, "Subject");
    }
    if (check_structure(c, message, jstr(e, "MessageStructure"))) return -1;
    if (check_attributes(c, json_object_get(e, "MessageAttributes"), &size)) return -1;
    if (size > SNS_MAX_MESSAGE) return sns_invalid(c, "Message too long");
    const char *group = jstr(e, "MessageGroupId"), *dedup = jstr(e, "MessageDeduplicationId");
    if (sns_is_fifo(topic)) {
        if (!group || !*group)
            return sns_invalid(c, "The MessageGroupId parameter is required for FIFO topics");
        const char *cbd = sns_topic_attr(topic, "ContentBasedDeduplication");
        if ((!dedup || !*dedup) && !(cbd && !strcmp(cbd, "true")))
            return sns_invalid(c,
                               "The topic should either have ContentBasedDeduplication enabled or "
                               "MessageDeduplicationId provided explicitly");
        if (strlen(group) > 128) return sns_invalid(c, "MessageGroupId");
        if (dedup && strlen(dedup) > 128) return sns_invalid(c, "MessageDeduplicationId");
    } else if (dedup) {
        return sns_invalid(
            c, "MessageDeduplicationId Reason: The request includes "
               "MessageDeduplicationId parameter that is not valid for this topic type");
    }
    return 0;
}

/* What one publish produced. */
typedef struct published {
    char message_id[37];
    char seq[24]; /* FIFO SequenceNumber, "" otherwise */
} published;

/* The text a protocol receives. */
static const char *text_for(const json_t *e, const char *proto, json_t **structured)
{
    const char *message = jstr(e, "Message");
    if (!jstr(e, "MessageStructure")) return message;
    if (!*structured) {
        json_error_t je;
        *structured = json_loads(message, 0, &je);
    }
    const char *t = jstr(*structured, proto);
    return t ? t : jstr(*structured, "default");
}

/* The message parsed as JSON for proto's MessageBody filters (cached per protocol). */
static const json_t *body_for(const json_t *e, const char *proto, json_t *cache, int *oom)
{
    json_t *body = json_object_get(cache, proto);
    if (body) return body;
    json_t *structured = NULL;
    const char *text = text_for(e, proto, &structured);
    json_error_t je;
    body = text ? json_loads(text, JSON_DECODE_ANY, &je) : NULL;
    if (json_object_set_new(cache, proto, body ? body : json_null())) *oom = 1;
    json_decref(structured);
    return json_object_get(cache, proto);
}

typedef struct expired {
    const char *prefix;
    size_t plen;
    double before;
    json_t *ids;
    int oom;
} expired;

static int expired_cb(void *ud, const store_key *k, json_t *doc)
{
    expired *x = ud;
    if (strncmp(k->id, x->prefix, x->plen)) return 1; /* past this topic */
    if (json_number_value(json_object_get(doc, "Time")) < x->before &&
        json_array_append_new(x->ids, json_string(k->id)))
        x->oom = 1;
    return x->oom; /* out of memory stops the purge; the next one tries again */
}

/* Deletes the topic's deduplication records past the window (every 256th FIFO publish). */
static int purge_dedup(call *c, const sns_arn *a, double now)
{
    char prefix[300];
    snprintf(prefix, sizeof(prefix), "%s:", a->topic);
    expired x = {prefix, strlen(prefix), now - DEDUP_WINDOW, json_array(), 0};
    int rc = store_list(c->txn, SNS_KIND_DEDUP, a->account, a->region, NULL, prefix, 0, expired_cb,
                        &x, c->err) < 0;
    size_t i;
    json_t *id;
    json_array_foreach(x.ids, i, id) {
        store_key k = {SNS_KIND_DEDUP, a->account, a->region, json_string_value(id)};
        if (!rc && store_del(c->txn, &k, c->err) < 0) rc = 1;
    }
    json_decref(x.ids);
    return rc ? -1 : 0;
}

static char *sha256_hex(const char *s)
{
    static __thread char out[65];
    enc_sha256_hex(s, strlen(s), out);
    return out;
}

/* Publishes one validated message to topic (whose Seq the caller stores back for FIFO). */
static int publish_one(call *c, json_t *topic, const sns_arn *a, const json_t *e, delivery_batch *b,
                       published *p)
{
    int fifo = sns_is_fifo(topic);
    const char *group = jstr(e, "MessageGroupId");
    const char *dedup = jstr(e, "MessageDeduplicationId");
    double now = clock_now();
    ids_uuid(p->message_id);
    p->seq[0] = 0;
    store_key dk = {0};
    char did[512];
    if (fifo) {
        if (!dedup || !*dedup) dedup = sha256_hex(jstr(e, "Message")); /* content-based */
        snprintf(did, sizeof(did), "%s:%s", a->topic, dedup);
        dk = (store_key){SNS_KIND_DEDUP, a->account, a->region, did};
        json_t *seen = NULL;
        int rc = store_get(c->txn, &dk, &seen, c->err);
        if (rc < 0) return -1;
        if (rc == 1 && now - json_number_value(json_object_get(seen, "Time")) < DEDUP_WINDOW) {
            /* AWS: a duplicate within the window is accepted and not delivered again */
            snprintf(p->message_id, sizeof(p->message_id), "%s", jstr(seen, "MessageId"));
            snprintf(p->seq, sizeof(p->seq), "%s", jstr(seen, "SequenceNumber"));
            json_decref(seen);
            return 0;
        }
        json_decref(seen);
        long long seq = jint(topic, "Seq", 0) + 1;
        if (json_object_set_new(topic, "Seq", json_integer(seq))) return ferr_oom(c->err);
        snprintf(p->seq, sizeof(p->seq), "%020lld", seq);
        json_t *rec = json_pack("{s:s, s:s, s:f}", "MessageId", p->message_id, "SequenceNumber",
                                p->seq, "Time", now);
        rc = store_put(c->txn, &dk, rec, c->err);
        json_decref(rec);
        if (rc || (seq % 256 == 0 && purge_dedup(c, a, now))) return -1;
    }

    sns_subs *subs = sns_subs_get(c, a);
    if (!subs) return -1;
    size_t n, nmatch = 0;
    const sns_sub_entry *v = sns_subs_items(subs, &n);
    const sns_sub_entry **match = n ? malloc(n * sizeof(*match)) : NULL;
    json_t *bodies = NULL;
    int oom = 0; /* a message body could not be kept: no subscription may be skipped for it */
    for (size_t i = 0; i < n && match && !oom; i++) {
        if (v[i].broken) continue;
        if (v[i].filter) {
            const json_t *body = NULL;
            if (sns_filter_scope(v[i].filter) == SNS_SCOPE_BODY) {
                if (!bodies) bodies = json_object();
                body = body_for(e, v[i].proto, bodies, &oom);
            }
            if (!sns_filter_match(v[i].filter, json_object_get(e, "MessageAttributes"), body))
                continue;
        }
        match[nmatch++] = &v[i];
    }
    json_decref(bodies);
    if (oom) {
        free(match);
        return ferr_oom(c->err);
    }
    if (!nmatch) {
        free(match);
        return n && !match ? ferr_oom(c->err) : 0;
    }
    char ts[32];
    clock_iso8601(now, 1, ts);
    const char *sv = sns_topic_attr(topic, "SignatureVersion");
    json_t *msg = json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "Type", "Notification", "MessageId",
                            p->message_id, "TopicArn", jstr(topic, "TopicArn"), "Message",
                            json_object_get(e, "Message"), "Timestamp", ts, "SignatureVersion",
                            sv && !strcmp(sv, "2") ? "2" : "1");
    static const char *const copy[] = {"Subject", "MessageStructure", "MessageAttributes", NULL};
    int bad = 0;
    for (const char *const *k = copy; *k; k++)
        if (json_object_get(e, *k)) bad |= json_object_set(msg, *k, json_object_get(e, *k));
    if (fifo) {
        bad |= jset_str(msg, "MessageGroupId", group); /* deliveries in order per group */
        bad |= jset_str(msg, "MessageDeduplicationId", dedup);
        bad |= jset_str(msg, "SequenceNumber", p->seq);
    }
    if (bad || !msg) {
        json_decref(msg);
        msg = NULL;
        ferr_oom(c->err);
    }
    dlv_msg *dm = msg ? delivery_message(b, a->account, a->region, msg, c->err) : NULL;
    int rc = dm ? 0 : -1;
    for (size_t i = 0; !rc && i < nmatch; i++)
        rc = match[i]->endpoint ? sns_record_fanout(c, match[i], msg)
                                : delivery_to(dm, match[i]->arn, NULL, c->err);
    json_decref(msg);
    free(match);
    if (rc && !ferr_isset(c->err)) ferr_oom(c->err);
    return rc;
}

/* The topic a Publish names: TopicArn, or TargetArn when it is a topic. */
static int publish_target(call *c, json_t *in, const char **arn)
{
    const char *t = jstr(in, "TopicArn"), *g = jstr(in, "TargetArn"), *ph = jstr(in, "PhoneNumber");
    int n = !!t + !!g + !!ph;
    if (n == 0)
        return sns_invalid(c, "TopicArn or TargetArn Reason: no value for required parameter");
    if (n > 1)
        return sns_invalid(c, "TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may "
                              "be provided");
    *arn = t ? t : g;
    if (g) {
        sns_arn a;
        if (sns_parse_arn(g, 0, &a) && !(arn_rest(g, "sns") && strstr(g, ":endpoint/")))
            return sns_invalid(c, "TargetArn");
    }
    return 0;
}

int sns_op_publish(call *c, json_t *in, json_t **out)
{
    const char *arn = NULL;
    if (publish_target(c, in, &arn)) return -1;
    if (!arn) return sns_publish_sms(c, in, out);
    if (strstr(arn, ":endpoint/")) return sns_publish_endpoint(c, in, out);
    json_t *topic;
    sns_arn a;
    const char *param = jstr(in, "TopicArn") ? "TopicArn" : "TargetArn";
    if (sns_load_topic_ro(c, arn, param, &topic, &a)) return -1;
    if (sns_is_fifo(topic)) { /* its sequence number changes: a copy of its own */
        json_decref(topic);
        if (sns_load_topic(c, arn, param, &topic, &a)) return -1;
    }
    delivery_batch b = {0};
    published p;
    int rc = sns_authorize(c, "SNS:Publish", topic);
    if (!rc) rc = check_message(c, topic, in);
    if (!rc) rc = publish_one(c, topic, &a, in, &b, &p);
    if (!rc && p.seq[0]) {
        store_key k = sns_topic_key(&a);
        rc = store_put(c->txn, &k, topic, c->err);
    }
    if (!rc) rc = delivery_write(&b, c->txn, c->err);
    json_decref(topic);
    if (rc) {
        delivery_batch_dispose(&b);
        return -1;
    }
    delivery_submit(c->env, &b);
    call_resource(c, "AWS::SNS::Topic", arn);
    *out = svc_out(c, json_pack("{s:s}", "MessageId", p.message_id));
    if (!*out || (p.seq[0] && jset_str(*out, "SequenceNumber", p.seq))) return ferr_oom(c->err);
    return 0;
}

static int valid_entry_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 80) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_') return 0;
    return 1;
}

int sns_op_publish_batch(call *c, json_t *in, json_t **out)
{
    json_t *entries = json_object_get(in, "PublishBatchRequestEntries");
    size_t n = json_array_size(entries), i, j;
    json_t *e, *f;
    json_t *topic;
    sns_arn a;
    if (sns_load_topic_ro(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    if (sns_is_fifo(topic)) { /* its sequence number changes: a copy of its own */
        json_decref(topic);
        if (sns_load_topic(c, jstr(in, "TopicArn"), "TopicArn", &topic, &a)) return -1;
    }
    if (sns_authorize(c, "SNS:Publish", topic)) goto fail;
    if (n == 0) {
        ferr_set(c->err, 400, "EmptyBatchRequest",
                 "The batch request doesn't contain any entries.");
        goto fail;
    }
    if (n > MAX_BATCH) {
        ferr_set(c->err, 400, "TooManyEntriesInBatchRequest",
                 "The batch request contains more entries than permissible.");
        goto fail;
    }
    size_t total = 0;
    json_array_foreach(entries, i, e) {
        if (!valid_entry_id(jstr(e, "Id"))) {
            ferr_set(
                c->err, 400, "InvalidBatchEntryId",
                "The Id of a batch entry in a batch request doesn't abide by the specification.");
            goto fail;
        }
        json_array_foreach(entries, j, f) {
            if (j < i && !strcmp(jstr(f, "Id"), jstr(e, "Id"))) {
                ferr_set(c->err, 400, "BatchEntryIdsNotDistinct",
                         "Two or more batch entries in the request have the same Id.");
                goto fail;
            }
        }
        total += jstr(e, "Message") ? strlen(jstr(e, "Message")) : 0;
        if (sns_is_fifo(topic) && !jstr(e, "MessageGroupId")) {
            sns_invalid(c, "The MessageGroupId parameter is required for FIFO topics");
            goto fail;
        }
    }
    if (total > SNS_MAX_MESSAGE) {
        ferr_set(c->err, 400, "BatchRequestTooLong",
                 "The length of all the messages put together is more than the limit.");
        goto fail;
    }
    delivery_batch b = {0};
    json_t *ok = json_array(), *failed = json_array();
    int rc = 0, fifo_used = 0;
    json_array_foreach(entries, i, e) {
        published p;
        ferr saved = *c->err;
        if (check_message(c, topic, e)) {
            /* a bad entry fails alone */
            int bad = json_array_append_new(
                failed, json_pack("{s:s, s:s, s:s, s:b}", "Id", jstr(e, "Id"), "Code", c->err->code,
                                  "Message", c->err->message, "SenderFault", 1));
            *c->err = saved;
            if (bad) {
                rc = ferr_oom(c->err);
                break;
            }
            continue;
        }
        if ((rc = publish_one(c, topic, &a, e, &b, &p))) break;
        json_t *r = json_pack("{s:s, s:s}", "Id", jstr(e, "Id"), "MessageId", p.message_id);
        if (p.seq[0]) {
            if (jset_str(r, "SequenceNumber", p.seq)) {
                json_decref(r);
                r = NULL;
            }
            fifo_used = 1;
        }
        if (json_array_append_new(ok, r)) { /* NULL r too: out of memory */
            rc = ferr_oom(c->err);
            break;
        }
    }
    if (!rc && fifo_used) {
        store_key k = sns_topic_key(&a);
        rc = store_put(c->txn, &k, topic, c->err);
    }
    if (!rc) rc = delivery_write(&b, c->txn, c->err);
    if (rc) {
        delivery_batch_dispose(&b);
        json_decref(ok);
        json_decref(failed);
        goto fail;
    }
    delivery_submit(c->env, &b);
    call_resource(c, "AWS::SNS::Topic", jstr(topic, "TopicArn"));
    json_decref(topic);
    *out = svc_out(c, json_pack("{s:o, s:o}", "Successful", ok, "Failed", failed));
    return 0;
fail:
    json_decref(topic);
    return -1;
}
