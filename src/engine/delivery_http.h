/* Outbound HTTP POSTs for the delivery engine: one thread driving libcurl's multi
 * interface, so a slow endpoint holds a socket, not a thread. */
#ifndef FERRY_DELIVERY_HTTP_H
#define FERRY_DELIVERY_HTTP_H
#include <stddef.h>

#include "base/err.h"

typedef struct dhttp dhttp;

/* status: the HTTP status, or 0 when no response came (err says why: connection
 * refused, timeout...), or -1 when the request was abandoned at shutdown. Called on the
 * HTTP thread; must not block. */
typedef void (*dhttp_done_fn)(void *ud, void *item, long status, const char *err);

#define DHTTP_TIMEOUT_MS 15000 /* AWS: an HTTP/S delivery times out after 15 seconds */

dhttp *dhttp_new(dhttp_done_fn done, void *ud, ferr *e); /* starts the thread; caller owns */
/* Abandons what is in flight (done with -1 for each), stops the thread, frees. */
void dhttp_free(dhttp *h);
/* Queues a POST of body[0..len) to url with "Name: value" headers (all copied). */
int dhttp_post(dhttp *h, void *item, const char *url, const char *body, size_t len,
               const char *const *headers, size_t nheaders);

#endif
