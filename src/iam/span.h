/* Where a statement is in the text of its policy: the positions IAM's policy simulator
 * reports in MatchedStatements (StartPosition, EndPosition). */
#ifndef FERRY_IAM_SPAN_H
#define FERRY_IAM_SPAN_H
#include <stddef.h>

typedef struct iam_pos {
    int line, column; /* from 1 */
} iam_pos;

/* The span of statement index (from 0, in document order) of the policy text json[0..len).
 * AWS: the start is the position just after the statement's '{' and the end just after its
 * '}' (a one-line '{"Statement":{...}}' starts at column 15); a line ends at "\n", "\r\n"
 * or "\r", and a column counts characters, not bytes. 0, or -1 when the text has no such
 * statement (not an object whose Statement is an object or a list of objects). Reads any
 * bytes safely; never allocates. */
int iam_stmt_span(const char *json, size_t len, size_t index, iam_pos *start, iam_pos *end);

#endif
