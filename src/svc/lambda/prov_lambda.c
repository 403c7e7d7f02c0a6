/* CloudFormation providers for Lambda: AWS::Lambda::Function, Permission, Version, Alias,
 * EventInvokeConfig, LayerVersion and LayerVersionPermission, each through the lambda service as the stack
 * (engine/stacks/prov_int.h). Ref and GetAtt as AWS documents them: Function: Ref the name,
 * Arn; Version: Ref the version's ARN, Version; Alias: Ref the alias ARN; LayerVersion: Ref
 * the version's ARN; Permission, LayerVersionPermission and EventInvokeConfig: their ids
 * (EventInvokeConfig's: the qualified function ARN it configures). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "base/enc.h"
#include "base/zip.h"
#include "engine/stacks/prov_int.h"

/* What AWS adds beside inline Python code (Code.ZipFile): `import cfnresponse`. */
static const char cfnresponse_py[] =
    "# cfnresponse: the module CloudFormation adds beside inline code (AWS's interface).\n"
    "import json\n"
    "import urllib.request\n\n"
    "SUCCESS = \"SUCCESS\"\n"
    "FAILED = \"FAILED\"\n\n\n"
    "def send(event, context, responseStatus, responseData, physicalResourceId=None,\n"
    "         noEcho=False, reason=None):\n"
    "    body = json.dumps({\n"
    "        \"Status\": responseStatus,\n"
    "        \"Reason\": reason or \"See the details in CloudWatch Log Stream: \" +\n"
    "        context.log_stream_name,\n"
    "        \"PhysicalResourceId\": physicalResourceId or context.log_stream_name,\n"
    "        \"StackId\": event[\"StackId\"],\n"
    "        \"RequestId\": event[\"RequestId\"],\n"
    "        \"LogicalResourceId\": event[\"LogicalResourceId\"],\n"
    "        \"NoEcho\": noEcho,\n"
    "        \"Data\": responseData,\n"
    "    }).encode()\n"
    "    print(\"Response body:\", body.decode())\n"
    "    req = urllib.request.Request(event[\"ResponseURL\"], data=body, method=\"PUT\",\n"
    "                                 headers={\"Content-Type\": \"\",\n"
    "                                          \"Content-Length\": str(len(body))})\n"
    "    try:\n"
    "        with urllib.request.urlopen(req) as r:\n"
    "            print(\"Status code:\", r.status)\n"
    "    except Exception as e:\n"
    "        print(\"send(..) failed executing http.request(..):\", e)\n";

/* ... and beside inline Node code: `require('cfn-response')`. */
static const char cfnresponse_js[] =
    "// cfn-response: the module CloudFormation adds beside inline code (AWS's interface).\n"
    "exports.SUCCESS = \"SUCCESS\";\n"
    "exports.FAILED = \"FAILED\";\n"
    "exports.send = function (event, context, responseStatus, responseData, physicalResourceId,"
    " noEcho) {\n"
    "  return new Promise((resolve, reject) => {\n"
    "    const body = JSON.stringify({\n"
    "      Status: responseStatus,\n"
    "      Reason: \"See the details in CloudWatch Log Stream: \" + context.logStreamName,\n"
    "      PhysicalResourceId: physicalResourceId || context.logStreamName,\n"
    "      StackId: event.StackId, RequestId: event.RequestId,\n"
    "      LogicalResourceId: event.LogicalResourceId, NoEcho: noEcho || false,\n"
    "      Data: responseData,\n"
    "    });\n"
    "    console.log(\"Response body:\\n\", body);\n"
    "    const url = new URL(event.ResponseURL);\n"
    "    const mod = url.protocol === \"https:\" ? require(\"https\") : require(\"http\");\n"
    "    const req = mod.request(url, { method: \"PUT\", headers: { \"content-type\": \"\",\n"
    "      \"content-length\": Buffer.byteLength(body) } }, (res) => {\n"
    "      console.log(\"Status code: \" + res.statusCode);\n"
    "      res.resume();\n"
    "      res.on(\"end\", () => { if (context.done) context.done(); resolve(); });\n"
    "    });\n"
    "    req.on(\"error\", (err) => {\n"
    "      console.log(\"send(..) failed executing https.request(..): \" + err);\n"
    "      if (context.done) context.done();\n"
    "      reject(err);\n"
    "    });\n"
    "    req.write(body);\n"
    "    req.end();\n"
    "  });\n"
    "};\n";

