#include "gitchange.h"

#define MAX_LISTENERS 4

static git_change_fn listeners[MAX_LISTENERS];

int git_change_listen(git_change_fn fn)
{
    for (int i = 0; i < MAX_LISTENERS; i++) {
        git_change_fn cur = __atomic_load_n(&listeners[i], __ATOMIC_ACQUIRE);
        if (cur == fn) return 0;
        git_change_fn none = NULL;
        if (!cur && __atomic_compare_exchange_n(&listeners[i], &none, fn, 0, __ATOMIC_ACQ_REL,
                                                __ATOMIC_ACQUIRE))
            return 0;
    }
    return -1;
}

void git_change_unlisten(git_change_fn fn)
{
    for (int i = 0; i < MAX_LISTENERS; i++) {
        git_change_fn cur = fn;
        __atomic_compare_exchange_n(&listeners[i], &cur, NULL, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE);
    }
}

int git_change_report(ferry_env *env, store_txn *t, const git_change *ch, ferr *e)
{
    for (int i = 0; i < MAX_LISTENERS; i++) {
        git_change_fn fn = __atomic_load_n(&listeners[i], __ATOMIC_ACQUIRE);
        if (fn && fn(env, t, ch, e)) return -1;
    }
    return 0;
}
