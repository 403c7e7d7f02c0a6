/* What Secrets Manager offers the rest of ferry: the rotation engine's side of secret
 * rotation (engine/sm_rotation.c). RotateSecret only records the rotation (the version that
 * will hold the new value, labelled AWSPENDING, and its token) in the secret's document;
 * the engine runs the rotation function's four steps outside any transaction, because the
 * function calls Secrets Manager back and must not wait for a lock its caller holds. */
#ifndef FERRY_SVC_SECRETSMANAGER_H
#define FERRY_SVC_SECRETSMANAGER_H
#include <jansson.h>

#include "svc/svc.h"

/* The secrets with a rotation in progress or due at now: a new array of {"Account",
 * "Region", "Name", "ARN"} in *due, or -1 with e. Read-only: nothing is audited. */
int sm_rotation_due(store *st, double now, json_t **due, ferr *e);

/* Rotates one secret of sm_rotation_due: starts its rotation if still due (or resumes the
 * one in progress, e.g. after a restart), invokes its function for createSecret, setSecret,
 * testSecret and finishSecret in order, and records success (AWSCURRENT must have moved to
 * the new version) or failure. 0, or -1 with e when ferry itself could not (the rotation's
 * own failure is recorded in the secret, not returned). */
int sm_rotation_run(ferry_env *env, const json_t *secret, ferr *e);

/* The clock rotation schedules read: now plus FERRY_SM_ROTATION_CLOCK_OFFSET seconds (a
 * test seam that makes a schedule due without waiting days). */
double sm_rotation_now(void);

/* The engine asks to be woken (fn called, after the commit) when a rotation is requested. */
void sm_rotation_set_waker(void (*fn)(void));

#endif
