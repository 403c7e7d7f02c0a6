/* IAM identity providers: OpenID Connect providers (the issuers AssumeRoleWithWebIdentity
 * trusts) and SAML providers (their metadata documents). Both are named by ARN, not by name.
 *
 * Storage (account, region ""): kind "iam.oidc", id = the provider's ARN resource after
 * "oidc-provider/" (HOST/PATH, the host lowercased): {"Url" (without https://), "Arn",
 * "ClientIDList", "ThumbprintList", "Tags", "CreateDate"}; kind "iam.saml", id = the lowercased
 * name: {"Name", "Arn", "SAMLMetadataDocument", "ValidUntil", "Tags", "CreateDate"}. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/arn.h"
#include "base/checked.h"
#include "base/clock.h"
#include "iam_int.h"

#define MAX_CLIENT_IDS  100 /* AWS: ClientIdsPerOpenIdConnectProvider */
#define MAX_THUMBPRINTS 5
#define SAML_VALIDITY   (100.0 * 365.25 * 86400) /* AWS: a century when metadata names none */

/* One kind of provider: OIDC and SAML share loading, tags and deletion. */
typedef struct idp_kind {
    const char *kind; /* store kind */
    const char *noun; /* ARN resource type */
    const char *Noun; /* in NoSuchEntity messages */
    const char *cfn;  /* resource type recorded for the trail */
} idp_kind;

static const idp_kind oidc_k = {"iam.oidc", "oidc-provider", "OpenIDConnect Provider",
                                "AWS::IAM::OIDCProvider"};
static const idp_kind saml_k = {"iam.saml", "saml-provider", "SAMLProvider",
                                "AWS::IAM::SAMLProvider"};

/* The store id an ARN of kind k names in the call's account, or NULL when it names none. */
static const char *arn_id(call *c, const idp_kind *k, const char *arn)
{
    const char *p = arn_rest(arn, "iam");
    size_t nl = strlen(k->noun);
    /* REST is ":ACCOUNT:NOUN/ID" (IAM has no region) */
    if (!p || *p != ':' || strncmp(p + 1, c->account, 12) || p[13] != ':' ||
        strncmp(p + 14, k->noun, nl) || p[14 + nl] != '/' || !p[15 + nl])
        return NULL;
    return k == &saml_k ? iamsvc_lower(c->a, p + 15 + nl) : p + 15 + nl;
}

static int no_such(call *c, const idp_kind *k, const char *arn)
{
    return ferr_set(c->err, 404, "NoSuchEntity", "%s not found for arn %s", k->Noun, arn);
}

/* The provider arn names, after authorizing action on it. *doc a new reference. */
static int load(call *c, const idp_kind *k, const char *action, const char *arn, json_t **doc)
{
    *doc = NULL;
    if (iamsvc_authorize(c, action, arn)) return -1;
    const char *id = arn_id(c, k, arn);
    if (!id) return no_such(c, k, arn);
    store_key key = {k->kind, c->account, IAMSVC_REGION, id};
    int rc = store_get(c->txn, &key, doc, c->err);
    if (rc < 0) return -1;
    if (!rc || strcmp(jstr(*doc, "Arn"), arn)) {
        json_decref(*doc);
        *doc = NULL;
        return no_such(c, k, arn);
    }
    return 0;
}

static int save(call *c, const idp_kind *k, json_t *doc)
{
    const char *id = arn_id(c, k, jstr(doc, "Arn"));
    store_key key = {k->kind, c->account, IAMSVC_REGION, id};
    call_resource(c, k->cfn, jstr(doc, "Arn"));
    return id ? store_put(c->txn, &key, doc, c->err) : ferr_internal(c->err, "bad provider ARN");
}

static int insert(call *c, const idp_kind *k, json_t *doc, const char *what)
{
    const char *id = arn_id(c, k, jstr(doc, "Arn"));
    store_key key = {k->kind, c->account, IAMSVC_REGION, id};
    int rc = id ? store_insert(c->txn, &key, doc, c->err) : ferr_internal(c->err, "bad ARN");
    if (rc == 1) return ferr_set(c->err, 409, "EntityAlreadyExists", "%s already exists.", what);
    if (rc) return -1;
    call_resource(c, k->cfn, jstr(doc, "Arn"));
    return 0;
}

static int delete (call *c, const idp_kind *k, const char *action, const char *arn)
{
    json_t *doc;
    if (load(c, k, action, arn, &doc)) return -1;
    json_decref(doc);
    store_key key = {k->kind, c->account, IAMSVC_REGION, arn_id(c, k, arn)};
    call_resource(c, k->cfn, arn);
    return store_del(c->txn, &key, c->err) < 0 ? -1 : 0;
}

