#include "hreq.h"

#include <string.h>

const char *hreq_header(const hreq *r, const char *lname)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, lname) == 0) return r->headers[i].value;
    return NULL;
}
