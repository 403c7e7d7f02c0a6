/* Input constraints from the AWS models, checked in one place for every call.
 *
 * The facts (string and list lengths, numeric ranges, enums, Java-style patterns) come
 * from botocore's service-2.json, matched to ferry's model tables at build time by
 * tools/modelgen (build/gen/constraints.c); required members from the aws-sdk model. */
#ifndef FERRY_PROTO_VALIDATE_H
#define FERRY_PROTO_VALIDATE_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/model.h"

enum { PC_MIN = 1, PC_MAX = 2, PC_SENSITIVE = 4 };

/* One shape's constraints: length (strings: UTF-16 units as AWS counts; lists and maps:
 * entries) or value range for numbers, a pattern, an enum. */
typedef struct proto_constraint {
    double min, max;          /* valid when flags has PC_MIN / PC_MAX */
    uint8_t flags;            /* PC_*; PC_SENSITIVE: the value is never echoed */
    const char *pattern;      /* Java-style regular expression (whole value), or NULL */
    const char *const *enums; /* allowed values, or NULL */
    size_t nenums;
} proto_constraint;

/* The constraints of one member entry (a structure member, a list's item, a map's key or
 * value), as indexes into its service's cons, -1 for none: its value's; when it is a list,
 * its items'; when a map, its keys' (item) and values' (value). */
typedef struct proto_mcon {
    int32_t self, item, value;
} proto_mcon;

/* A service's constraints: member_con[i] for the service's i-th member entry. */
typedef struct proto_cset {
    const char *stem;
    const proto_constraint *cons;
    size_t ncons;
    const proto_mcon *member_con;
    size_t nmembers;
} proto_cset;

/* Generated (build/gen/constraints.c), in the order of proto_services. */
extern const proto_cset proto_csets[];
extern const size_t proto_ncsets;

/* The constraint on svc's member m, or NULL. */
const proto_constraint *proto_member_constraint(const proto_service *svc, const proto_member *m);

/* 1 when pattern compiles as validation compiles model patterns (one that does not is
 * logged once and not checked). */
int proto_pattern_compiles(const char *pattern);

/* Checks in against op's input shape: required members, lengths, ranges, enums, patterns.
 * Members not in the model are ignored; a string member that is not a JSON string is an
 * error ("Member must be a string"); other type mismatches are not checked (the codecs
 * decoded client input by the model already). Returns 0, or -1 with
 * every failure in one message, worded and coded as AWS answers for svc (see the table
 * in validate.c); -1 with InternalFailure on allocation failure. */
int proto_validate(const proto_service *svc, const proto_op *op, const json_t *in, ferr *e);

#endif
