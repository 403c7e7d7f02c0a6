/* Availability zones: three per region, REGIONa..REGIONc, with AWS-style zone ids
 * ("use1-az1": the region's short form, then the zone's number). */
#include <string.h>

#include "ec2_int.h"

#define AZ_COUNT 3

const char *ec2_az_name(call *c, int i)
{
    if (i < 0 || i >= AZ_COUNT) return NULL;
    return arena_printf(c->a, "%s%c", c->region, 'a' + i);
}

/* "us-east-1" -> "use1", "ap-southeast-2" -> "apse2", "eu-central-1" -> "euc1". */
static const char *short_region(call *c)
{
    char out[32];
    size_t n = 0;
    const char *r = c->region;
    const char *d1 = strchr(r, '-'), *d2 = d1 ? strrchr(r, '-') : NULL;
    if (!d1 || d2 == d1) return c->region;
    for (const char *p = r; p < d1 && n < 8; p++) out[n++] = *p;
    const char *mid = d1 + 1;
    size_t ml = (size_t)(d2 - mid);
    if ((ml > 5 && !strncmp(mid, "south", 5)) || (ml > 5 && !strncmp(mid, "north", 5))) {
        out[n++] = mid[0];
        out[n++] = mid[5];
    } else {
        out[n++] = mid[0];
    }
    for (const char *p = d2 + 1; *p && n < sizeof(out) - 1; p++) out[n++] = *p;
    out[n] = 0;
    return arena_strdup(c->a, out);
}

const char *ec2_az_id(call *c, const char *az_name)
{
    size_t rl = strlen(c->region);
    if (!az_name || strlen(az_name) != rl + 1 || strncmp(az_name, c->region, rl) ||
        az_name[rl] < 'a' || az_name[rl] >= 'a' + AZ_COUNT)
        return NULL;
    const char *s = short_region(c);
    return s ? arena_printf(c->a, "%s-az%d", s, az_name[rl] - 'a' + 1) : NULL;
}

static const ec2_filter az_filters[] = {
    {"zone-name", "ZoneName"},        {"zone-id", "ZoneId"},
    {"region-name", "RegionName"},    {"state", "State"},
    {"zone-type", "ZoneType"},        {"group-name", "GroupName"},
    {"opt-in-status", "OptInStatus"}, {NULL, NULL},
};
static const ec2_type az_type = {"",     "", "ZoneName", "", "InvalidParameterValue",
                                 "zone", "", az_filters};

int ec2_op_describe_availability_zones(call *c, json_t *in, json_t **out)
{
    if (ec2_authz(c, "ec2:DescribeAvailabilityZones", &ec2_vpc, NULL)) return -1;
    json_t *zones = arena_defer_json(c->a, json_array());
    if (!zones) return ferr_oom(c->err);
    const char *az;
    for (int i = 0; (az = ec2_az_name(c, i)); i++) {
        json_t *z = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "ZoneName", az, "ZoneId",
                              ec2_az_id(c, az), "RegionName", c->region, "State", "available",
                              "OptInStatus", "opt-in-not-required", "ZoneType", "availability-zone",
                              "GroupName", c->region, "Messages");
        if (!z || json_object_set_new(z, "NetworkBorderGroup", json_string(c->region)) ||
            json_array_append_new(zones, z))
            return ferr_oom(c->err);
    }
    const json_t *names = json_object_get(in, "ZoneNames"), *ids = json_object_get(in, "ZoneIds"),
                 *filters = json_object_get(in, "Filters");
    if (ec2_filters_ok(c, &az_type, filters)) return -1;
    json_t *keep = svc_out(c, json_pack("{s:[]}", "AvailabilityZones"));
    if (!keep) return -1;
    *out = keep;
    json_t *list = json_object_get(keep, "AvailabilityZones");
    size_t i, j;
    json_t *z;
    json_array_foreach(zones, i, z) {
        int named = !json_array_size(names) && !json_array_size(ids);
        const json_t *n;
        json_array_foreach(names, j, n)
            if (!strcmp(json_string_value(n), jstr(z, "ZoneName"))) named = 1;
        json_array_foreach(ids, j, n)
            if (!strcmp(json_string_value(n), jstr(z, "ZoneId"))) named = 1;
        if (named && ec2_passes(&az_type, z, filters) && json_array_append(list, z))
            return ferr_oom(c->err);
    }
    const json_t *n;
    json_array_foreach(names, j, n) {
        int hit = 0;
        json_array_foreach(zones, i, z)
            if (!strcmp(json_string_value(n), jstr(z, "ZoneName"))) hit = 1;
        if (!hit)
            return ferr_set(c->err, 400, "InvalidParameterValue",
                            "Invalid availability zone: [%.64s]", json_string_value(n));
    }
    return 0;
}
