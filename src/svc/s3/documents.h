/* What of S3's stored layout the rest of ferry may read (src/engine/engines.h): the blob
 * sweep asks whether a blob is still named by an object or a part. */
#ifndef FERRY_SVC_S3_DOCUMENTS_H
#define FERRY_SVC_S3_DOCUMENTS_H

/* "s3.blobref", account and region "", id the blob id: present while a document names it */
#define S3_BLOBREF_KIND "s3.blobref"

#endif
