/* The create and update skeletons providers share: see prov_int.h. */
#include <stdlib.h>

#include "prov_int.h"

int prov_shape_create(const prov_shape *s, cfn_pctx *p, const json_t *props, json_t **result)
{
    json_t *pr, *attrs = NULL;
    char *id = NULL;
    if (prov_props(p, props, s->schema, &pr)) return -1;
    int rc = -1;
    if ((s->check && s->check(p, pr)) || s->make(s, p, pr, &id, &attrs)) goto out;
    if ((s->finish && s->finish(s, p, id, pr)) || (!attrs && s->attrs(s, p, id, &attrs)))
        prov_undo(p, s->del, id, pr);
    else
        rc = prov_result(p, id, json_incref(attrs), result);
out:
    json_decref(attrs);
    json_decref(pr);
    free(id);
    return rc;
}

int prov_shape_update(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *old_props,
                      const json_t *new_props, json_t **result)
{
    json_t *op = prov_props_old(p, old_props, s->schema), *np = NULL, *attrs = NULL;
    int rc = prov_props(p, new_props, s->schema, &np) || (s->check && s->check(p, np)) ||
                     (s->change && s->change(s, p, id, op, np)) || s->attrs(s, p, id, &attrs)
                 ? -1
                 : prov_result(p, id, json_incref(attrs), result);
    json_decref(attrs);
    json_decref(op);
    json_decref(np);
    return rc;
}

int prov_shape_id_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "Id", id);
    return *attrs ? 0 : ferr_oom(p->e);
}

int prov_shape_generated_id(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id,
                            json_t **attrs)
{
    (void)pr;
    if (!(*id = prov_generated_id(p))) return ferr_oom(p->e);
    if (cfn_intent(p, *id)) return -1;
    return prov_shape_id_attrs(s, p, *id, attrs);
}

int cfn_provider_create(const cfn_provider *pv, cfn_pctx *p, const json_t *props, json_t **result)
{
    return pv->shape ? prov_shape_create(pv->shape, p, props, result)
                     : pv->create(p, props, result);
}

int cfn_provider_update(const cfn_provider *pv, cfn_pctx *p, const char *physical_id,
                        const json_t *old_props, const json_t *new_props, json_t **result)
{
    return pv->shape ? prov_shape_update(pv->shape, p, physical_id, old_props, new_props, result)
                     : pv->update(p, physical_id, old_props, new_props, result);
}

int cfn_provider_can_update(const cfn_provider *pv)
{
    return pv->shape || pv->update;
}
