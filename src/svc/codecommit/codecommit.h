/* AWS CodeCommit's interface for the rest of ferry. */
#ifndef FERRY_SVC_CODECOMMIT_H
#define FERRY_SVC_CODECOMMIT_H
#include "svc/svc.h"

/* A ref of a repository changed through a git push (githttp.c, after git-receive-pack):
 * ref is "refs/heads/NAME" or "refs/tags/NAME", old_id/new_id 40 hex digits (all zeros when
 * the ref was created or deleted). Records it: the repository's lastModifiedDate, its
 * default branch when it had none, and a log line. This is where repository state-change
 * events (EventBridge "CodeCommit Repository State Change") will be raised. Runs in t, a
 * write transaction of its own caller. 0 or -1 with e. */
int codecommit_ref_changed(store_txn *t, const char *account, const char *region,
                           const char *repo_name, const char *ref, const char *old_id,
                           const char *new_id, ferr *e);

#endif
