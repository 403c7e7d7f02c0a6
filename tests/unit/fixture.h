/* Scratch directories and stores for unit tests: one way to make and remove them. */
#ifndef FERRY_TEST_FIXTURE_H
#define FERRY_TEST_FIXTURE_H
#include <ftw.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static inline int fixture_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(path);
}

/* Removes dir and everything under it. 0 or -1. */
static inline int fixture_rmdir(const char *dir)
{
    return nftw(dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory /tmp/ferry-NAME-XXXXXX, its path in dir[n]. 0 or -1. */
static inline int fixture_tmpdir(char *dir, size_t n, const char *name)
{
    snprintf(dir, n, "/tmp/ferry-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* FERRY_TEST_PG=URI (tests/pgcluster.sh run): the store tests' stores are that PostgreSQL
 * database instead of SQLite in their directory. NULL: SQLite. */
static inline const char *fixture_pg(void)
{
    const char *u = getenv("FERRY_TEST_PG");
    return u && *u ? u : NULL;
}

/* Where a store of dir is: dir, or the PostgreSQL database under FERRY_TEST_PG. */
static inline const char *fixture_location(const char *dir)
{
    return fixture_pg() ? fixture_pg() : dir;
}

/* Empties the FERRY_TEST_PG database (its tables and sequences go), so the next store opens
 * a fresh schema. 0 or -1. */
static inline int fixture_pg_wipe(void)
{
    PGconn *pg = PQconnectdb(fixture_pg());
    PGresult *r = PQexec(pg, "SET client_min_messages=warning; SET lock_timeout='10s';"
                             " DROP SCHEMA public CASCADE;"
                             " CREATE SCHEMA public");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc) fprintf(stderr, "fixture: %s", PQerrorMessage(pg));
    PQclear(r);
    PQfinish(pg);
    return rc;
}

/* A store on a fresh directory (its path in dir[n]), or NULL; on a fresh PostgreSQL schema
 * under FERRY_TEST_PG. */
static inline store *fixture_store_open(char *dir, size_t n, const char *name)
{
    if (fixture_tmpdir(dir, n, name)) return NULL;
    if (fixture_pg() && fixture_pg_wipe()) return NULL;
    ferr e = {0};
    store *s = store_open(fixture_location(dir), STORE_SYNC_NORMAL, &e);
    if (!s) fprintf(stderr, "fixture: %s\n", e.message);
    return s;
}

/* Closes s and removes its directory. 0 or -1. */
static inline int fixture_store_close(store *s, const char *dir)
{
    store_close(s);
    return fixture_rmdir(dir);
}

#ifdef FERRY_SVC_H
#include <string.h>

#include "engine/audit.h"

/* A service environment on a fresh store (its directory in dir[n], also env's data
 * directory) with an audit queue, for tests that call services through svc_invoke. 0 or
 * -1. */
static inline int fixture_env_open(ferry_env *env, char *dir, size_t n, const char *name)
{
    ferr e = {0};
    memset(env, 0, sizeof(*env));
    if (!(env->st = fixture_store_open(dir, n, name))) return -1;
    env->data_dir = dir;
    env->audit = auditq_new(env->st, &e);
    return env->audit ? 0 : -1;
}

static inline int fixture_env_close(ferry_env *env, const char *dir)
{
    auditq_free(env->audit);
    return fixture_store_close(env->st, dir);
}
#endif

#endif
