/* CodeCommit's git operations over libgit2: branches, files and folders, commits (PutFile,
 * CreateCommit build a tree from the parent's in an in-memory index), differences, blobs
 * and fast-forward merges. A branch moves only from the commit the caller saw
 * (git_reference_create_matching), so a concurrent push or call is refused, not lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/enc.h"
#include "base/zip.h"
#include "codecommit_int.h"

static void obj_free(void *p)
{
    git_object_free(p);
}
static void ref_free(void *p)
{
    git_reference_free(p);
}
static void index_free(void *p)
{
    git_index_free(p);
}
static void diff_free(void *p)
{
    git_diff_free(p);
}
static void sig_free(void *p)
{
    git_signature_free(p);
}

static const char *hex(call *c, const git_oid *id)
{
    char *s = arena_alloc(c->a, GIT_OID_HEXSZ + 1);
    if (s) git_oid_tostr(s, GIT_OID_HEXSZ + 1, id);
    return s;
}

/* The repository named by in's repositoryName, authorized for action and opened. */
static int open_repo(call *c, const json_t *in, const char *action, json_t **doc,
                     git_repository **repo)
{
    return cc_repo_load(c, action, jstr(in, "repositoryName"), doc) || cc_git_open(c, *doc, repo);
}

/* refs/heads/NAME's commit: 1 (*id), 0 no such branch, -1. */
static int branch_tip(call *c, git_repository *repo, const char *name, git_oid *id)
{
    const char *ref = arena_printf(c->a, "refs/heads/%s", name);
    if (!ref) return ferr_oom(c->err);
    int rc = git_reference_name_to_id(id, repo, ref);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) return 0;
    return rc ? cc_git_fail(c, "read branch") : 1;
}

static int no_branch(call *c, const char *name)
{
    return ferr_set(c->err, 400, "BranchDoesNotExistException", "Could not find branch %s", name);
}

static int no_commit(call *c, const char *spec)
{
    return ferr_set(c->err, 400, "CommitDoesNotExistException",
                    "Could not find commit for specifier: %s", spec);
}

/* A commit specifier (branch, tag or commit id; NULL: the default branch) as a commit. */
int cc_resolve(call *c, git_repository *repo, const json_t *doc, const char *spec, git_commit **out)
{
    const char *s = spec ? spec : jstr(doc, "defaultBranch");
    if (!s) return no_commit(c, "HEAD");
    git_object *o = NULL;
    const char *forms[] = {"refs/heads/%s", "refs/tags/%s", "%s"};
    for (size_t i = 0; i < 3 && !o; i++) {
        const char *r = arena_printf(c->a, forms[i], s);
        if (!r) return ferr_oom(c->err);
        git_object *x = NULL;
        if (git_revparse_single(&x, repo, r)) continue;
        git_object_peel(&o, x, GIT_OBJECT_COMMIT);
        git_object_free(x);
    }
    if (!o) return no_commit(c, s);
    if (!arena_own(c->a, obj_free, o)) return ferr_oom(c->err);
    *out = (git_commit *)o;
    return 0;
}

static const char *mode_name(git_filemode_t m)
{
    return m == GIT_FILEMODE_BLOB_EXECUTABLE ? "EXECUTABLE"
           : m == GIT_FILEMODE_LINK          ? "SYMLINK"
                                             : "NORMAL";
}

static git_filemode_t mode_of(const char *s)
{
    if (s && !strcmp(s, "EXECUTABLE")) return GIT_FILEMODE_BLOB_EXECUTABLE;
    if (s && !strcmp(s, "SYMLINK")) return GIT_FILEMODE_LINK;
    return GIT_FILEMODE_BLOB;
}

/* A path as CodeCommit takes it ("/a/b", "a/b/"): without its leading and trailing slashes;
 * "" is the root. InvalidPathException for "." or ".." parts and empty parts. */
static const char *clean_path(call *c, const char *p)
{
    while (*p == '/') p++;
    size_t n = strlen(p);
    while (n && p[n - 1] == '/') n--;
    char *s = arena_strndup(c->a, p, n);
    if (!s) return ferr_oom(c->err), NULL;
    for (const char *q = s; *q;) {
        size_t l = strcspn(q, "/");
        if (!l || (l == 1 && q[0] == '.') || (l == 2 && q[0] == '.' && q[1] == '.') ||
            (l == 4 && !strncmp(q, ".git", 4))) {
            ferr_set(c->err, 400, "InvalidPathException", "The specified path is not valid.");
            return NULL;
        }
        q += l;
        if (*q) q++;
    }
    return s;
}

/* ---- branches ---- */

int codecommit_op_get_branch(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    const char *b = jstr(in, "branchName");
    if (!jstr(in, "repositoryName"))
        return ferr_set(c->err, 400, "RepositoryNameRequiredException",
                        "A repository name is required but was not specified.");
    if (!b)
        return ferr_set(c->err, 400, "BranchNameRequiredException",
                        "A branch name is required but was not specified.");
    if (open_repo(c, in, "codecommit:GetBranch", &d, &repo)) return -1;
    git_oid id;
    int rc = branch_tip(c, repo, b, &id);
    if (rc <= 0) return rc < 0 ? -1 : no_branch(c, b);
    *out =
        svc_out(c, json_pack("{s:{s:s, s:s}}", "branch", "branchName", b, "commitId", hex(c, &id)));
    return 0;
}

int codecommit_op_list_branches(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    if (open_repo(c, in, "codecommit:ListBranches", &d, &repo)) return -1;
    git_strarray refs = {0};
    if (git_reference_list(&refs, repo)) return cc_git_fail(c, "list branches");
    json_t *names = arena_defer_json(c->a, json_array());
    int rc = names ? 0 : ferr_oom(c->err);
    for (size_t i = 0; !rc && i < refs.count; i++)
        if (!strncmp(refs.strings[i], "refs/heads/", 11) &&
            json_array_append_new(names, json_string(refs.strings[i] + 11)))
            rc = ferr_oom(c->err);
    git_strarray_dispose(&refs);
    if (rc) return -1;
    *out = svc_out(c, json_object());
    if (!*out) return -1;
    return svc_page(c, names, jstr(in, "nextToken"), 100, *out, "branches", "nextToken",
                    "InvalidContinuationTokenException");
}

