#include "hreq.h"

const char *hreq_header(const hreq *r, const char *lname)
{
    return hdr_find(r->headers, r->nheaders, lname);
}
