/* Not part of ferry: a handler whose name matches no operation of the STS model (a typo of
 * GetCallerIdentity). ctest modelgen_rejects_stray_handler runs ferry-modelgen --ops on this
 * object and expects it to fail, as the build fails when src/svc/sts/ defines it. */
int sts_op_get_caller_identiy(void);
int sts_op_get_caller_identiy(void)
{
    return 0;
}
