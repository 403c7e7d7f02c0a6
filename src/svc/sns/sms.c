/* SMS: account attributes, opt-outs, the SMS sandbox and Publish to a phone number. Nothing
 * is sent: each text is recorded (sns_record_delivery), the sandbox's one-time passwords
 * included, for tests to read at GET /_ferry/sns/deliveries. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "sns_int.h"

#define SMS_ATTRS_ID "attributes"

int sns_valid_phone(const char *ph)
{
    if (!ph) return 0;
    size_t d = strspn(ph + (ph[0] == '+'), "0123456789");
    return d >= 5 && d <= 15 && !ph[(ph[0] == '+') + d];
}

int sns_record_delivery(call *c, const char *account, const char *region, json_t *rec)
{
    char id[37];
    double now = clock_now();
    char ts[32];
    ids_uuid7(id, now); /* in the order they were made */
    clock_iso8601(now, 1, ts);
    store_key k = {SNS_KIND_SENT, account, region, id};
    int rc = !rec || jset_str(rec, "Timestamp", ts) ? ferr_oom(c->err)
                                                    : store_put(c->txn, &k, rec, c->err);
    json_decref(rec);
    return rc;
}

static int authorize(call *c, const char *action)
{
    return call_authorize_ex(
        c, &(authz_req){.action = action, .resource = "*", .denied_code = "AuthorizationError"});
}

static int bad_phone(call *c, const char *param)
{
    return sns_invalid(c, "%s Reason: input incorrectly formatted", param);
}

/* AWS's SMS attributes and their rules. */
static int check_sms_attr(call *c, const char *name, const char *v)
{
    char *end = NULL;
    if (!strcmp(name, "MonthlySpendLimit")) {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 0)
            return sns_invalid(c, "MonthlySpendLimit Reason: must be a non-negative integer");
    } else if (!strcmp(name, "DeliveryStatusIAMRole")) {
        if (*v && !arn_rest(v, "iam"))
            return sns_invalid(c, "DeliveryStatusIAMRole Reason: must be an IAM role ARN");
    } else if (!strcmp(name, "DeliveryStatusSuccessSamplingRate")) {
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 0 || n > 100)
            return sns_invalid(c, "DeliveryStatusSuccessSamplingRate Reason: must be an integer "
                                  "from 0 to 100");
    } else if (!strcmp(name, "DefaultSenderID")) {
        /* AWS: 1-11 alphanumeric characters, at least one letter, no spaces */
        size_t n = strlen(v), letters = 0, i;
        for (i = 0; i < n && isalnum((unsigned char)v[i]); i++)
            letters += !!isalpha((unsigned char)v[i]);
        if (n < 1 || n > 11 || i < n || !letters)
            return sns_invalid(c, "DefaultSenderID Reason: must be 1-11 alphanumeric characters "
                                  "with at least one letter");
    } else if (!strcmp(name, "DefaultSMSType")) {
        if (strcmp(v, "Promotional") && strcmp(v, "Transactional"))
            return sns_invalid(c, "DefaultSMSType Reason: must be Promotional or Transactional");
    } else if (!strcmp(name, "UsageReportS3Bucket")) {
        if (!*v || strlen(v) > 63)
            return sns_invalid(c, "UsageReportS3Bucket Reason: not a bucket name");
    } else {
        return sns_invalid(c, "attributes Reason: Unknown attribute %s", name);
    }
    return 0;
}