/* ---- AWS::Lambda::Function ---- */

static const prov_prop fn_schema[] = {
    {"Architectures", PT_STRLIST, 0},
    {"Code", PT_OBJECT, 1},
    {"DeadLetterConfig", PT_OBJECT, 0},
    {"Description", PT_STR, 0},
    {"Environment", PT_OBJECT, 0},
    {"EphemeralStorage", PT_OBJECT, 0},
    {"FunctionName", PT_STR, 0},
    {"Handler", PT_STR, 0},
    {"KmsKeyArn", PT_STR, 0},
    {"Layers", PT_STRLIST, 0},
    {"LoggingConfig", PT_OBJECT, 0},
    {"MemorySize", PT_INT, 0},
    {"PackageType", PT_STR, 0},
    {"ReservedConcurrentExecutions", PT_INT, 0},
    {"Role", PT_STR, 1},
    {"Runtime", PT_STR, 0},
    {"Tags", PT_TAGS, 0},
    {"Timeout", PT_INT, 0},
    {"TracingConfig", PT_OBJECT, 0},
    {"VpcConfig", PT_OBJECT, 0},
    {NULL, 0, 0},
};

/* The configuration members CreateFunction and UpdateFunctionConfiguration take as given. */
static const char *const fn_config[] = {
    "Description", "Environment",      "Handler",          "MemorySize",
    "Role",        "Runtime",          "Timeout",          "TracingConfig",
    "Layers",      "DeadLetterConfig", "EphemeralStorage", "KMSKeyArn"};

static const char *config_prop(const char *member)
{
    return strcmp(member, "KMSKeyArn") ? member : "KmsKeyArn";
}

/* The Code property as the API's Code: inline source becomes a package of index.py or
 * index.js with AWS's response module beside it. */
static json_t *code_input(cfn_pctx *p, const json_t *pr)
{
    const json_t *code = json_object_get(pr, "Code");
    const char *src = jstr(code, "ZipFile"), *rt = jstr(pr, "Runtime");
    if (!src) {
        json_t *in = json_object();
        const char *keys[] = {"S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri"};
        for (size_t i = 0; in && i < sizeof(keys) / sizeof(keys[0]); i++)
            if (jstr(code, keys[i]) && jset_str(in, keys[i], jstr(code, keys[i]))) {
                json_decref(in);
                in = NULL;
            }
        if (!in) ferr_oom(p->e);
        return in;
    }
    const char *names[2], *texts[2] = {src, NULL};
    if (rt && !strncmp(rt, "python", 6)) {
        names[0] = "index.py", names[1] = "cfnresponse.py", texts[1] = cfnresponse_py;
    } else if (rt && !strncmp(rt, "nodejs", 6)) {
        names[0] = "index.js", names[1] = "node_modules/cfn-response/index.js";
        texts[1] = cfnresponse_js;
    } else {
        prov_invalid(p, "#/Code/ZipFile: inline code is supported for python and nodejs "
                        "runtimes only");
        return NULL;
    }
    unsigned char *zip;
    size_t len;
    if (zipar_write_mem(names, texts, 2, &zip, &len, p->e)) return NULL;
    arena *a = arena_new(len * 2 + 64);
    char *b64 = a ? enc_b64(a, zip, len) : NULL;
    json_t *in = b64 ? json_pack("{s:s}", "ZipFile", b64) : NULL;
    arena_free(a);
    free(zip);
    if (!in) ferr_oom(p->e);
    return in;
}