static int tag(call *c, const idp_kind *k, const char *action, const char *arn, const json_t *tags)
{
    json_t *doc;
    if (load(c, k, action, arn, &doc)) return -1;
    int rc = iamsvc_check_tags(c, tags, json_object_get(doc, "Tags"));
    if (!rc) rc = jtags_merge(doc, tags) ? ferr_oom(c->err) : save(c, k, doc);
    json_decref(doc);
    return rc;
}

static int untag(call *c, const idp_kind *k, const char *action, const char *arn,
                 const json_t *keys)
{
    json_t *doc;
    if (load(c, k, action, arn, &doc)) return -1;
    jtags_remove(doc, keys);
    int rc = save(c, k, doc);
    json_decref(doc);
    return rc;
}

static int list_tags(call *c, const idp_kind *k, const char *action, const json_t *in,
                     const char *arn, json_t **out)
{
    json_t *doc;
    if (load(c, k, action, arn, &doc)) return -1;
    json_t *tags = json_incref(json_object_get(doc, "Tags"));
    if (!tags) tags = json_array();
    *out = svc_out(c, json_object());
    int rc = *out ? iamsvc_page(c, tags, in, *out, "Tags") : -1;
    json_decref(tags);
    json_decref(doc);
    return rc;
}

/* Every provider of kind k in the account, each as its fields, under key. */
static int list_providers(call *c, const idp_kind *k, const char *action, const char *key,
                          const char *const *fields, json_t **out)
{
    if (iamsvc_authorize(c, action, "*")) return -1;
    json_t *all = iamsvc_list_all(c, k->kind, c->account), *list = json_array(), *p;
    size_t i;
    int bad = !all || !list;
    json_array_foreach(all, i, p) {
        json_t *e = json_object();
        bad |= json_array_append_new(list, e);
        for (size_t f = 0; !bad && fields[f]; f++)
            bad |= json_object_set(e, fields[f], json_object_get(p, fields[f]));
    }
    json_decref(all);
    if (bad) {
        json_decref(list);
        return ferr_isset(c->err) ? -1 : ferr_oom(c->err);
    }
    *out = svc_out(c, json_pack("{s:o}", key, list));
    return 0;
}

/* Adds doc's tags to out when it has some (AWS leaves Tags out otherwise). */
static void with_tags(call *c, json_t *out, const json_t *doc)
{
    json_t *tags = json_object_get(doc, "Tags");
    if (out && json_array_size(tags) && json_object_set(out, "Tags", tags)) c->oom = 1;
}

/* ---- OpenID Connect ---- */

/* AWS: https only, no query or fragment, no port; the provider is HOST/PATH, the host
 * lowercased and a trailing slash dropped. Arena-owned, or NULL with InvalidInput. */
static const char *oidc_resource(call *c, const char *url)
{
    if (strncasecmp(url, "https://", 8) || !url[8] || strpbrk(url + 8, "?#") ||
        strspn(url + 8, " ") || strchr(url + 8, ' ')) {
        ferr_set(c->err, 400, "InvalidInput", "Invalid Url: %s", url);
        return NULL;
    }
    char *r = arena_strdup(c->a, url + 8);
    if (!r) {
        ferr_oom(c->err);
        return NULL;
    }
    size_t hl = strcspn(r, "/");
    for (size_t i = 0; i < hl; i++) r[i] = (char)tolower((unsigned char)r[i]);
    size_t n = strlen(r);
    while (n > hl && r[n - 1] == '/') r[--n] = 0;
    if (!hl || memchr(r, ':', hl) || strstr(r, "//")) {
        ferr_set(c->err, 400, "InvalidInput", "Invalid Url: %s", url);
        return NULL;
    }
    return r;
}

static int check_thumbprints(call *c, const json_t *list)
{
    if (json_array_size(list) > MAX_THUMBPRINTS)
        return ferr_set(c->err, 400, "InvalidInput",
                        "Thumbprint list must contain fewer than %d entries.", MAX_THUMBPRINTS + 1);
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t) {
        const char *s = json_string_value(t);
        if (!s || strlen(s) != 40 || strspn(s, "0123456789abcdefABCDEF") != 40)
            return ferr_set(c->err, 400, "InvalidInput",
                            "Thumbprint must be a 40 hex digit string");
    }
    return 0;
}

