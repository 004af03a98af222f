/*
 * ws-reader: N WebSocket subscribers of a tenda server, read the way raw-fanout.c's reader reads.
 *
 * Why it exists: on this two-core machine the load generator shares the cores with the server, so
 * what the subscribers' side costs per frame is part of every fan-out latency measured. The floor
 * (raw-fanout.c) reads with a small C epoll loop at ~2.7 µs a message; ws-bench's own subscribers
 * are SwiftNIO channels at ~6.6 µs a socket (perf, RESULTS "second sitting"). `ws-bench --c-reader`
 * runs this program instead, so Tenda and the floor are read by the same kind of reader and the
 * ratio between them is the servers' ratio.
 *
 *   ws-reader --port P --token T --connections N --threads K --subscribe JSON --dump PATH
 *
 * Each connection upgrades (`GET /ws?token=`), waits for the server's `ready`, sends JSON as one
 * masked text frame, then reads server frames. For every `{"type":"event","seq":…}` frame it checks
 * that `seq` rises and, for a `new_sale`, records the sale's id with the CLOCK_MONOTONIC time its
 * read() returned (ws-bench takes the purchase's send time from the same clock). Pings are answered.
 *
 * Protocol with the caller, on standard output: `ready R failed F` once every connection is ready
 * or has failed (or after 180 s); then `deliveries D` every 50 ms. When standard input reaches
 * end of file it stops reading, writes PATH and prints `done`. PATH holds, per connection,
 * `c INDEX READY EVENTS SEQ_VIOLATIONS RESYNCS`, then `s SALE_ID AT_NS` per new_sale read, and
 * `e INDEX TEXT` for the first error of a connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum state { CLOSED, UPGRADING, WAITING_READY, READY, FAILED };

struct record {
    uint32_t sale; /* index into the thread's interned ids */
    uint64_t at;
};

struct conn {
    int fd;
    int index;
    enum state state;
    uint64_t last_seq;
    uint32_t events, seq_violations, resyncs;
    int was_ready; /* stays set when the server closes the connection at the end */
    char *pending; /* bytes of an unfinished frame (or response head) left from the last read */
    size_t pending_len;
    struct record *records;
    size_t count, capacity;
    char *error;
};

/* Sale ids seen by one thread, interned so a record is 16 bytes. */
#define MAX_ID 63
struct ids {
    char (*text)[MAX_ID + 1];
    uint32_t count, capacity;
    uint32_t *slots; /* open addressing: index + 1, 0 = empty */
    uint32_t mask;
};

struct thread {
    pthread_t thread;
    int epfd;
    struct conn *conns;
    int count;
    struct ids ids;
    char *buf;
    _Alignas(64) atomic_ulong deliveries;
    atomic_int ready, failed;
};

static struct {
    int port;
    const char *token;
    int connections;
    int threads;
    const char *subscribe;
    const char *dump;
} opt = {0, NULL, 1000, 2, NULL, NULL};

static atomic_int stopping;
static char upgrade_request[8192];
static size_t upgrade_len;

#define READ_BUFFER (256 * 1024)
#define MAX_PENDING (4 * 1024 * 1024)
#define IN_FLIGHT 128 /* handshakes under way per thread */

static uint32_t intern(struct ids *ids, const char *text, size_t len) {
    if (len > MAX_ID) len = MAX_ID;
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)text[i]) * 1099511628211u;
    for (uint32_t slot = (uint32_t)h & ids->mask;; slot = (slot + 1) & ids->mask) {
        uint32_t at = ids->slots[slot];
        if (at == 0) break;
        if (strncmp(ids->text[at - 1], text, len) == 0 && ids->text[at - 1][len] == 0) return at - 1;
    }
    if (ids->count * 2 >= ids->mask) { /* grow the table and the texts, rehash */
        uint32_t mask = ids->mask * 2 + 1;
        uint32_t *slots = calloc((size_t)mask + 1, sizeof *slots);
        char(*texts)[MAX_ID + 1] = realloc(ids->text, ((size_t)mask + 1) * sizeof *texts);
        if (!slots || !texts) die("ws-reader malloc");
        ids->text = texts;
        for (uint32_t i = 0; i < ids->count; i++) {
            uint64_t g = 1469598103934665603u;
            for (const char *c = ids->text[i]; *c; c++) g = (g ^ (uint8_t)*c) * 1099511628211u;
            uint32_t s = (uint32_t)g & mask;
            while (slots[s]) s = (s + 1) & mask;
            slots[s] = i + 1;
        }
        free(ids->slots);
        ids->slots = slots;
        ids->mask = mask;
        return intern(ids, text, len);
    }
    uint32_t slot = (uint32_t)h & ids->mask;
    while (ids->slots[slot]) slot = (slot + 1) & ids->mask;
    memcpy(ids->text[ids->count], text, len);
    ids->text[ids->count][len] = 0;
    ids->slots[slot] = ids->count + 1;
    return ids->count++;
}

