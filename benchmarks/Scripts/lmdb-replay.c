/* lmdb-replay.c: makes again, into a fresh LMDB environment, exactly the committed writes that
 * lmdb-trace.c recorded for one environment of a traced process: the same databases, keys, value
 * sizes and commit boundaries, from one thread, with nothing else (no encoding, no reads, no
 * nested transactions, no change feed handling beyond its own entries). Its rate over the commits
 * that write a sale is the floor for Tenda's durable purchases on this machine and disk.
 *
 *   lmdb-replay --trace FILE --env N --dir DIR [--no-sync] [--marker DB]
 *
 * Prints purchases per second (commits that put into DB, "c:sales", the sales collection, unless --marker says otherwise,
 * each counted by how many sale records it puts), the commit and value figures, the writer's CPU
 * per purchase, the bytes LMDB passed to write calls per purchase and what the disk wrote. */
#define _GNU_SOURCE
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

static void check(int rc, const char *what) {
    if (rc) { fprintf(stderr, "lmdb-replay: %s: %s\n", what, mdb_strerror(rc)); exit(1); }
}
static double now(clockid_t clock) {
    struct timespec t; clock_gettime(clock, &t); return t.tv_sec + t.tv_nsec / 1e9;
}
/* Bytes passed to write calls (wchar of /proc/self/io): LMDB's pages and meta pages. Not
 * write_bytes, which counts a whole page-cache folio per partly dirtied folio (see shop-bench). */
