/* The regions a request may be signed for: those of the aws, aws-cn and aws-us-gov
 * partitions, plus the ones an operator adds (ferry serve / ferry init --regions). AWS
 * never routes a request signed for any other: ferry answers it as AWS answers a scope
 * naming a region the endpoint does not serve. */
#ifndef FERRY_REGIONS_H
#define FERRY_REGIONS_H
#include "base/err.h"

/* 1 when region is a partition's region or an added one. Thread-safe once regions_add is
 * done (it runs at startup, before requests). */
int regions_known(const char *region);
/* Adds the regions of a comma-separated list (lower-case letters, digits and hyphens, up to
 * 31 characters each; at most 64 added in all). 0, or -1 with e naming the bad one. */
int regions_add(const char *list, ferr *e);
/* Forgets the added regions (tests). */
void regions_clear_added(void);
/* 0 when region is known, else -1 with e: 403 SignatureDoesNotMatch "Credential should be
 * scoped to a valid region, not 'x'. " (AWS's answer, e.g. IAM signed for eu-west-1). */
int regions_check(const char *region, ferr *e);
/* The partitions' regions, NULL-terminated (tests compare it with botocore's list). */
extern const char *const regions_partitions[];

#endif
