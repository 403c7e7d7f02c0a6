#include "regions.h"

#include <stdatomic.h>
#include <string.h>

/* Kept current by hand from AWS's region list ("AWS Regions and Availability Zones",
 * docs.aws.amazon.com/global-infrastructure) and botocore's partitions.json, as of 2026-01:
 * the newest are ap-southeast-7 and mx-central-1 (2025-01), ap-east-2 (2025-06) and
 * ap-southeast-6 (2025-09). auth_regions_test fails when the installed botocore's
 * endpoints.json names one that is missing here. Other partitions (ISO, the European
 * Sovereign Cloud) are added with --regions. */
const char *const regions_partitions[] = {
    /* aws */
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
    "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
    "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    /* aws-cn */
    "cn-north-1", "cn-northwest-1",
    /* aws-us-gov */
    "us-gov-east-1", "us-gov-west-1", NULL};

#define MAX_ADDED 64
#define MAX_NAME  31 /* what ferry's region buffers hold (AWS's longest: 14) */

static char added[MAX_ADDED][MAX_NAME + 1];
static atomic_int nadded;

int regions_known(const char *region)
{
    for (const char *const *r = regions_partitions; *r; r++)
        if (!strcmp(*r, region)) return 1;
    int n = atomic_load(&nadded);
    for (int i = 0; i < n; i++)
        if (!strcmp(added[i], region)) return 1;
    return 0;
}

int regions_add(const char *list, ferr *e)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (!len || len > MAX_NAME || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") < len)
            return ferr_validation(e,
                                   "'%.*s' is not a region name (lower-case letters, digits and "
                                   "hyphens, up to %d characters)",
                                   (int)(len > MAX_NAME ? MAX_NAME : len), p, MAX_NAME);
        char name[MAX_NAME + 1];
        memcpy(name, p, len);
        name[len] = 0;
        if (!regions_known(name)) {
            int n = atomic_load(&nadded);
            if (n == MAX_ADDED) return ferr_validation(e, "more than %d added regions", MAX_ADDED);
            memcpy(added[n], name, len + 1);
            atomic_store(&nadded, n + 1); /* published after its name */
        }
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

void regions_clear_added(void)
{
    atomic_store(&nadded, 0);
}

int regions_check(const char *region, ferr *e)
{
    if (regions_known(region)) return 0;
    /* echoed, as AWS does, with what is not printable ASCII as '?' */
    char shown[64];
    size_t i = 0;
    for (; region[i] && i < sizeof(shown) - 1; i++)
        shown[i] = region[i] >= 0x20 && region[i] < 0x7f ? region[i] : '?';
    shown[i] = 0;
    return ferr_set(e, 403, "SignatureDoesNotMatch",
                    "Credential should be scoped to a valid region, not '%s'. ", shown);
}
