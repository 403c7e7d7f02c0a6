/* ferry: a multi-account, multi-region AWS-compatible control plane. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(stderr, "usage: ferry serve|init|store|pipeline|health|version [options]\n"
                        "  ferry serve --help, ferry init --help for options\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "serve")) return cli_serve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "init")) return cli_init(argc - 1, argv + 1);
    if (!strcmp(argv[1], "store")) return cli_store(argc - 1, argv + 1);
    if (!strcmp(argv[1], "pipeline")) return cli_pipeline(argc - 1, argv + 1);
    if (!strcmp(argv[1], "health")) return cli_health(argc - 1, argv + 1);
    if (!strcmp(argv[1], "version")) {
        puts("ferry 0.1.0");
        return 0;
    }
    fprintf(stderr, "ferry: unknown command %s\n", argv[1]);
    return 2;
}
