/* AWS Organizations handshakes: inviting an account into the organization
 * (InviteAccountToOrganization) and the invitation's life (Accept, Decline, Cancel,
 * Describe, List...). ferry has standalone accounts: any account whose credentials it
 * knows and that is not in the organization (one that was removed or left, or one
 * configured outside it); an invitation names it by id (Target Type ACCOUNT) or by the
 * email it had in the organization (EMAIL). AWS: the management account invites and
 * cancels, the invited account accepts or declines; an accepted invitation makes the
 * account a member (JoinedMethod INVITED) under the root. Invitations expire after 15
 * days. Documents (global): handshake/<h-id> in AWS's Handshake shape. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/ids.h"
#include "base/jval.h"
#include "organizations.h"
#include "organizations_int.h"

#define EXPIRY_SECONDS (15 * 24 * 3600.0)

static json_t *party(const json_t *h, const char *type)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(h, "Parties"), i, v)
        if (!strcmp(jstr(v, "Type"), type) ||
            (!strcmp(type, "TARGET") && strcmp(jstr(v, "Type"), "ORGANIZATION")))
            return v;
    return NULL;
}

/* The email account had when it was in the organization, or NULL. *former (new ref) keeps
 * it alive. */
static const char *former_email(call *c, const char *account, json_t **former)
{
    store_key k = {"orgformer", "", "", account};
    *former = NULL;
    if (store_get(c->txn, &k, former, c->err) < 0) ferr_clear(c->err);
    return jstr(*former, "Email");
}

/* 1 when account is the invitation's target. */
static int is_target(call *c, const json_t *h, const char *account)
{
    const json_t *p = party(h, "TARGET");
    const char *id = jstr(p, "Id");
    if (!id) return 0;
    if (!strcmp(jstr(p, "Type"), "ACCOUNT")) return !strcmp(id, account);
    json_t *former;
    const char *email = former_email(c, account, &former);
    int rc = email && !strcasecmp(email, id);
    json_decref(former);
    return rc;
}

/* A view of a stored handshake: an OPEN one past its expiry is EXPIRED. */
static json_t *view(json_t *h)
{
    if (!strcmp(jstr(h, "State"), "OPEN") &&
        json_number_value(json_object_get(h, "ExpirationTimestamp")) < clock_now() &&
        jset_str(h, "State", "EXPIRED"))
        return NULL;
    return h;
}

static int load(call *c, const char *id, json_t **h)
{
    store_key k = {"handshake", "", "", id ? id : ""};
    int rc = store_get(c->txn, &k, h, c->err);
    if (rc < 0) return -1;
    if (rc == 0)
        return ferr_set(c->err, 400, "HandshakeNotFoundException",
                        "We can't find a handshake with the HandshakeId that you specified.");
    if (!view(*h)) {
        json_decref(*h);
        return ferr_oom(c->err);
    }
    return 0;
}

static int save(call *c, json_t *h)
{
    store_key k = {"handshake", "", "", jstr(h, "Id")};
    return store_put(c->txn, &k, h, c->err);
}

static int constraint(call *c, const char *reason)
{
    return ferr_set(c->err, 400, "HandshakeConstraintViolationException",
                    "The requested operation would violate the constraint identified in the "
                    "reason code: %s.",
                    reason);
}

static int answer(call *c, json_t *h, json_t **out)
{
    *out = svc_out(c, json_pack("{s:O}", "Handshake", h));
    return 0;
}

typedef struct scan {
    call *c;
    const char *target_of; /* invitations of this account, or NULL: all */
    const char *action;    /* ActionType filter, or NULL */
    json_t *arr;
    int oom;
} scan;

static int scan_cb(void *ud, const store_key *k, json_t *doc)
{
    (void)k;
    scan *s = ud;
    if (s->target_of && !is_target(s->c, doc, s->target_of)) return 0;
    if (s->action && strcmp(jstr(doc, "Action"), s->action)) return 0;
    s->oom = !view(doc) || json_array_append(s->arr, doc);
    return s->oom;
}

static int list(call *c, json_t *in, const char *target_of, json_t **out)
{
    scan s = {c, target_of, jstr(json_object_get(in, "Filter"), "ActionType"), json_array(), 0};
    if (!s.arr) return ferr_oom(c->err);
    if (orgsvc_check_max(c, in, 20) ||
        store_list(c->txn, "handshake", "", "", NULL, NULL, 0, scan_cb, &s, c->err) < 0 ||
        (s.oom && ferr_oom(c->err))) {
        json_decref(s.arr);
        return -1;
    }
    return orgsvc_page(c, in, s.arr, "Handshakes", out);
}

