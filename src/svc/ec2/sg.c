/* Security groups and their rules. Rules are kept as AWS describes them: one permission
 * per (protocol, from port, to port), holding its CIDR ranges, IPv6 ranges, prefix lists
 * and group pairs; adding a source already there is InvalidPermission.Duplicate, revoking
 * one that is not there InvalidPermission.NotFound. Nothing is filtered: records only. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ec2_int.h"

/* What a source list holds and the key naming it. */
static const struct src {
    const char *list, *key;
} srcs[] = {
    {"IpRanges", "CidrIp"},
    {"Ipv6Ranges", "CidrIpv6"},
    {"PrefixListIds", "PrefixListId"},
    {"UserIdGroupPairs", "GroupId"},
};
#define NSRC (sizeof(srcs) / sizeof(srcs[0]))

static json_t *perm_new(const char *proto, long long from, long long to)
{
    json_t *p = json_pack("{s:s, s:[], s:[], s:[], s:[]}", "IpProtocol", proto, "IpRanges",
                          "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs");
    if (p && strcmp(proto, "-1") &&
        (json_object_set_new(p, "FromPort", json_integer(from)) ||
         json_object_set_new(p, "ToPort", json_integer(to)))) {
        json_decref(p);
        return NULL;
    }
    return p;
}

json_t *ec2_sg_make(call *c, const char *vpc_id, const char *name, const char *desc,
                    const json_t *in)
{
    const char *id = ec2_new_id(c, "sg"), *arn = id ? ec2_arn(c, &ec2_sg, NULL, id) : NULL;
    json_t *d = arn ? ec2_new_doc(c, &ec2_sg, id, in, NULL) : NULL;
    if (!d) {
        if (!arn) ferr_oom(c->err);
        return NULL;
    }
    json_t *egress = perm_new("-1", 0, 0);
    json_t *all = egress ? json_pack("{s:s}", "CidrIp", "0.0.0.0/0") : NULL;
    if (!all || json_array_append_new(json_object_get(egress, "IpRanges"), all) ||
        jset_str(d, "GroupName", name) || jset_str(d, "Description", desc) ||
        jset_str(d, "VpcId", vpc_id) || jset_str(d, "SecurityGroupArn", arn) ||
        json_object_set_new(d, "IpPermissions", json_array()) ||
        json_object_set_new(d, "IpPermissionsEgress", json_pack("[o]", egress))) {
        if (!all) json_decref(egress);
        ferr_oom(c->err);
        return NULL;
    }
    return ec2_put(c, &ec2_sg, d) ? NULL : d;
}

json_t *ec2_sg_default(call *c, const char *vpc_id)
{
    json_t *d = ec2_sg_make(c, vpc_id, "default", "default VPC security group", NULL);
    if (!d) return NULL;
    /* AWS: the default group lets its own members in */
    json_t *p = perm_new("-1", 0, 0),
           *pair = json_pack("{s:s, s:s}", "GroupId", jstr(d, "GroupId"), "UserId", c->account);
    if (!p || !pair || json_array_append_new(json_object_get(p, "UserIdGroupPairs"), pair) ||
        json_array_append_new(json_object_get(d, "IpPermissions"), p)) {
        if (!p) json_decref(pair);
        ferr_oom(c->err);
        return NULL;
    }
    return ec2_put(c, &ec2_sg, d) ? NULL : d;
}

/* The caller's default VPC (its id in the arena), for calls that name none. */
static const char *default_vpc(call *c)
{
    json_t *all = ec2_all(c, &ec2_vpc, NULL);
    size_t i;
    const json_t *v;
    json_array_foreach(all, i, v)
        if (jbool(v, "IsDefault", 0)) return jstr(v, "VpcId");
    if (all) ferr_set(c->err, 400, "VPCIdNotSpecified", "No default VPC for this user");
    return NULL;
}

