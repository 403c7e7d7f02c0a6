/* ferry init: an organization with its accounts, root keys for each, and AWS profiles.
 * Every member account gets OrganizationAccountAccessRole (trusting the management account,
 * AdministratorAccess attached) as AWS gives accounts created in an organization, and a
 * profile <name>-admin that reaches it from the management profile (role_arn +
 * source_profile). Works on the store directly, so it needs no running server (SQLite lets
 * it share the file with one). Running it twice changes nothing: accounts are found by name
 * and keep their ids and keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arn.h"
#include "auth/keys.h"
#include "auth/regions.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/ids.h"
#include "awsconfig.h"
#include "base/jval.h"
#include "base/yaml.h"
#include "cli.h"
#include "svc/organizations/organizations.h"
#include "svc/svc.h"

static const char default_config[] = "management: {name: management}\n"
                                     "accounts:\n"
                                     "  - {name: tools}\n"
                                     "  - {name: dev}\n"
                                     "  - {name: qa}\n"
                                     "  - {name: prod}\n";

/* The "id" of an account in the config: 1 and id[13] when given, 0 when not, -1 when it is
 * not 12 digits. YAML types an unquoted 123456789012 as a number (base/yaml.h); it is the
 * same id, and a leading zero keeps the text. */
static int config_id(const json_t *spec, char id[13], ferr *e)
{
    const json_t *v = json_object_get(spec, "id");
    if (!v || json_is_null(v)) return 0;
    char text[32] = "";
    if (json_is_string(v))
        snprintf(text, sizeof(text), "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    if (strlen(text) != 12 || strspn(text, "0123456789") != 12)
        return ferr_set(e, 2, "BadConfig", "account id %s is not 12 digits",
                        *text ? text : "(not text or a number)");
    memcpy(id, text, 13);
    return 1;
}

/* The account's root key: created once, then the same one every run. */
static int root_key(store_txn *t, const char *account, key_info *k, ferr *e)
{
    store_key rk = {"rootkey", "", "", account};
    json_t *doc = NULL;
    int rc = store_get(t, &rk, &doc, e);
    if (rc < 0) return -1;
    if (rc == 1) {
        rc = keys_lookup(t, jstr(doc, "AccessKeyId"), k, e);
        json_decref(doc);
        if (rc != 0) return rc < 0 ? -1 : 0;
    }
    principal root;
    keys_root_principal(account, &root);
    if (keys_create(t, &root, k, e)) return -1;
    doc = json_pack("{s:s}", "AccessKeyId", k->akid);
    rc = store_put(t, &rk, doc, e);
    json_decref(doc);
    return rc;
}

static char *email_for(const json_t *a, const char *name)
{
    const char *em = jstr(a, "email");
    char *out = malloc(320);
    if (em)
        snprintf(out, 320, "%s", em);
    else
        snprintf(out, 320, "%s@ferry.example.com", name);
    return out;
}

typedef struct made {
    char name[64], id[13];
    char admin[80], role_arn[128]; /* member accounts: the <name>-admin role profile */
    key_info key;
    int created;
} made;

/* The member's OrganizationAccountAccessRole, made through IAM's operations as Organizations
 * makes it (authorized, and in the member's trail). */
static int access_role(ferry_env *env, store_txn *t, const char *region, const char *mgmt, made *m,
                       ferr *e)
{
    arena *a = arena_new(8192);
    if (!a) return ferr_oom(e);
    int rc = org_access_role(env, t, a, region, mgmt, m->id, ORG_ACCESS_ROLE, e);
    arena_free(a);
    snprintf(m->admin, sizeof(m->admin), "%s-admin", m->name);
    snprintf(m->role_arn, sizeof(m->role_arn), "arn:%s:iam::%s:role/%s", arn_partition(region),
             m->id, ORG_ACCESS_ROLE);
    return rc;
}

static int ensure_account(store_txn *t, const json_t *org, const json_t *spec, made *m, ferr *e)
{
    const char *name = jstr(spec, "name");
    if (!name || !*name || strlen(name) >= sizeof(m->name))
        return ferr_set(e, 2, "BadConfig", "every account needs a name (1-63 characters)");
    snprintf(m->name, sizeof(m->name), "%s", name);
    json_t *acct = NULL;
    int rc = org_find_account_by_name(t, name, &acct, e);
    if (rc < 0) return -1;
    if (rc == 0) {
        const char *root = jstr(json_object_get(org, "Root"), "Id");
        const char *parent = root;
        json_t *ou = NULL;
        const char *ouname = jstr(spec, "ou");
        if (ouname) {
            rc = org_find_ou(t, root, ouname, &ou, e);
            if (rc < 0) return -1;
            if (rc == 0 && org_add_ou(t, org, root, ouname, &ou, e)) return -1;
            parent = jstr(ou, "Id");
        }
        char id[13];
        int given = config_id(spec, id, e);
        if (given < 0) {
            json_decref(ou);
            return -1;
        }
        char *email = email_for(spec, name);
        rc = org_add_account(t, org, name, email, parent, given ? id : NULL, &acct, e);
        free(email);
        json_decref(ou);
        if (rc) return -1;
        m->created = 1;
    }
    snprintf(m->id, sizeof(m->id), "%s", jstr(acct, "Id"));
    json_decref(acct);
    return root_key(t, m->id, &m->key, e);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ferry init [--data DIR] [--store URI] [--config FILE] [--aws-config DIR]\n"
            "                  [--endpoint-url URL] [--region REGION] [--regions R1,R2,...]\n");
}

