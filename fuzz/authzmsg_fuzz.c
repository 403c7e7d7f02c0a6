/* libFuzzer target: encoded authorization failure messages (src/svc/authzmsg.c), what
 * DecodeAuthorizationMessage parses. The input, as a message, must never open (nothing forged
 * authenticates); as the refused action, its message must open, to JSON, in its own account
 * only. Seeds: fuzz/corpus/authzmsg_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/authzmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(8192);
    if (!a) return 0;
    ferry_env env = {0}; /* no data directory: a key of this process */
    ferr e = {0};
    call c = {.a = a, .env = &env, .err = &e, .account = "111122223333", .region = "us-east-1"};
    char *text = arena_strndup(a, (const char *)data, size < 4096 ? size : 4096);
    const char *out;
    if (text && !authzmsg_decode(&c, "111122223333", text, &out)) abort();

    principal p = {.kind = PRIN_USER, .account = "111122223333"};
    strcpy(p.arn, "arn:aws:iam::111122223333:user/fuzz");
    strcpy(p.userid, "AIDAFUZZ");
    strcpy(p.name, "fuzz");
    const char *v[] = {text ? text : ""};
    iam_ctx_key keys[] = {{"aws:RequestedRegion", v, 1}};
    iam_request q = {.principal = &p, .action = text, .resource = "*", .keys = keys, .nkeys = 1};
    iam_result res = {.decision = IAM_IMPLICIT_DENY};
    const char *token = text ? authzmsg_encode(&c, &q, &res) : NULL;
    if (token) {
        if (authzmsg_decode(&c, "111122223333", token, &out)) abort();
        json_t *doc = json_loads(out, 0, NULL);
        if (!doc) abort();
        json_decref(doc);
        if (!authzmsg_decode(&c, "444455556666", token, &out)) abort();
    }
    arena_free(a);
    return 0;
}
