/* Organization facts for authorization: SCP layers, org id and paths. SCP documents
 * arrive with the Organizations policy operations; the org id is known now. */
#include <string.h>

#include "org.h"
#include "svc/authz.h"

int org_authz(call *c, const char *account, authz_org *out)
{
    memset(out, 0, sizeof(*out));
    json_t *org = NULL;
    int rc = org_get(c->txn, &org, c->err);
    if (rc <= 0) return rc;
    json_t *acct = NULL;
    if (org_get_account(c->txn, account, &acct, c->err) == 1) {
        out->org_id = arena_strdup(c->a, json_string_value(json_object_get(org, "Id")));
        out->exempt = !strcmp(account, json_string_value(json_object_get(org, "MasterAccountId")));
    }
    json_decref(acct);
    json_decref(org);
    return 0;
}
