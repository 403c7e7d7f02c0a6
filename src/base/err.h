/* Errors as values: a function returns 0 or -1 and fills a ferr, whose code and
 * message are what the client sees in the protocol's error shape. */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H
#include <stdarg.h>

typedef struct ferr {
    int status;    /* HTTP status */
    int sender;    /* 1: the caller's fault (query <Type>Sender</Type>), 0: Receiver */
    char code[96]; /* AWS error code, e.g. "ValidationError" */
    char message[1024];
    /* The region the request's resource is in, when the error is that the request is for
     * another (S3's AuthorizationHeaderMalformed): the codecs that can say it do (S3's
     * <Region> and x-amz-bucket-region, which SDKs redirect to). Empty otherwise. */
    char region[32];
    /* Members beyond code and message that the error's body carries (DynamoDB's
     * CancellationReasons, a failed condition's Item): a JSON object's text, encoded by the
     * protocols whose errors are JSON. It points into the request's arena (the error is
     * encoded before the arena goes) and is reset by every ferr_set; NULL: none. */
    const char *extra;
    /* The whole message when it is longer than message[] holds (EC2's refusals with their
     * encoded authorization failure message): in the request's arena like extra, reset by
     * every ferr_set; NULL: message. Codecs send ferr_message(). */
    const char *long_message;
} ferr;

/* Sets the error and returns -1, so callers can `return ferr_set(...)`. */
int ferr_set(ferr *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ferr_set for a service's own printf-like error helpers: the message is prefix followed
 * by fmt formatted with ap. Returns -1. */
int ferr_vset(ferr *e, int status, const char *code, const char *prefix, const char *fmt,
              va_list ap) __attribute__((format(printf, 5, 0)));
void ferr_clear(ferr *e);
/* Adds extra members (JSON object text, see ferr.extra) to the error just set; returns -1. */
int ferr_extra(ferr *e, const char *json_object_text);
int ferr_isset(const ferr *e);
/* What the client is told: e->long_message, else e->message. */
const char *ferr_message(const ferr *e);

/* Common shapes. */
#define ferr_validation(e, ...) ferr_set((e), 400, "ValidationError", __VA_ARGS__)
#define ferr_internal(e, ...)   ferr_set((e), 500, "InternalFailure", __VA_ARGS__)
#define ferr_oom(e)             ferr_set((e), 500, "InternalFailure", "out of memory")

#endif
