/* GetRandomPassword: characters drawn uniformly with OpenSSL's randomness (ids_random),
 * from the classes the options keep, with at least one of each kept class when
 * RequireEachIncludedType is on (AWS's default). */
#include <stdint.h>
#include <string.h>

#include "base/ids.h"
#include "secretsmanager_int.h"

/* AWS's punctuation: every printable ASCII character that is not a letter or digit */
static const char *const classes[] = {
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    " ",
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

/* A uniform index below n (n > 0), without modulo bias. */
static size_t uniform(size_t n)
{
    uint32_t r, limit = UINT32_MAX - UINT32_MAX % (uint32_t)n;
    do ids_random(&r, sizeof(r));
    while (r >= limit);
    return r % (uint32_t)n;
}

int sm_password(const sm_password_opts *o, char *out, const char **why)
{
    int skip[NCLASSES] = {o->no_lower, o->no_upper, o->no_numbers, o->no_punctuation, !o->space};
    char kept[NCLASSES][40], all[128];
    size_t nkept[NCLASSES] = {0}, nall = 0, required = 0;
    for (size_t k = 0; k < NCLASSES; k++) {
        if (skip[k]) continue;
        for (const char *ch = classes[k]; *ch; ch++)
            if (!o->exclude || !strchr(o->exclude, *ch)) kept[k][nkept[k]++] = *ch;
        memcpy(all + nall, kept[k], nkept[k]);
        nall += nkept[k];
        required += nkept[k] > 0;
    }
    if (!nall) {
        *why = "The password can't be generated: every character type is excluded.";
        return -1;
    }
    if (o->length < 1 || o->length > 4096) {
        *why = "PasswordLength must be between 1 and 4096.";
        return -1;
    }
    size_t len = (size_t)o->length;
    if (o->each_type && len < required) {
        *why = "The password length is too short to include every required character type.";
        return -1;
    }
    for (size_t i = 0; i < len; i++) out[i] = all[uniform(nall)];
    if (o->each_type) {
        /* one character of each kept class at distinct random places: a random
         * permutation's first positions */
        size_t pos[4096];
        for (size_t i = 0; i < len; i++) pos[i] = i;
        for (size_t i = 0, k = 0; k < NCLASSES; k++) {
            if (skip[k] || !nkept[k]) continue;
            size_t j = i + uniform(len - i), t = pos[i];
            pos[i] = pos[j];
            pos[j] = t;
            out[pos[i++]] = kept[k][uniform(nkept[k])];
        }
    }
    out[len] = 0;
    return 0;
}
