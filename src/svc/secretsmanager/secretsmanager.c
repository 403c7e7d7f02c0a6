/* AWS Secrets Manager (json 1.1). The operation table is generated from the model
 * (src/svc/svc.h); see secretsmanager_int.h for what lives where. */
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/jtags.h"
#include "secretsmanager_int.h"

const svc_def svc_secretsmanager = {.name = "secretsmanager",
                                    .event_source = "secretsmanager.amazonaws.com"};

/* ---- inputs ---- */

/* SecretString or SecretBinary (base64 on the wire): 1 with *value, *n and *binary, 0 when
 * neither is given, -1 with both. */
static int value_in(call *c, const json_t *in, const unsigned char **value, size_t *n, int *binary)
{
    const char *str = jstr(in, "SecretString"), *bin = jstr(in, "SecretBinary");
    if (str && bin)
        return sm_invalid_param(c, "You can't specify both a binary secret value and a string "
                                   "secret value in the same secret.");
    *binary = bin != NULL;
    if (str) {
        *value = (const unsigned char *)str;
        *n = strlen(str);
    } else if (bin) {
        *value = enc_unb64(c->a, bin, strlen(bin), n);
        if (!*value) return ferr_oom(c->err);
    } else {
        return 0;
    }
    if (*n > SM_MAX_VALUE)
        return sm_invalid_param(c, "The secret value can't be longer than %d bytes.", SM_MAX_VALUE);
    return 1;
}

static int name_valid(const char *s)
{
    return *s &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+=.@-") ==
               strlen(s);
}

/* Tags a client may set ([{Key, Value}]): the aws: prefix is AWS's own (CloudFormation's
 * system tags come through internal calls). */
static int tags_check(call *c, const json_t *tags)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = jstr(t, "Key");
        if (!k || !jstr(t, "Value"))
            return sm_invalid_param(c, "A tag must have a Key and a Value.");
        if (c->caller == CALLER_CLIENT && !strncmp(k, "aws:", 4))
            return sm_invalid_param(c, "Invalid tag key: the aws: prefix is reserved for use by "
                                       "AWS.");
    }
    return 0;
}

/* ---- results ---- */

static json_t *ident(const sm_secret *s)
{
    return json_pack("{s:s, s:s}", "ARN", s->arn, "Name", s->name);
}

