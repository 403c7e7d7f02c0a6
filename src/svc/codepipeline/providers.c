/* What each action provider does (see run.h): Source S3, CodeCommit and ECR, Approval Manual,
 * Deploy CloudFormation, Invoke Lambda, Build/Test CodeBuild. Every call an action makes,
 * artifact reads and writes included, goes through svc_invoke as the role the action runs
 * as, so it is authorized (S3, KMS, PassRole...) and audited as AWS would have it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/zip.h"
#include "codepipeline_int.h"
#include "engine/builds.h"
#include "engine/stacks/engine.h"
#include "run.h"
#include "svc/codecommit/codecommit.h"

#define MAX_ARTIFACT     (16u << 20)       /* what S3 hands an internal caller in one GetObject */
#define APPROVAL_TIMEOUT (7 * 24 * 3600.0) /* AWS: an approval not answered in 7 days fails */

/* service:op as the action's role: 0 and *out (a new reference), or -1 with the action
 * failed with the service's error. */
static int invoke(cp_run *r, const char *service, const char *op, json_t *in, json_t **out)
{
    *out = NULL;
    if (!in) return cp_fail(r, "JobFailed", "out of memory");
    if (cp_run_as(r)) {
        json_decref(in);
        return -1;
    }
    ferr e = {0};
    int rc = svc_invoke(r->env, &r->who, r->region, service, op, in, out, NULL, &e);
    json_decref(in);
    if (rc) return cp_fail(r, e.code[0] ? e.code : "JobFailed", "%s", e.message);
    return 0;
}

/* A builder's result that cannot fail the step but must not be dropped: out of memory fails
 * the action. */
static void must(cp_run *r, int rc)
{
    if (rc) cp_fail(r, "JobFailed", "out of memory");
}

static int ok(cp_run *r)
{
    return json_object_set_new(r->res, "status", json_string("Succeeded")) ? -1 : 0;
}

static int set(cp_run *r, const char *k, json_t *v)
{
    if (json_object_set_new(r->res, k, v)) return cp_fail(r, "JobFailed", "out of memory");
    return 0;
}

/* The action waits (polled again); wait {kind, ...} is taken. A "key" in it is the
 * svc_notify key of the work's end (a build, a stack operation): the engine wakes on it
 * instead of waiting for its next poll. */
static int waiting(cp_run *r, json_t *wait)
{
    if (!wait || json_object_set_new(r->res, "status", json_string("InProgress")) ||
        json_object_set_new(r->res, "phase", json_string("wait")) ||
        json_object_set_new(r->res, "wait", wait))
        return cp_fail(r, "JobFailed", "out of memory");
    return 0;
}

/* ---- artifacts ---- */

static const json_t *store_of(cp_run *r)
{
    const json_t *decl = json_object_get(r->exec, "decl");
    const json_t *per = json_object_get(json_object_get(decl, "artifactStores"), r->region);
    return per ? per : json_object_get(decl, "artifactStore");
}

/* A new artifact location: PIPELINE/ARTIFACT/KEY, the pipeline's name cut at 20 characters
 * and a random 7-character key, as AWS names them. */
static json_t *new_location(cp_run *r, const char *name)
{
    char key[8];
    ids_lower_alnum(key, 7);
    const char *pipe = jstr(r->exec, "pipelineName");
    char *k = arena_printf(r->a, "%.20s/%s/%s", pipe, name, key);
    return k ? json_pack("{s:s, s:s}", "bucket", jstr(store_of(r), "location"), "key", k) : NULL;
}

static int art_put(cp_run *r, const char *name, const unsigned char *p, size_t n)
{
    json_t *loc = new_location(r, name);
    const char *b64 = enc_b64(r->a, p, n);
    if (!loc || !b64) {
        json_decref(loc);
        return cp_fail(r, "JobFailed", "out of memory");
    }
    json_t *in = json_pack("{s:O, s:O, s:s}", "Bucket", json_object_get(loc, "bucket"), "Key",
                           json_object_get(loc, "key"), "Body", b64);
    const json_t *ek = json_object_get(store_of(r), "encryptionKey");
    if (in && ek &&
        (jset_str(in, "ServerSideEncryption", "aws:kms") ||
         jset_str(in, "SSEKMSKeyId", jstr(ek, "id"))))
        json_decref(in), in = NULL;
    json_t *out;
    if (invoke(r, "s3", "PutObject", in, &out)) {
        json_decref(loc);
        return -1;
    }
    json_decref(out);
    json_t *outs = json_object_get(r->res, "outputArtifacts");
    if (!outs && set(r, "outputArtifacts", outs = json_object())) return json_decref(loc), -1;
    if (json_object_set_new(outs, name, loc)) return cp_fail(r, "JobFailed", "out of memory");
    return 0;
}

/* The bytes of input artifact name (arena): 0, or -1 with the action failed. */
static int art_get(cp_run *r, const char *name, unsigned char **p, size_t *n)
{
    const json_t *loc = json_object_get(json_object_get(r->exec, "artifacts"), name);
    if (!loc) return cp_fail(r, "JobFailed", "Input artifact %s was not produced", name);
    json_t *out;
    if (invoke(r, "s3", "GetObject",
               json_pack("{s:O, s:O}", "Bucket", json_object_get(loc, "bucket"), "Key",
                         json_object_get(loc, "key")),
               &out))
        return -1;
    const char *b64 = jstr(out, "Body");
    *p = b64 ? enc_unb64(r->a, b64, strlen(b64), n) : NULL;
    json_decref(out);
    if (!*p) return cp_fail(r, "JobFailed", "The artifact %s could not be read", name);
    return 0;
}

/* The file "ARTIFACT::path" from its input artifact's zip (malloc'd, NUL-terminated). */
static char *art_file(cp_run *r, const char *spec, const char *what)
{
    const char *sep = spec ? strstr(spec, "::") : NULL;
    if (!sep) {
        cp_fail(r, "JobFailed", "%s must be of the form ArtifactName::FileName: %s", what,
                spec ? spec : "");
        return NULL;
    }
    char *art = arena_strndup(r->a, spec, (size_t)(sep - spec));
    unsigned char *zb;
    size_t zn;
    if (!art || art_get(r, art, &zb, &zn)) return NULL;
    zipar *z = NULL;
    ferr e = {0};
    unsigned char *body = NULL;
    size_t len;
    int rc = zipar_open_mem(zb, zn, MAX_ARTIFACT * 4ull, &z, &e);
    if (!rc) rc = zipar_read(z, sep + 2, &body, &len, &e);
    zipar_free(z);
    if (rc) {
        cp_fail(r, "JobFailed",
                rc > 0 ? "File %s does not exist in artifact %s"
                       : "Artifact %s is not a zip file%s",
                rc > 0 ? sep + 2 : art, rc > 0 ? art : "");
        return NULL;
    }
    return (char *)body;
}