static unsigned long long write_bytes(void) {
    FILE *f = fopen("/proc/self/io", "r"); char line[128]; unsigned long long v = 0;
    while (f && fgets(line, sizeof line, f)) if (sscanf(line, "wchar: %llu", &v) == 1) break;
    if (f) fclose(f);
    return v;
}
/* Bytes the disk holding `dir` has written (sectors written × 512), from every process. */
static unsigned long long device_bytes(const char *dir) {
    struct stat st; char path[128], text[512]; unsigned long long v[7] = {0};
    if (stat(dir, &st)) return 0;
    snprintf(path, sizeof path, "/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    if (fgets(text, sizeof text, f)) sscanf(text, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
    fclose(f);
    return v[6] * 512;
}

typedef struct { char *p, *end; } reader;
static int more(reader *r) { return r->p < r->end; }
static uint32_t u32(reader *r) { uint32_t v; memcpy(&v, r->p, 4); r->p += 4; return v; }
static uint16_t u16(reader *r) { uint16_t v; memcpy(&v, r->p, 2); r->p += 2; return v; }

int main(int argc, char **argv) {
    const char *tracePath = NULL, *dir = NULL, *marker = "c:sales";
    long envWanted = -1; int noSync = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--trace") && i + 1 < argc) tracePath = argv[++i];
        else if (!strcmp(argv[i], "--env") && i + 1 < argc) envWanted = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--marker") && i + 1 < argc) marker = argv[++i];
        else if (!strcmp(argv[i], "--no-sync")) noSync = 1;
        else { fprintf(stderr, "usage: lmdb-replay --trace FILE --env N --dir DIR [--no-sync] [--marker DB]\n"); return 2; }
    }
    if (!tracePath || !dir || envWanted < 0) { fprintf(stderr, "lmdb-replay: --trace, --env and --dir are needed\n"); return 2; }

    FILE *f = fopen(tracePath, "rb");
    if (!f) { perror(tracePath); return 1; }
    fseek(f, 0, SEEK_END); long size = ftell(f); fseek(f, 0, SEEK_SET);
    char *bytes = malloc(size);
    if (fread(bytes, 1, size, f) != (size_t)size) { perror("read trace"); return 1; }
    fclose(f);

    MDB_env *env;
    check(mdb_env_create(&env), "create");
    check(mdb_env_set_maxdbs(env, 256), "maxdbs");
    check(mdb_env_set_mapsize(env, (size_t)64 << 30), "mapsize");
    check(mdb_env_open(env, dir, MDB_NOTLS | (noSync ? MDB_NOSYNC : 0), 0640), dir);

    /* The trace's dbi numbers, per environment, mapped to this environment's databases. */
    MDB_dbi map[1024]; int known[1024] = {0}; int isMarker[1024] = {0};
    char *zeros = calloc(1, 64 << 20);
    MDB_txn *txn = NULL;
    long commits = 0, purchaseCommits = 0, purchases = 0, puts = 0, dels = 0;
    unsigned long long keyBytes = 0, valueBytes = 0;
    double wall = 0, cpu = 0; unsigned long long written = 0;
    long salesInTxn = 0; double wall0 = 0, cpu0 = 0; unsigned long long written0 = 0;

    /* A commit's records are contiguous in the trace (the shim writes them at the commit) and
     * end with the commit record, which names their environment; other environments' are skipped. */
    unsigned long long device0 = device_bytes(dir);
    reader r = { bytes, bytes + size };
    while (more(&r)) {
        char kind = *r.p++;
        if (kind == 'E') { u32(&r); u32(&r); continue; }
        if (kind == 'O') {
            uint32_t e = u32(&r), dbi = u32(&r); u32(&r); uint16_t len = u16(&r);
            char name[256]; memcpy(name, r.p, len); name[len] = 0; r.p += len;
            if (e != envWanted || dbi >= 1024) continue;
            MDB_txn *t; check(mdb_txn_begin(env, NULL, 0, &t), "begin open");
            check(mdb_dbi_open(t, name, MDB_CREATE, &map[dbi]), name);
            check(mdb_txn_commit(t), "commit open");
            known[dbi] = 1; isMarker[dbi] = !strcmp(name, marker);
            continue;
        }
        if (kind == 'P' || kind == 'D') {
            if (!txn) {
                /* A new group: its commit record, found before the clock starts, names its environment. */
                reader s = r; char k = kind;
                while (k != 'C') {
                    if (k == 'P') { u32(&s); u32(&s); uint32_t kl = u32(&s); s.p += kl; u32(&s); }
                    else { u32(&s); uint32_t kl = u32(&s); s.p += kl; }
                    k = *s.p++;
                }
                if (u32(&s) != envWanted) { r = s; continue; }
                wall0 = now(CLOCK_MONOTONIC); cpu0 = now(CLOCK_THREAD_CPUTIME_ID); written0 = write_bytes();
                check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
                salesInTxn = 0;
            }
            uint32_t dbi = u32(&r);
            if (kind == 'P') {
                uint32_t flags = u32(&r), kl = u32(&r); MDB_val key = { kl, r.p }; r.p += kl; uint32_t vl = u32(&r);
                MDB_val val = { vl, zeros };
                if (!known[dbi]) { fprintf(stderr, "lmdb-replay: database %u was never opened\n", dbi); return 1; }
                check(mdb_put(txn, map[dbi], &key, &val, flags), "put");
                puts++; keyBytes += kl; valueBytes += vl;
                if (isMarker[dbi]) salesInTxn++;
            } else {
                uint32_t kl = u32(&r); MDB_val key = { kl, r.p }; r.p += kl;
                int rc = mdb_del(txn, map[dbi], &key, NULL);
                if (rc && rc != MDB_NOTFOUND) check(rc, "del");
                dels++;
            }
            continue;
        }
        if (kind == 'C') {
            uint32_t e = u32(&r);
            if (e != envWanted || !txn) continue;
            check(mdb_txn_commit(txn), "commit");
            txn = NULL; commits++;
            if (salesInTxn > 0) {
                wall += now(CLOCK_MONOTONIC) - wall0; cpu += now(CLOCK_THREAD_CPUTIME_ID) - cpu0;
                written += write_bytes() - written0;
                purchaseCommits++; purchases += salesInTxn;
            }
            continue;
        }
        fprintf(stderr, "lmdb-replay: unknown record '%c'\n", kind); return 1;
    }
    mdb_env_close(env);
    unsigned long long device = device_bytes(dir) - device0;
    if (!purchases) { fprintf(stderr, "lmdb-replay: no commit put into \"%s\"\n", marker); return 1; }
    printf("replayed %ld commits (%ld puts, %ld deletes; %.1f key bytes and %.1f value bytes per put)%s\n",
           commits, puts, dels, (double)keyBytes / puts, (double)valueBytes / puts, noSync ? ", no fsync" : ", full fsync");
    printf("purchases: %ld in %ld commits (%.1f per commit), %.2f s\n", purchases, purchaseCommits,
           (double)purchases / purchaseCommits, wall);
    printf("purchases per second: %.0f\n", purchases / wall);
    printf("writer CPU per purchase: %.1f us\n", cpu / purchases * 1e6);
    printf("written by LMDB per purchase: %.1f KiB\n", written / 1024.0 / purchases);
    printf("written by the disk per purchase: %.1f KiB (the whole replay, every process)\n", device / 1024.0 / purchases);
    return 0;
}
