/*
 * raw-fanout: the floor for fanning one message out to N loopback TCP sockets.
 *
 * The question it answers: how long does it take *any* program on this machine to write one
 * message to each of N TCP connections and have another process read all of them? Whatever the
 * WebSocket server does, its commit-to-client latency cannot beat this.
 *
 * Two processes, so each holds at most N descriptors: the writer (parent) listens on
 * 127.0.0.1:0 and accepts N connections; the reader (child) connects them and reads with epoll.
 * Every round the writer takes t0 from CLOCK_MONOTONIC (one clock for both processes), puts it
 * and the round number at the front of a `size`-byte message and write()s it to every socket in
 * turn. The reader records now - t0 for every complete message and, at the end, sends its
 * figures to the writer through a pipe; the writer prints the one report.
 *
 * Build and run: benchmarks/Scripts/raw-fanout.sh [options]   (--help lists them)
 *
 * With --connect PORT it is the reader alone, against a writer that listens on PORT and sends
 * the same messages (`ws-bench --nio-fanout`: the same rounds written through SwiftNIO). It
 * prints `ready` once its threads wait in epoll, then its latency and CPU lines.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The front of every message; the rest is filler. */
struct header {
    uint64_t t0_ns;
    uint32_t round;
    uint32_t magic;
};
#define MAGIC 0x46414e4fu

/* The reader gives up when nothing arrives for this long, so a lost message ends the run
 * with a short count instead of hanging. */
#define IDLE_TIMEOUT_MS 10000

static struct {
    int connections;
    int rounds;
    double rate;
    int size;
    int writer_threads;
    int reader_threads;
    int connect_port; /* reader only, against a writer listening there */
} opt = {10000, 100, 5.0, 900, 1, 1, 0};

static void die(const char *what) {
    perror(what);
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

/* CPU time of this process, all threads, in ns. */
struct cpu {
    uint64_t user_ns, sys_ns;
};

static struct cpu cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct cpu c = {
        (uint64_t)ru.ru_utime.tv_sec * 1000000000u + (uint64_t)ru.ru_utime.tv_usec * 1000u,
        (uint64_t)ru.ru_stime.tv_sec * 1000000000u + (uint64_t)ru.ru_stime.tv_usec * 1000u,
    };
    return c;
}

static struct cpu cpu_minus(struct cpu a, struct cpu b) {
    struct cpu c = {a.user_ns - b.user_ns, a.sys_ns - b.sys_ns};
    return c;
}

static void set_nodelay(int fd) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("TCP_NODELAY");
}

static void set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("O_NONBLOCK");
}