/* A source action's end: its revision (externalExecutionId, the artifact's revision) and
 * summary, succeeded. summary is taken. */
static int source_done(cp_run *r, const char *outname, const char *rev, json_t *summary,
                       const char *rev_summary)
{
    return set(r, "externalExecutionId", json_string(rev)) || set(r, "summary", summary) ||
                   set(r, "revision",
                       json_pack("{s:s, s:s, s:s, s:f}", "name", outname, "revisionId", rev,
                                 "revisionSummary", rev_summary, "created", clock_now())) ||
                   ok(r)
               ? -1
               : 0;
}

/* ---- Source: S3 ---- */

/* The revision the execution takes for this source action instead of its latest
 * (StartPipelineExecution's sourceRevisions, a trigger's commit), or NULL. */
static const json_t *source_override(cp_run *r)
{
    return json_object_get(json_object_get(r->exec, "sources"), jstr(r->decl, "name"));
}

static int source_s3(cp_run *r)
{
    const json_t *ov = source_override(r);
    const char *bucket = jstr(r->config, "S3Bucket"), *key = jstr(r->config, "S3ObjectKey");
    if (jstr(ov, "objectKey")) key = jstr(ov, "objectKey");
    const char *outname =
        jstr(json_array_get(json_object_get(r->decl, "outputArtifacts"), 0), "name");
    json_t *out;
    if (invoke(r, "s3", "GetObject",
               json_pack("{s:s, s:s, s:s?}", "Bucket", bucket, "Key", key, "VersionId",
                         jstr(ov, "versionId")),
               &out))
        return -1;
    const char *b64 = jstr(out, "Body");
    size_t n = 0;
    unsigned char *p = b64 ? enc_unb64(r->a, b64, strlen(b64), &n) : NULL;
    const char *ver = arena_strdup(r->a, jstr(out, "VersionId") ? jstr(out, "VersionId") : "null");
    const char *etag = arena_strdup(r->a, jstr(out, "ETag") ? jstr(out, "ETag") : "");
    json_decref(out);
    if (!p || !ver || !etag) return cp_fail(r, "JobFailed", "out of memory");
    if (art_put(r, outname, p, n)) return -1;
    if (set(r, "outputVariables",
            json_pack("{s:s, s:s, s:s, s:s}", "BucketName", bucket, "ObjectKey", key, "VersionId",
                      ver, "ETag", etag)))
        return -1;
    return source_done(r, outname, ver, json_sprintf("Amazon S3 version id: %s", ver), key);
}

/* ---- Source: CodeCommit ---- */

/* The commit's files as a zip, made by CodeCommit as codecommit:UploadArchive (what AWS asks
 * of the action's role): malloc'd bytes, or NULL with the action failed. */
static unsigned char *archive_of(cp_run *r, const char *repo, const char *commit, size_t *n)
{
    static const size_t max = MAX_ARTIFACT;
    json_t *in = json_pack("{s:s, s:s}", "repositoryName", repo, "commitSpecifier", commit),
           *out = NULL;
    if (!in || cp_run_as(r)) {
        if (!in) cp_fail(r, "JobFailed", "out of memory");
        json_decref(in);
        return NULL;
    }
    ferr e = {0};
    int rc = svc_invoke_fn(r->env, &r->who, r->region, "codecommit", &codecommit_archive_op, &max,
                           in, &out, &e);
    json_decref(in);
    if (rc) {
        cp_fail(r, e.code[0] ? e.code : "JobFailed", "%s", e.message);
        return NULL;
    }
    const char *b64 = jstr(out, "archive");
    unsigned char *zip = b64 ? enc_unb64(r->a, b64, strlen(b64), n) : NULL;
    json_decref(out);
    if (!zip) cp_fail(r, "JobFailed", "The archive of %s could not be read", commit);
    return zip;
}

/* OutputArtifactFormat CODEBUILD_CLONE_REF: the artifact is a reference to the commit
 * (JSON), which only a CodeBuild action takes: its build clones the repository, git metadata
 * and all, as the project's role with codecommit:GitPull, as AWS's does (build_start). */
static int clone_ref(cp_run *r, const char *repo, const char *commit, const char *outname)
{
    const char *url =
        arena_printf(r->a, "https://git-codecommit.%s.amazonaws.com/v1/repos/%s", r->region, repo);
    json_t *ref = url ? json_pack("{s:s, s:s, s:s}", "repositoryName", repo, "commitId", commit,
                                  "location", url)
                      : NULL;
    char *text = ref ? json_dumps(ref, JSON_COMPACT) : NULL;
    int rc = !text ? cp_fail(r, "JobFailed", "out of memory")
                   : art_put(r, outname, (const unsigned char *)text, strlen(text));
    free(text);
    json_t *loc = json_object_get(json_object_get(r->res, "outputArtifacts"), outname);
    if (!rc && (!loc || json_object_set(loc, "cloneRef", ref)))
        rc = cp_fail(r, "JobFailed", "out of memory");
    json_decref(ref);
    return rc;
}

