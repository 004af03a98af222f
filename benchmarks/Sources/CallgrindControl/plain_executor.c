#include "plain_executor.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

// The runtime's hooks (swift/include/swift/Runtime/ConcurrencyHooks.def): each takes the
// job and the original implementation, with Swift's calling convention.
#define SWIFTCALL __attribute__((swiftcall))
typedef SWIFTCALL void (*enqueue_original)(void *job);
typedef SWIFTCALL void (*delay_original)(unsigned long long delay, void *job);
typedef SWIFTCALL void (*deadline_original)(long long sec, long long nsec, long long tsec, long long tnsec, int clock, void *job);
extern SWIFTCALL void (*swift_task_enqueueGlobal_hook)(void *job, enqueue_original original);
extern SWIFTCALL void (*swift_task_enqueueGlobalWithDelay_hook)(unsigned long long delay, void *job, delay_original original);
extern SWIFTCALL void (*swift_task_enqueueGlobalWithDeadline_hook)(long long sec, long long nsec, long long tsec, long long tnsec,
                                                                   int clock, void *job, deadline_original original);
// Runs a job on the generic executor (SerialExecutorRef::generic(): identity and implementation 0).
extern SWIFTCALL void swift_job_run(void *job, void *identity, uintptr_t implementation);

// Jobs ready to run (first in, first out) and jobs waiting for their time (sorted by it).
struct entry {
    void *job;
    struct timespec due;   // CLOCK_MONOTONIC
    struct entry *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_changed;
static pthread_cond_t waiting_changed;
static struct entry *ready_head, *ready_tail, *waiting;

static int earlier(struct timespec a, struct timespec b) {
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static struct timespec now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

static void push_ready(struct entry *e) {   // with the lock held
    e->next = NULL;
    if (ready_tail) ready_tail->next = e; else ready_head = e;
    ready_tail = e;
    pthread_cond_signal(&ready_changed);
}

static SWIFTCALL void enqueue(void *job, enqueue_original original) {
    (void)original;
    struct entry *e = malloc(sizeof *e);
    e->job = job;
    pthread_mutex_lock(&lock);
    push_ready(e);
    pthread_mutex_unlock(&lock);
}

static void enqueue_at(struct timespec due, void *job) {
    struct entry *e = malloc(sizeof *e);
    e->job = job;
    e->due = due;
    pthread_mutex_lock(&lock);
    struct entry **at = &waiting;
    while (*at && !earlier(due, (*at)->due)) at = &(*at)->next;
    e->next = *at;
    *at = e;
    pthread_cond_signal(&waiting_changed);
    pthread_mutex_unlock(&lock);
}

static SWIFTCALL void enqueue_after(unsigned long long delay, void *job, delay_original original) {
    (void)original;
    struct timespec due = now();
    due.tv_sec += (time_t)(delay / 1000000000ull);
    due.tv_nsec += (long)(delay % 1000000000ull);
    if (due.tv_nsec >= 1000000000L) { due.tv_sec += 1; due.tv_nsec -= 1000000000L; }
    enqueue_at(due, job);
}

// A deadline on Swift's continuous (1, CLOCK_BOOTTIME) or suspending (2, CLOCK_MONOTONIC)
// clock, turned into a delay from now on that clock; the leeway (tsec, tnsec) is ignored.
static SWIFTCALL void enqueue_by_deadline(long long sec, long long nsec, long long tsec, long long tnsec, int clock, void *job,
                                          deadline_original original) {
    (void)tsec; (void)tnsec; (void)original;
    struct timespec current;
    clock_gettime(clock == 1 ? CLOCK_BOOTTIME : CLOCK_MONOTONIC, &current);
    long long delay = (sec - current.tv_sec) * 1000000000LL + (nsec - current.tv_nsec);
    enqueue_after(delay > 0 ? (unsigned long long)delay : 0, job, NULL);
}

static void *worker(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!ready_head) pthread_cond_wait(&ready_changed, &lock);
        struct entry *e = ready_head;
        ready_head = e->next;
        if (!ready_head) ready_tail = NULL;
        pthread_mutex_unlock(&lock);
        void *job = e->job;
        free(e);
        swift_job_run(job, NULL, 0);
    }
    return NULL;
}

// Moves delayed jobs to the ready queue when their time comes.
static void *timer(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        if (!waiting) {
            pthread_cond_wait(&waiting_changed, &lock);
        } else if (earlier(now(), waiting->due)) {
            struct timespec due = waiting->due;
            pthread_cond_timedwait(&waiting_changed, &lock, &due);
        } else {
            struct entry *e = waiting;
            waiting = e->next;
            push_ready(e);
        }
    }
    return NULL;
}

void plain_executor_install(int workers) {
    pthread_condattr_t monotonic;
    pthread_condattr_init(&monotonic);
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    pthread_cond_init(&ready_changed, NULL);
    pthread_cond_init(&waiting_changed, &monotonic);
    pthread_t thread;
    for (int i = 0; i < workers; i++) pthread_create(&thread, NULL, worker, NULL);
    pthread_create(&thread, NULL, timer, NULL);
    swift_task_enqueueGlobal_hook = enqueue;
    swift_task_enqueueGlobalWithDelay_hook = enqueue_after;
    swift_task_enqueueGlobalWithDeadline_hook = enqueue_by_deadline;
}
