/* The buildspec parser: YAML through base/yaml.c, then checked member by member. */
#include "svc/codebuild/buildspec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml.h"

const char *const cb_phase_names[CB_NPHASES] = {"INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD"};
static const char *const keys[CB_NPHASES] = {"install", "pre_build", "build", "post_build"};

static int bad(ferr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(ferr *e, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ferr_set(e, 400, "YAML_FILE_ERROR", "%s", msg);
}

/* A scalar as text (numbers and booleans as YAML wrote them), new reference; NULL when v is
 * not a scalar. */
static json_t *as_text(const json_t *v)
{
    char b[64];
    if (json_is_string(v)) return json_incref((json_t *)v);
    if (json_is_integer(v))
        snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(b, sizeof(b), "%g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(b, sizeof(b), "%s", json_is_true(v) ? "true" : "false");
    else
        return NULL;
    return json_string(b);
}

/* A list of commands: strings (scalars made text, in place). */
static int commands(json_t *list, const char *what, ferr *e)
{
    if (!list || json_is_null(list)) return 0;
    if (!json_is_array(list)) return bad(e, "Expected %s to be of list type", what);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        json_t *t = as_text(v);
        if (!t)
            return bad(e, "Expected Commands[%zu] to be of string type: found subkeys instead", i);
        if (json_array_set_new(list, i, t)) return ferr_oom(e);
    }
    return 0;
}

/* A mapping of names to scalars, made text in place (NULL stays NULL). */
static int text_map(json_t *m, const char *what, ferr *e)
{
    if (!m || json_is_null(m)) return 0;
    if (!json_is_object(m)) return bad(e, "Expected %s to be of map type", what);
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(m, tmp, k, v) {
        json_t *t = as_text(v);
        if (!t) return bad(e, "Expected value of %s to be of string type", k);
        if (json_object_set_new(m, k, t)) return ferr_oom(e);
    }
    return 0;
}

static json_t *member(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_null(v) ? NULL : v;
}

int cb_buildspec_parse(const char *text, size_t len, cb_buildspec **out, ferr *e)
{
    *out = NULL;
    ferr ye = {0};
    json_t *root = yaml_to_json(text, len, &ye);
    if (!root) {
        if (ye.status >= 500 || !strcmp(ye.code, "InternalFailure")) {
            *e = ye;
            return -1;
        }
        return ferr_set(e, 400, "YAML_FILE_ERROR", "%s", ye.message);
    }
    cb_buildspec *b = calloc(1, sizeof(*b));
    if (!b) {
        json_decref(root);
        return ferr_oom(e);
    }
    b->root = root;
    if (!json_is_object(root)) {
        bad(e, "Expected buildspec to be a YAML map");
        goto fail;
    }
    json_t *ver = member(root, "version");
    json_t *vt = ver ? as_text(ver) : NULL;
    const char *vs = vt ? json_string_value(vt) : NULL;
    if (!vs || (strcmp(vs, "0.1") && strcmp(vs, "0.2"))) {
        if (!vs)
            bad(e, "Missing buildspec version");
        else
            bad(e, "Invalid buildspec version: %s", vs);
        json_decref(vt);
        goto fail;
    }
    b->v01 = !strcmp(vs, "0.1");
    json_decref(vt);

    json_t *env = member(root, "env");
    if (env && !json_is_object(env)) {
        bad(e, "Expected %s to be of map type", "env");
        goto fail;
    }
    b->variables = member(env, "variables");
    b->parameter_store = member(env, "parameter-store");
    b->secrets_manager = member(env, "secrets-manager");
    b->exported = member(env, "exported-variables");
    json_t *sh = member(env, "shell");
    if (text_map(b->variables, "variables", e) ||
        text_map(b->parameter_store, "parameter-store", e) ||
        text_map(b->secrets_manager, "secrets-manager", e) ||
        commands(b->exported, "exported-variables", e))
        goto fail;
    if (sh) {
        b->shell = json_string_value(sh);
        if (!b->shell || (strcmp(b->shell, "bash") && strcmp(b->shell, "sh"))) {
            bad(e, "Unsupported shell: %s", b->shell ? b->shell : "(not a string)");
            goto fail;
        }
    }
    json_t *phases = member(root, "phases");
    if (phases && !json_is_object(phases)) {
        bad(e, "Expected %s to be of map type", "phases");
        goto fail;
    }
    for (int i = 0; i < CB_NPHASES; i++) {
        json_t *p = member(phases, keys[i]);
        if (!p) continue;
        if (!json_is_object(p)) {
            bad(e, "Expected %s to be of map type", keys[i]);
            goto fail;
        }
        cb_phase *ph = &b->phases[i];
        ph->commands = member(p, "commands");
        json_t *fin = member(p, "finally");
        ph->finally = json_is_object(fin) ? member(fin, "commands") : fin;
        json_t *of = member(p, "on-failure");
        ph->runtime_versions = member(p, "runtime-versions");
        if (commands(ph->commands, "commands", e) || commands(ph->finally, "finally", e)) goto fail;
        if (of) {
            const char *s = json_string_value(of);
            if (!s || (strcmp(s, "ABORT") && strcmp(s, "CONTINUE"))) {
                bad(e, "Unknown on-failure value: %s", s ? s : "(not a string)");
                goto fail;
            }
            ph->on_failure = !strcmp(s, "CONTINUE") ? CB_CONTINUE : CB_ABORT;
        }
    }
    b->artifacts = member(root, "artifacts");
    b->secondary_artifacts = member(b->artifacts, "secondary-artifacts");
    b->reports = member(root, "reports");
    b->cache = member(root, "cache");
    if ((b->artifacts && !json_is_object(b->artifacts)) ||
        (b->reports && !json_is_object(b->reports))) {
        bad(e, "Expected %s to be of map type", b->reports ? "reports" : "artifacts");
        goto fail;
    }
    if (b->cache && !json_is_object(b->cache)) {
        bad(e, "Expected %s to be of map type", "cache");
        goto fail;
    }
    b->cache_paths = member(b->cache, "paths");
    if (commands(b->cache_paths, "paths", e)) goto fail;
    *out = b;
    return 0;
fail:
    cb_buildspec_free(b);
    return -1;
}

void cb_buildspec_free(cb_buildspec *b)
{
    if (!b) return;
    json_decref(b->root);
    free(b);
}
