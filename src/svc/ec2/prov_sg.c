/* AWS::EC2::SecurityGroup (inline SecurityGroupIngress/SecurityGroupEgress; Ref the group
 * id, GetAtt GroupId and VpcId) and the stand-alone rules AWS::EC2::SecurityGroupIngress
 * and SecurityGroupEgress (Ref a generated id, GetAtt Id). As AWS does, a group whose
 * template lists egress rules loses its default allow-all egress rule. */
#include <stdlib.h>
#include <string.h>

#include "engine/stacks/prov_int.h"
#include "prov_ec2.h"

static const prov_ec2_kind sg_kind = {"CreateSecurityGroup",
                                      NULL,
                                      "GroupId",
                                      "DescribeSecurityGroups",
                                      "SecurityGroups",
                                      "GroupIds",
                                      "DeleteSecurityGroup",
                                      "GroupId",
                                      0};

/* A port as templates give it (number or text). */
static json_t *port(const json_t *v)
{
    if (json_is_integer(v)) return json_incref((json_t *)v);
    if (json_is_string(v)) return json_integer(strtol(json_string_value(v), NULL, 10));
    return NULL;
}

/* One template rule as an EC2 permission. egress: Destination* names the peer. */
static json_t *permission(const json_t *r, int egress)
{
    const char *desc = jstr(r, "Description");
    const char *proto = jstr(r, "IpProtocol");
    json_t *p = json_pack("{s:s, s:[], s:[], s:[], s:[]}", "IpProtocol", proto ? proto : "-1",
                          "IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs");
    json_t *from = port(json_object_get(r, "FromPort")), *to = port(json_object_get(r, "ToPort"));
    int rc = !p || (from && json_object_set(p, "FromPort", from)) ||
             (to && json_object_set(p, "ToPort", to));
    json_decref(from);
    json_decref(to);
    const char *cidr = jstr(r, "CidrIp"), *v6 = jstr(r, "CidrIpv6"),
               *group = jstr(r, egress ? "DestinationSecurityGroupId" : "SourceSecurityGroupId"),
               *pl = jstr(r, egress ? "DestinationPrefixListId" : "SourcePrefixListId");
    if (!rc && cidr)
        rc = json_array_append_new(json_object_get(p, "IpRanges"),
                                   json_pack("{s:s, s:s?}", "CidrIp", cidr, "Description", desc));
    if (!rc && v6)
        rc = json_array_append_new(json_object_get(p, "Ipv6Ranges"),
                                   json_pack("{s:s, s:s?}", "CidrIpv6", v6, "Description", desc));
    if (!rc && pl)
        rc = json_array_append_new(
            json_object_get(p, "PrefixListIds"),
            json_pack("{s:s, s:s?}", "PrefixListId", pl, "Description", desc));
    if (!rc && group)
        rc = json_array_append_new(json_object_get(p, "UserIdGroupPairs"),
                                   json_pack("{s:s, s:s?, s:s?}", "GroupId", group, "UserId",
                                             jstr(r, "SourceSecurityGroupOwnerId"), "Description",
                                             desc));
    if (rc) {
        json_decref(p);
        return NULL;
    }
    return p;
}

/* Authorizes (or revokes) rule on group id. */
static int rule_call(cfn_pctx *p, const char *id, const json_t *rule, int egress, int add)
{
    static const char *const ops[2][2] = {
        {"RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress"},
        {"RevokeSecurityGroupEgress", "AuthorizeSecurityGroupEgress"}};
    json_t *perm = permission(rule, egress);
    json_t *in = perm ? json_pack("{s:s, s:[o]}", "GroupId", id, "IpPermissions", perm) : NULL;
    if (!add) {
        int rc = prov_ec2_gone_ok(p, ops[egress][0], in);
        if (rc && !strcmp(p->e->code, "InvalidPermission.NotFound")) {
            memset(p->e, 0, sizeof(*p->e));
            rc = 0;
        }
        return rc;
    }
    return prov_call(p, "ec2", ops[egress][1], in, NULL);
}

