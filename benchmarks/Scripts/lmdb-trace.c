/* lmdb-trace.c: an LD_PRELOAD shim that records every committed write a process makes to LMDB,
 * so that lmdb-replay.c can make exactly those writes again with nothing else around them (the
 * floor for Tenda's durable purchases: LMDB and the disk doing just what a purchase records).
 *
 * Built and used by purchase-floor.sh. LMDB_TRACE=<file> names the trace. Read-only transactions
 * are ignored; a write transaction's puts and deletes are buffered and reach the file only when
 * its top-level transaction commits (a nested one's go to its parent on commit, away on abort),
 * so the trace holds what the store holds. Values are recorded by size only: LMDB lays pages out
 * by key order and sizes, and none of Tenda's databases compares values (no MDB_DUPSORT).
 *
 * Records (little-endian): 'E' env u32 flags | 'O' env u32 dbi, u32 flags, u16 len, name |
 * 'P' u32 dbi, u32 flags, u32 keylen, key, u32 datalen | 'D' u32 dbi, u32 keylen, key |
 * 'C' env u32 (a top-level commit of that environment). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char *bytes; size_t len, cap; } buffer;
typedef struct { MDB_txn *txn, *parent; MDB_env *env; buffer ops; } frame;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static MDB_env *envs[64];
static unsigned env_count;
/* LMDB allows one write transaction (and its nested ones) at a time per environment: a small
 * table of open write transactions is enough. */
static frame frames[256];
static unsigned frame_count;

static void append(buffer *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 4096;
        b->bytes = realloc(b->bytes, b->cap);
        if (!b->bytes) abort();
    }
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
}
static void u32(buffer *b, uint32_t v) { append(b, &v, 4); }

static FILE *trace(void) {
    if (!out) {
        const char *path = getenv("LMDB_TRACE");
        out = fopen(path ? path : "/tmp/lmdb.trace", "wb");
        if (!out) abort();
        setvbuf(out, NULL, _IOFBF, 1 << 22);
    }
    return out;
}

static uint32_t env_index(MDB_env *env) {
    for (unsigned i = 0; i < env_count; i++) if (envs[i] == env) return i;
    if (env_count < 64) envs[env_count] = env;
    return env_count++;
}

static frame *find(MDB_txn *txn) {
    for (unsigned i = 0; i < frame_count; i++) if (frames[i].txn == txn) return &frames[i];
    return NULL;
}

static void drop(frame *f) {
    free(f->ops.bytes);
    *f = frames[--frame_count];
}

#define REAL(name) static __typeof__(name) *real_##name; if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name)

int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode) {
    REAL(mdb_env_open);
    int rc = real_mdb_env_open(env, path, flags, mode);
    if (rc == 0) {
        pthread_mutex_lock(&lock);
        uint32_t id = env_index(env);
        fputc('E', trace()); fwrite(&id, 4, 1, out); fwrite(&flags, 4, 1, out);
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn) {
    REAL(mdb_txn_begin);
    int rc = real_mdb_txn_begin(env, parent, flags, txn);
    if (rc == 0 && !(flags & MDB_RDONLY)) {
        pthread_mutex_lock(&lock);
        if (frame_count == 256) abort();
        frames[frame_count++] = (frame){ *txn, parent, env, { NULL, 0, 0 } };
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi) {
    REAL(mdb_dbi_open);
    int rc = real_mdb_dbi_open(txn, name, flags, dbi);
    if (rc == 0 && name) {
        pthread_mutex_lock(&lock);
        uint32_t id = env_index(mdb_txn_env(txn));
        uint16_t len = (uint16_t)strlen(name);
        fputc('O', trace()); fwrite(&id, 4, 1, out); fwrite(dbi, 4, 1, out); fwrite(&flags, 4, 1, out);
        fwrite(&len, 2, 1, out); fwrite(name, 1, len, out);
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags) {
    REAL(mdb_put);
    uint32_t size = (uint32_t)data->mv_size;
    int rc = real_mdb_put(txn, dbi, key, data, flags);
    if (rc == 0) {
        pthread_mutex_lock(&lock);
        frame *f = find(txn);
        if (f) {
            append(&f->ops, "P", 1); u32(&f->ops, dbi); u32(&f->ops, flags & ~(unsigned)MDB_RESERVE);
            u32(&f->ops, (uint32_t)key->mv_size); append(&f->ops, key->mv_data, key->mv_size); u32(&f->ops, size);
        }
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

int mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data) {
    REAL(mdb_del);
    int rc = real_mdb_del(txn, dbi, key, data);
    if (rc == 0) {
        pthread_mutex_lock(&lock);
        frame *f = find(txn);
        if (f) {
            append(&f->ops, "D", 1); u32(&f->ops, dbi);
            u32(&f->ops, (uint32_t)key->mv_size); append(&f->ops, key->mv_data, key->mv_size);
        }
        pthread_mutex_unlock(&lock);
    }
    return rc;
}

int mdb_txn_commit(MDB_txn *txn) {
    REAL(mdb_txn_commit);
    int rc = real_mdb_txn_commit(txn);
    pthread_mutex_lock(&lock);
    frame *f = find(txn);
    if (f) {
        MDB_txn *parent = f->parent;
        if (rc == 0 && parent) {
            frame *p = find(parent);
            if (p) append(&p->ops, f->ops.bytes, f->ops.len);
        } else if (rc == 0 && f->ops.len > 0) {
            uint32_t id = env_index(f->env);
            fwrite(f->ops.bytes, 1, f->ops.len, trace());
            fputc('C', out); fwrite(&id, 4, 1, out);
        }
        drop(f);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

void mdb_txn_abort(MDB_txn *txn) {
    REAL(mdb_txn_abort);
    pthread_mutex_lock(&lock);
    frame *f = find(txn);
    if (f) drop(f);
    pthread_mutex_unlock(&lock);
    real_mdb_txn_abort(txn);
}

__attribute__((destructor)) static void finish(void) {
    pthread_mutex_lock(&lock);
    if (out) fflush(out);
    pthread_mutex_unlock(&lock);
}