int sns_op_set_sms_attributes(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *attrs = json_object_get(in, "attributes");
    if (authorize(c, "SNS:SetSMSAttributes")) return -1;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) {
        const char *s = json_string_value(v);
        if (check_sms_attr(c, k, s ? s : "")) return -1;
    }
    store_key key = {SNS_KIND_SMS, c->account, c->region, SMS_ATTRS_ID};
    json_t *have = NULL;
    int rc = store_get(c->txn, &key, &have, c->err);
    if (rc < 0) return -1;
    if (!rc && !(have = json_object())) return ferr_oom(c->err);
    json_object_foreach(attrs, k, v) {
        const char *s = json_string_value(v);
        if (!s || !*s)
            json_object_del(have, k);
        else if (json_object_set_new(have, k, json_string(s)))
            rc = -1;
    }
    rc = rc < 0 ? ferr_oom(c->err) : store_put(c->txn, &key, have, c->err);
    json_decref(have);
    return rc;
}

int sns_op_get_sms_attributes(call *c, json_t *in, json_t **out)
{
    json_t *names = json_object_get(in, "attributes");
    if (authorize(c, "SNS:GetSMSAttributes")) return -1;
    store_key key = {SNS_KIND_SMS, c->account, c->region, SMS_ATTRS_ID};
    json_t *have = NULL;
    int rc = store_get(c->txn, &key, &have, c->err);
    if (rc < 0) return -1;
    if (!rc && !(have = json_object())) return ferr_oom(c->err);
    if (json_array_size(names)) { /* only the ones asked for */
        json_t *some = json_object();
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n) {
            json_t *v = json_object_get(have, json_string_value(n));
            if (some && v && json_object_set(some, json_string_value(n), v)) {
                json_decref(some);
                some = NULL;
            }
        }
        json_decref(have);
        if (!(have = some)) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:o}", "attributes", have));
    return 0;
}

static int opted_out(call *c, const char *phone)
{
    store_key k = {SNS_KIND_OPTOUT, c->account, c->region, phone};
    json_t *d = NULL;
    int rc = store_get(c->txn, &k, &d, c->err);
    json_decref(d);
    return rc;
}

int sns_op_check_if_phone_number_is_opted_out(call *c, json_t *in, json_t **out)
{
    const char *ph = jstr(in, "phoneNumber");
    if (!sns_valid_phone(ph)) return bad_phone(c, "phoneNumber");
    if (authorize(c, "SNS:CheckIfPhoneNumberIsOptedOut")) return -1;
    int rc = opted_out(c, ph);
    if (rc < 0) return -1;
    *out = svc_out(c, json_pack("{s:b}", "isOptedOut", rc));
    return 0;
}

static int phone_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)doc;
    return json_array_append_new(ud, json_string(k->id));
}

int sns_op_list_phone_numbers_opted_out(call *c, json_t *in, json_t **out)
{
    if (authorize(c, "SNS:ListPhoneNumbersOptedOut")) return -1;
    return sns_list_page(c, SNS_KIND_OPTOUT, c->account, NULL, phone_cb, jstr(in, "nextToken"),
                         SNS_PAGE, "phoneNumbers", "nextToken", out);
}