/* Sets refs/heads/name to id when it still points at old (NULL: when it does not exist). */
static int move_branch(call *c, git_repository *repo, const json_t *doc, const char *name,
                       const git_oid *id, const git_oid *old, const char *log)
{
    const char *ref = arena_printf(c->a, "refs/heads/%s", name);
    if (!ref) return ferr_oom(c->err);
    git_reference *r = NULL;
    int rc = old ? git_reference_create_matching(&r, repo, ref, id, 1, old, log)
                 : git_reference_create(&r, repo, ref, id, 0, log);
    git_reference_free(r);
    if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED)
        return ferr_set(c->err, 400, "ConcurrentReferenceUpdateException",
                        "The merge cannot be completed because the target branch has been "
                        "modified. Another user might have modified the target branch while "
                        "the merge was in progress. Wait a few minutes, and then try again.");
    if (rc == GIT_EINVALIDSPEC)
        return ferr_set(c->err, 400, "InvalidBranchNameException",
                        "The specified reference name is not valid.");
    if (rc) return cc_git_fail(c, "update branch");
    return cc_ref_moved(c, doc, ref, old, id);
}

int codecommit_op_create_branch(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    git_repository *repo;
    const char *b = jstr(in, "branchName"), *cid = jstr(in, "commitId");
    if (open_repo(c, in, "codecommit:CreateBranch", &d, &repo)) return -1;
    git_oid id, tip;
    int rc = branch_tip(c, repo, b, &tip);
    if (rc < 0) return -1;
    if (rc)
        return ferr_set(c->err, 400, "BranchNameExistsException",
                        "Cannot create branch with name %s because a branch with that name "
                        "already exists.",
                        b);
    git_commit *cm;
    if (git_oid_fromstr(&id, cid) || cc_resolve(c, repo, d, cid, &cm)) {
        ferr_clear(c->err);
        return no_commit(c, cid);
    }
    if (move_branch(c, repo, d, b, git_commit_id(cm), NULL, "CreateBranch")) return -1;
    return cc_touch(c, d, repo, b);
}

int codecommit_op_delete_branch(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    const char *b = jstr(in, "branchName");
    if (open_repo(c, in, "codecommit:DeleteBranch", &d, &repo)) return -1;
    if (jstr(d, "defaultBranch") && !strcmp(jstr(d, "defaultBranch"), b))
        return ferr_set(c->err, 400, "DefaultBranchCannotBeDeletedException",
                        "The default branch cannot be deleted.");
    git_oid id;
    int rc = branch_tip(c, repo, b, &id);
    if (rc < 0) return -1;
    if (!rc) { /* AWS: nothing to delete answers an empty result */
        *out = svc_out(c, json_object());
        return 0;
    }
    git_reference *r = NULL;
    const char *ref = arena_printf(c->a, "refs/heads/%s", b);
    if (!ref) return ferr_oom(c->err);
    if (git_reference_lookup(&r, repo, ref) || !arena_own(c->a, ref_free, r) ||
        git_reference_delete(r))
        return cc_git_fail(c, "delete branch");
    if (cc_ref_moved(c, d, ref, &id, NULL) || cc_touch(c, d, repo, NULL)) return -1;
    *out = svc_out(
        c, json_pack("{s:{s:s, s:s}}", "deletedBranch", "branchName", b, "commitId", hex(c, &id)));
    return 0;
}

int codecommit_op_update_default_branch(call *c, json_t *in, json_t **out)
{
    (void)out;
    json_t *d;
    git_repository *repo;
    const char *b = jstr(in, "defaultBranchName");
    if (open_repo(c, in, "codecommit:UpdateDefaultBranch", &d, &repo)) return -1;
    git_oid id;
    int rc = branch_tip(c, repo, b, &id);
    if (rc <= 0) return rc < 0 ? -1 : no_branch(c, b);
    const char *ref = arena_printf(c->a, "refs/heads/%s", b);
    if (!ref) return ferr_oom(c->err);
    if (git_repository_set_head(repo, ref)) return cc_git_fail(c, "set HEAD");
    if (jset_str(d, "defaultBranch", b)) return ferr_oom(c->err);
    return cc_touch(c, d, repo, NULL);
}

/* ---- reading ---- */

static int no_file(call *c, const char *path)
{
    return ferr_set(c->err, 400, "FileDoesNotExistException",
                    "The specified file %s does not exist.", path);
}

int codecommit_op_get_file(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    git_commit *cm;
    git_tree *tree = NULL;
    git_tree_entry *e = NULL;
    git_blob *blob = NULL;
    if (open_repo(c, in, "codecommit:GetFile", &d, &repo) ||
        cc_resolve(c, repo, d, jstr(in, "commitSpecifier"), &cm))
        return -1;
    const char *path = clean_path(c, jstr(in, "filePath"));
    if (!path) return -1;
    if (git_commit_tree(&tree, cm)) return cc_git_fail(c, "read tree");
    int rc = git_tree_entry_bypath(&e, tree, path);
    git_tree_free(tree);
    if (rc || git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
        git_tree_entry_free(e);
        return no_file(c, path);
    }
    git_filemode_t mode = git_tree_entry_filemode(e);
    rc = git_blob_lookup(&blob, repo, git_tree_entry_id(e));
    git_tree_entry_free(e);
    if (rc) return cc_git_fail(c, "read blob");
    size_t n = (size_t)git_blob_rawsize(blob);
    const char *b64 = enc_b64(c->a, git_blob_rawcontent(blob), n);
    const char *bid = hex(c, git_blob_id(blob));
    git_blob_free(blob);
    if (!b64 || !bid) return ferr_oom(c->err);
    *out =
        svc_out(c, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "commitId",
                             hex(c, git_commit_id(cm)), "blobId", bid, "filePath", path, "fileMode",
                             mode_name(mode), "fileSize", (json_int_t)n, "fileContent", b64));
    return 0;
}

