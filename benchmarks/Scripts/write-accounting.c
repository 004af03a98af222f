/* write-accounting.c: shows that /proc/<pid>/io write_bytes is not what reaches the disk here.
 * A 100 MiB file is made with 1 MiB writes (or 4 KiB writes), then 20,000 random 4 KiB pages are
 * rewritten, 200 per fdatasync, as an LMDB commit does. Printed: the bytes passed to pwrite, the
 * process's write_bytes, and the sectors the disk holding the file wrote (every process's).
 * On Linux 6.18 with ext4, a file written in large writes sits in large page-cache folios, and
 * each 4 KiB write that dirties part of a folio is counted as the whole folio in write_bytes,
 * while the disk writes about what was written.
 *   cc -O2 -o /tmp/write-accounting benchmarks/Scripts/write-accounting.c && /tmp/write-accounting /tmp */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static unsigned long long io(const char *field) {
    FILE *f = fopen("/proc/self/io", "r"); char line[128]; unsigned long long v = 0; size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f)) if (!strncmp(line, field, n)) { v = strtoull(line + n + 1, NULL, 10); break; }
    if (f) fclose(f);
    return v;
}
static unsigned long long device(const char *path) {
    struct stat st; char name[128], text[512]; unsigned long long v[7] = {0};
    if (stat(path, &st)) return 0;
    snprintf(name, sizeof name, "/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
    FILE *f = fopen(name, "r");
    if (f && fgets(text, sizeof text, f)) sscanf(text, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
    if (f) fclose(f);
    return v[6] * 512;
}

static void run(const char *dir, size_t made_with) {
    char path[512]; snprintf(path, sizeof path, "%s/write-accounting.%d", dir, getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(path); exit(1); }
    const size_t size = 100 << 20, page = 4096;
    char *block = calloc(1, made_with);
    for (size_t at = 0; at < size; at += made_with) if (pwrite(fd, block, made_with, at) != (ssize_t)made_with) { perror("pwrite"); exit(1); }
    fdatasync(fd);
    unsigned long long wchar0 = io("wchar"), wb0 = io("write_bytes"), dev0 = device(dir);
    srandom(1);
    for (int commit = 0; commit < 100; commit++) {
        for (int i = 0; i < 200; i++) if (pwrite(fd, block, page, (random() % (size / page)) * page) != (ssize_t)page) { perror("pwrite"); exit(1); }
        fdatasync(fd);
    }
    printf("file made with %7zu-byte writes: pwrite %6.1f MiB, write_bytes %7.1f MiB, the disk %6.1f MiB\n", made_with,
           (io("wchar") - wchar0) / 1048576.0, (io("write_bytes") - wb0) / 1048576.0, (device(dir) - dev0) / 1048576.0);
    close(fd); unlink(path); free(block);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    run(dir, 1 << 20);
    run(dir, 4096);
    return 0;
}