int ec2_op_create_security_group(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "GroupName"), *desc = jstr(in, "Description"),
               *vpc_id = jstr(in, "VpcId");
    json_t *vpc;
    if (ec2_ready(c)) return -1;
    if (!vpc_id && !(vpc_id = default_vpc(c))) return -1;
    if (ec2_vpc_usable(c, vpc_id, &vpc)) return -1;
    if (!strncmp(name, "sg-", 3))
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Value (%.64s) for parameter GroupName is invalid. Group names may not "
                        "be in the format sg-*.",
                        name);
    if (!*name || strlen(name) > 255 || !*desc || strlen(desc) > 255)
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Value for parameter %s is invalid. Length must be 1 to 255 characters.",
                        !*name || strlen(name) > 255 ? "GroupName" : "GroupDescription");
    if (!strcmp(name, "default"))
        return ferr_set(c->err, 400, "InvalidGroup.Reserved",
                        "The security group 'default' is reserved");
    json_t *all = ec2_all(c, &ec2_sg, vpc_id);
    if (!all) return -1;
    size_t i;
    const json_t *g;
    json_array_foreach(all, i, g)
        if (!strcmp(jstr(g, "GroupName"), name))
            return ferr_set(c->err, 400, "InvalidGroup.Duplicate",
                            "The security group '%s' already exists for VPC '%s'", name, vpc_id);
    if (ec2_authz(c, "ec2:CreateSecurityGroup", &ec2_sg, "*")) return -1;
    json_t *d = ec2_sg_make(c, vpc_id, name, desc, in);
    if (!d) return -1;
    *out = svc_out(c, json_pack("{s:s, s:O, s:O}", "GroupId", jstr(d, "GroupId"), "Tags",
                                json_object_get(d, "Tags"), "SecurityGroupArn",
                                json_object_get(d, "SecurityGroupArn")));
    return 0;
}

/* The group a call names: GroupId, else GroupName in the default VPC. */
static int group_of(call *c, const json_t *in, json_t **sg)
{
    const char *id = jstr(in, "GroupId"), *name = jstr(in, "GroupName");
    if (id) return ec2_get(c, &ec2_sg, id, sg);
    if (!name)
        return ferr_set(c->err, 400, "MissingParameter",
                        "The request must contain the parameter groupName or groupId");
    const char *vpc_id = default_vpc(c);
    json_t *all = vpc_id ? ec2_all(c, &ec2_sg, vpc_id) : NULL;
    if (!all) return -1;
    size_t i;
    json_t *g;
    json_array_foreach(all, i, g)
        if (!strcmp(jstr(g, "GroupName"), name)) {
            *sg = g;
            return 0;
        }
    return ferr_set(c->err, 400, "InvalidGroup.NotFound",
                    "The security group '%.64s' does not exist in default VPC '%s'", name, vpc_id);
}

int ec2_op_describe_security_groups(call *c, json_t *in, json_t **out)
{
    if (ec2_ready(c) || ec2_authz(c, "ec2:DescribeSecurityGroups", &ec2_sg, NULL)) return -1;
    const json_t *names = json_object_get(in, "GroupNames");
    if (!json_array_size(names))
        return ec2_describe(c, &ec2_sg, in, "GroupIds", NULL, "SecurityGroups", out);
    /* by name (default VPC): each must be there, then a group-name filter */
    size_t i;
    const json_t *n;
    json_array_foreach(names, i, n) {
        json_t *q = json_pack("{s:O}", "GroupName", n), *g;
        int rc = q ? group_of(c, q, &g) : ferr_oom(c->err);
        json_decref(q);
        if (rc) return -1;
    }
    json_t *f = arena_defer_json(c->a, json_deep_copy(in));
    json_t *flt = json_pack("{s:s, s:O}", "Name", "group-name", "Values", names);
    if (!f || !flt) {
        json_decref(flt);
        return ferr_oom(c->err);
    }
    if (!json_object_get(f, "Filters") && json_object_set_new(f, "Filters", json_array())) {
        json_decref(flt);
        return ferr_oom(c->err);
    }
    if (json_array_append_new(json_object_get(f, "Filters"), flt)) return ferr_oom(c->err);
    return ec2_describe(c, &ec2_sg, f, "GroupIds", NULL, "SecurityGroups", out);
}

/* Another group whose rules name id keeps it (AWS: DependencyViolation). */
static int referenced(call *c, const char *id)
{
    json_t *all = ec2_all(c, &ec2_sg, NULL);
    if (!all) return -1;
    size_t i, j, k;
    const json_t *g, *p, *pair;
    const char *dirs[] = {"IpPermissions", "IpPermissionsEgress"};
    json_array_foreach(all, i, g) {
        if (!strcmp(jstr(g, "GroupId"), id)) continue;
        for (int d = 0; d < 2; d++)
            json_array_foreach(json_object_get(g, dirs[d]), j, p)
                json_array_foreach(json_object_get(p, "UserIdGroupPairs"), k, pair)
                    if (!strcmp(jstr(pair, "GroupId"), id)) return 1;
    }
    return 0;
}