int sns_op_opt_in_phone_number(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *ph = jstr(in, "phoneNumber");
    if (!sns_valid_phone(ph)) return bad_phone(c, "phoneNumber");
    if (authorize(c, "SNS:OptInPhoneNumber")) return -1;
    store_key k = {SNS_KIND_OPTOUT, c->account, c->region, ph};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

int sns_opt_out_by_reply(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *ph = jstr(in, "PhoneNumber");
    if (!sns_valid_phone(ph)) return bad_phone(c, "PhoneNumber");
    store_key k = {SNS_KIND_OPTOUT, c->account, c->region, ph};
    json_t *d = json_pack("{s:s}", "PhoneNumber", ph);
    int rc = d ? store_put(c->txn, &k, d, c->err) : ferr_oom(c->err);
    json_decref(d);
    return rc;
}

static int sent_cb(void *ud, const store_key *k, json_t *doc)
{
    json_t *d = json_copy(doc);
    if (!d || jset_str(d, "Account", k->account) || jset_str(d, "Region", k->region)) {
        json_decref(d);
        return -1;
    }
    return json_array_append_new(ud, d);
}

int sns_list_deliveries(call *c, json_t *in, json_t **out)
{
    /* ferry's own action (AWS sends, it keeps no such record): sns:* or root allows it */
    if (authorize(c, "sns:ListDeliveries")) return -1;
    json_t *all = json_array();
    if (!all) return ferr_oom(c->err);
    int n = store_list(c->txn, SNS_KIND_SENT, c->account, jstr(in, "Region"), NULL, NULL, 0,
                       sent_cb, all, c->err);
    if (n >= 0 && (size_t)n != json_array_size(all)) n = ferr_oom(c->err);
    *out = n < 0 ? NULL : svc_out(c, json_pack("{s:o}", "Deliveries", all));
    if (n < 0) json_decref(all);
    return n < 0 ? -1 : 0;
}

static int load_sandbox(call *c, const char *phone, json_t **doc)
{
    store_key k = {SNS_KIND_SANDBOX, c->account, c->region, phone};
    int rc = store_get(c->txn, &k, doc, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 404, "ResourceNotFound",
                        "Can't find the phone number %s in the SMS sandbox", phone);
    return 0;
}

/* A text of message to phone, recorded (not sent). */
static int record_sms(call *c, const char *phone, const char *status, const json_t *in,
                      char mid[37])
{
    const char *given = jstr(in, "MessageId"); /* a topic's message keeps its id */
    if (given)
        snprintf(mid, 37, "%s", given);
    else
        ids_uuid(mid);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s}", "Kind", "sms", "MessageId", mid, "PhoneNumber",
                            phone, "Status", status);
    static const char *const copy[] = {"Message", "MessageAttributes", "TopicArn", NULL};
    for (const char *const *k = copy; rec && in && *k; k++) {
        json_t *v = json_object_get(in, *k);
        if (v && json_object_set(rec, *k, v)) {
            json_decref(rec);
            rec = NULL;
        }
    }
    return sns_record_delivery(c, c->account, c->region, rec);
}

int sns_op_create_sms_sandbox_phone_number(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *ph = jstr(in, "PhoneNumber"), *lang = jstr(in, "LanguageCode");
    if (!sns_valid_phone(ph) || ph[0] != '+') return bad_phone(c, "PhoneNumber");
    if (authorize(c, "SNS:CreateSMSSandboxPhoneNumber")) return -1;
    json_t *doc = NULL;
    store_key k = {SNS_KIND_SANDBOX, c->account, c->region, ph};
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    if (rc && !strcmp(jstr(doc, "Status"), "Verified")) { /* nothing left to verify */
        json_decref(doc);
        return 0;
    }
    json_decref(doc);
    /* a fresh one-time password each time, as AWS texts a new one (FERRY_SNS_SMS_OTP fixes
     * it for tests) */
    char otp[16];
    const char *fixed = getenv("FERRY_SNS_SMS_OTP");
    if (fixed && *fixed && strlen(fixed) < sizeof(otp)) {
        snprintf(otp, sizeof(otp), "%s", fixed);
    } else {
        unsigned char r[4];
        ids_random(r, sizeof(r));
        unsigned v = ((unsigned)r[0] << 24 | (unsigned)r[1] << 16 | (unsigned)r[2] << 8 | r[3]);
        snprintf(otp, sizeof(otp), "%06u", v % 1000000u);
    }
    doc = json_pack("{s:s, s:s, s:s, s:s}", "PhoneNumber", ph, "Status", "Pending", "Otp", otp,
                    "LanguageCode", lang ? lang : "en-US");
    rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    if (rc) return -1;
    char mid[37];
    json_t *msg = json_pack("{s:s+}", "Message", "Your verification code is ", otp);
    rc = msg ? record_sms(c, ph, "Verification", msg, mid) : ferr_oom(c->err);
    json_decref(msg);
    return rc;
}

