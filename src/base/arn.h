/* ARNs and partitions: which partition a region belongs to, its DNS suffix, and the
 * partition-independent reading of an ARN's service prefix. Every ARN ferry builds takes its
 * partition from here, from the region of the call that makes it (IAM and Organizations are
 * global, and their ARNs carry the partition of the endpoint they were called through). */
#ifndef FERRY_ARN_H
#define FERRY_ARN_H
#include <stddef.h>

/* "aws", "aws-cn" (cn-*), "aws-us-gov" (us-gov-*), "aws-iso" (us-iso-*), "aws-iso-b"
 * (us-isob-*), "aws-iso-e" (eu-isoe-*), "aws-iso-f" (us-isof-*); NULL region -> "aws". */
const char *arn_partition(const char *region);
/* The partition's domain: "amazonaws.com", "amazonaws.com.cn", ... */
const char *arn_dns_suffix(const char *region);
/* Whether p is a partition name arn_partition can answer. */
int arn_partition_known(const char *p, size_t len);
/* For "arn:PARTITION:SERVICE:REST" with a known partition and this service, REST; else NULL.
 * service NULL accepts any service (REST is then from SERVICE on). */
const char *arn_rest(const char *arn, const char *service);
/* The partition field of an ARN (borrowed, length in *len), or NULL when it is not one. */
const char *arn_partition_of(const char *arn, size_t *len);
/* 1 when arn's partition is region's partition. */
int arn_in_partition(const char *arn, const char *region);
/* The root principal of account in region's partition ("arn:aws-cn:iam::ACCOUNT:root"),
 * written into out (cap bytes); returns out. */
char *arn_root(char *out, size_t cap, const char *account, const char *region);
/* The account of a root principal ARN of any partition ("arn:P:iam::ACCOUNT:root"), or NULL;
 * borrowed from arn, 12 digits long. */
const char *arn_root_account(const char *arn);

#endif
