/* RAM invitations (to accounts outside the organization, or inside it while sharing with
 * the organization is off) and EnableSharingWithAwsOrganization. See ram_int.h. */
#include <string.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "ram_int.h"
#include "svc/organizations/organizations.h"

typedef struct inv_find {
    const char *share, *account; /* account NULL: any */
    json_t *found;               /* array */
} inv_find;

static int inv_cb(void *ud, const store_key *k, json_t *doc)
{
    inv_find *f = ud;
    if (!strcmp(jstr(doc, "resourceShareArn"), f->share) &&
        (!f->account || !strcmp(k->account, f->account)))
        return json_array_append(f->found, doc);
    return 0;
}

/* Share's invitations (to account, NULL: to anyone) into an arena array. */
static json_t *invitations_of(call *c, const json_t *share, const char *account)
{
    inv_find f = {jstr(share, "resourceShareArn"), account, arena_defer_json(c->a, json_array())};
    if (!f.found) return ferr_oom(c->err), NULL;
    if (store_list(c->txn, RAM_INV_KIND, account, c->region, NULL, NULL, 0, inv_cb, &f, c->err) < 0)
        return NULL;
    return f.found;
}

static const char *inv_id(const char *arn)
{
    const char *s = strrchr(arn, '/');
    return s ? s + 1 : "";
}

static int inv_save(call *c, const json_t *inv)
{
    store_key k = {RAM_INV_KIND, jstr(inv, "receiverAccountId"), c->region,
                   inv_id(jstr(inv, "resourceShareInvitationArn"))};
    return store_put(c->txn, &k, inv, c->err);
}

int ram_invite(call *c, const json_t *share, const char *account)
{
    json_t *have = invitations_of(c, share, account), *x;
    if (!have) return -1;
    size_t i;
    json_array_foreach(have, i, x) {
        if (!strcmp(jstr(x, "status"), "PENDING")) return 0;
    }
    char id[37];
    ids_uuid(id);
    const char *arn = arena_printf(c->a, "arn:%s:ram:%s:%s:resource-share-invitation/%s",
                                   arn_partition(c->region), c->region, c->account, id);
    json_t *inv = arena_defer_json(
        c->a, json_pack("{s:s?, s:O, s:O, s:s, s:s, s:f, s:s}", "resourceShareInvitationArn", arn,
                        "resourceShareName", json_object_get(share, "name"), "resourceShareArn",
                        json_object_get(share, "resourceShareArn"), "senderAccountId", c->account,
                        "receiverAccountId", account, "invitationTimestamp", clock_now(), "status",
                        "PENDING"));
    if (!inv || !arn) return ferr_oom(c->err);
    return inv_save(c, inv);
}

int ram_invites_withdraw(call *c, const json_t *share, const char *principal)
{
    /* the invitation goes to the principal's account (an IAM ARN names it at 13) */
    const char *iam = principal ? arn_rest(principal, "iam") : NULL;
    const char *account = iam ? arena_strndup(c->a, iam + 2, 12) : principal;
    json_t *have = invitations_of(c, share, account), *x;
    if (!have) return -1;
    size_t i;
    json_array_foreach(have, i, x) {
        if (strcmp(jstr(x, "status"), "PENDING")) continue;
        if (jset_str(x, "status", "EXPIRED")) return ferr_oom(c->err);
        if (inv_save(c, x)) return -1;
    }
    return 0;
}

/* The shape of an invitation: the document less its own members. */
static json_t *inv_view(const json_t *inv)
{
    json_t *v = json_deep_copy(inv);
    if (v) json_object_del(v, "_principal");
    return v;
}

int ram_op_get_resource_share_invitations(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "ram:GetResourceShareInvitations", "*")) return -1;
    const json_t *arns = json_object_get(in, "resourceShareInvitationArns"),
                 *shares = json_object_get(in, "resourceShareArns");
    size_t i;
    json_t *x;
    json_array_foreach(arns, i, x) {
        if (!arn_rest(json_string_value(x), "ram")) return ram_malformed(c, json_string_value(x));
    }
    json_t *all = call_doc_list(c, RAM_INV_KIND, NULL),
           *list = arena_defer_json(c->a, json_array());
    if (!all) return -1;
    if (!list) return ferr_oom(c->err);
    json_array_foreach(all, i, x) {
        if (!ram_listed(arns, jstr(x, "resourceShareInvitationArn")) ||
            !ram_listed(shares, jstr(x, "resourceShareArn")))
            continue;
        if (json_array_append_new(list, inv_view(x))) return ferr_oom(c->err);
    }
    return ram_page(c, in, list, "resourceShareInvitations", out);
}

/* The caller's invitation arn authorized for action, and its share (NULL when gone), both
 * in the arena: 0, or -1 (MalformedArnException, ResourceShareInvitationArnNotFound...). */
static int inv_load(call *c, const char *action, const char *arn, json_t **inv, json_t **share)
{
    char owner[13], region[32];
    const char *rest = arn_rest(arn, "ram");
    if (!rest || ram_arn_owner(arn, owner, region) || !strstr(rest, ":resource-share-invitation/"))
        return ram_malformed(c, arn ? arn : "");
    /* the receiver's own: its policies decide, though the ARN names the sender's account */
    if (call_authorize_ex(
            c, &(authz_req){.action = action, .resource = arn, .resource_account = c->account}))
        return -1;
    store_key k = call_key(c, RAM_INV_KIND, inv_id(arn));
    int rc = strcmp(region, c->region) ? 0 : store_get(c->txn, &k, inv, c->err);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "ResourceShareInvitationArnNotFoundException",
                        "ResourceShareInvitation %s could not be found.", arn);
    if (!arena_defer_json(c->a, *inv)) return ferr_oom(c->err);
    char o2[13], r2[32];
    const char *share_arn = jstr(*inv, "resourceShareArn"), *sid = strrchr(share_arn, '/');
    if (ram_arn_owner(share_arn, o2, r2) || !sid) return ferr_internal(c->err, "bad share ARN");
    store_key sk = {RAM_SHARE_KIND, o2, r2, sid + 1};
    *share = NULL;
    rc = store_get(c->txn, &sk, share, c->err);
    if (rc < 0) return -1;
    if (rc && !arena_defer_json(c->a, *share)) return ferr_oom(c->err);
    return 0;
}

