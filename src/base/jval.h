/* Borrowed values out of JSON documents, for every layer (handlers, engines, the CLI):
 * what a document holds under a key, or a default when it is absent or of another type.
 * Strings are borrowed from the document and live as long as it does. */
#ifndef FERRY_JVAL_H
#define FERRY_JVAL_H
#include <jansson.h>

/* The string under key, or NULL (absent, not a string, o not an object or NULL). */
const char *jstr(const json_t *o, const char *key);
/* The integer under key, or dflt. */
long long jint(const json_t *o, const char *key, long long dflt);
/* The boolean under key (1/0), or dflt. */
int jbool(const json_t *o, const char *key, int dflt);
/* Sets key to a new string (copied) when v is not NULL; 0, or -1 when out of memory. */
int jset_str(json_t *o, const char *key, const char *v);
/* 1 when a failed json_loads/json_loadb ran out of memory (jansson then leaves the text
 * empty or codes it json_error_out_of_memory): the server's fault, not the document's. */
int jload_oom(const json_error_t *je);

#endif
