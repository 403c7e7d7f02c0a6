/* CodeBuild's stored documents, for the builds engine (engine/builds.c) that runs them.
 *
 * "codebuild.project", id NAME: AWS's Project shape as BatchGetProjects returns it, plus
 *   "_n" (the last build number given).
 * "codebuild.build", id NAME:UUID (a UUID v7: a project's builds list in start order): AWS's
 *   Build shape as BatchGetBuilds returns it, its overrides applied (source.buildspec,
 *   environment.environmentVariables, timeoutInMinutes, artifacts, serviceRole...), plus
 *   "_stop" (true once StopBuild asked). The engine writes its phases, statuses, times,
 *   resolvedSourceVersion, exportedEnvironmentVariables and artifacts.location.
 * "codebuild.pending", id NAME:UUID, same account and region: {} while the build is not
 *   complete ({"node": id} on a shared store once a node claimed it: engine/leases.h). The
 *   engine runs what it finds there and deletes it with the build's last update; one found
 *   when the engine starts (or whose node's lease ran out) was running in a ferry that died. */
#ifndef FERRY_SVC_CODEBUILD_DOCUMENTS_H
#define FERRY_SVC_CODEBUILD_DOCUMENTS_H

#define CB_PROJECT_KIND "codebuild.project"
#define CB_BUILD_KIND   "codebuild.build"
#define CB_PENDING_KIND "codebuild.pending"

#endif
