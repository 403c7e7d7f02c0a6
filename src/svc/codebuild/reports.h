/* Test reports: what a build's buildspec `reports` section names is read from the files it
 * left (JUnit XML, Cucumber JSON, TestNG XML, ...) into a report of its report group. */
#ifndef FERRY_SVC_CODEBUILD_REPORTS_H
#define FERRY_SVC_CODEBUILD_REPORTS_H
#include <jansson.h>

#include "svc/svc.h"

/* One entry of a buildspec's `reports` section, for one build. All borrowed. */
typedef struct cb_report_input {
    const char *account, *region;
    const char *project;   /* a report group named by name is PROJECT-NAME (created when
                              missing, as AWS does) */
    const char *build_arn; /* arn:aws:codebuild:REGION:ACCOUNT:build/PROJECT:UUID */
    const char *name;      /* the key under `reports:`: a name or a report group ARN */
    const json_t *spec;    /* its value: files, base-directory, discard-paths, file-format */
    const char *src_dir;   /* the build's primary source directory */
} cb_report_input;

/* Records the report (status SUCCEEDED when every test case passed, FAILED otherwise,
 * INCOMPLETE when a file could not be read), as who (the build's service role session:
 * codebuild:CreateReport and codebuild:BatchPutTestCases on the group, as AWS asks of the
 * role). 0 and *report_arn (malloc'd, the caller frees), or -1 with e. */
int cb_reports_ingest(ferry_env *env, const principal *who, const cb_report_input *r,
                      char **report_arn, ferr *e);

#endif
