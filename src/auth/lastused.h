/* When each long-term access key was last used (IAM GetAccessKeyLastUsed), kept cheaply:
 * the gateway notes every authenticated request in memory (a lock and a map lookup, no
 * store access), and a periodic flush (engine/keys_lastused.c) writes the keys noted since
 * the previous flush, one transaction for all, so a key costs at most one store write per
 * interval (60 s by default) whatever its request rate. A kill -9 loses at most the last
 * interval's notes. Stored as kind "iam.keyused" (global: account and region "", id = the
 * key id): {"LastUsedDate", "ServiceName", "Region"}. */
#ifndef FERRY_AUTH_LASTUSED_H
#define FERRY_AUTH_LASTUSED_H
#include <jansson.h>

#include "base/err.h"
#include "store/store.h"

/* Notes a use of akid (only long-term "AKIA" keys are kept) at now. Never fails: a note
 * that cannot be kept (out of memory) is dropped. */
void lastused_note(const char *akid, const char *service, const char *region, double now);
/* Writes the notes taken since the last flush. 0, or -1 with e (the notes are kept for the
 * next flush). */
int lastused_flush(store *st, ferr *e);
/* The last use of akid: the newer of the stored one and this process's note. 1 (*out a new
 * {"LastUsedDate", "ServiceName", "Region"}), 0 never used, -1 error. */
int lastused_get(store_txn *t, const char *akid, json_t **out, ferr *e);
/* Forgets akid (its key was deleted), in memory and in t. */
int lastused_forget(store_txn *t, const char *akid, ferr *e);
/* Forgets every note (the store was emptied: POST /_ferry/reset). */
void lastused_reset(void);

/* Service last accessed (IAM's access reports), kept the same way and written by the same
 * flush: authorization notes each (IAM user, role or root, action) it evaluates, with the region
 * and time. Stored as kind "iam.actionused" (account = the principal's, region "", id =
 * "<principal ARN> <action>": neither holds a space): {"When", "Region"}. AWS counts
 * attempts, denied ones too. */
void lastused_note_action(const char *account, const char *arn, const char *action,
                          const char *region, double now);
/* Calls cb for each recorded use in account by arn (NULL: by every principal of the
 * account), the newer of the stored one and this process's note, in no particular order.
 * Stops at cb's first non-zero result. 0, or -1 with e. */
typedef int (*lastused_action_cb)(void *ud, const char *arn, const char *action, double when,
                                  const char *region);
int lastused_actions(store_txn *t, const char *account, const char *arn, lastused_action_cb cb,
                     void *ud, ferr *e);
/* Forgets the uses of arn (its user or role was deleted: one made again under the name
 * starts with none), in memory and in t. */
int lastused_forget_actions(store_txn *t, const char *account, const char *arn, ferr *e);

#endif
