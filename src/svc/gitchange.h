/* Git changes that other services act on (CodePipeline's V2 triggers): the git host
 * (CodeCommit) reports each ref a push or an API call moved, and each pull request opened,
 * updated or closed, inside the write transaction that made the change, so what a listener
 * starts stands or falls with it. Listeners register once at startup (their engine's
 * start) and may not block: they run under the store's write lock. */
#ifndef FERRY_SVC_GITCHANGE_H
#define FERRY_SVC_GITCHANGE_H
#include <jansson.h>

#include "svc/svc.h"

typedef struct git_change git_change;
struct git_change {
    const char *account, *region;
    const char *repo, *repo_arn; /* the repository's name and ARN */
    /* a push: "refs/heads/NAME" or "refs/tags/NAME"; a pull request: its destination
     * branch "refs/heads/NAME" */
    const char *ref;
    const char *old_id, *new_id; /* 40 hex digits; zeros when the ref was created/deleted */
    const char *caller_arn;      /* who pushed, or acted on the pull request */
    /* NULL for a push; a pull request's "OPEN", "UPDATED" or "CLOSED", with its source
     * branch (source_ref) whose tip is new_id, and old_id where it left the destination */
    const char *pr_event, *source_ref, *pr_id;
    /* The paths of the files that differ between old_id (zeros: an empty tree) and new_id,
     * as a new JSON array of strings, or NULL with e (the host's own reading of its
     * repository: what a provider's webhook carries). */
    json_t *(*paths)(const git_change *ch, ferr *e);
    void *host; /* the host's, for paths */
    arena *a;   /* the change's, freed after its commit: what a listener defers runs then */
};

typedef int (*git_change_fn)(ferry_env *env, store_txn *t, const git_change *ch, ferr *e);

/* Adds (fn) or removes (git_change_unlisten) a listener. At most a few. 0, or -1 when full. */
int git_change_listen(git_change_fn fn);
void git_change_unlisten(git_change_fn fn);
/* Tells every listener, in t: 0, or the first listener's -1 (with e), which fails the
 * change. */
int git_change_report(ferry_env *env, store_txn *t, const git_change *ch, ferr *e);

#endif
