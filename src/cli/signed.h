/* Signed requests from ferry's subcommands to a running ferry, as a client makes them: SigV4
 * with the caller's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. */
#ifndef FERRY_CLI_SIGNED_H
#define FERRY_CLI_SIGNED_H
#include <jansson.h>

typedef struct cli_creds {
    const char *endpoint, *region, *akid, *secret, *token;
} cli_creds;

/* From the environment (AWS_ENDPOINT_URL, AWS_REGION or AWS_DEFAULT_REGION, the keys); the
 * options a subcommand reads may then override endpoint and region. */
void cli_creds_from_env(cli_creds *w);
/* Endpoint and region defaults (http://127.0.0.1:4566, us-east-1) for what is still unset. */
void cli_creds_defaults(cli_creds *w);

/* POSTs body (JSON, taken) to endpoint + path, signed for service, with x-amz-target target
 * when not NULL (json protocol). A new reference to the answer when its status is 200, else
 * NULL after saying why on stderr, each line prefixed with who ("ferry pipeline"). */
json_t *cli_post(const cli_creds *w, const char *who, const char *service, const char *path,
                 const char *target, json_t *body);

#endif
