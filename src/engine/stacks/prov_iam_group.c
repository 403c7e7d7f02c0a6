/* AWS::IAM::Group. Ref = GroupName; GetAtt Arn. GroupName replaces; Path (UpdateGroup),
 * inline and managed policies change in place. IAM groups carry no tags. */
#include <stdlib.h>
#include <string.h>

#include "prov_iam.h"

static const prov_prop schema[] = {
    {"GroupName", PT_STR, 0},
    {"ManagedPolicyArns", PT_STRLIST, 0},
    {"Path", PT_STR, 0},
    {"Policies", PT_POLICIES, 0},
    {NULL, 0, 0},
};

static const char *const arn_only[] = {"Arn", NULL};
static const char *const copy[] = {"Path", NULL};
static const prov_iam_entity group = {
    .kind = "Group",
    .name_max = 128,
    .attrs = arn_only,
    .copy = copy,
    .path_in_place = 1,
    .policies = 1,
};
static int group_del(cfn_pctx *p, const char *name, const json_t *props);
static const prov_shape shape = PROV_IAM_SHAPE(schema, NULL, group_del, &group);

static int group_del(cfn_pctx *p, const char *name, const json_t *props)
{
    return prov_iam_delete(&shape, p, name, props);
}

static const char *const replace_on[] = {"GroupName", NULL};

const cfn_provider cfn_provider_iam_group = {
    .type = "AWS::IAM::Group",
    .shape = &shape,
    .del = group_del,
    .replace_on = replace_on,
    .name_property = "GroupName",
    .name_max = 128,
};