int ec2_op_delete_security_group(call *c, json_t *in, json_t **out)
{
    json_t *sg;
    if (ec2_ready(c) || group_of(c, in, &sg)) return -1;
    const char *id = jstr(sg, "GroupId");
    if (ec2_authz(c, "ec2:DeleteSecurityGroup", &ec2_sg, id)) return -1;
    if (!strcmp(jstr(sg, "GroupName"), "default"))
        return ferr_set(c->err, 400, "CannotDelete",
                        "the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
                        id);
    int ref = referenced(c, id);
    if (ref < 0) return -1;
    if (ref)
        return ferr_set(c->err, 400, "DependencyViolation", "resource %s has a dependent object",
                        id);
    (void)out;
    return ec2_del(c, &ec2_sg, id);
}

/* ---- rules ---- */

/* "tcp", "6" -> "tcp"; "-1", "all" -> "-1"; NULL when not a protocol. */
static const char *proto_name(const char *p)
{
    static const char *const names[][2] = {{"tcp", "6"},
                                           {"udp", "17"},
                                           {"icmp", "1"},
                                           {"icmpv6", "58"},
                                           {"-1", "all"}};
    if (!p) return NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(p, names[i][0]) || !strcmp(p, names[i][1])) return names[i][0];
    char *end;
    long n = strtol(p, &end, 10);
    return *p && !*end && n >= 0 && n <= 255 ? p : NULL;
}

/* The permissions a request gives: IpPermissions, or the older flat form (CidrIp,
 * IpProtocol, FromPort, ToPort, SourceSecurityGroupName/OwnerId). Checked; arena. */
static json_t *rule_input(call *c, const json_t *in)
{
    json_t *perms = json_object_get(in, "IpPermissions");
    if (json_array_size(perms)) return perms;
    const char *cidr = jstr(in, "CidrIp"), *srcname = jstr(in, "SourceSecurityGroupName");
    if (!jstr(in, "IpProtocol") && !cidr && !srcname) {
        ferr_set(c->err, 400, "MissingParameter",
                 "The request must contain the parameter ipPermissions");
        return NULL;
    }
    json_t *p = json_pack("{s:s, s:O?, s:O?}", "IpProtocol",
                          jstr(in, "IpProtocol") ? jstr(in, "IpProtocol") : "-1", "FromPort",
                          json_object_get(in, "FromPort"), "ToPort", json_object_get(in, "ToPort"));
    int rc = !p;
    if (p && cidr) rc = json_object_set_new(p, "IpRanges", json_pack("[{s:s}]", "CidrIp", cidr));
    if (p && !rc && srcname) {
        json_t *q = json_pack("{s:s}", "GroupName", srcname), *g = NULL;
        rc = q ? group_of(c, q, &g) : ferr_oom(c->err);
        json_decref(q);
        if (rc) {
            json_decref(p);
            return NULL;
        }
        rc = json_object_set_new(p, "UserIdGroupPairs",
                                 json_pack("[{s:s}]", "GroupId", jstr(g, "GroupId")));
    }
    json_t *list = p && !rc ? json_pack("[o]", p) : NULL;
    if (!list && p && rc) json_decref(p);
    if (!arena_defer_json(c->a, list)) {
        ferr_oom(c->err);
        return NULL;
    }
    return list;
}

/* Text of a source for messages: "0.0.0.0/0", "sg-1". */
static int perm_check(call *c, json_t *p, const char **proto, long long *from, long long *to)
{
    *proto = proto_name(jstr(p, "IpProtocol"));
    if (!*proto)
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Invalid value '%.32s' for IP protocol. Unknown protocol.",
                        jstr(p, "IpProtocol") ? jstr(p, "IpProtocol") : "");
    *from = jint(p, "FromPort", -1);
    *to = jint(p, "ToPort", -1);
    int ports = !strcmp(*proto, "tcp") || !strcmp(*proto, "udp");
    if (ports && (*from < 0 || *to < 0 || *from > 65535 || *to > 65535 || *from > *to))
        return ferr_set(c->err, 400, "InvalidParameterValue",
                        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for "
                        "portRange");
    if (!strcmp(*proto, "-1")) *from = *to = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(p, "IpRanges"), i, r) {
        uint32_t net;
        int len;
        if (ec2_cidr(jstr(r, "CidrIp"), &net, &len))
            return ferr_set(c->err, 400, "InvalidParameterValue", "CIDR block %.64s is malformed",
                            jstr(r, "CidrIp") ? jstr(r, "CidrIp") : "");
    }
    json_array_foreach(json_object_get(p, "UserIdGroupPairs"), i, r) {
        json_t *g;
        if (!jstr(r, "GroupId") && jstr(r, "GroupName")) {
            json_t *q = json_pack("{s:s}", "GroupName", jstr(r, "GroupName"));
            int rc = q ? group_of(c, q, &g) : ferr_oom(c->err);
            json_decref(q);
            if (rc || jset_str(r, "GroupId", jstr(g, "GroupId"))) return -1;
        }
        if (!jstr(r, "GroupId"))
            return ferr_set(c->err, 400, "MissingParameter",
                            "The request must contain the parameter groupId");
        char owner[13];
        int rc = ec2_sg_find(c->txn, c->region, jstr(r, "GroupId"), owner, NULL, c->err);
        if (rc < 0) return -1;
        if (!rc)
            return ferr_set(c->err, 400, "InvalidGroup.NotFound",
                            "The security group '%s' does not exist", jstr(r, "GroupId"));
        json_object_del(r, "GroupName");
        if (!jstr(r, "UserId") && jset_str(r, "UserId", owner)) return ferr_oom(c->err);
    }
    return 0;
}