static void write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) die("pipe write");
        c += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, void *p, size_t n) {
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("pipe read (did the reader exit early?)");
        c += r;
        n -= (size_t)r;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t pct(const uint64_t *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t rank = (size_t)((p / 100.0) * (double)n);
    if ((double)rank < (p / 100.0) * (double)n) rank++;
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

/* ------------------------------------------------------------------------------------------ */
/* Reader (child)                                                                             */

/* What the reader sends back to the writer at the end. */
struct reader_result {
    uint64_t received, out_of_order;
    uint64_t lat_p50, lat_p90, lat_p99, lat_max;
    uint64_t span_p50, span_max;
    uint64_t phase_ns; /* from ready to the last message */
    struct cpu cpu_phase, cpu_total;
};

struct reader_socket {
    int fd;
    int fill; /* bytes of the current message read so far */
    uint32_t next_round;
    size_t index; /* into latencies */
    char *buf;    /* exactly one message */
};

struct reader_thread {
    pthread_t thread;
    int epfd;
    struct reader_socket *socks; /* the sockets this thread owns, a contiguous slice */
    int count;
    uint64_t received, out_of_order, last_ns;
    uint64_t *first, *last; /* per round: earliest and latest arrival this thread saw */
};

/* [socket * rounds + round]; each socket belongs to one thread, so no slot is shared. */
static uint64_t *latencies;
static pthread_barrier_t reader_start;

/* One read per readiness: epoll is level-triggered, so a socket with more queued data is
 * simply reported again, and the common case (one message waiting) costs one read(). */
static void reader_on_readable(struct reader_thread *t, struct reader_socket *s) {
    ssize_t r = read(s->fd, s->buf + s->fill, (size_t)(opt.size - s->fill));
    if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        die("reader read");
    }
    if (r == 0) {
        fprintf(stderr, "reader: connection closed by the writer before the end\n");
        exit(1);
    }
    s->fill += (int)r;
    if (s->fill < opt.size) return;
    s->fill = 0;

    uint64_t now = now_ns();
    struct header h;
    memcpy(&h, s->buf, sizeof h);
    if (h.magic != MAGIC || h.round >= (uint32_t)opt.rounds) {
        fprintf(stderr, "reader: corrupt message\n");
        exit(1);
    }
    if (h.round != s->next_round) t->out_of_order++;
    s->next_round = h.round + 1;
    latencies[s->index * (size_t)opt.rounds + h.round] = now - h.t0_ns;
    if (t->first[h.round] == 0 || now < t->first[h.round]) t->first[h.round] = now;
    if (now > t->last[h.round]) t->last[h.round] = now;
    t->last_ns = now;
    t->received++;
}

static void *reader_loop(void *arg) {
    struct reader_thread *t = arg;
    const uint64_t expected = (uint64_t)t->count * (uint64_t)opt.rounds;
    struct epoll_event events[1024];
    pthread_barrier_wait(&reader_start);
    while (t->received < expected) {
        int n = epoll_wait(t->epfd, events, 1024, IDLE_TIMEOUT_MS);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        if (n == 0) break; /* nothing for IDLE_TIMEOUT_MS: report the short count */
        for (int i = 0; i < n; i++) reader_on_readable(t, events[i].data.ptr);
    }
    return NULL;
}

static void run_reader(uint16_t port, int ctl_fd, int result_fd) {
    const int n = opt.connections, threads = opt.reader_threads;
    struct reader_socket *socks = calloc((size_t)n, sizeof *socks);
    char *bufs = malloc((size_t)n * (size_t)opt.size);
    latencies = calloc((size_t)n * (size_t)opt.rounds, sizeof *latencies);
    if (!socks || !bufs || !latencies) die("reader malloc");

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("reader socket");
        /* Blocking connect: the writer accepts concurrently, so the backlog keeps draining. */
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
        set_nodelay(fd);
        set_nonblocking(fd);
        socks[i] = (struct reader_socket){fd, 0, 0, (size_t)i, bufs + (size_t)i * opt.size};
    }

    struct reader_thread *ts = calloc((size_t)threads, sizeof *ts);
    if (!ts) die("reader malloc");
    pthread_barrier_init(&reader_start, NULL, (unsigned)threads + 1);
    for (int k = 0; k < threads; k++) {
        struct reader_thread *t = &ts[k];
        int from = (int)((long)n * k / threads), to = (int)((long)n * (k + 1) / threads);
        t->socks = socks + from;
        t->count = to - from;
        t->first = calloc((size_t)opt.rounds, sizeof *t->first);
        t->last = calloc((size_t)opt.rounds, sizeof *t->last);
        t->epfd = epoll_create1(0);
        if (!t->first || !t->last || t->epfd < 0) die("reader thread setup");
        for (int i = 0; i < t->count; i++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &t->socks[i]};
            if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->socks[i].fd, &ev) < 0) die("epoll_ctl");
        }
        if (pthread_create(&t->thread, NULL, reader_loop, t) != 0) die("pthread_create");
    }
    pthread_barrier_wait(&reader_start);

    /* Every thread is about to block in epoll_wait: the writer may start. */
    struct cpu cpu0 = cpu_now();
    uint64_t start = now_ns();
    char ready = 'r';
    write_all(ctl_fd, &ready, 1);

    struct reader_result res = {0};
    uint64_t last = start;
    for (int k = 0; k < threads; k++) {
        pthread_join(ts[k].thread, NULL);
        res.received += ts[k].received;
        res.out_of_order += ts[k].out_of_order;
        if (ts[k].last_ns > last) last = ts[k].last_ns;
    }
    res.cpu_phase = cpu_minus(cpu_now(), cpu0);
    res.phase_ns = last - start;
    write_all(ctl_fd, &ready, 1); /* the writer's wall clock for the rounds ends here */

    /* A missing message would read as latency 0; the count says whether any are missing. */
    size_t total = (size_t)n * (size_t)opt.rounds;
    qsort(latencies, total, sizeof *latencies, cmp_u64);
    res.lat_p50 = pct(latencies, total, 50);
    res.lat_p90 = pct(latencies, total, 90);
    res.lat_p99 = pct(latencies, total, 99);
    res.lat_max = latencies[total - 1];

    uint64_t *spans = calloc((size_t)opt.rounds, sizeof *spans);
    if (!spans) die("reader malloc");
    for (int r = 0; r < opt.rounds; r++) {
        uint64_t first = 0, lastr = 0;
        for (int k = 0; k < threads; k++) {
            if (ts[k].first[r] && (first == 0 || ts[k].first[r] < first)) first = ts[k].first[r];
            if (ts[k].last[r] > lastr) lastr = ts[k].last[r];
        }
        spans[r] = lastr - first;
    }
    qsort(spans, (size_t)opt.rounds, sizeof *spans, cmp_u64);
    res.span_p50 = pct(spans, (size_t)opt.rounds, 50);
    res.span_max = spans[opt.rounds - 1];
    res.cpu_total = cpu_now();

    write_all(result_fd, &res, sizeof res);
    /* Wait for the writer to close its ends first: TIME_WAIT then lands on its side, not on
     * 10,000 of our ephemeral ports, so back-to-back runs do not run out of them. */
    char eof;
    read_all(ctl_fd, &eof, 1);
    exit(0);
}

