/* SNS message signatures. AWS signs every notification and (un)subscribe confirmation
 * with the key of a certificate it serves at SigningCertURL: SignatureVersion 1 is
 * SHA1withRSA, 2 is SHA256withRSA, over "Key\nValue\n" lines of a fixed set of fields.
 * ferry creates one RSA-2048 key and a self-signed certificate per data directory, keeps
 * them in the store and serves the certificate at /_ferry/sns/cert.pem. */
#ifndef FERRY_DELIVERY_SIGN_H
#define FERRY_DELIVERY_SIGN_H
#include <jansson.h>
#include <stddef.h>

#include "store/store.h"

typedef struct delivery_signer delivery_signer;

#define DELIVERY_CERT_PATH "/_ferry/sns/cert.pem"

/* Loads the key and certificate from the store, creating them on first use. Caller
 * owns (delivery_signer_free). */
delivery_signer *delivery_signer_load(store *st, ferr *e);
void delivery_signer_free(delivery_signer *s);
const char *delivery_signer_cert_pem(const delivery_signer *s); /* borrowed */

/* AWS's string to sign for an envelope ({"Type", "Message", "MessageId", ...}):
 * Notification: Message, MessageId, Subject (when present), Timestamp, TopicArn, Type;
 * SubscriptionConfirmation and UnsubscribeConfirmation: Message, MessageId,
 * SubscribeURL, Timestamp, Token, TopicArn, Type. New string, caller frees. */
char *delivery_string_to_sign(const json_t *envelope);

/* Base64 signature of data with version 1 (SHA1withRSA) or 2 (SHA256withRSA). New
 * string, caller frees; NULL on failure. Thread-safe. */
char *delivery_sign(const delivery_signer *s, int version, const char *data, size_t len);

/* 1 when sig (base64) verifies data with the signer's certificate (tests). */
int delivery_verify(const delivery_signer *s, int version, const char *data, size_t len,
                    const char *sig);

#endif
