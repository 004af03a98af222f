// The raw C baseline: the store benchmark's workloads written directly against liblmdb,
// with nothing between the caller and LMDB. Every figure of the Store is compared with these.
//
// Keys are 8-byte big-endian integers (passed here in host order). Values are laid out as the
// Store lays out its records: an 8-byte little-endian version (always 1 here) followed by the
// payload, so both sides read and write the same number of bytes.
//
// Every function returns 0 or an LMDB/errno code (see raw_strerror).
#ifndef RAW_LMDB_H
#define RAW_LMDB_H

#include <stddef.h>
#include <stdint.h>

/// Bytes the Store puts before every value (its record version); the baseline stores the same.
#define RAW_VERSION_PREFIX 8

/// An LMDB environment with its unnamed main database open.
typedef struct raw_env raw_env;

/// Opens (creating) an environment in the existing folder `path`, with the same flags the Store
/// uses (MDB_NOTLS, plus MDB_NOSYNC unless `durable`).
int raw_env_open(const char *path, size_t map_size, int durable, raw_env **out);
void raw_env_close(raw_env *env);
const char *raw_strerror(int rc);

/// The payload stored under `key`: shared with the Swift side so both store the same bytes.
void raw_fill_payload(uint64_t key, uint8_t *out, size_t length);

/// Puts `count` records, `batch_size` per write transaction (mdb_put, no MDB_APPEND).
int raw_put_batches(raw_env *env, const uint64_t *keys, size_t count, size_t batch_size, size_t payload_size);

/// Looks up every key in one read transaction and adds the first payload byte of each value to
/// `*checksum` (so the value is touched and the loop cannot be optimised away).
int raw_random_reads(raw_env *env, const uint64_t *keys, size_t count, uint64_t *checksum);

/// Walks the whole database with a cursor (MDB_NEXT); counts rows and sums first payload bytes.
int raw_scan(raw_env *env, uint64_t *rows, uint64_t *checksum);

/// `threads` threads each commit `per_thread` single-key write transactions (begin, put, commit):
/// on a durable environment every commit is its own fsync, since LMDB serialises writers.
/// Thread t writes keys first_key + t * per_thread + i.
int raw_single_key_commits(raw_env *env, int threads, size_t per_thread, uint64_t first_key, size_t payload_size);

#endif
