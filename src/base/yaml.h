/* YAML -> JSON, the one converter: ferry init configs and CloudFormation templates.
 *
 * Plain (unquoted, untagged) scalars are typed by the YAML 1.2 core schema: null (~, null,
 * empty), booleans (true/false in three casings), integers (decimal, 0x hex, 0o octal) and
 * floats. One departure, on purpose: a decimal with a leading zero ("0123", "012345678901")
 * stays text. AWS CloudFormation reads templates with YAML 1.1 rules, under which 0300 is
 * octal 192 and 012345678901 a float; the 1.2 core schema would make it 12345678901. Both
 * lose an account id's leading zero, so ferry keeps the text as written. Numbers JSON
 * cannot hold exactly (integers past 64 bits, .inf, .nan) also stay text. Quoted scalars
 * are always text. */
#ifndef FERRY_YAML_H
#define FERRY_YAML_H
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* The most text (scalars and keys, in bytes) a document may expand to, each copy an alias
 * makes counted again. CloudFormation's largest template is 1 MB (from S3; 51,200 bytes
 * inline) and one without aliases expands to less than its own size: 8x that leaves room
 * for anchors while a request's converted document stays in the tens of MB at most (with
 * the 200,000-node cap), where a 23 KB alias bomb would otherwise take 800 MiB. */
#define YAML_MAX_BYTES (8 * 1024 * 1024)

enum {
    /* CloudFormation short forms: "!Ref X" is {"Ref": "X"}, "!Condition X" {"Condition": "X"},
     * "!GetAtt A.B" {"Fn::GetAtt": ["A", "B"]}, any other "!Name v" {"Fn::Name": v}; errors
     * read "Template format error: ..." as AWS words them. Without it, tags are ignored. */
    YAML_CFN = 1,
};

/* New reference (JSON null for an empty document), or NULL with e (400 "ValidationError"
 * naming line and column, or the node or byte bound passed). opts: YAML_* flags. */
json_t *yaml_to_json_opts(const char *text, size_t len, unsigned opts, ferr *e);
/* yaml_to_json_opts without options. */
json_t *yaml_to_json(const char *text, size_t len, ferr *e);

/* The JSON value of a plain scalar by the rules above (new reference, NULL on OOM). */
json_t *yaml_plain_scalar(const char *v, size_t len);

#endif
