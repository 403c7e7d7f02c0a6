/* Access logs: the format renderer (a real parser of $context references: fuzzed by
 * fuzz/apigw_accesslog_fuzz.c) and the delivery through the log shipper functions and
 * builds use (engine/fn_logs.h). See accesslog.h. */
#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "auth/principal.h"
#include "base/arn.h"
#include "base/clock.h"
#include "engine/fn_logs.h"

#define CTX "$context."

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* The scalar at the dotted name (n bytes) in ctx, as text in t (cap tn), or NULL. */
static const char *lookup(const json_t *ctx, const char *name, size_t n, char *t, size_t tn)
{
    const json_t *cur = ctx;
    for (size_t i = 0; cur && i < n;) {
        size_t j = i;
        while (j < n && name[j] != '.') j++;
        char key[128];
        if (j - i >= sizeof(key) || !json_is_object(cur)) return NULL;
        memcpy(key, name + i, j - i);
        key[j - i] = 0;
        cur = json_object_get(cur, key);
        i = j + 1;
    }
    if (json_is_string(cur)) return json_string_value(cur);
    if (json_is_integer(cur)) {
        snprintf(t, tn, "%lld", (long long)json_integer_value(cur));
        return t;
    }
    if (json_is_real(cur)) {
        snprintf(t, tn, "%g", json_real_value(cur));
        return t;
    }
    if (json_is_boolean(cur)) return json_is_true(cur) ? "true" : "false";
    return NULL;
}

int apigw_accesslog_render(const char *fmt, const json_t *ctx, buf *out)
{
    const size_t cl = strlen(CTX);
    for (const char *p = fmt; *p;) {
        const char *at = strstr(p, CTX);
        if (!at) {
            buf_puts(out, p);
            break;
        }
        buf_put(out, p, (size_t)(at - p));
        const char *name = at + cl;
        size_t n = 0;
        /* a dotted name: parts of name characters; a trailing '.' is the text's */
        while (name_char(name[n]) || (name[n] == '.' && n && name_char(name[n + 1]))) n++;
        if (!n) {
            buf_put(out, at, cl);
            p = name;
            continue;
        }
        char t[64];
        const char *v = lookup(ctx, name, n, t, sizeof(t));
        buf_puts(out, v && *v ? v : "-");
        p = name + n;
    }
    return out->failed ? -1 : 0;
}

int apigw_accesslog_check(const char *dest, const char *fmt, const char *account,
                          const char *region, const char *code, ferr *e)
{
    if (dest) {
        char pre[160];
        snprintf(pre, sizeof(pre), "arn:%s:logs:%s:%s:log-group:", arn_partition(region), region,
                 account);
        size_t pl = strlen(pre), dl = strlen(dest);
        /* AWS names the group's ARN with or without its ":*" */
        if (strncmp(dest, pre, pl) || dl == pl || (dest[dl - 1] == '*' && dl < pl + 3))
            return ferr_set(e, 400, code, "Invalid ARN specified in the request: %s", dest);
    }
    if (fmt) {
        const char *nl = strchr(fmt, '\n');
        if (nl && nl[1])
            return ferr_set(e, 400, code,
                            "Access Log format must be single line, new line character is "
                            "allowed only at end of the format");
        int ok = 0;
        for (const char *p = fmt; (p = strstr(p, CTX)); p += strlen(CTX)) {
            const char *n = p + strlen(CTX);
            if ((!strncmp(n, "requestId", 9) && !name_char(n[9])) ||
                (!strncmp(n, "extendedRequestId", 17) && !name_char(n[17])))
                ok = 1;
        }
        if (!ok)
            return ferr_set(e, 400, code,
                            "Access Log format must contain either $context.requestId or "
                            "$context.extendedRequestId");
    }
    return 0;
}

void apigw_accesslog_write(const char *account, const char *dest, const char *stream,
                           const char *line)
{
    /* arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*] */
    char region[32], group[512];
    const char *p = dest;
    for (int i = 0; i < 3 && p; i++) p = strchr(p, ':'), p = p ? p + 1 : NULL;
    const char *re = p ? strchr(p, ':') : NULL;
    const char *g = re ? strstr(re, ":log-group:") : NULL;
    if (!p || !re || !g || (size_t)(re - p) >= sizeof(region)) return;
    snprintf(region, sizeof(region), "%.*s", (int)(re - p), p);
    g += strlen(":log-group:");
    size_t gl = strcspn(g, ":");
    if (!gl || gl >= sizeof(group)) return;
    snprintf(group, sizeof(group), "%.*s", (int)gl, g);
    apigw_logs_put(account, region, group, stream, line);
}

void apigw_logs_put(const char *account, const char *region, const char *group, const char *stream,
                    const char *line)
{
    /* AWS writes access logs with the account's CloudWatch role; ferry writes them as the
     * account itself, on API Gateway's behalf (the trail says invokedBy apigateway) */
    principal who = {.kind = PRIN_ROOT};
    snprintf(who.account, sizeof(who.account), "%s", account);
    snprintf(who.arn, sizeof(who.arn), "arn:%s:iam::%s:root", arn_partition(region), account);
    snprintf(who.userid, sizeof(who.userid), "%s", account);
    snprintf(who.service, sizeof(who.service), "apigateway.amazonaws.com");
    fn_logs_put(region, group, stream, &who, clock_now(), line, strlen(line));
}
