/* Every service ferry implements. Adding one: a folder src/svc/<name>/ exporting a
 * svc_def, its model stem in src/proto/services.list, and a line here. */
#include <string.h>

#include "svc.h"

extern const svc_def svc_sts, svc_organizations, svc_cloudtrail, svc_iam;
extern const svc_def svc_accessanalyzer;
extern const svc_def svc_sqs;
extern const svc_def svc_cloudformation;
extern const svc_def svc_sns;

static const svc_def *const registry[] = {
    &svc_sts,
    &svc_organizations,
    &svc_cloudtrail,
    &svc_iam,
    &svc_accessanalyzer,
    &svc_sqs,
    &svc_cloudformation,
    &svc_sns,
};

const svc_def *svc_find(const char *name)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

void svc_reset_all(void)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
        if (registry[i]->reset) registry[i]->reset();
}

const svc_def *const *svc_all(size_t *n)
{
    *n = sizeof(registry) / sizeof(registry[0]);
    return registry;
}