static int out_ident(call *c, const sm_secret *s, const char *vid, json_t **out)
{
    json_t *o = ident(s);
    if (o && vid && json_object_set_new(o, "VersionId", json_string(vid))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

static int touch(call *c, const sm_secret *s)
{
    if (json_object_set_new(s->doc, "LastChangedDate", json_real(clock_now())))
        return ferr_oom(c->err);
    return sm_save(c, s);
}

/* ---- versions ---- */

/* The version of s that in names (VersionId and/or VersionStage, AWSCURRENT when neither):
 * 0 with *vid and *v, or -1 with ResourceNotFoundException. */
static int pick_version(call *c, const sm_secret *s, const json_t *in, const char **vid, json_t **v)
{
    json_t *versions = json_object_get(s->doc, "Versions");
    const char *id = jstr(in, "VersionId"), *stage = jstr(in, "VersionStage");
    if (!id && !stage) stage = "AWSCURRENT";
    const char *holder = stage ? sm_stage_holder(versions, stage) : NULL;
    if (id && (!json_object_get(versions, id) || (stage && (!holder || strcmp(holder, id)))))
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "Secrets Manager can't find the specified secret value for VersionId: %s",
                        id);
    if (!id && !holder)
        return ferr_set(
            c->err, 400, "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret value for staging label: %s", stage);
    *vid = id ? id : holder;
    *v = json_object_get(versions, *vid);
    /* a rotation's version before its createSecret step: a label, no value yet */
    if (!json_object_get(*v, "Value"))
        return ferr_set(c->err, 400, "ResourceNotFoundException",
                        "Secrets Manager can't find the specified secret value for %s: %s",
                        id ? "VersionId" : "staging label", id ? id : stage);
    return 0;
}

/* Adds the value in in (or nothing when it has none) as a new version of s with stages
 * (NULL: AWSCURRENT), as ClientRequestToken (a new UUID when absent). A token that is
 * already a version is idempotent with the same value and refused with another.
 * 0 with *vid (NULL: no value given), or -1. */
static int new_version(call *c, const sm_secret *s, const json_t *in, const json_t *stages,
                       const char **vid)
{
    const unsigned char *value = NULL;
    size_t n = 0;
    int binary = 0;
    *vid = NULL;
    int rc = value_in(c, in, &value, &n, &binary);
    if (rc <= 0) return rc;
    const char *token = jstr(in, "ClientRequestToken");
    char uuid[37];
    if (!token) {
        ids_uuid(uuid);
        token = uuid;
    }
    if (!(*vid = arena_strdup(c->a, token))) return ferr_oom(c->err);
    json_t *versions = json_object_get(s->doc, "Versions");
    json_t *have = json_object_get(versions, token);
    if (have && !json_object_get(have, "Value")) {
        /* the version RotateSecret made for the new value: the value comes now (the
         * rotation function's createSecret), with the stages this call gives */
        json_object_del(versions, token);
        have = NULL;
    }
    if (have) {
        unsigned char *old;
        size_t oldn;
        if (sm_open_value(c, s, token, have, &old, &oldn)) return -1;
        if (oldn == n && !memcmp(old, value, n) && jbool(have, "Binary", 0) == binary) return 0;
        return ferr_set(c->err, 400, "ResourceExistsException",
                        "You can't modify an existing version, you can only create new versions.");
    }
    json_t *v = json_pack("{s:f, s:b}", "CreatedDate", clock_now(), "Binary", binary);
    if (!v || !arena_defer_json(c->a, json_incref(v))) {
        json_decref(v);
        return ferr_oom(c->err);
    }
    if (sm_seal(c, s, token, value, n, v)) {
        json_decref(v);
        return -1;
    }
    return sm_version_add(versions, *vid, v, stages) ? ferr_oom(c->err) : 0;
}

/* ---- operations ---- */

static void random_suffix(char out[7])
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[6];
    ids_random(r, sizeof(r));
    for (int i = 0; i < 6; i++) out[i] = alnum[r[i] % 62]; /* 256 % 62: a slight bias, no secret */
    out[6] = 0;
}

int secretsmanager_op_create_secret(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name");
    json_t *tags = json_object_get(in, "Tags");
    if (!name || !name_valid(name))
        return sm_invalid_param(c, "Invalid name. Must be a valid name containing alphanumeric "
                                   "characters, or any of the following: -/_+=.@!");
    if (tags_check(c, tags)) return -1;
    if (json_object_get(in, "AddReplicaRegions"))
        return ferr_set(c->err, 400, "InvalidRequestException",
                        "ferry does not replicate secrets to other regions.");
    char suffix[7];
    random_suffix(suffix);
    sm_secret s = {.account = c->account, .name = name};
    s.arn = arena_printf(c->a, "arn:%s:secretsmanager:%s:%s:secret:%s-%s", arn_partition(c->region),
                         c->region, c->account, name, suffix);
    if (!s.arn) return ferr_oom(c->err);
    call_resource(c, "AWS::SecretsManager::Secret", s.arn);
    if (call_authorize(c, "secretsmanager:CreateSecret", s.arn)) return -1;
    store_key sk = {SM_KIND, c->account, c->region, name};
    json_t *old = NULL;
    int rc = store_get(c->txn, &sk, &old, c->err);
    if (rc < 0) return -1;
    if (rc) {
        json_t *when = json_object_get(old, "DeletionDate");
        int gone = json_is_number(when) && json_number_value(when) <= clock_now();
        json_decref(old);
        sm_secret have;
        if (!gone && sm_open(c, name, "secretsmanager:CreateSecret", 0, &have)) return -1;
        if (!gone && sm_deleted(&have))
            return sm_invalid_request(c, "You can't create this secret because a secret with "
                                         "this name is already scheduled for deletion.");
        /* AWS: a retry with the same ClientRequestToken and value is the same request */
        const char *token = jstr(in, "ClientRequestToken"), *vid = NULL;
        if (!gone && token && json_object_get(json_object_get(have.doc, "Versions"), token)) {
            if (new_version(c, &have, in, NULL, &vid)) return -1;
            return out_ident(c, &have, vid, out);
        }
        if (!gone)
            return ferr_set(c->err, 400, "ResourceExistsException",
                            "The operation failed because the secret %s already exists.", name);
    }
    double now = clock_now();
    const char *desc = jstr(in, "Description"), *key = jstr(in, "KmsKeyId");
    s.doc = json_pack("{s:s, s:s, s:s*, s:s*, s:f, s:f, s:o, s:{}}", "Name", name, "ARN", s.arn,
                      "Description", desc, "KmsKeyId", key, "CreatedDate", now, "LastChangedDate",
                      now, "Tags", tags ? json_deep_copy(tags) : json_array(), "Versions");
    if (!s.doc || !arena_defer_json(c->a, s.doc)) return ferr_oom(c->err);
    const char *vid = NULL;
    if (new_version(c, &s, in, NULL, &vid)) return -1;
    if (store_put(c->txn, &sk, s.doc, c->err)) return -1;
    return out_ident(c, &s, vid, out);
}

