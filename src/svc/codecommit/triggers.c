/* CodeCommit repository triggers: the repository's document keeps them (triggers,
 * triggersConfigurationId). When a branch moves (pushed or through the API) each trigger
 * whose events and branches match is delivered to its SNS topic (Publish) or Lambda
 * function (an asynchronous Invoke) as the service principal codecommit.amazonaws.com with
 * aws:SourceArn = the repository, so the topic's or function's policy decides, as at AWS.
 * The delivery runs in the ref change's transaction under its own savepoint: a refused
 * delivery is logged and does not undo the change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arn.h"
#include "base/clock.h"
#include "base/enc.h"
#include "base/ids.h"
#include "base/log.h"
#include "codecommit_int.h"
#include "svc/session.h"

/* AWS's limits: 10 triggers per repository, 100 branches per trigger. */
#define MAX_TRIGGERS 10
#define MAX_BRANCHES 100

static int valid_event(const char *e)
{
    return e && (!strcmp(e, "all") || !strcmp(e, "updateReference") ||
                 !strcmp(e, "createReference") || !strcmp(e, "deleteReference"));
}

/* AWS's checks of a trigger list, in AWS's order. */
static int check(call *c, const json_t *triggers)
{
    if (!json_is_array(triggers))
        return ferr_set(c->err, 400, "RepositoryTriggersListRequiredException",
                        "The list of triggers for the repository is required, but was not "
                        "specified.");
    if (json_array_size(triggers) > MAX_TRIGGERS)
        return ferr_set(c->err, 400, "MaximumRepositoryTriggersExceededException",
                        "The number of triggers allowed for the repository was exceeded.");
    size_t i, j;
    json_t *t, *v;
    json_array_foreach(triggers, i, t) {
        const char *name = jstr(t, "name"), *dest = jstr(t, "destinationArn");
        json_t *events = json_object_get(t, "events"), *branches = json_object_get(t, "branches");
        if (!name || !*name)
            return ferr_set(c->err, 400, "RepositoryTriggerNameRequiredException",
                            "A name for the trigger is required, but was not specified.");
        if (!dest || !*dest)
            return ferr_set(c->err, 400, "RepositoryTriggerDestinationArnRequiredException",
                            "A destination ARN for the target service for the trigger is "
                            "required, but was not specified.");
        if (!arn_rest(dest, "sns") && !arn_rest(dest, "lambda"))
            return ferr_set(c->err, 400, "InvalidRepositoryTriggerDestinationArnException",
                            "The Amazon Resource Name (ARN) for the trigger is not valid for the "
                            "specified destination. The most common reason for this error is "
                            "that the ARN does not meet the requirements for the service type.");
        const char *reg = strchr(dest + 4, ':');
        reg = reg ? strchr(reg + 1, ':') : NULL;
        if (!reg || strncmp(reg + 1, c->region, strlen(c->region)) ||
            reg[1 + strlen(c->region)] != ':')
            return ferr_set(c->err, 400, "InvalidRepositoryTriggerRegionException",
                            "The AWS Region for the trigger target does not match the AWS Region "
                            "for the repository. Triggers must be created in the same AWS Region "
                            "as the target for the trigger.");
        if (!json_array_size(events))
            return ferr_set(c->err, 400, "RepositoryTriggerEventsListRequiredException",
                            "At least one event for the trigger is required, but was not "
                            "specified.");
        json_array_foreach(events, j, v)
            if (!valid_event(json_string_value(v)))
                return ferr_set(c->err, 400, "InvalidRepositoryTriggerEventsException",
                                "One or more events specified for the trigger is not valid. Check "
                                "to make sure that "
                                "all events specified match the requirements for allowed events.");
        if (json_array_size(branches) > MAX_BRANCHES)
            return ferr_set(c->err, 400, "MaximumBranchesExceededException",
                            "The number of branches for the trigger was exceeded.");
        json_array_foreach(branches, j, v)
            if (!json_string_value(v) || !*json_string_value(v))
                return ferr_set(c->err, 400, "InvalidRepositoryTriggerBranchNameException",
                                "One or more branch names specified for the trigger is not valid.");
        if (jstr(t, "customData") && strlen(jstr(t, "customData")) > 1000)
            return ferr_set(c->err, 400, "InvalidRepositoryTriggerCustomDataException",
                            "The custom data provided for the trigger is not valid.");
    }
    return 0;
}

