/* What the EC2 CloudFormation providers (prov_ec2.c, prov_sg.c) share: an EC2 resource
 * type's create, describe and delete operations, and the steps every provider takes with
 * them. Ownership as in engine/stacks/prov_int.h: `in` arguments are stolen. */
#ifndef FERRY_PROV_EC2_H
#define FERRY_PROV_EC2_H
#include <jansson.h>

#include "engine/stacks/provider.h"

typedef struct prov_ec2_kind {
    const char *create_op, *out_key, *id_key; /* "CreateVpc", "Vpc" (NULL: the reply), "VpcId" */
    const char *describe_op, *list_key, *ids_key; /* "DescribeVpcs", "Vpcs", "VpcIds" */
    const char *delete_op, *delete_key;           /* "DeleteVpc", "VpcId" */
    int delete_list;                              /* delete_key takes a list of ids */
} prov_ec2_kind;

/* Announces "cfn:" (cfn_intent: the resource is found again by the stack's tags), calls
 * k's create operation with in and gives the new resource's id (malloc'd) and, when made
 * is not NULL, its document (new reference). */
int prov_ec2_create(const prov_ec2_kind *k, cfn_pctx *p, json_t *in, char **id, json_t **made);
/* Deletes id ("cfn:": what the stack's logical resource made, if anything); gone is done. */
int prov_ec2_del(const prov_ec2_kind *k, cfn_pctx *p, const char *id);
/* The resource's document (new reference). */
int prov_ec2_describe(const prov_ec2_kind *k, cfn_pctx *p, const char *id, json_t **doc);
/* prov_call of ec2 op with in, an error saying the thing is not there counting as done. */
int prov_ec2_gone_ok(cfn_pctx *p, const char *op, json_t *in);
/* TagSpecifications for props' Tags and the stack's (aws:cloudformation:*) tags. NULL: OOM. */
json_t *prov_ec2_tag_specs(cfn_pctx *p, const json_t *pr, const char *type);
/* Makes id's tags those of np (and the stack's). */
int prov_ec2_sync_tags(cfn_pctx *p, const char *id, const json_t *np);

#endif