static char *fn_arn(cfn_pctx *p, const char *name)
{
    char *s = NULL;
    if (asprintf(&s, "arn:%s:lambda:%s:%s:function:%s", arn_partition(p->region), p->region,
                 p->account, name) < 0)
        return NULL;
    return s;
}

static int fn_del(cfn_pctx *p, const char *name, const json_t *props)
{
    (void)props;
    return prov_call_gone_ok(p, NULL, "lambda", "DeleteFunction",
                             json_pack("{s:s}", "FunctionName", name));
}

static int set_concurrency(cfn_pctx *p, const char *name, const json_t *n)
{
    if (!n)
        return prov_call(p, "lambda", "DeleteFunctionConcurrency",
                         json_pack("{s:s}", "FunctionName", name), NULL);
    return prov_call(
        p, "lambda", "PutFunctionConcurrency",
        json_pack("{s:s, s:O}", "FunctionName", name, "ReservedConcurrentExecutions", n), NULL);
}

static int fn_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *name = prov_name(p, pr, "FunctionName", 64, 0);
    json_t *code = name ? code_input(p, pr) : NULL;
    json_t *tags = code ? prov_tags(p, json_object_get(pr, "Tags"), 1) : NULL;
    json_t *in = tags ? json_pack("{s:s, s:o, s:o}", "FunctionName", name, "Code", code, "Tags",
                                  prov_tags_map(tags))
                      : NULL;
    int rc = in ? 0 : (ferr_isset(p->e) ? -1 : ferr_oom(p->e));
    if (!in) json_decref(code);
    for (size_t i = 0; !rc && i < sizeof(fn_config) / sizeof(fn_config[0]); i++) {
        json_t *v = json_object_get(pr, config_prop(fn_config[i]));
        if (v && json_object_set(in, fn_config[i], v)) rc = ferr_oom(p->e);
    }
    if (!rc && json_object_get(pr, "Architectures") &&
        json_object_set(in, "Architectures", json_object_get(pr, "Architectures")))
        rc = ferr_oom(p->e);
    json_decref(tags);
    if (!rc)
        rc = prov_refuse_existing(p, "AWS::Lambda::Function", name, "lambda", "GetFunction",
                                  json_pack("{s:s}", "FunctionName", name)) ||
             cfn_intent(p, name) || prov_call(p, "lambda", "CreateFunction", json_incref(in), NULL);
    json_decref(in);
    const json_t *conc = json_object_get(pr, "ReservedConcurrentExecutions");
    if (!rc && conc && set_concurrency(p, name, conc)) rc = prov_undo(p, fn_del, name, pr);
    if (rc) {
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static int fn_attrs(const prov_shape *s, cfn_pctx *p, const char *name, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    /* GetFunction, as AWS's handlers do: a deployment role granted lambda:GetFunction but
     * not lambda:GetFunctionConfiguration (P08's CloudFormationDeploymentRole) can create it */
    if (prov_call(p, "lambda", "GetFunction", json_pack("{s:s}", "FunctionName", name), &out))
        return -1;
    *attrs = json_pack("{s:O}", "Arn",
                       json_object_get(json_object_get(out, "Configuration"), "FunctionArn"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int fn_change(const prov_shape *s, cfn_pctx *p, const char *name, const json_t *op,
                     const json_t *np)
{
    (void)s;
    int rc = 0;
    if (!prov_same(json_object_get(op, "Code"), json_object_get(np, "Code")) ||
        !prov_same(json_object_get(op, "Architectures"), json_object_get(np, "Architectures"))) {
        json_t *in = code_input(p, np);
        if (!in || jset_str(in, "FunctionName", name) ||
            (json_object_get(np, "Architectures") &&
             json_object_set(in, "Architectures", json_object_get(np, "Architectures"))))
            rc = ferr_isset(p->e) ? -1 : ferr_oom(p->e);
        if (!rc) rc = prov_call(p, "lambda", "UpdateFunctionCode", json_incref(in), NULL);
        json_decref(in);
    }
    int same = 1;
    for (size_t i = 0; i < sizeof(fn_config) / sizeof(fn_config[0]); i++)
        same &= prov_same(json_object_get(op, config_prop(fn_config[i])),
                          json_object_get(np, config_prop(fn_config[i])));
    if (!rc && !same) {
        json_t *in = json_pack("{s:s}", "FunctionName", name);
        for (size_t i = 0; in && i < sizeof(fn_config) / sizeof(fn_config[0]); i++) {
            json_t *v = json_object_get(np, config_prop(fn_config[i]));
            if (v && json_object_set(in, fn_config[i], v)) rc = ferr_oom(p->e);
        }
        rc = rc || !in
                 ? ferr_oom(p->e)
                 : prov_call(p, "lambda", "UpdateFunctionConfiguration", json_incref(in), NULL);
        json_decref(in);
    }
    const json_t *oc = json_object_get(op, "ReservedConcurrentExecutions"),
                 *nc = json_object_get(np, "ReservedConcurrentExecutions");
    if (!rc && !prov_same(oc, nc)) rc = set_concurrency(p, name, nc);
    char *arn = rc ? NULL : fn_arn(p, name);
    if (!rc && !arn) rc = ferr_oom(p->e);
    static const prov_tagging tagging = {"lambda",      "Resource",      "ListTags",
                                         "TagResource", "UntagResource", 1};
    if (!rc) rc = prov_sync_tags(p, &tagging, arn, np);
    free(arn);
    return rc;
}

static const prov_shape fn_shape = {
    .schema = fn_schema,
    .make = fn_make,
    .change = fn_change,
    .attrs = fn_attrs,
    .del = fn_del,
};

static const char *const fn_replace_on[] = {"FunctionName", "PackageType", NULL};

const cfn_provider cfn_provider_lambda_function = {
    .type = "AWS::Lambda::Function",
    .shape = &fn_shape,
    .del = fn_del,
    .replace_on = fn_replace_on,
};

/* ---- AWS::Lambda::Permission: id "FUNCTION|STATEMENTID" ---- */

static const prov_prop perm_schema[] = {
    {"Action", PT_STR, 1},
    {"EventSourceToken", PT_STR, 0},
    {"FunctionName", PT_STR, 1},
    {"FunctionUrlAuthType", PT_STR, 0},
    {"Principal", PT_STR, 1},
    {"PrincipalOrgID", PT_STR, 0},
    {"SourceAccount", PT_STR, 0},
    {"SourceArn", PT_STR, 0},
    {NULL, 0, 0},
};

/* Splits "A|B" into a (malloc'd) and b (inside it). */
static char *split(const char *id, const char **b)
{
    char *a = strdup(id);
    char *bar = a ? strrchr(a, '|') : NULL;
    if (!bar) {
        free(a);
        return NULL;
    }
    *bar = 0;
    *b = bar + 1;
    return a;
}

static int perm_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    const char *sid;
    char *fn = split(id, &sid);
    if (!fn) return 0; /* not one of ours: nothing to undo */
    int rc = prov_call_gone_ok(p, NULL, "lambda", "RemovePermission",
                               json_pack("{s:s, s:s}", "FunctionName", fn, "StatementId", sid));
    free(fn);
    return rc;
}

static int perm_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    char *sid = prov_generated_id(p), *pid = NULL;
    if (!sid || asprintf(&pid, "%s|%s", jstr(pr, "FunctionName"), sid) < 0) {
        free(sid);
        return ferr_oom(p->e);
    }
    json_t *in = json_deep_copy(pr);
    int rc = !in || jset_str(in, "StatementId", sid) ? ferr_oom(p->e) : 0;
    free(sid);
    if (!rc)
        rc = cfn_intent(p, pid) || prov_call(p, "lambda", "AddPermission", in, NULL);
    else
        json_decref(in);
    *attrs = rc ? NULL : json_object();
    if (!rc && !*attrs) rc = ferr_oom(p->e);
    if (rc) {
        free(pid);
        return -1;
    }
    *id = pid;
    return 0;
}

static int no_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s, (void)id;
    *attrs = json_object();
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape perm_shape = {
    .schema = perm_schema,
    .make = perm_make,
    .attrs = no_attrs,
    .del = perm_del,
};

const cfn_provider cfn_provider_lambda_permission = {
    .type = "AWS::Lambda::Permission",
    .shape = &perm_shape,
    .del = perm_del,
};

/* ---- AWS::Lambda::Version: id the version's ARN ---- */

static const prov_prop ver_schema[] = {
    {"CodeSha256", PT_STR, 0},       {"Description", PT_STR, 0},
    {"FunctionName", PT_STR, 1},     {"ProvisionedConcurrencyConfig", PT_OBJECT, 0},
    {"RuntimePolicy", PT_OBJECT, 0}, {NULL, 0, 0},
};

static int ver_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    /* a version ARN names its function and its qualifier */
    if (!strncmp(arn, "arn:", 4) && strrchr(arn, ':'))
        return prov_call_gone_ok(p, NULL, "lambda", "DeleteFunction",
                                 json_pack("{s:s}", "FunctionName", arn));
    return 0;
}

static int ver_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    json_t *in = json_pack("{s:O}", "FunctionName", json_object_get(pr, "FunctionName")),
           *out = NULL;
    if (in && jstr(pr, "Description") && jset_str(in, "Description", jstr(pr, "Description")))
        in = (json_decref(in), NULL);
    if (in && jstr(pr, "CodeSha256") && jset_str(in, "CodeSha256", jstr(pr, "CodeSha256")))
        in = (json_decref(in), NULL);
    if (!in) return ferr_oom(p->e);
    /* the service picks the number: nothing to announce before (a crash leaves a version,
     * as it can leave an IAM access key) */
    if (prov_call(p, "lambda", "PublishVersion", in, &out)) return -1;
    *id = jstr(out, "FunctionArn") ? strdup(jstr(out, "FunctionArn")) : NULL;
    *attrs = json_pack("{s:O, s:O}", "Version", json_object_get(out, "Version"), "FunctionArn",
                       json_object_get(out, "FunctionArn"));
    json_decref(out);
    return *id && *attrs ? 0 : ferr_oom(p->e);
}

