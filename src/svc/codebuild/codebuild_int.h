/* AWS CodeBuild (json 1.1): projects, builds run as local processes from a buildspec, report
 * groups and reports.
 *
 * Internal to src/svc/codebuild/: codebuild.c (the service, projects), buildops.c (StartBuild
 * and the other build operations; the builds engine, engine/builds.c, runs them), buildspec.c
 * (the buildspec parser, its own header), artifacts.c (which files a buildspec's artifacts
 * select, and their zip), reports.c (report groups, reports, test cases, and reading JUnit
 * XML / Cucumber JSON / TestNG XML files into them). Stored documents: documents.h. */
#ifndef FERRY_SVC_CODEBUILD_INT_H
#define FERRY_SVC_CODEBUILD_INT_H
#include <jansson.h>

#include "svc/codebuild/documents.h"
#include "svc/svc.h"

/* ---- codebuild.c ---- */
/* arn:aws:codebuild:REGION:ACCOUNT:TYPE/NAME (arena): TYPE project, build, report-group. */
const char *cb_arn(call *c, const char *type, const char *name);
/* NAME from such an ARN of the caller's account and region, else s itself. */
const char *cb_local(call *c, const char *type, const char *s);
const char *cb_project_arn(call *c, const char *name);
/* member of every document of kind (ids beginning with prefix, NULL all) in the caller's
 * account and region, in cmp's order (cmp gets two json_t ** and ctx): *out in the arena. */
int cb_list(call *c, const char *kind, const char *prefix,
            int (*cmp)(const void *, const void *, void *), void *ctx, const char *member,
            json_t **out);
/* A project by name or ARN, authorized for action: 0 and *doc (arena), 1 not found (nothing
 * set), -1. */
int cb_project_find(call *c, const char *name_or_arn, const char *action, json_t **doc);
/* ResourceNotFoundException for the project as AWS words it; returns -1. */
int cb_no_project(call *c, const char *name_or_arn);
int cb_project_save(call *c, const json_t *doc);
/* Checks a ProjectCache (a project's cache or StartBuild's cacheOverride) as AWS does: 0, or
 * -1 with InvalidInputException. */
int cb_check_cache(call *c, const json_t *cache);
/* The project document as AWS shows it (new reference, NULL on OOM). */
json_t *cb_project_view(const json_t *doc);

#endif
