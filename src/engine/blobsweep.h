/* The blob sweep (store/blob.h): at start and then periodically, outside any store write
 * lock, temporaries and blobs no document names any more go, once they are older than a
 * grace period far above a PUT's time from blob commit to store commit. */
#ifndef FERRY_BLOBSWEEP_H
#define FERRY_BLOBSWEEP_H
#include "engine/engines.h"

extern const engine_def blobsweep_engine;

/* One sweep now (tests, and the engine's loop). 0 or -1 with e. */
int blobsweep_run(ferry_env *env, double grace, blob_sweep_stats *st, ferr *e);

#endif