static int check_client_ids(call *c, size_t n)
{
    if (n > MAX_CLIENT_IDS)
        return ferr_set(c->err, 409, "LimitExceeded",
                        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d",
                        MAX_CLIENT_IDS);
    return 0;
}

/* A list with each string once, in the order first given. New reference, NULL on OOM. */
static json_t *unique(const json_t *list)
{
    json_t *u = json_array(), *v;
    size_t i, j;
    json_t *w;
    if (!u) return NULL;
    json_array_foreach(list, i, v) {
        int seen = 0;
        json_array_foreach(u, j, w) seen |= json_equal(v, w);
        if (!seen && json_array_append(u, v)) {
            json_decref(u);
            return NULL;
        }
    }
    return u;
}

int iam_op_create_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    const char *url = jstr(in, "Url");
    json_t *tags = json_object_get(in, "Tags");
    const char *res = oidc_resource(c, url);
    if (!res) return -1;
    const char *arn = iamsvc_arn(c, c->account, "oidc-provider", NULL, res);
    if (!arn) return ferr_oom(c->err);
    if (iamsvc_authorize(c, "iam:CreateOpenIDConnectProvider", arn)) return -1;
    json_t *ids = unique(json_object_get(in, "ClientIDList"));
    json_t *tps = unique(json_object_get(in, "ThumbprintList"));
    json_t *doc = NULL;
    int rc = -1;
    if (!ids || !tps) {
        ferr_oom(c->err);
        goto out;
    }
    if (check_client_ids(c, json_array_size(ids)) || check_thumbprints(c, tps) ||
        (tags && iamsvc_check_tags(c, tags, NULL)))
        goto out;
    doc = json_pack("{s:s, s:s, s:O, s:O, s:[], s:f}", "Url", res, "Arn", arn, "ClientIDList", ids,
                    "ThumbprintList", tps, "Tags", "CreateDate", (double)(long long)clock_now());
    if (!doc || (tags && jtags_merge(doc, tags))) {
        ferr_oom(c->err);
        goto out;
    }
    if (insert(c, &oidc_k, doc, arena_printf(c->a, "Provider with url https://%s", res))) goto out;
    *out = svc_out(c, json_pack("{s:s}", "OpenIDConnectProviderArn", arn));
    with_tags(c, *out, doc);
    rc = 0;
out:
    json_decref(ids);
    json_decref(tps);
    json_decref(doc);
    return rc;
}

static const char *oidc_arn(const json_t *in)
{
    return jstr(in, "OpenIDConnectProviderArn");
}

int iam_op_get_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load(c, &oidc_k, "iam:GetOpenIDConnectProvider", oidc_arn(in), &doc)) return -1;
    *out = svc_out(c, json_pack("{s:O, s:O, s:O, s:O}", "Url", json_object_get(doc, "Url"),
                                "ClientIDList", json_object_get(doc, "ClientIDList"),
                                "ThumbprintList", json_object_get(doc, "ThumbprintList"),
                                "CreateDate", json_object_get(doc, "CreateDate")));
    with_tags(c, *out, doc);
    json_decref(doc);
    return 0;
}

int iam_op_delete_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return delete (c, &oidc_k, "iam:DeleteOpenIDConnectProvider", oidc_arn(in));
}

int iam_op_list_open_id_connect_providers(call *c, json_t *in, json_t **out)
{
    (void)in;
    static const char *const fields[] = {"Arn", NULL};
    return list_providers(c, &oidc_k, "iam:ListOpenIDConnectProviders", "OpenIDConnectProviderList",
                          fields, out);
}

/* Changes the provider's list key with fn; saves it. */
static int oidc_update(call *c, const char *action, const json_t *in,
                       int (*fn)(call *c, json_t *doc, const json_t *in))
{
    json_t *doc;
    if (load(c, &oidc_k, action, oidc_arn(in), &doc)) return -1;
    int rc = fn(c, doc, in);
    if (!rc) rc = save(c, &oidc_k, doc);
    json_decref(doc);
    return rc;
}

static int add_client(call *c, json_t *doc, const json_t *in)
{
    json_t *ids = json_object_get(doc, "ClientIDList"), *id = json_object_get(in, "ClientID"), *v;
    size_t i;
    json_array_foreach(ids, i, v)
        if (json_equal(v, id)) return 0; /* AWS: adding twice is fine */
    if (check_client_ids(c, json_array_size(ids) + 1)) return -1;
    return json_array_append(ids, id) ? ferr_oom(c->err) : 0;
}