/* GetSecretValue's result for secret id and the version in names: a new object, or NULL
 * with c->err. */
static json_t *secret_value(call *c, const char *id, const json_t *in)
{
    sm_secret s;
    const char *vid = NULL;
    json_t *v = NULL;
    unsigned char *value = NULL;
    size_t n = 0;
    if (sm_open(c, id, "secretsmanager:GetSecretValue", 1, &s) ||
        pick_version(c, &s, in, &vid, &v) || sm_open_value(c, &s, vid, v, &value, &n))
        return NULL;
    int binary = jbool(v, "Binary", 0);
    json_t *o = ident(&s);
    char *b = binary ? enc_b64(c->a, value, n) : NULL;
    if (!o || (binary && !b) ||
        json_object_set_new(o, binary ? "SecretBinary" : "SecretString",
                            binary ? json_string(b) : json_stringn((char *)value, n)) ||
        json_object_set_new(o, "VersionId", json_string(vid)) ||
        json_object_set(o, "VersionStages", json_object_get(v, "Stages")) ||
        json_object_set(o, "CreatedDate", json_object_get(v, "CreatedDate"))) {
        json_decref(o);
        ferr_oom(c->err);
        return NULL;
    }
    return o;
}

int secretsmanager_op_get_secret_value(call *c, json_t *in, json_t **out)
{
    json_t *o = secret_value(c, jstr(in, "SecretId"), in);
    if (!o) return -1;
    *out = svc_out(c, o);
    return 0;
}

