/* Every service ferry implements and its operations. The list is generated at build time
 * (build/gen/svc_ops.c) from the `<model stem> <folder>` lines of src/proto/services.list:
 * a service is its folder src/svc/<folder>/, defining `const svc_def svc_<folder>` and
 * its handlers <folder>_op_<operation>, plus that one line (see README "Adding a service"). */
#include <string.h>

#include "svc.h"

const svc_def *svc_find(const char *name)
{
    for (size_t i = 0; i < svc_ntables; i++)
        if (strcmp(svc_tables[i].def->name, name) == 0) return svc_tables[i].def;
    return NULL;
}

const svc_def *svc_find_model(const char *stem)
{
    for (size_t i = 0; i < svc_ntables; i++)
        if (strcmp(svc_tables[i].model, stem) == 0) return svc_tables[i].def;
    return NULL;
}

void svc_reset_all(void)
{
    for (size_t i = 0; i < svc_ntables; i++)
        if (svc_tables[i].def->reset) svc_tables[i].def->reset();
}

const svc_op *svc_find_op(const svc_def *d, const char *op)
{
    const svc_table *t = NULL;
    for (size_t i = 0; i < svc_ntables && !t; i++)
        if (svc_tables[i].def == d) t = &svc_tables[i];
    if (!t) return NULL;
    size_t lo = 0, hi = t->nops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(op, t->ops[mid].name);
        if (c == 0) return t->ops[mid].fn ? &t->ops[mid] : NULL;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int svc_run(call *c, const svc_op *op, json_t *in, json_t **out)
{
    const svc_def *d = c->service ? svc_find(c->service) : NULL;
    if (d && d->condition_keys && d->condition_keys(c, in)) return -1;
    int rc = op->fn(c, in, out);
    if (rc || (op->flags & SVC_READ)) return rc;
    return d && d->before_commit ? d->before_commit(c) : 0;
}
