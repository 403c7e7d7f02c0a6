/* AWS::CodeCommit::Repository. Ref = the repository's id; GetAtt Arn, Name, CloneUrlHttp,
 * CloneUrlSsh. RepositoryName, RepositoryDescription and Triggers (PutRepositoryTriggers)
 * change in place; Code (a zip in S3, committed to Code.BranchName, "main" by default) is
 * used only when the repository is created, as AWS does. The first commit is made by an internal entry point (cc_op_code),
 * recorded in the trail as CreateCommit. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/ids.h"
#include "base/zip.h"
#include "codecommit_int.h"
#include "engine/stacks/prov_int.h"

#define CODE_ZIP_MAX (20u << 20) /* AWS: the zip for a repository's first commit, 20 MB */

/* ---- the internal entry point: the first commit from a zip in S3 ---- */

/* Adds the files under dir/rel to idx (executable bits and symlinks kept). */
static int add_tree(call *c, git_repository *repo, git_index *idx, const char *dir, const char *rel)
{
    const char *here = *rel ? arena_printf(c->a, "%s/%s", dir, rel) : dir;
    DIR *d = here ? opendir(here) : NULL;
    if (!d) return here ? ferr_internal(c->err, "cannot read %s", here) : ferr_oom(c->err);
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        const char *r = *rel ? arena_printf(c->a, "%s/%s", rel, de->d_name) : de->d_name;
        const char *full = r ? arena_printf(c->a, "%s/%s", dir, r) : NULL;
        struct stat st;
        if (!full) {
            rc = ferr_oom(c->err);
            break;
        }
        if (lstat(full, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            rc = add_tree(c, repo, idx, dir, r);
            continue;
        }
        git_index_entry e;
        memset(&e, 0, sizeof(e));
        e.path = r;
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlink(full, target, sizeof(target));
            e.mode = GIT_FILEMODE_LINK;
            if (n < 0 || git_blob_create_from_buffer(&e.id, repo, target, (size_t)n))
                rc = cc_git_fail(c, "write link");
        } else if (S_ISREG(st.st_mode)) {
            e.mode = st.st_mode & 0111 ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
            if (git_blob_create_from_disk(&e.id, repo, full)) rc = cc_git_fail(c, "write blob");
        } else
            continue;
        if (!rc && git_index_add(idx, &e)) rc = cc_git_fail(c, "index add");
    }
    closedir(d);
    return rc;
}

static void index_free(void *p)
{
    git_index_free(p);
}
static void sig_free(void *p)
{
    git_signature_free(p);
}

/* {repositoryName, branchName, S3Bucket, S3Key, S3ObjectVersion}: fetched as the caller. */
static int code_commit(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    const char *branch = jstr(in, "branchName"), *bucket = jstr(in, "S3Bucket"),
               *key = jstr(in, "S3Key"), *ver = jstr(in, "S3ObjectVersion");
    if (cc_repo_load(c, "codecommit:CreateCommit", jstr(in, "repositoryName"), &d) ||
        cc_git_open(c, d, &repo))
        return -1;
    const char *url = call_s3_url(c, bucket, key, ver);
    if (!url) return ferr_oom(c->err);
    const char *body;
    size_t len;
    int rc = call_fetch(c, url, CODE_ZIP_MAX, &body, &len);
    if (rc < 0) return -1;
    if (rc == 1)
        return ferr_set(c->err, 400, "InvalidRequest",
                        "The S3 object s3://%s/%s could not be read to create the repository's "
                        "first commit.",
                        bucket, key);
    zipar *z;
    if (zipar_open_mem(body, len, 2 * (uint64_t)CODE_ZIP_MAX, &z, c->err)) return -1;
    char id[37];
    ids_uuid(id);
    const char *tmp = arena_printf(c->a, "%s.code-%s", cc_repo_dir(c, d), id);
    rc = tmp ? zipar_extract(z, tmp, c->err) : ferr_oom(c->err);
    zipar_free(z);
    if (rc) return -1;
    git_index *idx = NULL;
    git_signature *sig = NULL;
    git_oid tree_id, commit_id;
    git_tree *tree = NULL;
    git_reference *ref = NULL;
    const char *refname = arena_printf(c->a, "refs/heads/%s", branch);
    rc = git_index_new(&idx) || !arena_own(c->a, index_free, idx) ? cc_git_fail(c, "new index")
                                                                  : add_tree(c, repo, idx, tmp, "");
    ferr ignored = {0};
    zipar_rmtree(tmp, &ignored);
    if (rc) return -1;
    if (!refname) return ferr_oom(c->err);
    if (git_signature_now(&sig, "AWS CodeCommit", "noreply-awscodecommit@amazon.com") ||
        !arena_own(c->a, sig_free, sig) || git_index_write_tree_to(&tree_id, idx, repo) ||
        git_tree_lookup(&tree, repo, &tree_id))
        return cc_git_fail(c, "write tree");
    rc = git_commit_create(&commit_id, repo, NULL, sig, sig, NULL,
                           "Initial commit by AWS CodeCommit", tree, 0, NULL) ||
         git_reference_create(&ref, repo, refname, &commit_id, 0, "CloudFormation");
    git_tree_free(tree);
    git_reference_free(ref);
    if (rc) return cc_git_fail(c, "first commit");
    if (cc_touch(c, d, repo, branch)) return -1;
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof(hex), &commit_id);
    *out = svc_out(c, json_pack("{s:s}", "commitId", hex));
    return 0;
}

