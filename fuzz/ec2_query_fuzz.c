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

static hdr form_type[1] = {{"content-type", "application/x-www-form-urlencoded"}};

/* EC2's clients POST the form to the regional endpoint's root. */
static hreq ec2_post(const char *body)
{
    return (hreq){.method = "POST",
                  .raw_path = "/",
                  .raw_query = "",
                  .host = "ec2.us-east-1.localhost",
                  .headers = form_type,
                  .nheaders = 1,
                  .body = (const unsigned char *)body,
                  .body_len = strlen(body)};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    char *in = arena_strndup(a, (const char *)data, size);
    if (in) {
        hreq r = ec2_post(in);
        fuzz_proto_roundtrip(a, &r, "ec2");
    }
    arena_free(a);
    return 0;
}