int codecommit_op_get_folder(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    git_commit *cm;
    git_tree *root = NULL, *tree = NULL;
    if (open_repo(c, in, "codecommit:GetFolder", &d, &repo) ||
        cc_resolve(c, repo, d, jstr(in, "commitSpecifier"), &cm))
        return -1;
    const char *asked = jstr(in, "folderPath"), *path = clean_path(c, asked);
    if (!path) return -1;
    if (git_commit_tree(&root, cm)) return cc_git_fail(c, "read tree");
    if (!*path)
        tree = root;
    else {
        git_tree_entry *e = NULL;
        int rc = git_tree_entry_bypath(&e, root, path);
        if (!rc && git_tree_entry_type(e) == GIT_OBJECT_TREE)
            rc = git_tree_lookup(&tree, repo, git_tree_entry_id(e));
        else if (!rc)
            rc = -1;
        git_tree_entry_free(e);
        git_tree_free(root);
        if (rc)
            return ferr_set(c->err, 400, "FolderDoesNotExistException",
                            "The specified folder %s does not exist.", path);
    }
    json_t *files = json_array(), *dirs = json_array(), *links = json_array(), *mods = json_array();
    *out = svc_out(c, json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "commitId",
                                hex(c, git_commit_id(cm)), "folderPath", asked, "treeId",
                                hex(c, git_tree_id(tree)), "subFolders", dirs, "files", files,
                                "symbolicLinks", links, "subModules", mods));
    for (size_t i = 0; *out && i < git_tree_entrycount(tree); i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *nm = git_tree_entry_name(e);
        const char *abs = *path ? arena_printf(c->a, "%s/%s", path, nm) : nm;
        const char *id = hex(c, git_tree_entry_id(e));
        git_filemode_t m = git_tree_entry_filemode(e);
        json_t *v = !abs || !id              ? NULL
                    : m == GIT_FILEMODE_TREE ? json_pack("{s:s, s:s, s:s}", "treeId", id,
                                                         "absolutePath", abs, "relativePath", nm)
                    : m == GIT_FILEMODE_COMMIT
                        ? json_pack("{s:s, s:s, s:s}", "commitId", id, "absolutePath", abs,
                                    "relativePath", nm)
                        : json_pack("{s:s, s:s, s:s, s:s}", "blobId", id, "absolutePath", abs,
                                    "relativePath", nm, "fileMode", mode_name(m));
        json_t *to = m == GIT_FILEMODE_TREE     ? dirs
                     : m == GIT_FILEMODE_COMMIT ? mods
                     : m == GIT_FILEMODE_LINK   ? links
                                                : files;
        if (json_array_append_new(to, v)) c->oom = 1;
    }
    git_tree_free(tree);
    return 0;
}

