/* Audit records of requests that did not write (reads, refusals) are group-committed by
 * one writer thread: many callers share one transaction. A refusal's caller waits until
 * its record is durable; a successful read's record is queued and committed within the
 * next batch, which waits a few milliseconds for others unless somebody is waiting. Requests that write put their record in their own transaction. */
#ifndef FERRY_AUDITQ_H
#define FERRY_AUDITQ_H
#include "store/store.h"

typedef struct auditq auditq;

auditq *auditq_new(store *s, ferr *e); /* starts the writer thread; caller owns */
void auditq_free(auditq *q);           /* drains what is queued, then stops */
/* Blocks until r is committed (0) or the commit failed (-1). r is only borrowed. */
int auditq_append(auditq *q, const audit_rec *r);
/* Queues a copy of r and returns at once; it is committed with the next batch (within a
 * few milliseconds). For successful reads, which changed nothing. 0, or -1 (OOM). */
int auditq_submit(auditq *q, const audit_rec *r);
/* Returns when every event queued before the call is committed (or its batch failed):
 * for readers of the trail, which must see the reads that came before them. */
void auditq_flush(auditq *q);

#endif