/* ------------------------------------------------------------------------------------------ */
/* Writer (parent)                                                                            */

struct writer_thread {
    pthread_t thread;
    int *fds;
    int count;
    char *msg;            /* this thread's copy of the message */
    uint64_t would_block; /* writes that did not go through at once */
    uint64_t poll_ns;     /* time spent waiting for those to finish */
    uint64_t *done_ns;    /* per round: when this thread's last write returned */
};

static pthread_barrier_t round_start; /* all writer threads, once per round */
static uint64_t round_t0;             /* set by thread 0 before the barrier, read after it */

/* write() the whole message; if the socket is full, note it and finish the write with poll()
 * (on loopback this only happens when the reader falls far behind). */
static void send_message(struct writer_thread *t, int fd) {
    int off = 0;
    int blocked = 0;
    while (off < opt.size) {
        ssize_t w = write(fd, t->msg + off, (size_t)(opt.size - off));
        if (w > 0) {
            off += (int)w;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno != EAGAIN) die("writer write");
        if (!blocked) t->would_block++;
        blocked = 1;
        uint64_t p0 = now_ns();
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) die("poll");
        t->poll_ns += now_ns() - p0;
    }
}

static void write_round(struct writer_thread *t, int r) {
    pthread_barrier_wait(&round_start);
    struct header h = {round_t0, (uint32_t)r, MAGIC};
    memcpy(t->msg, &h, sizeof h);
    for (int i = 0; i < t->count; i++) send_message(t, t->fds[i]);
    t->done_ns[r] = now_ns();
}

static void *writer_loop(void *arg) {
    for (int r = 0; r < opt.rounds; r++) write_round(arg, r);
    return NULL;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--connections N] [--rounds R] [--rate R/s] [--size BYTES]\n"
            "          [--writer-threads 1|2|...] [--reader-threads 1|2|...] [--connect PORT]\n"
            "--connect: be the reader only, of a writer listening on 127.0.0.1:PORT\n"
            "defaults: --connections 10000 --rounds 100 --rate 5 --size 900, one thread each\n",
            argv0);
    exit(2);
}

static void parse(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc) usage(argv[0]);
        const char *k = argv[i], *v = argv[++i];
        if (!strcmp(k, "--connections")) opt.connections = atoi(v);
        else if (!strcmp(k, "--rounds")) opt.rounds = atoi(v);
        else if (!strcmp(k, "--rate")) opt.rate = atof(v);
        else if (!strcmp(k, "--size")) opt.size = atoi(v);
        else if (!strcmp(k, "--writer-threads")) opt.writer_threads = atoi(v);
        else if (!strcmp(k, "--reader-threads")) opt.reader_threads = atoi(v);
        else if (!strcmp(k, "--connect")) opt.connect_port = atoi(v);
        else usage(argv[0]);
    }
    if (opt.connections < 1 || opt.rounds < 1 || opt.rate <= 0 ||
        opt.size < (int)sizeof(struct header) || opt.writer_threads < 1 ||
        opt.reader_threads < 1 || opt.writer_threads > opt.connections ||
        opt.reader_threads > opt.connections || opt.connect_port < 0 || opt.connect_port > 65535)
        usage(argv[0]);
}

static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) die("getrlimit");
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit");
    if (rl.rlim_cur < (rlim_t)opt.connections + 64) {
        fprintf(stderr, "open-file limit %llu is too low for %d connections\n",
                (unsigned long long)rl.rlim_cur, opt.connections);
        exit(1);
    }
}

