/* Identity facts for authorization (svc/authz.h): the policies and tags of the IAM user or
 * role session making a call. Runs on every authorized call, so parsed policies are kept
 * in a small process-wide cache: managed policy versions are keyed by PolicyId/VersionId
 * (a version's document never changes), inline and session documents by their text. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/gencache.h"
#include "base/ids.h"
#include "iam_int.h"
#include "svc/authz.h"

/* ---- the parsed-policy cache (svc/authz.h's authz_policy) ---- */

/* While an identity is gathered, the entries it uses are noted here so the memo below can
 * keep them alive (one gathering per thread at a time). */
typedef struct held {
    gencache_entry **v;
    size_t n, cap;
    int oom;
} held;
static _Thread_local held *recording;

static const iam_policy *note(const iam_policy *p, gencache_entry *e, int oom)
{
    held *h = recording;
    if (!h || h->oom) return p;
    if (oom || (p && !e)) { /* a policy the memo could not keep: do not memoize */
        h->oom = 1;
        return p;
    }
    if (!p) return p;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        gencache_entry **v = realloc(h->v, cap * sizeof(*v));
        if (!v) {
            h->oom = 1;
            return p;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = e;
    return p;
}

const iam_policy *iamsvc_cached_lookup(call *c, const char *key, int kind)
{
    gencache_entry *e = NULL;
    int oom = 0;
    const iam_policy *p = authz_policy(c, key, NULL, NULL, kind, &e, &oom);
    return note(p, e, oom);
}

const iam_policy *iamsvc_cached_policy(call *c, const char *key, const char *name, const char *text,
                                       int kind)
{
    gencache_entry *e = NULL;
    int oom = 0;
    const iam_policy *p = authz_policy(c, key, name, text, kind, &e, &oom);
    return note(p, e, oom);
}

/* ---- gathering ---- */

typedef struct pvec {
    const iam_policy **v;
    const char **src; /* authz_identity's *_src */
    size_t n, cap;
} pvec;

/* Adds p, which came from src (a managed policy's ARN, or "inline:" and its owner's ARN;
 * copied: it is often in a document freed before the set is used). */
static int push(arena *a, pvec *pv, const iam_policy *p, const char *src)
{
    if (!p) return 0;
    if (src && !(src = arena_strdup(a, src))) return -1;
    if (pv->n == pv->cap) {
        size_t cap = pv->cap ? pv->cap * 2 : 16;
        const iam_policy **v = arena_alloc(a, cap * sizeof(*v));
        const char **sv = arena_alloc(a, cap * sizeof(*sv));
        if (!v || !sv) return -1;
        if (pv->n) {
            memcpy(v, pv->v, pv->n * sizeof(*v));
            memcpy(sv, pv->src, pv->n * sizeof(*sv));
        }
        pv->v = v;
        pv->src = sv;
        pv->cap = cap;
    }
    pv->src[pv->n] = src;
    pv->v[pv->n++] = p;
    return 0;
}

static iam_policy_set as_set(const pvec *pv)
{
    return (iam_policy_set){pv->v, pv->n};
}

const iam_policy *iamsvc_managed_policy(call *c, store_txn *t, const char *account, const char *arn,
                                        const json_t *doc, int kind)
{
    const iamsvc_awspol *ap = iamsvc_aws_policy(arn);
    if (ap) return iamsvc_aws_policy_parsed(ap);
    const char *ref = jstr(json_object_get(doc, "PolicyRefs"), arn);
    if (ref) {
        const iam_policy *p = iamsvc_cached_lookup(c, ref, kind);
        if (p) return p;
    }
    json_t *pol = NULL;
    ferr e = {0};
    if (iamsvc_policy_fetch(t, account, arn, &pol, &e) != 1) return NULL;
    /* a version's document never changes: its compiled form is found without reading it */
    const char *key =
        arena_printf(c->a, "%s|%s", jstr(pol, "PolicyId"), jstr(pol, "DefaultVersionId"));
    const iam_policy *p = iamsvc_cached_lookup(c, key, kind);
    if (!p) {
        json_t *doc = iamsvc_policy_text(t, account, pol, NULL, &e);
        p = iamsvc_cached_policy(c, key, jstr(pol, "PolicyName"), json_string_value(doc), kind);
        json_decref(doc);
    }
    json_decref(pol);
    return p;
}

/* Inline and attached policies of one entity document. */
static int entity_policies(call *c, store_txn *t, const char *account, const json_t *doc, pvec *pv)
{
    const char *k;
    json_t *v;
    const char *owner = NULL;
    if (json_object_size(json_object_get(doc, "InlinePolicies")) &&
        !(owner = arena_printf(c->a, "inline:%s", jstr(doc, "Arn") ? jstr(doc, "Arn") : "")))
        return -1;
    json_object_foreach((json_t *)json_object_get(doc, "InlinePolicies"), k, v)
        if (push(c->a, pv,
                 iamsvc_cached_policy(c, NULL, k, json_string_value(v), IAM_KIND_IDENTITY), owner))
            return -1;
    size_t i;
    json_array_foreach(json_object_get(doc, "AttachedPolicies"), i, v)
        if (push(c->a, pv,
                 iamsvc_managed_policy(c, t, account, json_string_value(v), doc, IAM_KIND_IDENTITY),
                 json_string_value(v)))
            return -1;
    return 0;
}

static int boundary(call *c, store_txn *t, const char *account, const json_t *doc, pvec *pv)
{
    const char *arn = jstr(json_object_get(doc, "PermissionsBoundary"), "PermissionsBoundaryArn");
    if (!arn) return 0;
    const iam_policy *p = iamsvc_managed_policy(c, t, account, arn, doc, IAM_KIND_IDENTITY);
    if (p) return push(c->a, pv, p, arn);
    /* AWS: a boundary that no longer resolves allows nothing; an empty policy says so */
    return push(c->a, pv,
                iamsvc_cached_policy(c, "missing-boundary", "PermissionsBoundary",
                                     "{\"Version\":\"2012-10-17\",\"Statement\":[{"
                                     "\"Effect\":\"Deny\",\"Action\":\"*\","
                                     "\"Resource\":\"*\"}]}",
                                     IAM_KIND_IDENTITY),
                arn);
}

typedef struct tvec {
    iam_tag *v;
    size_t n, cap;
} tvec;

/* Adds or replaces (AWS: session tags override the role's tags with the same key). */
static int add_tags(arena *a, tvec *tv, const json_t *tags)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key"), *v = jstr(t, "Value");
        if (!k) continue;
        size_t j;
        for (j = 0; j < tv->n && strcasecmp(tv->v[j].key, k); j++) {
        }
        if (j == tv->n) {
            if (tv->n == tv->cap) {
                size_t cap = tv->cap ? tv->cap * 2 : 8;
                iam_tag *nv = arena_alloc(a, cap * sizeof(*nv));
                if (!nv) return -1;
                if (tv->n) memcpy(nv, tv->v, tv->n * sizeof(*nv));
                tv->v = nv;
                tv->cap = cap;
            }
            tv->n++;
        }
        tv->v[j].key = arena_strdup(a, k);
        tv->v[j].value = arena_strdup(a, v ? v : "");
        if (!tv->v[j].key || !tv->v[j].value) return -1;
    }
    return 0;
}