int sns_op_verify_sms_sandbox_phone_number(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *ph = jstr(in, "PhoneNumber"), *otp = jstr(in, "OneTimePassword");
    if (!sns_valid_phone(ph)) return bad_phone(c, "PhoneNumber");
    if (authorize(c, "SNS:VerifySMSSandboxPhoneNumber")) return -1;
    json_t *doc;
    if (load_sandbox(c, ph, &doc)) return -1;
    int rc = 0;
    if (strcmp(jstr(doc, "Status"), "Verified")) {
        if (!otp || strcmp(otp, jstr(doc, "Otp") ? jstr(doc, "Otp") : ""))
            rc = ferr_set(c->err, 400, "VerificationException", "Invalid one-time password");
        store_key k = {SNS_KIND_SANDBOX, c->account, c->region, ph};
        if (!rc) {
            json_object_del(doc, "Otp");
            rc = jset_str(doc, "Status", "Verified") ? ferr_oom(c->err)
                                                     : store_put(c->txn, &k, doc, c->err);
        }
    }
    json_decref(doc);
    return rc;
}

int sns_op_delete_sms_sandbox_phone_number(call *c, json_t *in, json_t **out)
{
    (void)out;
    const char *ph = jstr(in, "PhoneNumber");
    if (!sns_valid_phone(ph)) return bad_phone(c, "PhoneNumber");
    if (authorize(c, "SNS:DeleteSMSSandboxPhoneNumber")) return -1;
    json_t *doc;
    if (load_sandbox(c, ph, &doc)) return -1;
    json_decref(doc);
    store_key k = {SNS_KIND_SANDBOX, c->account, c->region, ph};
    return store_del(c->txn, &k, c->err) < 0 ? -1 : 0;
}

static int sandbox_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    return json_array_append_new(ud, json_pack("{s:O, s:O}", "PhoneNumber",
                                               json_object_get(doc, "PhoneNumber"), "Status",
                                               json_object_get(doc, "Status")));
}

/* MaxResults: AWS takes 1 to 100. */
static int max_results(call *c, json_t *in, long long *max)
{
    *max = jint(in, "MaxResults", SNS_PAGE);
    if (*max < 1 || *max > 100)
        return sns_invalid(c, "MaxResults Reason: must be between 1 and 100");
    return 0;
}

int sns_op_list_sms_sandbox_phone_numbers(call *c, json_t *in, json_t **out)
{
    long long max;
    if (max_results(c, in, &max)) return -1;
    if (authorize(c, "SNS:ListSMSSandboxPhoneNumbers")) return -1;
    return sns_list_page(c, SNS_KIND_SANDBOX, c->account, NULL, sandbox_cb, jstr(in, "NextToken"),
                         max, "PhoneNumbers", "NextToken", out);
}

int sns_op_get_sms_sandbox_account_status(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (authorize(c, "SNS:GetSMSSandboxAccountStatus")) return -1;
    /* every account stays in the sandbox: there is no way out of it without AWS Support */
    *out = svc_out(c, json_pack("{s:b}", "IsInSandbox", 1));
    return 0;
}

int sns_op_list_origination_numbers(call *c, json_t *in, json_t **out)
{
    long long max;
    if (max_results(c, in, &max)) return -1;
    if (authorize(c, "SNS:ListOriginationNumbers")) return -1;
    /* ferry leases no origination numbers */
    *out = svc_out(c, json_pack("{s:[]}", "PhoneNumbers"));
    return 0;
}