static int ver_attrs(const prov_shape *s, cfn_pctx *p, const char *arn, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "lambda", "GetFunctionConfiguration", json_pack("{s:s}", "FunctionName", arn),
                  &out))
        return -1;
    *attrs = json_pack("{s:O, s:O}", "Version", json_object_get(out, "Version"), "FunctionArn",
                       json_object_get(out, "FunctionArn"));
    json_decref(out);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape ver_shape = {
    .schema = ver_schema,
    .make = ver_make,
    .attrs = ver_attrs,
    .del = ver_del,
};

const cfn_provider cfn_provider_lambda_version = {
    .type = "AWS::Lambda::Version",
    .shape = &ver_shape,
    .del = ver_del,
};

/* ---- AWS::Lambda::Alias: id the alias ARN ---- */

static const prov_prop alias_schema[] = {
    {"Description", PT_STR, 0},
    {"FunctionName", PT_STR, 1},
    {"FunctionVersion", PT_STR, 1},
    {"Name", PT_STR, 1},
    {"ProvisionedConcurrencyConfig", PT_OBJECT, 0},
    {"RoutingConfig", PT_OBJECT, 0},
    {NULL, 0, 0},
};

/* "...:function:NAME:ALIAS" -> the function's ARN (malloc'd) and the alias name. */
static char *alias_parts(const char *arn, const char **name)
{
    const char *colon = strrchr(arn, ':');
    if (!colon || !strstr(arn, ":function:")) return NULL;
    *name = colon + 1;
    return strndup(arn, (size_t)(colon - arn));
}

