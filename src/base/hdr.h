/* One HTTP header as received: the HTTP layer's requests (http/hreq.h) and the view a
 * service's routes get (svc_request in svc/svc.h) share it, so a route reads headers
 * without reaching into the HTTP layer. */
#ifndef FERRY_HDR_H
#define FERRY_HDR_H
#include <stddef.h>

typedef struct hdr {
    const char *name;  /* lowercased */
    const char *value; /* as received */
} hdr;

/* The value of the first of h[0..n) named lname (lowercase), or NULL. */
const char *hdr_find(const hdr *h, size_t n, const char *lname);

#endif