int sns_publish_sms(call *c, json_t *in, json_t **out)
{
    const char *ph = jstr(in, "PhoneNumber");
    if (!sns_valid_phone(ph))
        return sns_invalid(c, "PhoneNumber Reason: %s is not valid to publish to", ph);
    const char *m = jstr(in, "Message");
    if (!m || !*m) return sns_invalid(c, "Empty message");
    if (authorize(c, "SNS:Publish")) return -1;
    /* AWS: an account in the SMS sandbox texts only its verified destination numbers */
    store_key k = {SNS_KIND_SANDBOX, c->account, c->region, ph};
    json_t *doc = NULL;
    int rc = store_get(c->txn, &k, &doc, c->err);
    int verified = rc == 1 && !strcmp(jstr(doc, "Status"), "Verified");
    json_decref(doc);
    if (rc < 0) return -1;
    if (!verified)
        return ferr_set(c->err, 403, "AuthorizationError",
                        "Phone number %s is not verified in the SMS sandbox of this account", ph);
    rc = opted_out(c, ph);
    if (rc < 0) return -1;
    /* AWS: a publish to an opted-out number succeeds and delivers nothing */
    char mid[37];
    if (record_sms(c, ph, rc ? "OptedOut" : "Delivered", in, mid)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "MessageId", mid));
    return 0;
}

int sns_op_get_data_protection_policy(call *c, json_t *in, json_t **out)
{
    json_t *topic;
    sns_arn a;
    if (sns_load_topic(c, jstr(in, "ResourceArn"), "ResourceArn", &topic, &a)) return -1;
    int rc = sns_authorize(c, "SNS:GetDataProtectionPolicy", topic);
    const char *p = sns_topic_attr(topic, "DataProtectionPolicy");
    if (!rc) *out = svc_out(c, json_pack("{s:s}", "DataProtectionPolicy", p ? p : ""));
    json_decref(topic);
    return rc;
}

int sns_op_put_data_protection_policy(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *topic;
    sns_arn a;
    const char *doc = jstr(in, "DataProtectionPolicy");
    if (sns_load_topic(c, jstr(in, "ResourceArn"), "ResourceArn", &topic, &a)) return -1;
    int rc = sns_authorize(c, "SNS:PutDataProtectionPolicy", topic);
    if (!rc && doc && *doc) {
        json_error_t je;
        json_t *j = json_loads(doc, 0, &je);
        int ok = json_is_object(j);
        json_decref(j);
        if (!ok)
            rc = sns_invalid(c, "DataProtectionPolicy Reason: The policy document is not valid "
                                "JSON");
    }
    if (!rc && sns_set_attr(json_object_get(topic, "Attributes"), "DataProtectionPolicy", doc, ""))
        rc = ferr_oom(c->err);
    store_key k = sns_topic_key(&a);
    if (!rc) rc = store_put(c->txn, &k, topic, c->err);
    json_decref(topic);
    return rc;
}

int sns_record_fanout(call *c, const sns_sub_entry *e, const json_t *msg)
{
    char mid[37];
    if (!strcmp(e->proto, "sms")) {
        int rc = opted_out(c, e->endpoint);
        return rc < 0 ? -1 : record_sms(c, e->endpoint, rc ? "OptedOut" : "Delivered", msg, mid);
    }
    json_t *ep;
    sns_arn a;
    if (sns_load_endpoint(c, e->endpoint, "Endpoint", &ep, &a)) {
        /* an endpoint deleted or never there takes nothing; the store failing fails */
        if (c->err->status >= 500) return -1;
        ferr_clear(c->err);
        return 0;
    }
    const json_t *attrs = json_object_get(ep, "Attributes");
    int rc = 0;
    if (!strcmp(jstr(attrs, "Enabled") ? jstr(attrs, "Enabled") : "true", "true")) {
        json_t *rec = json_pack(
            "{s:s, s:O, s:s, s:s, s:O?, s:O?, s:O?}", "Kind", "push", "MessageId",
            json_object_get(msg, "MessageId"), "EndpointArn", e->endpoint, "Token",
            jstr(attrs, "Token"), "Message", json_object_get(msg, "Message"), "MessageStructure",
            json_object_get(msg, "MessageStructure"), "TopicArn", json_object_get(msg, "TopicArn"));
        rc = sns_record_delivery(c, a.account, a.region, rec);
    }
    json_decref(ep);
    return rc;
}
