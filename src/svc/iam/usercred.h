/* What signing certificates and SSH public keys share: credentials a user uploads, kept as
 * documents of their own kind in the account ({"UserName", ID_MEMBER, "Fingerprint",
 * "Status", "UploadDate", ...}), listed, (de)activated and deleted by id. */
#ifndef FERRY_IAM_USERCRED_H
#define FERRY_IAM_USERCRED_H
#include "svc/svc.h"

typedef struct usercred_kind {
    const char *kind;          /* store kind, "iam.signcert" */
    const char *id_member;     /* "CertificateId" */
    const char *noun;          /* NoSuchEntity's "The NOUN with id X cannot be found." */
    const char *const *fields; /* the members its Get/Upload answers show, NULL-ended */
    int per_user;              /* quota */
    const char *quota;         /* "SigningCertificatesPerUser" */
    int dup_status;            /* the same credential again: AWS's status, code, message */
    const char *dup_code, *dup_message;
} usercred_kind;

/* The user an operation names (or the caller), authorized for action: *user in c->a. */
int usercred_user(call *c, const char *action, const json_t *in, const char **user);
/* Stores d (a new credential of user, under id, fingerprint fp) unless user already has
 * one with that fingerprint or has reached the quota; *out = {result_key: the view}.
 * d's reference is taken. */
int usercred_add(call *c, const usercred_kind *k, const char *user, const char *id, json_t *d,
                 const char *result_key, json_t **out);
/* The credential in[id_member] of the operation's user, or NoSuchEntity. */
int usercred_load(call *c, const usercred_kind *k, const char *action, const json_t *in,
                  json_t **d);
/* Update*: sets its Status to in's. Delete*: removes it. */
int usercred_set_status(call *c, const usercred_kind *k, const char *action, const json_t *in);
int usercred_delete(call *c, const usercred_kind *k, const char *action, const json_t *in);
/* List*: the user's credentials showing fields (NULL-ended) under key, IAM-paged. */
int usercred_list(call *c, const usercred_kind *k, const char *action, const json_t *in,
                  const char *const *fields, const char *key, json_t **out);
/* A new object of d's members named in fields (those d lacks are left out); NULL on OOM. */
json_t *usercred_view(const json_t *d, const char *const *fields);

#endif
