/* Versions and staging labels (secretsmanager_int.h). A label is on at most one version;
 * AWSCURRENT is on exactly one once the secret has a value, and the version it leaves
 * becomes AWSPREVIOUS. A version without labels is deprecated: kept for a while, then
 * dropped. */
#include <string.h>

#include "secretsmanager_int.h"

static int has_stage(const json_t *v, const char *stage)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(v, "Stages"), i, s) {
        if (json_is_string(s) && !strcmp(json_string_value(s), stage)) return 1;
    }
    return 0;
}

const char *sm_stage_holder(const json_t *versions, const char *stage)
{
    const char *vid;
    json_t *v;
    json_object_foreach((json_t *)versions, vid, v) {
        if (has_stage(v, stage)) return vid;
    }
    return NULL;
}

int sm_stage_remove(json_t *versions, const char *vid, const char *stage)
{
    json_t *st = json_object_get(json_object_get(versions, vid), "Stages");
    for (size_t i = json_array_size(st); i-- > 0;) {
        const char *s = json_string_value(json_array_get(st, i));
        if (s && !strcmp(s, stage) && json_array_remove(st, i)) return -1;
    }
    return 0;
}

int sm_stage_move(json_t *versions, const char *stage, const char *vid)
{
    json_t *v = json_object_get(versions, vid);
    if (!v) return -1;
    const char *holder = sm_stage_holder(versions, stage);
    if (holder && !strcmp(holder, vid)) return 0;
    if (holder && sm_stage_remove(versions, holder, stage)) return -1;
    json_t *st = json_object_get(v, "Stages");
    if (!st) {
        if (json_object_set_new(v, "Stages", json_array())) return -1;
        st = json_object_get(v, "Stages");
    }
    return json_array_append_new(st, json_string(stage));
}

/* Drops the oldest versions without labels while there are more than SM_MAX_VERSIONS. */
static int prune(json_t *versions)
{
    while (json_object_size(versions) > SM_MAX_VERSIONS) {
        const char *vid, *oldest = NULL;
        double when = 0;
        json_t *v;
        json_object_foreach(versions, vid, v) {
            double t = json_number_value(json_object_get(v, "CreatedDate"));
            if (json_array_size(json_object_get(v, "Stages"))) continue;
            if (!oldest || t < when) oldest = vid, when = t;
        }
        if (!oldest) return 0;
        if (json_object_del(versions, oldest)) return -1;
    }
    return 0;
}

int sm_version_add(json_t *versions, const char *vid, json_t *v, const json_t *stages)
{
    if (!v) return -1;
    if (json_object_set_new(v, "Stages", json_array())) {
        json_decref(v); /* stolen: released on every path */
        return -1;
    }
    if (json_object_set_new(versions, vid, v)) return -1;
    json_t *dflt = stages ? NULL : json_pack("[s]", "AWSCURRENT");
    const json_t *list = stages ? stages : dflt;
    int rc = list ? 0 : -1;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *stage = json_string_value(s);
        if (rc || !stage) continue;
        const char *prev = sm_stage_holder(versions, "AWSCURRENT");
        /* AWS: the version AWSCURRENT leaves becomes AWSPREVIOUS */
        if (!strcmp(stage, "AWSCURRENT") && prev && strcmp(prev, vid))
            rc = sm_stage_move(versions, "AWSPREVIOUS", prev);
        rc = rc || sm_stage_move(versions, stage, vid) ? -1 : 0;
    }
    json_decref(dflt);
    return rc || prune(versions) ? -1 : 0;
}

json_t *sm_version_stages(const json_t *versions)
{
    json_t *out = json_object();
    const char *vid;
    json_t *v;
    int rc = !out;
    json_object_foreach((json_t *)versions, vid, v) {
        json_t *st = json_object_get(v, "Stages");
        if (!rc && json_array_size(st)) rc = json_object_set(out, vid, st);
    }
    return jdone(out, rc);
}
