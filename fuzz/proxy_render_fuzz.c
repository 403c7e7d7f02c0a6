/* libFuzzer target: the HAProxy configuration renderer (src/engine/proxy.c) on a JSON
 * description. What it must never do is let a value start a directive of its own: every
 * line it writes is a section header or an indented directive of one, with no control
 * character. Seeds: fuzz/corpus/proxy_render_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *conf = json_loadb((const char *)data, size, 0, NULL);
    if (!conf) return 0;
    buf out;
    buf_init(&out, 1u << 20);
    ferr e = {0};
    if (!proxy_render(conf, &out, &e)) {
        const char *s = buf_str(&out);
        for (const char *line = s; *line;) {
            const char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) abort();
            if (n && line[0] != '#' && line[0] != ' ' && strncmp(line, "global", 6) &&
                strncmp(line, "defaults", 8) && strncmp(line, "frontend f_", 11) &&
                strncmp(line, "backend b_", 10) && strncmp(line, "backend x_noroute", 17))
                abort();
            line += n + (nl ? 1 : 0);
        }
    }
    buf_dispose(&out);
    json_decref(conf);
    return 0;
}
