/* CodeCommit repository triggers. */
#include "codecommit_int.h"

int cc_triggers_fire(call *c, const json_t *repo, const char *ref, const char *old_id,
                     const char *new_id)
{
    (void)c, (void)repo, (void)ref, (void)old_id, (void)new_id;
    return 0;
}
