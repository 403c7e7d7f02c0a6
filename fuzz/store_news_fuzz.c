/* libFuzzer target: the store's news between nodes (src/store/news.c), as another node's
 * notification brings it. Whatever parses names slots below the bound, points into the
 * input, and a generation news made again from it parses to the same slots. Seeds:
 * fuzz/corpus/store_news_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/news.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    store_news n, m;
    if (!store_news_parse(text, 1024, &n)) {
        if (n.node < text || n.node + n.node_len > text + strlen(text)) abort();
        if (n.type == 'g' && !n.all) {
            char node[NEWS_NODE_MAX + 1], again[1024];
            memcpy(node, n.node, n.node_len);
            node[n.node_len] = 0;
            for (int i = 0; i < n.nslots; i++)
                if (n.slots[i] >= 1024) abort();
            if (!strchr(node, ' ') &&
                !store_news_gen(again, sizeof(again), node, n.slots, n.nslots)) {
                if (store_news_parse(again, 1024, &m) || m.nslots != n.nslots ||
                    memcmp(m.slots, n.slots, (size_t)n.nslots * sizeof(unsigned)))
                    abort();
            }
        }
    }
    free(text);
    return 0;
}
