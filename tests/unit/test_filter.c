/* Linked into every unit test: FERRY_TEST_FILTER=pattern runs only the cmocka cases whose
 * names match (cmocka's globbing: * and ?), e.g.
 *   FERRY_TEST_FILTER=test_concurrent_writers build/store_sqlite_test
 * cmocka 1.1 has the filter call but reads no environment variable itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

__attribute__((constructor)) static void ferry_test_filter(void)
{
    const char *f = getenv("FERRY_TEST_FILTER");
    if (f && *f) cmocka_set_test_filter(f);
}
