/* The Authorization header's credentials for routes without SigV4 (auth/httpauth.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "auth/httpauth.h"

static void basic_and_raw(void **st)
{
    (void)st;
    arena *a = arena_new(0);
    /* "user:pa:ss" -- the password keeps its colons */
    http_creds c = http_creds_parse(a, "Basic dXNlcjpwYTpzcw==");
    assert_string_equal(c.user, "user");
    assert_string_equal(c.password, "pa:ss");
    assert_string_equal(c.raw, "Basic dXNlcjpwYTpzcw==");
    c = http_creds_parse(a, "basic   dXNlcjpwYTpzcw==");
    assert_string_equal(c.user, "user");
    /* a token as sent, not Basic: raw only */
    c = http_creds_parse(a, "tok-123");
    assert_string_equal(c.raw, "tok-123");
    assert_null(c.user);
    assert_null(c.password);
    /* malformed: not base64, no colon, a NUL inside, none at all */
    static const char *const bad[] = {"Basic !!!", "Basic dXNlcg==", "Basic dQBzOnA=", "Basic "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        c = http_creds_parse(a, bad[i]);
        assert_null(c.user);
        assert_null(c.password);
        assert_string_equal(c.raw, bad[i]);
    }
    c = http_creds_parse(a, NULL);
    assert_null(c.raw);
    assert_null(c.user);
    arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(basic_and_raw)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
