/* libFuzzer target: S3's bucket-configuration readers. The first line is an x-amz-tagging
 * header (s3_tags_from_header); the rest, as JSON, is both a notification filter with its
 * event pattern (s3_filter_matches, s3_event_matches) and a lifecycle rule
 * (s3_lifecycle_expires) applied to an object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc/s3/s3_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    char *nl = strchr(text, '\n');
    const char *rest = "";
    if (nl) *nl = 0, rest = nl + 1;
    ferr e = {0};
    call c = {.a = arena_new(4096), .err = &e, .caller = CALLER_CLIENT};
    json_t *tags = NULL;
    if (c.a && !s3_tags_from_header(&c, text, &tags) && json_array_size(tags) > 10) abort();
    json_t *cfg = json_loads(rest, JSON_DECODE_ANY, NULL);
    json_t *obj = json_pack("{s:f, s:i, s:O?}", "LastModified", 1.7e9, "Size", 42, "Tags", tags);
    const char *keys[] = {"", "logs/a.zip", text};
    for (size_t i = 0; i < 3; i++) {
        s3_filter_matches(cfg, keys[i]);
        s3_lifecycle_expires(cfg, keys[i], obj, 1.8e9);
        if (json_is_string(json_object_get(cfg, "Event")))
            s3_event_matches(json_string_value(json_object_get(cfg, "Event")), keys[i]);
    }
    json_decref(obj);
    json_decref(cfg);
    arena_free(c.a);
    free(text);
    return 0;
}