/* The invitation's status allows what the caller asks: accepted ones only when accepted_ok. */
static int inv_open(call *c, const json_t *inv, int accepted_ok)
{
    const char *st = jstr(inv, "status"), *arn = jstr(inv, "resourceShareInvitationArn");
    if (!strcmp(st, "PENDING") || (accepted_ok && !strcmp(st, "ACCEPTED"))) return 0;
    if (!strcmp(st, "ACCEPTED"))
        return ferr_set(c->err, 400, "ResourceShareInvitationAlreadyAcceptedException",
                        "ResourceShareInvitation %s has already been accepted.", arn);
    if (!strcmp(st, "REJECTED"))
        return ferr_set(c->err, 400, "ResourceShareInvitationAlreadyRejectedException",
                        "ResourceShareInvitation %s has already been rejected.", arn);
    return ferr_set(c->err, 400, "ResourceShareInvitationExpiredException",
                    "ResourceShareInvitation %s has expired.", arn);
}

/* Accepts or rejects the caller's invitation in in. */
static int respond(call *c, json_t *in, json_t **out, int accept)
{
    int seen = ram_token_seen(c, in, out);
    if (seen) return seen < 0 ? -1 : 0;
    const char *arn = jstr(in, "resourceShareInvitationArn");
    json_t *inv, *share;
    if (inv_load(c,
                 accept ? "ram:AcceptResourceShareInvitation" : "ram:RejectResourceShareInvitation",
                 arn, &inv, &share) ||
        inv_open(c, inv, 0))
        return -1;
    /* the share's principal (the account, or an IAM ARN of it) joins, or leaves */
    double now = clock_now();
    const char *p;
    json_t *a;
    json_object_foreach(json_object_get(share, "principals"), p, a) {
        if (strcmp(jstr(a, "status"), "ASSOCIATING")) continue;
        const char *iam = arn_rest(p, "iam");
        if (strcmp(p, c->account) && !(iam && !strncmp(iam + 2, c->account, 12))) continue;
        if (jset_str(a, "status", accept ? "ASSOCIATED" : "DISASSOCIATED") ||
            json_object_set_new(a, "lastUpdatedTime", json_real(now)))
            return ferr_oom(c->err);
        if (!accept && jset_str(a, "statusMessage", "The invitation was rejected."))
            return ferr_oom(c->err);
    }
    if (share && ram_share_save(c, share)) return -1;
    if (jset_str(inv, "status", accept ? "ACCEPTED" : "REJECTED")) return ferr_oom(c->err);
    if (inv_save(c, inv)) return -1;
    call_resource(c, "AWS::RAM::ResourceShareInvitation", arn);
    *out = svc_out(c, json_pack("{s:o}", "resourceShareInvitation", inv_view(inv)));
    return *out ? ram_token_keep(c, in, *out) : -1;
}

int ram_op_list_pending_invitation_resources(call *c, json_t *in, json_t **out)
{
    json_t *inv, *share, *list = arena_defer_json(c->a, json_array()), *r;
    if (!list) return ferr_oom(c->err);
    if (inv_load(c, "ram:ListPendingInvitationResources", jstr(in, "resourceShareInvitationArn"),
                 &inv, &share) ||
        inv_open(c, inv, 1))
        return -1;
    const char *arn;
    json_object_foreach(json_object_get(share, "resources"), arn, r) {
        if (strcmp(jstr(r, "status"), "ASSOCIATED")) continue;
        json_t *v = ram_resource_view(share, arn, r);
        if (json_array_append_new(list, v)) return ferr_oom(c->err);
    }
    return ram_page(c, in, list, "resources", out);
}

int ram_op_accept_resource_share_invitation(call *c, json_t *in, json_t **out)
{
    return respond(c, in, out, 1);
}

int ram_op_reject_resource_share_invitation(call *c, json_t *in, json_t **out)
{
    return respond(c, in, out, 0);
}

int ram_op_enable_sharing_with_aws_organization(call *c, json_t *in, json_t **out)
{
    (void)in;
    if (call_authorize(c, "ram:EnableSharingWithAwsOrganization", "*")) return -1;
    json_t *org = NULL;
    int rc = org_get(c->txn, &org, c->err);
    if (rc < 0) return -1;
    if (!arena_defer_json(c->a, org) && org) return ferr_oom(c->err);
    if (!rc)
        return ferr_set(c->err, 400, "OperationNotPermittedException",
                        "Your account is not a member of an organization.");
    /* AWS: only the management account turns it on, for the whole organization */
    if (strcmp(jstr(org, "MasterAccountId"), c->account))
        return ferr_set(c->err, 400, "OperationNotPermittedException",
                        "Only the management account of the organization can enable sharing "
                        "with AWS Organizations.");
    store_key k = {RAM_ORG_KIND, "", "", "sharing"};
    json_t *d = arena_defer_json(c->a, json_pack("{s:b, s:O, s:f}", "enabled", 1, "organizationId",
                                                 json_object_get(org, "Id"), "time", clock_now()));
    if (!d) return ferr_oom(c->err);
    if (store_put(c->txn, &k, d, c->err)) return -1;
    *out = svc_out(c, json_pack("{s:b}", "returnValue", 1));
    return 0;
}