int secretsmanager_op_put_secret_value(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    const char *vid = NULL;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:PutSecretValue", 1, &s)) return -1;
    if (!jstr(in, "SecretString") && !jstr(in, "SecretBinary"))
        return sm_invalid_param(c, "You must provide either SecretString or SecretBinary.");
    if (new_version(c, &s, in, json_object_get(in, "VersionStages"), &vid) || touch(c, &s))
        return -1;
    json_t *o = ident(&s);
    json_t *st =
        json_object_get(json_object_get(json_object_get(s.doc, "Versions"), vid), "Stages");
    if (o && (json_object_set_new(o, "VersionId", json_string(vid)) ||
              json_object_set(o, "VersionStages", st ? st : json_array()))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

/* AWS: a new KmsKeyId re-encrypts the AWSCURRENT, AWSPENDING and AWSPREVIOUS versions
 * under it, as far as the caller may use both keys; a version it cannot re-encrypt keeps its
 * key. Others (deprecated) keep theirs. */
static int rekey(call *c, const sm_secret *s)
{
    static const char *const stages[] = {"AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"};
    json_t *versions = json_object_get(s->doc, "Versions");
    for (size_t i = 0; i < 3; i++) {
        const char *vid = sm_stage_holder(versions, stages[i]);
        json_t *v = vid ? json_object_get(versions, vid) : NULL;
        unsigned char *value = NULL;
        size_t n = 0;
        json_t *fresh = v ? json_object() : NULL;
        if (v && !fresh) return ferr_oom(c->err);
        if (!v) continue;
        int rc = sm_open_value(c, s, vid, v, &value, &n) || sm_seal(c, s, vid, value, n, fresh);
        if (!rc) rc = json_object_update(v, fresh) ? ferr_oom(c->err) : 0;
        json_decref(fresh);
        if (rc && c->err->status >= 500) return -1;
        ferr_clear(c->err);
    }
    return 0;
}

int secretsmanager_op_update_secret(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    const char *vid = NULL;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:UpdateSecret", 1, &s)) return -1;
    const char *desc = jstr(in, "Description"), *key = jstr(in, "KmsKeyId");
    const char *was = jstr(s.doc, "KmsKeyId");
    int new_key = key && (!was || strcmp(was, key));
    if (jset_str(s.doc, "Description", desc) || jset_str(s.doc, "KmsKeyId", key))
        return ferr_oom(c->err);
    if ((new_key && rekey(c, &s)) || new_version(c, &s, in, NULL, &vid) || touch(c, &s)) return -1;
    return out_ident(c, &s, vid, out);
}

int secretsmanager_op_update_secret_version_stage(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:UpdateSecretVersionStage", 1, &s))
        return -1;
    json_t *versions = json_object_get(s.doc, "Versions");
    const char *stage = jstr(in, "VersionStage"), *to = jstr(in, "MoveToVersionId"),
               *from = jstr(in, "RemoveFromVersionId");
    const char *holder = sm_stage_holder(versions, stage);
    if (!to && !from)
        return sm_invalid_param(c, "You must specify MoveToVersionId, RemoveFromVersionId, or "
                                   "both.");
    for (int i = 0; i < 2; i++) {
        const char *id = i ? from : to;
        if (id && !json_object_get(versions, id))
            return ferr_set(c->err, 400, "ResourceNotFoundException",
                            "Secrets Manager can't find the specified secret version: %s", id);
    }
    if (from && (!holder || strcmp(holder, from)))
        return sm_invalid_param(c, "The staging label %s is not attached to version %s.", stage,
                                from);
    if (to && holder && strcmp(holder, to) && !from)
        return sm_invalid_param(c,
                                "The parameter RemoveFromVersionId can't be empty. Staging label "
                                "%s is currently attached to version %s, so you must explicitly "
                                "reference that version in RemoveFromVersionId.",
                                stage, holder);
    int cur = !strcmp(stage, "AWSCURRENT");
    if (!to && cur)
        return sm_invalid_param(c, "You can only move staging label AWSCURRENT to a different "
                                   "secret version. It can't be completely removed.");
    int rc = 0;
    if (to) {
        /* AWS: the version AWSCURRENT leaves becomes AWSPREVIOUS */
        if (cur && holder && strcmp(holder, to))
            rc = sm_stage_move(versions, "AWSPREVIOUS", holder);
        rc = rc || sm_stage_move(versions, stage, to);
    } else {
        rc = sm_stage_remove(versions, from, stage);
    }
    if (rc) return ferr_oom(c->err);
    if (touch(c, &s)) return -1;
    return out_ident(c, &s, NULL, out);
}

/* DescribeSecret's and ListSecrets' view of a secret. */
static json_t *describe(const json_t *d, int list)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s*, s:s*, s:O*, s:O*, s:O*, s:O, s:b, s:o}", "ARN", jstr(d, "ARN"),
                  "Name", jstr(d, "Name"), "Description", jstr(d, "Description"), "KmsKeyId",
                  jstr(d, "KmsKeyId"), "CreatedDate", json_object_get(d, "CreatedDate"),
                  "LastChangedDate", json_object_get(d, "LastChangedDate"), "DeletedDate",
                  json_object_get(d, "DeletedDate"), "Tags", json_object_get(d, "Tags"),
                  "RotationEnabled", 0, list ? "SecretVersionsToStages" : "VersionIdsToStages",
                  sm_version_stages(json_object_get(d, "Versions")));
    if (o && sm_rotation_describe(d, o)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

int secretsmanager_op_describe_secret(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:DescribeSecret", 0, &s)) return -1;
    *out = svc_out(c, describe(s.doc, 0));
    return 0;
}

/* ---- ListSecrets ---- */

/* One ListSecrets filter value against text: a prefix, "!" negates (AWS). */
static int value_hit(const char *want, const char *text)
{
    int neg = want[0] == '!';
    if (neg) want++;
    int hit = text && !strncmp(text, want, strlen(want));
    return neg ? !hit : hit;
}

static int key_hit(const json_t *d, const char *key, const char *want)
{
    int all = !strcmp(key, "all");
    if ((all || !strcmp(key, "name")) && value_hit(want, jstr(d, "Name"))) return 1;
    if ((all || !strcmp(key, "description")) && value_hit(want, jstr(d, "Description"))) return 1;
    if (!strcmp(key, "primary-region") || !strcmp(key, "owning-service")) return 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "Tags"), i, t) {
        if ((all || !strcmp(key, "tag-key")) && value_hit(want, jstr(t, "Key"))) return 1;
        if ((all || !strcmp(key, "tag-value")) && value_hit(want, jstr(t, "Value"))) return 1;
    }
    return 0;
}

