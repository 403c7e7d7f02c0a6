#include "apigateway_int.h"
int apigw_import(call *c, json_t *doc, const char *body, size_t len, const char *mode)
{
    (void)c, (void)doc, (void)body, (void)len, (void)mode;
    return 0;
}
