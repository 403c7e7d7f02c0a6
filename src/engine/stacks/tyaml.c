/* A template body: JSON when it starts with '{', else CloudFormation YAML (base/yaml.c with
 * the short-form tags). */
#include <string.h>

#include "base/yaml.h"
#include "template.h"

json_t *cfn_template_parse(const char *body, size_t len, ferr *e)
{
    if (!body || !len) {
        ferr_validation(e, "Template format error: the template is empty");
        return NULL;
    }
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", body[i])) i++;
    json_t *t;
    if (i < len && body[i] == '{') {
        json_error_t je;
        t = json_loadb(body, len, JSON_DECODE_ANY, &je);
        if (!t) {
            /* jansson: an allocation that failed mid-parse leaves no code and no position */
            if (json_error_code(&je) == json_error_out_of_memory ||
                (json_error_code(&je) == json_error_unknown && je.line < 0)) {
                ferr_oom(e);
                return NULL;
            }
            ferr_validation(e, "Template format error: JSON not well-formed. (line %d, column %d)",
                            je.line, je.column);
            return NULL;
        }
    } else {
        t = yaml_to_json_opts(body, len, YAML_CFN, e);
        if (!t) return NULL;
        if (json_is_null(t)) {
            json_decref(t);
            ferr_validation(e, "Template format error: the template is empty");
            return NULL;
        }
    }
    if (!json_is_object(t)) {
        json_decref(t);
        ferr_validation(e, "Template format error: not a valid template: the template must be "
                           "a JSON object or a YAML mapping");
        return NULL;
    }
    return t;
}
