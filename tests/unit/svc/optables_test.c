/* The generated operation tables (build/gen/svc_ops.c, tools/modelgen --ops): one per
 * implemented service, sorted, with exactly the operations of its model; read-only flags
 * by the rule of svc.h; an operation without a handler is not found (answered 501). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proto/model.h"
#include "svc/svc.h"

static void test_tables_match_models(void **st)
{
    (void)st;
    assert_true(svc_ntables > 0);
    for (size_t i = 0; i < svc_ntables; i++) {
        const svc_table *t = &svc_tables[i];
        const proto_service *m = proto_service_by_stem(t->model);
        assert_non_null(m);
        /* the service answers for its model's signing name */
        assert_ptr_equal(proto_service_by_signing_name(t->def->name), m);
        assert_ptr_equal(svc_find(t->def->name), t->def);
        /* every operation of the model, no other, in the model table's order */
        assert_int_equal(t->nops, m->nops);
        for (size_t k = 0; k < t->nops; k++) {
            assert_string_equal(t->ops[k].name, m->ops[k].name);
            if (k) assert_true(strcmp(t->ops[k - 1].name, t->ops[k].name) < 0);
            const svc_op *o = svc_find_op(t->def, t->ops[k].name);
            assert_ptr_equal(o, t->ops[k].fn ? &t->ops[k] : NULL);
        }
        assert_null(svc_find_op(t->def, "NoSuchOperation"));
    }
}

static unsigned flags(const char *service, const char *op)
{
    const svc_op *o = svc_find_op(svc_find(service), op);
    assert_non_null(o);
    return o->flags;
}

static void test_read_only_rule(void **st)
{
    (void)st;
    assert_int_equal(flags("sts", "GetCallerIdentity"), SVC_READ);
    assert_int_equal(flags("sts", "GetSessionToken"), 0); /* src/svc/sts/flags.list */
    assert_int_equal(flags("sts", "AssumeRole"), 0);
    assert_int_equal(flags("sqs", "ReceiveMessage"), 0);
    assert_int_equal(flags("sqs", "ListQueues"), SVC_READ);
    /* flags.list: Invoke changes no document */
    assert_int_equal(flags("lambda", "Invoke"), SVC_READ);
    assert_int_equal(flags("lambda", "CreateFunction"), 0);
    assert_int_equal(flags("iam", "SimulatePrincipalPolicy"), SVC_READ);
    assert_int_equal(flags("iam", "PutRolePermissionsBoundary"), 0);
    assert_int_equal(flags("cloudformation", "ValidateTemplate"), SVC_READ);
    assert_int_equal(flags("cloudformation", "DescribeStacks"), SVC_READ);
    /* flags.list: LookupEvents reads the trail, queued events committed first */
    assert_int_equal(flags("cloudtrail", "LookupEvents"), SVC_READ | SVC_TRAIL);
    assert_int_equal(flags("access-analyzer", "ValidatePolicy"), SVC_READ);
    assert_int_equal(flags("organizations", "CreateAccount"), 0);
}

static void test_unimplemented_is_not_found(void **st)
{
    (void)st;
    /* in the model, without a handler: the gateway answers 501 NotImplemented */
    const svc_def *sm = svc_find("secretsmanager");
    assert_non_null(sm);
    assert_null(svc_find_op(sm, "ReplicateSecretToRegions"));
    assert_non_null(svc_find_op(sm, "GetSecretValue"));
    /* a name no listed folder defines is no service (a stem without a folder is none either) */
    assert_null(svc_find("nosuchservice"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_match_models),
        cmocka_unit_test(test_read_only_rule),
        cmocka_unit_test(test_unimplemented_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