static json_t *user_info(const git_signature *s)
{
    char date[48];
    int off = s->when.offset;
    snprintf(date, sizeof(date), "%lld %c%02d%02d", (long long)s->when.time, off < 0 ? '-' : '+',
             (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
    return json_pack("{s:s, s:s, s:s}", "name", s->name ? s->name : "", "email",
                     s->email ? s->email : "", "date", date);
}

/* The commit or blob a full id names (in the arena): InvalidCommitIdException /
 * CommitIdDoesNotExistException and the blob's two as AWS words them. */
static int lookup_id(call *c, git_repository *repo, const char *hexid, git_object_t type,
                     git_object **o)
{
    int cm = type == GIT_OBJECT_COMMIT;
    const char *noun = cm ? "commit" : "blob";
    git_oid id;
    if (strlen(hexid) != GIT_OID_HEXSZ || git_oid_fromstr(&id, hexid))
        return ferr_set(c->err, 400, cm ? "InvalidCommitIdException" : "InvalidBlobIdException",
                        "The specified %s ID is not valid.", noun);
    if (git_object_lookup(o, repo, &id, type))
        return ferr_set(c->err, 400,
                        cm ? "CommitIdDoesNotExistException" : "BlobIdDoesNotExistException",
                        "Could not find %s with %s ID %s", noun, noun, hexid);
    return arena_own(c->a, obj_free, *o) ? 0 : ferr_oom(c->err);
}

int codecommit_op_get_commit(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    const char *cid = jstr(in, "commitId");
    if (open_repo(c, in, "codecommit:GetCommit", &d, &repo)) return -1;
    git_commit *cm;
    if (lookup_id(c, repo, cid, GIT_OBJECT_COMMIT, (git_object **)&cm)) return -1;
    json_t *parents = json_array();
    for (unsigned i = 0; parents && i < git_commit_parentcount(cm); i++)
        if (json_array_append_new(parents, json_string(hex(c, git_commit_parent_id(cm, i)))))
            c->oom = 1;
    *out = svc_out(c, json_pack("{s:{s:s, s:s, s:o, s:s, s:o, s:o, s:s}}", "commit", "commitId",
                                cid, "treeId", hex(c, git_commit_tree_id(cm)), "parents", parents,
                                "message", git_commit_message(cm), "author",
                                user_info(git_commit_author(cm)), "committer",
                                user_info(git_commit_committer(cm)), "additionalData", ""));
    return 0;
}

int codecommit_op_get_blob(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    const char *bid = jstr(in, "blobId");
    if (open_repo(c, in, "codecommit:GetBlob", &d, &repo)) return -1;
    git_blob *b;
    if (lookup_id(c, repo, bid, GIT_OBJECT_BLOB, (git_object **)&b)) return -1;
    const char *b64 = enc_b64(c->a, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
    if (!b64) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s}", "content", b64));
    return 0;
}

static json_t *blob_meta(call *c, const git_diff_file *f)
{
    char mode[8];
    snprintf(mode, sizeof(mode), "%o", (unsigned)f->mode);
    return json_pack("{s:s, s:s, s:s}", "blobId", hex(c, &f->id), "path", f->path, "mode", mode);
}

int codecommit_op_get_differences(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    git_commit *after, *before = NULL;
    git_tree *at = NULL, *bt = NULL;
    const char *bspec = jstr(in, "beforeCommitSpecifier");
    if (open_repo(c, in, "codecommit:GetDifferences", &d, &repo) ||
        cc_resolve(c, repo, d, jstr(in, "afterCommitSpecifier"), &after) ||
        (bspec && cc_resolve(c, repo, d, bspec, &before)))
        return -1;
    if (git_commit_tree(&at, after) || !arena_own(c->a, obj_free, at) ||
        (before && (git_commit_tree(&bt, before) || !arena_own(c->a, obj_free, bt))))
        return cc_git_fail(c, "read tree");
    git_diff_options o;
    git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
    const char *paths[2];
    size_t np = 0;
    const char *bp = jstr(in, "beforePath"), *ap = jstr(in, "afterPath");
    if (bp && !(paths[np++] = clean_path(c, bp))) return -1;
    if (ap && !(paths[np++] = clean_path(c, ap))) return -1;
    o.pathspec.strings = (char **)paths;
    o.pathspec.count = np;
    git_diff *diff = NULL;
    if (git_diff_tree_to_tree(&diff, repo, bt, at, &o) || !arena_own(c->a, diff_free, diff))
        return cc_git_fail(c, "diff");
    json_t *all = arena_defer_json(c->a, json_array());
    if (!all) return ferr_oom(c->err);
    for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
        const git_diff_delta *dl = git_diff_get_delta(diff, i);
        const char *type = dl->status == GIT_DELTA_ADDED     ? "A"
                           : dl->status == GIT_DELTA_DELETED ? "D"
                                                             : "M";
        json_t *v = json_pack("{s:s}", "changeType", type);
        int rc = !v;
        if (v && dl->status != GIT_DELTA_ADDED)
            rc |= json_object_set_new(v, "beforeBlob", blob_meta(c, &dl->old_file));
        if (v && dl->status != GIT_DELTA_DELETED)
            rc |= json_object_set_new(v, "afterBlob", blob_meta(c, &dl->new_file));
        if (rc || json_array_append_new(all, v)) {
            if (!rc) v = NULL;
            json_decref(v);
            return ferr_oom(c->err);
        }
    }
    *out = svc_out(c, json_object());
    if (!*out) return -1;
    return svc_page(c, all, jstr(in, "NextToken"), jint(in, "MaxResults", 100), *out, "differences",
                    "NextToken", "InvalidContinuationTokenException");
}

/* ---- writing ---- */

/* The branch a write goes to and its parent: *have 0 when the branch does not exist (then
 * the repository must be empty). AWS's parentCommitId rules. */
static int write_target(call *c, git_repository *repo, const json_t *in, git_oid *parent, int *have)
{
    const char *b = jstr(in, "branchName"), *pid = jstr(in, "parentCommitId");
    int rc = branch_tip(c, repo, b, parent);
    if (rc < 0) return -1;
    *have = rc;
    if (!rc) {
        git_strarray refs = {0};
        if (git_reference_list(&refs, repo)) return cc_git_fail(c, "list branches");
        size_t heads = 0;
        for (size_t i = 0; i < refs.count; i++)
            heads += !strncmp(refs.strings[i], "refs/heads/", 11);
        git_strarray_dispose(&refs);
        if (heads) return no_branch(c, b);
        if (pid)
            return ferr_set(c->err, 400, "ParentCommitDoesNotExistException",
                            "The parent commit ID %s does not exist in the repository.", pid);
        return 0;
    }
    if (!pid)
        return ferr_set(c->err, 400, "ParentCommitIdRequiredException",
                        "A parent commit ID is required. To view the full commit ID of a branch "
                        "in a repository, use GetBranch or a Git command (for example, git pull "
                        "or git log).");
    git_oid want;
    git_commit *cm = NULL;
    if (strlen(pid) != GIT_OID_HEXSZ || git_oid_fromstr(&want, pid))
        return ferr_set(c->err, 400, "InvalidParentCommitIdException",
                        "The parent commit ID is not valid.");
    if (git_commit_lookup(&cm, repo, &want))
        return ferr_set(c->err, 400, "ParentCommitDoesNotExistException",
                        "The parent commit ID %s does not exist in the repository.", pid);
    git_commit_free(cm);
    if (!git_oid_equal(&want, parent))
        return ferr_set(c->err, 400, "ParentCommitIdOutdatedException",
                        "The parent commit ID %s is not the most recent commit in the branch "
                        "%s. Use GetBranch or a Git command (for example, git pull) to find "
                        "the most recent commit ID.",
                        pid, b);
    return 0;
}

/* An in-memory index holding the parent's tree (empty when none). */
static int index_of(call *c, git_repository *repo, const git_oid *parent, git_index **idx)
{
    if (git_index_new(idx) || !arena_own(c->a, index_free, *idx))
        return cc_git_fail(c, "new index");
    if (!parent) return 0;
    git_commit *cm = NULL;
    git_tree *t = NULL;
    int rc = git_commit_lookup(&cm, repo, parent) || git_commit_tree(&t, cm) ||
             git_index_read_tree(*idx, t);
    git_tree_free(t);
    git_commit_free(cm);
    return rc ? cc_git_fail(c, "read parent") : 0;
}

/* Puts bytes at path. 1 when the index changed, 0 when the file was already so, -1. */
static int put_blob(call *c, git_repository *repo, git_index *idx, const char *path,
                    const void *bytes, size_t n, git_filemode_t mode, git_oid *blob)
{
    if (git_blob_create_from_buffer(blob, repo, bytes, n)) return cc_git_fail(c, "write blob");
    const git_index_entry *old = git_index_get_bypath(idx, path, 0);
    if (old && git_oid_equal(&old->id, blob) && old->mode == mode) return 0;
    /* AWS: a file where a folder is, or under a file */
    size_t pl = strlen(path);
    for (size_t i = 0; i < git_index_entrycount(idx); i++) {
        const char *p = git_index_get_byindex(idx, i)->path;
        size_t l = strlen(p);
        if (l > pl && !strncmp(p, path, pl) && p[pl] == '/')
            return ferr_set(c->err, 400, "FileNameConflictsWithDirectoryNameException",
                            "The file name %s conflicts with a directory name.", path);
        if (l < pl && !strncmp(p, path, l) && path[l] == '/')
            return ferr_set(c->err, 400, "DirectoryNameConflictsWithFileNameException",
                            "The directory name in %s conflicts with the file %s.", path, p);
    }
    git_index_entry e;
    memset(&e, 0, sizeof(e));
    e.mode = mode;
    e.id = *blob;
    e.path = path;
    e.file_size = (uint32_t)n;
    return git_index_add(idx, &e) ? cc_git_fail(c, "index add") : 1;
}

/* The author and committer of an API commit (in the arena). */
static int signature(call *c, const char *author, const char *email, git_signature **sig)
{
    /* AWS: without a name the commit is the caller's (its ARN); git wants an email too */
    if (!author || !*author) author = c->who->arn;
    if (git_signature_now(sig, author, email && *email ? email : author) ||
        !arena_own(c->a, sig_free, *sig))
        return cc_git_fail(c, "signature");
    return 0;
}

/* Writes the index as a commit on the branch (moving it from parent). */
static int commit_index(call *c, git_repository *repo, json_t *doc, const json_t *in,
                        git_index *idx, const git_oid *parent, const char *author, git_oid *commit,
                        git_oid *tree)
{
    const char *msg = jstr(in, "commitMessage");
    git_signature *sig;
    git_commit *p = NULL;
    if (signature(c, author, jstr(in, "email"), &sig)) return -1;
    if (git_index_write_tree_to(tree, idx, repo)) return cc_git_fail(c, "write tree");
    if (parent && (git_commit_lookup(&p, repo, parent) || !arena_own(c->a, obj_free, p)))
        return cc_git_fail(c, "read parent");
    const git_commit *parents[1] = {p};
    git_tree *t = NULL;
    if (git_tree_lookup(&t, repo, tree) || !arena_own(c->a, obj_free, t))
        return cc_git_fail(c, "read tree");
    if (git_commit_create(commit, repo, NULL, sig, sig, NULL, msg ? msg : "", t, p ? 1 : 0,
                          parents))
        return cc_git_fail(c, "write commit");
    const char *b = jstr(in, "branchName");
    if (move_branch(c, repo, doc, b, commit, parent, "CodeCommit")) return -1;
    return cc_touch(c, doc, repo, b);
}

/* Content of a put: the decoded fileContent. */
static const unsigned char *content(call *c, const json_t *o, size_t *n)
{
    const char *b64 = jstr(o, "fileContent");
    *n = 0;
    if (!b64) return (const unsigned char *)"";
    const unsigned char *p = enc_unb64(c->a, b64, strlen(b64), n);
    if (!p) ferr_set(c->err, 400, "InvalidFileContentException", "The file content is not valid.");
    return p;
}

int codecommit_op_put_file(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    git_index *idx;
    git_oid parent, blob, commit, tree;
    int have;
    if (open_repo(c, in, "codecommit:PutFile", &d, &repo) ||
        write_target(c, repo, in, &parent, &have) || index_of(c, repo, have ? &parent : NULL, &idx))
        return -1;
    const char *path = clean_path(c, jstr(in, "filePath"));
    size_t n;
    const unsigned char *bytes = content(c, in, &n);
    if (!path || !bytes) return -1;
    if (!*path)
        return ferr_set(c->err, 400, "PathRequiredException",
                        "The folderPath for a location cannot be null.");
    int rc = put_blob(c, repo, idx, path, bytes, n, mode_of(jstr(in, "fileMode")), &blob);
    if (rc < 0) return -1;
    if (!rc)
        return ferr_set(c->err, 400, "SameFileContentException",
                        "The file could not be added because the provided file matches the "
                        "existing file in the repository.");
    if (commit_index(c, repo, d, in, idx, have ? &parent : NULL, jstr(in, "name"), &commit, &tree))
        return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s}", "commitId", hex(c, &commit), "blobId",
                                hex(c, &blob), "treeId", hex(c, &tree)));
    return 0;
}

