/* libFuzzer target: SNS delivery policies (src/engine/delivery_policy.c), validated in
 * both forms and, when accepted, resolved and walked through every retry.
 * Seeds: fuzz/corpus/delivery_policy_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/delivery_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    for (int topic = 0; topic <= 1; topic++) {
        ferr e = {0};
        if (delivery_policy_validate(s, topic, &e)) continue;
        delivery_policy p;
        delivery_policy_effective(topic ? s : NULL, topic ? NULL : s, &p);
        for (int i = 0; i <= p.num_retries + 1 && i < 200; i++) (void)delivery_policy_delay(&p, i);
        free(topic ? delivery_policy_topic_effective_json(s)
                   : delivery_policy_sub_effective_json(&p));
    }
    free(s);
    return 0;
}
