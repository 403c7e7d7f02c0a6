/* PostgreSQL's LISTEN/NOTIFY for the store's news between nodes (store.h, "Several nodes"):
 * one connection and one thread per process that listens on the channel, sends the
 * announcements, and every 25 ms confirms that what was committed before its previous
 * question has been heard. */
#ifndef FERRY_STORE_PGNEWS_H
#define FERRY_STORE_PGNEWS_H
#include <libpq-fe.h>

#include "backend.h"

#define PGNEWS_CHANNEL "ferry_news"

typedef struct pgnews pgnews;

/* connect(url) makes a session (postgres.c's settings). Caller owns (pgnews_stop). */
pgnews *pgnews_start(const char *url, PGconn *(*connect)(const char *url), const store_listener *l,
                     ferr *e);
void pgnews_stop(pgnews *n); /* NULL is a no-op */
/* Queues news to send (copied); dropped when the database is away. */
void pgnews_announce(pgnews *n, const char *news);

#endif
