/* Not part of ferry: a static handler, which the generated table could not name. ctest
 * modelgen_rejects_static_handler expects ferry-modelgen --ops to refuse it. */
__attribute__((used)) static int sts_op_get_caller_identity(void)
{
    return 0;
}