static int source_codecommit(cp_run *r)
{
    const char *repo = jstr(r->config, "RepositoryName"), *branch = jstr(r->config, "BranchName");
    const char *outname =
        jstr(json_array_get(json_object_get(r->decl, "outputArtifacts"), 0), "name");
    const json_t *ov = source_override(r);
    json_t *out;
    const char *commit = jstr(ov, "commitId");
    /* a trigger's commit, on the branch it was pushed to (a pull request's source) */
    if (jstr(ov, "branch")) branch = jstr(ov, "branch");
    if (!commit) {
        if (invoke(r, "codecommit", "GetBranch",
                   json_pack("{s:s, s:s}", "repositoryName", repo, "branchName", branch), &out))
            return -1;
        commit = arena_strdup(r->a, jstr(json_object_get(out, "branch"), "commitId"));
        json_decref(out);
    }
    if (!commit) return cp_fail(r, "JobFailed", "Branch %s of %s has no commit", branch, repo);
    if (invoke(r, "codecommit", "GetCommit",
               json_pack("{s:s, s:s}", "repositoryName", repo, "commitId", commit), &out))
        return -1;
    const json_t *cm = json_object_get(out, "commit");
    json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "CommitId", commit, "BranchName",
                             branch, "RepositoryName", repo, "CommitMessage",
                             jstr(cm, "message") ? jstr(cm, "message") : "", "AuthorDate",
                             jstr(json_object_get(cm, "author"), "date")
                                 ? jstr(json_object_get(cm, "author"), "date")
                                 : "",
                             "CommitterDate",
                             jstr(json_object_get(cm, "committer"), "date")
                                 ? jstr(json_object_get(cm, "committer"), "date")
                                 : "");
    const char *msg = arena_strdup(r->a, jstr(cm, "message") ? jstr(cm, "message") : "");
    json_decref(out);
    if (set(r, "outputVariables", vars)) return -1;
    const char *format = jstr(r->config, "OutputArtifactFormat");
    if (format && !strcmp(format, "CODEBUILD_CLONE_REF")) {
        if (clone_ref(r, repo, commit, outname)) return -1;
    } else {
        size_t zn = 0;
        unsigned char *zip = archive_of(r, repo, commit, &zn);
        if (!zip || art_put(r, outname, zip, zn)) return -1;
    }
    return source_done(r, outname, commit, json_string(msg), msg);
}

/* ---- Source: ECR ---- */

/* The image RepositoryName:ImageTag (default latest) as the action's role sees it
 * (ecr:DescribeImages): the artifact is a zip of AWS's imageDetail.json, the output
 * variables RegistryId, RepositoryName, ImageTag, ImageDigest and ImageURI. */
static int source_ecr(cp_run *r)
{
    const char *repo = jstr(r->config, "RepositoryName"), *tag = jstr(r->config, "ImageTag");
    if (!tag) tag = "latest";
    const char *outname =
        jstr(json_array_get(json_object_get(r->decl, "outputArtifacts"), 0), "name");
    json_t *out;
    if (invoke(r, "ecr", "DescribeImages",
               json_pack("{s:s, s:[{s:s}]}", "repositoryName", repo, "imageIds", "imageTag", tag),
               &out))
        return -1;
    const json_t *d = json_array_get(json_object_get(out, "imageDetails"), 0);
    const char *reg = arena_strdup(r->a, jstr(d, "registryId") ? jstr(d, "registryId") : "");
    const char *digest = arena_strdup(r->a, jstr(d, "imageDigest") ? jstr(d, "imageDigest") : "");
    const char *uri =
        arena_printf(r->a, "%s.dkr.ecr.%s.amazonaws.com/%s@%s", reg, r->region, repo, digest);
    /* AWS writes the push time as Java's Date.toString() does */
    time_t at = (time_t)json_number_value(json_object_get(d, "imagePushedAt"));
    struct tm tm;
    char when[40] = "", size[24];
    if (gmtime_r(&at, &tm)) strftime(when, sizeof(when), "%a %b %d %H:%M:%S UTC %Y", &tm);
    snprintf(size, sizeof(size), "%lld", jint(d, "imageSizeInBytes", 0));
    json_t *tags = json_object_get(d, "imageTags");
    json_t *detail = d && uri
                         ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "ImageSizeInBytes",
                                     size, "ImageDigest", digest, "Version", "1.0", "ImagePushedAt",
                                     when, "RegistryId", reg, "RepositoryName", repo, "ImageURI",
                                     uri, "ImageTags", tags ? tags : json_array())
                         : NULL;
    json_decref(out);
    if (!d) return cp_fail(r, "JobFailed", "The image %s:%s was not found", repo, tag);
    char *text = detail ? json_dumps(detail, JSON_INDENT(4)) : NULL;
    json_decref(detail);
    const char *names[] = {"imageDetail.json"}, *texts[] = {text};
    unsigned char *zip = NULL;
    size_t zn = 0;
    ferr e = {0};
    int rc = !text ? cp_fail(r, "JobFailed", "out of memory")
             : zipar_write_mem(names, texts, 1, &zip, &zn, &e)
                 ? cp_fail(r, "JobFailed", "%s", e.message)
                 : art_put(r, outname, zip, zn);
    free(text);
    free(zip);
    if (rc) return -1;
    if (set(r, "outputVariables",
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "RegistryId", reg, "RepositoryName", repo,
                      "ImageTag", tag, "ImageDigest", digest, "ImageURI", uri)))
        return -1;
    return source_done(r, outname, digest, json_sprintf("Image tag: %s", tag), tag);
}

/* ---- Approval: Manual ---- */

static int approval(cp_run *r)
{
    char token[37];
    ids_uuid(token);
    const char *topic = jstr(r->config, "NotificationArn");
    if (topic) {
        const char *pipe = jstr(r->exec, "pipelineName");
        const char *console =
            arena_printf(r->a,
                         "https://console.aws.amazon.com/codesuite/codepipeline/pipelines/%s/view"
                         "?region=%s",
                         pipe, r->home);
        const char *review = arena_printf(
            r->a,
            "https://console.aws.amazon.com/codesuite/codepipeline/pipelines/%s/view?region=%s#/"
            "%s/%s/approve/%s",
            pipe, r->home, r->stage, jstr(r->decl, "name"), token);
        /* AWS's message: the region, the console link and the approval to give */
        json_t *m =
            console && review
                ? json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s?}}", "region",
                            r->home, "consoleLink", console, "approval", "pipelineName", pipe,
                            "stageName", r->stage, "actionName", jstr(r->decl, "name"), "token",
                            token, "expires", "in 7 days", "externalEntityLink",
                            jstr(r->config, "ExternalEntityLink"), "approvalReviewLink", review,
                            "customData", jstr(r->config, "CustomData"))
                : NULL;
        char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
        json_decref(m);
        const char *subj =
            arena_printf(r->a, "APPROVAL NEEDED: AWS CodePipeline %.40s for action %.40s", pipe,
                         jstr(r->decl, "name"));
        json_t *out;
        int rc = invoke(r, "sns", "Publish",
                        text && subj ? json_pack("{s:s, s:s, s:s}", "TopicArn", topic, "Message",
                                                 text, "Subject", subj)
                                     : NULL,
                        &out);
        free(text);
        json_decref(out);
        if (rc) return -1;
    }
    /* settled by PutApprovalResult; polled only for its deadline (AWS: 7 days), which is
     * stored with the action so that a restart keeps it */
    const char *sec = getenv("FERRY_PIPELINE_APPROVAL_TIMEOUT"); /* test seam */
    double limit = sec && atof(sec) > 0 ? atof(sec) : APPROVAL_TIMEOUT;
    return set(r, "token", json_string(token)) ||
                   waiting(r, json_pack("{s:s, s:f}", "kind", "approval", "deadline",
                                        clock_now() + limit))
               ? -1
               : 0;
}

