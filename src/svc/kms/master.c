/* The installation's master key (see kms_int.h). It wraps every key's material; it never
 * reaches the store, a log or the trail. Kept beside ferry.db and protected as it is
 * (src/store/sqlite.c): owner-only, in a 0700 data directory. */
#include "base/keyfile.h"
#include "kms_int.h"

#define MASTER_FILE "kms-master.key"

static keyfile_cache master = KEYFILE_CACHE_INIT;

int kms_master(call *c, const unsigned char **key)
{
    return keyfile_get(&master, c->env->data_dir, MASTER_FILE, key, c->err);
}
