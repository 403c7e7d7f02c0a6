#include "news.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_news_parse(const char *text, unsigned slot_max, store_news *out)
{
    memset(out, 0, sizeof(*out));
    if (!text || !strchr("gwr", text[0]) || !text[0] || text[1] != ' ') return -1;
    out->type = text[0];
    out->node = text + 2;
    const char *sp = strchr(out->node, ' ');
    out->node_len = sp ? (size_t)(sp - out->node) : strlen(out->node);
    if (!out->node_len || out->node_len > NEWS_NODE_MAX) return -1;
    const char *rest = sp ? sp + 1 : NULL;
    if (out->type == 'r') return rest ? -1 : 0;
    if (!rest || !*rest) return -1;
    if (out->type == 'w') {
        out->key = rest;
        return 0;
    }
    if (!strcmp(rest, "*")) {
        out->all = 1;
        return 0;
    }
    for (const char *q = rest;;) {
        if (*q < '0' || *q > '9') return -1;
        char *end;
        unsigned long slot = strtoul(q, &end, 10);
        if (end - q > 10 || slot >= slot_max) return -1;
        if (out->nslots == NEWS_SLOTS_MAX)
            out->all = 1; /* a newer ferry's longer list: move them all */
        else
            out->slots[out->nslots++] = (unsigned)slot;
        if (!*end) return 0;
        if (*end != ',') return -1;
        q = end + 1;
    }
}

int store_news_gen(char *out, size_t outsz, const char *node, const unsigned *slots, int n)
{
    size_t len = 0;
    int w = snprintf(out, outsz, "g %s ", node);
    if (w < 0 || (size_t)w >= outsz) return -1;
    len = (size_t)w;
    if (n < 0) {
        w = snprintf(out + len, outsz - len, "*");
        return w < 0 || (size_t)w >= outsz - len ? -1 : 0;
    }
    if (n == 0) return -1;
    for (int i = 0; i < n; i++) {
        w = snprintf(out + len, outsz - len, i ? ",%u" : "%u", slots[i]);
        if (w < 0 || (size_t)w >= outsz - len) return -1;
        len += (size_t)w;
    }
    return 0;
}
