/* DynamoDB Streams shard iterators: "<stream ARN>|1|<base64 of the position>", the shape AWS's
 * take. The position is the mode ('a' after seq, 't' at seq, 'h' the trim horizon), the
 * sequence number and the expiry in epoch ms. Pure: no store, no call. */
#ifndef FERRY_SVC_DYNAMODBSTREAMS_ITERATOR_H
#define FERRY_SVC_DYNAMODBSTREAMS_ITERATOR_H
#include "base/arena.h"

typedef struct ddbs_pos {
    char mode;
    char seq[48]; /* digits, "" for the trim horizon */
    long long expires;
} ddbs_pos;

/* The iterator text, in a; NULL on OOM. */
char *ddbs_iter_format(arena *a, const char *arn, const ddbs_pos *p);
/* Parses it: 0 with *arn (in a) and *p; -1 when it is no iterator; -2 on OOM. */
int ddbs_iter_parse(arena *a, const char *it, const char **arn, ddbs_pos *p);

#endif
