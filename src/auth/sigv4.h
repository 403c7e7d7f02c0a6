/* AWS Signature Version 4: parse the Authorization header or a presigned query,
 * rebuild the canonical request the way botocore / the JS SDK v3 build it, and
 * verify the signature against a secret. Also signs, for tests and ferry's own
 * outbound calls. All strings handed out live in the caller's arena. */
#ifndef FERRY_SIGV4_H
#define FERRY_SIGV4_H

#include "base/arena.h"
#include "base/err.h"
#include "http/hreq.h"

typedef struct sigv4_auth {
    int presigned; /* query-string form (X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...) */
    char akid[129];
    char date[9]; /* scope date YYYYMMDD */
    char region[64];
    char service[64];
    char amz_date[17];          /* X-Amz-Date (or Date header converted) YYYYMMDDTHHMMSSZ */
    double request_time;        /* epoch seconds of amz_date */
    long expires;               /* presigned X-Amz-Expires, else 0 */
    const char *signed_headers; /* "host;x-amz-date" (arena) */
    char signature[65];
    const char *security_token; /* X-Amz-Security-Token header or query param (decoded), or NULL */
} sigv4_auth;

/* Parse the Authorization header or the presigned query.
 * Returns 1 when the request carries no SigV4 auth at all (not an error: the caller
 * decides per protocol, e.g. 403 MissingAuthenticationToken), 0 when parsed, -1 with
 * ferr set to AWS's error: 400 IncompleteSignature for a malformed header, scope or
 * date, 400 AuthorizationQueryParametersError for a malformed S3 presigned query. */
int sigv4_parse(arena *a, const hreq *r, sigv4_auth *out, ferr *e);

/* Fills e with 403 MissingAuthenticationToken and returns -1 (for callers that
 * got 1 from sigv4_parse and require auth). */
int sigv4_missing(ferr *e);

/* Build the canonical request for p (exposed for tests and the fuzz target).
 * *out is arena memory. Returns 0 or -1 with ferr (OOM only). */
int sigv4_canonical_request(arena *a, const hreq *r, const sigv4_auth *p, char **out, ferr *e);

/* Verify p against secret at time now (epoch seconds): scope date, clock skew
 * (15 min, 403 SignatureDoesNotMatch "Signature expired: ..."), presigned expiry
 * (403 AccessDenied "Request has expired"), x-amz-content-sha256 against the body
 * (400 XAmzContentSHA256Mismatch), then the signature in constant time
 * (403 SignatureDoesNotMatch). Returns 0 when valid, -1 with ferr. Thread-safe. */
int sigv4_verify(arena *a, const hreq *r, const sigv4_auth *p, const char *secret, double now,
                 ferr *e);

/* The part of sigv4_verify that needs no body, for a server that has only the headers:
 * scope date and clock, and the signature itself when x-amz-content-sha256 is sent (the
 * canonical request then names the body by that header). Returns 0 when the signature is
 * verified (sigv4_verify, run once the body is in, still holds the body to the hash), 1
 * when the checks passed but the signature covers a body not yet read, -1 with ferr as
 * sigv4_verify words it. */
int sigv4_verify_headers(arena *a, const hreq *r, const sigv4_auth *p, const char *secret,
                         double now, ferr *e);

/* Uploads signed chunk by chunk (x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD
 * and its -TRAILER form): each chunk's signature chains from the previous one, the first
 * from the request's own, and the trailer's from the last chunk's. */
typedef struct sigv4_chain {
    unsigned char key[32];
    char scope[192]; /* DATE/REGION/SERVICE/aws4_request */
    char amz_date[17];
    char prev[65];
} sigv4_chain;
/* For the request p, whose headers sigv4_verify_headers has verified with secret. */
void sigv4_chain_init(sigv4_chain *c, const sigv4_auth *p, const char *secret);
/* sig signs the chunk whose data hashes to sha: 0 (the chain moves on to it), else -1 with
 * 403 SignatureDoesNotMatch. */
int sigv4_chain_chunk(sigv4_chain *c, const unsigned char sha[32], const char *sig, ferr *e);
/* sig signs the trailer lines, canonical "name:value\n" each: 0, else -1 as above. */
int sigv4_chain_trailer(sigv4_chain *c, const char *trailers, size_t n, const char *sig, ferr *e);

/* Sign r (which must already carry its X-Amz-Date / Date header) and return the
 * Authorization header value, in the arena; NULL on OOM or bad arguments. Signs every
 * header of r except authorization, plus host (from r->host) when r has no host
 * header. payload_hash NULL = x-amz-content-sha256 header if present, else sha256(body). */
char *sigv4_sign(arena *a, const hreq *r, const char *akid, const char *secret, const char *region,
                 const char *service, const char *amz_date, const char *payload_hash);

/* Git over HTTPS with `aws codecommit credential-helper`: the user name is the access key id
 * (with %SESSION_TOKEN for temporary credentials) and the password YYYYMMDDTHHMMSSZ followed
 * by the hex SigV4 signature, service "codecommit", of the canonical request
 * "GIT\nPATH\n\nhost:HOST\n\nhost\n" (HOST without its port). sigv4_git_parse splits the
 * password: 0, or -1 when it is not of that form. sigv4_git_verify checks it against secret
 * at time now (15 minutes either way): 0, or -1 with 403 SignatureDoesNotMatch. */
int sigv4_git_parse(const char *password, char amz_date[17], char sig[65]);
int sigv4_git_verify(arena *a, const char *akid, const char *secret, const char *region,
                     const char *host, const char *path, const char *password, double now, ferr *e);

#endif