static int remove_client(call *c, json_t *doc, const json_t *in)
{
    (void)c;
    json_t *ids = json_object_get(doc, "ClientIDList"), *id = json_object_get(in, "ClientID");
    /* AWS: removing a client id that is not there is not an error */
    for (size_t i = json_array_size(ids); i-- > 0;)
        if (json_equal(json_array_get(ids, i), id)) json_array_remove(ids, i);
    return 0;
}

static int set_thumbprints(call *c, json_t *doc, const json_t *in)
{
    json_t *tps = unique(json_object_get(in, "ThumbprintList"));
    if (!tps) return ferr_oom(c->err);
    if (check_thumbprints(c, tps)) {
        json_decref(tps);
        return -1;
    }
    return json_object_set_new(doc, "ThumbprintList", tps) ? ferr_oom(c->err) : 0;
}

int iam_op_add_client_id_to_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return oidc_update(c, "iam:AddClientIDToOpenIDConnectProvider", in, add_client);
}

int iam_op_remove_client_id_from_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return oidc_update(c, "iam:RemoveClientIDFromOpenIDConnectProvider", in, remove_client);
}

int iam_op_update_open_id_connect_provider_thumbprint(call *c, json_t *in, json_t **out)
{
    (void)out;
    return oidc_update(c, "iam:UpdateOpenIDConnectProviderThumbprint", in, set_thumbprints);
}

int iam_op_tag_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return tag(c, &oidc_k, "iam:TagOpenIDConnectProvider", oidc_arn(in),
               json_object_get(in, "Tags"));
}

int iam_op_untag_open_id_connect_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return untag(c, &oidc_k, "iam:UntagOpenIDConnectProvider", oidc_arn(in),
                 json_object_get(in, "TagKeys"));
}

int iam_op_list_open_id_connect_provider_tags(call *c, json_t *in, json_t **out)
{
    return list_tags(c, &oidc_k, "iam:ListOpenIDConnectProviderTags", in, oidc_arn(in), out);
}

int iamsvc_oidc_provider(store_txn *t, const char *account, const char *issuer, json_t **doc,
                         ferr *e)
{
    *doc = NULL;
    if (strncmp(issuer, "https://", 8) && strncmp(issuer, "http://", 7)) return 0;
    const char *r = strstr(issuer, "://") + 3;
    char id[512];
    size_t n = strlen(r), hl = strcspn(r, "/");
    if (n >= sizeof(id)) return 0;
    for (size_t i = 0; i <= n; i++) id[i] = i < hl ? (char)tolower((unsigned char)r[i]) : r[i];
    /* a loopback test issuer (http://127.0.0.1:PORT/PATH) is the provider 127.0.0.1/PATH:
     * providers carry no port, and condition keys allow one colon */
    char *port = strchr(id, ':');
    if (!strncmp(issuer, "http://", 7) && port && port < id + hl) {
        size_t pl = strcspn(port, "/");
        memmove(port, port + pl, strlen(port + pl) + 1);
        n -= pl;
        hl -= pl;
    }
    while (n > hl && id[n - 1] == '/') id[--n] = 0;
    store_key k = {"iam.oidc", account, IAMSVC_REGION, id};
    return store_get(t, &k, doc, e);
}

/* ---- SAML ---- */

/* AWS: the document must be SAML metadata: an EntityDescriptor (in any namespace prefix).
 * *valid_until from its validUntil attribute (xs:dateTime, UTC), else created + a century. */
static int check_metadata(call *c, const char *doc, double created, double *valid_until)
{
    const char *p = doc;
    while (*p && isspace((unsigned char)*p)) p++;
    const char *ed = strstr(doc, "EntityDescriptor");
    int tag_open = ed && ed > doc && (ed[-1] == '<' || ed[-1] == ':');
    if (*p != '<' || !tag_open || !strchr(doc, '>'))
        return ferr_set(c->err, 400, "InvalidInput",
                        "Could not parse metadata: the document has no EntityDescriptor");
    *valid_until = created + SAML_VALIDITY;
    const char *vu = strstr(ed, "validUntil=\"");
    const char *end = vu ? strchr(ed, '>') : NULL;
    if (vu && end && vu < end) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        if (sscanf(vu + 12, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            *valid_until = (double)timegm(&tm);
        }
    }
    return 0;
}