/* Session policies and tags, stored by STS on the session's key (role sessions, federated
 * users): added to ss and tags. */
static int session_policies(call *c, store_txn *t, const char *account, const principal *who,
                            pvec *ss, tvec *tags)
{
    int rc = 0;
    json_t *key = NULL;
    store_key k = {"accesskey", "", "", who->akid};
    if (store_get(t, &k, &key, c->err) < 0) return -1;
    const char *sp = jstr(key, "SessionPolicy");
    if (sp && *sp) {
        const iam_policy *p = iamsvc_cached_policy(c, NULL, "SessionPolicy", sp, IAM_KIND_SESSION);
        /* an unreadable session policy must not widen the session: it allows nothing */
        if (!p)
            p = iamsvc_cached_policy(c, "empty-session", "SessionPolicy",
                                     "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
                                     "\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
                                     IAM_KIND_IDENTITY);
        rc = push(c->a, ss, p, "inline:");
    }
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(key, "SessionPolicyArns"), i, a) {
        if (rc) break;
        const char *arn = json_string_value(a);
        if (!arn) continue;
        rc =
            push(c->a, ss, iamsvc_managed_policy(c, t, account, arn, NULL, IAM_KIND_IDENTITY), arn);
    }
    if (!rc) rc = add_tags(c->a, tags, json_object_get(key, "SessionTags"));
    json_decref(key);
    return rc ? -1 : 0;
}

/* 1 when who is a federated user (STS GetFederationToken): a user's session whose key
 * carries session policies. */
static int federated_user(const principal *who)
{
    return who->kind == PRIN_USER && who->akid[0] && strstr(who->arn, ":federated-user/");
}

