/* Filter policies (src/svc/sns/filter.c): every operator on attributes and bodies, $or,
 * nesting, and the validation errors with AWS's wording. Cases are data: policy,
 * message (attributes as {name: [type, value]} or a body), expected match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/sns/filter.h"

/* attrs: {"name": ["Type", "value"]} shorthand -> the decoded Publish shape */
static json_t *attrs_of(const char *spec)
{
    json_error_t je;
    json_t *s = json_loads(spec, 0, &je), *out = json_object();
    assert_non_null(s);
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v) {
        const char *type = json_string_value(json_array_get(v, 0));
        const char *val = json_string_value(json_array_get(v, 1));
        json_object_set_new(out, k,
                            json_pack("{s:s, s:s}", "DataType", type,
                                      !strcmp(type, "Binary") ? "BinaryValue" : "StringValue",
                                      val));
    }
    json_decref(s);
    return out;
}

typedef struct mcase {
    const char *policy;
    const char *attrs; /* NULL: body case */
    const char *body;
    int want;
} mcase;

static const mcase attr_cases[] = {
    /* exact strings, OR within a key, AND across keys */
    {"{\"sport\":[\"rugby\",\"tennis\"]}", "{\"sport\":[\"String\",\"rugby\"]}", NULL, 1},
    {"{\"sport\":[\"rugby\",\"tennis\"]}", "{\"sport\":[\"String\",\"tennis\"]}", NULL, 1},
    {"{\"sport\":[\"rugby\",\"tennis\"]}", "{\"sport\":[\"String\",\"golf\"]}", NULL, 0},
    {"{\"sport\":[\"rugby\"]}", "{}", NULL, 0},
    {"{\"sport\":[\"rugby\"]}", "{\"sport\":[\"String\",\"Rugby\"]}", NULL, 0},
    {"{\"sport\":[\"rugby\"],\"size\":[\"L\"]}",
     "{\"sport\":[\"String\",\"rugby\"],\"size\":[\"String\",\"L\"]}", NULL, 1},
    {"{\"sport\":[\"rugby\"],\"size\":[\"L\"]}",
     "{\"sport\":[\"String\",\"rugby\"],\"size\":[\"String\",\"M\"]}", NULL, 0},
    {"{\"sport\":[\"rugby\"]}", "{\"sport\":[\"String\",\"rugby\"],\"other\":[\"String\",\"x\"]}",
     NULL, 1},
    {"{}", "{}", NULL, 1},
    /* String.Array: each element on its own */
    {"{\"sport\":[\"rugby\"]}", "{\"sport\":[\"String.Array\",\"[\\\"golf\\\",\\\"rugby\\\"]\"]}",
     NULL, 1},
    {"{\"sport\":[\"rugby\"]}", "{\"sport\":[\"String.Array\",\"[\\\"golf\\\"]\"]}", NULL, 0},
    {"{\"n\":[5]}", "{\"n\":[\"String.Array\",\"[1, 5]\"]}", NULL, 1},
    {"{\"b\":[true]}", "{\"b\":[\"String.Array\",\"[true]\"]}", NULL, 1},
    {"{\"b\":[null]}", "{\"b\":[\"String.Array\",\"[null]\"]}", NULL, 1},
    {"{\"sport\":[\"rugby\"]}", "{\"sport\":[\"String.Array\",\"not json\"]}", NULL, 0},
    /* numbers: exact with five decimals, ranges */
    {"{\"price\":[100]}", "{\"price\":[\"Number\",\"100\"]}", NULL, 1},
    {"{\"price\":[100]}", "{\"price\":[\"Number\",\"100.000001\"]}", NULL, 1},
    {"{\"price\":[100]}", "{\"price\":[\"Number\",\"100.0001\"]}", NULL, 0},
    {"{\"price\":[100]}", "{\"price\":[\"String\",\"100\"]}", NULL, 0},
    {"{\"price\":[{\"numeric\":[\"=\",1e2]}]}", "{\"price\":[\"Number\",\"100\"]}", NULL, 1},
    {"{\"price\":[{\"numeric\":[\">\",0,\"<=\",150]}]}", "{\"price\":[\"Number\",\"150\"]}", NULL,
     1},
    {"{\"price\":[{\"numeric\":[\">\",0,\"<=\",150]}]}", "{\"price\":[\"Number\",\"0\"]}", NULL, 0},
    {"{\"price\":[{\"numeric\":[\">=\",0,\"<\",150]}]}", "{\"price\":[\"Number\",\"0\"]}", NULL, 1},
    {"{\"price\":[{\"numeric\":[\">=\",0,\"<\",150]}]}", "{\"price\":[\"Number\",\"150\"]}", NULL,
     0},
    {"{\"price\":[{\"numeric\":[\"<\",-1.5]}]}", "{\"price\":[\"Number\",\"-2\"]}", NULL, 1},
    {"{\"price\":[{\"numeric\":[\"<\",-1.5]}]}", "{\"price\":[\"Number\",\"x\"]}", NULL, 0},
    {"{\"price\":[{\"numeric\":[\"<=\",10]}]}", "{\"price\":[\"Number.float\",\"9.5\"]}", NULL, 1},
    /* prefix, suffix, equals-ignore-case */
    {"{\"c\":[{\"prefix\":\"bas\"}]}", "{\"c\":[\"String\",\"basketball\"]}", NULL, 1},
    {"{\"c\":[{\"prefix\":\"bas\"}]}", "{\"c\":[\"String\",\"rugby\"]}", NULL, 0},
    {"{\"c\":[{\"suffix\":\"ball\"}]}", "{\"c\":[\"String\",\"baseball\"]}", NULL, 1},
    {"{\"c\":[{\"suffix\":\"ball\"}]}", "{\"c\":[\"String\",\"ball game\"]}", NULL, 0},
    {"{\"c\":[{\"equals-ignore-case\":\"RuGbY\"}]}", "{\"c\":[\"String\",\"rugby\"]}", NULL, 1},
    {"{\"c\":[{\"equals-ignore-case\":\"RuGbY\"}]}", "{\"c\":[\"String\",\"rugby7\"]}", NULL, 0},
    /* anything-but: values, numbers, prefix, suffix; needs the key */
    {"{\"c\":[{\"anything-but\":[\"rugby\",\"tennis\"]}]}", "{\"c\":[\"String\",\"golf\"]}", NULL,
     1},
    {"{\"c\":[{\"anything-but\":[\"rugby\",\"tennis\"]}]}", "{\"c\":[\"String\",\"rugby\"]}", NULL,
     0},
    {"{\"c\":[{\"anything-but\":[\"rugby\",\"tennis\"]}]}", "{}", NULL, 0},
    {"{\"c\":[{\"anything-but\":\"rugby\"}]}", "{\"c\":[\"String\",\"golf\"]}", NULL, 1},
    {"{\"c\":[{\"anything-but\":[\"rugby\"]}]}",
     "{\"c\":[\"String.Array\",\"[\\\"golf\\\",\\\"rugby\\\"]\"]}", NULL, 0},
    {"{\"c\":[{\"anything-but\":[\"rugby\"]}]}",
     "{\"c\":[\"String.Array\",\"[\\\"golf\\\",\\\"polo\\\"]\"]}", NULL, 1},
    {"{\"n\":[{\"anything-but\":[100,200]}]}", "{\"n\":[\"Number\",\"150\"]}", NULL, 1},
    {"{\"n\":[{\"anything-but\":[100,200]}]}", "{\"n\":[\"Number\",\"200\"]}", NULL, 0},
    {"{\"c\":[{\"anything-but\":{\"prefix\":\"bas\"}}]}", "{\"c\":[\"String\",\"rugby\"]}", NULL,
     1},
    {"{\"c\":[{\"anything-but\":{\"prefix\":\"bas\"}}]}", "{\"c\":[\"String\",\"baseball\"]}", NULL,
     0},
    {"{\"c\":[{\"anything-but\":{\"suffix\":\"ball\"}}]}", "{\"c\":[\"String\",\"rugby\"]}", NULL,
     1},
    {"{\"c\":[{\"anything-but\":{\"suffix\":\"ball\"}}]}", "{\"c\":[\"String\",\"baseball\"]}",
     NULL, 0},
    {"{\"c\":[{\"anything-but\":{\"equals-ignore-case\":\"RUGBY\"}}]}",
     "{\"c\":[\"String\",\"rugby\"]}", NULL, 0},
    /* exists */
    {"{\"c\":[{\"exists\":true}]}", "{\"c\":[\"String\",\"x\"]}", NULL, 1},
    {"{\"c\":[{\"exists\":true}]}", "{\"c\":[\"Binary\",\"AAEC\"]}", NULL, 1},
    {"{\"c\":[{\"exists\":true}]}", "{}", NULL, 0},
    {"{\"c\":[{\"exists\":false}]}", "{}", NULL, 1},
    {"{\"c\":[{\"exists\":false}]}", "{\"c\":[\"String\",\"x\"]}", NULL, 0},
    {"{\"c\":[\"x\",{\"exists\":false}]}", "{}", NULL, 1},
    /* cidr */
    {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":[\"String\",\"10.0.0.255\"]}", NULL, 1},
    {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":[\"String\",\"10.0.1.0\"]}", NULL, 0},
    {"{\"ip\":[{\"cidr\":\"10.0.0.0/20\"}]}", "{\"ip\":[\"String\",\"10.0.15.1\"]}", NULL, 1},
    {"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":[\"String\",\"2001:db8:1::1\"]}", NULL, 1},
    {"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":[\"String\",\"10.0.0.1\"]}", NULL, 0},
    {"{\"ip\":[{\"cidr\":\"0.0.0.0/0\"}]}", "{\"ip\":[\"String\",\"1.2.3.4\"]}", NULL, 1},
    /* $or */
    {"{\"a\":[\"1\"],\"$or\":[{\"b\":[\"2\"]},{\"c\":[\"3\"]}]}",
     "{\"a\":[\"String\",\"1\"],\"c\":[\"String\",\"3\"]}", NULL, 1},
    {"{\"a\":[\"1\"],\"$or\":[{\"b\":[\"2\"]},{\"c\":[\"3\"]}]}", "{\"a\":[\"String\",\"1\"]}",
     NULL, 0},
    {"{\"$or\":[{\"b\":[\"2\"]},{\"c\":[{\"numeric\":[\">\",5]}]}]}", "{\"c\":[\"Number\",\"6\"]}",
     NULL, 1},
};

static const mcase body_cases[] = {
    {"{\"sport\":[\"rugby\"]}", NULL, "{\"sport\":\"rugby\"}", 1},
    {"{\"sport\":[\"rugby\"]}", NULL, "{\"sport\":\"golf\"}", 0},
    {"{\"sport\":[\"rugby\"]}", NULL, "not json", 0},
    {"{\"sport\":[\"rugby\"]}", NULL, "[\"rugby\"]", 0},
    {"{\"sport\":[\"rugby\"]}", NULL, "{\"sport\":[\"golf\",\"rugby\"]}", 1},
    {"{\"a\":{\"b\":{\"c\":[\"x\"]}}}", NULL, "{\"a\":{\"b\":{\"c\":\"x\"}}}", 1},
    {"{\"a\":{\"b\":{\"c\":[\"x\"]}}}", NULL, "{\"a\":{\"b\":{\"c\":\"y\"}}}", 0},
    {"{\"a\":{\"b\":[\"x\"]}}", NULL, "{\"a\":[{\"b\":\"y\"},{\"b\":\"x\"}]}", 1},
    {"{\"a\":{\"b\":[{\"exists\":false}]}}", NULL, "{}", 1},
    {"{\"a\":{\"b\":[{\"exists\":true}]}}", NULL, "{\"a\":{\"b\":0}}", 1},
    {"{\"a\":[{\"exists\":true}]}", NULL, "{\"a\":{\"b\":0}}", 0},
    {"{\"n\":[{\"numeric\":[\">\",1]}]}", NULL, "{\"n\":2}", 1},
    {"{\"n\":[{\"numeric\":[\">\",1]}]}", NULL, "{\"n\":\"2\"}", 0},
    {"{\"n\":[2]}", NULL, "{\"n\":2.0}", 1},
    {"{\"f\":[true]}", NULL, "{\"f\":true}", 1},
    {"{\"f\":[false]}", NULL, "{\"f\":true}", 0},
    {"{\"f\":[null]}", NULL, "{\"f\":null}", 1},
    {"{\"c\":[{\"prefix\":\"ba\"}]}", NULL, "{\"c\":\"bar\"}", 1},
    {"{\"$or\":[{\"a\":[\"1\"]},{\"b\":{\"c\":[\"2\"]}}]}", NULL, "{\"b\":{\"c\":\"2\"}}", 1},
    {"{\"$or\":[{\"a\":[\"1\"]},{\"b\":{\"c\":[\"2\"]}}]}", NULL, "{\"b\":{\"c\":\"3\"}}", 0},
};

static void run_cases(const mcase *cs, size_t n, int scope)
{
    for (size_t i = 0; i < n; i++) {
        ferr e = {0};
        sns_filter *f =
            sns_filter_parse(cs[i].policy, strlen(cs[i].policy), scope, "Invalid parameter: ", &e);
        if (!f) fprintf(stderr, "case %zu: %s rejected: %s\n", i, cs[i].policy, e.message);
        assert_non_null(f);
        json_t *attrs = cs[i].attrs ? attrs_of(cs[i].attrs) : NULL;
        json_error_t je;
        json_t *body = cs[i].body ? json_loads(cs[i].body, JSON_DECODE_ANY, &je) : NULL;
        int got = sns_filter_match(f, attrs, body);
        if (got != cs[i].want)
            fprintf(stderr, "case %zu: %s on %s%s: got %d\n", i, cs[i].policy,
                    cs[i].attrs ? cs[i].attrs : "", cs[i].body ? cs[i].body : "", got);
        assert_int_equal(got, cs[i].want);
        json_decref(attrs);
        json_decref(body);
        sns_filter_free(f);
    }
}

static void test_attribute_matching(void **state)
{
    (void)state;
    run_cases(attr_cases, sizeof(attr_cases) / sizeof(attr_cases[0]), SNS_SCOPE_ATTRIBUTES);
}

static void test_body_matching(void **state)
{
    (void)state;
    run_cases(body_cases, sizeof(body_cases) / sizeof(body_cases[0]), SNS_SCOPE_BODY);
}

typedef struct ecase {
    const char *policy;
    int scope;
    const char *message;
} ecase;

static const ecase errors[] = {
    {"{\"a\":", 0, "Invalid parameter: FilterPolicy: failed to parse JSON."},
    {"[1]", 0, "Invalid parameter: FilterPolicy: Filter policy must be a JSON object"},
    {"{\"a\":[1],\"b\":[1],\"c\":[1],\"d\":[1],\"e\":[1],\"f\":[1]}", 0,
     "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"},
    {"{\"a\":\"x\"}", 0, "Invalid parameter: FilterPolicy: \"a\" must be an object or an array"},
    {"{\"a\":[[\"x\"]]}", 0,
     "Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null"},
    {"{\"a\":{\"b\":[\"x\"]}}", 0,
     "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter "
     "policy"},
    {"{\"a\":[{\"prefix\":1}]}", 0,
     "Invalid parameter: FilterPolicy: prefix match pattern must be a string"},
    {"{\"a\":[{\"suffix\":[]}]}", 0,
     "Invalid parameter: FilterPolicy: suffix match pattern must be a string"},
    {"{\"a\":[{\"exists\":\"yes\"}]}", 0,
     "Invalid parameter: FilterPolicy: exists match pattern must be either true or false."},
    {"{\"a\":[{\"wat\":1}]}", 0, "Invalid parameter: FilterPolicy: Unrecognized match type wat"},
    {"{\"a\":[{\"prefix\":\"x\",\"suffix\":\"y\"}]}", 0,
     "Invalid parameter: FilterPolicy: Only one key allowed in match expression"},
    {"{\"a\":[{\"numeric\":[]}]}", 0,
     "Invalid parameter: FilterPolicy: Invalid member in numeric match: ]"},
    {"{\"a\":[{\"numeric\":[1]}]}", 0,
     "Invalid parameter: FilterPolicy: Invalid member in numeric match: 1"},
    {"{\"a\":[{\"numeric\":[\"~\",1]}]}", 0,
     "Invalid parameter: FilterPolicy: Unrecognized numeric range operator: ~"},
    {"{\"a\":[{\"numeric\":[\"=\",\"1\"]}]}", 0,
     "Invalid parameter: FilterPolicy: Value of equals must be numeric"},
    {"{\"a\":[{\"numeric\":[\"<\",1,\">\",0]}]}", 0,
     "Invalid parameter: FilterPolicy: Too many elements in numeric expression"},
    {"{\"a\":[{\"numeric\":[\">\",1,\">\",2]}]}", 0,
     "Invalid parameter: FilterPolicy: Bad numeric range operator: >"},
    {"{\"a\":[{\"numeric\":[\">\",1,2,3]}]}", 0,
     "Invalid parameter: FilterPolicy: Bad value in numeric range: 2"},
    {"{\"a\":[{\"numeric\":[\">\",5,\"<\",1]}]}", 0,
     "Invalid parameter: FilterPolicy: Bottom must be less than top"},
    {"{\"a\":[{\"numeric\":[\">\",1,\"<\",5,\"<\",6]}]}", 0,
     "Invalid parameter: FilterPolicy: Too many terms in numeric range expression"},
    {"{\"a\":[{\"anything-but\":[true]}]}", 0,
     "Invalid parameter: FilterPolicy: Inside anything but list, start|null|boolean is not "
     "supported."},
    {"{\"a\":[{\"anything-but\":{\"wildcard\":\"x\"}}]}", 0,
     "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: wildcard"},
    {"{\"a\":[{\"anything-but\":null}]}", 0,
     "Invalid parameter: FilterPolicy: Value of anything-but must be an array or single "
     "string/number value."},
    {"{\"a\":[{\"cidr\":\"10.0.0.0\"}]}", 0,
     "Invalid parameter: FilterPolicy: Malformed CIDR, one '/' required"},
    {"{\"a\":[{\"cidr\":\"10.0.0.300/8\"}]}", 0,
     "Invalid parameter: FilterPolicy: Nonstandard IP address: 10.0.0.300"},
    {"{\"a\":[]}", 0, "Invalid parameter: FilterPolicy: Empty arrays are not allowed"},
    {"{\"$or\":\"x\"}", 0,
     "Invalid parameter: FilterPolicy: \"$or\" must be an object or an array"},
};

static void test_validation_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        ferr e = {0};
        sns_filter *f = sns_filter_parse(errors[i].policy, strlen(errors[i].policy),
                                         errors[i].scope, "Invalid parameter: ", &e);
        if (f || strncmp(e.message, errors[i].message, strlen(errors[i].message)))
            fprintf(stderr, "case %zu: %s -> %s\n", i, errors[i].policy,
                    f ? "accepted" : e.message);
        assert_null(f);
        assert_string_equal(e.code, "InvalidParameter");
        assert_int_equal(e.status, 400);
        assert_memory_equal(e.message, errors[i].message, strlen(errors[i].message));
    }
}