static void fail(struct thread *t, struct conn *c, const char *why, const char *text, size_t len) {
    if (!c->error) {
        size_t n = strlen(why) + (len > 160 ? 160 : len) + 3;
        c->error = malloc(n);
        if (c->error) snprintf(c->error, n, "%s: %.*s", why, (int)(len > 160 ? 160 : len), text ? text : "");
        for (char *p = c->error; p && *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
    }
    if (c->state != READY && c->state != FAILED) atomic_fetch_add(&t->failed, 1);
    if (c->fd >= 0) {
        epoll_ctl(t->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = FAILED;
}

/* One client frame, masked as RFC 6455 requires of clients. */
static void send_frame(struct thread *t, struct conn *c, uint8_t opcode, const char *payload, size_t len) {
    static const uint8_t mask[4] = {0x5A, 0xA5, 0x3C, 0xC3};
    char frame[8192 + 14];
    if (len > 8192) len = 8192;
    size_t n = 0;
    frame[n++] = (char)(0x80 | opcode);
    if (len < 126) {
        frame[n++] = (char)(0x80 | len);
    } else {
        frame[n++] = (char)(0x80 | 126);
        frame[n++] = (char)(len >> 8);
        frame[n++] = (char)(len & 0xFF);
    }
    memcpy(frame + n, mask, 4);
    n += 4;
    for (size_t i = 0; i < len; i++) frame[n + i] = (char)(payload[i] ^ mask[i & 3]);
    n += len;
    if (write(c->fd, frame, n) != (ssize_t)n) fail(t, c, "write", strerror(errno), strlen(strerror(errno)));
}

static const char *find(const char *hay, size_t len, const char *needle) {
    return memmem(hay, len, needle, strlen(needle));
}

static void on_text(struct thread *t, struct conn *c, const char *p, size_t len, uint64_t at) {
    static const char event[] = "{\"type\":\"event\",\"seq\":";
    if (len > sizeof event - 1 && memcmp(p, event, sizeof event - 1) == 0) {
        uint64_t seq = 0;
        size_t i = sizeof event - 1;
        while (i < len && p[i] >= '0' && p[i] <= '9') seq = seq * 10 + (uint64_t)(p[i++] - '0');
        c->events++;
        if (seq <= c->last_seq) c->seq_violations++;
        c->last_seq = seq;
        if (!find(p + i, len - i, "\"event\":\"new_sale\"")) return;
        const char *sale = find(p + i, len - i, "\"sale\":{");
        if (!sale) return;
        const char *id = find(sale, len - (size_t)(sale - p), "\"id\":\"");
        if (!id) return;
        id += 6;
        const char *end = memchr(id, '"', len - (size_t)(id - p));
        if (!end) return;
        if (c->count == c->capacity) {
            c->capacity = c->capacity ? c->capacity * 2 : 64;
            c->records = realloc(c->records, c->capacity * sizeof *c->records);
            if (!c->records) die("ws-reader malloc");
        }
        c->records[c->count++] = (struct record){intern(&t->ids, id, (size_t)(end - id)), at};
        atomic_fetch_add_explicit(&t->deliveries, 1, memory_order_relaxed);
        return;
    }
    if (find(p, len, "\"type\":\"ready\"")) {
        if (c->state == WAITING_READY) {
            c->state = READY;
            c->was_ready = 1;
            atomic_fetch_add(&t->ready, 1);
            send_frame(t, c, 0x1, opt.subscribe, strlen(opt.subscribe));
        }
        return;
    }
    if (find(p, len, "\"type\":\"resync\"")) {
        c->resyncs++;
        return;
    }
    if (find(p, len, "\"type\":\"pong\"")) return;
    if (!c->error) {
        c->error = strndup(p, len > 200 ? 200 : len);
        for (char *q = c->error; q && *q; q++)
            if (*q == '\n') *q = ' ';
    }
}

/* Handles the whole frames in [p, p+len); returns the bytes consumed. */
static size_t on_bytes(struct thread *t, struct conn *c, const char *p, size_t len, uint64_t at) {
    size_t used = 0;
    if (c->state == UPGRADING) {
        const char *end = find(p, len, "\r\n\r\n");
        if (!end) return 0;
        if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
            fail(t, c, "upgrade refused", p, (size_t)(end - p));
            return len;
        }
        c->state = WAITING_READY;
        used = (size_t)(end - p) + 4;
    }
    while (c->fd >= 0 && len - used >= 2) {
        const uint8_t *f = (const uint8_t *)p + used;
        size_t avail = len - used, head = 2;
        uint64_t n = f[1] & 0x7F;
        if (n == 126) {
            if (avail < 4) break;
            n = ((uint64_t)f[2] << 8) | f[3];
            head = 4;
        } else if (n == 127) {
            if (avail < 10) break;
            n = 0;
            for (int i = 0; i < 8; i++) n = (n << 8) | f[2 + i];
            head = 10;
        }
        if (n > MAX_PENDING) {
            fail(t, c, "frame too long", NULL, 0);
            return len;
        }
        if (avail < head + n) break;
        const char *payload = (const char *)f + head;
        switch (f[0] & 0x0F) {
        case 0x1:
            if (!(f[0] & 0x80)) {
                fail(t, c, "fragmented message (not read by ws-reader)", payload, (size_t)n);
                return len;
            }
            on_text(t, c, payload, (size_t)n, at);
            break;
        case 0x9:
            send_frame(t, c, 0xA, payload, (size_t)n);
            break;
        case 0x8:
            fail(t, c, "closed by the server", payload, (size_t)n);
            return len;
        default:
            break;
        }
        used += head + (size_t)n;
    }
    return used;
}

/* One read per readiness, as raw-fanout's reader: level-triggered epoll reports a socket again
 * while bytes remain. A frame cut by the read is kept in `pending` and put before the next one. */
static void on_readable(struct thread *t, struct conn *c) {
    size_t kept = c->pending_len;
    if (kept) memcpy(t->buf, c->pending, kept);
    ssize_t r = read(c->fd, t->buf + kept, READ_BUFFER - kept);
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        fail(t, c, "read", strerror(errno), strlen(strerror(errno)));
        return;
    }
    if (r == 0) {
        fail(t, c, "closed", NULL, 0);
        return;
    }
    uint64_t at = now_ns();
    size_t len = kept + (size_t)r;
    size_t used = on_bytes(t, c, t->buf, len, at);
    if (c->fd < 0) return;
    size_t left = len - used;
    if (left > MAX_PENDING) {
        fail(t, c, "frame too long", NULL, 0);
        return;
    }
    if (left > c->pending_len || !c->pending) {
        char *grown = realloc(c->pending, left ? left : 1);
        if (!grown) die("ws-reader malloc");
        c->pending = grown;
    }
    memmove(c->pending, t->buf + used, left);
    c->pending_len = left;
}

static void open_conn(struct thread *t, struct conn *c) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("ws-reader socket");
    c->state = UPGRADING;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Blocking connect and request: loopback, and the server accepts concurrently. */
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        fail(t, c, "connect", strerror(errno), strlen(strerror(errno)));
        return;
    }
    if (write(c->fd, upgrade_request, upgrade_len) != (ssize_t)upgrade_len) {
        fail(t, c, "write", strerror(errno), strlen(strerror(errno)));
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
}

