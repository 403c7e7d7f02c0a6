/* src/base/jdump.c writes what jansson's compact dump writes, byte for byte, and fails
 * where it fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/jdump.h"

/* j's text from jdump equals jansson's (JSON_COMPACT | JSON_ENCODE_ANY), and with sorted
 * keys too */
static void same(json_t *j)
{
    assert_non_null(j);
    for (int sorted = 0; sorted < 2; sorted++) {
        char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | (sorted ? JSON_SORT_KEYS : 0));
        assert_non_null(want);
        buf b;
        buf_init(&b, 0);
        assert_int_equal(sorted ? jdump_ex(&b, j, JDUMP_SORT_KEYS) : jdump(&b, j), 0);
        assert_string_equal(buf_str(&b), want);
        buf_dispose(&b);
        free(want);
    }
    json_decref(j);
}

static void same_text(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j) fail_msg("%s: %s", text, je.text);
    same(j);
}

static void matches_jansson(void **st)
{
    (void)st;
    same_text("{}");
    same_text("[]");
    same_text("{\"a\":[],\"b\":{},\"c\":[{}],\"d\":null,\"e\":true,\"f\":false}");
    same_text("{\"CiphertextBlob\":\"AQICAHh+/x==\",\"KeyId\":\"arn:aws:kms:us-east-1:1:key/k\"}");
    same_text("[0,-1,9223372036854775807,-9223372036854775808,1.5,1e300,-0.0,3.0,1e-7]");
    same_text("\"bare\"");
    same_text("42");
    same_text("2.5");
    /* strings jansson escapes, or checks: quotes, backslashes, controls, DEL, UTF-8, NUL */
    same_text("[\"a\\\"b\",\"c\\\\d\",\"\\n\\t\\u0001\\u001f\",\"\\u007f\",\"/x/"
              "\",\"é€😀\",\"a\\u0000b\"]");
    same_text("{\"k\\\"ey\":1,\"é\":2,\"\\u0001\":3,\"\":4}");
    /* a key with a NUL in it (only json_object_setn makes one) */
    json_t *o = json_object();
    json_object_setn_new(o, "a\0b", 3, json_true());
    same(o);
    /* insertion order, or sorted: bytes, a prefix first; more members than fit on the stack */
    same_text("{\"z\":1,\"a\":2,\"m\":{\"y\":[1,{\"x\":\"w\"}]}}");
    same_text("{\"ab\":1,\"a\":2,\"b\":3,\"\":4,\"é\":5,\"Z\":6,\"a\\u0001\":7}");
    json_t *many = json_object();
    for (int i = 40; i > 0; i--)
        json_object_set_new(many, (char[]){'k', (char)('0' + i), 0}, json_integer(i));
    same(many);
    /* nesting past JDUMP_DEPTH is jansson's whole */
    json_t *deep = json_array(), *in = deep;
    for (int i = 0; i < JDUMP_DEPTH + 40; i++) {
        json_t *n = i % 2 ? json_array() : json_object();
        if (json_is_array(in))
            json_array_append_new(in, n);
        else
            json_object_set_new(in, "k", n);
        in = n;
    }
    same(deep);
}

static void fails_as_jansson(void **st)
{
    (void)st;
    buf b;
    buf_init(&b, 0);
    assert_int_equal(jdump(&b, NULL), -1);
    assert_int_equal(jdump_string(&b, "\xff", 1), -1); /* not UTF-8 */
    buf_reset(&b);
    assert_int_equal(jdump_string(&b, "a\"b", 3), 0);
    assert_string_equal(buf_str(&b), "\"a\\\"b\"");
    buf_dispose(&b);
    /* a full buffer fails the dump */
    buf_init(&b, 4);
    json_t *j = json_pack("{s:s}", "key", "value");
    assert_int_equal(jdump(&b, j), -1);
    json_decref(j);
    buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_jansson),
        cmocka_unit_test(fails_as_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
