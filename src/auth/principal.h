/* Who is calling: resolved by auth/ from the credentials, read by iam/ and services. */
#ifndef FERRY_PRINCIPAL_H
#define FERRY_PRINCIPAL_H

typedef enum {
    PRIN_ANONYMOUS = 0,
    PRIN_ROOT,         /* arn:aws:iam::ACCT:root */
    PRIN_USER,         /* arn:aws:iam::ACCT:user/PATH/NAME */
    PRIN_ASSUMED_ROLE, /* arn:aws:sts::ACCT:assumed-role/ROLE/SESSION */
    PRIN_SERVICE,      /* an AWS service acting on its own, e.g. sns.amazonaws.com */
} prin_kind;

typedef struct principal {
    prin_kind kind;
    char account[13];
    char arn[640];      /* the caller's ARN as GetCallerIdentity returns it */
    char userid[160];   /* UserId: account id for root, AIDA... for users, AROA...:session */
    char name[160];     /* user name, role name, or "" */
    char session[96];   /* role session name */
    char role_arn[640]; /* the IAM role ARN for assumed roles (arn:aws:iam::ACCT:role/PATH/NAME) */
    char akid[64];      /* access key id used to sign */
    char service[96];   /* PRIN_SERVICE: the service; else the service holding this identity
                            (a role session CloudFormation assumed): CloudTrail's invokedBy */
    int temporary;      /* signed with session credentials */
    double expires;     /* for temporary credentials */
    double mfa_auth;    /* temporary credentials: when MFA authenticated their session (epoch
                           seconds; a chained role session keeps its source's), 0 = no MFA */
} principal;

#endif