static void *run_thread(void *arg) {
    struct thread *t = arg;
    struct epoll_event events[1024];
    int opened = 0;
    while (!atomic_load(&stopping)) {
        int settled = atomic_load(&t->ready) + atomic_load(&t->failed);
        while (opened < t->count && opened - settled < IN_FLIGHT) open_conn(t, &t->conns[opened++]);
        int n = epoll_wait(t->epfd, events, 1024, opened < t->count ? 1 : 20);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; i++) on_readable(t, events[i].data.ptr);
    }
    return NULL;
}

static void usage(void) {
    fprintf(stderr, "usage: ws-reader --port P --token T --connections N --threads K --subscribe JSON --dump PATH\n");
    exit(2);
}

static void write_dump(struct thread *ts) {
    FILE *f = fopen(opt.dump, "w");
    if (!f) die(opt.dump);
    for (int k = 0; k < opt.threads; k++) {
        struct thread *t = &ts[k];
        for (int i = 0; i < t->count; i++) {
            struct conn *c = &t->conns[i];
            fprintf(f, "c %d %d %u %u %u\n", c->index, c->was_ready, c->events, c->seq_violations, c->resyncs);
            if (c->error) fprintf(f, "e %d %s\n", c->index, c->error);
            for (size_t r = 0; r < c->count; r++)
                fprintf(f, "s %s %llu\n", t->ids.text[c->records[r].sale], (unsigned long long)c->records[r].at);
        }
    }
    if (fclose(f) != 0) die(opt.dump);
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) opt.port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--token")) opt.token = argv[i + 1];
        else if (!strcmp(argv[i], "--connections")) opt.connections = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) opt.threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--subscribe")) opt.subscribe = argv[i + 1];
        else if (!strcmp(argv[i], "--dump")) opt.dump = argv[i + 1];
        else usage();
    }
    if (argc % 2 == 0 || opt.port <= 0 || !opt.token || !opt.subscribe || !opt.dump || opt.connections < 1 ||
        opt.threads < 1 || opt.threads > 64)
        usage();
    int len = snprintf(upgrade_request, sizeof upgrade_request,
                       "GET /ws?token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                       opt.token, opt.port);
    if (len <= 0 || (size_t)len >= sizeof upgrade_request) usage();
    upgrade_len = (size_t)len;

    struct conn *conns = calloc((size_t)opt.connections, sizeof *conns);
    struct thread *ts = calloc((size_t)opt.threads, sizeof *ts);
    if (!conns || !ts) die("ws-reader malloc");
    for (int i = 0; i < opt.connections; i++) conns[i] = (struct conn){.fd = -1, .index = i};
    for (int k = 0; k < opt.threads; k++) {
        struct thread *t = &ts[k];
        int from = (int)((long)opt.connections * k / opt.threads);
        int to = (int)((long)opt.connections * (k + 1) / opt.threads);
        t->conns = conns + from;
        t->count = to - from;
        t->buf = malloc(READ_BUFFER);
        t->ids.mask = 1023;
        t->ids.slots = calloc(1024, sizeof *t->ids.slots);
        t->ids.text = calloc(1024, sizeof *t->ids.text);
        t->epfd = epoll_create1(0);
        if (!t->buf || !t->ids.slots || !t->ids.text || t->epfd < 0) die("ws-reader setup");
        if (pthread_create(&t->thread, NULL, run_thread, t) != 0) die("pthread_create");
    }

    uint64_t deadline = now_ns() + 180ull * 1000000000u;
    int ready = 0, failed = 0;
    for (;;) {
        ready = failed = 0;
        for (int k = 0; k < opt.threads; k++) {
            ready += atomic_load(&ts[k].ready);
            failed += atomic_load(&ts[k].failed);
        }
        if (ready + failed >= opt.connections || now_ns() > deadline) break;
        usleep(10000);
    }
    printf("ready %d failed %d\n", ready, failed);
    fflush(stdout);

    for (;;) {
        struct pollfd in = {.fd = 0, .events = POLLIN};
        int n = poll(&in, 1, 50);
        if (n > 0) {
            char scratch[256];
            if (read(0, scratch, sizeof scratch) <= 0) break;
        }
        unsigned long deliveries = 0;
        for (int k = 0; k < opt.threads; k++) deliveries += atomic_load_explicit(&ts[k].deliveries, memory_order_relaxed);
        printf("deliveries %lu\n", deliveries);
        fflush(stdout);
    }
    atomic_store(&stopping, 1);
    for (int k = 0; k < opt.threads; k++) pthread_join(ts[k].thread, NULL);
    write_dump(ts);
    printf("done\n");
    fflush(stdout);
    return 0;
}