static json_t *allow_all(void)
{
    return json_pack("{s:s, s:s}", "IpProtocol", "-1", "CidrIp", "0.0.0.0/0");
}

/* Rules of old not in now revoked, of now not in old authorized (old NULL: a new group);
 * the default egress rule goes when egress rules are listed and comes back when not. */
static int rules_sync(cfn_pctx *p, const char *id, const json_t *op, const json_t *np)
{
    static const char *const keys[2] = {"SecurityGroupIngress", "SecurityGroupEgress"};
    for (int eg = 0; eg < 2; eg++) {
        const json_t *was = op ? json_object_get(op, keys[eg]) : NULL,
                     *now = json_object_get(np, keys[eg]);
        json_t *dflt = eg ? allow_all() : NULL;
        if (eg && !dflt) return ferr_oom(p->e);
        /* what the group holds now (a new group: the default egress) and what it should */
        json_t *have = json_array(), *want = json_array();
        int rc = !have || !want;
        if (!rc && was) rc = json_array_extend(have, (json_t *)was);
        if (!rc && eg && (op ? !json_array_size(was) : 1)) rc = json_array_append(have, dflt);
        if (!rc && now) rc = json_array_extend(want, (json_t *)now);
        if (!rc && eg && !json_array_size(now)) rc = json_array_append(want, dflt);
        json_decref(dflt);
        if (rc) {
            json_decref(have);
            json_decref(want);
            return ferr_oom(p->e);
        }
        size_t i, j;
        json_t *r, *x;
        json_array_foreach(have, i, r) {
            int keep = 0;
            json_array_foreach(want, j, x) keep |= json_equal(r, x);
            if (!keep && !rc) rc = rule_call(p, id, r, eg, 0);
        }
        json_array_foreach(want, i, r) {
            int had = 0;
            json_array_foreach(have, j, x) had |= json_equal(r, x);
            if (!had && !rc) rc = rule_call(p, id, r, eg, 1);
        }
        json_decref(have);
        json_decref(want);
        if (rc) return -1;
    }
    return 0;
}

static const prov_prop sg_schema[] = {
    {"GroupDescription", PT_STR, 1},
    {"GroupName", PT_STR, 0},
    {"VpcId", PT_STR, 0},
    {"SecurityGroupIngress", PT_LIST, 0},
    {"SecurityGroupEgress", PT_LIST, 0},
    {"Tags", PT_TAGS, 0},
    {NULL, 0, 0},
};

static int sg_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    return prov_ec2_del(&sg_kind, p, id);
}

static int sg_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "GroupName", 255, 0);
    json_t *spec = name ? prov_ec2_tag_specs(p, pr, "security-group") : NULL;
    json_t *in = spec ? json_pack("{s:s, s:s, s:O?, s:o}", "GroupName", name, "Description",
                                  jstr(pr, "GroupDescription"), "VpcId",
                                  json_object_get(pr, "VpcId"), "TagSpecifications", spec)
                      : NULL;
    free(name);
    if (prov_ec2_create(&sg_kind, p, in, id, NULL)) return -1;
    return rules_sync(p, *id, NULL, pr) ? prov_undo(p, sg_del, *id, pr) : 0;
}

static int sg_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s;
    return rules_sync(p, id, op, np) || prov_ec2_sync_tags(p, id, np);
}

static int sg_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *g;
    if (prov_ec2_describe(&sg_kind, p, id, &g)) return -1;
    *attrs = json_pack("{s:s, s:O}", "GroupId", id, "VpcId", json_object_get(g, "VpcId"));
    json_decref(g);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape sg_shape = {
    .schema = sg_schema, .make = sg_make, .change = sg_change, .attrs = sg_attrs, .del = sg_del};