static void test_complexity(void **state)
{
    (void)state;
    ferr e = {0};
    char p[4096];
    /* 150 values in one key are allowed, 151 are not */
    for (int n = 150; n <= 151; n++) {
        size_t len = (size_t)snprintf(p, sizeof(p), "{\"a\":[");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(p + len, sizeof(p) - len, "%s\"v%d\"", i ? "," : "", i);
        snprintf(p + len, sizeof(p) - len, "]}");
        sns_filter *f = sns_filter_parse(p, strlen(p), 0, "Invalid parameter: ", &e);
        if (n == 150)
            assert_non_null(f);
        else {
            assert_null(f);
            assert_string_equal(e.message,
                                "Invalid parameter: FilterPolicy: Filter policy is too complex");
        }
        sns_filter_free(f);
    }
    /* products: 10 x 10 x 2 = 200 */
    const char *prod = "{\"a\":[1,2,3,4,5,6,7,8,9,10],\"b\":[1,2,3,4,5,6,7,8,9,10],\"c\":[1,2]}";
    assert_null(sns_filter_parse(prod, strlen(prod), 0, "", &e));
    /* AWS's nested example: 4 values three deep and 3 values two deep make 72 */
    const char *nested = "{\"key_a\":{\"key_b\":{\"key_c\":[\"1\",\"2\",\"3\",\"4\"]}},"
                         "\"key_d\":{\"key_e\":[\"1\",\"2\",\"3\"]}}";
    sns_filter *f = sns_filter_parse(nested, strlen(nested), SNS_SCOPE_BODY, "", &e);
    assert_non_null(f);
    sns_filter_free(f);
    /* $or adds its alternatives: 100 + 100 > 150 */
    char orp[2048];
    size_t len = (size_t)snprintf(orp, sizeof(orp), "{\"$or\":[{\"a\":[");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(orp + len, sizeof(orp) - len, "%s%d", i ? "," : "", i);
    len += (size_t)snprintf(orp + len, sizeof(orp) - len, "]},{\"b\":[");
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(orp + len, sizeof(orp) - len, "%s%d", i ? "," : "", i);
    snprintf(orp + len, sizeof(orp) - len, "]}]}");
    assert_null(sns_filter_parse(orp, strlen(orp), 0, "", &e));
    assert_string_equal(e.message, "FilterPolicy: Filter policy is too complex");
}

static void test_prefix_and_limits(void **state)
{
    (void)state;
    ferr e = {0};
    const char *p = "{\"a\":[{\"prefix\":1}]}";
    assert_null(sns_filter_parse(p, strlen(p), 0, "Invalid parameter: Attributes Reason: ", &e));
    assert_string_equal(e.message, "Invalid parameter: Attributes Reason: FilterPolicy: prefix "
                                   "match pattern must be a string");
    char *big = malloc(SNS_FILTER_MAX_BYTES + 2);
    memset(big, ' ', SNS_FILTER_MAX_BYTES + 1);
    big[SNS_FILTER_MAX_BYTES + 1] = 0;
    assert_null(sns_filter_parse(big, SNS_FILTER_MAX_BYTES + 1, 0, "", &e));
    assert_string_equal(e.message, "FilterPolicy: Filter policy is too long");
    free(big);
    /* a missing filter matches everything */
    assert_true(sns_filter_match(NULL, NULL, NULL));
    sns_filter_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_matching),  cmocka_unit_test(test_body_matching),
        cmocka_unit_test(test_validation_messages), cmocka_unit_test(test_complexity),
        cmocka_unit_test(test_prefix_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
