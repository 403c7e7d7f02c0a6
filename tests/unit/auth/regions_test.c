/* auth/regions.c: the partitions' regions, the operator's, and AWS's answer to others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/regions.h"

static void known_and_unknown(void **st)
{
    (void)st;
    const char *known[] = {"us-east-1",      "eu-west-1",     "ap-southeast-2", "us-west-2",
                           "eu-central-1",   "mx-central-1",  "ap-southeast-6", "cn-north-1",
                           "cn-northwest-1", "us-gov-west-1", "us-gov-east-1"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        assert_true(regions_known(known[i]));
    const char *unknown[] = {"bogus-region-9", "us-east-1'<x>", "",
                             "US-EAST-1",      "us-east-1 ",    "aws-global"};
    ferr e = {0};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_false(regions_known(unknown[i]));
        ferr_clear(&e);
        assert_int_equal(regions_check(unknown[i], &e), -1);
        assert_int_equal(e.status, 403);
        assert_string_equal(e.code, "SignatureDoesNotMatch");
    }
    ferr_clear(&e);
    regions_check("bogus-region-9", &e);
    assert_string_equal(e.message,
                        "Credential should be scoped to a valid region, not 'bogus-region-9'. ");
    ferr_clear(&e);
    regions_check("x\n\x80y", &e); /* not printable: not echoed */
    assert_non_null(strstr(e.message, "'x??y'"));
    assert_int_equal(regions_check("us-east-1", &e), 0);
}

static void added(void **st)
{
    (void)st;
    ferr e = {0};
    assert_false(regions_known("local-1"));
    assert_int_equal(regions_add("local-1,eu-west-1,lab-east-2", &e), 0);
    assert_true(regions_known("local-1"));
    assert_true(regions_known("lab-east-2"));
    assert_int_equal(regions_check("local-1", &e), 0);
    const char *bad[] = {"Upper-1", "a,,b", "us-east-1'<x>",
                         ",",       "x y",  "a-region-name-of-32-characters-x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr_clear(&e);
        assert_int_equal(regions_add(bad[i], &e), -1);
        assert_string_equal(e.code, "ValidationError");
    }
    char many[64 * 8 + 1] = "";
    for (int i = 0; i < 64; i++) snprintf(many + strlen(many), 9, "%sr-%04d", i ? "," : "", i);
    assert_int_equal(regions_add(many, &e), -1); /* 2 added before: past 64 */
    regions_clear_added();
    assert_false(regions_known("local-1"));
}

/* The list is current with the botocore installed (Debian's python3-botocore, the build's
 * source of constraints): a region it names in the three partitions must be in ours. */
static void covers_botocore(void **st)
{
    (void)st;
    json_error_t je;
    json_t *d =
        json_load_file("/usr/lib/python3/dist-packages/botocore/data/endpoints.json", 0, &je);
    if (!d) skip();
    size_t i, n = 0;
    json_t *p;
    json_array_foreach(json_object_get(d, "partitions"), i, p) {
        const char *id = json_string_value(json_object_get(p, "partition"));
        if (!id || (strcmp(id, "aws") && strcmp(id, "aws-cn") && strcmp(id, "aws-us-gov")))
            continue;
        const char *r;
        json_t *v;
        json_object_foreach(json_object_get(p, "regions"), r, v) {
            if (!regions_known(r))
                fail_msg("botocore's %s region %s is not in auth/regions.c", id, r);
            n++;
        }
    }
    json_decref(d);
    assert_true(n >= 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_and_unknown),
        cmocka_unit_test(added),
        cmocka_unit_test(covers_botocore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