/* Every filter matches (any of its values). */
static int filters_hit(const json_t *d, const json_t *filters)
{
    size_t i, j;
    json_t *f, *v;
    json_array_foreach(filters, i, f) {
        const char *key = jstr(f, "Key");
        int hit = 0;
        json_array_foreach(json_object_get(f, "Values"), j, v) {
            if (key && json_is_string(v) && key_hit(d, key, json_string_value(v))) hit = 1;
        }
        if (!hit) return 0;
    }
    return 1;
}

typedef struct collect {
    json_t *all, *filters;
    int deleted; /* IncludePlannedDeletion */
    double now;
} collect;

static int collect_secret(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    collect *cl = ud;
    json_t *when = json_object_get(doc, "DeletionDate");
    if (when && (!cl->deleted || json_number_value(when) <= cl->now)) return 0;
    if (!filters_hit(doc, cl->filters)) return 0;
    return json_array_append(cl->all, doc) ? -1 : 0;
}

static int by_created(const void *a, const void *b)
{
    double x = json_number_value(json_object_get(*(json_t *const *)a, "CreatedDate")),
           y = json_number_value(json_object_get(*(json_t *const *)b, "CreatedDate"));
    return x < y ? -1 : x > y;
}

/* The account's secrets in the region that filters select, oldest first (desc: newest).
 * A new array in *all, or -1. */
static int list_secrets(call *c, json_t *filters, int deleted, int desc, json_t **all)
{
    collect cl = {json_array(), filters, deleted, clock_now()};
    if (!cl.all || !arena_defer_json(c->a, cl.all)) return ferr_oom(c->err);
    if (store_list(c->txn, SM_KIND, c->account, c->region, NULL, NULL, 0, collect_secret, &cl,
                   c->err) < 0)
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    size_t n = json_array_size(cl.all);
    json_t **v = n ? arena_alloc(c->a, n * sizeof(*v)) : NULL;
    if (n && !v) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(cl.all, i);
    if (n) qsort(v, n, sizeof(*v), by_created);
    *all = json_array();
    if (!*all || !arena_defer_json(c->a, *all)) return ferr_oom(c->err);
    for (size_t i = 0; i < n; i++)
        if (json_array_append(*all, v[desc ? n - 1 - i : i])) return ferr_oom(c->err);
    return 0;
}

