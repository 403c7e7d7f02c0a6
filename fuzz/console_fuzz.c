/* libFuzzer target: the web console's request handling (src/http/console.c): the path, and
 * the Accept-Encoding and If-None-Match headers it reads. Input: four lines (method, path,
 * Accept-Encoding, If-None-Match); a missing line is a missing header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    arena *a = arena_new(0);
    if (!text || !a) {
        free(text);
        arena_free(a);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = 0;
    char *line[4] = {0};
    char *p = text;
    for (int i = 0; i < 4 && p; i++) {
        line[i] = p;
        p = strchr(p, '\n');
        if (p) *p++ = 0;
    }
    hdr h[2];
    size_t nh = 0;
    if (line[2]) h[nh++] = (hdr){"accept-encoding", line[2]};
    if (line[3]) h[nh++] = (hdr){"if-none-match", line[3]};
    hreq r = {.method = line[0] ? line[0] : "GET",
              .raw_path = line[1] ? line[1] : "/_ferry/console/",
              .raw_query = "",
              .host = "",
              .headers = h,
              .nheaders = nh};
    proto_response resp;
    memset(&resp, 0, sizeof(resp));
    if (console_serve(a, &r, &resp)) buf_dispose(&resp.body);
    arena_free(a);
    free(text);
    return 0;
}