int cli_init(int argc, char **argv)
{
    const char *data = NULL, *config = NULL, *awsdir = NULL, *where = NULL;
    const char *endpoint = "http://127.0.0.1:4566", *region = "us-east-1";
    static const struct option opts[] = {{"data", required_argument, 0, 'd'},
                                         {"store", required_argument, 0, 'O'},
                                         {"config", required_argument, 0, 'c'},
                                         {"aws-config", required_argument, 0, 'a'},
                                         {"endpoint-url", required_argument, 0, 'e'},
                                         {"region", required_argument, 0, 'r'},
                                         {"regions", required_argument, 0, 'R'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'd': data = optarg; break;
        case 'O': where = optarg; break;
        case 'c': config = optarg; break;
        case 'a': awsdir = optarg; break;
        case 'e': endpoint = optarg; break;
        case 'r': region = optarg; break;
        case 'R':
            if (cli_add_regions("init", optarg)) return 2;
            break;
        default: usage(); return 2;
        }
    }
    char datadir[4096], awsbuf[4096];
    if (!data) data = cli_default_data_dir(datadir, sizeof(datadir));
    if (!awsdir) {
        const char *home = getenv("HOME");
        snprintf(awsbuf, sizeof(awsbuf), "%s/.aws", home ? home : ".");
        awsdir = awsbuf;
    }

    ferr e = {0};
    json_t *cfg = NULL;
    char *text = NULL;
    if (config) {
        FILE *f = fopen(config, "r");
        if (!f) {
            fprintf(stderr, "ferry init: cannot read %s\n", config);
            return 1;
        }
        buf b;
        buf_init(&b, 1 << 20);
        char tmp[4096];
        size_t n;
        while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) buf_put(&b, tmp, n);
        fclose(f);
        text = buf_take(&b);
    }
    cfg = yaml_to_json(text ? text : default_config, strlen(text ? text : default_config), &e);
    free(text);
    if (!cfg || !json_is_object(cfg)) {
        fprintf(stderr, "ferry init: bad config: %s\n", cfg ? "not a mapping" : e.message);
        json_decref(cfg);
        return 1;
    }
    json_t *mgmt = json_object_get(cfg, "management");
    json_t *accounts = json_object_get(cfg, "accounts");
    const char *mname = mgmt ? jstr(mgmt, "name") : NULL;
    if (!mname) mname = "management";
    if (json_is_string(json_object_get(cfg, "region"))) region = jstr(cfg, "region");
    /* the profiles' region: one the server will serve, or every request is refused */
    if (!regions_known(region)) {
        fprintf(stderr,
                "ferry init: '%s' is not a region of the aws, aws-cn or aws-us-gov partitions; "
                "add it with --regions here and to ferry serve\n",
                region);
        json_decref(cfg);
        return 1;
    }

    store *st = cli_store_open("init", where, data, STORE_SYNC_NORMAL);
    if (!st) {
        json_decref(cfg);
        return 1;
    }
    /* the internal call path needs only the store: records join init's transaction */
    ferry_env env = {.st = st, .started = clock_now()};
    size_t nacc = json_array_size(accounts) + 1;
    made *m = calloc(nacc, sizeof(*m));
    store_txn *t = NULL;
    json_t *org = NULL;
    int rc = store_begin(st, 1, &t, &e);
    if (!rc) rc = org_get(t, &org, &e) < 0 ? -1 : 0;
    if (!rc && !org) {
        char id[13];
        int given = config_id(mgmt, id, &e);
        if (!given) ids_account(id);
        if (given >= 0) {
            char *email = email_for(mgmt, mname);
            rc = org_create(t, region, id, mname, email, &org, &e);
            free(email);
            m[0].created = 1;
        } else {
            rc = -1;
        }
    }
    if (!rc) {
        json_t *spec = json_pack("{s:s}", "name", mname);
        json_t *found = NULL;
        /* the management account is found by its id, whatever the config calls it now */
        rc = org_get_account(t, jstr(org, "MasterAccountId"), &found, &e) < 0 ? -1 : 0;
        if (!rc) {
            snprintf(m[0].name, sizeof(m[0].name), "%s", mname);
            snprintf(m[0].id, sizeof(m[0].id), "%s", jstr(org, "MasterAccountId"));
            rc = root_key(t, m[0].id, &m[0].key, &e);
        }
        json_decref(found);
        json_decref(spec);
    }
    for (size_t i = 1; !rc && i < nacc; i++) {
        rc = ensure_account(t, org, json_array_get(accounts, i - 1), &m[i], &e);
        if (!rc) rc = access_role(&env, t, region, m[0].id, &m[i], &e);
    }
    if (rc)
        store_rollback(t);
    else
        rc = store_commit(t, &e);
    json_decref(org);
    store_close(st);
    if (rc) {
        fprintf(stderr, "ferry init: %s\n", e.message);
        free(m);
        json_decref(cfg);
        return 1;
    }

    aws_profile *prof = calloc(2 * nacc, sizeof(*prof));
    printf("organization ready in %s\n", data);
    printf("  %-16s %-14s %s\n", "account", "id", "profile");
    for (size_t i = 0; i < nacc; i++) {
        prof[i] = (aws_profile){.name = m[i].name,
                                .region = region,
                                .endpoint_url = endpoint,
                                .access_key_id = m[i].key.akid,
                                .secret_access_key = m[i].key.secret};
        printf("  %-16s %-14s %s%s\n", m[i].name, m[i].id, m[i].name,
               m[i].created ? "  (new)" : "");
    }
    /* <member>-admin: the management profile assuming the member's access role */
    size_t np = nacc;
    for (size_t i = 1; i < nacc; i++)
        prof[np++] = (aws_profile){.name = m[i].admin,
                                   .region = region,
                                   .endpoint_url = endpoint,
                                   .role_arn = m[i].role_arn,
                                   .source_profile = m[0].name};
    if (nacc > 1)
        printf("  role profiles %s-admin ... reach each member account as %s\n", m[1].name,
               ORG_ACCESS_ROLE);
    rc = awsconfig_write(awsdir, prof, np);
    if (!rc)
        printf("profiles written to %s/config and %s/credentials (endpoint %s)\n", awsdir, awsdir,
               endpoint);
    free(prof);
    free(m);
    json_decref(cfg);
    return rc ? 1 : 0;
}
