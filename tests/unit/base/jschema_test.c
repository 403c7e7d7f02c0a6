/* src/base/jschema.c: draft 4 schemas checked, documents validated with the validator's
 * words, hostile schemas bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/jschema.h"

static const json_t *other_models;

static const json_t *resolve(void *ud, const char *ref)
{
    (void)ud;
    const char *slash = strrchr(ref, '/');
    return slash ? json_object_get(other_models, slash + 1) : NULL;
}

/* the report of doc against schema (both JSON text): "" when valid */
static char *report(const char *schema, const char *doc)
{
    json_t *s = json_loads(schema, 0, NULL), *d = json_loads(doc, JSON_DECODE_ANY, NULL);
    assert_non_null(s);
    assert_non_null(d);
    char msg[256];
    assert_int_equal(jschema_check(s, resolve, NULL, msg, sizeof(msg)), 0);
    json_t *errs = json_array();
    int rc = jschema_validate(s, d, resolve, NULL, errs);
    assert_true(rc == 0 || rc == 1);
    assert_int_equal(rc, json_array_size(errs) > 0);
    char *out = rc ? jschema_errors_string(errs) : strdup("");
    json_decref(errs);
    json_decref(s);
    json_decref(d);
    return out;
}

#define EXPECT(schema, doc, want) \
    do { \
        char *got = report(schema, doc); \
        assert_string_equal(got, want); \
        free(got); \
    } while (0)

static void messages(void **st)
{
    (void)st;
    const char *pet = "{\"type\":\"object\",\"required\":[\"type\",\"price\"],"
                      "\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"dog\",\"cat\"]},"
                      "\"price\":{\"type\":\"number\",\"minimum\":25,\"maximum\":500},"
                      "\"name\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":4,"
                      "\"pattern\":\"^[a-z]+$\"}},\"additionalProperties\":false}";
    EXPECT(pet, "{\"type\":\"dog\",\"price\":30}", "");
    EXPECT(pet, "{\"name\":\"ab\"}",
           "[object has missing required properties ([\"price\",\"type\"])]");
    EXPECT(pet, "{\"type\":\"bird\",\"price\":501}",
           "[instance value (\"bird\") not found in enum (possible values: [\"dog\",\"cat\"]), "
           "numeric instance is greater than the required maximum (maximum: 500, found: 501)]");
    EXPECT(pet, "{\"type\":\"cat\",\"price\":\"5\"}",
           "[instance type (string) does not match any allowed primitive type (allowed: "
           "[\"number\"])]");
    EXPECT(pet, "{\"type\":\"cat\",\"price\":10.5}",
           "[numeric instance is lower than the required minimum (minimum: 25, found: 10.5)]");
    EXPECT(pet, "{\"type\":\"cat\",\"price\":30,\"name\":\"ab\"}", "");
    EXPECT("{\"maxLength\":2}", "\"éé\"", ""); /* code points, not bytes */
    EXPECT(pet, "{\"type\":\"cat\",\"price\":30,\"name\":\"a\"}",
           "[string \"a\" is too short (length: 1, required minimum: 2)]");
    EXPECT(pet, "{\"type\":\"cat\",\"price\":30,\"name\":\"Abcde\"}",
           "[string \"Abcde\" is too long (length: 5, maximum allowed: 4), ECMA 262 regex "
           "\"^[a-z]+$\" does not match input string \"Abcde\"]");
    EXPECT(pet, "{\"type\":\"cat\",\"price\":30,\"z\":1,\"a\":2}",
           "[object instance has properties which are not allowed by the schema: [\"a\",\"z\"]]");
    EXPECT(pet, "[]",
           "[instance type (array) does not match any allowed primitive type (allowed: "
           "[\"object\"])]");
    const char *list = "{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,\"uniqueItems\":true,"
                       "\"items\":{\"type\":\"integer\"}}";
    EXPECT(list, "[1,2]", "");
    EXPECT(list, "[]",
           "[array is too short: must have at least 1 elements but instance has 0 "
           "elements]");
    EXPECT(list, "[1,1.5,3]",
           "[array is too long: must have at most 2 elements but instance has "
           "3 elements, instance type (number) does not match any allowed "
           "primitive type (allowed: [\"integer\"])]");
    EXPECT(list, "[1,1]", "[array must not contain duplicate elements]");
    EXPECT("{\"type\":[\"string\",\"null\"]}", "null", "");
    EXPECT("{\"minimum\":1,\"exclusiveMinimum\":true}", "1",
           "[numeric instance is not strictly greater than the required minimum 1]");
    EXPECT("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "true",
           "[instance failed to match at least one required schema among 2]");
    EXPECT("{\"oneOf\":[{\"type\":\"number\"},{\"type\":\"integer\"}]}", "3",
           "[instance failed to match exactly one schema (matched 2 out of 2)]");
    EXPECT("{\"not\":{\"type\":\"string\"}}", "\"x\"",
           "[instance matched a schema which it should not have]");
}

static void references(void **st)
{
    (void)st;
    other_models = json_pack("{s:{s:s, s:[s]}}", "Pet", "type", "object", "required", "id");
    EXPECT("{\"definitions\":{\"id\":{\"type\":\"integer\"}},"
           "\"properties\":{\"a\":{\"$ref\":\"#/definitions/id\"}}}",
           "{\"a\":\"x\"}",
           "[instance type (string) does not match any allowed primitive type (allowed: "
           "[\"integer\"])]");
    EXPECT("{\"type\":\"array\",\"items\":{\"$ref\":"
           "\"https://apigateway.amazonaws.com/restapis/abc/models/Pet\"}}",
           "[{\"id\":1},{}]", "[object has missing required properties ([\"id\"])]");
    json_decref((json_t *)other_models);
    other_models = NULL;
}

static void bad_schemas(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "[]",
        "{\"type\":\"text\"}",
        "{\"minLength\":-1}",
        "{\"pattern\":\"(\"}",
        "{\"required\":[]}",
        "{\"properties\":{\"a\":1}}",
        "{\"$ref\":\"#/definitions/none\"}",
        "{\"multipleOf\":0}",
        "{\"enum\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *s = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        char msg[256];
        assert_int_equal(jschema_check(s, resolve, NULL, msg, sizeof(msg)), -1);
        assert_true(msg[0]);
        json_decref(s);
    }
}

/* a cycle of references and an exponential allOf end, reported as too complex */
static void bounded(void **st)
{
    (void)st;
    json_t *s = json_loads("{\"definitions\":{\"a\":{\"allOf\":[{\"$ref\":\"#/definitions/a\"},"
                           "{\"$ref\":\"#/definitions/a\"}]}},\"$ref\":\"#/definitions/a\"}",
                           0, NULL);
    json_t *d = json_integer(1), *errs = json_array();
    assert_int_equal(jschema_validate(s, d, NULL, NULL, errs), 1);
    json_decref(errs);
    json_decref(d);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(messages),
        cmocka_unit_test(references),
        cmocka_unit_test(bad_schemas),
        cmocka_unit_test(bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