static int approval_poll(cp_run *r)
{
    const json_t *w = json_object_get(r->state, "wait");
    if (clock_now() < json_number_value(json_object_get(w, "deadline")))
        return waiting(r, json_deep_copy(w));
    cp_fail(r, "JobFailed", "The approval request expired: no response was received in time");
    return set(r, "summary", json_string("Approval expired"));
}

/* ---- Deploy: CloudFormation ---- */

static const char *stack_status(cp_run *r, const char *stack, json_t **st)
{
    json_t *out;
    *st = NULL;
    if (invoke(r, "cloudformation", "DescribeStacks", json_pack("{s:s}", "StackName", stack),
               &out)) {
        /* a stack that does not exist is not a failure here */
        const char *m = jstr(json_object_get(r->res, "error"), "message");
        if (m && strstr(m, "does not exist")) {
            json_object_clear(r->res);
            return "";
        }
        return NULL;
    }
    json_t *s = json_array_get(json_object_get(out, "Stacks"), 0);
    const char *status = s ? arena_strdup(r->a, jstr(s, "StackStatus")) : "";
    *st = json_incref(s);
    json_decref(out);
    return status;
}

/* Fn::GetArtifactAtt and Fn::GetParam in ParameterOverrides, as the action evaluates them. */
static json_t *param_value(cp_run *r, const json_t *v)
{
    if (json_is_string(v)) return json_incref((json_t *)v);
    const json_t *aa = json_object_get(v, "Fn::GetArtifactAtt");
    if (json_array_size(aa) == 2) {
        const char *art = json_string_value(json_array_get(aa, 0)),
                   *att = json_string_value(json_array_get(aa, 1));
        const json_t *loc = json_object_get(json_object_get(r->exec, "artifacts"), art);
        if (!loc || !att) return NULL;
        if (!strcmp(att, "BucketName")) return json_incref(json_object_get(loc, "bucket"));
        if (!strcmp(att, "ObjectKey")) return json_incref(json_object_get(loc, "key"));
        if (!strcmp(att, "URL"))
            return json_sprintf("https://%s.s3.amazonaws.com/%s", jstr(loc, "bucket"),
                                jstr(loc, "key"));
        return NULL;
    }
    const json_t *gp = json_object_get(v, "Fn::GetParam");
    if (json_array_size(gp) == 3) {
        const char *art = json_string_value(json_array_get(gp, 0)),
                   *file = json_string_value(json_array_get(gp, 1)),
                   *key = json_string_value(json_array_get(gp, 2));
        char *spec = arena_printf(r->a, "%s::%s", art ? art : "", file ? file : "");
        char *body = spec ? art_file(r, spec, "Fn::GetParam") : NULL;
        json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
        free(body);
        json_t *val = key ? json_incref(json_object_get(doc, key)) : NULL;
        json_decref(doc);
        return val;
    }
    return NULL;
}

/* The stack's parameters, and in *tags the template configuration file's Tags ({k: v}) as
 * the stack's [{Key, Value}] (AWS: the file's Parameters, Tags and StackPolicy). */
static json_t *cfn_params(cp_run *r, json_t **tags)
{
    json_t *p = json_object();
    const char *tc = jstr(r->config, "TemplateConfiguration");
    *tags = NULL;
    if (tc) {
        char *body = art_file(r, tc, "TemplateConfiguration");
        json_t *doc = body ? json_loads(body, 0, NULL) : NULL;
        free(body);
        if (!doc) return json_decref(p), NULL;
        must(r, json_object_update(p, json_object_get(doc, "Parameters")));
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(doc, "Tags"), k, v) {
            if (!*tags) *tags = json_array();
            if (json_is_string(v))
                must(r,
                     json_array_append_new(*tags, json_pack("{s:s, s:O}", "Key", k, "Value", v)));
        }
        json_decref(doc);
    }
    const char *po = jstr(r->config, "ParameterOverrides");
    if (po) {
        json_t *doc = json_loads(po, 0, NULL);
        const char *k;
        json_t *v;
        if (!json_is_object(doc)) {
            json_decref(doc);
            json_decref(p);
            json_decref(*tags);
            *tags = NULL;
            cp_fail(r, "JobFailed", "ParameterOverrides is not a valid JSON object");
            return NULL;
        }
        json_object_foreach(doc, k, v) {
            json_t *val = param_value(r, v);
            if (!val || !json_is_string(val)) {
                json_decref(val);
                json_decref(doc);
                json_decref(p);
                json_decref(*tags);
                *tags = NULL;
                if (!json_object_get(r->res, "error"))
                    cp_fail(r, "JobFailed", "Parameter %s could not be evaluated", k);
                return NULL;
            }
            must(r, json_object_set_new(p, k, val));
        }
        json_decref(doc);
    }
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v) {
        must(r, json_array_append_new(list,
                                      json_pack("{s:s, s:s}", "ParameterKey", k, "ParameterValue",
                                                json_string_value(v) ? json_string_value(v) : "")));
    }
    json_decref(p);
    return list;
}

