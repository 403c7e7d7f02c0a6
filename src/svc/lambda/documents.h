/* What of Lambda's stored layout the rest of ferry may read: the blob sweep asks whether a
 * blob (a deployment package) is still named by a function or a version. */
#ifndef FERRY_SVC_LAMBDA_DOCUMENTS_H
#define FERRY_SVC_LAMBDA_DOCUMENTS_H

/* "lambda.blobref", account and region "", id the blob id: present while a function's
 * $LATEST or one of its versions names it */
#define LAMBDA_BLOBREF_KIND "lambda.blobref"

#endif
