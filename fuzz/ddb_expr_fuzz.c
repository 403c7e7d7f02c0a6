/* libFuzzer target: DynamoDB expressions (src/svc/dynamodb/expr.c). The input is parsed as
 * each kind of expression with fixed attribute names and values; what parses is evaluated,
 * applied or projected against a fixed item. Seeds: fuzz/corpus/ddb_expr_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/dynamodb/dynamodb_int.h"

static const char *const names_text = "{\"#a\":\"a\",\"#m\":\"m\",\"#n\":\"n\"}";
static const char *const values_text =
    "{\":s\":{\"S\":\"x\"},\":n\":{\"N\":\"1.5\"},\":l\":{\"L\":[{\"S\":\"y\"}]},"
    "\":ss\":{\"SS\":[\"p\",\"q\"]},\":m\":{\"M\":{\"k\":{\"N\":\"2\"}}}}";
static const char *const item_text =
    "{\"a\":{\"S\":\"xyz\"},\"n\":{\"N\":\"3\"},\"l\":{\"L\":[{\"N\":\"1\"},{\"M\":{}}]},"
    "\"m\":{\"M\":{\"k\":{\"SS\":[\"p\"]},\"l\":{\"L\":[]}}},\"b\":{\"B\":\"AAE=\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    json_t *names = json_loads(names_text, 0, NULL), *values = json_loads(values_text, 0, NULL);
    for (int kind = DDB_COND; kind <= DDB_KEYCOND; kind++) {
        arena *a = arena_new(0);
        ferr e = {0};
        call c = {.a = a, .err = &e};
        json_t *used = json_object(), *item = json_loads(item_text, 0, NULL);
        ddb_expr *x = a && used && item
                          ? ddb_expr_parse(&c, (ddb_expr_kind)kind, s, names, values, used)
                          : NULL;
        if (x) {
            ddb_keycond k;
            switch (kind) {
            case DDB_COND:
            case DDB_FILTER:
                ddb_expr_eval(&c, x, item);
                ddb_expr_eval(&c, x, NULL);
                break;
            case DDB_PROJ: ddb_expr_project(&c, x, item); break;
            case DDB_UPDATE:
                ddb_expr_update_names(&c, x);
                ddb_expr_update(&c, x, item);
                break;
            default: ddb_expr_keycond(&c, x, &k); break;
            }
            ddb_expr_unused(&c, names, values, used);
        }
        json_decref(item);
        json_decref(used);
        arena_free(a);
    }
    json_decref(names);
    json_decref(values);
    free(s);
    return 0;
}
