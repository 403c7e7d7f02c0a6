/* YAML -> JSON via libyaml's document API. Scalars become strings (plain true/false/null
 * and numbers are typed when untagged and unquoted); tags are ignored here. */
#ifndef FERRY_YAML_H
#define FERRY_YAML_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* New reference, or NULL with e (400 "ValidationError" naming line and column). */
json_t *yaml_to_json(const char *text, size_t len, ferr *e);

#endif