static int open_for(call *c, const char *type, const char *id, int *dup)
{
    scan s = {c, NULL, "INVITE", json_array(), 0};
    *dup = 0;
    if (!s.arr) return ferr_oom(c->err);
    int rc = store_list(c->txn, "handshake", "", "", NULL, NULL, 0, scan_cb, &s, c->err) < 0
                 ? -1
                 : (s.oom ? ferr_oom(c->err) : 0);
    json_t *v;
    size_t i;
    json_array_foreach(s.arr, i, v) {
        const json_t *p = party(v, "TARGET");
        *dup |= !strcmp(jstr(v, "State"), "OPEN") && !strcmp(jstr(p, "Type"), type) &&
                !strcasecmp(jstr(p, "Id"), id);
    }
    json_decref(s.arr);
    return rc;
}

int organizations_op_invite_account_to_organization(call *c, json_t *in, json_t **out)
{
    json_t *org, *member = NULL;
    const json_t *target = json_object_get(in, "Target");
    const char *type = jstr(target, "Type"), *id = jstr(target, "Id"), *notes = jstr(in, "Notes");
    if (call_authorize(c, "organizations:InviteAccountToOrganization", "*") ||
        orgsvc_load(c, 1, &org))
        return -1;
    int rc = 0, dup = 0;
    size_t n = id ? strlen(id) : 0;
    if (!type || !strcmp(type, "ORGANIZATION") ||
        (!strcmp(type, "ACCOUNT") && (n != 12 || strspn(id, "0123456789") != 12)) ||
        (!strcmp(type, "EMAIL") && !strchr(id, '@')))
        rc = ferr_set(c->err, 400, "InvalidInputException",
                      "You specified an invalid value for the Target parameter.");
    if (!rc && !strcmp(type, "ACCOUNT")) {
        rc = org_get_account(c->txn, id, &member, c->err);
        json_decref(member);
        if (rc == 1) rc = constraint(c, "ALREADY_IN_AN_ORGANIZATION");
    }
    if (!rc) rc = open_for(c, type, id, &dup);
    if (!rc && dup)
        rc = ferr_set(c->err, 400, "DuplicateHandshakeException",
                      "A handshake with the same action and target already exists.");
    char hid[16] = "h-", arn[ORG_ARN_MAX], part[16];
    ids_lower_alnum(hid + 2, 10);
    snprintf(arn, sizeof(arn), "arn:%s:organizations::%s:handshake/%s/invite/%s",
             org_partition(org, part), jstr(org, "MasterAccountId"), jstr(org, "Id"), hid);
    double now = clock_now();
    json_t *h =
        rc ? NULL
           : json_pack("{s:s, s:s, s:[{s:O, s:s}, {s:s, s:s}], s:s, s:f, s:f, s:s, "
                       "s:[{s:O, s:s, s:[{s:O, s:s}, {s:s, s:s}, {s:s, s:s}]}, {s:s, "
                       "s:s}]}",
                       "Id", hid, "Arn", arn, "Parties", "Id", json_object_get(org, "Id"), "Type",
                       "ORGANIZATION", "Id", id, "Type", type, "State", "OPEN",
                       "RequestedTimestamp", now, "ExpirationTimestamp", now + EXPIRY_SECONDS,
                       "Action", "INVITE", "Resources", "Value", json_object_get(org, "Id"), "Type",
                       "ORGANIZATION", "Resources", "Value",
                       json_object_get(org, "MasterAccountEmail"), "Type", "MASTER_EMAIL", "Value",
                       "management", "Type", "MASTER_NAME", "Value", "ALL", "Type",
                       "ORGANIZATION_FEATURE_SET", "Value", id, "Type", type);
    json_decref(org);
    if (rc) return -1;
    if (!h) return ferr_oom(c->err);
    if (notes && json_array_append_new(json_object_get(h, "Resources"),
                                       json_pack("{s:s, s:s}", "Value", notes, "Type", "NOTES")))
        rc = ferr_oom(c->err);
    if (!rc) rc = save(c, h);
    if (!rc) rc = answer(c, h, out);
    json_decref(h);
    return rc;
}

/* Loads the handshake for its target (accept, decline) or the organization's management
 * account (cancel): it must be OPEN. */
