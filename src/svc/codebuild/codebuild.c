/* AWS CodeBuild: the service. See codebuild_int.h. */
#include "codebuild_int.h"

const svc_def svc_codebuild = {.name = "codebuild", .event_source = "codebuild.amazonaws.com"};
