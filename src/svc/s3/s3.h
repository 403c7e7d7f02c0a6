/* S3's interface for the rest of ferry: the lifecycle sweep (engine/s3_lifecycle.c). */
#ifndef FERRY_SVC_S3_H
#define FERRY_SVC_S3_H
#include <jansson.h>

#include "svc/svc.h"

/* The current objects that enabled lifecycle Expiration rules make due at now, read in one
 * read transaction of st: *due = [{"Bucket", "Region", "Owner", "Keys": [...]}] (new
 * reference), at most max keys in all. 0, or -1 with e. */
int s3_lifecycle_due(store *st, double now, size_t max, json_t **due, ferr *e);
/* Deletes one s3_lifecycle_due entry's keys that are still due, in one call audited in the
 * bucket owner's trail as s3.amazonaws.com. 0, or -1 with e. */
int s3_lifecycle_expire(ferry_env *env, const json_t *bucket, ferr *e);

#endif
