/* AWS CodeBuild (json 1.1): projects, builds run as local processes from a buildspec, report
 * groups and reports.
 *
 * Internal to src/svc/codebuild/: codebuild.c (the service), artifacts.c (which files a
 * buildspec's artifacts select, and their zip), reports.c (report groups, reports, test
 * cases, and reading JUnit XML / Cucumber JSON / TestNG XML files into them). Each module's
 * own interface is its header (artifacts.h, reports.h). */
#ifndef FERRY_SVC_CODEBUILD_INT_H
#define FERRY_SVC_CODEBUILD_INT_H
#include <jansson.h>

#include "svc/svc.h"

#endif