static int filters_check(call *c, const json_t *filters)
{
    static const char *const keys[] = {"description",    "name",           "tag-key", "tag-value",
                                       "primary-region", "owning-service", "all"};
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        const char *k = jstr(f, "Key");
        int ok = 0;
        for (size_t j = 0; k && j < sizeof(keys) / sizeof(keys[0]); j++) ok |= !strcmp(k, keys[j]);
        if (!ok) return sm_invalid_param(c, "Invalid filter key: %s", k ? k : "");
    }
    return 0;
}

int secretsmanager_op_list_secrets(call *c, json_t *in, json_t **out)
{
    json_t *filters = json_object_get(in, "Filters"), *all, *page = NULL;
    if (filters_check(c, filters) || call_authorize(c, "secretsmanager:ListSecrets", "*"))
        return -1;
    const char *order = jstr(in, "SortOrder");
    if (list_secrets(c, filters, jbool(in, "IncludePlannedDeletion", 0),
                     !order || !strcmp(order, "desc"), &all))
        return -1;
    json_t *views = json_array();
    if (!views || !arena_defer_json(c->a, views)) return ferr_oom(c->err);
    size_t i;
    json_t *d;
    json_array_foreach(all, i, d) {
        if (json_array_append_new(views, describe(d, 1))) return ferr_oom(c->err);
    }
    if (!(page = json_object()) || !arena_defer_json(c->a, page)) return ferr_oom(c->err);
    if (svc_page(c, views, jstr(in, "NextToken"), jint(in, "MaxResults", 100), page, "SecretList",
                 "NextToken", "InvalidNextTokenException"))
        return -1;
    *out = svc_out(c, json_incref(page));
    return 0;
}

int secretsmanager_op_list_secret_version_ids(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:ListSecretVersionIds", 0, &s)) return -1;
    int deprecated = jbool(in, "IncludeDeprecated", 0);
    json_t *list = json_array(), *page = json_object();
    if (!arena_defer_json(c->a, list) || !arena_defer_json(c->a, page) || !list || !page)
        return ferr_oom(c->err);
    const char *vid;
    json_t *v;
    json_object_foreach(json_object_get(s.doc, "Versions"), vid, v) {
        json_t *st = json_object_get(v, "Stages");
        if (!deprecated && !json_array_size(st)) continue;
        const char *key = jstr(v, "KmsKeyArn");
        if (json_array_append_new(list,
                                  json_pack("{s:s, s:O, s:O, s:[s*]}", "VersionId", vid,
                                            "VersionStages", st, "CreatedDate",
                                            json_object_get(v, "CreatedDate"), "KmsKeyIds", key)))
            return ferr_oom(c->err);
    }
    if (svc_page(c, list, jstr(in, "NextToken"), jint(in, "MaxResults", 100), page, "Versions",
                 "NextToken", "InvalidNextTokenException") ||
        json_object_set_new(page, "ARN", json_string(s.arn)) ||
        json_object_set_new(page, "Name", json_string(s.name)))
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    *out = svc_out(c, json_incref(page));
    return 0;
}

/* ---- deletion ---- */

