/* libFuzzer target: SNS filter policies (src/svc/sns/filter.c). The input is parsed as a
 * policy in both scopes and, when accepted, matched against fixed messages; it is also
 * used as a message body (and as a String.Array attribute) against fixed policies.
 * Seeds: fuzz/corpus/sns_filter_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sns/filter.h"

static const char *const policies[] = {
    "{\"a\":[\"x\",{\"prefix\":\"p\"},{\"suffix\":\"s\"},{\"anything-but\":[\"q\",1]}]}",
    "{\"a\":{\"b\":[{\"numeric\":[\">\",0,\"<=\",5]},{\"exists\":false}]},\"$or\":[{\"c\":[null]},{"
    "\"d\":[true]}]}",
    "{\"a\":[{\"cidr\":\"10.0.0.0/"
    "8\"},{\"equals-ignore-case\":\"X\"},{\"anything-but\":{\"prefix\":\"z\"}}]}",
};

static json_t *attrs_with(const char *type, const char *value)
{
    json_t *a = json_object();
    json_object_set_new(a, "a", json_pack("{s:s, s:s}", "DataType", type, "StringValue", value));
    json_object_set_new(a, "c",
                        json_pack("{s:s, s:s}", "DataType", "Number", "StringValue", "3.25"));
    return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    json_error_t je;
    json_t *body = json_loadb(s, size, JSON_DECODE_ANY, &je);
    json_t *fixed_body = json_loads("{\"a\":{\"b\":[1,{\"b\":2}]},\"c\":null,\"d\":true}", 0, &je);
    json_t *attr_sets[] = {attrs_with("String", s), attrs_with("String.Array", s),
                           attrs_with("Number", s),
                           attrs_with("String.Array", "[\"x\",1,true,null]")};
    for (int scope = 0; scope <= 1; scope++) {
        ferr e = {0};
        sns_filter *f = sns_filter_parse(s, size, scope, "Invalid parameter: ", &e);
        if (f) {
            for (size_t i = 0; i < 4; i++) sns_filter_match(f, attr_sets[i], fixed_body);
            sns_filter_match(f, NULL, body);
            sns_filter_free(f);
        }
    }
    for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
        for (int scope = 0; scope <= 1; scope++) {
            ferr e = {0};
            sns_filter *f = sns_filter_parse(policies[p], strlen(policies[p]), scope, "", &e);
            if (!f) continue;
            for (size_t i = 0; i < 4; i++) sns_filter_match(f, attr_sets[i], body);
            sns_filter_free(f);
        }
    }
    for (size_t i = 0; i < 4; i++) json_decref(attr_sets[i]);
    json_decref(body);
    json_decref(fixed_body);
    free(s);
    return 0;
}
