/* ferry store copy --from DIR --to postgresql://…: moves an installation's store (documents,
 * message queues, queue keys, the audit trail) from SQLite into an empty PostgreSQL
 * database. The key files and blobs stay in DIR, which becomes the data directory of the
 * servers on the new store (--data DIR --store URI). Run it with the old server stopped. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store/store.h"

static void usage(void)
{
    fprintf(stderr, "usage: ferry store copy --from DIR --to postgresql://…\n"
                    "  copies the store of data directory DIR (stopped) into an empty\n"
                    "  PostgreSQL database; then serve with --data DIR --store URI\n");
}

int cli_store(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "copy")) {
        usage();
        return 2;
    }
    const char *from = NULL, *to = NULL;
    static const struct option opts[] = {{"from", required_argument, 0, 'f'},
                                         {"to", required_argument, 0, 't'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        default: usage(); return 2;
        }
    }
    if (!from || !to || !store_is_url(to)) {
        usage();
        return 2;
    }
    ferr e = {0};
    store *src = store_open(from, STORE_SYNC_NORMAL, &e); /* SQLite, whatever FERRY_STORE says */
    if (!src) {
        fprintf(stderr, "ferry store copy: %s\n", e.message);
        return 1;
    }
    store *dst = cli_store_open("store copy", to, from, STORE_SYNC_NORMAL);
    if (!dst) {
        store_close(src);
        return 1;
    }
    long long n[4];
    int rc = store_copy(src, dst, n, &e);
    if (rc)
        fprintf(stderr, "ferry store copy: %s (nothing written)\n", e.message);
    else
        printf("copied %lld documents, %lld messages, %lld queue keys, %lld audit events to %s\n",
               n[0], n[1], n[2], n[3], store_describe(dst));
    store_close(dst);
    store_close(src);
    return rc ? 1 : 0;
}
