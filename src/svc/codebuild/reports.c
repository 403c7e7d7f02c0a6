/* Report groups and reports (see reports.h). Placeholder until implemented. */
#include "reports.h"

int cb_reports_ingest(ferry_env *env, const principal *who, const cb_report_input *r,
                      char **report_arn, ferr *e)
{
    (void)env, (void)who, (void)r;
    *report_arn = NULL;
    return ferr_set(e, 501, "NotImplemented", "reports are not implemented yet");
}