int codecommit_op_put_repository_triggers(call *c, json_t *in, json_t **out)
{
    json_t *d, *triggers = json_object_get(in, "triggers");
    if (cc_repo_load(c, "codecommit:PutRepositoryTriggers", jstr(in, "repositoryName"), &d) ||
        check(c, triggers))
        return -1;
    char id[37];
    ids_uuid(id);
    if (json_object_set(d, "triggers", triggers) || jset_str(d, "triggersConfigurationId", id))
        return ferr_oom(c->err);
    if (cc_repo_save(c, d)) return -1;
    *out = svc_out(c, json_pack("{s:s}", "configurationId", id));
    return 0;
}

int codecommit_op_get_repository_triggers(call *c, json_t *in, json_t **out)
{
    json_t *d;
    if (cc_repo_load(c, "codecommit:GetRepositoryTriggers", jstr(in, "repositoryName"), &d))
        return -1;
    json_t *t = json_object_get(d, "triggers");
    const char *id = jstr(d, "triggersConfigurationId");
    *out = svc_out(c, json_pack("{s:s, s:o}", "configurationId", id ? id : "", "triggers",
                                t ? json_incref(t) : json_array()));
    return 0;
}

/* AWS's trigger record for one ref change ("TriggerEventTest" for a test). */
static char *payload(call *c, const json_t *repo, const json_t *tr, const char *name,
                     const char *ref, const char *new_id, int created, int deleted)
{
    char id[37], when[40];
    ids_uuid(id);
    double now = clock_now();
    time_t s = (time_t)now;
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03d+0000", (int)((now - (double)s) * 1000) % 1000);
    json_t *r = json_pack("{s:s, s:b, s:s}", "commit", new_id, created ? "created" : "deleted",
                          created || deleted, "ref", ref);
    if (r && !created && !deleted) json_object_del(r, "deleted");
    json_t *rec = json_pack(
        "{s:[{s:s, s:{s:[o]}, s:s, s:s, s:i, s:s, s:O, s:s, s:i, s:s, s:s, s:s, s:s, s:s}]}",
        "Records", "awsRegion", c->region, "codecommit", "references", r, "customData",
        jstr(tr, "customData") ? jstr(tr, "customData") : "", "eventId", id, "eventPartNumber", 1,
        "eventSource", "aws:codecommit", "eventSourceARN", json_object_get(repo, "Arn"),
        "eventTime", when, "eventTotalParts", 1, "eventTriggerConfigId",
        jstr(repo, "triggersConfigurationId") ? jstr(repo, "triggersConfigurationId") : "",
        "eventTriggerName", jstr(tr, "name"), "eventVersion", "1.0", "eventName", name,
        "userIdentityARN", c->who->arn);
    char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    json_decref(rec);
    if (text && !arena_own(c->a, free, text)) text = NULL;
    return text;
}

/* Delivers text to the trigger's destination: 0, or -1 with e (the refusal). */
static int deliver(call *c, const json_t *repo, const json_t *tr, const char *text, ferr *e)
{
    const char *dest = jstr(tr, "destinationArn");
    principal p;
    session_service_principal(&p, "codecommit.amazonaws.com", c->account);
    int lambda = arn_rest(dest, "lambda") != NULL;
    const char *b64 = lambda ? enc_b64(c->a, (const unsigned char *)text, strlen(text)) : NULL;
    json_t *in = lambda ? (b64 ? json_pack("{s:s, s:s, s:s}", "FunctionName", dest,
                                           "InvocationType", "Event", "Payload", b64)
                               : NULL)
                        : json_pack("{s:s, s:s}", "TopicArn", dest, "Message", text);
    json_t *ctx = json_pack("{s:O, s:s}", "aws:SourceArn", json_object_get(repo, "Arn"),
                            "aws:SourceAccount", c->account),
           *out = NULL;
    int rc = in && ctx
                 ? svc_invoke_in(c->txn, c->a, c->env, &p, c->region, lambda ? "lambda" : "sns",
                                 lambda ? "Invoke" : "Publish", in, &out, ctx, e)
                 : ferr_oom(e);
    json_decref(in);
    json_decref(ctx);
    json_decref(out);
    return rc;
}

