/* Credentials as a whole: an access key's last use (kept by auth/lastused.c) and the
 * credential report (one CSV row per user, AWS's columns, stored as kind "iam.account" id
 * "credreport": {"Content" (base64), "GeneratedTime"}). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/keys.h"
#include "auth/lastused.h"
#include "base/arn.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/enc.h"
#include "iam_int.h"

json_t *iamsvc_user_docs(call *c, const char *kind, const char *user)
{
    json_t *all = iamsvc_list_all(c, kind, c->account);
    for (size_t i = json_array_size(all); i-- > 0;)
        if (strcasecmp(jstr(json_array_get(all, i), "UserName"), user)) json_array_remove(all, i);
    return all;
}

int iam_op_get_access_key_last_used(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "AccessKeyId");
    key_info k;
    int rc = keys_lookup(c->txn, id ? id : "", &k, c->err);
    if (rc < 0) return -1;
    /* another account's key is as unknown as a missing one */
    if (!rc || k.who.kind != PRIN_USER || strcmp(k.who.account, c->account)) {
        memset(&k, 0, sizeof(k));
        /* AWS authorizes on the key's user; without one, on the account's users */
        if (iamsvc_authorize(c, "iam:GetAccessKeyLastUsed",
                             iamsvc_arn(c, c->account, "user", "/", "*")))
            return -1;
        return ferr_set(c->err, 404, "NoSuchEntity", "The Access Key with id %s cannot be found.",
                        id ? id : "");
    }
    const char *user = arena_strdup(c->a, k.who.name), *arn = arena_strdup(c->a, k.who.arn);
    memset(&k, 0, sizeof(k));
    if (iamsvc_authorize(c, "iam:GetAccessKeyLastUsed", arn)) return -1;
    json_t *used = NULL;
    rc = lastused_get(c->txn, id, &used, c->err);
    if (rc < 0) return -1;
    /* AWS: a key never used has no date and "N/A" for service and region */
    json_t *v = rc ? used : json_pack("{s:s, s:s}", "ServiceName", "N/A", "Region", "N/A");
    if (!v) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:o}", "UserName", user, "AccessKeyLastUsed", v));
    return 0;
}

/* ---- the credential report ---- */

#define REPORT_ID "credreport"

static void iso(double t, char out[32])
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* One access key's six columns (AWS: "N/A" where there is nothing to say). */
static int key_cols(call *c, buf *b, const char *akid)
{
    json_t *key = NULL, *used = NULL;
    store_key k = {"accesskey", "", "", akid ? akid : ""};
    int rc = akid ? store_get(c->txn, &k, &key, c->err) : 0;
    if (rc > 0) rc = lastused_get(c->txn, akid, &used, c->err) < 0 ? -1 : 1;
    if (rc < 0) {
        json_decref(key);
        return -1;
    }
    char made[32], when[32] = "N/A";
    if (!rc) {
        buf_printf(b, ",false,N/A,N/A,N/A,N/A");
    } else {
        iso(json_number_value(json_object_get(key, "CreateDate")), made);
        if (used) iso(json_number_value(json_object_get(used, "LastUsedDate")), when);
        buf_printf(b, ",%s,%s,%s,%s,%s",
                   strcmp(jstr(key, "Status") ? jstr(key, "Status") : "", "Active") ? "false"
                                                                                    : "true",
                   made, when, used ? jstr(used, "Region") : "N/A",
                   used ? jstr(used, "ServiceName") : "N/A");
    }
    json_decref(key);
    json_decref(used);
    return 0;
}

static int build_report(call *c, buf *b)
{
    buf_printf(b, "user,arn,user_creation_time,password_enabled,password_last_used,"
                  "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
                  "access_key_1_last_rotated,access_key_1_last_used_date,"
                  "access_key_1_last_used_region,access_key_1_last_used_service,"
                  "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
                  "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
                  "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n");
    char t[32];
    iso(c->env->started, t);
    /* the root user: no console password of ferry's, its keys are ferry init's */
    buf_printf(b,
               "<root_account>,%s,%s,not_supported,no_information,not_supported,not_supported,"
               "false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
               arena_printf(c->a, "arn:%s:iam::%s:root", arn_partition(c->region), c->account), t);
    json_t *users = iamsvc_list_all(c, "iam.user", c->account);
    if (!users) return -1;
    size_t i;
    json_t *u;
    int rc = 0;
    json_array_foreach(users, i, u) {
        json_t *lp = json_object_get(u, "LoginProfile"), *keys = json_object_get(u, "AccessKeys");
        iso(json_number_value(json_object_get(u, "CreateDate")), t);
        char changed[32] = "N/A";
        if (lp) iso(json_number_value(json_object_get(lp, "CreateDate")), changed);
        buf_printf(b, "%s,%s,%s,%s,%s,%s,N/A,%s", jstr(u, "UserName"), jstr(u, "Arn"), t,
                   lp ? "true" : "false", lp ? "no_information" : "N/A", changed,
                   json_array_size(json_object_get(u, "MFADevices")) ? "true" : "false");
        for (size_t j = 0; !rc && j < 2; j++)
            rc = key_cols(c, b, json_string_value(json_array_get(keys, j)));
        buf_printf(b, ",false,N/A,false,N/A\n");
        if (rc) break;
    }
    json_decref(users);
    return rc;
}

int iam_op_generate_credential_report(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (iamsvc_authorize(c, "iam:GenerateCredentialReport", "*")) return -1;
    json_t *old = NULL;
    store_key k = {"iam.account", c->account, IAMSVC_REGION, REPORT_ID};
    int had = store_get(c->txn, &k, &old, c->err);
    json_decref(old);
    if (had < 0) return -1;
    /* made at once, in this transaction; the first request still answers STARTED, as AWS
     * does, and GetCredentialReport finds it complete */
    buf b;
    buf_init(&b, 0);
    int rc = build_report(c, &b);
    if (!rc && b.failed) rc = ferr_oom(c->err);
    char *b64 = rc ? NULL : enc_b64(c->a, (const unsigned char *)buf_str(&b), b.len);
    buf_dispose(&b);
    if (rc) return -1;
    json_t *doc = b64 ? json_pack("{s:s, s:f}", "Content", b64, "GeneratedTime",
                                  (double)(long long)clock_now())
                      : NULL;
    rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    if (rc) return -1;
    *out = svc_out(c, had ? json_pack("{s:s}", "State", "COMPLETE")
                          : json_pack("{s:s, s:s}", "State", "STARTED", "Description",
                                      "No report exists. Starting a new report generation task"));
    return 0;
}

int iam_op_get_credential_report(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (iamsvc_authorize(c, "iam:GetCredentialReport", "*")) return -1;
    json_t *doc = NULL;
    store_key k = {"iam.account", c->account, IAMSVC_REGION, REPORT_ID};
    int rc = store_get(c->txn, &k, &doc, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 410, "ReportNotPresent",
                        "Unable to find credential report. Use GenerateCredentialReport.");
    *out = svc_out(c, json_pack("{s:O, s:s, s:O}", "Content", json_object_get(doc, "Content"),
                                "ReportFormat", "text/csv", "GeneratedTime",
                                json_object_get(doc, "GeneratedTime")));
    json_decref(doc);
    return 0;
}
