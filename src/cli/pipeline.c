/* ferry pipeline watch NAME: follows a pipeline's latest execution (or --execution ID) stage
 * by stage through the API a client uses (GetPipelineState, GetPipelineExecution,
 * ListActionExecutions, signed with the caller's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN), printing each action's status as it changes, with its duration and,
 * when it fails, its error. Exits 0 when the execution succeeds, 1 when it ends otherwise,
 * 2 on a usage or connection error. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/jval.h"
#include "cli.h"
#include "signed.h"

typedef cli_creds watch;

/* CodePipeline op with body: a new reference to the answer, or NULL (said on stderr). */
static json_t *call(const watch *w, const char *op, json_t *body)
{
    char target[96], who[96];
    snprintf(target, sizeof(target), "CodePipeline_20150709.%s", op);
    snprintf(who, sizeof(who), "ferry pipeline: %s", op);
    return cli_post(w, who, "codepipeline", "/", target, body);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int usage(void)
{
    fprintf(stderr, "usage: ferry pipeline watch NAME [--execution ID] [--endpoint-url URL] "
                    "[--region REGION]\n"
                    "  credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
                    "AWS_SESSION_TOKEN\n");
    return 2;
}

int cli_pipeline(int argc, char **argv)
{
    static const struct option opts[] = {{"execution", required_argument, NULL, 'x'},
                                         {"endpoint-url", required_argument, NULL, 'e'},
                                         {"region", required_argument, NULL, 'r'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    watch w;
    cli_creds_from_env(&w);
    const char *xid = NULL;
    char *owned = NULL;
    double interval = 1.0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'x')
            xid = optarg;
        else if (c == 'e')
            w.endpoint = optarg;
        else if (c == 'r')
            w.region = optarg;
        else if (c == 'i')
            interval = atof(optarg);
        else
            return usage();
    }
    if (argc - optind != 2 || strcmp(argv[optind], "watch") || !w.akid || !w.secret) return usage();
    const char *name = argv[optind + 1];
    cli_creds_defaults(&w);
    if (interval <= 0) interval = 1.0;
    if (!xid) {
        json_t *l = call(&w, "ListPipelineExecutions",
                         json_pack("{s:s, s:i}", "pipelineName", name, "maxResults", 1));
        if (!l) return 2;
        const char *id = jstr(json_array_get(json_object_get(l, "pipelineExecutionSummaries"), 0),
                              "pipelineExecutionId");
        xid = owned = id ? strdup(id) : NULL;
        json_decref(l);
        if (!xid) {
            fprintf(stderr, "ferry pipeline: %s has no execution\n", name);
            return 2;
        }
    }
    printf("pipeline %s, execution %s\n", name, xid);
    fflush(stdout);
    json_t *seen = json_object(); /* "stage/action" -> status printed */
    int rc = 2;
    for (;;) {
        json_t *x = call(&w, "GetPipelineExecution",
                         json_pack("{s:s, s:s}", "pipelineName", name, "pipelineExecutionId", xid));
        json_t *acts = call(&w, "ListActionExecutions",
                            json_pack("{s:s, s:{s:s}}", "pipelineName", name, "filter",
                                      "pipelineExecutionId", xid));
        if (!x || !acts) {
            json_decref(x);
            json_decref(acts);
            break;
        }
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(acts, "actionExecutionDetails"), i, a) {
            char key[512];
            snprintf(key, sizeof(key), "%s/%s", or_empty(jstr(a, "stageName")),
                     or_empty(jstr(a, "actionName")));
            const char *st = or_empty(jstr(a, "status")), *was = jstr(seen, key);
            if (was && !strcmp(was, st)) continue;
            double t0 = json_number_value(json_object_get(a, "startTime"));
            double t1 = json_number_value(json_object_get(a, "lastUpdateTime"));
            printf("  %-20s %-24s %-11s %6.1fs", or_empty(jstr(a, "stageName")),
                   or_empty(jstr(a, "actionName")), st, t1 > t0 ? t1 - t0 : 0.0);
            const json_t *res = json_object_get(json_object_get(a, "output"), "executionResult");
            const char *msg = jstr(json_object_get(res, "errorDetails"), "message");
            if (!msg) msg = jstr(res, "externalExecutionSummary");
            /* one line per action: a commit message's first line only */
            if (msg) printf("  %.*s", (int)strcspn(msg, "\r\n"), msg);
            putchar('\n');
            fflush(stdout);
            if (json_object_set_new(seen, key, json_string(st))) break;
        }
        const char *st = jstr(json_object_get(x, "pipelineExecution"), "status");
        int done = st && strcmp(st, "InProgress") && strcmp(st, "Stopping");
        if (done) {
            printf("execution %s: %s\n", xid, st);
            fflush(stdout);
            rc = !strcmp(st, "Succeeded") ? 0 : 1;
        }
        json_decref(x);
        json_decref(acts);
        if (done) break;
        usleep((useconds_t)(interval * 1e6));
    }
    json_decref(seen);
    free(owned);
    return rc;
}