static int alias_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    const char *name;
    char *fn = alias_parts(arn, &name);
    if (!fn) return 0;
    int rc = prov_call_gone_ok(p, NULL, "lambda", "DeleteAlias",
                               json_pack("{s:s, s:s}", "FunctionName", fn, "Name", name));
    free(fn);
    return rc;
}

static json_t *alias_input(const json_t *pr, const char *fn, const char *name)
{
    json_t *in = json_pack("{s:s, s:s, s:O}", "FunctionName", fn, "Name", name, "FunctionVersion",
                           json_object_get(pr, "FunctionVersion"));
    int rc = !in;
    if (!rc && json_object_get(pr, "Description"))
        rc = json_object_set(in, "Description", json_object_get(pr, "Description"));
    if (!rc && json_object_get(pr, "RoutingConfig"))
        rc = json_object_set(in, "RoutingConfig", json_object_get(pr, "RoutingConfig"));
    return jdone(in, rc);
}

/* pr's FunctionName as an ARN qualified with qualifier (malloc'd), or NULL (p->e). */
static char *qualified_arn(cfn_pctx *p, const json_t *pr, const char *qualifier)
{
    json_t *out = NULL;
    if (prov_call(p, "lambda", "GetFunctionConfiguration",
                  json_pack("{s:O}", "FunctionName", json_object_get(pr, "FunctionName")), &out))
        return NULL;
    char *arn = NULL;
    const char *fa = jstr(out, "FunctionArn");
    if (!fa || asprintf(&arn, "%s:%s", fa, qualifier) < 0) arn = NULL;
    json_decref(out);
    if (!arn) ferr_oom(p->e);
    return arn;
}