int secretsmanager_op_delete_secret(call *c, json_t *in, json_t **out)
{
    int force = jbool(in, "ForceDeleteWithoutRecovery", 0);
    json_t *window = json_object_get(in, "RecoveryWindowInDays");
    if (force && window)
        return sm_invalid_param(c, "You can't use ForceDeleteWithoutRecovery in conjunction with "
                                   "RecoveryWindowInDays.");
    long long days = jint(in, "RecoveryWindowInDays", 30);
    if (days < 7 || days > 30)
        return sm_invalid_param(c, "The RecoveryWindowInDays value must be between 7 and 30 days "
                                   "(inclusive).");
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:DeleteSecret", 0, &s)) return -1;
    double now = clock_now(), when = now;
    if (force) {
        store_key sk = {SM_KIND, s.account, c->region, s.name};
        if (store_del(c->txn, &sk, c->err) < 0) return -1;
    } else {
        if (sm_deleted(&s))
            return sm_invalid_request(c, "You tried to perform the operation on a secret that's "
                                         "currently marked deleted.");
        when = now + (double)days * 86400.0;
        if (json_object_set_new(s.doc, "DeletedDate", json_real(now)) ||
            json_object_set_new(s.doc, "DeletionDate", json_real(when)))
            return ferr_oom(c->err);
        if (sm_save(c, &s)) return -1;
    }
    json_t *o = ident(&s);
    if (o && json_object_set_new(o, "DeletionDate", json_real(when))) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

int secretsmanager_op_restore_secret(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:RestoreSecret", 0, &s)) return -1;
    json_object_del(s.doc, "DeletedDate");
    json_object_del(s.doc, "DeletionDate");
    if (touch(c, &s)) return -1;
    return out_ident(c, &s, NULL, out);
}

/* ---- GetRandomPassword ---- */

int secretsmanager_op_get_random_password(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "secretsmanager:GetRandomPassword", "*")) return -1;
    sm_password_opts o = {
        .length = jint(in, "PasswordLength", 32),
        .exclude = jstr(in, "ExcludeCharacters"),
        .no_numbers = jbool(in, "ExcludeNumbers", 0),
        .no_punctuation = jbool(in, "ExcludePunctuation", 0),
        .no_upper = jbool(in, "ExcludeUppercase", 0),
        .no_lower = jbool(in, "ExcludeLowercase", 0),
        .space = jbool(in, "IncludeSpace", 0),
        .each_type = jbool(in, "RequireEachIncludedType", 1),
    };
    const char *why = NULL;
    char *pw = o.length >= 1 && o.length <= 4096 ? arena_alloc(c->a, (size_t)o.length + 1) : NULL;
    if (o.length >= 1 && o.length <= 4096 && !pw) return ferr_oom(c->err);
    if (sm_password(&o, pw, &why)) return sm_invalid_param(c, "%s", why);
    *out = svc_out(c, json_pack("{s:s}", "RandomPassword", pw));
    return 0;
}

/* ---- tags ---- */

int secretsmanager_op_tag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    sm_secret s;
    json_t *tags = json_object_get(in, "Tags");
    if (tags_check(c, tags) ||
        sm_open(c, jstr(in, "SecretId"), "secretsmanager:TagResource", 0, &s))
        return -1;
    if (jtags_merge(s.doc, tags)) return ferr_oom(c->err);
    return sm_save(c, &s);
}

int secretsmanager_op_untag_resource(call *c, json_t *in, json_t **out)
{
    (void)out;
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:UntagResource", 0, &s)) return -1;
    jtags_remove(s.doc, json_object_get(in, "TagKeys"));
    return sm_save(c, &s);
}

/* ---- resource policies ---- */

int secretsmanager_op_put_resource_policy(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    const char *policy = jstr(in, "ResourcePolicy");
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:PutResourcePolicy", 1, &s) ||
        sm_policy_check(c, policy ? policy : ""))
        return -1;
    if (jbool(in, "BlockPublicPolicy", 0) && sm_policy_public(policy))
        return ferr_set(c->err, 400, "PublicPolicyException",
                        "This resource policy contains a statement that grants public access.");
    if (jset_str(s.doc, "ResourcePolicy", policy)) return ferr_oom(c->err);
    if (sm_save(c, &s)) return -1;
    return out_ident(c, &s, NULL, out);
}

int secretsmanager_op_get_resource_policy(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:GetResourcePolicy", 0, &s)) return -1;
    json_t *o = ident(&s);
    const char *policy = jstr(s.doc, "ResourcePolicy");
    if (o && policy && jset_str(o, "ResourcePolicy", policy)) {
        json_decref(o);
        o = NULL;
    }
    *out = svc_out(c, o);
    return 0;
}

