/* libFuzzer target for what CodeCommit's git route parses from a client and from its CGI
 * child: the input's first line is read as a credential-helper password
 * (sigv4_git_parse, src/auth/sigv4.c), the rest as the header block git http-backend writes
 * (cgi_parse, src/svc/codecommit/cgi.c). Every header found lies inside the input, and the
 * body starts after the block. Seeds: fuzz/corpus/codecommit_git_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sigv4.h"
#include "svc/codecommit/cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *nl = memchr(p, '\n', size);
    size_t first = nl ? (size_t)(nl - p) : size;
    char *pw = malloc(first + 1);
    if (!pw) return 0;
    memcpy(pw, p, first);
    pw[first] = 0;
    char amz[17], sig[65];
    if (!sigv4_git_parse(pw, amz, sig) && (strlen(amz) != 16 || strlen(sig) != 64)) abort();
    free(pw);
    const char *rest = nl ? nl + 1 : p + size;
    size_t n = size - (size_t)(rest - p);
    cgi_reply r;
    if (!cgi_parse(rest, n, &r)) {
        if (r.body_off > n || r.nheaders > CGI_MAX_HEADERS || r.status < 100 || r.status > 999)
            abort();
        for (size_t i = 0; i < r.nheaders; i++)
            if (r.headers[i].name < rest || r.headers[i].value + r.headers[i].value_len > rest + n)
                abort();
    }
    return 0;
}
