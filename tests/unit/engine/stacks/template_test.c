/* The template language (src/engine/stacks/template.c, tyaml.c): short forms, intrinsics,
 * conditions, parameters, dependencies and cycles; and the fuzz corpus replayed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/stacks/template.h"

#define LLVMFuzzerTestOneInput template_fuzz_one
#include "../../../../fuzz/template_fuzz.c"

static json_t *parse(const char *s)
{
    ferr e = {0};
    json_t *t = cfn_template_parse(s, strlen(s), &e);
    if (!t) fail_msg("parse: %s", e.message);
    return t;
}

static void short_forms(void **st)
{
    (void)st;
    json_t *t = parse("Resources:\n"
                      "  A:\n"
                      "    Type: T\n"
                      "    Properties:\n"
                      "      R: !Ref X\n"
                      "      G: !GetAtt B.Outputs.Name\n"
                      "      L: !GetAtt [B, Arn]\n"
                      "      S: !Sub '${X}'\n"
                      "      C: !Condition Cond\n"
                      "      N: !Select [0, !Split [',', 'a,b']]\n"
                      "      Q: '123'\n"
                      "      I: 0123\n");
    json_t *p =
        json_object_get(json_object_get(json_object_get(t, "Resources"), "A"), "Properties");
    char *s = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(
        s, "{\"C\":{\"Condition\":\"Cond\"},\"G\":{\"Fn::GetAtt\":[\"B\",\"Outputs.Name\"]},"
           "\"I\":\"0123\",\"L\":{\"Fn::GetAtt\":[\"B\",\"Arn\"]},"
           "\"N\":{\"Fn::Select\":[0,{\"Fn::Split\":[\",\",\"a,b\"]}]},\"Q\":\"123\","
           "\"R\":{\"Ref\":\"X\"},\"S\":{\"Fn::Sub\":\"${X}\"}}");
    free(s);
    json_decref(t);
}

static void parse_errors(void **st)
{
    (void)st;
    ferr e = {0};
    assert_null(cfn_template_parse("a: [\n", 5, &e));
    assert_string_equal(e.code, "ValidationError");
    assert_non_null(strstr(e.message, "Template format error: YAML not well-formed. (line 2"));
    ferr_clear(&e);
    assert_null(cfn_template_parse("{\n \"a\": }", 10, &e));
    assert_non_null(strstr(e.message, "JSON not well-formed. (line 2"));
    ferr_clear(&e);
    assert_null(cfn_template_parse("- a\n", 4, &e));
    ferr_clear(&e);
    assert_null(cfn_template_parse("", 0, &e));
}

static json_t *resolve_str(const char *tpl, const char *output, ferr *e)
{
    json_t *t = parse(tpl);
    json_t *res =
        json_pack("{s:{s:s, s:{s:s}}}", "A", "Ref", "a-phys", "Attributes", "Arn", "arn:a");
    json_t *params = json_pack("{s:s, s:[ss]}", "P", "pv", "L", "x", "y");
    cfn_ctx x = {.tpl = t,
                 .account = "111122223333",
                 .region = "eu-west-1",
                 .stack_name = "st",
                 .stack_id = "sid",
                 .params = params,
                 .conds = json_object(),
                 .res = res,
                 .strict = 1};
    json_t *v = cfn_resolve(
        &x, json_object_get(json_object_get(json_object_get(t, "Outputs"), output), "Value"), e);
    json_decref(x.conds);
    json_decref(res);
    json_decref(params);
    json_decref(t);
    return v;
}

static const char *TPL =
    "Parameters:\n  P: {Type: String}\n  L: {Type: CommaDelimitedList}\n"
    "Mappings:\n  M: {eu-west-1: {K: mapped}}\n"
    "Conditions:\n  Yes: !Equals [!Ref P, pv]\n  No: !Not [!Condition Yes]\n"
    "Resources:\n  A: {Type: T}\n"
    "Outputs:\n"
    "  Sub: {Value: !Sub '${P}/${A}/${A.Arn}/${AWS::Region}/${!x}/${ AWS::AccountId }'}\n"
    "  SubMap: {Value: !Sub ['${a}${b}', {a: !Ref P, b: 1}]}\n"
    "  Join: {Value: !Join ['-', !Ref L]}\n"
    "  Map: {Value: !FindInMap [M, !Ref 'AWS::Region', K]}\n"
    "  If: {Value: !If [No, a, !If [Yes, b, c]]}\n"
    "  Part: {Value: !Ref AWS::Partition}\n"
    "  Cidr: {Value: !Select [1, !Cidr [192.168.0.0/24, 4, 6]]}\n"
    "  NoVal: {Value: !Join [',', [a, !Ref AWS::NoValue, b]]}\n"
    "  BadSel: {Value: !Select [9, !Ref L]}\n"
    "  BadAtt: {Value: !GetAtt A.Nope}\n"
    "  BadFn: {Value: !Nope x}\n";

static void intrinsics(void **st)
{
    (void)st;
    static const struct {
        const char *out, *want;
    } cases[] = {
        {"Sub", "pv/a-phys/arn:a/eu-west-1/${x}/111122223333"},
        {"SubMap", "pv1"},
        {"Join", "x-y"},
        {"Map", "mapped"},
        {"If", "b"},
        {"Part", "aws"},
        {"Cidr", "192.168.0.64/26"},
        {"NoVal", "a,b"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ferr e = {0};
        json_t *v = resolve_str(TPL, cases[i].out, &e);
        if (!v) fail_msg("%s: %s", cases[i].out, e.message);
        assert_string_equal(json_string_value(v), cases[i].want);
        json_decref(v);
    }
    static const struct {
        const char *out, *msg;
    } bad[] = {
        {"BadSel", "Template error: Fn::Select cannot select nonexistent value at index 9"},
        {"BadAtt", "Template error: resource A does not support attribute type Nope in Fn::GetAtt"},
        {"BadFn",
         "Template error: Encountered unsupported function: Fn::Nope Supported functions are: ["},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr e = {0};
        json_t *v = resolve_str(TPL, bad[i].out, &e);
        assert_null(v);
        assert_non_null(strstr(e.message, bad[i].msg));
    }
}

static void checks(void **st)
{
    (void)st;
    static const struct {
        const char *tpl, *msg;
    } cases[] = {
        {"Resources:\n  A: {Type: T, Properties: {X: !Ref Q}}\n  B: {Type: T, Properties: {X: !Ref "
         "R}}\n",
         "Template format error: Unresolved resource dependencies [Q, R] in the Resources block of "
         "the template"},
        {"Resources:\n  A: {Type: T, Properties: {X: !Sub '${B.Arn}'}}\n  B: {Type: T, DependsOn: "
         "C}\n"
         "  C: {Type: T, Properties: {Y: !Ref A}}\n  D: {Type: T, DependsOn: A}\n",
         "Circular dependency between resources: [A, B, C]"},
        {"Resources:\n  A: {Type: T, DependsOn: A}\n",
         "Circular dependency between resources: [A]"},
        {"Parameters:\n  P: {Type: Foo}\nResources:\n  A: {Type: T}\n",
         "Template format error: Unrecognized parameter type: Foo"},
        {"AWSTemplateFormatVersion: '2011-01-01'\nResources:\n  A: {Type: T}\n",
         "Template format error: Unsupported template format version"},
        {"Conditions:\n  C: !Equals [a]\nResources:\n  A: {Type: T}\n", "Fn::Equals"},
        {"Conditions:\n  C: !Condition D\n  D: !Condition C\nResources:\n  A: {Type: T}\n",
         "circular condition dependency"},
        {"Resources:\n  A: {Type: T, Condition: Missing}\n",
         "Template format error: Unresolved dependencies [Missing]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *t = parse(cases[i].tpl);
        ferr e = {0};
        assert_int_equal(cfn_template_check(t, &e), -1);
        if (!strstr(e.message, cases[i].msg)) fail_msg("case %zu: %s", i, e.message);
        json_decref(t);
    }
    json_t *t = parse("Resources:\n  A: {Type: T, Properties: {X: !Ref B}}\n  B: {Type: T}\n"
                      "  C: {Type: T, DependsOn: [A, B]}\n");
    ferr e = {0};
    assert_int_equal(cfn_template_check(t, &e), 0);
    json_t *ids = json_pack("[sss]", "C", "A", "B");
    json_t *order = cfn_order(t, ids, &e);
    char *s = json_dumps(order, JSON_COMPACT);
    assert_string_equal(s, "[\"B\",\"A\",\"C\"]");
    free(s);
    json_decref(order);
    json_decref(ids);
    json_decref(t);
}

static void parameters(void **st)
{
    (void)st;
    json_t *decl = json_pack("{s:{s:s, s:s}, s:{s:s, s:[ss]}, s:{s:s, s:s}}", "N", "Type", "Number",
                             "Default", "5", "A", "Type", "String", "AllowedValues", "x", "y", "L",
                             "Type", "List<Number>", "Default", "1, 2 ,3");
    json_t *raw = NULL;
    ferr e = {0};
    json_t *given = json_pack("[{s:s, s:s}]", "ParameterKey", "A", "ParameterValue", "y");
    assert_int_equal(cfn_params_bind(decl, given, NULL, &raw, &e), 0);
    json_t *lv =
        cfn_param_value(json_object_get(decl, "L"), json_string_value(json_object_get(raw, "L")));
    char *s = json_dumps(lv, JSON_COMPACT);
    assert_string_equal(s, "[\"1\",\"2\",\"3\"]");
    free(s);
    json_decref(lv);
    json_decref(raw);
    json_decref(given);
    given = json_pack("[{s:s, s:b}]", "ParameterKey", "A", "UsePreviousValue", 1);
    json_t *prev = json_pack("{s:s}", "A", "x");
    assert_int_equal(cfn_params_bind(decl, given, prev, &raw, &e), 0);
    assert_string_equal(json_string_value(json_object_get(raw, "A")), "x");
    json_decref(raw);
    json_decref(given);
    json_decref(prev);
    given = json_pack("[{s:s, s:s}]", "ParameterKey", "L", "ParameterValue", "1,x");
    assert_int_equal(cfn_params_bind(decl, given, NULL, &raw, &e), -1);
    assert_string_equal(e.message, "Parameters: [A] must have values");
    json_decref(given);
    json_decref(decl);
    /* AllowedPattern is Java syntax: \\d, \\w, (?:...), classes inside brackets */
    decl = json_pack("{s:{s:s, s:s}}", "C", "Type", "String", "AllowedPattern",
                     "(?:\\d{1,3}\\.){3}\\d{1,3}/[\\d]{1,2}");
    given = json_pack("[{s:s, s:s}]", "ParameterKey", "C", "ParameterValue", "10.0.0.0/16");
    assert_int_equal(cfn_params_bind(decl, given, NULL, &raw, &e), 0);
    json_decref(raw);
    json_decref(given);
    given = json_pack("[{s:s, s:s}]", "ParameterKey", "C", "ParameterValue", "10.0.0/16x");
    assert_int_equal(cfn_params_bind(decl, given, NULL, &raw, &e), -1);
    assert_non_null(strstr(e.message, "Parameter 'C' must match pattern"));
    json_decref(given);
    json_decref(decl);
}

