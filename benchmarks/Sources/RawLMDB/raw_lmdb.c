#include "raw_lmdb.h"

#include <endian.h>
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct raw_env {
    MDB_env *env;
    MDB_dbi dbi;
};

/// Largest payload the helpers below build on the stack.
#define RAW_MAX_PAYLOAD 4096

int raw_env_open(const char *path, size_t map_size, int durable, raw_env **out) {
    raw_env *r = calloc(1, sizeof *r);
    if (!r) return ENOMEM;
    int rc = mdb_env_create(&r->env);
    if (rc) { free(r); return rc; }
    unsigned flags = MDB_NOTLS | (durable ? 0 : MDB_NOSYNC);
    MDB_txn *txn = NULL;
    if ((rc = mdb_env_set_mapsize(r->env, map_size))
        || (rc = mdb_env_open(r->env, path, flags, 0640))
        || (rc = mdb_txn_begin(r->env, NULL, 0, &txn))
        || (rc = mdb_dbi_open(txn, NULL, 0, &r->dbi))
        || (rc = mdb_txn_commit(txn))) {
        mdb_env_close(r->env);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void raw_env_close(raw_env *env) {
    if (!env) return;
    mdb_env_close(env->env);
    free(env);
}

const char *raw_strerror(int rc) { return mdb_strerror(rc); }

void raw_fill_payload(uint64_t key, uint8_t *out, size_t length) {
    // Cheap, different per key, and the same on both sides.
    for (size_t j = 0; j < length; j++) out[j] = (uint8_t)(key * 131 + j * 7);
}

/// Writes the stored form (version 1, then the payload) of `key` into `value`.
static void make_value(uint64_t key, uint8_t *value, size_t payload_size) {
    uint64_t version = htole64(1);
    memcpy(value, &version, RAW_VERSION_PREFIX);
    raw_fill_payload(key, value + RAW_VERSION_PREFIX, payload_size);
}

int raw_put_batches(raw_env *env, const uint64_t *keys, size_t count, size_t batch_size, size_t payload_size) {
    if (payload_size > RAW_MAX_PAYLOAD || batch_size == 0) return EINVAL;
    uint8_t value[RAW_VERSION_PREFIX + RAW_MAX_PAYLOAD];
    for (size_t start = 0; start < count; start += batch_size) {
        size_t end = start + batch_size < count ? start + batch_size : count;
        MDB_txn *txn;
        int rc = mdb_txn_begin(env->env, NULL, 0, &txn);
        if (rc) return rc;
        for (size_t i = start; i < end; i++) {
            uint64_t be = htobe64(keys[i]);
            make_value(keys[i], value, payload_size);
            MDB_val k = {sizeof be, &be};
            MDB_val v = {RAW_VERSION_PREFIX + payload_size, value};
            if ((rc = mdb_put(txn, env->dbi, &k, &v, 0))) {
                mdb_txn_abort(txn);
                return rc;
            }
        }
        if ((rc = mdb_txn_commit(txn))) return rc;
    }
    return 0;
}

int raw_random_reads(raw_env *env, const uint64_t *keys, size_t count, uint64_t *checksum) {
    MDB_txn *txn;
    int rc = mdb_txn_begin(env->env, NULL, MDB_RDONLY, &txn);
    if (rc) return rc;
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t be = htobe64(keys[i]);
        MDB_val k = {sizeof be, &be};
        MDB_val v;
        if ((rc = mdb_get(txn, env->dbi, &k, &v))) break;
        // The same check the Store makes before handing out the payload.
        if (v.mv_size <= RAW_VERSION_PREFIX) { rc = MDB_CORRUPTED; break; }
        sum += ((const uint8_t *)v.mv_data)[RAW_VERSION_PREFIX];
    }
    mdb_txn_abort(txn);
    *checksum = sum;
    return rc;
}

int raw_scan(raw_env *env, uint64_t *rows, uint64_t *checksum) {
    MDB_txn *txn;
    MDB_cursor *cursor;
    int rc = mdb_txn_begin(env->env, NULL, MDB_RDONLY, &txn);
    if (rc) return rc;
    if ((rc = mdb_cursor_open(txn, env->dbi, &cursor))) {
        mdb_txn_abort(txn);
        return rc;
    }
    uint64_t n = 0, sum = 0;
    MDB_val k, v;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
        if (v.mv_size <= RAW_VERSION_PREFIX) { rc = MDB_CORRUPTED; break; }
        sum += ((const uint8_t *)v.mv_data)[RAW_VERSION_PREFIX];
        n++;
    }
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    *rows = n;
    *checksum = sum;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

struct committer {
    raw_env *env;
    uint64_t first_key;
    size_t count;
    size_t payload_size;
    int rc;
};

static void *commit_one_by_one(void *arg) {
    struct committer *c = arg;
    uint8_t value[RAW_VERSION_PREFIX + RAW_MAX_PAYLOAD];
    for (size_t i = 0; i < c->count; i++) {
        uint64_t key = c->first_key + i;
        uint64_t be = htobe64(key);
        make_value(key, value, c->payload_size);
        MDB_val k = {sizeof be, &be};
        MDB_val v = {RAW_VERSION_PREFIX + c->payload_size, value};
        MDB_txn *txn;
        int rc = mdb_txn_begin(c->env->env, NULL, 0, &txn);
        if (!rc && (rc = mdb_put(txn, c->env->dbi, &k, &v, 0))) mdb_txn_abort(txn);
        if (!rc) rc = mdb_txn_commit(txn);
        if (rc) { c->rc = rc; break; }
    }
    return NULL;
}

int raw_single_key_commits(raw_env *env, int threads, size_t per_thread, uint64_t first_key, size_t payload_size) {
    if (threads <= 0 || payload_size > RAW_MAX_PAYLOAD) return EINVAL;
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    struct committer *work = calloc((size_t)threads, sizeof *work);
    if (!ids || !work) { free(ids); free(work); return ENOMEM; }
    int rc = 0, started = 0;
    for (; started < threads; started++) {
        work[started] = (struct committer){env, first_key + (uint64_t)started * per_thread, per_thread, payload_size, 0};
        if ((rc = pthread_create(&ids[started], NULL, commit_one_by_one, &work[started]))) break;
    }
    for (int t = 0; t < started; t++) {
        pthread_join(ids[t], NULL);
        if (!rc && work[t].rc) rc = work[t].rc;
    }
    free(ids);
    free(work);
    return rc;
}
