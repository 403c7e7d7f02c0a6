#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/gencache.h"
#include "base/ids.h"

static const char *kind_name(prin_kind k)
{
    switch (k) {
    case PRIN_ROOT: return "Root";
    case PRIN_USER: return "IAMUser";
    case PRIN_ASSUMED_ROLE: return "AssumedRole";
    case PRIN_SERVICE: return "AWSService";
    default: return "Anonymous";
    }
}

static prin_kind kind_from(const char *s)
{
    if (!s) return PRIN_ANONYMOUS;
    if (!strcmp(s, "Root")) return PRIN_ROOT;
    if (!strcmp(s, "IAMUser")) return PRIN_USER;
    if (!strcmp(s, "AssumedRole")) return PRIN_ASSUMED_ROLE;
    if (!strcmp(s, "AWSService")) return PRIN_SERVICE;
    return PRIN_ANONYMOUS;
}

void keys_root_principal(const char *account, principal *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = PRIN_ROOT;
    snprintf(out->account, sizeof(out->account), "%s", account);
    snprintf(out->arn, sizeof(out->arn), "arn:aws:iam::%s:root", account);
    snprintf(out->userid, sizeof(out->userid), "%s", account);
}

void keys_principal_in(principal *p, const char *region)
{
    const char *want = arn_partition(region);
    char *fields[] = {p->arn, p->role_arn};
    size_t cap[] = {sizeof(p->arn), sizeof(p->role_arn)};
    for (size_t i = 0; i < 2; i++) {
        size_t n, wl = strlen(want);
        const char *part = arn_partition_of(fields[i], &n);
        if (!part || (n == wl && !strncmp(part, want, n))) continue;
        size_t len = strlen(fields[i]);
        if (len - n + wl >= cap[i]) continue; /* cannot happen: partitions are short */
        memmove(fields[i] + 4 + wl, part + n, len - 4 - n + 1);
        memcpy(fields[i] + 4, want, wl);
    }
}

static int store_key_doc(store_txn *t, const key_info *k, double expires, const json_t *extra,
                         ferr *e)
{
    const principal *w = &k->who;
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "AccessKeyId", k->akid,
        "SecretAccessKey", k->secret, "Status", "Active", "Type", kind_name(w->kind), "Account",
        w->account, "Arn", w->arn, "UserId", w->userid, "Name", w->name, "Session", w->session,
        "RoleArn", w->role_arn, "CreateDate", clock_now(), "Expiration", expires);
    if (!doc) return ferr_oom(e);
    int rc = k->session_token[0] &&
             json_object_set_new(doc, "SessionToken", json_string(k->session_token));
    if (w->mfa_auth > 0) rc |= json_object_set_new(doc, "MFAAuthTime", json_real(w->mfa_auth));
    const char *xk;
    json_t *xv;
    json_object_foreach((json_t *)extra, xk, xv) {
        if (!json_object_get(doc, xk)) rc |= json_object_set(doc, xk, xv); /* never the key's own */
    }
    if (rc) {
        json_decref(doc);
        return ferr_oom(e);
    }
    store_key key = {"accesskey", "", "", k->akid};
    rc = store_insert(t, &key, doc, e);
    json_decref(doc);
    if (rc == 1) return ferr_internal(e, "access key id collision");
    return rc;
}

int keys_create(store_txn *t, const principal *who, key_info *out, ferr *e)
{
    memset(out, 0, sizeof(*out));
    out->who = *who;
    ids_aws("AKIA", 16, out->akid);
    ids_secret(out->secret);
    out->active = 1;
    snprintf(out->who.akid, sizeof(out->who.akid), "%s", out->akid);
    return store_key_doc(t, out, 0, NULL, e);
}

int keys_create_session(store_txn *t, const principal *who, double expires, key_info *out, ferr *e)
{
    return keys_create_session_ex(t, who, expires, NULL, out, e);
}

int keys_create_session_ex(store_txn *t, const principal *who, double expires, const json_t *extra,
                           key_info *out, ferr *e)
{
    memset(out, 0, sizeof(*out));
    out->who = *who;
    ids_aws("ASIA", 16, out->akid);
    ids_secret(out->secret);
    /* The token is opaque to clients; a long random string like AWS's. */
    char tok[257];
    ids_secret(tok);
    ids_secret(tok + 40);
    ids_secret(tok + 80);
    snprintf(out->session_token, sizeof(out->session_token), "FQoGZXIvYXdzE%.120s", tok);
    out->active = 1;
    out->who.temporary = 1;
    out->who.expires = expires;
    snprintf(out->who.akid, sizeof(out->who.akid), "%s", out->akid);
    return store_key_doc(t, out, expires, extra, e);
}

static void cp(char *dst, size_t n, const json_t *doc, const char *k)
{
    const char *v = json_string_value(json_object_get(doc, k));
    snprintf(dst, n, "%s", v ? v : "");
}

int keys_lookup(store_txn *t, const char *akid, key_info *out, ferr *e)
{
    json_t *doc = NULL;
    store_key key = {"accesskey", "", "", akid};
    int rc = store_get(t, &key, &doc, e);
    if (rc <= 0) return rc;
    memset(out, 0, sizeof(*out));
    cp(out->akid, sizeof(out->akid), doc, "AccessKeyId");
    cp(out->secret, sizeof(out->secret), doc, "SecretAccessKey");
    cp(out->session_token, sizeof(out->session_token), doc, "SessionToken");
    const char *st = json_string_value(json_object_get(doc, "Status"));
    out->active = st && !strcmp(st, "Active");
    principal *w = &out->who;
    w->kind = kind_from(json_string_value(json_object_get(doc, "Type")));
    cp(w->account, sizeof(w->account), doc, "Account");
    cp(w->arn, sizeof(w->arn), doc, "Arn");
    cp(w->userid, sizeof(w->userid), doc, "UserId");
    cp(w->name, sizeof(w->name), doc, "Name");
    cp(w->session, sizeof(w->session), doc, "Session");
    cp(w->role_arn, sizeof(w->role_arn), doc, "RoleArn");
    snprintf(w->akid, sizeof(w->akid), "%s", out->akid);
    w->expires = json_real_value(json_object_get(doc, "Expiration"));
    w->temporary = out->session_token[0] != 0;
    w->mfa_auth = json_number_value(json_object_get(doc, "MFAAuthTime"));
    json_decref(doc);
    return 1;
}

/* Recent keys, copied out; an entry is current while the accesskey generation is. */
static gencache_static kcache = GENCACHE_STATIC(1024, free);

static void copy_key(const void *v, void *out)
{
    *(key_info *)out = *(const key_info *)v;
}

int keys_lookup_cached(store *st, const char *akid, key_info *out, ferr *e)
{
    gencache *kc = gencache_of(&kcache);
    /* read before the store: a write committing meanwhile leaves the entry stale, not wrong */
    uint64_t gen = store_generation(st, "accesskey");
    if (gencache_read(kc, akid, gen, copy_key, out)) return 1;
    store_txn *t = NULL;
    if (store_begin(st, 0, &t, e)) return -1;
    int rc = keys_lookup(t, akid, out, e);
    store_rollback(t);
    key_info *k = rc == 1 ? malloc(sizeof(*k)) : NULL;
    if (k) {
        *k = *out;
        if (gencache_put(kc, akid, gen, k, NULL)) free(k); /* not kept: still answered */
    }
    return rc;
}
