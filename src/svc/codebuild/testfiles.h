/* Test result files as CodeBuild reads them into a report's test cases: JUnit XML, NUnit XML
 * (2 and 3), TestNG XML, Visual Studio TRX and Cucumber JSON. */
#ifndef FERRY_SVC_CODEBUILD_TESTFILES_H
#define FERRY_SVC_CODEBUILD_TESTFILES_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* The largest file read (bigger ones leave the report INCOMPLETE). */
#define CB_TESTFILE_MAX (64u << 20)

/* 1 when format is a report file-format CodeBuild knows for TEST reports (JUNITXML,
 * CUCUMBERJSON, TESTNGXML, NUNITXML, NUNIT3XML, VISUALSTUDIOTRX), else 0. */
int cb_testfile_format_known(const char *format);

/* Reads the n bytes at text, in format, and appends one object per test case to cases:
 * {"name", "prefix", "status" (SUCCEEDED, FAILED, SKIPPED, ERROR or UNKNOWN),
 * "durationInNanoSeconds", and "message" when the case has one}. 0, or -1 with e (a file
 * that is not that format: 400 InvalidInputException; cases may then hold what was read). */
int cb_testfile_parse(const char *format, const char *text, size_t n, json_t *cases, ferr *e);

#endif
