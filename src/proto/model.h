/* AWS API model tables, generated at build time by tools/modelgen from the pinned
 * aws-sdk apis/<stem>.min.json (see src/proto/services.list). Everything here is const
 * and process-wide; lookups never allocate. */
#ifndef FERRY_PROTO_MODEL_H
#define FERRY_PROTO_MODEL_H
#include <stddef.h>
#include <stdint.h>

typedef enum proto_protocol {
    PROTO_QUERY,
    PROTO_EC2,
    PROTO_JSON,
    PROTO_REST_JSON,
    PROTO_REST_XML,
} proto_protocol;

typedef enum proto_type {
    PT_STRING,
    PT_INTEGER, /* also byte/short */
    PT_LONG,
    PT_BOOLEAN,
    PT_FLOAT,
    PT_DOUBLE,
    PT_TIMESTAMP,
    PT_BLOB,
    PT_STRUCTURE,
    PT_LIST,
    PT_MAP,
} proto_type;

/* Where a member is bound in a REST request/response. */
typedef enum proto_location {
    PL_BODY,
    PL_HEADER,
    PL_HEADERS, /* prefix map, locationName is the prefix */
    PL_QUERY,
    PL_URI,
    PL_STATUS,
} proto_location;

typedef enum proto_tsfmt { TS_DEFAULT, TS_ISO8601, TS_RFC822, TS_UNIX } proto_tsfmt;

enum {
    PM_REQUIRED = 1 << 0,
    PM_FLATTENED = 1 << 1,
    PM_XMLATTR = 1 << 2,
    PM_JSONVALUE = 1 << 3,
    PM_IDEMPOTENCY = 1 << 4,
    PM_HOSTLABEL = 1 << 5,
    PM_STREAMING = 1 << 6,
    PM_EVENTSTREAM = 1 << 7,
};

/* A reference to a shape with its traits merged (shape-level traits, then the
 * reference's own overriding them, as botocore resolves them). Used for structure
 * members, list members, map keys/values and operation inputs/outputs. */
typedef struct proto_member {
    const char *name;     /* member name; NULL for list member / op refs, "key"/"value" for maps */
    const char *loc_name; /* locationName or NULL */
    const char *xmlns;    /* xmlNamespace uri or NULL */
    const char *xmlns_prefix; /* xmlNamespace prefix or NULL */
    uint16_t shape;           /* index into the service's shapes */
    uint8_t location;         /* proto_location */
    uint8_t tsfmt;            /* proto_tsfmt */
    uint16_t flags;           /* PM_* */
    const char *query_name;   /* queryName (the ec2 protocol's request name) or NULL */
} proto_member;

enum { PS_UNION = 1, PS_DOCUMENT = 2, PS_EXCEPTION = 4 };

typedef struct proto_shape {
    uint8_t type;      /* proto_type */
    uint8_t flags;     /* PS_* */
    int16_t payload;   /* structure: index (within its members) of the payload member, or -1 */
    uint16_t nmembers; /* structure: members; list: 1; map: 2 (key, value) */
    uint32_t first;    /* index of the first member in the service's members */
} proto_shape;

typedef struct proto_op {
    const char *name;
    const char *method;         /* HTTP method ("POST" when the model has none) */
    const char *uri;            /* requestUri template ("/" when none) */
    const char *result_wrapper; /* query output wrapper element or NULL */
    int32_t input, output;      /* member index of the input/output ref, -1 when none */
    uint16_t response_code;     /* 200 unless the model says otherwise */
    uint8_t deprecated; /* the model marks it so (S3's PutBucketNotification: another operation
                           takes the same request, see proto_rest_match) */
} proto_op;

typedef struct proto_service {
    const char *stem; /* "sqs-2012-11-05" */
    const char *endpoint_prefix;
    const char *signing_name;  /* signingName, else endpointPrefix */
    const char *target_prefix; /* json X-Amz-Target prefix or NULL */
    const char *json_version;  /* "1.0"/"1.1" or NULL */
    const char *api_version;
    const char *xml_namespace; /* or NULL */
    const char *service_id;
    uint8_t protocol;         /* proto_protocol */
    uint8_t query_compatible; /* awsQueryCompatible */
    const proto_op *ops;      /* sorted by name (strcmp) */
    size_t nops;
    const proto_shape *shapes;
    size_t nshapes;
    const proto_member *members;
    size_t nmembers;
} proto_service;

/* Generated registry (build/gen/models.c). */
extern const proto_service *const proto_services[];
extern const size_t proto_nservices;

/* Lookups; all return borrowed pointers into the tables, or NULL. */
const proto_service *proto_service_by_signing_name(const char *name); /* also endpoint prefix */
/* 1 when s's stem is name and a date ("apigatewayv2" of "apigatewayv2-2018-11-29"). */
int proto_stem_is(const proto_service *s, const char *name);
const proto_service *proto_service_by_target(const char *prefix, size_t n);
/* 1 when an X-Amz-Target prefix names the model's targetPrefix (full or short form). */
int proto_target_matches(const char *model_prefix, const char *prefix, size_t n);
const proto_service *proto_service_by_stem(const char *stem);
const proto_op *proto_op_by_name(const proto_service *svc, const char *name);
const proto_op *proto_op_by_namen(const proto_service *svc, const char *name, size_t n);

static inline const proto_shape *proto_shape_at(const proto_service *s, uint32_t i)
{
    return &s->shapes[i];
}
static inline const proto_member *proto_member_at(const proto_service *s, int32_t i)
{
    return i < 0 ? NULL : &s->members[i];
}
/* The shape a member refers to. */
static inline const proto_shape *proto_member_shape(const proto_service *s, const proto_member *m)
{
    return &s->shapes[m->shape];
}
/* i-th member of a structure (list: 0 = member; map: 0 = key, 1 = value). */
static inline const proto_member *proto_shape_member(const proto_service *s, const proto_shape *sh,
                                                     size_t i)
{
    return &s->members[sh->first + i];
}
/* Structure member by model name (linear: structures are small), or NULL. */
const proto_member *proto_struct_member(const proto_service *s, const proto_shape *sh,
                                        const char *name);
/* The operation's input/output structure shape, or NULL when absent. */
const proto_shape *proto_op_input(const proto_service *s, const proto_op *op);
const proto_shape *proto_op_output(const proto_service *s, const proto_op *op);

#endif