/* A number is the text the template gave: the shortest that reads back the same, not
 * %.17g's 0.10000000000000001 nor %g's 1.23457e+06. */
static void scalar_text(void **st)
{
    (void)st;
    static const struct {
        const char *json, *scalar, *param;
    } cases[] = {
        {"0.1", "0.1", "0.1"},
        {"1234567.5", "1234567.5", "1234567.5"},
        {"0.30000000000000004", "0.30000000000000004", "0.30000000000000004"},
        {"5", "5", "5"},
        {"true", "true", "true"},
        {"\"x\"", "x", "x"},
        {"[1, 0.5, \"x\", {}]", NULL, "1,0.5,x,"},
        {"{}", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        char *a = cfn_scalar_text(v), *b = cfn_param_text(v);
        if (cases[i].scalar)
            assert_string_equal(a, cases[i].scalar);
        else
            assert_null(a);
        if (cases[i].param)
            assert_string_equal(b, cases[i].param);
        else
            assert_null(b);
        free(a);
        free(b);
        json_decref(v);
    }
    /* a parameter's Default and a Fn::Join of numbers get the same text */
    json_t *t = parse("Parameters:\n  P: {Type: Number, Default: 0.1}\n"
                      "Resources:\n  R: {Type: T}\n");
    json_t *raw = NULL;
    ferr e = {0};
    json_t *given = json_array();
    assert_int_equal(cfn_params_bind(json_object_get(t, "Parameters"), given, NULL, &raw, &e), 0);
    assert_string_equal(json_string_value(json_object_get(raw, "P")), "0.1");
    json_decref(raw);
    json_decref(given);
    json_decref(t);
}

static void capabilities(void **st)
{
    (void)st;
    json_t *t = parse("Resources:\n  R: {Type: AWS::IAM::Role}\n  U: {Type: AWS::IAM::User, "
                      "Properties: {UserName: u}}\n");
    int iam, expand;
    char reason[256];
    cfn_template_capabilities(t, &iam, &expand, reason, sizeof(reason));
    assert_int_equal(iam, 2);
    assert_int_equal(expand, 0);
    assert_string_equal(
        reason, "The following resource(s) require capabilities: [AWS::IAM::Role, AWS::IAM::User]");
    json_decref(t);
}

static void corpus(void **st)
{
    (void)st;
    const char *dir = FERRY_TEST_DATA "/../../fuzz/corpus/template_fuzz";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *ent;
    int n = 0;
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        static char buf[CFN_TEMPLATE_MAX + 1];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        template_fuzz_one((const uint8_t *)buf, len);
        n++;
    }
    closedir(d);
    assert_true(n > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_forms),  cmocka_unit_test(parse_errors),
        cmocka_unit_test(intrinsics),   cmocka_unit_test(checks),
        cmocka_unit_test(parameters),   cmocka_unit_test(scalar_text),
        cmocka_unit_test(capabilities), cmocka_unit_test(corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