static const char *const sg_replace[] = {"GroupDescription", "GroupName", "VpcId", NULL};
const cfn_provider cfn_provider_ec2_security_group = {
    .type = "AWS::EC2::SecurityGroup", .shape = &sg_shape, .del = sg_del, .replace_on = sg_replace};

/* ---- AWS::EC2::SecurityGroupIngress / SecurityGroupEgress ---- */

#define RULE_PROPS \
    {"GroupId", PT_STR, 0}, {"IpProtocol", PT_STR, 1}, {"FromPort", PT_INT, 0}, \
        {"ToPort", PT_INT, 0}, {"CidrIp", PT_STR, 0}, {"CidrIpv6", PT_STR, 0}, \
    { \
        "Description", PT_STR, 0 \
    }
static const prov_prop ingress_schema[] = {
    RULE_PROPS,
    {"GroupName", PT_STR, 0},
    {"SourceSecurityGroupId", PT_STR, 0},
    {"SourceSecurityGroupName", PT_STR, 0},
    {"SourceSecurityGroupOwnerId", PT_STR, 0},
    {"SourcePrefixListId", PT_STR, 0},
    {NULL, 0, 0},
};
static const prov_prop egress_schema[] = {
    RULE_PROPS,
    {"DestinationSecurityGroupId", PT_STR, 0},
    {"DestinationPrefixListId", PT_STR, 0},
    {NULL, 0, 0},
};

static int rule_group(cfn_pctx *p, const json_t *pr, const char **id)
{
    *id = jstr(pr, "GroupId");
    return *id ? 0 : prov_invalid(p, "#: required key [GroupId] not found");
}

static int rule_del(cfn_pctx *p, const json_t *props, int egress)
{
    const char *g = jstr(props, "GroupId");
    return g ? rule_call(p, g, props, egress, 0) : 0;
}
static int ingress_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    return rule_del(p, props, 0);
}
static int egress_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)id;
    return rule_del(p, props, 1);
}

static int rule_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    const char *g;
    int egress = s->data != NULL;
    if (rule_group(p, pr, &g) || prov_shape_generated_id(s, p, pr, id, attrs)) return -1;
    return rule_call(p, g, pr, egress, 1);
}

static const prov_shape ingress_shape = {
    .schema = ingress_schema, .make = rule_make, .attrs = prov_shape_id_attrs, .del = ingress_del};
static const prov_shape egress_shape = {.schema = egress_schema,
                                        .make = rule_make,
                                        .attrs = prov_shape_id_attrs,
                                        .del = egress_del,
                                        .data = "egress"};
/* AWS: a changed rule is a new rule */
static const char *const ingress_replace[] = {"GroupId",
                                              "GroupName",
                                              "IpProtocol",
                                              "FromPort",
                                              "ToPort",
                                              "CidrIp",
                                              "CidrIpv6",
                                              "SourceSecurityGroupId",
                                              "SourceSecurityGroupName",
                                              "SourceSecurityGroupOwnerId",
                                              "SourcePrefixListId",
                                              "Description",
                                              NULL};
static const char *const egress_replace[] = {"GroupId",
                                             "IpProtocol",
                                             "FromPort",
                                             "ToPort",
                                             "CidrIp",
                                             "CidrIpv6",
                                             "DestinationSecurityGroupId",
                                             "DestinationPrefixListId",
                                             "Description",
                                             NULL};
const cfn_provider cfn_provider_ec2_security_group_ingress = {.type =
                                                                  "AWS::EC2::SecurityGroupIngress",
                                                              .shape = &ingress_shape,
                                                              .del = ingress_del,
                                                              .replace_on = ingress_replace};
const cfn_provider cfn_provider_ec2_security_group_egress = {.type =
                                                                 "AWS::EC2::SecurityGroupEgress",
                                                             .shape = &egress_shape,
                                                             .del = egress_del,
                                                             .replace_on = egress_replace};
