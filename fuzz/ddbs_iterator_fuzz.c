/* libFuzzer target: DynamoDB Streams shard iterators (src/svc/dynamodbstreams/iterator.c),
 * which GetRecords takes from clients. Whatever parses formats back to an iterator that
 * parses to the same position. Seeds: fuzz/corpus/ddbs_iterator_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/dynamodbstreams/iterator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    char *s = a ? arena_alloc(a, size + 1) : NULL;
    if (!s) {
        arena_free(a);
        return 0;
    }
    memcpy(s, data, size);
    s[size] = 0;
    const char *arn = NULL, *arn2 = NULL;
    ddbs_pos p, q;
    if (ddbs_iter_parse(a, s, &arn, &p) == 0) {
        char *again = ddbs_iter_format(a, arn, &p);
        if (again) {
            if (ddbs_iter_parse(a, again, &arn2, &q)) abort();
            if (strcmp(arn, arn2) || p.mode != q.mode || strcmp(p.seq, q.seq) ||
                p.expires != q.expires)
                abort();
        }
    }
    arena_free(a);
    return 0;
}
