/* Encoded authorization failure messages (authzmsg.h). */
#include "svc/authzmsg.h"

#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "base/keyfile.h"

#define KEY_FILE  "authz-message.key"
/* The sealed message in base64 stays inside EncodedMessage's 10240 characters; a longer
 * document leaves its condition keys out. */
#define PLAIN_MAX 7000

static keyfile_cache msg_key = KEYFILE_CACHE_INIT;

/* {"items": [{"value": v}, ...]} */
static json_t *values(const char *const *v, size_t n)
{
    json_t *list = json_array();
    int bad = !list;
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_array_append_new(list, json_pack("{s:s}", "value", v[i] ? v[i] : ""));
    if (bad) {
        json_decref(list);
        return NULL;
    }
    return json_pack("{s:o}", "items", list);
}

static int add_condition(json_t *items, const char *key, const char *const *v, size_t n)
{
    json_t *vals = values(v, n);
    return !vals ||
           json_array_append_new(items, json_pack("{s:s, s:o}", "key", key, "values", vals));
}

/* The request context as AWS shows it: the keys evaluated, and those derived from the
 * principal that the evaluation would have derived. */
static json_t *conditions(const iam_request *q)
{
    json_t *items = json_array();
    int bad = !items;
    for (size_t i = 0; !bad && i < q->nkeys; i++)
        bad = add_condition(items, q->keys[i].key, q->keys[i].values, q->keys[i].nvalues);
    const principal *p = q->principal;
    if (!bad && p && p->kind != PRIN_SERVICE) {
        const char *userid[] = {p->userid},
                   *arn[] = {p->kind == PRIN_ASSUMED_ROLE ? p->role_arn : p->arn},
                   *account[] = {p->account}, *name[] = {p->name};
        bad = add_condition(items, "aws:userid", userid, 1) ||
              add_condition(items, "aws:PrincipalArn", arn, 1) ||
              add_condition(items, "aws:PrincipalAccount", account, 1) ||
              (p->kind == PRIN_USER && add_condition(items, "aws:username", name, 1));
    }
    if (bad) {
        json_decref(items);
        return NULL;
    }
    return json_pack("{s:o}", "items", items);
}

/* The deny statements that decided (AWS lists the matched statements of an explicit deny). */
static json_t *matched(const iam_request *q, const iam_result *res)
{
    json_t *items = json_array();
    int bad = !items;
    const principal *p = q->principal;
    const char *id[] = {p ? p->userid : ""};
    for (int i = 0; !bad && res->decision == IAM_EXPLICIT_DENY && i < res->nrefs; i++) {
        json_t *who = values(id, 1);
        bad =
            !who || json_array_append_new(items, json_pack("{s:s, s:s, s:o}", "statementId",
                                                           res->refs[i].sid ? res->refs[i].sid : "",
                                                           "effect", "DENY", "principals", who));
    }
    if (bad) {
        json_decref(items);
        return NULL;
    }
    return json_pack("{s:o}", "items", items);
}

/* The document DecodeAuthorizationMessage returns. NULL on OOM. */
static json_t *document(const iam_request *q, const iam_result *res, int with_conditions)
{
    const principal *p = q->principal;
    json_t *prin = json_object(), *ctx = json_object();
    json_t *doc = json_pack("{s:b, s:b, s:o*, s:{s:[]}, s:O*}", "allowed", 0, "explicitDeny",
                            res->decision == IAM_EXPLICIT_DENY, "matchedStatements",
                            matched(q, res), "failures", "items", "context", ctx);
    int bad = !doc || !prin || !ctx || !json_object_get(doc, "matchedStatements");
    if (!bad && p) {
        bad |= jset_str(prin, "id", p->kind == PRIN_SERVICE ? p->service : p->userid);
        if (p->kind == PRIN_USER) bad |= jset_str(prin, "name", p->name);
        if (p->arn[0]) bad |= jset_str(prin, "arn", p->arn);
    }
    bad = bad || json_object_set(ctx, "principal", prin) ||
          jset_str(ctx, "action", q->action ? q->action : "") ||
          jset_str(ctx, "resource", q->resource ? q->resource : "*") ||
          json_object_set_new(ctx, "conditions",
                              with_conditions ? conditions(q) : json_pack("{s:[]}", "items"));
    json_decref(prin);
    json_decref(ctx);
    if (bad) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

const char *authzmsg_encode(call *c, const iam_request *q, const iam_result *res)
{
    const unsigned char *key;
    ferr e = {0};
    if (!c->env || keyfile_get(&msg_key, c->env->data_dir, KEY_FILE, &key, &e)) return NULL;
    const char *account =
        q->principal && q->principal->account[0] ? q->principal->account : c->account;
    char *text = NULL;
    for (int full = 1; full >= 0 && !text; full--) {
        json_t *d = document(q, res, full);
        if (!d) return NULL;
        text = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        if (!text) return NULL;
        if (full && strlen(text) > PLAIN_MAX) {
            free(text);
            text = NULL;
        }
    }
    size_t n = strlen(text);
    unsigned char *sealed = arena_alloc(c->a, n + KEYFILE_AEAD);
    int rc = !sealed ||
             keyfile_seal(key, account, strlen(account), (const unsigned char *)text, n, sealed);
    free(text);
    /* URL-safe, unpadded: a message is copied out of an error text as one word */
    return rc ? NULL : enc_b64url(c->a, sealed, n + KEYFILE_AEAD);
}

int authzmsg_decode(call *c, const char *account, const char *token, const char **out)
{
    size_t rl = 0;
    unsigned char *raw = token && *token ? enc_unb64url(c->a, token, strlen(token), &rl) : NULL;
    unsigned char *pt = raw && rl > KEYFILE_AEAD ? arena_alloc(c->a, rl - KEYFILE_AEAD + 1) : NULL;
    const unsigned char *key;
    if (pt && keyfile_get(&msg_key, c->env->data_dir, KEY_FILE, &key, c->err)) return -1;
    if (!pt || keyfile_open(key, account, strlen(account), raw, rl, pt))
        return ferr_set(c->err, 400, "InvalidAuthorizationMessageException",
                        "The encoded authorization message is invalid.");
    pt[rl - KEYFILE_AEAD] = 0;
    *out = (const char *)pt;
    return 0;
}
