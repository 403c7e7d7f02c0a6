/* ferry's subcommands. */
#ifndef FERRY_CLI_H
#define FERRY_CLI_H
#include <stddef.h>

int cli_serve(int argc, char **argv);
int cli_init(int argc, char **argv);
/* ferry pipeline watch NAME (cli/pipeline.c). */
int cli_pipeline(int argc, char **argv);
/* ferry health inject|close (cli/health.c). */
int cli_health(int argc, char **argv);
/* $XDG_DATA_HOME/ferry, else ~/.local/share/ferry. */
const char *cli_default_data_dir(char *out, size_t n);
/* --regions LIST of serve and init: adds them (auth/regions.h); 0, or 2 (the exit status)
 * after saying why on stderr. */
int cli_add_regions(const char *cmd, const char *list);
/* ferry store copy (cli/store.c). */
int cli_store(int argc, char **argv);
/* The store of serve, init and store: store (--store URI), else $FERRY_STORE, else the
 * SQLite store in data. With a PostgreSQL store, data (key files, blobs) is made here.
 * NULL after saying why on stderr. */
struct store *cli_store_open(const char *cmd, const char *store, const char *data, int sync);

#endif
