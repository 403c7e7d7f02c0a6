/* What svc_exec uses of fetch.c; handlers use call_fetch (svc.h). */
#ifndef FERRY_SVC_FETCH_H
#define FERRY_SVC_FETCH_H
#include "svc.h"

/* Fetches c->fetch_url (set by call_fetch) for the call's next run, with no transaction
 * open: 0 (the result, success or failure, kept in c), or -1 (out of memory, c->err). */
int svc_fetch_pending(call *c);

#endif
