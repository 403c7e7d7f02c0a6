#include "hdr.h"

#include <string.h>

const char *hdr_find(const hdr *h, size_t n, const char *lname)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(h[i].name, lname)) return h[i].value;
    return NULL;
}
