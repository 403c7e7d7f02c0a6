#include "usercred.h"

#include <string.h>
#include <strings.h>

#include "base/checked.h"
#include "iam_int.h"

int usercred_user(call *c, const char *action, const json_t *in, const char **user)
{
    const char *name;
    json_t *u;
    if (iamsvc_user_name(c, in, &name) || iamsvc_load_auth(c, &iamsvc_user_t, action, name, &u))
        return -1;
    *user = arena_strdup(c->a, jstr(u, "UserName")); /* the stored spelling */
    json_decref(u);
    return *user ? 0 : ferr_oom(c->err);
}

json_t *usercred_view(const json_t *d, const char *const *fields)
{
    json_t *v = json_object();
    for (size_t i = 0; v && fields[i]; i++) {
        json_t *x = json_object_get(d, fields[i]);
        if (x && json_object_set(v, fields[i], x)) {
            json_decref(v);
            v = NULL;
        }
    }
    return v;
}

int usercred_add(call *c, const usercred_kind *k, const char *user, const char *id, json_t *d,
                 const char *result_key, json_t **out)
{
    const char *fp = jstr(d, "Fingerprint");
    json_t *mine = d && fp ? iamsvc_user_docs(c, k->kind, user) : NULL;
    if (!mine) {
        json_decref(d);
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    int rc = 0;
    size_t i;
    json_t *x;
    json_array_foreach(mine, i, x) {
        if (!rc && !strcmp(jstr(x, "Fingerprint") ? jstr(x, "Fingerprint") : "", fp))
            rc = ferr_set(c->err, k->dup_status, k->dup_code, "%s", k->dup_message);
    }
    if (!rc && json_array_size(mine) >= (size_t)k->per_user)
        rc = ferr_set(c->err, 409, "LimitExceeded", "Cannot exceed quota for %s: %d", k->quota,
                      k->per_user);
    json_decref(mine);
    store_key key = {k->kind, c->account, IAMSVC_REGION, id};
    if (!rc) rc = store_put(c->txn, &key, d, c->err);
    if (!rc) *out = svc_out(c, json_pack("{s:o}", result_key, usercred_view(d, k->fields)));
    call_resource(c, "AWS::IAM::User", user);
    json_decref(d);
    return rc;
}

int usercred_load(call *c, const usercred_kind *k, const char *action, const json_t *in, json_t **d)
{
    const char *user, *id = jstr(in, k->id_member);
    *d = NULL;
    if (usercred_user(c, action, in, &user)) return -1;
    store_key key = {k->kind, c->account, IAMSVC_REGION, id ? id : ""};
    int rc = store_get(c->txn, &key, d, c->err);
    if (rc > 0 && !strcasecmp(jstr(*d, "UserName"), user)) return 0;
    json_decref(*d);
    *d = NULL;
    return rc < 0 ? -1
                  : ferr_set(c->err, 404, "NoSuchEntity", "The %s with id %s cannot be found.",
                             k->noun, id ? id : "");
}

int usercred_set_status(call *c, const usercred_kind *k, const char *action, const json_t *in)
{
    json_t *d;
    if (usercred_load(c, k, action, in, &d)) return -1;
    store_key key = {k->kind, c->account, IAMSVC_REGION, jstr(d, k->id_member)};
    int rc = jset_str(d, "Status", jstr(in, "Status")) ? ferr_oom(c->err)
                                                       : store_put(c->txn, &key, d, c->err);
    json_decref(d);
    return rc;
}

int usercred_delete(call *c, const usercred_kind *k, const char *action, const json_t *in)
{
    json_t *d;
    if (usercred_load(c, k, action, in, &d)) return -1;
    store_key key = {k->kind, c->account, IAMSVC_REGION, jstr(d, k->id_member)};
    int rc = store_del(c->txn, &key, c->err) < 0 ? -1 : 0;
    json_decref(d);
    return rc;
}

int usercred_list(call *c, const usercred_kind *k, const char *action, const json_t *in,
                  const char *const *fields, const char *key, json_t **out)
{
    const char *user;
    if (usercred_user(c, action, in, &user)) return -1;
    json_t *mine = iamsvc_user_docs(c, k->kind, user);
    if (!mine) return -1;
    int rc = 0;
    size_t i;
    json_t *d;
    json_array_foreach(mine, i, d) rc |= json_array_set_new(mine, i, usercred_view(d, fields));
    *out = svc_out(c, json_object());
    rc = rc ? ferr_oom(c->err) : iamsvc_page(c, mine, in, *out, key);
    json_decref(mine);
    return rc;
}
