/* AWS::CodeBuild::ReportGroup. Ref = the report group's ARN; GetAtt Arn, Name. Name (generated
 * when absent) and Type replace; ExportConfig and Tags change in place (UpdateReportGroup);
 * DeleteReports says whether deleting the resource deletes the group's reports with it (when
 * false, a group that has reports cannot be deleted, as AWS answers). */
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "codebuild_int.h"
#include "engine/stacks/prov_int.h"

static const prov_prop schema[] = {
    {"Name", PT_STR, 0},           {"Type", PT_STR, 1},  {"ExportConfig", PT_OBJECT, 1},
    {"DeleteReports", PT_BOOL, 0}, {"Tags", PT_TAGS, 0}, {NULL, 0, 0},
};

/* CloudFormation's ExportConfig ({Type, S3Destination: {Bucket, ...}}) as the API's. */
static json_t *export_config(const json_t *ec)
{
    static const char *const s3keys[][2] = {
        {"Bucket", "bucket"},
        {"BucketOwner", "bucketOwner"},
        {"Path", "path"},
        {"Packaging", "packaging"},
        {"EncryptionKey", "encryptionKey"},
        {"EncryptionDisabled", "encryptionDisabled"},
    };
    const char *type = jstr(ec, "Type");
    json_t *out = json_pack("{s:s}", "exportConfigType", type ? type : "NO_EXPORT");
    const json_t *s3 = json_object_get(ec, "S3Destination");
    int rc = !out;
    if (out && json_is_object(s3)) {
        json_t *d = json_object();
        rc = !d || json_object_set_new(out, "s3Destination", d);
        for (size_t i = 0; !rc && i < sizeof(s3keys) / sizeof(s3keys[0]); i++) {
            json_t *v = json_object_get(s3, s3keys[i][0]);
            if (!v) continue;
            /* CloudFormation gives booleans as text too */
            if (!strcmp(s3keys[i][0], "EncryptionDisabled") && json_is_string(v))
                rc = json_object_set_new(d, s3keys[i][1],
                                         json_boolean(!strcmp(json_string_value(v), "true")));
            else
                rc = json_object_set(d, s3keys[i][1], v);
        }
    }
    return jdone(out, rc);
}

/* The stack's and the resource's tags as CodeBuild's [{key, value}]. */
static json_t *tags_of(cfn_pctx *p, const json_t *pr)
{
    json_t *t = prov_tags(p, json_object_get(pr, "Tags"), 0), *out = json_array();
    int rc = !t || !out;
    size_t i;
    json_t *v;
    json_array_foreach(rc ? NULL : t, i, v)
        rc |= json_array_append_new(out, json_pack("{s:O, s:O}", "key", json_object_get(v, "Key"),
                                                   "value", json_object_get(v, "Value")));
    json_decref(t);
    return jdone(out, rc);
}

static int check(cfn_pctx *p, const json_t *pr)
{
    const char *t = jstr(pr, "Type");
    if (strcmp(t, "TEST") && strcmp(t, "CODE_COVERAGE"))
        return prov_invalid(p, "#/Type: %s is not a valid enum value", t);
    return 0;
}

static int attrs_of(cfn_pctx *p, const char *arn, json_t **attrs)
{
    const char *slash = strrchr(arn, '/');
    *attrs = json_pack("{s:s, s:s}", "Arn", arn, "Name", slash ? slash + 1 : arn);
    return *attrs ? 0 : ferr_oom(p->e);
}

static int rg_del(cfn_pctx *p, const char *id, const json_t *props)
{
    json_t *out = NULL;
    if (prov_call(p, "codebuild", "BatchGetReportGroups",
                  json_pack("{s:[s]}", "reportGroupArns", id), &out))
        return -1;
    int gone = !json_array_size(json_object_get(out, "reportGroups"));
    json_decref(out);
    if (gone) return 0;
    return prov_call(
        p, "codebuild", "DeleteReportGroup",
        json_pack("{s:s, s:b}", "arn", id, "deleteReports", jbool(props, "DeleteReports", 0)),
        NULL);
}

static int rg_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    const char *name = jstr(pr, "Name");
    json_t *ec = export_config(json_object_get(pr, "ExportConfig")), *tags = tags_of(p, pr);
    char *arn = NULL;
    if (asprintf(&arn, "arn:%s:codebuild:%s:%s:report-group/%s", arn_partition(p->region),
                 p->region, p->account, name) < 0)
        arn = NULL;
    json_t *in = ec && tags && arn ? json_pack("{s:s, s:s, s:O, s:O}", "name", name, "type",
                                               jstr(pr, "Type"), "exportConfig", ec, "tags", tags)
                                   : NULL;
    json_decref(ec);
    json_decref(tags);
    int rc = !in ? ferr_oom(p->e) : cfn_intent(p, arn);
    if (!rc) rc = prov_call(p, "codebuild", "CreateReportGroup", json_incref(in), NULL);
    json_decref(in);
    if (!rc) rc = attrs_of(p, arn, attrs);
    if (rc) {
        free(arn);
        return -1;
    }
    *id = arn;
    return 0;
}

static int rg_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                     const json_t *np)
{
    (void)s, (void)op;
    json_t *ec = export_config(json_object_get(np, "ExportConfig")), *tags = tags_of(p, np);
    json_t *in = ec && tags
                     ? json_pack("{s:s, s:O, s:O}", "arn", id, "exportConfig", ec, "tags", tags)
                     : NULL;
    json_decref(ec);
    json_decref(tags);
    return in ? prov_call(p, "codebuild", "UpdateReportGroup", in, NULL) : ferr_oom(p->e);
}

static int rg_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    return attrs_of(p, id, attrs);
}

static const prov_shape shape = {
    .schema = schema,
    .check = check,
    .make = rg_make,
    .change = rg_change,
    .attrs = rg_attrs,
    .del = rg_del,
};

static const char *const replace_on[] = {"Name", "Type", NULL};

const cfn_provider cfn_provider_codebuild_report_group = {
    .type = "AWS::CodeBuild::ReportGroup",
    .shape = &shape,
    .del = rg_del,
    .replace_on = replace_on,
    .name_property = "Name",
    .name_max = 128,
};