static json_t *perm_find(json_t *list, const char *proto, long long from, long long to)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        if (strcmp(jstr(p, "IpProtocol"), proto)) continue;
        if (strcmp(proto, "-1") && (jint(p, "FromPort", -1) != from || jint(p, "ToPort", -1) != to))
            continue;
        return p;
    }
    return NULL;
}

static long src_index(const json_t *list, const char *key, const char *v)
{
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x)
        if (jstr(x, key) && !strcmp(jstr(x, key), v)) return (long)i;
    return -1;
}

static int rules(call *c, json_t *in, json_t **out, int egress, int add)
{
    static const char *const actions[2][2] = {
        {"ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"},
        {"ec2:RevokeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupEgress"}};
    json_t *sg, *perms;
    if (ec2_ready(c) || group_of(c, in, &sg) ||
        ec2_authz(c, actions[egress][add], &ec2_sg, jstr(sg, "GroupId")) ||
        !(perms = rule_input(c, in)))
        return -1;
    json_t *have = json_object_get(sg, egress ? "IpPermissionsEgress" : "IpPermissions");
    size_t i;
    json_t *p;
    json_array_foreach(perms, i, p) {
        const char *proto = NULL;
        long long from = 0, to = 0;
        if (perm_check(c, p, &proto, &from, &to)) return -1;
        json_t *cur = perm_find(have, proto, from, to);
        if (!cur && add) {
            if (!(cur = perm_new(proto, from, to)) || json_array_append_new(have, cur))
                return ferr_oom(c->err);
        }
        for (size_t s = 0; s < NSRC; s++) {
            size_t j;
            json_t *x;
            json_array_foreach(json_object_get(p, srcs[s].list), j, x) {
                const char *v = jstr(x, srcs[s].key);
                if (!v) continue;
                json_t *dst = cur ? json_object_get(cur, srcs[s].list) : NULL;
                long at = dst ? src_index(dst, srcs[s].key, v) : -1;
                if (add && at >= 0)
                    return ferr_set(c->err, 400, "InvalidPermission.Duplicate",
                                    "the specified rule \"peer: %s, %s, from port: %lld, to port: "
                                    "%lld, ALLOW\" already exists",
                                    v, proto, from, to);
                if (!add && at < 0)
                    return ferr_set(c->err, 400, "InvalidPermission.NotFound",
                                    "The specified rule does not exist in this security group.");
                if (add ? json_array_append(dst, x) : json_array_remove(dst, (size_t)at))
                    return ferr_oom(c->err);
            }
        }
        /* a permission with no source left goes */
        if (cur && !add) {
            size_t left = 0;
            for (size_t s = 0; s < NSRC; s++)
                left += json_array_size(json_object_get(cur, srcs[s].list));
            for (size_t k = 0; !left && k < json_array_size(have); k++)
                if (json_array_get(have, k) == cur) {
                    if (json_array_remove(have, k)) return ferr_oom(c->err);
                    break;
                }
        }
    }
    if (ec2_put(c, &ec2_sg, sg)) return -1;
    return ec2_ok(c, out);
}

int ec2_op_authorize_security_group_ingress(call *c, json_t *in, json_t **out)
{
    return rules(c, in, out, 0, 1);
}
int ec2_op_authorize_security_group_egress(call *c, json_t *in, json_t **out)
{
    return rules(c, in, out, 1, 1);
}
int ec2_op_revoke_security_group_ingress(call *c, json_t *in, json_t **out)
{
    return rules(c, in, out, 0, 0);
}
int ec2_op_revoke_security_group_egress(call *c, json_t *in, json_t **out)
{
    return rules(c, in, out, 1, 0);
}
