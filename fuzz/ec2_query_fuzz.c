/* libFuzzer target: the ec2 protocol (src/proto/query.c with EC2's rules): member names by
 * queryName or capitalized locationName, every list flattened ("Filter.1.Value.1"), the
 * MissingParameter check (validate.c), the response without a result element and EC2's
 * <Response><Errors> error document. The input is a form body; the input decoded is encoded
 * again as the operation's output (a stress test for the writer's EC2 names). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "fuzz_proto.h"
#include "http/hreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    char *in = arena_strndup(a, (const char *)data, size);
    if (!in) goto out;
    hdr h[1] = {{"content-type", "application/x-www-form-urlencoded"}};
    hreq r = {.method = "POST",
              .raw_path = "/",
              .raw_query = "",
              .host = "ec2.us-east-1.localhost",
              .headers = h,
              .nheaders = 1,
              .body = (const unsigned char *)in,
              .body_len = strlen(in)};
    fuzz_proto_roundtrip(a, &r, "ec2");
out:
    arena_free(a);
    return 0;
}
