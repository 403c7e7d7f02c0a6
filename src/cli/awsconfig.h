/* Writes profiles into AWS shared config/credentials files, replacing only the sections
 * ferry owns and keeping everything else in the files as it was. */
#ifndef FERRY_AWSCONFIG_H
#define FERRY_AWSCONFIG_H
#include <stddef.h>

#include "base/buf.h"

typedef struct aws_profile {
    const char *name;
    const char *region;
    const char *endpoint_url;
    const char *access_key_id, *secret_access_key; /* NULL for role profiles */
    const char *role_arn, *source_profile;         /* NULL for key profiles */
} aws_profile;

/* The text of an existing config (is_config) or credentials file without the sections
 * named by p[0..n), appended to out. Exposed for the fuzz target. */
void awsconfig_keep_others(buf *out, const char *old, int is_config, const aws_profile *p,
                           size_t n);

/* dir: e.g. ~/.aws (created if missing). Returns 0 or -1 (errno-style message on stderr). */
int awsconfig_write(const char *dir, const aws_profile *p, size_t n);

#endif
