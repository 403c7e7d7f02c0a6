/* Results that must never be dropped. CMake force-includes this header (-include) into
 * every file of src/ (CMakeLists.txt, option FERRY_CHECKED): it re-declares the
 * jansson setters and the store's transaction calls warn_unused_result, so that with
 * -Werror an ignored failure does not build. GCC does not let a (void) cast silence it:
 * a result is used or the code does not compile.
 *
 * How call sites stay short: jansson setters take the value's reference even when they
 * fail (json_object_set_new(o, k, NULL) is simply -1), so a chain needs no cleanup per
 * step, e.g.
 *     if (json_object_set_new(o, "A", json_string(a)) || jset_str(o, "B", b))
 *         return ferr_oom(c->err);
 * and a function that builds and returns a document ends with `return jdone(v, rc);`. */
#ifndef FERRY_CHECKED_H
#define FERRY_CHECKED_H
#include <jansson.h>

#include "base/err.h"

#define FERRY_WUR __attribute__((warn_unused_result))

int json_object_set_new(json_t *object, const char *key, json_t *value) FERRY_WUR;
int json_object_setn_new(json_t *object, const char *key, size_t key_len, json_t *value) FERRY_WUR;
int json_object_set_new_nocheck(json_t *object, const char *key, json_t *value) FERRY_WUR;
int json_object_setn_new_nocheck(json_t *object, const char *key, size_t key_len,
                                 json_t *value) FERRY_WUR;
int json_object_update(json_t *object, json_t *other) FERRY_WUR;
int json_object_update_existing(json_t *object, json_t *other) FERRY_WUR;
int json_object_update_missing(json_t *object, json_t *other) FERRY_WUR;
int json_object_update_recursive(json_t *object, json_t *other) FERRY_WUR;
int json_object_iter_set_new(json_t *object, void *iter, json_t *value) FERRY_WUR;
int json_array_set_new(json_t *array, size_t index, json_t *value) FERRY_WUR;
int json_array_append_new(json_t *array, json_t *value) FERRY_WUR;
int json_array_insert_new(json_t *array, size_t index, json_t *value) FERRY_WUR;
int json_array_extend(json_t *array, json_t *other) FERRY_WUR;
/* jansson defines these inline: clang refuses an attribute after a definition, so their
 * calls go through a function that has it ((name) is the function, not this macro). */
static inline FERRY_WUR int ferry_checked(int rc)
{
    return rc;
}
#define json_object_set(o, k, v)         ferry_checked((json_object_set)((o), (k), (v)))
#define json_object_setn(o, k, n, v)     ferry_checked((json_object_setn)((o), (k), (n), (v)))
#define json_object_set_nocheck(o, k, v) ferry_checked((json_object_set_nocheck)((o), (k), (v)))
#define json_object_setn_nocheck(o, k, n, v) \
    ferry_checked((json_object_setn_nocheck)((o), (k), (n), (v)))
#define json_object_iter_set(o, i, v) ferry_checked((json_object_iter_set)((o), (i), (v)))
#define json_object_update_new(o, x)  ferry_checked((json_object_update_new)((o), (x)))
#define json_object_update_existing_new(o, x) \
    ferry_checked((json_object_update_existing_new)((o), (x)))
#define json_object_update_missing_new(o, x) \
    ferry_checked((json_object_update_missing_new)((o), (x)))
#define json_array_set(a, i, v)    ferry_checked((json_array_set)((a), (i), (v)))
#define json_array_append(a, v)    ferry_checked((json_array_append)((a), (v)))
#define json_array_insert(a, i, v) ferry_checked((json_array_insert)((a), (i), (v)))

/* svc.h: sets key to a copy of v when v is not NULL; 0 or -1 (out of memory). */
int jset_str(json_t *o, const char *key, const char *v) FERRY_WUR;

typedef struct store store;
typedef struct store_txn store_txn;
int store_begin(store *s, int write, store_txn **out, ferr *e) FERRY_WUR;
int store_commit(store_txn *t, ferr *e) FERRY_WUR;
int store_savepoint(store_txn *t, ferr *e) FERRY_WUR;
int store_savepoint_end(store_txn *t, int keep, ferr *e) FERRY_WUR;

/* The end of a function that built v step by step, rc |= each step: v, or NULL (v
 * released) when any step failed. */
static inline json_t *jdone(json_t *v, int rc)
{
    if (!rc) return v;
    json_decref(v);
    return NULL;
}

#endif
