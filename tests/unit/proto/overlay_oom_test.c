/* SQS's query view (proto/overlay.c) is built on first use: a build that runs out of memory
 * must leave nothing behind and be retried, not leave the query protocol broken for the
 * life of the process (it did: pthread_once). Its own program, so that nothing has built
 * the view before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/failalloc.h"
#include "proto/overlay.h"

static void failed_build_is_retried(void **st)
{
    (void)st;
    const proto_service *sqs = proto_service_by_signing_name("sqs");
    assert_non_null(sqs);
    failalloc_arm(2); /* the names arena's first chunk: the build fails half way */
    const proto_service *v = proto_overlay_query_view(sqs);
    failalloc_disarm();
    assert_true(failalloc_fired());
    assert_null(v);
    v = proto_overlay_query_view(sqs);
    assert_non_null(v);
    assert_int_equal(v->protocol, PROTO_QUERY);
    assert_true(proto_overlay_is_view(v));
    assert_ptr_equal(proto_overlay_query_view(sqs), v); /* built once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(failed_build_is_retried)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
