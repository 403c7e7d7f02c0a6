/* Signed JSON requests of ferry's subcommands (signed.h). */
#include "signed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/sigv4.h"
#include "base/jval.h"
#include "svc/httpc.h"

void cli_creds_from_env(cli_creds *w)
{
    *w = (cli_creds){getenv("AWS_ENDPOINT_URL"),
                     getenv("AWS_REGION") ? getenv("AWS_REGION") : getenv("AWS_DEFAULT_REGION"),
                     getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
                     getenv("AWS_SESSION_TOKEN")};
}

void cli_creds_defaults(cli_creds *w)
{
    if (!w->endpoint) w->endpoint = "http://127.0.0.1:4566";
    if (!w->region) w->region = "us-east-1";
}

json_t *cli_post(const cli_creds *w, const char *who, const char *service, const char *path,
                 const char *target, json_t *body)
{
    arena *a = arena_new(4096);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *out = NULL;
    if (!a || !text) goto done;
    const char *hs = strstr(w->endpoint, "://");
    const char *host = hs ? hs + 3 : w->endpoint;
    char amz_date[17];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
    hdr h[6] = {{"content-type", "application/x-amz-json-1.1"},
                {"x-amz-date", amz_date},
                {"host", host}};
    size_t nh = 3;
    if (target) h[nh++] = (hdr){"x-amz-target", target};
    if (w->token) h[nh++] = (hdr){"x-amz-security-token", w->token};
    hreq r = {.method = "POST",
              .raw_path = path,
              .raw_query = "",
              .host = host,
              .headers = h,
              .nheaders = nh,
              .body = (const unsigned char *)text,
              .body_len = strlen(text)};
    char *auth = sigv4_sign(a, &r, w->akid, w->secret, w->region, service, amz_date, NULL);
    if (!auth) goto done;
    httpc_header ch[7];
    for (size_t i = 0; i < nh; i++) ch[i] = (httpc_header){h[i].name, h[i].value};
    ch[nh] = (httpc_header){"authorization", auth};
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", w->endpoint, path);
    httpc_resp resp = {0};
    if (httpc_do(a, "POST", url, ch, nh + 1, text, strlen(text), 10000, 16u << 20, &resp)) {
        fprintf(stderr, "%s: cannot reach %s\n", who, w->endpoint);
        goto done;
    }
    json_error_t je;
    out = json_loads(buf_str(&resp.body), 0, &je);
    if (!out && resp.status == 200) fprintf(stderr, "%s: unreadable answer: %s\n", who, je.text);
    if (resp.status != 200) {
        fprintf(stderr, "%s: %s\n", who,
                jstr(out, "message") ? jstr(out, "message") : buf_str(&resp.body));
        json_decref(out);
        out = NULL;
    }
    buf_dispose(&resp.body);
done:
    free(text);
    arena_free(a);
    return out;
}
