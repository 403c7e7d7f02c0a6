/* CloudWatch Logs filter patterns (FilterLogEvents, and later metric and subscription
 * filters), AWS's three syntaxes:
 *   terms:            ERROR "quoted phrase" -excluded ?optional   (case-sensitive substrings)
 *   JSON:             { $.a.b = "x*" && ($.n > 5 || $.c IS NULL) }, =, !=, <, >, <=, >=,
 *                     IS NULL / IS TRUE / IS FALSE, EXISTS / NOT EXISTS, $.list[0]
 *   space-delimited:  [ip, user, ..., status = 4* || status = 5*, bytes > 1000]
 * An empty pattern matches every event. */
#ifndef FERRY_SVC_LOGS_FILTER_H
#define FERRY_SVC_LOGS_FILTER_H
#include <stddef.h>

#include "base/err.h"

typedef struct logs_filter logs_filter;

/* The parsed pattern (caller frees), or NULL with InvalidParameterException "Invalid filter
 * pattern" in e (or out of memory). */
logs_filter *logs_filter_parse(const char *pattern, ferr *e);
/* 1 when the message (len bytes, not necessarily NUL-terminated) matches f, else 0. */
int logs_filter_match(const logs_filter *f, const char *msg, size_t len);
void logs_filter_free(logs_filter *f); /* NULL is a no-op */

#endif
