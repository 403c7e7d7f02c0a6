/* AWS CodeCommit's interface for the rest of ferry. */
#ifndef FERRY_SVC_CODECOMMIT_H
#define FERRY_SVC_CODECOMMIT_H
#include "svc/svc.h"

/* A ref of a repository changed through a git push (githttp.c, after git-receive-pack):
 * ref is "refs/heads/NAME" or "refs/tags/NAME", old_id/new_id 40 hex digits (all zeros when
 * the ref was created or deleted), caller_arn who pushed. Records it (the repository's
 * lastModifiedDate, its default branch when it had none, a log line) and puts AWS's
 * "CodeCommit Repository State Change" event on the account's default bus. Runs in t, a
 * write transaction of its own caller. 0 or -1 with e. */
int codecommit_ref_changed(store_txn *t, const char *account, const char *region,
                           const char *repo_name, const char *ref, const char *old_id,
                           const char *new_id, const char *caller_arn, ferr *e);

/* An internal entry point for svc_invoke_fn (CodeCommit's side of CodeBuild's source
 * download): resolves the commit in {"repositoryName", "commitSpecifier"} (a branch, tag or
 * commit id; absent: the default branch), authorized and recorded as codecommit:GitPull on
 * the repository. Output {"commitId", "gitDir" (the bare repository on disk, which the
 * caller clones with git), "cloneUrlHttp"}; RepositoryDoesNotExistException,
 * CommitDoesNotExistException. arg is unused. */
extern const svc_op codecommit_checkout_op;

/* Another (CodeCommit's side of CodePipeline's CodeCommit source action): the files of the
 * commit in {"repositoryName", "commitSpecifier"} as a zip (their bytes and modes: 0755
 * executables, symlinks), authorized and recorded as codecommit:UploadArchive on the
 * repository, as AWS asks of a pipeline's role. arg is a const size_t *: the most bytes the
 * files may hold (more: InvalidRequest). Output {"commitId", "archive" (base64)}. */
extern const svc_op codecommit_archive_op;

#endif
