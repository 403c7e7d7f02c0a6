/* libFuzzer target: glob patterns of CodePipeline's trigger filters (src/base/glob.c), as
 * CreatePipeline's triggers carry them (at most 255 characters), matched against a text
 * after the first NUL. A pattern glob_check accepts never fails to match, and one it
 * refuses never matches. Seeds: fuzz/corpus/glob_fuzz/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/glob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[512];
    if (size >= sizeof(buf)) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    const char *pat = buf, *text = buf + strlen(buf);
    if ((size_t)(text - buf) < size) text++;
    if (strlen(pat) > 255) return 0;
    const char *why;
    int ok = glob_check(pat, &why) == 0;
    int m = glob_match(pat, text);
    if (ok != (m >= 0)) abort();
    if (!ok && !why) abort();
    return 0;
}
