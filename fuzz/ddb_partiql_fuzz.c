/* libFuzzer target: DynamoDB's PartiQL statements (src/svc/dynamodb/partiql.c), parsed and
 * translated into the requests they stand for, with two parameters; what translates has its
 * expressions parsed as the operations would. Seeds: fuzz/corpus/ddb_partiql_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/dynamodb/dynamodb_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    arena *a = arena_new(0);
    ferr e = {0};
    call c = {.a = a, .err = &e};
    json_t *params = json_loads("[{\"S\":\"p\"},{\"N\":\"2\"}]", 0, NULL), *req = NULL;
    if (a && params && !ddb_partiql_translate(&c, s, params, &req)) {
        const json_t *names = json_object_get(req, "ExpressionAttributeNames"),
                     *values = json_object_get(req, "ExpressionAttributeValues");
        const char *members[] = {"Where", "ProjectionExpression", "UpdateExpression"};
        const ddb_expr_kind kinds[] = {DDB_COND, DDB_PROJ, DDB_UPDATE};
        for (int i = 0; i < 3; i++)
            if (jstr(req, members[i]))
                ddb_expr_parse(&c, kinds[i], jstr(req, members[i]), names, values, NULL);
        json_decref(req);
    }
    json_decref(params);
    arena_free(a);
    free(s);
    return 0;
}
