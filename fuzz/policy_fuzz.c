/* libFuzzer target: parse the input as a policy of every kind and, when it is
 * accepted, evaluate it in its slot against fixed requests (user, role session,
 * cross-account, anonymous, service), then build the AccessDenied message and the trail's
 * explanation of the refusal (svc/authzwhy.h), and read it as IAM's reports do (inspect.h:
 * context keys, services granted); and find each statement's place in the raw text as the
 * simulator does (span.h), whether it parsed or not.
 * Seeds: fuzz/corpus/policy_fuzz/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "iam/eval.h"
#include "iam/inspect.h"
#include "iam/policy.h"
#include "iam/span.h"
#include "svc/authzwhy.h"

static const char *v_ip[] = {"203.0.113.9"};
static const char *v_time[] = {"2026-05-01T12:00:00Z"};
static const char *v_epoch[] = {"1777636800"};
static const char *v_true[] = {"true"};
static const char *v_region[] = {"us-east-1"};
static const char *v_tags[] = {"team", "env"};
static const char *v_src[] = {"arn:aws:sns:us-east-1:111122223333:topic"};
static const char *v_num[] = {"10"};
static const iam_ctx_key keys[] = {
    {"aws:SourceIp", v_ip, 1},
    {"aws:CurrentTime", v_time, 1},
    {"aws:EpochTime", v_epoch, 1},
    {"aws:SecureTransport", v_true, 1},
    {"aws:RequestedRegion", v_region, 1},
    {"aws:TagKeys", v_tags, 2},
    {"aws:SourceArn", v_src, 1},
    {"s3:max-keys", v_num, 1},
    {"aws:CalledVia", NULL, 0},
};
static const iam_tag tags[] = {{"team", "red"}, {"cost", "*?${x}"}};
static const char *paths[] = {"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"};

static void principals(principal p[4])
{
    memset(p, 0, 4 * sizeof(*p));
    p[0].kind = PRIN_USER;
    strcpy(p[0].account, "111122223333");
    strcpy(p[0].arn, "arn:aws:iam::111122223333:user/bob");
    strcpy(p[0].name, "bob");
    strcpy(p[0].userid, "AIDAEXAMPLE");
    p[1].kind = PRIN_ASSUMED_ROLE;
    strcpy(p[1].account, "111122223333");
    strcpy(p[1].arn, "arn:aws:sts::111122223333:assumed-role/Dev/s");
    strcpy(p[1].role_arn, "arn:aws:iam::111122223333:role/Dev");
    strcpy(p[1].userid, "AROAEXAMPLE:s");
    p[2].kind = PRIN_ROOT;
    strcpy(p[2].account, "444455556666");
    strcpy(p[2].arn, "arn:aws:iam::444455556666:root");
    p[3].kind = PRIN_SERVICE;
    strcpy(p[3].service, "sns.amazonaws.com");
}

static void run(const iam_policy *pol, int kind)
{
    static const char *actions[] = {"s3:GetObject", "sqs:SendMessage", "iam:CreateUser"};
    static const char *resources[] = {"arn:aws:s3:::bucket/home/bob/x",
                                      "arn:aws:sqs:us-east-1:111122223333:q", NULL};
    principal p[4];
    principals(p);
    const iam_policy *one[1] = {pol};
    iam_policy_set set = {one, 1};
    for (int pi = 0; pi < 5; pi++) {
        for (int ai = 0; ai < 3; ai++) {
            iam_request r = {0};
            r.principal = pi < 4 ? &p[pi] : NULL;
            r.action = actions[ai];
            r.resource = resources[ai];
            r.resource_account = "111122223333";
            r.keys = keys;
            r.nkeys = sizeof(keys) / sizeof(keys[0]);
            r.principal_tags = tags;
            r.nprincipal_tags = 2;
            r.org_id = "o-a1b2c3d4e5";
            r.org_paths = paths;
            r.norg_paths = 1;
            switch (kind) {
            case IAM_KIND_RESOURCE:
            case IAM_KIND_TRUST: r.resource_policy = pol; break;
            case IAM_KIND_SCP:
                r.scp_layers = &set;
                r.nscp_layers = 1;
                break;
            case IAM_KIND_BOUNDARY: r.boundary = set; break;
            case IAM_KIND_SESSION: r.session = set; break;
            default: r.identity = set; break;
            }
            iam_result res;
            iam_evaluate(&r, &res);
            char msg[512];
            iam_denied_message(&r, &res, msg, sizeof(msg));
            if (res.decision != IAM_ALLOW) json_decref(authzwhy_decision(&r, &res, NULL, NULL));
        }
    }
}

/* Every key handed out is a counted, readable string. */
static int count_key(void *ud, const char *key, size_t len)
{
    size_t *n = ud;
    for (size_t i = 0; i < len; i++) *n += (unsigned char)key[i] != 0;
    return 0;
}

static void inspect(const iam_policy *p)
{
    size_t n = 0;
    iam_policy_context_keys(p, count_key, &n);
    static const char *svcs[] = {"s3", "sqs", "iam", "", "s3:"};
    for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++)
        (void)iam_policy_allows_service(p, svcs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < 4; i++) {
        iam_pos a, b;
        if (iam_stmt_span((const char *)data, size, i, &a, &b)) break;
    }
    for (int kind = IAM_KIND_IDENTITY; kind <= IAM_KIND_MANAGED; kind++) {
        ferr e = {0};
        iam_policy *p = iam_policy_parse((const char *)data, size, kind, &e);
        if (!p) continue;
        (void)iam_policy_nstatements(p);
        run(p, kind);
        inspect(p);
        iam_policy_free(p);
    }
    return 0;
}
