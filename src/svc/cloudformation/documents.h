/* CloudFormation's stored documents: the service owns their layout; the stack engine
 * (src/engine/stacks/) reads and writes them through this interface.
 *
 * Kinds (account, region of the stack), id, document:
 *   cfn.stack      uuid            the stack (DescribeStacks fields + "_"-prefixed engine
 *                                  state: _uuid, _account, _region, _as, _op, _raw,
 *                                  _exports, _imports, _policy, _cancel)
 *   cfn.name       stack name      {"Id": uuid} while the stack is not deleted
 *   cfn.tpl        uuid/cur|new    {"Body": text, "Original": text} (new: the update in
 *                                  progress; Body is after the Transform, Original as sent
 *                                  when there was one)
 *   cfn.res        uuid/logical    one resource
 *   cfn.event      uuid/time-seq   one event
 *   cfn.export     export name     {"Name", "Value", "ExportingStackId"}
 *   cfn.import     name\tstackid   {"ExportName", "StackId", "StackName"}
 *   cfn.changeset  uuid            one change set
 *   cfn.signal     uuid/logical/id  one signal sent to a wait condition
 *   cfn.custom     uuid/logical    a custom resource's request in flight (its ResponseURL's
 *                                  secret, deadline, and the response once PUT)
 *   cfn.stackset   set name        one stack set
 *   cfn.ssinst     set/acct/region one stack instance
 *   cfn.ssop       set/operation   one stack set operation (its "_Results")
 * The work to do is the stack's status: a stack in an *_IN_PROGRESS status is the engine's. */
#ifndef FERRY_CFN_DOCUMENTS_H
#define FERRY_CFN_DOCUMENTS_H
#include <jansson.h>

#include "store/store.h"

#define CFN_KIND_STACK     "cfn.stack"
#define CFN_KIND_NAME      "cfn.name"
#define CFN_KIND_TPL       "cfn.tpl"
#define CFN_KIND_RES       "cfn.res"
#define CFN_KIND_EVENT     "cfn.event"
#define CFN_KIND_EXPORT    "cfn.export"
#define CFN_KIND_IMPORT    "cfn.import"
#define CFN_KIND_CHANGESET "cfn.changeset"
#define CFN_KIND_SIGNAL    "cfn.signal"
#define CFN_KIND_CUSTOM    "cfn.custom"
#define CFN_KIND_STACKSET  "cfn.stackset"
#define CFN_KIND_SSINST    "cfn.ssinst"
#define CFN_KIND_SSOP      "cfn.ssop"

/* Loads a stack by name (live stacks) or StackId (also deleted ones): 1 found (*stack new
 * reference), 0 not found, -1 error. */
int cfn_stack_find(store_txn *t, const char *account, const char *region, const char *name_or_id,
                   json_t **stack, ferr *e);
int cfn_stack_put(store_txn *t, const json_t *stack, ferr *e);
/* Appends a stack event (logical NULL = the stack itself); returns the event or NULL. */
json_t *cfn_event_add(store_txn *t, const json_t *stack, const char *logical, const char *physical,
                      const char *type, const char *status, const char *reason, const json_t *props,
                      ferr *e);
/* Template text of the stack: which = "cur" or "new". New string (free()) or NULL. */
char *cfn_template_body(store_txn *t, const json_t *stack, const char *which, ferr *e);
/* Stores (body NULL: removes) the stack's template which. */
int cfn_template_store(store_txn *t, const json_t *stack, const char *which, const char *body,
                       ferr *e);
/* The same with the template as sent before its Transform (original NULL: none). */
int cfn_template_store_orig(store_txn *t, const json_t *stack, const char *which, const char *body,
                            const char *original, ferr *e);
/* The template which as sent (before its Transform): new string or NULL. */
char *cfn_template_original(store_txn *t, const json_t *stack, const char *which, ferr *e);
/* Copies the stack's template from (both forms) to to. */
int cfn_template_promote(store_txn *t, const json_t *stack, const char *from, const char *to,
                         ferr *e);

/* The documents of kind in account/region whose ids start with prefix (NULL: all), in id
 * order, and only those of the stack stack_uuid ("_stack_uuid") when it is not NULL: a new
 * array in *arr. */
int cfn_docs_list(store_txn *t, const char *kind, const char *account, const char *region,
                  const char *prefix, const char *stack_uuid, json_t **arr, ferr *e);

/* 1 when status ends in _IN_PROGRESS (REVIEW_IN_PROGRESS excepted: no work to do). */
int cfn_status_busy(const char *status);

/* The value of the export name (account, region) in *value (malloc'd): 1, 0 when there is
 * no such export, -1 with e. What Fn::ImportValue reads, in a change set and in a run. */
int cfn_export_value(store_txn *t, const char *account, const char *region, const char *name,
                     char **value, ferr *e);

#endif