static const svc_op cc_op_code = {"CreateCommit", code_commit, 0};

/* ---- the provider ---- */

static const prov_prop schema[] = {
    {"RepositoryName", PT_STR, 1},
    {"RepositoryDescription", PT_STR, 0},
    {"Code", PT_OBJECT, 0},
    {"Tags", PT_TAGS, 0},
    {"Triggers", PT_LIST, 0},
    {"KmsKeyId", PT_STR, 0},
    {NULL, 0, 0},
};

static int code_check(cfn_pctx *p, const json_t *pr)
{
    const json_t *code = json_object_get(pr, "Code"), *s3 = json_object_get(code, "S3");
    if (code && (!json_is_object(s3) || !json_is_string(json_object_get(s3, "Bucket")) ||
                 !json_is_string(json_object_get(s3, "Key"))))
        return prov_invalid(p, "#/Code: required key [S3] not found");
    return 0;
}

/* By props' name (the physical id is the repository's id), or by id, which is the name
 * announced before creating it (cfn_intent). */
static int repo_del(cfn_pctx *p, const char *id, const json_t *props)
{
    const char *name = jstr(props, "RepositoryName");
    return prov_call_gone_ok(p, NULL, "codecommit", "DeleteRepository",
                             json_pack("{s:s}", "repositoryName", name ? name : id));
}

static int repo_attrs_of(cfn_pctx *p, const char *name, char **id, json_t **attrs)
{
    json_t *out = NULL;
    if (prov_call(p, "codecommit", "GetRepository", json_pack("{s:s}", "repositoryName", name),
                  &out))
        return -1;
    json_t *m = json_object_get(out, "repositoryMetadata");
    *attrs = json_pack("{s:O, s:O, s:O, s:O}", "Arn", json_object_get(m, "Arn"), "Name",
                       json_object_get(m, "repositoryName"), "CloneUrlHttp",
                       json_object_get(m, "cloneUrlHttp"), "CloneUrlSsh",
                       json_object_get(m, "cloneUrlSsh"));
    if (id) *id = jstr(m, "repositoryId") ? strdup(jstr(m, "repositoryId")) : NULL;
    json_decref(out);
    return *attrs && (!id || *id) ? 0 : ferr_oom(p->e);
}

/* Triggers (CloudFormation's RepositoryTrigger, capitalized) through PutRepositoryTriggers;
 * none: an empty list. */
static int triggers_put(cfn_pctx *p, const char *name, const json_t *pr)
{
    json_t *list = json_array(), *t;
    size_t i;
    int rc = !list;
    json_array_foreach(json_object_get(pr, "Triggers"), i, t) {
        json_t *v = json_pack(
            "{s:O?, s:O?, s:O?, s:O?, s:O?}", "name", json_object_get(t, "Name"), "destinationArn",
            json_object_get(t, "DestinationArn"), "customData", json_object_get(t, "CustomData"),
            "branches", json_object_get(t, "Branches"), "events", json_object_get(t, "Events"));
        rc |= !list || json_array_append_new(list, v);
    }
    if (rc) {
        json_decref(list);
        return ferr_oom(p->e);
    }
    return prov_call(p, "codecommit", "PutRepositoryTriggers",
                     json_pack("{s:s, s:o}", "repositoryName", name, "triggers", list), NULL);
}