static int alias_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *arn = qualified_arn(p, pr, jstr(pr, "Name"));
    if (!arn) return -1;
    if (cfn_intent(p, arn) ||
        prov_call(p, "lambda", "CreateAlias",
                  alias_input(pr, jstr(pr, "FunctionName"), jstr(pr, "Name")), NULL)) {
        free(arn);
        return -1;
    }
    *id = arn;
    return 0;
}

static int alias_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                        const json_t *np)
{
    (void)s, (void)op;
    const char *name;
    char *fn = alias_parts(arn, &name);
    if (!fn) return ferr_oom(p->e);
    json_t *in = alias_input(np, fn, name);
    if (in && !json_object_get(np, "RoutingConfig") &&
        json_object_set_new(in, "RoutingConfig", json_object()))
        in = (json_decref(in), NULL);
    int rc = prov_call(p, "lambda", "UpdateAlias", in, NULL);
    free(fn);
    return rc;
}

static const prov_shape alias_shape = {
    .schema = alias_schema,
    .make = alias_make,
    .change = alias_change,
    .attrs = no_attrs,
    .del = alias_del,
};

static const char *const alias_replace_on[] = {"FunctionName", "Name", NULL};

const cfn_provider cfn_provider_lambda_alias = {
    .type = "AWS::Lambda::Alias",
    .shape = &alias_shape,
    .del = alias_del,
    .replace_on = alias_replace_on,
};

/* ---- AWS::Lambda::EventInvokeConfig: id the qualified function ARN ---- */

static const prov_prop eic_schema[] = {
    {"DestinationConfig", PT_OBJECT, 0},
    {"FunctionName", PT_STR, 1},
    {"MaximumEventAgeInSeconds", PT_INT, 0},
    {"MaximumRetryAttempts", PT_INT, 0},
    {"Qualifier", PT_STR, 1},
    {NULL, 0, 0},
};

/* PutFunctionEventInvokeConfig's input: the whole configuration, as CloudFormation states it
 * (what the template leaves out is removed, as Put does). */