int codecommit_op_delete_file(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    git_index *idx;
    git_oid parent, commit, tree;
    int have;
    if (open_repo(c, in, "codecommit:DeleteFile", &d, &repo) ||
        write_target(c, repo, in, &parent, &have))
        return -1;
    if (!have) return no_branch(c, jstr(in, "branchName"));
    if (index_of(c, repo, &parent, &idx)) return -1;
    const char *path = clean_path(c, jstr(in, "filePath"));
    if (!path) return -1;
    const git_index_entry *old = git_index_get_bypath(idx, path, 0);
    if (!old) return no_file(c, path);
    git_oid blob = old->id;
    if (git_index_remove_bypath(idx, path)) return cc_git_fail(c, "index remove");
    if (commit_index(c, repo, d, in, idx, &parent, jstr(in, "name"), &commit, &tree)) return -1;
    *out = svc_out(c, json_pack("{s:s, s:s, s:s, s:s}", "commitId", hex(c, &commit), "blobId",
                                hex(c, &blob), "treeId", hex(c, &tree), "filePath", path));
    return 0;
}

static int file_meta(call *c, json_t *list, const char *path, const git_oid *blob,
                     git_filemode_t mode)
{
    json_t *v = json_pack("{s:s, s:s}", "absolutePath", path, "fileMode", mode_name(mode));
    if (v && blob && jset_str(v, "blobId", hex(c, blob))) {
        json_decref(v);
        v = NULL;
    }
    return json_array_append_new(list, v) ? ferr_oom(c->err) : 0;
}

