#include "arn.h"

#include <stdio.h>
#include <string.h>

/* AWS's partitions by region prefix (botocore's partitions.json regionRegex); the order
 * matters: us-iso- before us-isob- would not, as their prefixes differ at the fourth letter,
 * but us-gov- must be tested before the commercial default. */
static const struct {
    const char *prefix, *partition, *suffix;
} parts[] = {
    {"cn-", "aws-cn", "amazonaws.com.cn"},       {"us-gov-", "aws-us-gov", "amazonaws.com"},
    {"us-iso-", "aws-iso", "c2s.ic.gov"},        {"us-isob-", "aws-iso-b", "sc2s.sgov.gov"},
    {"eu-isoe-", "aws-iso-e", "cloud.adc-e.uk"}, {"us-isof-", "aws-iso-f", "csp.hci.ic.gov"},
};

static int find(const char *region)
{
    if (!region) return -1;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (!strncmp(region, parts[i].prefix, strlen(parts[i].prefix))) return (int)i;
    return -1;
}

const char *arn_partition(const char *region)
{
    int i = find(region);
    return i < 0 ? "aws" : parts[i].partition;
}

const char *arn_dns_suffix(const char *region)
{
    int i = find(region);
    return i < 0 ? "amazonaws.com" : parts[i].suffix;
}

int arn_partition_known(const char *p, size_t len)
{
    if (len == 3 && !strncmp(p, "aws", 3)) return 1;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (strlen(parts[i].partition) == len && !strncmp(p, parts[i].partition, len)) return 1;
    return 0;
}

const char *arn_partition_of(const char *arn, size_t *len)
{
    if (!arn || strncmp(arn, "arn:", 4)) return NULL;
    const char *p = arn + 4, *end = strchr(p, ':');
    if (!end || !arn_partition_known(p, (size_t)(end - p))) return NULL;
    *len = (size_t)(end - p);
    return p;
}

const char *arn_rest(const char *arn, const char *service)
{
    size_t n;
    const char *p = arn_partition_of(arn, &n);
    if (!p) return NULL;
    p += n + 1;
    if (!service) return p;
    size_t sl = strlen(service);
    return !strncmp(p, service, sl) && p[sl] == ':' ? p + sl + 1 : NULL;
}

int arn_in_partition(const char *arn, const char *region)
{
    size_t n;
    const char *p = arn_partition_of(arn, &n), *want = arn_partition(region);
    return p && strlen(want) == n && !strncmp(p, want, n);
}

char *arn_root(char *out, size_t cap, const char *account, const char *region)
{
    snprintf(out, cap, "arn:%s:iam::%s:root", arn_partition(region), account);
    return out;
}

const char *arn_root_account(const char *arn)
{
    const char *r = arn_rest(arn, "iam");
    if (!r || r[0] != ':' || strspn(r + 1, "0123456789") != 12 || strcmp(r + 13, ":root"))
        return NULL;
    return r + 1;
}
