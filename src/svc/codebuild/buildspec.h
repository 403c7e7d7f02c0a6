/* A buildspec (YAML, versions 0.1 and 0.2) read into what a build runs. Errors are the
 * build's DOWNLOAD_SOURCE failure as AWS reports it: code "YAML_FILE_ERROR", message as its
 * phase context shows it ("Invalid buildspec version: 0.3", "Expected Commands[1] to be of
 * string type: found subkeys instead", the YAML parser's own for text that is not YAML). */
#ifndef FERRY_SVC_CODEBUILD_BUILDSPEC_H
#define FERRY_SVC_CODEBUILD_BUILDSPEC_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* The four phases that run commands, in order. */
enum { CB_ABORT = 1, CB_CONTINUE = 2 };
enum { CB_INSTALL, CB_PRE_BUILD, CB_BUILD, CB_POST_BUILD, CB_NPHASES };
extern const char *const cb_phase_names[CB_NPHASES]; /* "INSTALL", ... as AWS names them */

typedef struct cb_phase {
    json_t *commands, *finally; /* arrays of strings (borrowed from the spec) */
    int on_failure;             /* 0 not given, CB_ABORT or CB_CONTINUE */
    json_t *runtime_versions;   /* install's runtime-versions {name: version}, or NULL */
} cb_phase;

typedef struct cb_buildspec {
    int v01;                 /* version 0.1: every command runs in a shell of its own */
    const char *shell;       /* env.shell: "bash" or "sh" (NULL: bash) */
    json_t *variables;       /* env.variables {NAME: "value"} (values made text) */
    json_t *parameter_store; /* env.parameter-store {NAME: "/param"} */
    json_t *secrets_manager; /* env.secrets-manager {NAME: "secret-id:json-key:stage:id"} */
    json_t *exported;        /* env.exported-variables ["NAME"] */
    cb_phase phases[CB_NPHASES];
    json_t *artifacts, *secondary_artifacts, *reports, *cache; /* as written, or NULL */
    json_t *cache_paths; /* cache.paths: an array of strings (globs), or NULL */
    json_t *root;        /* the whole document (owned) */
} cb_buildspec;

/* Parses text (len bytes): 0 and *out (cb_buildspec_free), or -1 with e (400
 * "YAML_FILE_ERROR"). */
int cb_buildspec_parse(const char *text, size_t len, cb_buildspec **out, ferr *e);
void cb_buildspec_free(cb_buildspec *b); /* NULL is a no-op */

#endif