int iamsvc_saml_provider(store_txn *t, arena *a, const char *arn, json_t **doc, ferr *e)
{
    *doc = NULL;
    const char *p = arn ? arn_rest(arn, "iam") : NULL;
    /* REST is ":ACCOUNT:saml-provider/NAME" */
    if (!p || *p != ':' || strlen(p) < 29 || strncmp(p + 13, ":saml-provider/", 15) || !p[28])
        return 0;
    char account[13];
    snprintf(account, sizeof(account), "%.12s", p + 1);
    const char *id = iamsvc_lower(a, p + 28);
    if (!id) return ferr_oom(e);
    store_key k = {"iam.saml", account, IAMSVC_REGION, id};
    int rc = store_get(t, &k, doc, e);
    if (rc == 1 && strcmp(jstr(*doc, "Arn"), arn)) {
        json_decref(*doc);
        *doc = NULL;
        return 0;
    }
    return rc;
}

static const char *saml_arn_in(const json_t *in)
{
    return jstr(in, "SAMLProviderArn");
}

int iam_op_create_saml_provider(call *c, json_t *in, json_t **out)
{
    const char *name = jstr(in, "Name"), *md = jstr(in, "SAMLMetadataDocument");
    json_t *tags = json_object_get(in, "Tags");
    const char *arn = iamsvc_arn(c, c->account, "saml-provider", NULL, name);
    if (!arn) return ferr_oom(c->err);
    if (iamsvc_authorize(c, "iam:CreateSAMLProvider", arn)) return -1;
    double now = (double)(long long)clock_now(), until;
    if (check_metadata(c, md, now, &until) || (tags && iamsvc_check_tags(c, tags, NULL))) return -1;
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:f, s:f, s:[]}", "Name", name, "Arn", arn,
                  "SAMLMetadataDocument", md, "CreateDate", now, "ValidUntil", until, "Tags");
    if (!doc || (tags && jtags_merge(doc, tags))) {
        json_decref(doc);
        return ferr_oom(c->err);
    }
    int rc = insert(c, &saml_k, doc, arena_printf(c->a, "SAMLProvider %s", name));
    if (!rc) {
        *out = svc_out(c, json_pack("{s:s}", "SAMLProviderArn", arn));
        with_tags(c, *out, doc);
    }
    json_decref(doc);
    return rc;
}

int iam_op_get_saml_provider(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    if (load(c, &saml_k, "iam:GetSAMLProvider", saml_arn_in(in), &doc)) return -1;
    *out = svc_out(c, json_pack("{s:O, s:O, s:O}", "SAMLMetadataDocument",
                                json_object_get(doc, "SAMLMetadataDocument"), "CreateDate",
                                json_object_get(doc, "CreateDate"), "ValidUntil",
                                json_object_get(doc, "ValidUntil")));
    with_tags(c, *out, doc);
    json_decref(doc);
    return 0;
}

int iam_op_update_saml_provider(call *c, json_t *in, json_t **out)
{
    const char *arn = saml_arn_in(in), *md = jstr(in, "SAMLMetadataDocument");
    json_t *doc;
    if (load(c, &saml_k, "iam:UpdateSAMLProvider", arn, &doc)) return -1;
    double until;
    int rc = -1;
    if (!md) { /* optional in newer models; nothing else here to change */
        rc = 0;
    } else if (!check_metadata(c, md, json_number_value(json_object_get(doc, "CreateDate")),
                               &until)) {
        rc = jset_str(doc, "SAMLMetadataDocument", md) ||
                     json_object_set_new(doc, "ValidUntil", json_real(until))
                 ? ferr_oom(c->err)
                 : save(c, &saml_k, doc);
    }
    json_decref(doc);
    if (!rc) *out = svc_out(c, json_pack("{s:s}", "SAMLProviderArn", arn));
    return rc;
}

int iam_op_delete_saml_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return delete (c, &saml_k, "iam:DeleteSAMLProvider", saml_arn_in(in));
}

int iam_op_list_saml_providers(call *c, json_t *in, json_t **out)
{
    (void)in;
    static const char *const fields[] = {"Arn", "ValidUntil", "CreateDate", NULL};
    return list_providers(c, &saml_k, "iam:ListSAMLProviders", "SAMLProviderList", fields, out);
}

int iam_op_tag_saml_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return tag(c, &saml_k, "iam:TagSAMLProvider", saml_arn_in(in), json_object_get(in, "Tags"));
}

int iam_op_untag_saml_provider(call *c, json_t *in, json_t **out)
{
    (void)out;
    return untag(c, &saml_k, "iam:UntagSAMLProvider", saml_arn_in(in),
                 json_object_get(in, "TagKeys"));
}

int iam_op_list_saml_provider_tags(call *c, json_t *in, json_t **out)
{
    return list_tags(c, &saml_k, "iam:ListSAMLProviderTags", in, saml_arn_in(in), out);
}