static int user_identity(call *c, store_txn *t, const principal *who, pvec *id, pvec *bd, pvec *ss,
                         tvec *tags)
{
    json_t *user = NULL;
    int rc = iamsvc_fetch(t, &iamsvc_user_t, who->account, who->name, &user, c->err);
    if (rc <= 0) return rc; /* a user that is gone has no permissions */
    /* a user deleted and created again under the same name is someone else */
    const char *uid = jstr(user, "UserId");
    if (who->userid[0] && (!uid || strcmp(uid, who->userid))) {
        json_decref(user);
        return 0;
    }
    rc = entity_policies(c, t, who->account, user, id) || boundary(c, t, who->account, user, bd) ||
         add_tags(c->a, tags, json_object_get(user, "Tags"));
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(user, "Groups"), i, g) {
        json_t *group = NULL;
        if (rc || iamsvc_fetch(t, &iamsvc_group_t, who->account, json_string_value(g), &group,
                               c->err) < 0) {
            rc = -1;
            break;
        }
        if (group) rc = entity_policies(c, t, who->account, group, id);
        json_decref(group);
    }
    json_decref(user);
    if (!rc && federated_user(who)) rc = session_policies(c, t, who->account, who, ss, tags);
    return rc ? -1 : 0;
}

static int role_identity(call *c, store_txn *t, const principal *who, pvec *id, pvec *bd, pvec *ss,
                         tvec *tags)
{
    char account[16], name[160];
    if (iamsvc_role_from_arn(who->role_arn, account, sizeof(account), name, sizeof(name))) return 0;
    json_t *role = NULL;
    int rc = iamsvc_get_role(t, account, name, &role, c->err);
    if (rc <= 0) return rc;
    /* sessions of a role deleted and created again do not carry over (UserId "AROA...:s") */
    const char *rid = jstr(role, "RoleId"), *colon = strchr(who->userid, ':');
    if (!rid) rid = "";
    if (colon && !strncmp(who->userid, "AROA", 4) &&
        (strlen(rid) != (size_t)(colon - who->userid) ||
         strncmp(rid, who->userid, (size_t)(colon - who->userid)))) {
        json_decref(role);
        return 0;
    }
    rc = entity_policies(c, t, account, role, id) || boundary(c, t, account, role, bd) ||
         add_tags(c->a, tags, json_object_get(role, "Tags"));
    json_decref(role);
    if (rc || !who->akid[0]) return rc ? -1 : 0;

    return session_policies(c, t, account, who, ss, tags);
}

/* ---- the identity memo ----
 * Gathering reads the principal's documents; most calls find the same answer as the call
 * before. Every IAM write in an account stores a new random generation (iamsvc_bump), read
 * here in the request's own transaction: an answer memoized under the same generation is
 * still true, in this process or any other sharing the store. */

typedef struct memo {
    gencache_entry **held; /* the cached policies pols points to */
    size_t nheld;
    const iam_policy **pols; /* identity, then boundary, then session */
    char **srcs;             /* where each came from (pvec's src), parallel to pols */
    size_t nid, nbd, nss;
    iam_tag *tags;
    size_t ntags;
} memo;

static void memo_free(void *p)
{
    memo *m = p;
    for (size_t i = 0; i < m->nheld; i++) gencache_release(m->held[i]);
    for (size_t i = 0; m->srcs && i < m->nid + m->nbd + m->nss; i++) free(m->srcs[i]);
    free(m->srcs);
    for (size_t i = 0; i < m->ntags; i++) {
        free((char *)m->tags[i].key);
        free((char *)m->tags[i].value);
    }
    free(m->held);
    free(m->pols);
    free(m->tags);
    free(m);
}

static gencache_static memos = GENCACHE_STATIC(4096, memo_free);

/* 1 answered from the memo, 0 not there. */
static int memo_find(call *c, const char *key, uint64_t gen, authz_identity *out)
{
    const memo *m = gencache_get(gencache_of(&memos), key, gen, c->a);
    if (!m) return 0;
    out->identity = (iam_policy_set){m->pols, m->nid};
    out->boundary = (iam_policy_set){m->pols + m->nid, m->nbd};
    out->session = (iam_policy_set){m->pols + m->nid + m->nbd, m->nss};
    out->identity_src = (const char *const *)m->srcs;
    out->boundary_src = (const char *const *)m->srcs + m->nid;
    out->session_src = (const char *const *)m->srcs + m->nid + m->nbd;
    out->tags = m->tags;
    out->ntags = m->ntags;
    return 1;
}