int secretsmanager_op_delete_resource_policy(call *c, json_t *in, json_t **out)
{
    sm_secret s;
    if (sm_open(c, jstr(in, "SecretId"), "secretsmanager:DeleteResourcePolicy", 0, &s)) return -1;
    json_object_del(s.doc, "ResourcePolicy");
    if (sm_save(c, &s)) return -1;
    return out_ident(c, &s, NULL, out);
}

int secretsmanager_op_validate_resource_policy(call *c, json_t *in, json_t **out)
{
    const char *id = jstr(in, "SecretId"), *policy = jstr(in, "ResourcePolicy");
    sm_secret s;
    if (id ? sm_open(c, id, "secretsmanager:ValidateResourcePolicy", 0, &s)
           : call_authorize(c, "secretsmanager:ValidateResourcePolicy", "*"))
        return -1;
    json_t *bad = NULL, *doc = json_loads(policy ? policy : "", 0, NULL);
    if (!doc)
        return ferr_set(c->err, 400, "MalformedPolicyDocumentException",
                        "The resource policy has syntax errors.");
    json_decref(doc);
    ferr pe = {0};
    if (sm_policy_check(c, policy)) {
        pe = *c->err;
        ferr_clear(c->err);
        bad = json_pack("[{s:s, s:s}]", "CheckName", "syntax", "ErrorMessage", pe.message);
        if (!bad) return ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:b, s:o}", "PolicyValidationPassed", bad == NULL,
                                "ValidationErrors", bad ? bad : json_array()));
    return 0;
}

/* ---- BatchGetSecretValue ---- */

int secretsmanager_op_batch_get_secret_value(call *c, json_t *in, json_t **out)
{
    json_t *ids = json_object_get(in, "SecretIdList"), *filters = json_object_get(in, "Filters");
    if (!ids == !filters)
        return sm_invalid_param(c, "Either 'SecretIdList' or 'Filters' must be provided, but not "
                                   "both.");
    if (filters_check(c, filters) || call_authorize(c, "secretsmanager:BatchGetSecretValue", "*"))
        return -1;
    json_t *page = json_object(), *names = json_array(), *values = json_array(),
           *errors = json_array();
    if (!arena_defer_json(c->a, page) || !arena_defer_json(c->a, names) ||
        !arena_defer_json(c->a, values) || !arena_defer_json(c->a, errors) || !page || !names ||
        !values || !errors)
        return ferr_oom(c->err);
    if (filters) {
        /* a page of the secrets the filters select, each read as GetSecretValue */
        json_t *all, *arns = json_array();
        if (!arena_defer_json(c->a, arns) || !arns) return ferr_oom(c->err);
        if (list_secrets(c, filters, 0, 0, &all)) return -1;
        size_t i;
        json_t *d;
        json_array_foreach(all, i, d) {
            if (json_array_append_new(arns, json_string(jstr(d, "ARN")))) return ferr_oom(c->err);
        }
        if (svc_page(c, arns, jstr(in, "NextToken"), jint(in, "MaxResults", 20), page, "Ids",
                     "NextToken", "InvalidNextTokenException"))
            return -1;
        ids = json_object_get(page, "Ids");
    } else if (json_object_get(in, "MaxResults") || jstr(in, "NextToken")) {
        return sm_invalid_param(c, "'MaxResults' and 'NextToken' go with 'Filters' only.");
    }
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) {
        const char *sid = json_string_value(id);
        json_t *v = sid ? secret_value(c, sid, NULL) : NULL;
        int rc = v ? json_array_append_new(values, v) : 0;
        if (!v) {
            /* AWS: a secret that cannot be read is an entry of Errors, not a failed call */
            if (c->err->status >= 500) return -1;
            rc = json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "SecretId",
                                                         sid ? sid : "", "ErrorCode", c->err->code,
                                                         "Message", c->err->message));
            ferr_clear(c->err);
        }
        if (rc) return ferr_oom(c->err);
    }
    json_object_del(page, "Ids");
    if (json_object_set(page, "SecretValues", values) || json_object_set(page, "Errors", errors))
        return ferr_oom(c->err);
    *out = svc_out(c, json_incref(page));
    return 0;
}