static int matches(const json_t *tr, const char *ref, int created, int deleted)
{
    const char *want = created   ? "createReference"
                       : deleted ? "deleteReference"
                                 : "updateReference";
    int ev = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(tr, "events"), i, v) {
        const char *e = json_string_value(v);
        ev |= e && (!strcmp(e, "all") || !strcmp(e, want));
    }
    const json_t *branches = json_object_get(tr, "branches");
    if (!ev || !json_array_size(branches)) return ev;
    if (strncmp(ref, "refs/heads/", 11)) return 0;
    json_array_foreach(branches, i, v)
        if (json_string_value(v) && !strcmp(json_string_value(v), ref + 11)) return 1;
    return 0;
}

int cc_triggers_fire(call *c, const json_t *repo, const char *ref, const char *old_id,
                     const char *new_id)
{
    int created = strspn(old_id, "0") == strlen(old_id);
    int deleted = strspn(new_id, "0") == strlen(new_id);
    size_t i;
    json_t *tr;
    json_array_foreach(json_object_get(repo, "triggers"), i, tr) {
        if (!matches(tr, ref, created, deleted)) continue;
        const char *text = payload(c, repo, tr, "ReferenceChanges", ref, deleted ? old_id : new_id,
                                   created, deleted);
        if (!text) return ferr_oom(c->err);
        ferr e = {0};
        if (deliver(c, repo, tr, text, &e)) /* AWS: a failed trigger does not undo the push */
            log_warn("codecommit: %s: trigger %s: %s: %s", jstr(repo, "repositoryName"),
                     jstr(tr, "name"), e.code, e.message);
    }
    return 0;
}

int codecommit_op_test_repository_triggers(call *c, json_t *in, json_t **out)
{
    json_t *d, *triggers = json_object_get(in, "triggers"), *tr;
    git_repository *repo;
    if (cc_repo_load(c, "codecommit:TestRepositoryTriggers", jstr(in, "repositoryName"), &d) ||
        check(c, triggers) || cc_git_open(c, d, &repo))
        return -1;
    /* the test names the default branch's tip, as AWS's does */
    const char *branch = jstr(d, "defaultBranch");
    const char *ref = arena_printf(c->a, "refs/heads/%s", branch ? branch : "main");
    char tip[GIT_OID_HEXSZ + 1] = "0000000000000000000000000000000000000000";
    git_oid id;
    if (!ref) return ferr_oom(c->err);
    if (!git_reference_name_to_id(&id, repo, ref)) git_oid_tostr(tip, sizeof(tip), &id);
    json_t *ok = json_array(), *bad = json_array();
    *out = svc_out(c, json_pack("{s:o, s:o}", "successfulExecutions", ok, "failedExecutions", bad));
    if (!*out) return -1;
    size_t i;
    json_array_foreach(triggers, i, tr) {
        const char *text = payload(c, d, tr, "TriggerEventTest", ref, tip, 0, 0);
        if (!text) return ferr_oom(c->err);
        ferr e = {0};
        int rc =
            deliver(c, d, tr, text, &e)
                ? json_array_append_new(bad, json_pack("{s:s, s:s}", "trigger", jstr(tr, "name"),
                                                       "failureMessage", e.message))
                : json_array_append_new(ok, json_string(jstr(tr, "name")));
        if (rc) return ferr_oom(c->err);
    }
    return 0;
}