/* Remembers what was gathered (best effort: on OOM nothing is remembered). */
static void memo_add(const char *key, uint64_t gen, held *hd, const pvec *id, const pvec *bd,
                     const pvec *ss, const tvec *tags)
{
    size_t np = id->n + bd->n + ss->n;
    memo *m = calloc(1, sizeof(*m));
    if (!m) return;
    m->pols = malloc((np ? np : 1) * sizeof(*m->pols));
    m->srcs = calloc(np ? np : 1, sizeof(*m->srcs));
    m->tags = calloc(tags->n ? tags->n : 1, sizeof(*m->tags));
    int ok = m->pols && m->srcs && m->tags;
    if (ok) {
        if (id->n) memcpy(m->pols, id->v, id->n * sizeof(*m->pols));
        if (bd->n) memcpy(m->pols + id->n, bd->v, bd->n * sizeof(*m->pols));
        if (ss->n) memcpy(m->pols + id->n + bd->n, ss->v, ss->n * sizeof(*m->pols));
        m->nid = id->n, m->nbd = bd->n, m->nss = ss->n;
        const pvec *sets[] = {id, bd, ss};
        for (size_t k = 0, j = 0; ok && k < 3; k++)
            for (size_t i = 0; ok && i < sets[k]->n; i++, j++)
                ok = !sets[k]->src[i] || (m->srcs[j] = strdup(sets[k]->src[i]));
        for (size_t i = 0; ok && i < tags->n; i++, m->ntags++) {
            m->tags[i].key = strdup(tags->v[i].key);
            m->tags[i].value = strdup(tags->v[i].value);
            ok = m->tags[i].key && m->tags[i].value;
        }
    }
    if (!ok) {
        memo_free(m);
        return;
    }
    /* the memo holds its own reference on every cached policy it points to */
    for (size_t i = 0; i < hd->n; i++) gencache_retain(hd->v[i]);
    m->held = hd->v;
    m->nheld = hd->n;
    hd->v = NULL;
    hd->n = hd->cap = 0;
    if (gencache_put(gencache_of(&memos), key, gen, m, NULL)) memo_free(m);
}

int iamsvc_bump(call *c, const char *account)
{
    char gen[40];
    ids_hex(gen, 32);
    json_t *doc = json_pack("{s:s}", "Gen", gen);
    store_key k = {"iam.gen", account, IAMSVC_REGION, "gen"};
    int rc = doc ? store_put(c->txn, &k, doc, c->err) : ferr_oom(c->err);
    json_decref(doc);
    return rc;
}

/* The memo's key for who, and the account's IAM generation (0 before any write). */
static char *memo_key(call *c, store_txn *t, const principal *who, uint64_t *gen)
{
    json_t *g = NULL;
    store_key k = {"iam.gen", who->account, IAMSVC_REGION, "gen"};
    if (store_get(t, &k, &g, c->err) < 0) return NULL;
    /* 64 of its random bits are enough to tell generations apart */
    char hex[17];
    snprintf(hex, sizeof(hex), "%s", g && jstr(g, "Gen") ? jstr(g, "Gen") : "0");
    *gen = strtoull(hex, NULL, 16);
    json_decref(g);
    return arena_printf(c->a, "%d|%s|%s|%s|%s|%s", (int)who->kind, who->account, who->name,
                        who->userid, who->role_arn,
                        who->kind == PRIN_ASSUMED_ROLE || federated_user(who) ? who->akid : "");
}

int iamsvc_identity(call *c, const principal *who, authz_identity *out)
{
    memset(out, 0, sizeof(*out));
    if (!who || (who->kind != PRIN_USER && who->kind != PRIN_ASSUMED_ROLE)) return 0;
    store_txn *t = c->txn, *own = NULL;
    if (!t) {
        if (store_begin(c->env->st, 0, &own, c->err)) return -1;
        t = own;
    }
    uint64_t gen = 0;
    char *key = memo_key(c, t, who, &gen);
    if (!key) {
        store_rollback(own);
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    if (memo_find(c, key, gen, out)) {
        store_rollback(own);
        return 0;
    }
    pvec id = {0}, bd = {0}, ss = {0};
    tvec tags = {0};
    held hd = {0};
    recording = &hd;
    int rc = who->kind == PRIN_USER ? user_identity(c, t, who, &id, &bd, &ss, &tags)
                                    : role_identity(c, t, who, &id, &bd, &ss, &tags);
    recording = NULL;
    store_rollback(own);
    if (!rc && !hd.oom) memo_add(key, gen, &hd, &id, &bd, &ss, &tags);
    free(hd.v);
    if (rc) {
        if (!ferr_isset(c->err)) ferr_oom(c->err);
        return -1;
    }
    out->identity = as_set(&id);
    out->boundary = as_set(&bd);
    out->session = as_set(&ss);
    out->identity_src = id.src;
    out->boundary_src = bd.src;
    out->session_src = ss.src;
    out->tags = tags.v;
    out->ntags = tags.n;
    return 0;
}
