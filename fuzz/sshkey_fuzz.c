/* libFuzzer target: IAM's SSH public key parser (src/svc/iam/sshkey.c). Any input is
 * parsed; an accepted key's fingerprint must be 47 characters of colon-separated hex.
 * Seeds: fuzz/corpus/sshkey_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "svc/iam/sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena *a = arena_new(0);
    if (!a) return 0;
    char fp[48];
    if (sshkey_parse(a, (const char *)data, size, fp) == SSHKEY_OK && strlen(fp) != 47) abort();
    arena_free(a);
    return 0;
}