/* The stack request: TemplateBody, Parameters, Capabilities, RoleARN. */
static json_t *cfn_request(cp_run *r, const char *stack)
{
    char *body = art_file(r, jstr(r->config, "TemplatePath"), "TemplatePath");
    if (!body) return NULL;
    json_t *tags;
    json_t *params = cfn_params(r, &tags);
    json_t *in = params ? json_pack("{s:s, s:s, s:o}", "StackName", stack, "TemplateBody", body,
                                    "Parameters", params)
                        : NULL;
    free(body);
    if (in && tags) must(r, json_object_set(in, "Tags", tags));
    json_decref(tags);
    if (!in) return NULL;
    const char *caps = jstr(r->config, "Capabilities");
    if (caps) {
        json_t *l = json_array();
        char *c = arena_strdup(r->a, caps), *save = NULL;
        for (char *t = c ? strtok_r(c, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
            must(r, json_array_append_new(l, json_string(t)));
        must(r, json_object_set_new(in, "Capabilities", l));
    }
    if (jstr(r->config, "RoleArn")) must(r, jset_str(in, "RoleARN", jstr(r->config, "RoleArn")));
    return in;
}

static int stack_done(cp_run *r, const json_t *st)
{
    json_t *vars = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(st, "Outputs"), i, o) {
        if (jstr(o, "OutputKey") && jstr(o, "OutputValue"))
            must(r, json_object_set_new(vars, jstr(o, "OutputKey"),
                                        json_string(jstr(o, "OutputValue"))));
    }
    const char *file = jstr(r->config, "OutputFileName");
    const char *outname =
        jstr(json_array_get(json_object_get(r->decl, "outputArtifacts"), 0), "name");
    if (file && outname) {
        char *text = json_dumps(vars, JSON_INDENT(2));
        const char *names[] = {file}, *texts[] = {text ? text : "{}"};
        unsigned char *zip = NULL;
        size_t zn;
        ferr e = {0};
        int rc = zipar_write_mem(names, texts, 1, &zip, &zn, &e);
        free(text);
        if (rc) {
            json_decref(vars);
            return cp_fail(r, "JobFailed", "%s", e.message);
        }
        rc = art_put(r, outname, zip, zn);
        free(zip);
        if (rc) return json_decref(vars), -1;
    }
    return set(r, "outputVariables", vars) || ok(r) ? -1 : 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int cfn_wait_stack(cp_run *r, const char *kind, const char *stack)
{
    if (set(r, "externalExecutionId", json_string(stack))) return -1;
    return waiting(r, json_pack("{s:s, s:s}", "kind", kind, "stack", stack));
}

static int cfn_create_or_update(cp_run *r, const char *stack, const char *status)
{
    json_t *in = cfn_request(r, stack), *out;
    if (!in) return -1;
    if (!*status) {
        if (invoke(r, "cloudformation", "CreateStack", in, &out)) return -1;
    } else if (invoke(r, "cloudformation", "UpdateStack", in, &out)) {
        /* AWS: an update with nothing to change succeeds at once */
        const char *m = jstr(json_object_get(r->res, "error"), "message");
        if (!m || !strstr(m, "No updates are to be performed")) return -1;
        json_object_clear(r->res);
        json_t *st;
        stack_status(r, stack, &st);
        int rc = stack_done(r, st);
        json_decref(st);
        return rc;
    }
    json_decref(out);
    return cfn_wait_stack(r, "stack", stack);
}

static int failed_state(const char *s)
{
    return !strcmp(s, "ROLLBACK_COMPLETE") || !strcmp(s, "ROLLBACK_FAILED") ||
           !strcmp(s, "CREATE_FAILED") || !strcmp(s, "DELETE_FAILED");
}

static int cfn_start(cp_run *r)
{
    const char *mode = jstr(r->config, "ActionMode"), *stack = jstr(r->config, "StackName");
    if (!mode || !stack)
        return cp_fail(r, "JobFailed", "The CloudFormation action needs ActionMode and StackName");
    json_t *st;
    const char *status = stack_status(r, stack, &st);
    json_decref(st);
    if (!status) return -1;
    json_t *out;
    if (!strcmp(mode, "DELETE_ONLY")) {
        if (!*status) return ok(r);
        if (invoke(r, "cloudformation", "DeleteStack", json_pack("{s:s}", "StackName", stack),
                   &out))
            return -1;
        json_decref(out);
        return cfn_wait_stack(r, "delete", stack);
    }
    if (!strcmp(mode, "CREATE_UPDATE")) {
        if (*status && failed_state(status))
            return cp_fail(r, "JobFailed", "Stack %s is in %s state and can not be updated.", stack,
                           status);
        return cfn_create_or_update(r, stack, status);
    }
    if (!strcmp(mode, "REPLACE_ON_FAILURE")) {
        if (*status && failed_state(status)) {
            if (invoke(r, "cloudformation", "DeleteStack", json_pack("{s:s}", "StackName", stack),
                       &out))
                return -1;
            json_decref(out);
            return cfn_wait_stack(r, "recreate", stack);
        }
        return cfn_create_or_update(r, stack, status);
    }
    const char *cs = jstr(r->config, "ChangeSetName");
    if (!cs) return cp_fail(r, "JobFailed", "ChangeSetName is required for %s", mode);
    if (!strcmp(mode, "CHANGE_SET_REPLACE")) {
        if (*status && strcmp(status, "REVIEW_IN_PROGRESS")) {
            /* AWS: the change set of that name is replaced */
            if (!invoke(r, "cloudformation", "DeleteChangeSet",
                        json_pack("{s:s, s:s}", "StackName", stack, "ChangeSetName", cs), &out))
                json_decref(out);
            json_object_clear(r->res);
        }
        json_t *in = cfn_request(r, stack);
        if (!in) return -1;
        if (jset_str(in, "ChangeSetName", cs) ||
            jset_str(in, "ChangeSetType",
                     !*status || !strcmp(status, "REVIEW_IN_PROGRESS") ? "CREATE" : "UPDATE")) {
            json_decref(in);
            return cp_fail(r, "JobFailed", "out of memory");
        }
        if (invoke(r, "cloudformation", "CreateChangeSet", in, &out)) return -1;
        json_decref(out);
        if (set(r, "externalExecutionId", json_string(stack))) return -1;
        return waiting(
            r, json_pack("{s:s, s:s, s:s}", "kind", "changeset", "stack", stack, "changeSet", cs));
    }
    if (!strcmp(mode, "CHANGE_SET_EXECUTE")) {
        if (invoke(r, "cloudformation", "ExecuteChangeSet",
                   json_pack("{s:s, s:s}", "StackName", stack, "ChangeSetName", cs), &out))
            return -1;
        json_decref(out);
        return cfn_wait_stack(r, "stack", stack);
    }
    return cp_fail(r, "JobFailed", "ActionMode %s is not valid", mode);
}

/* Waiting again for the stack whose description st is: its settling wakes the engine (the
 * stack's id, which a REPLACE_ON_FAILURE recreation changes). */
static int stack_wait_again(cp_run *r, const json_t *w, const json_t *st)
{
    json_t *again = json_deep_copy(w);
    const char *id = jstr(st, "StackId");
    if (again && id && json_object_set_new(again, "key", json_sprintf(CFN_SETTLED_KEY "%s", id)))
        json_decref(again), again = NULL;
    return waiting(r, again);
}

static int cfn_poll(cp_run *r)
{
    const json_t *w = json_object_get(r->state, "wait");
    const char *kind = jstr(w, "kind"), *stack = jstr(w, "stack");
    json_t *out;
    if (!strcmp(kind, "changeset")) {
        if (invoke(
                r, "cloudformation", "DescribeChangeSet",
                json_pack("{s:s, s:s}", "StackName", stack, "ChangeSetName", jstr(w, "changeSet")),
                &out))
            return -1;
        const char *s = jstr(out, "Status"), *why = jstr(out, "StatusReason");
        int rc = 0;
        if (s && !strcmp(s, "CREATE_COMPLETE"))
            rc = ok(r);
        else if (s && !strcmp(s, "FAILED") && why && strstr(why, "didn't contain changes"))
            rc = ok(r);
        else if (s && !strcmp(s, "FAILED"))
            rc = cp_fail(r, "JobFailed", "Change set %s failed: %s", jstr(w, "changeSet"),
                         why ? why : "");
        else
            rc = waiting(r, json_deep_copy(w));
        json_decref(out);
        return rc;
    }
    json_t *st;
    const char *status = stack_status(r, stack, &st);
    if (!status) return -1;
    int rc;
    if (!strcmp(kind, "delete") || !strcmp(kind, "recreate")) {
        if (*status && strcmp(status, "DELETE_COMPLETE")) {
            rc = !strcmp(status, "DELETE_FAILED")
                     ? cp_fail(r, "JobFailed", "Stack %s could not be deleted", stack)
                     : stack_wait_again(r, w, st);
        } else if (!strcmp(kind, "recreate")) {
            json_object_clear(r->res);
            rc = cfn_create_or_update(r, stack, "");
        } else {
            rc = ok(r);
        }
    } else if (ends_with(status, "_IN_PROGRESS")) {
        rc = stack_wait_again(r, w, st);
    } else if (!strcmp(status, "CREATE_COMPLETE") || !strcmp(status, "UPDATE_COMPLETE") ||
               !strcmp(status, "IMPORT_COMPLETE")) {
        rc = stack_done(r, st);
    } else {
        rc = cp_fail(r, "JobFailed", "Stack %s is in %s state: %s", stack, status,
                     jstr(st, "StackStatusReason") ? jstr(st, "StackStatusReason") : "");
    }
    json_decref(st);
    return rc;
}

/* ---- Deploy: S3 ---- */

/* One object of the deploy, with the action's ACL, cache control and KMS key. */
static int deploy_put(cp_run *r, const char *key, const unsigned char *p, size_t n)
{
    const char *b64 = enc_b64(r->a, p, n);
    json_t *in = b64 ? json_pack("{s:s, s:s, s:s}", "Bucket", jstr(r->config, "BucketName"), "Key",
                                 key, "Body", b64)
                     : NULL;
    const char *acl = jstr(r->config, "CannedACL"), *cc = jstr(r->config, "CacheControl"),
               *kms = jstr(r->config, "KMSEncryptionKeyARN");
    if (in && acl) must(r, jset_str(in, "ACL", acl));
    if (in && cc) must(r, jset_str(in, "CacheControl", cc));
    if (in && kms)
        must(r,
             jset_str(in, "ServerSideEncryption", "aws:kms") || jset_str(in, "SSEKMSKeyId", kms));
    json_t *out;
    if (invoke(r, "s3", "PutObject", in, &out)) return -1;
    json_decref(out);
    return 0;
}

/* AWS: Extract true writes each file of the input artifact under ObjectKey (a prefix, or the
 * bucket's root), false writes the artifact's zip as ObjectKey. */
static int s3_deploy(cp_run *r)
{
    const char *art = jstr(json_array_get(json_object_get(r->decl, "inputArtifacts"), 0), "name");
    const char *key = jstr(r->config, "ObjectKey");
    int extract = !strcasecmp(jstr(r->config, "Extract") ? jstr(r->config, "Extract") : "", "true");
    unsigned char *zb;
    size_t zn;
    if (art_get(r, art, &zb, &zn)) return -1;
    if (!extract) {
        if (deploy_put(r, key, zb, zn)) return -1;
        return set(r, "summary",
                   json_sprintf("Deployed %s to s3://%s/%s", art, jstr(r->config, "BucketName"),
                                key)) ||
                       ok(r)
                   ? -1
                   : 0;
    }
    zipar *z = NULL;
    ferr e = {0};
    if (zipar_open_mem(zb, zn, MAX_ARTIFACT * 4ull, &z, &e))
        return cp_fail(r, "JobFailed", "Artifact %s is not a zip file", art);
    size_t files = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < zipar_count(z); i++) {
        const char *name = zipar_file_name(z, i);
        if (!name) continue;
        unsigned char *body = NULL;
        size_t len = 0;
        if (zipar_read(z, name, &body, &len, &e)) {
            rc = cp_fail(r, "JobFailed", "File %s of artifact %s cannot be read", name, art);
            break;
        }
        const char *k = key && *key ? arena_printf(r->a, "%s%s%s", key,
                                                   key[strlen(key) - 1] == '/' ? "" : "/", name)
                                    : name;
        rc = k ? deploy_put(r, k, body, len) : cp_fail(r, "JobFailed", "out of memory");
        free(body);
        files++;
    }
    zipar_free(z);
    if (rc) return -1;
    return set(r, "summary",
               json_sprintf("Deployed %zu file(s) of %s to s3://%s/%s", files, art,
                            jstr(r->config, "BucketName"), key ? key : "")) ||
                   ok(r)
               ? -1
               : 0;
}

/* ---- Invoke: Lambda ---- */

static json_t *s3loc(const json_t *loc)
{
    return json_pack("{s:s, s:{s:O, s:O}}", "type", "S3", "s3Location", "bucketName",
                     json_object_get(loc, "bucket"), "objectKey", json_object_get(loc, "key"));
}

static int lambda_invoke(cp_run *r, const char *fn, const char *job, json_t *data);

/* A job for the action (the job-worker API in jobs.c settles it): the Lambda invoke action
 * hands it to its function, a custom action to the workers that PollForJobs for its type. */
static int job_start(cp_run *r, int lambda)
{
    if (cp_run_as(r)) return -1;
    const char *fn = jstr(r->config, "FunctionName");
    char job[37];
    ids_uuid(job);
    json_t *ins = json_array(), *outs = json_array(), *locs = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r->decl, "inputArtifacts"), i, v) {
        const json_t *loc = json_object_get(json_object_get(r->exec, "artifacts"), jstr(v, "name"));
        must(r,
             json_array_append_new(ins, json_pack("{s:O, s:o}", "name", json_object_get(v, "name"),
                                                  "location", s3loc(loc))));
    }
    json_array_foreach(json_object_get(r->decl, "outputArtifacts"), i, v) {
        json_t *loc = new_location(r, jstr(v, "name"));
        must(r,
             json_array_append_new(outs, json_pack("{s:O, s:o}", "name", json_object_get(v, "name"),
                                                   "location", s3loc(loc))));
        must(r, json_object_set_new(locs, jstr(v, "name"), loc));
    }
    json_t *cfg = lambda ? json_pack("{s:s}", "FunctionName", fn) : json_deep_copy(r->config);
    if (lambda && cfg && jstr(r->config, "UserParameters"))
        must(r, jset_str(cfg, "UserParameters", jstr(r->config, "UserParameters")));
    json_t *data = json_pack("{s:{s:o}, s:o, s:o, s:{s:s, s:s, s:s}}", "actionConfiguration",
                             "configuration", cfg, "inputArtifacts", ins, "outputArtifacts", outs,
                             "artifactCredentials", "accessKeyId", r->creds.akid, "secretAccessKey",
                             r->creds.secret, "sessionToken", r->creds.session_token);
    const char *cont = jstr(json_object_get(r->state, "wait"), "continuationToken");
    if (data && cont) must(r, jset_str(data, "continuationToken", cont));
    json_t *ek = json_object_get(store_of(r), "encryptionKey");
    if (data && ek) must(r, json_object_set(data, "encryptionKey", ek));
    if (data && !lambda) {
        /* AWS: a custom action's worker is told its type and where the job comes from */
        const char *pipe = jstr(r->exec, "pipelineName");
        must(r,
             json_object_set(data, "actionTypeId", json_object_get(r->decl, "actionTypeId")) ||
                 json_object_set_new(
                     data, "pipelineContext",
                     json_pack("{s:s, s:{s:s}, s:{s:s, s:O}, s:s, s:O}", "pipelineName", pipe,
                               "stage", "name", r->stage, "action", "name", jstr(r->decl, "name"),
                               "actionExecutionId", json_object_get(r->state, "id"), "pipelineArn",
                               arena_printf(r->a, "arn:%s:codepipeline:%s:%s:%s",
                                            arn_partition(r->home), r->home, r->account, pipe),
                               "pipelineExecutionId", json_object_get(r->exec, "id"))));
    }
    if (!data) return json_decref(locs), cp_fail(r, "JobFailed", "out of memory");
    /* the job document, for the job-worker API; the event carries no secret of ours beyond
     * the artifact credentials AWS also hands over */
    char exkey[256];
    snprintf(exkey, sizeof(exkey), "%s/%s", jstr(r->exec, "pipelineName"), jstr(r->exec, "id"));
    char nonce[37];
    ids_uuid(nonce);
    json_t *jd =
        json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:O, s:O, s:s}", "id", job, "exec", exkey,
                  "stage", r->stage, "action", jstr(r->decl, "name"), "actionId",
                  json_object_get(r->state, "id"), "status", "Created", "accountId", r->account,
                  "data", data, "type", json_object_get(r->decl, "actionTypeId"), "nonce", nonce);
    store_txn *t;
    ferr e = {0};
    store_key k = {CP_JOB_KIND, r->account, r->home, job};
    if (!jd || store_begin(r->env->st, 1, &t, &e) || store_put(t, &k, jd, &e) ||
        store_commit(t, &e)) {
        json_decref(jd);
        json_decref(data);
        json_decref(locs);
        return cp_fail(r, "JobFailed", "cannot record the job: %s", e.message);
    }
    json_decref(jd);
    if (lambda && lambda_invoke(r, fn, job, data)) {
        json_decref(locs);
        return -1;
    }
    if (!lambda) json_decref(data);
    /* settled by PutJobSuccessResult / PutJobFailureResult */
    must(r, json_object_set_new(r->res, "pendingArtifacts", locs));
    return set(r, "externalExecutionId", json_string(job)) ||
                   set(r, "status", json_string("InProgress"))
               ? -1
               : 0;
}

