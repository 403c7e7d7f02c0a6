/* The store's news between nodes (store.h, "Several nodes"), as text on PostgreSQL's
 * notification channel: "g NODE S,S,…" or "g NODE *" (a commit moved those generation
 * slots, or all), "w NODE KEY" (wake KEY's long polls), "r NODE" (a reset). */
#ifndef FERRY_STORE_NEWS_H
#define FERRY_STORE_NEWS_H
#include <stddef.h>

#define NEWS_SLOTS_MAX 64 /* slots one news names at most; more read as all */
#define NEWS_NODE_MAX  63 /* a node id's length at most */

typedef struct store_news {
    char type;        /* 'g', 'w' or 'r' */
    const char *node; /* into the text, node_len bytes */
    size_t node_len;
    int all;                        /* 'g': every slot */
    unsigned slots[NEWS_SLOTS_MAX]; /* 'g': the slots (each below slot_max) */
    int nslots;
    const char *key; /* 'w': into the text, to its end */
} store_news;

/* 0 and *out (pointing into text), or -1: not news this ferry knows (ignored). */
int store_news_parse(const char *text, unsigned slot_max, store_news *out);
/* "g NODE …" of slots (n < 0: all) into out (size outsz). 0, or -1 when it does not fit. */
int store_news_gen(char *out, size_t outsz, const char *node, const unsigned *slots, int n);

#endif