int codecommit_op_create_commit(call *c, json_t *in, json_t **out)
{
    json_t *d;
    git_repository *repo;
    git_index *idx;
    git_oid parent, commit, tree;
    int have;
    if (open_repo(c, in, "codecommit:CreateCommit", &d, &repo) ||
        write_target(c, repo, in, &parent, &have) || index_of(c, repo, have ? &parent : NULL, &idx))
        return -1;
    json_t *added = json_array(), *updated = json_array(), *deleted = json_array();
    *out = svc_out(c, json_pack("{s:o, s:o, s:o}", "filesAdded", added, "filesUpdated", updated,
                                "filesDeleted", deleted));
    if (!*out) return -1;
    json_t *puts = json_object_get(in, "putFiles"), *dels = json_object_get(in, "deleteFiles"),
           *modes = json_object_get(in, "setFileModes"), *e;
    if (!json_array_size(puts) && !json_array_size(dels) && !json_array_size(modes))
        return ferr_set(c->err, 400, "FileEntryRequiredException",
                        "The commit cannot be created because no files have been specified as "
                        "added, updated, or changed (PutFile or DeleteFile) for the commit.");
    int changed = 0;
    size_t i;
    json_array_foreach(dels, i, e) {
        const char *p = clean_path(c, jstr(e, "filePath"));
        if (!p) return -1;
        const git_index_entry *old = git_index_get_bypath(idx, p, 0);
        if (!old) return no_file(c, p);
        git_oid id = old->id;
        git_filemode_t m = old->mode;
        if (git_index_remove_bypath(idx, p)) return cc_git_fail(c, "index remove");
        if (file_meta(c, deleted, p, &id, m)) return -1;
        changed = 1;
    }
    json_array_foreach(puts, i, e) {
        const char *p = clean_path(c, jstr(e, "filePath"));
        if (!p) return -1;
        json_t *src = json_object_get(e, "sourceFile");
        if (src && jstr(e, "fileContent"))
            return ferr_set(c->err, 400, "FileContentAndSourceFileSpecifiedException",
                            "The commit cannot be created because both a source file and file "
                            "content have been specified for the same file.");
        git_filemode_t mode = mode_of(jstr(e, "fileMode"));
        const git_index_entry *old = git_index_get_bypath(idx, p, 0);
        int existed = old != NULL;
        git_oid blob;
        int rc;
        if (src) {
            const char *sp = clean_path(c, jstr(src, "filePath"));
            if (!sp) return -1;
            const git_index_entry *s = git_index_get_bypath(idx, sp, 0);
            if (!s) return no_file(c, sp);
            git_index_entry ne = *s;
            blob = s->id;
            if (!jstr(e, "fileMode")) mode = s->mode;
            ne.path = p;
            ne.mode = mode;
            if (git_index_add(idx, &ne)) return cc_git_fail(c, "index add");
            if (jbool(src, "isMove", 0)) {
                if (git_index_remove_bypath(idx, sp)) return cc_git_fail(c, "index remove");
                if (file_meta(c, deleted, sp, &blob, mode)) return -1;
            }
            rc = 1;
        } else {
            size_t n;
            const unsigned char *bytes = content(c, e, &n);
            if (!bytes) return -1;
            rc = put_blob(c, repo, idx, p, bytes, n, mode, &blob);
        }
        if (rc < 0) return -1;
        if (rc && file_meta(c, existed ? updated : added, p, &blob, mode)) return -1;
        changed |= rc;
    }
    json_array_foreach(modes, i, e) {
        const char *p = clean_path(c, jstr(e, "filePath"));
        if (!p) return -1;
        const git_index_entry *old = git_index_get_bypath(idx, p, 0);
        if (!old) return no_file(c, p);
        git_index_entry ne = *old;
        ne.mode = mode_of(jstr(e, "fileMode"));
        if (ne.mode == old->mode) continue;
        if (git_index_add(idx, &ne)) return cc_git_fail(c, "index add");
        if (file_meta(c, updated, p, &ne.id, ne.mode)) return -1;
        changed = 1;
    }
    if (!changed)
        return ferr_set(c->err, 400, "NoChangeException",
                        "The commit cannot be created because no changes will be made to the "
                        "repository as a result of this commit. A commit must contain at least "
                        "one change.");
    if (commit_index(c, repo, d, in, idx, have ? &parent : NULL, jstr(in, "authorName"), &commit,
                     &tree))
        return -1;
    if (jset_str(*out, "commitId", hex(c, &commit)) || jset_str(*out, "treeId", hex(c, &tree)))
        return ferr_oom(c->err);
    return 0;
}

static int manual_merge(call *c)
{
    return ferr_set(c->err, 400, "ManualMergeRequiredException",
                    "The pull request cannot be merged automatically into the destination "
                    "branch. You must manually merge the branches and resolve any conflicts.");
}

int cc_merge(call *c, git_repository *repo, json_t *doc, const char *option, const git_commit *src,
             const git_commit *dst, const char *target, const json_t *in, const char *msg,
             git_oid *result)
{
    const git_oid *s = git_commit_id(src), *t = git_commit_id(dst);
    git_oid tip;
    int rc = branch_tip(c, repo, target, &tip);
    if (rc <= 0) return rc < 0 ? -1 : no_branch(c, target);
    int ff = git_oid_equal(s, t) || git_graph_descendant_of(repo, s, t) == 1;
    if (!strcmp(option, "FAST_FORWARD_MERGE")) {
        if (!ff) return manual_merge(c);
        *result = *s;
    } else if (git_oid_equal(s, t) || git_graph_descendant_of(repo, t, s) == 1) {
        *result = *t; /* the source is already in the destination */
    } else {
        git_index *idx = NULL;
        git_merge_options mo;
        git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
        const char *how = jstr(in, "conflictResolutionStrategy");
        if (how && !strcmp(how, "ACCEPT_SOURCE")) mo.file_favor = GIT_MERGE_FILE_FAVOR_THEIRS;
        if (how && !strcmp(how, "ACCEPT_DESTINATION")) mo.file_favor = GIT_MERGE_FILE_FAVOR_OURS;
        if (ff) { /* the source's tree is the result */
            git_tree *st = NULL;
            if (git_index_new(&idx) || !arena_own(c->a, index_free, idx) ||
                git_commit_tree(&st, src) || git_index_read_tree(idx, st)) {
                git_tree_free(st);
                return cc_git_fail(c, "read source");
            }
            git_tree_free(st);
        } else if (git_merge_commits(&idx, repo, dst, src, &mo) ||
                   !arena_own(c->a, index_free, idx))
            return cc_git_fail(c, "merge");
        if (git_index_has_conflicts(idx)) return manual_merge(c);
        git_oid tid;
        git_tree *tree = NULL;
        git_signature *sig;
        if (git_index_write_tree_to(&tid, idx, repo) || git_tree_lookup(&tree, repo, &tid) ||
            !arena_own(c->a, obj_free, tree))
            return cc_git_fail(c, "write tree");
        if (signature(c, jstr(in, "authorName"), jstr(in, "email"), &sig)) return -1;
        const git_commit *parents[2] = {dst, src};
        int three = !strcmp(option, "THREE_WAY_MERGE");
        const char *m = jstr(in, "commitMessage");
        if (!m) m = msg;
        if (git_commit_create(result, repo, NULL, sig, sig, NULL, m ? m : "", tree, three ? 2 : 1,
                              parents))
            return cc_git_fail(c, "write commit");
    }
    if (!git_oid_equal(&tip, result) && move_branch(c, repo, doc, target, result, &tip, "merge"))
        return -1;
    return cc_touch(c, doc, repo, target);
}