static int repo_make(const prov_shape *s, cfn_pctx *p, const json_t *pr, char **id, json_t **attrs)
{
    (void)s;
    const char *name = jstr(pr, "RepositoryName"), *desc = jstr(pr, "RepositoryDescription");
    json_t *tags = prov_tags(p, json_object_get(pr, "Tags"), 0);
    json_t *map = tags ? prov_tags_map(tags) : NULL;
    json_t *in = json_pack("{s:s}", "repositoryName", name);
    int rc = !in || !map || (desc && jset_str(in, "repositoryDescription", desc)) ||
                     (json_object_size(map) && json_object_set(in, "tags", map))
                 ? ferr_oom(p->e)
                 : 0;
    json_decref(tags);
    json_decref(map);
    if (!rc && cfn_intent(p, name)) rc = -1;
    if (!rc) rc = prov_call(p, "codecommit", "CreateRepository", json_incref(in), NULL);
    json_decref(in);
    if (rc) return -1;
    const json_t *s3 = json_object_get(json_object_get(pr, "Code"), "S3");
    if (s3) {
        const char *branch = jstr(json_object_get(pr, "Code"), "BranchName");
        json_t *ci = json_pack("{s:s, s:s, s:O, s:O}", "repositoryName", name, "branchName",
                               branch ? branch : "main", "S3Bucket", json_object_get(s3, "Bucket"),
                               "S3Key", json_object_get(s3, "Key")),
               *out = NULL;
        if (ci && jstr(s3, "ObjectVersion"))
            rc = jset_str(ci, "S3ObjectVersion", jstr(s3, "ObjectVersion"));
        rc = !ci || rc ? ferr_oom(p->e)
                       : svc_invoke_fn(p->env, p->as, p->region, "codecommit", &cc_op_code, NULL,
                                       ci, &out, p->e);
        json_decref(ci);
        json_decref(out);
        if (rc) return prov_undo(p, repo_del, name, pr);
    }
    if (json_array_size(json_object_get(pr, "Triggers")) && triggers_put(p, name, pr))
        return prov_undo(p, repo_del, name, pr);
    if (repo_attrs_of(p, name, id, attrs)) return prov_undo(p, repo_del, name, pr);
    return 0;
}

static int repo_change(const prov_shape *s, cfn_pctx *p, const char *id, const json_t *op,
                       const json_t *np)
{
    (void)s, (void)id;
    const char *old = jstr(op, "RepositoryName"), *neu = jstr(np, "RepositoryName");
    if (strcmp(old, neu) &&
        prov_call(p, "codecommit", "UpdateRepositoryName",
                  json_pack("{s:s, s:s}", "oldName", old, "newName", neu), NULL))
        return -1;
    if (!prov_same(json_object_get(op, "Triggers"), json_object_get(np, "Triggers")) &&
        triggers_put(p, neu, np))
        return -1;
    if (prov_same(json_object_get(op, "RepositoryDescription"),
                  json_object_get(np, "RepositoryDescription")))
        return 0;
    const char *desc = jstr(np, "RepositoryDescription");
    json_t *in = json_pack("{s:s}", "repositoryName", neu);
    if (in && desc && jset_str(in, "repositoryDescription", desc)) {
        json_decref(in);
        in = NULL;
    }
    return prov_call(p, "codecommit", "UpdateRepositoryDescription", in, NULL);
}

/* After an update the physical id is the same; the attributes come by the (new) name,
 * which the update's props hold: read them through GetRepository by id's name. */
static int repo_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs);

static const prov_shape shape = {
    .schema = schema,
    .check = code_check,
    .make = repo_make,
    .change = repo_change,
    .attrs = repo_attrs,
    .del = repo_del,
};

/* The repository whose id is id: its name is found by listing (ids are not names). */
static int repo_attrs(const prov_shape *s, cfn_pctx *p, const char *id, json_t **attrs)
{
    (void)s;
    json_t *out = NULL;
    if (prov_call(p, "codecommit", "ListRepositories", json_object(), &out)) return -1;
    size_t i;
    json_t *v;
    const char *name = NULL;
    json_array_foreach(json_object_get(out, "repositories"), i, v) {
        if (!strcmp(jstr(v, "repositoryId"), id)) name = jstr(v, "repositoryName");
    }
    int rc = name ? repo_attrs_of(p, name, NULL, attrs)
                  : ferr_set(p->e, 404, "RepositoryDoesNotExistException", "%s does not exist", id);
    json_decref(out);
    return rc;
}

const cfn_provider cfn_provider_codecommit_repository = {
    .type = "AWS::CodeCommit::Repository",
    .shape = &shape,
    .del = repo_del,
};
