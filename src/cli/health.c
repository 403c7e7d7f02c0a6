/* ferry health inject|close: the operator's AWS Health events (svc/health/health.h), posted
 * to a running ferry signed with the caller's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (the account's root user: the event goes into its account). Prints the
 * event as DescribeEvents shows it; exits 0, 1 when ferry refused, 2 on a usage error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jval.h"
#include "cli.h"
#include "signed.h"
#include "svc/health/health.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: ferry health inject --service EC2 --type-code AWS_EC2_OPERATIONAL_ISSUE\n"
            "           --region REGION [--category issue] [--status open|upcoming|closed]\n"
            "           [--description TEXT] [--availability-zone AZ] [--entity VALUE]...\n"
            "       ferry health close ARN\n"
            "  [--endpoint-url URL]; credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\n"
            "  and AWS_SESSION_TOKEN\n");
    return 2;
}

int cli_health(int argc, char **argv)
{
    static const struct option opts[] = {{"service", required_argument, NULL, 's'},
                                         {"type-code", required_argument, NULL, 't'},
                                         {"category", required_argument, NULL, 'c'},
                                         {"region", required_argument, NULL, 'r'},
                                         {"status", required_argument, NULL, 'S'},
                                         {"description", required_argument, NULL, 'd'},
                                         {"availability-zone", required_argument, NULL, 'z'},
                                         {"entity", required_argument, NULL, 'n'},
                                         {"endpoint-url", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const struct {
        int opt;
        const char *member;
    } members[] = {{'s', "service"},         {'t', "eventTypeCode"}, {'c', "eventTypeCategory"},
                   {'r', "region"},          {'S', "statusCode"},    {'d', "description"},
                   {'z', "availabilityZone"}};
    cli_creds w;
    cli_creds_from_env(&w);
    json_t *in = json_object(), *ents = json_array();
    int c, bad = !in || !ents;
    optind = 1;
    while (!bad && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        size_t i = 0;
        while (i < sizeof(members) / sizeof(members[0]) && members[i].opt != c) i++;
        if (i < sizeof(members) / sizeof(members[0]))
            bad = jset_str(in, members[i].member, optarg);
        else if (c == 'n')
            bad = json_array_append_new(ents, json_string(optarg));
        else if (c == 'e')
            w.endpoint = optarg;
        else
            bad = 1;
    }
    const char *cmd = optind < argc ? argv[optind] : "";
    int inject = !strcmp(cmd, "inject") && argc - optind == 1;
    int close = !strcmp(cmd, "close") && argc - optind == 2;
    if (bad || (!inject && !close) || !w.akid || !w.secret) {
        json_decref(in);
        json_decref(ents);
        return usage();
    }
    cli_creds_defaults(&w);
    /* the signature's region: Health's endpoint is us-east-1 */
    w.region = "us-east-1";
    if (close) {
        json_object_clear(in);
        bad = jset_str(in, "arn", argv[optind + 1]);
    } else if (json_array_size(ents)) {
        bad = json_object_set(in, "entities", ents);
    }
    json_decref(ents);
    if (bad) {
        json_decref(in);
        fprintf(stderr, "ferry health: out of memory\n");
        return 1;
    }
    json_t *out = cli_post(&w, "ferry health", "health",
                           inject ? HEALTH_ROUTE "inject" : HEALTH_ROUTE "close", NULL, in);
    if (!out) return 1;
    char *text = json_dumps(out, JSON_INDENT(2));
    if (text) puts(text);
    free(text);
    json_decref(out);
    return 0;
}