/* MergeBranchesBy*: the source and destination specifiers merged into targetBranch. */
static int merge_branches(call *c, json_t *in, json_t **out, const char *action, const char *option)
{
    json_t *d;
    git_repository *repo;
    git_commit *src, *dst, *res;
    const char *dspec = jstr(in, "destinationCommitSpecifier"), *target = jstr(in, "targetBranch");
    if (open_repo(c, in, action, &d, &repo) ||
        cc_resolve(c, repo, d, jstr(in, "sourceCommitSpecifier"), &src) ||
        cc_resolve(c, repo, d, dspec, &dst))
        return -1;
    if (!target) target = dspec;
    git_oid id;
    if (cc_merge(c, repo, d, option, src, dst, target, in, NULL, &id)) return -1;
    if (git_commit_lookup(&res, repo, &id) || !arena_own(c->a, obj_free, res))
        return cc_git_fail(c, "read merge");
    *out = svc_out(c, json_pack("{s:s, s:s}", "commitId", hex(c, &id), "treeId",
                                hex(c, git_commit_tree_id(res))));
    return 0;
}

int codecommit_op_merge_branches_by_fast_forward(call *c, json_t *in, json_t **out)
{
    return merge_branches(c, in, out, "codecommit:MergeBranchesByFastForward",
                          "FAST_FORWARD_MERGE");
}

int codecommit_op_merge_branches_by_squash(call *c, json_t *in, json_t **out)
{
    return merge_branches(c, in, out, "codecommit:MergeBranchesBySquash", "SQUASH_MERGE");
}

int codecommit_op_merge_branches_by_three_way(call *c, json_t *in, json_t **out)
{
    return merge_branches(c, in, out, "codecommit:MergeBranchesByThreeWay", "THREE_WAY_MERGE");
}

/* ---- merge previews ---- */

/* The source and destination of a merge preview, their merge base (*has_base), and whether
 * the source fast-forwards the destination. */
static int preview(call *c, json_t *in, const char *action, git_repository **repo, git_commit **src,
                   git_commit **dst, git_oid *base, int *has_base, int *ff)
{
    json_t *d;
    if (open_repo(c, in, action, &d, repo) ||
        cc_resolve(c, *repo, d, jstr(in, "sourceCommitSpecifier"), src) ||
        cc_resolve(c, *repo, d, jstr(in, "destinationCommitSpecifier"), dst))
        return -1;
    const git_oid *s = git_commit_id(*src), *t = git_commit_id(*dst);
    *has_base = git_merge_base(base, *repo, s, t) == 0;
    *ff = git_oid_equal(s, t) || git_graph_descendant_of(*repo, s, t) == 1;
    return 0;
}

static int preview_ids(call *c, json_t *out, const git_commit *src, const git_commit *dst,
                       const git_oid *base, int has_base)
{
    return jset_str(out, "sourceCommitId", hex(c, git_commit_id(src))) ||
                   jset_str(out, "destinationCommitId", hex(c, git_commit_id(dst))) ||
                   (has_base && jset_str(out, "baseCommitId", hex(c, base)))
               ? ferr_oom(c->err)
               : 0;
}

int codecommit_op_get_merge_options(call *c, json_t *in, json_t **out)
{
    git_repository *repo;
    git_commit *src, *dst;
    git_oid base;
    int has_base, ff;
    if (preview(c, in, "codecommit:GetMergeOptions", &repo, &src, &dst, &base, &has_base, &ff))
        return -1;
    /* squash and three-way merges are always offered (conflicts are theirs to resolve) */
    *out =
        ff ? svc_out(c, json_pack("{s:[s, s, s]}", "mergeOptions", "FAST_FORWARD_MERGE",
                                  "SQUASH_MERGE", "THREE_WAY_MERGE"))
           : svc_out(c, json_pack("{s:[s, s]}", "mergeOptions", "SQUASH_MERGE", "THREE_WAY_MERGE"));
    return *out ? preview_ids(c, *out, src, dst, &base, has_base) : -1;
}

int codecommit_op_get_merge_conflicts(call *c, json_t *in, json_t **out)
{
    git_repository *repo;
    git_commit *src, *dst;
    git_oid base;
    int has_base, ff;
    const char *option = jstr(in, "mergeOption");
    if (preview(c, in, "codecommit:GetMergeConflicts", &repo, &src, &dst, &base, &has_base, &ff))
        return -1;
    json_t *list = json_array();
    *out = svc_out(c, json_pack("{s:b, s:o}", "mergeable", 1, "conflictMetadataList", list));
    if (!*out || preview_ids(c, *out, src, dst, &base, has_base)) return -1;
    if (option && !strcmp(option, "FAST_FORWARD_MERGE")) {
        if (!ff && json_object_set_new(*out, "mergeable", json_false())) return ferr_oom(c->err);
        return 0;
    }
    if (ff) return 0;
    git_index *idx = NULL;
    if (git_merge_commits(&idx, repo, dst, src, NULL) || !arena_own(c->a, index_free, idx))
        return cc_git_fail(c, "merge");
    if (!git_index_has_conflicts(idx)) return 0;
    git_index_conflict_iterator *it = NULL;
    const git_index_entry *anc, *ours, *theirs;
    if (git_index_conflict_iterator_new(&it, idx)) return cc_git_fail(c, "conflicts");
    int rc = json_object_set_new(*out, "mergeable", json_false());
    while (!rc && !git_index_conflict_next(&anc, &ours, &theirs, it)) {
        const char *path = ours ? ours->path : theirs ? theirs->path : anc->path;
        rc = json_array_append_new(list,
                                   json_pack("{s:s, s:b, s:b, s:b, s:i}", "filePath", path,
                                             "contentConflict", ours && theirs, "fileModeConflict",
                                             ours && theirs && ours->mode != theirs->mode,
                                             "objectTypeConflict", 0, "numberOfConflicts", 1));
    }
    git_index_conflict_iterator_free(it);
    return rc ? ferr_oom(c->err) : 0;
}

/* codecommit_checkout_op (codecommit.h): where CodeBuild's source download clones from, and
 * the commit it checks out, authorized as git's own pull. The clone itself is git's (run by
 * the caller, outside any transaction), as a push is. */