/* Invokes the function with the CodePipeline.job event (data is taken). */
static int lambda_invoke(cp_run *r, const char *fn, const char *job, json_t *data)
{
    json_t *ev = json_pack("{s:{s:s, s:s, s:o}}", "CodePipeline.job", "id", job, "accountId",
                           r->account, "data", data);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    const char *b64 = text ? enc_b64(r->a, (const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    json_t *out;
    if (invoke(r, "lambda", "Invoke",
               b64 ? json_pack("{s:s, s:s, s:s}", "FunctionName", fn, "InvocationType", "Event",
                               "Payload", b64)
                   : NULL,
               &out))
        return -1;
    json_decref(out);
    return 0;
}

/* ---- Build/Test: CodeBuild (through the service's API only) ---- */

static int build_start(cp_run *r)
{
    const json_t *ins = json_object_get(r->decl, "inputArtifacts");
    const json_t *arts = json_object_get(r->exec, "artifacts");
    const json_t *prim = json_object_get(arts, jstr(json_array_get(ins, 0), "name"));
    const char *src = arena_printf(r->a, "%s/%s", jstr(prim, "bucket"), jstr(prim, "key"));
    /* a CODEBUILD_CLONE_REF artifact is cloned from CodeCommit, any other unzipped from S3 */
    const json_t *ref = json_object_get(prim, "cloneRef");
    json_t *in =
        ref ? json_pack("{s:s, s:s, s:O, s:O}", "projectName", jstr(r->config, "ProjectName"),
                        "sourceTypeOverride", "CODECOMMIT", "sourceLocationOverride",
                        json_object_get(ref, "location"), "sourceVersion",
                        json_object_get(ref, "commitId"))
            : json_pack("{s:s, s:s, s:s}", "projectName", jstr(r->config, "ProjectName"),
                        "sourceTypeOverride", "S3", "sourceLocationOverride", src ? src : "");
    size_t i;
    json_t *v;
    json_t *sec = json_array(), *vers = json_array();
    json_array_foreach(ins, i, v) {
        if (!i) continue;
        const json_t *loc = json_object_get(arts, jstr(v, "name"));
        const json_t *sref = json_object_get(loc, "cloneRef");
        must(r, json_array_append_new(
                    sec, sref ? json_pack("{s:s, s:O, s:O}", "type", "CODECOMMIT", "location",
                                          json_object_get(sref, "location"), "sourceIdentifier",
                                          json_object_get(v, "name"))
                              : json_pack("{s:s, s:s+++, s:O}", "type", "S3", "location",
                                          jstr(loc, "bucket"), "/", jstr(loc, "key"),
                                          "sourceIdentifier", json_object_get(v, "name"))));
        if (sref)
            must(r,
                 json_array_append_new(vers, json_pack("{s:O, s:O}", "sourceIdentifier",
                                                       json_object_get(v, "name"), "sourceVersion",
                                                       json_object_get(sref, "commitId"))));
    }
    if (in && json_array_size(sec)) must(r, json_object_set(in, "secondarySourcesOverride", sec));
    if (in && json_array_size(vers))
        must(r, json_object_set(in, "secondarySourcesVersionOverride", vers));
    json_decref(sec);
    json_decref(vers);
    const char *env = jstr(r->config, "EnvironmentVariables");
    json_t *envs = env ? json_loads(env, 0, NULL) : NULL;
    if (in && json_is_array(envs))
        must(r, json_object_set(in, "environmentVariablesOverride", envs));
    json_decref(envs);
    const json_t *out0 = json_array_get(json_object_get(r->decl, "outputArtifacts"), 0);
    json_t *loc = out0 ? new_location(r, jstr(out0, "name")) : NULL;
    if (in && loc) {
        const char *key = jstr(loc, "key"), *slash = strrchr(key, '/');
        must(r, json_object_set_new(in, "artifactsOverride",
                                    json_pack("{s:s, s:O, s:s%, s:s, s:s, s:s}", "type", "S3",
                                              "location", json_object_get(loc, "bucket"), "path",
                                              key, (size_t)(slash - key), "name", slash + 1,
                                              "packaging", "ZIP", "namespaceType", "NONE")));
    }
    json_t *out;
    if (invoke(r, "codebuild", "StartBuild", in, &out)) return json_decref(loc), -1;
    const char *id = arena_strdup(r->a, jstr(json_object_get(out, "build"), "id"));
    json_decref(out);
    if (!id) return json_decref(loc), cp_fail(r, "JobFailed", "StartBuild answered no build");
    json_t *w = json_pack("{s:s, s:s, s:o?, s:s+}", "kind", "build", "build", id, "output", loc,
                          "key", BUILDS_DONE_KEY, id);
    if (set(r, "externalExecutionId", json_string(id))) return json_decref(w), -1;
    return waiting(r, w);
}

static int build_poll(cp_run *r)
{
    const json_t *w = json_object_get(r->state, "wait");
    json_t *out;
    if (invoke(r, "codebuild", "BatchGetBuilds", json_pack("{s:[s]}", "ids", jstr(w, "build")),
               &out))
        return -1;
    const json_t *b = json_array_get(json_object_get(out, "builds"), 0);
    const char *s = jstr(b, "buildStatus");
    int rc;
    if (!s || !strcmp(s, "IN_PROGRESS")) {
        rc = waiting(r, json_deep_copy(w));
    } else if (!strcmp(s, "SUCCEEDED")) {
        json_t *vars = json_object();
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(b, "exportedEnvironmentVariables"), i, v) {
            if (jstr(v, "name"))
                must(r, json_object_set_new(vars, jstr(v, "name"),
                                            json_string(jstr(v, "value") ? jstr(v, "value") : "")));
        }
        const json_t *out0 = json_array_get(json_object_get(r->decl, "outputArtifacts"), 0);
        rc = set(r, "outputVariables", vars);
        if (!rc && out0 && json_object_get(w, "output"))
            rc = set(r, "outputArtifacts",
                     json_pack("{s:O}", jstr(out0, "name"), json_object_get(w, "output")));
        if (!rc) rc = ok(r);
    } else {
        rc = cp_fail(r, "JobFailed", "Build %s ended %s", jstr(w, "build"), s);
    }
    json_decref(out);
    return rc;
}

int cp_provider_start(cp_run *r)
{
    const json_t *t = json_object_get(r->decl, "actionTypeId");
    const char *cat = jstr(t, "category"), *prov = jstr(t, "provider");
    if (!strcmp(jstr(t, "owner"), "Custom")) return job_start(r, 0);
    if (!strcmp(prov, "S3") && !strcmp(cat, "Source")) return source_s3(r);
    if (!strcmp(prov, "CodeCommit")) return source_codecommit(r);
    if (!strcmp(prov, "ECR")) return source_ecr(r);
    if (!strcmp(prov, "Manual")) return approval(r);
    if (!strcmp(prov, "CloudFormation")) return cfn_start(r);
    if (!strcmp(prov, "S3") && !strcmp(cat, "Deploy")) return s3_deploy(r);
    if (!strcmp(prov, "Lambda")) return job_start(r, 1);
    if (!strcmp(prov, "CodeBuild")) return build_start(r);
    if (!strcmp(prov, "CodeStarSourceConnection"))
        return cp_fail(r, "JobFailed",
                       "CodeStar connections are not available in ferry: the connection cannot "
                       "reach its provider");
    return cp_fail(r, "JobFailed", "ferry does not run %s %s actions yet", cat, prov);
}

int cp_provider_poll(cp_run *r)
{
    const char *kind = jstr(json_object_get(r->state, "wait"), "kind");
    const char *prov = jstr(json_object_get(r->decl, "actionTypeId"), "provider");
    if (kind && !strcmp(kind, "build")) return build_poll(r);
    if (kind && !strcmp(kind, "approval")) return approval_poll(r);
    if (kind && !strcmp(kind, "continue"))
        return job_start(r,
                         !strcmp(jstr(json_object_get(r->decl, "actionTypeId"), "owner"), "AWS") &&
                             !strcmp(prov, "Lambda"));
    if (kind) return cfn_poll(r);
    return cp_fail(r, "JobFailed", "nothing to wait for");
}