static json_t *eic_input(const json_t *pr, const char *fn, const char *qualifier)
{
    json_t *in = json_pack("{s:s, s:s}", "FunctionName", fn, "Qualifier", qualifier);
    const char *copy[] = {"DestinationConfig", "MaximumEventAgeInSeconds", "MaximumRetryAttempts"};
    int rc = !in;
    for (size_t i = 0; !rc && i < sizeof(copy) / sizeof(copy[0]); i++)
        if (json_object_get(pr, copy[i]))
            rc = json_object_set(in, copy[i], json_object_get(pr, copy[i]));
    return jdone(in, rc);
}

static int eic_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s, (void)attrs;
    char *arn = qualified_arn(p, pr, jstr(pr, "Qualifier"));
    if (!arn) return -1;
    const char *q;
    char *fn = alias_parts(arn, &q);
    int rc = !fn ? ferr_oom(p->e)
                 : cfn_intent(p, arn) || prov_call(p, "lambda", "PutFunctionEventInvokeConfig",
                                                   eic_input(pr, fn, q), NULL);
    free(fn);
    if (rc) {
        free(arn);
        return -1;
    }
    *id = arn;
    return 0;
}

static int eic_change(const prov_shape *s, cfn_pctx *p, const char *arn, const json_t *op,
                      const json_t *np)
{
    (void)s, (void)op;
    const char *q;
    char *fn = alias_parts(arn, &q);
    if (!fn) return ferr_oom(p->e);
    int rc = prov_call(p, "lambda", "PutFunctionEventInvokeConfig", eic_input(np, fn, q), NULL);
    free(fn);
    return rc;
}

static int eic_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    const char *q;
    char *fn = alias_parts(arn, &q);
    if (!fn) return 0;
    int rc = prov_call_gone_ok(p, NULL, "lambda", "DeleteFunctionEventInvokeConfig",
                               json_pack("{s:s, s:s}", "FunctionName", fn, "Qualifier", q));
    free(fn);
    return rc;
}

static const prov_shape eic_shape = {
    .schema = eic_schema,
    .make = eic_make,
    .change = eic_change,
    .attrs = no_attrs,
    .del = eic_del,
};

static const char *const eic_replace_on[] = {"FunctionName", "Qualifier", NULL};

const cfn_provider cfn_provider_lambda_event_invoke_config = {
    .type = "AWS::Lambda::EventInvokeConfig",
    .shape = &eic_shape,
    .del = eic_del,
    .replace_on = eic_replace_on,
};

/* ---- AWS::Lambda::LayerVersion: id the version's ARN ---- */

static const prov_prop layer_schema[] = {
    {"CompatibleArchitectures", PT_STRLIST, 0},
    {"CompatibleRuntimes", PT_STRLIST, 0},
    {"Content", PT_OBJECT, 1},
    {"Description", PT_STR, 0},
    {"LayerName", PT_STR, 0},
    {"LicenseInfo", PT_STR, 0},
    {NULL, 0, 0},
};

/* "...:layer:NAME:N" -> the layer's ARN (malloc'd) and N. */
static char *layer_parts(const char *arn, long long *n)
{
    const char *colon = strrchr(arn, ':');
    if (!colon || !strstr(arn, ":layer:")) return NULL;
    *n = atoll(colon + 1);
    return strndup(arn, (size_t)(colon - arn));
}

static int layer_del(cfn_pctx *p, const char *arn, const json_t *props)
{
    (void)props;
    long long n;
    char *layer = layer_parts(arn, &n);
    if (!layer) return 0;
    int rc = prov_call_gone_ok(
        p, NULL, "lambda", "DeleteLayerVersion",
        json_pack("{s:s, s:I}", "LayerName", layer, "VersionNumber", (json_int_t)n));
    free(layer);
    return rc;
}