static int transition(call *c, const char *action, json_t *in, int by_target, json_t **h)
{
    if (call_authorize(c, action, "*")) return -1;
    if (!by_target) {
        json_t *org;
        if (orgsvc_load(c, 1, &org)) return -1;
        json_decref(org);
    }
    if (load(c, jstr(in, "HandshakeId"), h)) return -1;
    int rc = 0;
    if (by_target && !is_target(c, *h, c->account))
        rc = ferr_set(c->err, 403, "AccessDeniedException",
                      "You don't have permissions to access this resource.");
    else if (strcmp(jstr(*h, "State"), "OPEN"))
        rc = ferr_set(c->err, 400, "InvalidHandshakeTransitionException",
                      "You can't perform the operation on the handshake in its current state.");
    if (rc) {
        json_decref(*h);
        *h = NULL;
    }
    return rc;
}

static int finish(call *c, json_t *h, const char *state, json_t **out)
{
    int rc = jset_str(h, "State", state) ? ferr_oom(c->err) : save(c, h);
    if (!rc) rc = answer(c, h, out);
    json_decref(h);
    return rc;
}

int organizations_op_accept_handshake(call *c, json_t *in, json_t **out)
{
    json_t *h = NULL, *org = NULL, *acct = NULL, *former = NULL;
    if (transition(c, "organizations:AcceptHandshake", in, 1, &h)) return -1;
    int rc = org_get(c->txn, &org, c->err);
    /* DeleteOrganization takes its handshakes along: an OPEN one has an organization */
    if (rc == 0) rc = ferr_internal(c->err, "handshake without an organization");
    if (rc == 1) {
        rc = org_get_account(c->txn, c->account, &acct, c->err);
        json_decref(acct);
        acct = NULL;
        if (rc == 1) rc = constraint(c, "ALREADY_IN_AN_ORGANIZATION");
    }
    if (rc == 0) {
        /* the name and email it had, when it was a member before */
        const char *email = former_email(c, c->account, &former);
        char fallback[64];
        snprintf(fallback, sizeof(fallback), "root+%s@example.com", c->account);
        const char *name = jstr(former, "Name");
        store_key k = {"account", "", "", c->account};
        rc = org_add_account(c->txn, org, name ? name : c->account, email ? email : fallback,
                             jstr(json_object_get(org, "Root"), "Id"), c->account, &acct, c->err);
        if (!rc)
            rc = jset_str(acct, "JoinedMethod", "INVITED") ? ferr_oom(c->err)
                                                           : store_put(c->txn, &k, acct, c->err);
        if (!rc) call_resource(c, "AWS::Organizations::Account", c->account);
    }
    json_decref(former);
    json_decref(acct);
    json_decref(org);
    if (rc) {
        json_decref(h);
        return -1;
    }
    return finish(c, h, "ACCEPTED", out);
}

int organizations_op_decline_handshake(call *c, json_t *in, json_t **out)
{
    json_t *h = NULL;
    if (transition(c, "organizations:DeclineHandshake", in, 1, &h)) return -1;
    return finish(c, h, "DECLINED", out);
}

int organizations_op_cancel_handshake(call *c, json_t *in, json_t **out)
{
    json_t *h = NULL;
    if (transition(c, "organizations:CancelHandshake", in, 0, &h)) return -1;
    return finish(c, h, "CANCELED", out);
}

int organizations_op_describe_handshake(call *c, json_t *in, json_t **out)
{
    json_t *h = NULL, *org = NULL;
    if (call_authorize(c, "organizations:DescribeHandshake", "*") ||
        load(c, jstr(in, "HandshakeId"), &h))
        return -1;
    /* either side may look: the organization's management account or the target */
    int mine = is_target(c, h, c->account);
    if (!mine && org_get(c->txn, &org, c->err) == 1)
        mine = !strcmp(jstr(org, "MasterAccountId"), c->account);
    json_decref(org);
    int rc = mine ? answer(c, h, out)
                  : ferr_set(c->err, 400, "HandshakeNotFoundException",
                             "We can't find a handshake with the HandshakeId that you specified.");
    json_decref(h);
    return rc;
}

int organizations_op_list_handshakes_for_account(call *c, json_t *in, json_t **out)
{
    if (call_authorize(c, "organizations:ListHandshakesForAccount", "*")) return -1;
    return list(c, in, c->account, out);
}

int organizations_op_list_handshakes_for_organization(call *c, json_t *in, json_t **out)
{
    json_t *org;
    if (call_authorize(c, "organizations:ListHandshakesForOrganization", "*") ||
        orgsvc_load(c, 1, &org))
        return -1;
    json_decref(org);
    return list(c, in, NULL, out);
}