static int checkout(call *c, json_t *in, json_t **out)
{
    json_t *doc;
    git_repository *repo;
    git_commit *commit;
    if (cc_repo_load(c, "codecommit:GitPull", jstr(in, "repositoryName"), &doc) ||
        cc_git_open(c, doc, &repo) ||
        cc_resolve(c, repo, doc, jstr(in, "commitSpecifier"), &commit))
        return -1;
    const char *id = hex(c, git_commit_id(commit)), *dir = cc_repo_dir(c, doc),
               *url = cc_clone_url(c, jstr(doc, "repositoryName"));
    if (!dir) return -1;
    if (!id || !url) return ferr_oom(c->err);
    *out = svc_out(
        c, json_pack("{s:s, s:s, s:s}", "commitId", id, "gitDir", dir, "cloneUrlHttp", url));
    return 0;
}

const svc_op codecommit_checkout_op = {"GitPull", checkout, SVC_READ};

/* codecommit_archive_op (codecommit.h): the files of a commit as a zip, as CodePipeline's
 * source action takes them, authorized as AWS authorizes it (codecommit:UploadArchive). */
typedef struct archive_walk {
    call *c;
    git_repository *repo;
    zipar_entry *ents;
    size_t n, cap, total, max;
    int rc;
} archive_walk;

static int archive_entry(const char *root, const git_tree_entry *te, void *payload)
{
    archive_walk *w = payload;
    call *c = w->c;
    git_filemode_t m = git_tree_entry_filemode(te);
    if (git_tree_entry_type(te) != GIT_OBJECT_BLOB)
        return 0; /* trees are walked; submodules skipped */
    git_blob *blob;
    if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(te))) {
        w->rc = cc_git_fail(c, "read blob");
        return -1;
    }
    if (!arena_own(c->a, obj_free, blob)) {
        git_blob_free(blob);
        w->rc = ferr_oom(c->err);
        return -1;
    }
    size_t len = (size_t)git_blob_rawsize(blob);
    if (w->n == ZIPAR_MAX_ENTRIES || len > w->max - w->total) {
        w->rc = ferr_set(c->err, 400, "InvalidRequest",
                         "The files of the commit are more than %zu bytes or %d files, more than "
                         "an artifact holds.",
                         w->max, ZIPAR_MAX_ENTRIES);
        return -1;
    }
    w->total += len;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        zipar_entry *ne = arena_alloc(c->a, cap * sizeof(*ne));
        if (!ne) {
            w->rc = ferr_oom(c->err);
            return -1;
        }
        if (w->n) memcpy(ne, w->ents, w->n * sizeof(*ne));
        w->ents = ne;
        w->cap = cap;
    }
    const char *name = arena_printf(c->a, "%s%s", root, git_tree_entry_name(te));
    if (!name) {
        w->rc = ferr_oom(c->err);
        return -1;
    }
    w->ents[w->n++] = (zipar_entry){name, git_blob_rawcontent(blob), len,
                                    m == GIT_FILEMODE_BLOB_EXECUTABLE ? 0100755u
                                    : m == GIT_FILEMODE_LINK          ? 0120777u
                                                                      : 0100644u};
    return 0;
}

static int archive(call *c, json_t *in, json_t **out)
{
    const size_t *max = c->arg;
    json_t *doc;
    git_repository *repo;
    git_commit *commit;
    if (cc_repo_load(c, "codecommit:UploadArchive", jstr(in, "repositoryName"), &doc) ||
        cc_git_open(c, doc, &repo) ||
        cc_resolve(c, repo, doc, jstr(in, "commitSpecifier"), &commit))
        return -1;
    git_tree *tree = NULL;
    if (git_commit_tree(&tree, commit)) return cc_git_fail(c, "read tree");
    archive_walk w = {.c = c, .repo = repo, .max = *max};
    int rc = git_tree_walk(tree, GIT_TREEWALK_PRE, archive_entry, &w);
    git_tree_free(tree);
    if (w.rc) return -1;
    if (rc) return cc_git_fail(c, "walk tree");
    unsigned char *zip = NULL;
    size_t zn = 0;
    if (zipar_write_entries(w.ents, w.n, &zip, &zn, c->err)) return -1;
    const char *b64 = enc_b64(c->a, zip, zn);
    free(zip);
    const char *id = hex(c, git_commit_id(commit));
    if (!b64 || !id) return ferr_oom(c->err);
    *out = svc_out(c, json_pack("{s:s, s:s}", "commitId", id, "archive", b64));
    return 0;
}

const svc_op codecommit_archive_op = {"UploadArchive", archive, SVC_READ};

/* ---- what a change touched (gitchange.h) ---- */

static int tree_of(git_repository *repo, const git_oid *id, git_tree **out)
{
    git_commit *cm = NULL;
    int rc = git_commit_lookup(&cm, repo, id) || git_commit_tree(out, cm);
    git_commit_free(cm);
    return rc ? -1 : 0;
}

json_t *cc_paths_between(const char *dir, const char *old_hex, const char *new_hex, int from_base,
                         ferr *e)
{
    git_repository *repo = NULL;
    git_tree *ot = NULL, *nt = NULL;
    git_diff *diff = NULL;
    json_t *out = NULL;
    git_oid o, n, base;
    int have_old = strspn(old_hex, "0") != strlen(old_hex);
    if (git_repository_open_bare(&repo, dir) || git_oid_fromstr(&n, new_hex) ||
        (have_old && git_oid_fromstr(&o, old_hex))) {
        ferr_internal(e, "codecommit: cannot read %s", dir);
        goto out;
    }
    /* a pull request's files: those its source changed since it left the destination */
    if (have_old && from_base && !git_merge_base(&base, repo, &o, &n)) o = base;
    if ((have_old && tree_of(repo, &o, &ot)) || tree_of(repo, &n, &nt) ||
        git_diff_tree_to_tree(&diff, repo, ot, nt, NULL)) {
        ferr_internal(e, "codecommit: cannot compare %.12s with %.12s", old_hex, new_hex);
        goto out;
    }
    out = json_array();
    for (size_t i = 0; out && i < git_diff_num_deltas(diff); i++) {
        const git_diff_delta *dl = git_diff_get_delta(diff, i);
        const char *p = dl->status == GIT_DELTA_DELETED ? dl->old_file.path : dl->new_file.path;
        if (json_array_append_new(out, json_string(p))) json_decref(out), out = NULL;
    }
    if (!out) ferr_oom(e);
out:
    git_diff_free(diff);
    git_tree_free(ot);
    git_tree_free(nt);
    git_repository_free(repo);
    return out;
}
