#ifndef PLAIN_EXECUTOR_H
#define PLAIN_EXECUTOR_H

// Swift's global executor replaced, for runs under valgrind only: valgrind 3.19 (Debian
// bookworm's) never starts the libdispatch worker threads Swift 6.3's global executor asks
// for, so the first `Task` never runs (and an async `main` crashes valgrind in
// dispatch_main). These hooks hand every global job, delayed ones included, to `workers`
// plain pthreads instead. Call it before the first task is created.
void plain_executor_install(int workers);

#endif