static int layer_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    char *name = prov_name(p, pr, "LayerName", 64, 0);
    json_t *in = name ? json_deep_copy(pr) : NULL, *out = NULL;
    if (!in || jset_str(in, "LayerName", name)) {
        free(name);
        json_decref(in);
        return ferr_oom(p->e);
    }
    free(name);
    /* the service picks the version number: as AWS::Lambda::Version */
    if (prov_call(p, "lambda", "PublishLayerVersion", in, &out)) return -1;
    *id = jstr(out, "LayerVersionArn") ? strdup(jstr(out, "LayerVersionArn")) : NULL;
    *attrs = json_pack("{s:O}", "LayerVersionArn", json_object_get(out, "LayerVersionArn"));
    json_decref(out);
    return *id && *attrs ? 0 : ferr_oom(p->e);
}

static int layer_attrs(const prov_shape *s, cfn_pctx *p, const char *arn, json_t **attrs)
{
    (void)s;
    *attrs = json_pack("{s:s}", "LayerVersionArn", arn);
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape layer_shape = {
    .schema = layer_schema,
    .make = layer_make,
    .attrs = layer_attrs,
    .del = layer_del,
};

const cfn_provider cfn_provider_lambda_layer_version = {
    .type = "AWS::Lambda::LayerVersion",
    .shape = &layer_shape,
    .del = layer_del,
};

/* ---- AWS::Lambda::LayerVersionPermission: id "LAYERVERSIONARN|STATEMENTID" ---- */

static const prov_prop lperm_schema[] = {
    {"Action", PT_STR, 1},
    {"LayerVersionArn", PT_STR, 1},
    {"OrganizationId", PT_STR, 0},
    {"Principal", PT_STR, 1},
    {NULL, 0, 0},
};

static int lperm_del(cfn_pctx *p, const char *id, const json_t *props)
{
    (void)props;
    const char *sid;
    char *arn = split(id, &sid);
    long long n;
    char *layer = arn ? layer_parts(arn, &n) : NULL;
    int rc = layer
                 ? prov_call_gone_ok(p, NULL, "lambda", "RemoveLayerVersionPermission",
                                     json_pack("{s:s, s:I, s:s}", "LayerName", layer,
                                               "VersionNumber", (json_int_t)n, "StatementId", sid))
                 : 0;
    free(layer);
    free(arn);
    return rc;
}

static int lperm_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    long long n;
    char *layer = layer_parts(jstr(pr, "LayerVersionArn"), &n);
    if (!layer) return prov_invalid(p, "#/LayerVersionArn: not a layer version ARN");
    char *sid = prov_generated_id(p), *pid = NULL;
    json_t *in = NULL;
    if (sid && asprintf(&pid, "%s|%s", jstr(pr, "LayerVersionArn"), sid) >= 0)
        in = json_pack("{s:s, s:I, s:s, s:O, s:O}", "LayerName", layer, "VersionNumber",
                       (json_int_t)n, "StatementId", sid, "Action", json_object_get(pr, "Action"),
                       "Principal", json_object_get(pr, "Principal"));
    else
        pid = NULL;
    free(layer);
    free(sid);
    if (in && jstr(pr, "OrganizationId") &&
        jset_str(in, "OrganizationId", jstr(pr, "OrganizationId")))
        in = (json_decref(in), NULL);
    if (!in) {
        free(pid);
        return ferr_oom(p->e);
    }
    if (cfn_intent(p, pid) || prov_call(p, "lambda", "AddLayerVersionPermission", in, NULL)) {
        free(pid);
        return -1;
    }
    *attrs = json_object();
    *id = pid;
    return *attrs ? 0 : ferr_oom(p->e);
}

static const prov_shape lperm_shape = {
    .schema = lperm_schema,
    .make = lperm_make,
    .attrs = no_attrs,
    .del = lperm_del,
};

const cfn_provider cfn_provider_lambda_layer_version_permission = {
    .type = "AWS::Lambda::LayerVersionPermission",
    .shape = &lperm_shape,
    .del = lperm_del,
};