static void print_loadavg(const char *when) {
    char line[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f)) strcpy(line, "?\n");
        fclose(f);
    }
    printf("loadavg %-6s %s", when, line);
}

/* --connect: the reader as a child, this process only relays its `ready` and prints its figures. */
static int reader_only(void) {
    int ctlpair[2], result[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctlpair) < 0 || pipe(result) < 0) die("pipe");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        close(ctlpair[0]);
        close(result[0]);
        run_reader((uint16_t)opt.connect_port, ctlpair[1], result[1]);
    }
    close(ctlpair[1]);
    close(result[1]);
    char byte;
    read_all(ctlpair[0], &byte, 1);
    printf("ready\n");
    fflush(stdout);
    read_all(ctlpair[0], &byte, 1);
    struct reader_result rr;
    read_all(result[0], &rr, sizeof rr);
    write_all(ctlpair[0], &byte, 1);
    int status;
    if (waitpid(child, &status, 0) < 0) die("waitpid");
    const uint64_t expected = (uint64_t)opt.connections * (uint64_t)opt.rounds;
    const double deliveries = (double)rr.received > 0 ? (double)rr.received : 1;
    printf("received %llu of %llu%s, out of order %llu\n", (unsigned long long)rr.received,
           (unsigned long long)expected, rr.received == expected ? " (all)" : " (MISSING)",
           (unsigned long long)rr.out_of_order);
    printf("latency t0 -> read ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", ms(rr.lat_p50),
           ms(rr.lat_p90), ms(rr.lat_p99), ms(rr.lat_max));
    printf("fan-out span, first -> last socket of a round, ms: p50 %.2f  max %.2f\n",
           ms(rr.span_p50), ms(rr.span_max));
    printf("CPU per delivered message, us: reader %.2f\n",
           (double)(rr.cpu_phase.user_ns + rr.cpu_phase.sys_ns) / 1e3 / deliveries);
    fflush(stdout);
    return rr.received == expected && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    parse(argc, argv);
    raise_fd_limit();
    if (opt.connect_port) return reader_only();
    uint64_t wall0 = now_ns();

    printf("command:");
    for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
    printf("\nN=%d rounds=%d rate=%g/s size=%d writer-threads=%d reader-threads=%d\n",
           opt.connections, opt.rounds, opt.rate, opt.size, opt.writer_threads,
           opt.reader_threads);
    print_loadavg("before");
    fflush(stdout);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0) die("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    if (getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) die("getsockname");

    /* ctl: reader -> writer "ready", then "received everything"; writer -> reader "you may
     * exit". result: reader -> writer, its figures. */
    int ctlpair[2], result[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctlpair) < 0 || pipe(result) < 0) die("pipe");
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        close(lfd);
        close(ctlpair[0]);
        close(result[0]);
        run_reader(ntohs(addr.sin_port), ctlpair[1], result[1]);
    }
    close(ctlpair[1]);
    close(result[1]);
    int ctl = ctlpair[0];

    int *fds = malloc((size_t)opt.connections * sizeof *fds);
    if (!fds) die("writer malloc");
    for (int i = 0; i < opt.connections; i++) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0) die("accept");
        set_nodelay(fd);
        set_nonblocking(fd);
        fds[i] = fd;
    }
    close(lfd);
    uint64_t connected = now_ns();
    char byte;
    read_all(ctl, &byte, 1);

    const int threads = opt.writer_threads;
    struct writer_thread *ts = calloc((size_t)threads, sizeof *ts);
    if (!ts) die("writer malloc");
    pthread_barrier_init(&round_start, NULL, (unsigned)threads);
    for (int k = 0; k < threads; k++) {
        int from = (int)((long)opt.connections * k / threads);
        int to = (int)((long)opt.connections * (k + 1) / threads);
        ts[k].fds = fds + from;
        ts[k].count = to - from;
        ts[k].msg = calloc(1, (size_t)opt.size);
        ts[k].done_ns = calloc((size_t)opt.rounds, sizeof *ts[k].done_ns);
        if (!ts[k].msg || !ts[k].done_ns) die("writer malloc");
        memset(ts[k].msg + sizeof(struct header), 'x', (size_t)opt.size - sizeof(struct header));
    }
    for (int k = 1; k < threads; k++)
        if (pthread_create(&ts[k].thread, NULL, writer_loop, &ts[k]) != 0) die("pthread_create");

    /* Thread 0 (this one) keeps the schedule: round r is due at start + r/rate, open loop.
     * t0 is taken when the round really starts, as a server stamps its commit. */
    struct cpu cpu0 = cpu_now();
    uint64_t start = now_ns() + 10000000u, period = (uint64_t)(1e9 / opt.rate);
    uint64_t *t0s = calloc((size_t)opt.rounds, sizeof *t0s);
    uint64_t max_late = 0;
    if (!t0s) die("writer malloc");
    for (int r = 0; r < opt.rounds; r++) {
        uint64_t due = start + (uint64_t)r * period;
        struct timespec ts_due = {(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts_due, NULL) == EINTR) {
        }
        round_t0 = now_ns();
        t0s[r] = round_t0;
        if (round_t0 - due > max_late) max_late = round_t0 - due;
        write_round(&ts[0], r);
    }
    for (int k = 1; k < threads; k++) pthread_join(ts[k].thread, NULL);
    struct cpu wcpu_phase = cpu_minus(cpu_now(), cpu0);

    read_all(ctl, &byte, 1); /* the reader has everything (or gave up) */
    uint64_t phase_ns = now_ns() - start;
    struct reader_result rr;
    read_all(result[0], &rr, sizeof rr);

    /* The writer's own figure per round: from t0 until its last write() returned. */
    uint64_t *wspan = calloc((size_t)opt.rounds, sizeof *wspan);
    uint64_t would_block = 0, poll_ns = 0;
    if (!wspan) die("writer malloc");
    for (int r = 0; r < opt.rounds; r++)
        for (int k = 0; k < threads; k++)
            if (ts[k].done_ns[r] - t0s[r] > wspan[r]) wspan[r] = ts[k].done_ns[r] - t0s[r];
    for (int k = 0; k < threads; k++) {
        would_block += ts[k].would_block;
        poll_ns += ts[k].poll_ns;
    }
    qsort(wspan, (size_t)opt.rounds, sizeof *wspan, cmp_u64);

    for (int i = 0; i < opt.connections; i++) close(fds[i]);
    write_all(ctl, &byte, 1);
    int status;
    if (waitpid(child, &status, 0) < 0) die("waitpid");
    struct cpu wcpu_total = cpu_now();

    const uint64_t expected = (uint64_t)opt.connections * (uint64_t)opt.rounds;
    const double deliveries = (double)rr.received > 0 ? (double)rr.received : 1;
    printf("connect %d sockets: %.0f ms\n", opt.connections, ms(connected - wall0));
    printf("received %llu of %llu%s, out of order %llu, writes that would block %llu (%.1f ms "
           "in poll)\n",
           (unsigned long long)rr.received, (unsigned long long)expected,
           rr.received == expected ? " (all)" : " (MISSING)",
           (unsigned long long)rr.out_of_order, (unsigned long long)would_block, ms(poll_ns));
    printf("latency t0 -> read ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", ms(rr.lat_p50),
           ms(rr.lat_p90), ms(rr.lat_p99), ms(rr.lat_max));
    printf("fan-out span, first -> last socket of a round, ms: p50 %.2f  max %.2f\n",
           ms(rr.span_p50), ms(rr.span_max));
    printf("writer, t0 -> last write() returned, ms: p50 %.2f  max %.2f; rounds started up to "
           "%.2f ms late\n",
           ms(pct(wspan, (size_t)opt.rounds, 50)), ms(wspan[opt.rounds - 1]), ms(max_late));
    printf("CPU during the rounds, ms: writer user %.0f sys %.0f; reader user %.0f sys %.0f "
           "(over %.0f ms)\n",
           ms(wcpu_phase.user_ns), ms(wcpu_phase.sys_ns), ms(rr.cpu_phase.user_ns),
           ms(rr.cpu_phase.sys_ns), ms(rr.phase_ns));
    printf("CPU per delivered message, us: writer %.2f, reader %.2f\n",
           (double)(wcpu_phase.user_ns + wcpu_phase.sys_ns) / 1e3 / deliveries,
           (double)(rr.cpu_phase.user_ns + rr.cpu_phase.sys_ns) / 1e3 / deliveries);
    printf("CPU whole process, ms: writer user %.0f sys %.0f; reader user %.0f sys %.0f\n",
           ms(wcpu_total.user_ns), ms(wcpu_total.sys_ns), ms(rr.cpu_total.user_ns),
           ms(rr.cpu_total.sys_ns));
    printf("wall: rounds %.0f ms, total %.0f ms\n", ms(phase_ns), ms(now_ns() - wall0));
    print_loadavg("after");
    return rr.received == expected && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
