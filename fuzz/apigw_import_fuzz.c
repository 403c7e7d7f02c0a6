/* libFuzzer target: API Gateway's OpenAPI/Swagger import (src/svc/apigateway/import.c,
 * JSON or YAML, both modes) and the Lambda proxy response mapping (proxy.c) on the same
 * bytes. What imports leaves a tree: every resource's parent exists, its path is its
 * parent's plus its part, and every method names itself. Seeds: fuzz/corpus/apigw_import_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "svc/apigateway/apigateway_int.h"
#include "svc/apigateway/proxy.h"

static void check_tree(json_t *doc)
{
    json_t *all = json_object_get(doc, "resources");
    const char *k;
    json_t *r;
    json_object_foreach(all, k, r) {
        const char *path = jstr(r, "path"), *pid = jstr(r, "parentId");
        if (!path || path[0] != '/' || strcmp(jstr(r, "id"), k)) abort();
        if (pid) {
            json_t *parent = json_object_get(all, pid);
            const char *pp = jstr(parent, "path"), *part = jstr(r, "pathPart");
            if (!pp || !part) abort();
            size_t pl = strcmp(pp, "/") ? strlen(pp) : 0;
            if (strncmp(path, pp, pl) || path[pl] != '/' || strcmp(path + pl + 1, part)) abort();
        }
        const char *m;
        json_t *v;
        json_object_foreach(json_object_get(r, "resourceMethods"), m, v) {
            if (!jstr(v, "httpMethod") || strcmp(jstr(v, "httpMethod"), m)) abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(4096);
    if (!a) return 0;
    for (int mode = 0; mode < 2; mode++) {
        ferr e = {0};
        call c = {.a = a, .account = "123456789012", .region = "us-east-1", .err = &e};
        json_t *doc = json_pack("{s:{s:s, s:s, s:s}, s:{s:{s:s, s:s, s:{}}}, s:{}, s:{}}", "api",
                                "id", "abcdefghij", "name", "", "rootResourceId", "rootrootro",
                                "resources", "rootrootro", "id", "rootrootro", "path", "/",
                                "resourceMethods", "deployments", "stages");
        if (!doc) break;
        if (!apigw_import(&c, doc, (const char *)data, size, mode ? "merge" : "overwrite"))
            check_tree(doc);
        json_decref(doc);
    }
    proto_response resp;
    if (!apigw_proxy_response(a, (const char *)data, size, &resp) &&
        (resp.status < 100 || resp.status > 599))
        abort();
    buf_dispose(&resp.body);
    arena_free(a);
    return 0;
}
