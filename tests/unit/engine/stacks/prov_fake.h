/* A fake service layer for the provider unit tests: every call a provider makes is recorded
 * ({"region","service","op","in"}) and answered from a script, so tests check the requests
 * a provider sends and how it maps the replies, without the services. */
#ifndef FERRY_TEST_PROV_FAKE_H
#define FERRY_TEST_PROV_FAKE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stacks/prov_int.h"

typedef struct fake {
    json_t *calls;   /* [{"region","service","op","in"}] */
    json_t *replies; /* {"service:op": reply object, or [replies in turn]} */
    json_t *errors;  /* {"service:op": [status, code] or [[status, code] | null in turn]} */
    principal who;
    ferr e;
    cfn_pctx p;
} fake;

static int fake_hook(void *ud, const char *region, const char *service, const char *op,
                     const json_t *in, json_t **out, ferr *e)
{
    fake *f = ud;
    char key[128];
    snprintf(key, sizeof(key), "%s:%s", service, op);
    json_array_append_new(f->calls, json_pack("{s:s, s:s, s:s, s:O}", "region", region, "service",
                                              service, "op", op, "in", in ? in : json_null()));
    json_t *err = json_object_get(f->errors, key);
    if (json_is_array(err) && json_is_array(json_array_get(err, 0))) {
        /* a list of outcomes in turn: [status, code] fails, null succeeds */
        json_t *first = json_incref(json_array_get(err, 0));
        json_array_remove(err, 0);
        if (!json_array_size(err)) json_object_del(f->errors, key);
        err = json_is_array(first) ? first : NULL;
        json_decref(first);
        if (err) {
            ferr_set(e, (int)json_integer_value(json_array_get(err, 0)),
                     json_string_value(json_array_get(err, 1)), "fake %s failed", key);
            return -1;
        }
    } else if (json_is_array(err)) {
        ferr_set(e, (int)json_integer_value(json_array_get(err, 0)),
                 json_string_value(json_array_get(err, 1)), "fake %s failed", key);
        return -1;
    }
    json_t *r = json_object_get(f->replies, key);
    if (json_is_array(r)) {
        json_t *first = json_incref(json_array_get(r, 0));
        json_array_remove(r, 0);
        *out = first ? first : json_object();
    } else {
        *out = r ? json_deep_copy(r) : json_object();
    }
    return 0;
}

/* A stack "mystack" in 111122223333/us-east-1 with tag team=core, resource logical id. */
static inline fake *fake_new(const char *logical)
{
    fake *f = calloc(1, sizeof(*f));
    f->calls = json_array();
    f->replies = json_object();
    f->errors = json_object();
    f->who.kind = PRIN_ROOT;
    strcpy(f->who.account, "111122223333");
    strcpy(f->who.arn, "arn:aws:iam::111122223333:root");
    f->p.as = &f->who;
    f->p.account = "111122223333";
    f->p.region = "us-east-1";
    f->p.stack_name = "mystack";
    f->p.stack_id = "arn:aws:cloudformation:us-east-1:111122223333:stack/mystack/"
                    "0a1b2c3d-0000-4000-8000-000000000000";
    f->p.logical_id = logical;
    f->p.tags = json_pack("[{s:s, s:s}]", "Key", "team", "Value", "core");
    f->p.e = &f->e;
    prov_set_hook(fake_hook, f);
    return f;
}

static inline void fake_free(fake *f)
{
    prov_set_hook(NULL, NULL);
    json_decref(f->calls);
    json_decref(f->replies);
    json_decref(f->errors);
    json_decref((json_t *)f->p.tags);
    free(f);
}

/* Scripts: the reply (JSON text) of service:op; several calls to fake_reply queue them. */
static inline void fake_reply(fake *f, const char *key, const char *json)
{
    json_t *v = json_loads(json, 0, NULL);
    assert_non_null(v);
    json_t *cur = json_object_get(f->replies, key);
    if (!cur) {
        json_object_set_new(f->replies, key, json_pack("[o]", v));
    } else {
        json_array_append_new(cur, v);
    }
}

static inline void fake_fail(fake *f, const char *key, int status, const char *code)
{
    json_object_set_new(f->errors, key, json_pack("[i, s]", status, code));
}

/* "iam:CreateRole iam:PutRolePolicy ..." of the calls so far (static buffer). */
static inline const char *fake_ops(const fake *f)
{
    static char buf[8192];
    buf[0] = 0;
    size_t i;
    json_t *x;
    json_array_foreach(f->calls, i, x) {
        if (buf[0]) strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
        strncat(buf, jstr(x, "service"), sizeof(buf) - strlen(buf) - 1);
        strncat(buf, ":", sizeof(buf) - strlen(buf) - 1);
        strncat(buf, jstr(x, "op"), sizeof(buf) - strlen(buf) - 1);
    }
    return buf;
}

/* The input of call i (borrowed). */
static inline const json_t *fake_in(const fake *f, size_t i)
{
    return json_object_get(json_array_get(f->calls, i), "in");
}

/* The input of the n-th (0-based) call to service:op, or NULL. */
static inline const json_t *fake_in_of(const fake *f, const char *service, const char *op, int n)
{
    size_t i;
    json_t *x;
    json_array_foreach(f->calls, i, x) {
        if (!strcmp(jstr(x, "service"), service) && !strcmp(jstr(x, "op"), op) && n-- == 0)
            return json_object_get(x, "in");
    }
    return NULL;
}

static inline void fake_clear(fake *f)
{
    json_array_clear(f->calls);
    ferr_clear(&f->e);
}

/* Parses JSON text for props (a new reference). */
static inline json_t *J(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, 0, &err);
    if (!v) fprintf(stderr, "bad JSON in test: %s: %s\n", text, err.text);
    assert_non_null(v);
    return v;
}

/* Value of the tag key in [{Key,Value}] or NULL. */
static inline const char *tag_of(const json_t *tags, const char *key)
{
    size_t i;
    json_t *x;
    json_array_foreach(tags, i, x)
        if (!strcmp(jstr(x, "Key"), key)) return jstr(x, "Value");
    return NULL;
}

#endif
